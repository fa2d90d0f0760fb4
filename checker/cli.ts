/** Entry point of `npm run check-manifests`: wires `main` to the process. */
import { CheckerIo, EXIT, main } from "./main";

function readStdin(): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        process.stdin.on("data", (chunk: Buffer) => chunks.push(chunk));
        process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        process.stdin.on("error", reject);
    });
}

const io: CheckerIo = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin,
};

main(process.argv.slice(2), io).then(
    (code) => {
        process.exitCode = code;
    },
    (e: unknown) => {
        // Only a bug gets here; say so plainly rather than pretending the input was at fault.
        process.stderr.write(`check-manifests: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
        process.exitCode = EXIT.internalError;
    },
);

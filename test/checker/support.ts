/** Helpers for checker tests: temporary manifest trees and an in-memory `main`. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../checker/main";

/** A temporary directory with the given files (relative path -> content); remove it with `cleanup`. */
export function tempTree(files: Record<string, string>): { root: string; cleanup: () => void } {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "check-manifests-"));
    for (const [relative, content] of Object.entries(files)) {
        const full = path.join(root, relative);
        fs.mkdirSync(path.dirname(full), { recursive: true });
        fs.writeFileSync(full, content);
    }
    return { root, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** What one run of the checker printed and returned. */
export interface RunResult {
    /** Exit code. */
    readonly code: number;
    /** Everything written to stdout. */
    readonly stdout: string;
    /** Everything written to stderr. */
    readonly stderr: string;
}

/** Runs `main` with `stdin` as standard input. */
export async function runChecker(argv: string[], stdin = ""): Promise<RunResult> {
    let stdout = "";
    let stderr = "";
    const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), readStdin: async () => stdin });
    return { code, stdout, stderr };
}

/** A Deployment manifest (YAML text). */
export function deploymentYaml(name: string, replicas: number, extra = ""): string {
    return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: shop
spec:
  replicas: ${replicas}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 0, maxSurge: 1}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
${extra}`;
}

/** A PDB manifest (YAML text) selecting `app: <app>` in namespace shop. */
export function pdbYaml(app: string, budget: string): string {
    return `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: ${app}
  namespace: shop
spec:
  ${budget}
  selector:
    matchLabels: {app: ${app}}
`;
}

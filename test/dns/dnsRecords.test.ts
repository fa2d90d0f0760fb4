import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { gatewayIpFromService } from "../../components/dns/dnsRecords";
import { loadScript } from "../../components/scripts";
import { runWithFakes } from "../support/fakeBin";

const DELETE_STALE_RECORDS_SCRIPT = loadScript("dns/delete-stale-records.sh");

const TOKEN = "cf-token-" + "z".repeat(31);
const ZONE = "fedcba9876543210fedcba9876543210";
const id = (n: number) => n.toString(16).padStart(32, "0");
const record = (n: number, name: string, type = "A", content = "192.0.2.10") => ({ id: id(n), name, type, content, ttl: 60 });

/** Cloudflare's answers the fake curl gives, and what it saw. */
interface Fake {
    list: unknown;
    remove?: unknown;
}

/**
 * Runs the script with a fake `curl` (test/support/fakeBin.ts) that answers from `fake` and logs
 * its arguments and stdin, and the real node: the script's control flow and its JSON checks run
 * for real, without Cloudflare.
 */
function run(fake: Fake, env: Record<string, string>, pathDirs?: (fakeDir: string) => string) {
    const curl = `printf 'STDIN %s\\n' "$(cat)" >> "$FAKE_DIR/log"
printf 'ARGS' >> "$FAKE_DIR/log"; for a in "$@"; do printf ' %s' "$a" >> "$FAKE_DIR/log"; done; echo >> "$FAKE_DIR/log"
case " $* " in *" DELETE "*) cat "$FAKE_DIR/delete.json" ;; *) cat "$FAKE_DIR/list.json" ;; esac`;
    const setup = (dir: string) => {
        fs.writeFileSync(path.join(dir, "list.json"), typeof fake.list === "string" ? fake.list : JSON.stringify(fake.list));
        fs.writeFileSync(path.join(dir, "delete.json"), JSON.stringify(fake.remove ?? { success: true, errors: [], result: { id: "x" } }));
    };
    const r = runWithFakes(DELETE_STALE_RECORDS_SCRIPT, {
        fakes: { curl },
        env,
        setup,
        path: pathDirs ?? ((dir) => `${dir}:${path.dirname(process.execPath)}:/usr/bin:/bin`),
        timeoutMs: 20_000,
    });
    return { ...r, calls: r.lines.filter((l) => l.startsWith("ARGS ")), stdins: r.lines.filter((l) => l.startsWith("STDIN ")) };
}

const env = (name: string) => ({ CLOUDFLARE_API_TOKEN: TOKEN, ZONE_ID: ZONE, RECORD_NAME: name, RECORD_TYPE: "A" });
const listOf = (...result: unknown[]) => ({
    success: true,
    errors: [],
    result,
    result_info: { page: 1, per_page: 100, count: result.length, total_count: result.length },
});
const deletes = (calls: string[]) => calls.filter((c) => c.includes(" DELETE ")).map((c) => c.split(" ").pop());

describe("dns: stale-record removal script", () => {
    it("deletes every stale record of the name and type, and nothing else, even if the API ignored the filter", () => {
        const r = run(
            {
                list: listOf(
                    record(1, "api.platform.devantler.tech"),
                    record(2, "api.platform.devantler.tech", "A", "192.0.2.11"),
                    record(3, "platform.devantler.tech"),
                    record(4, "api.platform.devantler.tech", "TXT", "heritage=external-dns"),
                    record(5, "other.devantler.tech"),
                ),
            },
            env("api.platform.devantler.tech"),
        );
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(deletes(r.calls), [
            `https://api.cloudflare.com/client/v4/zones/${ZONE}/dns_records/${id(1)}`,
            `https://api.cloudflare.com/client/v4/zones/${ZONE}/dns_records/${id(2)}`,
        ]);
        assert.match(r.stdout, /removed 2 stale A record\(s\) named api\.platform\.devantler\.tech/);
    });

    it("asks for exactly the name and type, URL-encoded (the wildcard)", () => {
        const r = run({ list: listOf(record(7, "*.platform.devantler.tech")) }, env("*.platform.devantler.tech"));
        assert.equal(r.status, 0, r.stderr);
        const [list] = r.calls;
        assert.ok(
            list.includes("--get") &&
                list.includes("--data-urlencode type=A") &&
                list.includes("--data-urlencode name=*.platform.devantler.tech"),
            list,
        );
        assert.deepEqual(deletes(r.calls), [`https://api.cloudflare.com/client/v4/zones/${ZONE}/dns_records/${id(7)}`]);
    });

    it("passes the token on curl's stdin, never on its command line", () => {
        const r = run({ list: listOf(record(1, "api.platform.devantler.tech")) }, env("api.platform.devantler.tech"));
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.calls.length, 2);
        assert.ok(r.calls.every((c) => !c.includes(TOKEN)));
        assert.ok(
            r.stdins.every((s) => s === `STDIN Authorization: Bearer ${TOKEN}`),
            r.stdins.join("\n"),
        );
        assert.ok(!r.stdout.includes(TOKEN) && !r.stderr.includes(TOKEN));
    });

    it("does nothing when no record exists (a first install)", () => {
        const r = run({ list: listOf() }, env("api.platform.devantler.tech"));
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(deletes(r.calls), []);
        assert.match(r.stdout, /removed 0 stale A record/);
    });

    it("fails with Cloudflare's error and a hint when the token or zone is wrong", () => {
        const r = run(
            { list: { success: false, errors: [{ code: 10000, message: "Authentication error" }], result: null } },
            env("api.platform.devantler.tech"),
        );
        assert.equal(r.status, 1);
        assert.match(r.stderr, /Authentication error/);
        assert.match(r.stderr, /check cloudflare:apiToken \(needs DNS edit on the zone\) and cloudflareZoneId/);
    });

    it("refuses a paged answer instead of half-cleaning", () => {
        const page = listOf(record(1, "api.platform.devantler.tech"));
        const r = run({ list: { ...page, result_info: { ...page.result_info, total_count: 150 } } }, env("api.platform.devantler.tech"));
        assert.equal(r.status, 1);
        assert.match(r.stderr, /150 records match, more than one page/);
        assert.deepEqual(deletes(r.calls), []);
    });

    it("fails on an answer that is not JSON (a proxy's error page), deleting nothing", () => {
        const r = run({ list: "<html>502 Bad Gateway</html>" }, env("api.platform.devantler.tech"));
        assert.equal(r.status, 1);
        assert.match(r.stderr, /did not answer with JSON: <html>502/);
        assert.deepEqual(deletes(r.calls), []);
    });

    it("fails naming the record when a deletion is refused", () => {
        const r = run(
            {
                list: listOf(record(1, "api.platform.devantler.tech")),
                remove: { success: false, errors: [{ code: 9109, message: "Unauthorized to access requested resource" }] },
            },
            env("api.platform.devantler.tech"),
        );
        assert.equal(r.status, 1);
        assert.match(r.stderr, /Unauthorized to access requested resource/);
        assert.match(r.stderr, new RegExp(`deleting stale record ${id(1)} \\(A api\\.platform\\.devantler\\.tech\\) failed`));
    });

    it("says which tool is missing", () => {
        const noCurl = run({ list: listOf() }, env("a.b"), () => "/nonexistent");
        assert.equal(noCurl.status, 127);
        assert.match(noCurl.stderr, /curl is not on PATH/);
        const noNode = run({ list: listOf() }, env("a.b"), (fakeDir) => fakeDir);
        assert.equal(noNode.status, 127);
        assert.match(noNode.stderr, /node is not on PATH/);
    });
});

describe("dns: gateway address", () => {
    it("reads the first load-balancer ingress IP", () => {
        assert.equal(
            gatewayIpFromService({ loadBalancer: { ingress: [{ ip: "198.51.100.7" }, { ip: "198.51.100.8" }] } }, "kube-system/gw"),
            "198.51.100.7",
        );
    });

    it("fails naming the Service when it has no address", () => {
        for (const status of [
            undefined,
            {},
            { loadBalancer: {} },
            { loadBalancer: { ingress: [] } },
            { loadBalancer: { ingress: [{}] } },
        ]) {
            assert.throws(
                () => gatewayIpFromService(status, "kube-system/cilium-gateway-platform"),
                /Service kube-system\/cilium-gateway-platform has no load-balancer IP/,
            );
        }
    });
});

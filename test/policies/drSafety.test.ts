import { strict as assert } from "assert";
import { apiFirewallNotWorldOpen, isWorldCidr, portCovers } from "../../policies/dr-safety/apiFirewallNotWorldOpen";
import { backupsProtected } from "../../policies/dr-safety/backupsProtected";
import { secretsStaySecret } from "../../policies/dr-safety/secretsStaySecret";
import { BACKUP_HOLDER_TYPES, FIREWALL_TYPE, SECRET_BEARING_TYPES } from "../../policies/support/types";
import { loadScript } from "../../components/scripts";
import { UNKNOWN, runResourcePolicy, secret } from "./harness";

describe("policies: backups-protected", () => {
    for (const type of Object.values(BACKUP_HOLDER_TYPES)) {
        it(`${type} must be protected`, async () => {
            const unprotected = await runResourcePolicy(backupsProtected, { type, name: "backups" });
            assert.equal(unprotected.violations.length, 1);
            assert.match(
                unprotected.violations[0].message,
                /^backups is .* but it is not protected.*Fix: set the resource option protect: true/,
            );
            assert.deepEqual(
                (await runResourcePolicy(backupsProtected, { type, name: "backups", opts: { protect: true } })).violations,
                [],
            );
        });
    }

    it("says that retainOnDelete alone cannot count: the engine does not pass it to policies", async () => {
        // PolicyResourceOptions has no retainOnDelete field; a resource kept only by it looks unprotected.
        const outcome = await runResourcePolicy(backupsProtected, { type: BACKUP_HOLDER_TYPES.r2Bucket, name: "velero" });
        assert.match(
            outcome.violations[0].message,
            /retainOnDelete: true alone is not enough for this policy: policies cannot see retainOnDelete/,
        );
    });

    it("is not applicable to other resources", async () => {
        const outcome = await runResourcePolicy(backupsProtected, { type: "hcloud:index/server:Server", name: "node" });
        assert.deepEqual(outcome.notApplicable, ["applies to resources that hold backups only"]);
    });
});

describe("policies: secrets-stay-secret", () => {
    for (const name of ["prod-bootstrap-kubeconfig", "prod-talos-secrets-talosconfig", "prod-cluster-secrets"]) {
        it(`a command named ${name} marks stdout secret`, async () => {
            const resource = { type: SECRET_BEARING_TYPES.command, name, props: { create: "talosctl ...", stdout: "apiVersion: v1" } };
            const plain = await runResourcePolicy(secretsStaySecret, resource);
            assert.equal(plain.violations.length, 1);
            assert.match(
                plain.violations[0].message,
                /stdout carries a .* document but is not marked secret.*Fix: add additionalSecretOutputs: \["stdout"\]/,
            );
            assert.deepEqual(
                (await runResourcePolicy(secretsStaySecret, { ...resource, opts: { additionalSecretOutputs: ["stdout"] } })).violations,
                [],
            );
        });
    }

    for (const [name, carries] of [
        ["prod-talos-secrets-bundle", "a Talos secrets bundle document"],
        ["prod-control-plane-1-config", "a Talos machine config document"],
        ["prod-worker-3-config", "a Talos machine config document"],
    ]) {
        it(`a command named ${name} (as components/cluster names it) marks stdout secret: it prints ${carries}`, async () => {
            const resource = { type: SECRET_BEARING_TYPES.command, name, props: { create: "talosctl gen ..." } };
            const plain = await runResourcePolicy(secretsStaySecret, resource);
            assert.deepEqual(
                plain.violations.map((v) => v.message),
                [
                    `${name}'s stdout carries ${carries} but is not marked secret, so it would be stored in plain text in the state ` +
                        'and shown in logs. Fix: add additionalSecretOutputs: ["stdout"] to its resource options.',
                ],
            );
            assert.deepEqual(
                (await runResourcePolicy(secretsStaySecret, { ...resource, opts: { additionalSecretOutputs: ["stdout"] } })).violations,
                [],
            );
        });
    }

    it("commands that end in -config but print a status line (-apply-config, -vault-config) are exempt; the exemptions are configurable", async () => {
        for (const name of ["prod-control-plane-1-apply-config", "openbao-vault-config"]) {
            const outcome = await runResourcePolicy(secretsStaySecret, { type: SECRET_BEARING_TYPES.command, name });
            assert.deepEqual(outcome.violations, []);
            assert.match(
                outcome.notApplicable[0],
                new RegExp(`^${name} ends in -(apply|vault)-config, listed in plainCommandNameSuffixes as printing no credential$`),
            );
        }
        const apply = { type: SECRET_BEARING_TYPES.command, name: "prod-worker-1-apply-config" };
        assert.equal((await runResourcePolicy(secretsStaySecret, apply, { plainCommandNameSuffixes: [] })).violations.length, 1);
    });

    it("a value that is secret on the wire does not count: the option is what policies can see", async () => {
        const outcome = await runResourcePolicy(secretsStaySecret, {
            type: SECRET_BEARING_TYPES.command,
            name: "x-kubeconfig",
            props: { stdout: secret("kubeconfig") },
        });
        assert.equal(outcome.violations.length, 1);
    });

    it("a Cloudflare API token marks value secret (the SDK adds it; the policy keeps it that way)", async () => {
        const token = { type: SECRET_BEARING_TYPES.apiToken, name: "velero-r2" };
        assert.match(
            (await runResourcePolicy(secretsStaySecret, token)).violations[0].message,
            /velero-r2's value carries a Cloudflare API token/,
        );
        assert.deepEqual(
            (await runResourcePolicy(secretsStaySecret, { ...token, opts: { additionalSecretOutputs: ["value"] } })).violations,
            [],
        );
    });

    it("a renamed command whose script declares secret stdout is still checked, whatever its name, exemptions included", async () => {
        const script = loadScript("talos/kubeconfig.sh");
        for (const name of ["prod-bootstrap-admin-access", "prod-control-plane-1-apply-config"]) {
            const renamed = { type: SECRET_BEARING_TYPES.command, name, props: { create: script } };
            const outcome = await runResourcePolicy(secretsStaySecret, renamed);
            assert.deepEqual(
                outcome.violations.map((v) => v.message),
                [
                    `${name}'s stdout carries the admin kubeconfig (its script says "# Stdout: secret") but is not marked secret, so it ` +
                        'would be stored in plain text in the state and shown in logs. Fix: add additionalSecretOutputs: ["stdout"] to its resource options.',
                ],
            );
            assert.deepEqual(
                (await runResourcePolicy(secretsStaySecret, { ...renamed, opts: { additionalSecretOutputs: ["stdout"] } })).violations,
                [],
            );
        }
        // A status-line script under a credential-like name is still judged by the name net.
        const status = { type: SECRET_BEARING_TYPES.command, name: "x-kubeconfig", props: { create: loadScript("kube/wait-api.sh") } };
        assert.equal((await runResourcePolicy(secretsStaySecret, status)).violations.length, 1);
    });

    it("other commands are not its business; the name endings are configurable", async () => {
        const etcd = { type: SECRET_BEARING_TYPES.command, name: "prod-bootstrap-etcd" };
        assert.equal((await runResourcePolicy(secretsStaySecret, etcd)).notApplicable.length, 1);
        assert.equal((await runResourcePolicy(secretsStaySecret, etcd, { commandNameSuffixes: ["-etcd"] })).violations.length, 1);
    });
});

describe("policies: api-firewall-not-world-open", () => {
    const rule = (port: string | undefined, sourceIps: unknown[], extra: Record<string, unknown> = {}) => ({
        direction: "in",
        protocol: "tcp",
        port,
        sourceIps,
        ...extra,
    });
    const firewall = (rules: unknown[], labels: Record<string, string> = { cluster: "prod" }) => ({
        type: FIREWALL_TYPE,
        name: "prod-hetzner-firewall",
        props: { name: "prod-firewall", labels, rules },
    });

    it("flags 6443 and 50000 open to 0.0.0.0/0 or ::/0, naming rule, port and source", async () => {
        const outcome = await runResourcePolicy(
            apiFirewallNotWorldOpen,
            firewall([
                rule("6443", ["0.0.0.0/0"], { description: "Kubernetes API" }),
                rule("50000", ["203.0.113.0/24", "::/0"]),
                rule(undefined, ["1.2.3.4/32"], { protocol: "icmp" }),
            ]),
        );
        assert.deepEqual(
            outcome.violations.map((v) => v.message.split(". Fix")[0]),
            [
                'prod-hetzner-firewall rule 0 ("Kubernetes API") allows inbound TCP 6443 (the Kubernetes API) from 0.0.0.0/0',
                "prod-hetzner-firewall rule 1 allows inbound TCP 50000 (Talos apid) from ::/0",
            ],
        );
        assert.match(outcome.violations[0].message, /open it through config, which labels the firewall world-open: "explicit"/);
    });

    it("counts 'any' and port ranges", async () => {
        const outcome = await runResourcePolicy(
            apiFirewallNotWorldOpen,
            firewall([rule("any", ["0.0.0.0/0"]), rule("6000-7000", ["0.0.0.0/0"])]),
        );
        assert.deepEqual(
            outcome.violations.map((v) => /TCP (.*) from/.exec(v.message)?.[1]),
            ["6443 (the Kubernetes API) and 50000 (Talos apid)", "6443 (the Kubernetes API)"],
        );
    });

    it("passes restricted sources, other ports, UDP and outbound rules", async () => {
        const outcome = await runResourcePolicy(
            apiFirewallNotWorldOpen,
            firewall([
                rule("6443", ["203.0.113.7/32", "2001:db8::/48"]),
                rule("443", ["0.0.0.0/0"]),
                rule("6443", ["0.0.0.0/0"], { protocol: "udp" }),
                rule("6443", [], { direction: "out", destinationIps: ["0.0.0.0/0"] }),
            ]),
        );
        assert.deepEqual(outcome.violations, []);
    });

    it("passes a world-open firewall that carries world-open: explicit", async () => {
        const outcome = await runResourcePolicy(
            apiFirewallNotWorldOpen,
            firewall([rule("6443", ["0.0.0.0/0", "::/0"])], { cluster: "prod", "world-open": "explicit" }),
        );
        assert.deepEqual(outcome.violations, []);
    });

    it("unknown source IPs during preview are an advisory", async () => {
        const outcome = await runResourcePolicy(apiFirewallNotWorldOpen, firewall([rule("6443", [UNKNOWN.string])]));
        assert.deepEqual(outcome.violations, []);
        assert.match(outcome.advisories[0], /string value at \.rules\.0\.sourceIps\.0 can't be known during preview/);
    });

    it("world CIDRs and port coverage", () => {
        assert.ok(isWorldCidr("0.0.0.0/0") && isWorldCidr("::/0") && isWorldCidr(" 10.0.0.0/0 ") && isWorldCidr("0:0:0:0:0:0:0:0/0"));
        assert.ok(!isWorldCidr("0.0.0.0/1") && !isWorldCidr("::/1") && !isWorldCidr("0.0.0.0"));
        assert.ok(
            portCovers("6443", 6443) &&
                portCovers(6443, 6443) &&
                portCovers("any", 1) &&
                portCovers("6443-6443", 6443) &&
                portCovers(undefined, 6443),
        );
        assert.ok(!portCovers("6444", 6443) && !portCovers("1-100", 6443) && !portCovers("http", 80));
    });
});

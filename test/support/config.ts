import * as path from "path";
import { RawConfig } from "../../config";
import { ConfigOverride } from "../../rehearsal/stackConfig";

/** A small patch directory in ksail's layout (test/cluster/fixtures/talos), standing in for the platform's. */
export const FIXTURE_TALOS_PATCH_DIR = path.resolve(__dirname, "../cluster/fixtures/talos");

/** Values of the variables the fixture patches use outside comments. */
export const FIXTURE_TALOS_VARIABLES = Object.freeze({
    REGISTRY_TOKEN: "regTok3n" + "x".repeat(24),
    LISTENER_KEY: "wgK3y" + "y".repeat(38) + "=",
});

/** A Hetzner token-shaped value; the tests only check that it never leaks. */
export const FAKE_HCLOUD_TOKEN = "h".repeat(32) + "T0k3n".repeat(6) + "zz";

/** An age-key-shaped value. */
export const FAKE_AGE_KEY = "AGE-SECRET-KEY-1" + "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L".repeat(2).slice(0, 58);

/** A Cloudflare-token-shaped value. */
const FAKE_CLOUDFLARE_TOKEN = "cF".repeat(20);

/** Cloudflare IDs the production stack must set (the reference values do not include them). */
const CLOUDFLARE_IDS = {
    cloudflareAccountId: "0123456789abcdef0123456789abcdef",
    cloudflareZoneId: "fedcba9876543210fedcba9876543210",
} as const;

/**
 * A complete, valid RawConfig matching the production stack. Tests override single keys
 * (`{ ...validProdRaw().values, controlPlaneCount: "2" }`) to exercise one problem at a time.
 */
export function validProdRaw(overrides: Record<string, unknown> = {}, extraSecretKeys: string[] = []): RawConfig {
    const values: Record<string, unknown> = {
        clusterName: "prod",
        talosVersion: "v1.13.8",
        kubernetesVersion: "v1.36.3",
        location: "fsn1",
        controlPlaneServerType: "cx33",
        controlPlaneCount: "3",
        workerServerType: "cx43",
        workerCount: "3",
        serverLimit: "10",
        networkCidr: "10.0.0.0/16",
        nodeSubnetCidr: "10.0.1.0/24",
        podCidr: "10.244.0.0/16",
        firewallOpenToWorld: "true",
        apiEndpoint: "floating-ip",
        talosBoot: "iso",
        talosIsoId: "125127",
        domain: "platform.devantler.tech",
        ...CLOUDFLARE_IDS,
        "hcloud:token": FAKE_HCLOUD_TOKEN,
        "cloudflare:apiToken": FAKE_CLOUDFLARE_TOKEN,
        sopsAgeKey: FAKE_AGE_KEY,
        talosPatchDir: FIXTURE_TALOS_PATCH_DIR,
        talosPatchVariables: { ...FIXTURE_TALOS_VARIABLES },
        ...overrides,
    };
    for (const [k, v] of Object.entries(values)) {
        if (v === undefined) {
            delete values[k];
        }
    }
    return {
        values,
        secretKeys: new Set(["hcloud:token", "cloudflare:apiToken", "sopsAgeKey", "talosPatchVariables", ...extraSecretKeys]),
    };
}

/** `--set`/`--set-secret` overrides that point a simulated real run (placeholders: false) at the fixture patches. */
export const FIXTURE_TALOS_OVERRIDES = Object.freeze([
    { path: "talosPatchDir", value: FIXTURE_TALOS_PATCH_DIR, secret: false },
    ...Object.entries(FIXTURE_TALOS_VARIABLES).map(([name, value]) => ({ path: `talosPatchVariables.${name}`, value, secret: true })),
]);

/** IDs and credentials of the off-cluster parts (Cloudflare, GitHub) in the wiring tests. */
export const ACCOUNT = "0123456789abcdef0123456789abcdef";
const ZONE = "fedcba9876543210fedcba9876543210";
export const CF_TOKEN = "cfTok3n-" + "q".repeat(32);
export const GH_TOKEN = "ghp_" + "R".repeat(36);

/** Overrides that turn on every off-cluster part. */
export function offClusterOverrides(extra: ConfigOverride[] = []): ConfigOverride[] {
    return [
        { path: "cloudflareAccountId", value: ACCOUNT, secret: false },
        { path: "cloudflareZoneId", value: ZONE, secret: false },
        { path: "cloudflare:apiToken", value: CF_TOKEN, secret: true },
        { path: "github:token", value: GH_TOKEN, secret: true },
        ...extra,
    ];
}

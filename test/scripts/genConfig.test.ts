import { strict as assert } from "assert";
import { loadScript } from "../../components/scripts";
import { runWithFakes } from "../support/fakeBin";

const GEN_CONFIG = loadScript("talos/gen-config.sh");

/**
 * A fake talosctl: `gen config` logs every --config-patch file's content in order and writes the
 * --output file; `validate` logs its arguments and fails when the config holds FAIL_VALIDATE.
 */
const FAKE_TALOSCTL = `
case "$1 $2" in
  "gen config")
    out=""
    while [ $# -gt 0 ]; do
      case "$1" in
        --config-patch) fake_log PATCH "$(tr '\\n' '|' < "\${2#@}")"; shift ;;
        --output) out=$2; shift ;;
      esac
      shift
    done
    printf 'machine:\\n  type: worker\\n' > "$out"
    [ -n "\${FAIL_VALIDATE:-}" ] && printf '# FAIL_VALIDATE\\n' >> "$out"
    exit 0 ;;
  "validate --config")
    fake_log VALIDATE "$@"
    if grep -q FAIL_VALIDATE "$3"; then echo "1 error occurred: * HostnameConfig: 'auto' and 'hostname' cannot be set at the same time" >&2; exit 1; fi
    exit 0 ;;
esac
exit 2`;

const base = {
    TALOS_SECRETS: "cluster: {}",
    CLUSTER_NAME: "prod",
    CLUSTER_ENDPOINT: "https://198.51.100.7:6443",
    TALOS_VERSION: "v1.13.8",
    KUBERNETES_VERSION: "v1.36.3",
    INSTALL_IMAGE: "ghcr.io/siderolabs/installer:v1.13.8",
    OUTPUT_TYPE: "worker",
    NODE_NAME: "prod-worker-1",
};

describe("cluster: gen-config.sh (talosctl gen config, then talosctl validate)", () => {
    it("passes every patch file, in order, and validates the result in the node's mode before printing it", () => {
        const r = runWithFakes(GEN_CONFIG, {
            fakes: { talosctl: FAKE_TALOSCTL },
            env: {
                ...base,
                CONFIG_PATCH_COUNT: "3",
                CONFIG_PATCH_1: "# platform: cluster/a.yaml\nmachine: {}",
                CONFIG_PATCH_2: 'apiVersion: v1alpha1\nkind: HostnameConfig\nauto: "off"',
                CONFIG_PATCH_3: '{"machine":{"install":{"disk":"/dev/sda"}}}',
                VALIDATE_MODE: "metal",
            },
        });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(
            r.fields("PATCH").map((f) => f[0]),
            [
                "# platform: cluster/a.yaml|machine: {}",
                'apiVersion: v1alpha1|kind: HostnameConfig|auto: "off"',
                '{"machine":{"install":{"disk":"/dev/sda"}}}',
            ],
        );
        const [validate] = r.fields("VALIDATE");
        assert.deepEqual([validate[0], validate[1], validate[3], validate[4]], ["validate", "--config", "--mode", "metal"]);
        assert.match(r.stdout, /type: worker/);
    });

    it("refuses a config talosctl validate rejects: nothing printed, the node and talosctl's reason named", () => {
        const r = runWithFakes(GEN_CONFIG, {
            fakes: { talosctl: FAKE_TALOSCTL },
            env: { ...base, CONFIG_PATCH_COUNT: "0", VALIDATE_MODE: "cloud", FAIL_VALIDATE: "1" },
        });
        assert.equal(r.status, 1);
        assert.equal(r.stdout, "");
        assert.match(
            r.stderr,
            /prod-worker-1 is not valid for Talos v1\.13\.8 \(cloud mode\), so it is not applied: .*'auto' and 'hostname' cannot be set/,
        );
    });

    it("the talosconfig is neither patched nor validated", () => {
        const r = runWithFakes(GEN_CONFIG, { fakes: { talosctl: FAKE_TALOSCTL }, env: { ...base, OUTPUT_TYPE: "talosconfig" } });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.fields("PATCH").length + r.fields("VALIDATE").length, 0);
    });

    it("a missing patch variable is an error, never a silently shorter list", () => {
        const r = runWithFakes(GEN_CONFIG, {
            fakes: { talosctl: FAKE_TALOSCTL },
            env: { ...base, CONFIG_PATCH_COUNT: "2", CONFIG_PATCH_1: "machine: {}" },
        });
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /CONFIG_PATCH_2 is not set/);
    });
});

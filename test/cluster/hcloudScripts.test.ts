import { strict as assert } from "assert";
import { TALOS_SNAPSHOT_SCRIPT, VALIDATE_AUTOSCALED_SCRIPT } from "../../components/cluster/clusterAutoscaler";
import { runWithFakes } from "../support/fakeBin";
import { TEARDOWN_ARMED_SCRIPT, TEARDOWN_SCRIPT } from "../../components/cluster/hetznerTeardown";
import { FAKE_API_TOKEN, FakeHetznerState, FakeApiRun, FakeServer, emptyState, runAgainstFakeHetzner } from "../support/fakeHetzner";

const NETWORK = 4711;
const teardownEnv = {
    CLUSTER_NAME: "prod",
    NETWORK_ID: String(NETWORK),
    NETWORK_NAME: "prod-network",
    KEEP_LOAD_BALANCERS: "prod-api-lb",
    DELETE_SNAPSHOTS: "false",
    TIMEOUT_SECONDS: "30",
};

function autoscaled(id: number, name: string, pool: string, network = NETWORK): FakeServer {
    return { id, name, labels: { "hcloud/node-group": pool }, private_net: [{ network, ip: `10.0.1.${id % 200}` }] };
}

/** Servers and load balancers of a live prod cluster (a pool that is gone, another cluster's node, our own API LB). */
function liveCluster(): FakeHetznerState {
    return emptyState({
        servers: [
            autoscaled(11, "autoscale-cx43-6f1a2b3c", "autoscale-cx43"),
            autoscaled(12, "autoscale-cx53-1d2e3f4a", "autoscale-cx53"),
            // The cx33 pool was removed from config (platform#3178): its node is still there.
            autoscaled(13, "autoscale-cx33-77aa88bb", "autoscale-cx33"),
            autoscaled(14, "staging-pool-0a0b0c0d", "staging-pool", 999),
            // A static node: Pulumi's own, no node-group label.
            {
                id: 21,
                name: "prod-worker-1",
                labels: { cluster: "prod", role: "worker" },
                private_net: [{ network: NETWORK, ip: "10.0.1.101" }],
            },
        ],
        load_balancers: [
            {
                id: 31,
                name: "a1b2c3d4e5",
                labels: { "hcloud-ccm/service-uid": "uid-1" },
                private_net: [{ network: NETWORK, ip: "10.0.1.200" }],
            },
            { id: 32, name: "prod-api-lb", labels: { cluster: "prod" }, private_net: [{ network: NETWORK, ip: "10.0.1.5" }] },
            { id: 33, name: "f6e5d4c3b2", labels: { "hcloud-ccm/service-uid": "uid-2" }, private_net: [] },
        ],
        images: [
            {
                id: 41,
                type: "snapshot",
                description: "talos v1.13.8 88d1f7a5 (prod autoscaled nodes)",
                labels: { "ksail.io/cluster": "prod" },
                architecture: "x86",
            },
        ],
    });
}

describe("cluster: Hetzner teardown on pulumi destroy (fake Hetzner API)", () => {
    // One teardown of a live cluster, shared by the assertions about what it deletes and leaves.
    let live: FakeApiRun;
    before(() => {
        const state = liveCluster();
        // The autoscaler, had it not been stopped in time, scales up while the first pass deletes.
        state.appear = { after: "DELETE /servers/12", server: autoscaled(15, "autoscale-cx43-99ee88dd", "autoscale-cx43") };
        live = runAgainstFakeHetzner(
            TEARDOWN_SCRIPT,
            state,
            { ...teardownEnv, KUBECONFIG_CONTENT: "apiVersion: v1" },
            {
                kubectl: 'fake_log KUBECTL "$@"',
            },
        );
    });

    it("first scales the Cluster Autoscaler and the cloud controller to zero, and sweeps again until a pass finds nothing", () => {
        const r = live;
        assert.equal(r.status, 0, r.stderr);
        const scaled = r.lines
            .filter((l) => l.startsWith("KUBECTL"))
            .map((l) => l.split("\t").find((f) => f.startsWith("app.kubernetes.io/instance=")));
        assert.deepEqual(scaled, [
            "app.kubernetes.io/instance=cluster-autoscaler",
            "app.kubernetes.io/instance=hcloud-cloud-controller-manager",
        ]);
        assert.ok(
            r.lines.findIndex((l) => l.startsWith("KUBECTL")) < r.lines.findIndex((l) => l.startsWith("CURL")),
            "before any API call",
        );
        assert.ok(
            r.lines.every((l) => !l.includes("apiVersion: v1")),
            "the kubeconfig is a file, never an argument",
        );
        assert.match(r.stdout, /scaled cluster-autoscaler to zero/);
        assert.match(r.stdout, /deleted autoscaled server autoscale-cx43-99ee88dd\n/, "the server that appeared meanwhile");
        assert.equal(r.state.calls.filter((c) => c.startsWith("GET /servers")).length, 3, "passes until one finds nothing");
    });

    it("nothing to delete: says so and succeeds", () => {
        const r = runAgainstFakeHetzner(TEARDOWN_SCRIPT, emptyState(), teardownEnv);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /teardown of cluster prod done/);
        assert.ok(!r.state.calls.some((c) => c.startsWith("DELETE")), r.state.calls.join("\n"));
    });

    it("deletes this network's autoscaled servers, also of a pool that is gone, and the cloud controller's load balancer, each by name", () => {
        const r = live;
        assert.equal(r.status, 0, r.stderr);
        for (const name of ["autoscale-cx43-6f1a2b3c", "autoscale-cx53-1d2e3f4a", "autoscale-cx33-77aa88bb"]) {
            assert.match(r.stdout, new RegExp(`deleted autoscaled server ${name}\\n`));
        }
        assert.match(r.stdout, /deleted load balancer a1b2c3d4e5\n/);
        assert.deepEqual(
            r.state.servers.map((s) => s.name),
            ["staging-pool-0a0b0c0d", "prod-worker-1"],
            "another network's node and the static node stay",
        );
        assert.deepEqual(
            r.state.load_balancers.map((l) => l.name),
            ["prod-api-lb", "f6e5d4c3b2"],
            "the stack's own API load balancer is Pulumi's to delete",
        );
        // Servers first, and each deletion of the pass confirmed (its action) before the load balancers go.
        const firstLb = r.state.calls.findIndex((c) => c.startsWith("DELETE /load_balancers"));
        const actions = r.state.calls.flatMap((c, i) => (c.startsWith("GET /actions") ? [i] : []));
        assert.ok(actions.length >= 3 && actions[2] < firstLb, r.state.calls.join("\n"));
    });

    it("leaves a load balancer not attached to the network and reports it with the command to delete it", () => {
        const r = live;
        assert.equal(r.status, 0, r.stderr);
        assert.match(
            r.stdout,
            /left load balancer f6e5d4c3b2: it is not attached to network prod-network.*hcloud load-balancer delete f6e5d4c3b2/,
        );
    });

    it("keeps snapshots unless told, and says how to remove them; sends the token only on stdin, never on curl's command line", () => {
        assert.match(
            live.stdout,
            /kept snapshot 41 \(talos v1\.13\.8 88d1f7a5 \(prod autoscaled nodes\)\): delete it with: hcloud image delete 41/,
        );
        assert.equal(live.state.images.length, 1);
        assert.ok(!live.state.calls.some((c) => c.includes(FAKE_API_TOKEN)));
    });

    it("an API error mid-way stops, names what is left and how to finish by hand; a second destroy finishes the job", () => {
        const state = liveCluster();
        state.failures.push({ method: "DELETE", path: "^/servers/12$", status: 503, times: 1 });
        const first = runAgainstFakeHetzner(TEARDOWN_SCRIPT, state, teardownEnv);
        assert.equal(first.status, 1);
        assert.match(first.stdout, /deleting autoscaled server autoscale-cx43-6f1a2b3c/);
        assert.match(first.stderr, /Hetzner API DELETE \/servers\/12 answered HTTP 503: service_error: injected failure/);
        assert.match(
            first.stderr,
            /teardown of cluster prod stopped: deleting autoscaled server autoscale-cx53-1d2e3f4a \(pool autoscale-cx53\) failed/,
        );
        assert.match(first.stderr, /server autoscale-cx53-1d2e3f4a: hcloud server delete autoscale-cx53-1d2e3f4a/);
        assert.match(first.stderr, /server autoscale-cx33-77aa88bb: hcloud server delete autoscale-cx33-77aa88bb/);
        assert.match(first.stderr, /load balancer a1b2c3d4e5: hcloud load-balancer delete a1b2c3d4e5/);
        assert.match(first.stderr, /run pulumi destroy again/);
        assert.ok(
            first.state.load_balancers.some((l) => l.name === "a1b2c3d4e5"),
            "stopped before the load balancers",
        );

        // The step stayed in state (its delete failed), so the next destroy runs it again.
        const second = runAgainstFakeHetzner(TEARDOWN_SCRIPT, { ...first.state, calls: [] }, teardownEnv);
        assert.equal(second.status, 0, second.stderr);
        assert.match(second.stdout, /deleted autoscaled server autoscale-cx53-1d2e3f4a/);
        assert.match(second.stdout, /deleted autoscaled server autoscale-cx33-77aa88bb/);
        assert.match(second.stdout, /deleted load balancer a1b2c3d4e5/);
        assert.ok(!/autoscale-cx43-6f1a2b3c/.test(second.stdout), "what the first run deleted is not touched again");
        assert.deepEqual(
            second.state.servers.map((s) => s.name),
            ["staging-pool-0a0b0c0d", "prod-worker-1"],
        );
    });

    it("a server deletion that Hetzner reports failed stops the teardown before the network", () => {
        const state = liveCluster();
        state.failingActions.push({ method: "DELETE", path: "^/servers/13$" });
        const r = runAgainstFakeHetzner(TEARDOWN_SCRIPT, state, teardownEnv);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /deleting server autoscale-cx33-77aa88bb failed: action_failed: injected action failure/);
        assert.match(r.stderr, /server autoscale-cx33-77aa88bb: hcloud server delete autoscale-cx33-77aa88bb/);
    });

    it("lists every page; deletes the snapshots when told", () => {
        const state = liveCluster();
        state.perPage = 2;
        const r = runAgainstFakeHetzner(TEARDOWN_SCRIPT, state, { ...teardownEnv, DELETE_SNAPSHOTS: "true" });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /deleted autoscaled server autoscale-cx33-77aa88bb/);
        assert.match(r.stdout, /deleted load balancer a1b2c3d4e5/);
        assert.ok(
            ["servers", "load_balancers"].every((list) => r.state.calls.some((c) => c.startsWith(`GET /${list}`) && c.endsWith("page=2"))),
            r.state.calls.join("\n"),
        );
        assert.match(r.stdout, /deleted snapshot 41/);
        assert.equal(r.state.images.length, 0);
    });

    it("a wrong token fails at the first call, saying what failed", () => {
        const r = runAgainstFakeHetzner(TEARDOWN_SCRIPT, liveCluster(), { ...teardownEnv, HCLOUD_TOKEN: "wrong" });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /HTTP 401: unauthorized/);
        assert.match(r.stderr, /listing the autoscaled servers \(label hcloud\/node-group\) failed/);
    });

    it("its create step changes nothing", () => {
        const r = runAgainstFakeHetzner(TEARDOWN_ARMED_SCRIPT, liveCluster(), teardownEnv);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.state.calls, []);
    });
});

const snapshotEnv = {
    CLUSTER_NAME: "prod",
    TALOS_VERSION: "v1.13.8",
    SCHEMATIC_ID: "88d1f7a5c4f1d3aba7df787c448c1d3d008ed29cfb34af53fa0df4336a56040b",
    ARCH: "amd64",
    BUILDER_SERVER_TYPE: "cx23",
    LOCATION: "fsn1",
    TIMEOUT_SECONDS: "30",
};
const snapshotLabels = {
    "ksail.io/talos-version": "v1.13.8",
    "ksail.io/talos-schematic": snapshotEnv.SCHEMATIC_ID.slice(0, 63),
    "ksail.io/cluster": "prod",
};
/** ssh-keygen writes a key pair; ssh records what it ran and succeeds (or fails when told). */
const sshFakes = (sshBody = 'echo "$*" >> "$FAKE_DIR/ssh.log"') => ({
    "ssh-keygen":
        'while [ $# -gt 0 ]; do [ "$1" = -f ] && f=$2; shift; done; echo private > "$f"; echo "ssh-ed25519 AAAAfake prod" > "$f.pub"',
    ssh: sshBody,
});

describe("cluster: the Talos snapshot for autoscaled nodes (fake Hetzner API)", () => {
    it("finds an existing snapshot by its labels and builds nothing", () => {
        const state = emptyState({
            images: [{ id: 55, type: "snapshot", description: "talos", labels: snapshotLabels, architecture: "x86" }],
        });
        const r = runAgainstFakeHetzner(TALOS_SNAPSHOT_SCRIPT, state, snapshotEnv, sshFakes());
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, "55\n");
        assert.ok(!r.state.calls.some((c) => c.startsWith("POST")), r.state.calls.join("\n"));
        assert.ok(
            r.state.calls[0].includes(
                "label_selector=ksail.io%2Ftalos-version%3Dv1.13.8,ksail.io%2Ftalos-schematic%3D88d1f7a5c4f1d3aba7df787c448c1d3d008ed29cfb34af53fa0df4336a56040,ksail.io%2Fcluster%3Dprod",
            ),
            r.state.calls[0],
        );
    });

    it("a new Talos version does not match the old snapshot: deletes an earlier run's leftover, builds a new one, deletes the temporary server and key, keeps the old snapshot", () => {
        const state = emptyState({
            images: [
                {
                    id: 55,
                    type: "snapshot",
                    description: "old",
                    labels: { ...snapshotLabels, "ksail.io/talos-version": "v1.13.7" },
                    architecture: "x86",
                },
            ],
            // A killed earlier run left its server and key (fixed names).
            servers: [{ id: 77, name: "prod-talos-snapshot-builder", labels: {}, private_net: [] }],
            ssh_keys: [{ id: 78, name: "prod-talos-snapshot-builder" }],
        });
        const r = runAgainstFakeHetzner(TALOS_SNAPSHOT_SCRIPT, state, snapshotEnv, sshFakes());
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stderr, /deleted the temporary server prod-talos-snapshot-builder left by an earlier run/);
        assert.ok(r.state.calls.includes("DELETE /servers/77") && r.state.calls.includes("DELETE /ssh_keys/78"));
        const built = r.state.images.find((i) => i.id !== 55)!;
        assert.equal(r.stdout, `${built.id}\n`);
        assert.deepEqual(built.labels, snapshotLabels);
        assert.ok(
            r.state.images.some((i) => i.id === 55),
            "the old snapshot stays",
        );
        assert.deepEqual(r.state.servers, [], "the temporary server is deleted");
        assert.deepEqual(r.state.ssh_keys, [], "the temporary SSH key is deleted");
        assert.match(r.stderr, /deleted the temporary server prod-talos-snapshot-builder\n/);
        const posts = r.state.calls.filter((c) => c.startsWith("POST")).map((c) => c.replace(/\d+/g, "N"));
        assert.deepEqual(posts, [
            "POST /ssh_keys",
            "POST /servers",
            "POST /servers/N/actions/enable_rescue",
            "POST /servers/N/actions/poweron",
            "POST /servers/N/actions/poweroff",
            "POST /servers/N/actions/create_image",
        ]);
    });

    it("deletes the temporary server and key also when writing the image fails, and names what failed", () => {
        const r = runAgainstFakeHetzner(
            TALOS_SNAPSHOT_SCRIPT,
            emptyState(),
            snapshotEnv,
            sshFakes('case "$*" in *dev/sda*) echo "curl: (22) 404" >&2; exit 1;; esac'),
        );
        assert.equal(r.status, 1);
        assert.match(
            r.stderr,
            /building the Talos v1\.13\.8 snapshot .* failed: writing https:\/\/factory\.talos\.dev\/image\/88d1f7a5[0-9a-f]+\/v1\.13\.8\/hcloud-amd64\.raw\.xz to the disk/,
        );
        assert.deepEqual(r.state.servers, []);
        assert.deepEqual(r.state.ssh_keys, []);
        assert.equal(r.state.images.length, 0);
    });

    it("deletes the temporary SSH key when no server slot is free, naming Hetzner's refusal", () => {
        const limit = emptyState();
        limit.failures.push({ method: "POST", path: "^/servers$", status: 403, code: "resource_limit_exceeded" });
        const full = runAgainstFakeHetzner(TALOS_SNAPSHOT_SCRIPT, limit, snapshotEnv, sshFakes());
        assert.equal(full.status, 1);
        assert.match(full.stderr, /resource_limit_exceeded/);
        assert.match(full.stderr, /creating the temporary server \(is a server slot free/);
        assert.deepEqual(full.state.ssh_keys, [], "the key is deleted even though no server was made");
    });

    it("gives up at its deadline when the rescue system never answers SSH, and still deletes the server", () => {
        const r = runAgainstFakeHetzner(
            TALOS_SNAPSHOT_SCRIPT,
            emptyState(),
            { ...snapshotEnv, TIMEOUT_SECONDS: "0" },
            sshFakes("exit 255"),
        );
        assert.equal(r.status, 1);
        assert.match(r.stderr, /did not finish within 0s|did not answer SSH within 0s/);
        assert.deepEqual(r.state.servers, []);
    });
});

describe("cluster: the autoscaled nodes' machine config is checked by talosctl (fake talosctl)", () => {
    const env = { MACHINE_CONFIG: "version: v1alpha1\nmachine:\n  type: worker\n", POOL: "autoscale-cx43", TALOS_VERSION: "v1.13.8" };

    it("validates in cloud mode, from a file (never the config on the command line)", () => {
        const r = runWithFakes(VALIDATE_AUTOSCALED_SCRIPT, {
            env,
            fakes: { talosctl: 'fake_log TALOSCTL "$@"; grep -q "type: worker" "$3"' },
        });
        assert.equal(r.status, 0, r.stderr);
        const [args] = r.fields("TALOSCTL");
        assert.deepEqual([args[0], args[1], args[3], args[4]], ["validate", "--config", "--mode", "cloud"]);
        assert.match(r.stdout, /pool autoscale-cx43 is valid \(Talos v1\.13\.8, cloud mode\)/);
    });

    it("refuses an invalid config, naming the pool and talosctl's reason", () => {
        const r = runWithFakes(VALIDATE_AUTOSCALED_SCRIPT, {
            env,
            fakes: { talosctl: 'echo "1 error occurred: * invalid taint effect" >&2; exit 1' },
        });
        assert.equal(r.status, 1);
        assert.match(
            r.stderr,
            /autoscaled nodes of pool autoscale-cx43 is not valid for Talos v1\.13\.8 \(cloud mode\).*invalid taint effect/,
        );
    });
});

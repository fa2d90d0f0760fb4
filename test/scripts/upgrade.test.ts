import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { UPGRADE_KUBERNETES_SCRIPT, UPGRADE_NODE_SCRIPT } from "../../components/cluster/talosUpgrade";
import { loadScript } from "../../components/scripts";
import { FakeRun, runWithFakes } from "../support/fakeBin";

/**
 * A fake cluster in FAKE_DIR, driven by files the test writes:
 * - `version.<ip>`: the Talos version that node runs (no file: its Talos API does not answer);
 * - `after-upgrade.<ip>`: what it comes back with after `talosctl upgrade` (default: the image's
 *   tag; `never`: it stops answering);
 * - `etcd-status`: what `talosctl etcd status` prints (default: every control plane healthy);
 * - `kubelets`, `apiserver`: the Nodes' kubelet versions (`name=version `) and the API server's version;
 * - `ready.<node>`: the Node's Ready status (default True); `mark.<node>`: the program's annotation;
 * - `drain-fails`: `kubectl drain` times out; `workloads.yaml`: the live objects.
 */
const TALOSCTL = `nodes=""; cmd=""; image=""; to=""
while [ $# -gt 0 ]; do
  case "$1" in
    --talosconfig|--endpoints) shift 2 ;;
    --nodes) nodes=$2; shift 2 ;;
    --image) image=$2; shift 2 ;;
    --to) to=$2; shift 2 ;;
    *) cmd="$cmd $1"; shift ;;
  esac
done
fake_log TALOSCTL "$nodes" "\${cmd# }"
case "$cmd" in
  " version")
    [ -f "$FAKE_DIR/version.$nodes" ] || { echo "rpc error: code = Unavailable desc = connection refused" >&2; exit 1; }
    printf 'Client:\\n\\tTag:         v1.13.9\\nServer:\\n\\tNODE:        %s\\n\\tTag:         %s\\n' "$nodes" "$(cat "$FAKE_DIR/version.$nodes")" ;;
  " upgrade --wait=false")
    next=$(cat "$FAKE_DIR/after-upgrade.$nodes" 2>/dev/null || echo "\${image##*:}")
    if [ "$next" = never ]; then rm -f "$FAKE_DIR/version.$nodes"; else echo "$next" > "$FAKE_DIR/version.$nodes"; fi
    echo "$nodes upgrade started" ;;
  " etcd members")
    printf 'NODE ID HOSTNAME PEER-URLS CLIENT-URLS LEARNER\\n'
    i=0; for ip in $(cat "$FAKE_DIR/control-planes"); do i=$((i + 1)); printf '%s %s prod-control-plane-%s https://%s:2380 https://%s:2379 false\\n' "$nodes" "id$i" "$i" "$ip" "$ip"; done ;;
  " etcd status")
    if [ -f "$FAKE_DIR/etcd-status" ]; then cat "$FAKE_DIR/etcd-status"; exit 0; fi
    printf 'NODE MEMBER DB SIZE IN USE LEADER RAFT INDEX RAFT TERM RAFT APPLIED INDEX LEARNER ERRORS\\n'
    for ip in $(echo "$nodes" | tr ',' ' '); do printf '%s m-%s 17 MB 4.7 MB (27.62%%) m-1 53391 4 53391 false\\n' "$ip" "$ip"; done ;;
  " upgrade-k8s")
    echo "$to" > "$FAKE_DIR/apiserver"
    sed "s/=[^ ]*/=$to/g" "$FAKE_DIR/kubelets" > "$FAKE_DIR/kubelets.new" && mv "$FAKE_DIR/kubelets.new" "$FAKE_DIR/kubelets" ;;
  *) echo "fake talosctl: unexpected $cmd" >&2; exit 2 ;;
esac`;

const KUBECTL = `fake_log KUBECTL "$@"
case "$1 $2" in
  "get node")
    case "$5" in
      *annotations*) cat "$FAKE_DIR/mark.$3" 2>/dev/null || true ;;
      *Ready*) cat "$FAKE_DIR/ready.$3" 2>/dev/null || printf True ;;
    esac ;;
  "get nodes") cat "$FAKE_DIR/kubelets" ;;
  "get --raw") printf '{\\n  "major": "1",\\n  "gitVersion": "%s",\\n  "platform": "linux/amd64"\\n}\\n' "$(cat "$FAKE_DIR/apiserver")" ;;
  "get deployments.apps,statefulsets.apps,poddisruptionbudgets.policy,horizontalpodautoscalers.autoscaling") cat "$FAKE_DIR/workloads.yaml" ;;
  "annotate node")
    case "$4" in
      --overwrite) echo "\${5#*=}" > "$FAKE_DIR/mark.$3" ;;
      *-) rm -f "$FAKE_DIR/mark.$3" ;;
    esac ;;
  "cordon "*|"uncordon "*) ;;
  "drain "*)
    if [ -f "$FAKE_DIR/drain-fails" ]; then
      echo 'evicting pod apps/web-1'
      echo 'error when evicting pods/"web-1" -n "apps" (will retry after 5s): Cannot evict pod as it would violate the pod'"'"'s disruption budget.'
      echo 'There are pending pods in node "'"$2"'" when an error occurred: drain did not complete within 600s' >&2
      exit 1
    fi ;;
  *) echo "fake kubectl: unexpected $*" >&2; exit 2 ;;
esac`;

/** A checker stand-in for the tests that are not about the pre-flight: logs its arguments, finds nothing. */
const QUIET_CHECKER = `fake_log CHECKER "$@"; echo "Checked 2 Deployments, 0 StatefulSets, 1 PodDisruptionBudget and 0 HorizontalPodAutoscalers: no findings."`;

const IPS = { cp1: "203.0.113.11", cp2: "203.0.113.12", cp3: "203.0.113.13", w1: "203.0.113.101", w2: "203.0.113.102" };
const NODES = `prod-control-plane-1=${IPS.cp1} prod-control-plane-2=${IPS.cp2} prod-control-plane-3=${IPS.cp3} prod-worker-1=${IPS.w1} prod-worker-2=${IPS.w2}`;
const OLD = "v1.12.6";
const TARGET = "v1.13.9";
const IMAGE = `factory.talos.dev/installer/88d1f7a5c4f1d3aba7df787c448c1d3d008ed29cfb34af53fa0df4336a56040b:${TARGET}`;

const HEALTHY_WORKLOADS = `apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: { name: web, namespace: apps }
    spec:
      replicas: 2
      selector: { matchLabels: { app: web } }
      strategy: { type: RollingUpdate, rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } }
      template: { metadata: { labels: { app: web } } }
  - apiVersion: policy/v1
    kind: PodDisruptionBudget
    metadata: { name: web, namespace: apps }
    spec: { maxUnavailable: 1, selector: { matchLabels: { app: web } } }
    status: { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 }
`;

interface Cluster {
    /** Talos version per node IP (absent: does not answer). */
    readonly versions: Record<string, string>;
    /** Extra files in FAKE_DIR. */
    readonly files?: Record<string, string>;
}

/** Every node at OLD, workloads healthy, kubelets at v1.36.3. */
function cluster(overrides: Partial<Cluster> = {}): Cluster {
    return {
        versions: overrides.versions ?? Object.fromEntries(Object.values(IPS).map((ip) => [ip, OLD])),
        files: {
            kubelets: "prod-control-plane-1=v1.35.2 prod-worker-1=v1.35.2 prod-worker-2=v1.35.2 ",
            apiserver: "v1.35.2",
            "control-planes": `${IPS.cp1} ${IPS.cp2} ${IPS.cp3}`,
            "workloads.yaml": HEALTHY_WORKLOADS,
            ...overrides.files,
        },
    };
}

type Run = FakeRun & { state: Record<string, string> };

function runNode(state: Cluster, env: Record<string, string> = {}, fakes: Record<string, string> = { node: QUIET_CHECKER }): Run {
    return runWithFakes(
        UPGRADE_NODE_SCRIPT,
        {
            fakes: { talosctl: TALOSCTL, kubectl: KUBECTL, ...fakes },
            env: {
                NODE_NAME: "prod-worker-2",
                NODE_IP: IPS.w2,
                NODE_ROLE: "worker",
                TALOS_VERSION: TARGET,
                INSTALLER_IMAGE: IMAGE,
                NODES,
                CONTROL_PLANE_IPS: `${IPS.cp1} ${IPS.cp2} ${IPS.cp3}`,
                KUBERNETES_LOWEST: "1.31",
                DRAIN_TIMEOUT_SECONDS: "600",
                TIMEOUT_SECONDS: "0",
                PREFLIGHT: "enforce",
                TALOSCONFIG: "context: prod",
                KUBECONFIG_CONTENT: "apiVersion: v1\nkind: Config\n",
                ...env,
            },
            // The real checker needs node (and ts-node from the project) after the fakes.
            path: (dir) => `${dir}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
            timeoutMs: 30_000,
            setup: (dir) => writeCluster(dir, state),
        },
        readState,
    );
}

function writeCluster(dir: string, state: Cluster): void {
    for (const [ip, version] of Object.entries(state.versions)) {
        fs.writeFileSync(path.join(dir, `version.${ip}`), version);
    }
    for (const [name, text] of Object.entries(state.files ?? {})) {
        fs.writeFileSync(path.join(dir, name), text);
    }
}

/** The fake cluster's files after the run. */
function readState(dir: string): { state: Record<string, string> } {
    const state: Record<string, string> = {};
    for (const f of fs.readdirSync(dir)) {
        if (/^(version|mark|apiserver|kubelets)/.test(f)) {
            state[f] = fs.readFileSync(path.join(dir, f), "utf8").trim();
        }
    }
    return { state };
}

/** What the script did to the cluster, in order: cordon, drain, upgrade, uncordon, annotations. */
function actions(r: FakeRun): string[] {
    return r.lines
        .map((l) => l.split("\t"))
        .flatMap(([tag, ...args]) => {
            if (tag === "KUBECTL" && ["cordon", "uncordon", "drain"].includes(args[0])) {
                return [`${args[0]} ${args[1]}`];
            }
            if (tag === "KUBECTL" && args[0] === "annotate") {
                return [`annotate ${args[2]} ${args[3] === "--overwrite" ? args[4] : args[3]}`];
            }
            if (tag === "TALOSCTL" && args[1].startsWith("upgrade")) {
                return [`${args[1].split(" ")[0]} ${args[0]}`];
            }
            return [];
        });
}

const UPGRADED_WORKER_2 = [
    `annotate prod-worker-2 platform-dr/upgrade-to=${TARGET}`,
    "cordon prod-worker-2",
    "drain prod-worker-2",
    `upgrade ${IPS.w2}`,
    "uncordon prod-worker-2",
    "annotate prod-worker-2 platform-dr/upgrade-to-",
];

describe("scripts: the rolling upgrade's node step (talos/upgrade-node.sh)", () => {
    it("already upgraded: reads the node's version and touches nothing", () => {
        const r = runNode(cluster({ versions: { ...cluster().versions, [IPS.w2]: TARGET } }));
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /prod-worker-2 already runs Talos v1\.13\.9: nothing to do/);
        assert.deepEqual(actions(r), []);
        assert.deepEqual(r.fields("CHECKER"), [], "no pre-flight for a node at the target");
    });

    it("a mixed cluster (resume): the node at the target is skipped, the one behind is rolled in order", () => {
        const state = cluster({ versions: { ...cluster().versions, [IPS.w1]: TARGET } });
        const first = runNode(state, { NODE_NAME: "prod-worker-1", NODE_IP: IPS.w1 });
        assert.equal(first.status, 0, first.stderr);
        assert.deepEqual(actions(first), []);
        const second = runNode(state);
        assert.equal(second.status, 0, second.stderr);
        assert.deepEqual(actions(second), UPGRADED_WORKER_2);
        assert.equal(second.state[`version.${IPS.w2}`], TARGET);
        assert.equal(second.state["mark.prod-worker-2"], undefined, "the mark is removed with the uncordon");
        assert.match(second.stdout, /prod-worker-2 upgraded from Talos v1\.12\.6 to v1\.13\.9 and uncordoned/);
        // The drain respects PDBs (evictions, never --disable-eviction) within the configured timeout.
        const drain = second.fields("KUBECTL").find((a) => a[0] === "drain")!;
        assert.deepEqual(drain, ["drain", "prod-worker-2", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=600s"]);
        const checker = second.fields("CHECKER")[0];
        assert.deepEqual(checker.slice(0, 3), ["--require", "ts-node/register/transpile-only", "checker/cli.ts"]);
        assert.match(checker[3], /\/live\.yaml$/);
    });

    it("finishes a step an earlier run left cordoned (the node came back after that run stopped)", () => {
        const state = cluster({ versions: { ...cluster().versions, [IPS.w2]: TARGET }, files: { "mark.prod-worker-2": TARGET } });
        const r = runNode(state);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(actions(r), ["uncordon prod-worker-2", "annotate prod-worker-2 platform-dr/upgrade-to-"]);
    });

    it("a drain that times out: stops at that node, uncordons it, upgrades nothing", () => {
        const r = runNode(cluster({ files: { "drain-fails": "" } }));
        assert.equal(r.status, 1);
        assert.match(r.stderr, /draining prod-worker-2 did not finish within 600s \(upgradeDrainTimeoutSeconds\)/);
        assert.match(r.stderr, /violate the pod's disruption budget/);
        assert.deepEqual(actions(r), [
            `annotate prod-worker-2 platform-dr/upgrade-to=${TARGET}`,
            "cordon prod-worker-2",
            "drain prod-worker-2",
            "uncordon prod-worker-2",
            "annotate prod-worker-2 platform-dr/upgrade-to-",
        ]);
        assert.equal(r.state[`version.${IPS.w2}`], OLD);
    });

    it("a node that never comes back: fails naming it, leaves it cordoned and marked for the next run", () => {
        const r = runNode(cluster({ files: { [`after-upgrade.${IPS.w2}`]: "never" } }));
        assert.equal(r.status, 1);
        assert.match(
            r.stderr,
            /prod-worker-2 \(203\.0\.113\.102\) did not come back within 0s \(upgradeNodeTimeoutSeconds\): it Talos API does not answer/,
        );
        assert.match(r.stderr, /the roll resumes at this node/);
        assert.deepEqual(actions(r), UPGRADED_WORKER_2.slice(0, 4));
        assert.equal(r.state["mark.prod-worker-2"], TARGET);
    });

    it("a node Talos rolled back (it boots the old version again) is reported as such", () => {
        const r = runNode(cluster({ files: { [`after-upgrade.${IPS.w2}`]: OLD } }));
        assert.equal(r.status, 1);
        assert.match(r.stderr, /it reports Talos v1\.12\.6 \(a new version that fails to boot is rolled back by Talos\)/);
    });

    it("a downgrade is refused before anything is touched", () => {
        const r = runNode(cluster({ versions: { ...cluster().versions, [IPS.w2]: "v1.14.0" } }));
        assert.equal(r.status, 1);
        assert.match(r.stderr, /refusing to downgrade prod-worker-2 from Talos v1\.14\.0 to v1\.13\.9/);
        assert.deepEqual(actions(r), []);
        assert.ok(!r.lines.some((l) => l.startsWith("KUBECTL")), "not even a kubectl call");
    });

    it("another node past the target is a downgrade too, refused before this node is drained", () => {
        const r = runNode(cluster({ versions: { ...cluster().versions, [IPS.cp3]: "v1.13.10" } }));
        assert.equal(r.status, 1);
        assert.match(r.stderr, /refusing to downgrade: prod-control-plane-3 runs Talos v1\.13\.10, past talosVersion v1\.13\.9/);
        assert.deepEqual(actions(r), []);
    });

    it("a jump of more than one Talos minor is refused, naming the node that is behind (every node is read)", () => {
        const r = runNode(cluster({ versions: { ...cluster().versions, [IPS.cp2]: "v1.11.5" } }));
        assert.equal(r.status, 1);
        assert.match(r.stderr, /prod-control-plane-2 runs v1\.11\.5, more than one minor release behind/);
        assert.deepEqual(actions(r), []);
    });

    it("a node that does not answer stops the roll before this node is drained", () => {
        const versions = { ...cluster().versions };
        delete versions[IPS.w1];
        const r = runNode(cluster({ versions }));
        assert.equal(r.status, 1);
        assert.match(r.stderr, /cannot read the Talos version of prod-worker-1 \(203\.0\.113\.101\): .*connection refused/);
        assert.deepEqual(actions(r), []);
    });

    it("a kubelet older than the target Talos supports is refused (upgrade Kubernetes first)", () => {
        const r = runNode(cluster({ files: { kubelets: "prod-worker-1=v1.30.9 prod-worker-2=v1.31.0 " } }));
        assert.equal(r.status, 1);
        assert.match(r.stderr, /Node prod-worker-1 runs kubelet v1\.30\.9, and Talos v1\.13\.9 runs Kubernetes 1\.31 or later/);
        assert.deepEqual(actions(r), []);
    });

    const controlPlane = { NODE_NAME: "prod-control-plane-2", NODE_IP: IPS.cp2, NODE_ROLE: "control-plane" };

    it("a control plane while etcd is unhealthy: refused before the drain, naming the member", () => {
        const status = `NODE MEMBER DB SIZE IN USE LEADER RAFT INDEX RAFT TERM RAFT APPLIED INDEX LEARNER ERRORS
${IPS.cp1} m-1 17 MB 4.7 MB (27.62%) m-1 53391 4 53391 false
${IPS.cp2} m-2 17 MB 4.7 MB (27.62%) m-1 53391 4 53391 false
${IPS.cp3} m-3 17 MB 4.7 MB (27.62%) m-1 53391 4 53391 false etcdserver: no leader
`;
        const r = runNode(cluster({ files: { "etcd-status": status } }), controlPlane);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /not upgrading control plane prod-control-plane-2 while etcd is unhealthy: .*203\.0\.113\.13 .*no leader/);
        assert.deepEqual(actions(r), []);
    });

    it("a control plane while a member does not answer etcd status (talosctl warns, exits 0): refused", () => {
        const status = `NODE MEMBER DB SIZE IN USE LEADER RAFT INDEX RAFT TERM RAFT APPLIED INDEX LEARNER ERRORS
${IPS.cp1} m-1 17 MB 4.7 MB (27.62%) m-1 53391 4 53391 false
${IPS.cp2} m-2 17 MB 4.7 MB (27.62%) m-1 53391 4 53391 false
`;
        const r = runNode(cluster({ files: { "etcd-status": status } }), controlPlane);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /only 2 of 3 members answer 'talosctl etcd status'/);
        assert.deepEqual(actions(r), []);
    });

    it("a control plane while etcd misses a member: refused", () => {
        const r = runNode(cluster({ files: { "control-planes": `${IPS.cp1} ${IPS.cp3}` } }), controlPlane);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /etcd has 2 members, not 3 \(one per control plane\)/);
        assert.deepEqual(actions(r), []);
    });

    it("a control plane with etcd healthy: rolled, and done only once etcd is healthy again", () => {
        const r = runNode(cluster(), controlPlane);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(
            actions(r),
            UPGRADED_WORKER_2.map((a) => a.replace("prod-worker-2", "prod-control-plane-2").replace(IPS.w2, IPS.cp2)),
        );
        const statusCalls = r.fields("TALOSCTL").filter((a) => a[1] === "etcd status");
        assert.equal(statusCalls.length, 2, "etcd is checked before the drain and after the upgrade");
        assert.equal(statusCalls[0][0], `${IPS.cp1},${IPS.cp2},${IPS.cp3}`);
    });

    it("a replaced node (Scenario 1) gets time to answer, then is skipped at the target", () => {
        const state = cluster({ versions: { ...cluster().versions, [IPS.w2]: TARGET } });
        // Refuses twice (still installing), then answers.
        const talosctl = TALOSCTL.replace(
            '  " version")\n',
            `  " version")\n    [ "$nodes" != "${IPS.w2}" ] || [ "$(count v)" -gt 2 ] || { echo "connection refused" >&2; exit 1; }\n`,
        );
        const r = runNode(state, { TIMEOUT_SECONDS: "600" }, { node: QUIET_CHECKER, talosctl });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.fields("SLEEP").length, 2);
        assert.match(r.stdout, /already runs Talos v1\.13\.9/);
    });

    describe("pre-flight (the project's checker on the live objects)", () => {
        // The real checker costs a ts-node start (~1 s): one run, with one finding of each kind,
        // serves the tests about what it finds. apps/web has no PDB; apps/api's PDB allows no
        // disruption now (live status).
        const items = HEALTHY_WORKLOADS.slice(HEALTHY_WORKLOADS.indexOf("  - apiVersion"));
        const unsafe =
            HEALTHY_WORKLOADS.replace(/ {2}- apiVersion: policy\/v1[\s\S]*$/, "") +
            items
                .replace(/\bweb\b/g, "api")
                .replace("disruptionsAllowed: 1, currentHealthy: 2", "disruptionsAllowed: 0, currentHealthy: 1");
        let real: Run;
        before(() => {
            real = runNode(cluster({ files: { "workloads.yaml": unsafe } }), {}, {});
        });

        it("an error finding of the rule engine stops the roll before the first drain", () => {
            const r = real;
            assert.equal(r.status, 1, r.stdout);
            assert.match(r.stderr, /Deployment apps\/web .*\n\s+error\s+workload-has-pdb:/);
            assert.match(
                r.stderr,
                /pre-flight before draining prod-worker-2 found errors \(above\); nothing was changed.*upgradePreflight to warn/s,
            );
            assert.deepEqual(actions(r), []);
        });

        it("a PDB that allows no disruption now (live status) stops the roll before the first drain", () => {
            const r = real;
            assert.equal(r.status, 1, r.stdout);
            assert.match(
                r.stderr,
                /PodDisruptionBudget apps\/api .*\n\s+error\s+pdb-allows-disruption: .*status\.disruptionsAllowed 0, so a drain would block now/,
            );
            assert.deepEqual(actions(r), []);
        });

        it("upgradePreflight warn prints the findings and rolls on", () => {
            const findings = `fake_log CHECKER "$@"; echo "Deployment apps/web"; echo "  error   workload-has-pdb: no PDB"; echo "Checked 1 Deployment, 0 StatefulSets, 0 PodDisruptionBudgets and 0 HorizontalPodAutoscalers: 1 error and 0 warnings on 1 object."; exit 1`;
            const r = runNode(cluster(), { PREFLIGHT: "warn" }, { node: findings });
            assert.equal(r.status, 0, r.stderr);
            assert.match(
                r.stdout,
                /workload-has-pdb: no PDB[\s\S]*WARNING: the pre-flight found errors \(above\); upgradePreflight is warn/,
            );
            assert.deepEqual(actions(r), UPGRADED_WORKER_2);
        });

        it("a checker that cannot run stops the roll, whatever upgradePreflight says", () => {
            const broken = `echo "Error: Cannot find module 'ts-node/register/transpile-only'" >&2; exit 1`;
            const r = runNode(cluster(), { PREFLIGHT: "warn" }, { node: broken });
            assert.equal(r.status, 1);
            assert.match(r.stderr, /the pre-flight could not check the cluster: .*Cannot find module/);
            assert.deepEqual(actions(r), []);
        });
    });
});

function runKubernetes(state: Cluster, env: Record<string, string> = {}): Run {
    return runWithFakes(
        UPGRADE_KUBERNETES_SCRIPT,
        {
            fakes: { talosctl: TALOSCTL, kubectl: KUBECTL },
            env: {
                KUBERNETES_VERSION: "v1.36.3",
                TALOS_VERSION: TARGET,
                NODES,
                CONTROL_PLANE_IPS: `${IPS.cp1} ${IPS.cp2} ${IPS.cp3}`,
                TALOSCONFIG: "context: prod",
                KUBECONFIG_CONTENT: "apiVersion: v1\nkind: Config\n",
                ...env,
            },
            setup: (dir) => writeCluster(dir, state),
        },
        readState,
    );
}

describe("scripts: the rolling upgrade's Kubernetes step (talos/upgrade-kubernetes.sh)", () => {
    const allAtTarget = Object.fromEntries(Object.values(IPS).map((ip) => [ip, TARGET]));
    const upgradeCalls = (r: FakeRun) => r.fields("TALOSCTL").filter((a) => a[1] === "upgrade-k8s");

    it("runs upgrade-k8s once, through the first control plane, after every node runs the target Talos", () => {
        const r = runKubernetes(cluster({ versions: allAtTarget }));
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(upgradeCalls(r), [[IPS.cp1, "upgrade-k8s"]]);
        assert.ok(r.lines.includes(`TALOSCTL\t${IPS.cp1}\tupgrade-k8s`));
        assert.equal(r.state.apiserver, "v1.36.3");
        assert.match(r.stdout, /the cluster runs Kubernetes v1\.36\.3/);
    });

    it("waits for the node roll: a node not at the target Talos stops it", () => {
        const r = runKubernetes(cluster({ versions: { ...allAtTarget, [IPS.cp3]: OLD } }));
        assert.equal(r.status, 1);
        assert.match(r.stderr, /prod-control-plane-3 runs Talos v1\.12\.6, not v1\.13\.9: the node roll has not finished/);
        assert.deepEqual(upgradeCalls(r), []);
    });

    it("already at the target (API server and every kubelet): nothing to do", () => {
        const r = runKubernetes(
            cluster({ versions: allAtTarget, files: { apiserver: "v1.36.3", kubelets: "prod-worker-1=v1.36.3 prod-worker-2=v1.36.3 " } }),
        );
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /already runs Kubernetes v1\.36\.3/);
        assert.deepEqual(upgradeCalls(r), []);
    });

    it("a kubelet left behind by an interrupted upgrade-k8s runs it again", () => {
        const r = runKubernetes(
            cluster({ versions: allAtTarget, files: { apiserver: "v1.36.3", kubelets: "prod-worker-1=v1.36.3 prod-worker-2=v1.35.2 " } }),
        );
        assert.equal(r.status, 0, r.stderr);
        assert.equal(upgradeCalls(r).length, 1);
    });

    it("refuses a downgrade and a jump of more than one minor", () => {
        const down = runKubernetes(cluster({ versions: allAtTarget, files: { apiserver: "v1.36.4" } }));
        assert.equal(down.status, 1);
        assert.match(down.stderr, /refusing to downgrade Kubernetes from v1\.36\.4 to v1\.36\.3/);
        const jump = runKubernetes(cluster({ versions: allAtTarget, files: { apiserver: "v1.34.1" } }));
        assert.equal(jump.status, 1);
        assert.match(jump.stderr, /Kubernetes upgrades go one minor release at a time/);
        assert.deepEqual([...upgradeCalls(down), ...upgradeCalls(jump)], []);
    });
});

describe("scripts: Scenario 1, a lost control plane's etcd member (talos/etcd-member-cleanup.sh)", () => {
    const CLEANUP = loadScript("talos/etcd-member-cleanup.sh");
    // Peers list the members (the lost node's still among them); the new node's etcd is not running yet.
    const talosctl = `nodes=""; cmd=""
while [ $# -gt 0 ]; do case "$1" in --talosconfig|--endpoints) shift 2 ;; --nodes) nodes=$2; shift 2 ;; *) cmd="$cmd $1"; shift ;; esac; done
fake_log TALOSCTL "$nodes" "\${cmd# }"
case "$cmd" in
  " etcd members")
    [ -f "$FAKE_DIR/peers-up" ] || { echo "connection refused" >&2; exit 1; }
    printf 'NODE ID HOSTNAME PEER-URLS CLIENT-URLS LEARNER\\n%s 3b2d prod-control-plane-1 https://10.0.1.11:2380 https://10.0.1.11:2379 false\\n%s 9f41 prod-control-plane-2 https://10.0.1.12:2380 https://10.0.1.12:2379 false\\n' "$nodes" "$nodes" ;;
  " service etcd") cat "$FAKE_DIR/etcd-service" 2>/dev/null || { echo "service etcd not found" >&2; exit 1; } ;;
  " etcd remove-member "*) ;;
esac`;
    const run = (files: Record<string, string>) =>
        runWithFakes(CLEANUP, {
            fakes: { talosctl },
            env: { NODE_NAME: "prod-control-plane-2", NODE_IP: IPS.cp2, PEER_IPS: `${IPS.cp1} ${IPS.cp3}`, TALOSCONFIG: "context: prod" },
            setup: (dir) => Object.entries(files).forEach(([f, t]) => fs.writeFileSync(path.join(dir, f), t)),
        });

    it("removes the dead member of the same name through a peer that answers, before the new node joins", () => {
        const r = run({ "peers-up": "" });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.fields("TALOSCTL").at(-1), [IPS.cp1, "etcd remove-member 9f41"]);
        assert.match(r.stdout, /removed stale etcd member prod-control-plane-2 \(9f41\)/);
    });

    it("a first build (no peer answers) and a node whose etcd already runs: nothing removed", () => {
        const first = run({});
        assert.equal(first.status, 0, first.stderr);
        assert.match(first.stdout, /first build, nothing to clean up/);
        const running = run({ "peers-up": "", "etcd-service": "STATE Running\n" });
        assert.equal(running.status, 0, running.stderr);
        assert.match(running.stdout, /etcd already runs on prod-control-plane-2/);
        for (const r of [first, running]) {
            assert.ok(!r.fields("TALOSCTL").some((a) => a[1].startsWith("etcd remove-member")));
        }
    });
});

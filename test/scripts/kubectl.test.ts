import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadScript } from "../../components/scripts";
import { runWithFakes } from "../support/fakeBin";

const WAIT_READY_SCRIPT = loadScript("kube/wait-ready.sh");
const WAIT_PHASE_SCRIPT = loadScript("kube/wait-phase.sh");
const WAIT_FIELD_SCRIPT = loadScript("kube/wait-field.sh");
const SUSPEND_KUSTOMIZATIONS_SCRIPT = loadScript("flux/suspend-kustomizations.sh");
const RESUME_KUSTOMIZATIONS_SCRIPT = loadScript("flux/resume-kustomizations.sh");
const LATEST_BACKUP_SCRIPT = loadScript("velero/latest-backup.sh");
const RESTORE_SCRIPT = loadScript("velero/restore.sh");
const OPENBAO_SNAPSHOT_SCRIPT = loadScript("openbao/snapshot-restore.sh");
const SEED_OPENBAO_SCRIPT = loadScript("openbao/seed-secrets.sh");

/** An admin kubeconfig whose key must never reach a command line or the output. */
const KUBECONFIG_CONTENT =
    "apiVersion: v1\nkind: Config\nusers:\n  - name: admin@prod\n    user:\n      client-key-data: S3CRET-KUBE-KEY\n";
const ROOT_TOKEN = "s.R00tT0kenF4ke";
const ROOT_TOKEN_B64 = Buffer.from(ROOT_TOKEN).toString("base64");
const NOT_FOUND = (what: string) => `echo 'Error from server (NotFound): ${what} not found' >&2; exit 1`;

/** A stored OpenBao KV secret: key -> value. */
type Kv = Record<string, string>;

interface Options {
    /** KV secrets the fake OpenBao holds before the run, by path. */
    readonly store?: Record<string, Kv>;
    /** PATH to use instead of the fake directory's. */
    readonly path?: string;
}

/**
 * Runs a script with a fake `kubectl` (see test/support/fakeBin.ts) whose answers the test chooses
 * as `case "$*" in` arms, and which logs every call's arguments and the kubeconfig it was handed.
 * `kubectl exec ... -- <cmd>` runs <cmd> here, with a fake `bao` that keeps a KV store in files and
 * logs its arguments and VAULT_TOKEN, so the in-pod part of a script runs for real. `count <name>`
 * in an arm counts that arm's calls, for answers that change between polls.
 */
function run(script: string, arms: string, env: Record<string, string>, opts: Options = {}) {
    const kubectl = `fake_log CALL "$@"
# Both modes from one stat: this runs on every call.
modes=$(stat --printf '%A\\t' -- "$KUBECONFIG" "\${KUBECONFIG%/*}")
fake_log KUBECONFIG "$KUBECONFIG" "\${modes%?}"
cp "$KUBECONFIG" "$FAKE_DIR/kubeconfig.seen"
in_pod() { while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do shift; done; shift; "$@"; }
case "$*" in
${arms}
*) echo "fake kubectl: unexpected call: $*" >&2; exit 99 ;;
esac`;
    const bao = `fake_log BAO "$@"; fake_log BAOTOKEN "$VAULT_TOKEN"
case "$1" in
  status) printf 'Sealed          false\\n'; exit 0 ;;
  kv) ;;
  *) echo "fake bao: unexpected $*" >&2; exit 64 ;;
esac
[ "$VAULT_TOKEN" = "${ROOT_TOKEN}" ] || { echo "Code: 403. Errors: * permission denied" >&2; exit 2; }
if [ "$2" = get ] && [ -n "\${FAKE_BAO_GET_ERROR:-}" ]; then echo "$FAKE_BAO_GET_ERROR" >&2; exit 2; fi
secret="$FAKE_DIR/store/$(printf '%s' "$3" | tr / _)"
case "$2" in
  get) [ -d "$secret" ] || { echo "No value found at $3" >&2; exit 2; }; ls "$secret" ;;
  put|patch)
    key=\${4%=-}
    [ "$key=-" = "$4" ] || { echo "fake bao: value not read from stdin: $4" >&2; exit 64; }
    # Like bao, parse the data (reading stdin) before finding out that a patch has nothing to patch.
    cat > "$FAKE_DIR/value"
    if [ "$2" = patch ] && [ ! -d "$secret" ]; then echo "No value found at $3" >&2; exit 2; fi
    if [ "$2" = put ]; then rm -rf "$secret"; fi
    mkdir -p "$secret"; mv "$FAKE_DIR/value" "$secret/$key" ;;
  *) echo "fake bao: unexpected $*" >&2; exit 64 ;;
esac`;
    const setup = (dir: string) => {
        const store = path.join(dir, "store");
        fs.mkdirSync(store);
        for (const [p, kv] of Object.entries(opts.store ?? {})) {
            fs.mkdirSync(path.join(store, p.replace(/\//g, "_")));
            for (const [k, v] of Object.entries(kv)) {
                fs.writeFileSync(path.join(store, p.replace(/\//g, "_"), k), v);
            }
        }
    };
    const inspect = (dir: string) => {
        const store = path.join(dir, "store");
        const kept: Record<string, Kv> = {};
        for (const p of fs.readdirSync(store)) {
            kept[p.replace(/_/g, "/")] = Object.fromEntries(
                fs.readdirSync(path.join(store, p)).map((k) => [k, fs.readFileSync(path.join(store, p, k), "utf8")]),
            );
        }
        const read = (file: string) => (fs.existsSync(path.join(dir, file)) ? fs.readFileSync(path.join(dir, file), "utf8") : undefined);
        // What the fakes kept: the kubeconfig kubectl was handed, a manifest it was given on stdin.
        return { store: kept, seenKubeconfig: read("kubeconfig.seen"), manifest: read("manifest") };
    };
    const r = runWithFakes(
        script,
        { fakes: { kubectl, bao }, env: { KUBECONFIG_CONTENT, TIMEOUT_SECONDS: "0", ...env }, path: opts.path, setup },
        inspect,
    );
    return {
        ...r,
        calls: r.fields("CALL"),
        kubeconfigs: r.fields("KUBECONFIG").map(([file, mode, dirMode]) => ({ file, mode, dirMode })),
        bao: r.fields("BAO"),
        baoTokens: r.fields("BAOTOKEN").map(([t]) => t),
        sleeps: r.fields("SLEEP").map(([s]) => s),
        log: r.lines.join("\n"),
    };
}

/** The verbs (and first arguments) kubectl was called with, for order checks. */
const verbs = (calls: string[][]) =>
    calls.map((c) =>
        c
            .filter((a) => !a.startsWith("-") && a !== "openbao" && a !== "flux-system")
            .slice(0, 2)
            .join(" "),
    );

const KUSTOMIZATION = { KIND: "kustomizations.kustomize.toolkit.fluxcd.io", NAMESPACE: "flux-system", NAME: "apps" };
const READY_STATUS = `*'].status}')`;
const READY_MESSAGE = `*'].message}')`;
const STALLED = `*'"Stalled")].status}')`;

const RESTORE = { KIND: "restores.velero.io", NAMESPACE: "velero", NAME: "restore-daily-20240603" };
const ALLOW_PARTIAL = { ...RESTORE, ACCEPT: "Completed PartiallyFailed", FAIL: "Failed FailedValidation" };
const STRICT = { ...RESTORE, ACCEPT: "Completed", FAIL: "Failed FailedValidation PartiallyFailed" };
const PHASE = `*'jsonpath={.status.phase}')`;
const PHASE_ERRORS = `*'jsonpath={.status.failureReason}'*)`;

const GATEWAY = {
    KIND: "services",
    NAMESPACE: "kube-system",
    NAME: "cilium-gateway-platform",
    JSONPATH: "{.status.loadBalancer.ingress[0].ip}",
};
const GATEWAY_IP = "198.51.100.7";

const BACKUPS = `*'backups.velero.io'*)`;
const LATEST_BACKUP_JSONPATH =
    'jsonpath={range .items[?(@.status.phase=="Completed")]}{.metadata.name}{" "}{.status.startTimestamp}{"\\n"}{end}';

const VAULT_CONFIG = { KUSTOMIZATION: "infrastructure" };
const DELETE_JOB = `*'delete job vault-config'*) exit 0 ;;`;
const ANNOTATE = `*'annotate --overwrite kustomization'*) exit 0 ;;`;

const UNSEAL_SECRET = `*'get secret openbao-unseal'*)`;
const GIVES_TOKEN = `${UNSEAL_SECRET} printf '%s' '${ROOT_TOKEN_B64}' ;;`;
const EXEC = `*' exec '*) in_pod "$@" ;;`;

/** A passing fake and environment per script, for properties every script must have. */
const SCRIPTS: { name: string; script: string; arms: string; env: Record<string, string> }[] = [
    { name: "WAIT_READY", script: WAIT_READY_SCRIPT, arms: `${READY_STATUS} printf True ;;`, env: KUSTOMIZATION },
    { name: "WAIT_PHASE", script: WAIT_PHASE_SCRIPT, arms: `${PHASE} printf Completed ;;`, env: ALLOW_PARTIAL },
    { name: "WAIT_FIELD", script: WAIT_FIELD_SCRIPT, arms: `*) printf '${GATEWAY_IP}' ;;`, env: GATEWAY },
    {
        name: "LATEST_BACKUP",
        script: LATEST_BACKUP_SCRIPT,
        arms: `*'lastSyncedTime'*) printf now ;;\n*'get namespace'*) printf '2026-11-25T09:00:00Z' ;;\n${BACKUPS} printf 'daily-1 2026-11-24T02:17:00Z\\n' ;;`,
        env: { SCHEDULE: "velero-daily-full", CUTOFF_NAMESPACE: "velero" },
    },
    {
        name: "OPENBAO_SNAPSHOT",
        script: OPENBAO_SNAPSHOT_SCRIPT,
        arms: `*'--for=condition=complete'*) exit 0 ;;\n*'logs job/vault-config'*) printf 'Snapshot restored' ;;`,
        env: VAULT_CONFIG,
    },
    { name: "SUSPEND_KUSTOMIZATIONS", script: SUSPEND_KUSTOMIZATIONS_SCRIPT, arms: `*) exit 0 ;;`, env: { KUSTOMIZATIONS: "apps" } },
    { name: "RESUME_KUSTOMIZATIONS", script: RESUME_KUSTOMIZATIONS_SCRIPT, arms: `*) exit 0 ;;`, env: { KUSTOMIZATIONS: "apps" } },
    {
        name: "RESTORE",
        script: RESTORE_SCRIPT,
        arms: `*'create -f -'*) cat > /dev/null; exit 0 ;;\n${PHASE} printf Completed ;;\n*) exit 0 ;;`,
        env: { ...ALLOW_PARTIAL, BACKUP: "daily-20240603", NAME: "restore-daily-20240603", MANIFEST: "{}", REPORT: "" },
    },
    { name: "SEED_OPENBAO", script: SEED_OPENBAO_SCRIPT, arms: `${GIVES_TOKEN}\n${EXEC}`, env: { SEED_SECRETS: "secret/a k=v" } },
];

describe("waiters: kubectl scripts", () => {
    describe("every script", () => {
        for (const s of SCRIPTS) {
            it(`${s.name} exits 127 with a clear message when kubectl is missing`, () => {
                const r = run(s.script, "", s.env, { path: "/nonexistent" });
                assert.equal(r.status, 127);
                assert.match(r.stderr, /kubectl is not on PATH: install kubectl and re-run pulumi up/);
                assert.deepEqual(r.calls, []);
            });

            it(`${s.name} hands kubectl the kubeconfig as a private file in KUBECONFIG, never on its command line, and removes it`, () => {
                const r = run(s.script, s.arms, s.env);
                assert.equal(r.status, 0, r.stderr);
                assert.ok(r.calls.length > 0);
                assert.equal(r.seenKubeconfig, KUBECONFIG_CONTENT);
                for (const k of r.kubeconfigs) {
                    assert.equal(k.mode, "-rw-------", k.file);
                    assert.equal(k.dirMode, "drwx------", k.file);
                    assert.ok(!fs.existsSync(path.dirname(k.file)), `${path.dirname(k.file)} was left behind`);
                }
                assert.ok(!r.log.includes("S3CRET-KUBE-KEY"), "the kubeconfig reached a command line");
                assert.ok(!r.stdout.includes("S3CRET-KUBE-KEY") && !r.stderr.includes("S3CRET-KUBE-KEY"));
            });
        }

        for (const [signal, status] of [
            ["HUP", 129],
            ["INT", 130],
            ["TERM", 143],
        ] as const) {
            it(`removes the kubeconfig's directory when the script is interrupted (SIG${signal})`, () => {
                const r = run(WAIT_READY_SCRIPT, `*) kill -${signal} "$SCRIPT_PID"; exit 1 ;;`, {
                    ...KUSTOMIZATION,
                    TIMEOUT_SECONDS: "60",
                });
                assert.equal(r.status, status, r.stderr);
                assert.equal(r.kubeconfigs.length, 1);
                assert.ok(!fs.existsSync(path.dirname(r.kubeconfigs[0].file)), "the kubeconfig was left behind");
                assert.deepEqual(r.sleeps, []);
            });
        }

        it("removes the kubeconfig's directory when a script fails too", () => {
            const timedOut = run(
                WAIT_READY_SCRIPT,
                `${READY_STATUS} printf False ;;\n${READY_MESSAGE} printf 'reconciling' ;;`,
                KUSTOMIZATION,
            );
            const killedBySetE = run(
                RESUME_KUSTOMIZATIONS_SCRIPT,
                `*' patch '*) echo 'error: You must be logged in to the server (Unauthorized)' >&2; exit 1 ;;`,
                { KUSTOMIZATIONS: "apps" },
            );
            for (const r of [timedOut, killedBySetE]) {
                assert.equal(r.status, 1, r.stderr);
                assert.ok(r.kubeconfigs.length > 0);
                for (const k of r.kubeconfigs) {
                    assert.ok(!fs.existsSync(path.dirname(k.file)), `${path.dirname(k.file)} was left behind`);
                }
            }
            assert.match(killedBySetE.stderr, /Unauthorized/);
        });
    });

    describe("WAIT_READY", () => {
        it("succeeds when the object's Ready condition is True, asking for exactly that condition", () => {
            const r = run(WAIT_READY_SCRIPT, `${READY_STATUS} printf True ;;`, KUSTOMIZATION);
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout, "kustomizations.kustomize.toolkit.fluxcd.io flux-system/apps is Ready\n");
            assert.deepEqual(r.calls, [
                ["get", KUSTOMIZATION.KIND, "apps", "-n", "flux-system", "-o", 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'],
            ]);
            assert.deepEqual(r.sleeps, []);
        });

        it("polls again after a sleep while Ready is not yet True (and not Stalled)", () => {
            const r = run(
                WAIT_READY_SCRIPT,
                `${STALLED} printf False ;;\n${READY_STATUS} [ "$(count status)" -ge 2 ] && printf True || printf False ;;`,
                { ...KUSTOMIZATION, TIMEOUT_SECONDS: "60" },
            );
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.calls.filter((c) => c.at(-1)?.includes('"Ready")].status')).length, 2);
            assert.equal(r.calls.filter((c) => c.at(-1)?.includes('"Stalled")].status')).length, 1);
            assert.deepEqual(r.sleeps, ["10"]);
        });

        it("fails at once, with the Ready message, when the object is Stalled (Flux will not retry it)", () => {
            const r = run(
                WAIT_READY_SCRIPT,
                `${STALLED} printf True ;;\n${READY_STATUS} printf False ;;\n${READY_MESSAGE} printf 'invalid Kustomization: spec.path not found' ;;`,
                { ...KUSTOMIZATION, TIMEOUT_SECONDS: "600" },
            );
            assert.equal(r.status, 1);
            assert.equal(
                r.stderr,
                "kustomizations.kustomize.toolkit.fluxcd.io flux-system/apps is Stalled (it will not retry until its source or spec changes): invalid Kustomization: spec.path not found\n",
            );
            assert.deepEqual(r.sleeps, []);
        });

        it("times out with the object's own Ready message", () => {
            const r = run(
                WAIT_READY_SCRIPT,
                `${READY_STATUS} printf False ;;\n${READY_MESSAGE} printf 'kustomization path not found: stat /tmp/kustomization/apps/prod: no such file or directory' ;;`,
                KUSTOMIZATION,
            );
            assert.equal(r.status, 1);
            assert.equal(
                r.stderr,
                "kustomizations.kustomize.toolkit.fluxcd.io flux-system/apps is not Ready after 0s: kustomization path not found: stat /tmp/kustomization/apps/prod: no such file or directory\n",
            );
        });

        it("times out saying the object does not exist yet when the API server answers NotFound", () => {
            const r = run(WAIT_READY_SCRIPT, `*) ${NOT_FOUND('kustomizations.kustomize.toolkit.fluxcd.io "apps"')} ;;`, KUSTOMIZATION);
            assert.equal(r.status, 1);
            assert.equal(
                r.stderr,
                "kustomizations.kustomize.toolkit.fluxcd.io flux-system/apps is not Ready after 0s: it does not exist yet\n",
            );
        });

        it("times out saying the object has no Ready condition when it exists without one (not that it is missing)", () => {
            const r = run(WAIT_READY_SCRIPT, `*) exit 0 ;;`, KUSTOMIZATION);
            assert.equal(r.status, 1);
            assert.match(r.stderr, /is not Ready after 0s: it has no Ready condition yet\n$/);
        });

        it("times out naming the Ready status when the condition carries no message", () => {
            const r = run(WAIT_READY_SCRIPT, `${READY_STATUS} printf Unknown ;;\n${READY_MESSAGE} exit 0 ;;`, KUSTOMIZATION);
            assert.equal(r.status, 1);
            assert.match(r.stderr, /is not Ready after 0s: Ready is Unknown\n$/);
        });

        it("times out with kubectl's own error when the API server cannot be reached (not 'does not exist')", () => {
            const r = run(
                WAIT_READY_SCRIPT,
                `*) echo 'Unable to connect to the server: dial tcp 203.0.113.1:6443: i/o timeout' >&2; exit 1 ;;`,
                KUSTOMIZATION,
            );
            assert.equal(r.status, 1);
            assert.match(r.stderr, /is not Ready after 0s: Unable to connect to the server: dial tcp 203\.0\.113\.1:6443: i\/o timeout\n$/);
            assert.doesNotMatch(r.stderr, /does not exist/);
        });
    });

    describe("WAIT_PHASE", () => {
        it("succeeds on an accepted phase", () => {
            const r = run(WAIT_PHASE_SCRIPT, `${PHASE} printf Completed ;;`, STRICT);
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout, "restores.velero.io velero/restore-daily-20240603: Completed\n");
            assert.deepEqual(r.calls, [
                ["get", "restores.velero.io", "restore-daily-20240603", "-n", "velero", "-o", "jsonpath={.status.phase}"],
            ]);
        });

        for (const phase of ["Failed", "FailedValidation", "PartiallyFailed"]) {
            it(`fails at once on ${phase} (in FAIL) with the object's failure reason and errors, without sleeping`, () => {
                const r = run(
                    WAIT_PHASE_SCRIPT,
                    `${PHASE} printf '${phase}' ;;\n${PHASE_ERRORS} printf 'backup daily-20240603 not found [spec.backupName: not found] errors=3 warnings=1' ;;`,
                    { ...STRICT, TIMEOUT_SECONDS: "60" },
                );
                assert.equal(r.status, 1);
                assert.equal(
                    r.stderr,
                    `restores.velero.io velero/restore-daily-20240603 ended ${phase}: backup daily-20240603 not found [spec.backupName: not found] errors=3 warnings=1\n`,
                );
                assert.deepEqual(r.calls[1].slice(-1), [
                    "jsonpath={.status.failureReason} {.status.validationErrors} errors={.status.errors} warnings={.status.warnings}",
                ]);
                assert.deepEqual(r.sleeps, []);
            });
        }

        it("accepts PartiallyFailed when it is in ACCEPT", () => {
            const r = run(WAIT_PHASE_SCRIPT, `${PHASE} printf PartiallyFailed ;;`, ALLOW_PARTIAL);
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /: PartiallyFailed\n$/);
        });

        it("reports REPORT's fields after an accepted phase, in one line the program parses", () => {
            const report = "errors={.status.errors} warnings={.status.warnings}";
            const r = run(WAIT_PHASE_SCRIPT, `${PHASE} printf PartiallyFailed ;;\n*'jsonpath=errors='*) printf 'errors=2 warnings=41' ;;`, {
                ...ALLOW_PARTIAL,
                REPORT: report,
            });
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout, "restores.velero.io velero/restore-daily-20240603: PartiallyFailed (errors=2 warnings=41)\n");
            assert.deepEqual(r.calls[1].slice(-1), [`jsonpath=${report}`]);
        });

        it("still succeeds, without the report, when the report cannot be read", () => {
            const r = run(
                WAIT_PHASE_SCRIPT,
                `${PHASE} printf Completed ;;\n*'jsonpath=errors='*) echo 'error: connection refused' >&2; exit 1 ;;`,
                { ...ALLOW_PARTIAL, REPORT: "errors={.status.errors}" },
            );
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout, "restores.velero.io velero/restore-daily-20240603: Completed\n");
        });

        it("times out naming the phase it saw and the phases it wanted", () => {
            const r = run(WAIT_PHASE_SCRIPT, `${PHASE} printf InProgress ;;`, ALLOW_PARTIAL);
            assert.equal(r.status, 1);
            assert.equal(
                r.stderr,
                "restores.velero.io velero/restore-daily-20240603 did not reach Completed PartiallyFailed within 0s (phase: InProgress)\n",
            );
        });

        it("times out with phase none when the object does not exist", () => {
            const r = run(WAIT_PHASE_SCRIPT, `*) ${NOT_FOUND('restores.velero.io "restore-daily-20240603"')} ;;`, ALLOW_PARTIAL);
            assert.equal(r.status, 1);
            assert.match(r.stderr, /\(phase: none\)\n$/);
        });

        it("keeps waiting through a phase outside ACCEPT when FAIL is empty (the BackupStorageLocation)", () => {
            const r = run(WAIT_PHASE_SCRIPT, `${PHASE} [ "$(count phase)" -ge 2 ] && printf Available || printf Unavailable ;;`, {
                KIND: "backupstoragelocations.velero.io",
                NAMESPACE: "velero",
                NAME: "default",
                ACCEPT: "Available",
                FAIL: "",
                TIMEOUT_SECONDS: "60",
            });
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(r.sleeps, ["10"]);
            assert.match(r.stdout, /backupstoragelocations\.velero\.io velero\/default: Available/);
        });
    });

    describe("WAIT_FIELD", () => {
        it("succeeds when the JSONPath is non-empty, without printing the value", () => {
            const r = run(WAIT_FIELD_SCRIPT, `*'jsonpath={.status.loadBalancer.ingress[0].ip}') printf '${GATEWAY_IP}' ;;`, GATEWAY);
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout, "services kube-system/cilium-gateway-platform has {.status.loadBalancer.ingress[0].ip}\n");
            assert.ok(!r.stdout.includes(GATEWAY_IP) && !r.stderr.includes(GATEWAY_IP));
        });

        it("times out saying the object does not exist when the API server answers NotFound", () => {
            const r = run(WAIT_FIELD_SCRIPT, `*) ${NOT_FOUND('services "cilium-gateway-platform"')} ;;`, GATEWAY);
            assert.equal(r.status, 1);
            assert.equal(r.stderr, "services kube-system/cilium-gateway-platform does not exist after 0s\n");
        });

        it("times out saying the object has no such field when it exists with the field empty", () => {
            const r = run(WAIT_FIELD_SCRIPT, `*'jsonpath='*) exit 0 ;;\n*) echo 'service/cilium-gateway-platform' ;;`, GATEWAY);
            assert.equal(r.status, 1);
            assert.equal(r.stderr, "services kube-system/cilium-gateway-platform has no {.status.loadBalancer.ingress[0].ip} after 0s\n");
            assert.deepEqual(r.calls[1], ["get", "services", "cilium-gateway-platform", "-n", "kube-system"]);
        });

        it("times out with kubectl's own error when the object cannot be read (not 'does not exist')", () => {
            const r = run(WAIT_FIELD_SCRIPT, `*) echo 'error: You must be logged in to the server (Unauthorized)' >&2; exit 1 ;;`, GATEWAY);
            assert.equal(r.status, 1);
            assert.equal(
                r.stderr,
                "services kube-system/cilium-gateway-platform could not be read after 0s: error: You must be logged in to the server (Unauthorized)\n",
            );
        });
    });

    describe("LATEST_BACKUP", () => {
        const SYNCED = `*'lastSyncedTime'*) printf '2026-11-25T10:00:00Z' ;;`;
        const LIST = (rows: string) => `${BACKUPS} printf '${rows}' ;;`;
        const OLD = "velero-daily-full-20261122021700 2026-11-22T02:17:00Z\\nvelero-daily-full-20261123021700 2026-11-23T02:17:00Z\\n";

        it("prints exactly the last name kubectl lists, with no newline, asking for Completed backups of the schedule sorted by completion", () => {
            const r = run(LATEST_BACKUP_SCRIPT, `${SYNCED}\n${LIST(OLD)}`, { SCHEDULE: "velero-daily-full", CUTOFF_NAMESPACE: "" });
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout, "velero-daily-full-20261123021700");
            assert.deepEqual(r.calls[0], [
                "get",
                "backupstoragelocations.velero.io",
                "default",
                "-n",
                "velero",
                "-o",
                "jsonpath={.status.lastSyncedTime}",
            ]);
            assert.deepEqual(r.calls[1], [
                "get",
                "backups.velero.io",
                "-n",
                "velero",
                "-l",
                "velero.io/schedule-name=velero-daily-full",
                "--sort-by=.status.completionTimestamp",
                "-o",
                LATEST_BACKUP_JSONPATH,
            ]);
        });

        it("in a rebuild, never takes a backup the new cluster made itself (started after the program created namespace velero)", () => {
            const r = run(
                LATEST_BACKUP_SCRIPT,
                `${SYNCED}\n*'get namespace velero'*) printf '2026-11-25T09:00:00Z' ;;\n${LIST(`${OLD}velero-daily-full-20261125091500 2026-11-25T09:15:00Z\\n`)}`,
                { SCHEDULE: "velero-daily-full", CUTOFF_NAMESPACE: "velero" },
            );
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout, "velero-daily-full-20261123021700");
            const onlyNew = run(
                LATEST_BACKUP_SCRIPT,
                `${SYNCED}\n*'get namespace velero'*) printf '2026-11-25T09:00:00Z' ;;\n${LIST("velero-daily-full-20261125091500 2026-11-25T09:15:00Z\\n")}`,
                { SCHEDULE: "velero-daily-full", CUTOFF_NAMESPACE: "velero" },
            );
            assert.equal(onlyNew.status, 1);
            assert.match(
                onlyNew.stderr,
                /no Completed Velero backup of schedule velero-daily-full older than this cluster \(2026-11-25T09:00:00Z\) found/,
            );
        });

        it("retries reading the cutoff, and never goes on without it (an empty cutoff would let the new cluster's own backup through)", () => {
            const r = run(
                LATEST_BACKUP_SCRIPT,
                `${SYNCED}\n*'get namespace velero'*) [ "$(count ns)" -ge 2 ] && printf '2026-11-25T09:00:00Z' || exit 1 ;;\n${LIST(`${OLD}velero-daily-full-20261125091500 2026-11-25T09:15:00Z\\n`)}`,
                { SCHEDULE: "velero-daily-full", CUTOFF_NAMESPACE: "velero", TIMEOUT_SECONDS: "60" },
            );
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout, "velero-daily-full-20261123021700");
            const never = run(LATEST_BACKUP_SCRIPT, `${SYNCED}\n*'get namespace velero'*) exit 1 ;;`, {
                SCHEDULE: "velero-daily-full",
                CUTOFF_NAMESPACE: "velero",
            });
            assert.equal(never.status, 1);
            assert.match(never.stderr, /could not read namespace velero's creation time/);
        });

        it("takes any schedule when SCHEDULE is empty", () => {
            const r = run(LATEST_BACKUP_SCRIPT, `${SYNCED}\n${LIST("manual-1 2026-11-20T10:00:00Z\\n")}`, {
                SCHEDULE: "",
                CUTOFF_NAMESPACE: "",
            });
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout, "manual-1");
            assert.deepEqual(r.calls[1], [
                "get",
                "backups.velero.io",
                "-n",
                "velero",
                "--sort-by=.status.completionTimestamp",
                "-o",
                LATEST_BACKUP_JSONPATH,
            ]);
        });

        it("does not look before the location has synced the backup list (its first answer is kept for good)", () => {
            const r = run(
                LATEST_BACKUP_SCRIPT,
                `*'lastSyncedTime'*) [ "$(count sync)" -ge 2 ] && printf '2026-11-25T10:00:00Z' ;;\n${LIST(OLD)}`,
                { SCHEDULE: "velero-daily-full", CUTOFF_NAMESPACE: "", TIMEOUT_SECONDS: "60" },
            );
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(verbs(r.calls), [
                "get backupstoragelocations.velero.io",
                "get backupstoragelocations.velero.io",
                "get backups.velero.io",
            ]);
            assert.deepEqual(r.sleeps, ["10"]);
            const never = run(LATEST_BACKUP_SCRIPT, `*'lastSyncedTime'*) exit 0 ;;`, {
                SCHEDULE: "velero-daily-full",
                CUTOFF_NAMESPACE: "",
            });
            assert.equal(never.status, 1);
            assert.match(never.stderr, /did not sync the backup list from the bucket within 0s/);
        });

        it("fails with the hint when no Completed backup of the schedule exists, printing nothing on stdout", () => {
            const r = run(LATEST_BACKUP_SCRIPT, `${SYNCED}\n${BACKUPS} exit 0 ;;`, { SCHEDULE: "velero-daily-full", CUTOFF_NAMESPACE: "" });
            assert.equal(r.status, 1);
            assert.equal(r.stdout, "");
            assert.equal(
                r.stderr,
                "no Completed Velero backup of schedule velero-daily-full found in the bucket within 0s: check BackupStorageLocation default and the R2 credentials, or pin veleroBackup\n",
            );
        });

        it("never lets a kubectl error become the backup name (stdout is the name)", () => {
            const r = run(
                LATEST_BACKUP_SCRIPT,
                `${SYNCED}\n${BACKUPS} echo 'error: couldn'"'"'t find any field with path "{.status.completionTimestamp}" in the list of objects' >&2; exit 1 ;;`,
                { SCHEDULE: "", CUTOFF_NAMESPACE: "" },
            );
            assert.equal(r.status, 1);
            assert.equal(r.stdout, "");
            assert.match(r.stderr, /no Completed Velero backup found/);
        });
    });

    describe("OPENBAO_SNAPSHOT", () => {
        const COMPLETE = `*'--for=condition=complete'*)`;
        const FAILED = `*'--for=condition=failed'*)`;
        const LOG = `*'logs job/vault-config -c vault-init'*)`;
        const RESTORED_LOG =
            "Fetching newest snapshot openbao-20261123-021700.snap...\nRestoring /snapshots/openbao-20261123-021700.snap...\nSnapshot restored; unsealing with the stored key.\nroot token s.LEAKED";

        it("waits for the vault-config Job and proves from its log that it restored the snapshot, without copying the log", () => {
            const r = run(OPENBAO_SNAPSHOT_SCRIPT, `${COMPLETE} exit 0 ;;\n${LOG} printf '${RESTORED_LOG}' ;;`, VAULT_CONFIG);
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout, "vault-config restored OpenBao from its newest raft snapshot with the restored openbao-unseal key\n");
            assert.deepEqual(r.calls[0], ["-n", "openbao", "wait", "--for=condition=complete", "job/vault-config", "--timeout=10s"]);
            assert.deepEqual(r.calls[1], ["-n", "openbao", "logs", "job/vault-config", "-c", "vault-init"]);
            assert.ok(!r.stdout.includes("LEAKED") && !r.stderr.includes("LEAKED"));
            assert.ok(!verbs(r.calls).includes("delete job"), "a Job that completed is not re-run");
        });

        it("fails loudly, with the way back, when the Job initialized an EMPTY vault instead of restoring", () => {
            const r = run(
                OPENBAO_SNAPSHOT_SCRIPT,
                `${COMPLETE} exit 0 ;;\n${LOG} printf 'No initialized pod found \\342\\200\\224 running bao operator init on openbao-0...' ;;`,
                VAULT_CONFIG,
            );
            assert.equal(r.status, 1);
            assert.match(
                r.stderr,
                /initialized an EMPTY OpenBao.*scale StatefulSet openbao to 0, delete the data-openbao-\* PVCs, reconcile infrastructure/,
            );
        });

        it("accepts an OpenBao that was already initialized (nothing to restore), and a log it cannot read, saying which", () => {
            const initialized = run(
                OPENBAO_SNAPSHOT_SCRIPT,
                `${COMPLETE} exit 0 ;;\n${LOG} printf 'openbao-0 is reachable.\nVault already initialized.' ;;`,
                VAULT_CONFIG,
            );
            assert.equal(initialized.status, 0, initialized.stderr);
            assert.match(initialized.stdout, /found OpenBao already initialized: nothing to restore/);
            const unreadable = run(
                OPENBAO_SNAPSHOT_SCRIPT,
                `${COMPLETE} exit 0 ;;\n${LOG} ${NOT_FOUND('pods "vault-config-x"')} ;;`,
                VAULT_CONFIG,
            );
            assert.equal(unreadable.status, 0, unreadable.stderr);
            assert.match(unreadable.stdout, /log could not be read to confirm/);
        });

        it("re-runs a failed Job once (delete, ask Flux to re-apply the Kustomization) and then succeeds", () => {
            const r = run(
                OPENBAO_SNAPSHOT_SCRIPT,
                `${COMPLETE} [ -f "$FAKE_RERUN" ] && exit 0 || exit 1 ;;\n${FAILED} [ -f "$FAKE_RERUN" ] && exit 1 || exit 0 ;;\n*'delete job vault-config'*) : > "$FAKE_RERUN"; exit 0 ;;\n${ANNOTATE}\n${LOG} printf '${RESTORED_LOG}' ;;`,
                { ...VAULT_CONFIG, TIMEOUT_SECONDS: "60", FAKE_RERUN: path.join(os.tmpdir(), `platform-dr-rerun-${process.pid}`) },
            );
            fs.rmSync(path.join(os.tmpdir(), `platform-dr-rerun-${process.pid}`), { force: true });
            assert.equal(r.status, 0, r.stderr);
            assert.match(
                r.stdout,
                /vault-config did not succeed \(it failed\); deleting it and asking Flux to re-apply infrastructure\nvault-config restored OpenBao/,
            );
            const annotate = r.calls.find((c) => c.includes("annotate")) ?? [];
            assert.deepEqual(annotate.slice(0, 6), ["-n", "flux-system", "annotate", "--overwrite", "kustomization", "infrastructure"]);
            assert.match(annotate[6], /^reconcile\.fluxcd\.io\/requestedAt=platform-dr-\d+$/);
        });

        it("fails after one re-run, pointing at the log instead of printing it (it may hold tokens)", () => {
            const r = run(
                OPENBAO_SNAPSHOT_SCRIPT,
                `${COMPLETE} exit 1 ;;\n${FAILED} exit 0 ;;\n${DELETE_JOB}\n${ANNOTATE}\n*'logs'*) printf 'root token s.LEAKED' ;;`,
                { ...VAULT_CONFIG, TIMEOUT_SECONDS: "60" },
            );
            assert.equal(r.status, 1);
            assert.match(
                r.stderr,
                /vault-config did not succeed after a re-run \(it failed\).*kubectl -n openbao logs job\/vault-config --all-containers/,
            );
            assert.equal(r.calls.filter((c) => c.includes("delete")).length, 1);
            assert.ok(!r.stderr.includes("LEAKED") && !r.stdout.includes("LEAKED"));
        });

        describe("a vault-init that keeps failing", () => {
            const rerun = path.join(os.tmpdir(), `platform-dr-restart-${process.pid}`);
            afterEach(() => fs.rmSync(rerun, { force: true }));
            // Before the re-run the Job is uid-1, after it uid-2; FAKE_RERUN marks the delete.
            const UID = `*'get job vault-config -o jsonpath={.metadata.uid}'*) [ -f "$FAKE_RERUN" ] && printf uid-2 || printf uid-1 ;;`;
            const DELETE = `*'delete job vault-config'*) : > "$FAKE_RERUN"; exit 0 ;;`;

            it("is a failed attempt (the Job restarts it in place, never re-fetches the snapshot, and fails only at its deadline): the Job and its pods are deleted and re-applied once", () => {
                const r = run(
                    OPENBAO_SNAPSHOT_SCRIPT,
                    `${COMPLETE} [ -f "$FAKE_RERUN" ] && exit 0 || exit 1 ;;\n${FAILED} exit 1 ;;\n${UID}\n*'controller-uid=uid-1'*) printf 'CrashLoopBackOff ' ;;\n*'controller-uid=uid-2'*) printf ' ' ;;\n${DELETE}\n${ANNOTATE}\n${LOG} printf '${RESTORED_LOG}' ;;`,
                    { ...VAULT_CONFIG, TIMEOUT_SECONDS: "60", FAKE_RERUN: rerun },
                );
                assert.equal(r.status, 0, r.stderr);
                assert.match(r.stdout, /did not succeed \(its vault-init container keeps failing \(CrashLoopBackOff\)\); deleting it/);
                const pods = r.calls.find((c) => c.includes("pods")) ?? [];
                assert.deepEqual(pods.slice(4, 6), ["-l", "batch.kubernetes.io/controller-uid=uid-1"], "only the current Job's pods count");
                assert.ok(
                    r.calls.some((c) => c.includes("delete") && c.includes("--cascade=foreground")),
                    "the pods go with the Job",
                );
            });

            it("of a deleted Job's lingering pod does not end the re-run: only the current Job's pods count", () => {
                const r = run(
                    OPENBAO_SNAPSHOT_SCRIPT,
                    `${COMPLETE} [ -f "$FAKE_RERUN" ] && [ "$(count done)" -ge 3 ] && exit 0 || exit 1 ;;\n${FAILED} exit 1 ;;\n${UID}\n*'controller-uid=uid-1'*) printf 'CrashLoopBackOff ' ;;\n*'controller-uid=uid-2'*) printf 'PodInitializing ' ;;\n${DELETE}\n${ANNOTATE}\n${LOG} printf '${RESTORED_LOG}' ;;`,
                    { ...VAULT_CONFIG, TIMEOUT_SECONDS: "60", FAKE_RERUN: rerun },
                );
                assert.equal(r.status, 0, r.stderr);
                assert.equal(r.calls.filter((c) => c.includes("delete")).length, 1);
            });

            it("that restarted once and now runs is the Job's own retry, left alone", () => {
                const r = run(
                    OPENBAO_SNAPSHOT_SCRIPT,
                    `${COMPLETE} [ "$(count done)" -ge 3 ] && exit 0 || exit 1 ;;\n${FAILED} exit 1 ;;\n${UID}\n*'controller-uid=uid-1'*) printf ' ' ;;\n${LOG} printf '${RESTORED_LOG}' ;;`,
                    { ...VAULT_CONFIG, TIMEOUT_SECONDS: "60", FAKE_RERUN: rerun },
                );
                assert.equal(r.status, 0, r.stderr);
                assert.ok(!r.calls.some((c) => c.includes("delete")));
            });
        });

        it("times out clearly when the Job neither completes nor fails", () => {
            const r = run(OPENBAO_SNAPSHOT_SCRIPT, `${COMPLETE} exit 1 ;;\n${FAILED} exit 1 ;;`, VAULT_CONFIG);
            assert.equal(r.status, 1);
            assert.equal(r.stderr, "vault-config did not complete within 0s\n");
        });

        it("sleeps between polls while the Job does not exist yet (kubectl wait returns at once), instead of spinning", () => {
            const notFound = NOT_FOUND('jobs.batch "vault-config"');
            const r = run(
                OPENBAO_SNAPSHOT_SCRIPT,
                `${COMPLETE} [ "$(count complete)" -ge 3 ] || { ${notFound}; } ;;\n${FAILED} ${notFound} ;;\n${LOG} printf 'Snapshot restored' ;;`,
                { ...VAULT_CONFIG, TIMEOUT_SECONDS: "60" },
            );
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(r.sleeps, ["5", "5"]);
        });
    });

    describe("SUSPEND_KUSTOMIZATIONS and RESUME_KUSTOMIZATIONS", () => {
        const GET = `*'get kustomizations.kustomize.toolkit.fluxcd.io'*)`;
        const PATCH = `*' patch '*) exit 0 ;;`;

        it("suspends each Kustomization, as platform-dr's field manager, once Flux has created it", () => {
            const r = run(
                SUSPEND_KUSTOMIZATIONS_SCRIPT,
                `${GET} [ "$(count get)" -ge 2 ] && exit 0 || { ${NOT_FOUND('kustomizations "infrastructure"')}; } ;;\n${PATCH}`,
                { KUSTOMIZATIONS: "infrastructure apps", TIMEOUT_SECONDS: "60" },
            );
            assert.equal(r.status, 0, r.stderr);
            assert.equal(
                r.stdout,
                "suspended Kustomization infrastructure until the Velero restore is done\nsuspended Kustomization apps until the Velero restore is done\n",
            );
            const patches = r.calls.filter((c) => c.includes("patch"));
            assert.deepEqual(
                patches.map((c) => c[4]),
                ["infrastructure", "apps"],
            );
            assert.deepEqual(patches[0].slice(5), ["--type", "merge", "--field-manager", "platform-dr", "-p", '{"spec":{"suspend":true}}']);
            assert.deepEqual(r.sleeps, ["5"]);
        });

        it("fails naming the Kustomization that never appeared", () => {
            const r = run(SUSPEND_KUSTOMIZATIONS_SCRIPT, `${GET} ${NOT_FOUND('kustomizations "apps"')} ;;`, { KUSTOMIZATIONS: "apps" });
            assert.equal(r.status, 1);
            assert.match(r.stderr, /Kustomization flux-system\/apps did not appear within 0s, so it could not be held back/);
        });

        it("release removes the suspend field (Git's value applies again) and asks Flux to reconcile now", () => {
            const r = run(RESUME_KUSTOMIZATIONS_SCRIPT, `${PATCH}\n*' annotate '*) exit 0 ;;`, { KUSTOMIZATIONS: "infrastructure apps" });
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout, "resumed Kustomization infrastructure\nresumed Kustomization apps\n");
            assert.deepEqual(r.calls[0].slice(-2), ["-p", '{"spec":{"suspend":null}}']);
            assert.match(r.calls[1].at(-1) ?? "", /^reconcile\.fluxcd\.io\/requestedAt=platform-dr-\d+$/);
        });
    });

    describe("RESTORE", () => {
        const MANIFEST = JSON.stringify({
            apiVersion: "velero.io/v1",
            kind: "Restore",
            metadata: { name: "restore-daily-20240603", namespace: "velero" },
            spec: { backupName: "daily-20240603" },
        });
        const ENV = {
            ...ALLOW_PARTIAL,
            BACKUP: "daily-20240603",
            NAME: "restore-daily-20240603",
            MANIFEST,
            REPORT: "",
            TIMEOUT_SECONDS: "60",
        };
        const BACKUP_SYNCED = `*'get backups.velero.io daily-20240603'*) exit 0 ;;`;
        const CREATED = `*'create -f -'*) cat > "$FAKE_DIR/manifest"; exit 0 ;;`;
        const EXISTS = `*'create -f -'*) cat > /dev/null; echo 'Error from server (AlreadyExists): restores.velero.io "restore-daily-20240603" already exists' >&2; exit 1 ;;`;

        it("waits for the backup to be synced, creates the Restore from its manifest on stdin, then waits for its phase", () => {
            const r = run(
                RESTORE_SCRIPT,
                `*'get backups.velero.io daily-20240603'*) [ "$(count backup)" -ge 2 ] || exit 1 ;;\n${CREATED}\n${PHASE} printf Completed ;;`,
                ENV,
            );
            assert.equal(r.status, 0, r.stderr);
            assert.equal(
                r.stdout,
                "created Restore velero/restore-daily-20240603\nrestores.velero.io velero/restore-daily-20240603: Completed\n",
            );
            assert.deepEqual(verbs(r.calls), ["get backups.velero.io", "get backups.velero.io", "create", "get restores.velero.io"]);
            assert.equal(r.manifest, MANIFEST);
            assert.deepEqual(r.sleeps, ["10"]);
        });

        it("fails, creating nothing, when the backup never shows up in the cluster", () => {
            const r = run(RESTORE_SCRIPT, `*'get backups.velero.io'*) exit 1 ;;`, { ...ENV, TIMEOUT_SECONDS: "0" });
            assert.equal(r.status, 1);
            assert.match(r.stderr, /Velero backup velero\/daily-20240603 is not in the cluster after 0s/);
            assert.ok(!r.calls.some((c) => c.includes("create")));
        });

        it("takes an existing Restore of that name as this restore (never a second one), and waits for it", () => {
            const r = run(
                RESTORE_SCRIPT,
                `${BACKUP_SYNCED}\n${EXISTS}\n${PHASE} printf InProgress; [ "$(count phase)" -ge 3 ] && printf '' ;;`,
                { ...ENV, TIMEOUT_SECONDS: "0" },
            );
            assert.match(r.stdout, /already exists \(InProgress\): it is this restore, not created again/);
            assert.ok(!r.calls.some((c) => c.includes("delete")));
        });

        for (const previous of ["Failed", "FailedValidation"]) {
            it(`deletes and re-creates an existing Restore that ended ${previous} (it restored nothing usable)`, () => {
                const r = run(
                    RESTORE_SCRIPT,
                    `${BACKUP_SYNCED}\n*'create -f -'*) cat > /dev/null; [ "$(count create)" -ge 2 ] && exit 0; echo 'Error from server (AlreadyExists): already exists' >&2; exit 1 ;;\n*'delete restores.velero.io'*) exit 0 ;;\n${PHASE} [ "$(count phase)" -ge 2 ] && printf Completed || printf ${previous} ;;`,
                    ENV,
                );
                assert.equal(r.status, 0, r.stderr);
                assert.match(
                    r.stdout,
                    new RegExp(
                        `exists but ended ${previous}: deleting it and restoring again\ncreated Restore velero/restore-daily-20240603\n.*: Completed\n$`,
                    ),
                );
                assert.deepEqual(
                    verbs(r.calls).filter((v) => !v.startsWith("get backups")),
                    ["create", "get restores.velero.io", "delete restores.velero.io", "create", "get restores.velero.io"],
                );
            });
        }

        it("stops, saying how to go on, when an existing Restore ended in a phase this configuration does not accept", () => {
            const r = run(RESTORE_SCRIPT, `${BACKUP_SYNCED}\n${EXISTS}\n${PHASE} printf PartiallyFailed ;;`, STRICT_ENV());
            assert.equal(r.status, 1);
            assert.match(
                r.stderr,
                /already ended PartiallyFailed, which this configuration does not accept: .*kubectl -n velero delete restores\.velero\.io restore-daily-20240603\) to restore again/,
            );
            assert.ok(!r.calls.some((c) => c.includes("delete")));
        });

        it("fails with kubectl's error when the Restore cannot be created", () => {
            const r = run(
                RESTORE_SCRIPT,
                `${BACKUP_SYNCED}\n*'create -f -'*) cat > /dev/null; echo 'error: the server does not have resource type "restores"' >&2; exit 1 ;;`,
                ENV,
            );
            assert.equal(r.status, 1);
            assert.match(
                r.stderr,
                /creating Restore velero\/restore-daily-20240603 failed: error: the server does not have resource type "restores"/,
            );
        });

        it("fails with the restore's own errors when it ends in a FAIL phase", () => {
            const r = run(
                RESTORE_SCRIPT,
                `${BACKUP_SYNCED}\n${CREATED.replace('"$FAKE_DIR/manifest"', "/dev/null")}\n${PHASE} printf PartiallyFailed ;;\n${PHASE_ERRORS} printf ' errors=2 warnings=5' ;;`,
                STRICT_ENV(),
            );
            assert.equal(r.status, 1);
            assert.match(r.stderr, /ended PartiallyFailed: +errors=2 warnings=5/);
        });

        function STRICT_ENV() {
            return { ...ENV, ACCEPT: "Completed", FAIL: "Failed FailedValidation PartiallyFailed" };
        }
    });

    describe("SEED_OPENBAO", () => {
        const VALUE_1 = "cf-Api-T0ken-123";
        const VALUE_2 = "lic with  spaces=and==equals $HOME \\n";
        const SEEDS = `secret/infrastructure/dns/cloudflare api_token=${VALUE_1}\nsecret/apps/fleetdm/license license-key=${VALUE_2}\n`;

        it("reads the root token from openbao/openbao-unseal and writes each secret with token and value on stdin only", () => {
            const r = run(SEED_OPENBAO_SCRIPT, `${GIVES_TOKEN}\n${EXEC}`, { SEED_SECRETS: SEEDS });
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(r.calls[0], ["-n", "openbao", "get", "secret", "openbao-unseal", "-o", "jsonpath={.data.root-token}"]);
            assert.deepEqual(r.store, {
                "secret/infrastructure/dns/cloudflare": { api_token: VALUE_1 },
                "secret/apps/fleetdm/license": { "license-key": VALUE_2 },
            });
            const writes = r.calls.filter((c) => c.includes("-i"));
            assert.equal(writes.length, 2);
            for (const w of writes) {
                assert.deepEqual(w.slice(0, 8), ["-n", "openbao", "exec", "-i", "openbao-0", "--", "sh", "-c"]);
            }
            assert.deepEqual(
                writes.map((w) => w.slice(9)),
                [
                    ["secret/infrastructure/dns/cloudflare", "api_token"],
                    ["secret/apps/fleetdm/license", "license-key"],
                ],
            );
            assert.deepEqual(
                r.bao.filter((b) => b[1] === "put" || b[1] === "patch").map((b) => b[3]),
                ["api_token=-", "license-key=-"],
            );
            assert.ok(r.baoTokens.filter((_, i) => r.bao[i][0] === "kv").every((t) => t === ROOT_TOKEN));
            assert.equal(
                r.stdout,
                "wrote api_token to secret/infrastructure/dns/cloudflare\nwrote license-key to secret/apps/fleetdm/license\n",
            );
            const argv = [...r.calls, ...r.bao].flat().join(" ");
            for (const secret of [ROOT_TOKEN, ROOT_TOKEN_B64, VALUE_1, "and==equals"]) {
                assert.ok(!argv.includes(secret), `${secret} reached a command line`);
                assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), `${secret} reached the output`);
            }
        });

        it("creates a new path with put, where a patch-then-put on one stdin would store an empty value", () => {
            const r = run(SEED_OPENBAO_SCRIPT, `${GIVES_TOKEN}\n${EXEC}`, { SEED_SECRETS: `secret/new/path key=${VALUE_1}` });
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(r.store, { "secret/new/path": { key: VALUE_1 } });
            assert.deepEqual(
                r.bao.map((b) => b.slice(0, 2).join(" ")),
                ["status", "kv get", "kv put"],
            );
        });

        it("patches a path that exists, keeping its other keys, and a second key of one path adds to the first", () => {
            const r = run(
                SEED_OPENBAO_SCRIPT,
                `${GIVES_TOKEN}\n${EXEC}`,
                { SEED_SECRETS: "secret/apps/x a=1\nsecret/apps/x b=2\nsecret/apps/y c=3" },
                { store: { "secret/apps/y": { kept: "yes" } } },
            );
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(r.store, { "secret/apps/x": { a: "1", b: "2" }, "secret/apps/y": { kept: "yes", c: "3" } });
            assert.deepEqual(
                r.bao.filter((b) => b[1] === "put" || b[1] === "patch").map((b) => `${b[1]} ${b[2]}`),
                ["put secret/apps/x", "patch secret/apps/x", "patch secret/apps/y"],
            );
        });

        it("stops when reading a path fails for another reason than 'No value found', and never replaces it with put", () => {
            const r = run(
                SEED_OPENBAO_SCRIPT,
                `${GIVES_TOKEN}\n${EXEC}`,
                {
                    SEED_SECRETS: `secret/apps/y c=${VALUE_1}`,
                    FAKE_BAO_GET_ERROR: "Error making API request: dial tcp 127.0.0.1:8200: connection refused",
                },
                { store: { "secret/apps/y": { kept: "yes" } } },
            );
            assert.equal(r.status, 1);
            assert.match(r.stderr, /connection refused\nwriting c to secret\/apps\/y failed/);
            assert.deepEqual(r.store, { "secret/apps/y": { kept: "yes" } });
            assert.deepEqual(
                r.bao.map((b) => b.slice(0, 2).join(" ")),
                ["status", "kv get"],
            );
            assert.ok(!r.stderr.includes(VALUE_1));
        });

        it("fails clearly when openbao-unseal has no root-token, writing nothing", () => {
            const r = run(SEED_OPENBAO_SCRIPT, `${UNSEAL_SECRET} exit 0 ;;\n${EXEC}`, { SEED_SECRETS: SEEDS });
            assert.equal(r.status, 1);
            assert.equal(r.stderr, "secret openbao/openbao-unseal has no root-token: restore it first\n");
            assert.deepEqual(r.calls.length, 1);
            assert.deepEqual(r.store, {});
        });

        it("waits for openbao-0 to answer unsealed before writing", () => {
            const r = run(
                SEED_OPENBAO_SCRIPT,
                `${GIVES_TOKEN}\n*'bao status') [ "$(count status)" -ge 2 ] && in_pod "$@" || { echo 'Sealed true'; exit 2; } ;;\n${EXEC}`,
                {
                    SEED_SECRETS: "secret/a k=v",
                    TIMEOUT_SECONDS: "60",
                },
            );
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(r.sleeps, ["10"]);
            assert.deepEqual(r.store, { "secret/a": { k: "v" } });
        });

        it("times out naming OpenBao's status when openbao-0 stays sealed, writing nothing", () => {
            const r = run(SEED_OPENBAO_SCRIPT, `${GIVES_TOKEN}\n*'bao status') printf 'Sealed          true\\n'; exit 2 ;;\n${EXEC}`, {
                SEED_SECRETS: SEEDS,
            });
            assert.equal(r.status, 1);
            assert.match(r.stderr, /^openbao-0 is not running and unsealed after 0s: Sealed +true\n$/);
            assert.deepEqual(r.store, {});
            assert.ok(!r.calls.some((c) => c.includes("-i")));
        });

        it("fails naming the path when a write is refused, without going on", () => {
            const r = run(SEED_OPENBAO_SCRIPT, `${UNSEAL_SECRET} printf '%s' '${Buffer.from("s.wrong").toString("base64")}' ;;\n${EXEC}`, {
                SEED_SECRETS: SEEDS,
            });
            assert.equal(r.status, 1);
            assert.match(r.stderr, /permission denied/);
            assert.match(r.stderr, /writing api_token to secret\/infrastructure\/dns\/cloudflare failed/);
            assert.equal(r.stdout, "");
            assert.equal(r.calls.filter((c) => c.includes("-i")).length, 1);
        });
    });
});

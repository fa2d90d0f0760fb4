/**
 * kubectl scripts for objects the program does not own (Flux and Velero create them). Constant
 * text; inputs arrive in the environment, the kubeconfig as content written to a private file,
 * removed on exit and on HUP/INT/TERM (a signal that kills sh would skip the EXIT trap).
 */

const PRELUDE = `set -eu
command -v kubectl >/dev/null 2>&1 || { echo "kubectl is not on PATH: install kubectl and re-run pulumi up" >&2; exit 127; }
umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM
printf '%s' "$KUBECONFIG_CONTENT" > "$work/kubeconfig"
export KUBECONFIG="$work/kubeconfig"
deadline=$(( $(date +%s) + TIMEOUT_SECONDS ))
`;

/**
 * Waits until an object exists and its Ready condition is True; fails at once when it is Stalled
 * (kstatus: a terminal misconfiguration Flux will not retry). On timeout it fails with the
 * object's own Ready message, "it does not exist yet" when the API server says NotFound, or
 * kubectl's own error (an unreachable server is not reported as a missing object).
 * Env: KUBECONFIG_CONTENT, KIND, NAMESPACE, NAME, TIMEOUT_SECONDS.
 */
export const WAIT_READY_SCRIPT = `${PRELUDE}while :; do
  status=$(kubectl get "$KIND" "$NAME" -n "$NAMESPACE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
  if [ "$status" = "True" ]; then echo "$KIND $NAMESPACE/$NAME is Ready"; exit 0; fi
  stalled=""
  if [ -n "$status" ]; then
    stalled=$(kubectl get "$KIND" "$NAME" -n "$NAMESPACE" -o jsonpath='{.status.conditions[?(@.type=="Stalled")].status}' 2>/dev/null || true)
  fi
  if [ "$stalled" = "True" ] || [ "$(date +%s)" -ge "$deadline" ]; then
    if [ "$stalled" = "True" ]; then
      message=$(kubectl get "$KIND" "$NAME" -n "$NAMESPACE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}' 2>&1 || true)
      echo "$KIND $NAMESPACE/$NAME is Stalled (it will not retry until its source or spec changes): $message" >&2
      exit 1
    fi
    if message=$(kubectl get "$KIND" "$NAME" -n "$NAMESPACE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}' 2>&1); then
      message=\${message:-\${status:+Ready is $status}}; message=\${message:-it has no Ready condition yet}
    else
      case "$message" in *NotFound*) message="it does not exist yet" ;; esac
    fi
    echo "$KIND $NAMESPACE/$NAME is not Ready after \${TIMEOUT_SECONDS}s: $message" >&2
    exit 1
  fi
  sleep 10
done
`;

/**
 * Waits until `.status.phase` is one of ACCEPT (space-separated); fails at once on any phase in
 * FAIL, printing the object's errors. On success it prints one line, `<kind> <ns>/<name>: <phase>`,
 * followed by ` (<REPORT>)` when REPORT (a JSONPath, may be empty) gives something: the waiter's
 * stdout is how an accepted but imperfect outcome (PartiallyFailed) reaches the program.
 * Env: KUBECONFIG_CONTENT, KIND, NAMESPACE, NAME, ACCEPT, FAIL, REPORT, TIMEOUT_SECONDS.
 */
export const WAIT_PHASE_SCRIPT = `${PRELUDE}${waitPhaseBody()}`;

/** The phase wait of WAIT_PHASE_SCRIPT, also the second half of RESTORE_SCRIPT. */
function waitPhaseBody(): string {
    return `while :; do
  phase=$(kubectl get "$KIND" "$NAME" -n "$NAMESPACE" -o jsonpath='{.status.phase}' 2>/dev/null || true)
  for p in $ACCEPT; do
    if [ "$phase" = "$p" ]; then
      report=""
      if [ -n "\${REPORT:-}" ]; then report=$(kubectl get "$KIND" "$NAME" -n "$NAMESPACE" -o jsonpath="$REPORT" 2>/dev/null || true); fi
      echo "$KIND $NAMESPACE/$NAME: $phase\${report:+ ($report)}"; exit 0
    fi
  done
  for p in $FAIL; do
    if [ "$phase" = "$p" ]; then
      echo "$KIND $NAMESPACE/$NAME ended $phase: $(kubectl get "$KIND" "$NAME" -n "$NAMESPACE" -o jsonpath='{.status.failureReason} {.status.validationErrors} errors={.status.errors} warnings={.status.warnings}' 2>&1)" >&2
      exit 1
    fi
  done
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "$KIND $NAMESPACE/$NAME did not reach $ACCEPT within \${TIMEOUT_SECONDS}s (phase: \${phase:-none})" >&2
    exit 1
  fi
  sleep 10
done
`;
}

/**
 * Waits until an object exists and a JSONPath of it is non-empty (a load balancer's IP, say).
 * The value is not printed: the waiter is generic, and a field may hold what the logs must not.
 * On timeout it says whether the object is missing (NotFound), lacks the field, or could not be
 * read (kubectl's error). Env: KUBECONFIG_CONTENT, KIND, NAMESPACE, NAME, JSONPATH, TIMEOUT_SECONDS.
 */
export const WAIT_FIELD_SCRIPT = `${PRELUDE}while :; do
  value=$(kubectl get "$KIND" "$NAME" -n "$NAMESPACE" -o jsonpath="$JSONPATH" 2>/dev/null || true)
  if [ -n "$value" ]; then echo "$KIND $NAMESPACE/$NAME has $JSONPATH"; exit 0; fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    if error=$(kubectl get "$KIND" "$NAME" -n "$NAMESPACE" 2>&1 >/dev/null); then
      echo "$KIND $NAMESPACE/$NAME has no $JSONPATH after \${TIMEOUT_SECONDS}s" >&2
    else
      case "$error" in
        *NotFound*) echo "$KIND $NAMESPACE/$NAME does not exist after \${TIMEOUT_SECONDS}s" >&2 ;;
        *) echo "$KIND $NAMESPACE/$NAME could not be read after \${TIMEOUT_SECONDS}s: $error" >&2 ;;
      esac
    fi
    exit 1
  fi
  sleep 10
done
`;

/**
 * Prints the newest Completed Velero backup (of schedule SCHEDULE when set). Runs once, so the
 * choice is kept: a later run never picks a newer backup. It first waits until the
 * BackupStorageLocation has synced the backup list from the bucket (`lastSyncedTime`): Available
 * alone does not mean the list is complete, and the first answer is kept for good. A backup of
 * another schedule (a manual one, a namespace-only one) is never taken for the full rebuild. In a
 * rebuild, CUTOFF_NAMESPACE names a namespace the program created before Flux: a backup started
 * after it was made by the new cluster itself (a new Schedule backs up at once, of a nearly empty
 * cluster) and never counts. Env: KUBECONFIG_CONTENT, SCHEDULE and CUTOFF_NAMESPACE (either may
 * be empty), TIMEOUT_SECONDS.
 */
export const LATEST_BACKUP_SCRIPT = `${PRELUDE}until [ -n "$(kubectl get backupstoragelocations.velero.io default -n velero -o jsonpath='{.status.lastSyncedTime}' 2>/dev/null || true)" ]; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "BackupStorageLocation velero/default did not sync the backup list from the bucket within \${TIMEOUT_SECONDS}s: check its status and the R2 credentials, or pin veleroBackup" >&2
    exit 1
  fi
  sleep 10
done
cutoff=""
if [ -n "\${CUTOFF_NAMESPACE:-}" ]; then
  # Never go on without it: an empty cutoff would let the new cluster's own backup through.
  until cutoff=$(kubectl get namespace "$CUTOFF_NAMESPACE" -o jsonpath='{.metadata.creationTimestamp}' 2>/dev/null) && [ -n "$cutoff" ]; do
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "could not read namespace $CUTOFF_NAMESPACE's creation time within \${TIMEOUT_SECONDS}s" >&2; exit 1; fi
    sleep 5
  done
fi
while :; do
  # RFC 3339 UTC timestamps compare as text.
  name=$(kubectl get backups.velero.io -n velero \${SCHEDULE:+-l velero.io/schedule-name=$SCHEDULE} --sort-by=.status.completionTimestamp \\
    -o jsonpath='{range .items[?(@.status.phase=="Completed")]}{.metadata.name}{" "}{.status.startTimestamp}{"\\n"}{end}' 2>/dev/null \\
    | awk -v cutoff="$cutoff" 'NF && (cutoff == "" || $2 < cutoff) { name = $1 } END { printf "%s", name }')
  if [ -n "$name" ]; then printf '%s' "$name"; exit 0; fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "no Completed Velero backup\${SCHEDULE:+ of schedule $SCHEDULE}\${cutoff:+ older than this cluster ($cutoff)} found in the bucket within \${TIMEOUT_SECONDS}s: check BackupStorageLocation default and the R2 credentials, or pin veleroBackup" >&2
    exit 1
  fi
  sleep 15
done
`;

/**
 * OpenBao automatic path. Starts as soon as the Kustomization owning the vault-config Job is
 * resumed (after the Velero restore brought `openbao/openbao-unseal` back) and watches the Job
 * from its creation: the platform's Job is deleted 10 minutes after it finishes, so waiting for
 * the Kustomization first could find it, and its log, gone. The Job, finding no initialized pod
 * but the unseal keys and a raft snapshot (it fetches the newest from R2's `openbao-snapshots/`),
 * restores that snapshot. A failed attempt (the Job Failed, or `vault-init` of this Job's pod is
 * in CrashLoopBackOff: the Job restarts failed containers in place, its snapshot fetch is not
 * repeated, and it only fails at its one-hour deadline) is re-run once: the Job is deleted with
 * its pods and Flux asked to re-apply it. Its log is only searched, never copied into Pulumi's
 * output (it may hold tokens), for the line that proves which way it went: a restore, an already
 * initialized vault, or an EMPTY vault initialized because the keys were not back.
 * Env: KUBECONFIG_CONTENT, KUSTOMIZATION, TIMEOUT_SECONDS.
 */
export const OPENBAO_SNAPSHOT_SCRIPT = `${PRELUDE}rerun=0
while :; do
  if kubectl -n openbao wait --for=condition=complete job/vault-config --timeout=10s >/dev/null 2>&1; then
    log=$(kubectl -n openbao logs job/vault-config -c vault-init 2>/dev/null || true)
    case "$log" in
      *"Snapshot restored"*) echo "vault-config restored OpenBao from its newest raft snapshot with the restored openbao-unseal key"; exit 0 ;;
      *"running bao operator init"*)
        echo "vault-config initialized an EMPTY OpenBao instead of restoring it: openbao-unseal was not back when it ran. Recover by hand (platform docs/dr/openbao.md, full rebuild): restore openbao-unseal over the new one, scale StatefulSet openbao to 0, delete the data-openbao-* PVCs, reconcile $KUSTOMIZATION" >&2
        exit 1 ;;
      "") echo "vault-config completed; its log could not be read to confirm a snapshot restore: check kubectl -n openbao logs job/vault-config -c vault-init"; exit 0 ;;
      *) echo "vault-config completed and found OpenBao already initialized: nothing to restore"; exit 0 ;;
    esac
  fi
  failed=""
  if kubectl -n openbao wait --for=condition=failed job/vault-config --timeout=1s >/dev/null 2>&1; then
    failed="it failed"
  else
    # Only this Job's pods (a deleted Job's pods can linger), and only a vault-init that keeps
    # failing: a restart that then succeeds is the Job's own retry, and must not be cut short.
    uid=$(kubectl -n openbao get job vault-config -o jsonpath='{.metadata.uid}' 2>/dev/null || true)
    if [ -n "$uid" ]; then
      reasons=$(kubectl -n openbao get pods -l "batch.kubernetes.io/controller-uid=$uid" -o jsonpath='{range .items[*]}{range .status.initContainerStatuses[?(@.name=="vault-init")]}{.state.waiting.reason}{" "}{end}{end}' 2>/dev/null || true)
      case " $reasons " in *" CrashLoopBackOff "*) failed="its vault-init container keeps failing (CrashLoopBackOff)" ;; esac
    fi
  fi
  if [ -n "$failed" ]; then
    if [ "$rerun" -ge 1 ]; then
      echo "vault-config did not succeed after a re-run ($failed); its log is not copied here (it may hold tokens): kubectl -n openbao logs job/vault-config --all-containers" >&2
      exit 1
    fi
    rerun=1
    echo "vault-config did not succeed ($failed); deleting it and asking Flux to re-apply $KUSTOMIZATION"
    kubectl -n openbao delete job vault-config --ignore-not-found --cascade=foreground --wait=true >/dev/null
    kubectl -n flux-system annotate --overwrite kustomization "$KUSTOMIZATION" reconcile.fluxcd.io/requestedAt="platform-dr-$(date +%s)" >/dev/null
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then echo "vault-config did not complete within \${TIMEOUT_SECONDS}s" >&2; exit 1; fi
  sleep 5
done
`;

/**
 * Suspends Flux Kustomizations until the Velero restore is done, as soon as Flux has created them
 * (they depend on earlier ones, so they have applied nothing yet). Without it, \`apps\` (and the
 * vault-config Job in \`infrastructure\`) would create fresh PVCs, Secrets and an empty OpenBao
 * that a Velero restore then skips as already existing. Field manager \`platform-dr\`, so Flux's
 * own apply of the object leaves the field alone. Env: KUBECONFIG_CONTENT, HOLD (space-separated
 * names), TIMEOUT_SECONDS.
 */
export const HOLD_KUSTOMIZATIONS_SCRIPT = `${PRELUDE}for ks in $HOLD; do
  until kubectl -n flux-system get kustomizations.kustomize.toolkit.fluxcd.io "$ks" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "Kustomization flux-system/$ks did not appear within \${TIMEOUT_SECONDS}s, so it could not be held back until the restores: check fluxKustomizations and the FluxInstance's sync" >&2
      exit 1
    fi
    sleep 5
  done
  kubectl -n flux-system patch kustomizations.kustomize.toolkit.fluxcd.io "$ks" --type merge --field-manager platform-dr -p '{"spec":{"suspend":true}}' >/dev/null
  echo "suspended Kustomization $ks until the Velero restore is done"
done
`;

/**
 * Resumes the Kustomizations HOLD_KUSTOMIZATIONS_SCRIPT suspended (removes the field, so Git's
 * value applies again) and asks Flux to reconcile them now. Env: KUBECONFIG_CONTENT, RELEASE.
 */
export const RELEASE_KUSTOMIZATIONS_SCRIPT = `${PRELUDE}for ks in $RELEASE; do
  kubectl -n flux-system patch kustomizations.kustomize.toolkit.fluxcd.io "$ks" --type merge --field-manager platform-dr -p '{"spec":{"suspend":null}}' >/dev/null
  kubectl -n flux-system annotate --overwrite kustomizations.kustomize.toolkit.fluxcd.io "$ks" reconcile.fluxcd.io/requestedAt="platform-dr-$(date +%s)" >/dev/null
  echo "resumed Kustomization $ks"
done
`;

/**
 * Restores a Velero backup, once, and waits for the outcome, as one command: the command only
 * lands in Pulumi's state when the restore passed, so a `pulumi up` after a failure runs it again,
 * and after a success never. It waits until the backup is in the cluster (synced from the bucket;
 * a Restore created before that fails validation), creates the Restore from MANIFEST, and takes
 * an existing one of that name as this restore, unless it ended Failed or FailedValidation: that
 * one restored nothing usable and is deleted and created again. Then the phase wait of
 * WAIT_PHASE_SCRIPT. Not a Pulumi-owned object: Velero deletes a backup's Restores when the backup
 * expires, and a refresh would then have Pulumi create it again.
 * Env: KUBECONFIG_CONTENT, BACKUP, NAME, MANIFEST (JSON), KIND, NAMESPACE, ACCEPT, FAIL, REPORT,
 * TIMEOUT_SECONDS.
 */
export const RESTORE_SCRIPT = `${PRELUDE}until kubectl get backups.velero.io "$BACKUP" -n velero >/dev/null 2>&1; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "Velero backup velero/$BACKUP is not in the cluster after \${TIMEOUT_SECONDS}s: Velero has not synced it from the bucket (check BackupStorageLocation default), or no such backup exists" >&2
    exit 1
  fi
  sleep 10
done
create() { printf '%s' "$MANIFEST" | kubectl create -f - 2>&1; }
if out=$(create); then
  echo "created Restore velero/$NAME"
else
  case "$out" in
    *AlreadyExists*|*"already exists"*)
      previous=$(kubectl get restores.velero.io "$NAME" -n velero -o jsonpath='{.status.phase}' 2>/dev/null || true)
      case "$previous" in
        Failed|FailedValidation)
          echo "Restore velero/$NAME exists but ended $previous: deleting it and restoring again"
          kubectl delete restores.velero.io "$NAME" -n velero --wait=true >/dev/null
          out=$(create) || { echo "creating Restore velero/$NAME failed: $out" >&2; exit 1; }
          echo "created Restore velero/$NAME" ;;
        *)
          for p in $FAIL; do
            if [ "$previous" = "$p" ]; then
              echo "Restore velero/$NAME already ended $previous, which this configuration does not accept: look at it (velero restore describe $NAME --details), then delete it (kubectl -n velero delete restores.velero.io $NAME) to restore again, or allow it (veleroAllowPartiallyFailed)" >&2
              exit 1
            fi
          done
          echo "Restore velero/$NAME already exists (\${previous:-no phase yet}): it is this restore, not created again" ;;
      esac ;;
    *) echo "creating Restore velero/$NAME failed: $out" >&2; exit 1 ;;
  esac
fi
${waitPhaseBody()}`;

/**
 * OpenBao fallback: waits (TIMEOUT_SECONDS) until openbao-0 answers unsealed, then writes the
 * user-fed secrets with the root token from the restored openbao-unseal Secret. Token and values
 * travel on stdin, never in arguments. A path that exists is patched (its other keys stay); a new
 * one is created with put, and only when OpenBao says "No value found": any other failure of the
 * read (a refused token, a lost connection) stops, as a put would replace the path's other keys.
 * The value is read once in the pod and handed to the one bao command: `patch || put` on one
 * stdin would let a failed patch eat the value and put an empty one.
 * Env: KUBECONFIG_CONTENT, SEED_SECRETS (lines "secret/<path> <key>=<value>"), TIMEOUT_SECONDS.
 */
export const SEED_OPENBAO_SCRIPT = `${PRELUDE}token=$(kubectl -n openbao get secret openbao-unseal -o jsonpath='{.data.root-token}' | base64 -d)
[ -n "$token" ] || { echo "secret openbao/openbao-unseal has no root-token: restore it first" >&2; exit 1; }
until kubectl -n openbao exec openbao-0 -- bao status >/dev/null 2>&1; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "openbao-0 is not running and unsealed after \${TIMEOUT_SECONDS}s: $(kubectl -n openbao exec openbao-0 -- bao status 2>&1)" >&2
    exit 1
  fi
  sleep 10
done
printf '%s\\n' "$SEED_SECRETS" | while IFS= read -r line; do
  [ -n "$line" ] || continue
  path=\${line%% *}; pair=\${line#* }; key=\${pair%%=*}; value=\${pair#*=}
  printf '%s\\n%s' "$token" "$value" | kubectl -n openbao exec -i openbao-0 -- sh -c 'read -r VAULT_TOKEN; export VAULT_TOKEN; value=$(cat); if out=$(bao kv get "$0" 2>&1 >/dev/null); then op=patch; else case "$out" in *"No value found"*) op=put ;; *) printf "%s\\n" "$out" >&2; exit 1 ;; esac; fi; printf "%s" "$value" | bao kv "$op" "$0" "$1=-" >/dev/null' "$path" "$key" \\
    || { echo "writing $key to $path failed (see the error above)" >&2; exit 1; }
  echo "wrote $key to $path"
done
`;

#!/bin/sh
# OpenBao automatic path. Starts as soon as the Kustomization owning the vault-config Job is
# resumed (after the Velero restore brought `openbao/openbao-unseal` back) and watches the Job
# from its creation: the platform's Job is deleted 10 minutes after it finishes, so waiting for
# the Kustomization first could find it, and its log, gone. The Job, finding no initialized pod
# but the unseal keys and a raft snapshot (it fetches the newest from R2's `openbao-snapshots/`),
# restores that snapshot. A failed attempt (the Job Failed, or `vault-init` of this Job's pod is
# in CrashLoopBackOff: the Job restarts failed containers in place, its snapshot fetch is not
# repeated, and it only fails at its one-hour deadline) is re-run once: the Job is deleted with
# its pods and Flux asked to re-apply it. Its log is only searched, never copied into Pulumi's
# output (it may hold tokens), for the line that proves which way it went: a restore, an already
# initialized vault, or an EMPTY vault initialized because the keys were not back.
# Env: KUBECONFIG_CONTENT, KUSTOMIZATION, TIMEOUT_SECONDS.
REQUIRES=kubectl
. "${SCRIPTS_LIB:?}/preamble.sh"
. "${SCRIPTS_LIB:?}/kubeconfig.sh"
. "${SCRIPTS_LIB:?}/deadline.sh"
rerun=0
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
  if deadline_passed; then echo "vault-config did not complete within ${TIMEOUT_SECONDS}s" >&2; exit 1; fi
  sleep 5
done

#!/bin/sh
# Restores a Velero backup, once, and waits for the outcome, as one command: the command only
# lands in Pulumi's state when the restore passed, so a `pulumi up` after a failure runs it again,
# and after a success never. It waits until the backup is in the cluster (synced from the bucket;
# a Restore created before that fails validation), creates the Restore from MANIFEST, and takes
# an existing one of that name as this restore, unless it ended Failed or FailedValidation: that
# one restored nothing usable and is deleted and created again. Then the phase wait of
# lib/phase.sh. Not a Pulumi-owned object: Velero deletes a backup's Restores when the backup
# expires, and a refresh would then have Pulumi create it again.
# Env: KUBECONFIG_CONTENT, BACKUP, NAME, MANIFEST (JSON), KIND, NAMESPACE, ACCEPT, FAIL, REPORT,
# TIMEOUT_SECONDS.
REQUIRES=kubectl
. "${SCRIPTS_LIB:?}/preamble.sh"
. "${SCRIPTS_LIB:?}/kubeconfig.sh"
. "${SCRIPTS_LIB:?}/deadline.sh"
. "${SCRIPTS_LIB:?}/phase.sh"
until kubectl get backups.velero.io "$BACKUP" -n velero >/dev/null 2>&1; do
  if deadline_passed; then
    echo "Velero backup velero/$BACKUP is not in the cluster after ${TIMEOUT_SECONDS}s: Velero has not synced it from the bucket (check BackupStorageLocation default), or no such backup exists" >&2
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
          echo "Restore velero/$NAME already exists (${previous:-no phase yet}): it is this restore, not created again" ;;
      esac ;;
    *) echo "creating Restore velero/$NAME failed: $out" >&2; exit 1 ;;
  esac
fi
wait_for_phase

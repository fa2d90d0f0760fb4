#!/bin/sh
# Prints the newest Completed Velero backup (of schedule SCHEDULE when set). Runs once, so the
# choice is kept: a later run never picks a newer backup. It first waits until the
# BackupStorageLocation has synced the backup list from the bucket (`lastSyncedTime`): Available
# alone does not mean the list is complete, and the first answer is kept for good. A backup of
# another schedule (a manual one, a namespace-only one) is never taken for the full rebuild. In a
# rebuild, CUTOFF_NAMESPACE names a namespace the program created before Flux: a backup started
# after it was made by the new cluster itself (a new Schedule backs up at once, of a nearly empty
# cluster) and never counts.
# Env: KUBECONFIG_CONTENT, SCHEDULE and CUTOFF_NAMESPACE (either may be empty), TIMEOUT_SECONDS.
REQUIRES=kubectl
. "${SCRIPTS_LIB:?}/preamble.sh"
. "${SCRIPTS_LIB:?}/kubeconfig.sh"
. "${SCRIPTS_LIB:?}/deadline.sh"
until [ -n "$(kubectl get backupstoragelocations.velero.io default -n velero -o jsonpath='{.status.lastSyncedTime}' 2>/dev/null || true)" ]; do
  if deadline_passed; then
    echo "BackupStorageLocation velero/default did not sync the backup list from the bucket within ${TIMEOUT_SECONDS}s: check its status and the R2 credentials, or pin veleroBackup" >&2
    exit 1
  fi
  sleep 10
done
cutoff=""
if [ -n "${CUTOFF_NAMESPACE:-}" ]; then
  # Never go on without it: an empty cutoff would let the new cluster's own backup through.
  until cutoff=$(kubectl get namespace "$CUTOFF_NAMESPACE" -o jsonpath='{.metadata.creationTimestamp}' 2>/dev/null) && [ -n "$cutoff" ]; do
    if deadline_passed; then echo "could not read namespace $CUTOFF_NAMESPACE's creation time within ${TIMEOUT_SECONDS}s" >&2; exit 1; fi
    sleep 5
  done
fi
while :; do
  # RFC 3339 UTC timestamps compare as text.
  name=$(kubectl get backups.velero.io -n velero ${SCHEDULE:+-l velero.io/schedule-name=$SCHEDULE} --sort-by=.status.completionTimestamp \
    -o jsonpath='{range .items[?(@.status.phase=="Completed")]}{.metadata.name}{" "}{.status.startTimestamp}{"\n"}{end}' 2>/dev/null \
    | awk -v cutoff="$cutoff" 'NF && (cutoff == "" || $2 < cutoff) { name = $1 } END { printf "%s", name }')
  if [ -n "$name" ]; then printf '%s' "$name"; exit 0; fi
  if deadline_passed; then
    echo "no Completed Velero backup${SCHEDULE:+ of schedule $SCHEDULE}${cutoff:+ older than this cluster ($cutoff)} found in the bucket within ${TIMEOUT_SECONDS}s: check BackupStorageLocation default and the R2 credentials, or pin veleroBackup" >&2
    exit 1
  fi
  sleep 15
done

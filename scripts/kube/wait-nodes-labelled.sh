#!/bin/sh
# Waits until there is at least one node and every node carries label LABEL (the Hetzner cloud
# controller sets instance.hetzner.cloud/provided-by when it initializes a node; hcloud-csi's node
# plugin is scheduled by it). On timeout it names the nodes still without it, or kubectl's error.
# Env: KUBECONFIG_CONTENT, LABEL, TIMEOUT_SECONDS.
REQUIRES=kubectl
. "${SCRIPTS_LIB:?}/preamble.sh"
. "${SCRIPTS_LIB:?}/kubeconfig.sh"
. "${SCRIPTS_LIB:?}/deadline.sh"
while :; do
  if all=$(kubectl get nodes -o name 2>"$work/error") && missing=$(kubectl get nodes -l "!$LABEL" -o name 2>"$work/error"); then
    if [ -n "$all" ] && [ -z "$missing" ]; then
      echo "every node has $LABEL"
      exit 0
    fi
    missing=${missing:-no node registered yet}
  else
    missing="nodes could not be read: $(cat "$work/error")"
  fi
  if deadline_passed; then
    echo "not every node has $LABEL after ${TIMEOUT_SECONDS}s: $(printf '%s' "$missing" | tr '\n' ' ')" >&2
    exit 1
  fi
  sleep 10
done

#!/bin/sh
# Prints the admin kubeconfig, retrying while the cluster is still coming up.
# Env: NODE_IP, TALOSCONFIG (content), CONTEXT_NAME, TIMEOUT_SECONDS.
# Stdout: secret (the admin kubeconfig).
REQUIRES=talosctl
. "${SCRIPTS_LIB:?}/preamble.sh"
. "${SCRIPTS_LIB:?}/talosconfig.sh"
. "${SCRIPTS_LIB:?}/deadline.sh"
while ! talosctl --talosconfig "$TALOSCONFIG_FILE" --nodes "$NODE_IP" --endpoints "$NODE_IP" kubeconfig "$work/kubeconfig" --force --force-context-name "$CONTEXT_NAME" >"$work/log" 2>&1; do
  if deadline_passed; then
    echo "fetching the kubeconfig from $NODE_IP failed within ${TIMEOUT_SECONDS}s: $(cat "$work/log")" >&2
    exit 1
  fi
  sleep 10
done
cat "$work/kubeconfig"

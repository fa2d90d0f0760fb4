#!/bin/sh
# Bootstraps etcd on the first control plane, once. Idempotent: a cluster that is already
# bootstrapped answers AlreadyExists, which counts as success. Retries until apid answers.
# Env: NODE_NAME, NODE_IP, TALOSCONFIG (content), TIMEOUT_SECONDS.
REQUIRES=talosctl
. "${SCRIPTS_LIB:?}/preamble.sh"
. "${SCRIPTS_LIB:?}/talosconfig.sh"
. "${SCRIPTS_LIB:?}/deadline.sh"
while :; do
  if out=$(talosctl --talosconfig "$TALOSCONFIG_FILE" --nodes "$NODE_IP" --endpoints "$NODE_IP" bootstrap 2>&1); then
    echo "etcd bootstrapped on $NODE_NAME ($NODE_IP)"; exit 0
  fi
  case "$out" in
    *AlreadyExists*|*"already bootstrapped"*) echo "etcd on $NODE_NAME ($NODE_IP) was already bootstrapped"; exit 0 ;;
  esac
  if deadline_passed; then
    echo "etcd bootstrap on $NODE_NAME ($NODE_IP) failed: Talos apid did not accept it within ${TIMEOUT_SECONDS}s. Check 'talosctl -n $NODE_IP dmesg' and that port 50000 is open to this machine. Last error: $out" >&2
    exit 1
  fi
  sleep 10
done

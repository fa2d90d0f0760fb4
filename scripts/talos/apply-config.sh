#!/bin/sh
# ISO boot: applies a machine config to a node waiting in maintenance mode, retrying until its
# Talos API answers. A node that answers "certificate required" already has a config (done);
# every other error is retried until the deadline.
# Env: NODE_NAME, NODE_IP, MACHINE_CONFIG, TIMEOUT_SECONDS.
REQUIRES=talosctl
. "${SCRIPTS_LIB:?}/preamble.sh"
. "${SCRIPTS_LIB:?}/deadline.sh"
printf '%s' "$MACHINE_CONFIG" > "$work/config.yaml"
while :; do
  if out=$(talosctl apply-config --insecure --nodes "$NODE_IP" --file "$work/config.yaml" 2>&1); then
    echo "machine config applied to $NODE_NAME ($NODE_IP)"; exit 0
  fi
  case "$out" in
    # Already configured: out of maintenance mode, apid demands a client certificate and refuses
    # --insecure with exactly this TLS alert. Any other TLS error (a handshake cut short while the
    # node boots, a middlebox) says nothing about the node's state: retry until the deadline.
    *"certificate required"*) echo "$NODE_NAME ($NODE_IP) is already configured"; exit 0 ;;
  esac
  if deadline_passed; then
    echo "applying the machine config to $NODE_NAME ($NODE_IP) failed: Talos maintenance API on port 50000 did not accept it within ${TIMEOUT_SECONDS}s. Check that the server booted the Talos ISO and that the firewall admits this machine. Last error: $out" >&2
    exit 1
  fi
  sleep 10
done

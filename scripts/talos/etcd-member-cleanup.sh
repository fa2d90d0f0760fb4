#!/bin/sh
# Scenario 1 (control-plane loss): before a replacement control plane joins, remove the dead
# etcd member of the same name, or etcd refuses the newcomer. A no-op on a first build (no peer
# answers yet) and when the member is absent or the node's own etcd already runs. No wait.
# Env: NODE_NAME, NODE_IP, PEER_IPS (space-separated), TALOSCONFIG (content).
REQUIRES=talosctl
. "${SCRIPTS_LIB:?}/preamble.sh"
. "${SCRIPTS_LIB:?}/talosconfig.sh"
peer=""
for ip in $PEER_IPS; do
  if talosctl --talosconfig "$TALOSCONFIG_FILE" --nodes "$ip" --endpoints "$ip" etcd members >"$work/members" 2>/dev/null; then peer=$ip; break; fi
done
if [ -z "$peer" ]; then echo "no etcd peer answers: first build, nothing to clean up"; exit 0; fi
if talosctl --talosconfig "$TALOSCONFIG_FILE" --nodes "$NODE_IP" --endpoints "$NODE_IP" service etcd 2>/dev/null | grep -q Running; then
  echo "etcd already runs on $NODE_NAME"; exit 0
fi
id=$(awk -v name="$NODE_NAME" '$3 == name { print $2 }' "$work/members")
if [ -z "$id" ]; then echo "$NODE_NAME is not an etcd member: nothing to clean up"; exit 0; fi
talosctl --talosconfig "$TALOSCONFIG_FILE" --nodes "$peer" --endpoints "$peer" etcd remove-member "$id"
echo "removed stale etcd member $NODE_NAME ($id) via $peer"

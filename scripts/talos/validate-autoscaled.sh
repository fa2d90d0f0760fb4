#!/bin/sh
# Checks the machine config of one pool's autoscaled nodes (derived from the workers' config) with
# `talosctl validate` in cloud mode (they boot the hcloud snapshot), before it goes into Secret
# kube-system/cluster-autoscaler-config: no invalid config is ever handed to a new node.
# Env: MACHINE_CONFIG, POOL, TALOS_VERSION.
REQUIRES=talosctl
. "${SCRIPTS_LIB:?}/preamble.sh"
printf '%s' "$MACHINE_CONFIG" > "$work/config.yaml"
if ! out=$(talosctl validate --config "$work/config.yaml" --mode cloud 2>&1); then
  echo "the machine config for autoscaled nodes of pool $POOL is not valid for Talos $TALOS_VERSION (cloud mode), so the autoscaler does not get it: $out. It is the workers' config with install.wipe, the autoscaled and pool labels and the pool taints: check the pool's labels and taints, then the worker patches." >&2
  exit 1
fi
echo "the machine config for autoscaled nodes of pool $POOL is valid (Talos $TALOS_VERSION, cloud mode)"

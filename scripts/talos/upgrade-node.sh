#!/bin/sh
# One node's step of the rolling Talos upgrade (runbook Scenario 2). Safe to run again at any
# point: a node that already runs the target is skipped (that is how a stopped roll resumes and
# why a fresh rebuild is a no-op), and one an earlier run left cordoned is finished. Otherwise, in
# order, each check before anything is touched: the node's running version (a downgrade is
# refused), every node's version (a jump of more than one Talos minor is refused, naming the node),
# every kubelet against what the target Talos supports, etcd health (control planes), the
# pre-flight (this project's checker on the live cluster, PDB status included); then cordon,
# drain (PDBs respected), upgrade, wait for the new version, Ready (and etcd with all members
# healthy), uncordon. A failure stops here, naming the node.
# Env: NODE_NAME, NODE_IP, NODE_ROLE (worker | control-plane), TALOS_VERSION, INSTALLER_IMAGE,
# NODES ("name=ip ..." of every node), CONTROL_PLANE_IPS (space-separated), KUBERNETES_LOWEST (the
# lowest Kubernetes minor the target Talos runs, e.g. 1.31), DRAIN_TIMEOUT_SECONDS, TIMEOUT_SECONDS
# (the node's return), PREFLIGHT (enforce | warn), TALOSCONFIG (content), KUBECONFIG_CONTENT.
# The pre-flight runs checker/cli.ts with node from the working directory: the Pulumi project.
REQUIRES="talosctl kubectl node"
. "${SCRIPTS_LIB:?}/preamble.sh"
. "${SCRIPTS_LIB:?}/talosconfig.sh"
. "${SCRIPTS_LIB:?}/kubeconfig.sh"
. "${SCRIPTS_LIB:?}/upgrade.sh"
. "${SCRIPTS_LIB:?}/deadline.sh"

# Marks the node while this program has it cordoned, so a later run finishes an interrupted step
# and never uncordons a node somebody else cordoned.
MARK=platform-dr/upgrade-to
release_node() {
  kubectl uncordon "$NODE_NAME" >/dev/null
  kubectl annotate node "$NODE_NAME" "$MARK-" >/dev/null
}

# True when Node NODE_NAME's Ready condition is True.
node_ready() {
  [ "$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)" = "True" ]
}

# The wait after the upgrade: the new version, Ready, and on a control plane etcd healthy.
wait_back() {
  deadline=$(( $(date +%s) + TIMEOUT_SECONDS ))
  while :; do
    if ! now=$(talos_version "$NODE_IP" 2>"$work/err"); then
      stage="Talos API does not answer ($(tr '\n' ' ' < "$work/err"))"
    elif [ "$now" != "$TALOS_VERSION" ]; then
      stage="reports Talos $now (a new version that fails to boot is rolled back by Talos)"
    elif ! node_ready; then
      stage="runs $TALOS_VERSION but Node $NODE_NAME is not Ready"
    elif [ "$NODE_ROLE" = control-plane ] && problem=$(etcd_problem) && [ -n "$problem" ]; then
      stage="runs $TALOS_VERSION and is Ready, but $problem"
    else
      return 0
    fi
    if deadline_passed; then
      fail "$NODE_NAME ($NODE_IP) did not come back within ${TIMEOUT_SECONDS}s (upgradeNodeTimeoutSeconds): it $stage. The roll stops here and the node stays cordoned; the nodes after it are untouched. Check 'talosctl -n $NODE_IP dmesg' and the server's console, then run pulumi up again: the roll resumes at this node."
    fi
    sleep 10
  done
}

# A replaced node (Scenario 1) may still be installing: its Talos API gets TIMEOUT_SECONDS to answer.
while ! running=$(talos_version "$NODE_IP" 2>"$work/err"); do
  if deadline_passed; then
    fail "cannot read the Talos version of $NODE_NAME ($NODE_IP) within ${TIMEOUT_SECONDS}s: $(cat "$work/err"). Nothing was changed. If the server is gone, pulumi up recreates it (Scenario 1); otherwise check that port 50000 admits this machine."
  fi
  sleep 10
done
order=$(version_cmp "$running" "$TALOS_VERSION")
if [ "$order" -gt 0 ]; then
  fail "refusing to downgrade $NODE_NAME from Talos $running to $TALOS_VERSION: Talos upgrades go forward only. Set talosVersion to $running (or later). Nothing was changed."
fi

if [ "$order" -eq 0 ]; then
  if ! mark=$(kubectl get node "$NODE_NAME" -o jsonpath="{.metadata.annotations.$MARK}" 2>"$work/err"); then
    case "$(cat "$work/err")" in
      *NotFound*) mark="" ;; # not registered yet (a first build): nothing of ours to finish
      *) fail "cannot read Node $NODE_NAME: $(cat "$work/err")" ;;
    esac
  fi
  if [ -z "$mark" ]; then echo "$NODE_NAME already runs Talos $TALOS_VERSION: nothing to do"; exit 0; fi
  echo "$NODE_NAME runs Talos $TALOS_VERSION; finishing the step an earlier run left cordoned"
  wait_back
  release_node
  echo "$NODE_NAME upgraded to Talos $TALOS_VERSION and uncordoned"
  exit 0
fi

# Every node, not only this one (ksail#5359 read one node and skipped the laggards): a jump of more
# than one minor, or a node past the target, stops the roll before anything is drained.
for entry in $NODES; do
  name=${entry%%=*}
  ip=${entry#*=}
  v=$(talos_version "$ip" 2>"$work/err") ||
    fail "cannot read the Talos version of $name ($ip): $(cat "$work/err"). Not upgrading $NODE_NAME while a node does not answer; nothing was changed. A lost server is recreated by pulumi up (Scenario 1)."
  if [ "$(version_cmp "$v" "$TALOS_VERSION")" -gt 0 ]; then
    fail "refusing to downgrade: $name runs Talos $v, past talosVersion $TALOS_VERSION. Set talosVersion to $v (or later). Nothing was changed."
  fi
  if [ "$(minor_gap "$v" "$TALOS_VERSION")" -gt 1 ]; then
    fail "refusing to upgrade to Talos $TALOS_VERSION: $name runs $v, more than one minor release behind. Talos tests its upgrades between adjacent minor releases only: set talosVersion to the latest patch of the next minor, run pulumi up, and repeat. Nothing was changed."
  fi
done

# Talos runs only the Kubernetes versions of its support matrix: the kubelets must already be new enough.
kubelets=$(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.status.nodeInfo.kubeletVersion}{" "}{end}') ||
  fail "cannot list the cluster's Nodes; nothing was changed"
for entry in $kubelets; do
  if [ "$(minor_gap "v$KUBERNETES_LOWEST.0" "${entry#*=}")" -lt 0 ]; then
    fail "refusing to upgrade to Talos $TALOS_VERSION: Node ${entry%%=*} runs kubelet ${entry#*=}, and Talos $TALOS_VERSION runs Kubernetes $KUBERNETES_LOWEST or later. Upgrade Kubernetes first (kubernetesVersion, with the current talosVersion). Nothing was changed."
  fi
done

if [ "$NODE_ROLE" = control-plane ]; then
  problem=$(etcd_problem)
  if [ -n "$problem" ]; then
    fail "not upgrading control plane $NODE_NAME while etcd is unhealthy: $problem. Taking a member down now could cost etcd its quorum. Nothing was changed; check 'talosctl etcd status' and run pulumi up again once etcd is healthy."
  fi
fi

# Pre-flight: the availability rules (the project's one rule engine, through its checker) on the
# live cluster. With live status they include every PDB whose status.disruptionsAllowed is 0 over
# running pods: the roll drains every node, so such a PDB would stop one of the drains.
[ -f checker/cli.ts ] ||
  fail "the pre-flight runs this project's checker (checker/cli.ts) from the Pulumi project directory, and $(pwd) has none: run pulumi from the project directory"
kubectl get deployments.apps,statefulsets.apps,poddisruptionbudgets.policy,horizontalpodautoscalers.autoscaling --all-namespaces -o yaml >"$work/live.yaml" ||
  fail "pre-flight: cannot list the cluster's workloads; nothing was changed"
if node --require ts-node/register/transpile-only checker/cli.ts "$work/live.yaml" >"$work/preflight" 2>&1; then
  echo "pre-flight before draining $NODE_NAME: no error findings"
elif grep -q '^Checked ' "$work/preflight" && [ "$PREFLIGHT" = warn ]; then
  cat "$work/preflight"
  echo "WARNING: the pre-flight found errors (above); upgradePreflight is warn, so the roll goes on. The drain still respects every PDB."
elif grep -q '^Checked ' "$work/preflight"; then
  cat "$work/preflight" >&2
  fail "pre-flight before draining $NODE_NAME found errors (above); nothing was changed. Fix them and run pulumi up again, or set upgradePreflight to warn to roll anyway (the drain still respects every PDB)."
else
  fail "the pre-flight could not check the cluster: $(cat "$work/preflight"). Nothing was changed."
fi

# Marked first: a run cut short after the cordon still knows the node is its own to release.
kubectl annotate node "$NODE_NAME" --overwrite "$MARK=$TALOS_VERSION" >/dev/null
kubectl cordon "$NODE_NAME" >/dev/null
if ! kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout="${DRAIN_TIMEOUT_SECONDS}s" >"$work/drain" 2>&1; then
  release_node
  fail "draining $NODE_NAME did not finish within ${DRAIN_TIMEOUT_SECONDS}s (upgradeDrainTimeoutSeconds); it is uncordoned again and was not upgraded, and the nodes after it are untouched. kubectl drain said: $(tail -n 5 "$work/drain" | tr '\n' ' ') Evictions respect PDBs: bring the blocking workload to health (or raise upgradeDrainTimeoutSeconds) and run pulumi up again."
fi
echo "$NODE_NAME drained; upgrading from Talos $running to $INSTALLER_IMAGE"
if ! out=$(talosctl --talosconfig "$TALOSCONFIG_FILE" --nodes "$NODE_IP" --endpoints "$NODE_IP" upgrade --image "$INSTALLER_IMAGE" --wait=false 2>&1); then
  release_node
  fail "Talos did not accept the upgrade of $NODE_NAME to $INSTALLER_IMAGE: $out. It is uncordoned again and still runs $running; the nodes after it are untouched."
fi
wait_back
release_node
echo "$NODE_NAME upgraded from Talos $running to $TALOS_VERSION and uncordoned"

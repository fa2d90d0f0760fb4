#!/bin/sh
# The Kubernetes step of the rolling upgrade: `talosctl upgrade-k8s --to KUBERNETES_VERSION`,
# once every node runs the target Talos version (it runs after the last node's step). Skipped when
# the API server and every kubelet already run the target; a downgrade, or a jump of more than one
# minor (Kubernetes' version skew policy), is refused. upgrade-k8s continues where an earlier,
# interrupted run stopped, so running this again is safe.
# Env: KUBERNETES_VERSION, TALOS_VERSION, NODES ("name=ip ..." of every node), CONTROL_PLANE_IPS
# (space-separated), TALOSCONFIG (content), KUBECONFIG_CONTENT.
REQUIRES="talosctl kubectl"
. "${SCRIPTS_LIB:?}/preamble.sh"
. "${SCRIPTS_LIB:?}/talosconfig.sh"
. "${SCRIPTS_LIB:?}/kubeconfig.sh"
. "${SCRIPTS_LIB:?}/upgrade.sh"

for entry in $NODES; do
  name=${entry%%=*}
  ip=${entry#*=}
  v=$(talos_version "$ip" 2>"$work/err") || fail "cannot read the Talos version of $name ($ip): $(cat "$work/err"). Kubernetes is not upgraded while a node does not answer."
  [ "$v" = "$TALOS_VERSION" ] || fail "$name runs Talos $v, not $TALOS_VERSION: the node roll has not finished, so Kubernetes is not upgraded yet. Run pulumi up again."
done

versions() {
  api=$(kubectl get --raw /version | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p')
  kubelets=$(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.status.nodeInfo.kubeletVersion}{" "}{end}')
  behind=""
  for entry in $kubelets; do
    [ "${entry#*=}" = "$KUBERNETES_VERSION" ] || behind="$behind $entry"
  done
}
versions
[ -n "$api" ] || fail "cannot read the API server's version (kubectl get --raw /version)"
if [ "$api" = "$KUBERNETES_VERSION" ] && [ -z "$behind" ]; then
  echo "the cluster already runs Kubernetes $KUBERNETES_VERSION: nothing to do"
  exit 0
fi
if [ "$(version_cmp "$KUBERNETES_VERSION" "$api")" -lt 0 ]; then
  fail "refusing to downgrade Kubernetes from $api to $KUBERNETES_VERSION: set kubernetesVersion to $api (or later). Nothing was changed."
fi
if [ "$(minor_gap "$api" "$KUBERNETES_VERSION")" -gt 1 ]; then
  fail "refusing to upgrade Kubernetes from $api to $KUBERNETES_VERSION: Kubernetes upgrades go one minor release at a time. Set kubernetesVersion to the next minor, run pulumi up, and repeat. Nothing was changed."
fi

first=${CONTROL_PLANE_IPS%% *}
echo "upgrading Kubernetes from $api to $KUBERNETES_VERSION through $first"
talosctl --talosconfig "$TALOSCONFIG_FILE" --nodes "$first" --endpoints "$first" upgrade-k8s --to "$KUBERNETES_VERSION" ||
  fail "talosctl upgrade-k8s --to $KUBERNETES_VERSION failed (its output is above). Run pulumi up again: upgrade-k8s continues where it stopped."
versions
if [ "$api" != "$KUBERNETES_VERSION" ] || [ -n "$behind" ]; then
  fail "after upgrade-k8s the API server runs ${api:-an unknown version} and these kubelets are not at $KUBERNETES_VERSION:${behind:- none}. Run pulumi up again."
fi
echo "the cluster runs Kubernetes $KUBERNETES_VERSION"

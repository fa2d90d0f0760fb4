#!/bin/sh
# The delete step of `pulumi destroy`, before the network goes: deletes what this cluster has in
# Hetzner outside Pulumi's state, attached to its network, so the network (and the subnet) can be
# deleted: the autoscaled servers (label hcloud/node-group, any pool, also pools no longer in
# config) and the cloud controller's load balancers. A load balancer not attached to the network
# may belong to another cluster: it is left and reported. Snapshots stay unless DELETE_SNAPSHOTS.
# First the Cluster Autoscaler and the cloud controller are scaled to zero (best effort: the API
# may be gone), so neither makes new ones meanwhile; the sweep repeats until a pass finds nothing.
# Each deletion is logged by name; on a failure it names what is left and how to finish by hand.
# Safe to run again: what is gone is no longer listed, a 404 counts as deleted.
# Env: HCLOUD_TOKEN, CLUSTER_NAME, NETWORK_ID, NETWORK_NAME, KEEP_LOAD_BALANCERS (names Pulumi
# deletes itself), DELETE_SNAPSHOTS (true|false), KUBECONFIG_CONTENT (may be empty),
# TIMEOUT_SECONDS, POLL_SECONDS (optional).
REQUIRES="curl node"
. "${SCRIPTS_LIB:?}/preamble.sh"
. "${SCRIPTS_LIB:?}/deadline.sh"
. "${SCRIPTS_LIB:?}/hcloud-api.sh"
tab=$(printf '\t')

servers_left=""
lbs_left=""
stop() {
  echo "teardown of cluster $CLUSTER_NAME stopped: $1" >&2
  if [ -n "$servers_left$lbs_left" ]; then
    echo "left in Hetzner, attached to network $NETWORK_NAME (id $NETWORK_ID), so the network cannot be deleted yet:" >&2
    for s in $servers_left; do echo "  server $s: hcloud server delete $s" >&2; done
    for l in $lbs_left; do echo "  load balancer $l: hcloud load-balancer delete $l" >&2; done
    echo "finish by hand with the commands above (hcloud CLI with HCLOUD_TOKEN set), or fix the cause and run pulumi destroy again: it repeats this step before deleting the network" >&2
  else
    echo "nothing it found is left; fix the cause and run pulumi destroy again: it repeats this step before deleting the network" >&2
  fi
  exit 1
}
forget() { # forget LIST NAME: the space-separated LIST without NAME
  _kept=""
  for _item in $1; do [ "$_item" = "$2" ] || _kept="$_kept$_item "; done
  printf '%s' "$_kept"
}

# 0. Stop the controllers that create servers and load balancers (the cluster is still running).
if [ -n "${KUBECONFIG_CONTENT:-}" ] && command -v kubectl >/dev/null 2>&1; then
  printf '%s' "$KUBECONFIG_CONTENT" > "$work/kubeconfig"
  for release in cluster-autoscaler hcloud-cloud-controller-manager; do
    if kubectl --kubeconfig "$work/kubeconfig" --request-timeout=20s -n kube-system scale deployment \
      -l "app.kubernetes.io/instance=$release" --replicas=0 >/dev/null 2>&1; then
      echo "scaled $release to zero: it creates nothing more"
    else
      echo "could not scale $release to zero (is the API gone?); whatever it still creates is caught by the next pass"
    fi
  done
fi

# One pass: deletes the autoscaled servers and load balancers attached to this network.
# Sets $found to what it deleted, so the caller repeats until a pass finds nothing.
sweep() {
  found=0
  # The autoscaler labels its servers hcloud/node-group=<pool>.
  servers=$(hcloud_list "/servers?label_selector=hcloud%2Fnode-group" servers \
    "[x.id, x.name, x.labels['hcloud/node-group'], (x.private_net || []).some((n) => String(n.network) === process.env.NETWORK_ID) ? 'here' : 'elsewhere']") \
    || stop "listing the autoscaled servers (label hcloud/node-group) failed"
  attached=$(printf '%s\n' "$servers" | awk -F "$tab" '$4 == "here"')
  servers_left=$(printf '%s\n' "$attached" | awk -F "$tab" 'NF { printf "%s ", $2 }')
  lbs=$(hcloud_list "/load_balancers" load_balancers \
    "[x.id, x.name, (x.private_net || []).some((n) => String(n.network) === process.env.NETWORK_ID) ? 'here' : 'elsewhere', x.labels['hcloud-ccm/service-uid'] ? 'ccm' : 'other']") \
    || stop "listing the load balancers failed"
  lbs_left=$(printf '%s\n' "$lbs" | awk -F "$tab" -v keep=" ${KEEP_LOAD_BALANCERS:-} " '$3 == "here" && index(keep, " " $2 " ") == 0 { printf "%s ", $2 }')

  deleting=""
  while IFS="$tab" read -r id name pool _where; do
    [ -n "$id" ] || continue
    found=$((found + 1))
    answer=$(hcloud_api DELETE "/servers/$id") && rc=0 || rc=$?
    case $rc in
      0)
        action=$(printf '%s' "$answer" | json 'r.action.id') || stop "deleting server $name: Hetzner's answer had no action"
        echo "deleting autoscaled server $name (pool $pool)"
        deleting="$deleting $action:$name" ;;
      4)
        echo "autoscaled server $name (pool $pool) is already gone"
        servers_left=$(forget "$servers_left" "$name") ;;
      *) stop "deleting autoscaled server $name (pool $pool) failed" ;;
    esac
  done <<LIST
$attached
LIST
  for entry in $deleting; do
    action=${entry%%:*}; name=${entry#*:}
    wait_action "$action" "deleting server $name" || stop "deleting autoscaled server $name did not finish"
    echo "deleted autoscaled server $name"
    servers_left=$(forget "$servers_left" "$name")
  done

  while IFS="$tab" read -r id name where made_by; do
    [ -n "$id" ] || continue
    case " ${KEEP_LOAD_BALANCERS:-} " in *" $name "*) continue ;; esac
    if [ "$where" != here ]; then
      [ "$made_by" = ccm ] && unattached="$unattached $name"
      continue
    fi
    found=$((found + 1))
    hcloud_api DELETE "/load_balancers/$id" >/dev/null && rc=0 || rc=$?
    case $rc in
      0) echo "deleted load balancer $name" ;;
      4) echo "load balancer $name is already gone" ;;
      *) stop "deleting load balancer $name failed" ;;
    esac
    lbs_left=$(forget "$lbs_left" "$name")
  done <<LIST
$lbs
LIST
}

passes=0
while :; do
  unattached=""
  sweep
  passes=$((passes + 1))
  [ "$found" -gt 0 ] || break
  [ "$passes" -lt 5 ] || stop "new autoscaled servers or load balancers kept appearing on $NETWORK_NAME after $passes passes: stop whatever creates them"
done
for name in $unattached; do
  echo "left load balancer $name: it is not attached to network $NETWORK_NAME, so it may belong to another cluster; if it is this cluster's, delete it with: hcloud load-balancer delete $name"
done

# This cluster's Talos snapshots (ksail's label): kept unless DELETE_SNAPSHOTS.
snapshots=$(hcloud_list "/images?type=snapshot&label_selector=ksail.io%2Fcluster%3D$CLUSTER_NAME" images "[x.id, x.description]") \
  || stop "listing the Talos snapshots (label ksail.io/cluster=$CLUSTER_NAME) failed"
while IFS="$tab" read -r id description; do
  [ -n "$id" ] || continue
  if [ "${DELETE_SNAPSHOTS:-false}" = true ]; then
    hcloud_api DELETE "/images/$id" >/dev/null && rc=0 || rc=$?
    [ "$rc" -eq 0 ] || [ "$rc" -eq 4 ] || stop "deleting snapshot $id ($description) failed"
    echo "deleted snapshot $id ($description)"
  else
    echo "kept snapshot $id ($description): delete it with: hcloud image delete $id"
  fi
done <<LIST
$snapshots
LIST
echo "teardown of cluster $CLUSTER_NAME done: nothing outside Pulumi's state is attached to network $NETWORK_NAME any more"

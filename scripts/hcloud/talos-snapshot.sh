#!/bin/sh
# The Talos snapshot autoscaled nodes boot from, as ksail makes it: found by its labels
# (ksail.io/talos-version, ksail.io/talos-schematic = the schematic's first 63 characters,
# ksail.io/cluster), or built once: a temporary server booted into Hetzner's rescue system writes
# the Image Factory's hcloud image to its disk, is powered off and snapshotted. The temporary
# server and its SSH key are ALWAYS deleted, also when the build fails or is interrupted; a
# leftover from a killed run is deleted before the next build. Prints the snapshot's ID (only
# that on stdout; progress on stderr).
# Env: HCLOUD_TOKEN, CLUSTER_NAME, TALOS_VERSION, SCHEMATIC_ID, ARCH (amd64|arm64),
# BUILDER_SERVER_TYPE, LOCATION, TIMEOUT_SECONDS, POLL_SECONDS (optional).
REQUIRES="curl node ssh ssh-keygen"
. "${SCRIPTS_LIB:?}/preamble.sh"
. "${SCRIPTS_LIB:?}/deadline.sh"
. "${SCRIPTS_LIB:?}/hcloud-api.sh"

schematic63=$(printf '%s' "$SCHEMATIC_ID" | cut -c1-63)
selector="ksail.io%2Ftalos-version%3D$TALOS_VERSION,ksail.io%2Ftalos-schematic%3D$schematic63,ksail.io%2Fcluster%3D$CLUSTER_NAME"
labels="\"ksail.io/talos-version\":\"$TALOS_VERSION\",\"ksail.io/talos-schematic\":\"$schematic63\",\"ksail.io/cluster\":\"$CLUSTER_NAME\""
builder="$CLUSTER_NAME-talos-snapshot-builder"
what="the Talos $TALOS_VERSION snapshot (schematic $schematic63) for autoscaled nodes of $CLUSTER_NAME"

found=$(hcloud_list "/images?type=snapshot&status=available&architecture=$ARCH&sort=created:desc&label_selector=$selector" images "x.id") \
  || { echo "looking up $what failed: check hcloud:token" >&2; exit 1; }
if [ -n "$found" ]; then
  id=$(printf '%s\n' "$found" | head -n 1)
  echo "found $what: image $id" >&2
  printf '%s\n' "$id"
  exit 0
fi

server_id=""
key_id=""
rc=0
# Deletes the temporary server and SSH key, whatever happened; names them when that fails.
cleanup() {
  deadline=$(( $(date +%s) + 300 ))
  if [ -n "$server_id" ]; then
    if answer=$(hcloud_api DELETE "/servers/$server_id") && wait_action "$(printf '%s' "$answer" | json 'r.action.id')" "deleting $builder"; then
      echo "deleted the temporary server $builder" >&2
    elif [ -z "$(hcloud_api GET "/servers/$server_id" 2>/dev/null || true)" ]; then
      echo "the temporary server $builder is gone" >&2
    else
      echo "the temporary server $builder (id $server_id) could NOT be deleted and is billed until it is: hcloud server delete $builder" >&2
    fi
  fi
  if [ -n "$key_id" ]; then
    hcloud_api DELETE "/ssh_keys/$key_id" >/dev/null || [ $? -eq 4 ] \
      || echo "the temporary SSH key $builder could NOT be deleted: hcloud ssh-key delete $builder" >&2
  fi
  rm -rf "$work"
}
trap 'rc=$?; trap - EXIT; cleanup; exit "$rc"' EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM
fail() { echo "building $what failed: $1" >&2; exit 1; }

echo "no snapshot has the labels of $what: building it with a temporary $BUILDER_SERVER_TYPE server in $LOCATION" >&2
# A killed earlier run may have left its server or key (the names are fixed): delete them first.
stale_servers=$(hcloud_list "/servers?name=$builder" servers "x.id") || fail "looking for a temporary server left by an earlier run"
stale_keys=$(hcloud_list "/ssh_keys?name=$builder" ssh_keys "x.id") || fail "looking for an SSH key left by an earlier run"
for stale in $stale_servers; do
  answer=$(hcloud_api DELETE "/servers/$stale") || fail "deleting the temporary server left by an earlier run ($builder, id $stale)"
  wait_action "$(printf '%s' "$answer" | json 'r.action.id')" "deleting the earlier $builder" || fail "the earlier $builder was not deleted"
  echo "deleted the temporary server $builder left by an earlier run" >&2
done
for stale in $stale_keys; do
  hcloud_api DELETE "/ssh_keys/$stale" >/dev/null || fail "deleting the SSH key left by an earlier run ($builder)"
done

ssh-keygen -q -t ed25519 -N '' -C "$builder" -f "$work/id" >/dev/null
answer=$(hcloud_api POST /ssh_keys "{\"name\":\"$builder\",\"public_key\":\"$(cat "$work/id.pub")\",\"labels\":{$labels}}") \
  || fail "creating a temporary SSH key"
key_id=$(printf '%s' "$answer" | json 'r.ssh_key.id')

answer=$(hcloud_api POST /servers "{\"name\":\"$builder\",\"server_type\":\"$BUILDER_SERVER_TYPE\",\"location\":\"$LOCATION\",\"image\":\"debian-12\",\"start_after_create\":false,\"ssh_keys\":[$key_id],\"labels\":{$labels,\"platform-dr/role\":\"talos-snapshot-builder\"}}") \
  || fail "creating the temporary server (is a server slot free under the account's limit?)"
created=$(printf '%s' "$answer" | json '[r.server.id, r.server.public_net.ipv4.ip, r.action.id].join(" ")')
server_id=${created%% *}; ip=${created#* }; action=${ip#* }; ip=${ip%% *}
wait_action "$action" "creating $builder" || fail "the temporary server was not created"
answer=$(hcloud_api POST "/servers/$server_id/actions/enable_rescue" "{\"type\":\"linux64\",\"ssh_keys\":[$key_id]}") || fail "enabling the rescue system"
wait_action "$(printf '%s' "$answer" | json 'r.action.id')" "enabling rescue on $builder" || fail "the rescue system was not enabled"
answer=$(hcloud_api POST "/servers/$server_id/actions/poweron") || fail "powering on the temporary server"
wait_action "$(printf '%s' "$answer" | json 'r.action.id')" "powering on $builder" || fail "the temporary server did not power on"

set -- -i "$work/id" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 -o LogLevel=ERROR "root@$ip"
until ssh "$@" true 2>/dev/null; do
  ! deadline_passed || fail "the rescue system on $ip did not answer SSH within ${TIMEOUT_SECONDS}s"
  sleep "${POLL_SECONDS:-5}"
done
image="https://factory.talos.dev/image/$SCHEMATIC_ID/$TALOS_VERSION/hcloud-$ARCH.raw.xz"
echo "writing $image to the temporary server's disk" >&2
# shellcheck disable=SC2029 # the image URL is meant to be expanded here, on this side
ssh "$@" "set -e; curl -fsSL '$image' -o /tmp/talos.raw.xz; xz -dc /tmp/talos.raw.xz > /dev/sda; sync" >&2 \
  || fail "writing $image to the disk (is the version and schematic in the Image Factory?)"

answer=$(hcloud_api POST "/servers/$server_id/actions/poweroff") || fail "powering off the temporary server"
wait_action "$(printf '%s' "$answer" | json 'r.action.id')" "powering off $builder" || fail "the temporary server did not power off"
answer=$(hcloud_api POST "/servers/$server_id/actions/create_image" "{\"type\":\"snapshot\",\"description\":\"talos $TALOS_VERSION $schematic63 ($CLUSTER_NAME autoscaled nodes)\",\"labels\":{$labels}}") \
  || fail "starting the snapshot"
id=$(printf '%s' "$answer" | json 'r.image.id')
wait_action "$(printf '%s' "$answer" | json 'r.action.id')" "snapshotting $builder" || fail "the snapshot was not finished"
echo "built $what: image $id" >&2
printf '%s\n' "$id"

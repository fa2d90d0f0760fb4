# shellcheck shell=sh
# Shared by the rolling-upgrade scripts (scripts/talos/upgrade-*.sh). Needs preamble.sh,
# talosconfig.sh and kubeconfig.sh before it.

# fail MESSAGE: says what went wrong on stderr and stops the script (and so the roll) here.
fail() { echo "$*" >&2; exit 1; }

# version_cmp A B: prints -1, 0 or 1 as release tag A (vMAJOR.MINOR.PATCH[-pre]) sorts before,
# equal to or after B. A pre-release sorts before its release.
version_cmp() {
  awk -v a="$1" -v b="$2" '
    function parse(v, out,   i, n, parts) {
      sub(/^v/, "", v); out[4] = ""; i = index(v, "-")
      if (i) { out[4] = substr(v, i + 1); v = substr(v, 1, i - 1) }
      n = split(v, parts, "."); out[1] = parts[1] + 0; out[2] = parts[2] + 0; out[3] = parts[3] + 0
    }
    BEGIN {
      parse(a, x); parse(b, y)
      for (k = 1; k <= 3; k++) if (x[k] != y[k]) { print (x[k] < y[k] ? -1 : 1); exit }
      if (x[4] == y[4]) print 0; else if (x[4] == "") print 1; else if (y[4] == "") print -1; else print (x[4] < y[4] ? -1 : 1)
    }'
}

# minor_gap FROM TO: how many minor releases TO is past FROM (negative when before it; 99 across a
# major release, which no upgrade step may cross).
minor_gap() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    sub(/^v/, "", a); sub(/^v/, "", b); split(a, x, "."); split(b, y, ".")
    if (x[1] + 0 != y[1] + 0) print 99; else print y[2] - x[2]
  }'
}

# talos_version IP: the Talos version the node at IP runs (the Server Tag of `talosctl version`);
# fails with talosctl's own error on stderr when the node does not answer.
talos_version() {
  tv_out=$(talosctl --talosconfig "$TALOSCONFIG_FILE" --nodes "$1" --endpoints "$1" version 2>&1) || { printf '%s\n' "$tv_out" >&2; return 1; }
  tv_tag=$(printf '%s\n' "$tv_out" | awk '/^Server:/ { server = 1; next } server && $1 == "Tag:" { print $2; exit }')
  if [ -z "$tv_tag" ]; then echo "talosctl version printed no server version: $tv_out" >&2; return 1; fi
  printf '%s\n' "$tv_tag"
}

# etcd_problem: prints nothing when etcd has exactly one member per control plane
# (CONTROL_PLANE_IPS) and every member answers `etcd status` as a voting member without errors;
# otherwise prints what is wrong.
etcd_problem() {
  want=$(echo "$CONTROL_PLANE_IPS" | wc -w)
  members=""
  for ip in $CONTROL_PLANE_IPS; do
    if members=$(talosctl --talosconfig "$TALOSCONFIG_FILE" --nodes "$ip" --endpoints "$ip" etcd members 2>&1); then break; fi
    members=""
  done
  if [ -z "$members" ]; then echo "no control plane answers 'talosctl etcd members'"; return 0; fi
  have=$(printf '%s\n' "$members" | awk 'NR > 1 && NF' | wc -l)
  if [ "$have" -ne "$want" ]; then echo "etcd has $have members, not $want (one per control plane)"; return 0; fi
  all=$(echo "$CONTROL_PLANE_IPS" | tr -s ' ' ',' | sed 's/^,//; s/,$//')
  if ! status=$(talosctl --talosconfig "$TALOSCONFIG_FILE" --nodes "$all" --endpoints "$all" etcd status 2>&1); then
    echo "not every member answers 'talosctl etcd status': $status"; return 0
  fi
  # talosctl prints a warning and the rows it got when a member does not answer: count them.
  rows=$(printf '%s\n' "$status" | awk 'NR > 1 && NF' | wc -l)
  if [ "$rows" -ne "$want" ]; then echo "only $rows of $want members answer 'talosctl etcd status': $status"; return 0; fi
  # The last column is LEARNER (false) when ERRORS is empty; anything else is a learner or an error.
  bad=$(printf '%s\n' "$status" | awk 'NR > 1 && NF && $(NF) != "false" { printf "%s%s", sep, $0; sep = "; " }')
  if [ -n "$bad" ]; then echo "etcd members report errors or are still learners: $bad"; return 0; fi
}

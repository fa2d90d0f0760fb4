# shellcheck shell=sh
# Writes KUBECONFIG_CONTENT to a private file in $work (see preamble.sh) and points kubectl at it:
# the kubeconfig never appears on a command line.
printf '%s' "$KUBECONFIG_CONTENT" > "${work:?preamble.sh sets work}/kubeconfig"
export KUBECONFIG="$work/kubeconfig"

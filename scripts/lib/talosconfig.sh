# shellcheck shell=sh
# Writes TALOSCONFIG (content) to a private file in $work (see preamble.sh), named by
# $TALOSCONFIG_FILE for talosctl's --talosconfig: the content never appears on a command line.
printf '%s' "$TALOSCONFIG" > "${work:?preamble.sh sets work}/talosconfig"
export TALOSCONFIG_FILE="$work/talosconfig"

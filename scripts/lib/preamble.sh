# shellcheck shell=sh
# The start of every script. The script sets REQUIRES (space-separated tools) before sourcing it.
# Strict mode; each required tool checked first, naming how to install it (exit 127); a private
# temp dir, $work, removed on exit and on HUP/INT/TERM (a signal that kills sh would skip the
# EXIT trap; `exit` in the signal's trap runs it).
set -eu
for tool in $REQUIRES; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    case "$tool" in
      talosctl) hint="install the talosctl release matching the cluster's Talos version (talosVersion) and re-run pulumi up" ;;
      kubectl) hint="install kubectl and re-run pulumi up" ;;
      *) hint="install $tool and re-run pulumi up" ;;
    esac
    echo "$tool is not on PATH: $hint" >&2
    exit 127
  fi
done
umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM

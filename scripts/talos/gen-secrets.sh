#!/bin/sh
# Generates a new Talos secrets bundle (the cluster PKI) and prints it. Runs once; protected.
# Env: none.
# Stdout: secret (the Talos secrets bundle).
REQUIRES=talosctl
. "${SCRIPTS_LIB:?}/preamble.sh"
talosctl gen secrets --output-file "$work/secrets.yaml" >/dev/null
cat "$work/secrets.yaml"

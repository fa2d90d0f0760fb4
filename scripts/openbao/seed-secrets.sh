#!/bin/sh
# OpenBao fallback: waits (TIMEOUT_SECONDS) until openbao-0 answers unsealed, then writes the
# user-fed secrets with the root token from the restored openbao-unseal Secret. Token and values
# travel on stdin, never in arguments. A path that exists is patched (its other keys stay); a new
# one is created with put, and only when OpenBao says "No value found": any other failure of the
# read (a refused token, a lost connection) stops, as a put would replace the path's other keys.
# The value is read once in the pod and handed to the one bao command: `patch || put` on one
# stdin would let a failed patch eat the value and put an empty one.
# Env: KUBECONFIG_CONTENT, SEED_SECRETS (lines "secret/<path> <key>=<value>"), TIMEOUT_SECONDS.
REQUIRES=kubectl
. "${SCRIPTS_LIB:?}/preamble.sh"
. "${SCRIPTS_LIB:?}/kubeconfig.sh"
. "${SCRIPTS_LIB:?}/deadline.sh"
token=$(kubectl -n openbao get secret openbao-unseal -o jsonpath='{.data.root-token}' | base64 -d)
[ -n "$token" ] || { echo "secret openbao/openbao-unseal has no root-token: restore it first" >&2; exit 1; }
until kubectl -n openbao exec openbao-0 -- bao status >/dev/null 2>&1; do
  if deadline_passed; then
    echo "openbao-0 is not running and unsealed after ${TIMEOUT_SECONDS}s: $(kubectl -n openbao exec openbao-0 -- bao status 2>&1)" >&2
    exit 1
  fi
  sleep 10
done
printf '%s\n' "$SEED_SECRETS" | while IFS= read -r line; do
  [ -n "$line" ] || continue
  path=${line%% *}; pair=${line#* }; key=${pair%%=*}; value=${pair#*=}
  # In the pod: $0 is the path, $1 the key; the token is the first line of stdin, the value the rest.
  # shellcheck disable=SC2016 # the in-pod script is expanded by the pod's sh, not this one
  printf '%s\n%s' "$token" "$value" | kubectl -n openbao exec -i openbao-0 -- sh -c 'read -r VAULT_TOKEN; export VAULT_TOKEN; value=$(cat); if out=$(bao kv get "$0" 2>&1 >/dev/null); then op=patch; else case "$out" in *"No value found"*) op=put ;; *) printf "%s\n" "$out" >&2; exit 1 ;; esac; fi; printf "%s" "$value" | bao kv "$op" "$0" "$1=-" >/dev/null' "$path" "$key" \
    || { echo "writing $key to $path failed (see the error above)" >&2; exit 1; }
  echo "wrote $key to $path"
done

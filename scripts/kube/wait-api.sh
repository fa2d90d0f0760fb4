#!/bin/sh
# Waits until the Kubernetes API answers on the stable endpoint (any HTTP status: 401 and 403
# mean the API server is up).
# Env: API_URL, TIMEOUT_SECONDS.
REQUIRES=curl
. "${SCRIPTS_LIB:?}/preamble.sh"
. "${SCRIPTS_LIB:?}/deadline.sh"
while :; do
  code=$(curl --silent --insecure --max-time 5 --output /dev/null --write-out '%{http_code}' "$API_URL/version" || true)
  case "$code" in
    200|401|403) echo "Kubernetes API at $API_URL answers (HTTP $code)"; exit 0 ;;
  esac
  if deadline_passed; then
    echo "the Kubernetes API at $API_URL did not answer within ${TIMEOUT_SECONDS}s (last HTTP status: ${code:-none}). Check 'talosctl health' and that the API endpoint reaches a control plane." >&2
    exit 1
  fi
  sleep 10
done

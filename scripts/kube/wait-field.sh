#!/bin/sh
# Waits until an object exists and a JSONPath of it is non-empty (a load balancer's IP, say).
# The value is not printed: the waiter is generic, and a field may hold what the logs must not.
# On timeout it says whether the object is missing (NotFound), lacks the field, or could not be
# read (kubectl's error).
# Env: KUBECONFIG_CONTENT, KIND, NAMESPACE, NAME, JSONPATH, TIMEOUT_SECONDS.
REQUIRES=kubectl
. "${SCRIPTS_LIB:?}/preamble.sh"
. "${SCRIPTS_LIB:?}/kubeconfig.sh"
. "${SCRIPTS_LIB:?}/deadline.sh"
while :; do
  value=$(kubectl get "$KIND" "$NAME" -n "$NAMESPACE" -o jsonpath="$JSONPATH" 2>/dev/null || true)
  if [ -n "$value" ]; then echo "$KIND $NAMESPACE/$NAME has $JSONPATH"; exit 0; fi
  if deadline_passed; then
    if error=$(kubectl get "$KIND" "$NAME" -n "$NAMESPACE" 2>&1 >/dev/null); then
      echo "$KIND $NAMESPACE/$NAME has no $JSONPATH after ${TIMEOUT_SECONDS}s" >&2
    else
      case "$error" in
        *NotFound*) echo "$KIND $NAMESPACE/$NAME does not exist after ${TIMEOUT_SECONDS}s" >&2 ;;
        *) echo "$KIND $NAMESPACE/$NAME could not be read after ${TIMEOUT_SECONDS}s: $error" >&2 ;;
      esac
    fi
    exit 1
  fi
  sleep 10
done

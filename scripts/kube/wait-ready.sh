#!/bin/sh
# Waits until an object exists and its Ready condition is True; fails at once when it is Stalled
# (kstatus: a terminal misconfiguration Flux will not retry). On timeout it fails with the
# object's own Ready message, "it does not exist yet" when the API server says NotFound, or
# kubectl's own error (an unreachable server is not reported as a missing object).
# Env: KUBECONFIG_CONTENT, KIND, NAMESPACE, NAME, TIMEOUT_SECONDS.
REQUIRES=kubectl
. "${SCRIPTS_LIB:?}/preamble.sh"
. "${SCRIPTS_LIB:?}/kubeconfig.sh"
. "${SCRIPTS_LIB:?}/deadline.sh"
while :; do
  status=$(kubectl get "$KIND" "$NAME" -n "$NAMESPACE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
  if [ "$status" = "True" ]; then echo "$KIND $NAMESPACE/$NAME is Ready"; exit 0; fi
  stalled=""
  if [ -n "$status" ]; then
    stalled=$(kubectl get "$KIND" "$NAME" -n "$NAMESPACE" -o jsonpath='{.status.conditions[?(@.type=="Stalled")].status}' 2>/dev/null || true)
  fi
  if [ "$stalled" = "True" ]; then
    message=$(kubectl get "$KIND" "$NAME" -n "$NAMESPACE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}' 2>&1 || true)
    echo "$KIND $NAMESPACE/$NAME is Stalled (it will not retry until its source or spec changes): $message" >&2
    exit 1
  fi
  if deadline_passed; then
    if message=$(kubectl get "$KIND" "$NAME" -n "$NAMESPACE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}' 2>&1); then
      message=${message:-${status:+Ready is $status}}; message=${message:-it has no Ready condition yet}
    else
      case "$message" in *NotFound*) message="it does not exist yet" ;; esac
    fi
    echo "$KIND $NAMESPACE/$NAME is not Ready after ${TIMEOUT_SECONDS}s: $message" >&2
    exit 1
  fi
  sleep 10
done

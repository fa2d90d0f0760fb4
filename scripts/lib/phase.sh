# shellcheck shell=sh
# wait_for_phase: waits until `.status.phase` of KIND NAMESPACE/NAME is one of ACCEPT
# (space-separated); fails at once on any phase in FAIL, printing the object's errors. On success
# it prints one line, `<kind> <ns>/<name>: <phase>`, followed by ` (<REPORT>)` when REPORT (a
# JSONPath, may be empty) gives something: the stdout is how an accepted but imperfect outcome
# (PartiallyFailed) reaches the program. Needs kubeconfig.sh and deadline.sh.
wait_for_phase() {
  while :; do
    phase=$(kubectl get "$KIND" "$NAME" -n "$NAMESPACE" -o jsonpath='{.status.phase}' 2>/dev/null || true)
    for p in $ACCEPT; do
      if [ "$phase" = "$p" ]; then
        report=""
        if [ -n "${REPORT:-}" ]; then report=$(kubectl get "$KIND" "$NAME" -n "$NAMESPACE" -o jsonpath="$REPORT" 2>/dev/null || true); fi
        echo "$KIND $NAMESPACE/$NAME: $phase${report:+ ($report)}"; exit 0
      fi
    done
    for p in $FAIL; do
      if [ "$phase" = "$p" ]; then
        echo "$KIND $NAMESPACE/$NAME ended $phase: $(kubectl get "$KIND" "$NAME" -n "$NAMESPACE" -o jsonpath='{.status.failureReason} {.status.validationErrors} errors={.status.errors} warnings={.status.warnings}' 2>&1)" >&2
        exit 1
      fi
    done
    if deadline_passed; then
      echo "$KIND $NAMESPACE/$NAME did not reach $ACCEPT within ${TIMEOUT_SECONDS}s (phase: ${phase:-none})" >&2
      exit 1
    fi
    sleep 10
  done
}

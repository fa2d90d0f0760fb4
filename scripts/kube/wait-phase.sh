#!/bin/sh
# Waits until `.status.phase` of an object is one of ACCEPT; fails at once on a phase in FAIL
# (see lib/phase.sh for the output the program parses).
# Env: KUBECONFIG_CONTENT, KIND, NAMESPACE, NAME, ACCEPT, FAIL (space-separated phases, FAIL may be
# empty), REPORT (a JSONPath, may be empty), TIMEOUT_SECONDS.
REQUIRES=kubectl
. "${SCRIPTS_LIB:?}/preamble.sh"
. "${SCRIPTS_LIB:?}/kubeconfig.sh"
. "${SCRIPTS_LIB:?}/deadline.sh"
. "${SCRIPTS_LIB:?}/phase.sh"
wait_for_phase

#!/bin/sh
# Suspends Flux Kustomizations until the Velero restore is done, as soon as Flux has created them
# (they depend on earlier ones, so they have applied nothing yet). Without it, `apps` (and the
# vault-config Job in `infrastructure`) would create fresh PVCs, Secrets and an empty OpenBao
# that a Velero restore then skips as already existing. Field manager `platform-dr`, so Flux's
# own apply of the object leaves the field alone.
# Env: KUBECONFIG_CONTENT, KUSTOMIZATIONS (space-separated names), TIMEOUT_SECONDS.
REQUIRES=kubectl
. "${SCRIPTS_LIB:?}/preamble.sh"
. "${SCRIPTS_LIB:?}/kubeconfig.sh"
. "${SCRIPTS_LIB:?}/deadline.sh"
for ks in $KUSTOMIZATIONS; do
  until kubectl -n flux-system get kustomizations.kustomize.toolkit.fluxcd.io "$ks" >/dev/null 2>&1; do
    if deadline_passed; then
      echo "Kustomization flux-system/$ks did not appear within ${TIMEOUT_SECONDS}s, so it could not be held back until the restores: check fluxKustomizations and the FluxInstance's sync" >&2
      exit 1
    fi
    sleep 5
  done
  kubectl -n flux-system patch kustomizations.kustomize.toolkit.fluxcd.io "$ks" --type merge --field-manager platform-dr -p '{"spec":{"suspend":true}}' >/dev/null
  echo "suspended Kustomization $ks until the Velero restore is done"
done

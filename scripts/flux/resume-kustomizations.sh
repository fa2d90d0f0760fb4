#!/bin/sh
# Resumes the Kustomizations suspend-kustomizations.sh suspended (removes the field, so Git's value
# applies again) and asks Flux to reconcile them now. No wait, so no deadline.
# Env: KUBECONFIG_CONTENT, KUSTOMIZATIONS (space-separated names).
REQUIRES=kubectl
. "${SCRIPTS_LIB:?}/preamble.sh"
. "${SCRIPTS_LIB:?}/kubeconfig.sh"
for ks in $KUSTOMIZATIONS; do
  kubectl -n flux-system patch kustomizations.kustomize.toolkit.fluxcd.io "$ks" --type merge --field-manager platform-dr -p '{"spec":{"suspend":null}}' >/dev/null
  kubectl -n flux-system annotate --overwrite kustomizations.kustomize.toolkit.fluxcd.io "$ks" reconcile.fluxcd.io/requestedAt="platform-dr-$(date +%s)" >/dev/null
  echo "resumed Kustomization $ks"
done

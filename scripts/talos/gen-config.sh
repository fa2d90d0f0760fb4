#!/bin/sh
# Prints one machine config (or the talosconfig) generated from the secrets bundle.
# Env: TALOS_SECRETS, CLUSTER_NAME, CLUSTER_ENDPOINT, TALOS_VERSION, KUBERNETES_VERSION,
# INSTALL_IMAGE, OUTPUT_TYPE (controlplane | worker | talosconfig), CONFIG_PATCH (YAML, one or more
# documents, may be empty).
REQUIRES=talosctl
. "${SCRIPTS_LIB:?}/preamble.sh"
printf '%s' "$TALOS_SECRETS" > "$work/secrets.yaml"
set -- gen config "$CLUSTER_NAME" "$CLUSTER_ENDPOINT" \
  --with-secrets "$work/secrets.yaml" \
  --talos-version "$TALOS_VERSION" \
  --kubernetes-version "$KUBERNETES_VERSION" \
  --install-image "$INSTALL_IMAGE" \
  --with-docs=false --with-examples=false \
  --output-types "$OUTPUT_TYPE" --output "$work/out.yaml"
if [ -n "${CONFIG_PATCH:-}" ]; then
  printf '%s' "$CONFIG_PATCH" > "$work/patch.yaml"
  set -- "$@" --config-patch "@$work/patch.yaml"
fi
talosctl "$@" >/dev/null
cat "$work/out.yaml"

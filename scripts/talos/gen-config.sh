#!/bin/sh
# Prints one machine config (or the talosconfig) generated from the secrets bundle, with the node's
# patches applied in order; a machine config is checked with `talosctl validate` before it is
# printed, so no invalid config is ever applied (ISO boot) or handed over as user data (snapshot).
# Env: TALOS_SECRETS, CLUSTER_NAME, CLUSTER_ENDPOINT, TALOS_VERSION, KUBERNETES_VERSION,
# INSTALL_IMAGE, OUTPUT_TYPE (controlplane | worker | talosconfig), CONFIG_PATCH_COUNT and
# CONFIG_PATCH_<i> for i = 1..CONFIG_PATCH_COUNT (one patch file each, YAML, in the order they apply; none for the talosconfig),
# VALIDATE_MODE (metal | cloud: the platform the node boots as; unset for the talosconfig),
# NODE_NAME (for messages).
# Stdout: secret (a machine config or talosconfig).
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
i=1
while [ "$i" -le "${CONFIG_PATCH_COUNT:-0}" ]; do
  # The variable's name is built from a counter, never from input: eval only dereferences it.
  eval "printf '%s' \"\${CONFIG_PATCH_$i:?CONFIG_PATCH_$i is not set}\"" > "$work/patch-$i.yaml"
  set -- "$@" --config-patch "@$work/patch-$i.yaml"
  i=$((i + 1))
done
talosctl "$@" >/dev/null
if [ -n "${VALIDATE_MODE:-}" ]; then
  if ! out=$(talosctl validate --config "$work/out.yaml" --mode "$VALIDATE_MODE" 2>&1); then
    echo "the machine config generated for ${NODE_NAME:-the node} is not valid for Talos $TALOS_VERSION ($VALIDATE_MODE mode), so it is not applied: $out. Check the patch named in the message (the platform's talos/ patches, then the program's own; see README, \"The platform's Talos patches\")." >&2
    exit 1
  fi
fi
cat "$work/out.yaml"

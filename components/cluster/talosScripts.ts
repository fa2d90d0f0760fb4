/**
 * Shell scripts run by @pulumi/command on the operator's machine. Each script is a constant: the
 * values it works on arrive as environment variables, so a script's text never changes between
 * runs (a changed `create` would re-run it) and no secret ever appears on a command line.
 * Every wait has a deadline and ends with a message that says what failed and what to check.
 */

/**
 * Common prelude: strict mode, a talosctl check, a private temp dir removed on exit, also when
 * the script is interrupted (a signal that kills sh skips the EXIT trap; `exit` in its trap runs it).
 */
const PRELUDE = `set -eu
command -v talosctl >/dev/null 2>&1 || { echo "talosctl is not on PATH: install the talosctl release matching the cluster's Talos version and re-run pulumi up" >&2; exit 127; }
umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM
`;

/** Writes $TALOSCONFIG (content) to a file and points talosctl at it. */
const WITH_TALOSCONFIG = `printf '%s' "$TALOSCONFIG" > "$work/talosconfig"
export TALOSCONFIG_FILE="$work/talosconfig"
`;

/** Generates a new Talos secrets bundle (the cluster PKI) and prints it. Runs once; protected. */
export const GENERATE_SECRETS_SCRIPT = `${PRELUDE}talosctl gen secrets --output-file "$work/secrets.yaml" >/dev/null
cat "$work/secrets.yaml"
`;

/**
 * Prints one machine config (or the talosconfig) generated from the secrets bundle.
 * Env: TALOS_SECRETS, CLUSTER_NAME, CLUSTER_ENDPOINT, TALOS_VERSION, KUBERNETES_VERSION,
 * INSTALL_IMAGE, OUTPUT_TYPE (controlplane | worker | talosconfig), CONFIG_PATCH (YAML, one or more
 * documents, may be empty).
 */
export const GENERATE_CONFIG_SCRIPT = `${PRELUDE}printf '%s' "$TALOS_SECRETS" > "$work/secrets.yaml"
set -- gen config "$CLUSTER_NAME" "$CLUSTER_ENDPOINT" \\
  --with-secrets "$work/secrets.yaml" \\
  --talos-version "$TALOS_VERSION" \\
  --kubernetes-version "$KUBERNETES_VERSION" \\
  --install-image "$INSTALL_IMAGE" \\
  --with-docs=false --with-examples=false \\
  --output-types "$OUTPUT_TYPE" --output "$work/out.yaml"
if [ -n "\${CONFIG_PATCH:-}" ]; then
  printf '%s' "$CONFIG_PATCH" > "$work/patch.yaml"
  set -- "$@" --config-patch "@$work/patch.yaml"
fi
talosctl "$@" >/dev/null
cat "$work/out.yaml"
`;

/**
 * ISO boot: applies a machine config to a node waiting in maintenance mode, retrying until its
 * Talos API answers. A node that answers "certificate required" already has a config (done);
 * every other error is retried until the deadline. Env: NODE_NAME, NODE_IP, MACHINE_CONFIG, TIMEOUT_SECONDS.
 */
export const APPLY_CONFIG_SCRIPT = `${PRELUDE}printf '%s' "$MACHINE_CONFIG" > "$work/config.yaml"
deadline=$(( $(date +%s) + TIMEOUT_SECONDS ))
while :; do
  if out=$(talosctl apply-config --insecure --nodes "$NODE_IP" --file "$work/config.yaml" 2>&1); then
    echo "machine config applied to $NODE_NAME ($NODE_IP)"; exit 0
  fi
  case "$out" in
    # Already configured: out of maintenance mode, apid demands a client certificate and refuses
    # --insecure with exactly this TLS alert. Any other TLS error (a handshake cut short while the
    # node boots, a middlebox) says nothing about the node's state: retry until the deadline.
    *"certificate required"*) echo "$NODE_NAME ($NODE_IP) is already configured"; exit 0 ;;
  esac
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "applying the machine config to $NODE_NAME ($NODE_IP) failed: Talos maintenance API on port 50000 did not accept it within \${TIMEOUT_SECONDS}s. Check that the server booted the Talos ISO and that the firewall admits this machine. Last error: $out" >&2
    exit 1
  fi
  sleep 10
done
`;

/**
 * Bootstraps etcd on the first control plane, once. Idempotent: a cluster that is already
 * bootstrapped answers AlreadyExists, which counts as success. Retries until apid answers.
 * Env: NODE_NAME, NODE_IP, TALOSCONFIG, TIMEOUT_SECONDS.
 */
export const BOOTSTRAP_SCRIPT = `${PRELUDE}${WITH_TALOSCONFIG}deadline=$(( $(date +%s) + TIMEOUT_SECONDS ))
while :; do
  if out=$(talosctl --talosconfig "$TALOSCONFIG_FILE" --nodes "$NODE_IP" --endpoints "$NODE_IP" bootstrap 2>&1); then
    echo "etcd bootstrapped on $NODE_NAME ($NODE_IP)"; exit 0
  fi
  case "$out" in
    *AlreadyExists*|*"already bootstrapped"*) echo "etcd on $NODE_NAME ($NODE_IP) was already bootstrapped"; exit 0 ;;
  esac
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "etcd bootstrap on $NODE_NAME ($NODE_IP) failed: Talos apid did not accept it within \${TIMEOUT_SECONDS}s. Check 'talosctl -n $NODE_IP dmesg' and that port 50000 is open to this machine. Last error: $out" >&2
    exit 1
  fi
  sleep 10
done
`;

/**
 * Waits until the Kubernetes API answers on the stable endpoint (any HTTP status: 401 and 403
 * mean the API server is up). Env: API_URL, TIMEOUT_SECONDS.
 */
export const WAIT_FOR_API_SCRIPT = `set -eu
command -v curl >/dev/null 2>&1 || { echo "curl is not on PATH; it is needed to wait for the Kubernetes API" >&2; exit 127; }
deadline=$(( $(date +%s) + TIMEOUT_SECONDS ))
while :; do
  code=$(curl --silent --insecure --max-time 5 --output /dev/null --write-out '%{http_code}' "$API_URL/version" || true)
  case "$code" in
    200|401|403) echo "Kubernetes API at $API_URL answers (HTTP $code)"; exit 0 ;;
  esac
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "the Kubernetes API at $API_URL did not answer within \${TIMEOUT_SECONDS}s (last HTTP status: \${code:-none}). Check 'talosctl health' and that the API endpoint reaches a control plane." >&2
    exit 1
  fi
  sleep 10
done
`;

/**
 * Prints the admin kubeconfig, retrying while the cluster is still coming up.
 * Env: NODE_IP, TALOSCONFIG, CONTEXT_NAME, TIMEOUT_SECONDS.
 */
export const KUBECONFIG_SCRIPT = `${PRELUDE}${WITH_TALOSCONFIG}deadline=$(( $(date +%s) + TIMEOUT_SECONDS ))
while ! talosctl --talosconfig "$TALOSCONFIG_FILE" --nodes "$NODE_IP" --endpoints "$NODE_IP" kubeconfig "$work/kubeconfig" --force --force-context-name "$CONTEXT_NAME" >"$work/log" 2>&1; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "fetching the kubeconfig from $NODE_IP failed within \${TIMEOUT_SECONDS}s: $(cat "$work/log")" >&2
    exit 1
  fi
  sleep 10
done
cat "$work/kubeconfig"
`;

/**
 * Scenario 1 (control-plane loss): before a replacement control plane joins, remove the dead
 * etcd member of the same name, or etcd refuses the newcomer. A no-op on a first build (no peer
 * answers yet) and when the member is absent or the node's own etcd already runs.
 * Env: NODE_NAME, NODE_IP, PEER_IPS (space-separated), TALOSCONFIG.
 */
export const ETCD_MEMBER_CLEANUP_SCRIPT = `${PRELUDE}${WITH_TALOSCONFIG}peer=""
for ip in $PEER_IPS; do
  if talosctl --talosconfig "$TALOSCONFIG_FILE" --nodes "$ip" --endpoints "$ip" etcd members >"$work/members" 2>/dev/null; then peer=$ip; break; fi
done
if [ -z "$peer" ]; then echo "no etcd peer answers: first build, nothing to clean up"; exit 0; fi
if talosctl --talosconfig "$TALOSCONFIG_FILE" --nodes "$NODE_IP" --endpoints "$NODE_IP" service etcd 2>/dev/null | grep -q Running; then
  echo "etcd already runs on $NODE_NAME"; exit 0
fi
id=$(awk -v name="$NODE_NAME" '$3 == name { print $2 }' "$work/members")
if [ -z "$id" ]; then echo "$NODE_NAME is not an etcd member: nothing to clean up"; exit 0; fi
talosctl --talosconfig "$TALOSCONFIG_FILE" --nodes "$peer" --endpoints "$peer" etcd remove-member "$id"
echo "removed stale etcd member $NODE_NAME ($id) via $peer"
`;

# shellcheck shell=sh
# The Hetzner Cloud API for the scripts (after lib/preamble.sh and lib/deadline.sh; needs curl, node).
#   hcloud_api METHOD PATH [JSON]  prints the answer's body. Status 0 on 2xx, 4 on 404 (gone),
#                                  1 otherwise with Hetzner's error on stderr. The token
#                                  (HCLOUD_TOKEN) reaches curl on stdin, never its command line.
#   hcloud_list PATH KEY EXPR      every page of a list: EXPR over each item x of r.KEY, one per line.
#   json EXPR                      EXPR (JavaScript, `r` = the document on stdin); strings as they
#                                  are, arrays one element per line, inner arrays tab-separated.
#   wait_action ID WHAT            until the action succeeded, or fails naming WHAT (lib/deadline.sh).
HCLOUD_API=https://api.hetzner.cloud/v1

json() {
  node -e '
let t = "";
process.stdin.on("data", (d) => { t += d; }).on("end", () => {
  let r;
  try { r = JSON.parse(t); } catch (e) { console.error("not JSON: " + t.slice(0, 200)); process.exit(1); }
  const v = new Function("r", "return (" + process.argv[1] + ");")(r);
  const line = (x) => (Array.isArray(x) ? x.join("\t") : x === undefined || x === null ? "" : String(x));
  if (Array.isArray(v)) v.forEach((x) => console.log(line(x)));
  else if (v !== undefined && v !== null && v !== "") console.log(line(v));
});' "$1"
}

hcloud_api() {
  _body="${work:?}/hcloud-answer"
  : > "$_body"
  if [ $# -ge 3 ]; then
    _status=$(printf 'Authorization: Bearer %s\n' "$HCLOUD_TOKEN" | curl --silent --show-error --request "$1" --header @- \
      --header 'Content-Type: application/json' --data "$3" --output "$_body" --write-out '%{http_code}' "$HCLOUD_API$2") || _status=000
  else
    _status=$(printf 'Authorization: Bearer %s\n' "$HCLOUD_TOKEN" | curl --silent --show-error --request "$1" --header @- \
      --output "$_body" --write-out '%{http_code}' "$HCLOUD_API$2") || _status=000
  fi
  case $_status in
    2??) cat "$_body"; return 0 ;;
    404) return 4 ;;
    000) echo "Hetzner API $1 $2: no answer (network or curl error)" >&2; return 1 ;;
  esac
  _why=$(json 'r.error ? r.error.code + ": " + r.error.message : JSON.stringify(r)' < "$_body" 2>/dev/null) || _why=$(head -c 300 "$_body")
  echo "Hetzner API $1 $2 answered HTTP $_status: $_why" >&2
  return 1
}

hcloud_list() {
  _page=1
  case $1 in *\?*) _sep='&' ;; *) _sep='?' ;; esac
  while [ -n "$_page" ]; do
    _list=$(hcloud_api GET "$1${_sep}per_page=50&page=$_page") || return 1
    # One node per page: the items, then the next page's number on a line of its own.
    _lines=$(printf '%s' "$_list" | json "[...r.$2.map((x) => $3), '#next ' + ((r.meta && r.meta.pagination && r.meta.pagination.next_page) || '')]") || return 1
    printf '%s\n' "$_lines" | grep -v '^#next ' || true
    _page=$(printf '%s\n' "$_lines" | sed -n 's/^#next //p')
  done
}

wait_action() {
  while :; do
    _action=$(hcloud_api GET "/actions/$1") || { echo "$2: reading action $1 failed" >&2; return 1; }
    _state=$(printf '%s' "$_action" | json '[r.action.status, r.action.error ? r.action.error.code + ": " + r.action.error.message : "no reason given"].join(" ")')
    case $_state in
      success*) return 0 ;;
      error*) echo "$2 failed: ${_state#error }" >&2; return 1 ;;
    esac
    if deadline_passed; then
      echo "$2 did not finish within ${TIMEOUT_SECONDS}s (action $1 still running)" >&2
      return 1
    fi
    sleep "${POLL_SECONDS:-5}"
  done
}

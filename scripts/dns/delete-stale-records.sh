#!/bin/sh
# Removes the records of one name and type that exist before the program creates its own.
# On an empty stack the pre-disaster records still point at dead IPs; adopting them is not
# possible (an import fails when the content differs), and leaving them would serve two A
# records, half the traffic to a dead address. The script runs once, before the program's record
# exists, so it can never delete a record the program manages.
#
# Why it is careful: it deletes. The answer is parsed as JSON (with node, which runs this program
# anyway) and every record is checked against the name and type again, so an API that ignored the
# filter could never make it delete other records; a paged answer (more records than one page)
# is refused rather than half-cleaned. The token reaches curl on stdin, never on its command line
# where `ps` would show it.
# Env: CLOUDFLARE_API_TOKEN, ZONE_ID, RECORD_NAME, RECORD_TYPE.
REQUIRES="curl node"
. "${SCRIPTS_LIB:?}/preamble.sh"
api="https://api.cloudflare.com/client/v4/zones/$ZONE_ID/dns_records"
cf() { printf 'Authorization: Bearer %s\n' "$CLOUDFLARE_API_TOKEN" | curl --silent --show-error --header @- "$@"; }
answer='
const fail = (m) => { console.error(m); process.exit(1); };
let text = "";
process.stdin.on("data", (d) => { text += d; }).on("end", () => {
  let body;
  try { body = JSON.parse(text); } catch (e) { fail("Cloudflare did not answer with JSON: " + text.slice(0, 200)); }
  if (!body || body.success !== true) fail("Cloudflare refused: " + JSON.stringify((body && body.errors) || body).slice(0, 500));
  if (process.argv[1] !== "list") return;
  if (!Array.isArray(body.result)) fail("Cloudflare answered without a record list");
  const total = (body.result_info && body.result_info.total_count) || 0;
  if (total > body.result.length) fail(total + " records match, more than one page; remove the extra ones by hand and re-run");
  const norm = (v) => String(v).toLowerCase().replace(/[.]$/, "");
  for (const r of body.result) {
    if (norm(r.name) === norm(process.env.RECORD_NAME) && r.type === process.env.RECORD_TYPE && /^[0-9a-f]{32}$/.test(r.id)) console.log(r.id);
  }
});
'
ids=$(cf --get --data-urlencode "type=$RECORD_TYPE" --data-urlencode "name=$RECORD_NAME" --data per_page=100 "$api" | node -e "$answer" list) || {
  echo "listing $RECORD_TYPE records named $RECORD_NAME failed: check cloudflare:apiToken (needs DNS edit on the zone) and cloudflareZoneId" >&2; exit 1; }
count=0
for id in $ids; do
  cf --request DELETE "$api/$id" | node -e "$answer" check || {
    echo "deleting stale record $id ($RECORD_TYPE $RECORD_NAME) failed" >&2; exit 1; }
  count=$((count + 1))
done
echo "removed $count stale $RECORD_TYPE record(s) named $RECORD_NAME"

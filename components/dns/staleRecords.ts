/**
 * Removes the records of one name and type that exist before the program creates its own.
 * On an empty stack the pre-disaster records still point at dead IPs; adopting them is not
 * possible (an import fails when the content differs), and leaving them would serve two A
 * records, half the traffic to a dead address. The script runs once, before the program's record
 * exists, so it can never delete a record the program manages. Env: CLOUDFLARE_API_TOKEN,
 * ZONE_ID, RECORD_NAME, RECORD_TYPE.
 */
export const DELETE_STALE_RECORDS_SCRIPT = `set -eu
command -v curl >/dev/null 2>&1 || { echo "curl is not on PATH; it is needed to remove stale DNS records" >&2; exit 127; }
api="https://api.cloudflare.com/client/v4/zones/$ZONE_ID/dns_records"
auth="Authorization: Bearer $CLOUDFLARE_API_TOKEN"
list=$(curl --silent --show-error --fail --header "$auth" "$api?type=$RECORD_TYPE&name.exact=$RECORD_NAME&per_page=100") || {
  echo "listing $RECORD_TYPE records named $RECORD_NAME failed: check cloudflare:apiToken (needs DNS edit on the zone) and cloudflareZoneId" >&2; exit 1; }
ids=$(printf '%s' "$list" | grep -o '[{,]"id":"[0-9a-f]\\{32\\}"' | sed 's/.*"id":"\\([0-9a-f]*\\)"/\\1/')
count=0
for id in $ids; do
  curl --silent --show-error --fail --request DELETE --header "$auth" "$api/$id" >/dev/null || {
    echo "deleting stale record $id ($RECORD_TYPE $RECORD_NAME) failed" >&2; exit 1; }
  count=$((count + 1))
done
echo "removed $count stale $RECORD_TYPE record(s) named $RECORD_NAME"
`;

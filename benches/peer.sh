#!/usr/bin/env bash
# Side by side with the peer a user would otherwise pick: PostGraphile v4 and this server, on
# the same PostgreSQL, the same demo data (27,037 sends) and the same load generator (wrk,
# concurrency 16), one after the other, each query in turn:
#
#   - a 4-campaign list;
#   - one campaign's summary (PostGraphile reads it from a view over the same rollup tables);
#   - nested: 4 campaigns → their email campaigns → 100 sends each → the retailer's name.
#
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test benches/peer.sh
#
# Needs wrk, Node.js and npm (PostGraphile is installed from npm into PEER_DIR, default
# /tmp/postgraphile-peer; nothing of it is kept in this repository). Knobs: PEER_SECS (seconds
# per measurement, default 10), PEER_CONNECTIONS (default 16), PEER_ROUNDS (default 3). Works in
# a schema of its own, dropped at the end.
set -euo pipefail

url=${BENCH_DATABASE_URL:-${TEST_DATABASE_URL:?set BENCH_DATABASE_URL to a PostgreSQL database}}
peer_dir=${PEER_DIR:-/tmp/postgraphile-peer}
secs=${PEER_SECS:-10}
connections=${PEER_CONNECTIONS:-16}
here=$(cd "$(dirname "$0")/.." && pwd)
schema="peer_$(date +%s)"
work=$(mktemp -d)
ours_port=5056
peer_port=5055
secret="peer-bench-secret-peer-bench-secret!"
sep='?'; [[ $url == *\?* ]] && sep='&'
schema_url="${url}${sep}sslmode=disable&options=-c%20search_path%3D${schema}"

for tool in wrk node npm psql curl; do
  command -v "$tool" >/dev/null || { echo "peer.sh needs $tool" >&2; exit 1; }
done

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  psql -q "$url" -c "DROP SCHEMA IF EXISTS ${schema} CASCADE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "building this server (release)…" >&2
(cd "$here" && cargo build --release -q)
bin="$here/target/release/campaign-performance"

if [[ ! -x $peer_dir/node_modules/.bin/postgraphile ]]; then
  echo "installing postgraphile@4 into $peer_dir…" >&2
  mkdir -p "$peer_dir"
  (cd "$peer_dir" && npm init -y >/dev/null && npm install --silent postgraphile@4 >/dev/null)
fi

psql -q "$url" -c "CREATE SCHEMA ${schema}" >/dev/null
"$bin" --database-url "$schema_url" migrate up >/dev/null
"$bin" --database-url "$schema_url" seed --demo >/dev/null

# PostGraphile's summary: the same figures as `performance`, from the same rollup tables.
psql -q "$url" >/dev/null <<SQL
SET search_path = ${schema};
CREATE VIEW campaign_summary AS
WITH em AS (
  SELECT ec.campaign_id, count(DISTINCT et.retailer_id) AS total_retailers, sum(et.sent) AS sent,
         sum(et.delivered) AS delivered, sum(et.opened) AS opened, sum(et.clicked) AS clicked
  FROM email_campaigns ec JOIN email_totals et ON et.email_campaign_id = ec.id GROUP BY ec.campaign_id
), cv AS (
  SELECT campaign_id, sum(cents) AS cents FROM conversion_rollups GROUP BY campaign_id
), od AS (
  SELECT campaign_id, sum(cents) FILTER (WHERE order_status = 'completed') AS cents
  FROM order_rollups GROUP BY campaign_id
), r AS (
  SELECT c.id AS campaign_id, c.name, c.budget_spent, COALESCE(em.total_retailers, 0) AS total_retailers,
         COALESCE(em.sent, 0) AS sent, COALESCE(em.delivered, 0) AS delivered, COALESCE(em.opened, 0) AS opened,
         COALESCE(em.clicked, 0) AS clicked, (COALESCE(cv.cents, 0) + COALESCE(od.cents, 0))::numeric / 100 AS revenue
  FROM campaigns c LEFT JOIN em ON em.campaign_id = c.id LEFT JOIN cv ON cv.campaign_id = c.id
  LEFT JOIN od ON od.campaign_id = c.id
)
SELECT campaign_id, name, total_retailers, sent AS total_emails_sent, delivered AS emails_delivered,
       opened AS emails_opened, clicked AS emails_clicked,
       CASE WHEN sent > 0 THEN round(delivered::numeric * 100 / sent, 2) ELSE 0 END AS delivery_rate,
       CASE WHEN delivered > 0 THEN round(opened::numeric * 100 / delivered, 2) ELSE 0 END AS open_rate,
       CASE WHEN delivered > 0 THEN round(clicked::numeric * 100 / delivered, 2) ELSE 0 END AS click_rate,
       round(revenue, 2) AS total_revenue,
       CASE WHEN budget_spent > 0 THEN round((revenue - budget_spent) * 100 / budget_spent, 1) ELSE 0 END
         AS roi_percentage
FROM r;
COMMENT ON VIEW campaign_summary IS E'@primaryKey campaign_id';
SQL

sample=$(psql -qAt "$url" -c "SELECT id FROM ${schema}.campaigns WHERE name = 'Marco Bicego New 2025 Campaign'")
brand=marketing@marcobicego.example
token=$(JWT_SECRET=$secret "$bin" --database-url "$schema_url" token --email "$brand" | tail -1)

NODE_ENV=production "$peer_dir/node_modules/.bin/postgraphile" -c "${url}${sep}sslmode=disable" -s "$schema" \
  --host 127.0.0.1 --port $peer_port --disable-graphiql --disable-query-log >"$work/peer.log" 2>&1 &
pids+=($!)
JWT_SECRET=$secret RATE_LIMIT_PER_MINUTE=100000000 RUST_LOG=warn \
  "$bin" --database-url "$schema_url" serve --bind 127.0.0.1:$ours_port >"$work/ours.log" 2>&1 &
pids+=($!)
for port in $peer_port $ours_port; do
  for _ in $(seq 1 100); do
    curl -s -o /dev/null -XPOST -H 'Content-Type: application/json' -d '{"query":"{__typename}"}' \
      "http://127.0.0.1:$port/graphql" && break
    sleep 0.2
  done
done

# One wrk script per server and query: a POST of the query, and a check of every answer.
script() { # name auth body
  cat >"$work/$1.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
${2}
wrk.body = '$3'
failed = 0
response = function(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then failed = failed + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("%.0f %.1f %.1f %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, failed))
end
LUA
}
auth="wrk.headers[\"Authorization\"] = \"Bearer $token\""
script ours-list "$auth" '{"query":"{ campaigns(first: 4) { edges { node { id name status startDate endDate budgetAllocated budgetSpent } } } }"}'
script peer-list "" '{"query":"{ allCampaigns(first: 4, orderBy: [CREATED_AT_DESC, ID_DESC]) { nodes { id name status startDate endDate budgetAllocated budgetSpent } } }"}'
script ours-summary "$auth" "{\"query\":\"query(\$id: UUID!) { campaign(id: \$id) { name performance { totalRetailers totalEmailsSent emailsDelivered emailsOpened emailsClicked deliveryRate openRate clickRate totalRevenue roiPercentage } } }\",\"variables\":{\"id\":\"$sample\"}}"
script peer-summary "" "{\"query\":\"query(\$id: UUID!) { campaignSummaryByCampaignId(campaignId: \$id) { name totalRetailers totalEmailsSent emailsDelivered emailsOpened emailsClicked deliveryRate openRate clickRate totalRevenue roiPercentage } }\",\"variables\":{\"id\":\"$sample\"}}"
script ours-nested "$auth" '{"query":"{ campaigns(first: 4) { edges { node { name emailCampaigns { subject sends(first: 100) { edges { node { recipientEmail status retailer { name } } } } } } } } }"}'
script peer-nested "" '{"query":"{ allCampaigns(first: 4, orderBy: [CREATED_AT_DESC, ID_DESC]) { nodes { name emailCampaignsByCampaignId { nodes { subject emailSendsByEmailCampaignId(first: 100, orderBy: [SENT_AT_ASC, ID_ASC]) { nodes { recipientEmail status userByRetailerId { name } } } } } } } }"}'

measure() { # server query port seconds
  wrk -t1 -c"$connections" -d"${4:-$secs}s" -s "$work/$1-$2.lua" "http://127.0.0.1:$3/graphql" | tail -1
}
# Warm both (PostGraphile's JIT, both servers' connection pools) before measuring.
for q in list summary nested; do
  measure peer $q $peer_port 3 >/dev/null
  measure ours $q $ours_port 3 >/dev/null
done

# The machine is shared and noisy: each query is measured in PEER_ROUNDS rounds (default 3),
# the two servers taking turns to go first; each round is printed, then the medians.
rounds=${PEER_ROUNDS:-3}
row() { printf '%-8s | %-22s | %9s | %9s | %9s | %s\n' "$@"; }
header() {
  printf '\n%s\n' "$1"
  row query server req/s 'p50 ms' 'p99 ms' failed
  printf -- '---------+------------------------+-----------+-----------+-----------+-------\n'
}
for r in $(seq 1 "$rounds"); do
  header "round $r of $rounds"
  for q in list summary nested; do
    if (( r % 2 )); then
      peer=$(measure peer $q $peer_port); ours=$(measure ours $q $ours_port)
    else
      ours=$(measure ours $q $ours_port); peer=$(measure peer $q $peer_port)
    fi
    echo "$q peer $peer" >>"$work/results"
    echo "$q ours $ours" >>"$work/results"
    row "$q" "PostGraphile v4" $peer
    row "$q" "campaign-performance" $ours
  done
done

# The median of column $3 (req/s), $4 (p50), $5 (p99) for one query and server; failures summed.
median() { # query server column
  awk -v q="$1" -v s="$2" '$1 == q && $2 == s' "$work/results" | sort -n -k"$3" |
    awk -v c="$3" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
}
failures() { awk -v q="$1" -v s="$2" '$1 == q && $2 == s { n += $6 } END { print n + 0 }' "$work/results"; }
header "median of $rounds rounds"
for q in list summary nested; do
  for s in peer ours; do
    name="PostGraphile v4"; [[ $s == ours ]] && name=campaign-performance
    row "$q" "$name" "$(median $q $s 3)" "$(median $q $s 4)" "$(median $q $s 5)" "$(failures $q $s)"
  done
  awk -v a="$(median $q ours 3)" -v b="$(median $q peer 3)" -v q="$q" \
    'BEGIN { printf "%-8s | ratio                  | %8.2fx |\n", q, a / b }'
done

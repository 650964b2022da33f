#!/usr/bin/env bash
# Latency percentiles of the two recommendation queries on the graph made by recommendations-graph.sql, measured by
# pgbench at the database (extended protocol, one client, as the service sends them through Npgsql). Each transaction
# also looks the product up in a helper table (a primary-key read, tens of microseconds).
#   tools/Benchmarks/Data/recommendations-measure.sh [database] [transactions]   (PGHOST, PGPORT, PGUSER as for psql)
# Three ways of picking the product: always the most bought one; uniformly over the products that were bought; and
# weighted by purchases, as a shop's traffic is (a product bought twice as often is asked about twice as often).
# Latency depends on what else the machine runs; when the server runs on this machine, the script also reports the
# CPU time its backend spends per query (from /proc), which does not.
set -euo pipefail

db="${1:-recommendations_bench}"
transactions="${2:-2000}"
latest_buyers=500 # PostgresRecommendationGraph.DefaultLatestBuyers
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -v latest_buyers="$latest_buyers" -d "$db" -f "$here/recommendations-queries.sql" >"$work/explain.txt"
products="$(psql -X -At -d "$db" -c 'SELECT count(*) FROM bench_products')"
purchases="$(psql -X -At -d "$db" -c 'SELECT count(*) FROM bench_purchases')"

bought_together="
WITH strongest AS (
    SELECT together.to_id, together.weight
    FROM edges together
    WHERE together.type = 'BOUGHT_WITH'
      AND together.from_id = (SELECT id FROM nodes WHERE label = 'Product' AND key = :product)
    ORDER BY together.weight DESC, together.to_id
    LIMIT 10
)
SELECT other.key, strongest.weight
FROM strongest
JOIN nodes other ON other.id = strongest.to_id
ORDER BY strongest.weight DESC, strongest.to_id;"

also_bought="
WITH product AS (
    SELECT id FROM nodes WHERE label = 'Product' AND key = :product
), buyers AS (
    SELECT bought.from_id AS id
    FROM edges bought
    WHERE bought.type = 'BOUGHT' AND bought.to_id = (SELECT id FROM product)
    ORDER BY bought.last_at DESC, bought.from_id
    LIMIT $latest_buyers
), ranked AS (
    SELECT also.to_id AS id, count(*) AS customers
    FROM buyers
    JOIN edges also ON also.type = 'BOUGHT' AND also.from_id = buyers.id
    WHERE also.to_id <> (SELECT id FROM product)
    GROUP BY also.to_id
    ORDER BY customers DESC, also.to_id
    LIMIT 10
)
SELECT other.key, ranked.customers
FROM ranked
JOIN nodes other ON other.id = ranked.id
ORDER BY ranked.customers DESC, ranked.id;"

pick_popular='SELECT key AS product FROM bench_products WHERE rank = 1 \gset'
pick_uniform="\\set r random(1, $products)
SELECT key AS product FROM bench_products WHERE rank = :r \\gset"
pick_weighted="\\set r random(1, $purchases)
SELECT key AS product FROM bench_purchases WHERE n = :r \\gset"

printf '%-16s %-9s %8s %8s %8s %8s\n' query product p50_ms p90_ms p99_ms max_ms
for query in bought_together also_bought; do
  for pick in popular uniform weighted; do
    script="$work/$query-$pick.sql"
    pick_var="pick_$pick"
    # pgbench wants each SQL command on one line.
    { printf '%s\n' "${!pick_var}"; printf '%s\n' "${!query}" | tr '\n' ' '; printf '\n'; } >"$script"
    rm -f "$work"/log*
    pgbench -n -M extended -c 1 -t "$transactions" -f "$script" -l --log-prefix="$work/log" "$db" >/dev/null
    # Field 3 of pgbench's per-transaction log is the latency in microseconds.
    cat "$work"/log* | awk '{ print $3 }' | sort -n | awk -v query="$query" -v pick="$pick" '
      { latency[NR] = $1 }
      END {
        p50 = latency[int(NR * 0.50)]; p90 = latency[int(NR * 0.90)]; p99 = latency[int(NR * 0.99)]
        printf "%-16s %-9s %8.2f %8.2f %8.2f %8.2f\n", query, pick, p50 / 1000, p90 / 1000, p99 / 1000, latency[NR] / 1000
      }'
  done
done

# CPU time of the server backend per query, for the most bought and the median product: run each query many times in
# one session and read the backend's utime + stime (in clock ticks) before and after.
prepared="$(sed -n '/^PREPARE bought_together/,/^ORDER BY ranked.customers DESC, ranked.id;/p' "$here/recommendations-queries.sql")"
ticks_per_second="$(getconf CLK_TCK)"
cpu_ms() { # rank-expression statement-template repetitions
  cat >"$work/cpu.sql" <<SQL
SELECT pg_backend_pid() AS pid \gset
\setenv BACKEND :pid
$prepared
SELECT key AS product FROM bench_products WHERE rank = $1 \gset
\o /dev/null
SELECT format('$2', :'product') FROM generate_series(1, 20) \gexec
\o
\! awk '{ print \$14 + \$15 }' /proc/\$BACKEND/stat >"$work/cpu.before"
\o /dev/null
SELECT format('$2', :'product') FROM generate_series(1, $3) \gexec
\o
\! awk '{ print \$14 + \$15 }' /proc/\$BACKEND/stat >"$work/cpu.after"
SQL
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$work/cpu.sql" >/dev/null
  awk -v before="$(cat "$work/cpu.before")" -v after="$(cat "$work/cpu.after")" -v n="$3" -v hz="$ticks_per_second" \
    'BEGIN { printf "%8.2f", (after - before) * 1000 / hz / n }'
}

backend="$(psql -X -At -d "$db" -c 'SELECT pg_backend_pid()')"
if [ -r "/proc/$backend/stat" ] && [ "$(psql -X -At -d "$db" -c 'SELECT inet_server_addr() IS NULL OR host(inet_server_addr()) IN ('"'127.0.0.1'"', '"'::1'"')')" = t ]; then
  median_rank='(SELECT count(*) / 2 FROM bench_products)'
  echo
  printf '%-16s %14s %14s\n' query popular_cpu_ms median_cpu_ms
  printf '%-16s %14s %14s\n' bought_together \
    "$(cpu_ms 1 'EXECUTE bought_together(%L, 10)' 1000)" "$(cpu_ms "$median_rank" 'EXECUTE bought_together(%L, 10)' 1000)"
  printf '%-16s %14s %14s\n' also_bought \
    "$(cpu_ms 1 "EXECUTE also_bought(%L, 10, $latest_buyers)" 300)" "$(cpu_ms "$median_rank" "EXECUTE also_bought(%L, 10, $latest_buyers)" 1000)"
fi

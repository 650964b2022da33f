-- EXPLAIN ANALYZE of the two recommendation queries on the graph made by recommendations-graph.sql, for the most
-- popular product and for a product of median popularity. The queries are PostgresRecommendationGraph's, copied:
-- keep them in step. $3 of also_bought is PostgresRecommendationGraph.DefaultLatestBuyers.
--   psql -h HOST -U postgres -d recommendations_bench -f tools/Benchmarks/Data/recommendations-queries.sql
\set ON_ERROR_STOP on
\if :{?latest_buyers}
\else
  \set latest_buyers 500
\endif

-- Products by number of buyers, most bought first; this and bench_purchases are read by recommendations-measure.sh.
CREATE TABLE IF NOT EXISTS bench_products AS
SELECT row_number() OVER (ORDER BY count(*) DESC, n.id) AS rank, n.key, count(*) AS buyers
FROM edges e JOIN nodes n ON n.id = e.to_id
WHERE e.type = 'BOUGHT'
GROUP BY n.id, n.key;

-- One row per (customer, product): a uniform pick from it picks products as often as they are bought.
CREATE TABLE IF NOT EXISTS bench_purchases AS
SELECT row_number() OVER () AS n, n.key
FROM edges e JOIN nodes n ON n.id = e.to_id
WHERE e.type = 'BOUGHT';
CREATE UNIQUE INDEX IF NOT EXISTS bench_products_rank ON bench_products (rank);
CREATE UNIQUE INDEX IF NOT EXISTS bench_purchases_n ON bench_purchases (n);
ANALYZE bench_products;
ANALYZE bench_purchases;

SELECT key AS popular, buyers AS popular_buyers FROM bench_products WHERE rank = 1 \gset
SELECT key AS median, buyers AS median_buyers FROM bench_products WHERE rank = (SELECT count(*) / 2 FROM bench_products) \gset
\echo popular product :popular bought by :popular_buyers customers, median product :median by :median_buyers

PREPARE bought_together(text, int) AS
WITH strongest AS (
    SELECT together.to_id, together.weight
    FROM edges together
    WHERE together.type = 'BOUGHT_WITH'
      AND together.from_id = (SELECT id FROM nodes WHERE label = 'Product' AND key = $1)
    ORDER BY together.weight DESC, together.to_id
    LIMIT $2
)
SELECT other.key, strongest.weight
FROM strongest
JOIN nodes other ON other.id = strongest.to_id
ORDER BY strongest.weight DESC, strongest.to_id;

PREPARE also_bought(text, int, int) AS
WITH product AS (
    SELECT id FROM nodes WHERE label = 'Product' AND key = $1
), buyers AS (
    SELECT bought.from_id AS id
    FROM edges bought
    WHERE bought.type = 'BOUGHT' AND bought.to_id = (SELECT id FROM product)
    ORDER BY bought.last_at DESC, bought.from_id
    LIMIT $3
), ranked AS (
    SELECT also.to_id AS id, count(*) AS customers
    FROM buyers
    JOIN edges also ON also.type = 'BOUGHT' AND also.from_id = buyers.id
    WHERE also.to_id <> (SELECT id FROM product)
    GROUP BY also.to_id
    ORDER BY customers DESC, also.to_id
    LIMIT $2
)
SELECT other.key, ranked.customers
FROM ranked
JOIN nodes other ON other.id = ranked.id
ORDER BY ranked.customers DESC, ranked.id;

-- Warm the cache once, as a running service would have it.
EXECUTE bought_together(:'popular', 10);
EXECUTE also_bought(:'popular', 10, :latest_buyers);

\echo '== bought together, popular product'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE bought_together(:'popular', 10);
\echo '== bought together, median product'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE bought_together(:'median', 10);
\echo '== also bought, popular product'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE also_bought(:'popular', 10, :latest_buyers);
\echo '== also bought, median product'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE also_bought(:'median', 10, :latest_buyers);
\echo '== also bought, popular product, every buyer counted (what the bound saves)'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE also_bought(:'popular', 10, 1000000);

-- A synthetic co-purchase graph of about 1,000,000 edges for the recommendations service, shaped like the one the
-- service builds from order.confirmed.v1 events: 20,000 customers, a catalogue of 50,000 products with skewed
-- popularity, orders of 1 to 6 distinct products. Deterministic (setseed), so runs are comparable.
--
-- Run against an empty scratch database; the schema is the service's own migration, included below:
--   createdb -h HOST -U postgres recommendations_bench
--   psql -h HOST -U postgres -d recommendations_bench -v ON_ERROR_STOP=1 -f tools/Benchmarks/Data/recommendations-graph.sql
-- Change the size with -v orders=N (default 68000 orders, which gives about 1,000,000 edges).
\set ON_ERROR_STOP on
\if :{?orders}
\else
  \set orders 68000
\endif
\set customers 20000
\set products 50000

SELECT to_regclass('edges') IS NULL AS needs_schema \gset
\if :needs_schema
  \ir ../../../services/Recommendations/Migrations/0001_create_graph.sql
\endif

SELECT count(*) > 0 AS not_empty FROM edges \gset
\if :not_empty
  \echo 'edges is not empty: run this against an empty scratch database'
  \quit
\endif

SELECT setseed(0.42);

-- Customers: a few buy often (power 1.5 leans towards low numbers). Products: power 3 makes the top 1% of the
-- catalogue about a fifth of all lines and the single most popular product about 3%, the long tail rare.
CREATE TEMP TABLE generated_orders AS
SELECT order_no,
       1 + floor(:customers * power(random(), 1.5))::int AS customer,
       1 + floor(random() * 6)::int AS size,
       timestamptz '2025-01-01 00:00Z' + order_no * interval '5 minutes' AS confirmed_at
FROM generate_series(1, :orders) AS order_no;

CREATE TEMP TABLE generated_lines AS
SELECT DISTINCT o.order_no, o.customer, o.confirmed_at, 1 + floor(:products * power(random(), 3))::int AS product
FROM generated_orders o, generate_series(1, o.size) AS line;

-- Only what was bought becomes a node, as in the service.
INSERT INTO nodes (label, key)
SELECT 'Customer', 'customer-' || lpad(customer::text, 5, '0') FROM (SELECT DISTINCT customer FROM generated_lines) c
UNION ALL
SELECT 'Product', 'product-' || lpad(product::text, 5, '0') FROM (SELECT DISTINCT product FROM generated_lines) p;

CREATE TEMP TABLE node_ids AS
SELECT id, label, CASE label WHEN 'Customer' THEN substr(key, 10)::int ELSE substr(key, 9)::int END AS number
FROM nodes;
CREATE INDEX ON node_ids (label, number);

-- BOUGHT: one edge per (customer, product), weight = orders that held it.
INSERT INTO edges (type, from_id, to_id, weight, last_at)
SELECT 'BOUGHT', c.id, p.id, count(*), max(l.confirmed_at)
FROM generated_lines l
JOIN node_ids c ON c.label = 'Customer' AND c.number = l.customer
JOIN node_ids p ON p.label = 'Product' AND p.number = l.product
GROUP BY c.id, p.id;

-- BOUGHT_WITH: both directions, weight = orders that held both.
INSERT INTO edges (type, from_id, to_id, weight, last_at)
SELECT 'BOUGHT_WITH', a.id, b.id, count(*), max(la.confirmed_at)
FROM generated_lines la
JOIN generated_lines lb ON lb.order_no = la.order_no AND lb.product <> la.product
JOIN node_ids a ON a.label = 'Product' AND a.number = la.product
JOIN node_ids b ON b.label = 'Product' AND b.number = lb.product
GROUP BY a.id, b.id;

VACUUM ANALYZE nodes;
VACUUM ANALYZE edges;

SELECT type, count(*) AS edges, max(weight) AS max_weight FROM edges GROUP BY ROLLUP (type) ORDER BY type;
SELECT label, count(*) AS nodes FROM nodes GROUP BY label ORDER BY label;

-- A labelled property graph in two tables, so the queries stay the same whatever labels and edge types are added
-- later. Labels and types are text (readable in psql, and what a Neo4j implementation would call them); the CHECKs
-- keep typos out and make a new kind of node or edge a deliberate migration.
CREATE TABLE nodes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    label text NOT NULL CHECK (label IN ('Product', 'Customer')),
    key text NOT NULL,
    CONSTRAINT nodes_label_key UNIQUE (label, key)
);

-- BOUGHT: Customer -> Product, weight = how many of the customer's confirmed orders held the product.
-- BOUGHT_WITH: Product -> Product, weight = how many confirmed orders held both; stored in both directions so that
-- "what goes with P" is one range scan of P's outgoing edges.
-- last_at: when the latest order behind the edge was confirmed (the order's time, not the time it was processed, so a
-- late or replayed event does not make old purchases look recent).
CREATE TABLE edges (
    type text NOT NULL CHECK (type IN ('BOUGHT', 'BOUGHT_WITH')),
    from_id bigint NOT NULL REFERENCES nodes (id),
    to_id bigint NOT NULL REFERENCES nodes (id),
    weight bigint NOT NULL CHECK (weight > 0),
    last_at timestamptz NOT NULL,
    CONSTRAINT edges_pkey PRIMARY KEY (type, from_id, to_id),
    CONSTRAINT edges_no_loops CHECK (from_id <> to_id)
);

-- "Bought together": a product's neighbours already in rank order, so the top N are the first N index entries
-- instead of a sort over every neighbour of a popular product. Partial, so BOUGHT edges do not pay for it.
CREATE INDEX edges_bought_with_strongest ON edges (from_id, weight DESC, to_id) WHERE type = 'BOUGHT_WITH';

-- The first hop of "also bought": a product's buyers, latest first, index-only; the query reads only the latest
-- few hundred of a popular product's thousands.
CREATE INDEX edges_bought_latest_buyers ON edges (to_id, last_at DESC, from_id) WHERE type = 'BOUGHT';

-- The second hop: what each of those buyers bought, index-only. The primary key could answer it too, but this index
-- holds only BOUGHT edges and only bigints, and a popular product probes it hundreds of times per request (a quarter
-- less CPU than the primary key on the 1M-edge benchmark graph).
CREATE INDEX edges_bought_by_customer ON edges (from_id, to_id) WHERE type = 'BOUGHT';

CREATE TABLE processed_events (
    event_id text PRIMARY KEY,
    event_type text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now()
);

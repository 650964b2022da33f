-- Orders' own replica of the customers it may take into an order: name, e-mail and version, kept by the events of
-- topic customers (created and updated upsert a newer version, deleted leaves a tombstone) and filled on a miss from
-- the customers app. Checkout reads it instead of calling customers, so placing an order does not depend on customers
-- being up, and costs no round trip through two sidecars.
CREATE TABLE customer_replica (
    customer_id uuid PRIMARY KEY,
    name text,
    email text,
    -- Only a newer version overwrites a row: events may arrive out of order, and a read-through may race them.
    version integer NOT NULL,
    -- A tombstone: customers deleted the row. Final, since customer ids are never reused.
    deleted boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customer_replica_live_has_copy CHECK (deleted OR (name IS NOT NULL AND email IS NOT NULL))
);

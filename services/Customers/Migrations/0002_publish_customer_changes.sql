-- What the change capture relay reads from the WAL (logical replication, pgoutput). The service's role may create it
-- because it owns the table. Truncates are left out: they have no per-customer row to publish, and an event per lost
-- row cannot be built from a TRUNCATE record.
--
-- REPLICA IDENTITY stays DEFAULT (the primary key): events carry the new row, which inserts and updates always log in
-- full, and a delete needs only the id. FULL would log every old row as well, for nothing.
CREATE PUBLICATION customers_cdc FOR TABLE customers WITH (publish = 'insert, update, delete');

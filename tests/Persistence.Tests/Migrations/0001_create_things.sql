CREATE TABLE things (id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE processed_events (event_id text PRIMARY KEY, event_type text NOT NULL, processed_at timestamptz NOT NULL DEFAULT now());

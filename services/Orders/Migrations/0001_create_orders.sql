-- Orders, their lines and status history, the copy of the customer's name and e-mail taken at checkout (kept fresh
-- by customer.updated.v1), the transactional outbox the relay empties, and the inbox of processed event ids.
-- The limits match CheckoutRequest's, so what passes the API is never refused here, and writers that bypass the
-- API are held to them too.
CREATE TABLE orders (
    order_id text PRIMARY KEY CONSTRAINT orders_order_id_length CHECK (char_length(order_id) BETWEEN 1 AND 128),
    customer_id uuid NOT NULL,
    customer_name text NOT NULL,
    customer_email text NOT NULL,
    -- The version of the customer the copy was taken from: only a newer customer.updated.v1 overwrites it.
    customer_version integer NOT NULL,
    currency char(3) NOT NULL,
    total numeric NOT NULL CONSTRAINT orders_total_not_negative CHECK (total >= 0),
    status text NOT NULL CONSTRAINT orders_status CHECK (status IN ('Pending', 'Confirmed', 'Cancelled')),
    cancellation_reason text CONSTRAINT orders_cancellation_reason_length CHECK (char_length(cancellation_reason) BETWEEN 1 AND 500),
    needs_attention boolean NOT NULL DEFAULT false,
    attention_reason text CONSTRAINT orders_attention_reason_length CHECK (char_length(attention_reason) BETWEEN 1 AND 500),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orders_cancelled_has_reason CHECK ((status = 'Cancelled') = (cancellation_reason IS NOT NULL)),
    CONSTRAINT orders_attention_has_reason CHECK (needs_attention = (attention_reason IS NOT NULL))
);

-- customer.updated.v1 refreshes every order of one customer.
CREATE INDEX orders_customer_id ON orders (customer_id);

CREATE TABLE order_lines (
    order_id text NOT NULL REFERENCES orders (order_id),
    line_no integer NOT NULL,
    product_id text NOT NULL CONSTRAINT order_lines_product_id_length CHECK (char_length(product_id) BETWEEN 1 AND 128),
    sku text NOT NULL CONSTRAINT order_lines_sku_length CHECK (char_length(sku) BETWEEN 1 AND 64),
    name text NOT NULL CONSTRAINT order_lines_name_length CHECK (char_length(name) BETWEEN 1 AND 200),
    unit_price numeric NOT NULL CONSTRAINT order_lines_unit_price_not_negative CHECK (unit_price >= 0),
    currency char(3) NOT NULL,
    quantity integer NOT NULL CONSTRAINT order_lines_quantity CHECK (quantity BETWEEN 1 AND 999),
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT order_lines_one_product_once UNIQUE (order_id, product_id)
);

CREATE TABLE order_status_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id text NOT NULL REFERENCES orders (order_id),
    status text NOT NULL CONSTRAINT order_status_history_status CHECK (status IN ('Pending', 'Confirmed', 'Cancelled')),
    reason text CONSTRAINT order_status_history_reason_length CHECK (char_length(reason) BETWEEN 1 AND 500),
    at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX order_status_history_order_id ON order_status_history (order_id, id);

-- What has to leave the service once the transaction that wrote it commits: a request to start the saga
-- (kind start-saga) or an event for topic orders (kind event). The row's id is the CloudEvent id, so a re-sent
-- event is the same event. seq gives the relay commit-ish order; rows are kept once sent, for the audit trail.
CREATE TABLE outbox (
    id uuid PRIMARY KEY,
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    kind text NOT NULL CONSTRAINT outbox_kind CHECK (kind IN ('start-saga', 'event')),
    order_id text NOT NULL,
    event_type text,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text,
    sent_at timestamptz,
    CONSTRAINT outbox_event_has_type CHECK ((kind = 'event') = (event_type IS NOT NULL))
);

-- The relay only ever looks at unsent rows; sent ones stay out of its index.
CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;

-- One start of the saga per order, whatever retries the checkout goes through.
CREATE UNIQUE INDEX outbox_one_saga_start_per_order ON outbox (order_id) WHERE kind = 'start-saga';

-- An order is confirmed or cancelled once, so each of its events is written once.
CREATE UNIQUE INDEX outbox_one_event_per_type_per_order ON outbox (order_id, event_type) WHERE kind = 'event';

-- The idempotent-consumer inbox (services/Persistence/ProcessedEvents.cs).
CREATE TABLE processed_events (
    event_id text PRIMARY KEY,
    event_type text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now()
);

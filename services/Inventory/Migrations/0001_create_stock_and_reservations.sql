-- The invariant 0 <= reserved <= on_hand lives in the table, not only in the code: a bug, a script or a back-office job
-- that would oversell is refused by PostgreSQL. The SKU format and the limits match the API's (Domain/Sku.cs,
-- Domain/Limits.cs), so a request that passes validation is never refused here.
CREATE TABLE stock (
    sku text PRIMARY KEY CONSTRAINT stock_sku_format CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'),
    on_hand integer NOT NULL CONSTRAINT stock_on_hand_range CHECK (on_hand BETWEEN 0 AND 1000000000),
    reserved integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stock_reserved_within_on_hand CHECK (reserved >= 0 AND reserved <= on_hand)
);

-- One row per order, ever: the primary key is what makes a repeated reserve or release find the first one's outcome,
-- and a 'Released' row with no lines is the tombstone that refuses a reserve arriving after its compensation.
CREATE TABLE reservations (
    order_id text PRIMARY KEY CONSTRAINT reservations_order_id_format CHECK (order_id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'),
    status text NOT NULL CONSTRAINT reservations_status CHECK (status IN ('Reserved', 'Released')),
    created_at timestamptz NOT NULL DEFAULT now(),
    released_at timestamptz,
    CONSTRAINT reservations_released_at CHECK ((status = 'Released') = (released_at IS NOT NULL))
);

-- Lines stay after a release: they say what was given back.
CREATE TABLE reservation_lines (
    order_id text NOT NULL REFERENCES reservations (order_id),
    sku text NOT NULL REFERENCES stock (sku),
    quantity integer NOT NULL CONSTRAINT reservation_lines_quantity CHECK (quantity > 0),
    PRIMARY KEY (order_id, sku)
);

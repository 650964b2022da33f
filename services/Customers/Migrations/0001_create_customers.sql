-- The limits match CustomerRequest's, so the API's validation and the database agree, and writers that bypass the API
-- (scripts, back-office jobs) are held to them too. No value can grow past ~2 kB, so none is ever TOASTed and the change
-- capture always sees whole rows.
CREATE TABLE customers (
    id uuid PRIMARY KEY,
    email text NOT NULL CONSTRAINT customers_email_key UNIQUE CONSTRAINT customers_email_length CHECK (char_length(email) BETWEEN 3 AND 254),
    name text NOT NULL CONSTRAINT customers_name_length CHECK (char_length(name) BETWEEN 1 AND 200),
    phone text CONSTRAINT customers_phone_length CHECK (char_length(phone) <= 32),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

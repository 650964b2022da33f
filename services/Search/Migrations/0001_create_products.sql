-- unaccent is a "trusted" extension (PostgreSQL 13 and later): the database owner may create it without being a
-- superuser, and this service's role owns its database (see Persistence/DatabaseProvisioner), so the migration runs
-- with the service's own credentials in development and in production alike.
CREATE EXTENSION IF NOT EXISTS unaccent;

-- Text search configurations that strip accents before stemming, on the document and on the query alike, so
-- "creme brulee" finds "crème brûlée". Built from the stock english/french/simple ones, accents removed for the
-- token types that can carry them (ASCII words have none).
CREATE TEXT SEARCH CONFIGURATION search_english (COPY = english);
ALTER TEXT SEARCH CONFIGURATION search_english ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
CREATE TEXT SEARCH CONFIGURATION search_french (COPY = french);
ALTER TEXT SEARCH CONFIGURATION search_french ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
CREATE TEXT SEARCH CONFIGURATION search_simple (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION search_simple ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;

-- One row per catalog product, at the highest catalog version seen. A deleted product stays as a tombstone (deleted =
-- true) so that an older event arriving late cannot bring it back.
CREATE TABLE products (
    id          text PRIMARY KEY,
    sku         text NOT NULL,
    name        text NOT NULL,
    description text,
    category    text NOT NULL,
    price       numeric NOT NULL,
    currency    char(3) NOT NULL,
    version     bigint NOT NULL,
    deleted     boolean NOT NULL DEFAULT false,
    -- The product's declared language (attribute "language": en or fr), when it has one. Every product is indexed in
    -- both languages regardless, since the catalog does not require a language.
    language    text,
    indexed_at  timestamptz NOT NULL DEFAULT now(),
    -- Both languages in one vector: the name weighs most, then SKU and category, then the description. Generated, so
    -- it can never disagree with the columns it is made from.
    document    tsvector GENERATED ALWAYS AS (
                    setweight(to_tsvector('search_english', name), 'A')
                 || setweight(to_tsvector('search_french', name), 'A')
                 || setweight(to_tsvector('search_simple', sku || ' ' || category), 'B')
                 || setweight(to_tsvector('search_english', coalesce(description, '')), 'C')
                 || setweight(to_tsvector('search_french', coalesce(description, '')), 'C')
                ) STORED
);

CREATE INDEX products_document_idx ON products USING gin (document) WHERE NOT deleted;
CREATE INDEX products_category_idx ON products (category) WHERE NOT deleted;

CREATE TABLE processed_events (
    event_id     text PRIMARY KEY,
    event_type   text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Up
-- Times are Unix seconds (UTC) in INTEGER columns on both engines; days are
-- INTEGER yyyymmdd in the shop's time zone. Money is INTEGER minor units.
-- Every table has shop_id first in its primary key and in every foreign key,
-- so a PostgreSQL install can be distributed by shop without a schema change.
CREATE TABLE shops (
    id         INTEGER PRIMARY KEY,
    code       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    currency   TEXT    NOT NULL DEFAULT 'CNY',
    timezone   TEXT    NOT NULL DEFAULT 'Asia/Shanghai',
    created_at INTEGER NOT NULL
);

CREATE TABLE shop_counters (
    shop_id INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    name    TEXT    NOT NULL,
    next_id INTEGER NOT NULL,
    PRIMARY KEY (shop_id, name)
) WITHOUT ROWID;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL,
    locale        TEXT    NOT NULL DEFAULT 'zh-CN',
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE shop_members (
    shop_id    INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT    NOT NULL CHECK (role IN ('admin', 'agent', 'care', 'analyst')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (shop_id, user_id)
) WITHOUT ROWID;
CREATE INDEX shop_members_user ON shop_members (user_id);

CREATE TABLE sessions (
    id           TEXT    PRIMARY KEY, -- SHA-256 of the cookie token; the token itself is never stored
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    user_agent   TEXT    NOT NULL DEFAULT '',
    ip           TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE customers (
    shop_id     INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id          INTEGER NOT NULL,
    name        TEXT    NOT NULL DEFAULT '',
    gender      TEXT    NOT NULL DEFAULT '', -- '', 'f', 'm'
    birthday    TEXT    NOT NULL DEFAULT '', -- YYYY-MM-DD or ''
    phone       TEXT    NOT NULL DEFAULT '', -- for display; may be a platform-masked value
    email       TEXT    NOT NULL DEFAULT '',
    province    TEXT    NOT NULL DEFAULT '',
    city        TEXT    NOT NULL DEFAULT '',
    address     TEXT    NOT NULL DEFAULT '',
    tags        TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
    attrs       TEXT    NOT NULL DEFAULT '{}', -- JSON object: custom attributes
    merged_into INTEGER,                       -- set when merged into another customer; kept for undo
    version     INTEGER NOT NULL DEFAULT 1,    -- optimistic locking
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (shop_id, id)
) WITHOUT ROWID;
CREATE INDEX customers_name ON customers (shop_id, name);
CREATE INDEX customers_phone ON customers (shop_id, phone);

CREATE TABLE customer_consents (
    shop_id     INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    channel     TEXT    NOT NULL, -- sms, email, wechat, phone
    purpose     TEXT    NOT NULL DEFAULT 'marketing',
    granted     BOOLEAN NOT NULL,
    source      TEXT    NOT NULL DEFAULT '', -- e.g. import:shopify, ui, api, unsubscribe
    at          INTEGER NOT NULL,
    PRIMARY KEY (shop_id, customer_id, channel, purpose),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE customer_identities (
    shop_id     INTEGER NOT NULL,
    platform    TEXT    NOT NULL, -- '' for phone and email, which are the same on every platform
    kind        TEXT    NOT NULL, -- customer_id, buyer_nick, ouid, omid, openid, unionid, phone, email
    value       TEXT    NOT NULL, -- normalised; masked values are never stored here
    customer_id INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (shop_id, platform, kind, value),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX customer_identities_customer ON customer_identities (shop_id, customer_id);

-- Sufficient statistics per customer, kept current by every import and
-- order change, so scoring reads one row per customer instead of every order.
CREATE TABLE customer_stats (
    shop_id           INTEGER NOT NULL,
    customer_id       INTEGER NOT NULL,
    first_purchase_at INTEGER,          -- first paid purchase (order time)
    last_purchase_at  INTEGER,
    purchase_days     INTEGER NOT NULL DEFAULT 0, -- distinct purchase days
    orders_count      INTEGER NOT NULL DEFAULT 0, -- purchase orders
    total_spent       INTEGER NOT NULL DEFAULT 0, -- net of refunds
    refunded          INTEGER NOT NULL DEFAULT 0, -- refunds and returns, all orders
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (shop_id, customer_id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
-- The customer list, most recent buyer first, one page at a time; customers
-- who never bought (NULL) sort last.
CREATE INDEX customer_stats_recent ON customer_stats (shop_id, last_purchase_at DESC, customer_id DESC);

CREATE TABLE products (
    shop_id    INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id         INTEGER NOT NULL,
    sku        TEXT    NOT NULL,
    name       TEXT    NOT NULL DEFAULT '',
    category   TEXT    NOT NULL DEFAULT '',
    price      INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (shop_id, id),
    UNIQUE (shop_id, sku)
) WITHOUT ROWID;

CREATE TABLE orders (
    shop_id      INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id           INTEGER NOT NULL,
    platform     TEXT    NOT NULL,
    external_id  TEXT    NOT NULL,
    customer_id  INTEGER,           -- NULL for a guest order
    status       TEXT    NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'completed', 'cancelled', 'refunded', 'partially_refunded')),
    placed_at    INTEGER NOT NULL,
    paid_at      INTEGER,
    purchase_day INTEGER,           -- yyyymmdd in shop time when the order counts as a purchase
    amount       INTEGER NOT NULL,
    discount     INTEGER NOT NULL DEFAULT 0,
    shipping_fee INTEGER NOT NULL DEFAULT 0,
    refunded     INTEGER NOT NULL DEFAULT 0,
    channel      TEXT    NOT NULL DEFAULT '',
    province     TEXT    NOT NULL DEFAULT '',
    city         TEXT    NOT NULL DEFAULT '',
    attrs        TEXT    NOT NULL DEFAULT '{}',
    content_hash INTEGER NOT NULL,  -- of the order as imported: a re-import of the same row changes nothing
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (shop_id, id),
    UNIQUE (shop_id, platform, external_id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id)
) WITHOUT ROWID;
CREATE INDEX orders_customer ON orders (shop_id, customer_id);
CREATE INDEX orders_placed ON orders (shop_id, placed_at);

CREATE TABLE order_lines (
    shop_id    INTEGER NOT NULL,
    order_id   INTEGER NOT NULL,
    line_no    INTEGER NOT NULL,
    product_id INTEGER,
    sku        TEXT    NOT NULL DEFAULT '',
    name       TEXT    NOT NULL DEFAULT '',
    category   TEXT    NOT NULL DEFAULT '',
    quantity   INTEGER NOT NULL,
    unit_price INTEGER NOT NULL,
    amount     INTEGER NOT NULL,
    PRIMARY KEY (shop_id, order_id, line_no),
    FOREIGN KEY (shop_id, order_id) REFERENCES orders (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;

-- Interactions other than orders (which the timeline reads from orders):
-- notes, messages, tickets, visits, merges, imports.
CREATE TABLE timeline_events (
    shop_id     INTEGER NOT NULL,
    id          INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    occurred_at INTEGER NOT NULL,
    actor_id    INTEGER,
    title       TEXT    NOT NULL DEFAULT '',
    data        TEXT    NOT NULL DEFAULT '{}',
    PRIMARY KEY (shop_id, id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX timeline_events_customer ON timeline_events (shop_id, customer_id, occurred_at);

CREATE TABLE customer_merges (
    shop_id     INTEGER NOT NULL,
    id          INTEGER NOT NULL,
    survivor_id INTEGER NOT NULL,
    merged_id   INTEGER NOT NULL,
    reason      TEXT    NOT NULL, -- e.g. "same phone 13812345678"
    source      TEXT    NOT NULL, -- import:<run id>, ui, api
    merged_at   INTEGER NOT NULL,
    PRIMARY KEY (shop_id, id),
    FOREIGN KEY (shop_id, survivor_id) REFERENCES customers (shop_id, id),
    FOREIGN KEY (shop_id, merged_id) REFERENCES customers (shop_id, id)
) WITHOUT ROWID;

CREATE TABLE import_runs (
    shop_id           INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id                INTEGER NOT NULL,
    format            TEXT    NOT NULL,
    file_name         TEXT    NOT NULL,
    started_at        INTEGER NOT NULL,
    finished_at       INTEGER NOT NULL,
    rows_read         INTEGER NOT NULL,
    orders_created    INTEGER NOT NULL,
    orders_updated    INTEGER NOT NULL,
    orders_unchanged  INTEGER NOT NULL,
    customers_created INTEGER NOT NULL,
    customers_merged  INTEGER NOT NULL,
    rejected          INTEGER NOT NULL,
    PRIMARY KEY (shop_id, id)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE import_runs;
DROP TABLE customer_merges;
DROP TABLE timeline_events;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE products;
DROP TABLE customer_stats;
DROP TABLE customer_identities;
DROP TABLE customer_consents;
DROP TABLE customers;
DROP TABLE sessions;
DROP TABLE shop_members;
DROP TABLE users;
DROP TABLE shop_counters;
DROP TABLE shops;

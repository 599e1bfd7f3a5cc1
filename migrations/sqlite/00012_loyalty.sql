-- +goose Up
-- Loyalty (issue 5 §5): a shop's points rules and member tiers, the points
-- ledger, each customer's balance and current tier.

-- One row per shop that has set its rules; a shop without one uses the
-- defaults of internal/loyalty (1 point per yuan, 12 months, no tiers).
CREATE TABLE loyalty_settings (
    shop_id         INTEGER NOT NULL PRIMARY KEY REFERENCES shops (id) ON DELETE CASCADE,
    points_per_yuan INTEGER NOT NULL CHECK (points_per_yuan >= 0),
    point_value     INTEGER NOT NULL CHECK (point_value >= 0), -- minor units (fen) one point is worth
    expiry_months   INTEGER NOT NULL CHECK (expiry_months >= 0), -- 0: points never expire
    tier_basis      TEXT    NOT NULL CHECK (tier_basis IN ('spend', 'points')),
    tiers           TEXT    NOT NULL DEFAULT '[]', -- JSON: [{"name", "min_spend", "min_points"}], lowest first
    updated_at      INTEGER NOT NULL
);

-- Every change to a customer's points. Credits (earn, a positive adjust)
-- keep their unspent part in remaining: debits (redeem, a negative adjust,
-- reverse, expire) consume it oldest first, and expiry takes only what is
-- left of a credit past its expires_at.
CREATE TABLE points_ledger (
    shop_id         INTEGER NOT NULL,
    id              INTEGER NOT NULL,
    customer_id     INTEGER NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('earn', 'adjust', 'redeem', 'expire', 'reverse')),
    points          INTEGER NOT NULL, -- signed: credits positive, debits negative
    remaining       INTEGER NOT NULL DEFAULT 0 CHECK (remaining >= 0 AND (remaining = 0 OR remaining <= points)),
    order_id        INTEGER,
    order_net       INTEGER,          -- earn, reverse: the order's paid amount net of refunds the entry was computed from
    reason          TEXT    NOT NULL DEFAULT '',
    actor           TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER,          -- earn entries, when the shop's points expire
    idempotency_key TEXT,             -- e.g. order:123: the change happens once per shop
    PRIMARY KEY (shop_id, id),
    UNIQUE (shop_id, idempotency_key),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX points_ledger_customer ON points_ledger (shop_id, customer_id, id);
CREATE INDEX points_ledger_order ON points_ledger (shop_id, order_id) WHERE order_id IS NOT NULL;
CREATE INDEX points_ledger_open ON points_ledger (shop_id, expires_at) WHERE remaining > 0;

-- A customer's balance, the sum of their ledger entries, kept so that a
-- debit checks and takes it under one row lock on either engine; the CHECK
-- is the last guard against a negative balance.
CREATE TABLE loyalty_accounts (
    shop_id     INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    balance     INTEGER NOT NULL CHECK (balance >= 0),
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (shop_id, customer_id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;

-- A customer's current tier; changes go to timeline_events (kind 'tier').
CREATE TABLE member_tiers (
    shop_id     INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    tier        TEXT    NOT NULL,
    since       INTEGER NOT NULL,
    PRIMARY KEY (shop_id, customer_id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;

-- +goose Down
DROP TABLE member_tiers;
DROP TABLE loyalty_accounts;
DROP TABLE points_ledger;
DROP TABLE loyalty_settings;

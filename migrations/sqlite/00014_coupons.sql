-- +goose Up
-- Coupons (issue 5 §5): templates a shop designs, and the codes issued from
-- them, one per customer issue, redeemed at most once by an imported order
-- that carries the code.

CREATE TABLE coupon_templates (
    shop_id     INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id          INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('amount', 'percent')),
    value       INTEGER NOT NULL CHECK (value > 0),      -- amount: minor units (fen) off; percent: percent off, 1-100
    min_spend   INTEGER NOT NULL DEFAULT 0 CHECK (min_spend >= 0), -- minor units the order must reach
    valid_days  INTEGER CHECK (valid_days > 0),          -- a code expires this many days after issue…
    ends_at     INTEGER,                                 -- …or at this fixed time, whichever comes first
    code_prefix TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (shop_id, id),
    CHECK (valid_days IS NOT NULL OR ends_at IS NOT NULL),
    CHECK (kind = 'amount' OR value <= 100)
) WITHOUT ROWID;

-- One code issued to one customer. source says why: "segment:12",
-- "campaign:7", "manual". redeemed_* are set once, from the first order of
-- the customer placed between issue and expiry that carries the code.
CREATE TABLE coupons (
    shop_id           INTEGER NOT NULL,
    code              TEXT    NOT NULL,
    template_id       INTEGER NOT NULL,
    customer_id       INTEGER NOT NULL,
    source            TEXT    NOT NULL DEFAULT '',
    issued_at         INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    redeemed_at       INTEGER,
    redeemed_order_id INTEGER,
    discount          INTEGER NOT NULL DEFAULT 0, -- minor units the redemption took off
    PRIMARY KEY (shop_id, code),
    FOREIGN KEY (shop_id, template_id) REFERENCES coupon_templates (shop_id, id) ON DELETE CASCADE,
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id) ON DELETE CASCADE,
    FOREIGN KEY (shop_id, redeemed_order_id) REFERENCES orders (shop_id, id)
) WITHOUT ROWID;
CREATE INDEX coupons_template ON coupons (shop_id, template_id);
CREATE INDEX coupons_customer ON coupons (shop_id, customer_id);
CREATE INDEX coupons_open ON coupons (shop_id, issued_at) WHERE redeemed_at IS NULL;

-- +goose Down
DROP TABLE coupons;
DROP TABLE coupon_templates;

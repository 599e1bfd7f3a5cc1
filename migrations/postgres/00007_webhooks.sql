-- +goose Up
-- Inbound order webhooks: each shop's signing secret, and the deliveries
-- received lately, so that a replayed delivery is refused even after a
-- restart. The secret is kept as it is (an HMAC needs it); it is shown once
-- when made and replaced by `guanxi webhook secret --shop CODE`.
CREATE TABLE webhook_secrets (
    shop_id    BIGINT  NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    secret     TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (shop_id)
);

CREATE TABLE webhook_deliveries (
    shop_id     BIGINT  NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    delivery_id TEXT    NOT NULL, -- the sender's X-Guanxi-Delivery
    signed_at   BIGINT  NOT NULL, -- its X-Guanxi-Timestamp: rows older than the replay window are pruned
    received_at BIGINT  NOT NULL,
    orders      BIGINT  NOT NULL, -- how many orders it carried
    PRIMARY KEY (shop_id, delivery_id)
);
CREATE INDEX webhook_deliveries_signed ON webhook_deliveries (shop_id, signed_at);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_secrets;

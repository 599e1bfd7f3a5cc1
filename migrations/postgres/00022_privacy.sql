-- +goose Up
-- Personal data (issue 7 §6). customer_consents holds each consent's
-- current state only, overwritten on change; consent_log keeps every grant
-- and withdrawal with its time, source and purpose. Triggers write it, so
-- every writer of customer_consents (the customer page, unsubscribes,
-- bounces, SMS replies, the importer's bulk upserts, merges, restores) is
-- recorded without each remembering to. The key is the whole row: the same
-- change written twice (a re-import, a restore) is kept once.
CREATE TABLE consent_log (
    shop_id     BIGINT  NOT NULL,
    customer_id BIGINT  NOT NULL,
    channel     TEXT    NOT NULL,
    purpose     TEXT    NOT NULL,
    granted     BOOLEAN NOT NULL,
    source      TEXT    NOT NULL DEFAULT '',
    at          BIGINT  NOT NULL,
    PRIMARY KEY (shop_id, customer_id, channel, purpose, at, granted, source),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id) ON DELETE CASCADE
);

-- The history so far is the current state: nothing older was kept.
INSERT INTO consent_log (shop_id, customer_id, channel, purpose, granted, source, at)
SELECT shop_id, customer_id, channel, purpose, granted, source, at FROM customer_consents;

-- +goose StatementBegin
CREATE FUNCTION consent_log_write() RETURNS trigger AS $$
BEGIN
    INSERT INTO consent_log (shop_id, customer_id, channel, purpose, granted, source, at)
    VALUES (NEW.shop_id, NEW.customer_id, NEW.channel, NEW.purpose, NEW.granted, NEW.source, NEW.at)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

CREATE TRIGGER consent_log_insert AFTER INSERT ON customer_consents
FOR EACH ROW EXECUTE FUNCTION consent_log_write();

CREATE TRIGGER consent_log_update AFTER UPDATE ON customer_consents
FOR EACH ROW
WHEN (OLD.granted IS DISTINCT FROM NEW.granted OR OLD.source IS DISTINCT FROM NEW.source OR OLD.at IS DISTINCT FROM NEW.at
  OR OLD.customer_id IS DISTINCT FROM NEW.customer_id)
EXECUTE FUNCTION consent_log_write();

-- Per-shop privacy settings: the key pseudonyms are made with, and how
-- long each kind of data is kept (0 = keep). A row is made on first use.
CREATE TABLE privacy_settings (
    shop_id               BIGINT  NOT NULL PRIMARY KEY REFERENCES shops (id) ON DELETE CASCADE,
    pseudonym_key         TEXT    NOT NULL, -- hex; HMAC key of erased values, never shown
    sign_in_days          BIGINT  NOT NULL DEFAULT 30,  -- failed sign-ins (not per shop: the shortest wins)
    audit_days            BIGINT  NOT NULL DEFAULT 0,
    timeline_days         BIGINT  NOT NULL DEFAULT 0,
    timeline_kinds        TEXT    NOT NULL DEFAULT '',  -- space-separated kinds timeline_days applies to
    campaign_address_days BIGINT  NOT NULL DEFAULT 0,   -- then a message's address is blanked
    attachment_days       BIGINT  NOT NULL DEFAULT 0,   -- then a ticket attachment's bytes are deleted
    inbound_days          BIGINT  NOT NULL DEFAULT 0,   -- then a received mail's or chat's text is deleted
    survey_comment_days   BIGINT  NOT NULL DEFAULT 0,
    inactive_years        BIGINT  NOT NULL DEFAULT 0,   -- then a customer without an order that long is erased
    updated_at            BIGINT  NOT NULL,
    version               BIGINT  NOT NULL DEFAULT 1
);

-- Customers whose personal data was erased, and why.
CREATE TABLE customer_erasures (
    shop_id     BIGINT  NOT NULL,
    customer_id BIGINT  NOT NULL,
    at          BIGINT  NOT NULL,
    actor       TEXT    NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (shop_id, customer_id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE customer_erasures;
DROP TABLE privacy_settings;
DROP TRIGGER consent_log_update ON customer_consents;
DROP TRIGGER consent_log_insert ON customer_consents;
DROP FUNCTION consent_log_write();
DROP TABLE consent_log;

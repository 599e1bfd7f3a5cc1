-- +goose Up
-- Field encryption at rest (issue 7 §6). Phones and e-mails are stored
-- sealed (AES-GCM, "gx1:…") and looked up through keyed hashes in
-- customer_identities, so the index on the customer's phone column, which
-- now holds ciphertext, finds nothing and goes. field_key records which key
-- the database was written with (a fingerprint, never the key), so that a
-- start with another key is refused instead of reading what it cannot
-- open. Existing rows are sealed by the server at start, in batches, since
-- SQL cannot encrypt.
DROP INDEX customers_phone;
CREATE TABLE field_key (
    id          INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);

-- +goose Down
DROP TABLE field_key;
CREATE INDEX customers_phone ON customers (shop_id, phone);

-- +goose Up
-- Failed sign-ins, kept for a day, so that guessing passwords is slowed to a
-- crawl: a username locks after repeated failures, an address after many
-- across usernames (issue 4). Not per shop: sign-in comes before any shop.
CREATE TABLE sign_in_failures (
    kind TEXT    NOT NULL CHECK (kind IN ('user', 'ip')),
    key  TEXT    NOT NULL, -- lower-cased username, or the client address
    at   INTEGER NOT NULL  -- Unix seconds
);
CREATE INDEX sign_in_failures_key ON sign_in_failures (kind, key, at);

-- +goose Down
DROP TABLE sign_in_failures;

-- +goose Up
-- A username's failed sign-ins remember the address they came from, so the
-- lock after a few holds for that username from that address only: whoever
-- guesses a password locks himself out, not the account's owner (issue 7).
-- Failures of a username from every address together only slow it down,
-- and spare the addresses its user has signed in from before, which are
-- remembered here for 90 days.
ALTER TABLE sign_in_failures ADD COLUMN addr TEXT NOT NULL DEFAULT '';
CREATE INDEX sign_in_failures_addr ON sign_in_failures (kind, key, addr, at);

CREATE TABLE sign_in_addresses (
    username TEXT    NOT NULL, -- lower-cased
    addr     TEXT    NOT NULL, -- the client address of a completed sign-in
    at       BIGINT  NOT NULL, -- the latest such sign-in, Unix seconds
    PRIMARY KEY (username, addr)
);

-- +goose Down
DROP TABLE sign_in_addresses;
DROP INDEX sign_in_failures_addr;
ALTER TABLE sign_in_failures DROP COLUMN addr;

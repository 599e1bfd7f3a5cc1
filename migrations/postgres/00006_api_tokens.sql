-- +goose Up
-- API tokens: a shop's credentials for the REST API, each with its scopes.
-- Only a SHA-256 hash of the token is kept; the token is shown once.
CREATE TABLE api_tokens (
    shop_id      BIGINT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id           BIGINT  NOT NULL,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    scopes       TEXT    NOT NULL, -- space-separated, e.g. "customers:read scores:read"
    created_by   BIGINT,          -- users.id, NULL when made from the command line
    created_at   BIGINT  NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT,
    PRIMARY KEY (shop_id, id)
);

-- +goose Down
DROP TABLE api_tokens;

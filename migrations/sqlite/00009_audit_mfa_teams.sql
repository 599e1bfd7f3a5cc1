-- +goose Up
-- The audit log: who did what to which record of a shop, kept for admins to
-- read (issue 4). Rows are only ever added.
CREATE TABLE audit_log (
    shop_id     INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id          INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    user_id     INTEGER,          -- NULL for the command line and API tokens
    actor       TEXT    NOT NULL, -- "user:wang", "token:3 erp", "cli"
    action      TEXT    NOT NULL, -- e.g. customer.update, customer.reveal, customer.merge, token.create
    object_type TEXT    NOT NULL DEFAULT '',
    object_id   TEXT    NOT NULL DEFAULT '',
    detail      TEXT    NOT NULL DEFAULT '{}', -- JSON: what changed, never a revealed value
    ip          TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (shop_id, id)
) WITHOUT ROWID;
CREATE INDEX audit_log_object ON audit_log (shop_id, object_type, object_id, id);
CREATE INDEX audit_log_user ON audit_log (shop_id, user_id, id);

-- A second factor for sign-in: a TOTP secret (RFC 6238), set once the user
-- has proved their authenticator works, and the last time step used, so a
-- code is good only once.
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
-- A session that has passed the password but not yet the second factor.
ALTER TABLE sessions ADD COLUMN pending_mfa BOOLEAN NOT NULL DEFAULT FALSE;

-- Teams within a shop (service desk, care, analysis…): tickets and care
-- tasks are assigned to a team; a member may be in several.
CREATE TABLE teams (
    shop_id    INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id         INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (shop_id, id),
    UNIQUE (shop_id, name)
) WITHOUT ROWID;

CREATE TABLE team_members (
    shop_id INTEGER NOT NULL,
    team_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    PRIMARY KEY (shop_id, team_id, user_id),
    FOREIGN KEY (shop_id, team_id) REFERENCES teams (shop_id, id) ON DELETE CASCADE,
    FOREIGN KEY (shop_id, user_id) REFERENCES shop_members (shop_id, user_id) ON DELETE CASCADE
) WITHOUT ROWID;

-- +goose Down
DROP TABLE team_members;
DROP TABLE teams;
ALTER TABLE sessions DROP COLUMN pending_mfa;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_secret;
DROP TABLE audit_log;

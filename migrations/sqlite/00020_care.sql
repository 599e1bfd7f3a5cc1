-- +goose Up
-- Care rules (客户关怀, issue 6 §5): a trigger (birthday, days after
-- delivery, dormant, churn risk rising to high, tier change, complaint
-- archived, first order), conditions (a saved segment, a minimum spend, a
-- tier) and one action (a message, a follow-up task, a tag, points, a
-- coupon). params holds the trigger's and the action's parameters as JSON.
CREATE TABLE care_rules (
    shop_id    INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id         INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    enabled    BOOLEAN NOT NULL DEFAULT TRUE,
    trigger_kind TEXT  NOT NULL CHECK (trigger_kind IN ('birthday', 'after_delivery', 'dormant', 'churn_high', 'tier_change', 'complaint_archived', 'first_order')),
    days       INTEGER NOT NULL DEFAULT 0, -- the trigger's N days
    segment_id INTEGER,                    -- condition: a member of this saved segment
    min_spend  INTEGER NOT NULL DEFAULT 0, -- condition: net spend at least this, fen
    tier       TEXT    NOT NULL DEFAULT '', -- condition: in this member tier
    action     TEXT    NOT NULL CHECK (action IN ('message', 'task', 'tag', 'points', 'coupon')),
    params     TEXT    NOT NULL DEFAULT '{}',
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (shop_id, id)
) WITHOUT ROWID;

-- One run of a rule: what it matched and did. finished_at NULL: running,
-- or killed before it finished.
CREATE TABLE care_runs (
    shop_id     INTEGER NOT NULL,
    id          INTEGER NOT NULL,
    rule_id     INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    matched     INTEGER NOT NULL DEFAULT 0, -- customers the trigger found
    acted       INTEGER NOT NULL DEFAULT 0,
    skipped     TEXT    NOT NULL DEFAULT '{}', -- reason → customers
    errors      INTEGER NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '', -- the first error
    campaign_id INTEGER,                    -- the message action's campaign
    PRIMARY KEY (shop_id, id),
    FOREIGN KEY (shop_id, rule_id) REFERENCES care_rules (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX care_runs_rule ON care_runs (shop_id, rule_id, id);

-- What a rule did for a customer and an occurrence of its trigger
-- (birthday:2026, order:17, last:1767225600, run:4, ticket:9, tier:31),
-- written in the same transaction as the action's own record: the key is
-- what makes a rule fire once per customer and occurrence, whatever
-- restarts or crashes.
CREATE TABLE care_occurrences (
    shop_id     INTEGER NOT NULL,
    rule_id     INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    occurrence  TEXT    NOT NULL,
    run_id      INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    outcome     TEXT    NOT NULL CHECK (outcome IN ('acted', 'skipped')),
    detail      TEXT    NOT NULL DEFAULT '', -- what was done (task 5, coupon code, campaign 8) or why not
    PRIMARY KEY (shop_id, rule_id, customer_id, occurrence),
    FOREIGN KEY (shop_id, rule_id) REFERENCES care_rules (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX care_occurrences_recent ON care_occurrences (shop_id, rule_id, at);

-- Churn risk as care last saw it: the customers at high risk, each with the
-- score run that first found them there (0: already high when care first
-- looked), and per shop the last score run looked at. A customer's rise
-- to high is an occurrence named by that run.
CREATE TABLE care_churn (
    shop_id     INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    since_run   INTEGER NOT NULL,
    PRIMARY KEY (shop_id, customer_id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE care_state (
    shop_id   INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    churn_run INTEGER NOT NULL,
    PRIMARY KEY (shop_id)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE care_state;
DROP TABLE care_churn;
DROP TABLE care_occurrences;
DROP TABLE care_runs;
DROP TABLE care_rules;

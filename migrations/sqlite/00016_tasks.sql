-- +goose Up
-- Follow-up tasks (回访, issue 6 §3 and §5): work for the care team with a
-- due date and an outcome, opened by hand, by a detractor's survey answer
-- or by a care rule. A job that opens tasks gives each a source_key, unique
-- per shop, so running it again never opens the same task twice.
CREATE TABLE tasks (
    shop_id     INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id          INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    ticket_id   INTEGER,          -- the ticket it follows up, if any
    kind        TEXT    NOT NULL CHECK (kind IN ('follow_up', 'detractor', 'care', 'callback')),
    title       TEXT    NOT NULL,
    body        TEXT    NOT NULL DEFAULT '',
    assignee_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    team_id     INTEGER,          -- no foreign key, as on tickets
    due_at      INTEGER NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
    outcome     TEXT    NOT NULL DEFAULT '',
    source      TEXT    NOT NULL DEFAULT '', -- who or what opened it: user:wang, survey:12, care:3
    source_key  TEXT,             -- the opening job's idempotency key
    created_by  INTEGER,
    created_at  INTEGER NOT NULL,
    done_at     INTEGER,
    done_by     INTEGER,
    version     INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (shop_id, id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE UNIQUE INDEX tasks_source ON tasks (shop_id, source_key) WHERE source_key IS NOT NULL;
CREATE INDEX tasks_open ON tasks (shop_id, due_at) WHERE status = 'open';
CREATE INDEX tasks_customer ON tasks (shop_id, customer_id, id);

-- +goose Down
DROP TABLE tasks;

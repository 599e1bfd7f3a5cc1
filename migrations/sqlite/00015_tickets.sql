-- +goose Up
-- Service desk (issue 6 §1-2): tickets for consultations, in-sale and
-- after-sale questions and complaints, every change to them as an event,
-- and each shop's SLA clocks per priority.

-- A ticket. Complaints follow the workflow of seed 002 §7.2 (received →
-- confirmed → assessed → solution_proposed → executed → follow_up →
-- archived); every other kind open → pending → solved → closed. The step
-- history (who, when) is in ticket_events; the row holds the current state.
CREATE TABLE tickets (
    shop_id              INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id                   INTEGER NOT NULL,
    kind                 TEXT    NOT NULL CHECK (kind IN ('consultation', 'order', 'payment', 'delivery', 'return', 'exchange', 'repair', 'refund', 'complaint')),
    subject              TEXT    NOT NULL,
    body                 TEXT    NOT NULL DEFAULT '',
    customer_id          INTEGER NOT NULL,
    order_id             INTEGER,          -- the order it is about, if any
    channel              TEXT    NOT NULL CHECK (channel IN ('ui', 'api', 'email', 'webhook', 'phone', 'wechat')),
    priority             TEXT    NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    assignee_id          INTEGER REFERENCES users (id) ON DELETE SET NULL,
    team_id              INTEGER,          -- no foreign key: deleting a team must not fail on its old tickets
    status               TEXT    NOT NULL CHECK (status IN ('received', 'confirmed', 'assessed', 'solution_proposed', 'executed', 'follow_up', 'archived',
                                                            'open', 'pending', 'solved', 'closed')),
    cause                TEXT    NOT NULL DEFAULT '' CHECK (cause IN ('', 'product', 'logistics', 'payment', 'after_sale', 'information', 'expectation')),
    severity             TEXT    NOT NULL DEFAULT '' CHECK (severity IN ('', 'minor', 'major', 'critical')),
    solution             TEXT    NOT NULL DEFAULT '',
    outcome              TEXT    NOT NULL DEFAULT '', -- the follow-up's outcome
    created_by           INTEGER,          -- user id; NULL for the API, email, the command line
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    closed_at            INTEGER,          -- archived or closed
    sla_started_at       INTEGER NOT NULL, -- the resolution clock's start: creation or the last reopen
    first_response_due   INTEGER NOT NULL,
    resolution_due       INTEGER NOT NULL,
    first_responded_at   INTEGER,
    resolved_at          INTEGER,          -- executed (complaint) or solved
    response_escalated   INTEGER NOT NULL DEFAULT 0, -- 1 once the first-response breach raised the priority
    resolution_escalated INTEGER NOT NULL DEFAULT 0, -- 1 once the resolution breach raised the priority
    version              INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (shop_id, id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX tickets_customer ON tickets (shop_id, customer_id, id);
-- The SLA sweep walks the tickets still open.
CREATE INDEX tickets_open ON tickets (shop_id, resolution_due) WHERE closed_at IS NULL;

-- Every change to a ticket, internal note and reply, with who and when, so
-- the history is complete: kind created, status, priority, assign, note,
-- reply, escalation.
CREATE TABLE ticket_events (
    shop_id    INTEGER NOT NULL,
    ticket_id  INTEGER NOT NULL,
    id         INTEGER NOT NULL, -- per shop, increasing
    kind       TEXT    NOT NULL CHECK (kind IN ('created', 'status', 'priority', 'assign', 'note', 'reply', 'escalation')),
    from_value TEXT    NOT NULL DEFAULT '',
    to_value   TEXT    NOT NULL DEFAULT '',
    body       TEXT    NOT NULL DEFAULT '', -- a note's or reply's text, a reopen's reason, a step's detail
    actor_id   INTEGER,                     -- user id, when a user acted
    actor      TEXT    NOT NULL,            -- user:wang, token:3, cli, system
    at         INTEGER NOT NULL,
    PRIMARY KEY (shop_id, ticket_id, id),
    FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;

-- A shop's SLA clocks, one row per priority it changed from the defaults
-- of internal/service.
CREATE TABLE sla_policies (
    shop_id            INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    priority           TEXT    NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    first_response_min INTEGER NOT NULL CHECK (first_response_min > 0),
    resolution_min     INTEGER NOT NULL CHECK (resolution_min > 0),
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (shop_id, priority)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE sla_policies;
DROP TABLE ticket_events;
DROP TABLE tickets;

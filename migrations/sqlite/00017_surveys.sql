-- +goose Up
-- Satisfaction surveys (issue 6 §3, seed 002 §2.3): CSAT after a ticket
-- closes, NPS to a segment, and custom questionnaires, each sent through a
-- channel as a signed public link. An invite is one customer's link; a
-- response is what came back, with the ticket and agent it rates (for CSAT)
-- and the customer's RFM segment when answering, so results can be read
-- over time, by segment and by agent.
CREATE TABLE surveys (
    shop_id      INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id           INTEGER NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('csat', 'nps', 'custom')),
    title        TEXT    NOT NULL,
    intro        TEXT    NOT NULL DEFAULT '',
    questions    TEXT    NOT NULL DEFAULT '[]', -- JSON: the custom questions (the score question is implied by kind)
    channel      TEXT    NOT NULL DEFAULT '',   -- sms, email, wechat, webhook; '' until chosen
    segment_id   INTEGER,                       -- the audience of an NPS or custom survey
    status       TEXT    NOT NULL CHECK (status IN ('draft', 'active', 'closed')),
    expires_days INTEGER NOT NULL DEFAULT 14 CHECK (expires_days > 0),
    created_by   INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (shop_id, id)
) WITHOUT ROWID;

-- One customer's link to a survey. ticket_id is the ticket a CSAT invite
-- rates; one invite per survey, customer and ticket (0 for none), so a
-- sending job can run again without inviting twice.
CREATE TABLE survey_invites (
    shop_id     INTEGER NOT NULL,
    id          INTEGER NOT NULL,
    survey_id   INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    ticket_id   INTEGER NOT NULL DEFAULT 0,
    agent_id    INTEGER,          -- the ticket's assignee when invited
    channel     TEXT    NOT NULL,
    address     TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'skipped', 'answered')),
    reason      TEXT    NOT NULL DEFAULT '', -- why skipped or failed
    created_at  INTEGER NOT NULL,
    sent_at     INTEGER,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (shop_id, id),
    UNIQUE (shop_id, survey_id, customer_id, ticket_id),
    FOREIGN KEY (shop_id, survey_id) REFERENCES surveys (shop_id, id) ON DELETE CASCADE,
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX survey_invites_queue ON survey_invites (shop_id, survey_id, id) WHERE status = 'queued';

-- A response: score is 1-5 for CSAT, 0-10 for NPS, NULL for a custom
-- questionnaire without a score question; answers holds every answer.
CREATE TABLE survey_responses (
    shop_id      INTEGER NOT NULL,
    id           INTEGER NOT NULL,
    survey_id    INTEGER NOT NULL,
    invite_id    INTEGER NOT NULL,
    customer_id  INTEGER NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('csat', 'nps', 'custom')),
    score        INTEGER,
    answers      TEXT    NOT NULL DEFAULT '{}', -- JSON
    comment      TEXT    NOT NULL DEFAULT '',
    ticket_id    INTEGER NOT NULL DEFAULT 0,
    agent_id     INTEGER,
    segment      TEXT    NOT NULL DEFAULT '', -- the customer's RFM segment when answering
    responded_at INTEGER NOT NULL,
    PRIMARY KEY (shop_id, id),
    UNIQUE (shop_id, invite_id),
    FOREIGN KEY (shop_id, survey_id) REFERENCES surveys (shop_id, id) ON DELETE CASCADE,
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX survey_responses_time ON survey_responses (shop_id, kind, responded_at);
CREATE INDEX survey_responses_customer ON survey_responses (shop_id, customer_id, responded_at);

-- +goose Down
DROP TABLE survey_responses;
DROP TABLE survey_invites;
DROP TABLE surveys;

-- +goose Up
-- Service desk, part two (issue 6 §1): how tickets are assigned, the skills
-- agents declare, canned replies (快捷回复), attachments, and the delivery
-- of a reply sent to the customer through a channel.

-- A shop's service settings: how a new ticket without an assignee is
-- given to someone (manual: nobody; round_robin; skill).
CREATE TABLE service_settings (
    shop_id     BIGINT  NOT NULL PRIMARY KEY REFERENCES shops (id) ON DELETE CASCADE,
    assign_mode TEXT    NOT NULL DEFAULT 'manual' CHECK (assign_mode IN ('manual', 'round_robin', 'skill')),
    updated_at  BIGINT  NOT NULL
);

-- The round robin's place, per shop and team (0: the shop's agents), so it
-- stays fair across restarts: the user who was given the last ticket.
CREATE TABLE assign_cursors (
    shop_id      BIGINT  NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    team_id      BIGINT  NOT NULL, -- 0 for the shop's agents; no foreign key, as on tickets
    last_user_id BIGINT  NOT NULL,
    PRIMARY KEY (shop_id, team_id)
);

-- The ticket kinds an agent handles (refund, complaint …), for assignment
-- by skill.
CREATE TABLE agent_skills (
    shop_id BIGINT  NOT NULL,
    user_id BIGINT  NOT NULL,
    skill   TEXT    NOT NULL,
    PRIMARY KEY (shop_id, user_id, skill),
    FOREIGN KEY (shop_id, user_id) REFERENCES shop_members (shop_id, user_id) ON DELETE CASCADE
);

-- Canned replies (快捷回复): a title, a body with placeholders ({{name}},
-- {{order}}, {{shop}}) and optionally the ticket kind they suit.
CREATE TABLE canned_replies (
    shop_id    BIGINT  NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id         BIGINT  NOT NULL,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    kind       TEXT    NOT NULL DEFAULT '', -- '' suits every kind
    created_by BIGINT,
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL,
    version    BIGINT  NOT NULL DEFAULT 1,
    PRIMARY KEY (shop_id, id)
);

-- A ticket's attachments, the bytes in the database so a backup holds
-- them; the type is what the content is (sniffed), never what the name says.
CREATE TABLE ticket_attachments (
    shop_id      BIGINT  NOT NULL,
    id           BIGINT  NOT NULL,
    ticket_id    BIGINT  NOT NULL,
    name         TEXT    NOT NULL, -- sanitised
    content_type TEXT    NOT NULL,
    size         BIGINT  NOT NULL,
    sha256       TEXT    NOT NULL, -- hex
    content      BYTEA   NOT NULL,
    created_by   BIGINT,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (shop_id, id),
    FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id) ON DELETE CASCADE
);
CREATE INDEX ticket_attachments_ticket ON ticket_attachments (shop_id, ticket_id, id);

-- A reply sent to the customer: the channel and what became of it
-- (sent with the provider's id, or failed with why).
ALTER TABLE ticket_events ADD COLUMN channel TEXT NOT NULL DEFAULT '';
ALTER TABLE ticket_events ADD COLUMN delivery TEXT NOT NULL DEFAULT ''; -- '', sent, failed
ALTER TABLE ticket_events ADD COLUMN delivery_detail TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE ticket_events DROP COLUMN delivery_detail;
ALTER TABLE ticket_events DROP COLUMN delivery;
ALTER TABLE ticket_events DROP COLUMN channel;
DROP TABLE ticket_attachments;
DROP TABLE canned_replies;
DROP TABLE agent_skills;
DROP TABLE assign_cursors;
DROP TABLE service_settings;

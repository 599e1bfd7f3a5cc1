-- +goose Up
-- Service desk, part three (issue 6 §1): a customer's own messages and the
-- files attached to a ticket become kinds of ticket event (they were
-- internal notes), and each message received from outside is keyed by its
-- source and message id, so a resend never opens a second ticket.

-- SQLite cannot change a CHECK: ticket_events is rebuilt with the new
-- kinds. No other table references it and it has no index beyond its key,
-- so create, copy, drop and rename is the whole of it (goose runs this in a
-- transaction, where PRAGMA foreign_keys could not be changed anyway; the
-- rename keeps the foreign key to tickets).
CREATE TABLE ticket_events_rebuild (
    shop_id         INTEGER NOT NULL,
    ticket_id       INTEGER NOT NULL,
    id              INTEGER NOT NULL, -- per shop, increasing
    kind            TEXT    NOT NULL CHECK (kind IN ('created', 'status', 'priority', 'assign', 'note', 'reply', 'escalation', 'message', 'attachment')),
    from_value      TEXT    NOT NULL DEFAULT '',
    to_value        TEXT    NOT NULL DEFAULT '',
    body            TEXT    NOT NULL DEFAULT '', -- a note's, reply's or message's text, a reopen's reason, a step's detail, a file's name
    actor_id        INTEGER,                     -- user id, when a user acted
    actor           TEXT    NOT NULL,            -- user:wang, token:3, cli, system, wechat:openid
    at              INTEGER NOT NULL,
    channel         TEXT    NOT NULL DEFAULT '', -- a reply's channel; a message's source (email, wechat …)
    delivery        TEXT    NOT NULL DEFAULT '', -- '', sent, failed
    delivery_detail TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (shop_id, ticket_id, id),
    FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO ticket_events_rebuild (shop_id, ticket_id, id, kind, from_value, to_value, body, actor_id, actor, at, channel, delivery, delivery_detail)
SELECT shop_id, ticket_id, id, kind, from_value, to_value, body, actor_id, actor, at, channel, delivery, delivery_detail FROM ticket_events;
DROP TABLE ticket_events;
ALTER TABLE ticket_events_rebuild RENAME TO ticket_events;

-- A message received from outside (inbound e-mail, a chat tool's webhook),
-- keyed by where it came from and its id there (an e-mail's Message-ID, or
-- a hash of the raw message without one), written in the same transaction
-- as the ticket or event it became. Also how an e-mail's In-Reply-To finds
-- its thread.
CREATE TABLE inbound_messages (
    shop_id     INTEGER NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    source      TEXT    NOT NULL, -- email, wechat, a tool's name
    message_id  TEXT    NOT NULL,
    ticket_id   INTEGER NOT NULL,
    event_id    INTEGER NOT NULL, -- the message event on the ticket
    received_at INTEGER NOT NULL,
    PRIMARY KEY (shop_id, source, message_id),
    FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
-- A chat tool's next message continues the sender's newest open ticket
-- from the same source.
CREATE INDEX inbound_messages_ticket ON inbound_messages (shop_id, ticket_id);

-- Messages received before this migration were notes whose first line was
-- "[source message-id]", written by the sender ("source:who", no user):
-- they become messages, and their keys rows, so a resend of one is still
-- known and a chat continues its ticket.
INSERT INTO inbound_messages (shop_id, source, message_id, ticket_id, event_id, received_at)
SELECT shop_id, src, mid, ticket_id, id, at FROM (
    SELECT shop_id, ticket_id, id, at, actor,
        substr(body, 2, instr(body, ' ') - 2) AS src,
        substr(body, instr(body, ' ') + 1, instr(body, ']') - instr(body, ' ') - 1) AS mid
    FROM ticket_events
    WHERE kind = 'note' AND actor_id IS NULL AND substr(body, 1, 1) = '['
      AND instr(body, ' ') > 2 AND instr(body, ']') > instr(body, ' ') + 1
      AND substr(body, instr(body, ']') + 1, 1) IN ('', char(10))
) AS marked
WHERE substr(actor, 1, length(src) + 1) = src || ':'
ON CONFLICT (shop_id, source, message_id) DO NOTHING;
UPDATE ticket_events SET kind = 'message',
    channel = (SELECT m.source FROM inbound_messages m WHERE m.shop_id = ticket_events.shop_id AND m.event_id = ticket_events.id),
    body = substr(body, instr(body, ']') + 2)
WHERE EXISTS (SELECT 1 FROM inbound_messages m
    WHERE m.shop_id = ticket_events.shop_id AND m.ticket_id = ticket_events.ticket_id AND m.event_id = ticket_events.id);

-- +goose Down
DROP TABLE inbound_messages;
-- Messages go back to being notes; attachments stay in ticket_attachments.
UPDATE ticket_events SET kind = 'note' WHERE kind = 'message';
DELETE FROM ticket_events WHERE kind = 'attachment';
CREATE TABLE ticket_events_rebuild (
    shop_id         INTEGER NOT NULL,
    ticket_id       INTEGER NOT NULL,
    id              INTEGER NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('created', 'status', 'priority', 'assign', 'note', 'reply', 'escalation')),
    from_value      TEXT    NOT NULL DEFAULT '',
    to_value        TEXT    NOT NULL DEFAULT '',
    body            TEXT    NOT NULL DEFAULT '',
    actor_id        INTEGER,
    actor           TEXT    NOT NULL,
    at              INTEGER NOT NULL,
    channel         TEXT    NOT NULL DEFAULT '',
    delivery        TEXT    NOT NULL DEFAULT '',
    delivery_detail TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (shop_id, ticket_id, id),
    FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO ticket_events_rebuild (shop_id, ticket_id, id, kind, from_value, to_value, body, actor_id, actor, at, channel, delivery, delivery_detail)
SELECT shop_id, ticket_id, id, kind, from_value, to_value, body, actor_id, actor, at, channel, delivery, delivery_detail FROM ticket_events;
DROP TABLE ticket_events;
ALTER TABLE ticket_events_rebuild RENAME TO ticket_events;

-- +goose Up
-- Service desk, part three (issue 6 §1): a customer's own messages and the
-- files attached to a ticket become kinds of ticket event (they were
-- internal notes), and each message received from outside is keyed by its
-- source and message id, so a resend never opens a second ticket.

-- The inline CHECK of 00015 is named <table>_<column>_check. (SQLite
-- rebuilds the table instead.)
ALTER TABLE ticket_events DROP CONSTRAINT ticket_events_kind_check;
ALTER TABLE ticket_events ADD CONSTRAINT ticket_events_kind_check
    CHECK (kind IN ('created', 'status', 'priority', 'assign', 'note', 'reply', 'escalation', 'message', 'attachment'));

-- A message received from outside (inbound e-mail, a chat tool's webhook),
-- keyed by where it came from and its id there (an e-mail's Message-ID, or
-- a hash of the raw message without one), written in the same transaction
-- as the ticket or event it became. Also how an e-mail's In-Reply-To finds
-- its thread.
CREATE TABLE inbound_messages (
    shop_id     BIGINT  NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    source      TEXT    NOT NULL, -- email, wechat, a tool's name
    message_id  TEXT    NOT NULL,
    ticket_id   BIGINT  NOT NULL,
    event_id    BIGINT  NOT NULL, -- the message event on the ticket
    received_at BIGINT  NOT NULL,
    PRIMARY KEY (shop_id, source, message_id),
    FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id) ON DELETE CASCADE
);
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
        substr(body, 2, strpos(body, ' ') - 2) AS src,
        substr(body, strpos(body, ' ') + 1, strpos(body, ']') - strpos(body, ' ') - 1) AS mid
    FROM ticket_events
    WHERE kind = 'note' AND actor_id IS NULL AND substr(body, 1, 1) = '['
      AND strpos(body, ' ') > 2 AND strpos(body, ']') > strpos(body, ' ') + 1
      AND substr(body, strpos(body, ']') + 1, 1) IN ('', chr(10))
) AS marked
WHERE substr(actor, 1, length(src) + 1) = src || ':'
ON CONFLICT (shop_id, source, message_id) DO NOTHING;
UPDATE ticket_events SET kind = 'message',
    channel = (SELECT m.source FROM inbound_messages m WHERE m.shop_id = ticket_events.shop_id AND m.event_id = ticket_events.id),
    body = substr(body, strpos(body, ']') + 2)
WHERE EXISTS (SELECT 1 FROM inbound_messages m
    WHERE m.shop_id = ticket_events.shop_id AND m.ticket_id = ticket_events.ticket_id AND m.event_id = ticket_events.id);

-- +goose Down
DROP TABLE inbound_messages;
-- Messages go back to being notes; attachments stay in ticket_attachments.
UPDATE ticket_events SET kind = 'note' WHERE kind = 'message';
DELETE FROM ticket_events WHERE kind = 'attachment';
ALTER TABLE ticket_events DROP CONSTRAINT ticket_events_kind_check;
ALTER TABLE ticket_events ADD CONSTRAINT ticket_events_kind_check
    CHECK (kind IN ('created', 'status', 'priority', 'assign', 'note', 'reply', 'escalation'));

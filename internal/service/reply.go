package service

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/channel"
	"github.com/guanxi-crm/guanxi/internal/seal"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// ChannelSettingsSource is what sending a reply needs of internal/campaign:
// a shop's settings of a channel. *campaign.Service is one.
type ChannelSettingsSource interface {
	ChannelSettings(ctx context.Context, shopID int64, ch string) (*campaign.ChannelSettings, error)
}

// SetChannels tells the desk where the shops' channel settings are, so
// SendReply can send through the campaigns' transport. Call it once while
// wiring, before the Service is used.
func (s *Service) SetChannels(c ChannelSettingsSource) { s.channels = c }

// ReplyChannels are the channels a reply can be sent through. WeChat is
// not one: the campaigns' WeChat sender sends template messages only, and
// an agent's free text needs the official account's customer service
// message API (客服消息), which it does not speak yet.
var ReplyChannels = []string{campaign.Email, campaign.SMS, campaign.Webhook}

// Delivery outcomes of a sent reply.
const (
	DeliverySent   = "sent"
	DeliveryFailed = "failed"
)

// ReplyDelivery is what became of a reply sent through a channel.
type ReplyDelivery struct {
	EventID int64  // the reply's event in the ticket's history
	Channel string // email, sms, webhook
	To      string // the address it went to
	Status  string // DeliverySent or DeliveryFailed
	Detail  string // the provider's message id, or why it failed
}

// sendTimeout bounds one reply's send: an agent is waiting for the page.
const sendTimeout = 30 * time.Second

// SendReply sends a reply to the ticket's customer through a channel of
// the shop (email through its SMTP settings, SMS through its gateway, or
// its webhook) and records it on the ticket's history with the
// delivery's outcome. A reply is a service message: it needs no marketing
// consent and ignores quiet hours and caps, but it is refused, before
// anything is sent or recorded, with EINVALID naming the field "channel"
// when the customer opted out of that channel (a refusal on record for it),
// has no usable address on it, or the shop has not set the channel up;
// ECONFLICT when the ticket is closed. An email's subject is
// "Re: <subject> [#<ticket id>]", so the customer's answer can be matched.
//
// When the provider refuses or cannot be reached, the reply is still
// recorded (delivery failed, with why) and SendReply returns the ReplyDelivery
// together with an error saying so. Only a sent reply stops the first
// response clock.
func (s *Service) SendReply(ctx context.Context, shopID, id int64, ch, body string) (*ReplyDelivery, error) {
	body = strings.TrimSpace(body)
	switch {
	case !slices.Contains(ReplyChannels, ch):
		return nil, invalid("channel", "%q: expected one of %s", ch, strings.Join(ReplyChannels, ", "))
	case body == "":
		return nil, invalid("body", "required")
	case utf8.RuneCountInString(body) > 20000:
		return nil, invalid("body", "longer than 20000 characters")
	case s.channels == nil:
		return nil, fmt.Errorf("service: send reply: no channel settings (SetChannels was not called)")
	}
	t, err := s.Get(ctx, shopID, id)
	if err != nil {
		return nil, err
	}
	if !t.Open() {
		return nil, guanxi.Errorf(guanxi.ECONFLICT, "ticket %d is %s: reopen it to reply", id, t.Status)
	}
	to, err := s.replyAddress(ctx, shopID, t.CustomerID, ch)
	if err != nil {
		return nil, err
	}
	st, err := s.channels.ChannelSettings(ctx, shopID, ch)
	if err != nil {
		return nil, err
	}
	if !st.Configured() {
		return nil, invalid("channel", "%s is not set up for this shop: set it up under channel settings first", ch)
	}
	// The event's id is taken first so the provider sees the same
	// idempotency key should the send be retried.
	var eventID int64
	if err := s.db.Update(ctx, func(tx *store.Tx) error {
		eventID, err = tx.NextIDs(ctx, shopID, "ticket_events", 1)
		return err
	}); err != nil {
		return nil, fmt.Errorf("service: reply to ticket %d: %w", id, err)
	}
	d := &ReplyDelivery{EventID: eventID, Channel: ch, To: to}
	if st.Email != nil {
		// One message: one SMTP connection, not the campaigns' pool.
		e := *st.Email
		e.Connections = 1
		cp := *st
		cp.Email, st = &e, &cp
	}
	snd, err := campaign.NewSender(st, s.clock)
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithTimeout(ctx, sendTimeout)
	res, sendErr := snd.Send(sctx, channel.Message{
		To:             to,
		Subject:        fmt.Sprintf("Re: %s [#%d]", t.Subject, t.ID),
		Text:           body,
		IdempotencyKey: fmt.Sprintf("gx-%d-ticket-%d-%d", shopID, t.ID, eventID),
	})
	cancel()
	campaign.CloseSender(snd)
	if sendErr != nil {
		d.Status, d.Detail = DeliveryFailed, trimDetail(sendErr.Error())
	} else {
		d.Status, d.Detail = DeliverySent, trimDetail(res.ID)
	}
	now := s.now()
	err = s.db.Update(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		q, args := `UPDATE tickets SET updated_at = ? WHERE shop_id = ? AND id = ?`, []any{now.Unix(), shopID, id}
		if d.Status == DeliverySent {
			q = `UPDATE tickets SET updated_at = ?, first_responded_at = COALESCE(first_responded_at, ?) WHERE shop_id = ? AND id = ?`
			args = []any{now.Unix(), now.Unix(), shopID, id}
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("service: reply on ticket %d: %w", id, err)
		}
		a := audit.ActorFrom(ctx)
		if _, err := tx.Exec(ctx, `INSERT INTO ticket_events (shop_id, ticket_id, id, kind, from_value, to_value, body, actor_id, actor, at, channel, delivery, delivery_detail)
VALUES (?, ?, ?, 'reply', '', '', ?, ?, ?, ?, ?, ?, ?)`, shopID, id, eventID, body, store.NullInt(a.UserID), a.Name, now.Unix(), ch, d.Status, d.Detail); err != nil {
			return fmt.Errorf("service: reply on ticket %d: %w", id, err)
		}
		return audit.Write(ctx, tx, shopID, "ticket.reply", "ticket", id, map[string]any{"channel": ch, "delivery": d.Status}, now)
	})
	if err != nil {
		return d, err
	}
	if sendErr != nil {
		return d, fmt.Errorf("service: reply to ticket %d not delivered by %s: %w", id, ch, sendErr)
	}
	return d, nil
}

// replyAddress is where a reply on ch reaches the customer, or EINVALID
// when the customer opted out of the channel or has no address on it.
func (s *Service) replyAddress(ctx context.Context, shopID, customerID int64, ch string) (string, error) {
	var phone, email, openid string
	err := s.db.QueryRow(ctx, `SELECT c.phone, c.email,
COALESCE((SELECT MIN(ci.value) FROM customer_identities ci WHERE ci.shop_id = c.shop_id AND ci.customer_id = c.id AND ci.kind = 'openid'), '')
FROM customers c WHERE c.shop_id = ? AND c.id = ?`, shopID, customerID).Scan(&phone, &email, &openid)
	if errors.Is(err, sql.ErrNoRows) {
		return "", guanxi.Errorf(guanxi.ENOTFOUND, "customer %d not found", customerID)
	}
	if err == nil {
		err = s.db.Keys().OpenAll(seal.Phone(&phone), seal.Email(&email))
	}
	if err != nil {
		return "", fmt.Errorf("service: address of customer %d: %w", customerID, err)
	}
	// A refusal on the channel, whatever its purpose, is the customer
	// saying not to be contacted there (回T退订 is not "marketing only"
	// in the customer's mind), so even a service reply respects it.
	var source string
	err = s.db.QueryRow(ctx, `SELECT source FROM customer_consents WHERE shop_id = ? AND customer_id = ? AND channel = ? AND NOT granted
ORDER BY at DESC LIMIT 1`, shopID, customerID, ch).Scan(&source)
	switch {
	case err == nil:
		return "", invalid("channel", "the customer opted out of %s (%s): reply by another channel", ch, cmpOr(source, "no source recorded"))
	case !errors.Is(err, sql.ErrNoRows):
		return "", fmt.Errorf("service: consent of customer %d: %w", customerID, err)
	}
	to := campaign.Address(ch, phone, email, openid, customerID)
	if to == "" {
		return "", invalid("channel", "the customer has no usable %s address: reply by another channel", ch)
	}
	return to, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// trimDetail bounds what the history keeps of a provider's answer.
func trimDetail(s string) string {
	if utf8.RuneCountInString(s) <= 500 {
		return s
	}
	return string([]rune(s)[:500]) + "…"
}

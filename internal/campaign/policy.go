package campaign

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Policy is a shop's contact policy, one for every channel and campaign.
type Policy struct {
	QuietStart  int // minutes after midnight, shop time, when quiet hours begin
	QuietEnd    int // … and end; start > end wraps midnight; start == end: none
	CapMessages int // marketing messages a customer may get…
	CapDays     int // … per this many days; 0 either: no cap
}

// DefaultPolicy: quiet from 21:00 to 08:00, at most 2 marketing messages
// per customer per 7 days.
func DefaultPolicy() Policy {
	return Policy{QuietStart: 21 * 60, QuietEnd: 8 * 60, CapMessages: 2, CapDays: 7}
}

// Quiet reports whether t falls in the quiet hours in loc, and when they
// end if so.
func (p Policy) Quiet(t time.Time, loc *time.Location) (bool, time.Time) {
	if p.QuietStart == p.QuietEnd {
		return false, time.Time{}
	}
	l := t.In(loc)
	m := l.Hour()*60 + l.Minute()
	midnight := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	end := func(dayOffset int) time.Time {
		return time.Date(midnight.Year(), midnight.Month(), midnight.Day()+dayOffset, p.QuietEnd/60, p.QuietEnd%60, 0, 0, loc)
	}
	if p.QuietStart < p.QuietEnd {
		if m >= p.QuietStart && m < p.QuietEnd {
			return true, end(0)
		}
		return false, time.Time{}
	}
	switch {
	case m >= p.QuietStart:
		return true, end(1)
	case m < p.QuietEnd:
		return true, end(0)
	}
	return false, time.Time{}
}

// NextQuiet returns when the next quiet hours start after t (t itself not
// quiet).
func (p Policy) NextQuiet(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	s := time.Date(l.Year(), l.Month(), l.Day(), p.QuietStart/60, p.QuietStart%60, 0, 0, loc)
	if !s.After(t) {
		s = s.AddDate(0, 0, 1)
	}
	return s
}

func (p Policy) validate() error {
	switch {
	case p.QuietStart < 0 || p.QuietStart >= 24*60 || p.QuietEnd < 0 || p.QuietEnd >= 24*60:
		return invalid("quiet_hours", "times must be between 00:00 and 23:59")
	case p.CapMessages < 0 || p.CapDays < 0 || p.CapDays > 365:
		return invalid("frequency_cap", "messages and days must be 0 or more (days at most 365)")
	}
	return nil
}

// Policy returns the shop's contact policy.
func (s *Service) Policy(ctx context.Context, shopID int64) (Policy, error) {
	return policyOf(ctx, s.db, shopID)
}

func policyOf(ctx context.Context, q querier, shopID int64) (Policy, error) {
	p := DefaultPolicy()
	err := q.QueryRow(ctx, `SELECT quiet_start, quiet_end, cap_messages, cap_days FROM contact_policies WHERE shop_id = ?`, shopID).
		Scan(&p.QuietStart, &p.QuietEnd, &p.CapMessages, &p.CapDays)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("campaign: contact policy of shop %d: %w", shopID, err)
	}
	return p, nil
}

// SetPolicy saves the shop's contact policy.
func (s *Service) SetPolicy(ctx context.Context, shopID int64, p Policy) error {
	if err := p.validate(); err != nil {
		return err
	}
	now := s.clock.Now()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO contact_policies (shop_id, quiet_start, quiet_end, cap_messages, cap_days, updated_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (shop_id) DO UPDATE SET quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end,
cap_messages = excluded.cap_messages, cap_days = excluded.cap_days, updated_at = excluded.updated_at`,
			shopID, p.QuietStart, p.QuietEnd, p.CapMessages, p.CapDays, now.Unix())
		if err != nil {
			return fmt.Errorf("campaign: save contact policy of shop %d: %w", shopID, err)
		}
		return audit.Write(ctx, tx, shopID, "contact_policy.update", "shop", shopID, p, now)
	})
}

// Hold keeps promotions from a customer (an open complaint, an agent's
// decision) until Release; service messages still go.
func (s *Service) Hold(ctx context.Context, shopID, customerID int64, reason string) error {
	if reason == "" {
		return invalid("reason", "required")
	}
	now := s.clock.Now()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO contact_holds (shop_id, customer_id, reason, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT (shop_id, customer_id, reason) DO NOTHING`, shopID, customerID, reason, now.Unix()); err != nil {
			return fmt.Errorf("campaign: hold customer %d: %w", customerID, store.MapError(err))
		}
		return audit.Write(ctx, tx, shopID, "contact.hold", "customer", customerID, map[string]any{"reason": reason}, now)
	})
}

// Release lifts a hold.
func (s *Service) Release(ctx context.Context, shopID, customerID int64, reason string) error {
	now := s.clock.Now()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM contact_holds WHERE shop_id = ? AND customer_id = ? AND reason = ?`, shopID, customerID, reason); err != nil {
			return fmt.Errorf("campaign: release customer %d: %w", customerID, err)
		}
		return audit.Write(ctx, tx, shopID, "contact.release", "customer", customerID, map[string]any{"reason": reason}, now)
	})
}

// setConsent records a customer's consent for a channel's marketing, in tx.
func setConsent(ctx context.Context, tx *store.Tx, shopID, customerID int64, ch string, granted bool, source string, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO customer_consents (shop_id, customer_id, channel, purpose, granted, source, at) VALUES (?, ?, ?, 'marketing', ?, ?, ?)
ON CONFLICT (shop_id, customer_id, channel, purpose) DO UPDATE SET granted = excluded.granted, source = excluded.source, at = excluded.at`,
		shopID, customerID, ch, granted, source, now.Unix())
	if err != nil {
		return fmt.Errorf("campaign: consent of customer %d for %s: %w", customerID, ch, err)
	}
	return nil
}

// Unsubscribe links. A token names the shop, the campaign, the customer and
// the channel, signed with the shop's key, so that a link cannot be turned
// into another customer's. It carries no personal data.

// Unsub is what an unsubscribe token says.
type Unsub struct {
	ShopID, CampaignID, CustomerID int64
	Channel                        string
}

func channelByte(ch string) byte {
	for i, c := range Channels {
		if c == ch {
			return byte(i)
		}
	}
	return 255
}

// key returns the shop's signing key, making it on first use.
func (s *Service) key(ctx context.Context, shopID int64) ([]byte, error) {
	var secret string
	err := s.db.QueryRow(ctx, `SELECT secret FROM contact_keys WHERE shop_id = ?`, shopID).Scan(&secret)
	if errors.Is(err, sql.ErrNoRows) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		if _, err := s.db.Exec(ctx, `INSERT INTO contact_keys (shop_id, secret, created_at) VALUES (?, ?, ?) ON CONFLICT (shop_id) DO NOTHING`,
			shopID, hex.EncodeToString(b), s.clock.Now().Unix()); err != nil {
			return nil, fmt.Errorf("campaign: unsubscribe key of shop %d: %w", shopID, err)
		}
		err = s.db.QueryRow(ctx, `SELECT secret FROM contact_keys WHERE shop_id = ?`, shopID).Scan(&secret)
	}
	if err != nil {
		return nil, fmt.Errorf("campaign: unsubscribe key of shop %d: %w", shopID, err)
	}
	return hex.DecodeString(secret)
}

// UnsubscribeToken returns the token of an unsubscribe link.
func (s *Service) UnsubscribeToken(ctx context.Context, u Unsub) (string, error) {
	k, err := s.key(ctx, u.ShopID)
	if err != nil {
		return "", err
	}
	return signUnsub(k, u), nil
}

func signUnsub(key []byte, u Unsub) string {
	b := make([]byte, 0, 25+tokenMACLen)
	b = binary.BigEndian.AppendUint64(b, uint64(u.ShopID))
	b = binary.BigEndian.AppendUint64(b, uint64(u.CampaignID))
	b = binary.BigEndian.AppendUint64(b, uint64(u.CustomerID))
	b = append(b, channelByte(u.Channel))
	return SignToken(key, b)
}

// ParseUnsubscribe checks a token and returns what it says; a forged or
// damaged token is EINVALID.
func (s *Service) ParseUnsubscribe(ctx context.Context, token string) (Unsub, error) {
	bad := guanxi.Errorf(guanxi.EINVALID, "this unsubscribe link is not valid")
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != 25+tokenMACLen || int(b[24]) >= len(Channels) {
		return Unsub{}, bad
	}
	u := Unsub{
		ShopID:     int64(binary.BigEndian.Uint64(b[0:])),
		CampaignID: int64(binary.BigEndian.Uint64(b[8:])),
		CustomerID: int64(binary.BigEndian.Uint64(b[16:])),
		Channel:    Channels[b[24]],
	}
	k := s.storedKey(ctx, u.ShopID)
	if k == nil {
		return Unsub{}, bad
	}
	if !hmac.Equal([]byte(signUnsub(k, u)), []byte(token)) {
		return Unsub{}, bad
	}
	return u, nil
}

// Unsubscribe withdraws the customer's marketing consent for the channel
// at once, recorded with the campaign it came from; queued messages to the
// customer are skipped from then on (dispatch checks consent before each
// batch). Doing it twice changes nothing more.
func (s *Service) Unsubscribe(ctx context.Context, u Unsub, how string) error {
	now := s.clock.Now()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		source := fmt.Sprintf("unsubscribe:campaign:%d", u.CampaignID)
		if how != "" {
			source += ":" + how
		}
		if err := setConsent(ctx, tx, u.ShopID, u.CustomerID, u.Channel, false, source, now); err != nil {
			return err
		}
		return AddTimeline(ctx, tx, u.ShopID, u.CustomerID, "consent", "退订 "+u.Channel, map[string]any{"campaign_id": u.CampaignID, "channel": u.Channel, "how": how}, now)
	})
}

// OptOut withdraws the marketing consent of the customer with the address
// on the channel: an SMS reply "T" (回T退订) from a mobile, a complaint
// from a mailbox. It returns how many customers it changed.
func (s *Service) OptOut(ctx context.Context, shopID int64, ch, address, source string) (int, error) {
	now := s.clock.Now()
	kind := "email"
	if ch == SMS {
		kind, address = "phone", guanxi.NormalizePhone(address)
	} else {
		address = guanxi.NormalizeEmail(address)
	}
	if address == "" || (ch != SMS && ch != Email) {
		return 0, invalid("address", "a mobile number (sms) or an email address (email) is required")
	}
	n := 0
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		// Phones and e-mails are sealed on the customer: whose they are is
		// found through the identities' keyed hashes.
		rows, err := tx.Query(ctx, `SELECT DISTINCT c.id FROM customer_identities i
JOIN customers c ON c.shop_id = i.shop_id AND c.id = i.customer_id
WHERE i.shop_id = ? AND i.platform = '' AND i.kind = ? AND i.value = ? AND c.merged_into IS NULL`, shopID, kind, tx.Keys().Hash(shopID, kind, address))
		if err != nil {
			return fmt.Errorf("campaign: opt-out: %w", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			if err := setConsent(ctx, tx, shopID, id, ch, false, source, now); err != nil {
				return err
			}
			if err := AddTimeline(ctx, tx, shopID, id, "consent", "退订 "+ch, map[string]any{"channel": ch, "source": source}, now); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// AddTimeline puts an event of kind on the customer's timeline, with no
// actor (the system did it): consent changes here, care actions and survey
// responses elsewhere. (The customer package, which reads the timeline,
// would be its natural home, but it must not import the campaign side.)
func AddTimeline(ctx context.Context, tx *store.Tx, shopID, customerID int64, kind, title string, data any, now time.Time) error {
	id, err := tx.NextIDs(ctx, shopID, "timeline_events", 1)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO timeline_events (shop_id, id, customer_id, kind, occurred_at, title, data) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		shopID, id, customerID, kind, now.Unix(), title, jsonString(data))
	if err != nil {
		return fmt.Errorf("timeline of customer %d: %w", customerID, err)
	}
	return nil
}

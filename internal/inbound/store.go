package inbound

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/seal"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// ident is one identity of a sender, as customer_identities keys it.
type ident struct{ platform, kind, value string }

// identsOf lists the sender's usable identities in the shop, most specific
// first: the platform id, then the normalised phone and e-mail as the keyed
// hashes they are stored as (the importer's keys).
func identsOf(c Contact, k *seal.Keys, shopID int64) []ident {
	var out []ident
	if c.PlatformID != "" {
		kind := "customer_id"
		if c.Platform == "wechat" {
			kind = "openid"
		}
		out = append(out, ident{c.Platform, kind, c.PlatformID})
	}
	if p := guanxi.NormalizePhone(c.Phone); p != "" {
		out = append(out, ident{"", "phone", k.Hash(shopID, "phone", p)})
	}
	if e := guanxi.NormalizeEmail(c.Email); e != "" {
		out = append(out, ident{"", "email", k.Hash(shopID, "email", e)})
	}
	return out
}

// customer returns the customer the sender is, adding a minimal one (name,
// phone, e-mail and identities) for a stranger; new reports that.
func (s *Service) customer(ctx context.Context, shopID int64, c Contact) (id int64, created bool, err error) {
	return s.customerOnce(ctx, shopID, c, false)
}

func (s *Service) customerOnce(ctx context.Context, shopID int64, c Contact, retried bool) (id int64, created bool, err error) {
	ids := identsOf(c, s.db.Keys(), shopID)
	for _, in := range ids {
		q, args := `SELECT customer_id FROM customer_identities WHERE shop_id = ? AND platform = ? AND kind = ? AND value = ?`,
			[]any{shopID, in.platform, in.kind, in.value}
		if in.platform != "" {
			// Any kind of id on the platform (openid, unionid, buyer nick).
			q, args = `SELECT customer_id FROM customer_identities WHERE shop_id = ? AND platform = ? AND value = ? ORDER BY customer_id`,
				[]any{shopID, in.platform, in.value}
		}
		if id, err = s.one(ctx, q, args...); err != nil || id != 0 {
			break
		}
	}
	// Every whole phone and e-mail a customer has is among the identities
	// (the customer's own columns are sealed and cannot be searched).
	if err != nil {
		return 0, false, err
	}
	if id != 0 {
		if id, err = s.live(ctx, shopID, id); err != nil {
			return 0, false, err
		}
		return id, false, s.learn(ctx, shopID, id, ids)
	}
	id, err = s.create(ctx, shopID, c, ids)
	if guanxi.ErrorCode(err) == guanxi.ECONFLICT && !retried {
		// Another process added the same stranger meanwhile (its message
		// came twice at once): that customer is the one.
		return s.customerOnce(ctx, shopID, c, true)
	}
	return id, err == nil, err
}

// one reads one id, 0 when there is none.
func (s *Service) one(ctx context.Context, q string, args ...any) (int64, error) {
	var id int64
	err := s.db.QueryRow(ctx, q+` LIMIT 1`, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("inbound: find customer: %w", err)
	}
	return id, nil
}

// live follows merges to the customer that survived.
func (s *Service) live(ctx context.Context, shopID, id int64) (int64, error) {
	for range 10 {
		var into sql.NullInt64
		if err := s.db.QueryRow(ctx, `SELECT merged_into FROM customers WHERE shop_id = ? AND id = ?`, shopID, id).Scan(&into); err != nil {
			return 0, fmt.Errorf("inbound: customer %d: %w", id, err)
		}
		if !into.Valid {
			return id, nil
		}
		id = into.Int64
	}
	return 0, fmt.Errorf("inbound: customer %d: merged more than 10 times over", id)
}

// learn adds the identities the customer lacks, so the next message from
// the same platform id matches at once.
func (s *Service) learn(ctx context.Context, shopID, id int64, ids []ident) error {
	now := s.clock.Now().Unix()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		for _, in := range ids {
			if _, err := tx.Exec(ctx, `INSERT INTO customer_identities (shop_id, platform, kind, value, customer_id, created_at)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (shop_id, platform, kind, value) DO NOTHING`, shopID, in.platform, in.kind, in.value, id, now); err != nil {
				return fmt.Errorf("inbound: identities of customer %d: %w", id, err)
			}
		}
		return nil
	})
}

// create adds a minimal customer, the way an import adds a new buyer: the
// row, its identities and empty statistics, audited.
func (s *Service) create(ctx context.Context, shopID int64, c Contact, ids []ident) (int64, error) {
	now := s.clock.Now()
	var id int64
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if id, err = tx.NextIDs(ctx, shopID, "customers", 1); err != nil {
			return fmt.Errorf("inbound: new customer: %w", err)
		}
		name := c.Name
		if utf8.RuneCountInString(name) > 100 {
			name = string([]rune(name)[:100])
		}
		if _, err := tx.Exec(ctx, `INSERT INTO customers (shop_id, id, name, phone, email, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			shopID, id, name, tx.Keys().Seal("phone", guanxi.NormalizePhone(c.Phone)), tx.Keys().Seal("email", guanxi.NormalizeEmail(c.Email)), now.Unix(), now.Unix()); err != nil {
			return fmt.Errorf("inbound: new customer: %w", err)
		}
		for _, in := range ids {
			if _, err := tx.Exec(ctx, `INSERT INTO customer_identities (shop_id, platform, kind, value, customer_id, created_at)
VALUES (?, ?, ?, ?, ?, ?)`, shopID, in.platform, in.kind, in.value, id, now.Unix()); err != nil {
				return fmt.Errorf("inbound: new customer's identities: %w", store.MapError(err))
			}
		}
		if err := customer.InsertStats(ctx, tx, shopID, []customer.Stats{{CustomerID: id}}, now.Unix()); err != nil {
			return err
		}
		return audit.Write(ctx, tx, shopID, "customer.create", "customer", id, map[string]any{"source": audit.ActorFrom(ctx).Name}, now)
	})
	return id, err
}

// seen answers a message already recorded (same shop, source and message
// id): its ticket and customer, with Duplicate set.
func (s *Service) seen(ctx context.Context, shopID int64, m *Message) (Result, bool, error) {
	var res Result
	err := s.db.QueryRow(ctx, `SELECT m.ticket_id, t.customer_id FROM inbound_messages m
JOIN tickets t ON t.shop_id = m.shop_id AND t.id = m.ticket_id
WHERE m.shop_id = ? AND m.source = ? AND m.message_id = ?`, shopID, m.Source, m.MessageID).Scan(&res.TicketID, &res.CustomerID)
	if errors.Is(err, sql.ErrNoRows) {
		return Result{}, false, nil
	}
	if err != nil {
		return Result{}, false, fmt.Errorf("inbound: message %s %q seen before? %w", m.Source, m.MessageID, err)
	}
	res.Duplicate = true
	return res, true, nil
}

// received returns the customer's open ticket that recorded the message
// with that id from source, or (id "") the newest open one with any
// message from source; 0 for none.
func (s *Service) received(ctx context.Context, shopID, customerID int64, source, messageID string) (int64, error) {
	q := `SELECT m.ticket_id FROM inbound_messages m JOIN tickets t ON t.shop_id = m.shop_id AND t.id = m.ticket_id
WHERE m.shop_id = ? AND m.source = ? AND t.customer_id = ? AND t.closed_at IS NULL`
	args := []any{shopID, source, customerID}
	if messageID != "" {
		q += ` AND m.message_id = ?`
		args = append(args, messageID)
	}
	var id int64
	err := s.db.QueryRow(ctx, q+` ORDER BY m.ticket_id DESC LIMIT 1`, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("inbound: find ticket of customer %d: %w", customerID, err)
	}
	return id, nil
}

// order returns the id of the customer's order with the external id: 0 for
// none (a wrong number in a chat is not a reason to lose the message).
func (s *Service) order(ctx context.Context, tx *store.Tx, shopID, customerID int64, external string) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM orders WHERE shop_id = ? AND external_id = ? AND customer_id = ? ORDER BY id DESC LIMIT 1`,
		shopID, external, customerID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("inbound: order %q: %w", external, err)
	}
	return id, nil
}

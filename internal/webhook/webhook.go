// Package webhook owns inbound webhooks: each shop's signing secret and the
// deliveries received within the replay window (webhook_secrets,
// webhook_deliveries). A sender signs a delivery with
//
//	X-Guanxi-Timestamp: unix seconds
//	X-Guanxi-Delivery:  a unique id
//	X-Guanxi-Signature: "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body))
//
// and a delivery is accepted only with a good signature, a timestamp within
// Window of the server's clock, and a delivery id not seen before. The
// Service is safe for concurrent use.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Window is how far a delivery's timestamp may be from the server's clock,
// either way. A delivery id is remembered at least this long after its
// timestamp, so a replay within the window is refused.
const Window = 5 * time.Minute

// secretPrefix marks Guanxi webhook secrets, for secret scanners.
const secretPrefix = "whsec_"

// Service keeps webhook secrets and checks deliveries.
type Service struct {
	db    *store.DB
	clock guanxi.Clock
}

// NewService returns a Service on db; clock decides the replay window.
func NewService(db *store.DB, clock guanxi.Clock) *Service { return &Service{db: db, clock: clock} }

// Sign returns the X-Guanxi-Signature value of a delivery: what a sender
// computes, and what Verify compares against.
func Sign(secret string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Rotate makes a new signing secret for the shop, replacing any old one at
// once, and returns it: the only time it is shown.
func (s *Service) Rotate(ctx context.Context, shopID int64) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webhook: new secret: %w", err)
	}
	secret := secretPrefix + hex.EncodeToString(b)
	_, err := s.db.Exec(ctx, `INSERT INTO webhook_secrets (shop_id, secret, created_at) VALUES (?, ?, ?)
ON CONFLICT (shop_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at`, shopID, secret, s.clock.Now().Unix())
	if err != nil {
		return "", fmt.Errorf("webhook: rotate secret of shop %d: %w", shopID, err)
	}
	return secret, nil
}

// Delivery is a delivery whose signature checked out.
type Delivery struct {
	ShopID   int64
	ID       string
	SignedAt int64 // its timestamp, unix seconds
}

// errRefused is the answer to every delivery that fails a check, with the
// reason; none of them says whether the shop exists or has a secret.
func errRefused(format string, args ...any) error {
	return guanxi.Errorf(guanxi.EUNAUTH, "webhook delivery refused: "+format, args...)
}

// Verify checks a delivery's headers and body: a well-formed delivery id, a
// timestamp within Window of now, a signature made with the shop's secret
// (compared in constant time), and a delivery id not already received. It
// returns an EUNAUTH error saying which check failed. The delivery is not
// recorded here: Record does that in the transaction that acts on it.
func (s *Service) Verify(ctx context.Context, shopID int64, timestamp, deliveryID, signature string, body []byte) (Delivery, error) {
	d := Delivery{ShopID: shopID, ID: deliveryID}
	if deliveryID == "" || len(deliveryID) > 200 || strings.ContainsFunc(deliveryID, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return d, errRefused("X-Guanxi-Delivery must be a unique id of 1-200 printable ASCII characters")
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return d, errRefused("X-Guanxi-Timestamp must be unix seconds")
	}
	now := s.clock.Now()
	if skew := now.Unix() - ts; skew > int64(Window/time.Second) || skew < -int64(Window/time.Second) {
		return d, errRefused("X-Guanxi-Timestamp %d is more than %s from the server's time %d", ts, Window, now.Unix())
	}
	d.SignedAt = ts
	sig, ok := strings.CutPrefix(signature, "sha256=")
	got, herr := hex.DecodeString(sig)
	if !ok || herr != nil || len(got) != sha256.Size {
		return d, errRefused(`X-Guanxi-Signature must be "sha256=" and 64 hex digits`)
	}
	var secret string
	err = s.db.QueryRow(ctx, `SELECT secret FROM webhook_secrets WHERE shop_id = ?`, shopID).Scan(&secret)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("webhook: secret of shop %d: %w", shopID, err)
	}
	if secret == "" {
		// Compare anyway, so that a shop without a secret answers like one
		// with a wrong signature, in about the same time.
		secret = "\x00no secret"
	}
	want, _ := hex.DecodeString(strings.TrimPrefix(Sign(secret, ts, body), "sha256="))
	if !hmac.Equal(got, want) || secret == "\x00no secret" {
		return d, errRefused("bad signature")
	}
	var one int
	err = s.db.QueryRow(ctx, `SELECT 1 FROM webhook_deliveries WHERE shop_id = ? AND delivery_id = ?`, shopID, deliveryID).Scan(&one)
	if err == nil {
		return d, errRefused("delivery %s was already received", deliveryID)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("webhook: deliveries of shop %d: %w", shopID, err)
	}
	return d, nil
}

// Record notes the delivery in tx, so that it is refused if it comes again,
// and forgets deliveries signed before the replay window (they would be
// refused for their timestamp anyway). A delivery already recorded, by a
// concurrent request too, is an EUNAUTH error.
func (s *Service) Record(ctx context.Context, tx *store.Tx, d Delivery, orders int) error {
	now := s.clock.Now().Unix()
	if _, err := tx.Exec(ctx, `DELETE FROM webhook_deliveries WHERE shop_id = ? AND signed_at < ?`,
		d.ShopID, now-2*int64(Window/time.Second)); err != nil {
		return fmt.Errorf("webhook: prune deliveries of shop %d: %w", d.ShopID, err)
	}
	res, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (shop_id, delivery_id, signed_at, received_at, orders) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (shop_id, delivery_id) DO NOTHING`, d.ShopID, d.ID, d.SignedAt, now, orders)
	if err != nil {
		return fmt.Errorf("webhook: record delivery %s of shop %d: %w", d.ID, d.ShopID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("webhook: record delivery %s of shop %d: %w", d.ID, d.ShopID, err)
	} else if n == 0 {
		return errRefused("delivery %s was already received", d.ID)
	}
	return nil
}

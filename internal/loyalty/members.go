package loyalty

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/guanxi-crm/guanxi"
)

// CustomerTier returns the customer's current tier and since when, or ""
// and the zero time for a customer in no tier.
func (s *Service) CustomerTier(ctx context.Context, shopID, customerID int64) (string, time.Time, error) {
	var tier string
	var since int64
	err := s.db.QueryRow(ctx, `SELECT tier, since FROM member_tiers WHERE shop_id = ? AND customer_id = ?`, shopID, customerID).Scan(&tier, &since)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, nil
	}
	if err != nil {
		return "", time.Time{}, wrap(err, "tier of customer %d", customerID)
	}
	return tier, time.Unix(since, 0), nil
}

// TierCount is the number of live customers in one tier.
type TierCount struct {
	Tier      string
	Customers int64
}

// TierCounts returns how many live customers each tier of the shop's rules
// holds, lowest tier first, then any tier the rules no longer name (until
// EvaluateTiers moves its customers).
func (s *Service) TierCounts(ctx context.Context, shopID int64) ([]TierCount, error) {
	st, err := loadSettings(ctx, s.db, shopID)
	if err != nil {
		return nil, wrap(err, "tier counts of shop %d", shopID)
	}
	rows, err := s.db.Query(ctx, `SELECT m.tier, COUNT(*) FROM member_tiers m
JOIN customers c ON c.shop_id = m.shop_id AND c.id = m.customer_id AND c.merged_into IS NULL
WHERE m.shop_id = ? GROUP BY m.tier ORDER BY m.tier`, shopID)
	if err != nil {
		return nil, wrap(err, "tier counts of shop %d", shopID)
	}
	defer rows.Close()
	counts := map[string]int64{}
	var order []string
	for rows.Next() {
		var tc TierCount
		if err := rows.Scan(&tc.Tier, &tc.Customers); err != nil {
			return nil, wrap(err, "tier counts of shop %d", shopID)
		}
		counts[tc.Tier] = tc.Customers
		order = append(order, tc.Tier)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "tier counts of shop %d", shopID)
	}
	out := make([]TierCount, 0, len(st.Tiers)+len(order))
	named := map[string]bool{}
	for _, t := range st.Tiers {
		named[t.Name] = true
		out = append(out, TierCount{Tier: t.Name, Customers: counts[t.Name]})
	}
	for _, name := range order {
		if !named[name] {
			out = append(out, TierCount{Tier: name, Customers: counts[name]})
		}
	}
	return out, nil
}

// EntryByKey returns the entry written with the idempotency key, or
// ENOTFOUND: what a repeated redemption was answered with the first time.
func (s *Service) EntryByKey(ctx context.Context, shopID int64, key string) (Entry, error) {
	rows, err := s.db.Query(ctx, `SELECT `+entryColumns+` FROM points_ledger WHERE shop_id = ? AND idempotency_key = ?`, shopID, key)
	if err != nil {
		return Entry{}, wrap(err, "entry of key %q", key)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return Entry{}, wrap(err, "entry of key %q", key)
		}
		return Entry{}, guanxi.Errorf(guanxi.ENOTFOUND, "no points entry with idempotency key %q", key)
	}
	e, err := scanEntry(rows)
	return e, wrap(err, "entry of key %q", key)
}

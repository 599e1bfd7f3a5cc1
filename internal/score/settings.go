package score

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/analytics"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Settings are a shop's own scoring settings. A nil field means the
// default: lifecycle thresholds derived from the shop's own gaps between
// purchases (analytics.DefaultLifecycleRules), a 1% monthly discount rate.
type Settings struct {
	NewDays           *int     `json:"new_days"`
	DormantDays       *int     `json:"dormant_days"`
	ChurnedDays       *int     `json:"churned_days"`
	LoyalPurchaseDays *int     `json:"loyal_purchase_days"`
	MonthlyDiscount   *float64 `json:"monthly_discount"`
}

// ParseLifecycle reads "new=30,dormant=90,churned=180,loyal=4" (any of the
// four) into s; "auto" clears them all, back to the data-driven default.
func (s *Settings) ParseLifecycle(v string) error {
	if strings.TrimSpace(v) == "auto" {
		s.NewDays, s.DormantDays, s.ChurnedDays, s.LoyalPurchaseDays = nil, nil, nil, nil
		return nil
	}
	for _, kv := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		n, err := strconv.Atoi(strings.TrimSpace(val))
		if !ok || err != nil || n < 1 {
			return guanxi.Errorf(guanxi.EINVALID, "lifecycle %q: expected name=days with a positive whole number, e.g. dormant=90", kv)
		}
		switch strings.TrimSpace(k) {
		case "new":
			s.NewDays = &n
		case "dormant":
			s.DormantDays = &n
		case "churned":
			s.ChurnedDays = &n
		case "loyal":
			s.LoyalPurchaseDays = &n
		default:
			return guanxi.Errorf(guanxi.EINVALID, "lifecycle %q: the thresholds are new, dormant, churned and loyal", k)
		}
	}
	return nil
}

// rules applies the settings over the data-driven rules, and checks the
// result makes sense: dormant before churned, loyal from 2 purchase days.
func (s Settings) rules(data analytics.LifecycleRules, why string) (analytics.LifecycleRules, string, error) {
	r, set := data, []string{}
	for _, f := range []struct {
		v    *int
		dst  *int
		name string
	}{{s.NewDays, &r.NewDays, "new"}, {s.DormantDays, &r.DormantDays, "dormant"}, {s.ChurnedDays, &r.ChurnedDays, "churned"}, {s.LoyalPurchaseDays, &r.LoyalPurchaseDays, "loyal"}} {
		if f.v != nil {
			*f.dst = *f.v
			set = append(set, fmt.Sprintf("%s=%d", f.name, *f.v))
		}
	}
	if r.DormantDays >= r.ChurnedDays {
		return r, "", guanxi.Errorf(guanxi.EINVALID, "lifecycle: dormant after %d days must come before churned after %d days", r.DormantDays, r.ChurnedDays)
	}
	if r.LoyalPurchaseDays < 2 {
		return r, "", guanxi.Errorf(guanxi.EINVALID, "lifecycle: loyal needs at least 2 purchase days, not %d", r.LoyalPurchaseDays)
	}
	if len(set) == 0 {
		return r, why, nil
	}
	if len(set) == 4 {
		return r, "set for the shop: " + strings.Join(set, ", "), nil
	}
	return r, "set for the shop: " + strings.Join(set, ", ") + "; the rest " + why, nil
}

// Settings returns the shop's scoring settings (all defaults when none
// were saved).
func (s *Service) Settings(ctx context.Context, shopID int64) (Settings, error) {
	var st Settings
	var nd, dd, cd, ld sql.NullInt64
	var disc sql.NullFloat64
	err := s.db.QueryRow(ctx, `SELECT new_days, dormant_days, churned_days, loyal_purchase_days, monthly_discount FROM score_settings WHERE shop_id = ?`, shopID).
		Scan(&nd, &dd, &cd, &ld, &disc)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("score: settings: %w", err)
	}
	for _, f := range []struct {
		v   sql.NullInt64
		dst **int
	}{{nd, &st.NewDays}, {dd, &st.DormantDays}, {cd, &st.ChurnedDays}, {ld, &st.LoyalPurchaseDays}} {
		if f.v.Valid {
			n := int(f.v.Int64)
			*f.dst = &n
		}
	}
	if disc.Valid {
		st.MonthlyDiscount = &disc.Float64
	}
	return st, nil
}

// SaveSettings stores the shop's scoring settings. Thresholds left to the
// data are checked against the set ones when a run applies them.
func (s *Service) SaveSettings(ctx context.Context, shopID int64, st Settings) error {
	if st.DormantDays != nil && st.ChurnedDays != nil && *st.DormantDays >= *st.ChurnedDays {
		return guanxi.Errorf(guanxi.EINVALID, "lifecycle: dormant after %d days must come before churned after %d days", *st.DormantDays, *st.ChurnedDays)
	}
	if st.LoyalPurchaseDays != nil && *st.LoyalPurchaseDays < 2 {
		return guanxi.Errorf(guanxi.EINVALID, "lifecycle: loyal needs at least 2 purchase days, not %d", *st.LoyalPurchaseDays)
	}
	if d := st.MonthlyDiscount; d != nil && (*d < 0 || *d >= 1) {
		return guanxi.Errorf(guanxi.EINVALID, "discount rate %g a month: expected a fraction from 0 to below 1, e.g. 0.01", *d)
	}
	nullable := func(p *int) any {
		if p == nil {
			return nil
		}
		return int64(*p)
	}
	var disc any
	if st.MonthlyDiscount != nil {
		disc = *st.MonthlyDiscount
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM score_settings WHERE shop_id = ?`, shopID); err != nil {
			return fmt.Errorf("score: save settings: %w", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO score_settings (shop_id, new_days, dormant_days, churned_days, loyal_purchase_days, monthly_discount, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			shopID, nullable(st.NewDays), nullable(st.DormantDays), nullable(st.ChurnedDays), nullable(st.LoyalPurchaseDays), disc, s.clock.Now().Unix())
		if err != nil {
			return fmt.Errorf("score: save settings: %w", err)
		}
		return nil
	})
}

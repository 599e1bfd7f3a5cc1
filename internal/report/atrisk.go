package report

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/seal"
)

// Total is how many scored customers have one value of a score, and their
// net spend up to the run's as-of date.
type Total struct {
	Value     string       `json:"value"`
	Customers int64        `json:"customers"`
	Monetary  guanxi.Money `json:"monetary"` // minor units
}

// ScoreTotals returns, for each value of a score column (segment,
// segment_cn, lifecycle, tier or churn_risk), the shop's scored customers
// with it and their net spend, most customers first.
func (s *Service) ScoreTotals(ctx context.Context, shopID int64, column string) ([]Total, error) {
	if !scoreColumns[column] {
		return nil, guanxi.Errorf(guanxi.EINVALID, "cannot total customers by %q", column)
	}
	v, err := byRun(ctx, s, shopID, "totals "+column, func() ([]Total, error) { return s.scoreTotals(ctx, shopID, column) })
	return slices.Clone(v), err // the caller's own: pages sort it
}

func (s *Service) scoreTotals(ctx context.Context, shopID int64, column string) ([]Total, error) {
	rows, err := s.db.Query(ctx, `SELECT `+column+`, COUNT(*), CAST(COALESCE(SUM(monetary), 0) AS BIGINT) FROM customer_scores WHERE shop_id = ?
GROUP BY `+column+` ORDER BY 2 DESC, 1`, shopID)
	if err != nil {
		return nil, fmt.Errorf("report: totals by %s: %w", column, err)
	}
	defer rows.Close()
	out := []Total{}
	for rows.Next() {
		var t Total
		if err := rows.Scan(&t.Value, &t.Customers, &t.Monetary); err != nil {
			return nil, fmt.Errorf("report: totals by %s: %w", column, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: totals by %s: %w", column, err)
	}
	return out, nil
}

// AtRisk is a customer with a high churn risk, as the churn list shows them.
// Phone and e-mail are whole: masking them is the caller's job.
type AtRisk struct {
	ID          int64        `json:"id"`
	Name        string       `json:"name"`
	Phone       string       `json:"phone"`
	Email       string       `json:"email"`
	Province    string       `json:"province"`
	Segment     string       `json:"segment"`
	Lifecycle   string       `json:"lifecycle"`
	RecencyDays int64        `json:"recency_days"`
	Frequency   int64        `json:"frequency"`
	Monetary    guanxi.Money `json:"monetary"` // net spend, minor units
	CLV         *float64     `json:"clv_12m"`  // major units; nil when the model was not fitted
	PAlive      *float64     `json:"p_alive"`
	ReasonZH    string       `json:"reason_zh"`
	ReasonEN    string       `json:"reason_en"`
}

// AtRiskPage is one page of the churn list.
type AtRiskPage struct {
	Customers []AtRisk `json:"customers"`
	Total     int      `json:"total"`
	Offset    int      `json:"offset"`
}

// AtRiskOrders are the ways the churn list can be sorted, most valuable first.
var AtRiskOrders = map[string]string{
	"clv":      "(s.clv_12m IS NULL), s.clv_12m DESC, s.monetary DESC, s.customer_id",
	"monetary": "s.monetary DESC, s.customer_id",
}

// HighChurnRisk returns a page of the shop's live customers whose churn
// risk is high, most valuable first by sort ("clv": 12-month value, then
// spend; "monetary": spend), with the reason the score gives.
func (s *Service) HighChurnRisk(ctx context.Context, shopID int64, sort string, limit, offset int) (AtRiskPage, error) {
	order, ok := AtRiskOrders[sort]
	if !ok {
		return AtRiskPage{}, guanxi.Errorf(guanxi.EINVALID, "cannot sort the churn list by %q (clv or monetary)", sort)
	}
	if limit <= 0 || limit > 10000 {
		limit = 50
	}
	offset = max(offset, 0)
	p, err := byRun(ctx, s, shopID, fmt.Sprintf("churn %s %d %d", sort, limit, offset), func() (AtRiskPage, error) {
		return s.highChurnRisk(ctx, shopID, order, limit, offset)
	})
	p.Customers = slices.Clone(p.Customers)
	return p, err
}

func (s *Service) highChurnRisk(ctx context.Context, shopID int64, order string, limit, offset int) (AtRiskPage, error) {
	page := AtRiskPage{Customers: []AtRisk{}, Offset: offset}
	const from = ` FROM customer_scores s JOIN customers c ON c.shop_id = s.shop_id AND c.id = s.customer_id
WHERE s.shop_id = ? AND s.churn_risk = 'high' AND c.merged_into IS NULL`
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*)`+from, shopID).Scan(&page.Total); err != nil {
		return page, fmt.Errorf("report: churn list: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT s.customer_id, c.name, c.phone, c.email, c.province, s.segment, s.lifecycle,
s.recency_days, s.frequency, s.monetary, s.clv_12m, s.p_alive, s.churn_reason, s.churn_reason_en`+from+`
ORDER BY `+order+` LIMIT ? OFFSET ?`, shopID, limit, offset)
	if err != nil {
		return page, fmt.Errorf("report: churn list: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a AtRisk
		var clv, alive sql.NullFloat64
		if err := rows.Scan(&a.ID, &a.Name, &a.Phone, &a.Email, &a.Province, &a.Segment, &a.Lifecycle,
			&a.RecencyDays, &a.Frequency, &a.Monetary, &clv, &alive, &a.ReasonZH, &a.ReasonEN); err != nil {
			return page, fmt.Errorf("report: churn list: %w", err)
		}
		if err := s.db.Keys().OpenAll(seal.Phone(&a.Phone), seal.Email(&a.Email)); err != nil {
			return page, fmt.Errorf("report: churn list: customer %d: %w", a.ID, err)
		}
		if clv.Valid {
			a.CLV = &clv.Float64
		}
		if alive.Valid {
			a.PAlive = &alive.Float64
		}
		page.Customers = append(page.Customers, a)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("report: churn list: %w", err)
	}
	return page, nil
}

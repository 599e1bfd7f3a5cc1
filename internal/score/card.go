package score

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/guanxi-crm/guanxi"
)

// Card is a customer's latest scores, as the customer page shows them.
// Model is false, and the model figures zero, when the shop's history was
// not enough to fit the model.
type Card struct {
	AsOf          string
	RecencyDays   int64
	Frequency     int64
	Monetary      guanxi.Money
	R, F, M       int64
	SegmentCN     string // 重要价值客户 …
	Segment       string // Champions …
	Lifecycle     string // new, active, dormant, churned, loyal
	Tier          string // key, ordinary, small
	ChurnRisk     string // low, medium, high
	ChurnReason   string // zh-CN
	ChurnReasonEN string
	Model         bool
	PAlive        float64
	Expected90    float64
	CLV           guanxi.Money
}

// Card returns the customer's latest scores, or ENOTFOUND when no score run
// has scored them (yet).
func (s *Service) Card(ctx context.Context, shopID, customerID int64) (*Card, error) {
	var c Card
	var mon int64
	var pAlive, e90, clv sql.NullFloat64
	err := s.db.QueryRow(ctx, `SELECT as_of, recency_days, frequency, monetary, r, f, m, segment_cn, segment, lifecycle, tier,
churn_risk, churn_reason, churn_reason_en, p_alive, expected_90d, clv_12m
FROM customer_scores WHERE shop_id = ? AND customer_id = ?`, shopID, customerID).
		Scan(&c.AsOf, &c.RecencyDays, &c.Frequency, &mon, &c.R, &c.F, &c.M, &c.SegmentCN, &c.Segment, &c.Lifecycle, &c.Tier,
			&c.ChurnRisk, &c.ChurnReason, &c.ChurnReasonEN, &pAlive, &e90, &clv)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "customer %d has no scores", customerID)
	}
	if err != nil {
		return nil, fmt.Errorf("score: card of %d: %w", customerID, err)
	}
	c.Monetary = guanxi.Money(mon)
	c.Model = pAlive.Valid
	c.PAlive, c.Expected90 = pAlive.Float64, e90.Float64
	c.CLV = guanxi.Money(math.Round(clv.Float64 * 100))
	return &c, nil
}

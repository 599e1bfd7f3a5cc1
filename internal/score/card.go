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
	ClusterZH     string // the cluster's description, "" when not clustered
	ClusterEN     string
	NextProduct   string // product to suggest next, "" when none
	NextByRule    bool   // suggested by a product rule (else by popularity)
	NextConf      float64
}

// Card returns the customer's latest scores, or ENOTFOUND when no score run
// has scored them (yet).
func (s *Service) Card(ctx context.Context, shopID, customerID int64) (*Card, error) {
	var c Card
	var mon int64
	var pAlive, e90, clv, conf sql.NullFloat64
	var clZH, clEN, product sql.NullString
	var rule sql.NullInt64
	err := s.db.QueryRow(ctx, `SELECT s.as_of, s.recency_days, s.frequency, s.monetary, s.r, s.f, s.m, s.segment_cn, s.segment, s.lifecycle, s.tier,
s.churn_risk, s.churn_reason, s.churn_reason_en, s.p_alive, s.expected_90d, s.clv_12m,
c.label_zh, c.label_en, COALESCE(NULLIF(p.name, ''), p.sku), s.next_product_rule, s.next_product_confidence
FROM customer_scores s
LEFT JOIN score_clusters c ON c.shop_id = s.shop_id AND c.cluster = s.cluster
LEFT JOIN products p ON p.shop_id = s.shop_id AND p.id = s.next_product_id
WHERE s.shop_id = ? AND s.customer_id = ?`, shopID, customerID).
		Scan(&c.AsOf, &c.RecencyDays, &c.Frequency, &mon, &c.R, &c.F, &c.M, &c.SegmentCN, &c.Segment, &c.Lifecycle, &c.Tier,
			&c.ChurnRisk, &c.ChurnReason, &c.ChurnReasonEN, &pAlive, &e90, &clv, &clZH, &clEN, &product, &rule, &conf)
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
	c.ClusterZH, c.ClusterEN = clZH.String, clEN.String
	c.NextProduct, c.NextByRule, c.NextConf = product.String, rule.Valid, conf.Float64
	return &c, nil
}

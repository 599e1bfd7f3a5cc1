package campaign

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/uplift"
)

// Evaluation: the target group against the holdout, intention to treat —
// every target customer counts, whether or not their message went out
// (skipped, failed), because the holdout also holds customers who would
// not have been reached; leaving them out of the target would bias the
// comparison. A customer merged into another after the launch is followed
// to the survivor's orders.

// Alpha is the level of the confidence intervals (95%).
const Alpha = 0.05

// Cell is one group's figures, in total or for one RFM segment.
type Cell struct {
	Customers  int
	Converters int
	Orders     int
	Revenue    guanxi.Money // net of refunds, in the attribution window
	RevenueSq  float64      // Σ (revenue per customer in yuan)²
	Sent       int
}

func (c *Cell) add(o Cell) {
	c.Customers += o.Customers
	c.Converters += o.Converters
	c.Orders += o.Orders
	c.Revenue += o.Revenue
	c.RevenueSq += o.RevenueSq
	c.Sent += o.Sent
}

func (c Cell) sample() uplift.Sample {
	return uplift.SampleFromSums(int64(c.Customers), float64(c.Revenue)/100, c.RevenueSq)
}

// Evaluate measures the campaign's groups over its attribution window (up
// to now, while it is still open) and stores the figures, replacing the
// previous evaluation.
func (s *Service) Evaluate(ctx context.Context, shopID, id int64) error {
	c, err := s.Get(ctx, shopID, id)
	if err != nil {
		return err
	}
	if c.LaunchedAt.IsZero() {
		return guanxi.Errorf(guanxi.ECONFLICT, "campaign %d has not started: nothing to evaluate", id)
	}
	now := s.clock.Now()
	end := c.LaunchedAt.AddDate(0, 0, c.AttributionDays)
	if end.After(now) {
		end = now
	}
	rows, err := s.db.Query(ctx, `SELECT m.grp, m.segment, m.status IN ('sent', 'delivered'), COUNT(o.id), COALESCE(SUM(o.amount - o.refunded), 0)
FROM campaign_messages m
LEFT JOIN customers cu ON cu.shop_id = m.shop_id AND cu.id = m.customer_id
LEFT JOIN orders o ON o.shop_id = m.shop_id AND o.customer_id = COALESCE(cu.merged_into, m.customer_id)
  AND o.placed_at >= ? AND o.placed_at < ? AND o.purchase_day IS NOT NULL
WHERE m.shop_id = ? AND m.campaign_id = ? AND m.grp IN ('target', 'holdout')
GROUP BY m.grp, m.segment, m.customer_id, m.status`, c.LaunchedAt.Unix(), end.Unix(), shopID, id)
	if err != nil {
		return fmt.Errorf("campaign %d: evaluate: %w", id, err)
	}
	type key struct{ grp, segment string }
	cells := map[key]*Cell{}
	for rows.Next() {
		var k key
		var sent bool
		var orders int
		var revenue int64
		if err := rows.Scan(&k.grp, &k.segment, &sent, &orders, &revenue); err != nil {
			rows.Close()
			return fmt.Errorf("campaign %d: evaluate: %w", id, err)
		}
		cell := cells[k]
		if cell == nil {
			cell = &Cell{}
			cells[k] = cell
		}
		cell.Customers++
		cell.Orders += orders
		if orders > 0 {
			cell.Converters++
		}
		cell.Revenue += guanxi.Money(revenue)
		y := float64(revenue) / 100
		cell.RevenueSq += y * y
		if sent {
			cell.Sent++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("campaign %d: evaluate: %w", id, err)
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM campaign_results WHERE shop_id = ? AND campaign_id = ?`, shopID, id); err != nil {
			return fmt.Errorf("campaign %d: evaluate: %w", id, err)
		}
		for k, cell := range cells {
			if _, err := tx.Exec(ctx, `INSERT INTO campaign_results (shop_id, campaign_id, grp, segment, customers, converters, orders, revenue, revenue_sq, sent, evaluated_at, window_end)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, shopID, id, k.grp, k.segment, cell.Customers, cell.Converters, cell.Orders, int64(cell.Revenue),
				cell.RevenueSq, cell.Sent, now.Unix(), end.Unix()); err != nil {
				return fmt.Errorf("campaign %d: evaluate: %w", id, err)
			}
		}
		return nil
	})
}

// EvaluateDue evaluates every campaign of the shop whose attribution
// window was open at any time since its last evaluation: the nightly job.
func (s *Service) EvaluateDue(ctx context.Context, shopID int64) (int, error) {
	rows, err := s.db.Query(ctx, `SELECT c.id FROM campaigns c
WHERE c.shop_id = ? AND c.launched_at IS NOT NULL
AND EXISTS (SELECT 1 FROM campaign_messages m WHERE m.shop_id = c.shop_id AND m.campaign_id = c.id AND m.grp IN ('target', 'holdout'))
AND NOT EXISTS (
  SELECT 1 FROM campaign_results r WHERE r.shop_id = c.shop_id AND r.campaign_id = c.id AND r.window_end >= c.launched_at + c.attribution_days * 86400)
ORDER BY c.id`, shopID)
	if err != nil {
		return 0, fmt.Errorf("campaign: due evaluations of shop %d: %w", shopID, err)
	}
	ids, err := collectIDs(rows)
	if err != nil {
		return 0, err
	}
	sorted := make([]int64, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	slices.Sort(sorted)
	for _, id := range sorted {
		if err := s.Evaluate(ctx, shopID, id); err != nil {
			return 0, err
		}
	}
	return len(sorted), nil
}

// Result is a campaign's evaluation.
type Result struct {
	Evaluated   bool
	EvaluatedAt time.Time
	WindowStart time.Time
	WindowEnd   time.Time
	Complete    bool // the attribution window has closed
	Target      Cell
	Holdout     Cell
	Cost        guanxi.Money // messages sent × cost per message
	// Conversion and Revenue are nil when the groups are too small to
	// compare (Note says why).
	Conversion *uplift.ConversionResult
	Revenue    *uplift.RevenueResult
	Note       string
	Segments   []SegmentResult
	// BeforeAfter compares the target group's daily sales in the window
	// before the launch with the window after; descriptive only.
	BeforeAfter *uplift.BeforeAfterResult
}

// SegmentResult is the evaluation within one RFM segment.
type SegmentResult struct {
	Segment    string
	Target     Cell
	Holdout    Cell
	Conversion *uplift.ConversionResult
	Revenue    *uplift.RevenueResult
}

// Result reads the campaign's latest evaluation and computes its uplift.
func (s *Service) Result(ctx context.Context, shopID, id int64) (*Result, error) {
	c, err := s.Get(ctx, shopID, id)
	if err != nil {
		return nil, err
	}
	r := &Result{WindowStart: c.LaunchedAt}
	rows, err := s.db.Query(ctx, `SELECT grp, segment, customers, converters, orders, revenue, revenue_sq, sent, evaluated_at, window_end
FROM campaign_results WHERE shop_id = ? AND campaign_id = ? ORDER BY segment, grp`, shopID, id)
	if err != nil {
		return nil, fmt.Errorf("campaign %d: result: %w", id, err)
	}
	segs := map[string]*SegmentResult{}
	for rows.Next() {
		var grp, seg string
		var cell Cell
		var revenue, evaluated, end int64
		if err := rows.Scan(&grp, &seg, &cell.Customers, &cell.Converters, &cell.Orders, &revenue, &cell.RevenueSq, &cell.Sent, &evaluated, &end); err != nil {
			rows.Close()
			return nil, fmt.Errorf("campaign %d: result: %w", id, err)
		}
		cell.Revenue = guanxi.Money(revenue)
		r.Evaluated, r.EvaluatedAt, r.WindowEnd = true, time.Unix(evaluated, 0), time.Unix(end, 0)
		sr := segs[seg]
		if sr == nil {
			sr = &SegmentResult{Segment: seg}
			segs[seg] = sr
		}
		if grp == Target {
			sr.Target.add(cell)
			r.Target.add(cell)
		} else {
			sr.Holdout.add(cell)
			r.Holdout.add(cell)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !r.Evaluated {
		return r, nil
	}
	r.Complete = !r.WindowEnd.Before(c.LaunchedAt.AddDate(0, 0, c.AttributionDays))
	r.Cost = guanxi.Money(r.Target.Sent) * c.CostPerMessage
	r.Conversion, r.Revenue, r.Note = compare(r.Target, r.Holdout, float64(r.Cost)/100)
	for _, sr := range segs {
		cost := float64(guanxi.Money(sr.Target.Sent)*c.CostPerMessage) / 100
		sr.Conversion, sr.Revenue, _ = compare(sr.Target, sr.Holdout, cost)
		r.Segments = append(r.Segments, *sr)
	}
	slices.SortFunc(r.Segments, func(a, b SegmentResult) int { return cmp.Compare(b.Target.Customers, a.Target.Customers) })
	if r.BeforeAfter, err = s.beforeAfter(ctx, shopID, c); err != nil {
		return nil, err
	}
	return r, nil
}

// compare runs the uplift tests on two cells; cost in yuan.
func compare(t, h Cell, cost float64) (*uplift.ConversionResult, *uplift.RevenueResult, string) {
	if h.Customers == 0 {
		return nil, nil, "no holdout: uplift cannot be measured"
	}
	conv, err := uplift.Conversion(uplift.Counts{N: int64(t.Customers), Converters: int64(t.Converters)},
		uplift.Counts{N: int64(h.Customers), Converters: int64(h.Converters)}, Alpha)
	if err != nil {
		return nil, nil, guanxi.ErrorMessage(err)
	}
	rev, err := uplift.Revenue(t.sample(), h.sample(), cost, Alpha)
	if err != nil {
		return &conv, nil, guanxi.ErrorMessage(err)
	}
	return &conv, &rev, ""
}

// beforeAfter compares the target group's daily net sales in the
// attribution window after the launch with as many days before it.
func (s *Service) beforeAfter(ctx context.Context, shopID int64, c *Campaign) (*uplift.BeforeAfterResult, error) {
	days := c.AttributionDays
	now := s.clock.Now()
	after := int(math.Min(float64(days), math.Floor(now.Sub(c.LaunchedAt).Hours()/24)))
	if after < 1 {
		return nil, nil
	}
	from := c.LaunchedAt.AddDate(0, 0, -days)
	to := c.LaunchedAt.AddDate(0, 0, after)
	rows, err := s.db.Query(ctx, `SELECT o.placed_at, o.amount - o.refunded FROM campaign_messages m
JOIN orders o ON o.shop_id = m.shop_id AND o.customer_id = m.customer_id AND o.placed_at >= ? AND o.placed_at < ? AND o.purchase_day IS NOT NULL
WHERE m.shop_id = ? AND m.campaign_id = ? AND m.grp = 'target'`, from.Unix(), to.Unix(), shopID, c.ID)
	if err != nil {
		return nil, fmt.Errorf("campaign %d: before/after: %w", c.ID, err)
	}
	defer rows.Close()
	before, afterSales := make([]float64, days), make([]float64, after)
	for rows.Next() {
		var at, net int64
		if err := rows.Scan(&at, &net); err != nil {
			return nil, err
		}
		d := time.Unix(at, 0).Sub(c.LaunchedAt)
		if d < 0 {
			i := days + int(math.Floor(d.Hours()/24))
			if i >= 0 && i < days {
				before[i] += float64(net) / 100
			}
		} else if i := int(d.Hours() / 24); i < after {
			afterSales[i] += float64(net) / 100
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ba, err := uplift.BeforeAfter(before, afterSales)
	if err != nil {
		return nil, err
	}
	return &ba, nil
}

// MatrixCell is one channel × segment cell across the shop's evaluated
// campaigns.
type MatrixCell struct {
	Channel     string
	Segment     string
	Campaigns   int
	Sent        int
	Cost        guanxi.Money
	Target      Cell
	Holdout     Cell
	Incremental float64 // yuan: Σ over campaigns of (target mean − holdout mean) × target customers
}

// CostPerContact is the cost of one message sent, in yuan.
func (m MatrixCell) CostPerContact() float64 {
	if m.Sent == 0 {
		return 0
	}
	return float64(m.Cost) / 100 / float64(m.Sent)
}

// ResponseRate is the target group's conversion rate.
func (m MatrixCell) ResponseRate() float64 {
	if m.Target.Customers == 0 {
		return 0
	}
	return float64(m.Target.Converters) / float64(m.Target.Customers)
}

// HoldoutRate is the holdout group's conversion rate.
func (m MatrixCell) HoldoutRate() float64 {
	if m.Holdout.Customers == 0 {
		return 0
	}
	return float64(m.Holdout.Converters) / float64(m.Holdout.Customers)
}

// ROI is (incremental revenue − cost) / cost; ok false without cost.
func (m MatrixCell) ROI() (float64, bool) {
	if m.Cost <= 0 {
		return 0, false
	}
	c := float64(m.Cost) / 100
	return (m.Incremental - c) / c, true
}

// Matrix is the channel × segment matrix over every evaluated campaign of
// the shop (seed 003's channel cost matrix): which channel pays for which
// segment. Cells are sorted by channel, then by contacts.
func (s *Service) Matrix(ctx context.Context, shopID int64) ([]MatrixCell, error) {
	rows, err := s.db.Query(ctx, `SELECT c.id, c.channel, c.cost_per_message, r.grp, r.segment, r.customers, r.converters, r.orders, r.revenue, r.revenue_sq, r.sent
FROM campaign_results r JOIN campaigns c ON c.shop_id = r.shop_id AND c.id = r.campaign_id
WHERE r.shop_id = ? ORDER BY c.id`, shopID)
	if err != nil {
		return nil, fmt.Errorf("campaign: matrix of shop %d: %w", shopID, err)
	}
	type key struct {
		campaign int64
		segment  string
	}
	type pair struct {
		channel string
		cost    guanxi.Money
		t, h    Cell
	}
	per := map[key]*pair{}
	for rows.Next() {
		var k key
		var ch, grp string
		var cost, revenue int64
		var cell Cell
		if err := rows.Scan(&k.campaign, &ch, &cost, &grp, &k.segment, &cell.Customers, &cell.Converters, &cell.Orders, &revenue, &cell.RevenueSq, &cell.Sent); err != nil {
			rows.Close()
			return nil, err
		}
		cell.Revenue = guanxi.Money(revenue)
		p := per[k]
		if p == nil {
			p = &pair{channel: ch, cost: guanxi.Money(cost)}
			per[k] = p
		}
		if grp == Target {
			p.t.add(cell)
		} else {
			p.h.add(cell)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	type mk struct{ channel, segment string }
	cells := map[mk]*MatrixCell{}
	for k, p := range per {
		m := cells[mk{p.channel, k.segment}]
		if m == nil {
			m = &MatrixCell{Channel: p.channel, Segment: k.segment}
			cells[mk{p.channel, k.segment}] = m
		}
		m.Campaigns++
		m.Sent += p.t.Sent
		m.Cost += guanxi.Money(p.t.Sent) * p.cost
		m.Target.add(p.t)
		m.Holdout.add(p.h)
		if p.t.Customers > 0 && p.h.Customers > 0 {
			tm := float64(p.t.Revenue) / 100 / float64(p.t.Customers)
			hm := float64(p.h.Revenue) / 100 / float64(p.h.Customers)
			m.Incremental += (tm - hm) * float64(p.t.Customers)
		}
	}
	out := make([]MatrixCell, 0, len(cells))
	for _, m := range cells {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b MatrixCell) int {
		return cmp.Or(cmp.Compare(a.Channel, b.Channel), cmp.Compare(b.Sent, a.Sent), cmp.Compare(a.Segment, b.Segment))
	})
	return out, nil
}

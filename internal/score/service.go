package score

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/guanxi-crm/guanxi/internal/analytics"
	"github.com/guanxi-crm/guanxi/internal/shop"
)

// Service feeds marketing (issue 6 §3): what the service desk knows of a
// customer changes how likely they are to leave. Purchases alone cannot see
// a customer who is still buying but has an open complaint, rated the shop
// a detractor or keeps sending goods back.

// Signals are a customer's service facts as of a score run's date.
type Signals struct {
	OpenComplaints int   // complaint tickets created by then and not closed by then
	LastNPS        int64 // score of the latest NPS response by then, -1 for none
	LastCSAT       int64 // score of the latest CSAT response by then, -1 for none
	Refunds180     int   // orders placed in the 180 days before with a refund
}

// LowSatisfaction reports whether the customer's latest answer was unhappy:
// an NPS detractor (0-6) or a CSAT of 1-2.
func (g Signals) LowSatisfaction() bool {
	return g.LastNPS >= 0 && g.LastNPS <= 6 || g.LastCSAT >= 1 && g.LastCSAT <= 2
}

// RefundDays is the window of Signals.Refunds180.
const RefundDays = 180

// RaiseChurn raises a churn risk by one band for each kind of service
// signal present — an open complaint, low satisfaction, a refund in 180
// days — up to high, and adds the facts to the reason. The purchase-based
// band stays the base: a service signal tells of a customer at risk whom
// recency and P(alive) still call safe, and makes a fading one more urgent.
func RaiseChurn(r analytics.ChurnRisk, g Signals) analytics.ChurnRisk {
	steps := 0
	if g.OpenComplaints > 0 {
		steps++
		r.ReasonZH += "；有" + strconv.Itoa(g.OpenComplaints) + "个未结投诉"
		r.ReasonEN += "; " + plural(g.OpenComplaints, "open complaint")
	}
	if g.LowSatisfaction() {
		steps++
		if g.LastNPS >= 0 && g.LastNPS <= 6 {
			r.ReasonZH += "；最近NPS评分" + strconv.FormatInt(g.LastNPS, 10) + "（贬损者）"
			r.ReasonEN += "; last NPS " + strconv.FormatInt(g.LastNPS, 10) + " (detractor)"
		} else {
			r.ReasonZH += "；最近满意度评分" + strconv.FormatInt(g.LastCSAT, 10)
			r.ReasonEN += "; last CSAT " + strconv.FormatInt(g.LastCSAT, 10)
		}
	}
	if g.Refunds180 > 0 {
		steps++
		r.ReasonZH += "；" + strconv.Itoa(RefundDays) + "天内退款" + strconv.Itoa(g.Refunds180) + "次"
		r.ReasonEN += "; " + plural(g.Refunds180, "refund") + " in " + strconv.Itoa(RefundDays) + " days"
	}
	r.Band = analytics.ChurnBand(min(int(r.Band)+steps, int(analytics.ChurnHigh)))
	return r
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// signals reads the service facts of the shop's customers as of the end of
// asOf's day, only for those with any.
func (s *Service) signals(ctx context.Context, sh *shop.Shop, asOf time.Time) (map[int64]Signals, error) {
	end := asOf.AddDate(0, 0, 1).Unix()
	out := map[int64]Signals{}
	get := func(id int64) Signals {
		if g, ok := out[id]; ok {
			return g
		}
		return Signals{LastNPS: -1, LastCSAT: -1}
	}
	each := func(what, q string, add func(id, v int64), args ...any) error {
		rows, err := s.db.Query(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("score: %s of %s: %w", what, sh.Code, err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var v sql.NullInt64
			if err := rows.Scan(&id, &v); err != nil {
				return fmt.Errorf("score: %s of %s: %w", what, sh.Code, err)
			}
			add(id, v.Int64)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("score: %s of %s: %w", what, sh.Code, err)
		}
		return nil
	}
	err := each("open complaints", `SELECT customer_id, COUNT(*) FROM tickets
WHERE shop_id = ? AND kind = 'complaint' AND created_at < ? AND (closed_at IS NULL OR closed_at >= ?) GROUP BY customer_id`,
		func(id, n int64) { g := get(id); g.OpenComplaints = int(n); out[id] = g }, sh.ID, end, end)
	if err != nil {
		return nil, err
	}
	// The latest response of each kind: ascending, so the last one wins.
	for _, kind := range []string{"nps", "csat"} {
		err := each("last "+kind, `SELECT customer_id, score FROM survey_responses
WHERE shop_id = ? AND kind = ? AND score IS NOT NULL AND responded_at < ? ORDER BY customer_id, responded_at, id`,
			func(id, v int64) {
				g := get(id)
				if kind == "nps" {
					g.LastNPS = v
				} else {
					g.LastCSAT = v
				}
				out[id] = g
			}, sh.ID, kind, end)
		if err != nil {
			return nil, err
		}
	}
	err = each("refunds", `SELECT customer_id, COUNT(*) FROM orders
WHERE shop_id = ? AND customer_id IS NOT NULL AND placed_at >= ? AND placed_at < ?
AND (refunded > 0 OR status IN ('refunded', 'partially_refunded')) GROUP BY customer_id`,
		func(id, n int64) { g := get(id); g.Refunds180 = int(n); out[id] = g },
		sh.ID, asOf.AddDate(0, 0, 1-RefundDays).Unix(), end)
	if err != nil {
		return nil, err
	}
	return out, nil
}

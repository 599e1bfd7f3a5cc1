package service

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/analytics"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// ComplaintAnalytics is seed 002 §7.3's reading of a period's complaints:
// volume and rate per 1,000 orders month by month, the Pareto of causes,
// the time each workflow step took, and the customers who complained
// repeatedly. A complaint belongs to the period it was received in.
type ComplaintAnalytics struct {
	From, To   time.Time // [From, To)
	Complaints int
	Orders     int     // orders placed in the period, cancelled ones not counted
	Rate       float64 // complaints per 1,000 orders; 0 without orders
	Months     []ComplaintMonth
	Causes     []CauseShare // most frequent first
	Unassessed int          // complaints not yet assessed, so without a cause
	Steps      []StepTime   // in workflow order
	Repeat     []RepeatComplainer
}

// ComplaintMonth is one calendar month (in the shop's zone) of the period.
type ComplaintMonth struct {
	Month      string // 2025-06
	Start      time.Time
	Complaints int
	Orders     int
	Rate       float64 // per 1,000 orders; 0 without orders
}

// CauseShare is a cause's line of the Pareto: its count, its share of the
// assessed complaints, and the running share down to it.
type CauseShare struct {
	Cause      string
	Count      int
	Share      float64 // 0..1
	Cumulative float64 // 0..1
}

// StepTime is how long complaints took from one status to the next: the
// hours between consecutive status events (received counts from the
// complaint's creation). Percentiles are nearest-rank: of n sorted
// durations, p50 is the ⌈n/2⌉-th and p90 the ⌈0.9n⌉-th, so each is a
// duration some complaint actually took.
type StepTime struct {
	From, To string
	Count    int
	P50, P90 float64 // hours
}

// RepeatComplainer is a customer with two or more complaints in the period.
type RepeatComplainer struct {
	CustomerID int64
	Name       string
	Complaints int
}

// Analytics reads the shop's complaint analytics over [from, to), months
// cut in the shop's time zone. It fails with EINVALID when to is not after
// from or the period is longer than ten years.
func (s *Service) Analytics(ctx context.Context, shopID int64, from, to time.Time) (*ComplaintAnalytics, error) {
	if !to.After(from) {
		return nil, invalid("to", "must be after from")
	}
	if to.Sub(from) > 10*366*24*time.Hour {
		return nil, invalid("to", "the period is longer than ten years")
	}
	var tz string
	if err := s.db.QueryRow(ctx, `SELECT timezone FROM shops WHERE id = ?`, shopID).Scan(&tz); err != nil {
		if err == sql.ErrNoRows {
			return nil, guanxi.Errorf(guanxi.ENOTFOUND, "shop %d not found", shopID)
		}
		return nil, fmt.Errorf("service: analytics of shop %d: %w", shopID, err)
	}
	loc := shop.LocationOf(tz)
	out := &ComplaintAnalytics{From: from, To: to}
	index := map[string]int{}
	for _, m := range shop.MonthStarts(from, to, loc) {
		key := m.Format("2006-01")
		index[key] = len(out.Months)
		out.Months = append(out.Months, ComplaintMonth{Month: key, Start: m})
	}
	month := func(unix int64) *ComplaintMonth {
		return &out.Months[index[time.Unix(unix, 0).In(loc).Format("2006-01")]]
	}
	lo, hi := from.Unix(), to.Unix()

	// Orders per month.
	rows, err := s.db.Query(ctx, `SELECT placed_at FROM orders WHERE shop_id = ? AND placed_at >= ? AND placed_at < ? AND status <> 'cancelled'`, shopID, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("service: analytics orders: %w", err)
	}
	for rows.Next() {
		var at int64
		if err := rows.Scan(&at); err != nil {
			rows.Close()
			return nil, err
		}
		month(at).Orders++
		out.Orders++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// Complaints: per month, per cause, per customer.
	rows, err = s.db.Query(ctx, `SELECT t.id, t.customer_id, c.name, t.cause, t.created_at FROM tickets t
JOIN customers c ON c.shop_id = t.shop_id AND c.id = t.customer_id
WHERE t.shop_id = ? AND t.kind = 'complaint' AND t.created_at >= ? AND t.created_at < ? ORDER BY t.id`, shopID, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("service: analytics complaints: %w", err)
	}
	causes := map[string]int{}
	byCustomer := map[int64]*RepeatComplainer{}
	var ticketIDs []int64
	created := map[int64]int64{}
	for rows.Next() {
		var id, customer, at int64
		var name, cause string
		if err := rows.Scan(&id, &customer, &name, &cause, &at); err != nil {
			rows.Close()
			return nil, err
		}
		out.Complaints++
		month(at).Complaints++
		if cause == "" {
			out.Unassessed++
		} else {
			causes[cause]++
		}
		if byCustomer[customer] == nil {
			byCustomer[customer] = &RepeatComplainer{CustomerID: customer, Name: name}
		}
		byCustomer[customer].Complaints++
		ticketIDs = append(ticketIDs, id)
		created[id] = at
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out.Rate = per1000(out.Complaints, out.Orders)
	for i := range out.Months {
		out.Months[i].Rate = per1000(out.Months[i].Complaints, out.Months[i].Orders)
	}
	assessed := out.Complaints - out.Unassessed
	for _, c := range Causes {
		if causes[c] > 0 {
			out.Causes = append(out.Causes, CauseShare{Cause: c, Count: causes[c], Share: float64(causes[c]) / float64(assessed)})
		}
	}
	// Most frequent first; a tie keeps the order of Causes (stable sort).
	slices.SortStableFunc(out.Causes, func(a, b CauseShare) int { return b.Count - a.Count })
	cum := 0
	for i := range out.Causes {
		cum += out.Causes[i].Count
		out.Causes[i].Cumulative = float64(cum) / float64(assessed)
	}
	for _, r := range byCustomer {
		if r.Complaints >= 2 {
			out.Repeat = append(out.Repeat, *r)
		}
	}
	slices.SortFunc(out.Repeat, func(a, b RepeatComplainer) int {
		if a.Complaints != b.Complaints {
			return b.Complaints - a.Complaints
		}
		return int(a.CustomerID - b.CustomerID)
	})

	// Time per step, from the status events of the period's complaints.
	type key struct{ from, to string }
	hours := map[key][]float64{}
	for start := 0; start < len(ticketIDs); start += 500 {
		chunk := ticketIDs[start:min(start+500, len(ticketIDs))]
		args := []any{shopID}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := s.db.Query(ctx, `SELECT ticket_id, from_value, to_value, at FROM ticket_events
WHERE shop_id = ? AND kind = 'status' AND ticket_id IN (`+store.In(len(chunk))+`) ORDER BY ticket_id, id`, args...)
		if err != nil {
			return nil, fmt.Errorf("service: analytics steps: %w", err)
		}
		last, prev := int64(0), int64(0)
		for rows.Next() {
			var id, at int64
			var from, to string
			if err := rows.Scan(&id, &from, &to, &at); err != nil {
				rows.Close()
				return nil, err
			}
			if id != last {
				last, prev = id, created[id]
			}
			k := key{from, to}
			hours[k] = append(hours[k], float64(at-prev)/3600)
			prev = at
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	order := func(k key) int {
		if isReopen(k.from, k.to) {
			return 100
		}
		return slices.Index(complaintPath, k.from)
	}
	for k, hs := range hours {
		slices.Sort(hs)
		out.Steps = append(out.Steps, StepTime{From: k.from, To: k.to, Count: len(hs), P50: analytics.NearestRank(hs, 50), P90: analytics.NearestRank(hs, 90)})
	}
	slices.SortFunc(out.Steps, func(a, b StepTime) int { return order(key{a.From, a.To}) - order(key{b.From, b.To}) })
	return out, nil
}

// complaintPath is the complaint workflow's statuses in order.
var complaintPath = []string{Received, Confirmed, Assessed, SolutionProposed, Executed, FollowUp, Archived}

func per1000(n, orders int) float64 {
	if orders == 0 {
		return 0
	}
	return float64(n) * 1000 / float64(orders)
}

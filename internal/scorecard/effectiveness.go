package scorecard

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/analytics"
	"github.com/guanxi-crm/guanxi/internal/report"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/survey"
)

// The CRM effectiveness dashboard, month by month in the shop's zone. Its
// definitions:
//
//   - Buyers (active customers): distinct customers with a purchase order
//     (an order with a purchase day) in the month. Guest orders never count.
//   - Repeat rate (of the month): the share of the month's buyers who had
//     bought in an earlier month — as the dashboard's repeat chart.
//   - Cumulative repeat rate: customers with purchases on two or more
//     distinct days up to the month's end, over customers with any purchase
//     up to then — the score run's repeat rate, taken at each month end.
//   - Churn rate: the share of the previous month's buyers who did not buy
//     in this month. Month-over-month buyer churn, not the churn score's
//     forecast: it is measured, not predicted.
//   - Retention by cohort: analytics' acquisition cohorts (first purchase
//     month) as of the last month's end, the share of each cohort buying in
//     its months 1..N.
//   - Lifecycle stages: the current snapshot counts customer_scores by
//     stage; month by month, the report package's lifecycle flows (each
//     month end judged by the latest score run's thresholds) when the shop
//     has been scored.
//   - Average CLV: the mean 12-month predicted CLV of the customers the
//     latest score run gave one (a snapshot: no history is kept).
//   - NPS: % promoters (9-10) − % detractors (0-6) of the month's NPS
//     responses, −100..100. CSAT: the share of the month's CSAT responses
//     scoring 4-5.
//   - Complaint rate: complaint tickets created in the month per 1,000
//     purchase orders placed in it.
//   - Change: each month's figure minus the previous month's (Abs) and
//     that over the previous month's (Rel); nil when either is undefined,
//     Rel also nil when the previous month's figure is 0.

// Months is how many months the dashboard shows.
const Months = 12

// Month is one month's figures. A rate is nil when its denominator is 0.
type Month struct {
	Month         string             `json:"month"` // YYYY-MM
	Buyers        int                `json:"buyers"`
	Returning     int                `json:"returning"`
	RepeatRate    *float64           `json:"repeat_rate"`
	Customers     int                `json:"customers"`       // with a purchase up to the month's end
	RepeatBuyers  int                `json:"repeat_buyers"`   // of them, on 2+ distinct days
	CumRepeatRate *float64           `json:"cum_repeat_rate"` // RepeatBuyers / Customers
	PrevBuyers    int                `json:"prev_buyers"`
	Churned       int                `json:"churned"` // of PrevBuyers, those who did not buy this month
	ChurnRate     *float64           `json:"churn_rate"`
	Orders        int                `json:"orders"`
	Complaints    int                `json:"complaints"`
	ComplaintRate *float64           `json:"complaint_rate"` // per 1,000 orders
	NPSResponses  int                `json:"nps_responses"`
	Promoters     int                `json:"promoters"`
	Detractors    int                `json:"detractors"`
	NPS           *float64           `json:"nps"`
	CSATResponses int                `json:"csat_responses"`
	CSATSatisfied int                `json:"csat_satisfied"`
	CSAT          *float64           `json:"csat"`
	Stages        map[string]int64   `json:"stages,omitempty"` // lifecycle stage → customers at the month's end; nil when not scored
	Change        map[string]*Change `json:"change"`           // metric → change since the month before
}

// Change is a figure's change since the month before.
type Change struct {
	Abs float64  `json:"abs"`
	Rel *float64 `json:"rel"` // nil when the previous figure is 0
}

// Cohort is one acquisition cohort's retention.
type Cohort struct {
	Cohort    string    `json:"cohort"` // YYYY-MM of the first purchase
	Size      int       `json:"size"`
	Retention []float64 `json:"retention"` // [k]: share buying in month k after the first; [0] is 1
}

// Effectiveness is the CRM effectiveness dashboard.
type Effectiveness struct {
	Months  []Month          `json:"months"` // oldest first, the last being the month of the end
	Cohorts []Cohort         `json:"cohorts"`
	Stages  map[string]int64 `json:"stages"`  // now, from the latest score run
	Scored  int64            `json:"scored"`  // customers with scores
	AvgCLV  *float64         `json:"avg_clv"` // yuan; nil when no customer has one
	CLVN    int64            `json:"clv_customers"`
}

// ChangeMetrics are the figures whose change a month carries.
var ChangeMetrics = []string{"buyers", "repeat_rate", "cum_repeat_rate", "churn_rate", "complaint_rate", "nps", "csat"}

func (m *Month) metric(name string) *float64 {
	switch name {
	case "buyers":
		v := float64(m.Buyers)
		return &v
	case "repeat_rate":
		return m.RepeatRate
	case "cum_repeat_rate":
		return m.CumRepeatRate
	case "churn_rate":
		return m.ChurnRate
	case "complaint_rate":
		return m.ComplaintRate
	case "nps":
		return m.NPS
	case "csat":
		return m.CSAT
	}
	return nil
}

// ParseMonth reads the last month shown, YYYY-MM; "" is now's month.
func ParseMonth(v string, loc *time.Location, now time.Time) (time.Time, error) {
	if v == "" {
		now = now.In(loc)
		return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc), nil
	}
	t, err := time.ParseInLocation("2006-01", v, loc)
	if err != nil || t.Year() < 2000 || t.Year() > 2200 {
		return time.Time{}, guanxi.Errorf(guanxi.EINVALID, "month: expected a month such as 2025-06, got %q", v)
	}
	return t, nil
}

// Effectiveness computes the dashboard for the Months months ending with
// the month that starts at last (the first of a month in the shop's zone).
func (s *Service) Effectiveness(ctx context.Context, sh *shop.Shop, last time.Time) (*Effectiveness, error) {
	loc := sh.Location()
	last = time.Date(last.Year(), last.Month(), 1, 0, 0, 0, 0, loc)
	// Month starts: the month before the first shown, for its changes and
	// churn base, then the shown ones, then the end.
	starts := make([]time.Time, Months+2)
	for i := range starts {
		starts[i] = last.AddDate(0, i-Months, 0)
	}
	end := starts[len(starts)-1]
	monthOf := func(at int64) int { // index into starts, -1 outside
		t := time.Unix(at, 0)
		for i := len(starts) - 2; i >= 0; i-- {
			if !t.Before(starts[i]) {
				if t.Before(starts[i+1]) {
					return i
				}
				return -1
			}
		}
		return -1
	}
	ms := make([]Month, Months+1)
	for i := range ms {
		ms[i].Month = starts[i].Format("2006-01")
	}
	e := &Effectiveness{Stages: map[string]int64{}, Cohorts: []Cohort{}}

	// Purchases: every one up to the end, for the cumulative figures and
	// the cohorts.
	rows, err := s.db.Query(ctx, `SELECT customer_id, purchase_day, placed_at, amount - refunded FROM orders
WHERE shop_id = ? AND customer_id IS NOT NULL AND purchase_day IS NOT NULL AND placed_at < ? ORDER BY placed_at, id`, sh.ID, end.Unix())
	if err != nil {
		return nil, fmt.Errorf("scorecard: purchases: %w", err)
	}
	defer rows.Close()
	cb := analytics.NewCohortBuilder(end.Add(-time.Second), loc)
	type cust struct {
		firstDay, lastDay int64 // purchase days yyyymmdd
		repeatAt          int   // month index from which they are a repeat buyer; -1 before the window
		firstAt           int   // month index of their first purchase, -1 before the window
	}
	custs := map[int64]*cust{}
	bought := make([]map[int64]bool, len(ms)) // month → buyers
	for i := range bought {
		bought[i] = map[int64]bool{}
	}
	for rows.Next() {
		var id, day, placed, net int64
		if err := rows.Scan(&id, &day, &placed, &net); err != nil {
			return nil, fmt.Errorf("scorecard: purchases: %w", err)
		}
		cb.Add(strconv.FormatInt(id, 10), time.Unix(placed, 0), net, true)
		m := monthOf(placed)
		c := custs[id]
		if c == nil {
			c = &cust{firstDay: day, lastDay: day, repeatAt: len(ms), firstAt: m}
			custs[id] = c
		} else if day != c.firstDay && c.repeatAt == len(ms) {
			c.repeatAt = m // orders come in time order: the first on another day
		}
		if m >= 0 {
			bought[m][id] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("scorecard: purchases: %w", err)
	}
	rows.Close()
	for i := range ms {
		m := &ms[i]
		m.Buyers = len(bought[i])
		for id := range bought[i] {
			if c := custs[id]; c.firstAt >= 0 && c.firstAt < i || c.firstAt == -1 {
				m.Returning++
			}
		}
		m.RepeatRate = share(m.Returning, m.Buyers)
		for _, c := range custs {
			if c.firstAt <= i { // -1: before the window
				m.Customers++
				if c.repeatAt <= i {
					m.RepeatBuyers++
				}
			}
		}
		m.CumRepeatRate = share(m.RepeatBuyers, m.Customers)
		if i > 0 {
			m.PrevBuyers = len(bought[i-1])
			for id := range bought[i-1] {
				if !bought[i][id] {
					m.Churned++
				}
			}
			m.ChurnRate = share(m.Churned, m.PrevBuyers)
		}
	}
	co := cb.Build()
	for i, month := range co.Months {
		c := Cohort{Cohort: month, Size: co.Size[i], Retention: make([]float64, len(co.Active[i]))}
		for k := range co.Active[i] {
			c.Retention[k] = co.Retention(i, k)
		}
		e.Cohorts = append(e.Cohorts, c)
	}

	// Orders and complaints per month.
	from := starts[0].Unix()
	count := func(q string, add func(m *Month)) error {
		rows, err := s.db.Query(ctx, q, sh.ID, from, end.Unix())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var at int64
			if err := rows.Scan(&at); err != nil {
				return err
			}
			if i := monthOf(at); i >= 0 {
				add(&ms[i])
			}
		}
		return rows.Err()
	}
	if err := count(`SELECT placed_at FROM orders WHERE shop_id = ? AND purchase_day IS NOT NULL AND placed_at >= ? AND placed_at < ?`,
		func(m *Month) { m.Orders++ }); err != nil {
		return nil, fmt.Errorf("scorecard: orders: %w", err)
	}
	if err := count(`SELECT created_at FROM tickets WHERE shop_id = ? AND kind = 'complaint' AND created_at >= ? AND created_at < ?`,
		func(m *Month) { m.Complaints++ }); err != nil {
		return nil, fmt.Errorf("scorecard: complaints: %w", err)
	}
	rows, err = s.db.Query(ctx, `SELECT kind, score, responded_at FROM survey_responses
WHERE shop_id = ? AND kind IN ('csat', 'nps') AND score IS NOT NULL AND responded_at >= ? AND responded_at < ?`, sh.ID, from, end.Unix())
	if err != nil {
		return nil, fmt.Errorf("scorecard: responses: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var score int
		var at int64
		if err := rows.Scan(&kind, &score, &at); err != nil {
			return nil, fmt.Errorf("scorecard: responses: %w", err)
		}
		i := monthOf(at)
		if i < 0 {
			continue
		}
		m := &ms[i]
		if kind == "nps" {
			m.NPSResponses++
			switch {
			case survey.Promoter(score):
				m.Promoters++
			case survey.Detractor(survey.NPS, score):
				m.Detractors++
			}
		} else {
			m.CSATResponses++
			if survey.Satisfied(score) {
				m.CSATSatisfied++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("scorecard: responses: %w", err)
	}
	rows.Close()
	for i := range ms {
		m := &ms[i]
		m.ComplaintRate = per1000(m.Complaints, m.Orders)
		if m.NPSResponses > 0 {
			v := 100 * float64(m.Promoters-m.Detractors) / float64(m.NPSResponses)
			m.NPS = &v
		}
		m.CSAT = share(m.CSATSatisfied, m.CSATResponses)
	}

	if err := s.stages(ctx, sh, e, ms, starts); err != nil {
		return nil, err
	}
	for i := 1; i < len(ms); i++ {
		ms[i].Change = map[string]*Change{}
		for _, name := range ChangeMetrics {
			ms[i].Change[name] = change(ms[i-1].metric(name), ms[i].metric(name))
		}
	}
	e.Months = ms[1:]
	return e, nil
}

func change(prev, cur *float64) *Change {
	if prev == nil || cur == nil {
		return nil
	}
	c := &Change{Abs: *cur - *prev}
	if *prev != 0 {
		r := c.Abs / math.Abs(*prev)
		c.Rel = &r
	}
	return c
}

// stages reads the lifecycle snapshot and CLV of the latest score run and,
// when the shop has one, the stages at each month end.
func (s *Service) stages(ctx context.Context, sh *shop.Shop, e *Effectiveness, ms []Month, starts []time.Time) error {
	rows, err := s.db.Query(ctx, `SELECT lifecycle, COUNT(*) FROM customer_scores WHERE shop_id = ? GROUP BY lifecycle`, sh.ID)
	if err != nil {
		return fmt.Errorf("scorecard: lifecycle: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return fmt.Errorf("scorecard: lifecycle: %w", err)
		}
		e.Stages[st] = n
		e.Scored += n
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scorecard: lifecycle: %w", err)
	}
	rows.Close()
	var avg sql.NullFloat64
	if err := s.db.QueryRow(ctx, `SELECT AVG(clv_12m), COUNT(clv_12m) FROM customer_scores WHERE shop_id = ? AND clv_12m IS NOT NULL`, sh.ID).
		Scan(&avg, &e.CLVN); err != nil {
		return fmt.Errorf("scorecard: clv: %w", err)
	}
	if avg.Valid {
		e.AvgCLV = &avg.Float64
	}
	run, err := s.reports.LatestRun(ctx, sh.ID)
	if guanxi.ErrorCode(err) == guanxi.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	rules, err := run.LifecycleRules()
	if err != nil {
		return err
	}
	lastDay := starts[len(starts)-1].AddDate(0, 0, -1).Format(time.DateOnly)
	fl, err := s.reports.LifecycleFlows(ctx, sh.ID, rules, lastDay, len(ms)-1)
	if err != nil {
		return err
	}
	for k, pt := range fl.Points {
		for i := range ms {
			if pt[:7] == ms[i].Month {
				ms[i].Stages = map[string]int64{}
				for j, st := range report.LifecycleStages {
					ms[i].Stages[st] = fl.Counts[k][j]
				}
			}
		}
	}
	return nil
}

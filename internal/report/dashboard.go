package report

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/analytics"
)

// purchase is one purchase order of a known customer, as the dashboards'
// month-by-month analyses read it.
type purchase struct {
	customer int32 // dense customer number
	day      int32 // purchase date, yyyymmdd in the shop's zone
	net      int64 // amount net of refunds, minor units
}

// purchases returns the facts' purchase orders of known customers (guest
// orders left out), in the facts' order.
func (f *facts) purchases() []purchase {
	var out []purchase
	for i := range f.len() {
		if f.first[i] && f.customer[i] >= 0 {
			out = append(out, purchase{customer: f.customer[i], day: f.day[i], net: f.orderNet[i]})
		}
	}
	return out
}

// RepeatMonth is one month's buyers and how many of them had bought before.
type RepeatMonth struct {
	Month     string  `json:"month"`     // YYYY-MM in the shop's zone
	Customers int64   `json:"customers"` // distinct customers with a purchase in the month (active customers)
	Returning int64   `json:"returning"` // of them, those whose first purchase was in an earlier month
	Rate      float64 `json:"rate"`      // Returning / Customers: the month's repeat-purchase rate
}

// RepeatByMonth returns, for every month with purchases, the customers who
// bought and the share of them who had bought in an earlier month, oldest
// month first. Guest orders do not count. The answer is kept with the
// shop's facts, shared by later calls: callers must not change it.
func (s *Service) RepeatByMonth(ctx context.Context, shopID int64) ([]RepeatMonth, error) {
	f, err := s.facts(ctx, shopID)
	if err != nil {
		return nil, err
	}
	if v, ok := f.derived.Load("repeat"); ok {
		return v.([]RepeatMonth), nil
	}
	r := repeatByMonth(f.purchases())
	f.derived.Store("repeat", r)
	return r, nil
}

// repeatByMonth is RepeatByMonth over ps, in any order.
func repeatByMonth(ps []purchase) []RepeatMonth {
	firstMonth := map[int32]int32{} // customer → yyyymm of their first purchase
	for _, p := range ps {
		m := p.day / 100
		if fm, ok := firstMonth[p.customer]; !ok || m < fm {
			firstMonth[p.customer] = m
		}
	}
	// Distinct (month, customer) pairs.
	pairs := make([]uint64, 0, len(ps))
	for _, p := range ps {
		pairs = append(pairs, uint64(uint32(p.day/100))<<32|uint64(uint32(p.customer)))
	}
	slices.Sort(pairs)
	pairs = slices.Compact(pairs)
	out := []RepeatMonth{}
	for _, pr := range pairs {
		m, c := int32(pr>>32), int32(uint32(pr))
		if len(out) == 0 || out[len(out)-1].Month != label("month", int64(m)) {
			out = append(out, RepeatMonth{Month: label("month", int64(m))})
		}
		r := &out[len(out)-1]
		r.Customers++
		if firstMonth[c] < m {
			r.Returning++
		}
	}
	for i := range out {
		out[i].Rate = float64(out[i].Returning) / float64(out[i].Customers)
	}
	return out
}

// LifecycleStages are the lifecycle stage codes (customer_scores.lifecycle)
// in the order the dashboards show them: the way a customer moves on.
var LifecycleStages = []string{"new", "active", "loyal", "dormant", "churned"}

// NoStage is the "from" stage of a customer who had not bought yet.
const NoStage = "none"

// stageIndex maps analytics' stages to their place in LifecycleStages.
func stageIndex(st analytics.Stage) int {
	return slices.Index(LifecycleStages, strings.ToLower(st.NameEN()))
}

// Flows is how the shop's customers moved between lifecycle stages from
// one month end to the next.
type Flows struct {
	Rules  analytics.LifecycleRules `json:"rules"`
	Points []string                 `json:"points"` // the dates stages are taken at, YYYY-MM-DD, oldest first
	Counts [][]int64                `json:"counts"` // [point][stage]: customers at each of LifecycleStages
	Steps  []FlowStep               `json:"steps"`  // Steps[k] goes from Points[k] to Points[k+1]
}

// FlowStep is one month's transitions.
type FlowStep struct {
	From string `json:"from"` // YYYY-MM-DD
	To   string `json:"to"`
	// Matrix[i][j] is the customers at stage i at From (0 for NoStage,
	// then LifecycleStages from 1) and at LifecycleStages[j] at To.
	Matrix [][]int64 `json:"matrix"`
}

// FromStages are the rows of FlowStep.Matrix.
func FromStages() []string { return append([]string{NoStage}, LifecycleStages...) }

// LifecycleFlows returns the shop's customers' lifecycle stages at the
// last months month ends up to asOf (YYYY-MM-DD; the latest point is asOf
// itself when it is not a month end) and one more before them, and the
// moves between consecutive points. A customer's stage at a point is
// analytics.Lifecycle under rules over their purchases up to that date, so
// every point is judged by the same thresholds (the latest score run's).
// The answer is kept with the shop's facts, shared by later calls: callers
// must not change it.
func (s *Service) LifecycleFlows(ctx context.Context, shopID int64, rules analytics.LifecycleRules, asOf string, months int) (*Flows, error) {
	end, err := time.Parse(time.DateOnly, asOf)
	if err != nil {
		return nil, guanxi.Errorf(guanxi.EINVALID, "as-of date %q: expected a date such as 2025-06-30", asOf)
	}
	if months < 1 || months > 60 {
		return nil, guanxi.Errorf(guanxi.EINVALID, "flows over %d months: expected 1 to 60", months)
	}
	f, err := s.facts(ctx, shopID)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("flows %+v %s %d", rules, asOf, months)
	if v, ok := f.derived.Load(key); ok {
		return v.(*Flows), nil
	}
	fl := lifecycleFlows(f.purchases(), rules, monthEnds(end, months))
	f.derived.Store(key, fl)
	return fl, nil
}

// monthEnds returns the ends of the months+1 months up to end's month, the
// last one cut to end.
func monthEnds(end time.Time, months int) []time.Time {
	out := make([]time.Time, 0, months+1)
	for k := months; k >= 0; k-- {
		// Day 0 of the next month is the last day of this one.
		d := time.Date(end.Year(), end.Month()-time.Month(k)+1, 0, 0, 0, 0, 0, time.UTC)
		if d.After(end) {
			d = end
		}
		out = append(out, d)
	}
	return out
}

// lifecycleFlows is LifecycleFlows over ps at points (dates at UTC
// midnight standing for the shop's calendar dates, ascending). Points are
// independent and computed on every core.
func lifecycleFlows(ps []purchase, rules analytics.LifecycleRules, points []time.Time) *Flows {
	ps = slices.Clone(ps)
	slices.SortStableFunc(ps, func(a, b purchase) int { return int(a.day - b.day) })
	var ids []string // dense customer → its id for the Builder
	at := make([]time.Time, len(ps))
	for i, p := range ps {
		for int(p.customer) >= len(ids) {
			ids = append(ids, strconv.Itoa(len(ids)))
		}
		at[i] = time.Date(int(p.day/10000), time.Month(p.day/100%100), int(p.day%100), 0, 0, 0, 0, time.UTC)
	}
	// Fed the same purchases in the same order up to each point, the
	// Builder lists customers in the order first seen, so customer row i
	// is the same person at every point that has it: stages[k][i] and
	// stages[k+1][i] are one customer's stage at two points.
	stages := make([][]int8, len(points))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), len(points)) {
		wg.Go(func() {
			for k := range next {
				pt := points[k]
				n, _ := slices.BinarySearchFunc(at, pt, func(a, t time.Time) int { return a.Compare(t.Add(time.Nanosecond)) })
				b := analytics.NewBuilder(pt, time.UTC)
				b.Grow(n, len(ids))
				for i := range n {
					b.Add(ids[ps[i].customer], at[i], ps[i].net, true)
				}
				c := b.Build()
				st := make([]int8, c.Len())
				for i, s := range analytics.Lifecycle(c, rules) {
					st[i] = int8(stageIndex(s))
				}
				stages[k] = st
			}
		})
	}
	for k := range points {
		next <- k
	}
	close(next)
	wg.Wait()

	out := &Flows{Rules: rules}
	for k, pt := range points {
		counts := make([]int64, len(LifecycleStages))
		for _, j := range stages[k] {
			counts[j]++
		}
		out.Points = append(out.Points, pt.Format(time.DateOnly))
		out.Counts = append(out.Counts, counts)
		if k == 0 {
			continue
		}
		step := FlowStep{From: out.Points[k-1], To: out.Points[k], Matrix: make([][]int64, len(LifecycleStages)+1)}
		for i := range step.Matrix {
			step.Matrix[i] = make([]int64, len(LifecycleStages))
		}
		prev := stages[k-1]
		for i, j := range stages[k] {
			from := 0 // not a customer yet
			if i < len(prev) {
				from = int(prev[i]) + 1
			}
			step.Matrix[from][j]++
		}
		out.Steps = append(out.Steps, step)
	}
	return out
}

// LifecycleRules returns the lifecycle thresholds the run applied, read
// back from its description (score.Result.Rules: "new ≤ 30 days, dormant >
// 90 days, churned > 180 days, loyal ≥ 4 purchase days (…)"), or an error
// when the description is not in that form.
func (r *Run) LifecycleRules() (analytics.LifecycleRules, error) {
	var lr analytics.LifecycleRules
	_, err := fmt.Sscanf(r.Rules, "new ≤ %d days, dormant > %d days, churned > %d days, loyal ≥ %d purchase days",
		&lr.NewDays, &lr.DormantDays, &lr.ChurnedDays, &lr.LoyalPurchaseDays)
	if err != nil {
		return lr, fmt.Errorf("report: the score run's lifecycle rules %q: %w", r.Rules, err)
	}
	return lr, nil
}

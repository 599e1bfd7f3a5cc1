package report

import (
	"reflect"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/analytics"
)

// A small shop, worked out by hand below.
//
//	c0  2025-01-10, 2025-02-10, 2025-03-10
//	c1  2025-01-20
//	c2  2025-03-05 twice (one purchase day)
//	c3  2024-11-15, 2025-03-20
//	c4  2024-09-01
var handShop = []purchase{
	{0, 20250110, 100}, {1, 20250120, 50}, {0, 20250210, 100}, {2, 20250305, 30}, {2, 20250305, 20},
	{0, 20250310, 100}, {3, 20241115, 80}, {3, 20250320, 80}, {4, 20240901, 10},
}

func TestRepeatByMonth(t *testing.T) {
	got := repeatByMonth(handShop)
	want := []RepeatMonth{
		{Month: "2024-09", Customers: 1, Returning: 0, Rate: 0},
		{Month: "2024-11", Customers: 1, Returning: 0, Rate: 0},
		{Month: "2025-01", Customers: 2, Returning: 0, Rate: 0},       // c0 and c1 both start
		{Month: "2025-02", Customers: 1, Returning: 1, Rate: 1},       // c0 again
		{Month: "2025-03", Customers: 3, Returning: 2, Rate: 2.0 / 3}, // c0 and c3 back, c2 new (twice the same day)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("repeatByMonth:\n got %+v\nwant %+v", got, want)
	}
	if got := repeatByMonth(nil); len(got) != 0 {
		t.Errorf("no purchases: %+v", got)
	}
}

func TestMonthEnds(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, c := range []struct {
		end    string
		months int
		want   []string
	}{
		{"2025-03-20", 2, []string{"2025-01-31", "2025-02-28", "2025-03-20"}},
		{"2025-06-30", 2, []string{"2025-04-30", "2025-05-31", "2025-06-30"}},
		{"2024-03-31", 1, []string{"2024-02-29", "2024-03-31"}},
		{"2025-01-05", 1, []string{"2024-12-31", "2025-01-05"}},
	} {
		var got []string
		for _, d := range monthEnds(day(c.end), c.months) {
			got = append(got, d.Format(time.DateOnly))
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("monthEnds(%s, %d) = %v, want %v", c.end, c.months, got, c.want)
		}
	}
}

// TestLifecycleFlows checks stages and moves against the hand-worked shop
// under new ≤ 30, dormant > 60, churned > 120 days, loyal ≥ 3 days:
//
//	at 2025-01-31  c0 new (21 days), c1 new (11), c3 dormant (77 days quiet), c4 churned (152)
//	at 2025-02-28  c0 active (2 days), c1 active (39 days since its only buy), c3 dormant (105), c4 churned
//	at 2025-03-20  c0 loyal (3 days), c1 active (59 ≤ 60), c2 new, c3 active (back, 2 days), c4 churned
func TestLifecycleFlows(t *testing.T) {
	rules := analytics.LifecycleRules{NewDays: 30, DormantDays: 60, ChurnedDays: 120, LoyalPurchaseDays: 3}
	end, _ := time.Parse(time.DateOnly, "2025-03-20")
	f := lifecycleFlows(handShop, rules, monthEnds(end, 2))
	if want := []string{"2025-01-31", "2025-02-28", "2025-03-20"}; !reflect.DeepEqual(f.Points, want) {
		t.Fatalf("points %v, want %v", f.Points, want)
	}
	// Columns: new, active, loyal, dormant, churned.
	wantCounts := [][]int64{{2, 0, 0, 1, 1}, {0, 2, 0, 1, 1}, {1, 2, 1, 0, 1}}
	if !reflect.DeepEqual(f.Counts, wantCounts) {
		t.Errorf("counts %v, want %v", f.Counts, wantCounts)
	}
	// Rows: none, new, active, loyal, dormant, churned.
	m := func(cells map[[2]int]int64) [][]int64 {
		out := make([][]int64, 6)
		for i := range out {
			out[i] = make([]int64, 5)
		}
		for k, v := range cells {
			out[k[0]][k[1]] = v
		}
		return out
	}
	wantSteps := []FlowStep{
		{From: "2025-01-31", To: "2025-02-28", Matrix: m(map[[2]int]int64{{1, 1}: 2, {4, 3}: 1, {5, 4}: 1})},
		{From: "2025-02-28", To: "2025-03-20", Matrix: m(map[[2]int]int64{{2, 2}: 1, {2, 1}: 1, {0, 0}: 1, {4, 1}: 1, {5, 4}: 1})},
	}
	if !reflect.DeepEqual(f.Steps, wantSteps) {
		t.Errorf("steps:\n got %+v\nwant %+v", f.Steps, wantSteps)
	}
	// Every customer at a point came from somewhere.
	for k, s := range f.Steps {
		var n, c int64
		for _, row := range s.Matrix {
			for _, v := range row {
				n += v
			}
		}
		for _, v := range f.Counts[k+1] {
			c += v
		}
		if n != c {
			t.Errorf("step %d moves %d customers, the point has %d", k, n, c)
		}
	}
}

func TestRunLifecycleRules(t *testing.T) {
	r := &Run{Rules: "new ≤ 30 days, dormant > 92 days, churned > 200 days, loyal ≥ 4 purchase days (from 1234 repeat buyers' mean days between purchases: …)"}
	got, err := r.LifecycleRules()
	if err != nil {
		t.Fatal(err)
	}
	if want := (analytics.LifecycleRules{NewDays: 30, DormantDays: 92, ChurnedDays: 200, LoyalPurchaseDays: 4}); got != want {
		t.Errorf("rules %+v, want %+v", got, want)
	}
	if _, err := (&Run{Rules: "something else"}).LifecycleRules(); err == nil {
		t.Error("an unreadable description gave no error")
	}
}

// BenchmarkLifecycleFlows works out twelve months of flows for a shop the
// size of the demo (20,000 customers, 60,000 purchases over two years),
// without the cache.
func BenchmarkLifecycleFlows(b *testing.B) {
	var ps []purchase
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 60000 {
		c := int32(i % 20000)
		d := start.AddDate(0, 0, (i*7919+int(c)*31)%730)
		ps = append(ps, purchase{customer: c, day: int32(d.Year()*10000 + int(d.Month())*100 + d.Day()), net: 1000})
	}
	rules := analytics.LifecycleRules{NewDays: 30, DormantDays: 90, ChurnedDays: 180, LoyalPurchaseDays: 4}
	points := monthEnds(time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC), 12)
	for b.Loop() {
		lifecycleFlows(ps, rules, points)
	}
}

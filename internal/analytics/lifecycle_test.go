package analytics

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// row is one hand-written customer summary: first and last purchase day,
// distinct purchase days and net spend.
type row struct {
	first, last, days int32
	money             int64
}

// customersOf builds Customers from rows as of day asOfDay.
func customersOf(asOfDay int32, rows ...row) *Customers {
	c := &Customers{AsOfDay: asOfDay}
	for i, r := range rows {
		c.IDs = append(c.IDs, "c"+strconv.Itoa(i))
		c.RecencyDays = append(c.RecencyDays, asOfDay-r.last)
		c.Frequency = append(c.Frequency, r.days)
		c.Monetary = append(c.Monetary, r.money)
		c.PurchaseDays = append(c.PurchaseDays, r.days)
		c.FirstDay = append(c.FirstDay, r.first)
		c.LastDay = append(c.LastDay, r.last)
	}
	return c
}

// repeatShop returns n repeat buyers, each with the given purchase days
// spread evenly over span days, ending on day 1000.
func repeatShop(n int, days, span int32) []row {
	rows := make([]row, n)
	for i := range rows {
		rows[i] = row{first: 1000 - span, last: 1000, days: days}
	}
	return rows
}

func TestDefaultLifecycleRulesFallback(t *testing.T) {
	want := LifecycleRules{NewDays: 30, DormantDays: 90, ChurnedDays: 180, LoyalPurchaseDays: 4}
	tests := []struct {
		name string
		c    *Customers
		msg  string
	}{
		{"empty", customersOf(1000), "only 0 repeat buyers"},
		{"one customer", customersOf(1000, row{900, 900, 1, 100}), "only 0 repeat buyers"},
		{"no repeat buyers", customersOf(1000, row{900, 900, 1, 100}, row{10, 10, 1, 5}), "only 0 repeat buyers"},
		{"29 repeat buyers", customersOf(1000, repeatShop(29, 3, 21)...), "only 29 repeat buyers (fewer than 30)"},
	}
	for _, tt := range tests {
		got, why := DefaultLifecycleRules(tt.c)
		if got != want {
			t.Errorf("%s: rules %+v, want %+v", tt.name, got, want)
		}
		if !strings.Contains(why, tt.msg) || !strings.Contains(why, "fixed defaults") {
			t.Errorf("%s: explanation %q lacks %q", tt.name, why, tt.msg)
		}
	}
}

func TestDefaultLifecycleRulesFromData(t *testing.T) {
	// Exactly 30 repeat buyers (the minimum), each 3 purchase days over 21
	// days: mean gap 10.5, rounded up to 11 for every percentile; churned is
	// raised to 2 × 11; loyal is P90 = 3, also the floor.
	rows := append(repeatShop(30, 3, 21), row{995, 995, 1, 0}) // a one-time buyer does not count
	got, why := DefaultLifecycleRules(customersOf(1000, rows...))
	want := LifecycleRules{NewDays: 30, DormantDays: 11, ChurnedDays: 22, LoyalPurchaseDays: 3}
	if got != want {
		t.Errorf("rules %+v, want %+v", got, want)
	}
	if !strings.HasPrefix(why, "from 30 repeat buyers") {
		t.Errorf("explanation %q", why)
	}

	// 40 repeat buyers: 35 with gap 10 over 2 purchase days, then 5 with gap
	// 100 over 7 purchase days. P75 is rank 30 (10), P95 rank 38 (100), P90
	// of purchase days rank 36 (7).
	rows = append(repeatShop(35, 2, 10), repeatShop(5, 7, 600)...)
	got, _ = DefaultLifecycleRules(customersOf(1000, rows...))
	want = LifecycleRules{NewDays: 30, DormantDays: 10, ChurnedDays: 100, LoyalPurchaseDays: 7}
	if got != want {
		t.Errorf("skewed shop: rules %+v, want %+v", got, want)
	}
}

func TestLifecycle(t *testing.T) {
	rules := LifecycleRules{NewDays: 30, DormantDays: 60, ChurnedDays: 120, LoyalPurchaseDays: 4}
	tests := []struct {
		name string
		r    row
		want Stage
	}{
		{"churned beats loyal", row{100, 879, 10, 0}, StageChurned}, // recency 121
		{"recency at churned threshold", row{100, 880, 10, 0}, StageDormant},
		{"dormant", row{100, 939, 2, 0}, StageDormant}, // recency 61
		{"recency at dormant threshold", row{100, 940, 2, 0}, StageActive},
		{"dormant beats new", row{939, 939, 1, 0}, StageDormant},
		{"new at threshold", row{970, 970, 1, 0}, StageNew}, // first 30 days ago
		{"new today", row{1000, 1000, 1, 0}, StageNew},
		{"one purchase day, not recent enough for new", row{969, 969, 1, 0}, StageActive},
		{"two purchase days is not new", row{990, 995, 2, 0}, StageActive},
		{"loyal at threshold", row{500, 990, 4, 0}, StageLoyal},
		{"below loyal", row{500, 990, 3, 0}, StageActive},
	}
	rows := make([]row, len(tests))
	for i, tt := range tests {
		rows[i] = tt.r
	}
	got := Lifecycle(customersOf(1000, rows...), rules)
	for i, tt := range tests {
		if got[i] != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got[i].NameEN(), tt.want.NameEN())
		}
	}
	if got := Lifecycle(customersOf(1000), rules); len(got) != 0 {
		t.Errorf("empty: %v", got)
	}
}

func TestStageNames(t *testing.T) {
	var zh, en []string
	for _, s := range Stages {
		zh = append(zh, s.NameZH())
		en = append(en, s.NameEN())
	}
	if want := []string{"新客户", "活跃客户", "沉睡客户", "流失客户", "忠诚客户"}; !slices.Equal(zh, want) {
		t.Errorf("zh %v", zh)
	}
	if want := []string{"New", "Active", "Dormant", "Churned", "Loyal"}; !slices.Equal(en, want) {
		t.Errorf("en %v", en)
	}
}

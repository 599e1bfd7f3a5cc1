package analytics

import (
	"fmt"
	"math"
	"slices"
)

// Stage is a customer's lifecycle stage (客户生命周期阶段).
type Stage uint8

// The lifecycle stages.
const (
	StageNew     Stage = iota // 新客户: first and only purchase day recent
	StageActive               // 活跃客户: buying within the shop's usual rhythm
	StageDormant              // 沉睡客户: quiet for longer than most customers' gap
	StageChurned              // 流失客户: quiet for far longer than most customers' gap
	StageLoyal                // 忠诚客户: recent and among the shop's most frequent buyers
)

var stageNames = [...][2]string{
	StageNew:     {"新客户", "New"},
	StageActive:  {"活跃客户", "Active"},
	StageDormant: {"沉睡客户", "Dormant"},
	StageChurned: {"流失客户", "Churned"},
	StageLoyal:   {"忠诚客户", "Loyal"},
}

// Stages is every lifecycle stage in declaration order.
var Stages = []Stage{StageNew, StageActive, StageDormant, StageChurned, StageLoyal}

// NameZH returns the stage's zh-CN name.
func (s Stage) NameZH() string { return stageNames[s][0] }

// NameEN returns the stage's English name.
func (s Stage) NameEN() string { return stageNames[s][1] }

// LifecycleRules are the thresholds Lifecycle applies, in whole days and
// distinct purchase days.
type LifecycleRules struct {
	NewDays           int // new: first purchase at most this many days before the as-of date
	DormantDays       int // dormant: recency greater than this
	ChurnedDays       int // churned: recency greater than this
	LoyalPurchaseDays int // loyal: at least this many distinct purchase days
}

// The rules DefaultLifecycleRules falls back to when a shop has fewer than
// minRepeatBuyers repeat buyers to learn from.
const (
	minRepeatBuyers       = 30
	defaultNewDays        = 30
	fallbackDormantDays   = 90
	fallbackChurnedDays   = 180
	fallbackLoyalPurchase = 4
	minLoyalPurchaseDays  = 3
)

// DefaultLifecycleRules derives lifecycle thresholds from the shop's own
// rhythm of repeat purchases, and says in English how it did so.
//
// A repeat buyer (two or more distinct purchase days) has the mean gap
// (LastDay − FirstDay) / (PurchaseDays − 1) days. Over the repeat buyers,
// with nearest-rank percentiles (the value at rank ⌈p·n/100⌉ of the sorted
// values) and gaps rounded up to whole days:
//
//	DormantDays       = P75 of the mean gaps
//	ChurnedDays       = max(P95 of the mean gaps, 2 × DormantDays)
//	LoyalPurchaseDays = max(P90 of PurchaseDays, 3)
//	NewDays           = 30
//
// With fewer than 30 repeat buyers (including an empty c) it returns the
// fixed rules 90 / 180 days, loyal from 4 purchase days, new within 30 days,
// and the explanation says so. It never fails.
func DefaultLifecycleRules(c *Customers) (LifecycleRules, string) {
	gaps, days := repeatGaps(c)
	if len(gaps) < minRepeatBuyers {
		r := LifecycleRules{
			NewDays:           defaultNewDays,
			DormantDays:       fallbackDormantDays,
			ChurnedDays:       fallbackChurnedDays,
			LoyalPurchaseDays: fallbackLoyalPurchase,
		}
		return r, fmt.Sprintf("only %d repeat buyers (fewer than %d), so fixed defaults: "+
			"dormant after %d days, churned after %d days, loyal from %d purchase days, new within %d days",
			len(gaps), minRepeatBuyers, r.DormantDays, r.ChurnedDays, r.LoyalPurchaseDays, r.NewDays)
	}
	slices.Sort(gaps)
	slices.Sort(days)
	p75 := int(math.Ceil(NearestRank(gaps, 75)))
	p95 := int(math.Ceil(NearestRank(gaps, 95)))
	p90 := int(NearestRank(days, 90))
	r := LifecycleRules{
		NewDays:           defaultNewDays,
		DormantDays:       p75,
		ChurnedDays:       max(p95, 2*p75),
		LoyalPurchaseDays: max(p90, minLoyalPurchaseDays),
	}
	return r, fmt.Sprintf("from %d repeat buyers' mean days between purchases: "+
		"75th percentile %d → dormant after %d days; 95th percentile %d → churned after %d days (at least twice dormant); "+
		"90th percentile of purchase days %d → loyal from %d purchase days (at least %d); new within %d days",
		len(gaps), p75, r.DormantDays, p95, r.ChurnedDays, p90, r.LoyalPurchaseDays, minLoyalPurchaseDays, r.NewDays)
}

// Lifecycle returns every customer's stage under rules. The first rule that
// matches wins:
//
//  1. churned: RecencyDays > ChurnedDays
//  2. dormant: RecencyDays > DormantDays
//  3. new:     AsOfDay − FirstDay ≤ NewDays and PurchaseDays = 1
//  4. loyal:   PurchaseDays ≥ LoyalPurchaseDays
//  5. active:  everyone else
//
// So a frequent buyer who has gone quiet is dormant or churned, not loyal,
// and a value exactly at a threshold does not cross it.
func Lifecycle(c *Customers, rules LifecycleRules) []Stage {
	n := c.Len()
	out := make([]Stage, n)
	for i := range n {
		rec := int(c.RecencyDays[i])
		switch {
		case rec > rules.ChurnedDays:
			out[i] = StageChurned
		case rec > rules.DormantDays:
			out[i] = StageDormant
		case int(c.AsOfDay-c.FirstDay[i]) <= rules.NewDays && c.PurchaseDays[i] == 1:
			out[i] = StageNew
		case int(c.PurchaseDays[i]) >= rules.LoyalPurchaseDays:
			out[i] = StageLoyal
		default:
			out[i] = StageActive
		}
	}
	return out
}

// meanGap returns customer i's mean days between distinct purchase days, and
// false for a one-time buyer.
func meanGap(c *Customers, i int) (float64, bool) {
	if c.PurchaseDays[i] < 2 {
		return 0, false
	}
	return float64(c.LastDay[i]-c.FirstDay[i]) / float64(c.PurchaseDays[i]-1), true
}

// repeatGaps returns the mean gap and the purchase days of every repeat
// buyer, in customer order.
func repeatGaps(c *Customers) (gaps, days []float64) {
	for i := range c.Len() {
		if g, ok := meanGap(c, i); ok {
			gaps = append(gaps, g)
			days = append(days, float64(c.PurchaseDays[i]))
		}
	}
	return gaps, days
}

// median returns the median of sorted (non-empty), the mean of the middle
// two for an even count.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

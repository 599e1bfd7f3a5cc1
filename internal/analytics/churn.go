package analytics

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// ChurnBand is a customer's churn risk band (流失风险).
type ChurnBand uint8

// The churn risk bands.
const (
	ChurnLow    ChurnBand = iota // 低
	ChurnMedium                  // 中
	ChurnHigh                    // 高
)

var churnBandNames = [...][2]string{
	ChurnLow:    {"低", "Low"},
	ChurnMedium: {"中", "Medium"},
	ChurnHigh:   {"高", "High"},
}

// ChurnBands is every churn risk band in declaration order.
var ChurnBands = []ChurnBand{ChurnLow, ChurnMedium, ChurnHigh}

// NameZH returns the band's zh-CN name.
func (b ChurnBand) NameZH() string { return churnBandNames[b][0] }

// NameEN returns the band's English name.
func (b ChurnBand) NameEN() string { return churnBandNames[b][1] }

// ChurnRisk is a customer's churn risk band and a one-line reason for it, in
// zh-CN and English.
type ChurnRisk struct {
	Band     ChurnBand
	ReasonZH string
	ReasonEN string
}

// The churn thresholds: on P(alive), and on recency as a multiple of the
// usual gap between purchases.
const (
	pAliveHigh   = 0.3 // P(alive) below this: high
	pAliveMedium = 0.7 // below this: medium
	gapHigh      = 3.0 // recency above 3 × gap: high
	gapMedium    = 1.5 // above 1.5 × gap: medium
	// fallbackGapDays stands in for the shop's median gap when it has no
	// repeat buyers; 1.5× and 3× it are the fallback lifecycle rules'
	// dormant and churned days.
	fallbackGapDays = 60
)

// Churn returns every customer's churn risk.
//
// With pAlive (each customer's probability of still being active, e.g. from
// the BG/NBD model, indexed like c), the band is high when P(alive) < 0.3,
// medium when < 0.7, else low. Where pAlive is nil, or a customer's value is
// NaN or outside [0, 1], the band comes from recency against the customer's
// usual gap between purchases: high when RecencyDays > 3 × gap, medium when
// > 1.5 × gap, else low (a recency exactly at a threshold does not cross
// it). A repeat buyer's gap is their own mean days between distinct purchase
// days; a one-time buyer's is the shop's median of those means, or 60 days
// when the shop has no repeat buyers.
//
// Reasons state the facts behind the band, with gaps rounded to whole days
// and P(alive) to two decimals, for example
//
//	last bought 143 days ago; usually buys every 31 days; P(alive) 0.18
//	最近一次购买在143天前；通常每31天购买一次；存活概率0.18
//	bought once, 143 days ago; this shop's customers usually come back within 45 days
//	只购买过一次，在143天前；本店客户通常在45天内回购
//
// Churn panics if pAlive is not nil and its length differs from c.Len().
func Churn(c *Customers, pAlive []float64) []ChurnRisk {
	n := c.Len()
	if pAlive != nil && len(pAlive) != n {
		panic(fmt.Sprintf("analytics: Churn: %d P(alive) values for %d customers", len(pAlive), n))
	}
	gaps, _ := repeatGaps(c)
	shopGap, haveShopGap := float64(fallbackGapDays), false
	if len(gaps) > 0 {
		slices.Sort(gaps)
		shopGap, haveShopGap = median(gaps), true
	}
	out := make([]ChurnRisk, n)
	for i := range n {
		rec := int(c.RecencyDays[i])
		gap, repeat := meanGap(c, i)
		var zh, en string
		switch {
		case repeat:
			zh = "最近一次购买在" + agoZH(rec) + "；通常每" + strconv.Itoa(roundDays(gap)) + "天购买一次"
			en = "last bought " + agoEN(rec) + "; usually buys every " + daysEN(roundDays(gap))
		case haveShopGap:
			gap = shopGap
			zh = "只购买过一次，在" + agoZH(rec) + "；本店客户通常在" + strconv.Itoa(roundDays(gap)) + "天内回购"
			en = "bought once, " + agoEN(rec) + "; this shop's customers usually come back within " + daysEN(roundDays(gap))
		default:
			gap = shopGap
			zh = "只购买过一次，在" + agoZH(rec) + "；本店尚无回头客"
			en = "bought once, " + agoEN(rec) + "; this shop has no repeat buyers yet"
		}
		var band ChurnBand
		if pAlive != nil && pAlive[i] >= 0 && pAlive[i] <= 1 { // false for NaN
			p := pAlive[i]
			switch {
			case p < pAliveHigh:
				band = ChurnHigh
			case p < pAliveMedium:
				band = ChurnMedium
			}
			ps := strconv.FormatFloat(p, 'f', 2, 64)
			zh += "；存活概率" + ps
			en += "; P(alive) " + ps
		} else {
			switch r := float64(rec); {
			case r > gapHigh*gap:
				band = ChurnHigh
			case r > gapMedium*gap:
				band = ChurnMedium
			}
		}
		out[i] = ChurnRisk{Band: band, ReasonZH: zh, ReasonEN: en}
	}
	return out
}

func roundDays(d float64) int { return int(math.Round(d)) }

func daysEN(n int) string {
	if n == 1 {
		return "1 day"
	}
	return strconv.Itoa(n) + " days"
}

func agoEN(days int) string {
	if days == 0 {
		return "today"
	}
	return daysEN(days) + " ago"
}

func agoZH(days int) string {
	if days == 0 {
		return "今天"
	}
	return strconv.Itoa(days) + "天前"
}

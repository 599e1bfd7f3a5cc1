package analytics

import (
	"cmp"
	"math/bits"
	"slices"
)

// Tier is a customer's value tier by the 80/20 principle (客户价值分层).
type Tier uint8

// The value tiers.
const (
	TierKey      Tier = iota // 重要客户: the few customers who bring most revenue
	TierOrdinary             // 普通客户: the middle
	TierSmall                // 小客户: the many who together bring the last 5%
)

var tierNames = [...][2]string{
	TierKey:      {"重要客户", "Key"},
	TierOrdinary: {"普通客户", "Ordinary"},
	TierSmall:    {"小客户", "Small"},
}

// AllTiers is every value tier in declaration order.
var AllTiers = []Tier{TierKey, TierOrdinary, TierSmall}

// NameZH returns the tier's zh-CN name.
func (t Tier) NameZH() string { return tierNames[t][0] }

// NameEN returns the tier's English name.
func (t Tier) NameEN() string { return tierNames[t][1] }

// Tiers returns every customer's value tier. Revenue is Monetary, counted as
// zero where it is negative; customers are ranked by it, highest first, and
// customers with equal Monetary always share a tier (they move as a group).
//
//   - Key: from the top, the smallest group of customers whose revenue
//     reaches 80% of the shop's — a group is key while the revenue ranked
//     above it is below 80% — but never more than the top 20% of customers
//     (at least one: max(1, ⌊n/5⌋)). A tie group that would cross that cap
//     is not key, and neither is anyone below it.
//   - Small: from the bottom, the largest group of customers whose revenue
//     together is at most 5% of the shop's (so customers with no revenue are
//     small).
//   - Ordinary: everyone else.
//
// The two rules cannot overlap: a key group has over 20% of revenue at or
// below it. A shop with no revenue at all is all ordinary.
func Tiers(c *Customers) []Tier {
	n := c.Len()
	out := make([]Tier, n)
	for i := range out {
		out[i] = TierOrdinary
	}
	order, total := rankByRevenue(c)
	if total == 0 {
		return out
	}
	keyCap := max(1, n/5)
	var above uint64
	for lo := 0; lo < n; {
		hi := lo + 1
		for hi < n && c.Monetary[order[hi]] == c.Monetary[order[lo]] {
			hi++
		}
		if hi > keyCap || !fracLess(above, total, 4, 5) {
			break
		}
		for _, i := range order[lo:hi] {
			out[i] = TierKey
			above += revenue(c, i)
		}
		lo = hi
	}
	var tail uint64
	for hi := n; hi > 0; {
		lo := hi - 1
		for lo > 0 && c.Monetary[order[lo-1]] == c.Monetary[order[hi-1]] {
			lo--
		}
		for _, i := range order[lo:hi] {
			tail += revenue(c, i)
		}
		if fracLess(1, 20, tail, total) { // tail/total > 1/20
			break
		}
		for _, i := range order[lo:hi] {
			out[i] = TierSmall
		}
		hi = lo
	}
	return out
}

// CurvePoint is a point of the Pareto (cumulative revenue) curve: the top
// CustomerShare of customers by revenue bring RevenueShare of it. Both are
// fractions in [0, 1].
type CurvePoint struct {
	CustomerShare float64
	RevenueShare  float64
}

// ParetoCurve returns points+1 points of the Pareto curve, at customer shares
// 0, 1/points, …, 1: the first is (0, 0) and the last exactly (1, 1).
// Revenue is ranked as in Tiers; a share that falls inside a customer counts
// that fraction of the customer's revenue, so the curve is concave and never
// decreasing. With no revenue at all the curve is the diagonal. It returns
// nil when c has no customers or points < 1.
func ParetoCurve(c *Customers, points int) []CurvePoint {
	n := c.Len()
	if n == 0 || points < 1 {
		return nil
	}
	order, total := rankByRevenue(c)
	cum := make([]uint64, n+1) // cum[j]: revenue of the top j customers
	for j, i := range order {
		cum[j+1] = cum[j] + revenue(c, i)
	}
	out := make([]CurvePoint, points+1)
	for k := range points + 1 {
		x := float64(k) / float64(points)
		y := x
		if total > 0 {
			// The top k·n/points customers: j whole ones and a fraction of the next.
			j, rem := k*n/points, k*n%points
			got := float64(cum[j])
			if rem > 0 {
				got += float64(rem) / float64(points) * float64(revenue(c, order[j]))
			}
			y = got / float64(total)
		}
		out[k] = CurvePoint{CustomerShare: x, RevenueShare: y}
	}
	out[points] = CurvePoint{CustomerShare: 1, RevenueShare: 1}
	return out
}

// revenue returns customer i's Monetary, or 0 where it is negative.
func revenue(c *Customers, i int) uint64 { return uint64(max(c.Monetary[i], 0)) }

// rankByRevenue returns the customer indices by Monetary descending, ties in
// customer order, and the shop's total revenue.
func rankByRevenue(c *Customers) ([]int, uint64) {
	order := make([]int, c.Len())
	var total uint64
	for i := range order {
		order[i] = i
		total += revenue(c, i)
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(c.Monetary[b], c.Monetary[a]) })
	return order, total
}

// fracLess reports whether a/b < num/den, exactly (b, den > 0).
func fracLess(a, b, num, den uint64) bool {
	h1, l1 := bits.Mul64(a, den)
	h2, l2 := bits.Mul64(num, b)
	return h1 < h2 || h1 == h2 && l1 < l2
}

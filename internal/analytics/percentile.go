package analytics

// NearestRank returns the pct-th percentile (0 < pct ≤ 100) of sorted, an
// ascending list, by the nearest-rank method: the value at 1-based rank
// ⌈pct·n/100⌉, worked out in integers so 90% of 10 is the 9th value and
// not, by a rounding error, the 10th. An empty list gives the zero value.
// The lifecycle rules, the complaint analytics' step times and the
// scorecard's response and resolution times all read percentiles this way.
func NearestRank[T ~int64 | ~float64](sorted []T, pct int) T {
	if len(sorted) == 0 {
		var zero T
		return zero
	}
	rank := max((pct*len(sorted)+99)/100, 1)
	return sorted[rank-1]
}

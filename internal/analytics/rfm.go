package analytics

import (
	"cmp"
	"slices"
	"sync"
)

// Scores are RFM scores, 1 to 5, one per customer, aligned with Customers.IDs.
type Scores struct {
	R, F, M []uint8
}

// RFM scores every customer by the RFM contract of DESIGN.md: rank quintiles
// that keep ties together. With N customers and RANK() the 1-based SQL rank
// (ties share the lowest rank),
//
//	f = 1 + floor(5 * (RANK() OVER (ORDER BY frequency) - 1) / N)
//
// likewise m over monetary, and r over recency_days in descending order, so
// the most recent customers score 5. A shop of one customer scores 1, 1, 1.
// The three dimensions are ranked concurrently; each is a counting pass when
// its values span a small range (recency, frequency) and an O(N log N) sort
// otherwise.
func RFM(c *Customers) Scores {
	n := c.Len()
	s := Scores{R: make([]uint8, n), F: make([]uint8, n), M: make([]uint8, n)}
	if n == 0 {
		return s
	}
	var wg sync.WaitGroup
	wg.Go(func() { quintiles(c.RecencyDays, true, s.R) })
	wg.Go(func() { quintiles(c.Frequency, false, s.F) })
	quintiles(c.Monetary, false, s.M)
	wg.Wait()
	return s
}

// quintiles writes 1 + floor(5*(rank-1)/N) for each value to out, rank being
// the 1-based rank with ties at their lowest, in ascending order of vals or
// descending when desc.
func quintiles[T int32 | int64](vals []T, desc bool, out []uint8) {
	n := len(vals)
	if n == 0 {
		return
	}
	lo, hi := vals[0], vals[0]
	for _, v := range vals {
		lo, hi = min(lo, v), max(hi, v)
	}
	score := func(below int) uint8 { return uint8(1 + 5*uint64(below)/uint64(n)) }
	// Counting ranks: below[v] = number of values strictly before v in the
	// ranking order. Worth it when the range is not much wider than N.
	if span := uint64(int64(hi) - int64(lo)); span < uint64(4*n+1024) && int64(hi)-int64(lo) >= 0 {
		counts := make([]int32, span+1)
		for _, v := range vals {
			counts[int64(v)-int64(lo)]++
		}
		acc := int32(0)
		if desc {
			for k := len(counts) - 1; k >= 0; k-- {
				acc, counts[k] = acc+counts[k], acc
			}
		} else {
			for k := range counts {
				acc, counts[k] = acc+counts[k], acc
			}
		}
		for i, v := range vals {
			out[i] = score(int(counts[int64(v)-int64(lo)]))
		}
		return
	}
	type kv struct {
		key int64
		i   int32
	}
	order := make([]kv, n)
	for i, v := range vals {
		k := int64(v)
		if desc {
			k = ^k // order-reversing without overflow
		}
		order[i] = kv{k, int32(i)}
	}
	slices.SortFunc(order, func(a, b kv) int { return cmp.Compare(a.key, b.key) })
	start := 0
	for p := range order {
		if order[p].key != order[start].key {
			start = p
		}
		out[order[p].i] = score(start)
	}
}

package clv

import (
	"math"
	"math/bits"
)

// Compression of purchase histories. Customers with the same (x, t_x, T)
// contribute identical likelihood terms, so the purchase-count models are
// fitted on the distinct triples, each weighted by its number of customers.
// Guanxi computes t_x and T as whole days / 7, so real data has few distinct
// triples; data with continuous times does not compress and is fitted as is.

// weighted is a data set of distinct histories with customer counts.
type weighted struct {
	Data
	W []float64 // customers per history; nil means one each
	N float64   // total customers
}

func unweighted(d Data) weighted { return weighted{Data: d, N: float64(len(d.X))} }

// weight returns the number of customers of history i.
func (w weighted) weight(i int) float64 {
	if w.W == nil {
		return 1
	}
	return w.W[i]
}

// compress returns the distinct histories of d with their counts, or d
// itself with unit weights when it does not compress to at most 3/4 of its
// size.
func compress(d Data) weighted {
	n := len(d.X)
	if n < 64 {
		return unweighted(d)
	}
	keys, cols, ok := gridKeys(d)
	if !ok {
		keys, cols, ok = mapKeys(d)
		if !ok {
			return unweighted(d)
		}
	}
	var digits []digit
	for j := range cols {
		digits = append(digits, cols[j].digits(uint(j)*fieldBits)...)
	}
	keys = radixSort(keys, digits)
	u := 1
	for i := 1; i < n; i++ {
		if keys[i] != keys[i-1] {
			u++
		}
	}
	if u > n*3/4 {
		return unweighted(d)
	}
	out := weighted{Data: Data{X: make([]float64, 0, u), Tx: make([]float64, 0, u), T: make([]float64, 0, u)}, W: make([]float64, 0, u), N: float64(n)}
	const mask = 1<<fieldBits - 1
	for i := 0; i < n; {
		k := keys[i]
		j := i + 1
		for j < n && keys[j] == k {
			j++
		}
		out.X = append(out.X, cols[0].value(k&mask))
		out.Tx = append(out.Tx, cols[1].value(k>>fieldBits&mask))
		out.T = append(out.T, cols[2].value(k>>(2*fieldBits)))
		out.W = append(out.W, float64(j-i))
		i = j
	}
	return out
}

// Keys pack the ids of (x, t_x, T) in three fields of fieldBits bits.
const fieldBits = 20

// gridKeys builds the keys when x is a whole number and t_x and T are whole
// days (k/7 exactly, as Guanxi computes them); all ids below 1<<fieldBits.
func gridKeys(d Data) ([]uint64, [3]column, bool) {
	cols := [3]column{{scale: 1}, {scale: 7}, {scale: 7}}
	const lim = 1 << fieldBits
	// T first: with continuous times it fails on the first customer.
	var hx, htx, hT float64
	if T := d.T[0]; math.Round(T*7)/7 != T {
		return nil, cols, false // before allocating
	}
	keys := make([]uint64, len(d.X))
	for i := range keys {
		x, tx, T := d.X[i], d.Tx[i], d.T[i]
		kT := math.Round(T * 7)
		ktx := math.Round(tx * 7)
		kx := math.Round(x)
		if !(kT < lim && kT/7 == T && ktx < lim && ktx/7 == tx && kx < lim && kx == x) {
			return nil, cols, false
		}
		hx, htx, hT = max(hx, kx), max(htx, ktx), max(hT, kT)
		keys[i] = uint64(kT)<<(2*fieldBits) | uint64(ktx)<<fieldBits | uint64(kx)
	}
	cols[0].card, cols[1].card, cols[2].card = uint32(hx)+1, uint32(htx)+1, uint32(hT)+1
	return keys, cols, true
}

// mapKeys builds the keys by numbering the distinct values of each column,
// giving up when a column has more than min(n/4, 1<<14) of them.
func mapKeys(d Data) ([]uint64, [3]column, bool) {
	var cols [3]column
	for _, j := range [3]int{2, 1, 0} {
		c, ok := encode([3][]float64{d.X, d.Tx, d.T}[j], len(d.X))
		if !ok {
			return nil, cols, false
		}
		cols[j] = c
	}
	keys := make([]uint64, len(d.X))
	for i := range keys {
		keys[i] = uint64(cols[2].id[i])<<(2*fieldBits) | uint64(cols[1].id[i])<<fieldBits | uint64(cols[0].id[i])
	}
	for j := range cols {
		cols[j].id = nil
	}
	return keys, cols, true
}

// digit is a range of key bits sorted in one radix pass.
type digit struct{ shift, width uint }

// digits returns the radix passes for a column whose ids start at bit shift.
func (c column) digits(shift uint) []digit {
	const maxWidth = 11
	var ds []digit
	for w := uint(bits.Len32(c.card - 1)); w > 0; {
		dw := min(w, maxWidth)
		ds = append(ds, digit{shift, dw})
		shift += dw
		w -= dw
	}
	return ds
}

// column is one column recoded as small integer ids: either v·scale when
// every value is an exact multiple of 1/scale (grid), or the index of the
// value in vals.
type column struct {
	id    []uint32
	card  uint32 // ids are below card
	scale float64
	vals  []float64 // nil on the grid
}

func (c column) value(id uint64) float64 {
	if c.vals == nil {
		return float64(id) / c.scale
	}
	return c.vals[id]
}

// encode numbers the distinct values of v in order of appearance, giving up
// when there are more than min(n/4, 1<<14).
func encode(v []float64, n int) (column, bool) {
	maxDistinct := min(n/4, 1<<14)
	c := column{id: make([]uint32, len(v))}
	seen := make(map[uint64]uint32)
	for i, x := range v {
		b := math.Float64bits(x)
		if x == 0 {
			b = 0 // -0 and +0 give the same terms
		}
		k, ok := seen[b]
		if !ok {
			if len(seen) >= maxDistinct {
				return column{}, false
			}
			k = uint32(len(c.vals))
			seen[b] = k
			c.vals = append(c.vals, x)
		}
		c.id[i] = k
	}
	c.card = max(uint32(len(c.vals)), 1)
	return c, true
}

// radixSort sorts keys by the given digits, least significant first,
// reusing keys or a buffer of the same size, and returns the sorted slice.
// Key bits outside the digits must be zero.
func radixSort(keys []uint64, digits []digit) []uint64 {
	buf := make([]uint64, len(keys))
	var count [1 << 11]int
	for _, dg := range digits {
		mask := uint64(1)<<dg.width - 1
		cnt := count[:1<<dg.width]
		clear(cnt)
		for _, k := range keys {
			cnt[k>>dg.shift&mask]++
		}
		sum := 0
		for i, c := range cnt {
			cnt[i] = sum
			sum += c
		}
		for _, k := range keys {
			b := k >> dg.shift & mask
			buf[cnt[b]] = k
			cnt[b]++
		}
		keys, buf = buf, keys
	}
	return keys
}

// subsampleSize is the number of histories above which fits start from a
// fit to a subsample of about that many histories.
const subsampleSize = 50000

// subsample returns every k-th history of w, with k chosen to keep about
// size of them, and false when w has fewer than 4·size histories.
func (w weighted) subsample(size int) (weighted, bool) {
	n := len(w.X)
	if n < 4*size {
		return weighted{}, false
	}
	k := n / size
	m := (n + k - 1) / k
	s := weighted{Data: Data{X: make([]float64, 0, m), Tx: make([]float64, 0, m), T: make([]float64, 0, m)}, W: make([]float64, 0, m)}
	for i := 0; i < n; i += k {
		s.X = append(s.X, w.X[i])
		s.Tx = append(s.Tx, w.Tx[i])
		s.T = append(s.T, w.T[i])
		c := w.weight(i)
		s.W = append(s.W, c)
		s.N += c
	}
	return s, true
}

package clv

import (
	"math"

	"github.com/guanxi-crm/guanxi"
)

// Data holds one customer per index in columns: X is the number of repeat
// purchase days, Tx the time of the last purchase since the first and T the
// time from the first purchase to the as-of date, both in weeks.
type Data struct {
	X, Tx, T []float64
}

// Len returns the number of customers.
func (d Data) Len() int { return len(d.X) }

// Spend holds the customers with at least one repeat purchase day: X is their
// number of repeat purchase days and M their mean spend per repeat purchase
// day, the first purchase day excluded.
type Spend struct {
	X []float64
	M []float64
}

// Thresholds used by Sufficiency. Below them a fit may still succeed, but the
// parameters are too uncertain to rank customers by: BG/NBD and Pareto/NBD
// have four parameters, two of which (dropout) are identified only by repeat
// buyers who stopped buying, which takes both many repeat buyers and a history
// several times longer than a typical inter-purchase time.
const (
	MinCustomers    = 500  // customers with a first purchase before the as-of date
	MinRepeatBuyers = 100  // customers with at least one repeat purchase day
	MinHistoryWeeks = 26.0 // longest T, i.e. weeks from the earliest first purchase to as-of
)

// SufficiencyReport says how much data a model would be fitted on and
// whether it is enough by the thresholds MinCustomers, MinRepeatBuyers and
// MinHistoryWeeks.
type SufficiencyReport struct {
	Customers    int
	RepeatBuyers int
	HistoryWeeks float64 // the longest T
	Enough       bool
	Reason       string // why it is not enough; empty when Enough
}

// Sufficiency reports the size of d against the documented thresholds. It
// does not validate d; fit functions do.
func Sufficiency(d Data) SufficiencyReport {
	rep := SufficiencyReport{Customers: len(d.X)}
	for i, x := range d.X {
		if x > 0 {
			rep.RepeatBuyers++
		}
		if i < len(d.T) && d.T[i] > rep.HistoryWeeks {
			rep.HistoryWeeks = d.T[i]
		}
	}
	switch {
	case rep.Customers < MinCustomers:
		rep.Reason = guanxi.Errorf(guanxi.EINVALID, "need at least %d customers, have %d", MinCustomers, rep.Customers).Message
	case rep.RepeatBuyers < MinRepeatBuyers:
		rep.Reason = guanxi.Errorf(guanxi.EINVALID, "need at least %d repeat buyers, have %d of %d customers", MinRepeatBuyers, rep.RepeatBuyers, rep.Customers).Message
	case rep.HistoryWeeks < MinHistoryWeeks:
		rep.Reason = guanxi.Errorf(guanxi.EINVALID, "need at least %g weeks of history, have %.1f", MinHistoryWeeks, rep.HistoryWeeks).Message
	default:
		rep.Enough = true
	}
	return rep
}

// validate checks shapes and ranges, and that a purchase-count model can be
// identified at all; it returns the number of repeat buyers.
func (d Data) validate(model string) (int, error) {
	n := len(d.X)
	if len(d.Tx) != n || len(d.T) != n {
		return 0, guanxi.Errorf(guanxi.EINVALID, "%s: columns differ in length: x %d, t_x %d, T %d", model, n, len(d.Tx), len(d.T))
	}
	if n == 0 {
		return 0, guanxi.Errorf(guanxi.EINVALID, "%s: the model needs customers: got none", model)
	}
	repeat := 0
	maxT := 0.0
	for i := range n {
		x, tx, T := d.X[i], d.Tx[i], d.T[i]
		if !finite(x) || !finite(tx) || !finite(T) {
			return 0, guanxi.Errorf(guanxi.EINVALID, "%s: customer %d: non-finite value (x %g, t_x %g, T %g)", model, i, x, tx, T)
		}
		if x < 0 || tx < 0 || T < 0 {
			return 0, guanxi.Errorf(guanxi.EINVALID, "%s: customer %d: negative value (x %g, t_x %g, T %g)", model, i, x, tx, T)
		}
		if tx > T {
			return 0, guanxi.Errorf(guanxi.EINVALID, "%s: customer %d: t_x %g is after T %g", model, i, tx, T)
		}
		if x > 0 {
			repeat++
		}
		maxT = max(maxT, T)
	}
	if n < 2 {
		return 0, guanxi.Errorf(guanxi.EINVALID, "%s: the model needs at least 2 customers: got %d", model, n)
	}
	if repeat == 0 {
		return 0, guanxi.Errorf(guanxi.EINVALID, "%s: the model needs repeat buyers: 0 of %d customers bought twice", model, n)
	}
	if maxT == 0 {
		return 0, guanxi.Errorf(guanxi.EINVALID, "%s: the model needs purchase history: T is 0 weeks for all %d customers", model, n)
	}
	return repeat, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// groups maps each customer to the index of its distinct x value, so that
// terms depending on x alone (lgamma, digamma) are computed once per value.
type groups struct {
	xs  []float64 // distinct values
	cnt []float64 // customers per value
	idx []int32   // value index per customer
}

func groupX(x []float64) groups { return groupXW(x, nil) }

// groupXW is groupX with cnt summing the weights w (nil: one per customer).
func groupXW(x, w []float64) groups {
	var g groups
	g.idx = make([]int32, len(x))
	small := make(map[int]int32)
	other := make(map[float64]int32)
	for i, v := range x {
		var k int32
		var ok bool
		if v == math.Trunc(v) && v < 1<<30 {
			k, ok = small[int(v)]
			if !ok {
				k = int32(len(g.xs))
				small[int(v)] = k
			}
		} else {
			k, ok = other[v]
			if !ok {
				k = int32(len(g.xs))
				other[v] = k
			}
		}
		if !ok {
			g.xs = append(g.xs, v)
			g.cnt = append(g.cnt, 0)
		}
		if w == nil {
			g.cnt[k]++
		} else {
			g.cnt[k] += w[i]
		}
		g.idx[i] = k
	}
	return g
}

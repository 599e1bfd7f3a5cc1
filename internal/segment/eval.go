package segment

import (
	"math/bits"
	"slices"
	"time"
)

// count returns how many customers of the index the rule holds, evaluated
// with the same meaning as the SQL of compile.go: a condition on a missing
// value (no scores, no statistics, no purchase) is false, and "not" is its
// exact complement. e gives the shop's zone and "now" for windows.
func (ix *index) count(e env, r *Rule) int { return ix.eval(e, r).count() }

// members returns the ids of the customers the rule holds, ascending.
func (ix *index) members(e env, r *Rule) []int64 {
	b := ix.eval(e, r)
	out := make([]int64, 0, b.count())
	for w, word := range b {
		for word != 0 {
			i := w*64 + bits.TrailingZeros64(word)
			out = append(out, ix.ids[i])
			word &= word - 1
		}
	}
	return out
}

func (ix *index) eval(e env, r *Rule) bitset {
	n := len(ix.ids)
	switch {
	case r.Not != nil:
		b := ix.eval(e, r.Not)
		b.not(n)
		return b
	case r.All != nil:
		b := ix.eval(e, r.All[0])
		for _, k := range r.All[1:] {
			b.and(ix.eval(e, k))
		}
		return b
	case r.Any != nil:
		b := ix.eval(e, r.Any[0])
		for _, k := range r.Any[1:] {
			b.or(ix.eval(e, k))
		}
		return b
	}
	return ix.cond(e, r.Cond)
}

func (ix *index) cond(e env, c *Cond) bitset {
	n := len(ix.ids)
	out := newBitset(n)
	switch c.def.kind {
	case kText:
		col := ix.text[c.Field]
		allowed := make([]bool, len(col.dict)) // code 0, NULL, is never allowed
		for _, t := range c.texts {
			if k, ok := col.code[t]; ok {
				allowed[k] = true
			}
		}
		for i, k := range col.codes {
			if allowed[k] {
				out.set(i)
			}
		}
		if c.Op == "ne" || c.Op == "not_in" {
			out.not(n) // NULL is neither equal nor in the list: it passes
		}
	case kInt, kMoney:
		col := ix.ints[c.Field]
		if c.def.since > 0 {
			col = ix.events[c.Field].counts(n, e.since(c.def.since))
		}
		vals := make([]int64, len(c.nums))
		for i, v := range c.nums {
			vals[i] = v.(int64)
		}
		ix.scanInts(out, col, c.Op, vals)
	case kTime:
		col := ix.ints[c.Field]
		switch c.Op {
		case "within_days":
			ix.scanInts(out, col, "gte", []int64{e.now.Add(-time.Duration(c.days) * 24 * time.Hour).Unix()})
		case "before":
			ix.scanInts(out, col, "lt", []int64{e.dayStart(c.dates[0], 0)})
		case "after":
			ix.scanInts(out, col, "gte", []int64{e.dayStart(c.dates[0], 1)})
		default: // between, both days included
			ix.scanInts(out, col, "between", []int64{e.dayStart(c.dates[0], 0), e.dayStart(c.dates[1], 1) - 1})
		}
	case kFloat:
		col := ix.floats[c.Field]
		lo, hi := c.nums[0].(float64), c.nums[len(c.nums)-1].(float64)
		var keep func(float64) bool
		switch c.Op {
		case "gt":
			keep = func(v float64) bool { return v > lo }
		case "gte":
			keep = func(v float64) bool { return v >= lo }
		case "lt":
			keep = func(v float64) bool { return v < lo }
		case "lte":
			keep = func(v float64) bool { return v <= lo }
		default: // between
			keep = func(v float64) bool { return v >= lo && v <= hi }
		}
		for i, v := range col.v {
			if keep(v) && col.valid.has(i) {
				out.set(i)
			}
		}
	case kBool:
		copy(out, ix.flags[c.Field])
		if !c.flag {
			out.not(n)
		}
	case kConsent:
		copy(out, ix.consents[c.def.arg])
		if !c.flag {
			out.not(n)
		}
	case kTag:
		for _, i := range ix.tags[c.texts[0]] {
			out.set(int(i))
		}
	case kBought:
		col := ix.bought[c.Field]
		from, to := int64(0), int64(1<<31-1)
		switch {
		case c.days > 0:
			from = yyyymmdd(e.now.In(e.loc).AddDate(0, 0, -c.days))
		case c.dates[0] != "":
			from, to = dayNumber(c.dates[0]), dayNumber(c.dates[1])
		}
		done := map[int]bool{} // a value listed twice is scanned once
		for _, t := range c.texts {
			k, ok := col.code[t]
			if !ok || done[k] {
				continue
			}
			done[k] = true
			for _, p := range col.posts[k] {
				if d := int64(uint32(p)); d >= from && d <= to {
					out.set(int(p >> 32))
				}
			}
		}
	default:
		panic("segment: unknown field kind") // ParseRule admits no other
	}
	return out
}

// scanInts sets in out the rows of col that op holds with vals, with the
// SQL's meaning of NULL: only ne and not_in hold a NULL.
func (ix *index) scanInts(out bitset, col *intCol, op string, vals []int64) {
	n := len(ix.ids)
	var keep func(int64) bool
	x := vals[0]
	switch op {
	case "eq", "ne":
		keep = func(v int64) bool { return v == x }
	case "in", "not_in":
		if len(vals) > 8 {
			set := make(map[int64]bool, len(vals))
			for _, v := range vals {
				set[v] = true
			}
			keep = func(v int64) bool { return set[v] }
		} else {
			keep = func(v int64) bool { return slices.Contains(vals, v) }
		}
	case "gt":
		keep = func(v int64) bool { return v > x }
	case "gte":
		keep = func(v int64) bool { return v >= x }
	case "lt":
		keep = func(v int64) bool { return v < x }
	case "lte":
		keep = func(v int64) bool { return v <= x }
	default: // between
		y := vals[1]
		keep = func(v int64) bool { return v >= x && v <= y }
	}
	for i, v := range col.v {
		if keep(v) && col.valid.has(i) {
			out.set(i)
		}
	}
	if op == "ne" || op == "not_in" {
		out.not(n)
	}
}

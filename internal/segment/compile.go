package segment

import (
	"slices"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi/internal/store"
)

// env is what a rule is evaluated against: the engine, the shop's time zone
// and the time now.
type env struct {
	dialect store.Dialect
	loc     *time.Location
	now     time.Time
}

// where compiles a rule into a predicate on one live customer c, with s
// (customer_stats) and cs (customer_scores) left-joined, and its arguments
// in order. Every condition yields TRUE or FALSE, never NULL (a customer
// without scores or purchases fails every test on them), so "not" is the
// exact complement of its rule. Only fixed SQL text is written: every value
// of the rule is an argument.
func (e env) where(r *Rule) (string, []any) {
	var b strings.Builder
	var args []any
	e.write(&b, &args, r)
	return b.String(), args
}

// uses reports whether any condition of r reads the table aliased as
// alias ("s" or "cs"), so a count can leave out joins it does not need.
func uses(r *Rule, alias string) bool {
	switch {
	case r.Not != nil:
		return uses(r.Not, alias)
	case r.Cond != nil:
		return strings.Contains(" "+strings.NewReplacer("(", " ").Replace(r.Cond.def.expr), " "+alias+".")
	}
	for _, k := range append(slices.Clip(r.All), r.Any...) {
		if uses(k, alias) {
			return true
		}
	}
	return false
}

func (e env) write(b *strings.Builder, args *[]any, r *Rule) {
	switch {
	case r.Not != nil:
		b.WriteString("NOT ")
		e.write(b, args, r.Not)
	case r.All != nil, r.Any != nil:
		kids, sep := r.All, " AND "
		if r.Any != nil {
			kids, sep = r.Any, " OR "
		}
		b.WriteString("(")
		for i, k := range kids {
			if i > 0 {
				b.WriteString(sep)
			}
			e.write(b, args, k)
		}
		b.WriteString(")")
	default:
		sql, a := e.cond(r.Cond)
		b.WriteString("COALESCE(")
		b.WriteString(sql)
		b.WriteString(", FALSE)")
		*args = append(*args, a...)
	}
}

// cmp are the SQL comparisons of the ops that have one.
var cmp = map[string]string{"eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}

func (e env) cond(c *Cond) (string, []any) {
	d := c.def
	switch d.kind {
	case kText, kInt, kFloat, kMoney:
		vals := c.nums
		if d.kind == kText {
			vals = make([]any, len(c.texts))
			for i, t := range c.texts {
				vals[i] = t
			}
		}
		if d.since > 0 {
			// The window's start comes first: the expression names it
			// once, before the values in every form below.
			vals = append([]any{e.since(d.since)}, vals...)
		}
		switch c.Op {
		case "in":
			return d.expr + " IN (" + store.In(len(c.nums)+len(c.texts)) + ")", vals
		case "not_in":
			// A customer with no value (no scores) is not in the list.
			return "NOT COALESCE(" + d.expr + " IN (" + store.In(len(c.nums)+len(c.texts)) + "), FALSE)", vals
		case "ne":
			return "NOT COALESCE(" + d.expr + " = ?, FALSE)", vals
		case "between":
			return d.expr + " BETWEEN ? AND ?", vals
		default:
			return d.expr + " " + cmp[c.Op] + " ?", vals
		}
	case kBool:
		if c.flag {
			return "(" + d.expr + ")", nil
		}
		return "NOT (" + d.expr + ")", nil
	case kConsent:
		q := `EXISTS (SELECT 1 FROM customer_consents cc WHERE cc.shop_id = c.shop_id AND cc.customer_id = c.id AND cc.channel = ? AND cc.granted)`
		if !c.flag {
			q = "NOT " + q
		}
		return q, []any{d.arg}
	case kTag:
		// Tags are a JSON array: each engine's own JSON operators.
		if e.dialect == store.Postgres {
			return `c.tags @> jsonb_build_array(?::text)`, []any{c.texts[0]}
		}
		return `EXISTS (SELECT 1 FROM json_each(c.tags) WHERE json_each.value = ?)`, []any{c.texts[0]}
	case kTime:
		switch c.Op {
		case "within_days":
			return d.expr + " >= ?", []any{e.now.Add(-time.Duration(c.days) * 24 * time.Hour).Unix()}
		case "before":
			return d.expr + " < ?", []any{e.dayStart(c.dates[0], 0)}
		case "after":
			return d.expr + " >= ?", []any{e.dayStart(c.dates[0], 1)}
		default: // between, both days included
			return d.expr + " >= ? AND " + d.expr + " < ?", []any{e.dayStart(c.dates[0], 0), e.dayStart(c.dates[1], 1)}
		}
	case kBought:
		var q strings.Builder
		q.WriteString(`EXISTS (SELECT 1 FROM orders o`)
		if d.lines {
			q.WriteString(` JOIN order_lines l ON l.shop_id = o.shop_id AND l.order_id = o.id`)
		}
		q.WriteString(` WHERE o.shop_id = c.shop_id AND o.customer_id = c.id AND o.purchase_day IS NOT NULL`)
		var a []any
		switch {
		case c.days > 0:
			q.WriteString(` AND o.purchase_day >= ?`)
			a = append(a, yyyymmdd(e.now.In(e.loc).AddDate(0, 0, -c.days)))
		case c.dates[0] != "":
			q.WriteString(` AND o.purchase_day BETWEEN ? AND ?`)
			a = append(a, dayNumber(c.dates[0]), dayNumber(c.dates[1]))
		}
		q.WriteString(` AND ` + d.expr + ` IN (` + store.In(len(c.texts)) + `))`)
		for _, t := range c.texts {
			a = append(a, t)
		}
		return q.String(), a
	}
	panic("segment: unknown field kind") // ParseRule admits no other
}

// since returns the start of a window of the last days days: now less
// that many 24-hour days, as within_days.
func (e env) since(days int) int64 {
	return e.now.Add(-time.Duration(days) * 24 * time.Hour).Unix()
}

// dayStart returns the unix time at which the day plus add days begins in
// the shop's time zone.
func (e env) dayStart(day string, add int) int64 {
	t, _ := time.ParseInLocation(time.DateOnly, day, e.loc) // validated by ParseRule
	return t.AddDate(0, 0, add).Unix()
}

func yyyymmdd(t time.Time) int64 {
	return int64(t.Year()*10000 + int(t.Month())*100 + t.Day())
}

func dayNumber(day string) int64 {
	t, _ := time.Parse(time.DateOnly, day)
	return yyyymmdd(t)
}

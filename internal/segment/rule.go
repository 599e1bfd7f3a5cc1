package segment

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
)

// Limits of a rule, so that a saved segment stays a query a database answers
// quickly and an error a person can read.
const (
	MaxRuleBytes = 64 << 10 // the JSON document
	MaxDepth     = 8        // nesting of all/any/not
	MaxNodes     = 200      // groups and conditions in all
	MaxValues    = 500      // items of an in/not_in list
	MaxText      = 200      // bytes of one text value
	maxDays      = 36500    // within_days
	maxYuan      = 1e12     // largest amount of money, in yuan
)

// Rule is a validated segment rule: a group (All, Any or Not) or a
// condition (Cond). Build one with ParseRule; a Rule is immutable and safe
// for concurrent use.
type Rule struct {
	All  []*Rule
	Any  []*Rule
	Not  *Rule
	Cond *Cond
	src  []byte // the root's JSON, re-encoded
}

// Cond is one condition of a rule, its value checked against its field.
type Cond struct {
	Field string
	Op    string
	def   fieldDef
	texts []string  // text values (eq/ne: one)
	nums  []any     // int64 or float64 values, money in minor units (between: two)
	flag  bool      // bool fields
	days  int       // within_days, and a purchase window of bought fields
	dates [2]string // YYYY-MM-DD: before/after (first), between; a purchase window
}

// kind is what a field holds, which decides its ops and values.
type kind int

const (
	kText    kind = iota // a text column
	kInt                 // a whole number
	kFloat               // a real number
	kMoney               // minor units, given in yuan
	kBool                // a predicate, compared with true or false
	kConsent             // consent granted on a channel
	kTime                // unix seconds, compared with dates in shop time
	kTag                 // the customer's JSON array of tags
	kBought              // a column of the customer's purchase orders (or their lines)
)

// fieldDef is how a field reads in SQL: fixed text, never from a rule.
type fieldDef struct {
	kind  kind
	expr  string // on c (customers), s (customer_stats), cs (customer_scores), o (orders), l (order_lines)
	arg   string // kConsent: the channel
	lines bool   // kBought: a column of order_lines
	// since: a kInt count of the customer's rows of the last since days;
	// expr holds one ? for the window's start, which the compiler passes
	// before the condition's values.
	since int
}

// fields are the fields a rule may name.
var fields = map[string]fieldDef{
	"province":          {kind: kText, expr: "c.province"},
	"city":              {kind: kText, expr: "c.city"},
	"gender":            {kind: kText, expr: "c.gender"},
	"tag":               {kind: kTag},
	"has_phone":         {kind: kBool, expr: "c.phone <> ''"},
	"has_email":         {kind: kBool, expr: "c.email <> ''"},
	"consent.sms":       {kind: kConsent, arg: "sms"},
	"consent.email":     {kind: kConsent, arg: "email"},
	"consent.wechat":    {kind: kConsent, arg: "wechat"},
	"segment":           {kind: kText, expr: "cs.segment"},
	"segment_cn":        {kind: kText, expr: "cs.segment_cn"},
	"lifecycle":         {kind: kText, expr: "cs.lifecycle"},
	"tier":              {kind: kText, expr: "cs.tier"},
	"churn_risk":        {kind: kText, expr: "cs.churn_risk"},
	"cluster":           {kind: kInt, expr: "cs.cluster"},
	"clv":               {kind: kFloat, expr: "cs.clv_12m"}, // stored in yuan already
	"p_alive":           {kind: kFloat, expr: "cs.p_alive"},
	"r":                 {kind: kInt, expr: "cs.r"},
	"f":                 {kind: kInt, expr: "cs.f"},
	"m":                 {kind: kInt, expr: "cs.m"},
	"monetary":          {kind: kMoney, expr: "cs.monetary"},
	"orders_count":      {kind: kInt, expr: "COALESCE(s.orders_count, 0)"},
	"total_spent":       {kind: kMoney, expr: "COALESCE(s.total_spent, 0)"},
	"last_purchase_at":  {kind: kTime, expr: "s.last_purchase_at"},
	"first_purchase_at": {kind: kTime, expr: "s.first_purchase_at"},
	"bought.category":   {kind: kBought, expr: "l.category", lines: true},
	"bought.sku":        {kind: kBought, expr: "l.sku", lines: true},
	"channel":           {kind: kBought, expr: "o.channel"},
	"order_province":    {kind: kBought, expr: "o.province"},
	// What the service desk knows (issue 6 §3): complaints, satisfaction,
	// refunds. Counts are never NULL; a customer who never answered a
	// survey has no last score, so fails every test on it.
	"open_complaints": {kind: kInt, expr: openComplaintsSQL},
	"complaints_365d": {kind: kInt, expr: complaintsSinceSQL, since: 365},
	"refunds_180d":    {kind: kInt, expr: refundsSinceSQL, since: 180},
	"last_nps":        {kind: kInt, expr: lastScoreSQL("nps")},
	"last_csat":       {kind: kInt, expr: lastScoreSQL("csat")},
}

// The service fields' SQL, as subqueries on the customer c. Their aliases
// are none of the joined tables' (s, cs), so uses() does not mistake them.
const (
	openComplaintsSQL = `(SELECT COUNT(*) FROM tickets tk WHERE tk.shop_id = c.shop_id AND tk.customer_id = c.id AND tk.kind = 'complaint' AND tk.closed_at IS NULL)`
	// A complaint counts from its creation; a refund from its order's
	// placing (orders keep no refund time).
	complaintsSinceSQL = `(SELECT COUNT(*) FROM tickets tk WHERE tk.shop_id = c.shop_id AND tk.customer_id = c.id AND tk.kind = 'complaint' AND tk.created_at >= ?)`
	refundsSinceSQL    = `(SELECT COUNT(*) FROM orders ro WHERE ro.shop_id = c.shop_id AND ro.customer_id = c.id AND ` + refundedSQL + ` AND ro.placed_at >= ?)`
	refundedSQL        = `(ro.refunded > 0 OR ro.status IN ('refunded', 'partially_refunded'))`
)

// lastScoreSQL is the score of the customer's latest response of a kind.
func lastScoreSQL(kind string) string {
	return `(SELECT sr.score FROM survey_responses sr WHERE sr.shop_id = c.shop_id AND sr.customer_id = c.id AND sr.kind = '` + kind +
		`' AND sr.score IS NOT NULL ORDER BY sr.responded_at DESC, sr.id DESC LIMIT 1)`
}

// ops are the ops each kind of field takes.
var ops = map[kind][]string{
	kText:    {"eq", "ne", "in", "not_in"},
	kInt:     {"eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "between"},
	kFloat:   {"gt", "gte", "lt", "lte", "between"},
	kMoney:   {"eq", "ne", "gt", "gte", "lt", "lte", "between"},
	kBool:    {"eq"},
	kConsent: {"eq"},
	kTime:    {"within_days", "before", "after", "between"},
	kTag:     {"contains"},
	kBought:  {"eq", "in"},
}

// Fields returns the names of the fields a rule may use, sorted.
func Fields() []string {
	out := make([]string, 0, len(fields))
	for f := range fields {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// ParseRule reads and validates a rule in JSON. A rule is a group
//
//	{"all": [rule, ...]}, {"any": [rule, ...]} or {"not": rule}
//
// or a condition {"field": ..., "op": ..., "value": ...}; the bought.*,
// channel and order_province conditions may also carry "within_days": N or
// "between": ["YYYY-MM-DD", "YYYY-MM-DD"] to count only purchases in that
// window. Money is in yuan, dates are days in shop time. On failure it
// returns an EINVALID *guanxi.Error whose message names the JSON path of
// the fault, such as `all[2].value: expected a number`.
func ParseRule(data []byte) (*Rule, error) {
	if len(data) > MaxRuleBytes {
		return nil, invalid("rule", "larger than %d KiB", MaxRuleBytes>>10)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, invalid("rule", "not valid JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalid("rule", "unexpected data after the rule")
	}
	p := parser{}
	r, err := p.node("", v, 0)
	if err != nil {
		return nil, err
	}
	if r.src, err = json.Marshal(v); err != nil {
		return nil, fmt.Errorf("segment: encode rule: %w", err)
	}
	return r, nil
}

// JSON returns the rule as JSON, as ParseRule reads it.
func (r *Rule) JSON() []byte { return slices.Clone(r.src) }

func invalid(path, format string, args ...any) error {
	if path == "" {
		path = "rule"
	}
	return guanxi.Errorf(guanxi.EINVALID, "%s: %s", path, fmt.Sprintf(format, args...))
}

func join(path, key string) string {
	if path == "" || strings.HasPrefix(key, "[") {
		return path + key
	}
	return path + "." + key
}

type parser struct{ nodes int }

func (p *parser) node(path string, v any, depth int) (*Rule, error) {
	p.nodes++
	if p.nodes > MaxNodes {
		return nil, invalid(path, "more than %d groups and conditions", MaxNodes)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid(path, "expected an object")
	}
	for _, group := range []string{"all", "any", "not"} {
		gv, ok := obj[group]
		if !ok {
			continue
		}
		if err := onlyKeys(path, obj, group); err != nil {
			return nil, err
		}
		if depth >= MaxDepth {
			return nil, invalid(path, "nested deeper than %d", MaxDepth)
		}
		gpath := join(path, group)
		if group == "not" {
			kid, err := p.node(gpath, gv, depth+1)
			if err != nil {
				return nil, err
			}
			return &Rule{Not: kid}, nil
		}
		list, ok := gv.([]any)
		if !ok {
			return nil, invalid(gpath, "expected a list of rules")
		}
		if len(list) == 0 {
			return nil, invalid(gpath, "expected at least one rule")
		}
		kids := make([]*Rule, 0, len(list))
		for i, k := range list {
			kid, err := p.node(fmt.Sprintf("%s[%d]", gpath, i), k, depth+1)
			if err != nil {
				return nil, err
			}
			kids = append(kids, kid)
		}
		if group == "all" {
			return &Rule{All: kids}, nil
		}
		return &Rule{Any: kids}, nil
	}
	if _, ok := obj["field"]; !ok {
		return nil, invalid(path, `expected "all", "any", "not" or "field"`)
	}
	c, err := cond(path, obj)
	if err != nil {
		return nil, err
	}
	return &Rule{Cond: c}, nil
}

// onlyKeys fails on a key of obj not among allowed, naming the first in
// sorted order so the message is stable.
func onlyKeys(path string, obj map[string]any, allowed ...string) error {
	var extra []string
	for k := range obj {
		if !slices.Contains(allowed, k) {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return invalid(join(path, quoteKey(extra[0])), "unexpected key")
	}
	return nil
}

// quoteKey shows a key as a path element, quoted unless it is a plain word.
func quoteKey(k string) string {
	plain := k != "" && len(k) <= 40
	for _, r := range k {
		if !(r == '_' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			plain = false
		}
	}
	if plain {
		return k
	}
	if len(k) > 40 {
		k = k[:40]
		for !utf8.ValidString(k) {
			k = k[:len(k)-1]
		}
		k += "…"
	}
	return strconv.Quote(k)
}

func cond(path string, obj map[string]any) (*Cond, error) {
	name, ok := obj["field"].(string)
	if !ok {
		return nil, invalid(join(path, "field"), "expected a field name")
	}
	def, ok := fields[name]
	if !ok {
		return nil, invalid(join(path, "field"), "unknown field %s", quoteKey(name))
	}
	allowed := []string{"field", "op", "value"}
	if def.kind == kBought {
		allowed = append(allowed, "within_days", "between")
	}
	if err := onlyKeys(path, obj, allowed...); err != nil {
		return nil, err
	}
	op, ok := obj["op"].(string)
	if !ok {
		return nil, invalid(join(path, "op"), "expected an op")
	}
	if !slices.Contains(ops[def.kind], op) {
		return nil, invalid(join(path, "op"), "field %s takes %s", name, strings.Join(ops[def.kind], ", "))
	}
	c := &Cond{Field: name, Op: op, def: def}
	vpath := join(path, "value")
	v, ok := obj["value"]
	if !ok {
		return nil, invalid(vpath, "missing")
	}
	var err error
	switch def.kind {
	case kText, kBought:
		if op == "in" || op == "not_in" {
			c.texts, err = texts(vpath, v)
		} else {
			var t string
			t, err = text(vpath, v)
			c.texts = []string{t}
		}
	case kTag:
		var t string
		t, err = text(vpath, v)
		c.texts = []string{t}
	case kInt, kFloat, kMoney:
		switch op {
		case "in", "not_in":
			list, ok := v.([]any)
			if !ok || len(list) == 0 || len(list) > MaxValues {
				return nil, invalid(vpath, "expected a list of 1 to %d numbers", MaxValues)
			}
			for i, x := range list {
				n, err := number(fmt.Sprintf("%s[%d]", vpath, i), def.kind, x)
				if err != nil {
					return nil, err
				}
				c.nums = append(c.nums, n)
			}
		case "between":
			list, ok := v.([]any)
			if !ok || len(list) != 2 {
				return nil, invalid(vpath, "expected two numbers [from, to]")
			}
			for i, x := range list {
				n, err := number(fmt.Sprintf("%s[%d]", vpath, i), def.kind, x)
				if err != nil {
					return nil, err
				}
				c.nums = append(c.nums, n)
			}
			if less(c.nums[1], c.nums[0]) {
				return nil, invalid(vpath, "from is after to")
			}
		default:
			var n any
			n, err = number(vpath, def.kind, v)
			c.nums = []any{n}
		}
	case kBool, kConsent:
		b, ok := v.(bool)
		if !ok {
			return nil, invalid(vpath, "expected true or false")
		}
		c.flag = b
	case kTime:
		switch op {
		case "within_days":
			c.days, err = days(vpath, v)
		case "between":
			c.dates, err = dateRange(vpath, v)
		default:
			c.dates[0], err = date(vpath, v)
		}
	}
	if err != nil {
		return nil, err
	}
	if def.kind == kBought {
		w, hasDays := obj["within_days"]
		b, hasRange := obj["between"]
		switch {
		case hasDays && hasRange:
			return nil, invalid(join(path, "between"), `give "within_days" or "between", not both`)
		case hasDays:
			c.days, err = days(join(path, "within_days"), w)
		case hasRange:
			c.dates, err = dateRange(join(path, "between"), b)
		}
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

func text(path string, v any) (string, error) {
	s, ok := v.(string)
	switch {
	case !ok:
		return "", invalid(path, "expected a string")
	case len(s) > MaxText:
		return "", invalid(path, "longer than %d bytes", MaxText)
	case strings.ContainsRune(s, 0):
		return "", invalid(path, "contains a NUL character")
	case !utf8.ValidString(s):
		return "", invalid(path, "not valid UTF-8")
	}
	return s, nil
}

func texts(path string, v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 || len(list) > MaxValues {
		return nil, invalid(path, "expected a list of 1 to %d strings", MaxValues)
	}
	out := make([]string, 0, len(list))
	for i, x := range list {
		s, err := text(fmt.Sprintf("%s[%d]", path, i), x)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// number reads a JSON number as the field's kind holds it: int64 for whole
// numbers and money (yuan turned into minor units), float64 otherwise.
func number(path string, k kind, v any) (any, error) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, invalid(path, "expected a number")
	}
	s := n.String()
	switch k {
	case kInt:
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, invalid(path, "expected a whole number")
		}
		return i, nil
	case kMoney:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Abs(f) > maxYuan || strings.ContainsAny(s, "eE") {
			return nil, invalid(path, "expected an amount in yuan, such as 199.5")
		}
		m, err := guanxi.ParseMoney(s)
		if err != nil {
			return nil, invalid(path, "expected an amount in yuan, such as 199.5")
		}
		return int64(m), nil
	default:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, invalid(path, "expected a number")
		}
		return f, nil
	}
}

func less(a, b any) bool {
	switch a := a.(type) {
	case int64:
		return a < b.(int64)
	case float64:
		return a < b.(float64)
	}
	return false
}

func days(path string, v any) (int, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, invalid(path, "expected a number of days")
	}
	d, err := strconv.Atoi(n.String())
	if err != nil || d < 1 || d > maxDays {
		return 0, invalid(path, "expected a whole number of days from 1 to %d", maxDays)
	}
	return d, nil
}

func date(path string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", invalid(path, "expected a date YYYY-MM-DD")
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Year() < 1970 || t.Year() > 2200 {
		return "", invalid(path, "expected a date YYYY-MM-DD")
	}
	return s, nil
}

func dateRange(path string, v any) ([2]string, error) {
	var out [2]string
	list, ok := v.([]any)
	if !ok || len(list) != 2 {
		return out, invalid(path, "expected two dates [from, to]")
	}
	for i, x := range list {
		d, err := date(fmt.Sprintf("%s[%d]", path, i), x)
		if err != nil {
			return out, err
		}
		out[i] = d
	}
	if out[1] < out[0] {
		return out, invalid(path, "from is after to")
	}
	return out, nil
}

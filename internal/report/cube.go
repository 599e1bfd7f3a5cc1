// Package report answers the shop-level questions a team asks of its sales
// and its scored customers: an OLAP-style aggregate of purchases over time ×
// province × channel × category × segment × lifecycle stage (and tier and
// cluster), and the analyses `guanxi score` stores — cohorts, product rules
// and clusters — read back for people and tools. It reads the database
// only; every query is scoped to one shop.
package report

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Service reads reports.
type Service struct {
	db    *store.DB
	cache factsCache
	runs  runCache // answers from the latest scores (byrun.go)
}

// NewService returns a Service over db.
func NewService(db *store.DB) *Service { return &Service{db: db} }

// dimension is one way to slice purchases.
type dimension struct {
	lines    bool // slices orders by line (category)
	time     bool // a time grain of the purchase date
	describe string
}

// dimensions are the cube's axes. Times come from orders.purchase_day
// (yyyymmdd in the shop's zone). Segment, lifecycle, tier and cluster are
// the customer's latest scores; guest orders and unscored customers fall
// under "".
var dimensions = map[string]dimension{
	"year":       {time: true, describe: "calendar year"},
	"quarter":    {time: true, describe: "calendar quarter"},
	"month":      {time: true, describe: "calendar month"},
	"day":        {time: true, describe: "date"},
	"province":   {describe: "ship-to province"},
	"channel":    {describe: "sales channel"},
	"category":   {lines: true, describe: "product category (revenue is line amounts net of the order's refund share)"},
	"segment":    {describe: "11-segment RFM map"},
	"segment_cn": {describe: "Chinese 8-class RFM model"},
	"lifecycle":  {describe: "lifecycle stage"},
	"tier":       {describe: "Pareto value tier"},
	"cluster":    {describe: "k-means cluster"},
}

// Dimensions returns the names of the cube's dimensions with what each is,
// sorted by name.
func Dimensions() [][2]string {
	var out [][2]string
	for name, d := range dimensions {
		out = append(out, [2]string{name, d.describe})
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out
}

// CubeQuery says how to slice a shop's purchases.
type CubeQuery struct {
	By    []string            // dimensions to group by, in output order; none for the grand total
	Where map[string][]string // dimension → the values to keep (time grains as printed: 2025, 2025-Q1, 2025-01, 2025-01-31)
	From  string              // first purchase date to count, YYYY-MM-DD; "" for no limit
	To    string              // last purchase date to count, inclusive
	Limit int                 // most groups returned, largest revenue first; 0 for 10,000
}

// CubeRow is one group: its key values in CubeQuery.By order and measures.
type CubeRow struct {
	Keys      []string     `json:"keys"`
	Orders    int64        `json:"orders"`    // purchase orders
	Revenue   guanxi.Money `json:"revenue"`   // net of refunds, minor units
	Customers int64        `json:"customers"` // distinct customers (guests not counted)
	AOV       guanxi.Money `json:"aov"`       // revenue / orders
}

// Cube is an answer: the groups and the grand total over the same filter.
type Cube struct {
	By        []string  `json:"by"`
	Rows      []CubeRow `json:"rows"`
	Total     CubeRow   `json:"total"`
	Truncated bool      `json:"truncated"` // more groups than the limit
}

// Cube aggregates the shop's purchase orders (orders that count as
// purchases, by purchase date) over the query's dimensions: orders,
// revenue, distinct customers and average order value per group, with the
// grand total. With "category" among the dimensions or filters an order
// counts once in each of its categories, with the revenue of its lines
// there (less their share of the order's refund). It works on the shop's
// facts held in memory (loaded once, reloaded when the shop's data moves
// on), so any slice takes milliseconds.
func (s *Service) Cube(ctx context.Context, shopID int64, q CubeQuery) (*Cube, error) {
	if len(q.By) > len(groupKey{}) {
		return nil, guanxi.Errorf(guanxi.EINVALID, "at most %d dimensions at once", len(groupKey{}))
	}
	byLine := false
	seen := map[string]bool{}
	for _, b := range q.By {
		d, ok := dimensions[b]
		if !ok {
			return nil, guanxi.Errorf(guanxi.EINVALID, "unknown dimension %q (one of %s)", b, dimensionNames())
		}
		if seen[b] {
			return nil, guanxi.Errorf(guanxi.EINVALID, "dimension %q given twice", b)
		}
		seen[b] = true
		byLine = byLine || d.lines
	}
	timeFilters := map[string]map[int32]bool{}
	for _, name := range slices.Sorted(maps.Keys(q.Where)) {
		d, ok := dimensions[name]
		if !ok {
			return nil, guanxi.Errorf(guanxi.EINVALID, "unknown dimension %q in a filter (one of %s)", name, dimensionNames())
		}
		byLine = byLine || d.lines
		if d.time {
			set := map[int32]bool{}
			for _, v := range q.Where[name] {
				n, err := parseGrain(name, v)
				if err != nil {
					return nil, err
				}
				set[int32(n)] = true
			}
			timeFilters[name] = set
		}
	}
	from, to := int32(0), int32(1<<31-1)
	for _, b := range []struct {
		date, flag string
		dst        *int32
	}{{q.From, "from", &from}, {q.To, "to", &to}} {
		if b.date == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, b.date)
		if err != nil {
			return nil, guanxi.Errorf(guanxi.EINVALID, "--%s %q: expected a date such as 2025-06-30", b.flag, b.date)
		}
		*b.dst = int32(t.Year()*10000 + int(t.Month())*100 + t.Day())
	}
	f, err := s.facts(ctx, shopID)
	if err != nil {
		return nil, err
	}
	// An answer is kept with the facts it came from: pages ask the same
	// questions again and again (the overview's months, the customer
	// list's channels), and a million customers' orders take a second to
	// go through. Callers get their own copy of the rows.
	key := fmt.Sprintf("cube %q %v %q %q %d", q.By, q.Where, q.From, q.To, q.Limit)
	if v, ok := f.derived.Load(key); ok {
		c := *v.(*Cube)
		c.Rows = slices.Clone(c.Rows)
		return &c, nil
	}
	out, err := f.cube(q, timeFilters, from, to, byLine)
	if err != nil {
		return nil, err
	}
	f.derived.Store(key, out)
	c := *out
	c.Rows = slices.Clone(c.Rows)
	return &c, nil
}

// cube answers q over the facts.
func (f *facts) cube(q CubeQuery, timeFilters map[string]map[int32]bool, from, to int32, byLine bool) (*Cube, error) {
	groups, total := f.aggregate(q, timeFilters, from, to, byLine)
	total.AOV = aov(total)
	out := &Cube{By: slices.Clone(q.By), Rows: make([]CubeRow, 0, len(groups)), Total: total}
	if len(q.By) == 0 {
		return out, nil
	}
	for key, r := range groups {
		r.Keys = make([]string, len(q.By))
		for j, b := range q.By {
			if d, ok := factDim[b]; ok {
				r.Keys[j] = f.dict[d][key[j]]
			} else {
				r.Keys[j] = label(b, int64(key[j]))
			}
		}
		r.AOV = aov(*r)
		out.Rows = append(out.Rows, *r)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 10000
	}
	if len(out.Rows) > limit {
		// Keep the groups with the most revenue.
		slices.SortFunc(out.Rows, func(a, b CubeRow) int {
			if a.Revenue != b.Revenue {
				return cmpDesc(a.Revenue, b.Revenue)
			}
			return slices.Compare(a.Keys, b.Keys)
		})
		out.Rows, out.Truncated = out.Rows[:limit], true
	}
	slices.SortFunc(out.Rows, func(a, b CubeRow) int { return slices.Compare(a.Keys, b.Keys) })
	return out, nil
}

func cmpDesc(a, b guanxi.Money) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

func moneyOf(v int64) guanxi.Money { return guanxi.Money(v) }

func aov(r CubeRow) guanxi.Money {
	if r.Orders == 0 {
		return 0
	}
	return guanxi.Money((int64(r.Revenue)*2 + r.Orders) / (2 * r.Orders)) // rounded half up
}

// label prints a time key.
func label(dim string, n int64) string {
	switch dim {
	case "year":
		return fmt.Sprintf("%04d", n)
	case "quarter":
		return fmt.Sprintf("%04d-Q%d", n/10, n%10)
	case "month":
		return fmt.Sprintf("%04d-%02d", n/100, n%100)
	case "day":
		return fmt.Sprintf("%04d-%02d-%02d", n/10000, n/100%100, n%100)
	}
	return fmt.Sprint(n)
}

// parseGrain reads a time filter value as printed by label.
func parseGrain(dim, v string) (int64, error) {
	var y, m, d, q int
	var err error
	switch dim {
	case "year":
		_, err = fmt.Sscanf(v, "%4d", &y)
		return int64(y), grainErr(err, dim, v, "2025")
	case "quarter":
		_, err = fmt.Sscanf(v, "%4d-Q%1d", &y, &q)
		if err == nil && (q < 1 || q > 4) {
			err = fmt.Errorf("quarter %d", q)
		}
		return int64(y*10 + q), grainErr(err, dim, v, "2025-Q1")
	case "month":
		t, perr := time.Parse("2006-01", v)
		return int64(t.Year()*100 + int(t.Month())), grainErr(perr, dim, v, "2025-01")
	case "day":
		t, perr := time.Parse(time.DateOnly, v)
		y, m, d = t.Year(), int(t.Month()), t.Day()
		return int64(y*10000 + m*100 + d), grainErr(perr, dim, v, "2025-01-31")
	}
	return 0, guanxi.Errorf(guanxi.EINVALID, "%s is not a time dimension", dim)
}

func grainErr(err error, dim, v, example string) error {
	if err != nil {
		return guanxi.Errorf(guanxi.EINVALID, "%s filter %q: expected a value such as %s", dim, v, example)
	}
	return nil
}

func dimensionNames() string {
	var names []string
	for _, d := range Dimensions() {
		names = append(names, d[0])
	}
	return strings.Join(names, ", ")
}

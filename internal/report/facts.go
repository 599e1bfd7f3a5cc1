package report

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Categorical dimensions of the facts, coded through a dictionary each.
const (
	fProvince = iota
	fChannel
	fCategory
	fSegment
	fSegmentCN
	fLifecycle
	fTier
	fCluster
	nFacts
)

// facts is a shop's purchases in columns, one row per order line (an order
// without lines is one row under category ""): what Cube aggregates in
// memory, so that any slice of a shop is answered without a round of SQL.
// Rows of one order are contiguous, which lets distinct orders be counted
// per group by remembering the last order seen.
type facts struct {
	order    []int32 // dense order number
	customer []int32 // dense customer number, -1 for a guest
	day      []int32 // purchase date, yyyymmdd in the shop's zone
	first    []bool  // the order's first row: where order-level measures count
	orderNet []int64 // the order's amount net of refunds (on every row of it)
	lineNet  []int64 // the line's amount less its share of the order's refund; the order's net for an order without lines
	codes    [nFacts][]uint16
	dict     [nFacts][]string

	version  [3]int64 // what the facts were loaded from (see factsVersion)
	loadedAt time.Time

	derived sync.Map // analyses worked out from these facts, kept while they are current (dashboard.go)
}

func (f *facts) len() int { return len(f.order) }

// factsTTL bounds how long cached facts are trusted without a version
// check's help: order edits that do not go through an import show up
// within it.
const factsTTL = 5 * time.Minute

// factsCache keeps each shop's facts between queries of a long-running
// server.
type factsCache struct {
	mu    sync.Mutex
	shops map[int64]*facts
}

// factsVersion is cheap to read and changes when the facts may have: a new
// score run (segments, lifecycle), a new import, a new order.
func (s *Service) factsVersion(ctx context.Context, shopID int64) ([3]int64, error) {
	var v [3]int64
	err := s.db.QueryRow(ctx, `SELECT
COALESCE((SELECT MAX(id) FROM score_runs WHERE shop_id = ?), 0),
COALESCE((SELECT MAX(id) FROM import_runs WHERE shop_id = ?), 0),
COALESCE((SELECT MAX(id) FROM orders WHERE shop_id = ?), 0)`, shopID, shopID, shopID).Scan(&v[0], &v[1], &v[2])
	if err != nil {
		return v, fmt.Errorf("report: facts version: %w", err)
	}
	return v, nil
}

// facts returns the shop's facts, from the cache while still current.
func (s *Service) facts(ctx context.Context, shopID int64) (*facts, error) {
	v, err := s.factsVersion(ctx, shopID)
	if err != nil {
		return nil, err
	}
	s.cache.mu.Lock()
	f := s.cache.shops[shopID]
	s.cache.mu.Unlock()
	if f != nil && f.version == v && time.Since(f.loadedAt) < factsTTL {
		return f, nil
	}
	f, err = s.loadFacts(ctx, shopID)
	if err != nil {
		return nil, err
	}
	f.version = v
	s.cache.mu.Lock()
	if s.cache.shops == nil {
		s.cache.shops = map[int64]*facts{}
	}
	s.cache.shops[shopID] = f
	s.cache.mu.Unlock()
	return f, nil
}

// loadFacts reads the shop's purchase orders with their lines and their
// customers' latest scores.
func (s *Service) loadFacts(ctx context.Context, shopID int64) (*facts, error) {
	rows, err := s.db.Query(ctx, `SELECT o.id, o.customer_id, o.purchase_day, o.amount, o.refunded, o.province, o.channel,
l.line_no, l.amount, l.category, s.segment, s.segment_cn, s.lifecycle, s.tier, s.cluster
FROM orders o
LEFT JOIN order_lines l ON l.shop_id = o.shop_id AND l.order_id = o.id
LEFT JOIN customer_scores s ON s.shop_id = o.shop_id AND s.customer_id = o.customer_id
WHERE o.shop_id = ? AND o.purchase_day IS NOT NULL
ORDER BY o.id, l.line_no`, shopID)
	if err != nil {
		return nil, fmt.Errorf("report: load facts: %w", err)
	}
	defer rows.Close()
	f := &facts{loadedAt: time.Now()}
	index := [nFacts]map[string]uint16{}
	for i := range index {
		index[i] = map[string]uint16{}
	}
	code := func(d int, v string) uint16 {
		c, ok := index[d][v]
		if !ok {
			c = uint16(len(f.dict[d]))
			index[d][v] = c
			f.dict[d] = append(f.dict[d], v)
		}
		return c
	}
	customers := map[int64]int32{}
	lastOrder, orderNo := int64(-1), int32(-1)
	var (
		id, day, amount, refunded       int64
		cust, lineNo, lineAmount, clust sql.NullInt64
		province, channel               string
		category, seg, segCN, life, tr  sql.NullString
	)
	for rows.Next() {
		if err := rows.Scan(&id, &cust, &day, &amount, &refunded, &province, &channel,
			&lineNo, &lineAmount, &category, &seg, &segCN, &life, &tr, &clust); err != nil {
			return nil, fmt.Errorf("report: load facts: %w", err)
		}
		first := id != lastOrder
		if first {
			lastOrder = id
			orderNo++
		}
		c := int32(-1)
		if cust.Valid {
			n, ok := customers[cust.Int64]
			if !ok {
				n = int32(len(customers))
				customers[cust.Int64] = n
			}
			c = n
		}
		net := amount - refunded
		line := net
		if lineNo.Valid {
			line = lineAmount.Int64
			if amount > 0 {
				// The order's refund, shared by its lines in proportion to
				// their amounts.
				line -= lineAmount.Int64 * refunded / amount
			}
		}
		cl := ""
		if clust.Valid {
			cl = strconv.FormatInt(clust.Int64, 10)
		}
		f.order = append(f.order, orderNo)
		f.customer = append(f.customer, c)
		f.day = append(f.day, int32(day))
		f.first = append(f.first, first)
		f.orderNet = append(f.orderNet, net)
		f.lineNet = append(f.lineNet, line)
		for d, v := range [nFacts]string{province, channel, category.String, seg.String, segCN.String, life.String, tr.String, cl} {
			f.codes[d] = append(f.codes[d], code(d, v))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: load facts: %w", err)
	}
	for d := range f.dict {
		if len(f.dict[d]) > 1<<16 {
			return nil, fmt.Errorf("report: load facts: more than 65,536 distinct values of a dimension")
		}
	}
	return f, nil
}

// grainOf returns a row's time key for a time dimension.
func grainOf(dim string, day int32) int32 {
	switch dim {
	case "year":
		return day / 10000
	case "quarter":
		return (day/10000)*10 + ((day/100)%100+2)/3
	case "month":
		return day / 100
	}
	return day
}

// factDim maps a categorical dimension name to its column.
var factDim = map[string]int{
	"province": fProvince, "channel": fChannel, "category": fCategory, "segment": fSegment,
	"segment_cn": fSegmentCN, "lifecycle": fLifecycle, "tier": fTier, "cluster": fCluster,
}

// groupKey is a row's key over up to 8 dimensions: a time grain or a code.
type groupKey [8]int32

// aggregate answers q over f. Filters were checked by Cube.
func (f *facts) aggregate(q CubeQuery, timeFilters map[string]map[int32]bool, from, to int32, byLine bool) (groups map[groupKey]*CubeRow, total CubeRow) {
	keep := make([]bool, f.len())
	for i := range keep {
		keep[i] = (byLine || f.first[i]) && f.day[i] >= from && f.day[i] <= to
	}
	for name, vals := range q.Where {
		if d, ok := factDim[name]; ok {
			allowed := make([]bool, len(f.dict[d]))
			for c, v := range f.dict[d] {
				allowed[c] = slices.Contains(vals, v)
			}
			col := f.codes[d]
			for i := range keep {
				keep[i] = keep[i] && allowed[col[i]]
			}
		} else if set := timeFilters[name]; set != nil {
			for i := range keep {
				keep[i] = keep[i] && set[grainOf(name, f.day[i])]
			}
		}
	}
	revenue := f.orderNet
	if byLine {
		revenue = f.lineNet
	}
	type acc struct {
		row       CubeRow
		lastOrder int32
		no        uint32 // the group's number, for pairs
	}
	accs := map[groupKey]*acc{}
	var pairs []uint64 // group number << 32 | customer, for distinct customers
	var keys []groupKey
	lastTotal := int32(-1)
	var totalPairs []int32
	for i, k := range keep {
		if !k {
			continue
		}
		var key groupKey
		for j, b := range q.By {
			if d, ok := factDim[b]; ok {
				key[j] = int32(f.codes[d][i])
			} else {
				key[j] = grainOf(b, f.day[i])
			}
		}
		a := accs[key]
		if a == nil {
			a = &acc{lastOrder: -1, no: uint32(len(keys))}
			accs[key] = a
			keys = append(keys, key)
		}
		if a.lastOrder != f.order[i] {
			a.lastOrder = f.order[i]
			a.row.Orders++
		}
		if lastTotal != f.order[i] {
			lastTotal = f.order[i]
			total.Orders++
		}
		a.row.Revenue += moneyOf(revenue[i])
		total.Revenue += moneyOf(revenue[i])
		if c := f.customer[i]; c >= 0 {
			pairs = append(pairs, uint64(a.no)<<32|uint64(uint32(c)))
			totalPairs = append(totalPairs, c)
		}
	}
	slices.Sort(pairs)
	for i, p := range pairs {
		if i == 0 || p != pairs[i-1] {
			accs[keys[p>>32]].row.Customers++
		}
	}
	slices.Sort(totalPairs)
	total.Customers = int64(len(slices.Compact(totalPairs)))
	groups = make(map[groupKey]*CubeRow, len(accs))
	for k, a := range accs {
		groups[k] = &a.row
	}
	return groups, total
}

package analytics

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/guanxi-crm/guanxi/internal/orderfile"
)

// Customers holds one purchase summary per customer as parallel slices: row i
// of every slice is customer IDs[i]. Only customers with at least one
// purchase on or before the as-of date are present. Rows are in the order the
// customers were first seen.
type Customers struct {
	AsOf    time.Time // the as-of instant given to the builder
	AsOfDay int32     // the as-of date, days since 1970-01-01 in the shop's zone

	IDs          []string
	RecencyDays  []int32 // whole days from the last purchase date to the as-of date
	Frequency    []int32 // purchase orders
	Monetary     []int64 // net spend, minor units (fen)
	PurchaseDays []int32 // distinct purchase dates
	FirstDay     []int32 // first purchase date, days since 1970-01-01 in the shop's zone
	LastDay      []int32 // last purchase date, same unit

	// Model inputs (DESIGN.md model conventions), in weeks = days / 7.
	X               []float64 // repeat purchase days: PurchaseDays − 1
	Tx              []float64 // last purchase date − first purchase date, weeks
	T               []float64 // as-of date − first purchase date, weeks
	MeanRepeatSpend []float64 // mean net spend per repeat purchase day (first day excluded), minor units; 0 when X = 0

	// RejectedRows counts the file rows FromOrderfile skipped as malformed.
	RejectedRows int
}

// Len returns the number of customers.
func (c *Customers) Len() int { return len(c.IDs) }

// Builder accumulates orders into per-customer summaries in one pass, with a
// map lookup per order and a few appends; Build turns them into Customers.
// Orders may come in any order. A Builder is not safe for concurrent use and
// must not be used after Build.
type Builder struct {
	asOf    time.Time
	asOfDay int32
	loc     *time.Location

	index      map[string]int32
	ids        []string
	freq       []int32
	money      []int64
	first      []int32
	last       []int32
	days       []int32 // distinct days, exact while orders come in date order per customer
	firstSpend []int64 // net spend on the first purchase date

	obs       []uint64 // customer<<32 | biased day, one per purchase order; sorted when unordered
	unordered bool     // some customer had an order dated before its latest one
}

// NewBuilder returns a Builder counting purchases up to and including the
// date of asOf in loc (UTC when loc is nil).
func NewBuilder(asOf time.Time, loc *time.Location) *Builder {
	if loc == nil {
		loc = time.UTC
	}
	return &Builder{asOf: asOf, asOfDay: DayOf(asOf, loc), loc: loc, index: make(map[string]int32)}
}

// Grow makes room for about orders more purchase orders from about
// customers more customers, so that a large file fills its slices and map
// without growing them step by step.
func (b *Builder) Grow(orders, customers int) {
	if len(b.index) == 0 && customers > 0 {
		b.index = make(map[string]int32, customers)
	}
	b.ids = slices.Grow(b.ids, customers)
	b.freq = slices.Grow(b.freq, customers)
	b.money = slices.Grow(b.money, customers)
	b.first = slices.Grow(b.first, customers)
	b.last = slices.Grow(b.last, customers)
	b.days = slices.Grow(b.days, customers)
	b.firstSpend = slices.Grow(b.firstSpend, customers)
	b.obs = slices.Grow(b.obs, orders)
}

// DayOf returns t's calendar date in loc as days since 1970-01-01.
func DayOf(t time.Time, loc *time.Location) int32 {
	_, off := t.In(loc).Zone()
	s := t.Unix() + int64(off)
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return int32(d)
}

// Add counts one order. Orders that are not purchases, guest orders (empty
// customerID) and orders dated after the as-of date are ignored. net is the
// order's amount net of refunds, in minor units.
func (b *Builder) Add(customerID string, placedAt time.Time, net int64, purchase bool) {
	if !purchase || customerID == "" {
		return
	}
	day := DayOf(placedAt, b.loc)
	if day > b.asOfDay {
		return
	}
	i, ok := b.index[customerID]
	if !ok {
		// The id may point into a file of hundreds of megabytes: a copy
		// packs the map's keys together, so later lookups compare against
		// memory nearby rather than pages all over the file, and lets the
		// file go.
		customerID = strings.Clone(customerID)
		i = int32(len(b.ids))
		b.index[customerID] = i
		b.ids = append(b.ids, customerID)
		b.freq = append(b.freq, 1)
		b.money = append(b.money, net)
		b.first = append(b.first, day)
		b.last = append(b.last, day)
		b.days = append(b.days, 1)
		b.firstSpend = append(b.firstSpend, net)
		b.obs = append(b.obs, packObs(i, day))
		return
	}
	b.freq[i]++
	b.money[i] += net
	switch {
	case day > b.last[i]:
		b.last[i] = day
		b.days[i]++
	case day < b.last[i]:
		b.unordered = true
	}
	switch {
	case day < b.first[i]:
		b.first[i] = day
		b.firstSpend[i] = net
	case day == b.first[i]:
		b.firstSpend[i] += net
	}
	b.obs = append(b.obs, packObs(i, day))
}

func packObs(i, day int32) uint64 {
	return uint64(uint32(i))<<32 | uint64(uint32(day)^0x80000000)
}

// Build returns the summaries of the customers added so far.
func (b *Builder) Build() *Customers {
	if b.unordered {
		// Distinct purchase days need every customer's dates: sort
		// (customer, day) pairs and count the distinct ones.
		slices.Sort(b.obs)
		clear(b.days)
		prev := ^uint64(0)
		for _, o := range b.obs {
			if o != prev {
				b.days[o>>32]++
				prev = o
			}
		}
	}
	b.obs = nil
	n := len(b.ids)
	c := &Customers{
		AsOf:            b.asOf,
		AsOfDay:         b.asOfDay,
		IDs:             b.ids,
		RecencyDays:     make([]int32, n),
		Frequency:       b.freq,
		Monetary:        b.money,
		PurchaseDays:    b.days,
		FirstDay:        b.first,
		LastDay:         b.last,
		X:               make([]float64, n),
		Tx:              make([]float64, n),
		T:               make([]float64, n),
		MeanRepeatSpend: make([]float64, n),
	}
	for i := range n {
		c.RecencyDays[i] = b.asOfDay - b.last[i]
		x := b.days[i] - 1
		c.X[i] = float64(x)
		c.Tx[i] = float64(b.last[i]-b.first[i]) / 7
		c.T[i] = float64(b.asOfDay-b.first[i]) / 7
		if x > 0 {
			c.MeanRepeatSpend[i] = float64(b.money[i]-b.firstSpend[i]) / float64(x)
		}
	}
	*b = Builder{}
	return c
}

// BuildShards builds builders that counted disjoint customers (the shards
// of ReadOrderParts), on every core, into one Customers: the first shard's
// customers, then the second's, and so on.
func BuildShards(bs []*Builder) *Customers {
	cs := make([]*Customers, len(bs))
	var wg sync.WaitGroup
	for i, b := range bs {
		wg.Go(func() { cs[i] = b.Build() })
	}
	wg.Wait()
	if len(cs) == 1 {
		return cs[0]
	}
	out := &Customers{AsOf: cs[0].AsOf, AsOfDay: cs[0].AsOfDay}
	for _, c := range cs {
		out.IDs = append(out.IDs, c.IDs...)
		out.RecencyDays = append(out.RecencyDays, c.RecencyDays...)
		out.Frequency = append(out.Frequency, c.Frequency...)
		out.Monetary = append(out.Monetary, c.Monetary...)
		out.PurchaseDays = append(out.PurchaseDays, c.PurchaseDays...)
		out.FirstDay = append(out.FirstDay, c.FirstDay...)
		out.LastDay = append(out.LastDay, c.LastDay...)
		out.X = append(out.X, c.X...)
		out.Tx = append(out.Tx, c.Tx...)
		out.T = append(out.T, c.T...)
		out.MeanRepeatSpend = append(out.MeanRepeatSpend, c.MeanRepeatSpend...)
	}
	return out
}

// FromOrderfile reads every order of r into Customers as of the date of asOf
// in loc, with the rows of each order joined wherever they are in the file
// (ReadOrdersJoined). A purchase is an order whose status counts as one and whose amount
// is not negative (a negative amount is a return); its spend is Record.Net.
// Guest orders (empty Customer.Key) are skipped, and so are malformed rows
// (*orderfile.RowError), counted in RejectedRows. Any other read error is
// returned, with no Customers.
func FromOrderfile(r orderfile.Reader, asOf time.Time, loc *time.Location) (*Customers, error) {
	b := NewBuilder(asOf, loc)
	rejected, err := ReadOrdersJoined(r, b.Add)
	if err != nil {
		return nil, err
	}
	c := b.Build()
	c.RejectedRows = rejected
	return c, nil
}

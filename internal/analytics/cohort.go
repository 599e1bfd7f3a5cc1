package analytics

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/guanxi-crm/guanxi/internal/orderfile"
)

// Cohorts is a monthly acquisition-cohort × retention table. Cohort i is the
// customers whose first purchase (on or before the as-of date, in the shop's
// zone) falls in calendar month Months[i]; months run without gaps from the
// earliest cohort to the as-of month, so a month with no new customers is a
// cohort of Size 0. Row i of Active and Revenue has one cell per month from
// the cohort's own month (k = 0) to the as-of month (k = len(Months)-1-i).
type Cohorts struct {
	Months  []string  // "2025-01", … up to the as-of month
	Size    []int     // customers whose first purchase month is Months[i]
	Active  [][]int   // Active[i][k]: customers of cohort i with a purchase in month i+k
	Revenue [][]int64 // Revenue[i][k]: net spend of cohort i in month i+k, minor units

	Repeat int // customers with purchases on at least 2 distinct days

	// RejectedRows counts the file rows CohortsFromOrderfile skipped as
	// malformed.
	RejectedRows int
}

// Customers returns the number of customers with a purchase, the sum of Size.
func (c Cohorts) Customers() int {
	n := 0
	for _, s := range c.Size {
		n += s
	}
	return n
}

// Retention returns the share of cohort i that made a purchase in month i+k:
// Active[i][k] / Size[i], so month 0 is 1.0. An empty cohort has retention 0.
// i and k out of range panic, as slice indexing does.
func (c Cohorts) Retention(i, k int) float64 {
	a := c.Active[i][k]
	if c.Size[i] == 0 {
		return 0
	}
	return float64(a) / float64(c.Size[i])
}

// RepeatRate returns the shop's repeat-purchase rate: customers with
// purchases on at least 2 distinct days over customers with any purchase
// (0 when there are none).
func (c Cohorts) RepeatRate() float64 {
	n := c.Customers()
	if n == 0 {
		return 0
	}
	return float64(c.Repeat) / float64(n)
}

// CohortBuilder accumulates orders into monthly cohorts in one pass. Per
// customer it keeps one 40-byte record: the first purchase month, one
// purchase day and whether another day was seen, a bitset of its active
// months among the last 64, and the most recently added active month with
// its net spend; the customer's other active months (with their spend) are a
// short list in a shared arena of 16-byte entries, so a customer buying in m
// distinct months costs 40 + 16(m−1) bytes beside its map entry, and an
// order in a month not yet seen appends without walking the list. Orders may come in any order; in date order a repeat in the
// same month touches only the record. A CohortBuilder is not safe for
// concurrent use and must not be used after Build.
type CohortBuilder struct {
	asOfDay   int32
	asOfMonth int32
	loc       *time.Location

	index map[string]int32
	cust  []cohortCustomer
	ents  []cohortEntry
}

type cohortCustomer struct {
	net   int64  // net spend in month
	bits  uint64 // active months: bit k for the as-of month − k, k < 64
	month int32  // most recently added active month, months since year 0
	next  int32  // the customer's other active months in ents, -1 for none
	first int32  // first purchase month
	day   int32  // one purchase day of the customer
	multi bool   // a purchase on a day other than day was seen
}

type cohortEntry struct {
	net   int64
	month int32
	next  int32 // next entry of the same customer, -1 at the end
}

// NewCohortBuilder returns a CohortBuilder counting purchases up to and
// including the date of asOf in loc (UTC when loc is nil).
func NewCohortBuilder(asOf time.Time, loc *time.Location) *CohortBuilder {
	if loc == nil {
		loc = time.UTC
	}
	d := DayOf(asOf, loc)
	return &CohortBuilder{asOfDay: d, asOfMonth: monthOfDay(d), loc: loc, index: make(map[string]int32)}
}

// monthOfDay returns the calendar month of a day since 1970-01-01 as
// year*12 + month-1 (proleptic Gregorian; H. Hinnant's civil_from_days).
func monthOfDay(day int32) int32 {
	z := int64(day) + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
		y++
	}
	return int32(y*12 + m - 1)
}

// monthBit returns the bitset bit of a month back months before the as-of
// month, 0 when it is 64 or more months back.
func monthBit(back int32) uint64 {
	if back >= 64 {
		return 0
	}
	return 1 << uint(back)
}

func monthLabel(m int32) string {
	y, mm := m/12, m%12+1
	if m < 0 && m%12 != 0 {
		y, mm = (m-11)/12, (m%12+12)%12+1
	}
	return fmt.Sprintf("%04d-%02d", y, mm)
}

// Add counts one order. Orders that are not purchases, guest orders (empty
// customerID) and orders dated after the as-of date are ignored. net is the
// order's amount net of refunds, in minor units.
func (b *CohortBuilder) Add(customerID string, placedAt time.Time, net int64, purchase bool) {
	if !purchase || customerID == "" {
		return
	}
	day := DayOf(placedAt, b.loc)
	if day > b.asOfDay {
		return
	}
	month := monthOfDay(day)
	i, ok := b.index[customerID]
	if !ok {
		b.index[customerID] = int32(len(b.cust))
		b.cust = append(b.cust, cohortCustomer{net: net, bits: monthBit(b.asOfMonth - month), month: month, next: -1, first: month, day: day})
		return
	}
	c := &b.cust[i]
	if day != c.day {
		c.multi = true
	}
	if month == c.month {
		c.net += net
		return
	}
	if month < c.first {
		c.first = month
	}
	bit := monthBit(b.asOfMonth - month)
	if bit == 0 || c.bits&bit != 0 {
		for e := c.next; e >= 0; e = b.ents[e].next {
			if b.ents[e].month == month {
				b.ents[e].net += net
				return
			}
		}
	}
	c.bits |= bit
	// A new active month: the record's month moves to the arena.
	b.ents = append(b.ents, cohortEntry{net: c.net, month: c.month, next: c.next})
	c.next = int32(len(b.ents) - 1)
	c.net, c.month = net, month
}

// Build returns the cohort table of the customers added so far. With no
// customers every slice is empty.
func (b *CohortBuilder) Build() Cohorts {
	var c Cohorts
	if len(b.cust) == 0 {
		*b = CohortBuilder{}
		return c
	}
	lo := b.asOfMonth
	for i := range b.cust {
		lo = min(lo, b.cust[i].first)
	}
	n := int(b.asOfMonth-lo) + 1
	c.Months = make([]string, n)
	c.Size = make([]int, n)
	c.Active = make([][]int, n)
	c.Revenue = make([][]int64, n)
	cells := n * (n + 1) / 2
	active := make([]int, cells)
	revenue := make([]int64, cells)
	for i := range n {
		c.Months[i] = monthLabel(lo + int32(i))
		w := n - i
		c.Active[i], active = active[:w:w], active[w:]
		c.Revenue[i], revenue = revenue[:w:w], revenue[w:]
	}
	for ci := range b.cust {
		cu := &b.cust[ci]
		f := cu.first
		i := int(f - lo)
		c.Size[i]++
		if cu.multi {
			c.Repeat++
		}
		act, rev := c.Active[i], c.Revenue[i]
		act[cu.month-f]++
		rev[cu.month-f] += cu.net
		for e := cu.next; e >= 0; e = b.ents[e].next {
			k := b.ents[e].month - f
			act[k]++
			rev[k] += b.ents[e].net
		}
	}
	*b = CohortBuilder{}
	return c
}

// CohortsFromOrderfile reads every order of r into Cohorts as of the date of
// asOf in loc, with the purchase rule of FromOrderfile: an order whose
// status counts as a purchase and whose amount is not negative, spend
// Record.Net. Guest orders are skipped, and so are malformed rows
// (*orderfile.RowError), counted in RejectedRows. Any other read error is
// returned.
func CohortsFromOrderfile(r orderfile.Reader, asOf time.Time, loc *time.Location) (Cohorts, error) {
	b := NewCohortBuilder(asOf, loc)
	rejected, err := ReadOrdersJoined(r, b.Add)
	if err != nil {
		return Cohorts{}, err
	}
	c := b.Build()
	c.RejectedRows = rejected
	return c, nil
}

// WriteCohortCSV writes c as CSV: a header `cohort,customers,m0,m1,…` with
// one m column per month of c, then one row per cohort with its month, its
// size and its retention per month as a fraction with 4 decimals (m0 is
// 1.0000). Cells past the as-of month are blank, and so are all retention
// cells of an empty cohort.
func WriteCohortCSV(w io.Writer, c Cohorts) error {
	bw := bufio.NewWriter(w)
	buf := make([]byte, 0, 256)
	n := len(c.Months)
	buf = append(buf, "cohort,customers"...)
	for k := range n {
		buf = append(buf, ",m"...)
		buf = strconv.AppendInt(buf, int64(k), 10)
	}
	buf = append(buf, '\n')
	if _, err := bw.Write(buf); err != nil {
		return err
	}
	for i := range n {
		buf = append(buf[:0], c.Months[i]...)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(c.Size[i]), 10)
		for k := range n {
			buf = append(buf, ',')
			if k < len(c.Active[i]) && c.Size[i] > 0 {
				buf = strconv.AppendFloat(buf, c.Retention(i, k), 'f', 4, 64)
			}
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// MergeCohorts adds up cohort tables built as of the same date from
// disjoint sets of customers (shards of one shop) into the shop's table.
// Tables with no customers are ignored.
func MergeCohorts(cs ...Cohorts) Cohorts {
	var out Cohorts
	start := ""
	for _, c := range cs {
		if len(c.Months) > 0 && (start == "" || c.Months[0] < start) {
			start = c.Months[0]
			out.Months = c.Months // the longest table: it ends at the same as-of month
		}
	}
	n := len(out.Months)
	out.Size = make([]int, n)
	out.Active = make([][]int, n)
	out.Revenue = make([][]int64, n)
	for i := range n {
		out.Active[i] = make([]int, n-i)
		out.Revenue[i] = make([]int64, n-i)
	}
	for _, c := range cs {
		out.Repeat += c.Repeat
		out.RejectedRows += c.RejectedRows
		shift := n - len(c.Months) // same last month: tables differ only in where they start
		for i := range c.Months {
			j := i + shift
			out.Size[j] += c.Size[i]
			for k := range c.Active[i] {
				out.Active[j][k] += c.Active[i][k]
				out.Revenue[j][k] += c.Revenue[i][k]
			}
		}
	}
	return out
}

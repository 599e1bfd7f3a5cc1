package analytics

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/orderfile"
)

// cohortZone is the shop zone of the cohort fixtures (Asia/Shanghai, UTC+8,
// no daylight saving).
var cohortZone = time.FixedZone("CST", 8*3600)

type cohortOrder struct {
	id       string
	at       time.Time
	net      int64
	purchase bool
}

func cst(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, cohortZone)
}

func utc(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, time.UTC)
}

// cohortFixture is a shop of 9 customers over January–April 2025, as of
// 2025-04-15 in Asia/Shanghai, fed partly out of date order. By customer
// (cohort; active months; distinct purchase days):
//
//	a: Jan 5 100, Jan 20 50, Mar 3 200      (Jan; Jan, Mar; 3 days)
//	b: Jan 10 300, Feb 10 cancelled, Apr 1 80 (Jan; Jan, Apr; 2 days)
//	c: 2025-01-31 16:30 UTC = Feb 1 00:30 CST 120, Feb 1 10:00 CST 30
//	                                        (Feb; Feb; 1 day)
//	d: Feb 28 23:59 CST 40, 2025-02-28 16:00 UTC = Mar 1 00:00 CST 60
//	                                        (Feb; Feb, Mar; 2 days)
//	e: Feb 14 500, Mar 1 return −500        (Feb; Feb; 1 day)
//	j: Apr 2 15 added before Feb 5 35       (Feb; Feb, Apr; 2 days)
//	f: Mar 15 70, Apr 15 23:00 CST 10, Apr 20 90 after as-of
//	                                        (Mar; Mar, Apr; 2 days)
//	g: Mar 2 25                             (Mar; Mar; 1 day)
//	k: Apr 10 55                            (Apr; Apr; 1 day)
//
// plus customers with no counted purchase (h: only after as-of; i: only a
// cancelled order) and a guest order. Repeat customers: a b d j f = 5 of 9.
func cohortFixture() []cohortOrder {
	return []cohortOrder{
		{"j", cst(2025, 4, 2, 12, 0), 15, true},
		{"a", cst(2025, 3, 3, 9, 0), 200, true},
		{"a", cst(2025, 1, 5, 9, 0), 100, true},
		{"a", cst(2025, 1, 20, 9, 0), 50, true},
		{"b", cst(2025, 1, 10, 9, 0), 300, true},
		{"b", cst(2025, 2, 10, 9, 0), 999, false},
		{"b", cst(2025, 4, 1, 9, 0), 80, true},
		{"c", utc(2025, 1, 31, 16, 30), 120, true},
		{"c", cst(2025, 2, 1, 10, 0), 30, true},
		{"d", cst(2025, 2, 28, 23, 59), 40, true},
		{"d", utc(2025, 2, 28, 16, 0), 60, true},
		{"e", cst(2025, 2, 14, 9, 0), 500, true},
		{"e", cst(2025, 3, 1, 9, 0), -500, false},
		{"j", cst(2025, 2, 5, 12, 0), 35, true},
		{"f", cst(2025, 3, 15, 9, 0), 70, true},
		{"f", cst(2025, 4, 15, 23, 0), 10, true},
		{"f", cst(2025, 4, 20, 9, 0), 90, true},
		{"g", cst(2025, 3, 2, 9, 0), 25, true},
		{"k", cst(2025, 4, 10, 9, 0), 55, true},
		{"h", cst(2025, 4, 16, 0, 0), 77, true},
		{"i", cst(2025, 2, 2, 9, 0), 88, false},
		{"", cst(2025, 2, 2, 9, 0), 66, true},
	}
}

func buildCohortFixture() Cohorts {
	b := NewCohortBuilder(cst(2025, 4, 15, 0, 0), cohortZone)
	for _, o := range cohortFixture() {
		b.Add(o.id, o.at, o.net, o.purchase)
	}
	return b.Build()
}

func TestCohortFixture(t *testing.T) {
	c := buildCohortFixture()
	if want := []string{"2025-01", "2025-02", "2025-03", "2025-04"}; !slices.Equal(c.Months, want) {
		t.Fatalf("Months = %v, want %v", c.Months, want)
	}
	if want := []int{2, 4, 2, 1}; !slices.Equal(c.Size, want) {
		t.Errorf("Size = %v, want %v", c.Size, want)
	}
	wantActive := [][]int{{2, 0, 1, 1}, {4, 1, 1}, {2, 1}, {1}}
	wantRevenue := [][]int64{{450, 0, 200, 80}, {725, 60, 15}, {95, 10}, {55}}
	for i := range wantActive {
		if !slices.Equal(c.Active[i], wantActive[i]) {
			t.Errorf("Active[%d] = %v, want %v", i, c.Active[i], wantActive[i])
		}
		if !slices.Equal(c.Revenue[i], wantRevenue[i]) {
			t.Errorf("Revenue[%d] = %v, want %v", i, c.Revenue[i], wantRevenue[i])
		}
	}
	if c.Repeat != 5 || c.Customers() != 9 {
		t.Errorf("Repeat, Customers = %d, %d, want 5, 9", c.Repeat, c.Customers())
	}
	if got := c.RepeatRate(); got != 5.0/9.0 {
		t.Errorf("RepeatRate = %v, want %v", got, 5.0/9.0)
	}
	for i := range c.Months {
		if got := c.Retention(i, 0); got != 1 {
			t.Errorf("Retention(%d, 0) = %v, want 1", i, got)
		}
	}
	if got := c.Retention(1, 1); got != 0.25 {
		t.Errorf("Retention(1, 1) = %v, want 0.25", got)
	}
	if got := c.Retention(0, 1); got != 0 {
		t.Errorf("Retention(0, 1) = %v, want 0", got)
	}
}

// TestCohortOrderIndependent feeds the fixture in every rotation and in
// reverse and expects the same table.
func TestCohortOrderIndependent(t *testing.T) {
	want := buildCohortFixture()
	in := cohortFixture()
	check := func(name string, orders []cohortOrder) {
		b := NewCohortBuilder(cst(2025, 4, 15, 0, 0), cohortZone)
		for _, o := range orders {
			b.Add(o.id, o.at, o.net, o.purchase)
		}
		got := b.Build()
		if !slices.Equal(got.Months, want.Months) || !slices.Equal(got.Size, want.Size) || got.Repeat != want.Repeat ||
			!slices.EqualFunc(got.Active, want.Active, slices.Equal) || !slices.EqualFunc(got.Revenue, want.Revenue, slices.Equal) {
			t.Errorf("%s: got %+v, want %+v", name, got, want)
		}
	}
	for r := range in {
		check("rotate "+strconv.Itoa(r), append(slices.Clone(in[r:]), in[:r]...))
	}
	rev := slices.Clone(in)
	slices.Reverse(rev)
	check("reverse", rev)
}

func TestWriteCohortCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCohortCSV(&buf, buildCohortFixture()); err != nil {
		t.Fatal(err)
	}
	want := "cohort,customers,m0,m1,m2,m3\n" +
		"2025-01,2,1.0000,0.0000,0.5000,0.5000\n" +
		"2025-02,4,1.0000,0.2500,0.2500,\n" +
		"2025-03,2,1.0000,0.5000,,\n" +
		"2025-04,1,1.0000,,,\n"
	if got := buf.String(); got != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", got, want)
	}
}

// TestCohortEmptyMonth: a month with no new customers is an empty cohort
// row (retention 0, blank cells), and the table runs to the as-of month even
// when it has no orders.
func TestCohortEmptyMonth(t *testing.T) {
	b := NewCohortBuilder(cst(2025, 3, 31, 12, 0), cohortZone)
	b.Add("x", cst(2025, 1, 3, 9, 0), 10, true)
	b.Add("y", cst(2025, 1, 4, 9, 0), 20, true)
	b.Add("x", cst(2025, 2, 3, 9, 0), 30, true)
	c := b.Build()
	if want := []string{"2025-01", "2025-02", "2025-03"}; !slices.Equal(c.Months, want) {
		t.Fatalf("Months = %v, want %v", c.Months, want)
	}
	if got := c.Retention(1, 0); got != 0 {
		t.Errorf("Retention of empty cohort = %v, want 0", got)
	}
	var buf bytes.Buffer
	if err := WriteCohortCSV(&buf, c); err != nil {
		t.Fatal(err)
	}
	want := "cohort,customers,m0,m1,m2\n" +
		"2025-01,2,1.0000,0.5000,0.0000\n" +
		"2025-02,0,,,\n" +
		"2025-03,0,,,\n"
	if got := buf.String(); got != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", got, want)
	}
	if got := c.RepeatRate(); got != 0.5 {
		t.Errorf("RepeatRate = %v, want 0.5", got)
	}
}

// TestCohortOldMonths covers months 64 or more before the as-of month,
// which the per-customer bitset does not hold, fed out of order.
func TestCohortOldMonths(t *testing.T) {
	b := NewCohortBuilder(cst(2025, 12, 31, 0, 0), cohortZone)
	b.Add("x", cst(2015, 3, 9, 9, 0), 5, true)
	b.Add("x", cst(2015, 1, 9, 9, 0), 1, true)
	b.Add("x", cst(2025, 12, 1, 9, 0), 7, true)
	b.Add("x", cst(2015, 3, 10, 9, 0), 5, true)
	b.Add("x", cst(2015, 1, 9, 10, 0), 2, true)
	b.Add("y", cst(2015, 3, 1, 9, 0), 4, true)
	c := b.Build()
	n := (2025-2015)*12 + 12
	if len(c.Months) != n || c.Months[0] != "2015-01" || c.Months[n-1] != "2025-12" {
		t.Fatalf("Months = %d from %s to %s, want %d from 2015-01 to 2025-12", len(c.Months), c.Months[0], c.Months[len(c.Months)-1], n)
	}
	if c.Size[0] != 1 || c.Size[2] != 1 || c.Customers() != 2 || c.Repeat != 1 {
		t.Errorf("Size[0], Size[2], Customers, Repeat = %d, %d, %d, %d, want 1, 1, 2, 1", c.Size[0], c.Size[2], c.Customers(), c.Repeat)
	}
	if got, want := c.Revenue[0][0], int64(3); got != want {
		t.Errorf("Revenue[0][0] = %d, want %d", got, want)
	}
	if c.Revenue[0][2] != 10 || c.Active[0][2] != 1 || c.Revenue[0][n-1] != 7 || c.Active[0][n-1] != 1 {
		t.Errorf("cohort 2015-01: Active %v…, Revenue %v…", c.Active[0][:3], c.Revenue[0][:3])
	}
	if c.Revenue[2][0] != 4 || c.Active[2][0] != 1 {
		t.Errorf("cohort 2015-03: Active %v, Revenue %v", c.Active[2][:1], c.Revenue[2][:1])
	}
	sum := 0
	for _, row := range c.Active {
		for _, v := range row {
			sum += v
		}
	}
	if sum != 4 {
		t.Errorf("active customer-months = %d, want 4", sum)
	}
}

func TestCohortNoCustomers(t *testing.T) {
	b := NewCohortBuilder(cst(2025, 3, 31, 0, 0), nil)
	b.Add("x", cst(2025, 1, 3, 9, 0), 10, false)
	c := b.Build()
	if len(c.Months) != 0 || c.RepeatRate() != 0 {
		t.Errorf("got %+v, want empty", c)
	}
	var buf bytes.Buffer
	if err := WriteCohortCSV(&buf, c); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "cohort,customers\n" {
		t.Errorf("CSV = %q", got)
	}
}

// TestMonthOfDay compares the civil-calendar arithmetic with package time
// over years −400 to 2400.
func TestMonthOfDay(t *testing.T) {
	for d := int32(-866000); d <= 157000; d += 13 {
		tm := time.Unix(int64(d)*86400, 0).UTC()
		want := int32(tm.Year()*12 + int(tm.Month()) - 1)
		if got := monthOfDay(d); got != want {
			t.Fatalf("monthOfDay(%d) = %d, want %d (%s)", d, got, want, tm)
		}
	}
	for _, tc := range []struct {
		m    int32
		want string
	}{{2025*12 + 0, "2025-01"}, {2025*12 + 11, "2025-12"}, {0, "0000-01"}, {-1, "-001-12"}} {
		if got := monthLabel(tc.m); got != tc.want {
			t.Errorf("monthLabel(%d) = %q, want %q", tc.m, got, tc.want)
		}
	}
}

// TestCohortsFromOrderfile reads a generic CSV through the real reader:
// cancelled and refunded (negative) orders are not purchases, a partial
// refund counts net, malformed rows are counted, guests skipped.
func TestCohortsFromOrderfile(t *testing.T) {
	const in = "order_id,order_date,customer_id,amount,status,refunded_amount\n" +
		"1,2025-01-05,a,100.00,paid,\n" +
		"2,2025-02-05,a,50.00,partially_refunded,20.00\n" +
		"3,2025-02-06,b,80.00,cancelled,\n" +
		"4,2025-02-07,b,-30.00,refunded,\n" +
		"5,2025-02-08,b,40.00,completed,\n" +
		"6,2025-02-09,,70.00,paid,\n" +
		"7,not-a-date,c,10.00,paid,\n" +
		"8,2025-03-01T00:30:00+08:00,c,10.00,paid,\n" +
		"9,2025-03-02,c,10.00,paid,\n"
	r, err := orderfile.Open("generic", "inline.csv", strings.NewReader(in), orderfile.Options{Location: cohortZone})
	if err != nil {
		t.Fatal(err)
	}
	c, err := CohortsFromOrderfile(r, cst(2025, 3, 1, 0, 0), cohortZone)
	if err != nil {
		t.Fatal(err)
	}
	if c.RejectedRows != 1 {
		t.Errorf("RejectedRows = %d, want 1", c.RejectedRows)
	}
	if want := []int{1, 1, 1}; !slices.Equal(c.Size, want) {
		t.Errorf("Size = %v, want %v", c.Size, want)
	}
	wantRevenue := [][]int64{{10000, 3000, 0}, {4000, 0}, {1000}}
	if !slices.EqualFunc(c.Revenue, wantRevenue, slices.Equal) {
		t.Errorf("Revenue = %v, want %v", c.Revenue, wantRevenue)
	}
	if c.Repeat != 1 {
		t.Errorf("Repeat = %d, want 1", c.Repeat)
	}
}

// BenchmarkCohortBuilder adds 3,000,000 purchase orders of 1,000,000
// customers over 30 months, dates out of order, and builds the table.
func BenchmarkCohortBuilder(b *testing.B) {
	const orders, customers = 3_000_000, 1_000_000
	rng := rand.New(rand.NewPCG(3, 5))
	ids := make([]string, customers)
	for i := range ids {
		ids[i] = "cust-" + strconv.Itoa(i)
	}
	base := time.Date(2023, 1, 1, 0, 0, 0, 0, cohortZone)
	in := make([]cohortOrder, orders)
	for i := range in {
		in[i] = cohortOrder{ids[rng.IntN(customers)], base.Add(time.Duration(rng.IntN(900*24)) * time.Hour), int64(rng.IntN(50000)), true}
	}
	asOf := time.Date(2025, 6, 30, 0, 0, 0, 0, cohortZone)
	b.ResetTimer()
	b.ReportAllocs()
	for b.Loop() {
		cb := NewCohortBuilder(asOf, cohortZone)
		for _, x := range in {
			cb.Add(x.id, x.at, x.net, x.purchase)
		}
		cb.Build()
	}
}

// Cohorts built from disjoint shards of the customers add up to the table
// of all of them.
func TestMergeCohorts(t *testing.T) {
	asOf := time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)
	all, shards := NewCohortBuilder(asOf, time.UTC), []*CohortBuilder{NewCohortBuilder(asOf, time.UTC), NewCohortBuilder(asOf, time.UTC)}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		c := rng.IntN(400)
		// Shard 1 only has customers who start late, so its table is shorter.
		at := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(900))
		if c%2 == 1 {
			at = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(390))
		}
		id, net := strconv.Itoa(c), int64(100+rng.IntN(1000))
		all.Add(id, at, net, true)
		shards[c%2].Add(id, at, net, true)
	}
	want := all.Build()
	got := MergeCohorts(shards[0].Build(), shards[1].Build(), NewCohortBuilder(asOf, time.UTC).Build())
	if !reflect.DeepEqual(got, want) {
		t.Errorf("merged\n%+v\nwant\n%+v", got, want)
	}
}

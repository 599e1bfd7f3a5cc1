package demo

import (
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/orderfile"
)

var testEnd = time.Date(2025, 6, 30, 0, 0, 0, 0, shanghai())

func generate(t testing.TB, cfg Config) []*orderfile.Record {
	t.Helper()
	var recs []*orderfile.Record
	if err := Generate(cfg, func(r *orderfile.Record) error {
		recs = append(recs, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return recs
}

// defaultShop is the default demo shop, generated once for the tests that
// only read it.
var defaultShop = sync.OnceValue(func() []*orderfile.Record {
	var recs []*orderfile.Record
	if err := Generate(DefaultConfig(testEnd), func(r *orderfile.Record) error {
		recs = append(recs, r)
		return nil
	}); err != nil {
		panic(err)
	}
	return recs
})

func TestDeterministic(t *testing.T) {
	cfg := DefaultConfig(testEnd)
	cfg.Customers, cfg.Orders = 3000, 9000
	a, b := generate(t, cfg), generate(t, cfg)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with the same config differ")
	}
	if !reflect.DeepEqual(Profiles(cfg), Profiles(cfg)) {
		t.Fatal("two Profiles with the same config differ")
	}
	cfg.Seed++
	if c := generate(t, cfg); reflect.DeepEqual(a, c) {
		t.Fatal("another seed gives the same shop")
	}
}

func TestCounts(t *testing.T) {
	cfg := DefaultConfig(testEnd)
	recs := defaultShop()
	if n, want := len(recs), cfg.Orders; n < want*98/100 || n > want*102/100 {
		t.Errorf("%d orders, want %d ±2%%", n, want)
	}
	s, err := build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.persons) != cfg.Customers {
		t.Errorf("%d customers, want %d", len(s.persons), cfg.Customers)
	}
	for i, pe := range s.persons {
		if pe.n < 1 || pe.n > maxOrders {
			t.Fatalf("customer %d has %d orders", i, pe.n)
		}
	}
	// Small and odd shapes too.
	for _, c := range []struct{ customers, orders int }{{1, 1}, {1, 3}, {10, 10}, {500, 1500}, {1000, 9000}} {
		cfg := Config{Seed: 7, Customers: c.customers, Orders: c.orders, End: testEnd}
		if n := len(generate(t, cfg)); n != c.orders {
			t.Errorf("%d customers, %d orders: got %d", c.customers, c.orders, n)
		}
	}
}

var (
	digits19   = regexp.MustCompile(`^[1-4][0-9]{18}$`)
	douyinID   = regexp.MustCompile(`^[4-6][0-9]{18}$`)
	wechatID   = regexp.MustCompile(`^WX([0-9]{8})[0-9]{6}$`)
	maskedRE   = regexp.MustCompile(`^1[3-9][0-9]\*{4}[0-9]{4}$`)
	mobileRE   = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	provinceOK = func() map[string]bool {
		m := map[string]bool{}
		for _, p := range provinces {
			m[p.name] = true
		}
		return m
	}()
)

func TestRecordsValid(t *testing.T) {
	recs := defaultShop()
	first := testEnd.AddDate(-2, 0, 1)
	stop := testEnd.AddDate(0, 0, 1)
	ids := map[string]bool{}
	kinds := map[string][]string{
		"taobao":      {orderfile.KeyBuyerNick},
		"tmall":       {orderfile.KeyBuyerNick, orderfile.KeyOMID},
		"douyin":      {orderfile.KeyOUID},
		"wechat_mini": {orderfile.KeyOpenID},
	}
	for i, r := range recs {
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("order %d (%s %s): "+format, append([]any{i, r.Platform, r.OrderID}, args...)...)
		}
		if r.OrderID == "" {
			fail("no order id")
		}
		key := r.Platform + "/" + r.OrderID
		if ids[key] {
			fail("order id repeats")
		}
		ids[key] = true
		switch r.Platform {
		case "taobao", "tmall":
			if !digits19.MatchString(r.OrderID) {
				fail("not a Taobao order number")
			}
		case "douyin":
			if !douyinID.MatchString(r.OrderID) {
				fail("not a Douyin order number")
			}
		case "wechat_mini":
			m := wechatID.FindStringSubmatch(r.OrderID)
			if m == nil || m[1] != r.PlacedAt.Format("20060102") {
				fail("not WX + date + sequence")
			}
			if r.Attrs["unionid"] == "" {
				fail("no unionid")
			}
		default:
			fail("unknown platform")
		}
		if r.Channel != r.Platform {
			fail("channel %q, platform %q", r.Channel, r.Platform)
		}
		if !r.Status.Valid() {
			fail("status %q", r.Status)
		}
		if r.PlacedAt.Before(first) || !r.PlacedAt.Before(stop) {
			fail("placed at %s, outside %s .. %s", r.PlacedAt, first, stop)
		}
		if len(r.Lines) == 0 || len(r.Lines) > 4 {
			fail("%d lines", len(r.Lines))
		}
		var sum guanxi.Money
		for _, l := range r.Lines {
			if l.SKU == "" || l.Name == "" || l.Category == "" || l.Quantity < 1 || l.UnitPrice < 990 || l.UnitPrice > 129900 {
				fail("line %+v", l)
			}
			if l.Amount != l.UnitPrice.MulQty(l.Quantity) {
				fail("line amount %s ≠ %d × %s", l.Amount, l.Quantity, l.UnitPrice)
			}
			sum += l.Amount
		}
		if r.Amount != sum-r.Discount+r.ShippingFee {
			fail("amount %s ≠ %s - %s + %s", r.Amount, sum, r.Discount, r.ShippingFee)
		}
		if r.Amount < 0 || r.Discount < 0 || r.ShippingFee < 0 || r.ShippingFee > 1000 {
			fail("amount %s, discount %s, shipping %s", r.Amount, r.Discount, r.ShippingFee)
		}
		switch r.Status {
		case orderfile.StatusRefunded:
			if r.Refunded != r.Amount {
				fail("refunded %s of %s", r.Refunded, r.Amount)
			}
		case orderfile.StatusPartiallyRefunded:
			if r.Refunded <= 0 || r.Refunded >= r.Amount {
				fail("partially refunded %s of %s", r.Refunded, r.Amount)
			}
		default:
			if r.Refunded != 0 {
				fail("refunded %s in status %s", r.Refunded, r.Status)
			}
		}
		unpaid := r.Status == orderfile.StatusPending || r.Status == orderfile.StatusCancelled
		if unpaid != r.PaidAt.IsZero() {
			fail("status %s, paid at %s", r.Status, r.PaidAt)
		}
		if !unpaid && (!r.PaidAt.After(r.PlacedAt) || r.PaidAt.Sub(r.PlacedAt) > 7*time.Hour || r.PaidAt.After(stop)) {
			fail("placed %s, paid %s", r.PlacedAt, r.PaidAt)
		}
		if age := testEnd.Sub(r.PlacedAt); age > 15*24*time.Hour && r.Status != orderfile.StatusCompleted && r.Status.IsPurchase() && r.Status != orderfile.StatusPartiallyRefunded {
			fail("status %s after %s", r.Status, age)
		}
		c := r.Customer
		if c.Key == "" || !slices.Contains(kinds[r.Platform], c.KeyKind) || c.Name == "" || c.Address == "" {
			fail("customer %+v", c)
		}
		if !provinceOK[r.Province] || r.City == "" || c.Province != r.Province || c.City != r.City {
			fail("ship to %s %s, customer in %s %s", r.Province, r.City, c.Province, c.City)
		}
		if c.Email != "" && guanxi.NormalizeEmail(c.Email) == "" {
			fail("email %q", c.Email)
		}
	}
}

func TestOrderedByTime(t *testing.T) {
	recs := defaultShop()
	for i := 1; i < len(recs); i++ {
		if recs[i].PlacedAt.Before(recs[i-1].PlacedAt) {
			t.Fatalf("order %d placed %s, before order %d at %s", i, recs[i].PlacedAt, i-1, recs[i-1].PlacedAt)
		}
	}
}

func TestEndInTheDay(t *testing.T) {
	end := time.Date(2025, 3, 10, 15, 30, 0, 0, shanghai())
	recs := generate(t, Config{Seed: 5, Customers: 2000, Orders: 6000, End: end})
	last := recs[len(recs)-1].PlacedAt
	if last.After(end) || last.Before(end.Add(-24*time.Hour)) {
		t.Errorf("last order at %s, want shortly before %s", last, end)
	}
	if first := recs[0].PlacedAt; first.Before(time.Date(2023, 3, 11, 0, 0, 0, 0, shanghai())) {
		t.Errorf("first order at %s", first)
	}
}

func TestSeasonality(t *testing.T) {
	recs := defaultShop()
	perDay := map[string]int{}
	evening := 0
	for _, r := range recs {
		perDay[r.PlacedAt.Format(time.DateOnly)]++
		if h := r.PlacedAt.Hour(); h >= 20 && h <= 23 {
			evening++
		}
	}
	days := 0
	for d := testEnd.AddDate(-2, 0, 1); !d.After(testEnd); d = d.AddDate(0, 0, 1) {
		days++
	}
	avg := float64(len(recs)) / float64(days)
	window := func(month time.Month, from, to int) float64 {
		n, k := 0, 0
		for d := testEnd.AddDate(-2, 0, 1); !d.After(testEnd); d = d.AddDate(0, 0, 1) {
			if d.Month() == month && d.Day() >= from && d.Day() <= to {
				n += perDay[d.Format(time.DateOnly)]
				k++
			}
		}
		return float64(n) / float64(k)
	}
	if d11 := window(time.November, 1, 11); d11 < 1.5*avg {
		t.Errorf("Nov 1-11: %.0f orders a day, yearly average %.0f", d11, avg)
	}
	if d618 := window(time.June, 1, 18); d618 < 1.5*avg {
		t.Errorf("Jun 1-18: %.0f orders a day, yearly average %.0f", d618, avg)
	}
	if peak, nov := float64(perDay["2024-11-11"]), window(time.November, 1, 10); peak < 3*nov {
		t.Errorf("Double 11: %.0f orders, the days before %.0f", peak, nov)
	}
	if quiet := window(time.February, 10, 16); quiet > 0.7*avg { // Spring Festival 2024 and 2025's aftermath
		t.Logf("Feb 10-16: %.0f orders a day, yearly average %.0f", quiet, avg)
	}
	if share := float64(evening) / float64(len(recs)); share < 0.25 {
		t.Errorf("%.0f%% of orders placed 20:00-23:59, want the evening peak", 100*share)
	}
}

func TestBuyers(t *testing.T) {
	s, err := build(DefaultConfig(testEnd))
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]int, len(s.persons))
	once, cross := 0, 0
	for i, pe := range s.persons {
		counts[i] = int(pe.n)
		if pe.n == 1 {
			once++
		}
		if pe.nch == 2 {
			cross++
		}
	}
	slices.Sort(counts)
	n := float64(len(counts))
	if share := float64(once) / n; share < 0.53 || share > 0.62 {
		t.Errorf("%.1f%% one-time buyers, want 55-60%%", 100*share)
	}
	if p95 := counts[len(counts)*95/100]; p95 < 9 || p95 > 14 {
		t.Errorf("top 5%% start at %d orders, want about 10", p95)
	}
	if top := counts[len(counts)-1]; top < 25 || top > maxOrders {
		t.Errorf("the best customer has %d orders", top)
	}
	if share := float64(cross) / n; share < 0.13 || share > 0.17 {
		t.Errorf("%.1f%% buy on two channels, want ~15%%", 100*share)
	}
	// Churn: repeat buyers whose last order is over a year old.
	last := make([]int32, len(s.persons))
	for _, e := range s.events {
		last[e.person] = max(last[e.person], e.day)
	}
	churned := 0
	for i, pe := range s.persons {
		if pe.n > 1 && int(last[i]) < len(s.cal.days)-365 {
			churned++
		}
	}
	if share := float64(churned) / n; share < 0.03 {
		t.Errorf("%.1f%% repeat buyers went quiet a year ago, want some", 100*share)
	}
}

func TestPhones(t *testing.T) {
	recs := defaultShop()
	platforms := map[string]map[string]bool{}
	masked, others := 0, 0
	for _, r := range recs {
		p := r.Customer.Phone
		switch {
		case maskedRE.MatchString(p):
			if r.Platform == "wechat_mini" {
				t.Fatalf("masked phone %s on a WeChat order", p)
			}
			if !guanxi.IsMasked(p) || guanxi.NormalizePhone(p) != "" {
				t.Fatalf("%s is not seen as masked", p)
			}
			masked++
		case mobileRE.MatchString(p):
			if platforms[p] == nil {
				platforms[p] = map[string]bool{}
			}
			platforms[p][r.Platform] = true
		default:
			t.Fatalf("phone %q is neither a mobile nor masked", p)
		}
		if r.Platform != "wechat_mini" {
			others++
		}
	}
	if share := float64(masked) / float64(others); share < 0.65 || share > 0.75 {
		t.Errorf("%.0f%% of non-WeChat phones masked, want ~70%%", 100*share)
	}
	shared := 0
	for _, ps := range platforms {
		if len(ps) > 1 {
			shared++
		}
	}
	if shared < DefaultConfig(testEnd).Customers/20 {
		t.Errorf("%d full phones appear on more than one channel, want a share of the customers", shared)
	}
}

func TestStatusMix(t *testing.T) {
	recs := defaultShop()
	n := map[orderfile.Status]int{}
	for _, r := range recs {
		n[r.Status]++
	}
	for _, c := range []struct {
		s      orderfile.Status
		lo, hi float64
	}{
		{orderfile.StatusCompleted, 0.85, 0.92},
		{orderfile.StatusCancelled, 0.03, 0.05},
		{orderfile.StatusRefunded, 0.02, 0.045},
		{orderfile.StatusPartiallyRefunded, 0.01, 0.03},
		{orderfile.StatusShipped, 0.002, 0.03},
		{orderfile.StatusPaid, 0.0005, 0.01},
	} {
		if share := float64(n[c.s]) / float64(len(recs)); share < c.lo || share > c.hi {
			t.Errorf("%s: %.1f%% of orders, want %.1f-%.1f%%", c.s, 100*share, 100*c.lo, 100*c.hi)
		}
	}
}

func TestBaskets(t *testing.T) {
	recs := defaultShop()
	pair := map[[2]string]int{}
	cats := map[string]int{}
	skus := map[string]bool{}
	multi := 0
	for _, r := range recs {
		seen := map[string]bool{}
		for _, l := range r.Lines {
			skus[l.SKU] = true
			if !seen[l.Category] {
				cats[l.Category]++
				seen[l.Category] = true
			}
		}
		if len(r.Lines) > 1 {
			multi++
		}
		for i, a := range r.Lines {
			for _, b := range r.Lines[i+1:] {
				k := [2]string{a.SKU, b.SKU}
				if k[0] > k[1] {
					k[0], k[1] = k[1], k[0]
				}
				pair[k]++
			}
		}
	}
	if len(cats) != numCats || len(skus) < 180 {
		t.Errorf("%d categories and %d SKUs sold", len(cats), len(skus))
	}
	if share := float64(multi) / float64(len(recs)); share < 0.3 || share > 0.6 {
		t.Errorf("%.0f%% of orders have several lines", 100*share)
	}
	// A companion pair sells together far more often than chance.
	if n := pair[[2]string{"GH-001", "GH-002"}]; n < 200 {
		t.Errorf("shampoo and conditioner together in %d orders", n)
	}
	if n := pair[[2]string{"SM-001", "SM-002"}]; n < 100 {
		t.Errorf("phone case and screen protector together in %d orders", n)
	}
}

func TestProfiles(t *testing.T) {
	cfg := DefaultConfig(testEnd)
	cfg.Customers, cfg.Orders = 4000, 12000
	keys := map[string]bool{}
	for _, r := range generate(t, cfg) {
		keys[r.Platform+"/"+r.Customer.Key] = true
	}
	ps := Profiles(cfg)
	got := map[string]bool{}
	tagged := 0
	for _, p := range ps {
		k := p.Platform + "/" + p.Key
		if got[k] {
			t.Fatalf("two profiles for %s", k)
		}
		got[k] = true
		if p.Gender != "f" && p.Gender != "m" {
			t.Errorf("%s: gender %q", k, p.Gender)
		}
		age := testEnd.Year() - p.Birthday.Year()
		if testEnd.YearDay() < p.Birthday.YearDay() {
			age--
		}
		if age < 18 || age > 60 {
			t.Errorf("%s: born %s, %d years old", k, p.Birthday.Format(time.DateOnly), age)
		}
		if len(p.Tags) > 0 {
			tagged++
		}
	}
	if !reflect.DeepEqual(keys, got) {
		t.Errorf("%d keys in orders, %d profiles, not the same", len(keys), len(got))
	}
	if tagged < len(ps)/2 {
		t.Errorf("only %d of %d profiles have tags", tagged, len(ps))
	}
}

func TestNames(t *testing.T) {
	s, err := build(DefaultConfig(testEnd))
	if err != nil {
		t.Fatal(err)
	}
	surname := map[string]int{}
	female := 0
	for _, pe := range s.persons {
		if n := len([]rune(pe.name)); n < 2 || n > 4 {
			t.Fatalf("name %q", pe.name)
		}
		surname[string([]rune(pe.name)[:1])]++
		if pe.female {
			female++
		}
		if strings.Contains(pe.key[0], "*") {
			t.Fatalf("key %q looks masked", pe.key[0])
		}
	}
	if !(surname["王"] > surname["陈"] && surname["李"] > surname["杨"] && surname["张"] > surname["黄"]) {
		t.Errorf("surnames not weighted by frequency: %v", surname)
	}
	if share := float64(female) / float64(len(s.persons)); share < 0.55 || share > 0.75 {
		t.Errorf("%.0f%% women", 100*share)
	}
}

func TestEmitError(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	err := Generate(Config{Seed: 1, Customers: 100, Orders: 300, End: testEnd}, func(*orderfile.Record) error {
		calls++
		if calls == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 10 {
		t.Errorf("got %v after %d calls, want stop after 10", err, calls)
	}
}

func TestInvalidConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Customers: 0, Orders: 10, End: testEnd},
		{Customers: 10, Orders: 9, End: testEnd},
		{Customers: 10, Orders: 30},
	} {
		err := Generate(cfg, func(*orderfile.Record) error { return nil })
		if guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("%+v: got %v, want EINVALID", cfg, err)
		}
		if Profiles(cfg) != nil {
			t.Errorf("%+v: profiles for an invalid config", cfg)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	cfg := DefaultConfig(testEnd)
	for b.Loop() {
		n := 0
		if err := Generate(cfg, func(*orderfile.Record) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n), "orders/op")
	}
}

package loyalty_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/loyalty"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// model is what the ledger should hold, kept by hand beside it.
type model struct {
	lots    map[int64][]*lot // by customer, oldest first
	balance map[int64]int64
	orders  map[int64]*modelOrder
}

type lot struct {
	remaining int64
	expires   time.Time
}

type modelOrder struct {
	customer, amount, refunded int64
	status                     string
	earned, reversed           int64
	credited                   bool
	earnedNet, lastNet         int64 // net amount the points were earned on, and the lowest reversed for
}

func (m *model) credit(c, n int64, expires time.Time) {
	m.lots[c] = append(m.lots[c], &lot{remaining: n, expires: expires})
	m.balance[c] += n
}

// debit takes up to n points oldest first and returns how many it took.
func (m *model) debit(c, n int64) int64 {
	n = min(n, m.balance[c])
	left := n
	for _, l := range m.lots[c] {
		take := min(l.remaining, left)
		l.remaining -= take
		left -= take
	}
	m.balance[c] -= n
	return n
}

// earn mirrors loyalty.Service.Earn with ppy points per yuan.
func (m *model) earn(o *modelOrder, ppy int64, now time.Time, months int) int64 {
	net := max(o.amount-o.refunded, 0)
	if o.status == "refunded" {
		net = 0
	}
	if !o.credited {
		n := net * ppy / 100
		if n <= 0 {
			return 0
		}
		o.credited, o.earned, o.earnedNet, o.lastNet = true, n, net, net
		m.credit(o.customer, n, now.AddDate(0, months, 0))
		return n
	}
	if net >= o.lastNet {
		return 0
	}
	owed := o.earned - o.earned*net/o.earnedNet - o.reversed
	if owed <= 0 {
		return 0
	}
	take := m.debit(o.customer, owed)
	if take > 0 {
		o.reversed += take
		o.lastNet = net
	}
	return -take
}

func (m *model) expire(now time.Time) int64 {
	var total int64
	for c, lots := range m.lots {
		for _, l := range lots {
			if !l.expires.IsZero() && !l.expires.After(now) && l.remaining > 0 {
				total += l.remaining
				m.balance[c] -= l.remaining
				l.remaining = 0
			}
		}
	}
	return total
}

// TestProperty runs seeded random sequences of earn, refund, redeem,
// adjust and expire against the ledger and a model of it, and checks after
// every step: each balance equals the model's and the sum of the
// customer's entries, nothing is negative, every credit's unspent part is
// the model's (so expiry took only unspent points, oldest consumed first),
// and earning twice for an order changes nothing.
func TestProperty(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		steps := 250
		if db.Dialect == store.Postgres {
			steps = 120
		}
		for seed := range uint64(3) {
			t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { property(t, db, seed, steps) })
		}
	})
}

func property(t *testing.T, db *store.DB, seed uint64, steps int) {
	c := &clock{t: day("2025-02-01")}
	sh := setup(t, db, c, "property.csv")
	// Free the code for the next seed's shop.
	if _, err := db.Exec(ctx, `UPDATE shops SET code = ? WHERE id = ?`, fmt.Sprint("done", seed), sh.ID); err != nil {
		t.Fatal(err)
	}
	svc := loyalty.NewService(db, c)
	const ppy, months = 3, 2
	st := loyalty.DefaultSettings()
	st.PointsPerYuan, st.ExpiryMonths = ppy, months
	if err := svc.SetSettings(ctx, sh.ID, st); err != nil {
		t.Fatal(err)
	}
	m := &model{lots: map[int64][]*lot{}, balance: map[int64]int64{}, orders: map[int64]*modelOrder{}}
	rows, err := db.Query(ctx, `SELECT id, customer_id, amount FROM orders WHERE shop_id = ? ORDER BY id`, sh.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids, customers []int64
	for rows.Next() {
		var id int64
		o := &modelOrder{status: "paid"}
		if err := rows.Scan(&id, &o.customer, &o.amount); err != nil {
			t.Fatal(err)
		}
		m.orders[id] = o
		ids = append(ids, id)
		if !slices.Contains(customers, o.customer) {
			customers = append(customers, o.customer)
		}
	}
	rows.Close()

	r := rand.New(rand.NewPCG(seed, 42))
	for step := range steps {
		c.Set(c.Now().Add(time.Duration(r.IntN(72)) * time.Hour))
		cust := customers[r.IntN(len(customers))]
		var op string
		switch k := r.IntN(10); {
		case k < 3:
			id := ids[r.IntN(len(ids))]
			o := m.orders[id]
			op = fmt.Sprintf("earn order %d", id)
			want := m.earn(o, ppy, c.Now(), months)
			got, err := svc.Earn(ctx, sh.ID, id)
			if err != nil || got != want {
				t.Fatalf("step %d %s: got %d, %v; want %d", step, op, got, err, want)
			}
			if again, err := svc.Earn(ctx, sh.ID, id); err != nil || again != 0 {
				t.Fatalf("step %d %s again: got %d, %v; want 0", step, op, again, err)
			}
		case k < 4:
			id := ids[r.IntN(len(ids))]
			o := m.orders[id]
			if o.refunded == o.amount {
				continue
			}
			o.refunded += 1 + r.Int64N(o.amount-o.refunded)
			o.status = "partially_refunded"
			if o.refunded == o.amount {
				o.status = "refunded"
			}
			op = fmt.Sprintf("refund order %d to %d", id, o.refunded)
			if _, err := db.Exec(ctx, `UPDATE orders SET refunded = ?, status = ? WHERE shop_id = ? AND id = ?`, o.refunded, o.status, sh.ID, id); err != nil {
				t.Fatal(err)
			}
		case k < 7:
			n := 1 + r.Int64N(m.balance[cust]+50)
			op = fmt.Sprintf("redeem %d from %d", n, cust)
			_, err := svc.Redeem(ctx, sh.ID, cust, n, "", "")
			if n > m.balance[cust] {
				if guanxi.ErrorCode(err) != guanxi.ECONFLICT {
					t.Fatalf("step %d %s with %d: got %v, want ECONFLICT", step, op, m.balance[cust], err)
				}
			} else if err != nil {
				t.Fatalf("step %d %s: %v", step, op, err)
			} else {
				m.debit(cust, n)
			}
		case k < 8:
			n := r.Int64N(200) - 100
			if n == 0 {
				continue
			}
			op = fmt.Sprintf("adjust %d by %d", cust, n)
			_, err := svc.Adjust(ctx, sh.ID, cust, n, "test")
			switch {
			case n < 0 && -n > m.balance[cust]:
				if guanxi.ErrorCode(err) != guanxi.ECONFLICT {
					t.Fatalf("step %d %s: got %v, want ECONFLICT", step, op, err)
				}
			case err != nil:
				t.Fatalf("step %d %s: %v", step, op, err)
			case n > 0:
				m.credit(cust, n, time.Time{})
			default:
				m.debit(cust, -n)
			}
		default:
			op = "expire"
			want := m.expire(c.Now())
			got, err := svc.Expire(ctx, sh.ID, c.Now())
			if err != nil || got != want {
				t.Fatalf("step %d %s: got %d, %v; want %d", step, op, got, err, want)
			}
		}
		check(t, db, svc, sh.ID, m, customers, fmt.Sprintf("step %d %s", step, op))
	}
	// The sequence must have exercised what it checks.
	for _, kind := range []string{"earn", "redeem", "adjust", "expire", "reverse"} {
		if n := count(t, db, `SELECT COUNT(*) FROM points_ledger WHERE shop_id = ? AND kind = ?`, sh.ID, kind); n == 0 {
			t.Errorf("no %s entries in %d steps", kind, steps)
		}
	}
}

func check(t *testing.T, db *store.DB, svc *loyalty.Service, shopID int64, m *model, customers []int64, at string) {
	t.Helper()
	for _, cust := range customers {
		bal, err := svc.Balance(ctx, shopID, cust)
		if err != nil {
			t.Fatal(err)
		}
		sum := count(t, db, `SELECT COALESCE(SUM(points), 0) FROM points_ledger WHERE shop_id = ? AND customer_id = ?`, shopID, cust)
		if bal != m.balance[cust] || bal != sum || bal < 0 {
			t.Fatalf("%s: customer %d balance %d, entries sum %d, model %d", at, cust, bal, sum, m.balance[cust])
		}
		rows, err := db.Query(ctx, `SELECT remaining FROM points_ledger WHERE shop_id = ? AND customer_id = ? AND points > 0 ORDER BY id`, shopID, cust)
		if err != nil {
			t.Fatal(err)
		}
		var got, want []int64
		for rows.Next() {
			var n int64
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			got = append(got, n)
		}
		rows.Close()
		for _, l := range m.lots[cust] {
			want = append(want, l.remaining)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: customer %d credits' unspent parts %v, model %v", at, cust, got, want)
		}
	}
	if n := count(t, db, `SELECT COUNT(*) FROM points_ledger WHERE shop_id = ? AND (remaining < 0 OR (points < 0 AND remaining <> 0))`, shopID); n != 0 {
		t.Fatalf("%s: %d entries with a bad remainder", at, n)
	}
}

// TestConcurrentRedeem has two goroutines redeem most of one balance at
// once: exactly one succeeds, the other is refused, and the balance never
// goes below zero.
func TestConcurrentRedeem(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		c := &clock{t: day("2025-04-01")}
		sh := setup(t, db, c, "orders.csv")
		svc := loyalty.NewService(db, c)
		_, cust := order(t, db, sh.ID, "A1")
		if _, err := svc.Adjust(ctx, sh.ID, cust, 100, "start"); err != nil {
			t.Fatal(err)
		}
		for round := range 10 {
			start := make(chan struct{})
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, errs[i] = svc.Redeem(ctx, sh.ID, cust, 70, "coupon", "")
				}()
			}
			close(start)
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case guanxi.ErrorCode(err) != guanxi.ECONFLICT:
					t.Fatalf("round %d: %v", round, err)
				}
			}
			if ok != 1 {
				t.Fatalf("round %d: %d redemptions succeeded (%v), want 1", round, ok, errs)
			}
			balance(t, svc, sh.ID, cust, 30)
			if _, err := svc.Adjust(ctx, sh.ID, cust, 70, "top up"); err != nil {
				t.Fatal(err)
			}
		}
	})
}

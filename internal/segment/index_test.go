package segment

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/demo/demotest"
	"github.com/guanxi-crm/guanxi/internal/score"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

var (
	ictx = context.Background()
	iend = time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
)

func iexec(t testing.TB, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(ictx, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// indexShop is a scored demo shop with the facts the demo leaves out set by
// hand, NULLs and odd cases included: tags (repeated, Chinese, quoted),
// consents of several purposes, granted or not, emails, genders, scores
// without p_alive or cluster, customers without scores or statistics, and a
// merged customer whose orders no longer count.
func indexShop(t testing.TB, db *store.DB) *shop.Shop {
	t.Helper()
	sh := demotest.Shop(t, db, "ix", iend, 400, 1200)
	if _, err := score.NewService(db, guanxi.FixedClock(iend), slog.New(slog.DiscardHandler)).Run(ictx, sh, iend.In(sh.Location())); err != nil {
		t.Fatal(err)
	}
	id := sh.ID
	iexec(t, db, `UPDATE customers SET gender = CASE WHEN id % 3 = 0 THEN 'f' WHEN id % 3 = 1 THEN 'm' ELSE '' END WHERE shop_id = ?`, id)
	iexec(t, db, `UPDATE customers SET email = 'a@example.com' WHERE shop_id = ? AND id % 4 = 1`, id)
	iexec(t, db, `UPDATE customers SET phone = '' WHERE shop_id = ? AND id % 5 = 2`, id)
	iexec(t, db, `UPDATE customers SET tags = '["vip"]' WHERE shop_id = ? AND id % 7 = 0`, id)
	iexec(t, db, `UPDATE customers SET tags = '["vip", "新客", "vip"]' WHERE shop_id = ? AND id % 11 = 0`, id)
	iexec(t, db, `UPDATE customers SET tags = '["x'' OR ''1''=''1", "复购"]' WHERE shop_id = ? AND id % 13 = 0`, id)
	iexec(t, db, `UPDATE customer_scores SET p_alive = (customer_id % 10) / 10.0, clv_12m = customer_id * 3.5 WHERE shop_id = ? AND customer_id % 2 = 0`, id)
	iexec(t, db, `UPDATE customer_scores SET cluster = NULL WHERE shop_id = ? AND customer_id % 3 = 0`, id)
	iexec(t, db, `UPDATE customer_scores SET cluster = customer_id % 4 WHERE shop_id = ? AND customer_id % 3 = 1`, id)
	iexec(t, db, `DELETE FROM customer_scores WHERE shop_id = ? AND customer_id % 17 = 0`, id)
	iexec(t, db, `DELETE FROM customer_stats WHERE shop_id = ? AND customer_id % 19 = 0`, id)
	for i, ch := range []string{"sms", "email", "wechat", "phone"} {
		iexec(t, db, `INSERT INTO customer_consents (shop_id, customer_id, channel, purpose, granted, source, at)
SELECT shop_id, id, ?, 'marketing', id % 2 = 0, 'test', 1 FROM customers WHERE shop_id = ? AND id % 3 = ?`, ch, id, i%3)
	}
	iexec(t, db, `INSERT INTO customer_consents (shop_id, customer_id, channel, purpose, granted, source, at)
SELECT shop_id, id, 'sms', 'service', TRUE, 'test', 1 FROM customers WHERE shop_id = ? AND id % 5 = 0`, id)
	// Service facts: complaints open and closed over two years (some before
	// the 365-day window), NPS and CSAT answers (an older one first, so the
	// latest must win), refunded orders, old and new.
	iexec(t, db, `INSERT INTO tickets (shop_id, id, kind, subject, customer_id, channel, priority, status, created_at, updated_at, closed_at,
sla_started_at, first_response_due, resolution_due)
SELECT shop_id, id * 2 + k.k, CASE WHEN id % 5 = 0 THEN 'order' ELSE 'complaint' END, 's', id, 'ui', 'normal', 'received',
? - (id % 700) * 86400 - k.k * 86400 * 200, 1, CASE WHEN (id + k.k) % 3 = 0 THEN NULL ELSE 1 END, 1, 1, 1
FROM customers, (SELECT 0 AS k UNION ALL SELECT 1) k WHERE shop_id = ? AND id % 4 < 1 + k.k`, iend.Unix(), id)
	iexec(t, db, `INSERT INTO surveys (shop_id, id, kind, title, status, created_at, updated_at) VALUES (?, 1, 'nps', 'n', 'active', 1, 1), (?, 2, 'csat', 'c', 'active', 1, 1)`, id, id)
	iexec(t, db, `INSERT INTO survey_responses (shop_id, id, survey_id, invite_id, customer_id, kind, score, responded_at)
SELECT shop_id, id * 4 + k.k, 1 + k.k % 2, id * 4 + k.k, id, CASE WHEN k.k % 2 = 0 THEN 'nps' ELSE 'csat' END,
CASE WHEN k.k % 2 = 0 THEN (id * 7 + k.k) % 11 ELSE 1 + (id + k.k) % 5 END, ? - 86400 * (10 - k.k)
FROM customers, (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) k WHERE shop_id = ? AND id % 3 <> 2 AND (k.k < 2 OR id % 2 = 0)`, iend.Unix(), id)
	iexec(t, db, `UPDATE orders SET refunded = amount / 2 WHERE shop_id = ? AND id % 9 = 0`, id)
	iexec(t, db, `UPDATE orders SET status = 'refunded' WHERE shop_id = ? AND id % 13 = 0`, id)
	// A merge: the lowest id with orders folds into the next.
	var a, b int64
	if err := db.QueryRow(ictx, `SELECT MIN(customer_id), MAX(customer_id) FROM orders WHERE shop_id = ?`, id).Scan(&a, &b); err != nil {
		t.Fatal(err)
	}
	iexec(t, db, `UPDATE customers SET merged_into = ? WHERE shop_id = ? AND id = ?`, b, id, a)
	return sh
}

// gen makes random rules over the values a shop holds.
type gen struct {
	rnd    *rand.Rand
	values map[string][]string // text and bought fields → values present, and one absent
	nums   map[string][]float64
	days   []string // purchase days of the shop, so windows end on them
}

func newGen(t *testing.T, db *store.DB, shopID int64, seed uint64) *gen {
	t.Helper()
	g := &gen{rnd: rand.New(rand.NewPCG(seed, 7)), values: map[string][]string{}, nums: map[string][]float64{}}
	distinct := func(field, q string) {
		rows, err := db.Query(ictx, q, shopID)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		g.values[field] = []string{"不存在", ""}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			g.values[field] = append(g.values[field], v)
		}
	}
	for field, col := range map[string]string{"province": "province", "city": "city", "gender": "gender"} {
		distinct(field, `SELECT DISTINCT `+col+` FROM customers WHERE shop_id = ?`)
	}
	for _, col := range []string{"segment", "segment_cn", "lifecycle", "tier", "churn_risk"} {
		distinct(col, `SELECT DISTINCT `+col+` FROM customer_scores WHERE shop_id = ?`)
	}
	distinct("bought.category", `SELECT DISTINCT category FROM order_lines WHERE shop_id = ?`)
	distinct("bought.sku", `SELECT DISTINCT sku FROM order_lines WHERE shop_id = ? LIMIT 20`)
	distinct("channel", `SELECT DISTINCT channel FROM orders WHERE shop_id = ?`)
	distinct("order_province", `SELECT DISTINCT province FROM orders WHERE shop_id = ?`)
	rows, err := db.Query(ictx, `SELECT DISTINCT purchase_day FROM orders WHERE shop_id = ? AND purchase_day IS NOT NULL`, shopID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var d int
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		g.days = append(g.days, fmt.Sprintf("%04d-%02d-%02d", d/10000, d/100%100, d%100))
	}
	rows.Close()
	g.values["tag"] = []string{"vip", "新客", "复购", "x' OR '1'='1", "none"}
	numeric := func(field, q string) {
		rows, err := db.Query(ictx, q, shopID)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		for rows.Next() {
			var v float64
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			g.nums[field] = append(g.nums[field], v)
		}
	}
	for field, col := range map[string]string{
		"cluster": "cs.cluster", "clv": "cs.clv_12m", "p_alive": "cs.p_alive", "r": "cs.r", "f": "cs.f", "m": "cs.m",
		"monetary": "cs.monetary", "orders_count": "s.orders_count", "total_spent": "s.total_spent",
	} {
		table := map[byte]string{'c': "customer_scores cs", 's': "customer_stats s"}[col[0]]
		numeric(field, `SELECT `+col+` FROM `+table+` WHERE shop_id = ? AND `+col+` IS NOT NULL LIMIT 50`)
		g.nums[field] = append(g.nums[field], -1, 0, 1, 3, 1e6)
	}
	for _, f := range []string{"open_complaints", "complaints_365d", "refunds_180d", "last_nps", "last_csat"} {
		g.nums[f] = []float64{-1, 0, 1, 2, 3, 4, 5, 6, 7, 9, 10}
	}
	return g
}

func (g *gen) pick(list []string) string { return list[g.rnd.IntN(len(list))] }

func (g *gen) date() string {
	if g.rnd.IntN(2) == 0 {
		return g.pick(g.days)
	}
	return time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.rnd.IntN(4*365)).Format(time.DateOnly)
}

func (g *gen) num(field string, k kind) any {
	v := g.nums[field][g.rnd.IntN(len(g.nums[field]))]
	switch k {
	case kInt:
		return json.Number(strconv.FormatInt(int64(v)+int64(g.rnd.IntN(3))-1, 10))
	case kMoney:
		return json.Number(strconv.FormatFloat(v/100, 'f', 2, 64)) // the stored minor units, to the fen
	}
	if g.rnd.IntN(2) == 0 {
		return json.Number(strconv.FormatFloat(v, 'g', -1, 64))
	}
	return json.Number(strconv.FormatFloat(g.rnd.Float64()*v*2, 'g', -1, 64))
}

func (g *gen) rule(depth int) map[string]any {
	if depth < 3 && g.rnd.IntN(3) == 0 {
		switch g.rnd.IntN(3) {
		case 0:
			return map[string]any{"not": g.rule(depth + 1)}
		default:
			kids := make([]any, 1+g.rnd.IntN(3))
			for i := range kids {
				kids[i] = g.rule(depth + 1)
			}
			return map[string]any{[]string{"all", "any"}[g.rnd.IntN(2)]: kids}
		}
	}
	names := Fields()
	name := names[g.rnd.IntN(len(names))]
	def := fields[name]
	op := g.pick(ops[def.kind])
	c := map[string]any{"field": name, "op": op}
	switch def.kind {
	case kText, kBought, kTag:
		if op == "in" || op == "not_in" {
			list := []any{}
			for range 1 + g.rnd.IntN(3) {
				list = append(list, g.pick(g.values[name]))
			}
			c["value"] = list
		} else {
			c["value"] = g.pick(g.values[name])
		}
		if def.kind == kBought {
			switch g.rnd.IntN(3) {
			case 0:
				c["within_days"] = 1 + g.rnd.IntN(400)
			case 1:
				a, b := g.date(), g.date()
				c["between"] = []string{min(a, b), max(a, b)}
			}
		}
	case kInt, kFloat, kMoney:
		switch op {
		case "in", "not_in":
			c["value"] = []any{g.num(name, def.kind), g.num(name, def.kind)}
		case "between":
			a, b := g.num(name, def.kind), g.num(name, def.kind)
			fa, _ := a.(json.Number).Float64()
			fb, _ := b.(json.Number).Float64()
			if fb < fa {
				a, b = b, a
			}
			c["value"] = []any{a, b}
		default:
			c["value"] = g.num(name, def.kind)
		}
	case kBool, kConsent:
		c["value"] = g.rnd.IntN(2) == 0
	case kTime:
		switch op {
		case "within_days":
			c["value"] = 1 + g.rnd.IntN(1200)
		case "between":
			a, b := g.date(), g.date()
			c["value"] = []string{min(a, b), max(a, b)}
		default:
			c["value"] = g.date()
		}
	}
	return c
}

// TestIndexMatchesSQL checks, over random rules of every field and op,
// nested groups and windows, that the in-memory index counts exactly the
// customers the SQL counts, and the same ones.
func TestIndexMatchesSQL(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		sh := indexShop(t, db)
		s := NewService(db, guanxi.FixedClock(iend))
		ix, err := s.index.buildNow(ictx, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		e, err := s.env(ictx, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		g := newGen(t, db, sh.ID, 1)
		rules := 600
		if testing.Short() {
			rules = 150
		}
		seen := map[string]bool{} // fields met with a count neither 0 nor all
		for i := range rules {
			raw, err := json.Marshal(g.rule(0))
			if err != nil {
				t.Fatal(err)
			}
			r, err := ParseRule(raw)
			if err != nil {
				t.Fatalf("generated rule %s: %v", raw, err)
			}
			want, err := s.countSQL(ictx, sh.ID, e, r)
			if err != nil {
				t.Fatal(err)
			}
			if got := ix.count(e, r); got != want {
				t.Fatalf("rule %d %s: index counts %d, SQL %d", i, raw, got, want)
			}
			if r.Cond != nil && want > 0 && want < len(ix.ids) {
				seen[r.Cond.Field] = true
			}
			if i%10 == 0 {
				sqlIDs, err := s.AllMembers(ictx, sh.ID, r)
				if err != nil {
					t.Fatal(err)
				}
				if got := ix.members(e, r); !slices.Equal(got, sqlIDs) {
					t.Fatalf("rule %s: index and SQL hold different customers", raw)
				}
			}
		}
		if !testing.Short() && len(seen) < len(fields)*3/4 {
			t.Errorf("only %d of %d fields were tested with a telling count: %v", len(seen), len(fields), seen)
		}
	})
}

// TestIndexRefresh checks that a write shows in the counts: at once (by SQL
// until the rebuild) when it adds a row the quick version sees, and after
// the background check when it does not.
func TestIndexRefresh(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		sh := indexShop(t, db)
		s := NewService(db, guanxi.FixedClock(iend))
		s.index.checkEvery = 20 * time.Millisecond
		s.index.tolerance = 0 // a behind index must not answer here
		rule := func(js string) *Rule {
			r, err := ParseRule([]byte(js))
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		// settle waits until Count answers from a current index and
		// checks it answers want.
		settle := func(what string, r *Rule, want int) {
			t.Helper()
			deadline := time.Now().Add(30 * time.Second) // generous: the background check is slow on a loaded CI machine
			for {
				n, err := s.Count(ictx, sh.ID, r)
				if err != nil {
					t.Fatal(err)
				}
				if n != want {
					// The quick version caught it, or SQL ran: either
					// way never a stale number once a check had time.
					if time.Now().After(deadline) {
						t.Fatalf("%s: count %d, want %d", what, n, want)
					}
				} else if ix := s.index.fresh(ictx, sh.ID); ix != nil {
					e, _ := s.env(ictx, sh.ID)
					if got := ix.count(e, r); got == want {
						return
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: no current index after 30 s (last error %v)", what, s.index.shops[sh.ID].err)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		var cust, other int64
		if err := db.QueryRow(ictx, `SELECT MIN(id), MAX(id) FROM customers WHERE shop_id = ? AND merged_into IS NULL`, sh.ID).Scan(&cust, &other); err != nil {
			t.Fatal(err)
		}

		// A new order with a new category and channel: the quick version
		// changes, so the next count must already hold it.
		bought := rule(`{"all":[{"field":"bought.category","op":"eq","value":"新品类","within_days":7},{"field":"channel","op":"in","value":["新渠道"]}]}`)
		settle("before the order", bought, 0)
		var orderID int64
		if err := db.QueryRow(ictx, `SELECT MAX(id) + 1 FROM orders WHERE shop_id = ?`, sh.ID).Scan(&orderID); err != nil {
			t.Fatal(err)
		}
		err := db.Update(ictx, func(tx *store.Tx) error {
			at := iend.Unix()
			if err := tx.Insert(ictx, "orders", []string{"shop_id", "id", "platform", "external_id", "customer_id", "status", "placed_at", "paid_at", "purchase_day", "amount", "channel", "content_hash", "created_at", "updated_at"},
				[][]any{{sh.ID, orderID, "test", "T1", cust, "paid", at, at, 20250630, 1000, "新渠道", 1, at, at}}); err != nil {
				return err
			}
			return tx.Insert(ictx, "order_lines", []string{"shop_id", "order_id", "line_no", "sku", "category", "quantity", "unit_price", "amount"},
				[][]any{{sh.ID, orderID, 1, "NEW-1", "新品类", 1, 1000, 1000}})
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := s.Count(ictx, sh.ID, bought); err != nil || n != 1 {
			t.Fatalf("count right after the order: %d, %v; want 1", n, err)
		}
		settle("after the order", bought, 1)

		// A consent and a tag written by hand, with old times: only the
		// background check's counts see them.
		wechat := rule(`{"all":[{"field":"consent.wechat","op":"eq","value":true},{"field":"tag","op":"contains","value":"刷新"}]}`)
		settle("before the consent", wechat, 0)
		iexec(t, db, `DELETE FROM customer_consents WHERE shop_id = ? AND customer_id = ?`, sh.ID, other)
		iexec(t, db, `INSERT INTO customer_consents (shop_id, customer_id, channel, purpose, granted, source, at) VALUES (?, ?, 'wechat', 'marketing', TRUE, 'test', 1)`, sh.ID, other)
		iexec(t, db, `UPDATE customers SET tags = '["刷新"]', updated_at = updated_at + 100000000 WHERE shop_id = ? AND id = ?`, sh.ID, other)
		settle("after the consent and tag", wechat, 1)
		iexec(t, db, `UPDATE customer_consents SET granted = FALSE WHERE shop_id = ? AND customer_id = ?`, sh.ID, other)
		settle("after the withdrawal", wechat, 0)

		// A score run replaces every score: a new run id.
		tier := rule(`{"field":"tier","op":"eq","value":"测试档"}`)
		iexec(t, db, `UPDATE customer_scores SET tier = '测试档', computed_at = computed_at + 1 WHERE shop_id = ?`, sh.ID)
		settle("after the hand-set tier", tier, countOf(t, s, sh.ID, tier))
		if _, err := score.NewService(db, guanxi.FixedClock(iend), slog.New(slog.DiscardHandler)).Run(ictx, sh, iend.In(sh.Location())); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Count(ictx, sh.ID, tier); err != nil || n != 0 {
			t.Fatalf("count right after the score run: %d, %v; want 0", n, err)
		}
		settle("after the score run", tier, 0)
	})
}

// countOf is the SQL count of a rule.
func countOf(t *testing.T, s *Service, shopID int64, r *Rule) int {
	t.Helper()
	e, err := s.env(ictx, shopID)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.countSQL(ictx, shopID, e, r)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal(fmt.Errorf("no customer for the hand-set tier"))
	}
	return n
}

// TestServiceFields checks each service field (issue 6 §3) on a rule that
// holds some customers but not all, in SQL and in the index alike, so the
// fields are known to be read, not merely to agree on nothing.
func TestServiceFields(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		sh := indexShop(t, db)
		s := NewService(db, guanxi.FixedClock(iend))
		ix, err := s.index.buildNow(ictx, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		e, err := s.env(ictx, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range []string{
			`{"field": "open_complaints", "op": "gte", "value": 1}`,
			`{"field": "complaints_365d", "op": "eq", "value": 1}`,
			`{"field": "complaints_365d", "op": "gte", "value": 2}`,
			`{"field": "refunds_180d", "op": "gt", "value": 0}`,
			`{"field": "last_nps", "op": "lte", "value": 6}`,
			`{"not": {"field": "last_nps", "op": "lte", "value": 6}}`,
			`{"field": "last_csat", "op": "in", "value": [1, 2]}`,
			`{"field": "last_csat", "op": "ne", "value": 5}`,
		} {
			r, err := ParseRule([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			want, err := s.countSQL(ictx, sh.ID, e, r)
			if err != nil {
				t.Fatal(err)
			}
			if got := ix.count(e, r); got != want || want == 0 || want == len(ix.ids) {
				t.Errorf("%s: index %d, SQL %d of %d customers", raw, got, want, len(ix.ids))
			}
		}
	})
}

package segment_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/demo/demotest"
	"github.com/guanxi-crm/guanxi/internal/score"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

var ctx = context.Background()

// end is the shop's last day and the tests' "now".
var end = time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)

func scoredShop(t testing.TB, db *store.DB, code string, customers, orders int) *shop.Shop {
	t.Helper()
	sh := demotest.Shop(t, db, code, end, customers, orders)
	if _, err := score.NewService(db, guanxi.FixedClock(end), slog.New(slog.DiscardHandler)).Run(ctx, sh, end.In(sh.Location())); err != nil {
		t.Fatal(err)
	}
	return sh
}

func exec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(ctx, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// purchase is one purchase order as the tests see it.
type purchase struct {
	day               int64
	channel, province string
	cats, skus        []string
}

// cust is one live customer with everything a rule can test, read with
// plain queries, so the expectations below are computed in Go
// independently of the rule compiler.
type cust struct {
	id                                         int64
	province, city, gender, phone, email       string
	tags                                       []string
	consent                                    map[string]bool
	orders, spent                              int64
	first, last                                sql.NullInt64
	scored                                     bool
	segment, segmentCN, lifecycle, tier, churn string
	cluster                                    sql.NullInt64
	clv, pAlive                                sql.NullFloat64
	r, f, m, monetary                          int64
	purchases                                  []purchase
}

func load(t *testing.T, db *store.DB, shopID int64) []*cust {
	t.Helper()
	byID := map[int64]*cust{}
	var out []*cust
	rows, err := db.Query(ctx, `SELECT c.id, c.province, c.city, c.gender, c.phone, c.email, c.tags,
COALESCE(s.orders_count, 0), COALESCE(s.total_spent, 0), s.first_purchase_at, s.last_purchase_at
FROM customers c LEFT JOIN customer_stats s ON s.shop_id = c.shop_id AND s.customer_id = c.id
WHERE c.shop_id = ? AND c.merged_into IS NULL`, shopID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		c := &cust{consent: map[string]bool{}}
		var tags string
		if err := rows.Scan(&c.id, &c.province, &c.city, &c.gender, &c.phone, &c.email, &tags, &c.orders, &c.spent, &c.first, &c.last); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(tags), &c.tags); err != nil {
			t.Fatal(err)
		}
		byID[c.id] = c
		out = append(out, c)
	}
	rows.Close()
	rows, err = db.Query(ctx, `SELECT customer_id, segment, segment_cn, lifecycle, tier, churn_risk, cluster, clv_12m, p_alive, r, f, m, monetary
FROM customer_scores WHERE shop_id = ?`, shopID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var x cust
		if err := rows.Scan(&id, &x.segment, &x.segmentCN, &x.lifecycle, &x.tier, &x.churn, &x.cluster, &x.clv, &x.pAlive, &x.r, &x.f, &x.m, &x.monetary); err != nil {
			t.Fatal(err)
		}
		if c := byID[id]; c != nil {
			c.scored, c.segment, c.segmentCN, c.lifecycle, c.tier, c.churn = true, x.segment, x.segmentCN, x.lifecycle, x.tier, x.churn
			c.cluster, c.clv, c.pAlive, c.r, c.f, c.m, c.monetary = x.cluster, x.clv, x.pAlive, x.r, x.f, x.m, x.monetary
		}
	}
	rows.Close()
	rows, err = db.Query(ctx, `SELECT customer_id, channel, granted FROM customer_consents WHERE shop_id = ?`, shopID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var ch string
		var g bool
		if err := rows.Scan(&id, &ch, &g); err != nil {
			t.Fatal(err)
		}
		if c := byID[id]; c != nil && g {
			c.consent[ch] = true
		}
	}
	rows.Close()
	rows, err = db.Query(ctx, `SELECT o.id, o.customer_id, o.purchase_day, o.channel, o.province, COALESCE(l.category, ''), COALESCE(l.sku, ''), l.line_no
FROM orders o LEFT JOIN order_lines l ON l.shop_id = o.shop_id AND l.order_id = o.id
WHERE o.shop_id = ? AND o.purchase_day IS NOT NULL AND o.customer_id IS NOT NULL ORDER BY o.id`, shopID)
	if err != nil {
		t.Fatal(err)
	}
	orders := map[int64]*purchase{}
	owner := map[int64]int64{}
	var ids []int64
	for rows.Next() {
		var oid, cid, day int64
		var ch, prov, cat, sku string
		var line sql.NullInt64
		if err := rows.Scan(&oid, &cid, &day, &ch, &prov, &cat, &sku, &line); err != nil {
			t.Fatal(err)
		}
		p := orders[oid]
		if p == nil {
			p = &purchase{day: day, channel: ch, province: prov}
			orders[oid], owner[oid] = p, cid
			ids = append(ids, oid)
		}
		if line.Valid {
			p.cats, p.skus = append(p.cats, cat), append(p.skus, sku)
		}
	}
	rows.Close()
	for _, oid := range ids {
		if c := byID[owner[oid]]; c != nil {
			c.purchases = append(c.purchases, *orders[oid])
		}
	}
	return out
}

func (c *cust) bought(from, to int64, pick func(p purchase) bool) bool {
	for _, p := range c.purchases {
		if p.day >= from && p.day <= to && pick(p) {
			return true
		}
	}
	return false
}

func dayStart(loc *time.Location, day string, add int) int64 {
	t, err := time.ParseInLocation(time.DateOnly, day, loc)
	if err != nil {
		panic(err)
	}
	return t.AddDate(0, 0, add).Unix()
}

// mostCommon returns the most frequent non-empty value of key over cs.
func mostCommon(cs []*cust, key func(*cust) []string) string {
	n := map[string]int{}
	for _, c := range cs {
		for _, v := range key(c) {
			if v != "" {
				n[v]++
			}
		}
	}
	best := ""
	for v, k := range n {
		if k > n[best] || k == n[best] && v < best {
			best = v
		}
	}
	return best
}

type ruleCase struct {
	name string
	rule string
	want func(c *cust) bool
	// exact, when set, is the count worked out by hand from the rows the
	// test itself wrote.
	exact int
}

func TestRules(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		sh := scoredShop(t, db, "g1", 300, 900)
		loc := sh.Location()
		var ids []int64
		rows, err := db.Query(ctx, `SELECT id FROM customers WHERE shop_id = ? AND merged_into IS NULL ORDER BY id LIMIT 4`, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		// Hand-set facts: three tagged customers, consents, genders.
		exec(t, db, `UPDATE customers SET tags = ? WHERE shop_id = ? AND id = ?`, `["vip", "新客"]`, sh.ID, ids[0])
		exec(t, db, `UPDATE customers SET tags = ? WHERE shop_id = ? AND id = ?`, `["vip"]`, sh.ID, ids[1])
		exec(t, db, `UPDATE customers SET tags = ? WHERE shop_id = ? AND id = ?`, `["x' OR '1'='1"]`, sh.ID, ids[2])
		exec(t, db, `UPDATE customers SET gender = CASE WHEN id % 3 = 0 THEN 'f' WHEN id % 3 = 1 THEN 'm' ELSE '' END WHERE shop_id = ?`, sh.ID)
		exec(t, db, `UPDATE customers SET email = 'a@example.com' WHERE shop_id = ? AND id IN (?, ?)`, sh.ID, ids[0], ids[3])
		exec(t, db, `UPDATE customers SET phone = '' WHERE shop_id = ? AND id IN (?, ?, ?)`, sh.ID, ids[1], ids[2], ids[3])
		exec(t, db, `INSERT INTO customer_consents (shop_id, customer_id, channel, granted, source, at) VALUES (?, ?, 'sms', ?, 'ui', 1), (?, ?, 'sms', ?, 'ui', 1), (?, ?, 'email', ?, 'ui', 1), (?, ?, 'wechat', ?, 'ui', 1)`,
			sh.ID, ids[0], true, sh.ID, ids[1], false, sh.ID, ids[2], true, sh.ID, ids[2], true)

		// A shop this small fits no BG/NBD model: give every other scored
		// customer a probability alive and a lifetime value by hand.
		exec(t, db, `UPDATE customer_scores SET p_alive = (customer_id % 10) / 10.0, clv_12m = customer_id * 3.5 WHERE shop_id = ? AND customer_id % 2 = 0`, sh.ID)
		cs := load(t, db, sh.ID)
		total := len(cs)
		province := mostCommon(cs, func(c *cust) []string { return []string{c.province} })
		city := mostCommon(cs, func(c *cust) []string { return []string{c.city} })
		segName := mostCommon(cs, func(c *cust) []string { return []string{c.segment} })
		segCN := mostCommon(cs, func(c *cust) []string { return []string{c.segmentCN} })
		life := mostCommon(cs, func(c *cust) []string { return []string{c.lifecycle} })
		cat := mostCommon(cs, func(c *cust) []string {
			var out []string
			for _, p := range c.purchases {
				out = append(out, p.cats...)
			}
			return out
		})
		sku := mostCommon(cs, func(c *cust) []string {
			var out []string
			for _, p := range c.purchases {
				out = append(out, p.skus...)
			}
			return out
		})
		channel := mostCommon(cs, func(c *cust) []string {
			var out []string
			for _, p := range c.purchases {
				out = append(out, p.channel)
			}
			return out
		})
		now := end.Unix()
		today := end.In(loc)
		dayOf := func(t time.Time) int64 { return int64(t.Year()*10000 + int(t.Month())*100 + t.Day()) }
		since90 := dayOf(today.AddDate(0, 0, -90))
		q := func(s string) string { b, _ := json.Marshal(s); return string(b) }

		cases := []ruleCase{
			{"province eq", `{"field":"province","op":"eq","value":` + q(province) + `}`, func(c *cust) bool { return c.province == province }, 0},
			{"province ne", `{"field":"province","op":"ne","value":` + q(province) + `}`, func(c *cust) bool { return c.province != province }, 0},
			{"province in", `{"field":"province","op":"in","value":[` + q(province) + `,"西藏"]}`, func(c *cust) bool { return c.province == province || c.province == "西藏" }, 0},
			{"province not_in", `{"field":"province","op":"not_in","value":[` + q(province) + `]}`, func(c *cust) bool { return c.province != province }, 0},
			{"city eq", `{"field":"city","op":"eq","value":` + q(city) + `}`, func(c *cust) bool { return c.city == city }, 0},
			{"gender eq", `{"field":"gender","op":"eq","value":"f"}`, func(c *cust) bool { return c.gender == "f" }, 0},
			{"gender in", `{"field":"gender","op":"in","value":["f","m"]}`, func(c *cust) bool { return c.gender != "" }, 0},
			{"tag contains", `{"field":"tag","op":"contains","value":"vip"}`, func(c *cust) bool { return slices.Contains(c.tags, "vip") }, 2},
			{"tag contains chinese", `{"field":"tag","op":"contains","value":"新客"}`, func(c *cust) bool { return slices.Contains(c.tags, "新客") }, 1},
			{"tag with quotes is a value", `{"field":"tag","op":"contains","value":"x' OR '1'='1"}`, func(c *cust) bool { return slices.Contains(c.tags, "x' OR '1'='1") }, 1},
			{"not tag", `{"not":{"field":"tag","op":"contains","value":"vip"}}`, func(c *cust) bool { return !slices.Contains(c.tags, "vip") }, total - 2},
			{"has_phone", `{"field":"has_phone","op":"eq","value":true}`, func(c *cust) bool { return c.phone != "" }, total - 3},
			{"has_phone false", `{"field":"has_phone","op":"eq","value":false}`, func(c *cust) bool { return c.phone == "" }, 3},
			{"has_email", `{"field":"has_email","op":"eq","value":true}`, func(c *cust) bool { return c.email != "" }, 0},
			{"has_email false", `{"field":"has_email","op":"eq","value":false}`, func(c *cust) bool { return c.email == "" }, 0},
			{"consent.sms", `{"field":"consent.sms","op":"eq","value":true}`, func(c *cust) bool { return c.consent["sms"] }, 1},
			{"consent.sms false", `{"field":"consent.sms","op":"eq","value":false}`, func(c *cust) bool { return !c.consent["sms"] }, total - 1},
			{"consent.email", `{"field":"consent.email","op":"eq","value":true}`, func(c *cust) bool { return c.consent["email"] }, 1},
			{"consent.wechat", `{"field":"consent.wechat","op":"eq","value":true}`, func(c *cust) bool { return c.consent["wechat"] }, 1},
			{"segment", `{"field":"segment","op":"eq","value":` + q(segName) + `}`, func(c *cust) bool { return c.scored && c.segment == segName }, 0},
			{"segment ne", `{"field":"segment","op":"ne","value":` + q(segName) + `}`, func(c *cust) bool { return !c.scored || c.segment != segName }, 0},
			{"segment_cn", `{"field":"segment_cn","op":"in","value":[` + q(segCN) + `]}`, func(c *cust) bool { return c.scored && c.segmentCN == segCN }, 0},
			{"lifecycle not_in", `{"field":"lifecycle","op":"not_in","value":[` + q(life) + `]}`, func(c *cust) bool { return !c.scored || c.lifecycle != life }, 0},
			{"tier", `{"field":"tier","op":"eq","value":"key"}`, func(c *cust) bool { return c.scored && c.tier == "key" }, 0},
			{"churn_risk", `{"field":"churn_risk","op":"in","value":["high","medium"]}`, func(c *cust) bool { return c.scored && (c.churn == "high" || c.churn == "medium") }, 0},
			{"cluster", `{"field":"cluster","op":"eq","value":0}`, func(c *cust) bool { return c.cluster.Valid && c.cluster.Int64 == 0 }, 0},
			{"clv gt", `{"field":"clv","op":"gt","value":100.5}`, func(c *cust) bool { return c.clv.Valid && c.clv.Float64 > 100.5 }, 0},
			{"p_alive between", `{"field":"p_alive","op":"between","value":[0.2,0.8]}`, func(c *cust) bool { return c.pAlive.Valid && c.pAlive.Float64 >= 0.2 && c.pAlive.Float64 <= 0.8 }, 0},
			{"r gte", `{"field":"r","op":"gte","value":4}`, func(c *cust) bool { return c.scored && c.r >= 4 }, 0},
			{"f lt", `{"field":"f","op":"lt","value":3}`, func(c *cust) bool { return c.scored && c.f < 3 }, 0},
			{"m in", `{"field":"m","op":"in","value":[1,5]}`, func(c *cust) bool { return c.scored && (c.m == 1 || c.m == 5) }, 0},
			{"monetary yuan", `{"field":"monetary","op":"gte","value":300.5}`, func(c *cust) bool { return c.scored && c.monetary >= 30050 }, 0},
			{"orders_count", `{"field":"orders_count","op":"gt","value":1}`, func(c *cust) bool { return c.orders > 1 }, 0},
			{"orders_count eq 0", `{"field":"orders_count","op":"eq","value":0}`, func(c *cust) bool { return c.orders == 0 }, -1},
			{"total_spent between", `{"field":"total_spent","op":"between","value":[100,500.99]}`, func(c *cust) bool { return c.spent >= 10000 && c.spent <= 50099 }, 0},
			{"last within_days", `{"field":"last_purchase_at","op":"within_days","value":90}`, func(c *cust) bool { return c.last.Valid && c.last.Int64 >= now-90*86400 }, 0},
			{"not last within_days", `{"not":{"field":"last_purchase_at","op":"within_days","value":90}}`, func(c *cust) bool { return !(c.last.Valid && c.last.Int64 >= now-90*86400) }, 0},
			{"last before", `{"field":"last_purchase_at","op":"before","value":"2025-01-01"}`, func(c *cust) bool { return c.last.Valid && c.last.Int64 < dayStart(loc, "2025-01-01", 0) }, 0},
			{"first after", `{"field":"first_purchase_at","op":"after","value":"2024-12-31"}`, func(c *cust) bool { return c.first.Valid && c.first.Int64 >= dayStart(loc, "2024-12-31", 1) }, 0},
			{"first between", `{"field":"first_purchase_at","op":"between","value":["2024-01-01","2024-06-30"]}`, func(c *cust) bool {
				return c.first.Valid && c.first.Int64 >= dayStart(loc, "2024-01-01", 0) && c.first.Int64 < dayStart(loc, "2024-06-30", 1)
			}, 0},
			{"bought category ever", `{"field":"bought.category","op":"eq","value":` + q(cat) + `}`, func(c *cust) bool {
				return c.bought(0, 99999999, func(p purchase) bool { return slices.Contains(p.cats, cat) })
			}, 0},
			{"bought category 90 days", `{"field":"bought.category","op":"in","value":[` + q(cat) + `],"within_days":90}`, func(c *cust) bool {
				return c.bought(since90, 99999999, func(p purchase) bool { return slices.Contains(p.cats, cat) })
			}, 0},
			{"bought sku between", `{"field":"bought.sku","op":"eq","value":` + q(sku) + `,"between":["2024-07-01","2025-03-31"]}`, func(c *cust) bool {
				return c.bought(20240701, 20250331, func(p purchase) bool { return slices.Contains(p.skus, sku) })
			}, 0},
			{"channel", `{"field":"channel","op":"eq","value":` + q(channel) + `}`, func(c *cust) bool {
				return c.bought(0, 99999999, func(p purchase) bool { return p.channel == channel })
			}, 0},
			{"order_province 90 days", `{"field":"order_province","op":"in","value":[` + q(province) + `],"within_days":90}`, func(c *cust) bool {
				return c.bought(since90, 99999999, func(p purchase) bool { return p.province == province })
			}, 0},
			{"all", `{"all":[{"field":"province","op":"eq","value":` + q(province) + `},{"field":"orders_count","op":"gte","value":2}]}`, func(c *cust) bool { return c.province == province && c.orders >= 2 }, 0},
			{"any", `{"any":[{"field":"tag","op":"contains","value":"vip"},{"field":"r","op":"eq","value":5}]}`, func(c *cust) bool { return slices.Contains(c.tags, "vip") || c.scored && c.r == 5 }, 0},
			{"nested", `{"all":[{"any":[{"field":"segment","op":"eq","value":` + q(segName) + `},{"field":"tier","op":"eq","value":"key"}]},{"not":{"field":"channel","op":"eq","value":` + q(channel) + `}}]}`, func(c *cust) bool {
				return (c.scored && c.segment == segName || c.scored && c.tier == "key") && !c.bought(0, 99999999, func(p purchase) bool { return p.channel == channel })
			}, 0},
			{"not not", `{"not":{"not":{"field":"gender","op":"eq","value":"m"}}}`, func(c *cust) bool { return c.gender == "m" }, 0},
			{"value injection is a value", `{"field":"province","op":"in","value":["' OR 1=1 --", "浙江'); DROP TABLE customers; --"]}`, func(c *cust) bool { return false }, -1},
		}
		svc := segment.NewService(db, guanxi.FixedClock(end))
		for _, tc := range cases {
			if tc.want == nil {
				continue
			}
			t.Run(tc.name, func(t *testing.T) {
				r, err := segment.ParseRule([]byte(tc.rule))
				if err != nil {
					t.Fatalf("parse %s: %v", tc.rule, err)
				}
				var want []int64
				for _, c := range cs {
					if tc.want(c) {
						want = append(want, c.id)
					}
				}
				slices.Sort(want)
				switch {
				case tc.exact > 0 && len(want) != tc.exact:
					t.Fatalf("the Go expectation holds %d customers, by hand %d", len(want), tc.exact)
				case tc.exact == 0 && (len(want) == 0 || len(want) == total):
					t.Fatalf("case is trivial: %d of %d customers", len(want), total)
				}
				n, err := svc.Count(ctx, sh.ID, r)
				if err != nil {
					t.Fatal(err)
				}
				if n != len(want) {
					t.Errorf("Count = %d, want %d (of %d)", n, len(want), total)
				}
				got, err := svc.Members(ctx, sh.ID, r, segment.MaxLimit, 0)
				if err != nil {
					t.Fatal(err)
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("Members differ: got %d, want %d", len(got), len(want))
				}
			})
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM customers WHERE shop_id = ?`, sh.ID).Scan(&n); err != nil || n < total {
			t.Fatalf("customers after the injection attempts: %d, %v", n, err)
		}

		// Members: most recent buyer first, pages without overlap.
		all, err := segment.ParseRule([]byte(`{"field":"orders_count","op":"gte","value":0}`))
		if err != nil {
			t.Fatal(err)
		}
		ids, err = svc.Members(ctx, sh.ID, all, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		last := map[int64]int64{}
		for _, c := range cs {
			last[c.id] = c.last.Int64
		}
		if len(ids) != segment.DefaultLimit || !slices.IsSortedFunc(ids, func(a, b int64) int { return int(last[b] - last[a]) }) {
			t.Errorf("first page: %d ids, not most recent buyer first", len(ids))
		}
		next, err := svc.Members(ctx, sh.ID, all, 10, 10)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(next, ids[10:20]) {
			t.Errorf("page 2 of 10 = %v, want %v", next, ids[10:20])
		}
	})
}

func TestParseRuleErrors(t *testing.T) {
	for _, tc := range []struct{ rule, msg string }{
		{`{"all":[{"field":"province","op":"eq","value":"浙江"},{"field":"r","op":"eq","value":5},{"field":"total_spent","op":"gt","value":"100"}]}`, "all[2].value: expected a number"},
		{`{"any":[{"not":{"field":"r","op":"eq","value":1.5}}]}`, "any[0].not.value: expected a whole number"},
		{`{"field":"nope","op":"eq","value":1}`, "field: unknown field nope"},
		{`{"field":"province; DROP TABLE customers","op":"eq","value":"x"}`, `field: unknown field "province; DROP TABLE customers"`},
		{`{"field":"c.province) OR (1=1","op":"eq","value":"x"}`, `field: unknown field "c.province) OR (1=1"`},
		{`{"field":"province","op":"gt","value":"x"}`, "op: field province takes eq, ne, in, not_in"},
		{`{"field":"province","op":"eq; --","value":"x"}`, "op: field province takes"},
		{`{"field":"province","op":"in","value":[]}`, "value: expected a list of 1 to 500 strings"},
		{`{"field":"province","op":"in","value":["a",1]}`, "value[1]: expected a string"},
		{`{"field":"province","op":"eq"}`, "value: missing"},
		{`{"field":"province","op":"eq","value":"a","extra":1}`, "extra: unexpected key"},
		{`{"field":"province","op":"eq","value":"a","within_days":3}`, "within_days: unexpected key"},
		{`{"field":"bought.sku","op":"eq","value":"a","within_days":0}`, "within_days: expected a whole number of days"},
		{`{"field":"bought.sku","op":"eq","value":"a","between":["2025-02-01","2025-01-01"]}`, "between: from is after to"},
		{`{"field":"last_purchase_at","op":"before","value":"2025-13-01"}`, "value: expected a date YYYY-MM-DD"},
		{`{"field":"p_alive","op":"between","value":[0.9,0.1]}`, "value: from is after to"},
		{`{"field":"total_spent","op":"gt","value":1e400}`, "value: expected an amount in yuan"},
		{`{"field":"has_phone","op":"eq","value":"yes"}`, "value: expected true or false"},
		{`{"field":"tag","op":"contains","value":"a\u0000b"}`, "value: contains a NUL character"},
		{`{"all":[]}`, "all: expected at least one rule"},
		{`{"all":{}}`, "all: expected a list of rules"},
		{`{"all":[1]}`, "all[0]: expected an object"},
		{`{"all":[{"field":"r","op":"eq","value":1}],"any":[]}`, "any: unexpected key"},
		{`{}`, `rule: expected "all", "any", "not" or "field"`},
		{`[]`, "rule: expected an object"},
		{`{"field":"r","op":"eq","value":1} {}`, "rule: unexpected data after the rule"},
		{`{"field":`, "rule: not valid JSON"},
		{strings.Repeat(`{"not":`, 9) + `{"field":"r","op":"eq","value":1}` + strings.Repeat(`}`, 9), "not.not.not.not.not.not.not.not: nested deeper than 8"},
		{`{"any":[` + strings.Repeat(`{"field":"r","op":"eq","value":1},`, 200) + `{"field":"r","op":"eq","value":1}]}`, "any[199]: more than 200 groups and conditions"},
	} {
		_, err := segment.ParseRule([]byte(tc.rule))
		if err == nil {
			t.Errorf("%.80s: no error, want %q", tc.rule, tc.msg)
			continue
		}
		if guanxi.ErrorCode(err) != guanxi.EINVALID || !strings.HasPrefix(guanxi.ErrorMessage(err), tc.msg) {
			t.Errorf("%.80s: error %q (%s), want %q", tc.rule, err, guanxi.ErrorCode(err), tc.msg)
		}
	}
	deep := strings.Repeat(`{"not":`, 8) + `{"field":"r","op":"eq","value":1}` + strings.Repeat(`}`, 8)
	if _, err := segment.ParseRule([]byte(deep)); err != nil {
		t.Errorf("8 levels: %v", err)
	}
}

func TestSavedSegments(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		sh := scoredShop(t, db, "g2", 60, 150)
		clock := guanxi.FixedClock(end)
		svc := segment.NewService(db, clock)
		rule := func(s string) *segment.Rule {
			r, err := segment.ParseRule([]byte(s))
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		buyers := &segment.Segment{Name: "回头客", Rule: rule(`{"field":"orders_count","op":"gte","value":2}`)}
		if err := svc.Create(ctx, sh.ID, buyers); err != nil {
			t.Fatal(err)
		}
		everyone := &segment.Segment{Name: "all", Rule: rule(`{"field":"orders_count","op":"gte","value":0}`)}
		if err := svc.Create(ctx, sh.ID, everyone); err != nil {
			t.Fatal(err)
		}
		if err := svc.Create(ctx, sh.ID, &segment.Segment{Name: "all", Rule: everyone.Rule}); guanxi.ErrorCode(err) != guanxi.ECONFLICT {
			t.Errorf("same name: %v, want a conflict", err)
		}
		if err := svc.Create(ctx, sh.ID, &segment.Segment{Name: " ", Rule: everyone.Rule}); guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("no name: %v", err)
		}
		got, err := svc.Get(ctx, sh.ID, buyers.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "回头客" || !got.CreatedAt.Equal(end) {
			t.Errorf("Get = %+v", got)
		}
		var a, b any
		_ = json.Unmarshal(got.Rule.JSON(), &a)
		_ = json.Unmarshal(buyers.Rule.JSON(), &b)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("rule read back %s, saved %s", got.Rule.JSON(), buyers.Rule.JSON())
		}
		if err := svc.RecordSizes(ctx, sh.ID, 20250629); err != nil {
			t.Fatal(err)
		}
		buyers.Rule = rule(`{"field":"orders_count","op":"gte","value":3}`)
		if err := svc.Update(ctx, sh.ID, buyers); err != nil {
			t.Fatal(err)
		}
		if err := svc.RecordSizes(ctx, sh.ID, 20250630); err != nil {
			t.Fatal(err)
		}
		if err := svc.RecordSizes(ctx, sh.ID, 20250630); err != nil { // a rerun replaces the day
			t.Fatal(err)
		}
		count := func(s string) int {
			n, err := svc.Count(ctx, sh.ID, rule(s))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		h, err := svc.History(ctx, sh.ID, buyers.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []segment.Size{{20250629, count(`{"field":"orders_count","op":"gte","value":2}`)}, {20250630, count(`{"field":"orders_count","op":"gte","value":3}`)}}
		if !slices.Equal(h, want) || want[0].Customers == 0 {
			t.Errorf("History = %v, want %v", h, want)
		}
		list, err := svc.List(ctx, sh.ID)
		if err != nil || len(list) != 2 || list[0].Name != "all" {
			t.Fatalf("List = %v, %v", list, err)
		}
		// SegmentsOf agrees with each rule's members, customer by customer.
		inBuyers, err := svc.AllMembers(ctx, sh.ID, buyers.Rule)
		if err != nil {
			t.Fatal(err)
		}
		all, err := svc.AllMembers(ctx, sh.ID, everyone.Rule)
		if err != nil || len(inBuyers) == 0 || len(inBuyers) == len(all) {
			t.Fatalf("%d buyers of %d customers: %v", len(inBuyers), len(all), err)
		}
		for _, id := range all {
			of, err := svc.SegmentsOf(ctx, sh.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, seg := range of {
				names = append(names, seg.Name)
			}
			want := []string{"all"}
			if slices.Contains(inBuyers, id) {
				want = append(want, "回头客")
			}
			if !slices.Equal(names, want) {
				t.Errorf("customer %d is in %v, want %v", id, names, want)
			}
		}
		if of, err := svc.SegmentsOf(ctx, sh.ID, 1<<40); err != nil || len(of) != 0 {
			t.Errorf("SegmentsOf an unknown customer = %v, %v", of, err)
		}
		if err := svc.Delete(ctx, sh.ID, buyers.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Get(ctx, sh.ID, buyers.ID); guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
			t.Errorf("Get deleted: %v", err)
		}
		if err := svc.Delete(ctx, sh.ID, buyers.ID); guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
			t.Errorf("Delete again: %v", err)
		}
		if h, _ := svc.History(ctx, sh.ID, buyers.ID); len(h) != 0 {
			t.Errorf("history left after delete: %v", h)
		}
		if _, err := svc.Get(ctx, sh.ID+1, everyone.ID); guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
			t.Errorf("another shop's segment: %v", err)
		}
	})
}

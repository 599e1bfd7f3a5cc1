package report_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/demo/demotest"
	"github.com/guanxi-crm/guanxi/internal/report"
	"github.com/guanxi-crm/guanxi/internal/score"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

var ctx = context.Background()

// scoredShop imports and scores a generated shop.
func scoredShop(t testing.TB, db *store.DB, customers, orders int) *shop.Shop {
	t.Helper()
	end := time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
	sh := demotest.Shop(t, db, "r1", end, customers, orders)
	if _, err := score.NewService(db, guanxi.FixedClock(end), slog.New(slog.DiscardHandler)).Run(ctx, sh, end.In(sh.Location())); err != nil {
		t.Fatal(err)
	}
	return sh
}

// line is one purchase order line as the test reads it, with its order's
// and customer's dimensions.
type line struct {
	order, customer                   int64
	day                               int64
	province, channel, category       string
	lifecycle, segment                string
	lineAmount, orderAmount, refunded int64
	lineNo                            int64
}

// readLines reads every purchase order with its lines (an order without
// lines appears once with lineNo -1).
func readLines(t *testing.T, db *store.DB, shopID int64) []line {
	t.Helper()
	rows, err := db.Query(ctx, `SELECT o.id, o.customer_id, o.purchase_day, o.province, o.channel, o.amount, o.refunded,
l.line_no, l.category, l.amount, s.lifecycle, s.segment
FROM orders o LEFT JOIN order_lines l ON l.shop_id = o.shop_id AND l.order_id = o.id
LEFT JOIN customer_scores s ON s.shop_id = o.shop_id AND s.customer_id = o.customer_id
WHERE o.shop_id = ? AND o.purchase_day IS NOT NULL`, shopID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []line
	for rows.Next() {
		var l line
		var cust, lineNo, lineAmount sql.NullInt64
		var cat, life, seg sql.NullString
		if err := rows.Scan(&l.order, &cust, &l.day, &l.province, &l.channel, &l.orderAmount, &l.refunded, &lineNo, &cat, &lineAmount, &life, &seg); err != nil {
			t.Fatal(err)
		}
		l.customer = -1
		if cust.Valid {
			l.customer = cust.Int64
		}
		l.lineNo = -1
		if lineNo.Valid {
			l.lineNo, l.lineAmount, l.category = lineNo.Int64, lineAmount.Int64, cat.String
		}
		l.lifecycle, l.segment = life.String, seg.String
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// expect aggregates lines in Go the way Cube is documented to: by order
// without category, by line with it.
func expect(ls []line, by []string, keep func(line) bool) map[string]report.CubeRow {
	byLine := slices.Contains(by, "category")
	type acc struct {
		orders, customers map[int64]bool
		revenue           int64
	}
	groups := map[string]*acc{}
	for _, l := range ls {
		if !keep(l) || (byLine && l.lineNo < 0) || (!byLine && l.lineNo > 0) {
			continue // an order counts once (its first line) unless by category
		}
		var keys []string
		for _, b := range by {
			switch b {
			case "month":
				keys = append(keys, fmt.Sprintf("%04d-%02d", l.day/10000, l.day/100%100))
			case "province":
				keys = append(keys, l.province)
			case "channel":
				keys = append(keys, l.channel)
			case "category":
				keys = append(keys, l.category)
			case "lifecycle":
				keys = append(keys, l.lifecycle)
			case "segment":
				keys = append(keys, l.segment)
			}
		}
		k := strings.Join(keys, "|")
		a := groups[k]
		if a == nil {
			a = &acc{orders: map[int64]bool{}, customers: map[int64]bool{}}
			groups[k] = a
		}
		a.orders[l.order] = true
		if l.customer >= 0 {
			a.customers[l.customer] = true
		}
		if byLine {
			v := l.lineAmount
			if l.orderAmount > 0 {
				v -= l.lineAmount * l.refunded / l.orderAmount
			}
			a.revenue += v
		} else {
			a.revenue += l.orderAmount - l.refunded
		}
	}
	out := map[string]report.CubeRow{}
	for k, a := range groups {
		out[k] = report.CubeRow{Orders: int64(len(a.orders)), Revenue: guanxi.Money(a.revenue), Customers: int64(len(a.customers))}
	}
	return out
}

func TestCubeAgainstGo(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		sh := scoredShop(t, db, 1500, 5000)
		ls := readLines(t, db, sh.ID)
		// Orders in the demo have lines; the "first line" rule above needs
		// line numbers from 0 or 1: count an order once at its lowest line.
		first := map[int64]int64{}
		for _, l := range ls {
			if v, ok := first[l.order]; !ok || l.lineNo < v {
				first[l.order] = l.lineNo
			}
		}
		for i := range ls {
			if ls[i].lineNo == first[ls[i].order] {
				ls[i].lineNo = 0
			} else if ls[i].lineNo <= 0 {
				ls[i].lineNo = 1 << 20
			}
		}
		all := func(line) bool { return true }
		svc := report.NewService(db)
		cases := []struct {
			q    report.CubeQuery
			keep func(line) bool
		}{
			{report.CubeQuery{}, all},
			{report.CubeQuery{By: []string{"month"}}, all},
			{report.CubeQuery{By: []string{"province", "channel"}}, all},
			{report.CubeQuery{By: []string{"lifecycle", "segment"}}, all},
			{report.CubeQuery{By: []string{"category"}}, all},
			{report.CubeQuery{By: []string{"month", "category", "lifecycle"}}, all},
			{report.CubeQuery{By: []string{"channel"}, Where: map[string][]string{"lifecycle": {"active", "loyal"}}},
				func(l line) bool { return l.lifecycle == "active" || l.lifecycle == "loyal" }},
			{report.CubeQuery{By: []string{"province"}, Where: map[string][]string{"month": {"2025-01", "2025-02"}}, To: "2025-02-14"},
				func(l line) bool { return l.day >= 20250101 && l.day <= 20250214 }},
		}
		for _, c := range cases {
			got, err := svc.Cube(ctx, sh.ID, c.q)
			if err != nil {
				t.Fatalf("%+v: %v", c.q, err)
			}
			want := expect(ls, c.q.By, c.keep)
			if len(c.q.By) == 0 {
				w := want[""]
				if g := got.Total; g.Orders != w.Orders || g.Revenue != w.Revenue || g.Customers != w.Customers || g.AOV != guanxi.Money((int64(w.Revenue)*2+w.Orders)/(2*w.Orders)) {
					t.Errorf("total %+v, want %+v", got.Total, w)
				}
				continue
			}
			if len(got.Rows) != len(want) {
				t.Errorf("%v: %d groups, want %d", c.q.By, len(got.Rows), len(want))
			}
			for _, r := range got.Rows {
				w, ok := want[strings.Join(r.Keys, "|")]
				w.Keys, w.AOV = r.Keys, r.AOV
				if !ok || !slices.Equal(r.Keys, w.Keys) || r.Orders != w.Orders || r.Revenue != w.Revenue || r.Customers != w.Customers {
					t.Errorf("%v %q: %+v, want %+v", c.q.By, r.Keys, r, w)
				}
			}
			if !slices.IsSortedFunc(got.Rows, func(a, b report.CubeRow) int { return slices.Compare(a.Keys, b.Keys) }) {
				t.Errorf("%v: rows not in key order", c.q.By)
			}
		}
		for _, bad := range []report.CubeQuery{
			{By: []string{"colour"}}, {By: []string{"month", "month"}}, {Where: map[string][]string{"month": {"January"}}}, {From: "2025/01/01"},
		} {
			if _, err := svc.Cube(ctx, sh.ID, bad); guanxi.ErrorCode(err) != guanxi.EINVALID {
				t.Errorf("%+v: %v, want EINVALID", bad, err)
			}
		}
		if got, err := svc.Cube(ctx, sh.ID, report.CubeQuery{By: []string{"day"}, Limit: 5}); err != nil || len(got.Rows) != 5 || !got.Truncated {
			t.Errorf("limit 5: %d rows, truncated %v, %v", len(got.Rows), got.Truncated, err)
		}
	})
}

func TestStoredAnalyses(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		sh := scoredShop(t, db, 1500, 5000)
		svc := report.NewService(db)
		run, err := svc.LatestRun(ctx, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		if run.Customers == 0 || run.RepeatRate <= 0 || run.Clusters < 2 || len(run.Pareto) != 21 || run.Pareto[20] != [2]float64{1, 1} {
			t.Errorf("run %+v", run)
		}
		cohorts, err := svc.Cohorts(ctx, sh.ID)
		if err != nil || len(cohorts) == 0 {
			t.Fatalf("%d cohorts, %v", len(cohorts), err)
		}
		var size int64
		for i, c := range cohorts {
			size += c.Size
			if c.Retention[0] != 1 || len(c.Active) != len(cohorts)-i {
				t.Errorf("cohort %s: retention %v with %d months of %d", c.Cohort, c.Retention[:1], len(c.Active), len(cohorts)-i)
			}
		}
		if size != run.Customers {
			t.Errorf("cohort sizes %d, customers %d", size, run.Customers)
		}
		rules, err := svc.Rules(ctx, sh.ID, 5)
		if err != nil || len(rules) != 5 {
			t.Fatalf("%d rules, %v", len(rules), err)
		}
		for _, r := range rules {
			if r.Consequent.SKU == "" || len(r.Antecedent) == 0 || r.Antecedent[0].SKU == "" || r.Lift <= 0 {
				t.Errorf("rule %+v", r)
			}
		}
		cl, err := svc.Clusters(ctx, sh.ID)
		if err != nil || int64(len(cl)) != run.Clusters {
			t.Errorf("%d clusters, %v; run says %d", len(cl), err, run.Clusters)
		}
		other := demotest.Shop(t, db, "r2", time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC), 50, 100)
		if _, err := svc.LatestRun(ctx, other.ID); guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
			t.Errorf("unscored shop: %v", err)
		}
	})
}

// BenchmarkCube answers month × province × lifecycle over the demo shop of
// the quick start (20,000 customers, 60,000 orders), and by category, from
// the facts in memory; and the first query, which loads them.
func BenchmarkCube(b *testing.B) {
	db := storetest.SQLite(b)
	sh := scoredShop(b, db, 20000, 60000)
	b.Run("first query (loads the facts)", func(b *testing.B) {
		for b.Loop() {
			if _, err := report.NewService(db).Cube(ctx, sh.ID, report.CubeQuery{By: []string{"month"}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	svc := report.NewService(db)
	for _, by := range [][]string{{"month", "province", "lifecycle"}, {"month", "category", "segment"}} {
		b.Run(strings.Join(by, "×"), func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.Cube(ctx, sh.ID, report.CubeQuery{By: by}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package score_test

import (
	"context"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/demo/demotest"
	"github.com/guanxi-crm/guanxi/internal/score"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestShopAnalyses scores a generated shop and checks the stored shop-level
// analyses against the orders, recounted in SQL.
func TestShopAnalyses(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		end := time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
		sh := demotest.Shop(t, db, "d1", end, 1500, 5000)
		var stages []string
		res, err := score.NewService(db, guanxi.FixedClock(end), slog.New(slog.DiscardHandler)).
			RunWithProgress(ctx, sh, end.In(sh.Location()), func(stage string, done float64) { stages = append(stages, stage) })
		if err != nil {
			t.Fatal(err)
		}
		if len(stages) < 4 || stages[len(stages)-1] != "done" {
			t.Errorf("progress stages %q", stages)
		}
		one := func(q string, args ...any) float64 {
			t.Helper()
			var v float64
			if err := db.QueryRow(ctx, q, args...).Scan(&v); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return v
		}

		// Cohorts: every scored customer is in exactly one cohort, active in
		// its first month.
		if res.Cohorts == 0 {
			t.Fatal("no cohorts")
		}
		if got := one(`SELECT SUM(size) FROM shop_cohorts WHERE shop_id = ? AND month_offset = 0`, sh.ID); int(got) != res.Customers {
			t.Errorf("cohort sizes sum to %v, want %d customers", got, res.Customers)
		}
		if n := one(`SELECT COUNT(*) FROM shop_cohorts WHERE shop_id = ? AND month_offset = 0 AND active <> size`, sh.ID); n != 0 {
			t.Errorf("%v cohorts not fully active in their first month", n)
		}
		// Repeat rate: customers with purchases on two or more days.
		repeat := one(`SELECT COUNT(*) FROM (SELECT customer_id FROM orders WHERE shop_id = ? AND customer_id IS NOT NULL AND purchase_day IS NOT NULL
GROUP BY customer_id HAVING COUNT(DISTINCT purchase_day) >= 2) x`, sh.ID)
		if want := repeat / float64(res.Customers); math.Abs(res.RepeatRate-want) > 1e-12 {
			t.Errorf("repeat rate %v, want %v", res.RepeatRate, want)
		}
		if got := one(`SELECT repeat_rate FROM score_runs WHERE shop_id = ?`, sh.ID); got != res.RepeatRate {
			t.Errorf("stored repeat rate %v, want %v", got, res.RepeatRate)
		}

		// Clusters: every customer in one; sizes add up.
		if res.Clusters < 2 {
			t.Fatalf("%d clusters", res.Clusters)
		}
		if got := one(`SELECT SUM(customers) FROM score_clusters WHERE shop_id = ?`, sh.ID); int(got) != res.Customers {
			t.Errorf("cluster sizes sum to %v, want %d", got, res.Customers)
		}
		if n := one(`SELECT COUNT(*) FROM customer_scores WHERE shop_id = ? AND (cluster IS NULL OR cluster >= ?)`, sh.ID, res.Clusters); n != 0 {
			t.Errorf("%v customers without a valid cluster", n)
		}
		if n := one(`SELECT COUNT(*) FROM score_clusters WHERE shop_id = ? AND (label_zh = '' OR label_en = '')`, sh.ID); n != 0 {
			t.Errorf("%v clusters without a description", n)
		}

		// Product rules: the strongest rule's counts, recounted from the
		// baskets of purchase orders.
		if res.ProductRules == 0 || res.Baskets == 0 {
			t.Fatalf("%d rules from %d baskets", res.ProductRules, res.Baskets)
		}
		var ante string
		var cons, count int64
		var support, confidence, lift float64
		if err := db.QueryRow(ctx, `SELECT antecedent, consequent, baskets, support, confidence, lift FROM product_rules WHERE shop_id = ? AND rule_no = 1`, sh.ID).
			Scan(&ante, &cons, &count, &support, &confidence, &lift); err != nil {
			t.Fatal(err)
		}
		ids := strings.Split(ante, ",")
		holds := func(p string) string {
			return `EXISTS (SELECT 1 FROM order_lines l WHERE l.shop_id = o.shop_id AND l.order_id = o.id AND l.product_id = ` + p + `)`
		}
		where := make([]string, len(ids))
		for i, id := range ids {
			if _, err := strconv.ParseInt(id, 10, 64); err != nil {
				t.Fatalf("antecedent %q", ante)
			}
			where[i] = holds(id)
		}
		base := `SELECT COUNT(*) FROM orders o WHERE o.shop_id = ? AND o.purchase_day IS NOT NULL AND ` +
			`EXISTS (SELECT 1 FROM order_lines l WHERE l.shop_id = o.shop_id AND l.order_id = o.id AND l.product_id IS NOT NULL)`
		baskets := one(base, sh.ID)
		withAnte := one(base+" AND "+strings.Join(where, " AND "), sh.ID)
		withBoth := one(base+" AND "+strings.Join(where, " AND ")+" AND "+holds(strconv.FormatInt(cons, 10)), sh.ID)
		withCons := one(base+" AND "+holds(strconv.FormatInt(cons, 10)), sh.ID)
		if int(baskets) != res.Baskets || float64(count) != withBoth ||
			math.Abs(support-withBoth/baskets) > 1e-9 || math.Abs(confidence-withBoth/withAnte) > 1e-9 ||
			math.Abs(lift-(withBoth/withAnte)/(withCons/baskets)) > 1e-9 {
			t.Errorf("rule 1 %s → %d: %d baskets, support %v, confidence %v, lift %v; recounted %v of %v baskets (antecedent %v, consequent %v)",
				ante, cons, count, support, confidence, lift, withBoth, baskets, withAnte, withCons)
		}
		// Next product: never one the customer already bought.
		if n := one(`SELECT COUNT(*) FROM customer_scores s WHERE s.shop_id = ? AND s.next_product_id IS NOT NULL AND EXISTS (
SELECT 1 FROM orders o JOIN order_lines l ON l.shop_id = o.shop_id AND l.order_id = o.id
WHERE o.shop_id = s.shop_id AND o.customer_id = s.customer_id AND o.purchase_day IS NOT NULL AND l.product_id = s.next_product_id)`, sh.ID); n != 0 {
			t.Errorf("%v customers offered a product they bought", n)
		}
		if n := one(`SELECT COUNT(*) FROM customer_scores WHERE shop_id = ? AND next_product_rule IS NOT NULL`, sh.ID); n == 0 {
			t.Error("no customer got a rule-based suggestion")
		}
	})
}

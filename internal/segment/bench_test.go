package segment_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// BenchmarkCount measures Count of typical rules on a scored demo shop of
// $GUANXI_BENCH_CUSTOMERS customers (default 20,000) with about 2.5 orders
// each, on SQLite (and PostgreSQL when GUANXI_TEST_POSTGRES is set):
//
//	go test ./internal/segment -run '^$' -bench Count -benchtime 20x
func BenchmarkCount(b *testing.B) {
	n := 20000
	if s := os.Getenv("GUANXI_BENCH_CUSTOMERS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	rules := []struct{ name, rule string }{
		{"profile", `{"any":[{"field":"has_email","op":"eq","value":true},{"field":"tag","op":"contains","value":"vip"}]}`},
		{"scores", `{"all":[{"field":"segment_cn","op":"eq","value":"重要价值客户"},{"field":"r","op":"gte","value":3},{"field":"monetary","op":"gte","value":500}]}`},
		{"behaviour", `{"all":[{"field":"last_purchase_at","op":"within_days","value":180},{"not":{"field":"channel","op":"eq","value":"douyin"}}]}`},
		{"bought", `{"any":[{"field":"bought.category","op":"in","value":["母婴","美妆护肤"],"within_days":90},{"field":"total_spent","op":"gt","value":1000}]}`},
	}
	for _, engine := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(engine.name, func(b *testing.B) {
			if engine.name == "postgres" && os.Getenv("GUANXI_TEST_POSTGRES") == "" {
				b.Skip("set GUANXI_TEST_POSTGRES=1")
			}
			db := engine.open(b)
			sh := scoredShop(b, db, "big", n, n*5/2)
			if err := db.Analyze(ctx); err != nil {
				b.Fatal(err)
			}
			svc := segment.NewService(db, guanxi.FixedClock(end))
			for _, rc := range rules {
				r, err := segment.ParseRule([]byte(rc.rule))
				if err != nil {
					b.Fatal(err)
				}
				b.Run(rc.name, func(b *testing.B) {
					var got int
					for b.Loop() {
						if got, err = svc.Count(ctx, sh.ID, r); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(got), "members")
				})
			}
		})
	}
}

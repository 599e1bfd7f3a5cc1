package segment

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// BenchmarkIndexCount measures the in-memory index on a synthetic shop of
// $GUANXI_SEGMENT_BENCH_CUSTOMERS customers with 3 purchase orders and about
// 4.5 order lines each, written with bulk inserts: the build's time and
// memory, a count per rule from the index, and the same count by SQL once.
// It is skipped unless the variable is set, for it takes minutes at a
// million:
//
//	GUANXI_SEGMENT_BENCH_CUSTOMERS=1000000 go test ./internal/segment -run '^$' -bench IndexCount -benchtime 20x
//
// With GUANXI_SEGMENT_BENCH_DB=/path/file.db the SQLite shop is written to
// that file once and reused by later runs.
func BenchmarkIndexCount(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("GUANXI_SEGMENT_BENCH_CUSTOMERS"))
	if n <= 0 || testing.Short() {
		b.Skip("set GUANXI_SEGMENT_BENCH_CUSTOMERS, such as 1000000")
	}
	rules := []struct{ name, rule string }{
		{"province", `{"field":"province","op":"eq","value":"广东"}`},
		{"score", `{"all":[{"field":"segment_cn","op":"in","value":["重要价值客户","重要发展客户"]},{"field":"clv","op":"gt","value":500}]}`},
		{"bought90", `{"field":"bought.category","op":"in","value":["母婴"],"within_days":90}`},
		{"nested", `{"all":[{"any":[{"field":"province","op":"in","value":["广东","浙江"]},{"field":"tag","op":"contains","value":"vip"}]},
{"not":{"field":"bought.category","op":"eq","value":"美妆","within_days":90}},{"field":"segment_cn","op":"ne","value":"一般挽留客户"},
{"field":"consent.sms","op":"eq","value":true},{"field":"total_spent","op":"gte","value":300}]}`},
	}
	engines := []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", func(tb testing.TB) *store.DB {
		path := os.Getenv("GUANXI_SEGMENT_BENCH_DB")
		if path == "" {
			return storetest.SQLite(tb)
		}
		db, err := store.Open(ictx, "sqlite:"+path)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { db.Close() })
		return db
	}}, {"postgres", storetest.Postgres}}
	for _, engine := range engines {
		b.Run(engine.name, func(b *testing.B) {
			if engine.name == "postgres" && os.Getenv("GUANXI_TEST_POSTGRES") == "" {
				b.Skip("set GUANXI_TEST_POSTGRES=1")
			}
			db := engine.open(b)
			sh := benchShop(b, db, n)
			s := NewService(db, guanxi.FixedClock(iend))
			e, err := s.env(ictx, sh.ID)
			if err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			ix, err := s.index.buildNow(ictx, sh.ID)
			if err != nil {
				b.Fatal(err)
			}
			build := time.Since(start)
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.Logf("%s: index of %d customers built in %v, %.0f MiB live heap", engine.name, len(ix.ids), build.Round(time.Millisecond), float64(after.HeapAlloc-before.HeapAlloc)/(1<<20))
			start = time.Now()
			if _, err := readVersion(ictx, db, sh.ID, false); err != nil {
				b.Fatal(err)
			}
			quick := time.Since(start)
			start = time.Now()
			if _, err := readVersion(ictx, db, sh.ID, true); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: quick version %v, full version %v", engine.name, quick.Round(time.Microsecond), time.Since(start).Round(time.Millisecond))
			for _, rc := range rules {
				r, err := ParseRule([]byte(rc.rule))
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				want, err := s.countSQL(ictx, sh.ID, e, r)
				if err != nil {
					b.Fatal(err)
				}
				b.Logf("%s %s: SQL count %d in %v", engine.name, rc.name, want, time.Since(start).Round(time.Millisecond))
				b.Run(rc.name, func(b *testing.B) {
					var got int
					for b.Loop() {
						// Count as the API calls it: shop zone, quick
						// version, then the index.
						if got, err = s.Count(ictx, sh.ID, r); err != nil {
							b.Fatal(err)
						}
					}
					if got != want {
						b.Fatalf("index counts %d, SQL %d", got, want)
					}
					b.ReportMetric(float64(got), "members")
				})
			}
		})
	}
}

// benchShop returns the synthetic shop "bench" of db, writing it first if
// it is not there.
func benchShop(b *testing.B, db *store.DB, n int) *shop.Shop {
	b.Helper()
	shops := shop.NewService(db, guanxi.FixedClock(iend))
	if sh, err := shops.ByCode(ictx, "bench"); err == nil {
		return sh
	}
	sh := &shop.Shop{Code: "bench", Timezone: "Asia/Shanghai"}
	if err := shops.Create(ictx, sh); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	rnd := rand.New(rand.NewPCG(1, 2))
	provinces := []string{"广东", "浙江", "江苏", "上海", "北京", "山东", "四川", "湖北", "福建", "河南", "湖南", "安徽"}
	segs := []string{"重要价值客户", "重要发展客户", "重要保持客户", "重要挽留客户", "一般价值客户", "一般发展客户", "一般保持客户", "一般挽留客户"}
	cats := []string{"母婴", "美妆", "茶叶", "服饰", "家居", "数码", "食品", "运动", "图书", "宠物"}
	channels := []string{"tmall", "jd", "douyin", "pdd", "wechat"}
	at := iend.Unix()
	const chunk = 50_000
	var orderID int64
	for lo := 1; lo <= n; lo += chunk {
		hi := min(lo+chunk, n+1)
		var cust, stats, scores, consents, orders, lines [][]any
		for id := lo; id < hi; id++ {
			tags := "[]"
			if id%10 == 0 {
				tags = `["vip"]`
			}
			prov := provinces[rnd.IntN(len(provinces))]
			cust = append(cust, []any{sh.ID, id, "c" + strconv.Itoa(id), []string{"", "f", "m"}[id%3], fmt.Sprintf("138%08d", id), "", prov, prov + "市", tags, at, at})
			var spent, first, last int64
			for k := range 3 {
				orderID++
				day := iend.AddDate(0, 0, -rnd.IntN(3*365))
				amount := int64(1000 + rnd.IntN(50000))
				spent += amount
				if k == 0 || day.Unix() < first {
					first = day.Unix()
				}
				last = max(last, day.Unix())
				orders = append(orders, []any{sh.ID, orderID, "tmall", strconv.FormatInt(orderID, 10), id, "completed", day.Unix(), day.Unix(),
					day.Year()*10000 + int(day.Month())*100 + day.Day(), amount, channels[rnd.IntN(len(channels))], prov, orderID, at, at})
				for l := range 1 + rnd.IntN(2) {
					c := cats[rnd.IntN(len(cats))]
					lines = append(lines, []any{sh.ID, orderID, l + 1, c + strconv.Itoa(rnd.IntN(200)), c, 1, amount, amount})
				}
			}
			stats = append(stats, []any{sh.ID, id, first, last, 3, 3, spent, at})
			scores = append(scores, []any{sh.ID, id, "2025-06-30", 10, 3, spent, 1 + rnd.IntN(5), 1 + rnd.IntN(5), 1 + rnd.IntN(5),
				segs[rnd.IntN(len(segs))], "Champions", "active", "ordinary", "low", "", "", rnd.Float64(), rnd.Float64() * 2000, rnd.IntN(5), at})
			if id%3 == 0 {
				consents = append(consents, []any{sh.ID, id, "sms", "marketing", id%2 == 0, "bench", at})
			}
		}
		err := db.Update(ictx, func(tx *store.Tx) error {
			for _, w := range []struct {
				table string
				cols  []string
				rows  [][]any
			}{
				{"customers", []string{"shop_id", "id", "name", "gender", "phone", "email", "province", "city", "tags", "created_at", "updated_at"}, cust},
				{"customer_stats", []string{"shop_id", "customer_id", "first_purchase_at", "last_purchase_at", "purchase_days", "orders_count", "total_spent", "updated_at"}, stats},
				{"customer_scores", []string{"shop_id", "customer_id", "as_of", "recency_days", "frequency", "monetary", "r", "f", "m", "segment_cn", "segment", "lifecycle", "tier", "churn_risk", "churn_reason", "churn_reason_en", "p_alive", "clv_12m", "cluster", "computed_at"}, scores},
				{"customer_consents", []string{"shop_id", "customer_id", "channel", "purpose", "granted", "source", "at"}, consents},
				{"orders", []string{"shop_id", "id", "platform", "external_id", "customer_id", "status", "placed_at", "paid_at", "purchase_day", "amount", "channel", "province", "content_hash", "created_at", "updated_at"}, orders},
				{"order_lines", []string{"shop_id", "order_id", "line_no", "sku", "category", "quantity", "unit_price", "amount"}, lines},
			} {
				if err := tx.Insert(ictx, w.table, w.cols, w.rows); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Analyze(ictx); err != nil {
		b.Fatal(err)
	}
	b.Logf("wrote %d customers and %d orders in %v", n, orderID, time.Since(start).Round(time.Second))
	return sh
}

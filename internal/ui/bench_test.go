package ui_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/score"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// BenchmarkPages measures the server time of the main pages on a shop of
// $GUANXI_BENCH_CUSTOMERS customers (default 20,000) with about 2.5 orders
// each, on SQLite (and PostgreSQL when GUANXI_TEST_POSTGRES is set):
//
//	go test ./internal/ui -run '^$' -bench Pages -benchtime 50x
func BenchmarkPages(b *testing.B) {
	n := 20000
	if s := os.Getenv("GUANXI_BENCH_CUSTOMERS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	csv := filepath.Join(b.TempDir(), "orders.csv")
	if err := writeOrders(csv, n); err != nil {
		b.Fatal(err)
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
			e := newEnv(b, db)
			big := &shop.Shop{Code: "big", Name: "大店"}
			ctx := context.Background()
			if err := shop.NewService(db, guanxi.SystemClock{}).Create(ctx, big); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			sum, err := importer.NewService(db, guanxi.SystemClock{}, slog.New(slog.DiscardHandler)).ImportFile(ctx, big, csv, importer.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("imported %d orders, %d customers in %s", sum.Rows, sum.CustomersCreated, time.Since(start).Round(time.Millisecond))
			// Scored, so that the dashboards have segments, flows and churn risk.
			start = time.Now()
			if _, err := score.NewService(db, guanxi.SystemClock{}, slog.New(slog.DiscardHandler)).Run(ctx, big, time.Date(2025, 12, 31, 0, 0, 0, 0, big.Location())); err != nil {
				b.Fatal(err)
			}
			b.Logf("scored in %s", time.Since(start).Round(time.Millisecond))
			alice, err := e.auth.ByUsername(ctx, "alice")
			if err != nil {
				b.Fatal(err)
			}
			if err := e.auth.Grant(ctx, alice.ID, big.ID, auth.RoleAnalyst); err != nil {
				b.Fatal(err)
			}
			c := e.client(b)
			c.signIn("alice")
			id := e.customerID(b, big, name(n/2))
			for _, p := range []struct{ name, path string }{
				{"list", "/s/big/customers"},
				{"list-page-100", "/s/big/customers?page=100"},
				{"search-surname", "/s/big/customers?q=" + url.QueryEscape("王")},
				{"search-name", "/s/big/customers?q=" + url.QueryEscape(name(n/2))},
				{"search-phone", "/s/big/customers?q=" + url.QueryEscape(phone(n/2))},
				{"search-nick", "/s/big/customers?q=" + url.QueryEscape(fmt.Sprintf("K%d", n/2))},
				{"customer", fmt.Sprintf("/s/big/customers/%d", id)},
				{"dashboard", "/s/big/dashboard"},
				{"dashboard-customers", "/s/big/dashboard/customers"},
				{"dashboard-retention", "/s/big/dashboard/retention"},
				{"dashboard-geography", "/s/big/dashboard/geography"},
				{"dashboard-churn", "/s/big/dashboard/churn"},
				{"dashboard-churn-page-20", "/s/big/dashboard/churn?sort=monetary&page=20"},
				{"dashboard-flows-csv", "/s/big/dashboard/flows.csv"},
			} {
				b.Run(p.name, func(b *testing.B) {
					var worst time.Duration
					for b.Loop() {
						t0 := time.Now()
						pg := c.get(p.path)
						if pg.status != http.StatusOK {
							b.Fatalf("%s: %d", p.path, pg.status)
						}
						worst = max(worst, time.Since(t0))
					}
					b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
				})
			}
		})
	}
}

var (
	surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	given    = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红玲兰飞鹏辉斌宇浩凯健俊帆")
)

// name is customer i's name: a common surname and a one- or two-character
// given name, unique per i for the first few hundred thousand.
func name(i int) string {
	s := string(surnames[i%len(surnames)])
	g := i / len(surnames)
	s += string(given[g%len(given)])
	if g /= len(given); g > 0 {
		s += string(given[g%len(given)]) + strconv.Itoa(g/len(given))
	}
	return s
}

func phone(i int) string { return fmt.Sprintf("13%09d", i*7919%1_000_000_000) }

// writeOrders writes a generic orders file for n customers, 1 to 4 orders each.
func writeOrders(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "order_id,order_date,customer_id,amount,status,channel,province,city,customer_name,phone,email")
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	provinces := []string{"浙江省,杭州市", "广东省,深圳市", "北京市,北京市", "上海市,上海市", "江苏省,南京市", "四川省,成都市"}
	o := 0
	for i := range n {
		for k := range 1 + i%4 {
			o++
			at := day.Add(time.Duration((i*37+k*101)%700*24) * time.Hour)
			fmt.Fprintf(w, "O%d,%s,K%d,%d.%02d,paid,taobao,%s,%s,%s,\n", o, at.Format("2006-01-02"), i, 10+(i*13+k)%900, (i+k)%100,
				provinces[i%len(provinces)], name(i), phone(i))
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

package customer_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/seal"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// person is a customer row written straight into the table, for tests that
// need exact profiles.
type person struct {
	id                                                int64
	name, phone, email, province, city, address, tags string
	created, updated                                  int64
	merged                                            int64
}

func newShop(t testing.TB, db *store.DB, code string) *shop.Shop {
	t.Helper()
	sh := &shop.Shop{Code: code}
	if err := shop.NewService(db, clock).Create(context.Background(), sh); err != nil {
		t.Fatal(err)
	}
	return sh
}

func addPeople(t testing.TB, db *store.DB, shopID int64, ps ...person) {
	t.Helper()
	ctx := context.Background()
	err := db.Update(ctx, func(tx *store.Tx) error {
		var ids []int64
		for _, p := range ps {
			if p.tags == "" {
				p.tags = "[]"
			}
			if p.created == 0 {
				p.created = 1_700_000_000 + p.id
			}
			if p.updated == 0 {
				p.updated = p.created
			}
			var merged any
			if p.merged != 0 {
				merged = p.merged
			}
			if _, err := tx.Exec(ctx, `INSERT INTO customers (shop_id, id, name, phone, email, province, city, address, tags, merged_into, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, shopID, p.id, p.name, tx.Keys().Seal("phone", p.phone), tx.Keys().Seal("email", p.email), p.province, p.city, p.address, p.tags, merged, p.created, p.updated); err != nil {
				return err
			}
			ids = append(ids, p.id)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO shop_counters (shop_id, name, next_id) VALUES (?, 'customers', ?)
ON CONFLICT (shop_id, name) DO UPDATE SET next_id = excluded.next_id`, shopID, slices.Max(ids)+1); err != nil {
			return err
		}
		return customer.RecomputeStats(ctx, tx, shopID, ids, clock.Now().Unix())
	})
	if err != nil {
		t.Fatal(err)
	}
}

func addIdentity(t testing.TB, db *store.DB, shopID, id int64, platform, kind, value string) {
	t.Helper()
	if seal.Hashed(platform, kind) {
		value = db.Keys().Hash(shopID, kind, value) // as the importer stores them
	}
	if _, err := db.Exec(context.Background(), `INSERT INTO customer_identities (shop_id, platform, kind, value, customer_id, created_at) VALUES (?, ?, ?, ?, ?, 1)`,
		shopID, platform, kind, value, id); err != nil {
		t.Fatal(err)
	}
}

type pairKey [2]int64

func pairsOf(cs []customer.Candidate) map[pairKey]customer.Candidate {
	out := map[pairKey]customer.Candidate{}
	for _, c := range cs {
		out[pairKey{c.A.ID, c.B.ID}] = c
	}
	return out
}

func kinds(c customer.Candidate) []string {
	var out []string
	for _, r := range c.Reasons {
		out = append(out, r.Kind)
	}
	return out
}

func TestDuplicates(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sh := newShop(t, db, "d")
		addPeople(t, db, sh.ID,
			person{id: 1, name: "张三", phone: "13800000001"},
			person{id: 2, name: "张三丰", phone: "+86 138 0000 0001"}, // same phone, another spelling
			person{id: 3, name: "李四", email: "li.si@example.com"},
			person{id: 4, name: "李四儿"},                             // e-mail as an identity
			person{id: 5, name: "wx1"}, person{id: 6, name: "wx2"}, // unionid on two platforms
			person{id: 7, name: "王芳", province: "浙江省", city: "杭州市", address: "西湖区文三路100号"},
			person{id: 8, name: "王方", province: "浙江", city: "杭州", address: "杭州市西湖区文三路 100 号"}, // a near name, the same address
			person{id: 9, name: "欧阳娜娜", province: "北京市", city: "北京市", address: "朝阳区建国路88号SOHO现代城A座1201"},
			person{id: 10, name: "欧阳娜", province: "北京市", city: "北京市", address: "朝阳区建国路88号SOHO现代城A座"}, // prefix address
			person{id: 11, name: "王芳", province: "上海市", city: "上海市", address: "西湖区文三路100号"},          // another city
			person{id: 12, name: "王伟", province: "浙江省", city: "杭州市", address: "上城区解放路1号"},            // a near name elsewhere in town
			person{id: 13, name: "赵敏", phone: "13800000001", merged: 1},                              // merged away: not a candidate
			person{id: 14, name: "钱七", phone: "138****0001"},                                         // masked: never matched
			person{id: 15, name: "孙八", email: "sun@example.com", phone: "13900000015"},
			person{id: 16, name: "孙八", email: "SUN@example.com", phone: "13900000015", province: "江苏省", city: "南京市"}, // two reasons
		)
		addIdentity(t, db, sh.ID, 4, "", "email", "li.si@example.com")
		addIdentity(t, db, sh.ID, 5, "wechat", "unionid", "oU-1")
		addIdentity(t, db, sh.ID, 6, "wechat_mini", "unionid", "oU-1")

		svc := customer.NewService(db)
		p, err := svc.Duplicates(ctx, sh.ID, customer.DupeFilter{Limit: -1})
		if err != nil {
			t.Fatal(err)
		}
		got := pairsOf(p.Candidates)
		want := map[pairKey][]string{
			{1, 2}:   {customer.ReasonPhone},
			{3, 4}:   {customer.ReasonEmail},
			{5, 6}:   {customer.ReasonUnionID},
			{7, 8}:   {customer.ReasonNameAddress},
			{9, 10}:  {customer.ReasonNameAddress},
			{15, 16}: {customer.ReasonPhone, customer.ReasonEmail},
		}
		for k, w := range want {
			c, ok := got[k]
			if !ok {
				t.Errorf("pair %v not found", k)
				continue
			}
			if !slices.Equal(kinds(c), w) {
				t.Errorf("pair %v: reasons %v, want %v", k, c.Reasons, w)
			}
			if c.Score <= 0 || c.Score > 1 || c.ReasonText() == "" || c.A.Version != 1 || c.A.Name == "" {
				t.Errorf("pair %v: %+v", k, c)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected pair %v: %+v", k, got[k].Reasons)
			}
		}
		if p.Total != len(want) || len(p.Candidates) != len(want) {
			t.Errorf("total %d, %d candidates", p.Total, len(p.Candidates))
		}
		// Best first: two reasons beat one; a unionid beats a phone beats a name.
		if c := p.Candidates[0]; c.A.ID != 15 || c.Score < 0.98 {
			t.Errorf("first %+v", c)
		}
		if c := got[pairKey{5, 6}]; c.Score != 0.95 || c.Reasons[0].Value != "oU-1" {
			t.Errorf("unionid pair %+v", c)
		}
		if c := got[pairKey{7, 8}]; c.Reasons[0].Value != "王芳/王方" || c.Reasons[0].Detail == "" {
			t.Errorf("name pair %+v", c.Reasons)
		}

		// Filter and pages.
		if p, _ := svc.Duplicates(ctx, sh.ID, customer.DupeFilter{MinScore: 0.9}); p.Total != 3 {
			t.Errorf("score ≥ 0.9: %d", p.Total)
		}
		p1, _ := svc.Duplicates(ctx, sh.ID, customer.DupeFilter{Limit: 4})
		p2, _ := svc.Duplicates(ctx, sh.ID, customer.DupeFilter{Limit: 4, Offset: 4})
		if len(p1.Candidates) != 4 || len(p2.Candidates) != 2 || p2.Total != 6 {
			t.Errorf("pages: %d + %d of %d", len(p1.Candidates), len(p2.Candidates), p2.Total)
		}

		// A dismissed pair does not come back; the cache notices.
		if err := svc.Dismiss(ctx, sh.ID, 2, 1, 0, clock.Now()); err != nil {
			t.Fatal(err)
		}
		if err := svc.Dismiss(ctx, sh.ID, 1, 2, 0, clock.Now()); err != nil {
			t.Errorf("dismiss twice: %v", err)
		}
		if err := svc.Dismiss(ctx, sh.ID, 1, 999, 0, clock.Now()); guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
			t.Errorf("dismiss with nobody: %v", err)
		}
		p, _ = svc.Duplicates(ctx, sh.ID, customer.DupeFilter{Limit: -1})
		if _, ok := pairsOf(p.Candidates)[pairKey{1, 2}]; ok || p.Total != 5 {
			t.Errorf("dismissed pair still offered: %d", p.Total)
		}

		// Another shop sees none of it.
		other := newShop(t, db, "d2")
		if p, err := svc.Duplicates(ctx, other.ID, customer.DupeFilter{}); err != nil || p.Total != 0 {
			t.Errorf("other shop: %+v %v", p, err)
		}
	})
}

// TestDuplicatesAfterImport: the importer merges customers that share a
// phone, e-mail or platform id as it goes, so the fixture leaves none.
func TestDuplicatesAfterImport(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		sh := load(t, db, "s1", "../importer/testdata/orders.csv")
		p, err := customer.NewService(db).Duplicates(context.Background(), sh.ID, customer.DupeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Candidates {
			t.Errorf("%d/%d %.2f %s", c.A.ID, c.B.ID, c.Score, c.ReasonText())
		}
	})
}

// BenchmarkDuplicates finds the candidates of a generated shop of
// GUANXI_BENCH_CUSTOMERS customers (default 100,000; the report quotes
// 1,000,000) on SQLite: names from common surnames and given names, cities,
// addresses, phones, and 1% planted duplicates of each kind.
func BenchmarkDuplicates(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("GUANXI_BENCH_CUSTOMERS")); err == nil && v > 0 {
		n = v
	}
	db := storetest.SQLite(b)
	sh := newShop(b, db, "big")
	start := time.Now()
	generate(b, db, sh.ID, n)
	b.Logf("generated %d customers in %.1fs", n, time.Since(start).Seconds())
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		cpu := cpuSeconds()
		cands, skipped, err := customer.FindDuplicates(ctx, db, sh.ID)
		if err != nil {
			b.Fatal(err)
		}
		// CPU time as well as wall time: on a shared machine the wall
		// clock says more about the neighbours than about the code.
		b.ReportMetric(cpuSeconds()-cpu, "cpu-s/op")
		b.ReportMetric(float64(len(cands)), "candidates")
		b.ReportMetric(float64(skipped), "skipped_blocks")
	}
	b.StopTimer()
	// A page of the list once the candidates are cached costs the
	// fingerprint query: one pass over the shop's customers in SQL.
	svc := customer.NewService(db)
	if _, err := svc.Duplicates(ctx, sh.ID, customer.DupeFilter{}); err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	if _, err := svc.Duplicates(ctx, sh.ID, customer.DupeFilter{Offset: 100}); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(time.Since(t0).Microseconds())/1000, "cached-page-ms")
}

func generate(b *testing.B, db *store.DB, shopID int64, n int) {
	b.Helper()
	surnames := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	given := []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉俊峰建国志新宇浩然子涵梓萱一诺欣怡")
	cities := [][2]string{{"浙江省", "杭州市"}, {"浙江省", "宁波市"}, {"广东省", "深圳市"}, {"广东省", "广州市"}, {"北京市", "北京市"},
		{"上海市", "上海市"}, {"江苏省", "南京市"}, {"江苏省", "苏州市"}, {"四川省", "成都市"}, {"湖北省", "武汉市"}, {"山东省", "青岛市"}, {"福建省", "厦门市"}}
	roads := []string{"文三路", "解放路", "人民路", "中山路", "建国路", "长江路", "和平路", "南京路", "学院路", "滨江大道"}
	rng := rand.New(rand.NewPCG(1, 2))
	cols := []string{"shop_id", "id", "name", "phone", "email", "province", "city", "address", "created_at", "updated_at"}
	ctx := context.Background()
	const batch = 50_000
	for start := 0; start < n; start += batch {
		rows := make([][]any, 0, batch)
		for i := start; i < min(start+batch, n); i++ {
			id := int64(i + 1)
			name := string(surnames[rng.IntN(len(surnames))]) + string(given[rng.IntN(len(given))])
			if rng.IntN(2) == 0 {
				name += string(given[rng.IntN(len(given))])
			}
			c := cities[rng.IntN(len(cities))]
			addr := fmt.Sprintf("%s%d号%d栋%d室", roads[rng.IntN(len(roads))], rng.IntN(2000)+1, rng.IntN(30)+1, rng.IntN(3000)+101)
			phone := fmt.Sprintf("1%02d%08d", 30+rng.IntN(60), i)
			email := ""
			if rng.IntN(3) == 0 {
				email = fmt.Sprintf("u%d@example.com", i)
			}
			if len(rows) > 0 && rng.IntN(100) == 0 { // a planted duplicate of the previous customer
				prev := rows[len(rows)-1]
				switch rng.IntN(3) {
				case 0:
					phone = prev[3].(string)
				case 1: // one rune of the name typed wrong, the same address
					r := []rune(prev[2].(string))
					r[len(r)-1] = given[rng.IntN(len(given))]
					name, c, addr = string(r), [2]string{prev[5].(string), prev[6].(string)}, prev[7].(string)
				case 2:
					email = prev[4].(string)
				}
			}
			rows = append(rows, []any{shopID, id, name, phone, email, c[0], c[1], addr, int64(1_700_000_000 + i), int64(1_700_000_000 + i)})
		}
		for _, r := range rows {
			r[3], r[4] = db.Keys().Seal("phone", r[3].(string)), db.Keys().Seal("email", r[4].(string))
		}
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.Insert(ctx, "customers", cols, rows) }); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Analyze(ctx); err != nil {
		b.Fatal(err)
	}
}

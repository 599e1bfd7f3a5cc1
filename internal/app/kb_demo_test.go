package app

import (
	"context"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/kb"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// The demo's help centre: its articles are found in both languages.
func TestSeedDemoKB(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	a := openTest(t, db)
	sh := &shop.Shop{Code: DemoShop, Name: "关系演示店", Currency: "CNY", Timezone: "Asia/Shanghai"}
	if err := a.Shops.Create(ctx, sh); err != nil {
		t.Fatal(err)
	}
	if err := a.seedDemoKB(ctx, sh); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]string{"退货": "如何申请退货退款", "refunds": "How do I get a refund?"} {
		hits, err := a.KB.Search(ctx, sh.ID, q, kb.Options{PublishedOnly: true})
		if err != nil || len(hits) == 0 || hits[0].Title != want {
			t.Errorf("search %q: %+v %v", q, hits, err)
		}
	}
}

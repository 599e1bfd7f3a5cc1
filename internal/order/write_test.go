package order_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/order"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

func i64(v int64) *int64 { return &v }

func TestInputRecord(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	good := func() order.Input {
		return order.Input{ExternalID: "E1", PlacedAt: "2025-05-01 10:00", Customer: order.CustomerInput{BuyerNick: "tb_x", UnionID: "u1"},
			Lines: []order.LineInput{{SKU: "S1", Quantity: i64(3), UnitPrice: 250}, {SKU: "S2", UnitPrice: 100}}}
	}
	in := good()
	rec, err := in.Record(loc)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Platform != "generic" || rec.Status != "paid" || rec.Amount != 850 || !rec.PaidAt.Equal(rec.PlacedAt) ||
		rec.PlacedAt.Hour() != 10 || rec.Customer.KeyKind != "buyer_nick" || rec.Attrs["unionid"] != "u1" {
		t.Errorf("record %+v", rec)
	}
	in = good()
	in.Amount = i64(-500)
	if rec, err := in.Record(loc); err != nil || rec.Status != "refunded" {
		t.Errorf("a negative amount is a return: %+v %v", rec, err)
	}
	for _, c := range []struct {
		edit  func(*order.Input)
		field string
	}{
		{func(in *order.Input) { in.ExternalID = " " }, "external_id"},
		{func(in *order.Input) { in.ExternalID = strings.Repeat("x", 101) }, "external_id"},
		{func(in *order.Input) { in.Platform = "淘宝" }, "platform"},
		{func(in *order.Input) { in.Status = "lost" }, "status"},
		{func(in *order.Input) { in.PlacedAt = "" }, "placed_at"},
		{func(in *order.Input) { in.PlacedAt = "3000-01-01" }, "placed_at"},
		{func(in *order.Input) { in.PaidAt = "soon" }, "paid_at"},
		{func(in *order.Input) { in.Refunded = -1 }, "refunded"},
		{func(in *order.Input) { in.Amount = i64(1 << 62) }, "amount"},
		{func(in *order.Input) { in.Lines = nil }, "amount"},
		{func(in *order.Input) { in.Lines[0].Quantity = i64(2e9) }, "lines[0].quantity"},
		{func(in *order.Input) { in.Lines[1].UnitPrice = 1e13; in.Lines[1].Quantity = i64(1000) }, "lines[1].quantity"},
		{func(in *order.Input) { in.Lines[1].Name = "a\nb" }, "lines[1].name"},
		{func(in *order.Input) { in.Customer.ID = "c1" }, "customer"},
		{func(in *order.Input) { in.Customer.Email = strings.Repeat("e", 300) }, "customer.email"},
		{func(in *order.Input) { in.Attrs = map[string]string{"k": "\x00"} }, "attrs.k"},
	} {
		in := good()
		c.edit(&in)
		_, err := in.Record(loc)
		if guanxi.ErrorCode(err) != guanxi.EINVALID || !strings.HasPrefix(guanxi.ErrorMessage(err), c.field) {
			t.Errorf("want an error naming %s, got %v", c.field, err)
		}
	}
}

// statsAgree checks that the shop's customer_stats are what
// customer.RecomputeStats derives from the orders.
func statsAgree(t *testing.T, db *store.DB, shopID int64) {
	t.Helper()
	ctx := context.Background()
	read := func() map[int64]string {
		rows, err := db.Query(ctx, `SELECT customer_id, COALESCE(first_purchase_at, 0), COALESCE(last_purchase_at, 0), purchase_days, orders_count, total_spent, refunded
FROM customer_stats WHERE shop_id = ?`, shopID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[int64]string{}
		for rows.Next() {
			var id, a, b, c, d, e, f int64
			if err := rows.Scan(&id, &a, &b, &c, &d, &e, &f); err != nil {
				t.Fatal(err)
			}
			out[id] = fmt.Sprint(a, b, c, d, e, f)
		}
		return out
	}
	before := read()
	var ids []int64
	for id := range before {
		ids = append(ids, id)
	}
	if err := db.Update(ctx, func(tx *store.Tx) error { return customer.RecomputeStats(ctx, tx, shopID, ids, 1) }); err != nil {
		t.Fatal(err)
	}
	after := read()
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("stats kept by writes differ from recomputed:\n%v\n%v", before, after)
	}
}

func TestWriter(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sh := load(t, db, "s1", "../importer/testdata/orders.csv")
		w := order.NewWriter(importer.NewService(db, clock, slog.New(slog.DiscardHandler)))
		svc := order.NewService(db)

		// An order for 王芳 (customer C1 of the imported file, by phone).
		in := order.Input{ExternalID: "API-1", PlacedAt: "2025-05-20", Amount: i64(9900), Customer: order.CustomerInput{Phone: "13812345678"}}
		res, err := w.Write(ctx, sh, []order.Input{in}, "test", nil)
		if err != nil || len(res) != 1 || res[0].Result != importer.Created {
			t.Fatalf("create: %+v %v", res, err)
		}
		o, err := svc.Get(ctx, sh.ID, res[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		var wang int64
		if err := db.QueryRow(ctx, `SELECT customer_id FROM orders WHERE shop_id = ? AND external_id = 'A1'`, sh.ID).Scan(&wang); err != nil {
			t.Fatal(err)
		}
		if o.CustomerID != wang || o.Amount != 9900 || !o.IsPurchase() {
			t.Errorf("order %+v, want customer %d", o, wang)
		}
		statsAgree(t, db, sh.ID)

		// Again: unchanged; changed: updated; both in one call, the later wins.
		if res, err := w.Write(ctx, sh, []order.Input{in}, "test", nil); err != nil || res[0].Result != importer.Unchanged || res[0].ID != o.ID {
			t.Errorf("again: %+v %v", res, err)
		}
		in2 := in
		in2.Status, in2.Refunded = "partially_refunded", 900
		res, err = w.Write(ctx, sh, []order.Input{in2}, "test", nil)
		if err != nil || res[0].Result != importer.Updated || res[0].ID != o.ID {
			t.Errorf("update: %+v %v", res, err)
		}
		if o, _ := svc.Get(ctx, sh.ID, o.ID); o.Refunded != 900 || o.Status != "partially_refunded" {
			t.Errorf("updated order %+v", o)
		}
		statsAgree(t, db, sh.ID)
		id, err := svc.ByKey(ctx, sh.ID, "generic", "API-1")
		if err != nil || id != o.ID {
			t.Errorf("by key: %d %v", id, err)
		}
		if _, err := svc.ByKey(ctx, sh.ID, "generic", "nope"); guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
			t.Errorf("by key, unknown: %v", err)
		}

		// Several orders with one bad: an error naming it, nothing written.
		bad := in
		bad.ExternalID, bad.PlacedAt = "API-3", "never"
		good := in
		good.ExternalID = "API-2"
		if _, err := w.Write(ctx, sh, []order.Input{good, bad}, "test", nil); guanxi.ErrorCode(err) != guanxi.EINVALID || !strings.HasPrefix(guanxi.ErrorMessage(err), "[1].placed_at") {
			t.Errorf("bad batch: %v", err)
		}
		if _, err := svc.ByKey(ctx, sh.ID, "generic", "API-2"); guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
			t.Errorf("a refused batch wrote API-2: %v", err)
		}

		// A page of the customer's orders.
		page, total, err := svc.Page(ctx, sh.ID, wang, 2, 0)
		if err != nil || len(page) != 2 || total < 3 || page[0].ExternalID != "API-1" {
			t.Errorf("page: %d of %d, %v", len(page), total, err)
		}
	})
}

package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// BenchmarkInsertOrders measures the bulk path the importer uses: rows of
// the orders table written with tx.Insert in one transaction.
func BenchmarkInsertOrders(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			var db *store.DB
			if engine == "sqlite" {
				db = storetest.SQLite(b)
			} else {
				db = storetest.Postgres(b)
			}
			ctx := context.Background()
			var shopID int64
			if err := db.Update(ctx, func(tx *store.Tx) error {
				return tx.QueryRow(ctx, `INSERT INTO shops (code, name, created_at) VALUES ('b', 'b', 0) RETURNING id`).Scan(&shopID)
			}); err != nil {
				b.Fatal(err)
			}
			cols := []string{"shop_id", "id", "platform", "external_id", "customer_id", "status", "placed_at", "paid_at", "purchase_day", "amount", "discount", "shipping_fee", "refunded", "channel", "province", "city", "attrs", "content_hash", "created_at", "updated_at"}
			const batch = 2000
			rows := make([][]any, batch)
			next := int64(1)
			b.ResetTimer()
			for done := 0; done < b.N; done += batch {
				n := min(batch, b.N-done)
				for i := range n {
					id := next
					next++
					rows[i] = []any{shopID, id, "generic", fmt.Sprintf("SO%010d", id), nil, "paid", int64(1700000000) + id, nil, int64(20250101),
						int64(12345), int64(0), int64(0), int64(0), "taobao", "浙江省", "杭州市", "{}", id * 7919, int64(1), int64(1)}
				}
				if err := db.Update(ctx, func(tx *store.Tx) error { return tx.Insert(ctx, "orders", cols, rows[:n]) }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

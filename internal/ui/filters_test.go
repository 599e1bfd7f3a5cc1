package ui_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// TestCustomerFilters checks the list's filters: each offers the shop's
// values with their counts, and choosing one lists exactly the customers
// that have it.
func TestCustomerFilters(t *testing.T) {
	storetestEngines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client(t)
		c.signIn("alice")
		p := c.get("/s/a/customers")
		mustContain(t, "filters", p.body, `name="lifecycle"`, `name="province"`, `name="channel"`, `name="tier"`)
		for _, f := range []struct{ name, sql string }{
			{"province", `SELECT province, COUNT(*) FROM customers WHERE shop_id = ? AND merged_into IS NULL AND province <> '' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1`},
			{"lifecycle", `SELECT lifecycle, COUNT(*) FROM customer_scores WHERE shop_id = ? GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1`},
			{"channel", `SELECT channel, COUNT(DISTINCT customer_id) FROM orders WHERE shop_id = ? AND customer_id IS NOT NULL AND channel <> '' AND purchase_day IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1`},
		} {
			var value string
			var n int
			if err := e.db.QueryRow(ctx, f.sql, e.shopA.ID).Scan(&value, &n); err != nil {
				t.Fatal(err)
			}
			mustContain(t, f.name+" facet", p.body, fmt.Sprintf(`value="%s"`, value), fmt.Sprintf("(%d)", n))
			got := c.get("/s/a/customers?" + url.Values{f.name: {value}}.Encode())
			rows := strings.Count(got.body, `<tr class="customer`)
			if rows == 0 {
				rows = strings.Count(got.body, `href="/s/a/customers/`)
			}
			if rows != n {
				t.Errorf("%s=%s: %d customers listed, %d have it", f.name, value, rows, n)
			}
		}
	})
}

package score

import (
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// The reads of a score run scan tables in key order: no lookup per row
// through another index (which made a million-customer run several times
// slower).
func TestQueryPlans(t *testing.T) {
	db := storetest.SQLite(t)
	for _, c := range []struct {
		query string
		args  []any
		want  string
	}{
		{purchasesQuery, []any{1, 1 << 40, 2, 0, 0}, "SEARCH orders USING PRIMARY KEY (shop_id=?)"},
		{basketsQuery, []any{1, 1, 100}, "SEARCH order_lines USING PRIMARY KEY (shop_id=? AND order_id>? AND order_id<?)"},
	} {
		plan := storetest.QueryPlan(t, db, c.query, c.args...)
		if !strings.Contains(plan, c.want) || strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "orders_placed") {
			t.Errorf("plan of\n%s\n%s\nwant %q, no temporary B-tree", c.query, plan, c.want)
		}
	}
}

package importer_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestLookupUsesIndexAfterAnalyze guards re-import speed: after an import
// refreshes the planner's statistics, looking up a batch of orders by
// external id must probe the unique index, not scan the shop's orders
// (a sampled ANALYZE once made SQLite do that, 20 times slower).
func TestLookupUsesIndexAfterAnalyze(t *testing.T) {
	db := storetest.SQLite(t)
	svc, sh := setup(t, db)
	var b strings.Builder
	b.WriteString("order_id,order_date,customer_id,amount\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "P%06d,2025-01-01,C%d,10\n", i, i%700)
	}
	p := filepath.Join(t.TempDir(), "many.csv")
	os.WriteFile(p, []byte(b.String()), 0o644)
	importFile(t, svc, sh, p, importer.Options{})
	args := []any{sh.ID, "generic"}
	for i := range 500 {
		args = append(args, fmt.Sprintf("P%06d", i))
	}
	got := storetest.QueryPlan(t, db, `SELECT external_id, id, customer_id, content_hash FROM orders
WHERE shop_id = ? AND platform = ? AND external_id IN (`+store.In(500)+`)`, args...)
	if !strings.Contains(got, "external_id=?") {
		t.Errorf("order lookup plan %q does not probe (shop_id, platform, external_id)", got)
	}
}

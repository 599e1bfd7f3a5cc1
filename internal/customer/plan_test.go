package customer

import (
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestStatsPlanOnFreshDatabase guards the seeded planner statistics: on a
// database never analysed, deriving a few customers' statistics must reach
// their orders through orders_customer, not walk the shop's orders once per
// customer (which made the demo shop take three times as long to build).
func TestStatsPlanOnFreshDatabase(t *testing.T) {
	db := storetest.SQLite(t)
	got := storetest.QueryPlan(t, db, derivedStats+` AND c.id IN (`+store.In(3)+`) GROUP BY c.id`, 1, 1, 2, 3)
	if !strings.Contains(got, "orders_customer") {
		t.Errorf("plan %q does not use orders_customer", got)
	}
}

// TestFacetPlans holds the filter counts to their small indexes: a plan
// that reads every customer takes seconds on a million.
func TestFacetPlans(t *testing.T) {
	db := storetest.SQLite(t)
	for q, want := range map[string]string{provinceCounts: "COVERING INDEX customers_live_province", taggedCustomers: "customers_tagged"} {
		if got := storetest.QueryPlan(t, db, q, 1); !strings.Contains(got, want) {
			t.Errorf("plan %q of %q does not use %s", got, q, want)
		}
	}
}

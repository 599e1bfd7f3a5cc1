package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/demo/demotest"
	"github.com/guanxi-crm/guanxi/internal/job"
	"github.com/guanxi-crm/guanxi/internal/privacy"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// The privacy job applies the shop's retention limits and purges old
// failed sign-ins, and says how many rows went.
func TestPrivacyJob(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := openTest(t, db)
		sh := demotest.Shop(t, a.DB, "s1", time.Now(), 20, 40)
		if err := a.Privacy().SaveSettings(ctx, sh.ID, privacy.Retention{SignInDays: 30, AuditDays: 180}); err != nil {
			t.Fatal(err)
		}
		old := time.Now().AddDate(-1, 0, 0).Unix()
		if _, err := a.DB.Exec(ctx, `INSERT INTO audit_log (shop_id, id, at, actor, action) VALUES (?, 999001, ?, 'cli', 'x.y')`, sh.ID, old); err != nil {
			t.Fatal(err)
		}
		if _, err := a.DB.Exec(ctx, `INSERT INTO sign_in_failures (kind, key, at) VALUES ('user', 'z', ?)`, old); err != nil {
			t.Fatal(err)
		}
		res, err := a.privacyJob(ctx, &job.Job{ShopID: sh.ID, Kind: PrivacyKind}, func(string, float64) {})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(res, "audit_log 1") || !strings.Contains(res, "sign_in_failures 1") {
			t.Errorf("result %q", res)
		}
	})
}

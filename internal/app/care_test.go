package app

import (
	"context"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/care"
	"github.com/guanxi-crm/guanxi/internal/demo/demotest"
	"github.com/guanxi-crm/guanxi/internal/job"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// The care job runs the shop's rules, queues the dispatch of the messages
// they queued and its own next run an hour later; run again, it does
// nothing twice and queues no second follow-up.
func TestCareJob(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := openTest(t, db)
		sh := demotest.Shop(t, a.DB, "s1", time.Now(), 30, 60)
		today := time.Now().In(sh.Location()).Format("01-02")
		if _, err := a.DB.Exec(ctx, `UPDATE customers SET birthday = ? WHERE shop_id = ?`, "1990-"+today, sh.ID); err != nil {
			t.Fatal(err)
		}
		rule := &care.Rule{Name: "生日问候", Enabled: true, Trigger: care.Birthday, Action: care.Message,
			Params: care.Params{Channel: campaign.SMS, Purpose: campaign.ServicePurpose, Body: "{{name|亲}}，生日快乐"}}
		if err := a.Care().Create(ctx, sh.ID, rule); err != nil {
			t.Fatal(err)
		}
		count := func(kind, status string) int {
			t.Helper()
			var n int
			if err := a.DB.QueryRow(ctx, `SELECT COUNT(*) FROM jobs WHERE shop_id = ? AND kind = ? AND status = ?`, sh.ID, kind, status).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		res, err := a.careJob(ctx, &job.Job{ShopID: sh.ID, Kind: "care"}, func(string, float64) {})
		if err != nil {
			t.Fatal(err)
		}
		runs, err := a.Care().Runs(ctx, sh.ID, rule.ID, 5)
		if err != nil || len(runs) != 1 || runs[0].Acted == 0 || runs[0].CampaignID == 0 {
			t.Fatalf("runs %+v (%v); job said %q", runs, err, res)
		}
		if count("dispatch", job.Queued) != 1 || count("care", job.Queued) != 1 {
			t.Fatalf("queued: %d dispatch, %d care jobs", count("dispatch", job.Queued), count("care", job.Queued))
		}
		if _, err := a.careJob(ctx, &job.Job{ShopID: sh.ID, Kind: "care"}, func(string, float64) {}); err != nil {
			t.Fatal(err)
		}
		runs, _ = a.Care().Runs(ctx, sh.ID, rule.ID, 5)
		if len(runs) != 2 || runs[0].Matched != 0 || runs[0].CampaignID != 0 {
			t.Fatalf("second run %+v", runs[0])
		}
		if count("dispatch", job.Queued) != 1 || count("care", job.Queued) != 1 {
			t.Fatalf("after the second run: %d dispatch, %d care jobs queued", count("dispatch", job.Queued), count("care", job.Queued))
		}
	})
}

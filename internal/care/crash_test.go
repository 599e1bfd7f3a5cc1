package care_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/campaign/campaigntest"
	"github.com/guanxi-crm/guanxi/internal/care"
	"github.com/guanxi-crm/guanxi/internal/channel/channeltest"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// childEnv carries "dsn|shop id|unix time" to a care-running child.
const childEnv = "GUANXI_CARE_CHILD"

// TestCareChild is the process the crash test kills: it runs the shop's
// care rules at the given time. It does nothing in a normal test run.
func TestCareChild(t *testing.T) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		t.Skip("run by the crash test only")
	}
	parts := strings.Split(spec, "|")
	shopID, _ := strconv.ParseInt(parts[1], 10, 64)
	sec, _ := strconv.ParseInt(parts[2], 10, 64)
	db, err := store.Open(ctx, parts[0])
	must(t, err)
	f := &fixture{db: db, clock: guanxi.NewManualClock(time.Unix(sec, 0))}
	_, err = f.services().care.RunDue(ctx, shopID)
	must(t, err)
}

// TestCareCrash: the care run of a shop of 1,000 customers with a birthday
// today is killed with SIGKILL twice part way, then run to the end by a new
// instance: every customer has exactly one occurrence of each rule, one
// points grant, one queued message, and the dispatch sends each one SMS.
func TestCareCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	storetest.CrashEngines(t, func(t *testing.T, dsn string, db *store.DB) {
		const n = 1000
		now := at("2026-03-10 10:00")
		f := &fixture{db: db, clock: guanxi.NewManualClock(now)}
		f.shop = &shop.Shop{Code: "bulk", Name: "批量店", Timezone: "Asia/Shanghai"}
		must(t, shop.NewService(db, f.clock).Create(ctx, f.shop))
		must(t, campaigntest.BulkCustomers(ctx, db, f.shop.ID, n))
		_, err := db.Exec(ctx, `UPDATE customers SET birthday = '1990-03-10' WHERE shop_id = ?`, f.shop.ID)
		must(t, err)
		in := f.services()
		g := channeltest.NewSMSGateway(false)
		defer g.Close()
		must(t, in.campaigns.SetChannelSettings(ctx, f.shop.ID, &campaign.ChannelSettings{Channel: campaign.SMS,
			SMS: &campaign.SMSSettings{Endpoint: g.URL, AppKey: g.AppKey, AppSecret: g.Secret, SignName: "批量店"}, AllowPrivateNetwork: true}))
		msg := &care.Rule{Name: "生日祝福", Enabled: true, Trigger: care.Birthday, Action: care.Message, Params: care.Params{Channel: campaign.SMS, Body: "{{name}}，生日快乐"}}
		pts := &care.Rule{Name: "生日积分", Enabled: true, Trigger: care.Birthday, Action: care.Points, Params: care.Params{Points: 88}}
		must(t, in.care.Create(ctx, f.shop.ID, msg))
		must(t, in.care.Create(ctx, f.shop.ID, pts))
		occurrences := func() int {
			var k int
			_ = db.QueryRow(ctx, `SELECT COUNT(*) FROM care_occurrences WHERE shop_id = ?`, f.shop.ID).Scan(&k)
			return k
		}
		storetest.KillChild(t, "TestCareChild", fmt.Sprintf("%s=%s|%d|%d", childEnv, dsn, f.shop.ID, now.Unix()), []int{n / 3, n + n/2}, occurrences)
		killed := occurrences()
		runs := runAll(t, f.services(), f.shop.ID)
		if got := occurrences(); got != 2*n {
			t.Fatalf("%d occurrences, want %d", got, 2*n)
		}
		if runs[msg.ID].Acted+runs[pts.ID].Acted != 2*n-killed {
			t.Fatalf("the last run acted %d + %d, want %d", runs[msg.ID].Acted, runs[pts.ID].Acted, 2*n-killed)
		}
		var grants, balance, queued, customers int
		must(t, db.QueryRow(ctx, `SELECT COUNT(*), COUNT(DISTINCT customer_id) FROM points_ledger WHERE shop_id = ?`, f.shop.ID).Scan(&grants, &customers))
		must(t, db.QueryRow(ctx, `SELECT SUM(balance) FROM loyalty_accounts WHERE shop_id = ?`, f.shop.ID).Scan(&balance))
		if grants != n || customers != n || balance != 88*n {
			t.Fatalf("%d grants to %d customers, balance %d", grants, customers, balance)
		}
		must(t, db.QueryRow(ctx, `SELECT COUNT(*), COUNT(DISTINCT customer_id) FROM campaign_messages WHERE shop_id = ? AND grp = 'target'`, f.shop.ID).Scan(&queued, &customers))
		if queued != n || customers != n {
			t.Fatalf("%d messages queued for %d customers", queued, customers)
		}
		ids, err := f.services().care.SendingCampaigns(ctx, f.shop.ID)
		must(t, err)
		for _, id := range ids {
			f.dispatch(t, f.services(), id)
		}
		got := g.Delivered()
		if len(got) != n {
			t.Fatalf("%d phones got a message, want %d", len(got), n)
		}
		for ph, k := range got {
			if k != 1 {
				t.Fatalf("%s got %d messages", ph, k)
			}
		}
		t.Logf("killed twice with %d of %d occurrences recorded; %d care campaigns", killed, 2*n, len(ids))
	})
}

package campaign_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/campaign/campaigntest"
	"github.com/guanxi-crm/guanxi/internal/channel/channeltest"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// childEnv carries "dsn|shop id|campaign id" to a dispatching child.
const childEnv = "GUANXI_DISPATCH_CHILD"

// TestDispatchChild is the process the crash tests kill: it dispatches a
// campaign until done. It does nothing in a normal test run.
func TestDispatchChild(t *testing.T) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		t.Skip("run by the crash tests only")
	}
	parts := strings.Split(spec, "|")
	shopID, _ := strconv.ParseInt(parts[1], 10, 64)
	id, _ := strconv.ParseInt(parts[2], 10, 64)
	db, err := store.Open(ctx, parts[0])
	must(t, err)
	svc := campaign.NewService(db, nil, segment.NewService(db, guanxi.SystemClock{}), nil)
	d := campaign.NewDispatcher(svc, nil, "https://crm.example.com")
	d.Backoff = noBackoff
	for {
		out, err := d.Run(ctx, shopID, id, nil)
		must(t, err)
		if out.Next.IsZero() {
			return
		}
	}
}

// bulkShop makes a shop of n customers with a mobile, an e-mail and
// consent to both: the crash tests are about dispatch.
func bulkShop(t *testing.T, db *store.DB, n int) *shop.Shop {
	t.Helper()
	sh := &shop.Shop{Code: "bulk", Name: "批量店", Timezone: "Asia/Shanghai"}
	must(t, shop.NewService(db, guanxi.SystemClock{}).Create(ctx, sh))
	must(t, campaigntest.BulkCustomers(ctx, db, sh.ID, n))
	return sh
}

// killDuring starts the child dispatching, kills it with SIGKILL once
// arrived() has grown past each of the kill points, and returns after the
// last kill.
func killDuring(t *testing.T, dsn string, shopID, id int64, points []int, arrived func() int) {
	t.Helper()
	storetest.KillChild(t, "TestDispatchChild", fmt.Sprintf("%s=%s|%d|%d", childEnv, dsn, shopID, id), points, arrived)
}

// killPoints draws k increasing points in (0, n), one in each k-th of it,
// so the kills are spread over the whole send.
func killPoints(n, k int) []int {
	var ps []int
	for i := range k {
		lo, hi := n*i/k, n*(i+1)/k
		ps = append(ps, lo+1+rand.IntN(max(1, hi-lo-1)))
	}
	return ps
}

// crashKills is how many times each crash test kills the dispatcher, per
// engine: GUANXI_CRASH_KILLS, default 20 (issue 7). The audiences below are
// sized so that 20 kills stay cheap: every message is sent once whatever
// the number of kills, so a kill costs only a child's start and its
// recovery, and the send between two kills still spans a batch or more.
func crashKills() int {
	if k, err := strconv.Atoi(os.Getenv("GUANXI_CRASH_KILLS")); err == nil && k > 0 {
		return k
	}
	return 20
}

// TestDispatchCrashSMS: a 20,000-recipient SMS campaign whose dispatcher
// is killed 20 times mid-send, then run to the end: every target gets
// exactly one message. The gateway deduplicates by idempotency key, so the
// messages in flight at a kill are sent again safely; that some were (the
// gateway saw repeated keys) shows the kills landed mid-batch, where a
// broken key would have sent twice.
func TestDispatchCrashSMS(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	storetest.CrashEngines(t, func(t *testing.T, dsn string, db *store.DB) {
		const n = 20_000
		sh := bulkShop(t, db, n)
		svc := campaign.NewService(db, nil, segment.NewService(db, guanxi.SystemClock{}), nil)
		g := channeltest.NewSMSGateway(false)
		defer g.Close()
		must(t, svc.SetChannelSettings(ctx, sh.ID, &campaign.ChannelSettings{AllowPrivateNetwork: true, Channel: campaign.SMS,
			SMS: &campaign.SMSSettings{Endpoint: g.URL, AppKey: g.AppKey, AppSecret: g.Secret, SignName: "批量店"}}))
		must(t, svc.SetPolicy(ctx, sh.ID, campaign.Policy{CapMessages: 2, CapDays: 7})) // no quiet hours: the test runs at any hour
		c := &campaign.Campaign{Name: "大促", Channel: campaign.SMS, Rule: rule(t, guangdong), Body: "{{name}}，大促开始", HoldoutShare: 0.1}
		must(t, svc.Create(ctx, sh.ID, c))
		c, err := svc.Launch(ctx, sh.ID, c.ID)
		must(t, err)
		kills := crashKills()
		killDuring(t, dsn, sh.ID, c.ID, killPoints(c.Counts.Target, kills), g.Phones)
		d := campaign.NewDispatcher(svc, nil, "")
		out, err := d.Run(ctx, sh.ID, c.ID, nil)
		must(t, err)
		c, err = svc.Get(ctx, sh.ID, c.ID)
		must(t, err)
		got := g.Delivered()
		if c.Status != campaign.Sent || len(got) != c.Counts.Target {
			t.Fatalf("status %s, %d phones got a message, want %d (%v)", c.Status, len(got), c.Counts.Target, out)
		}
		for ph, k := range got {
			if k != 1 {
				t.Fatalf("%s got %d messages", ph, k)
			}
		}
		var sent, holdoutMessaged int
		must(t, db.QueryRow(ctx, `SELECT COUNT(*) FROM campaign_messages WHERE shop_id = ? AND campaign_id = ? AND status = 'sent'`, sh.ID, c.ID).Scan(&sent))
		if sent != c.Counts.Target {
			t.Fatalf("%d messages recorded sent, want %d", sent, c.Counts.Target)
		}
		must(t, db.QueryRow(ctx, `SELECT COUNT(*) FROM campaign_messages WHERE shop_id = ? AND campaign_id = ? AND grp <> 'target' AND status <> ''`, sh.ID, c.ID).Scan(&holdoutMessaged))
		if holdoutMessaged != 0 {
			t.Fatalf("%d holdout customers have a message", holdoutMessaged)
		}
		if g.Repeats() == 0 {
			t.Fatalf("%d kills and no message was in flight at any: the crashes tested nothing", kills)
		}
		t.Logf("%d kills; %d requests repeated a key after a crash and were deduplicated by the gateway", kills, g.Repeats())
	})
}

// maxDoubt is the most e-mails the kills can leave in doubt: a batch of 8
// per connection, 4 connections, at each.
func maxDoubt(kills int) int { return kills * 8 * 4 }

// TestDispatchCrashEmail: the same with SMTP, which cannot deduplicate: a
// message in flight at a kill is marked in doubt and never sent again, so
// nobody gets two; everything else is sent exactly once. 5,000 recipients
// are 140 batches of 32, several between two of the 20 kills.
func TestDispatchCrashEmail(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	storetest.CrashEngines(t, func(t *testing.T, dsn string, db *store.DB) {
		const n = 5_000
		sh := bulkShop(t, db, n)
		svc := campaign.NewService(db, nil, segment.NewService(db, guanxi.SystemClock{}), nil)
		sink, err := channeltest.NewSMTPSink(false)
		must(t, err)
		defer sink.Close()
		must(t, svc.SetChannelSettings(ctx, sh.ID, &campaign.ChannelSettings{AllowPrivateNetwork: true, Channel: campaign.Email,
			Email: &campaign.EmailSettings{Addr: sink.Addr(), From: "shop@example.com", Connections: 4}}))
		must(t, svc.SetPolicy(ctx, sh.ID, campaign.Policy{CapMessages: 2, CapDays: 7}))
		c := &campaign.Campaign{Name: "邮件大促", Channel: campaign.Email, Rule: rule(t, guangdong), Subject: "大促", Body: "{{name}}，大促开始", HoldoutShare: 0.1}
		must(t, svc.Create(ctx, sh.ID, c))
		c, err = svc.Launch(ctx, sh.ID, c.ID)
		must(t, err)
		// A message in doubt may never arrive, so the sink's count can end
		// short of the target by as many as the kills leave in doubt: the
		// points stay below that, or the last would never be reached.
		kills := crashKills()
		killDuring(t, dsn, sh.ID, c.ID, killPoints(c.Counts.Target-maxDoubt(kills), kills), sink.Count)
		d := campaign.NewDispatcher(svc, nil, "")
		_, err = d.Run(ctx, sh.ID, c.ID, nil)
		must(t, err)
		for rcpt, k := range sink.Received() {
			if k != 1 {
				t.Fatalf("%s got %d messages", rcpt, k)
			}
		}
		var sent, doubt int
		must(t, db.QueryRow(ctx, `SELECT COUNT(*) FROM campaign_messages WHERE shop_id = ? AND campaign_id = ? AND status = 'sent'`, sh.ID, c.ID).Scan(&sent))
		must(t, db.QueryRow(ctx, `SELECT COUNT(*) FROM campaign_messages WHERE shop_id = ? AND campaign_id = ? AND status = 'in_doubt'`, sh.ID, c.ID).Scan(&doubt))
		if sent+doubt != c.Counts.Target || doubt > maxDoubt(kills) {
			t.Fatalf("sent %d + in doubt %d, target %d", sent, doubt, c.Counts.Target)
		}
		if doubt == 0 {
			t.Fatalf("%d kills and no message was in flight at any: the crashes tested nothing", kills)
		}
		// Every message recorded sent arrived; in-doubt ones arrived or not.
		if got := sink.Count(); got < sent || got > sent+doubt {
			t.Fatalf("sink got %d, recorded sent %d, in doubt %d", got, sent, doubt)
		}
		t.Logf("%d kills: %d sent, %d in doubt (of which %d arrived)", kills, sent, doubt, sink.Count()-sent)
	})
}

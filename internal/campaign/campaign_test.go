package campaign_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/channel/channeltest"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
	"github.com/guanxi-crm/guanxi/internal/uplift"
)

var ctx = context.Background()

func at(s string) time.Time        { t, _ := time.ParseInLocation("2006-01-02 15:04", s, cst); return t }
func phone(i int) string           { return fmt.Sprintf("1380000%04d", i) }
func noBackoff(int) time.Duration  { return 0 }
func must(t *testing.T, err error) { t.Helper(); mustNot(t, err) }
func mustNot(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
func wantCode(t *testing.T, err error, c string) {
	t.Helper()
	if guanxi.ErrorCode(err) != c {
		t.Fatalf("got %v (%s), want %s", err, guanxi.ErrorCode(err), c)
	}
}

var cst = time.FixedZone("CST", 8*3600)

// fixture is a shop of 40 customers in 广东 and 10 in 浙江, each with one
// order in January, and the consents the tests count on:
//
//	i%10 == 0  no consent on record      (4 in 广东)
//	i%10 == 1  opted out of sms and email (4)
//	i == 2     masked phone and email     (no address)
//	i == 3     held (open complaint)
//	others     consent to sms and email
type fixture struct {
	db    *store.DB
	clock *guanxi.ManualClock
	shop  *shop.Shop
	svc   *campaign.Service
	segs  *segment.Service
	imp   *importer.Service
	ids   map[int]int64 // fixture number → customer id
}

func newFixture(t *testing.T, db *store.DB, n int) *fixture {
	t.Helper()
	f := &fixture{db: db, clock: guanxi.NewManualClock(at("2025-06-30 12:00")), ids: map[int]int64{}}
	f.shop = &shop.Shop{Code: "s1", Name: "西湖茶庄", Timezone: "Asia/Shanghai"}
	must(t, shop.NewService(db, f.clock).Create(ctx, f.shop))
	f.imp = importer.NewService(db, f.clock, slog.New(slog.DiscardHandler))
	var b strings.Builder
	b.WriteString("order_id,order_date,customer_id,amount,customer_name,phone,email,province\n")
	for i := range n {
		prov := "广东"
		if i >= n*4/5 {
			prov = "浙江"
		}
		ph, em := phone(i), fmt.Sprintf("c%d@example.com", i)
		if i == 2 {
			ph, em = "138****0002", "c***@example.com"
		}
		fmt.Fprintf(&b, "o%d,2025-01-%02d,u%d,100.00,顾客%d,%s,%s,%s\n", i, 1+i%28, i, i, ph, em, prov)
	}
	f.importCSV(t, "customers.csv", b.String())
	rows, err := db.Query(ctx, `SELECT ci.value, ci.customer_id FROM customer_identities ci WHERE ci.shop_id = ? AND ci.kind = 'customer_id'`, f.shop.ID)
	must(t, err)
	for rows.Next() {
		var v string
		var id int64
		must(t, rows.Scan(&v, &id))
		var i int
		fmt.Sscanf(v, "u%d", &i)
		f.ids[i] = id
	}
	rows.Close()
	if len(f.ids) != n {
		t.Fatalf("fixture has %d customers, want %d", len(f.ids), n)
	}
	f.segs = segment.NewService(db, f.clock)
	f.svc = campaign.NewService(db, f.clock, f.segs, nil)
	err = db.Update(ctx, func(tx *store.Tx) error {
		for i := range n {
			var rows [][]any
			switch i % 10 {
			case 0:
				continue
			case 1:
				rows = [][]any{{f.shop.ID, f.ids[i], "sms", "marketing", false, "test", 1}, {f.shop.ID, f.ids[i], "email", "marketing", false, "test", 1}}
			default:
				rows = [][]any{{f.shop.ID, f.ids[i], "sms", "marketing", true, "test", 1}, {f.shop.ID, f.ids[i], "email", "marketing", true, "test", 1}}
			}
			if err := tx.Insert(ctx, "customer_consents", []string{"shop_id", "customer_id", "channel", "purpose", "granted", "source", "at"}, rows); err != nil {
				return err
			}
		}
		return nil
	})
	must(t, err)
	must(t, f.svc.Hold(ctx, f.shop.ID, f.ids[3], "complaint:1"))
	return f
}

func (f *fixture) importCSV(t *testing.T, name, content string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	must(t, os.WriteFile(path, []byte(content), 0o600))
	if _, err := f.imp.ImportFile(ctx, f.shop, path, importer.Options{}); err != nil {
		t.Fatalf("import %s: %v", name, err)
	}
}

func rule(t *testing.T, s string) *segment.Rule {
	t.Helper()
	r, err := segment.ParseRule([]byte(s))
	must(t, err)
	return r
}

const guangdong = `{"field":"province","op":"eq","value":"广东"}`

func (f *fixture) smsGateway(t *testing.T, rate float64) *channeltest.SMSGateway {
	t.Helper()
	g := channeltest.NewSMSGateway(true)
	t.Cleanup(g.Close)
	must(t, f.svc.SetChannelSettings(ctx, f.shop.ID, &campaign.ChannelSettings{AllowPrivateNetwork: true, Channel: campaign.SMS, Rate: rate, CostPerMessage: 5,
		SMS: &campaign.SMSSettings{Endpoint: g.URL, AppKey: g.AppKey, AppSecret: g.Secret, SignName: "西湖茶庄"}}))
	return g
}

// snapshot reads a campaign's audience: customer → group and reason.
func (f *fixture) snapshot(t *testing.T, id int64) map[int64][2]string {
	t.Helper()
	rows, err := f.db.Query(ctx, `SELECT customer_id, grp, reason FROM campaign_messages WHERE shop_id = ? AND campaign_id = ?`, f.shop.ID, id)
	must(t, err)
	defer rows.Close()
	out := map[int64][2]string{}
	for rows.Next() {
		var c int64
		var g, r string
		must(t, rows.Scan(&c, &g, &r))
		out[c] = [2]string{g, r}
	}
	return out
}

func TestAudienceExclusionsAndHoldout(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, 50)
		c := &campaign.Campaign{Name: "夏季上新", Channel: campaign.SMS, Rule: rule(t, guangdong), Body: "{{name|亲}}，新茶到店", HoldoutShare: 0.2}
		must(t, f.svc.Create(ctx, f.shop.ID, c))
		p, err := f.svc.Preview(ctx, f.shop.ID, c)
		must(t, err)
		n := p.Counts
		// By hand: 40 in 广东; 4 without consent, 4 opted out, 1 masked, 1 held.
		if n.Audience != 40 || n.NoConsent != 4 || n.OptedOut != 4 || n.NoAddress != 1 || n.Held != 1 || n.Eligible != 30 || n.Holdout+n.Target != 30 {
			t.Fatalf("preview counts %+v", n)
		}
		if len(p.Samples) == 0 || !strings.Contains(p.Samples[0].Text, "顾客") {
			t.Fatalf("samples %+v", p.Samples)
		}
		f.smsGateway(t, 0)
		started, err := f.svc.Launch(ctx, f.shop.ID, c.ID)
		must(t, err)
		if started.Status != campaign.Sending || started.Counts.Target != n.Target || started.Counts.Holdout != n.Holdout {
			t.Fatalf("launched %+v, preview %+v", started.Counts, n)
		}
		// The split is re-derived from the stored seed and the snapshot.
		snap := f.snapshot(t, c.ID)
		if len(snap) != 40 {
			t.Fatalf("snapshot holds %d customers, want 40", len(snap))
		}
		holdout := 0
		for id, g := range snap {
			if g[0] == campaign.Excluded {
				continue
			}
			want := campaign.Target
			if uplift.Assign(started.Seed, id, 0.2) {
				want = campaign.Holdout
				holdout++
			}
			if g[0] != want {
				t.Errorf("customer %d in %s, seed says %s", id, g[0], want)
			}
		}
		if holdout != n.Holdout {
			t.Errorf("holdout %d, counted %d", holdout, n.Holdout)
		}
		for i, reason := range map[int]string{0: "no_consent", 1: "opted_out", 2: "no_address", 3: "held"} {
			if g := snap[f.ids[i]]; g != [2]string{campaign.Excluded, reason} {
				t.Errorf("customer %d: %v, want excluded %s", i, g, reason)
			}
		}
		// A launched campaign is no longer a draft.
		wantCode(t, f.svc.Update(ctx, f.shop.ID, started), guanxi.ECONFLICT)
	})
}

func TestDispatchSMSAndFrequencyCap(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, 50)
		g := f.smsGateway(t, 0)
		d := campaign.NewDispatcher(f.svc, nil, "https://crm.example.com")
		defer d.Close()
		send := func(name string) (*campaign.Campaign, campaign.Outcome) {
			c := &campaign.Campaign{Name: name, Channel: campaign.SMS, Rule: rule(t, guangdong), Body: "{{name|亲}}您好，{{shop}}新茶上市", HoldoutShare: 0.1}
			must(t, f.svc.Create(ctx, f.shop.ID, c))
			_, err := f.svc.Launch(ctx, f.shop.ID, c.ID)
			must(t, err)
			out, err := d.Run(ctx, f.shop.ID, c.ID, nil)
			must(t, err)
			c, err = f.svc.Get(ctx, f.shop.ID, c.ID)
			must(t, err)
			return c, out
		}
		c1, out := send("第一波")
		if c1.Status != campaign.Sent || out.Sent != c1.Counts.Target {
			t.Fatalf("first: %s, %v, counts %+v", c1.Status, out, c1.Counts)
		}
		reqs := g.Requests()
		if n := d.Outcomes()[[2]string{campaign.SMS, "sent"}]; n != int64(c1.Counts.Target) {
			t.Fatalf("outcomes count %d sent, want %d", n, c1.Counts.Target)
		}
		if len(reqs) != c1.Counts.Target {
			t.Fatalf("gateway got %d messages, want %d", len(reqs), c1.Counts.Target)
		}
		snap := f.snapshot(t, c1.ID)
		byPhone := map[string]bool{}
		for i, id := range f.ids {
			if snap[id][0] == campaign.Target {
				byPhone[phone(i)] = true
			}
		}
		for _, r := range reqs {
			if !byPhone[r.Phone] {
				t.Errorf("message to %s, who is not in the target group", r.Phone)
			}
			if !strings.HasPrefix(r.Content, "【西湖茶庄】顾客") || !strings.Contains(r.Content, "西湖茶庄新茶上市") || !strings.HasSuffix(r.Content, "回T退订") {
				t.Errorf("content %q", r.Content)
			}
			if !strings.HasPrefix(r.IdempotencyKey, fmt.Sprintf("gx-%d-%d-", f.shop.ID, c1.ID)) {
				t.Errorf("key %q", r.IdempotencyKey)
			}
		}
		// The message is on the customer's timeline.
		for i, id := range f.ids {
			if snap[id][0] != campaign.Target {
				continue
			}
			evs, err := customer.NewService(db).Timeline(ctx, f.shop.ID, id, 10)
			must(t, err)
			if len(evs) == 0 || evs[0].Kind != "message" || evs[0].Title != "第一波" {
				t.Fatalf("timeline of customer %d: %+v", i, evs)
			}
			break
		}
		// Running again sends nothing more.
		out, err := d.Run(ctx, f.shop.ID, c1.ID, nil)
		must(t, err)
		if out.Sent != 0 || len(g.Requests()) != len(reqs) {
			t.Fatalf("second run: %v", out)
		}
		// Cap 1 per 7 days: everyone messaged by the first wave is capped.
		must(t, f.svc.SetPolicy(ctx, f.shop.ID, campaign.Policy{QuietStart: 21 * 60, QuietEnd: 8 * 60, CapMessages: 1, CapDays: 7}))
		c2, _ := send("第二波")
		if c2.Counts.Capped != c1.Counts.Target || c2.Counts.Target+c2.Counts.Holdout != c1.Counts.Holdout {
			t.Fatalf("second wave counts %+v, first %+v", c2.Counts, c1.Counts)
		}
		// A week later the cap has passed.
		f.clock.Advance(8 * 24 * time.Hour)
		c3, _ := send("第三波")
		if c3.Counts.Capped != 0 {
			t.Fatalf("third wave capped %d", c3.Counts.Capped)
		}
		delivered := g.Delivered()
		for ph, k := range delivered {
			if k > 3 {
				t.Errorf("%s got %d messages", ph, k)
			}
		}
	})
}

func TestDispatchPolicyAtSendTime(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, 50)
		g := f.smsGateway(t, 0)
		d := campaign.NewDispatcher(f.svc, nil, "")
		c := &campaign.Campaign{Name: "x", Channel: campaign.SMS, Rule: rule(t, guangdong), Body: "hi"}
		must(t, f.svc.Create(ctx, f.shop.ID, c))
		_, err := f.svc.Launch(ctx, f.shop.ID, c.ID)
		must(t, err)
		var targets []int
		snap := f.snapshot(t, c.ID)
		for i := range 40 {
			if snap[f.ids[i]][0] == campaign.Target {
				targets = append(targets, i)
			}
		}
		// After the launch one target replies T, another complains.
		n, err := f.svc.OptOut(ctx, f.shop.ID, campaign.SMS, phone(targets[0]), "sms reply T")
		must(t, err)
		if n != 1 {
			t.Fatalf("opt-out changed %d customers", n)
		}
		must(t, f.svc.Hold(ctx, f.shop.ID, f.ids[targets[1]], "complaint:9"))
		// Quiet hours: nothing goes at 22:00, and the run says until when.
		f.clock.Set(at("2025-06-30 22:00"))
		out, err := d.Run(ctx, f.shop.ID, c.ID, nil)
		must(t, err)
		if out.Sent != 0 || !out.Next.Equal(at("2025-07-01 08:00")) {
			t.Fatalf("quiet run: %v next %v", out, out.Next)
		}
		f.clock.Set(at("2025-07-01 08:00"))
		out, err = d.Run(ctx, f.shop.ID, c.ID, nil)
		must(t, err)
		if out.Sent != len(targets)-2 || out.Skipped != 2 {
			t.Fatalf("sent %d, want %d", out.Sent, len(targets)-2)
		}
		delivered := g.Delivered()
		if delivered[phone(targets[0])] != 0 || delivered[phone(targets[1])] != 0 {
			t.Fatalf("opted-out or held customer was messaged: %v", delivered)
		}
		if len(delivered) != len(targets)-2 {
			t.Fatalf("delivered to %d, want %d", len(delivered), len(targets)-2)
		}
		var skipped int
		must(t, db.QueryRow(ctx, `SELECT COUNT(*) FROM campaign_messages WHERE shop_id = ? AND campaign_id = ? AND status = 'skipped'`, f.shop.ID, c.ID).Scan(&skipped))
		if skipped != 2 {
			t.Fatalf("skipped %d, want 2", skipped)
		}
	})
}

func TestEmailUnsubscribeBounceRetry(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, 50)
		// Customer 5 has an address the server refuses.
		_, err := db.Exec(ctx, `UPDATE customers SET email = ? WHERE shop_id = ? AND id = ?`, db.Keys().Seal("email", "bounce5@example.com"), f.shop.ID, f.ids[5])
		must(t, err)
		sink, err := channeltest.NewSMTPSink(true)
		must(t, err)
		defer sink.Close()
		must(t, f.svc.SetChannelSettings(ctx, f.shop.ID, &campaign.ChannelSettings{AllowPrivateNetwork: true, Channel: campaign.Email,
			Email: &campaign.EmailSettings{Addr: sink.Addr(), From: "shop@example.com", FromName: "西湖茶庄", Connections: 2}}))
		c := &campaign.Campaign{Name: "邮件", Channel: campaign.Email, Rule: rule(t, guangdong), Subject: "{{name}}，新品", Body: "亲爱的{{name}}：新茶到了。", HoldoutShare: 0.0001}
		must(t, f.svc.Create(ctx, f.shop.ID, c))
		_, err = f.svc.Launch(ctx, f.shop.ID, c.ID)
		must(t, err)
		sink.TempFail(3) // the first three messages meet a busy server
		d := campaign.NewDispatcher(f.svc, nil, "https://crm.example.com")
		d.Backoff = noBackoff
		defer d.Close()
		var out campaign.Outcome
		for range 5 {
			o, err := d.Run(ctx, f.shop.ID, c.ID, nil)
			must(t, err)
			out.Sent, out.Retried, out.Bounced = out.Sent+o.Sent, out.Retried+o.Retried, out.Bounced+o.Bounced
			if o.Next.IsZero() {
				break
			}
		}
		c, err = f.svc.Get(ctx, f.shop.ID, c.ID)
		must(t, err)
		if c.Status != campaign.Sent || out.Retried != 3 || out.Bounced != 1 || out.Sent != c.Counts.Target-1 {
			t.Fatalf("status %s, outcome %+v, counts %+v", c.Status, out, c.Counts)
		}
		mails := sink.Mails()
		if len(mails) != c.Counts.Target-1 {
			t.Fatalf("sink got %d mails, want %d", len(mails), c.Counts.Target-1)
		}
		seen := map[string]bool{}
		var unsub string
		for _, m := range mails {
			if seen[m.To] {
				t.Errorf("%s got two messages", m.To)
			}
			seen[m.To] = true
			lu := m.Header.Get("List-Unsubscribe")
			if !strings.Contains(lu, "https://crm.example.com/u/") || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
				t.Errorf("unsubscribe headers %q", lu)
			}
			unsub = strings.Trim(strings.Split(lu, ",")[0], "<> ")
		}
		// The bounce withdrew consent at once.
		var granted bool
		must(t, db.QueryRow(ctx, `SELECT granted FROM customer_consents WHERE shop_id = ? AND customer_id = ? AND channel = 'email'`, f.shop.ID, f.ids[5]).Scan(&granted))
		if granted {
			t.Fatal("a bounced address still has consent")
		}
		// One click on the link unsubscribes; a tampered link does nothing.
		token := unsub[strings.LastIndex(unsub, "/")+1:]
		u, err := f.svc.ParseUnsubscribe(ctx, token)
		must(t, err)
		bad := []byte(token)
		bad[3] ^= 1
		if _, err := f.svc.ParseUnsubscribe(ctx, string(bad)); guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Fatalf("tampered token: %v", err)
		}
		must(t, f.svc.Unsubscribe(ctx, u, "one-click"))
		must(t, db.QueryRow(ctx, `SELECT granted FROM customer_consents WHERE shop_id = ? AND customer_id = ? AND channel = 'email'`, f.shop.ID, u.CustomerID).Scan(&granted))
		if granted {
			t.Fatal("unsubscribe did not withdraw consent")
		}
	})
}

func TestEvaluation(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, 50)
		f.smsGateway(t, 0)
		c := &campaign.Campaign{Name: "评估", Channel: campaign.SMS, Rule: rule(t, guangdong), Body: "hi", HoldoutShare: 0.3, CostPerMessage: 5}
		must(t, f.svc.Create(ctx, f.shop.ID, c))
		c, err := f.svc.Launch(ctx, f.shop.ID, c.ID)
		must(t, err)
		d := campaign.NewDispatcher(f.svc, nil, "")
		_, err = d.Run(ctx, f.shop.ID, c.ID, nil)
		must(t, err)
		// The window is open: the nightly job evaluates it.
		if n, err := f.svc.EvaluateDue(ctx, f.shop.ID); err != nil || n != 1 {
			t.Fatalf("evaluate due with the window open: %d, %v", n, err)
		}
		snap := f.snapshot(t, c.ID)
		// Within the window: every other target buys for 200 yuan, the
		// first holdout customer for 50; one target buys after the window.
		var b strings.Builder
		b.WriteString("order_id,order_date,customer_id,amount\n")
		var tBuyers, tCount, hCount int
		var firstHoldout = -1
		for i := range 40 {
			switch snap[f.ids[i]][0] {
			case campaign.Target:
				if tCount%2 == 0 {
					fmt.Fprintf(&b, "n%d,2025-07-03,u%d,200.00\n", i, i)
					tBuyers++
				} else if tCount == 1 {
					fmt.Fprintf(&b, "late%d,2025-07-20,u%d,999.00\n", i, i)
				}
				tCount++
			case campaign.Holdout:
				if firstHoldout < 0 {
					firstHoldout = i
					fmt.Fprintf(&b, "h%d,2025-07-02,u%d,50.00\n", i, i)
				}
				hCount++
			}
		}
		f.importCSV(t, "after.csv", b.String())
		f.clock.Set(at("2025-07-25 12:00"))
		must(t, f.svc.Evaluate(ctx, f.shop.ID, c.ID))
		r, err := f.svc.Result(ctx, f.shop.ID, c.ID)
		must(t, err)
		if !r.Complete || r.Target.Customers != tCount || r.Target.Converters != tBuyers || r.Target.Revenue != guanxi.Money(tBuyers*20000) ||
			r.Holdout.Customers != hCount || r.Holdout.Converters != 1 || r.Holdout.Revenue != 5000 {
			t.Fatalf("result target %+v holdout %+v (want %d/%d, %d/1)", r.Target, r.Holdout, tBuyers, tCount, hCount)
		}
		if r.Cost != guanxi.Money(5*tCount) {
			t.Fatalf("cost %v, want %d", r.Cost, 5*tCount)
		}
		// Hand-computed uplift of the conversion rate.
		want := float64(tBuyers)/float64(tCount) - 1/float64(hCount)
		if r.Conversion == nil || abs(r.Conversion.Uplift-want) > 1e-12 {
			t.Fatalf("conversion %+v, want uplift %v", r.Conversion, want)
		}
		wantInc := (200*float64(tBuyers)/float64(tCount) - 50/float64(hCount)) * float64(tCount)
		if r.Revenue == nil || abs(r.Revenue.Incremental-wantInc) > 1e-6 {
			t.Fatalf("revenue %+v, want incremental %v", r.Revenue, wantInc)
		}
		// Evaluated after its window closed: nothing is due any more.
		if n, err := f.svc.EvaluateDue(ctx, f.shop.ID); err != nil || n != 0 {
			t.Fatalf("evaluate due after the window: %d, %v", n, err)
		}
		m, err := f.svc.Matrix(ctx, f.shop.ID)
		must(t, err)
		var sent int
		var inc float64
		for _, cell := range m {
			if cell.Channel != campaign.SMS {
				t.Fatalf("matrix cell %+v", cell)
			}
			sent += cell.Sent
			inc += cell.Incremental
		}
		if sent != tCount {
			t.Fatalf("matrix sent %d, want %d", sent, tCount)
		}
	})
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestTemplate(t *testing.T) {
	tpl, err := campaign.ParseTemplate("{{name|亲}}，您是{{tier}}会员，积分{{points}}，券码{{coupon}}")
	must(t, err)
	got := tpl.Render(campaign.Vars{Tier: "金卡", Points: "120", Coupon: "GX7K2M9Q"})
	if got != "亲，您是金卡会员，积分120，券码GX7K2M9Q" {
		t.Fatalf("render %q", got)
	}
	for _, bad := range []string{"{{name", "{{.Secret}}", "{{password}}", "hi {{ tier }} {{db}}"} {
		if _, err := campaign.ParseTemplate(bad); guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestQuietHours(t *testing.T) {
	p := campaign.DefaultPolicy()
	for _, c := range []struct {
		at    string
		quiet bool
		until string
	}{
		{"2025-06-30 20:59", false, ""},
		{"2025-06-30 21:00", true, "2025-07-01 08:00"},
		{"2025-07-01 03:00", true, "2025-07-01 08:00"},
		{"2025-07-01 08:00", false, ""},
	} {
		q, until := p.Quiet(at(c.at), cst)
		if q != c.quiet || (q && !until.Equal(at(c.until))) {
			t.Errorf("%s: quiet %v until %v", c.at, q, until)
		}
	}
}

func TestBudgetAndRecurring(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, 50)
		// A budget of ¥0.50 at ¥0.05 a message pays for 10 of the 30 eligible.
		c := &campaign.Campaign{Name: "预算", Channel: campaign.SMS, Rule: rule(t, guangdong), Body: "hi", HoldoutShare: 0.1, Budget: 50, CostPerMessage: 5}
		must(t, f.svc.Create(ctx, f.shop.ID, c))
		p, err := f.svc.Preview(ctx, f.shop.ID, c)
		must(t, err)
		if p.Counts.Target != 10 || p.Counts.Budget != p.Counts.Eligible-p.Counts.Holdout-10 || p.Cost != 50 {
			t.Fatalf("budget preview %+v cost %v", p.Counts, p.Cost)
		}
		// A weekly campaign: each start makes an occurrence with its own
		// seed and snapshot, and moves the next send a week on.
		w := &campaign.Campaign{Name: "每周上新", Channel: campaign.SMS, Rule: rule(t, guangdong), Body: "hi", HoldoutShare: 0.1,
			Schedule: campaign.Recurring, SendAt: at("2025-06-30 10:00"), RepeatDays: 7}
		must(t, f.svc.Create(ctx, f.shop.ID, w))
		w, err = f.svc.Launch(ctx, f.shop.ID, w.ID)
		must(t, err)
		if w.Status != campaign.Scheduled {
			t.Fatalf("recurring launched as %s", w.Status)
		}
		occ, err := f.svc.Start(ctx, f.shop.ID, w.ID)
		must(t, err)
		parent, err := f.svc.Get(ctx, f.shop.ID, w.ID)
		must(t, err)
		if occ.ParentID != w.ID || occ.Status != campaign.Sending || occ.Seed == w.Seed || occ.Counts.Eligible != 30 {
			t.Fatalf("occurrence %+v", occ)
		}
		if parent.Status != campaign.Scheduled || !parent.SendAt.Equal(at("2025-07-07 10:00")) {
			t.Fatalf("parent %s next %v", parent.Status, parent.SendAt)
		}
		if len(f.snapshot(t, w.ID)) != 0 || len(f.snapshot(t, occ.ID)) != 40 {
			t.Fatal("the snapshot belongs to the occurrence, not the recurring campaign")
		}
	})
}

func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{"", "{{name}}", "{{name|亲}}，{{coupon}}", "{{", "}}{{", "{{ tier |}}", "{{x}}", "{{name|{{}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := campaign.ParseTemplate(src)
		if err != nil {
			if guanxi.ErrorCode(err) != guanxi.EINVALID {
				t.Fatalf("%q: %v", src, err)
			}
			return
		}
		// With no values, the output is the text with each placeholder's
		// fallback, and never longer than the template.
		out := tpl.Render(campaign.Vars{})
		if len(out) > len(src) {
			t.Fatalf("%q rendered %q", src, out)
		}
		// Values are inserted as they are: a value that looks like a
		// placeholder is not expanded again.
		v := campaign.Vars{Name: "{{coupon}}", Coupon: "SECRET"}
		if strings.Contains(tpl.Render(v), "SECRET") && !tpl.Uses("coupon") {
			t.Fatalf("%q expanded a value", src)
		}
	})
}

// TestServiceBeforePromotions: while a service campaign of the shop is
// sending, a promotion's dispatch yields to it; service messages ignore
// the frequency cap and consent for marketing.
func TestServiceBeforePromotions(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, 50)
		g := f.smsGateway(t, 0)
		d := campaign.NewDispatcher(f.svc, nil, "")
		promo := &campaign.Campaign{Name: "促销", Channel: campaign.SMS, Rule: rule(t, guangdong), Body: "促销"}
		notice := &campaign.Campaign{Name: "发货通知", Purpose: campaign.ServicePurpose, Channel: campaign.SMS, Rule: rule(t, guangdong), Body: "您的订单已发货", HoldoutShare: 0}
		for _, c := range []*campaign.Campaign{promo, notice} {
			must(t, f.svc.Create(ctx, f.shop.ID, c))
			_, err := f.svc.Launch(ctx, f.shop.ID, c.ID)
			must(t, err)
		}
		out, err := d.Run(ctx, f.shop.ID, promo.ID, nil)
		must(t, err)
		if out.Sent != 0 || out.Why != "a service campaign goes first" || out.Next.IsZero() {
			t.Fatalf("promotion ran before the service campaign: %v", out)
		}
		out, err = d.Run(ctx, f.shop.ID, notice.ID, nil)
		must(t, err)
		n, err := f.svc.Get(ctx, f.shop.ID, notice.ID)
		must(t, err)
		// Service messages reach the opted-out and unconsented customers too
		// (not the one without an address): 39 of 40.
		if n.Counts.Target != 39 || out.Sent != 39 {
			t.Fatalf("service campaign counts %+v, sent %d", n.Counts, out.Sent)
		}
		out, err = d.Run(ctx, f.shop.ID, promo.ID, nil)
		must(t, err)
		p, err := f.svc.Get(ctx, f.shop.ID, promo.ID)
		must(t, err)
		if out.Sent != p.Counts.Target || p.Status != campaign.Sent {
			t.Fatalf("promotion after the service campaign: %v, %+v", out, p.Counts)
		}
		if len(g.Requests()) != 39+p.Counts.Target {
			t.Fatalf("gateway got %d", len(g.Requests()))
		}
	})
}

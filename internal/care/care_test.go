package care_test

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
	"github.com/guanxi-crm/guanxi/internal/care"
	"github.com/guanxi-crm/guanxi/internal/channel/channeltest"
	"github.com/guanxi-crm/guanxi/internal/coupon"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/loyalty"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

var ctx = context.Background()

var cst = time.FixedZone("CST", 8*3600)

func at(s string) time.Time { t, _ := time.ParseInLocation("2006-01-02 15:04", s, cst); return t }

func must(t *testing.T, err error) {
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

// fixture: a shop of customers u0…u5, each with one order; the
// instance's services (a "server") are made by services, so a test can
// start new ones on the same database as a restart would.
//
//	u0  birthday 03-10, consent to SMS, ordered 2026-01-01
//	u1  birthday 03-10, opted out of SMS
//	u2  birthday 03-10, no consent on record
//	u3  birthday 03-10, consent, held (open complaint)
//	u4  birthday 07-01, consent, ordered 2026-03-01 (first order, recent)
//	u5  no birthday, ordered 2025-12-01
type fixture struct {
	db    *store.DB
	clock *guanxi.ManualClock
	shop  *shop.Shop
	ids   map[string]int64
	g     *channeltest.SMSGateway
}

type instance struct {
	care      *care.Service
	campaigns *campaign.Service
	tasks     *service.Service
	loyalty   *loyalty.Service
	segments  *segment.Service
	coupons   *coupon.Service
}

func (f *fixture) services() *instance {
	segs := segment.NewService(f.db, f.clock)
	cp := coupon.NewService(f.db, f.clock, segs)
	in := &instance{segments: segs, coupons: cp, campaigns: campaign.NewService(f.db, f.clock, segs, cp),
		tasks: service.NewService(f.db, f.clock), loyalty: loyalty.NewService(f.db, f.clock)}
	in.care = care.NewService(f.db, f.clock, care.Deps{Segments: segs, Campaigns: in.campaigns, Tasks: in.tasks, Loyalty: in.loyalty, Coupons: cp})
	return in
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, clock: guanxi.NewManualClock(at("2026-01-01 10:00")), ids: map[string]int64{}}
	f.shop = &shop.Shop{Code: "s1", Name: "西湖茶庄", Timezone: "Asia/Shanghai"}
	must(t, shop.NewService(db, f.clock).Create(ctx, f.shop))
	imp := importer.NewService(db, f.clock, slog.New(slog.DiscardHandler))
	csv := "order_id,order_date,customer_id,amount,status,customer_name,phone\n" +
		"o0,2026-01-01,u0,300.00,completed,顾客0,13800000000\n" +
		"o1,2026-01-01,u1,100.00,completed,顾客1,13800000001\n" +
		"o2,2026-01-01,u2,100.00,completed,顾客2,13800000002\n" +
		"o3,2026-01-01,u3,100.00,completed,顾客3,13800000003\n" +
		"o5,2025-12-01,u5,100.00,completed,顾客5,13800000005\n"
	path := filepath.Join(t.TempDir(), "orders.csv")
	must(t, os.WriteFile(path, []byte(csv), 0o600))
	_, err := imp.ImportFile(ctx, f.shop, path, importer.Options{})
	must(t, err)
	f.readIDs(t)
	in := f.services()
	err = db.Update(ctx, func(tx *store.Tx) error {
		for u, b := range map[string]string{"u0": "1990-03-10", "u1": "1985-03-10", "u2": "1992-03-10", "u3": "1970-03-10"} {
			if _, err := tx.Exec(ctx, `UPDATE customers SET birthday = ? WHERE shop_id = ? AND id = ?`, b, f.shop.ID, f.ids[u]); err != nil {
				return err
			}
		}
		var rows [][]any
		for u, granted := range map[string]bool{"u0": true, "u1": false, "u3": true, "u5": true} {
			rows = append(rows, []any{f.shop.ID, f.ids[u], "sms", "marketing", granted, "test", int64(1)})
		}
		return tx.Insert(ctx, "customer_consents", []string{"shop_id", "customer_id", "channel", "purpose", "granted", "source", "at"}, rows)
	})
	must(t, err)
	must(t, in.campaigns.Hold(ctx, f.shop.ID, f.ids["u3"], "complaint:1"))
	f.g = channeltest.NewSMSGateway(true)
	t.Cleanup(f.g.Close)
	must(t, in.campaigns.SetChannelSettings(ctx, f.shop.ID, &campaign.ChannelSettings{AllowPrivateNetwork: true, Channel: campaign.SMS,
		SMS: &campaign.SMSSettings{Endpoint: f.g.URL, AppKey: f.g.AppKey, AppSecret: f.g.Secret, SignName: "西湖茶庄"}}))
	// No frequency cap unless a test sets one.
	must(t, in.campaigns.SetPolicy(ctx, f.shop.ID, campaign.Policy{QuietStart: 21 * 60, QuietEnd: 8 * 60}))
	return f
}

func (f *fixture) readIDs(t *testing.T) {
	t.Helper()
	rows, err := f.db.Query(ctx, `SELECT value, customer_id FROM customer_identities WHERE shop_id = ? AND kind = 'customer_id'`, f.shop.ID)
	must(t, err)
	defer rows.Close()
	for rows.Next() {
		var v string
		var id int64
		must(t, rows.Scan(&v, &id))
		f.ids[v] = id
	}
}

func (f *fixture) importOrders(t *testing.T, csv string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "more.csv")
	must(t, os.WriteFile(path, []byte("order_id,order_date,customer_id,amount,status,customer_name,phone\n"+csv), 0o600))
	_, err := importer.NewService(f.db, f.clock, slog.New(slog.DiscardHandler)).ImportFile(ctx, f.shop, path, importer.Options{})
	must(t, err)
	f.readIDs(t)
}

// dispatch sends a care campaign's due messages.
func (f *fixture) dispatch(t *testing.T, in *instance, campaignID int64) campaign.Outcome {
	t.Helper()
	d := campaign.NewDispatcher(in.campaigns, nil, "")
	defer d.Close()
	out, err := d.Run(ctx, f.shop.ID, campaignID, nil)
	must(t, err)
	return out
}

func (f *fixture) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	must(t, f.db.QueryRow(ctx, q, append([]any{f.shop.ID}, args...)...).Scan(&n))
	return n
}

func runAll(t *testing.T, in *instance, shopID int64) map[int64]*care.Run {
	t.Helper()
	runs, err := in.care.RunDue(ctx, shopID)
	must(t, err)
	out := map[int64]*care.Run{}
	for _, r := range runs {
		if r.Errors > 0 {
			t.Fatalf("run of rule %d: %d errors: %s", r.RuleID, r.Errors, r.Error)
		}
		out[r.RuleID] = r
	}
	return out
}

func TestCareFiresOncePerOccurrenceAcrossRestarts(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		in := f.services()
		f.clock.Set(at("2026-01-20 10:00")) // the rules are made: event triggers reach back to 01-19 10:00
		tmpl := &coupon.Template{Name: "首单礼", CodePrefix: "GX", Kind: coupon.KindAmount, Value: 1000, ValidDays: 30}
		must(t, in.coupons.CreateTemplate(ctx, f.shop.ID, tmpl))

		birthday := &care.Rule{Name: "生日祝福", Enabled: true, Trigger: care.Birthday, Action: care.Message,
			Params: care.Params{Channel: campaign.SMS, Body: "{{name|亲}}，生日快乐！{{shop}}"}}
		dormant := &care.Rule{Name: "沉睡唤醒回访", Enabled: true, Trigger: care.Dormant, Days: 60, Action: care.Task,
			Params: care.Params{DueDays: 3}}
		first := &care.Rule{Name: "首单积分", Enabled: true, Trigger: care.FirstOrder, Days: 0, Action: care.Points, Params: care.Params{Points: 100}}
		vip := &care.Rule{Name: "大客户打标", Enabled: true, Trigger: care.AfterDelivery, Days: 7, MinSpend: 20000, Action: care.Tag, Params: care.Params{Tag: "关怀VIP"}}
		welcome := &care.Rule{Name: "首单券", Enabled: true, Trigger: care.FirstOrder, Days: 1, Action: care.Coupon, Params: care.Params{CouponTemplateID: tmpl.ID}}
		for _, r := range []*care.Rule{birthday, dormant, first, vip, welcome} {
			must(t, in.care.Create(ctx, f.shop.ID, r))
		}
		// Validation names the field.
		wantCode(t, in.care.Create(ctx, f.shop.ID, &care.Rule{Name: "x", Trigger: care.Dormant, Action: care.Tag, Params: care.Params{Tag: "a"}}), guanxi.EINVALID)
		wantCode(t, in.care.Create(ctx, f.shop.ID, &care.Rule{Name: "x", Trigger: care.Birthday, Action: care.Message, Params: care.Params{Channel: "fax", Body: "x"}}), guanxi.EINVALID)

		// 2026-03-01: u4 buys for the first time.
		f.clock.Set(at("2026-03-01 12:00"))
		f.importOrders(t, "o4,2026-03-01 11:00,u4,50.00,completed,顾客4,13800000004\n")
		must(t, f.db.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE customers SET birthday = '1999-07-01' WHERE shop_id = ? AND id = ?`, f.shop.ID, f.ids["u4"])
			return err
		}))

		// 2026-03-10 10:00: birthdays of u0-u3; u5 dormant since 2025-12-01
		// (99 days), u0-u3 since 2026-01-01 (68 days); u4's first order and
		// delivery a week ago.
		f.clock.Set(at("2026-03-10 10:00"))
		runs := runAll(t, in, f.shop.ID)
		b := runs[birthday.ID]
		if b.Matched != 4 || b.Acted != 1 || b.Skipped[campaign.ReasonOptedOut] != 1 || b.Skipped[campaign.ReasonNoConsent] != 1 || b.Skipped[campaign.ReasonHeld] != 1 || b.CampaignID == 0 {
			t.Fatalf("birthday run %+v", b)
		}
		// The dormancy window only reaches back to a day before the rule
		// was made (2026-01-19 10:00): u0-u3 went dormant on 03-02, u5 on
		// 01-30 — all after it. u0-u3's first orders were before it.
		if d := runs[dormant.ID]; d.Matched != 5 || d.Acted != 5 {
			t.Fatalf("dormant run %+v", d)
		}
		if r := runs[first.ID]; r.Matched != 1 || r.Acted != 1 {
			t.Fatalf("first order run %+v", r)
		}
		// After delivery: u4's order was paid 9 days ago, u0-u3 and u5's long
		// before the rule existed; u4 spent 50 yuan, under the 200 the rule asks.
		if r := runs[vip.ID]; r.Matched != 1 || r.Acted != 0 || r.Skipped[care.SkipCondition] != 1 {
			t.Fatalf("after delivery run %+v", r)
		}
		if r := runs[welcome.ID]; r.Acted != 1 {
			t.Fatalf("coupon run %+v", r)
		}
		if out := f.dispatch(t, in, b.CampaignID); out.Sent != 1 {
			t.Fatalf("dispatch %+v", out)
		}
		if got := f.g.Delivered(); len(got) != 1 || got["13800000000"] != 1 {
			t.Fatalf("delivered %v", got)
		}

		// A restart: new services on the same database, run again — and a
		// third time — nothing new.
		for range 2 {
			in = f.services()
			for id, r := range runAll(t, in, f.shop.ID) {
				// Only u4's delivery, short of the spend condition, is
				// looked at again: a condition unmet is not recorded.
				if r.Matched != r.Skipped[care.SkipCondition] || r.Acted != 0 || r.CampaignID != 0 {
					t.Fatalf("rule %d ran again: %+v", id, r)
				}
			}
		}
		if n := f.count(t, `SELECT COUNT(*) FROM tasks WHERE shop_id = ? AND kind = 'care'`); n != 5 {
			t.Fatalf("%d care tasks, want 5", n)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM points_ledger WHERE shop_id = ? AND idempotency_key LIKE 'care:%'`); n != 1 {
			t.Fatalf("%d care point grants, want 1", n)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM coupons WHERE shop_id = ? AND source = ?`, fmt.Sprintf("care:%d", welcome.ID)); n != 1 {
			t.Fatalf("%d care coupons, want 1", n)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM timeline_events WHERE shop_id = ? AND kind = 'care'`); n != 1+5+1+1 {
			t.Fatalf("%d care timeline events", n)
		}
		f.dispatch(t, in, b.CampaignID)
		if got := f.g.Delivered(); len(got) != 1 || f.g.Repeats() != 0 {
			t.Fatalf("delivered %v, repeats %d", got, f.g.Repeats())
		}

		// u5 buys again and goes dormant once more: a new spell, a new task;
		// u4 spends enough and the next delivery passes its week.
		f.clock.Set(at("2026-03-11 09:00"))
		f.importOrders(t, "o6,2026-03-11 09:00,u5,80.00,completed,顾客5,13800000005\no7,2026-03-11 09:00,u4,300.00,shipped,顾客4,13800000004\n")
		f.clock.Set(at("2026-05-11 09:30"))
		runs = runAll(t, f.services(), f.shop.ID)
		if d := runs[dormant.ID]; d.Matched != 2 || d.Acted != 2 { // u4 (since 03-11) and u5 (since 03-11)
			t.Fatalf("second dormancy %+v", d)
		}
		// u4's two orders (spend now 350 yuan): the first tags, the second
		// finds the tag; u5's new order (180 yuan in all) is short.
		if r := runs[vip.ID]; r.Matched != 3 || r.Acted != 1 || r.Skipped["tagged already"] != 1 || r.Skipped[care.SkipCondition] != 1 {
			t.Fatalf("after delivery, second order %+v", r)
		}
		var tags string
		must(t, f.db.QueryRow(ctx, `SELECT tags FROM customers WHERE shop_id = ? AND id = ?`, f.shop.ID, f.ids["u4"]).Scan(&tags))
		if !strings.Contains(tags, "关怀VIP") {
			t.Fatalf("tags of u4: %s", tags)
		}
		if r := runs[birthday.ID]; r.Matched != 0 {
			t.Fatalf("birthday on 05-11 %+v", r)
		}

		// A year on, the same birthdays are new occurrences: exactly once.
		// u0 gets it; at 22:30 the dispatcher waits for the quiet hours to
		// end, then sends.
		f.clock.Set(at("2027-03-10 22:30"))
		runs = runAll(t, f.services(), f.shop.ID)
		b2 := runs[birthday.ID]
		if b2.Matched != 4 || b2.Acted != 1 || b2.CampaignID == 0 || b2.CampaignID == b.CampaignID {
			t.Fatalf("next year's birthday run %+v", b2)
		}
		if again := runAll(t, f.services(), f.shop.ID)[birthday.ID]; again.Matched != 0 {
			t.Fatalf("birthday ran twice: %+v", again)
		}
		out := f.dispatch(t, f.services(), b2.CampaignID)
		if out.Sent != 0 || !out.Next.Equal(at("2027-03-11 08:00")) {
			t.Fatalf("in quiet hours: %+v", out)
		}
		f.clock.Set(at("2027-03-11 08:00"))
		if out := f.dispatch(t, f.services(), b2.CampaignID); out.Sent != 1 {
			t.Fatalf("after quiet hours: %+v", out)
		}
		if got := f.g.Delivered(); got["13800000000"] != 2 || len(got) != 1 {
			t.Fatalf("delivered %v", got)
		}

		// What the pages show.
		occ, err := in.care.Occurrences(ctx, f.shop.ID, birthday.ID, 0)
		must(t, err)
		if len(occ) != 8 || occ[0].Key != "birthday:2027" {
			t.Fatalf("occurrences %+v", occ)
		}
		last, err := in.care.LastRuns(ctx, f.shop.ID)
		must(t, err)
		effects, err := in.care.Effects(ctx, f.shop.ID)
		must(t, err)
		if last[birthday.ID].ID == 0 || effects[birthday.ID] != 2 || effects[dormant.ID] != 7 {
			t.Fatalf("last runs %+v, effects %v", last, effects)
		}
	})
}

// A frequency cap reached by campaigns holds back a marketing care message,
// and a care message counts towards the cap of later campaigns; a service
// message goes whatever the cap and the hold.
func TestCareMessagesObeyCapAndPurpose(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		in := f.services()
		must(t, in.campaigns.SetPolicy(ctx, f.shop.ID, campaign.Policy{QuietStart: 21 * 60, QuietEnd: 8 * 60, CapMessages: 1, CapDays: 7}))
		promo := &care.Rule{Name: "生日促销", Enabled: true, Trigger: care.Birthday, Action: care.Message,
			Params: care.Params{Channel: campaign.SMS, Body: "生日八折"}}
		svcMsg := &care.Rule{Name: "生日问候（服务）", Enabled: true, Trigger: care.Birthday, Action: care.Message,
			Params: care.Params{Channel: campaign.SMS, Purpose: campaign.ServicePurpose, Body: "生日快乐"}}
		must(t, in.care.Create(ctx, f.shop.ID, promo))
		must(t, in.care.Create(ctx, f.shop.ID, svcMsg))
		f.clock.Set(at("2026-03-10 10:00"))
		r1, err := in.care.Run(ctx, f.shop.ID, promo.ID)
		must(t, err)
		f.dispatch(t, in, r1.CampaignID)
		// u0's promotion went; now a second promotion the same week is capped.
		r2, err := in.care.Run(ctx, f.shop.ID, svcMsg.ID)
		must(t, err)
		if r2.Acted != 4 { // service: u1 (opted out of marketing), u2, u3 (held) too
			t.Fatalf("service run %+v", r2)
		}
		promo2 := &care.Rule{Name: "再促销", Enabled: true, Trigger: care.Birthday, Action: care.Message, Params: care.Params{Channel: campaign.SMS, Body: "再次八折"}}
		must(t, in.care.Create(ctx, f.shop.ID, promo2))
		r3, err := in.care.Run(ctx, f.shop.ID, promo2.ID)
		must(t, err)
		if r3.Acted != 0 || r3.Skipped[campaign.ReasonCapped] != 1 {
			t.Fatalf("capped run %+v", r3)
		}
		if out := f.dispatch(t, in, r2.CampaignID); out.Sent != 4 {
			t.Fatalf("service dispatch %+v", out)
		}
		// The nightly evaluation copes with care campaigns, which have no
		// holdout.
		_, err = in.campaigns.EvaluateDue(ctx, f.shop.ID)
		must(t, err)
		res, err := in.campaigns.Result(ctx, f.shop.ID, r2.CampaignID)
		must(t, err)
		if res.Target.Sent != 4 || res.Conversion != nil {
			t.Fatalf("care campaign result %+v", res)
		}
	})
}

// Churn risk rising to high fires once per rise (named by the score run),
// not for customers already high when care first looked nor for those who
// stay high; tier changes fire per change in the direction asked; an
// archived complaint fires once, Days after.
func TestCareEventTriggers(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		in := f.services()
		f.clock.Set(at("2026-03-01 10:00"))
		churn := &care.Rule{Name: "流失预警回访", Enabled: true, Trigger: care.ChurnHigh, Action: care.Task, Params: care.Params{Title: "流失预警：请回访", DueDays: 2}}
		up := &care.Rule{Name: "升级祝贺", Enabled: true, Trigger: care.TierChange, Action: care.Points, Params: care.Params{Direction: "up", Points: 50}}
		complaint := &care.Rule{Name: "投诉结案回访", Enabled: true, Trigger: care.ComplaintArchived, Days: 3, Action: care.Tag, Params: care.Params{Tag: "投诉回访"}}
		for _, r := range []*care.Rule{churn, up, complaint} {
			must(t, in.care.Create(ctx, f.shop.ID, r))
		}
		score := func(run int64, risks map[string]string) {
			t.Helper()
			must(t, f.db.Update(ctx, func(tx *store.Tx) error {
				if _, err := tx.Exec(ctx, `DELETE FROM customer_scores WHERE shop_id = ?`, f.shop.ID); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO score_runs (shop_id, id, as_of, customers, model, params, note, rules, finished_at) VALUES (?, ?, '2026-03-01', 6, '', '{}', '', '', ?)`,
					f.shop.ID, run, f.clock.Now().Unix()); err != nil {
					return err
				}
				for u, risk := range risks {
					if _, err := tx.Exec(ctx, `INSERT INTO customer_scores (shop_id, customer_id, as_of, recency_days, frequency, monetary, r, f, m, segment_cn, segment, lifecycle, tier, churn_risk, churn_reason, churn_reason_en, computed_at)
VALUES (?, ?, '2026-03-01', 10, 1, 100, 3, 3, 3, '一般', 'x', 'active', 'small', ?, '', '', 1)`, f.shop.ID, f.ids[u], risk); err != nil {
						return err
					}
				}
				return nil
			}))
		}
		runOf := func(r *care.Rule) *care.Run {
			t.Helper()
			run, err := f.services().care.Run(ctx, f.shop.ID, r.ID)
			must(t, err)
			if run.Errors > 0 {
				t.Fatalf("rule %s: %s", r.Name, run.Error)
			}
			return run
		}
		// First look: u0 is already high — a baseline, not a rise.
		score(1, map[string]string{"u0": "high", "u1": "low", "u2": "medium"})
		if r := runOf(churn); r.Matched != 0 {
			t.Fatalf("baseline run %+v", r)
		}
		// Run 2: u1 rises, u0 stays; run 3: u1 stays high, u2 rises; run 4:
		// u1 falls; run 5: u1 rises again.
		f.clock.Set(at("2026-03-08 10:00"))
		score(2, map[string]string{"u0": "high", "u1": "high", "u2": "medium"})
		if r := runOf(churn); r.Matched != 1 || r.Acted != 1 {
			t.Fatalf("run 2 %+v", r)
		}
		if r := runOf(churn); r.Matched != 0 {
			t.Fatalf("run 2 again %+v", r)
		}
		score(3, map[string]string{"u0": "high", "u1": "high", "u2": "high"})
		if r := runOf(churn); r.Matched != 1 || r.Acted != 1 {
			t.Fatalf("run 3 %+v", r)
		}
		score(4, map[string]string{"u0": "high", "u1": "low", "u2": "high"})
		if r := runOf(churn); r.Matched != 0 {
			t.Fatalf("run 4 %+v", r)
		}
		score(5, map[string]string{"u0": "high", "u1": "high", "u2": "high"})
		if r := runOf(churn); r.Matched != 1 || r.Acted != 1 {
			t.Fatalf("run 5 %+v", r)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM tasks WHERE shop_id = ? AND customer_id = ? AND source = ?`, f.ids["u1"], fmt.Sprintf("care:%d", churn.ID)); n != 2 {
			t.Fatalf("u1 has %d churn tasks, want 2 (two rises)", n)
		}

		// Tiers: the loyalty service's evaluation writes the changes.
		must(t, in.loyalty.SetSettings(ctx, f.shop.ID, loyalty.Settings{TierBasis: loyalty.BasisSpend, PointsPerYuan: 1,
			Tiers: []loyalty.Tier{{Name: "银卡", MinSpend: 10000}, {Name: "金卡", MinSpend: 25000}}}))
		_, err := in.loyalty.EvaluateTiers(ctx, f.shop.ID)
		must(t, err)
		if r := runOf(up); r.Matched != 5 || r.Acted != 5 { // u0 (300 yuan) 金卡, u1-u3, u5 银卡
			t.Fatalf("tier run %+v", r)
		}
		if r := runOf(up); r.Matched != 0 {
			t.Fatalf("tier run again %+v", r)
		}

		// A complaint archived on 03-08 is cared for from 03-11, once.
		must(t, f.db.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO tickets (shop_id, id, kind, subject, customer_id, channel, priority, status, created_at, updated_at, closed_at,
sla_started_at, first_response_due, resolution_due) VALUES (?, 1, 'complaint', '茶叶受潮', ?, 'ui', 'normal', 'archived', ?, ?, ?, ?, ?, ?)`,
				f.shop.ID, f.ids["u2"], f.clock.Now().Unix(), f.clock.Now().Unix(), f.clock.Now().Unix(), f.clock.Now().Unix(), f.clock.Now().Unix(), f.clock.Now().Unix())
			return err
		}))
		if r := runOf(complaint); r.Matched != 0 {
			t.Fatalf("complaint run too early %+v", r)
		}
		f.clock.Set(at("2026-03-11 10:00"))
		if r := runOf(complaint); r.Matched != 1 || r.Acted != 1 {
			t.Fatalf("complaint run %+v", r)
		}
		if r := runOf(complaint); r.Matched != 0 {
			t.Fatalf("complaint run again %+v", r)
		}
	})
}

// TestCareOncePerPersonAcrossMerges: an occurrence the merged customer had
// (a delivery, whose order moves to the survivor with the merge) is not
// acted on again for the survivor.
func TestCareOncePerPersonAcrossMerges(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		in := f.services()
		f.clock.Set(at("2026-01-20 10:00"))
		rule := &care.Rule{Name: "签收有礼", Enabled: true, Trigger: care.AfterDelivery, Days: 7, Action: care.Points, Params: care.Params{Points: 50}}
		must(t, in.care.Create(ctx, f.shop.ID, rule))
		f.clock.Set(at("2026-03-01 12:00"))
		f.importOrders(t, "o4,2026-03-01 11:00,u4,50.00,completed,顾客4,13800000004\n")
		f.clock.Set(at("2026-03-09 10:00"))
		if r := runAll(t, in, f.shop.ID)[rule.ID]; r.Acted != 1 {
			t.Fatalf("before the merge: %+v", r)
		}

		// u4 turns out to be u5: merged, o4 is now u5's.
		var v4, v5 int64
		must(t, db.QueryRow(ctx, `SELECT version FROM customers WHERE shop_id = ? AND id = ?`, f.shop.ID, f.ids["u4"]).Scan(&v4))
		must(t, db.QueryRow(ctx, `SELECT version FROM customers WHERE shop_id = ? AND id = ?`, f.shop.ID, f.ids["u5"]).Scan(&v5))
		_, err := customer.NewService(db).Merge(ctx, f.shop.ID, customer.MergeRequest{SurvivorID: f.ids["u5"], MergedID: f.ids["u4"],
			SurvivorVersion: v5, MergedVersion: v4, Reason: "同一人", Source: "ui"}, f.clock.Now())
		must(t, err)

		f.clock.Set(at("2026-03-09 11:00"))
		r := runAll(t, in, f.shop.ID)[rule.ID]
		if r.Acted != 0 || r.Skipped[care.SkipAlready] != 1 {
			t.Fatalf("after the merge the survivor was cared for again: %+v", r)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM care_occurrences WHERE shop_id = ? AND customer_id = ? AND outcome = 'acted'`, f.ids["u5"]); n != 0 {
			t.Fatalf("%d acted occurrences on the survivor", n)
		}
		// And the next run does not look at it again.
		f.clock.Set(at("2026-03-09 12:00"))
		if r := runAll(t, in, f.shop.ID)[rule.ID]; r.Matched != 0 && r.Skipped[care.SkipAlready] != 0 {
			t.Fatalf("third run %+v", r)
		}
	})
}

package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/api"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/channel"
	"github.com/guanxi-crm/guanxi/internal/channel/channeltest"
	"github.com/guanxi-crm/guanxi/internal/job"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// launchCampaign and resumeCampaign stand in for the app's: the service's
// call, then the dispatch (or launch) job queued in the jobs table.
func (e *env) launchCampaign(ctx context.Context, shopID, id int64) (*campaign.Campaign, error) {
	c, err := e.campaigns.Launch(ctx, shopID, id)
	if err != nil {
		return nil, err
	}
	kind, due := "dispatch", e.now
	if c.Status == campaign.Scheduled {
		kind, due = "launch", c.SendAt
	}
	_, err = job.NewStore(e.db, guanxi.FixedClock(e.now)).Enqueue(ctx, shopID, kind, "campaign:"+strconv.FormatInt(c.ID, 10), due)
	return c, err
}

func (e *env) resumeCampaign(ctx context.Context, shopID, id int64) error {
	if err := e.campaigns.Resume(ctx, shopID, id); err != nil {
		return err
	}
	_, err := job.NewStore(e.db, guanxi.FixedClock(e.now)).Enqueue(ctx, shopID, "dispatch", "campaign:"+strconv.FormatInt(id, 10), e.now)
	return err
}

// consentAll records SMS marketing consent for every customer of the shop
// with a whole mainland mobile, and returns one such mobile.
func consentAll(t *testing.T, db *store.DB, shopID int64) string {
	t.Helper()
	rows, err := db.Query(ctx, `SELECT id, phone FROM customers WHERE shop_id = ? AND merged_into IS NULL ORDER BY id`, shopID)
	if err != nil {
		t.Fatal(err)
	}
	var ins [][]any
	var one string
	for rows.Next() {
		var id int64
		var phone string
		if err := rows.Scan(&id, &phone); err != nil {
			t.Fatal(err)
		}
		if phone, err = db.Keys().Open("phone", phone); err != nil {
			t.Fatal(err)
		}
		if p := guanxi.NormalizePhone(phone); len(p) == 11 && !guanxi.IsMasked(phone) {
			ins = append(ins, []any{shopID, id, "sms", "marketing", true, "test", 1})
			one = p
		}
	}
	rows.Close()
	if len(ins) < 20 {
		t.Fatalf("only %d customers with a mobile in the test shop", len(ins))
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		return tx.Insert(ctx, "customer_consents", []string{"shop_id", "customer_id", "channel", "purpose", "granted", "source", "at"}, ins)
	})
	if err != nil {
		t.Fatal(err)
	}
	return one
}

// smsSigned posts body to a callback signed as the SMS gateway signs.
func (e *env) smsSigned(t *testing.T, path, appKey, secret string, at time.Time, body []byte) (int, string) {
	t.Helper()
	ts, nonce := strconv.FormatInt(at.Unix(), 10), "0123456789abcdef0123456789abcdef"
	hdr := http.Header{"X-App-Key": {appKey}, "X-Timestamp": {ts}, "X-Nonce": {nonce}, "X-Signature": {channel.SignSMS(secret, ts, nonce, body)}}
	return e.do(t, "POST", "", path, body, hdr)
}

type campaignOut struct {
	ID             int64           `json:"id"`
	Name           string          `json:"name"`
	Status         string          `json:"status"`
	Channel        string          `json:"channel"`
	CostPerMessage int64           `json:"cost_per_message"`
	HoldoutShare   float64         `json:"holdout_share"`
	Seed           string          `json:"seed"`
	Version        int64           `json:"version"`
	Counts         campaign.Counts `json:"counts"`
}

func TestCampaigns(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, api.Config{})
		write := e.token(t, e.shopA, "campaigns:read", "campaigns:write", "customers:pii")
		read := e.token(t, e.shopA, "campaigns:read")
		phone := consentAll(t, db, e.shopA.ID)
		g := channeltest.NewSMSGateway(true)
		t.Cleanup(g.Close)
		if err := e.campaigns.SetChannelSettings(ctx, e.shopA.ID, &campaign.ChannelSettings{AllowPrivateNetwork: true, Channel: campaign.SMS, CostPerMessage: 5,
			SMS: &campaign.SMSSettings{Endpoint: g.URL, AppKey: g.AppKey, AppSecret: g.Secret, SignName: "西湖茶庄"}}); err != nil {
			t.Fatal(err)
		}
		buyers := map[string]any{"field": "orders_count", "op": "gte", "value": 1}
		draft := map[string]any{"name": "夏季新茶", "theme": "上新", "rule": buyers, "channel": "sms", "body": "{{name|亲}}，夏季新茶上市", "holdout_share": 0.2}

		// Create: the channel's cost per message unless one is given.
		st, body := e.do(t, "POST", write, "/campaigns", draft, nil)
		c := decodeAs[campaignOut](t, body)
		if st != 201 || c.Status != "draft" || c.CostPerMessage != 5 || c.HoldoutShare != 0.2 || c.Version != 1 || c.Seed == "" {
			t.Fatalf("create: %d %s", st, body)
		}
		for _, bad := range []map[string]any{
			{"name": "x", "rule": buyers, "channel": "fax", "body": "hi"},
			{"name": "x", "rule": buyers, "segment_id": 1, "channel": "sms", "body": "hi"},
			{"name": "x", "rule": map[string]any{"field": "nope"}, "channel": "sms", "body": "hi"},
			{"name": "x", "rule": buyers, "channel": "sms", "body": "hi", "schedule": "at", "send_at": "tomorrow"},
			{"name": "x", "rule": buyers, "channel": "sms", "body": "hi", "budget": 1.5},
		} {
			if st, body := e.do(t, "POST", write, "/campaigns", bad, nil); st != 400 || errorCode(t, body) != "invalid" {
				t.Errorf("create %v: %d %s", bad, st, body)
			}
		}
		if st, body := e.do(t, "POST", read, "/campaigns", draft, nil); st != 403 {
			t.Errorf("create without campaigns:write: %d %s", st, body)
		}

		// Edit: the version by If-Match or in the body; a stale one is 409.
		path := fmt.Sprintf("/campaigns/%d", c.ID)
		draft["name"] = "夏季新茶 · 第二版"
		if st, body := e.do(t, "PUT", write, path, draft, nil); st != 400 {
			t.Errorf("PUT without a version: %d %s", st, body)
		}
		st, body = e.do(t, "PUT", write, path, draft, http.Header{"If-Match": {`"1"`}})
		if c = decodeAs[campaignOut](t, body); st != 200 || c.Version != 2 || c.Name != "夏季新茶 · 第二版" {
			t.Fatalf("PUT: %d %s", st, body)
		}
		if st, body := e.do(t, "PUT", write, path, draft, http.Header{"If-Match": {`"1"`}}); st != 409 || errorCode(t, body) != "conflict" {
			t.Errorf("stale PUT: %d %s", st, body)
		}
		var got campaignOut
		if st, _, body := e.get(t, read, path, &got); st != 200 || got.Version != 2 {
			t.Errorf("GET: %d %s", st, body)
		}

		// Preview, of the saved draft (its own seed) and of a body.
		type previewOut struct {
			Counts struct {
				campaign.Counts
				Excluded int `json:"excluded"`
			} `json:"counts"`
			Cost  int64 `json:"cost"`
			Power struct {
				BaseRate float64 `json:"base_rate"`
				MDE      float64 `json:"mde"`
				Options  []struct {
					HoldoutShare float64 `json:"holdout_share"`
					MDE          float64 `json:"mde"`
				} `json:"options"`
				Note string `json:"note"`
			} `json:"power"`
			Samples []struct {
				CustomerID int64  `json:"customer_id"`
				To         string `json:"to"`
				Text       string `json:"text"`
			} `json:"samples"`
		}
		st, body = e.do(t, "POST", read, "/campaigns/preview", map[string]any{"id": c.ID}, nil)
		p := decodeAs[previewOut](t, body)
		n := p.Counts
		if st != 200 || n.Audience == 0 || n.Target == 0 || n.Eligible != n.Holdout+n.Target+n.Budget ||
			n.Excluded != n.NoAddress+n.OptedOut+n.NoConsent+n.Held+n.Capped || n.Audience != n.Eligible+n.Excluded || p.Cost != int64(5*n.Target) {
			t.Fatalf("preview: %d %s", st, body)
		}
		if len(p.Samples) == 0 || !strings.Contains(p.Samples[0].Text, "夏季新茶上市") || !strings.Contains(p.Samples[0].To, "****") {
			t.Errorf("samples (masked without customers:pii): %+v", p.Samples)
		}
		if p.Power.MDE == 0 && p.Power.Note == "" {
			t.Errorf("power hint without an MDE or a note: %+v", p.Power)
		}
		if st, body := e.do(t, "POST", read, "/campaigns/preview", draft, nil); st != 200 {
			t.Errorf("preview of a body: %d %s", st, body)
		}

		// Launch: the audience as previewed, the dispatch job queued.
		st, body = e.do(t, "POST", write, path+"/launch", nil, nil)
		if c = decodeAs[campaignOut](t, body); st != 200 || c.Status != "sending" || c.Counts.Target != n.Target || c.Counts.Holdout != n.Holdout {
			t.Fatalf("launch: %d %s (preview %+v)", st, body, n.Counts)
		}
		var queued int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM jobs WHERE shop_id = ? AND kind = 'dispatch' AND source = ? AND status = 'queued'`,
			e.shopA.ID, fmt.Sprint("campaign:", c.ID)).Scan(&queued); err != nil || queued != 1 {
			t.Fatalf("dispatch jobs queued: %d %v", queued, err)
		}
		if st, body := e.do(t, "POST", write, path+"/launch", nil, nil); st != 409 {
			t.Errorf("second launch: %d %s", st, body)
		}
		if st, body := e.do(t, "PUT", write, path, draft, http.Header{"If-Match": {fmt.Sprint(c.Version)}}); st != 409 {
			t.Errorf("PUT of a launched campaign: %d %s", st, body)
		}

		// The job's work: every target messaged through the gateway.
		d := campaign.NewDispatcher(e.campaigns, slog.New(slog.DiscardHandler), "")
		defer d.Close()
		out, err := d.Run(ctx, e.shopA.ID, c.ID, nil)
		if err != nil || out.Sent != n.Target {
			t.Fatalf("dispatch: %+v %v, want %d sent", out, err, n.Target)
		}
		reqs := g.Requests()
		if len(reqs) != n.Target || !strings.Contains(reqs[0].Content, channel.OptOut) {
			t.Fatalf("gateway got %d messages, want %d", len(reqs), n.Target)
		}

		// Delivery reports, signed by the gateway: one recorded, a foreign
		// key refused without failing the batch.
		rb, _ := json.Marshal([]map[string]string{{"key": reqs[0].IdempotencyKey, "status": "delivered"}, {"key": "gx-999-1-1", "status": "delivered"}})
		st, body = e.smsSigned(t, "/channels/sms/a/receipts", g.AppKey, g.Secret, e.now, rb)
		var rr struct {
			Receipts []struct{ Key, Result, Error string }
		}
		if decodeJSON(t, body, &rr); st != 200 || len(rr.Receipts) != 2 || rr.Receipts[0].Result != "recorded" || rr.Receipts[1].Result != "refused" {
			t.Fatalf("receipts: %d %s", st, body)
		}
		var delivered int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM campaign_messages WHERE shop_id = ? AND campaign_id = ? AND status = 'delivered'`,
			e.shopA.ID, c.ID).Scan(&delivered); err != nil || delivered != 1 {
			t.Errorf("delivered messages: %d %v", delivered, err)
		}

		// Evaluation and its result; the matrix has the campaign's channel.
		type resultOut struct {
			Evaluated bool `json:"evaluated"`
			Target    struct {
				Customers int `json:"customers"`
				Sent      int `json:"sent"`
			} `json:"target"`
			Holdout struct {
				Customers int `json:"customers"`
			} `json:"holdout"`
			Cost     int64             `json:"cost"`
			Segments []json.RawMessage `json:"segments"`
		}
		st, body = e.do(t, "POST", write, path+"/evaluate", nil, nil)
		if r := decodeAs[resultOut](t, body); st != 200 || !r.Evaluated || r.Target.Sent != n.Target || r.Holdout.Customers != n.Holdout || r.Cost != int64(5*n.Target) {
			t.Fatalf("evaluate: %d %s", st, body)
		}
		var res resultOut
		if st, _, body := e.get(t, read, path+"/result", &res); st != 200 || !res.Evaluated || len(res.Segments) == 0 {
			t.Errorf("result: %d %s", st, body)
		}
		var m struct {
			Cells []struct {
				Channel  string `json:"channel"`
				Contacts int    `json:"contacts"`
			} `json:"cells"`
		}
		if st, _, body := e.get(t, read, "/campaigns/matrix", &m); st != 200 || len(m.Cells) == 0 || m.Cells[0].Channel != "sms" {
			t.Errorf("matrix: %d %s", st, body)
		}

		// Pause and resume a second campaign (the dispatch queued again),
		// schedule, cancel and delete a third.
		st, body = e.do(t, "POST", write, "/campaigns", draft, nil)
		c2 := decodeAs[campaignOut](t, body)
		path2 := fmt.Sprintf("/campaigns/%d", c2.ID)
		for _, step := range []struct{ act, status string }{{"launch", "sending"}, {"pause", "paused"}, {"resume", "sending"}} {
			if st, body := e.do(t, "POST", write, path2+"/"+step.act, nil, nil); st != 200 || decodeAs[campaignOut](t, body).Status != step.status {
				t.Fatalf("%s: %d %s", step.act, st, body)
			}
		}
		if st, body := e.do(t, "POST", write, path2+"/resume", nil, nil); st != 409 {
			t.Errorf("resume of a sending campaign: %d %s", st, body)
		}
		later := map[string]any{"name": "周末", "rule": buyers, "channel": "sms", "body": "周末见", "schedule": "at", "send_at": "2025-07-05T10:00:00+08:00"}
		st, body = e.do(t, "POST", write, "/campaigns", later, nil)
		path3 := fmt.Sprintf("/campaigns/%d", decodeAs[campaignOut](t, body).ID)
		if st, body := e.do(t, "POST", write, path3+"/launch", nil, nil); st != 200 || decodeAs[campaignOut](t, body).Status != "scheduled" {
			t.Fatalf("launch for later: %d %s", st, body)
		}
		if st, body := e.do(t, "DELETE", write, path3, nil, nil); st != 409 {
			t.Errorf("delete of a scheduled campaign: %d %s", st, body)
		}
		if st, body := e.do(t, "POST", write, path3+"/cancel", nil, nil); st != 200 || decodeAs[campaignOut](t, body).Status != "cancelled" {
			t.Fatalf("cancel: %d %s", st, body)
		}
		if st, body := e.do(t, "DELETE", write, path3, nil, nil); st != 200 {
			t.Errorf("delete: %d %s", st, body)
		}
		if st, _, _ := e.get(t, read, path3, nil); st != 404 {
			t.Errorf("deleted campaign: %d", st)
		}
		var list struct{ Campaigns []campaignOut }
		if st, _, body := e.get(t, read, "/campaigns", &list); st != 200 || len(list.Campaigns) != 2 || list.Campaigns[0].ID != c2.ID {
			t.Errorf("list: %d %s", st, body)
		}

		// The customer texts "T" back: SMS marketing consent withdrawn.
		consent := func() bool {
			var granted bool
			if err := db.QueryRow(ctx, `SELECT cc.granted FROM customer_consents cc JOIN customer_identities i ON i.shop_id = cc.shop_id AND i.customer_id = cc.customer_id
WHERE cc.shop_id = ? AND i.platform = '' AND i.kind = 'phone' AND i.value = ? AND cc.channel = 'sms' AND cc.purpose = 'marketing'`,
				e.shopA.ID, db.Keys().Hash(e.shopA.ID, "phone", phone)).Scan(&granted); err != nil {
				t.Fatal(err)
			}
			return granted
		}
		hello, _ := json.Marshal(map[string]string{"phone": phone, "content": "你好，在吗"})
		if st, body := e.smsSigned(t, "/channels/sms/a/inbound", g.AppKey, g.Secret, e.now, hello); st != 200 || !strings.Contains(body, `"opt_out":false`) || !consent() {
			t.Fatalf("a reply that is no opt-out: %d %s", st, body)
		}
		stop, _ := json.Marshal(map[string]string{"phone": phone, "content": " t "})
		// Refused: bad signature, wrong app key, stale timestamp, unknown
		// shop; nothing changes.
		for _, c := range []struct {
			name, path, key, secret string
			at                      time.Time
		}{
			{"bad signature", "/channels/sms/a/inbound", g.AppKey, "not-the-secret", e.now},
			{"wrong app key", "/channels/sms/a/inbound", "other", g.Secret, e.now},
			{"stale timestamp", "/channels/sms/a/inbound", g.AppKey, g.Secret, e.now.Add(-6 * time.Minute)},
			{"unknown shop", "/channels/sms/nope/inbound", g.AppKey, g.Secret, e.now},
			{"shop without sms", "/channels/sms/b/inbound", g.AppKey, g.Secret, e.now},
			{"receipts, bad signature", "/channels/sms/a/receipts", g.AppKey, "not-the-secret", e.now},
			{"webhook receipts, sms signature", "/channels/webhook/a/receipts", g.AppKey, g.Secret, e.now},
		} {
			if st, body := e.smsSigned(t, c.path, c.key, c.secret, c.at, stop); st != 401 || errorCode(t, body) != "unauthorized" {
				t.Errorf("%s: %d %s", c.name, st, body)
			}
		}
		if !consent() {
			t.Fatal("a refused callback withdrew consent")
		}
		if st, body := e.smsSigned(t, "/channels/email/a/receipts", g.AppKey, g.Secret, e.now, stop); st != 404 {
			t.Errorf("email receipts: %d %s", st, body)
		}
		st, body = e.smsSigned(t, "/channels/sms/a/inbound", g.AppKey, g.Secret, e.now.Add(4*time.Minute), stop)
		if st != 200 || !strings.Contains(body, `"opt_out":true`) || strings.Contains(body, `"customers":0`) || consent() {
			t.Fatalf("opt-out reply: %d %s", st, body)
		}
		p = decodeAs[previewOut](t, func() string { _, b := e.do(t, "POST", read, "/campaigns/preview", draft, nil); return b }())
		if p.Counts.OptedOut == 0 {
			t.Errorf("the opted-out customer is not counted in a new preview: %+v", p.Counts)
		}
	})
}

func TestCampaignWebhookReceipts(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), api.Config{})
	if err := e.campaigns.SetChannelSettings(ctx, e.shopA.ID, &campaign.ChannelSettings{AllowPrivateNetwork: true, Channel: campaign.Webhook,
		Webhook: &campaign.WebhookSettings{URL: "http://127.0.0.1:1/hook", Secret: "hook-secret"}}); err != nil {
		t.Fatal(err)
	}
	body := []byte(`[{"key":"gx-1-1-1","status":"delivered"}]`)
	post := func(secret string, at time.Time) (int, string) {
		ts := at.Unix()
		return e.do(t, "POST", "", "/channels/webhook/a/receipts", body, http.Header{
			"X-Guanxi-Timestamp": {strconv.FormatInt(ts, 10)}, "X-Guanxi-Signature": {channel.SignWebhook(secret, ts, body)}})
	}
	if st, b := post("wrong", e.now); st != 401 {
		t.Errorf("bad signature: %d %s", st, b)
	}
	if st, b := post("hook-secret", e.now.Add(10*time.Minute)); st != 401 {
		t.Errorf("future timestamp: %d %s", st, b)
	}
	// Signed: the unknown message is refused on its own line, not the batch.
	if st, b := post("hook-secret", e.now); st != 200 || !strings.Contains(b, `"refused"`) {
		t.Errorf("signed: %d %s", st, b)
	}
}

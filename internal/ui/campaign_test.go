package ui_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/campaign"
)

// launchNow launches campaigns without the app's job queue: the test runs
// the dispatcher itself.
type launchNow struct{ svc *campaign.Service }

func (l launchNow) LaunchCampaign(ctx context.Context, shopID, id int64) (*campaign.Campaign, error) {
	return l.svc.Launch(ctx, shopID, id)
}

func (l launchNow) ResumeCampaign(ctx context.Context, shopID, id int64) error {
	return l.svc.Resume(ctx, shopID, id)
}

var campaignIDRe = regexp.MustCompile(`/campaigns/(\d+)\?saved=1`)

// TestCampaignPages: care staff preview, save and launch a campaign on the
// shop's webhook channel; it is dispatched and evaluated; the page shows
// the audience, the delivery and the result. Analysts may read, not write.
func TestCampaignPages(t *testing.T) {
	storetestEngines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		var got atomic.Int64
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			got.Add(1)
		}))
		defer hook.Close()
		if err := e.campaigns.SetChannelSettings(ctx, e.shopA.ID, &campaign.ChannelSettings{AllowPrivateNetwork: true, Channel: campaign.Webhook,
			Webhook: &campaign.WebhookSettings{URL: hook.URL, Secret: "s3cret"}}); err != nil {
			t.Fatal(err)
		}
		// The pages run on the system clock: without quiet hours, a run at
		// night (shop time) sends now instead of deferring to the morning.
		if err := e.campaigns.SetPolicy(ctx, e.shopA.ID, campaign.Policy{CapMessages: 2, CapDays: 7}); err != nil {
			t.Fatal(err)
		}
		seg := e.createSegment(t, e.shopA, "全部客户", `{"field":"orders_count","op":"gte","value":0}`)
		carl := e.client(t)
		carl.signIn("carl")
		csrf := carl.csrfOn("/s/a/campaigns/new")
		form := url.Values{"csrf_token": {csrf}, "name": {"回购提醒"}, "purpose": {"marketing"}, "segment_id": {itoa(seg)},
			"channel": {"webhook"}, "body": {"{{name|亲}}，好久不见"}, "schedule": {"now"}, "holdout": {"20"}, "attribution_days": {"7"}, "cost": {"0.05"}}
		form.Set("action", "preview")
		p := carl.post("/s/a/campaigns", form)
		if p.status != http.StatusOK || !strings.Contains(p.body, `id="preview-target"`) || !strings.Contains(p.body, "好久不见") {
			t.Fatalf("preview: %d\n%.2000s", p.status, p.body)
		}
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("body", "{{password}}")
		if p := carl.post("/s/a/campaigns", bad); p.status != http.StatusBadRequest || !strings.Contains(p.body, "password") {
			t.Fatalf("bad template: %d", p.status)
		}
		form.Set("action", "save")
		p = carl.post("/s/a/campaigns", form)
		m := campaignIDRe.FindStringSubmatch(p.header.Get("Location"))
		if p.status != http.StatusSeeOther || m == nil {
			t.Fatalf("save: %d %q", p.status, p.header.Get("Location"))
		}
		id := m[1]
		if p := carl.post("/s/a/campaigns/"+id+"/launch", url.Values{"csrf_token": {csrf}}); p.status != http.StatusSeeOther {
			t.Fatalf("launch: %d", p.status)
		}
		cid := atoi(id)
		c, err := e.campaigns.Get(ctx, e.shopA.ID, cid)
		if err != nil || c.Status != campaign.Sending || c.Counts.Target == 0 {
			t.Fatalf("launched campaign %+v, %v", c, err)
		}
		d := campaign.NewDispatcher(e.campaigns, nil, e.srv.URL)
		defer d.Close()
		if _, err := d.Run(ctx, e.shopA.ID, cid, nil); err != nil {
			t.Fatal(err)
		}
		if int(got.Load()) != c.Counts.Target {
			t.Fatalf("webhook got %d messages, want %d", got.Load(), c.Counts.Target)
		}
		p = carl.post("/s/a/campaigns/"+id+"/evaluate", url.Values{"csrf_token": {csrf}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("evaluate: %d", p.status)
		}
		p = carl.get("/s/a/campaigns/" + id)
		for _, want := range []string{`id="campaign-counts"`, `id="campaign-delivery"`, `id="campaign-result"`} {
			if !strings.Contains(p.body, want) {
				t.Fatalf("campaign page lacks %s\n%.3000s", want, p.body)
			}
		}
		if p := carl.get("/s/a/campaigns/matrix"); p.status != http.StatusOK || !strings.Contains(p.body, `id="campaign-matrix"`) {
			t.Fatalf("matrix: %d", p.status)
		}
		// Analysts read campaigns but cannot write them.
		ann := e.client(t)
		ann.signIn("ann")
		if p := ann.get("/s/a/campaigns/" + id); p.status != http.StatusOK {
			t.Fatalf("analyst reads: %d", p.status)
		}
		if p := ann.post("/s/a/campaigns/"+id+"/cancel", url.Values{"csrf_token": {ann.csrfOn("/s/a/campaigns")}}); p.status != http.StatusForbidden {
			t.Fatalf("analyst cancels: %d", p.status)
		}
		// An unsubscribe link: the page asks, the POST withdraws consent.
		token, err := e.campaigns.UnsubscribeToken(ctx, campaign.Unsub{ShopID: e.shopA.ID, CampaignID: cid, CustomerID: e.customerID(t, e.shopA, "王芳"), Channel: campaign.Email})
		if err != nil {
			t.Fatal(err)
		}
		anon := e.client(t)
		if p := anon.get("/u/" + token); p.status != http.StatusOK || !strings.Contains(p.body, `id="unsubscribe-confirm"`) {
			t.Fatalf("unsubscribe page: %d", p.status)
		}
		if p := anon.post("/u/"+token, url.Values{"List-Unsubscribe": {"One-Click"}}); p.status != http.StatusOK || !strings.Contains(p.body, `id="unsubscribed"`) {
			t.Fatalf("one-click unsubscribe: %d\n%.1000s", p.status, p.body)
		}
		var granted bool
		if err := e.db.QueryRow(ctx, `SELECT granted FROM customer_consents WHERE shop_id = ? AND customer_id = ? AND channel = 'email'`,
			e.shopA.ID, e.customerID(t, e.shopA, "王芳")).Scan(&granted); err != nil || granted {
			t.Fatalf("consent after unsubscribe: %v %v", granted, err)
		}
		if p := anon.post("/u/"+token[:len(token)-2]+"xx", url.Values{}); p.status != http.StatusBadRequest {
			t.Fatalf("forged token: %d", p.status)
		}
	})
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

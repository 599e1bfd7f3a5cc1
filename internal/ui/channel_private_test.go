package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// The channels page refuses a provider on a private address with a message
// saying what to do, and saves it once the admin ticks 允许内网地址; the
// box shows as ticked afterwards, and the metadata address stays refused.
func TestChannelsPagePrivateNetwork(t *testing.T) {
	db := storetest.SQLite(t)
	e := newEnv(t, db)
	alice := e.client(t)
	alice.signIn("alice")
	csrf := alice.csrfOn("/s/a/channels")
	form := url.Values{"csrf_token": {csrf}, "channel": {"webhook"}, "url": {"http://192.168.1.20/hook"}, "secret": {"s3cret"}, "rate": {"0"}}
	p := alice.post("/s/a/channels", form)
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "允许内网地址") || !strings.Contains(p.body, `name="allow_private_network"`) {
		t.Fatalf("private webhook without the switch: %d\n%.1500s", p.status, p.body)
	}
	st, err := e.campaigns.ChannelSettings(context.Background(), e.shopA.ID, campaign.Webhook)
	if err != nil || st.Configured() {
		t.Fatalf("refused settings saved: %+v %v", st, err)
	}
	form.Set("allow_private_network", "on")
	if p := alice.post("/s/a/channels", form); p.status != http.StatusSeeOther {
		t.Fatalf("private webhook with the switch: %d\n%.1500s", p.status, p.body)
	}
	st, err = e.campaigns.ChannelSettings(context.Background(), e.shopA.ID, campaign.Webhook)
	if err != nil || !st.AllowPrivateNetwork || st.Webhook.URL != "http://192.168.1.20/hook" {
		t.Fatalf("saved %+v %v", st, err)
	}
	if page := alice.get("/s/a/channels"); !strings.Contains(page.body, `name="allow_private_network" checked`) {
		t.Errorf("the switch does not show as ticked:\n%.3000s", page.body)
	}
	form.Set("url", "http://169.254.169.254/latest/meta-data/")
	if p := alice.post("/s/a/channels", form); p.status != http.StatusBadRequest {
		t.Fatalf("metadata address with the switch: %d", p.status)
	}
}

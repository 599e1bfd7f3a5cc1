package app

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// serve --allow-private-network reaches the campaigns' channels: a shop's
// webhook on a private address is refused by default and accepted when
// the server runs with the switch.
func TestServeAllowPrivateNetwork(t *testing.T) {
	for _, allow := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		db := storetest.SQLite(t)
		a, err := Open(ctx, Config{DB: db.DSN, LogOut: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		sh := &shop.Shop{Code: "s1", Name: "店", Timezone: "Asia/Shanghai"}
		if err := a.Shops.Create(ctx, sh); err != nil {
			t.Fatal(err)
		}
		ready, done := make(chan string, 1), make(chan error, 1)
		go func() {
			done <- a.Serve(ctx, ServerConfig{Addr: "127.0.0.1:0", JobPoll: time.Hour, AllowPrivateNetwork: allow, Ready: func(addr string) { ready <- addr }})
		}()
		select {
		case <-ready:
		case err := <-done:
			t.Fatalf("serve: %v", err)
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not start")
		}
		err = a.Campaigns.SetChannelSettings(ctx, sh.ID, &campaign.ChannelSettings{Channel: campaign.Webhook,
			Webhook: &campaign.WebhookSettings{URL: "http://10.1.2.3/hook", Secret: "s"}})
		if allow && err != nil {
			t.Errorf("with --allow-private-network: %v", err)
		}
		if !allow && guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("without --allow-private-network: %v, want EINVALID", err)
		}
		cancel()
		<-done
		a.Close()
	}
}

package campaign_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/channel"
	"github.com/guanxi-crm/guanxi/internal/channel/channeltest"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// settingsAt returns settings of ch whose provider is at host (a host name
// or literal address, with a port where the channel needs one).
func settingsAt(ch, host string) *campaign.ChannelSettings {
	st := &campaign.ChannelSettings{Channel: ch}
	switch ch {
	case campaign.Email:
		st.Email = &campaign.EmailSettings{Addr: host + ":25", From: "shop@xihu-tea.example"}
	case campaign.SMS:
		st.SMS = &campaign.SMSSettings{Endpoint: "http://" + host + "/sms", AppKey: "k", AppSecret: "s", SignName: "西湖茶庄"}
	case campaign.WeChat:
		st.WeChat = &campaign.WeChatSettings{BaseURL: "https://" + host, AppID: "wx1", AppSecret: "s"}
	case campaign.Webhook:
		st.Webhook = &campaign.WebhookSettings{URL: "https://" + host + "/hook", Secret: "s"}
	}
	return st
}

// countPrivateAudits counts the audit entries of allowing (or disallowing)
// the private network.
func countPrivateAudits(t *testing.T, db *store.DB, shopID int64, allowed bool) int {
	t.Helper()
	rows, err := db.Query(ctx, `SELECT CAST(detail AS TEXT) FROM audit_log WHERE shop_id = ? AND action = 'channel.private_network'`, shopID)
	must(t, err)
	defer rows.Close()
	n := 0
	for rows.Next() {
		var s string
		must(t, rows.Scan(&s))
		var d struct{ Allowed bool }
		must(t, json.Unmarshal([]byte(s), &d))
		if d.Allowed == allowed {
			n++
		}
	}
	must(t, rows.Err())
	return n
}

// A shop's channel settings cannot point Guanxi at its own network: a
// literal loopback, private, link-local or CGNAT host is refused when
// saved, naming the field; the shop's admin can allow private addresses
// (audited), the operator for every shop; the metadata service stays
// refused either way.
func TestChannelSettingsRefusePrivateAddresses(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		clk := guanxi.NewManualClock(at("2025-06-30 12:00"))
		sh := &shop.Shop{Code: "s1", Name: "西湖茶庄", Timezone: "Asia/Shanghai"}
		must(t, shop.NewService(db, clk).Create(ctx, sh))
		svc := campaign.NewService(db, clk, nil, nil)

		hosts := []string{"127.0.0.1", "localhost", "2130706433", "0177.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "10.0.0.5",
			"172.16.8.1", "192.168.1.20", "[fd00::20]", "100.64.3.4", "169.254.169.254", "[fe80::1]", "0.0.0.0"}
		fields := map[string]string{campaign.Email: "SMTP host", campaign.SMS: "gateway endpoint", campaign.WeChat: "base URL", campaign.Webhook: "URL"}
		for _, ch := range campaign.Channels {
			for _, h := range hosts {
				err := svc.SetChannelSettings(ctx, sh.ID, settingsAt(ch, h))
				if guanxi.ErrorCode(err) != guanxi.EINVALID || !strings.Contains(err.Error(), fields[ch]) {
					t.Errorf("%s at %s: %v, want EINVALID naming %q", ch, h, err, fields[ch])
				}
			}
			st, err := svc.ChannelSettings(ctx, sh.ID, ch)
			must(t, err)
			if st.Configured() {
				t.Errorf("%s: a refused setting was saved", ch)
			}
			// A public host is fine.
			must(t, svc.SetChannelSettings(ctx, sh.ID, settingsAt(ch, "gateway.example.com")))
		}

		// The shop's switch: loopback and private allowed, stored and
		// audited; link-local never.
		for _, ch := range campaign.Channels {
			st := settingsAt(ch, "192.168.1.20")
			st.AllowPrivateNetwork = true
			must(t, svc.SetChannelSettings(ctx, sh.ID, st))
			got, err := svc.ChannelSettings(ctx, sh.ID, ch)
			must(t, err)
			if !got.AllowPrivateNetwork {
				t.Errorf("%s: allow private network not stored", ch)
			}
			snd, err := campaign.NewSender(got, nil)
			must(t, err)
			campaign.CloseSender(snd)
			meta := settingsAt(ch, "169.254.169.254")
			meta.AllowPrivateNetwork = true
			if err := svc.SetChannelSettings(ctx, sh.ID, meta); guanxi.ErrorCode(err) != guanxi.EINVALID {
				t.Errorf("%s at the metadata address with private allowed: %v, want EINVALID", ch, err)
			}
		}
		if n := countPrivateAudits(t, db, sh.ID, true); n != len(campaign.Channels) {
			t.Errorf("%d audit entries of allowing the private network, want %d", n, len(campaign.Channels))
		}
		// Switching it off again is audited too, and the stored setting
		// then refuses private hosts.
		must(t, svc.SetChannelSettings(ctx, sh.ID, settingsAt(campaign.SMS, "sms.example.com")))
		if n := countPrivateAudits(t, db, sh.ID, false); n != 1 {
			t.Errorf("%d audit entries of disallowing, want 1", n)
		}

		// The operator's switch: every shop may use private hosts, but it
		// is not stored with the shop's settings.
		op := campaign.NewService(db, clk, nil, nil)
		op.AllowPrivateNetwork(true)
		must(t, op.SetChannelSettings(ctx, sh.ID, settingsAt(campaign.Webhook, "10.0.0.7")))
		st, err := op.ChannelSettings(ctx, sh.ID, campaign.Webhook)
		must(t, err)
		if st.AllowPrivateNetwork {
			t.Error("the operator's switch was stored as the shop's")
		}
		snd, err := campaign.NewSender(st, nil)
		must(t, err)
		campaign.CloseSender(snd)
		if err := op.SetChannelSettings(ctx, sh.ID, settingsAt(campaign.Webhook, "169.254.169.254")); guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("metadata address with the operator's switch: %v, want EINVALID", err)
		}
		// Without the operator's switch the same stored settings build no sender.
		st, err = svc.ChannelSettings(ctx, sh.ID, campaign.Webhook)
		must(t, err)
		if _, err := campaign.NewSender(st, nil); guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("private webhook without any switch: %v, want EINVALID", err)
		}
	})
}

// Settings saved while allowed, dialled by a sender that is not: the
// dial-time check refuses the loopback gateway, as a permanent failure
// (retrying will not help), and the gateway sees nothing.
func TestSenderRefusesLoopbackGateway(t *testing.T) {
	g := channeltest.NewSMSGateway(true)
	defer g.Close()
	st := &campaign.ChannelSettings{Channel: campaign.SMS, AllowPrivateNetwork: true,
		SMS: &campaign.SMSSettings{Endpoint: g.URL, AppKey: g.AppKey, AppSecret: g.Secret, SignName: "西湖茶庄"}}
	snd, err := campaign.NewSender(st, nil)
	must(t, err)
	defer campaign.CloseSender(snd)
	if _, err := snd.Send(ctx, channel.Message{To: "13800000001", Text: "新茶到店"}); err != nil {
		t.Fatalf("allowed loopback gateway: %v", err)
	}
	st.AllowPrivateNetwork = false
	if _, err := campaign.NewSender(st, nil); guanxi.ErrorCode(err) != guanxi.EINVALID {
		t.Fatalf("loopback gateway without the switch: %v, want EINVALID", err)
	}
}

package channel

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/netguard"
)

// Every sender refuses a provider on a literal loopback address unless
// private addresses are allowed, with EINVALID naming the setting.
func TestSendersRefuseLiteralPrivateHosts(t *testing.T) {
	for name, build := range map[string]func(allow bool) error{
		"sms": func(a bool) error {
			_, err := NewSMS(SMSConfig{Endpoint: "http://127.0.0.1:9/sms", AppKey: "k", AppSecret: "s", SignName: "店", AllowPrivateNetwork: a})
			return err
		},
		"webhook": func(a bool) error {
			_, err := NewWebhook(WebhookConfig{URL: "http://[::ffff:10.0.0.1]/", Secret: "s", AllowPrivateNetwork: a})
			return err
		},
		"wechat": func(a bool) error {
			_, err := NewWeChat(WeChatConfig{BaseURL: "http://localhost:8080", AppID: "wx", AppSecret: "s", AllowPrivateNetwork: a})
			return err
		},
		"email": func(a bool) error {
			_, err := NewEmail(EmailConfig{Addr: "192.168.0.2:25", From: "a@b.example", AllowPrivateNetwork: a})
			return err
		},
	} {
		if err := build(false); guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
		if err := build(true); err != nil {
			t.Errorf("%s with private allowed: %v", name, err)
		}
	}
	// The default WeChat API host is public.
	if _, err := NewWeChat(WeChatConfig{AppID: "wx", AppSecret: "s"}); err != nil {
		t.Errorf("default WeChat: %v", err)
	}
}

// A sender whose host passed the save-time check (a name; here: allowed
// when built) but resolves to loopback when dialling is refused at the
// dial, permanently, and the server never sees a request. The senders'
// clients are swapped for unguarded-by-allowance ones to stand in for a
// name that re-resolved to 127.0.0.1 (DNS rebinding).
func TestSendersRefuseAtDial(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"code":"OK","message_id":"m1","errcode":0,"access_token":"t","expires_in":7200}`))
	}))
	defer srv.Close()
	guarded := newHTTPClient(1, 2*time.Second, false)

	sms, err := NewSMS(SMSConfig{Endpoint: srv.URL, AppKey: "k", AppSecret: "s", SignName: "店", AllowPrivateNetwork: true})
	must(t, err)
	sms.client = guarded
	hook, err := NewWebhook(WebhookConfig{URL: srv.URL, Secret: "s", AllowPrivateNetwork: true})
	must(t, err)
	hook.client = guarded
	wx, err := NewWeChat(WeChatConfig{BaseURL: srv.URL, AppID: "wx", AppSecret: "s", AllowPrivateNetwork: true})
	must(t, err)
	wx.client = guarded
	for name, snd := range map[string]Sender{"sms": sms, "webhook": hook, "wechat": wx} {
		_, err := snd.Send(context.Background(), Message{To: "13800000001", Text: "hi", Template: "t1"})
		if !errors.Is(err, netguard.ErrRefused) || IsTemporary(err) {
			t.Errorf("%s: %v (temporary %v), want a permanent refusal", name, err, IsTemporary(err))
		}
	}
	if hits.Load() != 0 {
		t.Errorf("the loopback server got %d requests", hits.Load())
	}

	// SMTP: the same at its own dial.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	var accepted atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	e, err := NewEmail(EmailConfig{Addr: ln.Addr().String(), From: "a@b.example", Timeout: 2 * time.Second, AllowPrivateNetwork: true})
	must(t, err)
	e.cfg.AllowPrivateNetwork = false
	_, err = e.Send(context.Background(), Message{To: "c@d.example", Subject: "s", Text: "t"})
	if !errors.Is(err, netguard.ErrRefused) || IsTemporary(err) {
		t.Errorf("email: %v, want a permanent refusal", err)
	}
	if accepted.Load() != 0 {
		t.Errorf("the loopback SMTP server accepted %d connections", accepted.Load())
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

package app

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/channel"
	"github.com/guanxi-crm/guanxi/internal/demo/demotest"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestServeInbound starts the server with --inbound-smtp and checks both
// ways in are wired: a mail to service+<shop>@ and a signed chat message
// to the API each open a ticket of the shop.
func TestServeInbound(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := storetest.SQLite(t)
	a := openTest(t, db)
	sh := demotest.Shop(t, a.DB, "tea", time.Now(), 5, 5)
	if err := a.Campaigns.SetChannelSettings(ctx, sh.ID, &campaign.ChannelSettings{AllowPrivateNetwork: true, Channel: campaign.Webhook,
		Webhook: &campaign.WebhookSettings{URL: "http://127.0.0.1:1/hook", Secret: "s3cret"}}); err != nil {
		t.Fatal(err)
	}
	// A free port for the SMTP server: taken and given back.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	smtpAddr := l.Addr().String()
	l.Close()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- a.Serve(ctx, ServerConfig{Addr: "127.0.0.1:0", InboundSMTP: smtpAddr, JobPoll: time.Hour, Ready: func(addr string) { ready <- addr }})
	}()
	var httpAddr string
	select {
	case httpAddr = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	mail := "From: =?UTF-8?B?5byg5LiJ?= <zhang@example.com>\r\nSubject: =?UTF-8?B?5ZKo6K+i?=\r\nMessage-ID: <z1@example.com>\r\n\r\nhello\r\n"
	if err := smtp.SendMail(smtpAddr, nil, "zhang@example.com", []string{"service+tea@crm.example"}, []byte(mail)); err != nil {
		t.Fatalf("mail: %v", err)
	}
	body := `{"source":"wechat","message_id":"w1","customer":{"platform":"wechat","platform_id":"oZ1","name":"李四"},"text":"在吗"}`
	ts := time.Now().Unix()
	req, _ := http.NewRequest("POST", "http://"+httpAddr+"/api/v1/channels/webhook/tea/messages", strings.NewReader(body))
	req.Header.Set("X-Guanxi-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Guanxi-Signature", channel.SignWebhook("s3cret", ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Errorf("chat message: %d %s", resp.StatusCode, b)
	}
	list, err := a.Desk.List(ctx, sh.ID, service.Filter{})
	if err != nil || len(list) != 2 || list[0].Channel != "wechat" || list[1].Channel != "email" || list[1].Subject != "咨询" {
		t.Errorf("tickets: %+v %v", list, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}

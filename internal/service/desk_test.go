package service_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/channel"
	"github.com/guanxi-crm/guanxi/internal/channel/channeltest"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// moreAgents adds agents liu and chen to the fixture's shop: with wang, the
// shop has three agents, in id order wang, liu, chen.
func (f *fixture) moreAgents(t *testing.T) (liu, chen int64) {
	t.Helper()
	users := auth.NewService(f.db, f.clock)
	l, err := users.CreateUser(bg, "liu", "刘客服", "correct horse battery")
	must(t, err)
	c, err := users.CreateUser(bg, "chen", "陈客服", "correct horse battery")
	must(t, err)
	must(t, users.AddMember(bg, f.shopID, l.ID, auth.RoleAgent))
	must(t, users.AddMember(bg, f.shopID, c.ID, auth.RoleAgent))
	return l.ID, c.ID
}

func (f *fixture) unassigned(t *testing.T, kind string, team int64) *service.Ticket {
	t.Helper()
	tk := &service.Ticket{Kind: kind, Subject: "问题 " + kind, CustomerID: f.c2, TeamID: team}
	must(t, f.svc.Create(f.asLead, f.shopID, tk))
	return tk
}

func TestAssignRoundRobin(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		liu, chen := f.moreAgents(t)
		// Manual (the default): a new ticket stays unassigned.
		if tk := f.unassigned(t, service.Refund, 0); tk.AssigneeID != 0 {
			t.Fatalf("manual mode assigned user %d", tk.AssigneeID)
		}
		wantCode(t, f.svc.SaveSettings(f.asLead, f.shopID, service.Settings{AssignMode: "random"}), guanxi.EINVALID)
		must(t, f.svc.SaveSettings(f.asLead, f.shopID, service.Settings{AssignMode: service.AssignRoundRobin}))
		st, err := f.svc.Settings(bg, f.shopID)
		must(t, err)
		if st.AssignMode != service.AssignRoundRobin {
			t.Fatalf("settings %+v", st)
		}
		var got []int64
		for range 4 {
			got = append(got, f.unassigned(t, service.Consultation, 0).AssigneeID)
		}
		// A restart (a new Service on the same database) continues the turn.
		f.svc = service.NewService(db, f.clock)
		got = append(got, f.unassigned(t, service.Consultation, 0).AssigneeID)
		want := []int64{f.agent, liu, chen, f.agent, liu}
		if !slicesEqual(got, want) {
			t.Fatalf("round robin gave %v, want %v", got, want)
		}
		// A ticket of a team goes round the team's members (any role), on
		// a turn of its own.
		users := auth.NewService(db, f.clock)
		must(t, users.SetTeamMember(bg, f.shopID, f.team, f.lead, true))
		must(t, users.SetTeamMember(bg, f.shopID, f.team, chen, true))
		got = nil
		for range 3 {
			got = append(got, f.unassigned(t, service.Refund, f.team).AssigneeID)
		}
		if want := []int64{min(f.lead, chen), max(f.lead, chen), min(f.lead, chen)}; !slicesEqual(got, want) {
			t.Fatalf("team round robin gave %v, want %v", got, want)
		}
		// The shop's turn was not moved by the team's.
		if tk := f.unassigned(t, service.Consultation, 0); tk.AssigneeID != chen {
			t.Fatalf("shop turn gave %d, want chen %d", tk.AssigneeID, chen)
		}
		// The assignment is on the history.
		tk := f.unassigned(t, service.Consultation, 0)
		evs, err := f.svc.Events(bg, f.shopID, tk.ID)
		must(t, err)
		if len(evs) != 2 || evs[1].Kind != "assign" || evs[1].Body != "auto:round_robin" || !strings.Contains(evs[1].To, "user:") {
			t.Fatalf("events %+v", evs)
		}

		// AutoAssign: an unassigned ticket under manual goes round robin;
		// an assigned one is refused.
		must(t, f.svc.SaveSettings(f.asLead, f.shopID, service.Settings{AssignMode: service.AssignManual}))
		tk = f.unassigned(t, service.Consultation, 0)
		if tk.AssigneeID != 0 {
			t.Fatal("manual mode assigned")
		}
		out, err := f.svc.AutoAssign(f.asLead, f.shopID, tk.ID, tk.Version)
		must(t, err)
		if out.AssigneeID != liu { // after wang (the ticket before)
			t.Fatalf("auto-assigned %d, want liu %d", out.AssigneeID, liu)
		}
		_, err = f.svc.AutoAssign(f.asLead, f.shopID, tk.ID, out.Version)
		wantCode(t, err, guanxi.ECONFLICT)
	})
}

func TestAssignSkill(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		liu, chen := f.moreAgents(t)
		wantCode(t, f.svc.SetSkills(f.asLead, f.shopID, f.agent, []string{"cooking"}), guanxi.EINVALID)
		wantCode(t, f.svc.SetSkills(f.asLead, f.shopID, f.outsider, []string{service.Refund}), guanxi.EINVALID)
		must(t, f.svc.SetSkills(f.asLead, f.shopID, f.agent, []string{service.Refund}))
		must(t, f.svc.SetSkills(f.asLead, f.shopID, liu, []string{service.Complaint, service.Refund, service.Refund}))
		skills, err := f.svc.Skills(bg, f.shopID)
		must(t, err)
		if len(skills) != 2 || !slicesEqual2(skills[liu], []string{"complaint", "refund"}) || !slicesEqual2(skills[f.agent], []string{"refund"}) {
			t.Fatalf("skills %v", skills)
		}
		must(t, f.svc.SaveSettings(f.asLead, f.shopID, service.Settings{AssignMode: service.AssignSkill}))
		// Refunds go to whichever of wang and liu has fewer open tickets,
		// the lower id on a tie: wang (0,0), liu (1,0), wang (1,1).
		var got []int64
		for range 3 {
			got = append(got, f.unassigned(t, service.Refund, 0).AssigneeID)
		}
		if want := []int64{f.agent, liu, f.agent}; !slicesEqual(got, want) {
			t.Fatalf("refunds went to %v, want %v", got, want)
		}
		// Only liu handles complaints, however loaded.
		if tk := f.unassigned(t, service.Complaint, 0); tk.AssigneeID != liu {
			t.Fatalf("complaint went to %d, want liu %d", tk.AssigneeID, liu)
		}
		// A closed ticket no longer counts: wang solves and closes one of
		// his two refunds, so the next refund goes to him (1 open) rather
		// than liu (2 open).
		tks, err := f.svc.List(bg, f.shopID, service.Filter{AssigneeID: &f.agent})
		must(t, err)
		tk := &tks[0]
		tk, err = f.svc.Transition(f.asAgent, f.shopID, tk.ID, tk.Version, service.Step{To: service.Solved})
		must(t, err)
		_, err = f.svc.Transition(f.asAgent, f.shopID, tk.ID, tk.Version, service.Step{To: service.Closed})
		must(t, err)
		if tk := f.unassigned(t, service.Refund, 0); tk.AssigneeID != f.agent {
			t.Fatalf("refund went to %d, want wang %d (fewest open)", tk.AssigneeID, f.agent)
		}
		// Nobody declared consultations: round robin among the agents.
		if tk := f.unassigned(t, service.Consultation, 0); tk.AssigneeID != f.agent {
			t.Fatalf("consultation went to %d, want wang %d (first in turn)", tk.AssigneeID, f.agent)
		}
		// Skills replace, and an empty list clears.
		must(t, f.svc.SetSkills(f.asLead, f.shopID, liu, nil))
		if tk := f.unassigned(t, service.Complaint, 0); tk.AssigneeID != liu {
			// nobody skilled now: round robin continues after wang
			t.Fatalf("complaint went to %d, want liu %d", tk.AssigneeID, liu)
		}
		_ = chen
	})
}

func slicesEqual(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func slicesEqual2(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

func TestCannedReplies(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		c := &service.CannedReply{Title: "退款说明", Body: "{{name|亲}}您好，订单 {{order|（无）}} 的退款已提交。—— {{shop}}", Kind: service.Refund}
		must(t, f.svc.CreateCannedReply(f.asLead, f.shopID, c))
		if c.ID == 0 || c.Version != 1 || c.CreatedBy != f.lead {
			t.Fatalf("created %+v", c)
		}
		must(t, f.svc.CreateCannedReply(f.asLead, f.shopID, &service.CannedReply{Title: "问候", Body: "您好，请问有什么可以帮您？"}))
		must(t, f.svc.CreateCannedReply(f.asLead, f.shopID, &service.CannedReply{Title: "物流", Body: "已催促快递", Kind: service.Delivery}))
		for _, bad := range []service.CannedReply{
			{Title: "", Body: "x"},
			{Title: "x", Body: " "},
			{Title: "x", Body: "{{coupon}}"}, // a campaign's placeholder, not a reply's
			{Title: "x", Body: "{{name"},
			{Title: "x", Body: "ok", Kind: "spam"},
		} {
			wantCode(t, f.svc.CreateCannedReply(f.asLead, f.shopID, &bad), guanxi.EINVALID)
		}
		all, err := f.svc.CannedReplies(bg, f.shopID, "")
		must(t, err)
		refund, err := f.svc.CannedReplies(bg, f.shopID, service.Refund)
		must(t, err)
		if len(all) != 3 || len(refund) != 2 {
			t.Fatalf("all %d, for refunds %d", len(all), len(refund))
		}
		// Rendering: the complaint is C1's (王芳) about order T1.
		tk := f.complaint(t, service.Normal)
		got, err := f.svc.RenderCannedReply(bg, f.shopID, c.ID, tk.ID)
		must(t, err)
		if want := "王芳您好，订单 T1 的退款已提交。—— 西湖茶庄"; got != want {
			t.Fatalf("rendered %q, want %q", got, want)
		}
		// A ticket without an order takes the fallback.
		other := f.unassigned(t, service.Refund, 0)
		got, err = f.svc.RenderCannedReply(bg, f.shopID, c.ID, other.ID)
		must(t, err)
		if want := "李雷您好，订单 （无） 的退款已提交。—— 西湖茶庄"; got != want {
			t.Fatalf("rendered %q, want %q", got, want)
		}
		// Update is guarded by the version.
		c.Body = "{{name}}，退款已到账"
		must(t, f.svc.UpdateCannedReply(f.asLead, f.shopID, c))
		stale := *c
		stale.Version = 1
		wantCode(t, f.svc.UpdateCannedReply(f.asLead, f.shopID, &stale), guanxi.ECONFLICT)
		back, err := f.svc.CannedReply(bg, f.shopID, c.ID)
		must(t, err)
		if back.Body != "{{name}}，退款已到账" || back.Version != 2 {
			t.Fatalf("read back %+v", back)
		}
		must(t, f.svc.DeleteCannedReply(f.asLead, f.shopID, c.ID))
		wantCode(t, f.svc.DeleteCannedReply(f.asLead, f.shopID, c.ID), guanxi.ENOTFOUND)
		_, err = f.svc.CannedReply(bg, f.shopID, c.ID)
		wantCode(t, err, guanxi.ENOTFOUND)
	})
}

func TestSendReply(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		camp := campaign.NewService(db, f.clock, segment.NewService(db, f.clock), nil)
		g := channeltest.NewSMSGateway(true)
		t.Cleanup(g.Close)
		sink, err := channeltest.NewSMTPSink(true)
		must(t, err)
		t.Cleanup(func() { sink.Close() })
		must(t, camp.SetChannelSettings(bg, f.shopID, &campaign.ChannelSettings{AllowPrivateNetwork: true, Channel: campaign.SMS,
			SMS: &campaign.SMSSettings{Endpoint: g.URL, AppKey: g.AppKey, AppSecret: g.Secret, SignName: "西湖茶庄"}}))
		must(t, camp.SetChannelSettings(bg, f.shopID, &campaign.ChannelSettings{AllowPrivateNetwork: true, Channel: campaign.Email,
			Email: &campaign.EmailSettings{Addr: sink.Addr(), From: "service@xihu.example"}}))
		f.svc.SetChannels(camp)

		tk := f.complaint(t, service.Normal) // customer C1: 13812345678, wang.fang@example.com
		// Nobody has consented to marketing: a reply needs no consent.
		f.clock.Advance(10 * 60e9)
		d, err := f.svc.SendReply(f.asAgent, f.shopID, tk.ID, campaign.SMS, "您好，已为您补发")
		must(t, err)
		if d.Status != service.DeliverySent || d.To != "13812345678" || d.Detail == "" {
			t.Fatalf("delivery %+v", d)
		}
		if n := g.Delivered()["13812345678"]; n != 1 {
			t.Fatalf("gateway delivered %d", n)
		}
		reqs := g.Requests()
		if len(reqs) != 1 || !strings.Contains(reqs[0].Content, "您好，已为您补发") {
			t.Fatalf("gateway got %+v", reqs)
		}
		got, err := f.svc.Get(bg, f.shopID, tk.ID)
		must(t, err)
		if !got.FirstRespondedAt.Equal(t0.Add(10 * 60e9)) {
			t.Fatalf("first responded at %v", got.FirstRespondedAt)
		}
		d, err = f.svc.SendReply(f.asAgent, f.shopID, tk.ID, campaign.Email, "详细说明见下")
		must(t, err)
		mails := sink.Mails()
		if len(mails) != 1 || mails[0].To != "wang.fang@example.com" {
			t.Fatalf("mails %+v", mails)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(mails[0].Header.Get("Subject"))
		body, _ := io.ReadAll(quotedprintable.NewReader(strings.NewReader(mails[0].Body)))
		if subject != fmt.Sprintf("Re: 茶叶受潮 [#%d]", tk.ID) || !strings.Contains(string(body), "详细说明见下") {
			t.Fatalf("mail subject %q, body %q", subject, body)
		}
		evs, err := f.svc.Events(bg, f.shopID, tk.ID)
		must(t, err)
		var replies []service.Event
		for _, e := range evs {
			if e.Kind == "reply" {
				replies = append(replies, e)
			}
		}
		if len(replies) != 2 || replies[0].Channel != "sms" || replies[0].Delivery != "sent" || replies[0].DeliveryDetail == "" ||
			replies[1].Channel != "email" || replies[1].Delivery != "sent" || replies[1].ID != d.EventID || replies[1].Actor != "user:wang" {
			t.Fatalf("replies %+v", replies)
		}

		// Refusals, before anything is sent or recorded.
		_, err = f.svc.SendReply(f.asAgent, f.shopID, tk.ID, campaign.Webhook, "x") // not set up
		wantCode(t, err, guanxi.EINVALID)
		// The shop's own webhook gets the reply with the customer's id as
		// the address and the idempotency key of the event.
		var hooked []channel.WebhookPayload
		var mu sync.Mutex
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var m channel.WebhookPayload
			_ = json.NewDecoder(r.Body).Decode(&m)
			mu.Lock()
			hooked = append(hooked, m)
			mu.Unlock()
		}))
		t.Cleanup(hook.Close)
		must(t, camp.SetChannelSettings(bg, f.shopID, &campaign.ChannelSettings{AllowPrivateNetwork: true, Channel: campaign.Webhook,
			Webhook: &campaign.WebhookSettings{URL: hook.URL, Secret: "s3cret"}}))
		d, err = f.svc.SendReply(f.asAgent, f.shopID, tk.ID, campaign.Webhook, "转人工")
		must(t, err)
		mu.Lock()
		if len(hooked) != 1 || hooked[0].To != strconv.FormatInt(f.c1, 10) || hooked[0].Text != "转人工" ||
			hooked[0].IdempotencyKey != fmt.Sprintf("gx-%d-ticket-%d-%d", f.shopID, tk.ID, d.EventID) || d.Status != service.DeliverySent {
			t.Fatalf("webhook got %+v, delivery %+v", hooked, d)
		}
		mu.Unlock()
		for _, ch := range []string{"fax", campaign.WeChat} { // WeChat sends templates only, not an agent's text
			_, err = f.svc.SendReply(f.asAgent, f.shopID, tk.ID, ch, "x")
			wantCode(t, err, guanxi.EINVALID)
		}
		c2 := f.unassigned(t, service.Delivery, 0) // C2 has no email
		_, err = f.svc.SendReply(f.asAgent, f.shopID, c2.ID, campaign.Email, "x")
		wantCode(t, err, guanxi.EINVALID)
		if !strings.Contains(err.Error(), "no usable email") {
			t.Fatalf("error %v", err)
		}
		// The customer texted T: SMS is refused, even for service.
		if _, err := camp.OptOut(bg, f.shopID, campaign.SMS, "13812345678", "sms:T"); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.SendReply(f.asAgent, f.shopID, tk.ID, campaign.SMS, "x")
		wantCode(t, err, guanxi.EINVALID)
		if !strings.Contains(err.Error(), "opted out of sms") {
			t.Fatalf("error %v", err)
		}
		if n := g.Delivered()["13812345678"]; n != 1 || len(sink.Mails()) != 1 {
			t.Fatal("a refused reply was sent")
		}

		// The gateway refuses: the reply is recorded as failed, the error
		// says so, and the first response clock keeps running.
		g.Fail("13900001111", "BLACKLIST")
		d, err = f.svc.SendReply(f.asAgent, f.shopID, c2.ID, campaign.SMS, "您好")
		if err == nil || d == nil || d.Status != service.DeliveryFailed || !strings.Contains(d.Detail, "BLACKLIST") {
			t.Fatalf("failed send: %+v, %v", d, err)
		}
		evs, err = f.svc.Events(bg, f.shopID, c2.ID)
		must(t, err)
		last := evs[len(evs)-1]
		if last.Kind != "reply" || last.Delivery != "failed" || last.Channel != "sms" {
			t.Fatalf("last event %+v", last)
		}
		got, err = f.svc.Get(bg, f.shopID, c2.ID)
		must(t, err)
		if !got.FirstRespondedAt.IsZero() {
			t.Fatal("an undelivered reply stopped the first response clock")
		}
	})
}

func TestAttachments(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		tk := f.complaint(t, service.Normal)
		png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0, 0xff, 7}, 100)...)
		a, err := f.svc.AddAttachment(f.asAgent, f.shopID, tk.ID, `..\..\windows/收据 "1".png`, bytes.NewReader(png))
		must(t, err)
		sum := sha256.Sum256(png)
		if a.Name != "收据 1.png" || a.ContentType != "image/png" || a.Size != int64(len(png)) || a.SHA256 != hex.EncodeToString(sum[:]) || a.CreatedBy != f.agent {
			t.Fatalf("attached %+v", a)
		}
		back, err := f.svc.Attachment(bg, f.shopID, a.ID)
		must(t, err)
		if !bytes.Equal(back.Content, png) || back.ContentType != "image/png" || back.TicketID != tk.ID {
			t.Fatalf("read back %+v", back)
		}
		// HTML named as a photo, an SVG, a program and text that is not UTF-8 are refused.
		for name, content := range map[string]string{
			"photo.jpg": "<!DOCTYPE html><html><script>alert(1)</script></html>",
			"logo.png":  `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`,
			"a.pdf":     "MZ\x90\x00\x03\x00\x00\x00\x04\x00",
			"gbk.txt":   "\xc4\xe3\xba\xc3\xa3\xac\xca\xc0\xbd\xe7\xff\xfe",
			"empty.txt": "",
		} {
			_, err := f.svc.AddAttachment(f.asAgent, f.shopID, tk.ID, name, strings.NewReader(content))
			wantCode(t, err, guanxi.EINVALID)
		}
		_, err = f.svc.AddAttachment(f.asAgent, f.shopID, tk.ID, "big.txt", bytes.NewReader(bytes.Repeat([]byte("a"), service.MaxAttachmentSize+1)))
		wantCode(t, err, guanxi.EINVALID)
		// Exactly the limit is allowed; text is stored as UTF-8 text.
		a2, err := f.svc.AddAttachment(f.asAgent, f.shopID, tk.ID, "", bytes.NewReader(bytes.Repeat([]byte("好"), service.MaxAttachmentSize/3)))
		must(t, err)
		if a2.ContentType != "text/plain; charset=utf-8" || a2.Name != "attachment.txt" {
			t.Fatalf("text attachment %+v", a2)
		}
		_, err = f.svc.AddAttachment(f.asAgent, f.shopID, 999, "x.txt", strings.NewReader("hi"))
		wantCode(t, err, guanxi.ENOTFOUND)
		for i := 2; i < service.MaxAttachments; i++ {
			_, err := f.svc.AddAttachment(f.asAgent, f.shopID, tk.ID, "note.txt", strings.NewReader("第几个"))
			must(t, err)
		}
		_, err = f.svc.AddAttachment(f.asAgent, f.shopID, tk.ID, "one-too-many.txt", strings.NewReader("x"))
		wantCode(t, err, guanxi.ECONFLICT)
		list, err := f.svc.Attachments(bg, f.shopID, tk.ID)
		must(t, err)
		if len(list) != service.MaxAttachments || list[0].ID != a.ID || list[0].Content != nil {
			t.Fatalf("%d attachments, first %+v", len(list), list[0])
		}
		_, err = f.svc.Attachment(bg, f.shopID+1, a.ID)
		wantCode(t, err, guanxi.ENOTFOUND)
	})
}

func TestSanitizeFileName(t *testing.T) {
	for in, want := range map[string]string{
		"../../etc/passwd":                "passwd",
		`C:\Users\王\发票.pdf`:               "发票.pdf",
		".htaccess":                       "htaccess",
		"a\u202egpj.exe":                  "agpj.exe",
		"line\r\nbreak.png":               "linebreak.png",
		"":                                "attachment.png",
		"...":                             "attachment.png",
		strings.Repeat("长", 120) + ".png": strings.Repeat("长", 96) + ".png",
	} {
		if got := service.SanitizeFileName(in, "image/png"); got != want {
			t.Errorf("SanitizeFileName(%q) = %q, want %q", in, got, want)
		}
	}
}

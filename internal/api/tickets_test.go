package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/api"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/channel"
	"github.com/guanxi-crm/guanxi/internal/inbound"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

type ticketOut struct {
	ID               int64      `json:"id"`
	Kind             string     `json:"kind"`
	Status           string     `json:"status"`
	Priority         string     `json:"priority"`
	Channel          string     `json:"channel"`
	CustomerID       int64      `json:"customer_id"`
	Cause            string     `json:"cause"`
	FirstRespondedAt *time.Time `json:"first_responded_at"`
	Version          int64      `json:"version"`
	Events           []struct {
		Kind, From, To, Body, Actor string
	} `json:"events"`
}

// deskEnv is an API with the service desk, whose tickets are opened ten
// days before the API's clock, so that an untouched one has breached its
// SLA when the API looks.
func deskEnv(t *testing.T, db *store.DB) (*env, *service.Service, int64) {
	end := time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
	desk := service.NewService(db, guanxi.FixedClock(end.Add(-240*time.Hour)))
	e := newEnv(t, db, api.Config{Service: desk})
	desk.SetChannels(e.campaigns)
	var cust int64
	if err := db.QueryRow(ctx, `SELECT MIN(id) FROM customers WHERE shop_id = ? AND merged_into IS NULL`, e.shopA.ID).Scan(&cust); err != nil {
		t.Fatal(err)
	}
	return e, desk, cust
}

func TestTicketsAPI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e, _, cust := deskEnv(t, db)
		tok := e.token(t, e.shopA, "tickets:read", "tickets:write")
		read := e.token(t, e.shopA, "tickets:read")

		st, b := e.do(t, "POST", tok, "/tickets", map[string]any{"kind": "complaint", "subject": "收到的茶叶受潮", "body": "包装破损", "customer_id": cust}, nil)
		if st != 201 {
			t.Fatalf("create: %d %s", st, b)
		}
		c := decodeAs[ticketOut](t, b)
		if c.Status != "received" || c.Channel != "api" || c.Priority != "normal" || c.Version != 1 {
			t.Errorf("created: %+v", c)
		}
		path := fmt.Sprint("/tickets/", c.ID)
		if st, b := e.do(t, "POST", read, "/tickets", map[string]any{"kind": "complaint", "subject": "x", "customer_id": cust}, nil); st != 403 {
			t.Errorf("create with tickets:read: %d %s", st, b)
		}
		for _, bad := range []map[string]any{
			{"kind": "gripe", "subject": "x", "customer_id": cust},
			{"kind": "complaint", "subject": "", "customer_id": cust},
			{"kind": "complaint", "subject": "x", "customer_id": 999999},
			{"kind": "complaint", "subject": "x", "customer_id": cust, "shop_id": 2},
		} {
			if st, b := e.do(t, "POST", tok, "/tickets", bad, nil); st != 400 || errorCode(t, b) != "invalid" {
				t.Errorf("create %v: %d %s", bad, st, b)
			}
		}

		// The workflow, step by step, on the version read.
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1"+path, nil)
		req.Header.Set("Authorization", "Bearer "+read)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("ETag") != `"1"` {
			t.Errorf("GET %s: %d ETag %q", path, resp.StatusCode, resp.Header.Get("ETag"))
		}
		step := func(version int64, body map[string]any) (int, string) {
			return e.do(t, "POST", tok, path+"/transition", body, http.Header{"If-Match": {strconv.Quote(fmt.Sprint(version))}})
		}
		if st, b := step(1, map[string]any{"to": "confirmed", "note": "已致电核实"}); st != 200 || decodeAs[ticketOut](t, b).Version != 2 {
			t.Fatalf("confirm: %d %s", st, b)
		}
		if st, b := step(1, map[string]any{"to": "assessed", "cause": "logistics", "severity": "major"}); st != 409 || errorCode(t, b) != "conflict" {
			t.Errorf("stale version: %d %s", st, b)
		}
		if st, b := step(2, map[string]any{"to": "assessed"}); st != 400 || !strings.Contains(b, "cause") {
			t.Errorf("assess without a cause: %d %s", st, b)
		}
		if st, b := step(2, map[string]any{"to": "executed"}); st != 409 {
			t.Errorf("skipping steps: %d %s", st, b)
		}
		if st, b := e.do(t, "POST", tok, path+"/transition", map[string]any{"to": "assessed", "cause": "logistics", "severity": "major"}, nil); st != 400 || !strings.Contains(b, "version") {
			t.Errorf("no version: %d %s", st, b)
		}
		st, b = e.do(t, "POST", tok, path+"/transition", map[string]any{"version": 2, "to": "assessed", "cause": "logistics", "severity": "major"}, nil)
		if st != 200 || decodeAs[ticketOut](t, b).Cause != "logistics" {
			t.Fatalf("assess by the body's version: %d %s", st, b)
		}
		if st, b := e.do(t, "POST", tok, path+"/notes", map[string]any{"body": "仓库说是雨天运输"}, nil); st != 201 {
			t.Errorf("note: %d %s", st, b)
		}
		st, b = e.do(t, "POST", tok, path+"/replies", map[string]any{"body": "非常抱歉，我们马上为您补发"}, nil)
		if st != 201 || decodeAs[ticketOut](t, b).FirstRespondedAt == nil {
			t.Errorf("reply: %d %s", st, b)
		}
		st, b = e.do(t, "POST", tok, path+"/priority", map[string]any{"version": 3, "priority": "urgent"}, nil)
		if st != 200 || decodeAs[ticketOut](t, b).Priority != "urgent" {
			t.Errorf("priority: %d %s", st, b)
		}
		if st, b := e.do(t, "POST", tok, path+"/assign", map[string]any{"version": 4, "assignee_id": 999999}, nil); st != 400 || !strings.Contains(b, "assignee_id") {
			t.Errorf("assign to a stranger: %d %s", st, b)
		}
		if st, b := e.do(t, "POST", tok, path+"/replies", map[string]any{"body": "x", "channel": "sms"}, nil); st != 400 || !strings.Contains(b, "channel") {
			t.Errorf("reply through a channel the shop has not set up: %d %s", st, b)
		}

		// Attachments: a receipt as text is kept; HTML named as a photo is
		// refused; the download cannot render in the browser.
		upload := func(name, content string) (int, string) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			fw, _ := mw.CreateFormFile("file", name)
			fw.Write([]byte(content))
			mw.Close()
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1"+path+"/attachments", &buf)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		st, b = upload("快递单.txt", "顺丰 SF1234567890")
		if st != 201 {
			t.Fatalf("upload: %d %s", st, b)
		}
		att := decodeAs[struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
			URL  string `json:"url"`
		}](t, b)
		if st, b := upload("photo.jpg", "<html><script>alert(1)</script></html>"); st != 400 {
			t.Errorf("HTML as a photo: %d %s", st, b)
		}
		if st, b := e.do(t, "POST", tok, path+"/attachments", map[string]any{"file": "x"}, nil); st != 400 {
			t.Errorf("JSON upload: %d %s", st, b)
		}
		req, _ = http.NewRequest("GET", e.srv.URL+att.URL, nil)
		req.Header.Set("Authorization", "Bearer "+read)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		content, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(content) != "顺丰 SF1234567890" || resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("download: %d %q %v", resp.StatusCode, content, resp.Header)
		}
		var atts struct {
			Attachments []struct{ Name string } `json:"attachments"`
		}
		e.get(t, read, path+"/attachments", &atts)
		if len(atts.Attachments) != 1 || atts.Attachments[0].Name != att.Name {
			t.Errorf("attachments: %+v", atts)
		}

		var got ticketOut
		if st, _, b := e.get(t, read, path, &got); st != 200 {
			t.Fatalf("get: %d %s", st, b)
		}
		var kinds []string
		for _, ev := range got.Events {
			kinds = append(kinds, ev.Kind)
		}
		// The attachment is in the history, its id in to.
		if strings.Join(kinds, " ") != "created status status note reply priority attachment" || !strings.HasPrefix(got.Events[0].Actor, "token:") ||
			got.Events[6].Body != "快递单.txt" || got.Events[6].To != "1" {
			t.Errorf("history: %v %+v", kinds, got.Events)
		}

		// Lists: filters, the SLA breach seen at the API's clock, pages.
		if st, b := e.do(t, "POST", tok, "/tickets", map[string]any{"kind": "consultation", "subject": "有没有礼盒装", "customer_id": cust, "priority": "low"}, nil); st != 201 {
			t.Fatalf("second ticket: %d %s", st, b)
		}
		type page struct {
			Tickets    []ticketOut `json:"tickets"`
			NextBefore *int64      `json:"next_before"`
		}
		var p page
		e.get(t, read, "/tickets?kind=complaint&open=true", &p)
		if len(p.Tickets) != 1 || p.Tickets[0].ID != c.ID {
			t.Errorf("complaints open: %+v", p)
		}
		e.get(t, read, fmt.Sprint("/tickets?customer_id=", cust, "&limit=1"), &p)
		if len(p.Tickets) != 1 || p.NextBefore == nil {
			t.Fatalf("first page: %+v", p)
		}
		e.get(t, read, fmt.Sprint("/tickets?customer_id=", cust, "&limit=1&before=", *p.NextBefore), &p)
		if len(p.Tickets) != 1 || p.NextBefore != nil || p.Tickets[0].ID != c.ID {
			t.Errorf("second page: %+v", p)
		}
		// The urgent complaint's clock restarted 10 days ago: breached; the
		// low consultation's resolution (7 days) too, its response (24 h) too.
		e.get(t, read, "/tickets?breached=true", &p)
		if len(p.Tickets) != 2 {
			t.Errorf("breached: %+v", p)
		}
		e.get(t, read, "/tickets?breached=false&open=true", &p)
		if len(p.Tickets) != 0 {
			t.Errorf("not breached: %+v", p)
		}
		var alerts struct {
			Alerts []struct {
				TicketID int64 `json:"ticket_id"`
				Breached bool  `json:"breached"`
			} `json:"alerts"`
		}
		e.get(t, read, "/tickets/alerts", &alerts)
		if len(alerts.Alerts) == 0 || !alerts.Alerts[0].Breached {
			t.Errorf("alerts: %+v", alerts)
		}
		// The complaint in the analytics of the last twelve months.
		var an struct {
			Complaints int `json:"complaints"`
			Causes     []struct {
				Cause string `json:"cause"`
				Count int    `json:"count"`
			} `json:"causes"`
			Months []struct{ Month string } `json:"months"`
			Steps  []struct {
				From, To string
				Count    int
			} `json:"steps"`
		}
		if st, _, b := e.get(t, read, "/complaints/analytics", &an); st != 200 || an.Complaints != 1 || len(an.Causes) != 1 ||
			an.Causes[0].Cause != "logistics" || len(an.Months) != 12 || an.Months[11].Month != "2025-06" {
			t.Errorf("analytics: %d %s", st, b)
		}
		if st, _, b := e.get(t, read, "/complaints/analytics?from=2025-01-01&to=2025-06-01", &an); st != 200 || an.Complaints != 0 {
			t.Errorf("analytics before the complaint: %d %s", st, b)
		}
		if st, _, b := e.get(t, read, "/complaints/analytics?from=June", nil); st != 400 {
			t.Errorf("analytics from June: %d %s", st, b)
		}
		for _, q := range []string{"?open=maybe", "?limit=0", "?assignee_id=x", "?assignee_id=0", "?breached=2"} {
			if st, _, b := e.get(t, read, "/tickets"+q, nil); st != 400 {
				t.Errorf("/tickets%s: %d %s", q, st, b)
			}
		}
	})
}

func TestTasksAndCannedAPI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e, _, cust := deskEnv(t, db)
		tok := e.token(t, e.shopA, "tickets:read", "tickets:write")
		in := map[string]any{"kind": "follow_up", "title": "回访：补发是否收到", "customer_id": cust, "due_at": "2025-07-02T10:00:00+08:00", "idempotency_key": "erp-7"}
		st, b := e.do(t, "POST", tok, "/tasks", in, nil)
		if st != 201 {
			t.Fatalf("open task: %d %s", st, b)
		}
		type taskOut struct {
			ID      int64  `json:"id"`
			Status  string `json:"status"`
			Outcome string `json:"outcome"`
			Version int64  `json:"version"`
			Overdue bool   `json:"overdue"`
		}
		k := decodeAs[taskOut](t, b)
		if st, b := e.do(t, "POST", tok, "/tasks", in, nil); st != 200 || decodeAs[taskOut](t, b).ID != k.ID {
			t.Errorf("same key again: %d %s", st, b)
		}
		if st, b := e.do(t, "POST", tok, "/tasks", map[string]any{"kind": "follow_up", "title": "x", "customer_id": cust, "due_at": "tomorrow"}, nil); st != 400 || !strings.Contains(b, "due_at") {
			t.Errorf("bad due_at: %d %s", st, b)
		}
		path := fmt.Sprint("/tasks/", k.ID)
		if st, b := e.do(t, "POST", tok, path+"/finish", map[string]any{"version": k.Version}, nil); st != 400 || !strings.Contains(b, "outcome") {
			t.Errorf("finish without outcome: %d %s", st, b)
		}
		st, b = e.do(t, "POST", tok, path+"/finish", map[string]any{"version": k.Version, "outcome": "已收到，很满意"}, nil)
		if done := decodeAs[taskOut](t, b); st != 200 || done.Status != "done" || done.Outcome != "已收到，很满意" {
			t.Errorf("finish: %d %s", st, b)
		}
		var list struct {
			Tasks []taskOut `json:"tasks"`
		}
		e.get(t, tok, "/tasks?status=done", &list)
		if len(list.Tasks) != 1 || list.Tasks[0].ID != k.ID {
			t.Errorf("done tasks: %+v", list)
		}
		e.get(t, tok, "/tasks?status=open", &list)
		if len(list.Tasks) != 0 {
			t.Errorf("open tasks: %+v", list)
		}

		// Canned replies: create, edit on a version, delete.
		st, b = e.do(t, "POST", tok, "/canned-replies", map[string]any{"title": "补发", "body": "{{name|亲}}，已为您补发", "kind": "complaint"}, nil)
		if st != 201 {
			t.Fatalf("create canned: %d %s", st, b)
		}
		cr := decodeAs[struct {
			ID      int64 `json:"id"`
			Version int64 `json:"version"`
		}](t, b)
		cpath := fmt.Sprint("/canned-replies/", cr.ID)
		if st, b := e.do(t, "POST", tok, "/canned-replies", map[string]any{"title": "坏", "body": "{{nope}}"}, nil); st != 400 {
			t.Errorf("bad placeholder: %d %s", st, b)
		}
		if st, b := e.do(t, "PUT", tok, cpath, map[string]any{"version": cr.Version, "title": "补发", "body": "{{name|亲}}，已为您补发，单号稍后发您"}, nil); st != 200 {
			t.Errorf("edit: %d %s", st, b)
		}
		if st, b := e.do(t, "PUT", tok, cpath, map[string]any{"version": cr.Version, "title": "补发", "body": "旧"}, nil); st != 409 {
			t.Errorf("stale edit: %d %s", st, b)
		}
		var cl struct {
			Canned []struct{ Body string } `json:"canned_replies"`
		}
		e.get(t, tok, "/canned-replies?kind=complaint", &cl)
		if len(cl.Canned) != 1 || !strings.Contains(cl.Canned[0].Body, "单号") {
			t.Errorf("list canned: %+v", cl)
		}
		if st, b := e.do(t, "DELETE", tok, cpath, nil, nil); st != 200 {
			t.Errorf("delete: %d %s", st, b)
		}
		if st, _, _ := e.get(t, tok, cpath, nil); st != 404 {
			t.Errorf("deleted canned reply: %d", st)
		}
	})
}

// TestInboundWebhook posts chat messages to the signed inbound endpoint:
// refused unsigned, stale or malformed; recorded once per message id; the
// second message of the same sender and source lands on the same ticket.
func TestInboundWebhook(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		end := time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
		clock := guanxi.FixedClock(end)
		desk := service.NewService(db, clock)
		in := inbound.NewService(db, desk, shop.NewService(db, clock), clock, slog.New(slog.DiscardHandler))
		e := newEnv(t, db, api.Config{Service: desk, Inbound: in})
		if err := e.campaigns.SetChannelSettings(ctx, e.shopA.ID, &campaign.ChannelSettings{AllowPrivateNetwork: true, Channel: campaign.Webhook,
			Webhook: &campaign.WebhookSettings{URL: "http://127.0.0.1:1/hook", Secret: "hook-secret"}}); err != nil {
			t.Fatal(err)
		}
		post := func(shop, secret string, at time.Time, body string) (int, string) {
			ts := at.Unix()
			return e.do(t, "POST", "", "/channels/webhook/"+shop+"/messages", body, http.Header{
				"X-Guanxi-Timestamp": {strconv.FormatInt(ts, 10)}, "X-Guanxi-Signature": {channel.SignWebhook(secret, ts, []byte(body))}})
		}
		msg := func(id, text string) string {
			b, _ := json.Marshal(map[string]any{"source": "wechat", "message_id": id, "text": text, "subject": "",
				"customer": map[string]any{"name": "李小姐", "phone": "+86 138-0013-9999", "platform": "wechat", "platform_id": "oX-li"}})
			return string(b)
		}
		first := msg("m-1", "你好，我的订单什么时候发货？")
		if st, b := post("a", "wrong", end, first); st != 401 {
			t.Errorf("bad signature: %d %s", st, b)
		}
		if st, b := post("a", "hook-secret", end.Add(-10*time.Minute), first); st != 401 || !strings.Contains(b, "X-Guanxi-Timestamp") {
			t.Errorf("stale timestamp: %d %s", st, b)
		}
		if st, b := post("nosuchshop", "hook-secret", end, first); st != 401 {
			t.Errorf("unknown shop: %d %s", st, b)
		}
		for _, bad := range []string{`{"source": "wechat"`, `{"source":"wechat","message_id":"x","text":"hi","customer":{}}`,
			`{"source":"wechat","message_id":"x","text":"hi","customer":{"phone":"13800139999"},"extra":1}`,
			`{"source":"email","message_id":"x","text":"hi","customer":{"phone":"13800139999"}}`, `[]`} {
			if st, b := post("a", "hook-secret", end, bad); st != 400 || errorCode(t, b) != "invalid" {
				t.Errorf("malformed %s: %d %s", bad, st, b)
			}
		}
		type result struct {
			TicketID    int64 `json:"ticket_id"`
			CustomerID  int64 `json:"customer_id"`
			Created     bool  `json:"created"`
			Duplicate   bool  `json:"duplicate"`
			NewCustomer bool  `json:"new_customer"`
		}
		st, b := post("a", "hook-secret", end, first)
		r1 := decodeAs[result](t, b)
		if st != 201 || !r1.Created || !r1.NewCustomer {
			t.Fatalf("first message: %d %s", st, b)
		}
		if st, b := post("a", "hook-secret", end, first); st != 200 || decodeAs[result](t, b) != (result{TicketID: r1.TicketID, CustomerID: r1.CustomerID, Duplicate: true}) {
			t.Errorf("the same message again: %d %s", st, b)
		}
		// Waiting on the customer, the ticket opens again when they write.
		if _, err := desk.Transition(ctx, e.shopA.ID, r1.TicketID, 1, service.Step{To: service.Pending}); err != nil {
			t.Fatal(err)
		}
		st, b = post("a", "hook-secret", end, msg("m-2", "单号是 TB123"))
		if r2 := decodeAs[result](t, b); st != 200 || r2.TicketID != r1.TicketID || r2.Created || r2.NewCustomer {
			t.Errorf("second message: %d %s", st, b)
		}
		tk, err := desk.Get(ctx, e.shopA.ID, r1.TicketID)
		if err != nil || tk.Channel != "wechat" || tk.Kind != service.Consultation || tk.Body != "你好，我的订单什么时候发货？" || tk.Status != service.Open {
			t.Fatalf("ticket: %+v %v", tk, err)
		}
		evs, _ := desk.Events(ctx, e.shopA.ID, tk.ID)
		// The customer's words are messages with their source, not notes.
		var msgs []string
		for _, ev := range evs {
			if ev.Kind == "note" {
				t.Errorf("an internal note from the customer: %+v", ev)
			}
			if ev.Kind == "message" && ev.Channel == "wechat" {
				msgs = append(msgs, ev.Body)
			}
		}
		if len(msgs) != 2 || msgs[1] != "单号是 TB123" || len(evs) != 5 || evs[4].To != service.Open {
			t.Errorf("messages: %q, events %+v", msgs, evs)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM tickets WHERE shop_id = ?`, e.shopA.ID).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d tickets, want 1 (%v)", n, err)
		}
		c, err := e.customers.Get(ctx, e.shopA.ID, r1.CustomerID)
		if err != nil || c.Name != "李小姐" || c.Phone != "13800139999" {
			t.Errorf("new customer: %+v %v", c, err)
		}
		// A known buyer, by phone, about one of their orders.
		var phone, ext string
		var buyer, orderID int64
		if err := db.QueryRow(ctx, `SELECT c.phone, o.external_id, o.customer_id, o.id FROM customer_identities i
JOIN orders o ON o.shop_id = i.shop_id AND o.customer_id = i.customer_id
JOIN customers c ON c.shop_id = i.shop_id AND c.id = i.customer_id
WHERE i.shop_id = ? AND i.kind = 'phone' ORDER BY o.id LIMIT 1`, e.shopA.ID).Scan(&phone, &ext, &buyer, &orderID); err != nil {
			t.Fatal(err)
		}
		opened, err := db.Keys().Open("phone", phone)
		if err != nil {
			t.Fatal(err)
		}
		phone = opened
		known, _ := json.Marshal(map[string]any{"source": "douyin", "message_id": "d-1", "text": "退货怎么寄", "order_external_id": ext,
			"customer": map[string]any{"phone": phone}})
		st, b = post("a", "hook-secret", end, string(known))
		rk := decodeAs[result](t, b)
		if st != 201 || rk.CustomerID != buyer || rk.NewCustomer {
			t.Errorf("known buyer: %d %s (want customer %d)", st, b, buyer)
		}
		if kt, err := desk.Get(ctx, e.shopA.ID, rk.TicketID); err != nil || kt.OrderID != orderID || kt.Channel != "webhook" {
			t.Errorf("known buyer's ticket: %+v %v", kt, err)
		}

		// Closed, the next message opens a new ticket.
		if tk, err = desk.Transition(ctx, e.shopA.ID, tk.ID, tk.Version, service.Step{To: service.Solved}); err != nil {
			t.Fatal(err)
		}
		if _, err := desk.Transition(ctx, e.shopA.ID, tk.ID, tk.Version, service.Step{To: service.Closed}); err != nil {
			t.Fatal(err)
		}
		st, b = post("a", "hook-secret", end, msg("m-3", "又有问题"))
		if r3 := decodeAs[result](t, b); st != 201 || r3.TicketID == r1.TicketID || r3.CustomerID != r1.CustomerID {
			t.Errorf("after solving: %d %s", st, b)
		}
	})
}

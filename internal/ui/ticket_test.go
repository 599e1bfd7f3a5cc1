package ui_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/channel/channeltest"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

func (e *env) deskSvc() *service.Service { return service.NewService(e.db, guanxi.SystemClock{}) }

var (
	ticketLocRe   = regexp.MustCompile(`^/s/a/tickets/(\d+)\?done=created$`)
	stepVersionRe = regexp.MustCompile(`id="step-[a-z_]+"[^>]*>\s*<input type="hidden" name="csrf_token" value="[^"]+">\s*<input type="hidden" name="version" value="(\d+)">`)
	stepFormRe    = regexp.MustCompile(`id="step-([a-z_]+)"`)
)

// offered lists the workflow steps a ticket page offers, by target status.
func offered(body string) []string {
	var out []string
	for _, m := range stepFormRe.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestTicketPages works a complaint through the pages over HTTP as the
// agent multi: open it for a demo customer, move it through every step of
// seed 002 §7.2 with what each needs, and check at each step the status,
// the history and that only the legal next step is offered; then the
// refusals (a missing cause, a stale version, a skipped step), notes,
// replies, assignment, follow-up tasks, the SLA settings, and that an
// analyst reads but may not change anything.
func TestTicketPages(t *testing.T) {
	storetestEngines(t, testTicketPages)
}

func testTicketPages(t *testing.T, e *env) {
	wang := e.customerID(t, e.shopA, "王芳")
	c := e.client(t)
	c.signIn("multi")
	csrf := c.csrf()

	got := c.get("/s/a/tickets")
	if got.status != http.StatusOK {
		t.Fatalf("ticket list: %d", got.status)
	}
	mustContain(t, "empty list", got.body, "服务台", "没有符合条件的工单")
	got = c.get(fmt.Sprintf("/s/a/tickets/new?customer=%d&kind=complaint", wang))
	mustContain(t, "new ticket form", got.body, "王芳", `value="complaint" selected`)
	got = c.get("/s/a/tickets/new?q=" + url.QueryEscape("王芳"))
	mustContain(t, "customer search", got.body, fmt.Sprintf("tickets/new?customer=%d", wang))

	// A form without a subject comes back with what was typed.
	got = c.post("/s/a/tickets", url.Values{"csrf_token": {csrf}, "customer_id": {fmt.Sprint(wang)}, "kind": {"complaint"},
		"channel": {"phone"}, "priority": {"high"}, "body": {"茶叶受潮"}})
	if got.status != http.StatusBadRequest {
		t.Fatalf("ticket without subject: %d", got.status)
	}
	mustContain(t, "refused ticket", got.body, "subject", "茶叶受潮")

	got = c.post("/s/a/tickets", url.Values{"csrf_token": {csrf}, "customer_id": {fmt.Sprint(wang)}, "kind": {"complaint"},
		"channel": {"phone"}, "priority": {"high"}, "subject": {"收到的龙井受潮"}, "body": {"茶叶受潮"}})
	m := ticketLocRe.FindStringSubmatch(got.header.Get("Location"))
	if got.status != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d %q\n%.500s", got.status, got.header.Get("Location"), got.body)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	path := "/s/a/tickets/" + m[1]

	show := func(wantStatus string, wantSteps ...string) string {
		t.Helper()
		got := c.get(path)
		if got.status != http.StatusOK {
			t.Fatalf("ticket page: %d", got.status)
		}
		if !strings.Contains(got.body, `data-status="`+wantStatus+`"`) {
			t.Fatalf("ticket page: want status %s\n%.2000s", wantStatus, got.body)
		}
		if steps := offered(got.body); !slices.Equal(steps, wantSteps) {
			t.Errorf("at %s the page offers %v, want %v", wantStatus, steps, wantSteps)
		}
		return got.body
	}
	version := func(body string) string {
		t.Helper()
		m := stepVersionRe.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no version on the step form")
		}
		return m[1]
	}
	body := show(service.Received, service.Confirmed)
	mustContain(t, "new complaint", body, "收到的龙井受潮", "王芳", "已受理", "Multi")
	// A step the workflow does not allow from here is refused, even posted by hand.
	got = c.post(path+"/step", url.Values{"csrf_token": {csrf}, "version": {version(body)}, "to": {service.Archived}})
	if got.status != http.StatusConflict {
		t.Errorf("skip to archived: %d, want 409", got.status)
	}
	mustContain(t, "skipped step", got.body, "received", "archived")

	steps := []struct {
		to     string
		fields url.Values
		shows  string // on the page afterwards
		next   []string
	}{
		{service.Confirmed, nil, "已确认", []string{service.Assessed}},
		{service.Assessed, url.Values{"cause": {"logistics"}, "severity": {"major"}}, "物流问题 · 严重", []string{service.SolutionProposed}},
		{service.SolutionProposed, url.Values{"solution": {"补发一盒新茶"}}, "补发一盒新茶", []string{service.Executed}},
		{service.Executed, nil, "方案已执行", []string{service.FollowUp}},
		{service.FollowUp, url.Values{"outcome": {"客户满意"}}, "客户满意", []string{service.Archived}},
		{service.Archived, url.Values{"note": {"结案"}}, "已归档", []string{service.Confirmed}},
	}
	for i, st := range steps {
		if st.to == service.Assessed {
			// Without the cause the step is refused and the page says which field.
			got = c.post(path+"/step", url.Values{"csrf_token": {csrf}, "version": {version(body)}, "to": {st.to}, "severity": {"major"}})
			if got.status != http.StatusBadRequest {
				t.Errorf("assess without cause: %d, want 400", got.status)
			}
			mustContain(t, "assess without cause", got.body, "cause")
		}
		form := url.Values{"csrf_token": {csrf}, "version": {version(body)}, "to": {st.to}}
		for k, v := range st.fields {
			form[k] = v
		}
		got = c.post(path+"/step", form)
		if got.status != http.StatusSeeOther {
			t.Fatalf("step %d to %s: %d\n%.1000s", i, st.to, got.status, got.body)
		}
		stale := form.Get("version")
		body = show(st.to, st.next...)
		mustContain(t, "after "+st.to, body, st.shows, `data-kind="status" data-to="`+st.to+`"`)
		mustNotContain(t, "after "+st.to, body, "logistics/major") // the history says it in words
		// The form read before the step is stale now.
		got = c.post(path+"/step", url.Values{"csrf_token": {csrf}, "version": {stale}, "to": {st.next[0]}, "reason": {"x"},
			"cause": {"product"}, "severity": {"minor"}, "solution": {"x"}, "outcome": {"x"}})
		if got.status != http.StatusConflict {
			t.Errorf("stale form after %s: %d, want 409", st.to, got.status)
		}
		mustContain(t, "stale form", got.body, "内容已被他人修改")
	}
	evs, err := e.deskSvc().Events(context.Background(), e.shopA.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 7 {
		t.Errorf("history has %d events, want created + 6 steps", len(evs))
	}
	for _, ev := range evs {
		if ev.Actor != "user:multi" {
			t.Errorf("event %s %s by %q, want user:multi", ev.Kind, ev.To, ev.Actor)
		}
	}
	// Reopen needs a reason.
	got = c.post(path+"/step", url.Values{"csrf_token": {csrf}, "version": {version(body)}, "to": {service.Confirmed}})
	if got.status != http.StatusBadRequest {
		t.Errorf("reopen without reason: %d", got.status)
	}
	got = c.post(path+"/step", url.Values{"csrf_token": {csrf}, "version": {version(body)}, "to": {service.Confirmed}, "reason": {"客户再次来电"}})
	if got.status != http.StatusSeeOther {
		t.Fatalf("reopen: %d", got.status)
	}
	body = show(service.Confirmed, service.Assessed)
	mustContain(t, "reopened", body, "客户再次来电")

	// Notes, replies, assignment and priority.
	for _, a := range []struct{ action, text string }{{"note", "内部：仓库查验"}, {"reply", "您好，已为您补发"}} {
		got = c.post(path+"/"+a.action, url.Values{"csrf_token": {csrf}, "body": {a.text}})
		if got.status != http.StatusSeeOther {
			t.Fatalf("%s: %d", a.action, got.status)
		}
	}
	body = show(service.Confirmed, service.Assessed)
	mustContain(t, "note and reply", body, "内部：仓库查验", "您好，已为您补发")
	got = c.post(path+"/assign", url.Values{"csrf_token": {csrf}, "version": {version(body)}, "priority": {"urgent"}, "assignee_id": {"0"}, "team_id": {"0"}})
	if got.status != http.StatusSeeOther {
		t.Fatalf("assign: %d\n%.1000s", got.status, got.body)
	}
	tk, err := e.deskSvc().Get(context.Background(), e.shopA.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Priority != service.Urgent || tk.AssigneeID != 0 {
		t.Errorf("after assign: priority %s assignee %d", tk.Priority, tk.AssigneeID)
	}

	// A follow-up task from the ticket, on the agent's list, then done.
	got = c.post("/s/a/tasks", url.Values{"csrf_token": {csrf}, "customer_id": {fmt.Sprint(wang)}, "ticket_id": {m[1]},
		"kind": {"follow_up"}, "title": {"三天后回访王芳"}, "due": {"2030-01-02"}, "assignee_id": {fmt.Sprint(userID(t, e, "multi"))},
		"next": {path}})
	if got.status != http.StatusSeeOther || !strings.HasPrefix(got.header.Get("Location"), path+"?done=task") {
		t.Fatalf("task: %d %q\n%.800s", got.status, got.header.Get("Location"), got.body)
	}
	mustContain(t, "ticket's tasks", c.get(path).body, "三天后回访王芳")
	mustContain(t, "customer's desk", c.get(fmt.Sprintf("/s/a/customers/%d", wang)).body, "收到的龙井受潮", "三天后回访王芳")
	list := c.get("/s/a/tasks")
	mustContain(t, "my tasks", list.body, "三天后回访王芳")
	ks, err := e.deskSvc().Tasks(context.Background(), e.shopA.ID, service.TaskFilter{TicketID: id})
	if err != nil || len(ks) != 1 {
		t.Fatalf("tasks of the ticket: %v %v", ks, err)
	}
	got = c.post(fmt.Sprintf("/s/a/tasks/%d/finish", ks[0].ID), url.Values{"csrf_token": {csrf}, "version": {fmt.Sprint(ks[0].Version)},
		"status": {"done"}, "view": {"mine"}})
	if got.status != http.StatusBadRequest {
		t.Errorf("done without outcome: %d", got.status)
	}
	got = c.post(fmt.Sprintf("/s/a/tasks/%d/finish", ks[0].ID), url.Values{"csrf_token": {csrf}, "version": {fmt.Sprint(ks[0].Version)},
		"status": {"done"}, "outcome": {"已回访，客户满意"}, "view": {"mine"}})
	if got.status != http.StatusSeeOther {
		t.Fatalf("finish: %d\n%.800s", got.status, got.body)
	}
	mustContain(t, "done tasks", c.get("/s/a/tasks?view=done").body, "已回访，客户满意")
	got = c.post(fmt.Sprintf("/s/a/tasks/%d/finish", ks[0].ID), url.Values{"csrf_token": {csrf}, "version": {fmt.Sprint(ks[0].Version)},
		"status": {"cancelled"}, "view": {"mine"}})
	if got.status != http.StatusConflict {
		t.Errorf("stale finish: %d, want 409", got.status)
	}

	// Filters: the urgent complaint is in the urgent list, not in the low one.
	mustContain(t, "urgent filter", c.get("/s/a/tickets?priority=urgent&kind=complaint").body, "收到的龙井受潮")
	mustNotContain(t, "low filter", c.get("/s/a/tickets?priority=low").body, "收到的龙井受潮")

	// SLA settings: an admin changes them; the agent may not.
	got = c.post("/s/a/service/sla", url.Values{"csrf_token": {csrf}})
	if got.status != http.StatusForbidden {
		t.Errorf("agent sets SLA: %d", got.status)
	}
	admin := e.client(t)
	admin.signIn("alice")
	acsrf := admin.csrf()
	form := url.Values{"csrf_token": {acsrf}}
	for _, p := range service.Priorities {
		form.Set("first_response_"+p, "30")
		form.Set("resolution_"+p, "600")
	}
	form.Set("resolution_low", "10")
	if got = admin.post("/s/a/service/sla", form); got.status != http.StatusBadRequest {
		t.Errorf("resolution shorter than first response: %d", got.status)
	}
	form.Set("resolution_low", "600")
	if got = admin.post("/s/a/service/sla", form); got.status != http.StatusSeeOther {
		t.Fatalf("set SLA: %d\n%.800s", got.status, got.body)
	}
	slas, err := e.deskSvc().SLAs(context.Background(), e.shopA.ID)
	if err != nil || slas[service.Low].Resolution != 10*time.Hour {
		t.Errorf("SLA low after save: %+v %v", slas[service.Low], err)
	}

	// The analytics count the complaint, received this month, and its cause.
	got = c.get("/s/a/tickets/analytics")
	if got.status != http.StatusOK {
		t.Fatalf("analytics: %d", got.status)
	}
	mustContain(t, "analytics", got.body, `id="analytics-complaints">1<`, "物流问题", `id="chart-data"`)
	if got = c.get("/s/a/tickets/analytics?months=3"); got.status != http.StatusOK {
		t.Errorf("analytics of 3 months: %d", got.status)
	}

	// An analyst reads the desk and the ticket but is offered and allowed no change.
	ann := e.client(t)
	ann.signIn("ann")
	ncsrf := ann.csrf()
	got = ann.get(path)
	if got.status != http.StatusOK || len(offered(got.body)) != 0 || strings.Contains(got.body, `id="reply-form"`) {
		t.Errorf("analyst's ticket page: %d, steps %v", got.status, offered(got.body))
	}
	for _, p := range []string{path + "/step", path + "/note", path + "/reply", path + "/assign", "/s/a/tickets", "/s/a/tasks"} {
		if got := ann.post(p, url.Values{"csrf_token": {ncsrf}, "to": {"assessed"}, "body": {"x"}}); got.status != http.StatusForbidden {
			t.Errorf("analyst POST %s: %d, want 403", p, got.status)
		}
	}
	if got := ann.get("/s/a/tickets/new"); got.status != http.StatusForbidden {
		t.Errorf("analyst new ticket: %d", got.status)
	}
	// Shop b's admin does not see shop a's ticket, even by its number.
	bob := e.client(t)
	bob.signIn("bob")
	if got := bob.get(strings.Replace(path, "/s/a/", "/s/b/", 1)); got.status != http.StatusNotFound {
		t.Errorf("shop b's ticket %d: %d, want 404", id, got.status)
	}
}

// userID is the id of a test user.
func userID(t *testing.T, e *env, name string) int64 {
	t.Helper()
	u, err := e.auth.ByUsername(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// TestTicketSteps checks the ticket page's step forms against the service
// that enforces the workflows: from every status of a complaint and of
// another ticket, every step the page offers is accepted, and every other
// is refused.
func TestTicketSteps(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	svc := e.deskSvc()
	wang := e.customerID(t, e.shopA, "王芳")
	c := e.client(t)
	c.signIn("alice")
	full := func(to string) service.Step {
		return service.Step{To: to, Cause: "product", Severity: "minor", Solution: "s", Outcome: "o", Reason: "r"}
	}
	for _, k := range []struct {
		kind string
		// paths reach each status from the first.
		paths map[string][]string
	}{
		{service.Complaint, map[string][]string{
			service.Received:         nil,
			service.Confirmed:        {service.Confirmed},
			service.Assessed:         {service.Confirmed, service.Assessed},
			service.SolutionProposed: {service.Confirmed, service.Assessed, service.SolutionProposed},
			service.Executed:         {service.Confirmed, service.Assessed, service.SolutionProposed, service.Executed},
			service.FollowUp:         {service.Confirmed, service.Assessed, service.SolutionProposed, service.Executed, service.FollowUp},
			service.Archived:         {service.Confirmed, service.Assessed, service.SolutionProposed, service.Executed, service.FollowUp, service.Archived},
		}},
		{service.Refund, map[string][]string{
			service.Open:    nil,
			service.Pending: {service.Pending},
			service.Solved:  {service.Solved},
			service.Closed:  {service.Solved, service.Closed},
		}},
	} {
		var all []string
		for s := range k.paths {
			all = append(all, s)
		}
		for from, path := range k.paths {
			for _, to := range all {
				tk := &service.Ticket{Kind: k.kind, Subject: "s", CustomerID: wang}
				if err := svc.Create(ctx, e.shopA.ID, tk); err != nil {
					t.Fatal(err)
				}
				for _, s := range path {
					var err error
					if tk, err = svc.Transition(ctx, e.shopA.ID, tk.ID, tk.Version, full(s)); err != nil {
						t.Fatalf("%s to %s: %v", k.kind, s, err)
					}
				}
				page := c.get(fmt.Sprintf("/s/a/tickets/%d", tk.ID))
				_, err := svc.Transition(ctx, e.shopA.ID, tk.ID, tk.Version, full(to))
				if want := slices.Contains(offered(page.body), to); want != (err == nil) {
					t.Errorf("%s %s → %s: offered %v, service says %v", k.kind, from, to, want, err)
				}
			}
		}
	}
}

// TestTicketDeskTools covers the rest of the ticket page's tools over
// HTTP: a canned reply written on the settings page and put into the reply
// box with its placeholders filled, a reply refused for a channel the shop
// has not set up, attachments (an image taken and served safely, a page of
// HTML refused whatever its name), the assignment mode and skills, and
// automatic assignment.
func TestTicketDeskTools(t *testing.T) {
	storetestEngines(t, testTicketDeskTools)
}

func testTicketDeskTools(t *testing.T, e *env) {
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	wang := e.customerID(t, e.shopA, "王芳")
	tk := &service.Ticket{Kind: service.Refund, Subject: "退款进度", CustomerID: wang}
	if err := e.deskSvc().Create(ctx, e.shopA.ID, tk); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/s/a/tickets/%d", tk.ID)
	c := e.client(t)
	c.signIn("multi")
	csrf := c.csrf()

	// Canned replies.
	if got := c.post("/s/a/service/canned", url.Values{"csrf_token": {csrf}, "title": {"坏占位符"}, "body": {"{{foo}}"}}); got.status != http.StatusBadRequest {
		t.Errorf("canned reply with an unknown placeholder: %d", got.status)
	}
	got := c.post("/s/a/service/canned", url.Values{"csrf_token": {csrf}, "title": {"退款说明"}, "kind": {"refund"},
		"body": {"{{name|亲}}您好，{{shop}}已为您办理退款。"}})
	if got.status != http.StatusSeeOther {
		t.Fatalf("canned reply: %d\n%.500s", got.status, got.body)
	}
	cs, err := e.deskSvc().CannedReplies(ctx, e.shopA.ID, "")
	if err != nil || len(cs) != 1 {
		t.Fatalf("canned replies: %v %v", cs, err)
	}
	body := c.get(path).body
	mustContain(t, "canned picker", body, `id="canned-form"`, "退款说明")
	mustNotContain(t, "the only ticket", body, `id="customer-other-tickets"`)
	other := &service.Ticket{Kind: service.Delivery, Subject: "快递未到", CustomerID: wang}
	if err := e.deskSvc().Create(ctx, e.shopA.ID, other); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "the customer's other ticket", c.get(path).body, `id="customer-other-tickets"`, "快递未到")
	got = c.get(fmt.Sprintf("%s?canned=%d", path, cs[0].ID))
	mustContain(t, "canned reply in the box", got.body, "王芳您好，西湖茶庄已为您办理退款。</textarea>")
	// A reply through e-mail, which shop a has not set up, is refused and not recorded.
	got = c.post(path+"/reply", url.Values{"csrf_token": {csrf}, "body": {"您好"}, "channel": {"email"}})
	if got.status != http.StatusBadRequest {
		t.Errorf("reply by an unset channel: %d", got.status)
	}
	mustContain(t, "unset channel", got.body, "channel")

	// Through e-mail once it is set up: sent to the loopback sink, the
	// delivery on the history.
	sink, err := channeltest.NewSMTPSink(true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	if err := e.campaigns.SetChannelSettings(ctx, e.shopA.ID, &campaign.ChannelSettings{AllowPrivateNetwork: true, Channel: campaign.Email,
		Email: &campaign.EmailSettings{Addr: sink.Addr(), From: "service@xihu.example"}}); err != nil {
		t.Fatal(err)
	}
	got = c.post(path+"/reply", url.Values{"csrf_token": {csrf}, "body": {"王芳您好，退款已原路退回"}, "channel": {"email"}})
	if got.status != http.StatusSeeOther || !strings.HasSuffix(got.header.Get("Location"), "?done=sent") {
		t.Fatalf("reply by e-mail: %d %q\n%.800s", got.status, got.header.Get("Location"), got.body)
	}
	if ms := sink.Mails(); len(ms) != 1 || !strings.EqualFold(ms[0].To, "wang.fang@example.com") {
		t.Errorf("mails %+v", ms)
	}
	mustContain(t, "sent reply", c.get(path+"?done=sent").body, "王芳您好，退款已原路退回", "已送达", "回复已发送")

	// Attachments.
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	if got := upload(t, c, path+"/attachments", csrf, "破损.png", png); got.status != http.StatusSeeOther {
		t.Fatalf("upload: %d\n%.500s", got.status, got.body)
	}
	if got := upload(t, c, path+"/attachments", csrf, "photo.jpg", []byte("<html><script>alert(1)</script></html>")); got.status != http.StatusBadRequest {
		t.Errorf("HTML named photo.jpg: %d, want 400", got.status)
	}
	as, err := e.deskSvc().Attachments(ctx, e.shopA.ID, tk.ID)
	if err != nil || len(as) != 1 {
		t.Fatalf("attachments: %v %v", as, err)
	}
	mustContain(t, "attachment listed", c.get(path).body, fmt.Sprintf("attachments/%d", as[0].ID))
	ann := e.client(t)
	ann.signIn("ann")
	got = ann.get(fmt.Sprintf("%s/attachments/%d", path, as[0].ID))
	if got.status != http.StatusOK || got.header.Get("Content-Type") != "image/png" || got.header.Get("X-Content-Type-Options") != "nosniff" || got.body != string(png) {
		t.Errorf("download: %d %q %q", got.status, got.header.Get("Content-Type"), got.header.Get("X-Content-Type-Options"))
	}
	if got := upload(t, ann, path+"/attachments", ann.csrf(), "a.png", png); got.status != http.StatusForbidden {
		t.Errorf("analyst upload: %d", got.status)
	}

	// Assignment: round robin gives the unassigned ticket to the shop's agent.
	admin := e.client(t)
	admin.signIn("alice")
	acsrf := admin.csrf()
	if got := admin.post("/s/a/service/settings", url.Values{"csrf_token": {acsrf}, "assign_mode": {"nonsense"}}); got.status != http.StatusBadRequest {
		t.Errorf("unknown mode: %d", got.status)
	}
	if got := admin.post("/s/a/service/settings", url.Values{"csrf_token": {acsrf}, "assign_mode": {service.AssignRoundRobin}}); got.status != http.StatusSeeOther {
		t.Fatalf("mode: %d", got.status)
	}
	multi := userID(t, e, "multi")
	if got := admin.post("/s/a/service/skills", url.Values{"csrf_token": {acsrf}, "user_id": {fmt.Sprint(multi)}, "skill": {"refund", "complaint"}}); got.status != http.StatusSeeOther {
		t.Fatalf("skills: %d", got.status)
	}
	if got := c.post("/s/a/service/settings", url.Values{"csrf_token": {csrf}, "assign_mode": {service.AssignManual}}); got.status != http.StatusForbidden {
		t.Errorf("agent sets the mode: %d", got.status)
	}
	page := admin.get("/s/a/service/settings")
	mustContain(t, "settings", page.body, `value="round_robin" selected`, `value="refund" checked`, "退款说明")
	cur, err := e.deskSvc().Get(ctx, e.shopA.ID, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.post(path+"/auto-assign", url.Values{"csrf_token": {csrf}, "version": {fmt.Sprint(cur.Version)}}); got.status != http.StatusSeeOther {
		t.Fatalf("auto-assign: %d\n%.800s", got.status, got.body)
	}
	if cur, err = e.deskSvc().Get(ctx, e.shopA.ID, tk.ID); err != nil || cur.AssigneeID != multi {
		t.Errorf("auto-assigned to %d, want multi %d (%v)", cur.AssigneeID, multi, err)
	}
	// Deleting the canned reply.
	if got := c.post(fmt.Sprintf("/s/a/service/canned/%d/delete", cs[0].ID), url.Values{"csrf_token": {csrf}}); got.status != http.StatusSeeOther {
		t.Errorf("delete canned: %d", got.status)
	}
}

// upload posts a file as a multipart form.
func upload(t *testing.T, c *client, path, csrf, name string, content []byte) page {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("csrf_token", csrf); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, c.base+path, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// TestTicketRoutesListed checks the other way round from TestAccessMatrix:
// every desk entry of the access table is a route the UI registers, so a
// route dropped by mistake does not leave its entry passing unchecked.
func TestTicketRoutesListed(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	for pat := range access {
		if strings.Contains(pat, "/tickets") || strings.Contains(pat, "/tasks") || strings.Contains(pat, "/service/") {
			if !slices.Contains(e.routes, pat) {
				t.Errorf("access entry %q is not a route", pat)
			}
		}
	}
}

// TestTicketEscaping puts hostile text in every field the desk pages show
// (a ticket's subject, body, note, reply and step texts, a task, a canned
// reply, a team) and asserts none reaches a page unescaped.
func TestTicketEscaping(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	hostile := []string{"<script>alert(1)</script>", `"><img src=x onerror=alert(1)>`}
	wang := e.customerID(t, e.shopA, "王芳")
	svc := e.deskSvc()
	team, err := e.auth.CreateTeam(ctx, e.shopA.ID, hostile[0])
	if err != nil {
		t.Fatal(err)
	}
	tk := &service.Ticket{Kind: service.Complaint, Subject: hostile[0], Body: hostile[1], CustomerID: wang, TeamID: team.ID}
	if err := svc.Create(ctx, e.shopA.ID, tk); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddNote(ctx, e.shopA.ID, tk.ID, hostile[1]); err != nil {
		t.Fatal(err)
	}
	if err := svc.Reply(ctx, e.shopA.ID, tk.ID, hostile[0]); err != nil {
		t.Fatal(err)
	}
	v := tk.Version
	for _, st := range []service.Step{{To: service.Confirmed, Note: hostile[0]}, {To: service.Assessed, Cause: "product", Severity: "minor"},
		{To: service.SolutionProposed, Solution: hostile[1]}} {
		got, err := svc.Transition(ctx, e.shopA.ID, tk.ID, v, st)
		if err != nil {
			t.Fatal(err)
		}
		v = got.Version
	}
	if _, err := svc.OpenTask(ctx, e.shopA.ID, &service.Task{Kind: service.TaskFollowUp, Title: hostile[1], Body: hostile[0], CustomerID: wang,
		TicketID: tk.ID, DueAt: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := svc.CreateCannedReply(ctx, e.shopA.ID, &service.CannedReply{Title: hostile[0], Body: hostile[1]}); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.signIn("alice")
	for _, p := range []string{"/s/a/tickets", "/s/a/tickets?alert=at_risk", fmt.Sprintf("/s/a/tickets/%d", tk.ID), "/s/a/tasks?view=open",
		"/s/a/tasks?view=overdue", fmt.Sprintf("/s/a/customers/%d", wang), "/s/a/service/settings", "/s/a/tickets/analytics",
		fmt.Sprintf("/s/a/tickets/new?customer=%d", wang)} {
		got := c.get(p)
		if got.status != http.StatusOK {
			t.Errorf("%s: %d", p, got.status)
		}
		mustNotContain(t, p, got.body, hostile...)
	}
	mustContain(t, "ticket page", c.get(fmt.Sprintf("/s/a/tickets/%d", tk.ID)).body, "&lt;script&gt;alert(1)&lt;/script&gt;")
}

// untranslated finds a catalog key shown as text or in a field's
// placeholder: a string the catalog lacks.
var untranslated = regexp.MustCompile(`(>|placeholder=")[^<"]*\b(tickets|ticket|tasks|task|desk|sla|analytics)\.[a-z_]+\.?[a-z_]*`)

// TestTicketTranslated opens every desk page with a complaint at each kind
// of content, in Chinese and in English, and asserts no catalog key shows
// untranslated.
func TestTicketTranslated(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	svc := e.deskSvc()
	wang := e.customerID(t, e.shopA, "王芳")
	tk := &service.Ticket{Kind: service.Complaint, Subject: "受潮", CustomerID: wang, Channel: "wechat", Priority: service.Urgent}
	if err := svc.Create(ctx, e.shopA.ID, tk); err != nil {
		t.Fatal(err)
	}
	v := tk.Version
	for _, st := range []service.Step{{To: service.Confirmed}, {To: service.Assessed, Cause: "after_sale", Severity: "critical"}} {
		got, err := svc.Transition(ctx, e.shopA.ID, tk.ID, v, st)
		if err != nil {
			t.Fatal(err)
		}
		v = got.Version
	}
	if _, err := svc.Assign(ctx, e.shopA.ID, tk.ID, v, userID(t, e, "multi"), 0); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddNote(ctx, e.shopA.ID, tk.ID, "备注"); err != nil {
		t.Fatal(err)
	}
	// The customer's message (as internal/inbound records it) and a file.
	if err := e.db.Update(ctx, func(tx *store.Tx) error {
		_, err := svc.AddMessageIn(ctx, tx, e.shopA.ID, tk.ID, "wechat", "客户说：还没收到")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddAttachment(ctx, e.shopA.ID, tk.ID, "说明.txt", strings.NewReader("纯文本")); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.OpenTask(ctx, e.shopA.ID, &service.Task{Kind: service.TaskDetractor, Title: "回访", CustomerID: wang,
		TicketID: tk.ID, DueAt: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.signIn("alice")
	csrf := c.csrf()
	pages := []string{"/s/a/tickets", "/s/a/tickets?alert=breached", fmt.Sprintf("/s/a/tickets/%d", tk.ID), "/s/a/tasks?view=open",
		"/s/a/tasks?view=overdue", "/s/a/tasks?view=done", fmt.Sprintf("/s/a/customers/%d", wang), "/s/a/service/settings",
		"/s/a/tickets/analytics", fmt.Sprintf("/s/a/tickets/new?customer=%d&q=%s", wang, url.QueryEscape("王"))}
	for _, locale := range []string{"zh-CN", "en"} {
		if got := c.post("/settings/locale", url.Values{"csrf_token": {csrf}, "locale": {locale}, "next": {"/s/a/tickets"}}); got.status != http.StatusSeeOther {
			t.Fatalf("locale %s: %d", locale, got.status)
		}
		for _, p := range pages {
			got := c.get(p)
			if got.status != http.StatusOK {
				t.Errorf("%s %s: %d", locale, p, got.status)
			}
			for _, m := range untranslated.FindAllString(got.body, -1) {
				t.Errorf("%s %s shows %q", locale, p, m)
			}
		}
		// The customer's message is set apart from the internal note, with
		// its channel; the attachment is in the history, linked.
		page := c.get(fmt.Sprintf("/s/a/tickets/%d", tk.ID)).body
		want := map[string][]string{"zh-CN": {"客户消息", "经微信", "内部备注"}, "en": {"Customer message", "via WeChat", "Internal note"}}[locale]
		mustContain(t, locale+" history", page, append(want, `class="event kind-message from-customer" data-kind="message" data-channel="wechat"`,
			"客户说：还没收到", `data-kind="attachment"`, "说明.txt</a>")...)
		if n := strings.Count(page, `data-kind="note"`); n != 1 {
			t.Errorf("%s: %d notes in the history, want 1 (the message is not one)", locale, n)
		}
	}
}

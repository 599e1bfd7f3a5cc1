package ui_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/care"
	"github.com/guanxi-crm/guanxi/internal/coupon"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/kb"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
	"github.com/guanxi-crm/guanxi/internal/survey"
)

// xssPayloads are what an attacker types into a field: markup that runs
// script when a page writes it unescaped, a script URL for an href, and
// template syntax for a page that would render a value as a template.
var xssPayloads = []string{
	`<img src=x onerror=window.__xss=1>`,
	`"><script>window.__xss=1</script>`,
	`javascript:window.__xss=1`,
	`{{.}}`,
}

// xssCheck is evaluated on every page: what it returns is what went wrong.
// Beside window.__xss it looks for the payloads' elements in the DOM (an
// injected handler that the CSP blocks is still an injection) and for a
// link or form whose address is a script URL.
const xssCheck = `(() => {
	const bad = [];
	if (window.__xss !== undefined) bad.push('window.__xss is set');
	if (document.querySelector('img[src="x"]')) bad.push('an injected <img src=x>');
	if (document.querySelector('svg[onload]')) bad.push('an injected <svg onload>');
	for (const s of document.scripts) {
		// Data blocks (type=application/json) may hold the text as data,
		// but must still parse: a block broken out of is an injection.
		if (s.type === 'application/json') {
			try { JSON.parse(s.textContent); } catch (e) { bad.push('a broken JSON block #' + s.id); }
		} else if (s.textContent.includes('__xss')) bad.push('an injected <script>');
	}
	for (const el of document.querySelectorAll('[href],[src],[action],[formaction]')) {
		for (const a of ['href', 'src', 'action', 'formaction']) {
			const v = (el.getAttribute(a) || '').trim().toLowerCase();
			if (v.startsWith('javascript:')) bad.push('a javascript: ' + a + ' on <' + el.tagName.toLowerCase() + '>');
		}
	}
	for (const el of document.querySelectorAll('*')) {
		for (const at of el.attributes) if (at.name.startsWith('on') && at.value.includes('__xss')) bad.push('an injected ' + at.name);
	}
	return bad.join('; ');
})()`

// TestXSSBrowser puts the payloads into every text field a user, an import
// or the services can set (a customer's name, nick, address, tags and
// notes; product names; segment, campaign, coupon template, care rule, team
// and user names; campaign bodies; ticket subjects, bodies, notes, replies
// and canned replies; task titles and outcomes; KB article titles and
// bodies; survey titles, intros, questions, options and answers), then
// opens in Chromium every page that shows them, the public KB and survey
// pages too, and asserts no payload ran or became markup, no dialog
// blocked the page, the CSP had nothing to refuse, and the payload text is
// on the page as text. It skips, like TestBrowser, where Chromium is
// missing.
func TestXSSBrowser(t *testing.T) {
	b := newBrowser(t)
	e := newEnv(t, storetest.SQLite(t))
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	p0, p1, p2, p3 := xssPayloads[0], xssPayloads[1], xssPayloads[2], xssPayloads[3]
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// An import: a Taobao order whose consignee, nick, address and product
	// are payloads.
	csv := "订单编号,买家会员名,买家支付宝账号,买家应付货款,买家应付邮费,总金额,买家实际支付金额,订单状态,买家留言,收货人姓名,收货地址 ,联系电话 ,联系手机,订单创建时间,订单付款时间 ,宝贝标题 ,宝贝种类 ,物流单号 ,宝贝总数量,店铺Id,店铺名称,订单关闭原因,是否手机订单,退款金额\n" +
		`="9990001",` + csvQuote(p1) + `,,100.00,0.00,100.00,100.00,交易成功,,` + csvQuote(p0) + `,` + csvQuote("浙江省 杭州市 西湖区 "+p1) +
		`,,13599990001,2025-06-01 10:00:00,2025-06-01 10:01:00,` + csvQuote(p0+" "+p3) + ",1,,1,12345,关系小店,,手机订单,0.00\n"
	path := filepath.Join(t.TempDir(), "xss_taobao.csv")
	must(os.WriteFile(path, []byte(csv), 0o644))
	if _, err := importer.NewService(e.db, guanxi.SystemClock{}, slog.New(slog.DiscardHandler)).ImportFile(ctx, e.shopA, path, importer.Options{Format: "taobao"}); err != nil {
		t.Fatalf("import: %v", err)
	}
	var victim, version int64
	must(e.db.QueryRow(ctx, `SELECT id, version FROM customers WHERE shop_id = ? AND name = ? AND merged_into IS NULL`, e.shopA.ID, p0).Scan(&victim, &version))
	// A user edits the customer: tags (30 characters at most) and a note.
	tagPayload := `"><svg onload=window.__xss=1>`
	cs := customer.NewService(e.db)
	if _, err := cs.Update(ctx, e.shopA.ID, victim, version, customer.Edit{Name: p0, Province: "浙江省", City: p2, Tags: []string{tagPayload, p2, p3}}, 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	_, err := cs.AddNote(ctx, e.shopA.ID, victim, p1+"\n"+p2, 0, time.Now())
	must(err)

	// Segments, campaigns, coupons, care rules, a team and a user.
	seg := e.createSegment(t, e.shopA, p1, `{"field":"orders_count","op":"gte","value":0}`)
	camp := &campaign.Campaign{Name: p0, Purpose: campaign.Marketing, SegmentID: seg, Channel: campaign.Email, Subject: p1, Body: p2 + " " + p0} // {{.}} is refused as a placeholder (campaign tests)
	must(e.campaigns.Create(ctx, e.shopA.ID, camp))
	must(e.couponsSvc().CreateTemplate(ctx, e.shopA.ID, &coupon.Template{Name: p1, Kind: coupon.KindAmount, Value: 500, ValidDays: 30}))
	rule := &care.Rule{Name: p1, Enabled: true, Trigger: care.Dormant, Days: 30, Action: care.Tag, Params: care.Params{Tag: "xss"}}
	must(e.care.Create(ctx, e.shopA.ID, rule))
	team, err := e.auth.CreateTeam(ctx, e.shopA.ID, p1)
	must(err)
	mallory, err := e.auth.CreateUser(ctx, "mallory", p0, password)
	must(err)
	must(e.auth.Grant(ctx, mallory.ID, e.shopA.ID, auth.RoleAgent))

	// The service desk: a ticket with a note and a reply, a task done with
	// an outcome, a canned reply.
	desk := e.deskSvc()
	tk := &service.Ticket{Kind: service.Complaint, Subject: p1, Body: p0 + "\n" + p2, CustomerID: victim, TeamID: team.ID}
	must(desk.Create(ctx, e.shopA.ID, tk))
	must(desk.AddNote(ctx, e.shopA.ID, tk.ID, p0))
	must(desk.Reply(ctx, e.shopA.ID, tk.ID, p1+" "+p3))
	_, err = desk.OpenTask(ctx, e.shopA.ID, &service.Task{Kind: service.TaskFollowUp, Title: p0, Body: p1, CustomerID: victim, TicketID: tk.ID, DueAt: time.Now().Add(time.Hour)})
	must(err)
	done := &service.Task{Kind: service.TaskCallback, Title: p1, CustomerID: victim, DueAt: time.Now().Add(-time.Hour)}
	_, err = desk.OpenTask(ctx, e.shopA.ID, done)
	must(err)
	if _, err := desk.FinishTask(ctx, e.shopA.ID, done.ID, done.Version, service.TaskDone, p0); err != nil {
		t.Fatal(err)
	}
	must(desk.CreateCannedReply(ctx, e.shopA.ID, &service.CannedReply{Title: p0 + p3, Body: p1})) // a body is a template: {{.}} is refused

	// The knowledge base: a published article.
	art := &kb.Article{Title: p0, Body: p1 + "\n\n[" + p0 + "](" + p2 + ")\n" + p2 + "\n\n" + p3, Language: kb.Chinese, Published: true}
	must(kb.NewService(e.db, nil).CreateArticle(ctx, e.shopA.ID, art))

	// A questionnaire sent to everyone: one customer has answered with
	// payloads, another's link is left open.
	sv := &survey.Survey{Kind: survey.Custom, Title: p0, Intro: p1, Channel: campaign.SMS, SegmentID: seg, Questions: []survey.Question{
		{ID: "q1", Type: survey.Text, Text: p1},
		{ID: "q2", Type: survey.Single, Text: p0, Options: []string{p1, p2}},
	}}
	must(e.surveys.Create(ctx, e.shopA.ID, sv))
	if _, err := e.surveys.SetStatus(ctx, e.shopA.ID, sv.ID, sv.Version, survey.Active); err != nil {
		t.Fatal(err)
	}
	if _, err := e.surveys.Send(ctx, e.shopA.ID, sv.ID); err != nil {
		t.Fatal(err)
	}
	invs, err := e.surveys.Invites(ctx, e.shopA.ID, sv.ID, 0)
	must(err)
	if len(invs) < 2 {
		t.Fatalf("%d invites", len(invs))
	}
	answered, err := e.surveys.Token(ctx, e.shopA.ID, &invs[0])
	must(err)
	if _, err := e.surveys.Respond(ctx, answered, survey.Answer{Answers: map[string]any{"q1": p0 + " " + p2, "q2": p1}, Comment: p1}); err != nil {
		t.Fatalf("answer: %v", err)
	}
	open, err := e.surveys.Token(ctx, e.shopA.ID, &invs[1])
	must(err)

	// A dialog a payload opened is noted and dismissed (else it would
	// block the page and the test with it).
	var dialogs []string
	var dmu sync.Mutex
	go func() {
		for ev, err := range chromedp.Events(b.ctx, cdppage.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			dmu.Lock()
			dialogs = append(dialogs, ev.Message)
			dmu.Unlock()
			go func() {
				_ = chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
					_, err := cdp.Call(ctx, tg, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: false})
					return err
				}))
			}()
		}
	}()

	step := b.step
	step("sign in",
		chromedp.Navigate(e.srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "alice"),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`form.login-form button[type=submit]`)),
		// The signed-in navigation, which the sign-in page lacks (it has a
		// <main> too): navigating on while the sign-in's redirect is still
		// loading aborts the next page (net::ERR_ABORTED).
		chromedp.WaitVisible(chromedp.CSS("nav.side")),
	)
	// Each page, with the payload text it must show as text.
	pages := []struct {
		path  string
		shows []string
	}{
		{"/s/a/customers", []string{p0}},
		{"/s/a/customers?q=" + url.QueryEscape(p0), []string{p0}},
		{fmt.Sprintf("/s/a/customers/%d", victim), []string{p0, p1, p2, p3, tagPayload}},
		{"/s/a/dashboard", nil},
		{"/s/a/dashboard/customers", nil},
		{"/s/a/dashboard/churn", nil},
		{"/s/a/dashboard/geography", nil},
		{"/s/a/dashboard/retention", nil},
		{"/s/a/scorecard", nil},
		{"/s/a/duplicates", nil},
		{"/s/a/segments", []string{p1}},
		{fmt.Sprintf("/s/a/segments/%d", seg), []string{p1}},
		{"/s/a/campaigns", []string{p0}},
		{fmt.Sprintf("/s/a/campaigns/%d", camp.ID), []string{p0}},
		{"/s/a/campaigns/matrix", nil},
		{"/s/a/coupons", []string{p1}},
		{"/s/a/loyalty", nil},
		{"/s/a/care", []string{p1}},
		{fmt.Sprintf("/s/a/care/%d", rule.ID), []string{p1}},
		{"/s/a/tickets", []string{p1}},
		{fmt.Sprintf("/s/a/tickets/%d", tk.ID), []string{p0, p1, p2}},
		{"/s/a/tickets/analytics", nil},
		{"/s/a/tasks?view=open", []string{p0}},
		{"/s/a/tasks?view=done", []string{p1}},
		{"/s/a/service/settings", []string{p0, p1}},
		{"/s/a/kb", []string{p0}},
		{fmt.Sprintf("/s/a/kb/%d", art.ID), []string{p0}},
		{"/kb/a", []string{p0}},
		{fmt.Sprintf("/kb/a/a/%d", art.ID), []string{p0, p1, p2, p3}},
		{"/s/a/surveys", []string{p0}},
		{fmt.Sprintf("/s/a/surveys/%d", sv.ID), []string{p0, p1}},
		{"/f/" + open, []string{p0, p1, p2}},
		{"/s/a/members", []string{p0}},
		// Payloads in the address: search boxes echo them, next= goes to
		// a hidden field.
		{"/kb/a?q=" + url.QueryEscape(p1), []string{p1}},
		{"/s/a/kb?q=" + url.QueryEscape(p0), []string{p0}},
		{"/s/a/kb/suggest?q=" + url.QueryEscape(p1), nil},
		{"/s/a/tickets?status=" + url.QueryEscape(p1) + "&kind=" + url.QueryEscape(p0), nil},
		{"/s/a/segments/new?name=" + url.QueryEscape(p1), nil},
		{"/s/a/audit", nil},
	}
	for _, pg := range pages {
		step("open "+pg.path, chromedp.Navigate(e.srv.URL+pg.path), chromedp.WaitReady(chromedp.CSS("body")))
		bad, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](xssCheck))
		if err != nil {
			t.Fatalf("%s: %v", pg.path, err)
		}
		text, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText`))
		if err != nil {
			t.Fatalf("%s: %v", pg.path, err)
		}
		if bad != "" {
			t.Errorf("%s: %s", pg.path, bad)
		}
		for _, s := range pg.shows {
			if !strings.Contains(text, s) {
				t.Errorf("%s: the text %q is not shown as text", pg.path, s)
			}
		}
	}
	dmu.Lock()
	for _, d := range dialogs {
		t.Errorf("a page opened a dialog: %q", d)
	}
	dmu.Unlock()
	for _, m := range b.pageErrors() {
		if strings.Contains(m, "/favicon.ico") {
			continue // an htmx fragment opened as a page has no icon link
		}
		t.Errorf("a page logged an error (a script or handler the CSP refused?): %s", m)
	}
}

func csvQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

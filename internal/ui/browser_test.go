package ui_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestBrowser drives a real Chromium through the pages as a person would:
// sign in through the form, search with the live search box, open a
// customer, see their orders, switch to English. It saves screenshots in
// $GUANXI_TEST_ARTEFACTS (default a temporary folder) and fails on any error
// the page logs, such as a Content-Security-Policy violation.
func TestBrowser(t *testing.T) {
	b := newBrowser(t)
	e := newEnv(t, storetest.SQLite(t))
	ctx, step, poll, shot := b.ctx, b.step, b.poll, b.shot
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	// A shop page sends us to sign in, and back afterwards.
	step("open the customer list signed out",
		chromedp.Navigate(e.srv.URL+"/s/a/customers"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		shot("01-login"),
	)
	step("sign in",
		chromedp.SendKeys(chromedp.CSS("#username"), "alice"),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`form.login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#q")),
	)
	if got := text("#results"); !strings.Contains(got, "王芳") || !strings.Contains(got, "李雷") {
		t.Fatalf("customer list after sign-in:\n%s", got)
	}
	step("screenshot the list", shot("02-customers"))

	// Live search: typing filters the table without a page load.
	poll("htmx to load", `typeof htmx === "object"`)
	step("type a search", chromedp.SendKeys(chromedp.CSS("#q"), "李"))
	poll("live search results", `(() => { const r = document.querySelector('#results').innerText;
		return r.includes('李雷') && !r.includes('王芳') && location.search.includes('q=') })()`)
	step("screenshot the search", shot("03-search"))

	step("open the customer",
		chromedp.Click(chromedp.CSS(`#results table a`)),
		chromedp.WaitVisible(chromedp.CSS("#orders")),
	)
	orders := text("#orders")
	for _, want := range []string{"A1003", "羊毛围巾 灰色", "¥256.00", "已发货"} {
		if !strings.Contains(orders, want) {
			t.Errorf("orders table lacks %q:\n%s", want, orders)
		}
	}
	if h1 := text("h1"); h1 != "李雷" {
		t.Errorf("customer page heading %q", h1)
	}
	step("screenshot the customer", shot("04-customer"))

	// A customer with several orders and lines, for the record.
	step("open 王芳",
		chromedp.Navigate(e.srv.URL+fmt.Sprintf("/s/a/customers/%d", e.customerID(t, e.shopA, "王芳"))),
		chromedp.WaitVisible(chromedp.CSS("#orders")),
		shot("05-customer-orders"),
	)

	// Edit and save; then an edit made on a page someone else has changed
	// since is refused.
	wang := e.customerID(t, e.shopA, "王芳")
	step("edit and save the profile",
		chromedp.Click(chromedp.CSS("details.edit summary")),
		chromedp.WaitVisible(chromedp.CSS("#edit-tags")),
		chromedp.Clear(chromedp.CSS("#edit-tags")),
		chromedp.SendKeys(chromedp.CSS("#edit-tags"), "茶友, 回头客"),
		chromedp.Click(chromedp.CSS(".edit-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	if tags := text("ul.tags"); !strings.Contains(tags, "茶友") || !strings.Contains(tags, "回头客") {
		t.Errorf("tags after saving: %q", tags)
	}
	step("open the form", chromedp.Click(chromedp.CSS("details.edit summary")), chromedp.WaitVisible(chromedp.CSS("#edit-name")))
	c, err := e.customersSvc().Get(context.Background(), e.shopA.ID, wang)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.customersSvc().Update(context.Background(), e.shopA.ID, wang, c.Version, customer.Edit{Name: c.Name, Tags: []string{"同事改的"}}, 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	step("submit the stale form",
		chromedp.Clear(chromedp.CSS("#edit-name")),
		chromedp.SendKeys(chromedp.CSS("#edit-name"), "王芳芳"),
		chromedp.Click(chromedp.CSS(".edit-form button[type=submit]")),
		// The customer page has a heading too: wait for the error page's,
		// or the screenshot may be taken while the page is being replaced.
		chromedp.WaitVisible(chromedp.CSS(".error-page h1")),
		shot("05a-stale-edit"),
	)
	if h1 := text("main h1"); !strings.Contains(h1, "冲突") {
		t.Errorf("stale edit page heading %q, want the conflict page", h1)
	}
	if c, _ := e.customersSvc().Get(context.Background(), e.shopA.ID, wang); c.Name != "王芳" {
		t.Errorf("the stale edit renamed the customer to %q", c.Name)
	}
	step("back to the customer",
		chromedp.Navigate(e.srv.URL+fmt.Sprintf("/s/a/customers/%d", wang)),
		chromedp.WaitVisible(chromedp.CSS("#orders")),
	)

	// Every dashboard draws its charts from the numbers it carries.
	for i, d := range []struct {
		path string
		ids  []string
	}{
		{"/s/a/dashboard", []string{"chart-monthly", "chart-repeat", "chart-pareto"}},
		{"/s/a/dashboard/customers", []string{"chart-segments", "chart-tiers", "chart-lifecycle"}},
		{"/s/a/dashboard/retention", []string{"chart-cohorts", "chart-stages", "chart-flows"}},
		{"/s/a/dashboard/geography", []string{"chart-provinces"}},
		{"/s/a/dashboard/churn", []string{"chart-bands"}},
	} {
		step("open "+d.path,
			chromedp.Navigate(e.srv.URL+d.path),
			chromedp.WaitVisible(chromedp.CSS("#"+d.ids[0])),
		)
		poll(d.path+"'s charts to render with data", fmt.Sprintf(`(() => {
			if (typeof echarts === 'undefined') return false;
			return %q.split(' ').every(id => {
				const n = document.getElementById(id);
				const c = n && echarts.getInstanceByDom(n);
				return c && n.dataset.rendered === 'true' && n.querySelector('canvas') &&
					c.getOption().series.some(s => (s.data || []).length > 0);
			});
		})()`, strings.Join(d.ids, " ")))
		step("screenshot "+d.path, shot(fmt.Sprintf("05b-dashboard-%d-%s", i, d.ids[0][len("chart-"):])))
	}
	// The month of the flows shown is chosen with a select that submits itself.
	step("choose the flows of May",
		chromedp.Navigate(e.srv.URL+"/s/a/dashboard/retention"),
		chromedp.WaitVisible(chromedp.CSS("#flow-to")),
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('flow-to'); s.value = '2025-05-31';
			s.dispatchEvent(new Event('change', { bubbles: true })); })()`),
	)
	// The poll may start on the page being left: try again on the new one.
	var flowErr error
	for range 5 {
		if _, flowErr = chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`location.search.includes('to=2025-05-31') &&
			document.readyState === 'complete' && !!document.querySelector('#chart-flows[data-rendered="true"]') &&
			document.querySelector('table.matrix').textContent.includes('尚未购买')`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))); flowErr == nil {
			break
		}
	}
	if flowErr != nil {
		t.Fatalf("waiting for the page for May's flows: %v", flowErr)
	}
	step("screenshot May's flows, and back to the customer", shot("05c-dashboard-flows-may"),
		chromedp.Navigate(e.srv.URL+fmt.Sprintf("/s/a/customers/%d", e.customerID(t, e.shopA, "王芳"))),
		chromedp.WaitVisible(chromedp.CSS("#orders")),
	)

	step("switch to English",
		chromedp.Click(chromedp.CSS(`form.lang button[value=en]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang=en]`)),
		chromedp.WaitVisible(chromedp.CSS("#orders")),
	)
	if got := text("#h-orders"); got != "Orders" {
		t.Errorf("English orders heading %q", got)
	}
	if got := text("nav.side"); !strings.Contains(got, "Customers") {
		t.Errorf("English navigation %q", got)
	}
	step("screenshot in English", shot("06-customer-en"))

	// The same pages on a phone.
	step("phone layout",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(e.srv.URL+"/s/a/customers"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		shot("07-phone-customers"),
		chromedp.Navigate(e.srv.URL+fmt.Sprintf("/s/a/customers/%d", e.customerID(t, e.shopA, "王芳"))),
		chromedp.WaitVisible(chromedp.CSS("#orders")),
		shot("08-phone-customer"),
	)

	for _, m := range b.pageErrors() {
		if strings.Contains(m, "status of 409 (Conflict)") {
			continue // the stale edit above, refused on purpose
		}
		t.Errorf("the page logged an error: %s", m)
	}
}

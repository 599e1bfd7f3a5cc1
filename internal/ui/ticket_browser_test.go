package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/guanxi-crm/guanxi/internal/kb"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestTicketBrowser has an agent take a complaint through every step of
// seed 002 §7.2 in a real Chromium: open it for a demo customer from the
// new-ticket form, then received → confirmed → assessed (cause, severity)
// → solution proposed → executed → follow-up → archived, checking after
// each step the status shown, the history's new entry, and that the page
// offers exactly the legal next step (never, say, archiving a complaint
// just received). It skips, like TestBrowser, where Chromium is missing.
func TestTicketBrowser(t *testing.T) {
	b := newBrowser(t)
	e := newEnv(t, storetest.SQLite(t))
	wang := e.customerID(t, e.shopA, "王芳")
	// One published article that the reply below should bring up, and a
	// draft that must not come up.
	kbs := kb.NewService(e.db, nil)
	art := &kb.Article{Title: "茶叶受潮怎么处理", Body: "请拍照后联系客服，我们为您补发或退款。", Language: kb.Chinese, Published: true}
	if err := kbs.CreateArticle(context.Background(), e.shopA.ID, art); err != nil {
		t.Fatal(err)
	}
	if err := kbs.CreateArticle(context.Background(), e.shopA.ID, &kb.Article{Title: "茶叶受潮（草稿）", Body: "未发布", Language: kb.Chinese}); err != nil {
		t.Fatal(err)
	}
	step, poll, shot := b.step, b.poll, b.shot

	step("sign in on the way to a new complaint",
		chromedp.Navigate(e.srv.URL+fmt.Sprintf("/s/a/tickets/new?customer=%d&kind=complaint", wang)),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "multi"),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`form.login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#ticket-form")),
	)
	poll("the customer on the form", `document.getElementById('ticket-customer').textContent.includes('王芳') &&
		document.getElementById('ticket-kind').value === 'complaint'`)
	step("open the complaint",
		chromedp.SendKeys(chromedp.CSS("#ticket-subject"), "收到的龙井受潮"),
		chromedp.SendKeys(chromedp.CSS("#ticket-body"), "打开包装发现茶叶受潮结块"),
		shot("40-ticket-new"),
		chromedp.Click(chromedp.CSS("#ticket-create")),
		chromedp.WaitVisible(chromedp.CSS("#ticket-status")),
	)

	// check waits for the page at status, with the history's entry for it
	// and exactly the next steps offered.
	check := func(status string, next ...string) {
		t.Helper()
		want, _ := json.Marshal(next)
		poll("status "+status, fmt.Sprintf(`(() => {
			const s = document.getElementById('ticket-status');
			if (!s || s.dataset.status !== %q) return false;
			const h = document.querySelectorAll('#history li.event[data-to=%q]');
			if (h.length === 0) return false;
			const last = h[h.length - 1];
			if (!last.querySelector('time').textContent || !last.querySelector('.actor').textContent.includes('Multi')) return false;
			const offered = [...document.querySelectorAll('#steps form.step-form')].map(f => f.dataset.to);
			return JSON.stringify(offered) === %q;
		})()`, status, status, string(want)))
	}
	check("received", "confirmed")
	poll("the customer and the progress bar", `document.getElementById('ticket-customer').textContent.includes('王芳') &&
		document.querySelector('#complaint-progress li[aria-current=step]').dataset.step === 'received'`)
	// The illegal steps are not offered: no way to archive or assess a
	// complaint just received.
	poll("no illegal step", `!document.getElementById('step-archived') && !document.getElementById('step-assessed')`)
	// Typing a reply asks the knowledge base for articles and shows the
	// published one that matches, inside the panel.
	step("type a reply", chromedp.SendKeys(chromedp.CSS("#reply-body"), "茶叶受潮怎么办"))
	poll("the suggestions request", `performance.getEntriesByType('resource').some(e => e.name.includes('/s/a/kb/suggest?q='))`)
	poll("the suggested article", fmt.Sprintf(`(() => {
		const li = document.querySelectorAll('#kb-suggest #kb-suggest-list li.kb-suggestion');
		return li.length === 1 && li[0].dataset.article === '%d' && li[0].textContent.includes('茶叶受潮');
	})()`, art.ID))
	step("screenshot the new complaint", shot("41-ticket-received"))

	for _, s := range []struct {
		to, fill, shows, next string
	}{
		{"confirmed", ``, ``, "assessed"},
		{"assessed", `f.cause.value = 'logistics'; f.severity.value = 'major';`, `物流问题`, "solution_proposed"},
		{"solution_proposed", `f.solution.value = '补发一盒新茶，并退运费';`, `补发一盒新茶`, "executed"},
		{"executed", ``, ``, "follow_up"},
		{"follow_up", `f.outcome.value = '客户已收到补发，表示满意';`, `表示满意`, "archived"},
		{"archived", `f.note.value = '结案';`, `结案`, "confirmed"},
	} {
		step("take the step to "+s.to, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
			const f = document.getElementById('step-%s');
			if (!f) throw new Error('no form for %s');
			%s
			f.querySelector('button[type=submit]').click();
		})()`, s.to, s.to, s.fill)),
			// Wait out the navigation on the DOM before polling a script in it.
			chromedp.WaitVisible(chromedp.CSS(`#ticket-notice`)),
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#ticket-status[data-status=%q]`, s.to))))
		check(s.to, s.next)
		if s.shows != "" {
			poll(s.shows+" on the page", fmt.Sprintf(`document.querySelector('main').textContent.includes(%q)`, s.shows))
		}
		poll("the notice", `document.getElementById('ticket-notice') !== null`)
		step("screenshot "+s.to, shot("42-ticket-"+s.to))
	}
	poll("every step in the history", `(() => {
		const to = [...document.querySelectorAll('#history li.event[data-kind=status]')].map(li => li.dataset.to);
		return JSON.stringify(to) === JSON.stringify(['confirmed','assessed','solution_proposed','executed','follow_up','archived']);
	})()`)
	poll("the archived complaint offers only reopening, with a reason", `(() => {
		const f = document.getElementById('step-confirmed');
		return f && f.querySelector('input[name=reason][required]') !== null;
	})()`)

	// The complaint in the analytics: the monthly chart and the Pareto drawn
	// from the page's JSON under the CSP.
	step("open the complaint analytics",
		chromedp.Navigate(e.srv.URL+"/s/a/tickets/analytics"),
		chromedp.WaitVisible(chromedp.CSS("#analytics-summary")),
	)
	poll("the analytics charts", `(() => {
		const ok = id => { const n = document.getElementById(id); const c = typeof echarts !== 'undefined' && echarts.getInstanceByDom(n);
			return c && n.dataset.rendered === 'true' && n.querySelector('canvas') ? c : null; };
		const m = ok('chart-complaints'), p = ok('chart-causes');
		return m && p && m.getOption().series[0].data.reduce((a, b) => a + b, 0) === 1 &&
			p.getOption().series[0].data.length === 1 && p.getOption().series[1].data[0] === 100;
	})()`)
	step("screenshot the analytics", shot("43-ticket-analytics"))

	// The desk list shows the archived complaint among the finished ones;
	// a follow-up task opened from the customer page is finished on the
	// task list with its outcome.
	step("the finished tickets",
		chromedp.Navigate(e.srv.URL+"/s/a/tickets?open=0"),
		chromedp.WaitVisible(chromedp.CSS("#tickets")),
	)
	poll("the complaint in the list", `document.getElementById('tickets').textContent.includes('收到的龙井受潮') &&
		document.getElementById('tickets').textContent.includes('已归档')`)
	step("screenshot the list", shot("44-tickets"),
		chromedp.Navigate(e.srv.URL+fmt.Sprintf("/s/a/customers/%d", wang)),
		chromedp.WaitVisible(chromedp.CSS("#customer-tickets")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#service details').open = true`),
		chromedp.SendKeys(chromedp.CSS(`#customer-task-form input[name=title]`), "回访王芳：补发的茶叶是否收到"),
		chromedp.ScrollIntoView(chromedp.CSS("#service")),
		shot("45-customer-desk"),
		chromedp.Click(chromedp.CSS(`#customer-task-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#customer-tasks li[data-task]`)),
		chromedp.Navigate(e.srv.URL+"/s/a/tasks"),
		chromedp.WaitVisible(chromedp.CSS("#tasks")),
	)
	poll("the task on my list", `document.getElementById('tasks').textContent.includes('回访王芳')`)
	step("finish the task",
		chromedp.SendKeys(chromedp.CSS(`#tasks form.task-done input[name=outcome]`), "客户已收到，很满意"),
		shot("46-tasks"),
		chromedp.Click(chromedp.CSS(`#tasks form.task-done button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#task-notice")),
		chromedp.Navigate(e.srv.URL+"/s/a/tasks?view=done"),
		chromedp.WaitVisible(chromedp.CSS("#tasks")),
	)
	poll("the task done with its outcome", `document.getElementById('tasks').textContent.includes('客户已收到，很满意')`)
	step("the settings page", chromedp.Navigate(e.srv.URL+"/s/a/service/settings"), chromedp.WaitVisible(chromedp.CSS("#sla")),
		shot("47-desk-settings"))

	for _, m := range b.pageErrors() {
		t.Errorf("the page logged an error: %s", m)
	}
}

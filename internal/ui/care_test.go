package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/care"
)

type runNow struct{ svc *care.Service }

func (r runNow) RunCareRule(ctx context.Context, shopID, id int64) (*care.Run, error) {
	return r.svc.Run(ctx, shopID, id)
}

var careIDRe = regexp.MustCompile(`/care/(\d+)\?saved=1`)

// TestCarePages: care staff make a rule, see it listed, run it and read
// the run on its page; an agent reads the page but gets no form to save.
func TestCarePages(t *testing.T) {
	storetestEngines(t, func(t *testing.T, e *env) {
		c := e.client(t)
		c.signIn("carl")
		csrf := c.csrfOn("/s/a/care/new")
		form := url.Values{"csrf_token": {csrf}, "name": {"沉睡唤醒"}, "enabled": {"on"}, "trigger": {"dormant"}, "days": {"0"},
			"action": {"tag"}, "tag": {"唤醒"}}
		if got := c.post("/s/a/care", form); got.status != http.StatusBadRequest || !strings.Contains(got.body, "days") {
			t.Fatalf("a dormant rule of 0 days: %d %.300s", got.status, got.body)
		}
		form.Set("days", "30")
		got := c.post("/s/a/care", form)
		m := careIDRe.FindStringSubmatch(got.header.Get("Location"))
		if got.status != http.StatusSeeOther || m == nil {
			t.Fatalf("create: %d %q %.300s", got.status, got.header.Get("Location"), got.body)
		}
		if list := c.get("/s/a/care"); list.status != 200 || !strings.Contains(list.body, "沉睡唤醒") {
			t.Fatalf("list: %d", list.status)
		}
		run := c.post("/s/a/care/"+m[1]+"/run", url.Values{"csrf_token": {csrf}})
		if run.status != http.StatusSeeOther || !strings.Contains(run.header.Get("Location"), "?ran=") {
			t.Fatalf("run: %d %q", run.status, run.header.Get("Location"))
		}
		page := c.get(run.header.Get("Location"))
		if page.status != 200 || !strings.Contains(page.body, `id="care-runs"`) {
			t.Fatalf("rule page after the run: %d %.500s", page.status, page.body)
		}
		agent := e.client(t)
		agent.signIn("multi")
		view := agent.get("/s/a/care/" + m[1])
		if view.status != 200 || strings.Contains(view.body, `id="care-save"`) || strings.Contains(view.body, `id="care-run"`) {
			t.Fatalf("agent's view: %d", view.status)
		}
	})
}

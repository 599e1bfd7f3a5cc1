package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/shop"
)

// segmentsSvc is the segment service over the env's database.
func (e *env) segmentsSvc() *segment.Service { return segment.NewService(e.db, guanxi.SystemClock{}) }

// createSegment saves a segment of the shop with the rule and returns its id.
func (e *env) createSegment(t testing.TB, sh *shop.Shop, name, rule string) int64 {
	t.Helper()
	r, err := segment.ParseRule([]byte(rule))
	if err != nil {
		t.Fatalf("rule %s: %v", rule, err)
	}
	seg := &segment.Segment{Name: name, Rule: r}
	if err := e.segmentsSvc().Create(context.Background(), sh.ID, seg); err != nil {
		t.Fatalf("create segment %q: %v", name, err)
	}
	return seg.ID
}

// guangdong is the rule of shop a's customers in Guangdong: 李雷 alone.
const guangdong = `{"all": [{"field": "province", "op": "eq", "value": "广东省"}]}`

var segmentLocRe = regexp.MustCompile(`^/s/a/segments/(\d+)\?saved=1$`)

func TestSegmentPages(t *testing.T) {
	storetestEngines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client(t)
		c.signIn("alice")
		csrf := c.csrfOn("/s/a/segments")

		// The live count: a number, or the fault with its JSON path.
		count := func(c *client, rule string, headers ...string) (int, map[string]any) {
			t.Helper()
			p := c.post("/s/a/segments/count", url.Values{"rule": {rule}}, headers...)
			var a map[string]any
			if p.status != http.StatusForbidden {
				if err := json.Unmarshal([]byte(p.body), &a); err != nil {
					t.Fatalf("count %s: %d %q: %v", rule, p.status, p.body, err)
				}
			}
			return p.status, a
		}
		if st, a := count(c, guangdong, "X-CSRF-Token", csrf); st != http.StatusOK || a["count"] != 1.0 || a["text"] != "共 1 位客户" {
			t.Errorf("count of Guangdong: %d %v", st, a)
		}
		if st, a := count(c, `{"any": [{"field": "province", "op": "eq", "value": "广东省"}, {"field": "province", "op": "eq", "value": "江苏省"}]}`, "X-CSRF-Token", csrf); st != http.StatusOK || a["count"] != 2.0 {
			t.Errorf("count of Guangdong or Jiangsu: %d %v", st, a)
		}
		for _, tc := range []struct{ rule, path string }{
			{`{"all": [{"field": "province", "op": "gt", "value": "x"}]}`, "all[0].op"},
			{`{"all": [{"field": "orders_count", "op": "gte", "value": "two"}]}`, "all[0].value"},
			{`{"all": [{"field": "nosuch", "op": "eq", "value": 1}]}`, "all[0].field"},
			{`{"all": []}`, "all"},
			{`{"all": [`, "rule"},
		} {
			st, a := count(c, tc.rule, "X-CSRF-Token", csrf)
			if st != http.StatusBadRequest || a["path"] != tc.path || !strings.Contains(fmt.Sprint(a["error"]), tc.path) {
				t.Errorf("count %s: %d %v, want 400 at %s", tc.rule, st, a, tc.path)
			}
		}
		if st, _ := count(c, guangdong); st != http.StatusForbidden {
			t.Errorf("count without a CSRF token: %d, want 403", st)
		}

		// The builder page works without scripts: a form posting the JSON.
		p := c.get("/s/a/segments/new")
		mustContain(t, "builder", p.body, `action="/s/a/segments"`, `name="rule"`, `name="name"`, `id="segment-editor-data"`,
			`"province"`, `广东省`, `segment.js`, `name="csrf_token"`)
		mustNotContain(t, "builder", p.body, "<script>")

		// A refused rule shows the builder again, with the fault and what was typed.
		bad := `{"all": [{"field": "province", "op": "gt", "value": "<b>x</b>"}]}`
		p = c.post("/s/a/segments", url.Values{"csrf_token": {csrf}, "name": {"坏规则"}, "rule": {bad}})
		if p.status != http.StatusBadRequest {
			t.Fatalf("save a bad rule: %d", p.status)
		}
		mustContain(t, "refused rule", p.body, `data-path="all[0].op"`, "规则有误（all[0].op）", html.EscapeString(bad), `value="坏规则"`)
		if segs, _ := e.segmentsSvc().List(ctx, e.shopA.ID); len(segs) != 0 {
			t.Errorf("a refused rule was saved: %v", segs)
		}
		// A name is required.
		if p = c.post("/s/a/segments", url.Values{"csrf_token": {csrf}, "name": {"  "}, "rule": {guangdong}}); p.status != http.StatusBadRequest {
			t.Errorf("save without a name: %d", p.status)
		}

		// Save, and the page of the saved segment.
		p = c.post("/s/a/segments", url.Values{"csrf_token": {csrf}, "name": {"广东客户"}, "rule": {guangdong}})
		m := segmentLocRe.FindStringSubmatch(p.header.Get("Location"))
		if p.status != http.StatusSeeOther || m == nil {
			t.Fatalf("save: %d %q\n%.500s", p.status, p.header.Get("Location"), p.body)
		}
		id := m[1]
		lei := e.customerID(t, e.shopA, "李雷")
		p = c.get(p.header.Get("Location"))
		mustContain(t, "saved segment", p.body, "分群已保存", "<h1>广东客户</h1>", "共 1 位客户", fmt.Sprintf(`href="/s/a/customers/%d"`, lei),
			"13900001111", `action="/s/a/segments/`+id+`/delete"`, "还没有人数记录")
		entries, err := audit.NewService(e.db, nil).List(ctx, e.shopA.ID, audit.Filter{Action: "segment."})
		if err != nil || len(entries) != 1 || entries[0].Action != "segment.create" {
			t.Errorf("audit after create: %v %+v", err, entries)
		}
		// The same name again is a conflict.
		if p = c.post("/s/a/segments", url.Values{"csrf_token": {csrf}, "name": {"广东客户"}, "rule": {guangdong}}); p.status != http.StatusConflict {
			t.Errorf("save a taken name: %d", p.status)
		} else {
			mustContain(t, "taken name", p.body, "已有同名分群")
		}

		// The list, with the segment's size; the nav links to it.
		p = c.get("/s/a/segments")
		mustContain(t, "list", p.body, `href="/s/a/segments/`+id+`"`, "广东客户", `<td data-label="人数" class="num">1</td>`,
			`href="/s/a/segments/new"`, `aria-current="page">客户分群`)

		// Sizes recorded on two days draw a trend and a history.
		day := func(t time.Time) int { return t.Year()*10000 + int(t.Month())*100 + t.Day() }
		now := time.Now().In(e.shopA.Location())
		for _, d := range []time.Time{now.AddDate(0, 0, -2), now.AddDate(0, 0, -1)} {
			if err := e.segmentsSvc().RecordSizes(ctx, e.shopA.ID, day(d)); err != nil {
				t.Fatal(err)
			}
		}
		p = c.get("/s/a/segments")
		mustContain(t, "list with history", p.body, `<polyline points="`, "1 → 1")
		p = c.get("/s/a/segments/" + id)
		mustContain(t, "history", p.body, `id="chart-history"`, `id="chart-data"`, now.AddDate(0, 0, -1).Format("2006-01-02"), "echarts")

		// An analyst sees phones masked, and may change segments; an agent may not.
		ann := e.client(t)
		ann.signIn("ann")
		p = ann.get("/s/a/segments/" + id)
		mustNotContain(t, "analyst's members", p.body, "13900001111")
		mustContain(t, "analyst's members", p.body, "李雷", "139****1111", `name="rule"`)
		agent := e.client(t)
		agent.signIn("multi")
		p = agent.get("/s/a/segments/" + id)
		mustContain(t, "agent's view", p.body, "广东客户", `<pre class="rule">`)
		mustNotContain(t, "agent's view", p.body, `name="rule"`, "/delete")
		if p = agent.post("/s/a/segments/"+id, url.Values{"csrf_token": {agent.csrfOn("/s/a/segments")}, "name": {"x"}, "rule": {guangdong}}); p.status != http.StatusForbidden {
			t.Errorf("agent saves a segment: %d", p.status)
		}

		// Update, then a segment of another shop is not found.
		jiangsu := `{"any": [{"field": "province", "op": "in", "value": ["江苏省", "广东省"]}]}`
		p = c.post("/s/a/segments/"+id, url.Values{"csrf_token": {csrf}, "name": {"粤苏客户"}, "rule": {jiangsu}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("update: %d\n%.300s", p.status, p.body)
		}
		p = c.get("/s/a/segments/" + id)
		mustContain(t, "updated", p.body, "<h1>粤苏客户</h1>", "共 2 位客户", "钱七")
		// (Ids count per shop: shop b's third segment has no namesake in shop a.)
		var other int64
		for i := range 3 {
			other = e.createSegment(t, e.shopB, fmt.Sprintf("b 的分群 %d", i), guangdong)
		}
		for _, q := range []page{
			c.get(fmt.Sprintf("/s/a/segments/%d", other)),
			c.post(fmt.Sprintf("/s/a/segments/%d", other), url.Values{"csrf_token": {csrf}, "name": {"偷"}, "rule": {guangdong}}),
			c.post(fmt.Sprintf("/s/a/segments/%d/delete", other), url.Values{"csrf_token": {csrf}}),
		} {
			if q.status != http.StatusNotFound {
				t.Errorf("another shop's segment: %d, want 404", q.status)
			}
		}

		if seg, err := e.segmentsSvc().Get(ctx, e.shopB.ID, other); err != nil || seg.Name != "b 的分群 2" {
			t.Errorf("shop b's segment after shop a's attempts: %v %v", seg, err)
		}

		// Delete.
		p = c.post("/s/a/segments/"+id+"/delete", url.Values{"csrf_token": {csrf}})
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/s/a/segments?deleted=1" {
			t.Fatalf("delete: %d %q", p.status, p.header.Get("Location"))
		}
		if p = c.get("/s/a/segments/" + id); p.status != http.StatusNotFound {
			t.Errorf("deleted segment: %d", p.status)
		}
		entries, _ = audit.NewService(e.db, nil).List(ctx, e.shopA.ID, audit.Filter{Action: "segment."})
		if len(entries) != 3 || entries[0].Action != "segment.delete" || entries[1].Action != "segment.update" {
			t.Errorf("audit: %+v", entries)
		}
	})
}

// TestSegmentEscaping saves segments with hostile names and rule values and
// opens every segment page.
func TestSegmentEscaping(t *testing.T) {
	storetestEngines(t, func(t *testing.T, e *env) {
		hostile := []string{"<script>alert(1)</script>", `"><img src=x onerror=alert(1)>`}
		var ids []int64
		for i, h := range hostile {
			rule := fmt.Sprintf(`{"any": [{"field": "tag", "op": "contains", "value": %q}, {"field": "city", "op": "eq", "value": %q}]}`, h, h)
			ids = append(ids, e.createSegment(t, e.shopA, h, rule))
			_ = i
		}
		for _, who := range []string{"alice", "multi"} {
			c := e.client(t)
			c.signIn(who)
			paths := []string{"/s/a/segments", "/s/a/segments/new"}
			for _, id := range ids {
				paths = append(paths, fmt.Sprintf("/s/a/segments/%d", id))
			}
			for _, p := range paths {
				got := c.get(p)
				if got.status >= 500 {
					t.Errorf("%s as %s: %d", p, who, got.status)
				}
				mustNotContain(t, p, got.body, hostile...)
			}
		}
	})
}

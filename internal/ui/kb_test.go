package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/kb"
	"github.com/guanxi-crm/guanxi/internal/shop"
)

// TestKnowledgeBase walks the public help centre and the staff pages: the
// public page lists and finds published articles only, in the visitor's
// language first; another shop's article is not found; a vote counts once
// per browser and a cross-origin vote is refused; hostile article text is
// shown escaped; staff write by role; suggestions come as HTML or JSON.
func TestKnowledgeBase(t *testing.T) {
	storetestEngines(t, func(t *testing.T, e *env) {
		ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
		svc := kb.NewService(e.db, nil)
		add := func(sh *shop.Shop, cat int64, lang, title, body string, published bool) *kb.Article {
			t.Helper()
			a := &kb.Article{CategoryID: cat, Language: lang, Title: title, Body: body, Published: published}
			if err := svc.CreateArticle(ctx, sh.ID, a); err != nil {
				t.Fatal(err)
			}
			return a
		}
		cat := &kb.Category{Name: "售后服务"}
		if err := svc.CreateCategory(ctx, e.shopA.ID, cat); err != nil {
			t.Fatal(err)
		}
		refund := add(e.shopA, cat.ID, kb.Chinese, "如何申请退货退款", "在订单页点击申请售后。\n\n详见 [退货政策](https://tea.example/returns)。", true)
		english := add(e.shopA, cat.ID, kb.English, "How do I get a refund?", "Open the order and choose After-sale.", true)
		draft := add(e.shopA, cat.ID, kb.Chinese, "内部：退货运费草稿", "不要公开", false)
		hostile := add(e.shopA, 0, kb.Chinese, `<img src=x onerror=alert(1)>退货`, "<script>alert('kb')</script>\n[x](javascript:alert(1))", true)
		// Shop b's article has an id shop a does not have.
		for range 7 {
			add(e.shopB, 0, kb.Chinese, "占位", "让 b 店的编号超过 a 店", true)
		}
		otherShop := add(e.shopB, 0, kb.Chinese, "中原百货退货须知", "别家的", true)

		anon := e.client(t)
		home := anon.get("/kb/a")
		if home.status != http.StatusOK {
			t.Fatalf("public page: %d %s", home.status, home.body)
		}
		mustContain(t, "public page", home.body, "售后服务", refund.Title, `id="kb-q"`)
		mustNotContain(t, "public page", home.body, draft.Title, english.Title, "<img src=x", "中原百货退货须知")
		en := anon.get("/kb/a", "Accept-Language", "en-GB,en;q=0.9,zh;q=0.5")
		mustContain(t, "public page in English", en.body, english.Title)
		mustNotContain(t, "public page in English", en.body, refund.Title)

		found := anon.get("/kb/a?q=" + url.QueryEscape("退货"))
		mustContain(t, "search 退货", found.body, refund.Title, "&lt;img src=x onerror=alert(1)&gt;退货")
		mustNotContain(t, "search 退货", found.body, draft.Title, "中原百货", "<img src=x")
		found = anon.get("/kb/a?q=refunds")
		mustContain(t, "search refunds", found.body, "How do I get a refund?")

		if p := anon.get(fmt.Sprintf("/kb/a/a/%d", draft.ID)); p.status != http.StatusNotFound {
			t.Errorf("draft on the public page: %d", p.status)
		}
		if p := anon.get(fmt.Sprintf("/kb/a/a/%d", otherShop.ID)); p.status != http.StatusNotFound || strings.Contains(p.body, "别家的") {
			t.Errorf("shop b's article under shop a: %d", p.status)
		}
		if p := anon.get("/kb/nosuchshop"); p.status != http.StatusNotFound {
			t.Errorf("unknown shop: %d", p.status)
		}
		art := anon.get(fmt.Sprintf("/kb/a/a/%d", hostile.ID))
		if art.status != http.StatusOK {
			t.Fatalf("article: %d", art.status)
		}
		mustContain(t, "hostile article", art.body, "&lt;script&gt;alert(&#39;kb&#39;)&lt;/script&gt;", "[x](javascript:alert(1))", "&lt;img src=x onerror=alert(1)&gt;")
		mustNotContain(t, "hostile article", art.body, "<script>alert", `href="javascript`, "<img src=x")
		art = anon.get(fmt.Sprintf("/kb/a/a/%d", refund.ID))
		mustContain(t, "article", art.body, `<a href="https://tea.example/returns" rel="nofollow noopener noreferrer">退货政策</a>`, `name="helpful" value="yes"`)

		// One vote per browser: the second is not counted, and the page
		// says so; a new browser counts again.
		vote := fmt.Sprintf("/kb/a/a/%d/vote", refund.ID)
		if p := anon.post(vote, url.Values{"helpful": {"yes"}}); p.status != http.StatusSeeOther {
			t.Fatalf("vote: %d %s", p.status, p.body)
		}
		if p := anon.post(vote, url.Values{"helpful": {"no"}}, "HX-Request", "true"); p.status != http.StatusOK || !strings.Contains(p.body, "kb-thanks") {
			t.Fatalf("second vote: %d %s", p.status, p.body)
		}
		mustContain(t, "article after voting", anon.get(fmt.Sprintf("/kb/a/a/%d", refund.ID)).body, "kb-voted")
		if p := e.client(t).post(vote, url.Values{"helpful": {"no"}}); p.status != http.StatusSeeOther {
			t.Fatalf("another browser's vote: %d", p.status)
		}
		if p := e.client(t).post(vote, url.Values{"helpful": {"yes"}}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"); p.status != http.StatusForbidden {
			t.Errorf("cross-origin vote: %d", p.status)
		}
		if p := anon.post(fmt.Sprintf("/kb/a/a/%d/vote", draft.ID), url.Values{"helpful": {"yes"}}); p.status != http.StatusNotFound {
			t.Errorf("vote on a draft: %d", p.status)
		}
		got, err := svc.Article(ctx, e.shopA.ID, refund.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Helpful != 1 || got.Unhelpful != 1 || got.Views < 2 {
			t.Errorf("after votes: helpful %d, unhelpful %d, views %d", got.Helpful, got.Unhelpful, got.Views)
		}

		// Staff: the list shows drafts with votes and the helpful share.
		alice := e.client(t)
		alice.signIn("alice")
		list := alice.get("/s/a/kb")
		mustContain(t, "staff list", list.body, draft.Title, refund.Title, "50%", `id="kb-new"`)
		mustContain(t, "staff search", alice.get("/s/a/kb?q="+url.QueryEscape("运费")).body, draft.Title)

		// Suggestions while typing: published only, HTML or JSON.
		sug := alice.get("/s/a/kb/suggest?q="+url.QueryEscape("您好，我想退货，请问怎么操作"), "HX-Request", "true")
		mustContain(t, "suggest", sug.body, refund.Title, fmt.Sprintf(`href="/kb/a/a/%d"`, refund.ID))
		mustNotContain(t, "suggest", sug.body, draft.Title, "<html")
		js := alice.get("/s/a/kb/suggest?q=refund", "Accept", "application/json")
		var out struct {
			Suggestions []struct {
				ID    int64
				Title string
				URL   string
			}
		}
		if err := json.Unmarshal([]byte(js.body), &out); err != nil || len(out.Suggestions) != 1 || out.Suggestions[0].ID != english.ID {
			t.Fatalf("suggest JSON: %v %s", err, js.body)
		}

		// Writing: an agent creates and publishes; an analyst may not.
		multi := e.client(t)
		multi.signIn("multi")
		csrf := multi.csrfOn("/s/a/kb/new")
		p := multi.post("/s/a/kb", url.Values{"csrf_token": {csrf}, "title": {"发票怎么开"}, "body": {"下单时填写抬头。"},
			"language": {"zh"}, "category_id": {fmt.Sprint(cat.ID)}, "published": {"1"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("agent creates: %d %s", p.status, p.body)
		}
		mustContain(t, "public after create", anon.get("/kb/a?q="+url.QueryEscape("发票")).body, "发票怎么开")
		edit := multi.get(p.header.Get("Location"))
		mustContain(t, "editor", edit.body, `name="version" value="1"`, "kb-saved")
		var id int64
		fmt.Sscanf(strings.TrimPrefix(p.header.Get("Location"), "/s/a/kb/"), "%d", &id)
		stale := url.Values{"csrf_token": {csrf}, "title": {"发票"}, "body": {""}, "language": {"zh"}, "version": {"7"}}
		if p := multi.post(fmt.Sprintf("/s/a/kb/%d", id), stale); p.status != http.StatusConflict {
			t.Errorf("stale edit: %d", p.status)
		}
		ann := e.client(t)
		ann.signIn("ann")
		acsrf := ann.csrfOn("/s/a/kb")
		if p := ann.post("/s/a/kb", url.Values{"csrf_token": {acsrf}, "title": {"x"}, "language": {"zh"}}); p.status != http.StatusForbidden {
			t.Errorf("analyst creates: %d", p.status)
		}
		view := ann.get(fmt.Sprintf("/s/a/kb/%d", hostile.ID))
		mustContain(t, "analyst reads", view.body, "&lt;script&gt;")
		mustNotContain(t, "analyst reads", view.body, `id="kb-form"`, "<script>alert")
		// Shop b's admin does not see shop a's article under shop b.
		bob := e.client(t)
		bob.signIn("bob")
		if p := bob.get(fmt.Sprintf("/s/b/kb/%d", draft.ID+100)); p.status != http.StatusNotFound {
			t.Errorf("bob, missing article: %d", p.status)
		}
	})
}

package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

func TestUI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		t.Run("SignIn", func(t *testing.T) { testSignIn(t, e) })
		t.Run("Lockout", func(t *testing.T) { testLockout(t, e) })
		t.Run("Dashboard", func(t *testing.T) { testDashboard(t, e) })
		t.Run("Dashboards", func(t *testing.T) { testDashboards(t, e) })
		t.Run("Edit", func(t *testing.T) { testEdit(t, e) })
		t.Run("CSRF", func(t *testing.T) { testCSRF(t, e) })
		t.Run("Search", func(t *testing.T) { testSearch(t, e) })
		t.Run("CustomerPage", func(t *testing.T) { testCustomerPage(t, e) })
		t.Run("ShopIsolation", func(t *testing.T) { testShopIsolation(t, e) })
		t.Run("Masking", func(t *testing.T) { testMasking(t, e) })
		t.Run("Escaping", func(t *testing.T) { testEscaping(t, e) })
		t.Run("Locale", func(t *testing.T) { testLocale(t, e) })
		t.Run("Headers", func(t *testing.T) { testHeaders(t, e) })
	})
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: missing %q", what, w)
		}
	}
}

func mustNotContain(t *testing.T, what, body string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(body, b) {
			t.Errorf("%s: has %q", what, b)
		}
	}
}

func testSignIn(t *testing.T, e *env) {
	c := e.client(t)

	// Not signed in: shop pages send you to the sign-in page and back.
	p := c.get("/s/a/customers?q=%E7%8E%8B")
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next=%2Fs%2Fa%2Fcustomers%3Fq%3D%25E7%258E%258B" {
		t.Fatalf("signed out: %d %q", p.status, p.header.Get("Location"))
	}
	// htmx requests are told to load the sign-in page whole.
	p = c.get("/s/a/customers?q=x", "HX-Request", "true", "HX-Target", "results")
	if p.status != http.StatusUnauthorized || !strings.HasPrefix(p.header.Get("HX-Redirect"), "/login?next=") {
		t.Errorf("signed-out htmx: %d %q", p.status, p.header.Get("HX-Redirect"))
	}

	p = c.get("/login")
	if p.status != http.StatusOK {
		t.Fatalf("GET /login: %d", p.status)
	}
	mustContain(t, "login page", p.body, `name="username"`, `name="password"`, `type="password"`, "登录")

	// Wrong password and unknown user get the same message, and no session.
	for _, form := range []url.Values{
		{"username": {"alice"}, "password": {"wrong password"}},
		{"username": {"nobody"}, "password": {password}},
	} {
		p = c.post("/login", form)
		if p.status != http.StatusUnauthorized {
			t.Errorf("bad sign-in %v: status %d", form["username"], p.status)
		}
		mustContain(t, "bad sign-in", p.body, "用户名或密码不正确。")
		if sc := p.header.Get("Set-Cookie"); sc != "" {
			t.Errorf("bad sign-in set a cookie: %s", sc)
		}
	}

	// A login form posted from another site is refused.
	p = c.post("/login", url.Values{"username": {"alice"}, "password": {password}}, "Sec-Fetch-Site", "cross-site")
	if p.status != http.StatusForbidden {
		t.Errorf("cross-site sign-in: status %d, want 403", p.status)
	}
	p = c.post("/login", url.Values{"username": {"alice"}, "password": {password}}, "Origin", "https://evil.example")
	if p.status != http.StatusForbidden {
		t.Errorf("cross-origin sign-in: status %d, want 403", p.status)
	}

	// Sign in: the cookie's attributes, then on to the only shop.
	p = c.post("/login", url.Values{"username": {"alice"}, "password": {password}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/" {
		t.Fatalf("sign in: %d %q", p.status, p.header.Get("Location"))
	}
	sc := p.header.Get("Set-Cookie")
	for _, attr := range []string{"guanxi_session=", "Path=/", "HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(sc, attr) {
			t.Errorf("session cookie %q lacks %s", sc, attr)
		}
	}
	if strings.Contains(sc, "Secure") {
		t.Errorf("session cookie %q is Secure without SecureCookies", sc)
	}
	if p = c.get("/"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/s/a/customers" {
		t.Errorf("home of a one-shop user: %d %q", p.status, p.header.Get("Location"))
	}
	if p = c.get("/s/a/"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/s/a/customers" {
		t.Errorf("shop home: %d %q", p.status, p.header.Get("Location"))
	}

	// next= is followed when it is local, and only then.
	for next, want := range map[string]string{
		"/s/a/customers?q=1":   "/s/a/customers?q=1",
		"//evil.example/x":     "/",
		"https://evil.example": "/",
		"/\\evil.example":      "/",
	} {
		c2 := e.client(t)
		p = c2.post("/login", url.Values{"username": {"alice"}, "password": {password}, "next": {next}})
		if got := p.header.Get("Location"); got != want {
			t.Errorf("next=%q: redirected to %q, want %q", next, got, want)
		}
	}

	// A user of several shops chooses one.
	m := e.client(t)
	if loc := m.signIn("multi"); loc != "/" {
		t.Errorf("multi signed in to %q", loc)
	}
	p = m.get("/")
	if p.status != http.StatusOK {
		t.Fatalf("shop chooser: %d", p.status)
	}
	mustContain(t, "shop chooser", p.body, `href="/s/a/customers"`, `href="/s/b/customers"`, "西湖茶庄", "中原百货")
	// and switches between them from the header.
	p = m.get("/s/b/customers")
	mustContain(t, "shop switcher", p.body, `href="/s/a/customers"`, "中原百货")

	// Sign out ends the session on the server too.
	token := c.csrf()
	p = c.post("/logout", url.Values{"csrf_token": {token}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login" {
		t.Errorf("sign out: %d %q", p.status, p.header.Get("Location"))
	}
	if p = c.get("/s/a/customers"); p.status != http.StatusSeeOther {
		t.Errorf("after sign-out: status %d, want a redirect to sign in", p.status)
	}
}

func testCSRF(t *testing.T, e *env) {
	c := e.client(t)
	c.signIn("alice")
	token := c.csrf()
	for _, tc := range []struct {
		name string
		form url.Values
	}{
		{"missing", url.Values{"locale": {"en"}}},
		{"wrong", url.Values{"locale": {"en"}, "csrf_token": {"x" + token}}},
	} {
		if p := c.post("/settings/locale", tc.form); p.status != http.StatusForbidden {
			t.Errorf("locale with %s CSRF token: status %d, want 403", tc.name, p.status)
		}
		if p := c.post("/logout", tc.form); p.status != http.StatusForbidden {
			t.Errorf("logout with %s CSRF token: status %d, want 403", tc.name, p.status)
		}
	}
	// Still signed in, still in Chinese.
	p := c.get("/s/a/customers")
	if p.status != http.StatusOK {
		t.Fatalf("after refused posts: %d", p.status)
	}
	mustContain(t, "after refused posts", p.body, `<html lang="zh-CN">`)
	// The header form works too (for htmx requests).
	if p := c.post("/settings/locale", url.Values{"locale": {"zh-CN"}, "next": {"/s/a/customers"}}, "X-CSRF-Token", token); p.status != http.StatusSeeOther {
		t.Errorf("locale with the CSRF header: status %d", p.status)
	}
}

func testSearch(t *testing.T, e *env) {
	c := e.client(t)
	c.signIn("alice")
	wang := e.customerID(t, e.shopA, "王芳")
	link := fmt.Sprintf(`href="/s/a/customers/%d"`, wang)
	for _, q := range []string{
		"王",                     // name prefix
		"王芳",                    // whole name
		"13812345678",           // phone as stored
		"+86 138 1234 5678",     // phone, other spellings
		"138-1234-5678",         // …
		"0086 13812345678",      // …
		"wang.fang@example.com", // e-mail, case ignored
		"WANG.FANG@EXAMPLE.COM",
		"C1",                    // platform customer id
		fmt.Sprintf("%d", wang), // Guanxi customer number
	} {
		p := c.get("/s/a/customers?q=" + url.QueryEscape(q))
		if p.status != http.StatusOK {
			t.Fatalf("search %q: status %d", q, p.status)
		}
		if !strings.Contains(p.body, link) {
			t.Errorf("search %q did not find 王芳", q)
		}
		if strings.Contains(p.body, "李雷") {
			t.Errorf("search %q also found 李雷", q)
		}
	}
	// A buyer nick (Taobao), by prefix.
	sun := e.customerID(t, e.shopA, "孙丽")
	for _, q := range []string{"tb_lucky_cat", "tb_lucky"} {
		p := c.get("/s/a/customers?q=" + url.QueryEscape(q))
		mustContain(t, "search "+q, p.body, fmt.Sprintf(`href="/s/a/customers/%d"`, sun))
	}
	// Neither a phone suffix nor a name infix matches; nothing leaks from shop b.
	for _, q := range []string{"5678", "芳", "周杰伦", "13600003333"} {
		p := c.get("/s/a/customers?q=" + url.QueryEscape(q))
		mustContain(t, "search "+q, p.body, "没有找到")
		mustNotContain(t, "search "+q, p.body, `<tbody>`)
	}
	// The whole list, most recent buyer first.
	p := c.get("/s/a/customers")
	mustContain(t, "list", p.body, "共 7 位客户", "王芳", "李雷", "钱七", "¥", `hx-get="/s/a/customers"`, `hx-target="#results"`)
	if i, j := strings.Index(p.body, "王芳"), strings.Index(p.body, "李雷"); i < 0 || j < 0 || i > j {
		t.Errorf("王芳 (last bought May) should come before 李雷 (April)")
	}
	// htmx asks for the results alone.
	p = c.get("/s/a/customers?q=%E6%9D%8E", "HX-Request", "true", "HX-Target", "results")
	if p.status != http.StatusOK || strings.Contains(p.body, "<html") || !strings.Contains(p.body, "李雷") {
		t.Errorf("htmx search: status %d, fragment %.200q", p.status, p.body)
	}
	// A history restore wants the page.
	p = c.get("/s/a/customers?q=%E6%9D%8E", "HX-Request", "true", "HX-Target", "results", "HX-History-Restore-Request", "true")
	mustContain(t, "history restore", p.body, "<html")
}

func testCustomerPage(t *testing.T, e *env) {
	c := e.client(t)
	c.signIn("alice")
	wang := e.customerID(t, e.shopA, "王芳")
	p := c.get(fmt.Sprintf("/s/a/customers/%d", wang))
	if p.status != http.StatusOK {
		t.Fatalf("customer page: %d", p.status)
	}
	mustContain(t, "customer page", p.body,
		"<h1>王芳</h1>", "13812345678", "wang.fang@example.com", "浙江省", "杭州市",
		`id="orders"`, "A1001", "A1002", "西湖龙井 250g", "青瓷茶杯", "碧螺春 100g",
		"2 × ¥168.00", "¥395.00", // A1001: 2×168 + 59
		"部分退款", "¥20.00",
		"2025-03-01 10:15",    // shop time
		"¥473.50",             // total spent: 395 + 98.50 - 20
		"¥236.75",             // average
		"客户 ID", "C1", "通用导入", // identities: the platform customer id
	)
	p = c.get(fmt.Sprintf("/s/a/customers/%d", e.customerID(t, e.shopA, "孙丽")))
	mustContain(t, "孙丽's page", p.body, "买家昵称", "tb_lucky_cat", "淘宝", "2847561039284756000", "羊毛围巾 灰色")
	p = c.get(fmt.Sprintf("/s/a/customers/%d", wang))
	// Newest order first.
	if i, j := strings.Index(p.body, "A1002"), strings.Index(p.body, "A1001"); i > j {
		t.Errorf("orders not newest first")
	}
	// 钱七 was two customers until an order tied them: the merged one's
	// page leads to the survivor.
	var merged, survivor int64
	if err := e.db.QueryRow(t.Context(), `SELECT id, merged_into FROM customers WHERE shop_id = ? AND merged_into IS NOT NULL`, e.shopA.ID).Scan(&merged, &survivor); err != nil {
		t.Fatalf("no merged customer in the fixture: %v", err)
	}
	p = c.get(fmt.Sprintf("/s/a/customers/%d", merged))
	if p.status != http.StatusFound || p.header.Get("Location") != fmt.Sprintf("/s/a/customers/%d", survivor) {
		t.Errorf("merged customer: %d %q, want a redirect to %d", p.status, p.header.Get("Location"), survivor)
	}
	for _, path := range []string{"/s/a/customers/999999", "/s/a/customers/abc", "/s/a/customers/-1"} {
		if p := c.get(path); p.status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, p.status)
		}
	}
}

func testShopIsolation(t *testing.T, e *env) {
	c := e.client(t)
	c.signIn("alice") // admin of a only
	zhou := e.customerID(t, e.shopB, "周杰伦")
	var inA int
	if err := e.db.QueryRow(t.Context(), `SELECT COUNT(*) FROM customers WHERE shop_id = ? AND id = ?`, e.shopA.ID, zhou).Scan(&inA); err != nil || inA != 0 {
		t.Fatalf("fixture: shop a must not have a customer %d (%v)", zhou, err)
	}
	for _, path := range []string{"/s/b/customers", "/s/b/customers?q=%E5%91%A8", fmt.Sprintf("/s/b/customers/%d", zhou), "/s/b/"} {
		p := c.get(path)
		if p.status != http.StatusForbidden {
			t.Errorf("alice GET %s: status %d, want 403", path, p.status)
		}
		mustNotContain(t, path, p.body, "周杰伦", "中原百货", "13600003333")
	}
	// A shop that does not exist looks the same as one she may not see.
	no := c.get("/s/nosuchshop/customers")
	yes := c.get("/s/b/customers")
	if no.status != yes.status || strings.ReplaceAll(no.body, "nosuchshop", "b") != yes.body {
		t.Errorf("a missing shop (%d) and a forbidden one (%d) answer differently", no.status, yes.status)
	}
	// Shop b's customer under shop a's URL is not found.
	p := c.get(fmt.Sprintf("/s/a/customers/%d", zhou))
	if p.status != http.StatusNotFound {
		t.Errorf("shop b's customer under /s/a: status %d, want 404", p.status)
	}
	mustNotContain(t, "shop b's customer under /s/a", p.body, "周杰伦", "13600003333")
	// Bob, of shop b, sees his own customer and nothing of a.
	b := e.client(t)
	b.signIn("bob")
	p = b.get(fmt.Sprintf("/s/b/customers/%d", zhou))
	mustContain(t, "bob's customer", p.body, "周杰伦", "13600003333")
	if p := b.get("/s/a/customers"); p.status != http.StatusForbidden {
		t.Errorf("bob GET /s/a/customers: %d", p.status)
	}
}

func testMasking(t *testing.T, e *env) {
	wang := e.customerID(t, e.shopA, "王芳")
	admin, analyst := e.client(t), e.client(t)
	admin.signIn("alice")
	analyst.signIn("ann")
	for _, path := range []string{"/s/a/customers?q=%E7%8E%8B", fmt.Sprintf("/s/a/customers/%d", wang)} {
		p := admin.get(path)
		mustContain(t, "admin "+path, p.body, "13812345678")
		mustNotContain(t, "admin "+path, p.body, "138****5678")
		p = analyst.get(path)
		mustContain(t, "analyst "+path, p.body, "138****5678")
		mustNotContain(t, "analyst "+path, p.body, "13812345678", "wang.fang@example.com")
	}
	p := analyst.get(fmt.Sprintf("/s/a/customers/%d", wang))
	mustContain(t, "analyst customer page", p.body, "w***@example.com", "数据分析师")
	// Address is contact data too.
	sun := e.customerID(t, e.shopA, "孙丽")
	p = analyst.get(fmt.Sprintf("/s/a/customers/%d", sun))
	mustNotContain(t, "analyst address", p.body, "文三路")
	p = admin.get(fmt.Sprintf("/s/a/customers/%d", sun))
	mustContain(t, "admin address", p.body, "文三路")
}

func testEscaping(t *testing.T, e *env) {
	c := e.client(t)
	c.signIn("alice")
	hostile := []string{"<script>alert(1)</script>", `"><img src=x onerror=alert(1)>`}
	escaped := []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"}
	pages := []string{"/s/a/customers", "/s/a/customers?q=" + url.QueryEscape(hostile[0]), "/s/a/customers?q=" + url.QueryEscape(hostile[1])}
	for _, name := range hostile {
		pages = append(pages, fmt.Sprintf("/s/a/customers/%d", e.customerID(t, e.shopA, name)))
	}
	for _, path := range pages {
		p := c.get(path)
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d", path, p.status)
		}
		mustNotContain(t, path, p.body, hostile...)
		mustNotContain(t, path, p.body, "<img", "<script>")
	}
	list := c.get("/s/a/customers")
	mustContain(t, "list", list.body, escaped...)
	p := c.get(fmt.Sprintf("/s/a/customers/%d", e.customerID(t, e.shopA, hostile[0])))
	mustContain(t, "customer page", p.body, escaped[0])
}

func testLocale(t *testing.T, e *env) {
	c := e.client(t)
	c.signIn("alice")
	token := c.csrf()
	p := c.post("/settings/locale", url.Values{"csrf_token": {token}, "locale": {"en"}, "next": {"/s/a/customers?q=x"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/s/a/customers?q=x" {
		t.Fatalf("switch to English: %d %q", p.status, p.header.Get("Location"))
	}
	p = c.get("/s/a/customers")
	mustContain(t, "English list", p.body, `<html lang="en">`, "Customers", "Search customers", "Total spent", "Last purchase")
	if p = c.post("/settings/locale", url.Values{"csrf_token": {token}, "locale": {"fr"}}); p.status != http.StatusBadRequest {
		t.Errorf("unknown locale: %d", p.status)
	}
	p = c.post("/settings/locale", url.Values{"csrf_token": {token}, "locale": {"zh-CN"}, "next": {"https://evil.example/"}})
	if p.header.Get("Location") != "/" {
		t.Errorf("locale next to another site: %q", p.header.Get("Location"))
	}
	p = c.get("/s/a/customers")
	mustContain(t, "Chinese list", p.body, `<html lang="zh-CN">`, "搜索客户")
	// The sign-in page follows the browser, or ?lang=.
	anon := e.client(t)
	mustContain(t, "English sign-in", anon.get("/login", "Accept-Language", "en-US,en;q=0.9").body, "Sign in to Guanxi")
	mustContain(t, "sign-in ?lang=en", anon.get("/login?lang=en").body, "Sign in to Guanxi")
	mustContain(t, "Chinese sign-in", anon.get("/login", "Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8").body, "登录关系 CRM")
}

func testHeaders(t *testing.T, e *env) {
	c := e.client(t)
	c.signIn("alice")
	for _, path := range []string{"/login", "/s/a/customers", "/s/b/customers"} {
		p := c.get(path)
		csp := p.header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %s", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q allows unsafe sources", path, csp)
		}
		if p.header.Get("X-Content-Type-Options") != "nosniff" || p.header.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", path, p.header)
		}
	}
	p := c.get("/s/a/customers")
	if cc := p.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("customer list Cache-Control %q", cc)
	}
	// Pages use no inline script or style, which the CSP would block.
	mustNotContain(t, "list", p.body, "<script>", "style=", "<style", " onclick=")
	// Static files, with the versioned URL the page uses.
	for _, m := range []string{"app.css", "vendor/htmx-2.0.11.min.js"} {
		i := strings.Index(p.body, "/static/"+m+"?v=")
		if i < 0 {
			t.Fatalf("page does not link %s", m)
		}
		ref := p.body[i:]
		ref = ref[:strings.IndexByte(ref, '"')]
		s := c.get(ref)
		if s.status != http.StatusOK || !strings.Contains(s.header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: %d %q", ref, s.status, s.header.Get("Cache-Control"))
		}
	}
	for _, path := range []string{"/static/", "/static/vendor/", "/static/nope.js", "/static/vendor/README.md"} {
		if s := c.get(path); s.status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, s.status)
		}
	}
	if s := c.get("/static/../go.mod"); s.status == http.StatusOK {
		t.Errorf("/static/../go.mod served")
	}
}

// Repeated wrong passwords lock the account: even the right password is
// then refused with 429, a Retry-After and a message saying how long.
func testLockout(t *testing.T, e *env) {
	if _, err := e.auth.CreateUser(context.Background(), "locky", "", password); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	for i := range auth.DefaultThrottle.UserFailures {
		if p := c.post("/login", url.Values{"username": {"locky"}, "password": {fmt.Sprintf("guess %d", i)}}); p.status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, p.status)
		}
	}
	p := c.post("/login", url.Values{"username": {"locky"}, "password": {password}})
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
		t.Fatalf("right password while locked: %d, Retry-After %q", p.status, p.header.Get("Retry-After"))
	}
	mustContain(t, "locked sign-in page", p.body, "登录失败次数过多", "分钟后再试")
}

// The shop overview carries its charts' numbers, as JSON for the script and
// as tables; another shop's user is refused.
func testDashboard(t *testing.T, e *env) {
	c := e.client(t)
	c.signIn("alice")
	p := c.get("/s/a/dashboard")
	if p.status != http.StatusOK {
		t.Fatalf("dashboard: %d\n%s", p.status, p.body)
	}
	mustContain(t, "dashboard", p.body, `id="chart-data"`, `"months":["`, `"repeat_months":[`, `"pareto":[[0,0]`, "echarts-6.1.0.min", "店铺概览", "月度销售")
	csv := c.get("/s/a/dashboard/monthly.csv")
	if csv.status != http.StatusOK || !strings.HasPrefix(csv.body, "\uFEFFmonth,revenue,orders,customers,aov\n") ||
		!strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") || strings.Count(csv.body, "\n") < 2 {
		t.Errorf("monthly.csv: %d %q\n%.300s", csv.status, csv.header.Get("Content-Type"), csv.body)
	}
	for _, chart := range []string{"segments.csv", "lifecycle.csv", "pareto.csv"} {
		if p := c.get("/s/a/dashboard/" + chart); p.status != http.StatusOK || strings.Count(p.body, "\n") < 2 {
			t.Errorf("%s: %d\n%.200s", chart, p.status, p.body)
		}
	}
	if p := c.get("/s/a/dashboard/secrets.csv"); p.status != http.StatusNotFound {
		t.Errorf("unknown chart: %d", p.status)
	}
	b := e.client(t)
	b.signIn("bob")
	if p := b.get("/s/a/dashboard"); p.status != http.StatusForbidden {
		t.Errorf("shop b's admin on shop a's dashboard: %d", p.status)
	}
	if p := b.get("/s/a/dashboard/monthly.csv"); p.status != http.StatusForbidden {
		t.Errorf("shop b's admin on shop a's CSV: %d", p.status)
	}
}

var versionRe = regexp.MustCompile(`name="version" value="(\d+)"`)

// An edit is saved and shown; an edit made on an older version is refused
// with 409 and changes nothing; analysts may not edit; tags are escaped.
func testEdit(t *testing.T, e *env) {
	id := e.customerID(t, e.shopA, "李雷")
	path := fmt.Sprintf("/s/a/customers/%d", id)
	c := e.client(t)
	c.signIn("alice")
	page := c.get(path)
	m := versionRe.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no edit form for an admin:\n%s", page.body)
	}
	form := func(version, tags string) url.Values {
		return url.Values{"csrf_token": {c.csrf()}, "version": {version}, "name": {"李雷"}, "gender": {"m"},
			"birthday": {"1990-05-17"}, "province": {"广东省"}, "city": {"深圳市"}, "tags": {tags}}
	}
	p := c.post(path, form(m[1], "VIP，老客户, <script>x</script>"))
	if p.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", p.status, p.body)
	}
	after := c.get(p.header.Get("Location"))
	mustContain(t, "after the edit", after.body, "已保存", "<li>VIP</li>", "<li>老客户</li>", "1990-05-17", "&lt;script&gt;x&lt;/script&gt;")
	mustNotContain(t, "after the edit", after.body, "<script>x</script>")
	// The same form again, on the version it was made on: someone else's
	// change (ours) came first.
	if p := c.post(path, form(m[1], "overwritten")); p.status != http.StatusConflict {
		t.Errorf("stale edit: %d, want 409", p.status)
	}
	if again := c.get(path); strings.Contains(again.body, "overwritten") || !strings.Contains(again.body, "<li>VIP</li>") {
		t.Error("the stale edit changed the customer")
	}
	// Analysts read; they may not edit.
	a := e.client(t)
	a.signIn("ann")
	if pg := a.get(path); versionRe.MatchString(pg.body) {
		t.Error("an analyst is shown the edit form")
	}
	if p := a.post(path, url.Values{"csrf_token": {a.csrf()}, "version": {"99"}, "name": {"x"}}); p.status != http.StatusForbidden {
		t.Errorf("analyst edit: %d, want 403", p.status)
	}
}

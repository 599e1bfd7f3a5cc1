package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

func TestAccounts(t *testing.T) {
	storetestEngines(t, func(t *testing.T, e *env) {
		t.Run("TOTP", func(t *testing.T) { testTOTP(t, e) })
		t.Run("Reveal", func(t *testing.T) { testReveal(t, e) })
		t.Run("Notes", func(t *testing.T) { testNotes(t, e) })
		t.Run("AuditLog", func(t *testing.T) { testAuditLog(t, e) })
		t.Run("Members", func(t *testing.T) { testMembers(t, e) })
	})
}

var secretRe = regexp.MustCompile(`<input type="hidden" name="secret" value="([A-Z2-7]+)">`)

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testTOTP(t *testing.T, e *env) {
	ctx := context.Background()
	u, err := e.auth.CreateUser(ctx, "tina", "", password)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.auth.Grant(ctx, u.ID, e.shopA.ID, auth.RoleCare); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.signIn("tina")
	p := c.get("/settings/security")
	m := secretRe.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil {
		t.Fatalf("security page %d: no secret\n%s", p.status, p.body)
	}
	mustContain(t, "security page", p.body, `src="data:image/png;base64,`)
	secret, csrf := m[1], c.csrf()
	// A wrong code keeps it off and shows the same secret again.
	p = c.post("/settings/totp", url.Values{"csrf_token": {csrf}, "password": {password}, "secret": {secret}, "code": {"000000"}})
	if p.status != http.StatusUnprocessableEntity || !secretRe.MatchString(p.body) || secretRe.FindStringSubmatch(p.body)[1] != secret {
		t.Fatalf("wrong code: %d", p.status)
	}
	// No CSRF token, no change.
	if p = c.post("/settings/totp", url.Values{"secret": {secret}, "code": {totpCode(t, secret, time.Now())}}); p.status != http.StatusForbidden {
		t.Fatalf("enable without CSRF: %d", p.status)
	}
	if p = c.post("/settings/totp", url.Values{"csrf_token": {csrf}, "password": {password}, "secret": {secret}, "code": {totpCode(t, secret, time.Now())}}); p.status != http.StatusSeeOther {
		t.Fatalf("enable: %d\n%s", p.status, p.body)
	}

	// Signing in now takes the code too; the half-signed-in browser opens no page.
	b := e.client(t)
	if loc := b.signIn("tina"); loc != "/login/totp" {
		t.Fatalf("after the password: sent to %q", loc)
	}
	if p = b.get("/s/a/customers"); p.status != http.StatusSeeOther {
		t.Fatalf("pending session opened a page: %d", p.status)
	}
	if p = b.get("/login/totp"); p.status != http.StatusOK {
		t.Fatalf("code page: %d", p.status)
	}
	if p = b.post("/login/totp", url.Values{"code": {"123456"}}); p.status != http.StatusUnauthorized {
		t.Fatalf("wrong code: %d", p.status)
	}
	// The code used to enable it is spent; the next step's code works.
	next := totpCode(t, secret, time.Now().Add(30*time.Second))
	if p = b.post("/login/totp", url.Values{"code": {next[:3] + " " + next[3:]}, "next": {"/s/a/customers"}}); p.status != http.StatusSeeOther || p.header.Get("Location") != "/s/a/customers" {
		t.Fatalf("right code: %d %q\n%s", p.status, p.header.Get("Location"), p.body)
	}
	if p = b.get("/s/a/customers"); p.status != http.StatusOK {
		t.Fatalf("signed in with the code: %d", p.status)
	}
	// A browser that never passed the password has nothing to enter a code for.
	if p = e.client(t).post("/login/totp", url.Values{"code": {next}}); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login" {
		t.Fatalf("code without a password: %d %q", p.status, p.header.Get("Location"))
	}
	if err := e.auth.ResetTOTP(ctx, "tina"); err != nil {
		t.Fatal(err)
	}
}

func auditEntries(t *testing.T, e *env, shopID int64, action string) []audit.Entry {
	t.Helper()
	es, err := audit.NewService(e.db, nil).List(context.Background(), shopID, audit.Filter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func testReveal(t *testing.T, e *env) {
	wang := e.customerID(t, e.shopA, "王芳")
	path := fmt.Sprintf("/s/a/customers/%d", wang)
	agent := e.client(t)
	agent.signIn("multi")
	p := agent.get(path)
	mustContain(t, "agent page", p.body, "138****5678", `id="reveal"`)
	mustNotContain(t, "agent page", p.body, "13812345678")
	before := len(auditEntries(t, e, e.shopA.ID, "customer.reveal"))
	csrf := agent.csrf()
	p = agent.post(path+"/reveal", url.Values{"csrf_token": {csrf}, "reason": {"客户来电要求回拨"}})
	if p.status != http.StatusOK {
		t.Fatalf("reveal: %d", p.status)
	}
	mustContain(t, "revealed page", p.body, "13812345678", "wang.fang@example.com", `id="revealed"`)
	if p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("revealed page is cacheable: %q", p.header.Get("Cache-Control"))
	}
	es := auditEntries(t, e, e.shopA.ID, "customer.reveal")
	if len(es) != before+1 || es[0].Actor != "user:multi" || es[0].ObjectID != fmt.Sprint(wang) {
		t.Fatalf("reveal not audited: %+v", es)
	}
	mustContain(t, "audit detail", string(es[0].Detail), "phone", "客户来电要求回拨")
	mustNotContain(t, "audit detail", string(es[0].Detail), "13812345678")
	// The next page view is masked again.
	mustNotContain(t, "after reveal", agent.get(path).body, "13812345678")

	// Analysts may not reveal, GET does not reveal, and shop b's customer
	// cannot be revealed from shop a's URL.
	analyst := e.client(t)
	analyst.signIn("ann")
	if p = analyst.post(path+"/reveal", url.Values{"csrf_token": {analyst.csrf()}}); p.status != http.StatusForbidden {
		t.Fatalf("analyst reveal: %d", p.status)
	}
	if p = agent.get(path + "/reveal"); p.status != http.StatusMethodNotAllowed {
		t.Fatalf("GET reveal: %d", p.status)
	}
	if p = agent.post(path+"/reveal", url.Values{}); p.status != http.StatusForbidden {
		t.Fatalf("reveal without CSRF: %d", p.status)
	}
	// A customer id shop b has and shop a has not, if the shops' ids differ.
	var other int64
	_ = e.db.QueryRow(context.Background(), `SELECT COALESCE(MAX(id), 0) FROM customers WHERE shop_id = ? AND id NOT IN (SELECT id FROM customers WHERE shop_id = ?)`,
		e.shopB.ID, e.shopA.ID).Scan(&other)
	if other == 0 {
		_ = e.db.QueryRow(context.Background(), `SELECT MAX(id) + 1000 FROM customers WHERE shop_id = ?`, e.shopA.ID).Scan(&other)
	}
	if p = agent.post(fmt.Sprintf("/s/a/customers/%d/reveal", other), url.Values{"csrf_token": {csrf}}); p.status != http.StatusNotFound {
		t.Fatalf("reveal a customer shop a does not have: %d", p.status)
	}
}

func testNotes(t *testing.T, e *env) {
	li := e.customerID(t, e.shopA, "王芳")
	path := fmt.Sprintf("/s/a/customers/%d", li)
	admin := e.client(t)
	admin.signIn("alice")
	csrf := admin.csrf()
	hostile := `<script>alert("note")</script>`
	p := admin.post(path+"/notes", url.Values{"csrf_token": {csrf}, "note": {"客户偏好顺丰 " + hostile}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("add note: %d\n%s", p.status, p.body)
	}
	p = admin.get(path)
	mustContain(t, "timeline", p.body, `id="timeline"`, "客户偏好顺丰 &lt;script&gt;", "Alice")
	mustNotContain(t, "timeline", p.body, hostile)
	if p = admin.post(path+"/notes", url.Values{"csrf_token": {csrf}, "note": {"   "}}); p.status != http.StatusBadRequest {
		t.Fatalf("empty note: %d", p.status)
	}
	analyst := e.client(t)
	analyst.signIn("ann")
	if p = analyst.post(path+"/notes", url.Values{"csrf_token": {analyst.csrf()}, "note": {"x"}}); p.status != http.StatusForbidden {
		t.Fatalf("analyst note: %d", p.status)
	}
	if n := len(auditEntries(t, e, e.shopA.ID, "customer.note")); n != 1 {
		t.Fatalf("%d note audit entries, want 1", n)
	}
}

func testAuditLog(t *testing.T, e *env) {
	admin := e.client(t)
	admin.signIn("alice")
	p := admin.get("/s/a/audit")
	if p.status != http.StatusOK {
		t.Fatalf("audit page: %d", p.status)
	}
	mustContain(t, "audit page", p.body, `id="audit"`, "user:multi")
	p = admin.get("/s/a/audit?action=customer.note")
	mustContain(t, "filtered", p.body, "user:alice")
	mustNotContain(t, "filtered", p.body, "user:multi")
	for _, who := range []string{"ann", "multi", "bob"} {
		c := e.client(t)
		c.signIn(who)
		if p := c.get("/s/a/audit"); p.status != http.StatusForbidden {
			t.Errorf("%s reads shop a's audit log: %d", who, p.status)
		}
	}
	bob := e.client(t)
	bob.signIn("bob")
	p = bob.get("/s/b/audit")
	if p.status != http.StatusOK {
		t.Fatalf("bob's own audit log: %d", p.status)
	}
	mustNotContain(t, "shop b's log", p.body, "user:multi", "user:alice")
}

func testMembers(t *testing.T, e *env) {
	admin := e.client(t)
	admin.signIn("alice")
	p := admin.get("/s/a/members")
	if p.status != http.StatusOK {
		t.Fatalf("members page: %d", p.status)
	}
	mustContain(t, "members", p.body, "ann", "multi")
	csrf := admin.csrf()
	post := func(c *client, csrf string, f url.Values) page {
		f.Set("csrf_token", csrf)
		return c.post("/s/a/members", f)
	}
	if p = post(admin, csrf, url.Values{"op": {"team_create"}, "name": {"售后组"}}); p.status != http.StatusSeeOther {
		t.Fatalf("create team: %d\n%s", p.status, p.body)
	}
	teams, _ := e.auth.Teams(context.Background(), e.shopA.ID)
	if len(teams) != 1 {
		t.Fatalf("teams %+v", teams)
	}
	multi, _ := e.auth.ByUsername(context.Background(), "multi")
	if p = post(admin, csrf, url.Values{"op": {"team_add"}, "team": {fmt.Sprint(teams[0].ID)}, "user": {fmt.Sprint(multi.ID)}}); p.status != http.StatusSeeOther {
		t.Fatalf("team add: %d", p.status)
	}
	mustContain(t, "members with team", admin.get("/s/a/members").body, "售后组")
	// The last admin cannot demote herself.
	alice, _ := e.auth.ByUsername(context.Background(), "alice")
	if p = post(admin, csrf, url.Values{"op": {"role"}, "user": {fmt.Sprint(alice.ID)}, "role": {"analyst"}}); p.status != http.StatusConflict {
		t.Fatalf("demote the last admin: %d", p.status)
	}
	// Only shop a's admins manage shop a's people.
	for _, who := range []string{"ann", "multi", "bob"} {
		c := e.client(t)
		c.signIn(who)
		if p := c.get("/s/a/members"); p.status != http.StatusForbidden {
			t.Errorf("%s sees shop a's members: %d", who, p.status)
		}
		if p := post(c, c.csrfOn("/"), url.Values{"op": {"role"}, "user": {fmt.Sprint(alice.ID)}, "role": {"analyst"}}); p.status != http.StatusForbidden {
			t.Errorf("%s changes shop a's roles: %d", who, p.status)
		}
	}
	if r, _ := e.auth.RoleIn(context.Background(), alice.ID, e.shopA.ID); r != auth.RoleAdmin {
		t.Fatalf("alice is now %s", r)
	}
	if err := e.auth.DeleteTeam(context.Background(), e.shopA.ID, teams[0].ID); err != nil {
		t.Fatal(err)
	}
}

// storetestEngines runs fn with a fresh env on each engine.
func storetestEngines(t *testing.T, fn func(t *testing.T, e *env)) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) { fn(t, newEnv(t, db)) })
}

// csrfOn returns the CSRF token from the page at path, following one redirect.
func (c *client) csrfOn(path string) string {
	c.t.Helper()
	p := c.get(path)
	if p.status == http.StatusSeeOther || p.status == http.StatusFound {
		p = c.get(p.header.Get("Location"))
	}
	m := csrfRe.FindStringSubmatch(p.body)
	if m == nil {
		c.t.Fatalf("no CSRF token on %s (status %d)", path, p.status)
	}
	return m[1]
}

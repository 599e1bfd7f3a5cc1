package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/ui"
)

// sessionToken returns the session cookie the client holds, "" when none.
func (c *client) sessionToken() string {
	c.t.Helper()
	u, _ := url.Parse(c.base)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == ui.SessionCookie {
			return ck.Value
		}
	}
	return ""
}

// plant puts a session cookie in the client, as an attacker who can set
// cookies for the site (a sibling subdomain, a shared computer) would.
func (c *client) plant(token string) {
	u, _ := url.Parse(c.base)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: ui.SessionCookie, Value: token, Path: "/"}})
}

// withToken is a fresh client holding only the session token.
func (e *env) withToken(t *testing.T, token string) *client {
	c := e.client(t)
	c.plant(token)
	return c
}

// signedIn reports whether the client's session opens a shop page.
func (c *client) signedIn() bool {
	c.t.Helper()
	return c.get("/s/a/customers").status == http.StatusOK
}

// TestSessionFixation: a session id known before sign-in (planted by an
// attacker, made up or one of the attacker's own live sessions) is never
// the one after it; sign-out ends the session on the server, so a copy of
// the old cookie opens nothing; a password change, turning the second
// factor on or off ends the user's other sessions.
func TestSessionFixation(t *testing.T) {
	storetestEngines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		// A made-up id is not taken up: it opens nothing, and signing in
		// issues a new one.
		v := e.client(t)
		v.plant("attacker-chosen-session-id")
		if v.signedIn() {
			t.Fatal("a made-up session id opened a page")
		}
		v.signIn("alice")
		if tok := v.sessionToken(); tok == "" || tok == "attacker-chosen-session-id" {
			t.Fatalf("after sign-in the session cookie is %q", tok)
		}
		if !v.signedIn() {
			t.Fatal("not signed in after sign-in")
		}
		if e.withToken(t, "attacker-chosen-session-id").signedIn() {
			t.Fatal("the planted id opens a page after the victim signed in")
		}

		// The attacker's own live session, planted in the victim's browser:
		// the victim's sign-in replaces and ends it, so the attacker cannot
		// ride the victim's session nor trick them into working in theirs.
		att := e.client(t)
		att.signIn("bob")
		planted := att.sessionToken()
		v2 := e.client(t)
		v2.plant(planted)
		v2.signIn("alice")
		if tok := v2.sessionToken(); tok == planted {
			t.Fatal("the planted session survived the sign-in")
		}
		if e.withToken(t, planted).signedIn() {
			t.Error("the planted token opens a page after the victim's sign-in")
		}
		if p := e.withToken(t, v2.sessionToken()).get("/s/b/customers"); p.status != http.StatusForbidden {
			t.Errorf("the victim's new session is bob's: shop b answered %d", p.status)
		}

		// Sign-out ends the session on the server: a copy of the cookie
		// taken before (a stolen cookie) opens nothing afterwards.
		out := e.client(t)
		out.signIn("alice")
		stolen := out.sessionToken()
		if !e.withToken(t, stolen).signedIn() {
			t.Fatal("the copied cookie does not work before sign-out")
		}
		if p := out.post("/logout", url.Values{"csrf_token": {out.csrf()}}); p.status != http.StatusSeeOther {
			t.Fatalf("sign out: %d", p.status)
		}
		if e.withToken(t, stolen).signedIn() {
			t.Error("the old cookie still opens a page after sign-out")
		}
		if p := e.withToken(t, stolen).post("/settings/locale", url.Values{"locale": {"en"}}); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login") {
			t.Errorf("the old cookie posting after sign-out: %d %q", p.status, p.header.Get("Location"))
		}

		// A password change ends every session of the user.
		u, err := e.auth.CreateUser(ctx, "pat", "", password)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.auth.Grant(ctx, u.ID, e.shopA.ID, auth.RoleCare); err != nil {
			t.Fatal(err)
		}
		p1, p2 := e.client(t), e.client(t)
		p1.signIn("pat")
		p2.signIn("pat")
		if err := e.auth.SetPassword(ctx, "pat", password+"!"); err != nil {
			t.Fatal(err)
		}
		if p1.signedIn() || p2.signedIn() {
			t.Error("a session outlived the password change")
		}
		if err := e.auth.SetPassword(ctx, "pat", password); err != nil {
			t.Fatal(err)
		}

		// Turning the second factor on ends the user's other sessions (an
		// intruder's among them), and keeps the browser that did it.
		mine, other := e.client(t), e.client(t)
		mine.signIn("pat")
		other.signIn("pat")
		m := secretRe.FindStringSubmatch(mine.get("/settings/security").body)
		if m == nil {
			t.Fatal("no TOTP secret on the security page")
		}
		secret := m[1]
		if p := mine.post("/settings/totp", url.Values{"csrf_token": {mine.csrf()}, "password": {password}, "secret": {secret}, "code": {totpCode(t, secret, time.Now())}}); p.status != http.StatusSeeOther {
			t.Fatalf("enable TOTP: %d", p.status)
		}
		if !mine.signedIn() {
			t.Error("turning TOTP on signed out the browser that did it")
		}
		if other.signedIn() {
			t.Error("another session outlived turning TOTP on")
		}
		// Turning it off ends every session, this one included. (The
		// other session is made by the service: a second sign-in through
		// the form would spend the next code, which turning off needs.)
		tok, err := e.auth.NewSession(ctx, u.ID, "test", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		other = e.withToken(t, tok)
		if !other.signedIn() {
			t.Fatal("the other session opens nothing")
		}
		if p := mine.post("/settings/totp/disable", url.Values{"csrf_token": {mine.csrf()}, "password": {password},
			"code": {totpCode(t, secret, time.Now().Add(30*time.Second))}}); p.status != http.StatusSeeOther {
			t.Fatalf("disable TOTP: %d\n%.500s", p.status, p.body)
		}
		if mine.signedIn() || other.signedIn() {
			t.Error("a session outlived turning TOTP off")
		}
	})
}

// fingerprint is the row count of every table plus every user's locale
// and password: a refused POST must leave it as it was.
func fingerprint(t *testing.T, db *store.DB) string {
	t.Helper()
	ctx := context.Background()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`
	if db.Dialect == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := db.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	slices.Sort(tables)
	var b strings.Builder
	for _, tb := range tables {
		if tb == "sign_in_failures" || tb == "goose_db_version" {
			continue
		}
		var n int64
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM `+tb).Scan(&n); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%d ", tb, n)
	}
	var users string
	if err := db.QueryRow(ctx, `SELECT COALESCE(SUM(updated_at), 0) || ':' || COUNT(*) FROM users`).Scan(&users); err != nil {
		t.Fatal(err)
	}
	return b.String() + "users:" + users
}

// TestCSRFEveryPost walks every POST route the UI registers for signed-in
// users, as shop a's admin (who may use them all), and posts it with no
// CSRF token, a wrong one, the token of another session (another user's,
// and another browser of the same user), and with the right token but
// from another origin (Origin, Sec-Fetch-Site, or only a Referer): each is
// refused with 403 before the handler runs, and the database is as it was.
// The public POSTs (sign-in, second factor, unsubscribe, survey answer,
// KB vote) have no session to hold a token: they refuse other origins.
func TestCSRFEveryPost(t *testing.T) {
	storetestEngines(t, func(t *testing.T, e *env) {
		wang := e.customerID(t, e.shopA, "王芳")
		path := func(pat string) (method, p string) {
			method, p, _ = strings.Cut(pat, " ")
			p = strings.ReplaceAll(p, "{$}", "")
			p = strings.ReplaceAll(p, "{shop}", "a")
			p = strings.ReplaceAll(p, "{shopcode}", "a")
			p = strings.ReplaceAll(p, "{id}", fmt.Sprint(wang))
			return method, paramRe.ReplaceAllString(p, "1")
		}
		alice := e.client(t)
		alice.signIn("alice")
		token := alice.csrf()
		second := e.client(t) // alice in another browser
		second.signIn("alice")
		secondToken := second.csrf()
		bob := e.client(t)
		bob.signIn("bob")
		bobToken := bob.csrfOn("/s/b/customers")
		if secondToken == token || bobToken == token {
			t.Fatal("two sessions share a CSRF token")
		}
		before := fingerprint(t, e.db)
		posts := 0
		for _, pat := range e.routes {
			method, p := path(pat)
			if method != http.MethodPost {
				continue
			}
			if slices.Contains(access[pat], "public") {
				for _, h := range [][]string{
					{"Origin", "https://evil.example"},
					{"Sec-Fetch-Site", "cross-site"},
					{"Referer", "https://evil.example/page"},
				} {
					if got := e.client(t).post(p, url.Values{}, h...); got.status != http.StatusForbidden {
						t.Errorf("public %s with %s: %s: %d, want 403", p, h[0], h[1], got.status)
					}
				}
				continue
			}
			posts++
			form := func(tok string) url.Values {
				v := url.Values{"locale": {"en"}, "next": {"/s/a/customers"}, "name": {"CSRF"}, "body": {"CSRF"}, "reason": {"CSRF"}}
				if tok != "" {
					v.Set("csrf_token", tok)
				}
				return v
			}
			for _, tc := range []struct {
				what    string
				form    url.Values
				headers []string
			}{
				{"no token", form(""), nil},
				{"a wrong token", form("x" + token), nil},
				{"an empty header token", form(""), []string{"X-CSRF-Token", ""}},
				{"bob's token", form(bobToken), nil},
				{"bob's token in the header", form(""), []string{"X-CSRF-Token", bobToken}},
				{"another session's token", form(secondToken), nil},
				{"the right token from another origin", form(token), []string{"Origin", "https://evil.example"}},
				{"the right token, cross-site", form(token), []string{"Sec-Fetch-Site", "cross-site"}},
				{"the right token, a cross-origin Referer", form(token), []string{"Referer", "https://evil.example/page"}},
				{"the right token, Origin null", form(token), []string{"Origin", "null"}},
			} {
				if got := alice.post(p, tc.form, tc.headers...); got.status != http.StatusForbidden {
					t.Errorf("%s with %s: %d, want 403", pat, tc.what, got.status)
				}
			}
		}
		if posts < 50 {
			t.Errorf("walked %d POST routes; the walk is not seeing the routes", posts)
		}
		if after := fingerprint(t, e.db); after != before {
			t.Errorf("refused posts changed the database:\nbefore %s\nafter  %s", before, after)
		}
		// Still signed in (sign-out was refused too), in Chinese.
		if p := alice.get("/s/a/customers"); p.status != http.StatusOK || !strings.Contains(p.body, `<html lang="zh-CN">`) {
			t.Errorf("after the refused posts: %d", p.status)
		}
		// The right token from this origin goes through, so the refusals
		// above were for the token and the origin, not the form.
		if p := alice.post("/settings/locale", url.Values{"csrf_token": {token}, "locale": {"zh-CN"}, "next": {"/s/a/customers"}},
			"Origin", e.srv.URL, "Referer", e.srv.URL+"/s/a/customers"); p.status != http.StatusSeeOther {
			t.Errorf("same-origin post with the right token: %d", p.status)
		}
	})
}

// TestLockoutUnknownUser: a username that does not exist locks after as
// many failures as one that does, with the same status, message and
// Retry-After, so the lock does not tell which usernames exist; the lock
// holds against the right password; sign-ins from one address across
// many usernames lock the address.
func TestLockoutUnknownUser(t *testing.T) {
	storetestEngines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if _, err := e.auth.CreateUser(ctx, "realuser", "", password); err != nil {
			t.Fatal(err)
		}
		answers := map[string][]string{}
		for _, name := range []string{"realuser", "ghostuser"} {
			c := e.client(t)
			for i := range auth.DefaultThrottle.UserFailures + 1 {
				p := c.post("/login", url.Values{"username": {name}, "password": {fmt.Sprintf("guess %d", i)}})
				answers[name] = append(answers[name], fmt.Sprintf("%d %t %s", p.status, p.header.Get("Retry-After") != "",
					strings.ReplaceAll(p.body, name, "NAME")))
				if sc := p.header.Get("Set-Cookie"); strings.Contains(sc, ui.SessionCookie+"=") && !strings.Contains(sc, "Max-Age=0") {
					t.Errorf("%s guess %d set a session cookie", name, i)
				}
			}
			last := answers[name][len(answers[name])-1]
			if !strings.HasPrefix(last, "429 true") {
				t.Errorf("%s after %d failures: %.40s, want 429 with Retry-After", name, auth.DefaultThrottle.UserFailures, last)
			}
		}
		for i := range answers["realuser"] {
			if answers["realuser"][i] != answers["ghostuser"][i] {
				t.Errorf("answer %d differs for an existing and a missing user:\n%.300s\n%.300s", i, answers["realuser"][i], answers["ghostuser"][i])
			}
		}
		// The right password while locked is refused the same way.
		if p := e.client(t).post("/login", url.Values{"username": {"realuser"}, "password": {password}}); p.status != http.StatusTooManyRequests {
			t.Errorf("right password while locked: %d", p.status)
		}
		// Another user from the same address is not locked by those ten
		// failures, until the address's own limit is reached.
		if p := e.client(t).post("/login", url.Values{"username": {"alice"}, "password": {password}}); p.status != http.StatusSeeOther {
			t.Errorf("alice from the same address: %d", p.status)
		}
		for i := range auth.DefaultThrottle.AddrFailures {
			e.client(t).post("/login", url.Values{"username": {fmt.Sprintf("spray%d", i)}, "password": {"123456"}})
		}
		if p := e.client(t).post("/login", url.Values{"username": {"alice"}, "password": {password}}); p.status != http.StatusTooManyRequests {
			t.Errorf("alice from an address that sprayed %d usernames: %d, want 429", auth.DefaultThrottle.AddrFailures, p.status)
		}
	})
}

// TestGetChangesNothing walks every GET route as shop a's admin and as a
// visitor, public pages with a real unsubscribe and survey link among
// them, and asserts the database is as it was: a GET is never a change,
// so a link, an <img> on another site or a mail scanner following links
// cannot make one (they carry no CSRF token to refuse).
func TestGetChangesNothing(t *testing.T) {
	storetestEngines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		wang := e.customerID(t, e.shopA, "王芳")
		alice := e.client(t)
		alice.signIn("alice")
		anon := e.client(t)
		anon.get("/login")
		unsub, err := e.campaigns.UnsubscribeToken(ctx, campaign.Unsub{ShopID: e.shopA.ID, CampaignID: 1, CustomerID: wang, Channel: campaign.Email})
		if err != nil {
			t.Fatal(err)
		}
		before := fingerprint(t, e.db)
		for _, pat := range e.routes {
			method, p, _ := strings.Cut(pat, " ")
			if method != http.MethodGet {
				continue
			}
			p = strings.ReplaceAll(p, "{$}", "")
			p = strings.ReplaceAll(p, "{shop}", "a")
			p = strings.ReplaceAll(p, "{shopcode}", "a")
			p = strings.ReplaceAll(p, "{id}", fmt.Sprint(wang))
			p = strings.ReplaceAll(p, "{chart}", "monthly.csv")
			if strings.HasPrefix(p, "/u/") {
				p = "/u/" + unsub
			}
			p = paramRe.ReplaceAllString(p, "1")
			for _, c := range []*client{alice, anon} {
				if got := c.get(p); got.status >= 500 {
					t.Errorf("GET %s: %d", p, got.status)
				}
			}
		}
		if after := fingerprint(t, e.db); after != before {
			t.Errorf("GETs changed the database:\nbefore %s\nafter  %s", before, after)
		}
		// The fingerprint sees a change: the same link's POST unsubscribes.
		if got := anon.post("/u/"+unsub, url.Values{}); got.status >= 400 {
			t.Fatalf("POST unsubscribe: %d", got.status)
		}
		if fingerprint(t, e.db) == before {
			t.Error("the unsubscribe POST left no trace the fingerprint sees")
		}
	})
}

// TestDisableTOTPThrottled: the forms that turn the second factor on and
// off check the password (turning it on without one would let a stolen
// session lock the owner out), and count failures as sign-in does: a
// stolen session cannot guess the password there, and once locked even
// the right password and code are refused with 429, the factor staying on.
func TestDisableTOTPThrottled(t *testing.T) {
	storetestEngines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		u, err := e.auth.CreateUser(ctx, "quinn", "", password)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.auth.Grant(ctx, u.ID, e.shopA.ID, auth.RoleCare); err != nil {
			t.Fatal(err)
		}
		c := e.client(t)
		c.signIn("quinn")
		m := secretRe.FindStringSubmatch(c.get("/settings/security").body)
		if m == nil {
			t.Fatal("no TOTP secret on the security page")
		}
		secret := m[1]
		// Turning it on takes the password too: a stolen session cannot
		// put the thief's authenticator on the account.
		for _, pw := range []string{"", "wrong password"} {
			p := c.post("/settings/totp", url.Values{"csrf_token": {c.csrf()}, "password": {pw}, "secret": {secret}, "code": {totpCode(t, secret, time.Now())}})
			if p.status != http.StatusUnprocessableEntity {
				t.Fatalf("enable TOTP with password %q: %d", pw, p.status)
			}
			if got, _ := e.auth.ByUsername(ctx, "quinn"); got.TOTP {
				t.Fatalf("TOTP turned on with password %q", pw)
			}
		}
		if p := c.post("/settings/totp", url.Values{"csrf_token": {c.csrf()}, "password": {password}, "secret": {secret}, "code": {totpCode(t, secret, time.Now())}}); p.status != http.StatusSeeOther {
			t.Fatalf("enable TOTP: %d", p.status)
		}
		csrf := c.csrf()
		next := totpCode(t, secret, time.Now().Add(30*time.Second))
		for i := range auth.DefaultThrottle.UserFailures {
			if p := c.post("/settings/totp/disable", url.Values{"csrf_token": {csrf}, "password": {fmt.Sprintf("guess %d", i)}, "code": {next}}); p.status != http.StatusUnprocessableEntity {
				t.Fatalf("wrong password %d: %d", i, p.status)
			}
		}
		p := c.post("/settings/totp/disable", url.Values{"csrf_token": {csrf}, "password": {password}, "code": {next}})
		if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
			t.Fatalf("right password while locked: %d %q", p.status, p.header.Get("Retry-After"))
		}
		mustContain(t, "locked page", p.body, "登录失败次数过多")
		if got, err := e.auth.ByUsername(ctx, "quinn"); err != nil || !got.TOTP {
			t.Fatalf("the factor was turned off while locked: %v", err)
		}
	})
}

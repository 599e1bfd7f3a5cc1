package kb_test

import (
	"html"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi/internal/kb"
)

// renderTagRe matches the only markup Render may write: paragraphs, line
// breaks and links whose address is an escaped http(s) URL.
var renderTagRe = regexp.MustCompile(`<p>|</p>|<br>|</a>|<a href="(https?://[^"<>\s]+)" rel="nofollow noopener noreferrer">`)

// FuzzRender: whatever an article body holds, its HTML has no tag but
// those (so no script, no event handler, no other attribute), every link is
// http(s) with a host (never javascript:, data: or vbscript:), and the
// text, once the markup is taken away and unescaped, is the body's own
// characters: nothing dropped silently, nothing added.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"第一段\n第二行\n\n第二段",
		`<script>alert("x")</script>`,
		"[点我](javascript:alert(1))",
		`访问 https://a.example/x"onmouseover="alert(1) 吧`,
		"[<b>x</b>](https://a.example)",
		`<img src=x onerror=window.__xss=1>`,
		`"><script>window.__xss=1</script>`,
		"javascript:window.__xss=1",
		"{{.}}",
		"[x](https://a.example/\"><svg onload=alert(1)>)",
		"https://a.example/&quot;onclick=alert(1)",
		"[a](https://x.example)[b](http://y.example)\r\n\r\nhttps://z.example.",
		"[JaVaScRiPt:alert(1)](https://x.example)",
		"https://user:pass@x.example/%0a<",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		if !utf8.ValidString(body) {
			return // the UI's forms and the API carry UTF-8 only
		}
		out := string(kb.Render(body))
		rest := renderTagRe.ReplaceAllStringFunc(out, func(tag string) string {
			if m := renderTagRe.FindStringSubmatch(tag); m[1] != "" {
				href := html.UnescapeString(m[1])
				low := strings.ToLower(href)
				if !strings.HasPrefix(low, "http://") && !strings.HasPrefix(low, "https://") {
					t.Fatalf("Render(%q): link to %q", body, href)
				}
				if strings.ContainsAny(href, "\"<>'` \t\n") {
					t.Fatalf("Render(%q): link %q carries markup characters", body, href)
				}
			}
			return ""
		})
		if strings.ContainsAny(rest, "<>\"'") {
			t.Fatalf("Render(%q) = %q: unescaped markup outside the allowed tags (%q)", body, out, rest)
		}
		// Every visible character came from the body, in order (a NUL is
		// shown as U+FFFD, as html/template does).
		text := strings.ReplaceAll(html.UnescapeString(rest), "\n", "")
		src := strings.Join(strings.Fields(strings.NewReplacer("\r", "", "\n", "", "\x00", "\uFFFD").Replace(body)), "")
		text = strings.Join(strings.Fields(text), "")
		if !isSubsequence(text, src) {
			t.Fatalf("Render(%q) = %q: text %q is not from the body", body, out, text)
		}
	})
}

// isSubsequence reports whether every rune of a appears in b in order.
func isSubsequence(a, b string) bool {
	for _, r := range a {
		i := strings.IndexRune(b, r)
		if i < 0 {
			return false
		}
		b = b[i+utf8.RuneLen(r):]
	}
	return true
}

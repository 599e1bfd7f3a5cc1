package kb

import (
	"html/template"
	"net/url"
	"regexp"
	"strings"
)

// Article bodies are "markdown-lite": plain text whose blank lines separate
// paragraphs, single line breaks stay, and links are [text](https://…) or a
// bare http(s) address. Nothing else is markup: every other character is
// shown as typed, escaped, so an article cannot carry HTML or script into
// the public page, and a link must be http or https (no javascript:).

// linkRe matches [text](url) and bare URLs. The address stops at white
// space, quotes, angle brackets and a closing parenthesis.
var linkRe = regexp.MustCompile(`\[([^\[\]\n]{1,200})\]\((https?://[^\s()<>"']+)\)|https?://[^\s()<>"'\[\]]+`)

// safeURL returns u when it is an absolute http(s) URL, else "".
func safeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return p.String()
}

// Render turns an article body into HTML: paragraphs, line breaks and
// links, everything else escaped.
func Render(body string) template.HTML {
	var b strings.Builder
	for _, para := range paragraphs(body) {
		b.WriteString("<p>")
		for i, line := range strings.Split(para, "\n") {
			if i > 0 {
				b.WriteString("<br>\n")
			}
			renderLine(&b, line)
		}
		b.WriteString("</p>\n")
	}
	return template.HTML(b.String()) //nolint:gosec // built from escaped pieces above
}

func renderLine(b *strings.Builder, line string) {
	last := 0
	for _, m := range linkRe.FindAllStringSubmatchIndex(line, -1) {
		text, href := line[m[0]:m[1]], line[m[0]:m[1]]
		if m[2] >= 0 {
			text, href = line[m[2]:m[3]], line[m[4]:m[5]]
		}
		// A sentence's full stop or comma after a bare address is not part of it.
		trail := ""
		if m[2] < 0 {
			trimmed := strings.TrimRight(href, ".,;:!?，。；：！？")
			trail, href, text = href[len(trimmed):], trimmed, trimmed
		}
		u := safeURL(href)
		b.WriteString(template.HTMLEscapeString(line[last:m[0]]))
		if u == "" {
			b.WriteString(template.HTMLEscapeString(line[m[0]:m[1]]))
		} else {
			b.WriteString(`<a href="` + template.HTMLEscapeString(u) + `" rel="nofollow noopener noreferrer">` + template.HTMLEscapeString(text) + `</a>`)
			b.WriteString(template.HTMLEscapeString(trail))
		}
		last = m[1]
	}
	b.WriteString(template.HTMLEscapeString(line[last:]))
}

var blankLineRe = regexp.MustCompile(`\n[ \t]*\n`)

// paragraphs splits a body at blank lines, trimming each.
func paragraphs(body string) []string {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	var out []string
	for _, p := range blankLineRe.Split(body, -1) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// PlainText is the body as text without link markup: [text](url) becomes
// text. Snippets use it.
func PlainText(body string) string {
	return linkRe.ReplaceAllStringFunc(body, func(m string) string {
		if sm := linkRe.FindStringSubmatch(m); sm[1] != "" {
			return sm[1]
		}
		return m
	})
}

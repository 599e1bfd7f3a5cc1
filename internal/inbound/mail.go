package inbound

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"github.com/guanxi-crm/guanxi"
)

// Limits of a mail's structure: deeper nesting or more parts is refused
// rather than walked.
const (
	maxParts = 50
	maxDepth = 5
)

// encodingOf is the decoder of a charset, nil for UTF-8 and ASCII (and for
// unknown charsets, read as UTF-8 with bad bytes replaced).
func encodingOf(charset string) encoding.Encoding {
	switch strings.ToLower(strings.Trim(charset, `" `)) {
	case "gbk", "gb2312", "cp936", "x-gbk", "euc-cn":
		return simplifiedchinese.GBK
	case "gb18030":
		return simplifiedchinese.GB18030
	case "hz-gb-2312":
		return simplifiedchinese.HZGB2312
	case "big5", "big5-hkscs":
		return traditionalchinese.Big5
	case "iso-8859-1", "latin1":
		return charmap.ISO8859_1
	case "windows-1252":
		return charmap.Windows1252
	}
	return nil
}

func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	if e := encodingOf(charset); e != nil {
		return e.NewDecoder().Reader(r), nil
	}
	return r, nil
}

var words = &mime.WordDecoder{CharsetReader: charsetReader}

// header decodes an RFC 2047 header value (=?GBK?B?…?= and =?UTF-8?Q?…?=).
func header(v string) string {
	if d, err := words.DecodeHeader(v); err == nil {
		return d
	}
	return v
}

var ticketRef = regexp.MustCompile(`\[#(\d{1,18})\]`)

// ParseMail reads a received e-mail into a message: sender, subject, the
// text (plain preferred over HTML), attachments, and what it answers (a
// [#id] in the subject, In-Reply-To and References). A mail without a
// Message-ID is known by the hash of its bytes, so a resend is still one.
// It fails with EINVALID for mail that cannot be read.
func ParseMail(raw []byte) (*Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, guanxi.Errorf(guanxi.EINVALID, "mail: not a readable message: %v", err)
	}
	h := msg.Header
	ap := mail.AddressParser{WordDecoder: words}
	from, err := ap.Parse(h.Get("From"))
	if err != nil {
		return nil, guanxi.Errorf(guanxi.EINVALID, "mail: From %q: %v", h.Get("From"), err)
	}
	m := &Message{Source: "email", Customer: Contact{Name: from.Name, Email: from.Address}, Subject: header(h.Get("Subject"))}
	m.MessageID = strings.TrimSpace(h.Get("Message-Id"))
	if m.MessageID == "" || len(m.MessageID) > maxID {
		sum := sha256.Sum256(raw)
		m.MessageID = "<sha256:" + hex.EncodeToString(sum[:16]) + ">"
	}
	m.MessageID = strings.ReplaceAll(m.MessageID, "]", "")
	for _, v := range []string{h.Get("In-Reply-To"), h.Get("References")} {
		for _, f := range strings.Fields(v) {
			m.InReplyTo = append(m.InReplyTo, strings.ReplaceAll(f, "]", ""))
		}
	}
	if sm := ticketRef.FindStringSubmatch(m.Subject); sm != nil {
		m.TicketRef, _ = strconv.ParseInt(sm[1], 10, 64)
	}
	var w walker
	if err := w.part(h.Get("Content-Type"), h.Get("Content-Transfer-Encoding"), "", msg.Body, 0); err != nil {
		return nil, err
	}
	m.Text = w.plain
	if m.Text == "" {
		m.Text = stripHTML(w.html)
	}
	m.Attachments = w.files
	// Mail is not refused for being long or bare: a long text is cut (the
	// sender keeps the whole), a mail of only a photo gets a subject.
	if utf8.RuneCountInString(m.Text) > maxText {
		m.Text = string([]rune(m.Text)[:maxText-20]) + "\n…(截断 truncated)"
	}
	if strings.TrimSpace(m.Text) == "" && strings.TrimSpace(m.Subject) == "" {
		m.Subject = "(无主题)"
	}
	return m, nil
}

// walker collects a mail's text and files.
type walker struct {
	plain, html string
	files       []Attachment
	parts       int
}

func (w *walker) part(ctype, cte, disposition string, body io.Reader, depth int) error {
	if w.parts++; w.parts > maxParts || depth > maxDepth {
		return guanxi.Errorf(guanxi.EINVALID, "mail: more than %d parts or %d levels of nesting", maxParts, maxDepth)
	}
	if ctype == "" {
		ctype = "text/plain; charset=us-ascii"
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		mt, params = "application/octet-stream", nil
	}
	if strings.HasPrefix(mt, "multipart/") {
		if params["boundary"] == "" {
			return guanxi.Errorf(guanxi.EINVALID, "mail: %s without a boundary", mt)
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return guanxi.Errorf(guanxi.EINVALID, "mail: a part cannot be read: %v", err)
			}
			if err := w.part(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p.Header.Get("Content-Disposition"), p, depth+1); err != nil {
				return err
			}
		}
	}
	data, err := io.ReadAll(decoded(cte, body))
	if err != nil {
		return guanxi.Errorf(guanxi.EINVALID, "mail: a %s part cannot be decoded: %v", mt, err)
	}
	name := ""
	if d, dp, err := mime.ParseMediaType(disposition); err == nil {
		name = header(dp["filename"])
		if d != "attachment" && name == "" {
			disposition = ""
		}
	}
	if name == "" {
		name = header(params["name"])
	}
	isFile := strings.HasPrefix(strings.ToLower(disposition), "attachment") || name != ""
	switch {
	case !isFile && mt == "text/plain" && w.plain == "":
		w.plain = text(data, params["charset"])
	case !isFile && mt == "text/html" && w.html == "":
		w.html = text(data, params["charset"])
	case !isFile && strings.HasPrefix(mt, "text/"):
		// A second text part of an alternative: the first is kept.
	default:
		if name == "" {
			name = "attachment-" + strconv.Itoa(len(w.files)+1)
		}
		w.files = append(w.files, Attachment{Name: name, ContentType: mt, Data: data})
	}
	return nil
}

// decoded undoes a part's transfer encoding.
func decoded(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &noSpace{r: r})
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}

// noSpace drops the line breaks and blanks base64 bodies are wrapped with.
type noSpace struct{ r io.Reader }

func (n *noSpace) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, b := range p[:k] {
			if b != '\r' && b != '\n' && b != ' ' && b != '\t' {
				p[j] = b
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// text converts a text part to UTF-8 from its charset.
func text(data []byte, charset string) string {
	if e := encodingOf(charset); e != nil {
		if d, err := e.NewDecoder().Bytes(data); err == nil {
			data = d
		}
	}
	return strings.TrimSpace(strings.ToValidUTF8(strings.ReplaceAll(string(data), "\r\n", "\n"), "\uFFFD"))
}

var (
	tags   = regexp.MustCompile(`(?is)<(script|style)[^>]*>.*?</(script|style)>|<[^>]*>`)
	breaks = regexp.MustCompile(`(?i)<br\s*/?>|</p>|</div>|</li>|</tr>`)
	blank  = regexp.MustCompile(`\n{3,}`)
)

// stripHTML keeps an HTML body's text, for mail without a plain part.
func stripHTML(s string) string {
	s = breaks.ReplaceAllString(s, "\n")
	s = html.UnescapeString(tags.ReplaceAllString(s, ""))
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.TrimSpace(blank.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}

// localPart returns the part of an address before the @.
func localPart(addr string) (string, error) {
	a, err := mail.ParseAddress(addr)
	if err != nil {
		return "", fmt.Errorf("%q is not an address", addr)
	}
	local, _, _ := strings.Cut(a.Address, "@")
	return local, nil
}

// ShopCode returns the shop a recipient names: service+<code>@… or
// <code>@… (the code in any case).
func ShopCode(rcpt string) (string, error) {
	local, err := localPart(rcpt)
	if err != nil {
		return "", err
	}
	if _, code, ok := strings.Cut(local, "+"); ok {
		return strings.ToLower(code), nil
	}
	return strings.ToLower(local), nil
}

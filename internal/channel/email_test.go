package channel

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
)

// smtpServer is a tiny SMTP server on loopback: enough of EHLO, STARTTLS,
// AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP and QUIT to receive real messages.
type smtpServer struct {
	ln   net.Listener
	tls  *tls.Config // offered with STARTTLS when set
	user string      // AUTH PLAIN offered and required when set
	pass string

	mu       sync.Mutex
	msgs     []smtpMessage
	conns    int
	fail     []int // codes to answer to the next DATA ends, one each
	hangup   bool  // close the connection after each accepted message
	idle421  bool  // answer the next MAIL with 421 and close, like a server's idle timeout
	tlsUsed  bool
	authUser string
}

type smtpMessage struct {
	From string
	To   []string
	Data []byte
}

func newSMTPServer(t testing.TB) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) Addr() string { return s.ln.Addr().String() }

func (s *smtpServer) messages() []smtpMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMessage(nil), s.msgs...)
}

func (s *smtpServer) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	tp := textproto.NewConn(c)
	reply := func(lines ...string) { tp.PrintfLine("%s", strings.Join(lines, "\r\n")) }
	reply("220 test ESMTP")
	var cur smtpMessage
	authed, secure := false, false
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ext := []string{"250-test", "250-8BITMIME"}
			if s.tls != nil && !secure {
				ext = append(ext, "250-STARTTLS")
			}
			if s.user != "" {
				ext = append(ext, "250-AUTH PLAIN")
			}
			ext = append(ext, "250 PIPELINING")
			reply(ext...)
		case "STARTTLS":
			reply("220 go ahead")
			tc := tls.Server(c, s.tls)
			if tc.Handshake() != nil {
				return
			}
			c, tp, secure = tc, textproto.NewConn(tc), true
			s.mu.Lock()
			s.tlsUsed = true
			s.mu.Unlock()
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			b, _ := base64.StdEncoding.DecodeString(resp)
			if mech == "PLAIN" && string(b) == "\x00"+s.user+"\x00"+s.pass {
				authed = true
				s.mu.Lock()
				s.authUser = s.user
				s.mu.Unlock()
				reply("235 ok")
			} else {
				reply("535 bad credentials")
			}
		case "MAIL":
			s.mu.Lock()
			idle := s.idle421
			s.idle421 = false
			s.mu.Unlock()
			if idle {
				reply("421 idle too long, closing")
				return
			}
			if s.user != "" && !authed {
				reply("530 authentication required")
				continue
			}
			from, _, _ := strings.Cut(strings.TrimPrefix(arg, "FROM:"), " ") // drop BODY=8BITMIME and the like
			cur = smtpMessage{From: strings.Trim(from, "<>")}
			reply("250 ok")
		case "RCPT":
			to := strings.Trim(strings.TrimPrefix(arg, "TO:"), "<>")
			if strings.HasPrefix(to, "nobody@") {
				reply("550 no such user")
				continue
			}
			cur.To = append(cur.To, to)
			reply("250 ok")
		case "DATA":
			reply("354 go on")
			data, err := tp.ReadDotBytes() // undoes dot-stuffing, turns CRLF into LF
			if err != nil {
				return
			}
			s.mu.Lock()
			var code int
			if len(s.fail) > 0 {
				code, s.fail = s.fail[0], s.fail[1:]
			}
			hangup := s.hangup
			if code == 0 {
				cur.Data = data
				s.msgs = append(s.msgs, cur)
			}
			s.mu.Unlock()
			if code != 0 {
				reply(fmt.Sprintf("%d try later", code))
				continue
			}
			reply("250 queued")
			if hangup {
				return
			}
		case "RSET":
			cur = smtpMessage{}
			reply("250 ok")
		case "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

var testTime = time.Date(2026, 11, 11, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))

func newTestEmail(t testing.TB, s *smtpServer, cfg EmailConfig) *Email {
	t.Helper()
	cfg.Addr = s.Addr()
	if cfg.From == "" {
		cfg.From = "shop@xihu-tea.example"
		cfg.FromName = "西湖茶庄"
	}
	cfg.Clock = guanxi.FixedClock(testTime)
	cfg.Timeout = 5 * time.Second
	cfg.AllowPrivateNetwork = true // the test server is on loopback
	e, err := NewEmail(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func TestEmailMessage(t *testing.T) {
	s := newSMTPServer(t)
	e := newTestEmail(t, s, EmailConfig{})
	ctx := context.Background()
	subject := "双十一会员专享：龙井新茶八折，限时三天，欢迎老朋友回来看看我们今年的明前茶"
	m := Message{
		To:                "李雷 <lilei@example.com>",
		Subject:           subject,
		Text:              "李先生您好，\n今年的明前龙井到了。\n.这一行以点开头",
		HTML:              "<p>李先生您好，</p><p>今年的明前龙井到了。</p>",
		IdempotencyKey:    "campaign-7/customer-42",
		UnsubscribeURL:    "https://crm.xihu-tea.example/u/abc123",
		UnsubscribeMailto: "unsubscribe@xihu-tea.example",
	}
	res, err := e.Send(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	msgs := s.messages()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if got.From != "shop@xihu-tea.example" || len(got.To) != 1 || got.To[0] != "lilei@example.com" {
		t.Errorf("envelope %q -> %q", got.From, got.To)
	}
	for i, line := range strings.Split(string(got.Data), "\n") {
		if len(line) > 998 {
			t.Errorf("line %d is %d octets long", i, len(line))
		}
	}
	// What goes on the wire has CRLF line ends only.
	_, raw, _, err := e.build(m)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ReplaceAll(string(raw), "\r\n", ""), "\n") || strings.Contains(strings.ReplaceAll(string(raw), "\r\n", ""), "\r") {
		t.Error("the message has a bare CR or LF")
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(got.Data)))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	rawSubject := h.Get("Subject")
	if !strings.HasPrefix(rawSubject, "=?UTF-8?b?") {
		t.Errorf("Subject is not RFC 2047 encoded: %q", rawSubject)
	}
	var dec mime.WordDecoder
	if s, err := dec.DecodeHeader(rawSubject); err != nil || s != subject {
		t.Errorf("Subject decodes to %q, %v; want %q", s, err, subject)
	}
	if from, err := dec.DecodeHeader(h.Get("From")); err != nil || from != "西湖茶庄 <shop@xihu-tea.example>" {
		t.Errorf("From = %q, %v", from, err)
	}
	if d, err := h.Date(); err != nil || !d.Equal(testTime) {
		t.Errorf("Date = %v, %v", d, err)
	}
	want := map[string]string{
		"List-Unsubscribe":         "<https://crm.xihu-tea.example/u/abc123>, <mailto:unsubscribe@xihu-tea.example?subject=unsubscribe>",
		"List-Unsubscribe-Post":    "List-Unsubscribe=One-Click",
		"X-Guanxi-Idempotency-Key": "campaign-7/customer-42",
		"Message-Id":               res.ID,
		"Mime-Version":             "1.0",
	}
	for k, v := range want {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	if !strings.HasSuffix(res.ID, "@xihu-tea.example>") {
		t.Errorf("Message-ID %q", res.ID)
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q, %v", h.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var parts []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p) // quoted-printable is decoded by the reader
		parts = append(parts, p.Header.Get("Content-Type")+"|"+strings.TrimRight(string(b), "\n"))
	}
	wantParts := []string{
		"text/plain; charset=UTF-8|" + m.Text,
		"text/html; charset=UTF-8|" + m.HTML,
	}
	if strings.Join(parts, "\n---\n") != strings.Join(wantParts, "\n---\n") {
		t.Errorf("parts\n%q\nwant\n%q", parts, wantParts)
	}

	// A retry of the same message keeps its Message-ID.
	again, err := e.Send(ctx, m)
	if err != nil || again.ID != res.ID {
		t.Errorf("retry: Message-ID %q, %v; want %q", again.ID, err, res.ID)
	}
}

func TestEmailPlainText(t *testing.T) {
	s := newSMTPServer(t)
	e := newTestEmail(t, s, EmailConfig{})
	if _, err := e.Send(context.Background(), Message{To: "a@example.com", Subject: "Hello", Text: "just text"}); err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(s.messages()[0].Data)))
	if err != nil {
		t.Fatal(err)
	}
	if ct := msg.Header.Get("Content-Type"); ct != "text/plain; charset=UTF-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cte := msg.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		t.Errorf("Content-Transfer-Encoding %q", cte)
	}
	if subj := msg.Header.Get("Subject"); subj != "Hello" {
		t.Errorf("ASCII Subject %q was encoded", subj)
	}
	for _, k := range []string{"List-Unsubscribe", "List-Unsubscribe-Post", "X-Guanxi-Idempotency-Key"} {
		if v, ok := msg.Header[k]; ok {
			t.Errorf("%s: %q without being asked for", k, v)
		}
	}
}

func TestEmailReusesConnection(t *testing.T) {
	s := newSMTPServer(t)
	e := newTestEmail(t, s, EmailConfig{})
	ctx := context.Background()
	for i := range 50 {
		if _, err := e.Send(ctx, Message{To: fmt.Sprintf("c%d@example.com", i), Subject: "新茶", Text: "您好"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.messages()); n != 50 {
		t.Errorf("server received %d messages, want 50", n)
	}
	if n := s.connections(); n != 1 {
		t.Errorf("%d connections for 50 messages, want 1", n)
	}
}

func TestEmailErrors(t *testing.T) {
	s := newSMTPServer(t)
	e := newTestEmail(t, s, EmailConfig{})
	ctx := context.Background()
	ok := Message{To: "a@example.com", Subject: "s", Text: "t"}

	// 451 once: temporary, and the connection stays usable.
	s.mu.Lock()
	s.fail = []int{451}
	s.mu.Unlock()
	_, err := e.Send(ctx, ok)
	if !IsTemporary(err) {
		t.Errorf("451: IsTemporary(%v) = false", err)
	}
	if ce, ok := errors.AsType[*Error](err); !ok || ce.Code != "451" {
		t.Errorf("451: error %#v", err)
	}
	if _, err := e.Send(ctx, ok); err != nil {
		t.Errorf("after 451: %v", err)
	}

	// 554 at the end of DATA and 550 for a recipient: permanent.
	s.mu.Lock()
	s.fail = []int{554}
	s.mu.Unlock()
	if _, err := e.Send(ctx, ok); err == nil || IsTemporary(err) {
		t.Errorf("554: %v, want a permanent error", err)
	}
	if _, err := e.Send(ctx, Message{To: "nobody@example.com", Subject: "s", Text: "t"}); err == nil || IsTemporary(err) {
		t.Errorf("550: %v, want a permanent error", err)
	}
	if _, err := e.Send(ctx, ok); err != nil {
		t.Errorf("after refusals: %v", err)
	}
	if n := s.connections(); n != 1 {
		t.Errorf("refusals cost %d connections, want 1", n)
	}

	// Invalid messages are refused before any SMTP.
	for _, m := range []Message{
		{To: "a@example.com\r\nBcc: all@example.com", Subject: "s", Text: "t"},
		{To: "a@example.com", Subject: "s\r\nBcc: all@example.com", Text: "t"},
		{To: "a@example.com", Subject: "s", Text: "t", IdempotencyKey: "k\nX-Evil: 1"},
		{To: "a@example.com", Subject: "s", Text: "t", UnsubscribeURL: "https://x.example/u\r\nBcc: b@example.com"},
		{To: "a@example.com", Subject: "s", Text: "t", UnsubscribeURL: "http://x.example/u"},
		{To: "not an address", Subject: "s", Text: "t"},
		{To: "138****5678@example.com", Subject: "s", Text: "t"},
		{To: "a@example.com", Subject: "s"},
	} {
		_, err := e.Send(ctx, m)
		if guanxi.ErrorCode(err) != guanxi.EINVALID || IsTemporary(err) {
			t.Errorf("%+v: %v, want EINVALID", m, err)
		}
	}
	if n := len(s.messages()); n != 2 {
		t.Errorf("server received %d messages, want 2", n)
	}
}

func TestEmailReconnects(t *testing.T) {
	s := newSMTPServer(t)
	s.hangup = true // the server drops the connection after each message
	e := newTestEmail(t, s, EmailConfig{})
	for i := range 3 {
		if _, err := e.Send(context.Background(), Message{To: "a@example.com", Subject: "s", Text: "t"}); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if n := s.connections(); n != 3 {
		t.Errorf("%d connections, want 3", n)
	}

	// A server that closes the idle connection with 421: sent on a new one.
	s.mu.Lock()
	s.hangup = false
	s.mu.Unlock()
	if _, err := e.Send(context.Background(), Message{To: "a@example.com", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.idle421 = true
	s.mu.Unlock()
	if _, err := e.Send(context.Background(), Message{To: "a@example.com", Subject: "s", Text: "t"}); err != nil {
		t.Fatalf("after 421: %v", err)
	}
	if n := s.connections(); n != 5 {
		t.Errorf("%d connections, want 5", n)
	}

	// A cancelled send is not retried; the next one works.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Send(ctx, Message{To: "a@example.com", Subject: "s", Text: "t"}); err == nil || IsTemporary(err) {
		t.Errorf("cancelled: %v, want a permanent error", err)
	}
	if _, err := e.Send(context.Background(), Message{To: "a@example.com", Subject: "s", Text: "t"}); err != nil {
		t.Errorf("after cancel: %v", err)
	}

	// A server that is gone is a temporary failure.
	s.ln.Close()
	e.Close()
	_, err := e.Send(context.Background(), Message{To: "a@example.com", Subject: "s", Text: "t"})
	if !IsTemporary(err) {
		t.Errorf("server gone: %v, want a temporary error", err)
	}
}

func TestEmailStartTLSAndAuth(t *testing.T) {
	// httptest's certificate is valid for 127.0.0.1.
	hs := httptest.NewTLSServer(http.NotFoundHandler())
	defer hs.Close()
	s := newSMTPServer(t)
	s.tls = hs.TLS
	s.user, s.pass = "shop", "s3cret"
	e := newTestEmail(t, s, EmailConfig{
		Username: "shop", Password: "s3cret", RequireTLS: true,
		TLSConfig: hs.Client().Transport.(*http.Transport).TLSClientConfig,
	})
	if _, err := e.Send(context.Background(), Message{To: "a@example.com", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	tlsUsed, authUser, n := s.tlsUsed, s.authUser, len(s.msgs)
	s.mu.Unlock()
	if !tlsUsed || authUser != "shop" || n != 1 {
		t.Errorf("tls %v, auth %q, %d messages", tlsUsed, authUser, n)
	}

	// Wrong password: permanent.
	bad := newTestEmail(t, s, EmailConfig{Username: "shop", Password: "wrong",
		TLSConfig: hs.Client().Transport.(*http.Transport).TLSClientConfig})
	if _, err := bad.Send(context.Background(), Message{To: "a@example.com", Subject: "s", Text: "t"}); err == nil || IsTemporary(err) {
		t.Errorf("bad password: %v, want a permanent error", err)
	}

	// TLS required but not offered: permanent.
	plain := newSMTPServer(t)
	e = newTestEmail(t, plain, EmailConfig{RequireTLS: true})
	if _, err := e.Send(context.Background(), Message{To: "a@example.com", Subject: "s", Text: "t"}); err == nil || IsTemporary(err) {
		t.Errorf("no STARTTLS: %v, want a permanent error", err)
	}
}

func BenchmarkEmail(b *testing.B) {
	const n = 2000
	s := newSMTPServer(b)
	e := newTestEmail(b, s, EmailConfig{})
	ctx := context.Background()
	m := Message{To: "a@example.com", Subject: "双十一会员专享：龙井新茶八折", Text: strings.Repeat("今年的明前龙井到了。\n", 20),
		HTML: strings.Repeat("<p>今年的明前龙井到了。</p>", 20), UnsubscribeURL: "https://crm.example/u/1", IdempotencyKey: "k"}
	start := time.Now()
	for range b.N {
		for range n {
			if _, err := e.Send(ctx, m); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*n)/time.Since(start).Seconds(), "msgs/s")
	if c := s.connections(); c != 1 {
		b.Errorf("%d connections, want 1", c)
	}
}

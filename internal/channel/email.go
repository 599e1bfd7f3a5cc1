package channel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/netguard"
)

// EmailConfig configures an SMTP Email sender.
type EmailConfig struct {
	Addr     string // host:port of the SMTP server (submission, usually port 587)
	From     string // sender address, "shop@example.com"
	FromName string // display name, may be Chinese: "西湖茶庄"

	// Username and Password, when set, authenticate with AUTH PLAIN; net/smtp
	// sends them only over TLS or to localhost.
	Username, Password string

	// StartTLS is used when the server offers it unless DisableStartTLS;
	// RequireTLS refuses to send over a server that does not offer it.
	DisableStartTLS bool
	RequireTLS      bool
	TLSConfig       *tls.Config // roots, client certificates; ServerName defaults to the host of Addr

	HelloName string        // EHLO name; default "localhost"
	Timeout   time.Duration // per message, when ctx has no earlier deadline; default 30s
	Clock     guanxi.Clock  // Date header; default the system clock

	// AllowPrivateNetwork lets the sender reach an SMTP server on a
	// loopback, private or CGNAT address; see internal/netguard.
	AllowPrivateNetwork bool
}

// Email sends messages over one persistent SMTP connection, reused from
// message to message and redialled after a failure. Sends are serialised on
// that connection; run several Emails for parallel connections.
type Email struct {
	cfg    EmailConfig
	host   string // host part of Addr
	domain string // domain of From, for Message-IDs

	mu     sync.Mutex
	conn   net.Conn
	client *smtp.Client
	dials  int // connections opened, for tests
}

// NewEmail returns an Email for cfg, or an EINVALID error when the address or
// sender is malformed. It connects on the first Send.
func NewEmail(cfg EmailConfig) (*Email, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, guanxi.Errorf(guanxi.EINVALID, "email: SMTP address %q must be host:port", cfg.Addr)
	}
	if err := netguard.CheckHost("email: SMTP host", host, cfg.AllowPrivateNetwork); err != nil {
		return nil, err
	}
	if hasCRLF(cfg.From) || hasCRLF(cfg.FromName) {
		return nil, guanxi.Errorf(guanxi.EINVALID, "email: sender must not contain line breaks")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, guanxi.Errorf(guanxi.EINVALID, "email: sender %q is not an address", cfg.From)
	}
	cfg.From = from.Address
	if cfg.HelloName == "" {
		cfg.HelloName = "localhost"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = guanxi.SystemClock{}
	}
	return &Email{cfg: cfg, host: host, domain: cfg.From[strings.LastIndexByte(cfg.From, '@')+1:]}, nil
}

// Send sends m to the address m.To. It returns the Message-ID as the result
// id; an invalid message is an EINVALID error, an SMTP refusal an *Error
// (4xx temporary, 5xx permanent), a broken connection a temporary *Error.
func (e *Email) Send(ctx context.Context, m Message) (Result, error) {
	rcpt, data, id, err := e.build(m)
	if err != nil {
		return Result{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if ctx.Err() != nil { // cancelled while waiting for the connection
		return Result{}, transportError(ctx, "email", ctx.Err())
	}
	reused := e.client != nil
	stage, err := e.send(ctx, rcpt, data)
	if err != nil && reused && stage == "MAIL" && ctx.Err() == nil && (!isReply(err) || replyCode(err) == 421) {
		// The server closed the idle connection (or is closing it, 421):
		// nothing was accepted, so try once on a new one.
		e.drop()
		stage, err = e.send(ctx, rcpt, data)
	}
	if err != nil {
		return Result{}, e.classify(ctx, stage, err)
	}
	return Result{ID: id}, nil
}

// Close says QUIT and closes the connection, if any.
func (e *Email) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.client == nil {
		return nil
	}
	e.conn.SetDeadline(time.Now().Add(5 * time.Second))
	err := e.client.Quit()
	e.drop()
	return err
}

// send runs one SMTP transaction, dialling first when needed, and returns the
// stage it failed at.
func (e *Email) send(ctx context.Context, rcpt string, data []byte) (string, error) {
	deadline := time.Now().Add(e.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if e.client == nil {
		if err := e.dial(ctx, deadline); err != nil {
			return "CONNECT", err
		}
	}
	e.conn.SetDeadline(deadline)
	conn := e.conn
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		if !stop() {
			// Cancelled: the deadline is in the past, or soon will be.
			e.drop()
		}
	}()
	c := e.client
	if err := c.Mail(e.cfg.From); err != nil {
		return "MAIL", err
	}
	if err := c.Rcpt(rcpt); err != nil {
		return "RCPT", err
	}
	w, err := c.Data()
	if err != nil {
		return "DATA", err
	}
	if _, err := w.Write(data); err != nil {
		return "DATA", err
	}
	if err := w.Close(); err != nil {
		return "DATA", err
	}
	return "", nil
}

func (e *Email) dial(ctx context.Context, deadline time.Time) error {
	conn, err := netguard.DialContext(ctx, e.cfg.AllowPrivateNetwork, deadline, "tcp", e.cfg.Addr)
	if err != nil {
		return err
	}
	conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, e.host)
	if err != nil {
		conn.Close()
		return err
	}
	fail := func(err error) error { c.Close(); return err }
	if err := c.Hello(e.cfg.HelloName); err != nil {
		return fail(err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok && !e.cfg.DisableStartTLS {
		tc := &tls.Config{}
		if e.cfg.TLSConfig != nil {
			tc = e.cfg.TLSConfig.Clone()
		}
		if tc.ServerName == "" {
			tc.ServerName = e.host
		}
		if err := c.StartTLS(tc); err != nil {
			return fail(err)
		}
	} else if e.cfg.RequireTLS {
		return fail(permanent("email", "", "server does not offer STARTTLS and TLS is required", nil))
	}
	if e.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", e.cfg.Username, e.cfg.Password, e.host)); err != nil {
			return fail(err)
		}
	}
	e.conn, e.client = conn, c
	e.dials++
	return nil
}

// drop forgets the connection, closing it.
func (e *Email) drop() {
	if e.client != nil {
		e.client.Close()
	}
	e.conn, e.client = nil, nil
}

func isReply(err error) bool {
	_, ok := errors.AsType[*textproto.Error](err)
	return ok
}

// replyCode returns the SMTP reply code of err, or 0.
func replyCode(err error) int {
	if te, ok := errors.AsType[*textproto.Error](err); ok {
		return te.Code
	}
	return 0
}

// classify turns an SMTP failure into an *Error. After a refusal the
// connection is reset with RSET and kept; after anything else it is dropped.
func (e *Email) classify(ctx context.Context, stage string, err error) error {
	if ee, ok := errors.AsType[*Error](err); ok {
		e.drop()
		return ee
	}
	if te, ok := errors.AsType[*textproto.Error](err); ok {
		if stage == "CONNECT" || e.client == nil || e.client.Reset() != nil {
			e.drop()
		}
		msg := fmt.Sprintf("%s: %s", stage, te.Msg)
		if te.Code >= 400 && te.Code < 500 {
			return temporary("email", fmt.Sprint(te.Code), msg, err)
		}
		return permanent("email", fmt.Sprint(te.Code), msg, err)
	}
	e.drop()
	return transportError(ctx, "email", fmt.Errorf("%s: %w", stage, err))
}

// build checks m and renders it as an RFC 5322 message with CRLF line ends.
// It returns the envelope recipient, the message and its Message-ID.
func (e *Email) build(m Message) (rcpt string, data []byte, id string, err error) {
	for name, v := range map[string]string{"recipient": m.To, "subject": m.Subject, "idempotency key": m.IdempotencyKey,
		"unsubscribe URL": m.UnsubscribeURL, "unsubscribe address": m.UnsubscribeMailto} {
		if hasCRLF(v) {
			return "", nil, "", guanxi.Errorf(guanxi.EINVALID, "email: %s must not contain line breaks", name)
		}
	}
	to, perr := mail.ParseAddress(m.To)
	if perr != nil || guanxi.NormalizeEmail(to.Address) == "" {
		return "", nil, "", guanxi.Errorf(guanxi.EINVALID, "email: recipient %q is not an address", m.To)
	}
	if m.Text == "" && m.HTML == "" {
		return "", nil, "", guanxi.Errorf(guanxi.EINVALID, "email: message to %s has no body", to.Address)
	}
	var unsub []string
	if m.UnsubscribeURL != "" {
		u, uerr := url.Parse(m.UnsubscribeURL)
		if uerr != nil || u.Scheme != "https" || u.Host == "" {
			return "", nil, "", guanxi.Errorf(guanxi.EINVALID, "email: unsubscribe URL %q must be an https URL", m.UnsubscribeURL)
		}
		unsub = append(unsub, "<"+u.String()+">")
	}
	if m.UnsubscribeMailto != "" {
		a, aerr := mail.ParseAddress(m.UnsubscribeMailto)
		if aerr != nil {
			return "", nil, "", guanxi.Errorf(guanxi.EINVALID, "email: unsubscribe address %q is not an address", m.UnsubscribeMailto)
		}
		unsub = append(unsub, "<mailto:"+a.Address+"?subject=unsubscribe>")
	}

	// A retried message keeps its Message-ID, so receivers can drop the copy.
	var idb []byte
	if m.IdempotencyKey != "" {
		h := sha256.Sum256([]byte(m.IdempotencyKey))
		idb = h[:16]
	} else {
		idb, _ = hex.DecodeString(nonce())
	}
	id = "<" + hex.EncodeToString(idb) + "@" + e.domain + ">"

	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", (&mail.Address{Name: e.cfg.FromName, Address: e.cfg.From}).String())
	header("To", (&mail.Address{Name: to.Name, Address: to.Address}).String())
	header("Subject", encodeHeader(m.Subject))
	header("Date", e.cfg.Clock.Now().Format(time.RFC1123Z))
	header("Message-ID", id)
	header("MIME-Version", "1.0")
	if m.IdempotencyKey != "" {
		header("X-Guanxi-Idempotency-Key", m.IdempotencyKey)
	}
	if len(unsub) > 0 {
		header("List-Unsubscribe", strings.Join(unsub, ", "))
		if m.UnsubscribeURL != "" {
			header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
		}
	}
	switch {
	case m.HTML == "":
		writePart(&b, "text/plain; charset=UTF-8", m.Text, true)
	default:
		mw := multipart.NewWriter(&b)
		header("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
		b.WriteString("\r\n")
		for _, p := range []struct{ typ, body string }{{"text/plain; charset=UTF-8", m.Text}, {"text/html; charset=UTF-8", m.HTML}} {
			if p.body == "" {
				continue
			}
			pw, _ := mw.CreatePart(textproto.MIMEHeader{
				"Content-Type":              {p.typ},
				"Content-Transfer-Encoding": {"quoted-printable"},
			})
			var pb bytes.Buffer
			writePart(&pb, "", p.body, false)
			pw.Write(pb.Bytes())
		}
		mw.Close()
	}
	return to.Address, b.Bytes(), id, nil
}

// writePart writes body quoted-printable, with its headers when withHeader.
func writePart(b *bytes.Buffer, typ, body string, withHeader bool) {
	if withHeader {
		b.WriteString("Content-Type: " + typ + "\r\n")
		b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	}
	qw := quotedprintable.NewWriter(b)
	// Normalise line ends to CRLF; quotedprintable keeps CRLF as a line break.
	body = strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n")
	qw.Write([]byte(body))
	qw.Close()
	b.WriteString("\r\n")
}

// encodeHeader encodes a header value as RFC 2047 UTF-8 encoded words when
// it is not plain ASCII, folding between words to keep lines short.
func encodeHeader(s string) string {
	return strings.ReplaceAll(mime.BEncoding.Encode("UTF-8", s), "?= =?", "?=\r\n =?")
}

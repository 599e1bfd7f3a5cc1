// Package channel owns the outbound adapters campaign dispatch sends through:
// email over SMTP, SMS through an HTTP gateway, WeChat template messages and
// signed outbound webhooks. Each adapter is a Sender: it sends one Message
// and returns the provider's message id, or an error that IsTemporary
// classifies as worth retrying (timeouts, 5xx, 429, SMTP 4xx) or not (other
// 4xx, SMTP 5xx, a bad address, a refused message). The package keeps no
// state in a database and schedules no retries: the dispatch job does that.
// All senders are safe for concurrent use.
package channel

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi/internal/netguard"
)

// Message is one message to one recipient. Each adapter uses the fields that
// make sense for it and ignores the others.
type Message struct {
	To       string            // email address, mobile number or WeChat openid
	Subject  string            // email subject
	Text     string            // plain text: email body, SMS content
	HTML     string            // optional HTML alternative of an email
	Template string            // provider template id (SMS, WeChat)
	Params   map[string]string // template parameters (SMS, WeChat data)
	URL      string            // page a WeChat message opens

	// Marketing marks a promotional message: an SMS then carries the
	// opt-out text OptOut.
	Marketing bool
	// IdempotencyKey identifies the message across retries; adapters pass it
	// to the provider (a header, a field) so a retried send can be deduplicated.
	IdempotencyKey string
	// UnsubscribeURL is an https URL that unsubscribes the recipient with one
	// POST (RFC 8058); UnsubscribeMailto an address that does it by mail.
	UnsubscribeURL    string
	UnsubscribeMailto string
}

// Result is what a provider answered to an accepted message.
type Result struct {
	ID string // the provider's message id (for email, the Message-ID)
}

// Sender sends messages through one channel.
type Sender interface {
	// Send delivers m to the provider and returns its message id. On failure
	// IsTemporary says whether the same message may be sent again later.
	Send(ctx context.Context, m Message) (Result, error)
}

// Error is a provider's refusal or a failure to reach it.
type Error struct {
	Channel   string // "email", "sms", "wechat", "webhook"
	Temporary bool   // worth retrying later with backoff
	Code      string // the provider's code: SMTP reply code, HTTP status, gateway code
	Message   string
	Err       error // the underlying error, if any
}

// Error says which channel failed, how and why.
func (e *Error) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	s := fmt.Sprintf("channel: %s: %s failure", e.Channel, kind)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.Err }

// IsTemporary reports whether err is a failure that may go away: an *Error
// marked Temporary, a network timeout or a deadline exceeded. Anything else
// — a permanent *Error, an invalid message (guanxi EINVALID), a cancelled
// context — is not worth sending again as it is.
func IsTemporary(err error) bool {
	if err == nil {
		return false
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Temporary
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return true
	}
	return false
}

// temporary and permanent build *Errors.
func temporary(ch, code, msg string, err error) *Error {
	return &Error{Channel: ch, Temporary: true, Code: code, Message: msg, Err: err}
}

func permanent(ch, code, msg string, err error) *Error {
	return &Error{Channel: ch, Code: code, Message: msg, Err: err}
}

// transportError classifies a failure to exchange a request with a provider:
// the caller cancelling is permanent (it gave up), anything else — refused
// connections, resets, timeouts — temporary.
func transportError(ctx context.Context, ch string, err error) error {
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled) {
		return permanent(ch, "", "cancelled", err)
	}
	if errors.Is(err, netguard.ErrRefused) {
		// The provider's address is one Guanxi may not reach: sending again
		// will not change that, the settings must.
		return permanent(ch, "", "address refused", err)
	}
	return temporary(ch, "", "", err)
}

// statusError classifies an HTTP answer that is not 2xx: 408, 425, 429 and
// 5xx are temporary, other statuses permanent.
func statusError(ch string, status int, body []byte) *Error {
	msg := strings.TrimSpace(string(body))
	if len(msg) > 200 {
		msg = msg[:200]
	}
	code := fmt.Sprint(status)
	switch {
	case status == http.StatusRequestTimeout, status == http.StatusTooEarly,
		status == http.StatusTooManyRequests, status >= 500:
		return temporary(ch, code, msg, nil)
	default:
		return permanent(ch, code, msg, nil)
	}
}

// newHTTPClient returns a client whose transport keeps up to conns idle
// connections per host alive, so that concurrent senders reuse them instead
// of dialling for each message. Its dials go through netguard: loopback,
// link-local and private addresses are refused unless allowPrivate (which
// still refuses link-local), also after a redirect or a DNS answer that
// changed since the settings were saved.
func newHTTPClient(conns int, timeout time.Duration, allowPrivate bool) *http.Client {
	if conns <= 0 {
		conns = 64
	}
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	t := netguard.Transport(allowPrivate)
	t.MaxIdleConns = conns * 2
	t.MaxIdleConnsPerHost = conns
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: t, Timeout: timeout}
}

// nonce returns 16 random bytes in hex.
func nonce() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand panics rather than returning an error)
	return hex.EncodeToString(b)
}

// hasCRLF reports whether s would break out of a header line.
func hasCRLF(s string) bool { return strings.ContainsAny(s, "\r\n\x00") }

// doJSON sends req and decodes a JSON answer into out when there is one. It
// returns the status and the raw body (at most 1 MiB); the body is read to
// the end so that the connection goes back to the pool.
func doJSON(c *http.Client, req *http.Request, out any) (int, []byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	raw, err := readAll(resp)
	if err != nil {
		return 0, nil, err
	}
	if out != nil && len(raw) > 0 {
		json.Unmarshal(raw, out) // a non-JSON answer leaves out empty: the status decides
	}
	return resp.StatusCode, raw, nil
}

// readAll reads at most 1 MiB of resp's body, discards the rest and closes
// it, so that the connection goes back to the pool.
func readAll(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	io.Copy(io.Discard, resp.Body)
	return raw, err
}

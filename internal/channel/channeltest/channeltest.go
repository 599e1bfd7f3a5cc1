// Package channeltest has loopback providers for tests and benchmarks of
// sending: an SMTP sink and an SMS gateway speaking internal/channel's
// gateway protocol. They receive real messages over real connections and
// keep what arrived, so a test can check who got what and how often.
package channeltest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"

	"github.com/guanxi-crm/guanxi/internal/channel"
)

// Mail is one message the SMTP sink accepted.
type Mail struct {
	From, To  string
	MessageID string
	Header    mail.Header
	Body      string
}

// SMTPSink is a loopback SMTP server that accepts every message, except to
// recipients starting "bounce" (refused with 550 at RCPT) and while
// TempFail is set (451 at DATA). It advertises PIPELINING and 8BITMIME.
type SMTPSink struct {
	ln net.Listener

	mu       sync.Mutex
	mails    []Mail
	byRcpt   map[string]int
	accepted int  // the sum of byRcpt, for Count in O(1): crash tests poll it
	keep     bool // keep whole messages (tests) or only count (benchmarks)
	tempFail int  // the next n DATA commands answer 451
	conns    int
}

// NewSMTPSink listens on a loopback port. With keep false it only counts
// messages per recipient, for benchmarks of a million messages.
func NewSMTPSink(keep bool) (*SMTPSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &SMTPSink{ln: ln, byRcpt: map[string]int{}, keep: keep}
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
	return s, nil
}

// Addr is the sink's host:port.
func (s *SMTPSink) Addr() string { return s.ln.Addr().String() }

// Close stops listening.
func (s *SMTPSink) Close() error { return s.ln.Close() }

// TempFail makes the next n messages fail with 451 at DATA.
func (s *SMTPSink) TempFail(n int) {
	s.mu.Lock()
	s.tempFail = n
	s.mu.Unlock()
}

// Mails returns the messages kept.
func (s *SMTPSink) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Received returns how many messages each recipient got.
func (s *SMTPSink) Received() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.byRcpt))
	for k, v := range s.byRcpt {
		out[k] = v
	}
	return out
}

// Count is the number of messages accepted.
func (s *SMTPSink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

func (s *SMTPSink) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	say := func(line string) { w.WriteString(line + "\r\n") }
	say("220 sink ESMTP")
	w.Flush()
	var from, to string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			say("250-sink")
			say("250-8BITMIME")
			say("250 PIPELINING")
		case "MAIL":
			from, to = strings.Trim(strings.TrimPrefix(strings.Fields(arg + " x")[0], "FROM:"), "<>"), ""
			say("250 ok")
		case "RCPT":
			to = strings.Trim(strings.TrimPrefix(arg, "TO:"), "<>")
			if strings.HasPrefix(to, "bounce") {
				to = ""
				say("550 5.1.1 no such user")
			} else {
				say("250 ok")
			}
		case "DATA":
			say("354 go on")
			w.Flush()
			var buf bytes.Buffer
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" || l == ".\n" {
					break
				}
				if s.keep {
					buf.WriteString(strings.TrimPrefix(l, "."))
				}
			}
			s.mu.Lock()
			fail := s.tempFail > 0
			if fail {
				s.tempFail--
			} else if to != "" {
				s.byRcpt[to]++
				s.accepted++
				if s.keep {
					m := Mail{From: from, To: to}
					if msg, err := mail.ReadMessage(&buf); err == nil {
						body, _ := io.ReadAll(msg.Body)
						m.Header, m.Body, m.MessageID = msg.Header, string(body), msg.Header.Get("Message-Id")
					}
					s.mails = append(s.mails, m)
				}
			}
			s.mu.Unlock()
			if fail {
				say("451 4.3.0 try again later")
			} else {
				say("250 queued")
			}
		case "RSET":
			from, to = "", ""
			say("250 ok")
		case "NOOP":
			say("250 ok")
		case "QUIT":
			say("221 bye")
			w.Flush()
			return
		default:
			say("502 not implemented")
		}
		// Pipelined commands are answered together: flush only when the
		// client has sent everything it had.
		if r.Buffered() == 0 {
			if w.Flush() != nil {
				return
			}
		}
	}
}

// SMSGateway is a loopback SMS gateway for internal/channel's SMS sender:
// it checks the signature, and it deduplicates by idempotency key as the
// protocol asks — a request repeating a key answers OK with the first
// message id and delivers nothing more.
type SMSGateway struct {
	*httptest.Server
	AppKey, Secret string

	mu         sync.Mutex
	delivered  map[string]int // phone → messages delivered
	byKey      map[string]string
	repeats    int
	keep       bool
	requests   []channel.SMSRequest
	failPhones map[string]string // phone → error code answered
}

// NewSMSGateway starts a gateway; with keep false it only counts.
func NewSMSGateway(keep bool) *SMSGateway {
	g := &SMSGateway{AppKey: "app", Secret: "gateway-secret", delivered: map[string]int{}, byKey: map[string]string{},
		keep: keep, failPhones: map[string]string{}}
	g.Server = httptest.NewUnstartedServer(http.HandlerFunc(g.serve))
	g.Server.Config.SetKeepAlivesEnabled(true)
	g.Start()
	return g
}

// Fail makes messages to phone fail with the gateway code.
func (g *SMSGateway) Fail(phone, code string) {
	g.mu.Lock()
	g.failPhones[phone] = code
	g.mu.Unlock()
}

func (g *SMSGateway) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	ts, nonce := r.Header.Get("X-Timestamp"), r.Header.Get("X-Nonce")
	if r.Header.Get("X-App-Key") != g.AppKey || r.Header.Get("X-Signature") != channel.SignSMS(g.Secret, ts, nonce, body) {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(channel.SMSResponse{Code: "BAD_SIGNATURE"})
		return
	}
	var req channel.SMSRequest
	if err := json.Unmarshal(body, &req); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(channel.SMSResponse{Code: "BAD_REQUEST"})
		return
	}
	g.mu.Lock()
	if code, ok := g.failPhones[req.Phone]; ok {
		g.mu.Unlock()
		json.NewEncoder(w).Encode(channel.SMSResponse{Code: code, Message: "refused"})
		return
	}
	id, seen := g.byKey[req.IdempotencyKey]
	if seen && req.IdempotencyKey != "" {
		g.repeats++
	} else {
		id = fmt.Sprintf("sms-%d", len(g.byKey)+1)
		if req.IdempotencyKey != "" {
			g.byKey[req.IdempotencyKey] = id
		}
		g.delivered[req.Phone]++
		if g.keep {
			g.requests = append(g.requests, req)
		}
	}
	g.mu.Unlock()
	json.NewEncoder(w).Encode(channel.SMSResponse{Code: "OK", MessageID: id})
}

// Delivered returns how many messages each phone got.
func (g *SMSGateway) Delivered() map[string]int {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[string]int, len(g.delivered))
	for k, v := range g.delivered {
		out[k] = v
	}
	return out
}

// Phones is how many phones got a message, len(Delivered()) without the
// copy: crash tests poll it every fraction of a millisecond.
func (g *SMSGateway) Phones() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.delivered)
}

// Requests returns the messages kept (keep true).
func (g *SMSGateway) Requests() []channel.SMSRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]channel.SMSRequest(nil), g.requests...)
}

// Repeats is how many requests repeated a key already delivered.
func (g *SMSGateway) Repeats() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.repeats
}

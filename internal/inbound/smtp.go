package inbound

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/shop"
)

// SMTPServer receives the shops' service mail: a recipient service+<code>@…
// (or <code>@…) names the shop, and each mail becomes a ticket or a note on
// the ticket it answers. It is meant for a loopback or internal address
// behind the shop's mail system (which forwards to it): it speaks plain
// SMTP, no TLS, no authentication, no relaying. Mail for an unknown shop is
// refused at RCPT with 550, unreadable mail at DATA with 550, and a
// failure of the database with 451 so the sender retries: nothing accepted
// with 250 is lost, and a retry is recognised by its Message-ID.
type SMTPServer struct {
	In       *Service
	Hostname string        // announced in the greeting; "guanxi" when empty
	MaxSize  int64         // bytes of one mail; 10 MiB when 0
	MaxConns int           // connections served at once, more are told to retry; 16 when 0
	Timeout  time.Duration // for each command and for the whole of DATA; 2 minutes when 0
	Log      *slog.Logger

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

const (
	maxLine  = 4096 // bytes of a command line (RFC 5321 asks for 512)
	maxRcpts = 20
	maxBad   = 10 // unknown or out-of-order commands before the connection is closed
)

func (s *SMTPServer) defaults() {
	if s.Hostname == "" {
		s.Hostname = "guanxi"
	}
	if s.MaxSize <= 0 {
		s.MaxSize = 10 << 20
	}
	if s.MaxConns <= 0 {
		s.MaxConns = 16
	}
	if s.Timeout <= 0 {
		s.Timeout = 2 * time.Minute
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
}

// Serve accepts connections on ln until ctx is done, then closes ln and
// every connection and returns once their sessions have ended.
func (s *SMTPServer) Serve(ctx context.Context, ln net.Listener) error {
	s.defaults()
	s.mu.Lock()
	s.conns = map[net.Conn]struct{}{}
	s.mu.Unlock()
	sem := make(chan struct{}, s.MaxConns)
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() {
		_ = ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
	})
	defer stop()
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			return fmt.Errorf("inbound smtp: accept: %w", err)
		}
		select {
		case sem <- struct{}{}:
		default:
			_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			_, _ = io.WriteString(c, "421 4.3.2 "+s.Hostname+" too busy, try again later\r\n")
			_ = c.Close()
			continue
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		wg.Go(func() {
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				_ = c.Close()
				<-sem
			}()
			s.session(ctx, c)
		})
	}
}

// limited is the connection's reader with a budget, reset before each
// command and each DATA, so no line or mail can grow without bound.
type limited struct {
	r io.Reader
	n int64
}

func (l *limited) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errTooLong
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	return k, err
}

var errTooLong = errors.New("input over the limit")

// session is one SMTP conversation.
type session struct {
	s     *SMTPServer
	c     net.Conn
	lim   *limited
	r     *textproto.Reader
	w     *textproto.Writer
	helo  bool
	from  string
	rcpts []rcpt
	bad   int
}

type rcpt struct {
	addr string
	shop *shop.Shop
}

func (s *SMTPServer) session(ctx context.Context, c net.Conn) {
	lim := &limited{r: c, n: maxLine}
	ss := &session{s: s, c: c, lim: lim, r: textproto.NewReader(bufio.NewReader(lim)), w: textproto.NewWriter(bufio.NewWriter(c))}
	ss.reply(220, s.Hostname+" Guanxi service mail ESMTP")
	for {
		lim.n = maxLine
		_ = c.SetDeadline(time.Now().Add(s.Timeout))
		line, err := ss.r.ReadLine()
		if err != nil {
			if errors.Is(err, errTooLong) {
				ss.reply(500, "5.5.2 line too long")
			} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
				ss.reply(421, "4.4.2 "+s.Hostname+" timeout, closing")
			}
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		if !ss.command(ctx, strings.ToUpper(verb), strings.TrimSpace(arg)) {
			return
		}
		if ss.bad >= maxBad {
			ss.reply(421, "4.7.0 too many errors, closing")
			return
		}
	}
}

func (ss *session) reply(code int, text string) {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		_ = ss.w.PrintfLine("%d%s%s", code, sep, l)
	}
}

func (ss *session) refuse(code int, text string) {
	ss.bad++
	ss.reply(code, text)
}

// command runs one command; false ends the session.
func (ss *session) command(ctx context.Context, verb, arg string) bool {
	s := ss.s
	switch verb {
	case "HELO", "EHLO":
		if arg == "" {
			ss.refuse(501, "5.5.4 "+verb+" needs a domain")
			return true
		}
		ss.helo, ss.from, ss.rcpts = true, "", nil
		if verb == "HELO" {
			ss.reply(250, s.Hostname)
		} else {
			ss.reply(250, s.Hostname+"\nSIZE "+strconv.FormatInt(s.MaxSize, 10)+"\n8BITMIME\nENHANCEDSTATUSCODES")
		}
	case "MAIL":
		addr, params, ok := path(arg, "FROM:")
		switch {
		case !ss.helo:
			ss.refuse(503, "5.5.1 say HELO or EHLO first")
		case ss.from != "":
			ss.refuse(503, "5.5.1 MAIL already given: RSET first")
		case !ok:
			ss.refuse(501, "5.5.4 syntax: MAIL FROM:<address>")
		default:
			for _, p := range params {
				if v, ok := strings.CutPrefix(strings.ToUpper(p), "SIZE="); ok {
					if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > s.MaxSize {
						ss.reply(552, fmt.Sprintf("5.3.4 message size %d exceeds the limit of %d bytes", n, s.MaxSize))
						return true
					}
				}
			}
			ss.from = cmpOr(addr, "<>")
			ss.reply(250, "2.1.0 sender ok")
		}
	case "RCPT":
		addr, _, ok := path(arg, "TO:")
		switch {
		case ss.from == "":
			ss.refuse(503, "5.5.1 MAIL FROM first")
		case !ok || addr == "":
			ss.refuse(501, "5.5.4 syntax: RCPT TO:<address>")
		case len(ss.rcpts) >= maxRcpts:
			ss.reply(452, "4.5.3 too many recipients")
		default:
			code, err := ShopCode("<" + addr + ">")
			if err != nil {
				ss.refuse(501, "5.1.3 "+err.Error())
				return true
			}
			lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			sh, err := ss.s.In.Shop(lctx, code)
			cancel()
			switch {
			case guanxi.ErrorCode(err) == guanxi.ENOTFOUND:
				ss.refuse(550, fmt.Sprintf("5.1.1 <%s>: no shop %q here; write to service+<shop code>@ this host", addr, code))
			case err != nil:
				s.Log.Error("inbound smtp: shop lookup failed", "rcpt", addr, "err", err)
				ss.reply(451, "4.3.0 temporary failure, try again later")
			default:
				ss.rcpts = append(ss.rcpts, rcpt{addr: addr, shop: sh})
				ss.reply(250, "2.1.5 recipient ok: shop "+sh.Code)
			}
		}
	case "DATA":
		if len(ss.rcpts) == 0 {
			ss.refuse(503, "5.5.1 RCPT TO first")
			return true
		}
		return ss.data(ctx)
	case "RSET":
		ss.from, ss.rcpts = "", nil
		ss.reply(250, "2.0.0 reset")
	case "NOOP":
		ss.reply(250, "2.0.0 ok")
	case "VRFY":
		ss.reply(252, "2.5.0 cannot verify, send and see")
	case "QUIT":
		ss.reply(221, "2.0.0 "+s.Hostname+" closing")
		return false
	default:
		ss.refuse(502, "5.5.2 command not implemented")
	}
	return true
}

// path reads "FROM:<addr> PARAM…" (prefix FROM: or TO:).
func path(arg, prefix string) (string, []string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", nil, false
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if !strings.HasPrefix(rest, "<") {
		return "", nil, false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", nil, false
	}
	return rest[1:end], strings.Fields(rest[end+1:]), true
}

// data reads the mail and records it in each recipient's shop; false ends
// the session (the mail was too large to read to its end).
func (ss *session) data(ctx context.Context) bool {
	s := ss.s
	ss.reply(354, "end data with <CR><LF>.<CR><LF>")
	ss.lim.n = s.MaxSize + s.MaxSize/8 + 4096 // dot-stuffing and line ends
	_ = ss.c.SetDeadline(time.Now().Add(s.Timeout))
	var buf bytes.Buffer
	dr := ss.r.DotReader()
	n, err := io.Copy(&buf, io.LimitReader(dr, s.MaxSize+1))
	switch {
	case err == nil && n > s.MaxSize:
		// Read the rest to its end (within a bound) so the client, still
		// writing, hears the refusal and the session can go on.
		ss.lim.n = 4 * s.MaxSize
		_, derr := io.Copy(io.Discard, dr)
		ss.reply(552, fmt.Sprintf("5.3.4 message exceeds the limit of %d bytes", s.MaxSize))
		return derr == nil
	case errors.Is(err, errTooLong):
		ss.reply(552, fmt.Sprintf("5.3.4 message exceeds the limit of %d bytes", s.MaxSize))
		return false
	case err != nil:
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			ss.reply(421, "4.4.2 timeout while reading the message")
		}
		return false
	}
	rcpts := ss.rcpts
	ss.from, ss.rcpts = "", nil
	m, err := ParseMail(buf.Bytes())
	if err != nil {
		s.Log.Warn("inbound smtp: mail refused", "err", err)
		ss.reply(550, "5.6.0 "+guanxi.ErrorMessage(err))
		return true
	}
	var done []string
	seen := map[int64]bool{}
	for _, rc := range rcpts {
		if seen[rc.shop.ID] {
			continue
		}
		seen[rc.shop.ID] = true
		mc := *m
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		res, err := s.In.Receive(rctx, rc.shop.ID, &mc)
		cancel()
		switch code := guanxi.ErrorCode(err); {
		case err == nil:
			done = append(done, fmt.Sprintf("%s #%d", rc.shop.Code, res.TicketID))
			s.Log.Info("inbound mail", "shop", rc.shop.Code, "ticket", res.TicketID, "created", res.Created, "duplicate", res.Duplicate)
		case code == guanxi.EINVALID || code == guanxi.ENOTFOUND || code == guanxi.EFORBIDDEN:
			// The mail itself is at fault: retrying will not help. Shops
			// already done keep it, and recognise it if it comes again.
			s.Log.Warn("inbound smtp: mail refused", "shop", rc.shop.Code, "err", err)
			ss.reply(550, "5.6.0 "+guanxi.ErrorMessage(err))
			return true
		default:
			s.Log.Error("inbound smtp: mail not recorded", "shop", rc.shop.Code, "err", err)
			ss.reply(451, "4.3.0 could not record the mail now, try again later")
			return true
		}
	}
	ss.reply(250, "2.0.0 recorded as ticket "+strings.Join(done, ", "))
	return true
}

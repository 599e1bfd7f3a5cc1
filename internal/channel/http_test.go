package channel

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/webhook"
)

// smsGateway is a loopback SMS gateway that checks signatures and answers
// with the next scripted reply, then OK.
type smsGateway struct {
	*httptest.Server
	secret string

	mu      sync.Mutex
	replies []smsReply
	got     []SMSRequest
	conns   atomic.Int64
}

type smsReply struct {
	status int
	code   string
}

func newSMSGateway(t testing.TB, record bool) *smsGateway {
	g := &smsGateway{secret: "gw-secret"}
	var seq atomic.Int64
	g.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts, n := r.Header.Get("X-Timestamp"), r.Header.Get("X-Nonce")
		if r.Header.Get("X-App-Key") != "app-1" || r.Header.Get("X-Signature") != SignSMS(g.secret, ts, n, body) || len(n) != 32 {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(SMSResponse{Code: "BAD_SIGNATURE"})
			return
		}
		reply := smsReply{http.StatusOK, "OK"}
		if record {
			var req SMSRequest
			if err := json.Unmarshal(body, &req); err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			g.mu.Lock()
			g.got = append(g.got, req)
			if len(g.replies) > 0 {
				reply, g.replies = g.replies[0], g.replies[1:]
			}
			g.mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(reply.status)
		if reply.code != "" {
			json.NewEncoder(w).Encode(SMSResponse{Code: reply.code, MessageID: fmt.Sprint("m", seq.Add(1))})
		} else {
			io.WriteString(w, "upstream exploded")
		}
	}))
	g.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			g.conns.Add(1)
		}
	}
	g.Start()
	t.Cleanup(g.Close)
	return g
}

func newTestSMS(t testing.TB, g *smsGateway, conns int) *SMS {
	s, err := NewSMS(SMSConfig{AllowPrivateNetwork: true, Endpoint: g.URL + "/sms/send", AppKey: "app-1", AppSecret: g.secret, SignName: "西湖茶庄", Conns: conns})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSMSContent(t *testing.T) {
	g := newSMSGateway(t, true)
	s := newTestSMS(t, g, 4)
	ctx := context.Background()
	tests := []struct {
		m    Message
		want string
	}{
		{Message{To: "+86 138 1234 5678", Text: "双十一龙井八折，欢迎选购", Marketing: true}, "【西湖茶庄】双十一龙井八折，欢迎选购 回T退订"},
		{Message{To: "13812345678", Text: "【西湖茶庄】新茶到店，回T退订", Marketing: true}, "【西湖茶庄】新茶到店，回T退订"},
		{Message{To: "13812345678", Text: "您的订单已发货"}, "【西湖茶庄】您的订单已发货"},
		{Message{To: "13812345678", Template: "SMS_001", Params: map[string]string{"name": "李雷"}}, ""},
	}
	for i, tt := range tests {
		res, err := s.Send(ctx, tt.m)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if res.ID == "" {
			t.Errorf("%d: no message id", i)
		}
		g.mu.Lock()
		got := g.got[len(g.got)-1]
		g.mu.Unlock()
		if got.Content != tt.want || got.Phone != "13812345678" || got.SignName != "西湖茶庄" {
			t.Errorf("%d: sent %+v, want content %q", i, got, tt.want)
		}
	}
	if last := g.got[3]; last.TemplateID != "SMS_001" || last.Params["name"] != "李雷" {
		t.Errorf("template request %+v", last)
	}
	if n := g.conns.Load(); n != 1 {
		t.Errorf("%d connections for 4 sequential messages, want 1", n)
	}
	for _, m := range []Message{{To: "138****5678", Text: "x"}, {To: "12", Text: "x"}, {To: "13812345678"}} {
		if _, err := s.Send(ctx, m); guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("%+v: %v, want EINVALID", m, err)
		}
	}
}

func TestSMSErrors(t *testing.T) {
	g := newSMSGateway(t, true)
	s := newTestSMS(t, g, 4)
	m := Message{To: "13812345678", Text: "您好", IdempotencyKey: "c1/42"}
	tests := []struct {
		reply     smsReply
		temporary bool
		code      string
	}{
		{smsReply{500, ""}, true, "500"},
		{smsReply{503, "SYSTEM_BUSY"}, true, "SYSTEM_BUSY"},
		{smsReply{429, ""}, true, "429"},
		{smsReply{200, "THROTTLED"}, true, "THROTTLED"},
		{smsReply{200, "BLACKLISTED"}, false, "BLACKLISTED"},
		{smsReply{400, "INVALID_PHONE"}, false, "INVALID_PHONE"},
		{smsReply{403, ""}, false, "403"},
	}
	for _, tt := range tests {
		g.mu.Lock()
		g.replies = []smsReply{tt.reply}
		g.mu.Unlock()
		_, err := s.Send(context.Background(), m)
		ce, ok := err.(*Error)
		if !ok || IsTemporary(err) != tt.temporary || ce.Code != tt.code {
			t.Errorf("%+v: %v (temporary %v), want temporary %v code %s", tt.reply, err, IsTemporary(err), tt.temporary, tt.code)
		}
		// The retry succeeds.
		if _, err := s.Send(context.Background(), m); err != nil {
			t.Errorf("%+v: retry: %v", tt.reply, err)
		}
	}

	// A wrong secret is refused by the gateway: permanent.
	bad, _ := NewSMS(SMSConfig{AllowPrivateNetwork: true, Endpoint: g.URL, AppKey: "app-1", AppSecret: "wrong", SignName: "【西湖茶庄】"})
	if _, err := bad.Send(context.Background(), m); err == nil || IsTemporary(err) {
		t.Errorf("bad signature: %v, want a permanent error", err)
	}

	// A gateway that does not answer in time, and one that is gone: temporary.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(200 * time.Millisecond) }))
	defer slow.Close()
	ss, _ := NewSMS(SMSConfig{AllowPrivateNetwork: true, Endpoint: slow.URL, AppKey: "k", AppSecret: "s", SignName: "x", Timeout: 20 * time.Millisecond})
	if _, err := ss.Send(context.Background(), m); !IsTemporary(err) {
		t.Errorf("timeout: %v, want a temporary error", err)
	}
	g.Close()
	if _, err := s.Send(context.Background(), m); !IsTemporary(err) {
		t.Errorf("gateway gone: %v, want a temporary error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ss.Send(ctx, m); err == nil || IsTemporary(err) {
		t.Errorf("cancelled: %v, want a permanent error", err)
	}
}

func BenchmarkSMS(b *testing.B) {
	const n, workers = 10000, 32
	g := newSMSGateway(b, false)
	s := newTestSMS(b, g, workers)
	m := Message{To: "13812345678", Text: "双十一龙井八折，欢迎选购", Marketing: true}
	start := time.Now()
	for range b.N {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for next.Add(1) <= n {
					if _, err := s.Send(context.Background(), m); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(b.N*n)/time.Since(start).Seconds(), "msgs/s")
	b.ReportMetric(float64(g.conns.Load()), "conns")
}

// mutableClock is a clock tests move forward.
type mutableClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *mutableClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *mutableClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// wechatServer is a loopback WeChat API: it issues tokens t1, t2, ... and
// accepts template messages sent with the current one.
type wechatServer struct {
	*httptest.Server
	mu      sync.Mutex
	current string
	issued  int
	sent    []map[string]any
	errcode int // answered to the next send, once
	badNext int // tokens issued from now on that are already invalid
}

func newWeChatServer(t *testing.T) *wechatServer {
	s := &wechatServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/token", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("grant_type") != "client_credential" || q.Get("appid") != "wx1" || q.Get("secret") != "wxsecret" {
			json.NewEncoder(w).Encode(map[string]any{"errcode": 40125, "errmsg": "invalid appsecret"})
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.issued++
		tok := "t" + strconv.Itoa(s.issued)
		if s.badNext == 0 {
			s.current = tok
		}
		json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "expires_in": 7200})
	})
	mux.HandleFunc("POST /cgi-bin/message/template/send", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.URL.Query().Get("access_token") != s.current {
			json.NewEncoder(w).Encode(map[string]any{"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"})
			return
		}
		if s.errcode != 0 {
			json.NewEncoder(w).Encode(map[string]any{"errcode": s.errcode, "errmsg": "scripted"})
			s.errcode = 0
			return
		}
		s.sent = append(s.sent, body)
		json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok", "msgid": 1000 + len(s.sent)})
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *wechatServer) tokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

func TestWeChat(t *testing.T) {
	srv := newWeChatServer(t)
	clock := &mutableClock{t: testTime}
	w, err := NewWeChat(WeChatConfig{AllowPrivateNetwork: true, BaseURL: srv.URL + "/", AppID: "wx1", AppSecret: "wxsecret", Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m := Message{To: "oABC123", Template: "TPL_ORDER", URL: "https://shop.example/o/1", Params: map[string]string{"first": "您的订单已发货", "keyword1": "龙井 250g"}}

	// Concurrent first sends fetch one token.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := w.Send(ctx, m); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	res, err := w.Send(ctx, m)
	if err != nil || res.ID != "1009" {
		t.Fatalf("send: %q, %v", res.ID, err)
	}
	if srv.tokens() != 1 {
		t.Errorf("%d tokens fetched for 9 messages, want 1", srv.tokens())
	}
	srv.mu.Lock()
	got := srv.sent[0]
	srv.mu.Unlock()
	if got["touser"] != "oABC123" || got["template_id"] != "TPL_ORDER" || got["url"] != "https://shop.example/o/1" ||
		got["data"].(map[string]any)["keyword1"].(map[string]any)["value"] != "龙井 250g" {
		t.Errorf("sent %v", got)
	}

	// The server invalidates t1 before it expires (another process fetched a
	// token): one refresh, then success.
	srv.mu.Lock()
	srv.current = "t2" // the next token issued
	srv.mu.Unlock()
	if _, err := w.Send(ctx, m); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if srv.tokens() != 2 {
		t.Errorf("%d tokens fetched after rotation, want 2", srv.tokens())
	}

	// Expiry: a token is renewed before its 7200 s are up.
	clock.Add(7200*time.Second - 4*time.Minute)
	if _, err := w.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	if srv.tokens() != 3 {
		t.Errorf("%d tokens fetched after expiry, want 3", srv.tokens())
	}

	// A token the server keeps refusing: refreshed once only, then a permanent error.
	srv.mu.Lock()
	srv.current, srv.badNext = "never", 1
	srv.mu.Unlock()
	_, err = w.Send(ctx, m)
	if err == nil || IsTemporary(err) {
		t.Errorf("refused token: %v, want a permanent error", err)
	}
	if srv.tokens() != 4 {
		t.Errorf("%d tokens fetched, want 4 (one refresh)", srv.tokens())
	}
	srv.mu.Lock()
	srv.badNext = 0
	srv.mu.Unlock()

	// API errors.
	for code, temp := range map[int]bool{-1: true, 45009: true, 43004: false, 40003: false} {
		w.invalidate(w.token)
		srv.mu.Lock()
		srv.errcode = code
		srv.mu.Unlock()
		_, err := w.Send(ctx, m)
		if err == nil || IsTemporary(err) != temp {
			t.Errorf("errcode %d: %v, want temporary %v", code, err, temp)
		}
	}
	if _, err := w.Send(ctx, Message{To: "oABC"}); guanxi.ErrorCode(err) != guanxi.EINVALID {
		t.Errorf("no template: %v, want EINVALID", err)
	}
	bad, _ := NewWeChat(WeChatConfig{AllowPrivateNetwork: true, BaseURL: srv.URL, AppID: "wx1", AppSecret: "wrong"})
	if _, err := bad.Send(ctx, m); err == nil || IsTemporary(err) {
		t.Errorf("bad app secret: %v, want a permanent error", err)
	}
}

func TestWebhook(t *testing.T) {
	const secret = "whsec_test"
	var mu sync.Mutex
	var got []WebhookPayload
	fail := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts, _ := strconv.ParseInt(r.Header.Get("X-Guanxi-Timestamp"), 10, 64)
		// Verified with the inbound webhook package's own Sign.
		if r.Header.Get("X-Guanxi-Signature") != webhook.Sign(secret, ts, body) || ts != testTime.Unix() {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if fail != 0 {
			http.Error(w, "scripted", fail)
			fail = 0
			return
		}
		var p WebhookPayload
		json.Unmarshal(body, &p)
		got = append(got, p)
		if r.Header.Get("X-Guanxi-Delivery") == "with-id" {
			w.Header().Set("X-Message-Id", "receiver-7")
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	h, err := NewWebhook(WebhookConfig{AllowPrivateNetwork: true, URL: srv.URL, Secret: secret, Clock: guanxi.FixedClock(testTime)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m := Message{To: "13812345678", Text: "新茶到店", Params: map[string]string{"k": "v"}, IdempotencyKey: "c1/42"}
	res, err := h.Send(ctx, m)
	if err != nil || res.ID != "c1/42" {
		t.Fatalf("send: %q, %v", res.ID, err)
	}
	if len(got) != 1 || got[0].To != m.To || got[0].Text != m.Text || got[0].Params["k"] != "v" || got[0].IdempotencyKey != "c1/42" {
		t.Errorf("received %+v", got)
	}
	m.IdempotencyKey = "with-id"
	if res, err := h.Send(ctx, m); err != nil || res.ID != "receiver-7" {
		t.Errorf("X-Message-Id: %q, %v", res.ID, err)
	}
	for status, temp := range map[int]bool{500: true, 502: true, 429: true, 408: true, 400: false, 404: false, 410: false} {
		mu.Lock()
		fail = status
		mu.Unlock()
		_, err := h.Send(ctx, m)
		if err == nil || IsTemporary(err) != temp {
			t.Errorf("status %d: %v, want temporary %v", status, err, temp)
		}
	}
	wrong, _ := NewWebhook(WebhookConfig{AllowPrivateNetwork: true, URL: srv.URL, Secret: "other", Clock: guanxi.FixedClock(testTime)})
	if _, err := wrong.Send(ctx, m); err == nil || IsTemporary(err) {
		t.Errorf("wrong secret: %v, want a permanent error", err)
	}
	if _, err := h.Send(ctx, Message{IdempotencyKey: "a\r\nb"}); guanxi.ErrorCode(err) != guanxi.EINVALID {
		t.Errorf("CRLF in key: %v, want EINVALID", err)
	}
	if SignWebhook(secret, 1700000000, []byte(`{}`)) != webhook.Sign(secret, 1700000000, []byte(`{}`)) {
		t.Error("SignWebhook differs from webhook.Sign")
	}
}

func TestIsTemporary(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{temporary("sms", "", "", nil), true},
		{fmt.Errorf("dispatch: %w", temporary("sms", "", "", nil)), true},
		{permanent("sms", "", "", nil), false},
		{guanxi.Errorf(guanxi.EINVALID, "bad"), false},
		{context.DeadlineExceeded, true},
		{context.Canceled, false},
		{&net.OpError{Op: "dial", Err: timeoutErr{}}, true},
		{io.EOF, false},
	}
	for _, tt := range tests {
		if got := IsTemporary(tt.err); got != tt.want {
			t.Errorf("IsTemporary(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	if s := temporary("email", "451", "DATA: try later", nil).Error(); !strings.Contains(s, "temporary") || !strings.Contains(s, "451") {
		t.Errorf("Error() = %q", s)
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

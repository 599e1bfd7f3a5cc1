package inbound_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/smtp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/demo/demotest"
	"github.com/guanxi-crm/guanxi/internal/inbound"
	"github.com/guanxi-crm/guanxi/internal/seal"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

var ctx = context.Background()

// pngBytes is the start of a PNG: enough for its type to be sniffed.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...)

// multipartMail is a mail as a Chinese mail client sends it: the subject
// and sender's name RFC 2047-encoded, the text quoted-printable UTF-8, a
// photo in base64.
func multipartMail(msgID, subject, from, extra string) string {
	b64 := base64.StdEncoding.EncodeToString(pngBytes)
	return "From: " + mime.BEncoding.Encode("UTF-8", "王芳") + " <" + from + ">\r\n" +
		"To: service+a@shop.example\r\n" +
		"Subject: " + mime.BEncoding.Encode("UTF-8", subject) + "\r\n" +
		"Message-ID: " + msgID + "\r\n" + extra +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: multipart/alternative; boundary=\"b2\"\r\n\r\n" +
		"--b2\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"=E8=8C=B6=E5=8F=B6=E5=8C=85=E8=A3=85=E7=A0=B4=E4=BA=86=EF=BC=8C=E8=AF=B7=E7=9C=8B=E7=85=A7=E7=89=87=E3=80=82\r\n" + // 茶叶包装破了，请看照片。
		"--b2\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>茶叶包装破了</p>\r\n--b2--\r\n" +
		"--b1\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n" +
		"Content-Disposition: attachment; filename=\"" + mime.BEncoding.Encode("UTF-8", "破损.png") + "\"\r\n\r\n" +
		b64[:40] + "\r\n" + b64[40:] + "\r\n--b1--\r\n"
}

func TestParseMail(t *testing.T) {
	m, err := inbound.ParseMail([]byte(multipartMail("<m1@client>", "包裹破损 [#12]", "Wang.Fang@Example.com", "In-Reply-To: <r1@guanxi>\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "包裹破损 [#12]" || m.TicketRef != 12 || m.Customer.Name != "王芳" || m.Customer.Email != "Wang.Fang@Example.com" ||
		m.Text != "茶叶包装破了，请看照片。" || m.MessageID != "<m1@client>" || len(m.InReplyTo) != 1 || m.InReplyTo[0] != "<r1@guanxi>" {
		t.Errorf("parsed: %+v", m)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Name != "破损.png" || string(m.Attachments[0].Data) != string(pngBytes) {
		t.Errorf("attachments: %+v", m.Attachments)
	}

	// GBK, as older Chinese clients send it: the subject, the name and an
	// 8-bit body, HTML only.
	gbk := func(s string) string {
		b, err := simplifiedchinese.GBK.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	raw := "From: =?GBK?B?" + base64.StdEncoding.EncodeToString([]byte(gbk("李明"))) + "?= <li@example.cn>\r\n" +
		"Subject: =?gb2312?B?" + base64.StdEncoding.EncodeToString([]byte(gbk("发票问题"))) + "?=\r\n" +
		"Content-Type: text/html; charset=GBK\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + gbk("<div>请开<b>增值税</b>发票</div><div>谢谢</div>")
	m, err = inbound.ParseMail([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "发票问题" || m.Customer.Name != "李明" || m.Text != "请开增值税发票\n谢谢" || !strings.HasPrefix(m.MessageID, "<sha256:") {
		t.Errorf("GBK: %+v", m)
	}
	// Long, or only a photo: kept, cut or given a subject.
	long := "From: a@b.cn\r\n\r\n" + strings.Repeat("长", 30000)
	if m, err := inbound.ParseMail([]byte(long)); err != nil || utf8.RuneCountInString(m.Text) > 20000 || !strings.HasSuffix(m.Text, "truncated)") {
		t.Errorf("long mail: %v", err)
	}
	if m, err := inbound.ParseMail([]byte("From: a@b.cn\r\n\r\n")); err != nil || m.Subject != "(无主题)" {
		t.Errorf("empty mail: %+v %v", m, err)
	}
	for _, bad := range []string{"not a mail", "From: nobody\r\n\r\nhi", "From: a@b.c\r\nContent-Type: multipart/mixed\r\n\r\nx"} {
		if _, err := inbound.ParseMail([]byte(bad)); guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestShopCode(t *testing.T) {
	for rcpt, want := range map[string]string{"<service+TeaHouse@crm.example.com>": "teahouse", "<a@x>": "a", "kf+b@x.cn": "b"} {
		if got, err := inbound.ShopCode(rcpt); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", rcpt, got, err, want)
		}
	}
}

// smtpEnv runs the SMTP server on loopback for a shop "a".
func smtpEnv(t *testing.T, db *store.DB, srv *inbound.SMTPServer) (string, *service.Service, *shop.Shop) {
	end := time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
	clock := guanxi.FixedClock(end)
	sh := demotest.Shop(t, db, "a", end, 20, 40)
	desk := service.NewService(db, clock)
	srv.In = inbound.NewService(db, desk, shop.NewService(db, clock), clock, slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- srv.Serve(sctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return ln.Addr().String(), desk, sh
}

func tickets(t *testing.T, db *store.DB, shopID int64) int {
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM tickets WHERE shop_id = ?`, shopID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSMTP(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		addr, desk, sh := smtpEnv(t, db, &inbound.SMTPServer{MaxSize: 64 << 10})
		send := func(to, body string) error {
			return smtp.SendMail(addr, nil, "wang.fang@example.com", []string{to}, []byte(body))
		}
		first := multipartMail("<m1@client.example>", "包裹破损，茶叶受潮", "wang.fang@example.com", "")
		if err := send("service+a@shop.example", first); err != nil {
			t.Fatal(err)
		}
		list, err := desk.List(ctx, sh.ID, service.Filter{})
		if err != nil || len(list) != 1 {
			t.Fatalf("tickets: %+v %v", list, err)
		}
		tk := list[0]
		if tk.Subject != "包裹破损，茶叶受潮" || tk.Channel != "email" || tk.Kind != service.Consultation || tk.Body != "茶叶包装破了，请看照片。" {
			t.Errorf("ticket: %+v", tk)
		}
		var name, email string
		if err := db.QueryRow(ctx, `SELECT name, email FROM customers WHERE shop_id = ? AND id = ?`, sh.ID, tk.CustomerID).Scan(&name, &email); err != nil || name != "王芳" || !seal.IsSealed(email) {
			t.Errorf("customer: %q %q %v", name, email, err)
		}
		if email, err := db.Keys().Open("email", email); err != nil || email != "wang.fang@example.com" {
			t.Errorf("customer: %q %q %v", name, email, err)
		}
		as, err := desk.Attachments(ctx, sh.ID, tk.ID)
		if err != nil || len(as) != 1 || as[0].ContentType != "image/png" || as[0].Name != "破损.png" {
			t.Errorf("attachments: %+v %v", as, err)
		}

		// The same mail again (the sender timed out waiting for 250): kept once.
		if err := send("A@shop.example", first); err != nil {
			t.Fatal(err)
		}
		// created, the customer's message, the attachment
		evs, _ := desk.Events(ctx, sh.ID, tk.ID)
		if n := tickets(t, db, sh.ID); n != 1 || len(evs) != 3 || evs[1].Kind != "message" || evs[1].Channel != "email" ||
			!strings.Contains(evs[1].Body, "茶叶包装破了") || evs[2].Kind != "attachment" || evs[2].Body != "破损.png" {
			t.Errorf("after a resend: %d tickets, events %+v", n, evs)
		}
		// A reply by In-Reply-To, then one by the [#id] an agent's reply
		// carries in its subject: messages on the same ticket.
		reply := "From: wang.fang@example.com\r\nSubject: Re: x\r\nMessage-ID: <m2@client.example>\r\nIn-Reply-To: <m1@client.example>\r\n\r\n收到了，谢谢\r\n"
		if err := send("service+a@shop.example", reply); err != nil {
			t.Fatal(err)
		}
		ref := fmt.Sprintf("From: Wang.Fang@example.com\r\nSubject: Re: 包裹破损 [#%d]\r\nMessage-ID: <m3@client.example>\r\n\r\n还有一盒也破了\r\n", tk.ID)
		if err := send("service+a@shop.example", ref); err != nil {
			t.Fatal(err)
		}
		evs, _ = desk.Events(ctx, sh.ID, tk.ID)
		if n := tickets(t, db, sh.ID); n != 1 || len(evs) != 5 || !strings.Contains(evs[3].Body, "收到了，谢谢") || !strings.Contains(evs[4].Body, "还有一盒也破了") ||
			evs[3].Kind != "message" || evs[4].Kind != "message" {
			t.Errorf("threads: %d tickets, events %+v", n, evs)
		}
		// [#id] of someone else's ticket does not land there.
		other := fmt.Sprintf("From: stranger@example.com\r\nSubject: [#%d]\r\nMessage-ID: <m4@x>\r\n\r\n我也要\r\n", tk.ID)
		if err := send("service+a@shop.example", other); err != nil {
			t.Fatal(err)
		}
		if n := tickets(t, db, sh.ID); n != 2 {
			t.Errorf("a stranger's [#id]: %d tickets, want 2", n)
		}

		// Refusals: an unknown shop at RCPT, a mail over the size limit.
		if err := send("service+nosuch@shop.example", reply); err == nil || !strings.Contains(err.Error(), "550") || !strings.Contains(err.Error(), "nosuch") {
			t.Errorf("unknown shop: %v", err)
		}
		big := "From: wang.fang@example.com\r\nSubject: big\r\n\r\n" + strings.Repeat("茶", 40<<10) + "\r\n"
		if err := send("service+a@shop.example", big); err == nil || !strings.Contains(err.Error(), "552") {
			t.Errorf("too large: %v", err)
		}
		if err := send("service+a@shop.example", "From: nobody\r\n\r\nno address\r\n"); err == nil || !strings.Contains(err.Error(), "550") {
			t.Errorf("unreadable sender: %v", err)
		}
		if n := tickets(t, db, sh.ID); n != 2 {
			t.Errorf("after refusals: %d tickets, want 2", n)
		}
	})
}

// TestSMTPSession speaks the protocol by hand: order of commands, RSET,
// NOOP, bad commands, and the connection limit.
func TestSMTPSession(t *testing.T) {
	addr, _, _ := smtpEnv(t, storetest.SQLite(t), &inbound.SMTPServer{MaxConns: 1, Timeout: 5 * time.Second})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	line := func() string {
		var all []string
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("read: %v (%q)", err, all)
			}
			all = append(all, strings.TrimRight(l, "\r\n"))
			if len(l) < 4 || l[3] != '-' {
				return strings.Join(all, "|")
			}
		}
	}
	say := func(cmd, want string) {
		t.Helper()
		fmt.Fprintf(c, "%s\r\n", cmd)
		if got := line(); !strings.HasPrefix(got, want) {
			t.Errorf("%s: %q, want %s…", cmd, got, want)
		}
	}
	if got := line(); !strings.HasPrefix(got, "220 ") {
		t.Fatalf("greeting %q", got)
	}
	// The one connection allowed is taken: another is told to come back.
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := bufio.NewReader(c2).ReadString('\n'); !strings.HasPrefix(l, "421") {
		t.Errorf("second connection: %q", l)
	}
	c2.Close()
	say("MAIL FROM:<a@b.c>", "503")
	say("EHLO client.example", "250-")
	say("RCPT TO:<service+a@x>", "503")
	say("MAIL FROM:<a@b.c> SIZE=99999999999", "552")
	say("MAIL FROM:<a@b.c>", "250")
	say("DATA", "503")
	say("RCPT TO:<service+a@x>", "250")
	say("RSET", "250")
	say("DATA", "503")
	say("NOOP", "250")
	say("HELP", "502")
	say("QUIT", "221")
}

// FuzzInboundPayload: whatever a chat tool posts, the parser answers a
// message or an EINVALID error naming a field, never panics, and what it
// accepts has a source, an id and someone to match.
func FuzzInboundPayload(f *testing.F) {
	f.Add([]byte(`{"source":"wechat","message_id":"m-1","customer":{"phone":"13800139999","platform":"wechat","platform_id":"oX"},"text":"你好"}`))
	f.Add([]byte(`{"source":"weibo","message_id":"x","customer":{"email":"a@b.cn"},"subject":"s","order_external_id":"TB1"}`))
	f.Add([]byte(`{"source":"","message_id":"]","customer":{}}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := inbound.ParsePayload(body)
		if err != nil {
			if guanxi.ErrorCode(err) != guanxi.EINVALID {
				t.Fatalf("%q: %v", body, err)
			}
			return
		}
		c := m.Customer
		if m.Source == "" || m.Source == "email" || m.MessageID == "" || strings.Contains(m.MessageID, "]") || (c.Phone == "" && c.Email == "" && c.PlatformID == "") {
			t.Fatalf("%q accepted as %+v", body, m)
		}
	})
}

// FuzzParseMail: any bytes are a message or EINVALID, never a panic.
func FuzzParseMail(f *testing.F) {
	f.Add([]byte(multipartMail("<m@x>", "主题", "a@b.cn", "")))
	f.Add([]byte("From: a@b.c\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\n--x--\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if _, err := inbound.ParseMail(raw); err != nil && guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Fatalf("%q: %v", raw, err)
		}
	})
}

// TestReceiveOnce: a message is kept once by its (source, message id),
// sent again in turn or twice at once through two Services (two
// processes), and the key is in the same transaction as the ticket.
func TestReceiveOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		end := time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
		clock := guanxi.FixedClock(end)
		sh := demotest.Shop(t, db, "a", end, 5, 10)
		newIn := func() *inbound.Service {
			return inbound.NewService(db, service.NewService(db, clock), shop.NewService(db, clock), clock, nil)
		}
		in1, in2 := newIn(), newIn()
		msg := func(id, text string) *inbound.Message {
			return &inbound.Message{Source: "wechat", MessageID: id, Text: text,
				Customer: inbound.Contact{Name: "李小姐", Phone: "13800139999", Platform: "wechat", PlatformID: "oX-1"}}
		}
		count := func(q string) int {
			t.Helper()
			var n int
			if err := db.QueryRow(ctx, q, sh.ID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		messages := func() int {
			return count(`SELECT COUNT(*) FROM ticket_events WHERE shop_id = ? AND kind = 'message'`)
		}
		r1, err := in1.Receive(ctx, sh.ID, msg("m-1", "你好"))
		if err != nil || !r1.Created {
			t.Fatalf("first: %+v %v", r1, err)
		}
		r2, err := in1.Receive(ctx, sh.ID, msg("m-1", "你好"))
		if err != nil || !r2.Duplicate || r2.TicketID != r1.TicketID || r2.CustomerID != r1.CustomerID {
			t.Errorf("again: %+v %v", r2, err)
		}
		if n, m := tickets(t, db, sh.ID), messages(); n != 1 || m != 1 {
			t.Errorf("the same message twice: %d tickets, %d messages", n, m)
		}
		// Twice at once, through two Services that share no lock, a
		// message that would open a new ticket (another sender).
		for round := range 4 {
			id := fmt.Sprintf("c-%d", round)
			m := func() *inbound.Message {
				x := msg(id, "并发")
				x.Customer = inbound.Contact{Email: fmt.Sprintf("c%d@example.cn", round)}
				return x
			}
			var wg sync.WaitGroup
			res := make([]inbound.Result, 2)
			errs := make([]error, 2)
			for i, in := range []*inbound.Service{in1, in2} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res[i], errs[i] = in.Receive(ctx, sh.ID, m())
				}()
			}
			wg.Wait()
			if errs[0] != nil || errs[1] != nil || res[0].TicketID != res[1].TicketID || res[0].Duplicate == res[1].Duplicate {
				t.Errorf("round %d: %+v %v", round, res, errs)
			}
		}
		if n, m, k := tickets(t, db, sh.ID), messages(), count(`SELECT COUNT(*) FROM inbound_messages WHERE shop_id = ?`); n != 5 || m != 5 || k != 5 {
			t.Errorf("after concurrent duplicates: %d tickets, %d messages, %d keys; want 5 each", n, m, k)
		}
		// The next chat message continues the open ticket, as a message.
		r3, err := in2.Receive(ctx, sh.ID, msg("m-2", "还在吗"))
		if err != nil || r3.Created || r3.TicketID != r1.TicketID {
			t.Errorf("next message: %+v %v", r3, err)
		}
	})
}

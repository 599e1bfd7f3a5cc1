package survey_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/channel/channeltest"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
	"github.com/guanxi-crm/guanxi/internal/survey"
)

var bg = context.Background()

var cst = time.FixedZone("CST", 8*3600)

// t0: Monday 2025-06-02 10:00 in Shanghai, outside the default quiet hours.
var t0 = time.Date(2025, 6, 2, 10, 0, 0, 0, cst)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if guanxi.ErrorCode(err) != code {
		t.Fatalf("got %v (%q), want %s", err, guanxi.ErrorCode(err), code)
	}
}

// fixture: shop s1 with customers C1, C2 (浙江) and C3, C4 (广东; C4 has
// no mobile), agent wang, RFM segments for C1 and C2, and an SMS gateway.
type fixture struct {
	db        *store.DB
	clock     *guanxi.ManualClock
	shop      *shop.Shop
	c         map[string]int64
	agent     int64
	segs      *segment.Service
	campaigns *campaign.Service
	desk      *service.Service
	svc       *survey.Service
	sms       *channeltest.SMSGateway
	asAgent   context.Context
}

func newFixture(t testing.TB, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, clock: guanxi.NewManualClock(t0), c: map[string]int64{}}
	f.shop = &shop.Shop{Code: "s1", Name: "西湖茶庄", Timezone: "Asia/Shanghai"}
	must(t, shop.NewService(db, f.clock).Create(bg, f.shop))
	if _, err := importer.NewService(db, f.clock, slog.New(slog.DiscardHandler)).ImportFile(bg, f.shop, "testdata/orders.csv", importer.Options{Format: "generic"}); err != nil {
		t.Fatalf("import: %v", err)
	}
	rows, err := db.Query(bg, `SELECT value, customer_id FROM customer_identities WHERE shop_id = ? AND kind = 'customer_id'`, f.shop.ID)
	must(t, err)
	for rows.Next() {
		var v string
		var id int64
		must(t, rows.Scan(&v, &id))
		f.c[v] = id
	}
	rows.Close()
	if len(f.c) != 4 {
		t.Fatalf("fixture customers %v", f.c)
	}
	for name, seg := range map[string]string{"C1": "重要价值客户", "C2": "一般挽留客户"} {
		_, err := db.Exec(bg, `INSERT INTO customer_scores (shop_id, customer_id, as_of, recency_days, frequency, monetary, r, f, m, segment_cn, segment,
lifecycle, tier, churn_risk, churn_reason, churn_reason_en, computed_at) VALUES (?, ?, '2025-06-01', 10, 1, 100, 3, 3, 3, ?, 'x', 'active', 'ordinary', 'low', '', '', 1)`,
			f.shop.ID, f.c[name], seg)
		must(t, err)
	}
	users := auth.NewService(db, f.clock)
	wang, err := users.CreateUser(bg, "wang", "王客服", "correct horse battery")
	must(t, err)
	must(t, users.AddMember(bg, f.shop.ID, wang.ID, auth.RoleAgent))
	f.agent = wang.ID
	f.asAgent = audit.WithActor(bg, audit.Actor{UserID: wang.ID, Name: "user:wang"})
	f.segs = segment.NewService(db, f.clock)
	f.campaigns = campaign.NewService(db, f.clock, f.segs, nil)
	f.desk = service.NewService(db, f.clock)
	f.svc = survey.NewService(db, f.clock, f.segs, f.campaigns, f.desk)
	f.sms = channeltest.NewSMSGateway(true)
	t.Cleanup(f.sms.Close)
	must(t, f.campaigns.SetChannelSettings(bg, f.shop.ID, &campaign.ChannelSettings{AllowPrivateNetwork: true, Channel: campaign.SMS,
		SMS: &campaign.SMSSettings{Endpoint: f.sms.URL, AppKey: f.sms.AppKey, AppSecret: f.sms.Secret, SignName: "西湖茶庄"}}))
	return f
}

func (f *fixture) segment(t testing.TB, province string) int64 {
	t.Helper()
	r, err := segment.ParseRule([]byte(`{"field":"province","op":"eq","value":"` + province + `"}`))
	must(t, err)
	sg := &segment.Segment{Name: province, Rule: r}
	must(t, f.segs.Create(bg, f.shop.ID, sg))
	return sg.ID
}

func (f *fixture) active(t testing.TB, sv *survey.Survey) *survey.Survey {
	t.Helper()
	must(t, f.svc.Create(f.asAgent, f.shop.ID, sv))
	out, err := f.svc.SetStatus(f.asAgent, f.shop.ID, sv.ID, sv.Version, survey.Active)
	must(t, err)
	return out
}

var linkRE = regexp.MustCompile(`/f/([A-Za-z0-9_-]+)`)

// links returns the survey link each phone got.
func (f *fixture) links(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range f.sms.Requests() {
		m := linkRE.FindStringSubmatch(r.Content)
		if m == nil {
			t.Fatalf("message without a link: %q", r.Content)
		}
		out[r.Phone] = m[1]
	}
	return out
}

func (f *fixture) invites(t testing.TB, surveyID int64) map[int64]survey.Invite {
	t.Helper()
	invs, err := f.svc.Invites(bg, f.shop.ID, surveyID, 0)
	must(t, err)
	out := map[int64]survey.Invite{}
	for _, v := range invs {
		out[v.CustomerID] = v
	}
	return out
}

func ptr(n int) *int { return &n }

func TestValidation(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		bad := []survey.Survey{
			{Kind: "poll", Title: "x"},
			{Kind: survey.NPS, Title: " "},
			{Kind: survey.NPS, Title: "x", Channel: "fax"},
			{Kind: survey.NPS, Title: "x", ExpiresDays: 200},
			{Kind: survey.Custom, Title: "x"},
			{Kind: survey.Custom, Title: "x", Questions: []survey.Question{{ID: "Q1", Type: survey.Text, Text: "?"}}},
			{Kind: survey.Custom, Title: "x", Questions: []survey.Question{{ID: "q1", Type: survey.Single, Text: "?", Options: []string{"a"}}}},
			{Kind: survey.Custom, Title: "x", Questions: []survey.Question{{ID: "q1", Type: survey.Multiple, Text: "?", Options: []string{"a", "a"}}}},
			{Kind: survey.Custom, Title: "x", Questions: []survey.Question{{ID: "q1", Type: survey.Rating, Text: "?", Scale: 11}}},
			{Kind: survey.Custom, Title: "x", Questions: []survey.Question{{ID: "q1", Type: survey.Text, Text: "?"}, {ID: "q1", Type: survey.Text, Text: "!"}}},
			{Kind: survey.Custom, Title: "x", Questions: []survey.Question{{ID: "q1", Type: "essay", Text: "?"}}},
			{Kind: survey.NPS, Title: "x", SegmentID: 999},
		}
		for i, sv := range bad {
			wantCode(t, f.svc.Create(f.asAgent, f.shop.ID, &sv), guanxi.EINVALID)
			_ = i
		}
		sv := &survey.Survey{Kind: survey.NPS, Title: "推荐度调查"}
		must(t, f.svc.Create(f.asAgent, f.shop.ID, sv))
		if sv.ExpiresDays != 14 || sv.Status != survey.Draft {
			t.Fatalf("created %+v", sv)
		}
		// No channel or segment yet: it cannot go active; nor straight to closed.
		_, err := f.svc.SetStatus(f.asAgent, f.shop.ID, sv.ID, sv.Version, survey.Active)
		wantCode(t, err, guanxi.EINVALID)
		_, err = f.svc.SetStatus(f.asAgent, f.shop.ID, sv.ID, sv.Version, survey.Closed)
		wantCode(t, err, guanxi.EINVALID)
		sv.Channel, sv.SegmentID = campaign.SMS, f.segment(t, "浙江")
		must(t, f.svc.Update(f.asAgent, f.shop.ID, sv))
		stale := *sv
		stale.Version--
		wantCode(t, f.svc.Update(f.asAgent, f.shop.ID, &stale), guanxi.ECONFLICT)
		act, err := f.svc.SetStatus(f.asAgent, f.shop.ID, sv.ID, sv.Version, survey.Active)
		must(t, err)
		// Active: the kind is fixed.
		act.Kind = survey.Custom
		act.Questions = []survey.Question{{ID: "q1", Type: survey.Text, Text: "?"}}
		wantCode(t, f.svc.Update(f.asAgent, f.shop.ID, act), guanxi.EINVALID)
		// CSAT goes by tickets, not by hand.
		csat := f.active(t, &survey.Survey{Kind: survey.CSAT, Title: "服务满意度", Channel: campaign.SMS})
		_, err = f.svc.Send(f.asAgent, f.shop.ID, csat.ID)
		wantCode(t, err, guanxi.EINVALID)
	})
}

// TestLinkTampering: every byte of a token changed, a token cut or grown,
// another purpose's token (an unsubscribe link), and an expired token are
// all refused; the genuine one opens.
func TestLinkTampering(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		sv := f.active(t, &survey.Survey{Kind: survey.NPS, Title: "推荐度", Channel: campaign.SMS, SegmentID: f.segment(t, "浙江"), ExpiresDays: 3})
		n, err := f.svc.Send(f.asAgent, f.shop.ID, sv.ID)
		must(t, err)
		if n != 2 {
			t.Fatalf("queued %d, want 2", n)
		}
		inv := f.invites(t, sv.ID)[f.c["C1"]]
		token, err := f.svc.Token(bg, f.shop.ID, &inv)
		must(t, err)
		form, err := f.svc.Open(bg, token)
		must(t, err)
		if form.Invite.ID != inv.ID || form.Survey.ID != sv.ID || form.ShopName != "西湖茶庄" {
			t.Fatalf("form %+v", form)
		}
		raw, err := base64.RawURLEncoding.DecodeString(token)
		must(t, err)
		for i := range raw {
			for _, bit := range []byte{0x01, 0x80} {
				b := append([]byte(nil), raw...)
				b[i] ^= bit
				forged := base64.RawURLEncoding.EncodeToString(b)
				if _, err := f.svc.Open(bg, forged); !errors.Is(err, survey.ErrLinkInvalid) {
					t.Fatalf("byte %d ^ %#x: %v, want invalid link", i, bit, err)
				}
				if _, err := f.svc.Respond(bg, forged, survey.Answer{Score: ptr(10)}); !errors.Is(err, survey.ErrLinkInvalid) {
					t.Fatalf("answer with byte %d ^ %#x: %v", i, bit, err)
				}
			}
		}
		for i := range token { // every character of the link too
			for _, c := range []byte{'A', '_'} {
				if token[i] == c {
					continue
				}
				forged := token[:i] + string(c) + token[i+1:]
				if _, err := f.svc.Open(bg, forged); !errors.Is(err, survey.ErrLinkInvalid) {
					t.Fatalf("char %d = %c: %v, want invalid link", i, c, err)
				}
			}
		}
		for _, forged := range []string{"", token[:len(token)-1], token + "A", strings.ToUpper(token), "not a token!"} {
			if _, err := f.svc.Open(bg, forged); !errors.Is(err, survey.ErrLinkInvalid) {
				t.Fatalf("%q: %v, want invalid link", forged, err)
			}
		}
		// An unsubscribe token of the same shop is no survey token.
		unsub, err := f.campaigns.UnsubscribeToken(bg, campaign.Unsub{ShopID: f.shop.ID, CampaignID: inv.ID, CustomerID: inv.CustomerID, Channel: campaign.SMS})
		must(t, err)
		if _, err := f.svc.Open(bg, unsub); !errors.Is(err, survey.ErrLinkInvalid) {
			t.Fatalf("unsubscribe token: %v", err)
		}
		// A second before expiry it opens; at expiry it is gone (410).
		f.clock.Set(inv.ExpiresAt.Add(-time.Second))
		_, err = f.svc.Open(bg, token)
		must(t, err)
		f.clock.Set(inv.ExpiresAt)
		if _, err := f.svc.Open(bg, token); !errors.Is(err, survey.ErrLinkExpired) {
			t.Fatalf("expired: %v", err)
		}
		if _, err := f.svc.Respond(bg, token, survey.Answer{Score: ptr(10)}); !errors.Is(err, survey.ErrLinkExpired) {
			t.Fatalf("answer expired: %v", err)
		}
		var n2 int
		must(t, db.QueryRow(bg, `SELECT COUNT(*) FROM survey_responses WHERE shop_id = ?`, f.shop.ID).Scan(&n2))
		if n2 != 0 {
			t.Fatalf("%d responses recorded from refused links", n2)
		}
	})
}

// TestNPSRoundTrip: an NPS survey to 浙江 sent by SMS, honouring quiet hours
// and opt-out; a detractor's answer lands on the timeline and opens a
// follow-up due the next working day; a second answer is refused.
func TestNPSRoundTrip(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		_, err := f.campaigns.OptOut(bg, f.shop.ID, campaign.SMS, "13812340002", "sms:T") // C2
		must(t, err)
		sv := f.active(t, &survey.Survey{Kind: survey.NPS, Title: "您会推荐我们吗", Channel: campaign.SMS, SegmentID: f.segment(t, "浙江")})
		n, err := f.svc.Send(f.asAgent, f.shop.ID, sv.ID)
		must(t, err)
		again, err := f.svc.Send(f.asAgent, f.shop.ID, sv.ID)
		must(t, err)
		if n != 2 || again != 0 {
			t.Fatalf("queued %d then %d, want 2 then 0", n, again)
		}
		// 22:30 Friday: quiet hours, nothing goes until 08:00.
		f.clock.Set(time.Date(2025, 6, 6, 22, 30, 0, 0, cst))
		out, err := f.svc.Dispatch(bg, f.shop.ID, "https://crm.example.com", 0)
		must(t, err)
		if out.Sent != 0 || !out.Next.Equal(time.Date(2025, 6, 7, 8, 0, 0, 0, cst)) || len(f.sms.Requests()) != 0 {
			t.Fatalf("in quiet hours: %+v, %d messages", out, len(f.sms.Requests()))
		}
		f.clock.Set(time.Date(2025, 6, 6, 19, 0, 0, 0, cst)) // Friday 19:00
		out, err = f.svc.Dispatch(bg, f.shop.ID, "https://crm.example.com", 0)
		must(t, err)
		if out.Sent != 1 || out.Skipped != 1 || out.Failed != 0 {
			t.Fatalf("dispatch %+v", out)
		}
		invs := f.invites(t, sv.ID)
		if v := invs[f.c["C2"]]; v.Status != survey.Skipped || v.Reason != survey.ReasonOptedOut {
			t.Fatalf("opted-out invite %+v", v)
		}
		if v := invs[f.c["C1"]]; v.Status != survey.Sent || v.Address != "13812345678" || v.SentAt.IsZero() {
			t.Fatalf("sent invite %+v", v)
		}
		if out, _ := f.svc.Dispatch(bg, f.shop.ID, "https://crm.example.com", 0); out.Sent+out.Skipped+out.Failed != 0 {
			t.Fatalf("second dispatch %+v", out)
		}
		reqs := f.sms.Requests()
		if len(reqs) != 1 || !strings.Contains(reqs[0].Content, "https://crm.example.com/f/") {
			t.Fatalf("messages %+v", reqs)
		}
		token := f.links(t)["13812345678"]
		// Out of range or missing scores are refused.
		for _, a := range []survey.Answer{{}, {Score: ptr(11)}, {Score: ptr(-1)}} {
			_, err := f.svc.Respond(bg, token, a)
			wantCode(t, err, guanxi.EINVALID)
		}
		r, err := f.svc.Respond(bg, token, survey.Answer{Score: ptr(3), Comment: "物流太慢"})
		must(t, err)
		if r.Segment != "重要价值客户" || r.CustomerID != f.c["C1"] || r.TaskID == 0 {
			t.Fatalf("response %+v", r)
		}
		task, err := f.desk.Task(bg, f.shop.ID, r.TaskID)
		must(t, err)
		wantDue := time.Date(2025, 6, 9, 18, 0, 0, 0, cst) // Monday
		if task.Kind != service.TaskDetractor || task.SourceKey != "survey:"+itoa(sv.ID)+":response:"+itoa(r.ID) ||
			!task.DueAt.Equal(wantDue) || task.CustomerID != f.c["C1"] || task.Body != "物流太慢" {
			t.Fatalf("task %+v", task)
		}
		var kind, title string
		must(t, db.QueryRow(bg, `SELECT kind, title FROM timeline_events WHERE shop_id = ? AND customer_id = ? ORDER BY id DESC LIMIT 1`,
			f.shop.ID, f.c["C1"]).Scan(&kind, &title))
		if kind != "survey" || !strings.Contains(title, "3 分") {
			t.Fatalf("timeline %s %q", kind, title)
		}
		// A second answer: refused, nothing more written.
		_, err = f.svc.Respond(bg, token, survey.Answer{Score: ptr(10)})
		wantCode(t, err, guanxi.ECONFLICT)
		form, err := f.svc.Open(bg, token)
		must(t, err)
		if !form.Answered {
			t.Fatal("answered link does not say so")
		}
		var responses, tasks int
		must(t, db.QueryRow(bg, `SELECT COUNT(*) FROM survey_responses WHERE shop_id = ?`, f.shop.ID).Scan(&responses))
		must(t, db.QueryRow(bg, `SELECT COUNT(*) FROM tasks WHERE shop_id = ?`, f.shop.ID).Scan(&tasks))
		if responses != 1 || tasks != 1 {
			t.Fatalf("%d responses, %d tasks", responses, tasks)
		}
		// Closed: links stop taking answers.
		cur, err := f.svc.Get(bg, f.shop.ID, sv.ID)
		must(t, err)
		_, err = f.svc.SetStatus(f.asAgent, f.shop.ID, sv.ID, cur.Version, survey.Closed)
		must(t, err)
		if _, err := f.svc.Open(bg, token); err != nil {
			t.Fatalf("answered link of a closed survey: %v", err) // still thanks
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestCustomQuestionnaire: answers validated against the questions; a
// customer without a mobile is skipped with a reason.
func TestCustomQuestionnaire(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		sv := f.active(t, &survey.Survey{Kind: survey.Custom, Title: "新品口味调查", Channel: campaign.SMS, SegmentID: f.segment(t, "广东"),
			Questions: []survey.Question{
				{ID: "flavour", Type: survey.Single, Text: "最喜欢哪款？", Options: []string{"龙井", "碧螺春"}, Required: true},
				{ID: "buy", Type: survey.Multiple, Text: "在哪里买？", Options: []string{"淘宝", "天猫", "门店"}},
				{ID: "pack", Type: survey.Rating, Text: "包装打几分？", Scale: 5},
				{ID: "say", Type: survey.Text, Text: "还想说什么？"},
			}})
		_, err := f.svc.Send(f.asAgent, f.shop.ID, sv.ID)
		must(t, err)
		out, err := f.svc.Dispatch(bg, f.shop.ID, "https://crm.example.com", 0)
		must(t, err)
		if out.Sent != 1 || out.Skipped != 1 {
			t.Fatalf("dispatch %+v", out)
		}
		if v := f.invites(t, sv.ID)[f.c["C4"]]; v.Status != survey.Skipped || v.Reason != survey.ReasonNoAddress {
			t.Fatalf("C4 invite %+v", v)
		}
		token := f.links(t)["13900001111"]
		for _, a := range []map[string]any{
			{},                 // required missing
			{"flavour": "大红袍"}, // not an option
			{"flavour": "龙井", "buy": []any{"京东"}}, // not an option
			{"flavour": "龙井", "pack": 6},          // out of scale
			{"flavour": "龙井", "pack": "x"},
		} {
			_, err := f.svc.Respond(bg, token, survey.Answer{Answers: a})
			wantCode(t, err, guanxi.EINVALID)
		}
		r, err := f.svc.Respond(bg, token, survey.Answer{Answers: map[string]any{"flavour": "龙井", "buy": []string{"淘宝", "门店", "淘宝"}, "pack": "4", "say": " 好喝 ", "extra": "x"}})
		must(t, err)
		if r.Score != nil || r.TaskID != 0 || len(r.Answers) != 4 || r.Answers["pack"] != 4 || r.Answers["say"] != "好喝" {
			t.Fatalf("response %+v", r)
		}
		rs, err := f.svc.Responses(bg, f.shop.ID, sv.ID, 0, 0)
		must(t, err)
		if len(rs) != 1 || len(rs[0].Answers["buy"].([]any)) != 2 {
			t.Fatalf("stored %+v", rs)
		}
	})
}

// TestCSATAfterClose: a closed ticket invites its customer once, rating
// its assignee; a satisfied answer opens no task, a 2 does.
func TestCSATAfterClose(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		sv := f.active(t, &survey.Survey{Kind: survey.CSAT, Title: "服务满意度", Channel: campaign.SMS})
		close := func(customer int64) *service.Ticket {
			tk := &service.Ticket{Kind: service.Consultation, Subject: "怎么泡", CustomerID: customer, Channel: "phone", Priority: service.Normal, AssigneeID: f.agent}
			must(t, f.desk.Create(f.asAgent, f.shop.ID, tk))
			var err error
			for _, to := range []string{service.Solved, service.Closed} {
				tk, err = f.desk.Transition(f.asAgent, f.shop.ID, tk.ID, tk.Version, service.Step{To: to})
				must(t, err)
			}
			return tk
		}
		open := &service.Ticket{Kind: service.Consultation, Subject: "还没好", CustomerID: f.c["C2"], Channel: "phone", Priority: service.Normal}
		must(t, f.desk.Create(f.asAgent, f.shop.ID, open))
		t1 := close(f.c["C1"])
		t2 := close(f.c["C3"])
		n, err := f.svc.InviteClosedTickets(bg, f.shop.ID)
		must(t, err)
		again, err := f.svc.InviteClosedTickets(bg, f.shop.ID)
		must(t, err)
		if n != 2 || again != 0 {
			t.Fatalf("invited %d then %d, want 2 then 0", n, again)
		}
		invs := f.invites(t, sv.ID)
		if v := invs[f.c["C1"]]; v.TicketID != t1.ID || v.AgentID != f.agent {
			t.Fatalf("invite %+v", v)
		}
		_, err = f.svc.Dispatch(bg, f.shop.ID, "http://x", 0)
		must(t, err)
		links := f.links(t)
		r1, err := f.svc.Respond(bg, links["13812345678"], survey.Answer{Score: ptr(5)})
		must(t, err)
		r2, err := f.svc.Respond(bg, links["13900001111"], survey.Answer{Score: ptr(2)})
		must(t, err)
		if r1.TaskID != 0 || r2.TaskID == 0 || r1.AgentID != f.agent || r2.TicketID != t2.ID {
			t.Fatalf("responses %+v %+v", r1, r2)
		}
		task, err := f.desk.Task(bg, f.shop.ID, r2.TaskID)
		must(t, err)
		if task.TicketID != t2.ID {
			t.Fatalf("task %+v", task)
		}
	})
}

func TestNextWorkingDay(t *testing.T) {
	for in, want := range map[string]string{
		"2025-06-02 09:00": "2025-06-03 18:00", // Monday → Tuesday
		"2025-06-06 23:59": "2025-06-09 18:00", // Friday → Monday
		"2025-06-07 10:00": "2025-06-09 18:00", // Saturday → Monday
		"2025-06-08 10:00": "2025-06-09 18:00", // Sunday → Monday
	} {
		at, _ := time.ParseInLocation("2006-01-02 15:04", in, cst)
		if got := survey.NextWorkingDay(at, cst).Format("2006-01-02 15:04"); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

// TestDispatchFailures: a gateway's permanent refusal fails the invite with
// the reason; a temporary one keeps it queued with the reason and tries it
// again 15 minutes later; a channel without a provider skips.
func TestDispatchFailures(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.sms.Fail("13812345678", "INVALID_PHONE") // C1: permanent
		f.sms.Fail("13812340002", "SYSTEM_BUSY")   // C2: temporary
		sv := f.active(t, &survey.Survey{Kind: survey.NPS, Title: "推荐度", Channel: campaign.SMS, SegmentID: f.segment(t, "浙江")})
		_, err := f.svc.Send(f.asAgent, f.shop.ID, sv.ID)
		must(t, err)
		out, err := f.svc.Dispatch(bg, f.shop.ID, "https://crm.example.com", 0)
		must(t, err)
		if out.Failed != 1 || out.Sent != 0 || !out.Next.Equal(t0.Add(15*time.Minute)) {
			t.Fatalf("dispatch %+v", out)
		}
		invs := f.invites(t, sv.ID)
		if v := invs[f.c["C1"]]; v.Status != survey.Failed || !strings.Contains(v.Reason, "INVALID_PHONE") {
			t.Fatalf("C1 %+v", v)
		}
		if v := invs[f.c["C2"]]; v.Status != survey.Queued || !strings.Contains(v.Reason, "SYSTEM_BUSY") {
			t.Fatalf("C2 %+v", v)
		}
		// Too soon: not tried again.
		f.clock.Set(t0.Add(5 * time.Minute))
		if out, _ := f.svc.Dispatch(bg, f.shop.ID, "https://crm.example.com", 0); out.Sent+out.Failed != 0 || !out.Next.Equal(t0.Add(15*time.Minute)) {
			t.Fatalf("early retry %+v", out)
		}
		// The gateway recovers: sent.
		f.sms.Fail("13812340002", "OK")
		f.clock.Set(t0.Add(16 * time.Minute))
		out, err = f.svc.Dispatch(bg, f.shop.ID, "https://crm.example.com", 0)
		must(t, err)
		if v := f.invites(t, sv.ID)[f.c["C2"]]; out.Sent != 1 || v.Status != survey.Sent || v.Reason != "" {
			t.Fatalf("retry %+v %+v", out, v)
		}
		// Email has no provider in this shop: skipped with the reason.
		em := f.active(t, &survey.Survey{Kind: survey.NPS, Title: "邮件", Channel: campaign.Email, SegmentID: f.segment(t, "广东")})
		_, err = f.svc.Send(f.asAgent, f.shop.ID, em.ID)
		must(t, err)
		out, err = f.svc.Dispatch(bg, f.shop.ID, "https://crm.example.com", 0)
		must(t, err)
		if v := f.invites(t, em.ID)[f.c["C4"]]; out.Skipped != 2 || v.Reason != survey.ReasonNoChannel {
			t.Fatalf("no provider %+v %+v", out, v)
		}
	})
}

// TestEmailInvite: an invite by email through a loopback SMTP server
// carries the shop's name and the link.
func TestEmailInvite(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		sink, err := channeltest.NewSMTPSink(true)
		must(t, err)
		defer sink.Close()
		must(t, f.campaigns.SetChannelSettings(bg, f.shop.ID, &campaign.ChannelSettings{AllowPrivateNetwork: true, Channel: campaign.Email,
			Email: &campaign.EmailSettings{Addr: sink.Addr(), From: "shop@example.com", FromName: "西湖茶庄", Connections: 1}}))
		sv := f.active(t, &survey.Survey{Kind: survey.NPS, Title: "推荐度", Channel: campaign.Email, SegmentID: f.segment(t, "广东")})
		_, err = f.svc.Send(f.asAgent, f.shop.ID, sv.ID)
		must(t, err)
		out, err := f.svc.Dispatch(bg, f.shop.ID, "https://crm.example.com", 0)
		must(t, err)
		if out.Sent != 1 || out.Skipped != 1 { // C3 has no e-mail
			t.Fatalf("dispatch %+v", out)
		}
		mails := sink.Mails()
		if len(mails) != 1 || mails[0].To != "han@example.com" {
			t.Fatalf("mails %+v", mails)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(mails[0].Body)))
		must(t, err)
		m := linkRE.FindStringSubmatch(string(body))
		if m == nil || !strings.Contains(string(body), "【西湖茶庄】推荐度") {
			t.Fatalf("mail body %q", body)
		}
		if _, err := f.svc.Open(bg, m[1]); err != nil {
			t.Fatalf("the mailed link: %v", err)
		}
	})
}

// An active questionnaire keeps its questions: an edit that sends them back
// unchanged (the page's read-only field) saves, one that changes them does
// not.
func TestActiveQuestionsFixed(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		qs := func() []survey.Question {
			return []survey.Question{{ID: "pack", Type: survey.Rating, Text: " 包装？ "}, {ID: "flavour", Type: survey.Single, Text: "口味？", Options: []string{" 龙井", "碧螺春 "}}}
		}
		sv := f.active(t, &survey.Survey{Kind: survey.Custom, Title: "问卷", Channel: campaign.SMS, SegmentID: f.segment(t, "浙江"), Questions: qs()})
		edit := *sv
		edit.Title, edit.Questions = "问卷（改名）", qs() // as typed: untrimmed, no scale
		must(t, f.svc.Update(f.asAgent, f.shop.ID, &edit))
		edit.Questions = append(qs(), survey.Question{ID: "more", Type: survey.Text, Text: "?"})
		wantCode(t, f.svc.Update(f.asAgent, f.shop.ID, &edit), guanxi.EINVALID)
		got, err := f.svc.Get(bg, f.shop.ID, sv.ID)
		must(t, err)
		if got.Title != "问卷（改名）" || len(got.Questions) != 2 || got.Questions[0].Scale != 5 || got.Questions[1].Options[0] != "龙井" {
			t.Fatalf("stored %+v", got)
		}
	})
}

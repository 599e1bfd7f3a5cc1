package ui_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/survey"
)

// sendNow queues a survey's invites (the app also queues their dispatch).
type sendNow struct{ svc *survey.Service }

func (s sendNow) SendSurvey(ctx context.Context, shopID, id int64) (int, error) {
	return s.svc.Send(ctx, shopID, id)
}

var surveyIDRe = regexp.MustCompile(`/surveys/(\d+)\?notice=saved`)

// TestSurveyPages: care staff create, activate and send an NPS survey; the
// customer's link opens without sign-in, refuses a tampered token (404)
// and a closed survey (410), takes one answer and shows thanks after; the
// answer lands on the results and the customer's timeline.
func TestSurveyPages(t *testing.T) {
	storetestEngines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		seg := e.createSegment(t, e.shopA, "广东客户", guangdong) // 李雷
		carl := e.client(t)
		carl.signIn("carl")
		csrf := carl.csrfOn("/s/a/surveys")
		if p := carl.get("/s/a/surveys/new"); p.status != http.StatusOK || !strings.Contains(p.body, `id="survey-editor"`) {
			t.Fatalf("new: %d", p.status)
		}
		// A custom questionnaire with broken JSON is refused with the field named.
		p := carl.post("/s/a/surveys", url.Values{"csrf_token": {csrf}, "kind": {"custom"}, "title": {"口味"}, "questions": {"[{"}, "expires_days": {"14"}})
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "questions") {
			t.Fatalf("bad questions: %d", p.status)
		}
		p = carl.post("/s/a/surveys", url.Values{"csrf_token": {csrf}, "kind": {"nps"}, "title": {"推荐度调查"}, "channel": {"sms"},
			"segment_id": {fmt.Sprint(seg)}, "expires_days": {"14"}})
		m := surveyIDRe.FindStringSubmatch(p.header.Get("Location"))
		if p.status != http.StatusSeeOther || m == nil {
			t.Fatalf("create: %d %q\n%.2000s", p.status, p.header.Get("Location"), p.body)
		}
		id := m[1]
		for _, action := range []string{"activate", "send"} {
			if p := carl.post("/s/a/surveys/"+id+"/"+action, url.Values{"csrf_token": {csrf}, "version": {"1"}}); p.status != http.StatusSeeOther {
				t.Fatalf("%s: %d\n%.2000s", action, p.status, p.body)
			}
		}
		// Analysts read but do not write.
		ann := e.client(t)
		ann.signIn("ann")
		if p := ann.post("/s/a/surveys/"+id+"/close", url.Values{"csrf_token": {ann.csrfOn("/s/a/surveys")}, "version": {"2"}}); p.status != http.StatusForbidden {
			t.Fatalf("analyst closes: %d", p.status)
		}
		invs, err := e.surveys.Invites(ctx, e.shopA.ID, atoi(id), 0)
		if err != nil || len(invs) != 1 || invs[0].CustomerID != e.customerID(t, e.shopA, "李雷") {
			t.Fatalf("invites %+v %v", invs, err)
		}
		token, err := e.surveys.Token(ctx, e.shopA.ID, &invs[0])
		if err != nil {
			t.Fatal(err)
		}
		anon := e.client(t)
		p = anon.get("/f/" + token)
		if p.status != http.StatusOK || !strings.Contains(p.body, `name="score"`) || !strings.Contains(p.body, "西湖茶庄") {
			t.Fatalf("form: %d\n%.2000s", p.status, p.body)
		}
		if p.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(p.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Fatalf("form headers %v", p.header)
		}
		if p := anon.get("/f/" + token + "?lang=en"); !strings.Contains(p.body, "How likely are you to recommend") {
			t.Fatal("no English form")
		}
		// Tampered: any changed byte is 404, and nothing is recorded.
		raw, _ := base64.RawURLEncoding.DecodeString(token)
		for _, i := range []int{0, 9, 20, len(raw) - 1} {
			b := append([]byte(nil), raw...)
			b[i] ^= 0x04
			forged := base64.RawURLEncoding.EncodeToString(b)
			if p := anon.get("/f/" + forged); p.status != http.StatusNotFound || !strings.Contains(p.body, `id="survey-invalid"`) {
				t.Fatalf("tampered byte %d: %d", i, p.status)
			}
			if p := anon.post("/f/"+forged, url.Values{"score": {"10"}}); p.status != http.StatusNotFound {
				t.Fatalf("tampered answer: %d", p.status)
			}
		}
		// Out of range: asked again.
		if p := anon.post("/f/"+token, url.Values{"score": {"11"}}); p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="survey-error"`) || !strings.Contains(p.body, "推荐意愿") {
			t.Fatalf("score 11: %d", p.status)
		}
		if p := anon.post("/f/"+token, url.Values{"score": {"4"}, "comment": {"<b>发货慢</b>"}}); p.status != http.StatusOK || !strings.Contains(p.body, `id="survey-thanks"`) {
			t.Fatalf("answer: %d\n%.2000s", p.status, p.body)
		}
		if p := anon.post("/f/"+token, url.Values{"score": {"10"}}); p.status != http.StatusOK || !strings.Contains(p.body, `id="survey-thanks"`) {
			t.Fatalf("second answer: %d", p.status)
		}
		if p := anon.get("/f/" + token); !strings.Contains(p.body, `id="survey-thanks"`) || strings.Contains(p.body, `name="score"`) {
			t.Fatal("answered link still asks")
		}
		var n, tasks int
		if err := e.db.QueryRow(ctx, `SELECT COUNT(*) FROM survey_responses WHERE shop_id = ? AND score = 4`, e.shopA.ID).Scan(&n); err != nil || n != 1 {
			t.Fatalf("responses %d %v", n, err)
		}
		if err := e.db.QueryRow(ctx, `SELECT COUNT(*) FROM tasks WHERE shop_id = ?`, e.shopA.ID).Scan(&tasks); err != nil || tasks != 1 {
			t.Fatalf("detractor tasks %d %v", tasks, err)
		}
		// The results, read by an analyst.
		p = ann.get("/s/a/surveys/" + id)
		if p.status != http.StatusOK || !strings.Contains(p.body, `id="survey-months"`) || !strings.Contains(p.body, `id="chart-survey"`) ||
			!strings.Contains(p.body, "&lt;b&gt;发货慢&lt;/b&gt;") || strings.Contains(p.body, `id="survey-editor"`) {
			t.Fatalf("survey page: %d\n%.3000s", p.status, p.body)
		}
		if p := ann.get("/s/a/surveys"); p.status != http.StatusOK || !strings.Contains(p.body, "推荐度调查") || !strings.Contains(p.body, `id="survey-totals"`) {
			t.Fatalf("list: %d", p.status)
		}
		// The customer's timeline shows the answer.
		if p := carl.get(fmt.Sprintf("/s/a/customers/%d", invs[0].CustomerID)); !strings.Contains(p.body, "kind-survey") || !strings.Contains(p.body, "推荐度调查：4 分") {
			t.Fatalf("timeline lacks the answer\n%.4000s", p.body)
		}
		// A link signed with the shop's survey key but past its expiry is
		// gone (410), and its answer refused.
		key, err := e.campaigns.PurposeKey(ctx, e.shopA.ID, "survey-link-v1", false)
		if err != nil {
			t.Fatal(err)
		}
		b := binary.BigEndian.AppendUint64(nil, uint64(e.shopA.ID))
		b = binary.BigEndian.AppendUint64(b, uint64(invs[0].ID))
		b = binary.BigEndian.AppendUint64(b, uint64(time.Now().Add(-time.Minute).Unix()))
		mac := hmac.New(sha256.New, key)
		mac.Write(b)
		expired := base64.RawURLEncoding.EncodeToString(append(b, mac.Sum(nil)[:16]...))
		if p := anon.get("/f/" + expired); p.status != http.StatusOK || !strings.Contains(p.body, `id="survey-thanks"`) {
			t.Fatalf("expired link of an answered invite: %d", p.status) // answered: thanks, even expired
		}
		b = binary.BigEndian.AppendUint64(nil, uint64(e.shopA.ID))
		b = binary.BigEndian.AppendUint64(b, uint64(invs[0].ID+1000))
		b = binary.BigEndian.AppendUint64(b, uint64(time.Now().Add(time.Hour).Unix()))
		mac = hmac.New(sha256.New, key)
		mac.Write(b)
		if p := anon.get("/f/" + base64.RawURLEncoding.EncodeToString(append(b, mac.Sum(nil)[:16]...))); p.status != http.StatusNotFound {
			t.Fatalf("signed link of no invite: %d", p.status)
		}
		// Closed: an unanswered link is gone (410).
		p = carl.post("/s/a/surveys", url.Values{"csrf_token": {csrf}, "kind": {"nps"}, "title": {"第二次"}, "channel": {"sms"}, "segment_id": {fmt.Sprint(seg)}, "expires_days": {"14"}})
		id2 := surveyIDRe.FindStringSubmatch(p.header.Get("Location"))[1]
		for _, a := range []struct{ action, version string }{{"activate", "1"}, {"send", ""}, {"close", "2"}} {
			if p := carl.post("/s/a/surveys/"+id2+"/"+a.action, url.Values{"csrf_token": {csrf}, "version": {a.version}}); p.status != http.StatusSeeOther {
				t.Fatalf("%s: %d", a.action, p.status)
			}
		}
		invs, _ = e.surveys.Invites(ctx, e.shopA.ID, atoi(id2), 0)
		token2, _ := e.surveys.Token(ctx, e.shopA.ID, &invs[0])
		if p := anon.get("/f/" + token2); p.status != http.StatusGone || !strings.Contains(p.body, `id="survey-expired"`) {
			t.Fatalf("closed survey link: %d", p.status)
		}
		if p := anon.post("/f/"+token2, url.Values{"score": {"9"}}); p.status != http.StatusGone {
			t.Fatalf("closed survey answer: %d", p.status)
		}
		// An unanswered invite's link past its expiry: 410.
		sv3 := &survey.Survey{Kind: survey.NPS, Title: "第三次", Channel: "sms", SegmentID: seg}
		if err := e.surveys.Create(ctx, e.shopA.ID, sv3); err != nil {
			t.Fatal(err)
		}
		if _, err := e.surveys.SetStatus(ctx, e.shopA.ID, sv3.ID, sv3.Version, survey.Active); err != nil {
			t.Fatal(err)
		}
		if _, err := e.surveys.Send(ctx, e.shopA.ID, sv3.ID); err != nil {
			t.Fatal(err)
		}
		invs, _ = e.surveys.Invites(ctx, e.shopA.ID, sv3.ID, 0)
		b = binary.BigEndian.AppendUint64(nil, uint64(e.shopA.ID))
		b = binary.BigEndian.AppendUint64(b, uint64(invs[0].ID))
		b = binary.BigEndian.AppendUint64(b, uint64(time.Now().Add(-time.Second).Unix()))
		mac = hmac.New(sha256.New, key)
		mac.Write(b)
		expired = base64.RawURLEncoding.EncodeToString(append(b, mac.Sum(nil)[:16]...))
		if p := anon.get("/f/" + expired); p.status != http.StatusGone || !strings.Contains(p.body, `id="survey-expired"`) {
			t.Fatalf("expired link: %d", p.status)
		}
		if p := anon.post("/f/"+expired, url.Values{"score": {"9"}}); p.status != http.StatusGone {
			t.Fatalf("expired link's answer: %d", p.status)
		}
	})
}

package survey_test

import (
	"math"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
	"github.com/guanxi-crm/guanxi/internal/survey"
)

// TestResults checks NPS, CSAT and response rates against figures worked
// out by hand from a fixture of 16 responses (2 outside the period) and 4
// more invites.
func TestResults(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		li, err := auth.NewService(db, f.clock).CreateUser(bg, "li", "", "correct horse battery")
		must(t, err)
		a, b := f.agent, li.ID // 王客服 and li (no display name)
		exec := func(q string, args ...any) {
			t.Helper()
			_, err := db.Exec(bg, q, args...)
			must(t, err)
		}
		exec(`INSERT INTO surveys (shop_id, id, kind, title, status, created_at, updated_at) VALUES (?, 1, 'nps', 'NPS', 'active', 0, 0), (?, 2, 'csat', 'CSAT', 'active', 0, 0)`, f.shop.ID, f.shop.ID)
		at := func(s string) int64 {
			tm, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
			must(t, err)
			return tm.Unix()
		}
		id := int64(0)
		invite := func(surveyID, agent int64, status string, sent int64) int64 {
			id++
			exec(`INSERT INTO survey_invites (shop_id, id, survey_id, customer_id, ticket_id, agent_id, channel, status, created_at, sent_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?, 'sms', ?, ?, ?, ?)`, f.shop.ID, id, surveyID, f.c["C1"], id, store.NullInt(agent), status, sent-60, sent, sent+86400*14)
			return id
		}
		respond := func(kind string, score int, agent int64, seg, when string) {
			surveyID := int64(1)
			if kind == "csat" {
				surveyID = 2
			}
			ts := at(when)
			inv := invite(surveyID, agent, "answered", ts-300)
			exec(`INSERT INTO survey_responses (shop_id, id, survey_id, invite_id, customer_id, kind, score, ticket_id, agent_id, segment, responded_at)
VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`, f.shop.ID, inv, surveyID, inv, f.c["C1"], kind, score, store.NullInt(agent), seg, ts)
		}
		const vip = "重要价值客户"
		// May (shop time). 23:30 on the 31st is still May in Shanghai.
		respond("nps", 10, 0, vip, "2025-05-03 10:00")
		respond("nps", 9, 0, vip, "2025-05-10 10:00")
		respond("nps", 7, 0, "", "2025-05-11 10:00")
		respond("nps", 3, 0, "", "2025-05-31 23:30")
		respond("csat", 5, a, vip, "2025-05-05 10:00")
		respond("csat", 4, a, vip, "2025-05-06 10:00")
		respond("csat", 2, b, "", "2025-05-07 10:00")
		// June. 00:10 on the 1st is June in Shanghai, May in UTC.
		respond("nps", 6, 0, vip, "2025-06-01 00:10")
		respond("nps", 0, 0, "", "2025-06-02 10:00")
		respond("nps", 10, 0, "", "2025-06-03 10:00")
		respond("csat", 3, a, "", "2025-06-04 10:00")
		respond("csat", 5, b, "", "2025-06-05 10:00")
		respond("csat", 4, b, "", "2025-06-06 10:00")
		respond("csat", 1, b, "", "2025-06-30 23:59")
		// Outside the period. The second's invite went on 30 June 23:55,
		// so it counts as delivered in June (to agent a, segment "").
		respond("nps", 0, 0, "", "2025-04-30 23:59")
		respond("csat", 1, a, "", "2025-07-01 00:00")
		// Invites delivered but not answered: 2 for agent a in May, 1 NPS in
		// June; skipped and queued ones are not delivered.
		invite(2, a, "sent", at("2025-05-20 10:00"))
		invite(2, a, "sent", at("2025-05-21 10:00"))
		invite(1, 0, "sent", at("2025-06-10 10:00"))
		invite(1, 0, "skipped", at("2025-06-11 10:00"))
		invite(1, 0, "queued", at("2025-06-12 10:00"))

		from, to := time.Date(2025, 5, 1, 0, 0, 0, 0, cst), time.Date(2025, 7, 1, 0, 0, 0, 0, cst)
		res, err := f.svc.Results(bg, f.shop.ID, from, to)
		must(t, err)
		near := func(what string, got, want float64) {
			t.Helper()
			if math.Abs(got-want) > 1e-9 {
				t.Errorf("%s = %v, want %v", what, got, want)
			}
		}
		// Total: NPS answers 10 9 7 3 6 0 10 → promoters 3, detractors 3 of
		// 7: NPS 0. CSAT 5 4 2 3 5 4 1 → 4 of 7 are 4-5 (57.14 %), mean
		// 24/7. 14 responses of 15 + 3 delivered invites.
		tot := res.Total
		if tot.Responses != 14 || tot.NPSCount != 7 || tot.Promoters != 3 || tot.Passives != 1 || tot.Detractors != 3 || tot.CSATCount != 7 || tot.Invited != 18 {
			t.Fatalf("total %+v", tot)
		}
		near("NPS", tot.NPS, 0)
		near("CSAT", tot.CSAT, 400.0/7)
		near("CSAT mean", tot.CSATMean, 24.0/7)
		near("response rate", tot.ResponseRate, 1400.0/18)
		// Months: May NPS (2−1)/4 = 25, CSAT 2/3, mean 11/3, 7 of 9 invites.
		// June NPS (1−2)/3 = −33.3, CSAT 2/4 = 50, mean 13/4, 7 of 9.
		if len(res.Months) != 2 || res.Months[0].Key != "2025-05" || res.Months[1].Key != "2025-06" {
			t.Fatalf("months %+v", res.Months)
		}
		may, jun := res.Months[0], res.Months[1]
		if may.NPSCount != 4 || may.CSATCount != 3 || may.Invited != 9 || jun.NPSCount != 3 || jun.CSATCount != 4 || jun.Invited != 9 {
			t.Fatalf("May %+v June %+v", may, jun)
		}
		near("May NPS", may.NPS, 25)
		near("May CSAT", may.CSAT, 200.0/3)
		near("May mean", may.CSATMean, 11.0/3)
		near("May rate", may.ResponseRate, 700.0/9)
		near("June NPS", jun.NPS, -100.0/3)
		near("June CSAT", jun.CSAT, 50)
		near("June mean", jun.CSATMean, 3.25)
		near("June rate", jun.ResponseRate, 700.0/9)
		// Segments: 重要价值客户 has NPS 10 9 6 (P2 D1 of 3: 33.3) and CSAT
		// 5 4 (100 %, mean 4.5); the rest NPS 7 3 0 10 (P1 D2 of 4: −25) and
		// CSAT 2 3 5 4 1 (2 of 5: 40 %, mean 3). An answered invite counts
		// under its answer's segment, an unanswered one under the customer's
		// segment now (C1: 重要价值客户): vip 5 + 3 = 8, the rest 9 + 1 (the
		// July answer's June invite) = 10.
		if len(res.Segments) != 2 || res.Segments[0].Key != "" || res.Segments[1].Key != vip {
			t.Fatalf("segments %+v", res.Segments)
		}
		rest, v := res.Segments[0], res.Segments[1]
		if v.Responses != 5 || rest.Responses != 9 || v.Invited != 8 || rest.Invited != 10 {
			t.Fatalf("segments %+v", res.Segments)
		}
		near("vip NPS", v.NPS, 100.0/3)
		near("vip CSAT", v.CSAT, 100)
		near("vip mean", v.CSATMean, 4.5)
		near("rest NPS", rest.NPS, -25)
		near("rest CSAT", rest.CSAT, 40)
		near("rest mean", rest.CSATMean, 3)
		// Agents: 王客服 5 4 3 → 2/3, mean 4, 3 answered of 6 invites; li
		// 2 5 4 1 → 2/4, mean 3, 4 of 4.
		by, err := f.svc.ByAgent(bg, f.shop.ID, from, to)
		must(t, err)
		if len(by) != 2 || by[0].AgentID != b || by[0].Name != "li" || by[1].AgentID != a || by[1].Name != "王客服" {
			t.Fatalf("by agent %+v", by)
		}
		near("li CSAT", by[0].CSAT, 50)
		near("li mean", by[0].CSATMean, 3)
		near("wang CSAT", by[1].CSAT, 200.0/3)
		near("wang mean", by[1].CSATMean, 4)
		if by[0].CSATCount != 4 || by[0].Invited != 4 || by[1].CSATCount != 3 || by[1].Invited != 6 {
			t.Fatalf("by agent %+v", by)
		}
		near("wang rate", res.Agents[1].ResponseRate, 50)
		ms, err := f.svc.MonthlyScores(bg, f.shop.ID, from, to)
		must(t, err)
		if len(ms) != 2 || ms[0] != (survey.Month{Month: "2025-05", CSAT: may.CSAT, CSATMean: may.CSATMean, CSATCount: 3, NPS: 25, NPSCount: 4}) {
			t.Fatalf("monthly %+v", ms)
		}
		// One survey only.
		one, err := f.svc.SurveyResults(bg, f.shop.ID, 1, from, to)
		must(t, err)
		if one.Total.Responses != 7 || one.Total.CSATCount != 0 || one.Total.Invited != 8 {
			t.Fatalf("survey 1 %+v", one.Total)
		}
	})
}

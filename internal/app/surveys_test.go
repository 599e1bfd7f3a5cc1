package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/channel/channeltest"
	"github.com/guanxi-crm/guanxi/internal/job"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
	"github.com/guanxi-crm/guanxi/internal/survey"
)

// The CSAT job invites the customer of a closed ticket, queues the
// dispatch and its own next run in 15 minutes; the dispatch job sends the
// link through the shop's SMS gateway.
func TestSurveyJobs(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := openTest(t, db)
		// Noon in Shanghai: outside quiet hours whatever day the test runs.
		now := time.Now().In(time.FixedZone("CST", 8*3600))
		clock := guanxi.FixedClock(time.Date(now.Year(), now.Month(), now.Day(), 12, 0, 0, 0, now.Location()))
		a.Clock = clock
		a.Jobs = job.NewStore(a.DB, clock)
		a.Surveys = survey.NewService(a.DB, clock, a.Segments, a.Campaigns, service.NewService(a.DB, clock))
		a.Dispatcher.PublicURL = "https://crm.example.com"
		sh := &shop.Shop{Code: "s1", Name: "西湖茶庄", Timezone: "Asia/Shanghai"}
		must(t, a.Shops.Create(ctx, sh))
		_, err := a.DB.Exec(ctx, `INSERT INTO customers (shop_id, id, name, phone, created_at, updated_at) VALUES (?, 1, '王芳', ?, 0, 0)`, sh.ID, a.DB.Keys().Seal("phone", "13812345678"))
		must(t, err)
		g := channeltest.NewSMSGateway(true)
		t.Cleanup(g.Close)
		must(t, a.Campaigns.SetChannelSettings(ctx, sh.ID, &campaign.ChannelSettings{AllowPrivateNetwork: true, Channel: campaign.SMS,
			SMS: &campaign.SMSSettings{Endpoint: g.URL, AppKey: g.AppKey, AppSecret: g.Secret, SignName: "西湖茶庄"}}))
		sv := &survey.Survey{Kind: survey.CSAT, Title: "服务满意度", Channel: campaign.SMS}
		must(t, a.Surveys.Create(ctx, sh.ID, sv))
		_, err = a.Surveys.SetStatus(ctx, sh.ID, sv.ID, sv.Version, survey.Active)
		must(t, err)
		desk := service.NewService(a.DB, clock)
		tk := &service.Ticket{Kind: service.Consultation, Subject: "怎么泡", CustomerID: 1, Channel: "phone", Priority: service.Normal}
		must(t, desk.Create(ctx, sh.ID, tk))
		for _, to := range []string{service.Solved, service.Closed} {
			tk, err = desk.Transition(ctx, sh.ID, tk.ID, tk.Version, service.Step{To: to})
			must(t, err)
		}
		must(t, a.PlanSurveys(ctx))
		sch := a.scheduler()
		ran, err := sch.RunOnce(ctx)
		must(t, err)
		var kinds []string
		for _, j := range ran {
			kinds = append(kinds, j.Kind)
		}
		if strings.Join(kinds, ",") != "survey_csat,survey_dispatch" {
			t.Fatalf("ran %v", kinds)
		}
		if reqs := g.Requests(); len(reqs) != 1 || !strings.Contains(reqs[0].Content, "https://crm.example.com/f/") {
			t.Fatalf("messages %+v", reqs)
		}
		js, err := a.Jobs.List(ctx, sh.ID, 10)
		must(t, err)
		next := 0
		for _, j := range js {
			if j.Kind == "survey_csat" && j.Status == "queued" {
				next++
				if !j.DueAt.Equal(clock.Now().Add(15 * time.Minute)) {
					t.Fatalf("next CSAT run due %v", j.DueAt)
				}
			}
		}
		if next != 1 {
			t.Fatalf("%d CSAT runs queued, want 1", next)
		}
		// A second run invites nobody again.
		n, err := a.Surveys.InviteClosedTickets(ctx, sh.ID)
		must(t, err)
		if n != 0 {
			t.Fatalf("invited again: %d", n)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

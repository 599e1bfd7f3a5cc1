package app

import (
	"net/http"

	"github.com/guanxi-crm/guanxi/internal/order"
	"github.com/guanxi-crm/guanxi/internal/ui"
)

// registerUI mounts the web workspace.
func (a *App) registerUI(mux *http.ServeMux, cfg ServerConfig) error {
	web, err := ui.New(ui.Config{
		Auth:          a.Auth,
		Shops:         a.Shops,
		Customers:     a.Customers,
		Orders:        order.NewService(a.DB),
		Scores:        a.Scores,
		Segments:      a.Segments,
		Loyalty:       a.Loyalty,
		Coupons:       a.Coupons,
		KB:            a.KB,
		Reports:       a.Reports,
		Scorecard:     a.Scorecard,
		Audit:         a.Audit,
		Campaigns:     a.Campaigns,
		CampaignJobs:  a,
		Care:          a.Care(),
		CareJobs:      a,
		Service:       a.Desk,
		Surveys:       a.Surveys,
		Privacy:       a.Privacy(),
		SurveyJobs:    a,
		Log:           a.Log,
		Clock:         a.Clock,
		SecureCookies: cfg.SecureCookies,
	})
	if err != nil {
		return err
	}
	web.Register(mux)
	return nil
}

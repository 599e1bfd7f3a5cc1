package ui

import (
	"context"
	"net/http"
	"strconv"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/campaign"
)

// CampaignJobs launches and resumes campaigns, queueing their jobs (the
// app does it: the pages only ask).
type CampaignJobs interface {
	LaunchCampaign(ctx context.Context, shopID, id int64) (*campaign.Campaign, error)
	ResumeCampaign(ctx context.Context, shopID, id int64) error
}

// canWriteCampaigns: admins and care staff (who run campaigns, DESIGN.md)
// create, launch and stop campaigns; agents and analysts read them.
func canWriteCampaigns(r auth.Role) bool { return r == auth.RoleAdmin || r == auth.RoleCare }

func (u *UI) campaigns() (*campaign.Service, error) {
	if u.cfg.Campaigns == nil || u.cfg.CampaignJobs == nil {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "campaigns are not available")
	}
	return u.cfg.Campaigns, nil
}

// campaignOf reads the campaign named by the path, in the request's shop.
func (u *UI) campaignOf(r *http.Request, rq *request, svc *campaign.Service) (*campaign.Campaign, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "no campaign %q", r.PathValue("id"))
	}
	return svc.Get(r.Context(), rq.shop.ID, id)
}

type campaignRow struct {
	campaign.Campaign
	Result *campaign.Result
}

type campaignListPage struct {
	Campaigns []campaignRow
	CanWrite  bool
}

// campaignList lists the shop's campaigns, newest first, with their
// audience, what was sent and, once evaluated, the uplift over the holdout.
func (u *UI) campaignList(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.campaigns()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	cs, err := svc.List(r.Context(), rq.shop.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &campaignListPage{CanWrite: canWriteCampaigns(rq.role)}
	for _, c := range cs {
		row := campaignRow{Campaign: c}
		if !c.LaunchedAt.IsZero() {
			if row.Result, err = svc.Result(r.Context(), rq.shop.ID, c.ID); err != nil {
				u.fail(w, r, rq, err)
				return
			}
		}
		p.Campaigns = append(p.Campaigns, row)
	}
	u.render(w, r, rq, http.StatusOK, "campaign_list", "", u.view(r, rq, "campaigns", p))
}

type matrixPage struct {
	Cells []campaign.MatrixCell
}

// campaignMatrix shows the channel × segment matrix across the shop's
// evaluated campaigns: cost per contact, response rate, incremental
// revenue and ROI, so the shop sees which channel pays for which segment.
func (u *UI) campaignMatrix(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.campaigns()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	cells, err := svc.Matrix(r.Context(), rq.shop.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.render(w, r, rq, http.StatusOK, "campaign_matrix", "", u.view(r, rq, "campaigns", &matrixPage{Cells: cells}))
}

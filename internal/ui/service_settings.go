package ui

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/service"
)

// slaRow is one priority's clocks as the settings form shows them, in
// minutes.
type slaRow struct {
	Priority      string
	FirstResponse int64
	Resolution    int64
}

type serviceSettingsPage struct {
	SLAs    []slaRow
	IsAdmin bool
	Error   string
	Saved   bool
}

// serviceSettings shows the desk's SLA clocks per priority; admins change
// them.
func (u *UI) serviceSettings(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.desk()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &serviceSettingsPage{Saved: r.URL.Query().Get("saved") == "1"}
	u.showServiceSettings(w, r, rq, svc, p, http.StatusOK)
}

func (u *UI) showServiceSettings(w http.ResponseWriter, r *http.Request, rq *request, svc *service.Service, p *serviceSettingsPage, status int) {
	slas, err := svc.SLAs(r.Context(), rq.shop.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p.IsAdmin = rq.role == auth.RoleAdmin
	for _, pr := range service.Priorities {
		s := slas[pr]
		p.SLAs = append(p.SLAs, slaRow{Priority: pr, FirstResponse: int64(s.FirstResponse / time.Minute), Resolution: int64(s.Resolution / time.Minute)})
	}
	u.render(w, r, rq, status, "service_settings", "", u.view(r, rq, "tickets", p))
}

// slaSave sets the clocks of every priority from the form (minutes), each
// in turn; the first refused one stops and is shown.
func (u *UI) slaSave(w http.ResponseWriter, r *http.Request, rq *request) {
	if rq.role != auth.RoleAdmin {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "only an admin may change the SLA"))
		return
	}
	svc, err := u.desk()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	minutes := func(k string) (time.Duration, error) {
		v := strings.TrimSpace(r.PostFormValue(k))
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, guanxi.Errorf(guanxi.EINVALID, "%s: %q is not a whole number of minutes", k, v)
		}
		return time.Duration(n) * time.Minute, nil
	}
	for _, pr := range service.Priorities {
		var s service.SLA
		if s.FirstResponse, err = minutes("first_response_" + pr); err == nil {
			if s.Resolution, err = minutes("resolution_" + pr); err == nil {
				err = svc.SetSLA(r.Context(), rq.shop.ID, pr, s)
			}
		}
		if err != nil {
			msg, status, ok := formError(rq.locale, err)
			if !ok {
				u.fail(w, r, rq, err)
				return
			}
			u.showServiceSettings(w, r, rq, svc, &serviceSettingsPage{Error: pr + ": " + msg}, status)
			return
		}
	}
	u.log.Info("SLA saved", "shop", rq.shop.Code, "user", rq.sess.User.Username)
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/service/settings?saved=1", http.StatusSeeOther)
}

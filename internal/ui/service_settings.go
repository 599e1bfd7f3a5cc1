package ui

import (
	"net/http"
	"slices"
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
	SLAs     []slaRow
	Mode     string // assignment mode
	Modes    []string
	Members  []memberSkills
	Kinds    []string
	Canned   []service.CannedReply
	IsAdmin  bool
	CanWork  bool // may write canned replies
	Error    string
	Saved    string // what was just saved: sla, mode, skills, canned, deleted
	NewReply service.CannedReply
}

// memberSkills is a member with the ticket kinds they declare they handle.
type memberSkills struct {
	option
	Skills []string
}

// Has reports whether the member declared kind.
func (m memberSkills) Has(kind string) bool { return slices.Contains(m.Skills, kind) }

// serviceSettings shows the desk's SLA clocks per priority; admins change
// them.
func (u *UI) serviceSettings(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.desk()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &serviceSettingsPage{Saved: r.URL.Query().Get("saved")}
	u.showServiceSettings(w, r, rq, svc, p, http.StatusOK)
}

func (u *UI) showServiceSettings(w http.ResponseWriter, r *http.Request, rq *request, svc *service.Service, p *serviceSettingsPage, status int) {
	slas, err := svc.SLAs(r.Context(), rq.shop.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p.IsAdmin, p.CanWork = rq.role == auth.RoleAdmin, canWorkTickets(rq.role)
	p.Modes, p.Kinds = service.AssignModes, service.Kinds
	st, err := svc.Settings(r.Context(), rq.shop.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p.Mode = st.AssignMode
	skills, err := svc.Skills(r.Context(), rq.shop.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	ppl, err := u.peopleOf(r.Context(), rq.shop.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	for _, m := range ppl.Members {
		p.Members = append(p.Members, memberSkills{option: m, Skills: skills[m.ID]})
	}
	if p.Canned, err = svc.CannedReplies(r.Context(), rq.shop.ID, ""); err != nil {
		u.fail(w, r, rq, err)
		return
	}
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
	u.settingsSaved(w, r, rq, "sla")
}

func (u *UI) settingsSaved(w http.ResponseWriter, r *http.Request, rq *request, what string) {
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/service/settings?saved="+what, http.StatusSeeOther)
}

// settingsRefused shows the settings again with why a form was refused, or
// fails the request for an error that is not the form's.
func (u *UI) settingsRefused(w http.ResponseWriter, r *http.Request, rq *request, svc *service.Service, err error, p *serviceSettingsPage) {
	msg, status, ok := formError(rq.locale, err)
	if !ok {
		u.fail(w, r, rq, err)
		return
	}
	if p == nil {
		p = &serviceSettingsPage{}
	}
	p.Error = msg
	u.showServiceSettings(w, r, rq, svc, p, status)
}

// adminDesk is the desk for an admin's change, answering the request
// itself (403 for others) when it returns false.
func (u *UI) adminDesk(w http.ResponseWriter, r *http.Request, rq *request) (*service.Service, bool) {
	if rq.role != auth.RoleAdmin {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "only an admin may change the service desk's settings"))
		return nil, false
	}
	svc, err := u.desk()
	if err != nil {
		u.fail(w, r, rq, err)
		return nil, false
	}
	return svc, true
}

// assignModeSave sets how new tickets are assigned: by hand, round robin,
// or by skill.
func (u *UI) assignModeSave(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, ok := u.adminDesk(w, r, rq)
	if !ok {
		return
	}
	if err := svc.SaveSettings(r.Context(), rq.shop.ID, service.Settings{AssignMode: strings.TrimSpace(r.PostFormValue("assign_mode"))}); err != nil {
		u.settingsRefused(w, r, rq, svc, err, nil)
		return
	}
	u.settingsSaved(w, r, rq, "mode")
}

// skillsSave sets the ticket kinds one member handles, for assignment by
// skill.
func (u *UI) skillsSave(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, ok := u.adminDesk(w, r, rq)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EINVALID, "form: %v", err))
		return
	}
	if err := svc.SetSkills(r.Context(), rq.shop.ID, formInt(r, "user_id"), r.PostForm["skill"]); err != nil {
		u.settingsRefused(w, r, rq, svc, err, nil)
		return
	}
	u.settingsSaved(w, r, rq, "skills")
}

// cannedCreate saves a new canned reply.
func (u *UI) cannedCreate(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, ok := u.workingDesk(w, r, rq)
	if !ok {
		return
	}
	c := service.CannedReply{Title: r.PostFormValue("title"), Body: r.PostFormValue("body"), Kind: strings.TrimSpace(r.PostFormValue("kind")),
		CreatedBy: rq.sess.User.ID}
	keep := c
	if err := svc.CreateCannedReply(r.Context(), rq.shop.ID, &c); err != nil {
		u.settingsRefused(w, r, rq, svc, err, &serviceSettingsPage{NewReply: keep})
		return
	}
	u.settingsSaved(w, r, rq, "canned")
}

// cannedDelete deletes a canned reply.
func (u *UI) cannedDelete(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, ok := u.workingDesk(w, r, rq)
	if !ok {
		return
	}
	id, err := pathID(r, "canned reply")
	if err == nil {
		err = svc.DeleteCannedReply(r.Context(), rq.shop.ID, id)
	}
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.settingsSaved(w, r, rq, "deleted")
}

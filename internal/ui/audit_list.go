package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/auth"
)

// auditPageSize is how many entries one page of the audit log shows.
const auditPageSize = 100

// auditPage is one page of a shop's audit log.
type auditPage struct {
	Entries []audit.Entry
	Action  string
	Object  string // "customer:12"
	Older   string // URL of the next page, "" at the end
}

// auditActions are the actions the log's filter offers, each with a label
// in the catalogs ("audit.action." + action).
var auditActions = []string{"customer.update", "customer.note", "customer.reveal", "customer.merge", "customer.unmerge",
	"member.add", "member.role", "member.remove", "team.create", "team.delete", "team.add", "team.remove",
	"token.create", "token.revoke"}

// AuditActions lists the actions the audit log can be filtered by.
func (v *view) AuditActions() []string { return auditActions }

// requireAdmin refuses anyone but the shop's admins.
func requireAdmin(rq *request) error {
	if rq.role != auth.RoleAdmin {
		return guanxi.Errorf(guanxi.EFORBIDDEN, "only the shop's admins may do this")
	}
	return nil
}

// auditList shows the shop's audit log, newest first, to admins, filtered
// by action ("customer." for every customer action) and object
// ("customer:12").
func (u *UI) auditList(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := requireAdmin(rq); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	q := r.URL.Query()
	p := &auditPage{Action: strings.TrimSpace(q.Get("action")), Object: strings.TrimSpace(q.Get("object"))}
	f := audit.Filter{Action: p.Action, Limit: auditPageSize}
	if p.Object != "" {
		typ, id, _ := strings.Cut(p.Object, ":")
		f.ObjectType, f.ObjectID = typ, id
	}
	if b, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && b > 0 {
		f.Before = b
	}
	var err error
	if p.Entries, err = u.cfg.Audit.List(r.Context(), rq.shop.ID, f); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if len(p.Entries) == auditPageSize {
		next := url.Values{"before": {strconv.FormatInt(p.Entries[len(p.Entries)-1].ID, 10)}}
		if p.Action != "" {
			next.Set("action", p.Action)
		}
		if p.Object != "" {
			next.Set("object", p.Object)
		}
		p.Older = "/s/" + rq.shop.Code + "/audit?" + next.Encode()
	}
	u.render(w, r, rq, http.StatusOK, "audit_list", "", u.view(r, rq, "audit", p))
}

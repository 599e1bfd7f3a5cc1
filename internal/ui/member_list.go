package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
)

// membersPage is the shop's people: members with their roles and teams.
type membersPage struct {
	Members []auth.Member
	Teams   []auth.Team
	Roles   []auth.Role
	Done    string
}

// TeamName returns the name of one of the page's teams.
func (p *membersPage) TeamName(id int64) string {
	for _, t := range p.Teams {
		if t.ID == id {
			return t.Name
		}
	}
	return ""
}

// memberList shows the shop's members and teams to its admins.
func (u *UI) memberList(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := requireAdmin(rq); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &membersPage{Roles: auth.Roles, Done: r.URL.Query().Get("done")}
	var err error
	if p.Members, err = u.cfg.Auth.Members(r.Context(), rq.shop.ID); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if p.Teams, err = u.cfg.Auth.Teams(r.Context(), rq.shop.ID); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.render(w, r, rq, http.StatusOK, "member_list", "", u.view(r, rq, "members", p))
}

// memberSave applies one of the members page's forms, named by its "op":
// add (a user by username, with a role), role, remove, team_create,
// team_delete, team_add, team_remove.
func (u *UI) memberSave(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := requireAdmin(rq); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	ctx, shopID := r.Context(), rq.shop.ID
	num := func(name string) int64 {
		n, _ := strconv.ParseInt(r.PostFormValue(name), 10, 64)
		return n
	}
	var err error
	op := r.PostFormValue("op")
	switch op {
	case "add":
		var user *auth.User
		if user, err = u.cfg.Auth.ByUsername(ctx, strings.TrimSpace(r.PostFormValue("username"))); err == nil {
			err = u.cfg.Auth.AddMember(ctx, shopID, user.ID, auth.Role(r.PostFormValue("role")))
		}
	case "role":
		err = u.cfg.Auth.SetRole(ctx, shopID, num("user"), auth.Role(r.PostFormValue("role")))
	case "remove":
		err = u.cfg.Auth.RemoveMember(ctx, shopID, num("user"))
	case "team_create":
		_, err = u.cfg.Auth.CreateTeam(ctx, shopID, r.PostFormValue("name"))
	case "team_delete":
		err = u.cfg.Auth.DeleteTeam(ctx, shopID, num("team"))
	case "team_add", "team_remove":
		err = u.cfg.Auth.SetTeamMember(ctx, shopID, num("team"), num("user"), op == "team_add")
	default:
		err = guanxi.Errorf(guanxi.EINVALID, "unknown change %q", op)
	}
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.log.Info("members changed", "shop", rq.shop.Code, "op", op, "user", rq.sess.User.Username)
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/members?done="+op, http.StatusSeeOther)
}

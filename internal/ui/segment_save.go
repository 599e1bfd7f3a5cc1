package ui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/i18n"
	"github.com/guanxi-crm/guanxi/internal/segment"
)

// segmentCreate saves a new segment from the builder's form (name, and the
// rule's JSON in the textarea, which the visual editor fills in; the form
// works without scripts). A refused rule or name shows the builder again
// with the reason and what was typed.
func (u *UI) segmentCreate(w http.ResponseWriter, r *http.Request, rq *request) {
	u.segmentSave(w, r, rq, 0)
}

// segmentUpdate saves a changed name and rule of a saved segment.
func (u *UI) segmentUpdate(w http.ResponseWriter, r *http.Request, rq *request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.ENOTFOUND, "no segment %q", r.PathValue("id")))
		return
	}
	u.segmentSave(w, r, rq, id)
}

func (u *UI) segmentSave(w http.ResponseWriter, r *http.Request, rq *request, id int64) {
	if !canWriteSegments(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not change segments"))
		return
	}
	svc, err := u.segments()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	ctx := r.Context()
	if id != 0 {
		// A segment of another shop, or none, is not found before the form is read.
		if _, err := svc.Get(ctx, rq.shop.ID, id); err != nil {
			u.fail(w, r, rq, err)
			return
		}
	}
	name, raw := r.PostFormValue("name"), r.PostFormValue("rule")
	p := &segmentEditPage{ID: id, Name: name, Rule: raw, CanWrite: true}
	rule, err := segment.ParseRule([]byte(raw))
	if err != nil {
		p.Error, p.ErrorPath = ruleError(rq.locale, err)
		u.renderSegment(w, r, rq, http.StatusBadRequest, p)
		return
	}
	seg := &segment.Segment{ID: id, Name: name, Rule: rule, CreatedBy: rq.sess.User.ID}
	action := "segment.update"
	if id == 0 {
		action = "segment.create"
		err = svc.Create(ctx, rq.shop.ID, seg)
	} else {
		err = svc.Update(ctx, rq.shop.ID, seg)
	}
	switch guanxi.ErrorCode(err) {
	case "":
	case guanxi.EINVALID: // the name: the rule has been checked
		p.Error = i18n.T(rq.locale, "segments.name_required")
		u.renderSegment(w, r, rq, http.StatusBadRequest, p)
		return
	case guanxi.ECONFLICT:
		p.Error = i18n.T(rq.locale, "segments.name_taken")
		u.renderSegment(w, r, rq, http.StatusConflict, p)
		return
	default:
		u.fail(w, r, rq, err)
		return
	}
	if err := u.cfg.Audit.Record(ctx, rq.shop.ID, action, "segment", seg.ID, map[string]any{"name": seg.Name, "rule": string(seg.Rule.JSON())}); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.log.Info("segment saved", "shop", rq.shop.Code, "segment", seg.ID, "user", rq.sess.User.Username)
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/segments/"+strconv.FormatInt(seg.ID, 10)+"?saved=1", http.StatusSeeOther)
}

// ruleError splits a ParseRule error into what to tell the person and the
// JSON path of the fault ("all[2].value"), which the editor shows next to
// the condition at fault. Other errors give a generic message and no path.
func ruleError(locale string, err error) (msg, path string) {
	var e *guanxi.Error
	if !errors.As(err, &e) || e.Code != guanxi.EINVALID {
		return i18n.ErrorMessage(locale, err), ""
	}
	path, detail, ok := strings.Cut(e.Message, ": ")
	if !ok {
		return e.Message, ""
	}
	return i18n.T(locale, "segments.rule_error", path, detail), path
}

// segmentDelete deletes a saved segment and its history.
func (u *UI) segmentDelete(w http.ResponseWriter, r *http.Request, rq *request) {
	if !canWriteSegments(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not delete segments"))
		return
	}
	svc, err := u.segments()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	seg, err := u.segmentOf(r, rq, svc)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if err := svc.Delete(r.Context(), rq.shop.ID, seg.ID); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if err := u.cfg.Audit.Record(r.Context(), rq.shop.ID, "segment.delete", "segment", seg.ID, map[string]any{"name": seg.Name, "rule": string(seg.Rule.JSON())}); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.log.Info("segment deleted", "shop", rq.shop.Code, "segment", seg.ID, "user", rq.sess.User.Username)
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/segments?deleted=1", http.StatusSeeOther)
}

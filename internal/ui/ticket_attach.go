package ui

import (
	"bytes"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/service"
)

// attachmentBodyLimit bounds an upload's request: the largest attachment
// and the form around it. Other POSTs keep the 1 MiB limit of user().
const attachmentBodyLimit = service.MaxAttachmentSize + 1<<20

// ticketAttach stores a file on the ticket of the path (the service sniffs
// its type and refuses what is not an image, a PDF or text) and goes back
// to the ticket.
func (u *UI) ticketAttach(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, ok := u.workingDesk(w, r, rq)
	if !ok {
		return
	}
	t, err := u.ticketOf(r, rq, svc)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		err = guanxi.Errorf(guanxi.EINVALID, "file: choose a file to attach")
	} else {
		defer f.Close()
		_, err = svc.AddAttachment(r.Context(), rq.shop.ID, t.ID, hdr.Filename, f)
	}
	if err != nil {
		u.ticketRefused(w, r, rq, svc, t.ID, err)
		return
	}
	u.log.Info("ticket attachment", "shop", rq.shop.Code, "ticket", t.ID, "user", rq.sess.User.Username)
	http.Redirect(w, r, ticketPath(rq, t.ID)+"?done=attached#attachments", http.StatusSeeOther)
}

// ticketAttachment serves an attachment of the ticket of the path to
// anyone who may read the ticket: with its sniffed type, never sniffed
// again by the browser, and as a download unless it is an image, so no
// file runs as a page of this site.
func (u *UI) ticketAttachment(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.desk()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	t, err := u.ticketOf(r, rq, svc)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	aid, err := strconv.ParseInt(r.PathValue("aid"), 10, 64)
	if err != nil || aid <= 0 {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.ENOTFOUND, "no attachment %q", r.PathValue("aid")))
		return
	}
	a, err := svc.Attachment(r.Context(), rq.shop.ID, aid)
	if err == nil && a.TicketID != t.ID {
		err = guanxi.Errorf(guanxi.ENOTFOUND, "attachment %d is not ticket %d's", aid, t.ID)
	}
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; sandbox")
	disp := "attachment"
	if strings.HasPrefix(a.ContentType, "image/") {
		disp = "inline"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": a.Name}))
	http.ServeContent(w, r, "", a.CreatedAt, bytes.NewReader(a.Content))
}

// ticketAutoAssign gives an unassigned ticket to an agent as the shop's
// assignment mode says.
func (u *UI) ticketAutoAssign(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, ok := u.workingDesk(w, r, rq)
	if !ok {
		return
	}
	t, err := u.ticketOf(r, rq, svc)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if _, err := svc.AutoAssign(r.Context(), rq.shop.ID, t.ID, formInt(r, "version")); err != nil {
		u.ticketRefused(w, r, rq, svc, t.ID, err)
		return
	}
	http.Redirect(w, r, ticketPath(rq, t.ID)+"?done=assign", http.StatusSeeOther)
}

// ticketRefused shows the ticket as it is now with the caller's mistake
// err (400, or 409 for a stale version), so the agent sees what changed;
// any other error fails the request.
func (u *UI) ticketRefused(w http.ResponseWriter, r *http.Request, rq *request, svc *service.Service, ticketID int64, err error) {
	msg, status, ok := formError(rq.locale, err)
	if !ok {
		u.fail(w, r, rq, err)
		return
	}
	cur, gerr := svc.Get(r.Context(), rq.shop.ID, ticketID)
	if gerr != nil {
		u.fail(w, r, rq, gerr)
		return
	}
	u.showTicket(w, r, rq, svc, &ticketPage{T: cur, Error: msg}, status)
}

package api

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/service"
)

// Ticket attachments: uploaded as multipart/form-data (one file, field
// "file"), checked by the desk (size, count, sniffed type), downloaded
// always as an attachment with nosniff, so a file can never run as a page
// of the API's origin.

type attachmentJSON struct {
	ID          int64     `json:"id"`
	TicketID    int64     `json:"ticket_id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	CreatedAt   time.Time `json:"created_at"`
	URL         string    `json:"url"`
}

func attachmentOf(a *service.Attachment) attachmentJSON {
	return attachmentJSON{ID: a.ID, TicketID: a.TicketID, Name: a.Name, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256,
		CreatedAt: a.CreatedAt.UTC(), URL: "/api/v1/attachments/" + strconv.FormatInt(a.ID, 10)}
}

// listAttachments: GET /tickets/{id}/attachments, oldest first.
func (a *API) listAttachments(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.desk()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	list := func(ctx context.Context, shopID int64) ([]service.Attachment, error) {
		return svc.Attachments(ctx, shopID, id)
	}
	return listAll(w, r, t, "attachments", list, attachmentOf)
}

// uploadAttachment: POST /tickets/{id}/attachments, multipart/form-data
// with one file in the field "file"; 201 with the attachment.
func (a *API) uploadAttachment(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.desk()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	// Another shop's ticket is not found before the body is judged.
	if _, err := svc.Get(ctx, t.ShopID, id); err != nil {
		return err
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		return guanxi.Errorf(guanxi.EINVALID, "body: multipart/form-data with the file in the field \"file\" expected")
	}
	r.Body = http.MaxBytesReader(w, r.Body, service.MaxAttachmentSize+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return guanxi.Errorf(guanxi.EINVALID, "body: %v", err)
	}
	for {
		p, err := mr.NextPart()
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return guanxi.Errorf(codeTooLarge, "file: over the limit of %d bytes", service.MaxAttachmentSize)
		case err == io.EOF:
			return guanxi.Errorf(guanxi.EINVALID, "file: required (the form field \"file\")")
		case err != nil:
			return guanxi.Errorf(guanxi.EINVALID, "body: %v", err)
		}
		if p.FormName() != "file" {
			continue
		}
		at, err := svc.AddAttachment(ctx, t.ShopID, id, p.FileName(), p)
		if errors.As(err, &mbe) {
			return guanxi.Errorf(codeTooLarge, "file: over the limit of %d bytes", service.MaxAttachmentSize)
		}
		if err != nil {
			return err
		}
		w.Header().Set("Location", "/api/v1/attachments/"+strconv.FormatInt(at.ID, 10))
		writeJSON(w, http.StatusCreated, attachmentOf(at))
		return nil
	}
}

// downloadAttachment: GET /attachments/{id}, the file itself, always as a
// download: Content-Disposition: attachment (with the name in UTF-8) and
// X-Content-Type-Options: nosniff, under a sandboxing CSP.
func (a *API) downloadAttachment(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.desk()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	at, err := svc.Attachment(ctx, t.ShopID, id)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", at.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": at.Name}))
	if h.Get("Content-Disposition") == "" {
		h.Set("Content-Disposition", "attachment")
	}
	h.Set("Content-Length", strconv.Itoa(len(at.Content)))
	h.Set("ETag", strconv.Quote(at.SHA256))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(at.Content)
	}
	return nil
}

// replyInput is the body of POST /tickets/{id}/replies.
type replyInput struct {
	Body    string `json:"body"`
	Channel string `json:"channel"` // "": given outside Guanxi; email, sms, wechat, webhook: sent through it
}

// replyTicket: POST /tickets/{id}/replies. Without a channel the reply is
// recorded as given elsewhere (phone, chat); with one it is sent to the
// customer through the shop's channel and recorded with the delivery. A
// send the provider refused is recorded as failed and answered 502 with
// the ticket still changed (the reply is on its history).
func (a *API) replyTicket(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.desk()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in replyInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	var delivery *service.ReplyDelivery
	if strings.TrimSpace(in.Channel) == "" {
		err = svc.Reply(ctx, t.ShopID, id, in.Body)
	} else {
		delivery, err = svc.SendReply(ctx, t.ShopID, id, in.Channel, in.Body)
	}
	// A send the provider refused is recorded: answer the ticket with it.
	if err != nil && (delivery == nil || delivery.Status != service.DeliveryFailed) {
		return err
	}
	tk, err := svc.Get(ctx, t.ShopID, id)
	if err != nil {
		return err
	}
	evs, err := svc.Events(ctx, t.ShopID, id)
	if err != nil {
		return err
	}
	j := ticketOf(tk)
	j.Events = make([]eventJSON, len(evs))
	for i := range evs {
		j.Events[i] = eventOf(&evs[i])
	}
	status := http.StatusCreated
	if delivery != nil {
		j.Delivery = &deliveryJSON{EventID: delivery.EventID, Channel: delivery.Channel, To: delivery.To, Status: delivery.Status, Detail: delivery.Detail}
		if delivery.Status == service.DeliveryFailed {
			status = http.StatusBadGateway
		}
	}
	setVersion(w, tk.Version)
	writeJSON(w, status, j)
	return nil
}

// deliveryJSON is what became of a reply sent through a channel.
type deliveryJSON struct {
	EventID int64  `json:"event_id"`
	Channel string `json:"channel"`
	To      string `json:"to"`
	Status  string `json:"status"` // sent or failed
	Detail  string `json:"detail"` // the provider's message id, or why it failed
}

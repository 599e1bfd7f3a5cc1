package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Attachment limits: a photo of a damaged parcel or a receipt fits; a video
// does not belong in the database.
const (
	MaxAttachmentSize = 10 << 20 // bytes, each
	MaxAttachments    = 20       // per ticket
)

// AttachmentTypes are the content types an attachment may have, decided
// by sniffing its bytes (net/http.DetectContentType), never by its name:
// images, PDF and plain text, which a browser shows without running
// anything. HTML, SVG and archives are refused.
var AttachmentTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain; charset=utf-8"}

// Attachment is a file attached to a ticket.
type Attachment struct {
	ID          int64
	TicketID    int64
	Name        string // sanitised: a base name without control or path characters
	ContentType string // one of AttachmentTypes
	Size        int64
	SHA256      string // hex
	CreatedBy   int64
	CreatedAt   time.Time
	Content     []byte // only from Attachment
}

// AddAttachment stores the file read from r on a ticket. It fails with
// EINVALID (field "file") for an empty file, one over MaxAttachmentSize, or
// content of a type not in AttachmentTypes (a page of HTML named photo.jpg
// is refused), and with ECONFLICT when the ticket already has
// MaxAttachments.
func (s *Service) AddAttachment(ctx context.Context, shopID, ticketID int64, name string, r io.Reader) (*Attachment, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxAttachmentSize+1))
	if err != nil {
		return nil, fmt.Errorf("service: read attachment: %w", err)
	}
	switch {
	case len(data) == 0:
		return nil, invalid("file", "empty")
	case len(data) > MaxAttachmentSize:
		return nil, invalid("file", "larger than %d MiB", MaxAttachmentSize>>20)
	}
	ct, ok := sniff(data)
	if !ok {
		return nil, invalid("file", "content is %s: only PNG, JPEG, GIF, WebP images, PDF and plain text may be attached", ct)
	}
	sum := sha256.Sum256(data)
	a := &Attachment{TicketID: ticketID, Name: SanitizeFileName(name, ct), ContentType: ct, Size: int64(len(data)),
		SHA256: hex.EncodeToString(sum[:]), CreatedBy: audit.ActorFrom(ctx).UserID, CreatedAt: s.now()}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := get(ctx, tx, shopID, ticketID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM ticket_attachments WHERE shop_id = ? AND ticket_id = ?`, shopID, ticketID).Scan(&n); err != nil {
			return fmt.Errorf("service: attachments of ticket %d: %w", ticketID, err)
		}
		if n >= MaxAttachments {
			return guanxi.Errorf(guanxi.ECONFLICT, "ticket %d already has %d attachments, the most it may have", ticketID, MaxAttachments)
		}
		if a.ID, err = tx.NextIDs(ctx, shopID, "ticket_attachments", 1); err != nil {
			return fmt.Errorf("service: attach to ticket %d: %w", ticketID, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO ticket_attachments (shop_id, id, ticket_id, name, content_type, size, sha256, content, created_by, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, shopID, a.ID, ticketID, a.Name, a.ContentType, a.Size, a.SHA256, data,
			store.NullInt(a.CreatedBy), a.CreatedAt.Unix()); err != nil {
			return fmt.Errorf("service: attach to ticket %d: %w", ticketID, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE tickets SET updated_at = ? WHERE shop_id = ? AND id = ?`, a.CreatedAt.Unix(), shopID, ticketID); err != nil {
			return fmt.Errorf("service: attach to ticket %d: %w", ticketID, err)
		}
		// The history says who attached what, beside the notes and
		// messages; to_value is the attachment's id, for a link.
		if err := addEvent(ctx, tx, shopID, ticketID, "attachment", "", strconv.FormatInt(a.ID, 10), a.Name, a.CreatedAt); err != nil {
			return err
		}
		return audit.Write(ctx, tx, shopID, "ticket.attach", "ticket", ticketID,
			map[string]any{"attachment_id": a.ID, "name": a.Name, "content_type": a.ContentType, "size": a.Size, "sha256": a.SHA256}, a.CreatedAt)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// sniff returns the content's type and whether it may be attached. Text
// must be UTF-8 throughout, not only in the 512 bytes sniffed.
func sniff(data []byte) (string, bool) {
	ct := http.DetectContentType(data)
	mt, _, _ := mime.ParseMediaType(ct)
	switch mt {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf":
		return mt, true
	case "text/plain":
		if !strings.Contains(ct, "utf-8") || !utf8.Valid(data) {
			return mt, false
		}
		if markup(data) {
			// HTML or SVG that does not start with a tag the sniffer knows
			// ("hello<script>…", "<svg onload=…>") is text only by accident.
			return "text/html", false
		}
		return "text/plain; charset=utf-8", true
	}
	return mt, false
}

// activeTags are the markup that runs or embeds something in a browser.
var activeTags = []string{"<script", "<svg", "<iframe", "<object", "<embed", "<html", "<body", "<img", "<meta", "<link", "<style", "<form", "<?xml", "<!doctype", "<math", "<base"}

// markup reports whether text holds active HTML or SVG tags anywhere.
func markup(data []byte) bool {
	if bytes.IndexByte(data, '<') < 0 {
		return false
	}
	low := bytes.ToLower(data)
	for _, t := range activeTags {
		if bytes.Contains(low, []byte(t)) {
			return true
		}
	}
	return false
}

// extensions are the names' endings per content type, for a name that
// has none.
var extensions = map[string]string{"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
	"application/pdf": ".pdf", "text/plain; charset=utf-8": ".txt"}

// SanitizeFileName makes an uploaded file's name safe to store and to put
// in a Content-Disposition header: the last path element only (no ../),
// without control characters, quotes or characters Windows forbids,
// without leading dots (no hidden files), at most 100 characters keeping
// the extension; "attachment" plus the type's extension when nothing is
// left. ct is the sniffed content type.
func SanitizeFileName(name, ct string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), strings.ContainsRune(`/\:*?"<>|`, r),
			unicode.Is(unicode.Cf, r): // format characters: a right-to-left override disguises gpj.exe
			continue
		}
		b.WriteRune(r)
	}
	name = strings.TrimLeft(strings.TrimSpace(b.String()), ". ")
	if name == "" {
		return "attachment" + extensions[ct]
	}
	if utf8.RuneCountInString(name) > 100 {
		ext := path.Ext(name)
		if utf8.RuneCountInString(ext) > 10 {
			ext = ""
		}
		runes := []rune(strings.TrimSuffix(name, ext))
		name = string(runes[:100-utf8.RuneCountInString(ext)]) + ext
	}
	return name
}

// Attachments lists a ticket's attachments, oldest first, without their
// content; ENOTFOUND when the ticket is not the shop's.
func (s *Service) Attachments(ctx context.Context, shopID, ticketID int64) ([]Attachment, error) {
	if _, err := s.Get(ctx, shopID, ticketID); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id, ticket_id, name, content_type, size, sha256, created_by, created_at
FROM ticket_attachments WHERE shop_id = ? AND ticket_id = ? ORDER BY id`, shopID, ticketID)
	if err != nil {
		return nil, fmt.Errorf("service: attachments of ticket %d: %w", ticketID, err)
	}
	defer rows.Close()
	var out []Attachment
	for rows.Next() {
		var a Attachment
		var by sql.NullInt64
		var at int64
		if err := rows.Scan(&a.ID, &a.TicketID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &by, &at); err != nil {
			return nil, fmt.Errorf("service: attachments of ticket %d: %w", ticketID, err)
		}
		a.CreatedBy, a.CreatedAt = by.Int64, time.Unix(at, 0)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Attachment returns one attachment with its content, or ENOTFOUND. Serve
// it with its ContentType, X-Content-Type-Options: nosniff and, for
// anything but an image, Content-Disposition: attachment.
func (s *Service) Attachment(ctx context.Context, shopID, id int64) (*Attachment, error) {
	var a Attachment
	var by sql.NullInt64
	var at int64
	err := s.db.QueryRow(ctx, `SELECT id, ticket_id, name, content_type, size, sha256, created_by, created_at, content
FROM ticket_attachments WHERE shop_id = ? AND id = ?`, shopID, id).Scan(&a.ID, &a.TicketID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &by, &at, &a.Content)
	if err == sql.ErrNoRows {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "attachment %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("service: attachment %d: %w", id, err)
	}
	a.CreatedBy, a.CreatedAt = by.Int64, time.Unix(at, 0)
	return &a, nil
}

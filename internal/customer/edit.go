package customer

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Edit is a change to a customer's profile as a person makes it. Contact
// data (phone, e-mail, address) is not edited here: it is what identity
// resolution matches on.
type Edit struct {
	Name     string
	Gender   string // "", "f" or "m"
	Birthday string // YYYY-MM-DD or ""
	Province string
	City     string
	Tags     []string
}

// ParseTags reads tags separated by commas (either width) or 、, trimmed and
// without repeats.
func ParseTags(s string) []string {
	var out []string
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == '、' }) {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func (e *Edit) check() error {
	e.Name, e.Province, e.City = strings.TrimSpace(e.Name), strings.TrimSpace(e.Province), strings.TrimSpace(e.City)
	switch {
	case utf8.RuneCountInString(e.Name) > 100:
		return guanxi.Errorf(guanxi.EINVALID, "name: at most 100 characters")
	case e.Gender != "" && e.Gender != "f" && e.Gender != "m":
		return guanxi.Errorf(guanxi.EINVALID, "gender: f, m or empty")
	case utf8.RuneCountInString(e.Province) > 50 || utf8.RuneCountInString(e.City) > 50:
		return guanxi.Errorf(guanxi.EINVALID, "province and city: at most 50 characters each")
	case len(e.Tags) > 30:
		return guanxi.Errorf(guanxi.EINVALID, "at most 30 tags")
	}
	if e.Birthday != "" {
		if _, err := time.Parse(time.DateOnly, e.Birthday); err != nil {
			return guanxi.Errorf(guanxi.EINVALID, "birthday %q: expected a date such as 1990-05-17", e.Birthday)
		}
	}
	for _, t := range e.Tags {
		if utf8.RuneCountInString(t) > 30 {
			return guanxi.Errorf(guanxi.EINVALID, "tag %q: at most 30 characters", t)
		}
	}
	return nil
}

// Update applies an edit made on version of the customer, by actor (a
// user id), and records it on the customer's timeline. An edit made on an
// older version is refused with ECONFLICT, never written over the newer
// change; it returns the new version.
func (s *Service) Update(ctx context.Context, shopID, id, version int64, e Edit, actor int64, now time.Time) (int64, error) {
	if err := e.check(); err != nil {
		return 0, err
	}
	if e.Tags == nil {
		e.Tags = []string{}
	}
	tags, _ := json.Marshal(e.Tags) // a slice of strings always marshals
	data, _ := json.Marshal(map[string]any{"name": e.Name, "gender": e.Gender, "birthday": e.Birthday, "province": e.Province, "city": e.City, "tags": e.Tags})
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE customers SET name = ?, gender = ?, birthday = ?, province = ?, city = ?, tags = ?, version = version + 1, updated_at = ?
WHERE shop_id = ? AND id = ? AND version = ? AND merged_into IS NULL`,
			e.Name, e.Gender, e.Birthday, e.Province, e.City, string(tags), now.Unix(), shopID, id, version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			// The edit and its timeline entry are one change.
			ev, err := tx.NextIDs(ctx, shopID, "timeline_events", 1)
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `INSERT INTO timeline_events (shop_id, id, customer_id, kind, occurred_at, actor_id, title, data) VALUES (?, ?, ?, 'edit', ?, ?, 'profile edited', ?)`,
				shopID, ev, id, now.Unix(), actor, string(data))
			return err
		}
		var cur int64
		if err := tx.QueryRow(ctx, `SELECT version FROM customers WHERE shop_id = ? AND id = ? AND merged_into IS NULL`, shopID, id).Scan(&cur); err != nil {
			return guanxi.Errorf(guanxi.ENOTFOUND, "customer %d not found", id)
		}
		return guanxi.Errorf(guanxi.ECONFLICT, "customer %d was changed by someone else since you opened it (version %d, now %d): reload to see the change, then edit again", id, version, cur)
	})
	if err != nil {
		if guanxi.ErrorCode(err) != guanxi.EINTERNAL {
			return 0, err
		}
		return 0, fmt.Errorf("customer: update %d in shop %d: %w", id, shopID, err)
	}
	return version + 1, nil
}

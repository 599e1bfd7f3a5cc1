package customer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
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

// diff lists the fields e changes from old, each as [old, new].
func (old Edit) diff(e Edit) map[string][2]any {
	d := map[string][2]any{}
	for _, f := range []struct {
		name     string
		was, now string
	}{{"name", old.Name, e.Name}, {"gender", old.Gender, e.Gender}, {"birthday", old.Birthday, e.Birthday}, {"province", old.Province, e.Province}, {"city", old.City, e.City}} {
		if f.was != f.now {
			d[f.name] = [2]any{f.was, f.now}
		}
	}
	if !slices.Equal(old.Tags, e.Tags) && (len(old.Tags) > 0 || len(e.Tags) > 0) {
		d["tags"] = [2]any{old.Tags, e.Tags}
	}
	return d
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
	err := s.db.Update(ctx, func(tx *store.Tx) error { return update(ctx, tx, shopID, id, version, e, actor, now) })
	if err != nil {
		if guanxi.ErrorCode(err) != guanxi.EINTERNAL {
			return 0, err
		}
		return 0, fmt.Errorf("customer: update %d in shop %d: %w", id, shopID, err)
	}
	return version + 1, nil
}

// update is Update's work in the caller's write transaction, for a checked
// edit.
func update(ctx context.Context, tx *store.Tx, shopID, id, version int64, e Edit, actor int64, now time.Time) error {
	if e.Tags == nil {
		e.Tags = []string{}
	}
	tags, _ := json.Marshal(e.Tags) // a slice of strings always marshals
	data, _ := json.Marshal(map[string]any{"name": e.Name, "gender": e.Gender, "birthday": e.Birthday, "province": e.Province, "city": e.City, "tags": e.Tags})
	var old Edit
	var oldTags string
	err := tx.QueryRow(ctx, `SELECT name, gender, birthday, province, city, tags FROM customers WHERE shop_id = ? AND id = ? AND version = ? AND merged_into IS NULL`,
		shopID, id, version).Scan(&old.Name, &old.Gender, &old.Birthday, &old.Province, &old.City, &oldTags)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	_ = json.Unmarshal([]byte(oldTags), &old.Tags)
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
		if _, err = tx.Exec(ctx, `INSERT INTO timeline_events (shop_id, id, customer_id, kind, occurred_at, actor_id, title, data) VALUES (?, ?, ?, 'edit', ?, ?, 'profile edited', ?)`,
			shopID, ev, id, now.Unix(), actor, string(data)); err != nil {
			return err
		}
		return audit.Write(ctx, tx, shopID, "customer.update", "customer", id, map[string]any{"version": version + 1, "changed": old.diff(e)}, now)
	}
	var cur int64
	if err := tx.QueryRow(ctx, `SELECT version FROM customers WHERE shop_id = ? AND id = ? AND merged_into IS NULL`, shopID, id).Scan(&cur); err != nil {
		return guanxi.Errorf(guanxi.ENOTFOUND, "customer %d not found", id)
	}
	return guanxi.Errorf(guanxi.ECONFLICT, "customer %d was changed by someone else since you opened it (version %d, now %d): reload to see the change, then edit again", id, version, cur)
}

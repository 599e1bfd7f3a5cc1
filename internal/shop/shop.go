// Package shop owns the shops of an install: code, name, currency and time
// zone. Every other table hangs off a shop. The Service is safe for
// concurrent use.
package shop

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Shop is one shop.
type Shop struct {
	ID        int64
	Code      string
	Name      string
	Currency  string
	Timezone  string
	CreatedAt time.Time
}

// Location returns the shop's time zone (Asia/Shanghai when it is unknown to
// this system's zone database).
func (s *Shop) Location() *time.Location { return LocationOf(s.Timezone) }

// LocationOf returns the time zone named tz, a shop's timezone column, or
// China Standard Time when this system's zone database does not know it:
// for packages that read the column alone rather than the whole shop.
func LocationOf(tz string) *time.Location {
	if loc, err := time.LoadLocation(tz); err == nil {
		return loc
	}
	return shanghai
}

// MonthStarts returns the first instants, in loc, of the calendar months
// that [from, to) touches, in order: the buckets of a month-by-month report
// in shop time.
func MonthStarts(from, to time.Time, loc *time.Location) []time.Time {
	var out []time.Time
	f := from.In(loc)
	for m := time.Date(f.Year(), f.Month(), 1, 0, 0, 0, 0, loc); m.Before(to); m = m.AddDate(0, 1, 0) {
		out = append(out, m)
	}
	return out
}

// shanghai is China Standard Time, with no DST, for systems without tzdata.
var shanghai = time.FixedZone("CST", 8*3600)

// Service reads and writes shops.
type Service struct {
	db    *store.DB
	clock guanxi.Clock
}

// NewService returns a Service on db.
func NewService(db *store.DB, clock guanxi.Clock) *Service { return &Service{db: db, clock: clock} }

var codeRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// Create adds a shop. The code is lower-case letters, digits, - and _.
func (s *Service) Create(ctx context.Context, sh *Shop) error {
	if !codeRe.MatchString(sh.Code) {
		return guanxi.Errorf(guanxi.EINVALID, "shop code %q: use 1-32 lower-case letters, digits, - or _", sh.Code)
	}
	if sh.Name == "" {
		sh.Name = sh.Code
	}
	if sh.Currency == "" {
		sh.Currency = "CNY"
	}
	if sh.Timezone == "" {
		sh.Timezone = "Asia/Shanghai"
	}
	if _, err := time.LoadLocation(sh.Timezone); err != nil {
		return guanxi.Errorf(guanxi.EINVALID, "time zone %q is not known", sh.Timezone)
	}
	sh.CreatedAt = s.clock.Now().Truncate(time.Second)
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO shops (code, name, currency, timezone, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			sh.Code, sh.Name, sh.Currency, sh.Timezone, sh.CreatedAt.Unix()).Scan(&sh.ID)
	})
	if err != nil {
		return fmt.Errorf("shop: create %s: %w", sh.Code, store.MapError(err))
	}
	return nil
}

// ByCode returns the shop with the code, or an ENOTFOUND error.
func (s *Service) ByCode(ctx context.Context, code string) (*Shop, error) {
	return s.one(ctx, `WHERE code = ?`, code)
}

// ByID returns the shop with the id, or an ENOTFOUND error.
func (s *Service) ByID(ctx context.Context, id int64) (*Shop, error) {
	return s.one(ctx, `WHERE id = ?`, id)
}

func (s *Service) one(ctx context.Context, where string, arg any) (*Shop, error) {
	var sh Shop
	var created int64
	err := s.db.QueryRow(ctx, `SELECT id, code, name, currency, timezone, created_at FROM shops `+where, arg).
		Scan(&sh.ID, &sh.Code, &sh.Name, &sh.Currency, &sh.Timezone, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "shop %v not found", arg)
	}
	if err != nil {
		return nil, fmt.Errorf("shop: %v: %w", arg, err)
	}
	sh.CreatedAt = time.Unix(created, 0)
	return &sh, nil
}

// Ensure returns the shop with the code, creating it with the defaults of
// proto when it does not exist. It reports whether it created it.
func (s *Service) Ensure(ctx context.Context, proto Shop) (*Shop, bool, error) {
	sh, err := s.ByCode(ctx, proto.Code)
	if err == nil {
		return sh, false, nil
	}
	if guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
		return nil, false, err
	}
	if err := s.Create(ctx, &proto); err != nil {
		return nil, false, err
	}
	return &proto, true, nil
}

// List returns every shop, by code.
func (s *Service) List(ctx context.Context) ([]Shop, error) {
	rows, err := s.db.Query(ctx, `SELECT id, code, name, currency, timezone, created_at FROM shops ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("shop: list: %w", err)
	}
	defer rows.Close()
	var out []Shop
	for rows.Next() {
		var sh Shop
		var created int64
		if err := rows.Scan(&sh.ID, &sh.Code, &sh.Name, &sh.Currency, &sh.Timezone, &created); err != nil {
			return nil, fmt.Errorf("shop: list: %w", err)
		}
		sh.CreatedAt = time.Unix(created, 0)
		out = append(out, sh)
	}
	return out, rows.Err()
}

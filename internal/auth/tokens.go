package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Scopes an API token may hold. A token sees one shop, and within it only
// what its scopes allow; customers:pii shows phones and e-mails unmasked,
// customers:write edits profiles and tags, orders:write creates and updates
// orders (an ERP or OMS pushing them), segments:read counts rules and reads
// saved segments, their members and size history, segments:write saves them;
// campaigns:read reads campaigns, their previews, results and the channel
// matrix, campaigns:write drafts, launches, pauses, resumes, cancels and
// evaluates them; loyalty:read reads customers' points, tiers and coupons
// and the coupon templates, loyalty:write adjusts and redeems points;
// kb:read reads and searches the knowledge base (drafts included),
// kb:write writes its articles and categories.
// care:read reads care rules, their runs and occurrences, care:write
// creates, edits, deletes and runs them.
// tickets:read reads tickets, their history and SLA alerts, follow-up tasks
// and canned replies, tickets:write opens and works them.
// surveys:read reads surveys, their responses and NPS/CSAT results,
// surveys:write drafts, activates, sends and closes them.
var Scopes = []string{"customers:read", "customers:pii", "customers:write", "orders:read", "orders:write", "scores:read", "reports:read", "segments:read", "segments:write", "campaigns:read", "campaigns:write", "loyalty:read", "loyalty:write",
	"kb:read", "kb:write",
	"care:read", "care:write",
	"tickets:read", "tickets:write",
	"surveys:read", "surveys:write",
}

// tokenPrefix marks Guanxi API tokens, so that a leaked one is recognisable
// (secret scanners key on such prefixes).
const tokenPrefix = "gx_"

// Token is an API token as stored: never the token itself.
type Token struct {
	ShopID     int64      `json:"shop_id"`
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Has reports whether the token holds scope.
func (t *Token) Has(scope string) bool { return slices.Contains(t.Scopes, scope) }

// ParseScopes reads comma- or space-separated scopes and checks each.
func ParseScopes(s string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if !slices.Contains(Scopes, f) {
			return nil, guanxi.Errorf(guanxi.EINVALID, "unknown scope %q (one of %s)", f, strings.Join(Scopes, ", "))
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, guanxi.Errorf(guanxi.EINVALID, "a token needs at least one scope (%s)", strings.Join(Scopes, ", "))
	}
	slices.Sort(out)
	return out, nil
}

// CreateToken makes an API token for the shop and returns it: the only time
// the token itself is seen.
func (s *Service) CreateToken(ctx context.Context, shopID int64, name string, scopes []string, createdBy *int64) (string, *Token, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", nil, guanxi.Errorf(guanxi.EINVALID, "a token needs a name of 1-100 characters")
	}
	for _, sc := range scopes {
		if !slices.Contains(Scopes, sc) {
			return "", nil, guanxi.Errorf(guanxi.EINVALID, "unknown scope %q", sc)
		}
	}
	plain := tokenPrefix + randomToken()
	t := &Token{ShopID: shopID, Name: name, Scopes: slices.Clone(scopes), CreatedAt: s.clock.Now()}
	var by any
	if createdBy != nil {
		by = *createdBy
	}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		id, err := tx.NextIDs(ctx, shopID, "api_tokens", 1)
		if err != nil {
			return err
		}
		t.ID = id
		if _, err = tx.Exec(ctx, `INSERT INTO api_tokens (shop_id, id, name, token_hash, scopes, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			shopID, id, name, tokenHash(plain), strings.Join(scopes, " "), by, t.CreatedAt.Unix()); err != nil {
			return err
		}
		return audit.Write(ctx, tx, shopID, "token.create", "token", id, map[string]any{"name": name, "scopes": scopes}, t.CreatedAt)
	})
	if err != nil {
		return "", nil, fmt.Errorf("auth: create token: %w", err)
	}
	return plain, t, nil
}

const tokenCols = `shop_id, id, name, scopes, created_at, last_used_at, revoked_at`

func scanToken(row interface{ Scan(...any) error }) (*Token, error) {
	var t Token
	var scopes string
	var created int64
	var used, revoked sql.NullInt64
	if err := row.Scan(&t.ShopID, &t.ID, &t.Name, &scopes, &created, &used, &revoked); err != nil {
		return nil, err
	}
	t.Scopes = strings.Fields(scopes)
	t.CreatedAt = time.Unix(created, 0)
	if used.Valid {
		u := time.Unix(used.Int64, 0)
		t.LastUsedAt = &u
	}
	if revoked.Valid {
		r := time.Unix(revoked.Int64, 0)
		t.RevokedAt = &r
	}
	return &t, nil
}

// errBadToken is the one answer for a token that is unknown, malformed or
// revoked: the caller learns nothing about which.
var errBadToken = guanxi.Errorf(guanxi.EUNAUTH, "missing, unknown or revoked API token")

// TokenFor returns the live token whose text is plain, and notes its use
// (at most once a minute, to spare writes).
func (s *Service) TokenFor(ctx context.Context, plain string) (*Token, error) {
	if !strings.HasPrefix(plain, tokenPrefix) {
		return nil, errBadToken
	}
	t, err := scanToken(s.db.QueryRow(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE token_hash = ?`, tokenHash(plain)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errBadToken
	}
	if err != nil {
		return nil, fmt.Errorf("auth: token: %w", err)
	}
	if t.RevokedAt != nil {
		return nil, errBadToken
	}
	now := s.clock.Now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if _, err := s.db.Exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE shop_id = ? AND id = ?`, now.Unix(), t.ShopID, t.ID); err != nil {
			return nil, fmt.Errorf("auth: token use: %w", err)
		}
	}
	return t, nil
}

// Tokens lists the shop's tokens, newest first.
func (s *Service) Tokens(ctx context.Context, shopID int64) ([]Token, error) {
	rows, err := s.db.Query(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE shop_id = ? ORDER BY id DESC`, shopID)
	if err != nil {
		return nil, fmt.Errorf("auth: tokens: %w", err)
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("auth: tokens: %w", err)
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

// RevokeToken ends a token at once; ENOTFOUND when the shop has no such
// live token.
func (s *Service) RevokeToken(ctx context.Context, shopID, id int64) error {
	now := s.clock.Now()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE shop_id = ? AND id = ? AND revoked_at IS NULL`, now.Unix(), shopID, id)
		if err != nil {
			return fmt.Errorf("auth: revoke token %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return guanxi.Errorf(guanxi.ENOTFOUND, "no live token %d in this shop", id)
		}
		return audit.Write(ctx, tx, shopID, "token.revoke", "token", id, nil, now)
	})
}

// Package auth owns who may do what: users with argon2id password hashes,
// their membership and role in each shop, and browser sessions (random
// tokens of which only a SHA-256 is stored, each with its own CSRF token).
// The Service is safe for concurrent use.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Role is what a user may do in a shop (DESIGN.md "Who uses it").
type Role string

// The roles.
const (
	RoleAdmin   Role = "admin"   // CRM manager: everything
	RoleAgent   Role = "agent"   // service agent: consultations, tickets; PII masked unless revealed
	RoleCare    Role = "care"    // care staff: follow-ups, campaigns, loyalty
	RoleAnalyst Role = "analyst" // reports, segments, exports; PII masked
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleAgent, RoleCare, RoleAnalyst}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, v := range Roles {
		if r == v {
			return true
		}
	}
	return false
}

// SeesPII reports whether the role sees phones and e-mails unmasked.
func (r Role) SeesPII() bool { return r == RoleAdmin || r == RoleCare }

// User is a person who signs in.
type User struct {
	ID          int64
	Username    string
	DisplayName string
	Locale      string
	Disabled    bool
	CreatedAt   time.Time
	// TOTP is set when the user signs in with a second factor (totp.go).
	TOTP bool
}

// Membership is a user's role in one shop.
type Membership struct {
	ShopID   int64
	ShopCode string
	ShopName string
	Role     Role
}

// Session is a signed-in browser.
type Session struct {
	User      *User
	CSRFToken string
	ExpiresAt time.Time
}

// Service manages users and sessions.
type Service struct {
	db         *store.DB
	clock      guanxi.Clock
	SessionTTL time.Duration
	Throttle   Throttle
}

// NewService returns a Service with 12-hour sessions and DefaultThrottle.
func NewService(db *store.DB, clock guanxi.Clock) *Service {
	return &Service{db: db, clock: clock, SessionTTL: 12 * time.Hour, Throttle: DefaultThrottle}
}

var usernameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$`)

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 8

// CreateUser adds a user with the password.
func (s *Service) CreateUser(ctx context.Context, username, displayName, password string) (*User, error) {
	if !usernameRe.MatchString(username) {
		return nil, guanxi.Errorf(guanxi.EINVALID, "username %q: use 2-64 letters, digits, . _ @ or -", username)
	}
	if err := checkPassword(password); err != nil {
		return nil, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now().Truncate(time.Second)
	u := &User{Username: username, DisplayName: displayName, Locale: "zh-CN", CreatedAt: now}
	if u.DisplayName == "" {
		u.DisplayName = username
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO users (username, display_name, password_hash, locale, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, u.Username, u.DisplayName, hash, u.Locale, now.Unix(), now.Unix()).Scan(&u.ID)
	})
	if err != nil {
		err = store.MapError(err)
		if guanxi.ErrorCode(err) == guanxi.ECONFLICT {
			return nil, guanxi.Errorf(guanxi.ECONFLICT, "user %q already exists", username)
		}
		return nil, fmt.Errorf("auth: create user %s: %w", username, err)
	}
	return u, nil
}

func checkPassword(p string) error {
	if len([]rune(p)) < MinPasswordLen {
		return guanxi.Errorf(guanxi.EINVALID, "password must be at least %d characters", MinPasswordLen)
	}
	return nil
}

// SetPassword replaces a user's password and signs out their sessions.
func (s *Service) SetPassword(ctx context.Context, username, password string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ? RETURNING id`,
			hash, s.clock.Now().Unix(), username).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return guanxi.Errorf(guanxi.ENOTFOUND, "user %q not found", username)
		}
		if err != nil {
			return fmt.Errorf("auth: set password of %s: %w", username, err)
		}
		_, err = tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, id)
		return err
	})
}

// Grant gives the user a role in the shop, replacing any role they had there.
func (s *Service) Grant(ctx context.Context, userID, shopID int64, role Role) error {
	if !role.Valid() {
		return guanxi.Errorf(guanxi.EINVALID, "role %q: use admin, agent, care or analyst", role)
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO shop_members (shop_id, user_id, role, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT (shop_id, user_id) DO UPDATE SET role = excluded.role`, shopID, userID, string(role), s.clock.Now().Unix())
		if err != nil {
			return fmt.Errorf("auth: grant %s in shop %d to user %d: %w", role, shopID, userID, err)
		}
		return nil
	})
}

const userCols = `id, username, display_name, locale, disabled, created_at, totp_secret <> ''`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	var created int64
	if err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Locale, &u.Disabled, &created, &u.TOTP); err != nil {
		return nil, err
	}
	u.CreatedAt = time.Unix(created, 0)
	return &u, nil
}

// ByUsername returns the user, or ENOTFOUND.
func (s *Service) ByUsername(ctx context.Context, username string) (*User, error) {
	u, err := scanUser(s.db.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE username = ?`, username))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "user %q not found", username)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: user %s: %w", username, err)
	}
	return u, nil
}

// Users lists every user by username.
func (s *Service) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.Query(ctx, `SELECT `+userCols+` FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("auth: list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("auth: list users: %w", err)
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// Memberships lists the shops a user belongs to, by shop code.
func (s *Service) Memberships(ctx context.Context, userID int64) ([]Membership, error) {
	rows, err := s.db.Query(ctx, `SELECT s.id, s.code, s.name, m.role FROM shop_members m JOIN shops s ON s.id = m.shop_id
WHERE m.user_id = ? ORDER BY s.code`, userID)
	if err != nil {
		return nil, fmt.Errorf("auth: memberships of %d: %w", userID, err)
	}
	defer rows.Close()
	var out []Membership
	for rows.Next() {
		var m Membership
		var role string
		if err := rows.Scan(&m.ShopID, &m.ShopCode, &m.ShopName, &role); err != nil {
			return nil, fmt.Errorf("auth: memberships of %d: %w", userID, err)
		}
		m.Role = Role(role)
		out = append(out, m)
	}
	return out, rows.Err()
}

// RoleIn returns the user's role in the shop, or EFORBIDDEN when they have none.
func (s *Service) RoleIn(ctx context.Context, userID, shopID int64) (Role, error) {
	var role string
	err := s.db.QueryRow(ctx, `SELECT role FROM shop_members WHERE user_id = ? AND shop_id = ?`, userID, shopID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", guanxi.Errorf(guanxi.EFORBIDDEN, "no access to this shop")
	}
	if err != nil {
		return "", fmt.Errorf("auth: role of %d in %d: %w", userID, shopID, err)
	}
	return Role(role), nil
}

// errBadLogin is the one answer to every failed sign-in, so it does not tell
// which of username or password was wrong.
var errBadLogin = guanxi.Errorf(guanxi.EUNAUTH, "wrong username or password")

// Authenticate checks a username and password, tried from address ip ("" when
// unknown), and returns the user. A username locked from that address, a
// locked address or a slowed username (see Throttle) is refused with ELIMIT
// (and a *Locked) before any password is checked; a failure is recorded, a
// success clears the username's failures from that address and remembers
// the address as one the user signs in from.
func (s *Service) Authenticate(ctx context.Context, username, password, ip string) (*User, error) {
	if err := s.checkThrottle(ctx, username, ip); err != nil {
		return nil, err
	}
	u, err := s.authenticate(ctx, username, password)
	switch {
	case err == errBadLogin:
		if rerr := s.recordFailure(ctx, username, ip); rerr != nil {
			return nil, rerr
		}
	case err == nil && !u.TOTP:
		// With a second factor, failures are cleared only once it is
		// passed too: else the password alone would reset the count of
		// wrong codes, and codes could be guessed without end.
		if cerr := s.signedIn(ctx, username, ip); cerr != nil {
			return nil, cerr
		}
	}
	return u, err
}

func (s *Service) authenticate(ctx context.Context, username, password string) (*User, error) {
	var hash string
	u, err := scanUserHash(s.db.QueryRow(ctx, `SELECT `+userCols+`, password_hash FROM users WHERE username = ?`, username), &hash)
	if errors.Is(err, sql.ErrNoRows) {
		// Spend the same time as a real check, so timing does not reveal
		// which usernames exist.
		_, _ = VerifyPassword(dummyHash, password)
		return nil, errBadLogin
	}
	if err != nil {
		return nil, fmt.Errorf("auth: sign in %s: %w", username, err)
	}
	ok, err := VerifyPassword(hash, password)
	if err != nil {
		return nil, fmt.Errorf("auth: sign in %s: %w", username, err)
	}
	if !ok || u.Disabled {
		return nil, errBadLogin
	}
	return u, nil
}

func scanUserHash(row *sql.Row, hash *string) (*User, error) {
	var u User
	var created int64
	if err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Locale, &u.Disabled, &created, &u.TOTP, hash); err != nil {
		return nil, err
	}
	u.CreatedAt = time.Unix(created, 0)
	return &u, nil
}

var dummyHash, _ = HashPassword("guanxi-timing-equaliser")

// NewSession signs a user in and returns the cookie token. For a user
// with a second factor, use NewPendingSession and CompleteTOTP instead.
func (s *Service) NewSession(ctx context.Context, userID int64, userAgent, ip string) (token string, err error) {
	return s.newSession(ctx, userID, userAgent, ip, false, s.SessionTTL)
}

func (s *Service) newSession(ctx context.Context, userID int64, userAgent, ip string, pending bool, ttl time.Duration) (token string, err error) {
	token = randomToken()
	now := s.clock.Now()
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at, user_agent, ip, pending_mfa) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			tokenHash(token), userID, randomToken(), now.Unix(), now.Add(ttl).Unix(), truncate(userAgent, 256), ip, pending)
		if err != nil {
			return fmt.Errorf("auth: new session: %w", err)
		}
		// Expired sessions are swept here rather than by a timer.
		_, err = tx.Exec(ctx, `DELETE FROM sessions WHERE expires_at < ?`, now.Unix())
		return err
	})
	return token, err
}

// SessionByToken returns the live session of a cookie token, or EUNAUTH.
// A session still waiting for its second factor is not live.
func (s *Service) SessionByToken(ctx context.Context, token string) (*Session, error) {
	return s.session(ctx, token, false)
}

func (s *Service) session(ctx context.Context, token string, wantPending bool) (*Session, error) {
	if token == "" {
		return nil, guanxi.Errorf(guanxi.EUNAUTH, "not signed in")
	}
	var sess Session
	var exp int64
	var u User
	var created int64
	var pending bool
	err := s.db.QueryRow(ctx, `SELECT s.csrf_token, s.expires_at, s.pending_mfa, u.id, u.username, u.display_name, u.locale, u.disabled, u.created_at, u.totp_secret <> ''
FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`, tokenHash(token)).
		Scan(&sess.CSRFToken, &exp, &pending, &u.ID, &u.Username, &u.DisplayName, &u.Locale, &u.Disabled, &created, &u.TOTP)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, guanxi.Errorf(guanxi.EUNAUTH, "not signed in")
	}
	if err != nil {
		return nil, fmt.Errorf("auth: session: %w", err)
	}
	sess.ExpiresAt = time.Unix(exp, 0)
	if u.Disabled || !s.clock.Now().Before(sess.ExpiresAt) {
		return nil, guanxi.Errorf(guanxi.EUNAUTH, "session expired")
	}
	if pending != wantPending {
		// A session half way through sign-in opens nothing but the
		// second-factor page, and a full one is not a half one.
		return nil, guanxi.Errorf(guanxi.EUNAUTH, "not signed in")
	}
	u.CreatedAt = time.Unix(created, 0)
	sess.User = &u
	return &sess, nil
}

// EndSession signs a session out.
func (s *Service) EndSession(ctx context.Context, token string) error {
	_, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE id = ?`, tokenHash(token))
	if err != nil {
		return fmt.Errorf("auth: end session: %w", err)
	}
	return nil
}

// EndOtherSessions signs out every session of the user but the one of
// keep (a cookie token), as after a change to how they sign in.
func (s *Service) EndOtherSessions(ctx context.Context, userID int64, keep string) error {
	_, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, tokenHash(keep))
	if err != nil {
		return fmt.Errorf("auth: end other sessions of %d: %w", userID, err)
	}
	return nil
}

// SetLocale records the user's language (zh-CN or en).
func (s *Service) SetLocale(ctx context.Context, userID int64, locale string) error {
	if locale != "zh-CN" && locale != "en" {
		return guanxi.Errorf(guanxi.EINVALID, "locale %q: use zh-CN or en", locale)
	}
	_, err := s.db.Exec(ctx, `UPDATE users SET locale = ?, updated_at = ? WHERE id = ?`, locale, s.clock.Now().Unix(), userID)
	return err
}

// CSRFEqual compares a submitted CSRF token with the session's in constant time.
func CSRFEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Argon2id parameters: OWASP's minimum (19 MiB, 2 passes, 1 lane), which
// keeps a sign-in near 30 ms on a small server.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns a PHC-format argon2id hash of the password.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches a HashPassword hash; an
// error means the hash itself is malformed.
func VerifyPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, fmt.Errorf("auth: not an argon2id hash")
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, fmt.Errorf("auth: argon2id parameters: %w", err)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("auth: argon2id salt: %w", err)
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("auth: argon2id key: %w", err)
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

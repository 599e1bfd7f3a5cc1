package auth

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"net/url"
	"strconv"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// The second factor is TOTP (RFC 6238): 6 digits, 30-second steps, SHA-1,
// which every authenticator app reads from a QR code. A code is accepted one
// step either side of now, for clocks a little apart, and only once: the
// last step used is stored and a code of that step or earlier is refused.
const (
	totpPeriod = 30
	totpSkew   = 1
	totpIssuer = "Guanxi"
	// pendingTTL is how long a sign-in may wait between password and code.
	pendingTTL = 5 * time.Minute
)

// Enrolment is a new TOTP secret shown to a user to scan, not yet in force.
type Enrolment struct {
	Secret string // base32, for typing in by hand
	URL    string // otpauth:// URL
	QR     string // data: URL of a PNG QR code of URL
}

// NewEnrolment makes a fresh secret for the user to add to an authenticator.
func (s *Service) NewEnrolment(username string) (*Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: username, Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("auth: new TOTP secret: %w", err)
	}
	return enrolmentOf(key)
}

func enrolmentOf(key *otp.Key) (*Enrolment, error) {
	img, err := key.Image(200, 200)
	if err != nil {
		return nil, fmt.Errorf("auth: TOTP QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("auth: TOTP QR code: %w", err)
	}
	return &Enrolment{Secret: key.Secret(), URL: key.URL(), QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// EnrolmentOf shows an existing, not yet confirmed secret again (after a
// wrong code), or EINVALID when it is not a secret.
func (s *Service) EnrolmentOf(username, secret string) (*Enrolment, error) {
	if _, err := checkSecret(secret); err != nil {
		return nil, err
	}
	q := url.Values{"secret": {secret}, "issuer": {totpIssuer}, "period": {strconv.Itoa(totpPeriod)}, "digits": {"6"}, "algorithm": {"SHA1"}}
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + totpIssuer + ":" + username, RawQuery: q.Encode()}
	key, err := otp.NewKeyFromURL(u.String())
	if err != nil {
		return nil, guanxi.Errorf(guanxi.EINVALID, "not a TOTP secret")
	}
	return enrolmentOf(key)
}

// checkSecret accepts a base32 secret of the length NewEnrolment makes.
func checkSecret(secret string) (string, error) {
	if len(secret) < 16 || len(secret) > 64 {
		return "", guanxi.Errorf(guanxi.EINVALID, "not a TOTP secret")
	}
	for _, r := range secret {
		if !(r >= 'A' && r <= 'Z' || r >= '2' && r <= '7') {
			return "", guanxi.Errorf(guanxi.EINVALID, "not a TOTP secret")
		}
	}
	return secret, nil
}

// matchStep returns the time step within the skew at which code is valid
// for secret, or 0 when it is valid at none.
func matchStep(secret, code string, now time.Time) int64 {
	if len(code) != 6 {
		return 0
	}
	step := now.Unix() / totpPeriod
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		at := time.Unix((step+d)*totpPeriod, 0)
		want, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && CSRFEqual(want, code) {
			return step + d
		}
	}
	return 0
}

var errBadCode = guanxi.Errorf(guanxi.EUNAUTH, "wrong or used code")

// EnableTOTP puts secret in force for the user once code proves their
// authenticator has it; a wrong code gives EUNAUTH and changes nothing.
func (s *Service) EnableTOTP(ctx context.Context, userID int64, secret, code string) error {
	if _, err := checkSecret(secret); err != nil {
		return err
	}
	step := matchStep(secret, code, s.clock.Now())
	if step == 0 {
		return errBadCode
	}
	if _, err := s.db.Exec(ctx, `UPDATE users SET totp_secret = ?, totp_last_step = ?, updated_at = ? WHERE id = ?`, secret, step, s.clock.Now().Unix(), userID); err != nil {
		return fmt.Errorf("auth: enable TOTP for %d: %w", userID, err)
	}
	return nil
}

// DisableTOTP removes the user's second factor, after checking their
// password and a current code. ResetTOTP does it without them, for an
// administrator helping a user who lost their phone.
func (s *Service) DisableTOTP(ctx context.Context, userID int64, password, code string) error {
	var username, hash string
	err := s.db.QueryRow(ctx, `SELECT username, password_hash FROM users WHERE id = ?`, userID).Scan(&username, &hash)
	if err != nil {
		return fmt.Errorf("auth: disable TOTP for %d: %w", userID, err)
	}
	// The password and code are checked as at sign-in, against the same
	// count of failures: else whoever holds a session (a stolen cookie)
	// could guess the password or codes here without limit.
	if err := s.checkThrottle(ctx, username, ""); err != nil {
		return err
	}
	if ok, err := VerifyPassword(hash, password); err != nil || !ok {
		if rerr := s.recordFailure(ctx, username, ""); rerr != nil {
			return rerr
		}
		return errBadLogin
	}
	if err := s.useCode(ctx, userID, code); err != nil {
		if err == errBadCode {
			if rerr := s.recordFailure(ctx, username, ""); rerr != nil {
				return rerr
			}
		}
		return err
	}
	if err := s.signedIn(ctx, username, ""); err != nil {
		return err
	}
	return s.ResetTOTP(ctx, username)
}

// ResetTOTP removes a user's second factor and signs out their sessions.
func (s *Service) ResetTOTP(ctx context.Context, username string) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `UPDATE users SET totp_secret = '', totp_last_step = 0, updated_at = ? WHERE username = ? RETURNING id`, s.clock.Now().Unix(), username).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return guanxi.Errorf(guanxi.ENOTFOUND, "user %q not found", username)
		}
		if err != nil {
			return fmt.Errorf("auth: reset TOTP of %s: %w", username, err)
		}
		_, err = tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, id)
		return err
	})
}

// useCode accepts a code for the user once: the step it matches must be
// later than the last one used, and is recorded in the same statement, so
// two requests racing with one code cannot both pass.
func (s *Service) useCode(ctx context.Context, userID int64, code string) error {
	var secret string
	if err := s.db.QueryRow(ctx, `SELECT totp_secret FROM users WHERE id = ?`, userID).Scan(&secret); err != nil {
		return fmt.Errorf("auth: TOTP of %d: %w", userID, err)
	}
	if secret == "" {
		return guanxi.Errorf(guanxi.EINVALID, "no second factor is set up")
	}
	step := matchStep(secret, code, s.clock.Now())
	if step == 0 {
		return errBadCode
	}
	res, err := s.db.Exec(ctx, `UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`, step, userID, step)
	if err != nil {
		return fmt.Errorf("auth: TOTP of %d: %w", userID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errBadCode
	}
	return nil
}

// NewPendingSession starts the sign-in of a user with a second factor,
// after their password: the token opens only CompleteTOTP, for 5 minutes.
func (s *Service) NewPendingSession(ctx context.Context, userID int64, userAgent, ip string) (string, error) {
	return s.newSession(ctx, userID, userAgent, ip, true, pendingTTL)
}

// PendingSession returns the half-made session of a pending token, or EUNAUTH.
func (s *Service) PendingSession(ctx context.Context, token string) (*Session, error) {
	return s.session(ctx, token, true)
}

// CompleteTOTP finishes a pending sign-in with a code from ip. It returns a
// new session token (the pending one is ended, so a token seen before the
// second factor is worth nothing after it). Wrong codes count as failed
// sign-ins of the username and lock it like wrong passwords do.
func (s *Service) CompleteTOTP(ctx context.Context, pendingToken, code, userAgent, ip string) (string, error) {
	sess, err := s.PendingSession(ctx, pendingToken)
	if err != nil {
		return "", err
	}
	username := sess.User.Username
	if err := s.checkThrottle(ctx, username, ip); err != nil {
		return "", err
	}
	if err := s.useCode(ctx, sess.User.ID, code); err != nil {
		if err == errBadCode {
			if rerr := s.recordFailure(ctx, username, ip); rerr != nil {
				return "", rerr
			}
		}
		return "", err
	}
	if err := s.signedIn(ctx, username, ip); err != nil {
		return "", err
	}
	if err := s.EndSession(ctx, pendingToken); err != nil {
		return "", err
	}
	return s.NewSession(ctx, sess.User.ID, userAgent, ip)
}

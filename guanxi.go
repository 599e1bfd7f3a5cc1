// Package guanxi is the shared vocabulary of the Guanxi CRM: the error type
// with codes that every layer returns and only the edges translate, money in
// minor units, and the normalisation of contact data (phones, emails) that
// identity resolution relies on. It imports nothing but the standard library
// and is safe for concurrent use.
package guanxi

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Error codes. Domain code returns these; HTTP and CLI edges map them.
const (
	ENOTFOUND  = "not_found"
	EINVALID   = "invalid"
	ECONFLICT  = "conflict"
	EFORBIDDEN = "forbidden"
	EUNAUTH    = "unauthorized"
	ELIMIT     = "rate_limited" // too many attempts: wait and try again
	EINTERNAL  = "internal"
)

// Error is an application error with a machine-readable code and a message
// meant for a person.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the person-facing message of err: the *Error's own
// message, or a generic one for internal errors, whose detail belongs in logs.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// Clock tells the time; tests substitute a fixed or controllable one.
type Clock interface{ Now() time.Time }

// SystemClock is the real wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// FixedClock always returns the same instant.
type FixedClock time.Time

// Now returns the fixed instant.
func (c FixedClock) Now() time.Time { return time.Time(c) }

// ManualClock is a clock that is moved by hand: tests step it through SLA
// deadlines, care rule triggers and link expiries. It is safe for
// concurrent use, since jobs read it while a test moves it.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualClock returns a ManualClock showing t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{t: t} }

// Now returns the instant the clock was last set to.
func (c *ManualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// Advance moves the clock on by d.
func (c *ManualClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// String is the time shown, for test failure messages.
func (c *ManualClock) String() string { return c.Now().String() }

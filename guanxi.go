// Package guanxi is the shared vocabulary of the Guanxi CRM: the error type
// with codes that every layer returns and only the edges translate, money in
// minor units, and the normalisation of contact data (phones, emails) that
// identity resolution relies on. It imports nothing but the standard library
// and is safe for concurrent use.
package guanxi

import (
	"errors"
	"fmt"
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

// Package chatcenter holds the domain types shared by every layer of Chat Center: identifiers,
// enumerations, message content and the application error. It imports nothing of ours, so every
// other package may depend on it.
package chatcenter

import (
	"errors"
	"fmt"
)

// Application error codes. The HTTP layer owns the one table that maps them to status codes; the
// Temporal layer maps them to retryable or non-retryable failures.
const (
	ECONFLICT     = "conflict"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	EUNAVAILABLE  = "unavailable"
	ERATELIMITED  = "rate_limited"
	ETOOLARGE     = "too_large"
)

// Error is an error a user may see: Code is machine readable, Message is for people.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf builds an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is returned by lookups that match no row in the caller's workspace.
var ErrNotFound = &Error{Code: ENOTFOUND, Message: "not found"}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other error and
// "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the user-facing message of err; anything that is not an *Error reads
// "Internal error" so that internals never leak to clients.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error"
}

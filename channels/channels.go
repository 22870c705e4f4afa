// Package channels holds the provider-neutral shapes every channel adapter speaks: what an inbound
// webhook turns into, what an outbound send takes and returns, and the send failures the engine
// must tell apart. Adapters live in sub-packages, one per provider, and do pure HTTP: no database,
// no workflow code.
package channels

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/chatcenterhq/chatcenter"
)

// InboundKind says what an inbound event means.
type InboundKind string

const (
	// InboundMessage is a new message from a contact.
	InboundMessage InboundKind = "message"
	// InboundEdit replaces the content of a message received earlier (same ExternalID).
	InboundEdit InboundKind = "edit"
	// InboundStatus reports the delivery status of a message we sent (ExternalID is ours).
	InboundStatus InboundKind = "status"
)

// Sender is the contact as the provider describes it.
type Sender struct {
	// ExternalID identifies the contact on this channel (Telegram chat id, phone number, ...).
	ExternalID string
	FirstName  string
	LastName   string
	Username   string
	Phone      string // E.164 when the provider gives one
	Language   string // IETF tag when the provider gives one
}

// InboundEvent is one neutral event parsed from a webhook body.
type InboundEvent struct {
	Kind InboundKind
	// ExternalID is the provider's message id, unique per channel.
	ExternalID string
	Sender     Sender
	Content    chatcenter.Content
	SentAt     time.Time
	// Status and Error are set for InboundStatus events.
	Status chatcenter.MessageStatus
	Error  string
	// CallbackID is set for Telegram callback queries, which must be answered.
	CallbackID string
}

// OutboundMessage is what a send activity hands an adapter.
type OutboundMessage struct {
	// Recipient is the contact's external id on the channel.
	Recipient string
	Content   chatcenter.Content
	// IdempotencyKey is stable across retries of the same send.
	IdempotencyKey string
	// File is set when the attachment is a file from the workspace's library. Providers that
	// accept uploads send its bytes; the others hand out Content.Attachment.URL, a signed link
	// they fetch it from.
	File *OutboundFile
}

// OutboundFile is an uploaded file an adapter may send as bytes.
type OutboundFile struct {
	Name     string
	MimeType string
	Size     int64
	// Open returns the file's contents; each send attempt opens it again. A file that no longer
	// exists is a *PermanentError.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// SendResult is what the provider returned for an accepted message.
type SendResult struct {
	ExternalID string
}

// PermanentError is a send failure that must not be retried (blocked by the user, bad recipient,
// invalid content). Reason is what the agent sees on the failed message.
type PermanentError struct {
	Reason string
	Code   int
}

func (e *PermanentError) Error() string {
	return fmt.Sprintf("permanent send failure (%d): %s", e.Code, e.Reason)
}

// RateLimitError asks the caller to retry after RetryAfter.
type RateLimitError struct {
	RetryAfter time.Duration
	Reason     string
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("rate limited, retry after %s: %s", e.RetryAfter, e.Reason)
}

// ErrUnauthorized is returned by webhook verification when the request is not from the provider.
var ErrUnauthorized = errors.New("webhook authentication failed")

// ErrMalformed wraps a webhook body that cannot be parsed.
var ErrMalformed = errors.New("malformed webhook body")

// DefaultRetryAfter is the wait used when a provider rate-limits without saying for how long.
const DefaultRetryAfter = time.Second

// RetryAfter reads a Retry-After header given as seconds or as an HTTP date; without a usable
// value it returns DefaultRetryAfter.
func RetryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return DefaultRetryAfter
}

// Redact replaces every occurrence of a secret in text a provider wrote (error descriptions,
// URLs in transport errors), so tokens never reach logs or users.
func Redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "<redacted>")
}

// Package activities holds every side effect a workflow needs: Postgres writes and channel sends.
// Workflows name activities through a nil *Activities, so names are checked by the compiler.
package activities

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/secret"
	"github.com/chatcenterhq/chatcenter/storage"
)

// Activities holds the dependencies of every activity.
type Activities struct {
	DB   *db.DB
	Box  *secret.Box
	HTTP *http.Client
	Log  *slog.Logger
	// BaseURL is where providers reach the API (PUBLIC_URL, else the local address): attachments
	// that name an uploaded file are sent as {BaseURL}/files/public/{signed token}.
	BaseURL string
	// FileLinkKey signs those links (storage.DeriveLinkKey); the API verifies them with the same key.
	FileLinkKey []byte
	// Files is the API's file store when this process can read it (chatcenter dev). Adapters that
	// upload files read them here; without it they download them through the signed link.
	Files storage.Store
	// Engine drives conversation workflows and flow enrollments for flow steps.
	Engine Engine
	// FlowHTTPClient makes the requests of flows' HTTP Request steps (flowhttp.NewClient, which
	// refuses internal addresses unless allowed); nil uses the default guarded client.
	FlowHTTPClient *http.Client
}

// New builds Activities with sensible defaults for the optional fields.
func New(d *db.DB, box *secret.Box, log *slog.Logger) *Activities {
	if log == nil {
		log = slog.Default()
	}
	return &Activities{DB: d, Box: box, HTTP: &http.Client{Timeout: 30 * time.Second}, Log: log}
}

// Application error types that workflows and callers tell apart.
const (
	ErrTypeRateLimited = "RateLimited"
)

// domainError turns a domain error into a non-retryable application error whose type is the
// domain code, so that retrying cannot help and callers can map it back (see
// workflows.DomainError). Other errors pass through and are retried.
func domainError(err error) error {
	if err == nil {
		return nil
	}
	var e *chatcenter.Error
	if errors.As(err, &e) && e.Code != chatcenter.EINTERNAL && e.Code != chatcenter.EUNAVAILABLE {
		return temporal.NewNonRetryableApplicationError(e.Message, e.Code, nil)
	}
	return err
}

// HeartbeatInterval is how often a running activity that can take a while (a send, a flow's HTTP
// step, a call into another workflow) tells the engine its worker is alive. A HeartbeatTimeout of a
// few intervals then lets the engine retry an attempt lost with its worker — a crash, an OOM kill,
// a deploy — within seconds, not after the whole StartToCloseTimeout that a large upload needs.
const HeartbeatInterval = 2 * time.Second

// attempt runs an activity attempt that heartbeats: it returns ctx without its cancellation (but
// with its deadline) and heartbeats every HeartbeatInterval until done is called. Heartbeats are
// only how the engine learns that a worker died; they are also how a workflow's cancellation
// reaches a running attempt, and these attempts must not be cut off by it: a send stopped mid-call
// may have reached the provider while the message stays pending (and the next run sends it
// again), an assignment committed in Postgres must still reach the conversation workflow. Such an
// attempt ends by finishing, by its deadline, or with its process.
func attempt(ctx context.Context) (_ context.Context, done func()) {
	var cancel context.CancelFunc
	if d, ok := ctx.Deadline(); ok {
		ctx, cancel = context.WithDeadline(context.WithoutCancel(ctx), d)
	} else {
		ctx, cancel = context.WithCancel(context.WithoutCancel(ctx))
	}
	if !activity.IsActivity(ctx) {
		return ctx, cancel
	}
	activity.RecordHeartbeat(ctx)
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(HeartbeatInterval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return ctx, func() { close(stop); cancel() }
}

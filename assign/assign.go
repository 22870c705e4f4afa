// Package assign is Chat Center's automatic assignment engine. State lives in Postgres, not in a
// singleton workflow: each decision is one short transaction that locks its scope's cursor row
// (a team, or the whole workspace), picks a user by round robin or least open conversations among
// those online (when asked) and below capacity, and records the assignment with an outbox event.
// Conversations that find nobody wait in assignment_queue and are handed out, oldest first, by
// Reoffer whenever capacity frees.
//
// Open load is always counted from conversations (status 'open'), never kept in a counter, so a
// crashed caller cannot leak capacity.
package assign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

// Strategy chooses among the users that qualify.
type Strategy string

const (
	// RoundRobin takes the first qualifying user (by id) after the scope's cursor, wrapping around.
	RoundRobin Strategy = "round_robin"
	// LeastOpen takes the qualifying user with the fewest open conversations; ties go to the one
	// longest since an automatic assignment, then the lowest id.
	LeastOpen Strategy = "least_open"
)

// EventAssigned is the outbox event type written for every automatic assignment.
const EventAssigned = "conversation.assigned"

// Request asks for an assignee for one open conversation.
type Request struct {
	WorkspaceID    int64
	ConversationID int64
	// TeamID limits the pick to the team's members; 0 means every active user of the workspace
	// (owners, managers and agents alike, as respond.io's "Assign To: workspace" does).
	TeamID   int64
	Strategy Strategy
	// OnlineOnly excludes users whose availability is away or offline.
	OnlineOnly bool
	// MaxOpen caps every user's open conversations for this decision; 0 uses each user's own
	// max_open_conversations, else the workspace default, else unlimited.
	MaxOpen int
	// Timeout is how long a queued conversation may wait; 0 waits until assigned or cancelled.
	Timeout time.Duration
	// Waiter is the workflow to tell when a queued conversation is assigned (a flow run in an
	// Assign To step); Reoffer returns it with the assignment.
	Waiter string
	// UserID limits the pick to one user of the scope (Assign To a specific user with "only
	// online" or a capacity): the conversation waits for that user. It does not move the
	// round-robin cursor.
	UserID int64
}

// Assignment is one conversation handed to a user by Reoffer.
type Assignment struct {
	WorkspaceID    int64
	ConversationID int64
	ContactID      int64
	TeamID         int64
	UserID         int64
	EnqueuedAt     time.Time
	// Waiter is the requester's workflow, when it asked to be told.
	Waiter string
}

// Expired is a queued conversation whose timeout passed before anyone had capacity; the caller
// runs the timeout branch of whatever asked for the assignment.
type Expired struct {
	WorkspaceID    int64
	ConversationID int64
	ContactID      int64
	TeamID         int64
	EnqueuedAt     time.Time
	ExpiresAt      time.Time
}

func (r Request) validate() error {
	if r.WorkspaceID <= 0 || r.ConversationID <= 0 {
		return chatcenter.Errorf(chatcenter.EINVALID, "workspace and conversation are required")
	}
	if r.TeamID < 0 || r.UserID < 0 {
		return chatcenter.Errorf(chatcenter.EINVALID, "team and user ids must not be negative")
	}
	if r.Strategy != RoundRobin && r.Strategy != LeastOpen {
		return chatcenter.Errorf(chatcenter.EINVALID, "strategy must be round_robin or least_open")
	}
	if r.MaxOpen < 0 || r.MaxOpen > 1<<20 {
		return chatcenter.Errorf(chatcenter.EINVALID, "max open must be between 0 and 1048576")
	}
	if r.Timeout < 0 {
		return chatcenter.Errorf(chatcenter.EINVALID, "timeout must not be negative")
	}
	return nil
}

// Pick assigns the conversation to a qualifying user of the request's scope, or, when nobody
// qualifies, puts it in the waiting queue (once: a second Pick of a waiting conversation keeps its
// place) and returns queued=true. A conversation already assigned to a member of the scope keeps
// that assignee and no event is written, so a retried call is harmless. A closed conversation is a
// conflict; another workspace's conversation is not found.
func Pick(ctx context.Context, d *db.DB, r Request) (userID int64, queued bool, err error) {
	if err := r.validate(); err != nil {
		return 0, false, err
	}
	err = withRetry(ctx, d, func(q *dbsqlc.Queries) error {
		userID, queued = 0, false
		// Lock order everywhere: scope cursor → conversation → users → queue row.
		cursor, err := q.AssignCursorLock(ctx, dbsqlc.AssignCursorLockParams{WorkspaceID: r.WorkspaceID, TeamID: r.TeamID})
		if err != nil {
			return fmt.Errorf("lock assignment scope: %w", err)
		}
		conv, err := q.AssignConversationLock(ctx, dbsqlc.AssignConversationLockParams{WorkspaceID: r.WorkspaceID, ID: r.ConversationID})
		if db.IsNoRows(err) {
			return chatcenter.Errorf(chatcenter.ENOTFOUND, "conversation not found")
		}
		if err != nil {
			return fmt.Errorf("lock conversation: %w", err)
		}
		if conv.Status != "open" {
			return chatcenter.Errorf(chatcenter.ECONFLICT, "conversation is closed")
		}
		if conv.AssigneeID != nil {
			member, err := q.AssignIsScopeMember(ctx, dbsqlc.AssignIsScopeMemberParams{
				WorkspaceID: r.WorkspaceID, UserID: *conv.AssigneeID, TeamID: r.TeamID})
			if err != nil {
				return fmt.Errorf("check assignee: %w", err)
			}
			if member && (r.UserID == 0 || r.UserID == *conv.AssigneeID) {
				userID = *conv.AssigneeID
				if _, err := q.AssignQueueDeleteWaiting(ctx, dbsqlc.AssignQueueDeleteWaitingParams{
					WorkspaceID: r.WorkspaceID, ConversationID: r.ConversationID}); err != nil {
					return fmt.Errorf("drop waiting entry: %w", err)
				}
				return nil
			}
		}
		uid, err := decide(ctx, q, r.WorkspaceID, r.TeamID, r.UserID, r.Strategy, r.OnlineOnly, r.MaxOpen, cursor)
		if err != nil {
			return err
		}
		if uid == 0 {
			var expires *time.Time
			if r.Timeout > 0 {
				t := time.Now().Add(r.Timeout)
				expires = &t
			}
			if err := q.AssignQueueInsert(ctx, dbsqlc.AssignQueueInsertParams{
				WorkspaceID: r.WorkspaceID, ConversationID: r.ConversationID, ContactID: conv.ContactID,
				TeamID: r.TeamID, Strategy: string(r.Strategy), OnlineOnly: r.OnlineOnly,
				MaxOpen: int32(r.MaxOpen), ExpiresAt: expires, WaiterWorkflowID: waiter(r.Waiter), UserID: nonZero(r.UserID),
			}); err != nil {
				return fmt.Errorf("enqueue conversation: %w", err)
			}
			queued = true
			return nil
		}
		if err := record(ctx, q, r.WorkspaceID, r.TeamID, r.ConversationID, conv.ContactID, uid, r.Strategy, "pick", r.UserID == 0); err != nil {
			return err
		}
		if _, err := q.AssignQueueDeleteWaiting(ctx, dbsqlc.AssignQueueDeleteWaitingParams{
			WorkspaceID: r.WorkspaceID, ConversationID: r.ConversationID}); err != nil {
			return fmt.Errorf("drop waiting entry: %w", err)
		}
		userID = uid
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	return userID, queued, nil
}

// decide returns the user to assign (0 when nobody qualifies), holding the candidates' row locks.
// The caller holds the scope's cursor lock.
func decide(ctx context.Context, q *dbsqlc.Queries, workspaceID, teamID, userID int64, strategy Strategy, onlineOnly bool, maxOpen int, cursor int64) (int64, error) {
	cands, err := q.AssignCandidates(ctx, dbsqlc.AssignCandidatesParams{
		WorkspaceID: workspaceID, TeamID: teamID, UserID: userID, Strategy: string(strategy), OnlineOnly: onlineOnly,
		MaxOpen: int32(maxOpen), Cursor: cursor,
	})
	if err != nil {
		return 0, fmt.Errorf("list assignment candidates: %w", err)
	}
	if len(cands) == 0 {
		return 0, nil
	}
	ids := make([]int64, len(cands))
	for i, c := range cands {
		ids[i] = c.ID
	}
	// Lock and recount: another scope's decision may have filled a candidate since the list was
	// read.
	if _, err := q.AssignUsersLock(ctx, dbsqlc.AssignUsersLockParams{WorkspaceID: workspaceID, Ids: ids}); err != nil {
		return 0, fmt.Errorf("lock candidates: %w", err)
	}
	counts, err := q.AssignUsersOpenCount(ctx, dbsqlc.AssignUsersOpenCountParams{WorkspaceID: workspaceID, Ids: ids, OnlineOnly: onlineOnly})
	if err != nil {
		return 0, fmt.Errorf("count candidates' open conversations: %w", err)
	}
	open := make(map[int64]int64, len(counts))
	for _, c := range counts {
		open[c.ID] = c.OpenCount
	}
	for _, c := range cands {
		n, ok := open[c.ID]
		if ok && (c.Cap == 0 || n < int64(c.Cap)) {
			return c.ID, nil
		}
	}
	return 0, nil
}

// record writes the assignment: conversation, contact, the user's last automatic assignment, the
// scope's cursor and the outbox event.
func record(ctx context.Context, q *dbsqlc.Queries, workspaceID, teamID, conversationID, contactID, userID int64, strategy Strategy, source string, advance bool) error {
	if err := q.AssignConversationSet(ctx, dbsqlc.AssignConversationSetParams{UserID: userID, TeamID: teamID, WorkspaceID: workspaceID, ID: conversationID}); err != nil {
		return fmt.Errorf("assign conversation: %w", err)
	}
	if err := q.AssignContactSet(ctx, dbsqlc.AssignContactSetParams{UserID: userID, WorkspaceID: workspaceID, ID: contactID}); err != nil {
		return fmt.Errorf("assign contact: %w", err)
	}
	if err := q.AssignUserTouch(ctx, userID); err != nil {
		return fmt.Errorf("touch assignee: %w", err)
	}
	if advance {
		if err := q.AssignCursorAdvance(ctx, dbsqlc.AssignCursorAdvanceParams{UserID: userID, WorkspaceID: workspaceID, TeamID: teamID}); err != nil {
			return fmt.Errorf("advance cursor: %w", err)
		}
	}
	payload := map[string]any{"assignee_id": userID, "strategy": string(strategy), "source": source}
	if teamID != 0 {
		payload["team_id"] = teamID
	}
	return db.InsertEvent(ctx, q, db.Event{
		WorkspaceID: workspaceID, Type: EventAssigned, ContactID: contactID, ConversationID: conversationID,
		Payload: payload,
	})
}

// Reoffer hands waiting conversations of the workspace, oldest first within each scope, to users
// who now have capacity; call it whenever capacity may have freed (a conversation closed or was
// unassigned, an agent came online or was deactivated, a limit was raised) or a timeout may have
// passed. Waiting rows past their expiry become expired and are returned separately, each exactly
// once. Concurrent callers are safe: each decision is its own transaction under the scope's lock,
// and a row is marked assigned only while still waiting.
func Reoffer(ctx context.Context, d *db.DB, workspaceID int64) (assigned []Assignment, expired []Expired, err error) {
	if workspaceID <= 0 {
		return nil, nil, chatcenter.Errorf(chatcenter.EINVALID, "workspace is required")
	}
	var rows []dbsqlc.AssignmentQueue
	if err := d.WithTx(ctx, func(q *dbsqlc.Queries) error {
		var err error
		rows, err = q.AssignQueueExpire(ctx, workspaceID)
		return err
	}); err != nil {
		return nil, nil, fmt.Errorf("expire waiting conversations: %w", err)
	}
	for _, r := range rows {
		e := Expired{WorkspaceID: r.WorkspaceID, ConversationID: r.ConversationID, ContactID: r.ContactID,
			TeamID: r.TeamID, EnqueuedAt: r.EnqueuedAt}
		if r.ExpiresAt != nil {
			e.ExpiresAt = *r.ExpiresAt
		}
		expired = append(expired, e)
	}

	scopes, err := d.AssignQueueScopes(ctx, workspaceID)
	if err != nil {
		return nil, expired, fmt.Errorf("list waiting scopes: %w", err)
	}
	for _, s := range scopes {
		got, err := reofferScope(ctx, d, workspaceID, s.TeamID)
		assigned = append(assigned, got...)
		if err != nil {
			return assigned, expired, err
		}
	}
	return assigned, expired, nil
}

// reofferScope assigns the scope's waiting rows one decision (one transaction) at a time until a
// pass assigns nothing. Rows whose options found nobody are skipped for the rest of the pass, so
// a request that only online agents may take does not block an older-agnostic one behind it.
func reofferScope(ctx context.Context, d *db.DB, workspaceID, teamID int64) ([]Assignment, error) {
	type options struct {
		strategy   string
		onlineOnly bool
		maxOpen    int32
		userID     int64
	}
	var out []Assignment
	for {
		var got *Assignment
		err := withRetry(ctx, d, func(q *dbsqlc.Queries) error {
			got = nil
			cursor, err := q.AssignCursorLock(ctx, dbsqlc.AssignCursorLockParams{WorkspaceID: workspaceID, TeamID: teamID})
			if err != nil {
				return fmt.Errorf("lock assignment scope: %w", err)
			}
			waiting, err := q.AssignQueueWaiting(ctx, dbsqlc.AssignQueueWaitingParams{WorkspaceID: workspaceID, TeamID: teamID})
			if err != nil {
				return fmt.Errorf("list waiting conversations: %w", err)
			}
			full := map[options]bool{}
			for _, w := range waiting {
				opt := options{w.Strategy, w.OnlineOnly, w.MaxOpen, derefID(w.UserID)}
				if full[opt] {
					continue
				}
				conv, err := q.AssignConversationLock(ctx, dbsqlc.AssignConversationLockParams{WorkspaceID: workspaceID, ID: w.ConversationID})
				if err != nil && !db.IsNoRows(err) {
					return fmt.Errorf("lock conversation: %w", err)
				}
				if db.IsNoRows(err) || conv.Status != "open" || conv.AssigneeID != nil {
					// Closed or assigned by other means without a Cancel: it no longer waits.
					if err := q.AssignQueueDrop(ctx, w.ID); err != nil {
						return fmt.Errorf("drop waiting entry: %w", err)
					}
					continue
				}
				uid, err := decide(ctx, q, workspaceID, teamID, opt.userID, Strategy(w.Strategy), w.OnlineOnly, int(w.MaxOpen), cursor)
				if err != nil {
					return err
				}
				if uid == 0 {
					full[opt] = true
					continue
				}
				n, err := q.AssignQueueMarkAssigned(ctx, dbsqlc.AssignQueueMarkAssignedParams{UserID: uid, ID: w.ID})
				if err != nil {
					return fmt.Errorf("mark waiting entry assigned: %w", err)
				}
				if n == 0 {
					// Cancelled or expired since the list was read; the next attempt re-reads.
					return errRetry
				}
				if err := record(ctx, q, workspaceID, teamID, w.ConversationID, w.ContactID, uid, Strategy(w.Strategy), "queue", opt.userID == 0); err != nil {
					return err
				}
				got = &Assignment{WorkspaceID: workspaceID, ConversationID: w.ConversationID, ContactID: w.ContactID,
					TeamID: teamID, UserID: uid, EnqueuedAt: w.EnqueuedAt}
				if w.WaiterWorkflowID != nil {
					got.Waiter = *w.WaiterWorkflowID
				}
				return nil
			}
			return nil
		})
		if err != nil {
			return out, err
		}
		if got == nil {
			return out, nil
		}
		out = append(out, *got)
	}
}

// Cancel removes the conversation's waiting entry (it was closed, or assigned by hand) and
// reports whether there was one.
func Cancel(ctx context.Context, d *db.DB, workspaceID, conversationID int64) (bool, error) {
	n, err := d.AssignQueueDeleteWaiting(ctx, dbsqlc.AssignQueueDeleteWaitingParams{WorkspaceID: workspaceID, ConversationID: conversationID})
	if err != nil {
		return false, fmt.Errorf("cancel waiting entry: %w", err)
	}
	return n > 0, nil
}

// errRetry asks withRetry to roll back and run the transaction again.
var errRetry = errors.New("assign: retry")

// withRetry runs fn in a transaction, again after a deadlock or serialization failure (possible
// when two scopes race for one user or one conversation) or when fn asks for it.
func withRetry(ctx context.Context, d *db.DB, fn func(q *dbsqlc.Queries) error) error {
	for attempt := 0; ; attempt++ {
		err := d.WithTx(ctx, fn)
		if err == nil {
			return nil
		}
		var pgErr *pgconn.PgError
		retryable := errors.Is(err, errRetry) ||
			(errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001"))
		if !retryable || attempt >= 10 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 5 * time.Millisecond):
		}
	}
}

func waiter(id string) *string {
	if id == "" {
		return nil
	}
	return &id
}

// State reports what became of the conversation's newest queue entry: "waiting", "assigned"
// (with the user) or "expired"; "" when it never waited.
func State(ctx context.Context, d *db.DB, workspaceID, conversationID int64) (state string, userID int64, err error) {
	row, err := d.Queries.AssignQueueStateOf(ctx, dbsqlc.AssignQueueStateOfParams{WorkspaceID: workspaceID, ConversationID: conversationID})
	if db.IsNoRows(err) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, err
	}
	if row.AssignedUserID != nil {
		userID = *row.AssignedUserID
	}
	return row.State, userID, nil
}

func nonZero(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

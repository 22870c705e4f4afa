package api

// The realtime event stream: GET /api/v1/events.
//
// It is Server-Sent Events rather than a WebSocket because the inbox only needs server → client
// pushes (every action goes through the REST API): SSE is a plain long HTTP response, so it
// passes the proxies, load balancers and HTTP/2 front ends that a WebSocket upgrade does not;
// it is resumable by design (every event carries an id and a reconnecting client presents the
// last one as Last-Event-ID); and browsers have EventSource built in, which reconnects by itself.
//
// EventSource cannot set headers, so this route also accepts ?access_token=<token> (and
// ?last_event_id= beside the Last-Event-ID header). The token goes through exactly the same
// session check as a bearer header. Prefer the header where the client can set it: a URL may be
// written to proxy logs (ours logs only the route pattern, never the query).
//
// Wire format: every data event is
//
//	id: <event id>
//	data: {"id","type","created_at","contact_id","conversation_id","actor_user_id","payload"}
//
// without an event: line (EventSource's onmessage receives all of them; the type is in the JSON).
// Control events have a name: `event: reset` (data {"reason"}) tells the client it missed more
// than can be replayed and must reload its state; the stream continues live after it. A comment
// line is sent every 15 s as a heartbeat.
//
// The id: line is the stream position a reconnect resumes from: the event's id, except for an
// event whose transaction committed late (after higher ids were streamed, see package realtime),
// which keeps the position already reached so that resuming never repeats events.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/realtime"
	"github.com/chatcenterhq/chatcenter/secret"
)

var (
	// eventsHeartbeat is how often an idle stream gets a comment line, so that proxies keep it
	// open and clients notice a dead connection.
	eventsHeartbeat = 15 * time.Second
	// eventsSessionCheck is how often a stream re-reads its session: a logout, an expired token
	// or a deactivated user ends the stream, and role or restriction changes take effect.
	eventsSessionCheck = time.Minute
	// eventsVisibilityTTL is how long a restricted user's "may I see this contact" answer is
	// reused; events that change who may see a contact always ask again.
	eventsVisibilityTTL = 5 * time.Second
)

const (
	// eventsReplayMax bounds the events replayed on reconnect; a client that missed more
	// reloads instead (event: reset).
	eventsReplayMax = 1000
	// eventsRetryMillis is the reconnection delay EventSource is told to use.
	eventsRetryMillis = 3000
)

// streamedTypes are the event types agents' clients receive. Other types are streamed too when
// they concern a contact (the contact's visibility rules apply).
var streamedTypes = map[string]bool{
	"message.created": true, "message.updated": true,
	"conversation.opened": true, "conversation.closed": true,
	"conversation.assigned": true, "conversation.unassigned": true,
	"comment.created": true, "notification.created": true,
	"contact.created": true, "contact.updated": true,
}

// accessChangingTypes may change who may see the contact: the answer is never taken from the
// cache, and a user who could see the contact before still receives the event that took it
// away, so that their client can drop it.
var accessChangingTypes = map[string]bool{
	"conversation.assigned": true, "conversation.unassigned": true,
	"contact.updated": true, "contact.deleted": true,
}

func init() {
	document(http.MethodGet, "/api/v1/events", Operation{
		Summary: "Realtime event stream (text/event-stream, Server-Sent Events): each event is `id: <id>` and " +
			"`data: <JSON below>`; `event: reset` asks the client to reload; a comment every 15 s. Resume with the " +
			"Last-Event-ID header. Only what the caller may see (restrictions; notifications only to their user).",
		Tag:      "Realtime",
		Response: realtime.Event{},
		Query: map[string]string{
			"access_token":  "the bearer token, for EventSource clients that cannot set headers",
			"last_event_id": "resume after this event id (as the Last-Event-ID header)",
		},
	})
}

// queryToken presents ?access_token= to the shared authentication as a bearer header, for
// EventSource clients, which cannot set headers. A header, when sent, wins.
func queryToken() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.GetHeader("Authorization") == "" {
			if t := c.Query("access_token"); t != "" {
				c.Request.Header.Set("Authorization", "Bearer "+t)
			}
		}
		c.Next()
	}
}

// lastEventID reads where the client resumes from: the Last-Event-ID header (sent by
// EventSource on reconnect) or ?last_event_id=. resume is false for a fresh connection, which
// starts live.
func lastEventID(c *gin.Context) (id int64, resume bool, err error) {
	v := strings.TrimSpace(c.GetHeader("Last-Event-ID"))
	if v == "" {
		v = c.Query("last_event_id")
	}
	if v == "" {
		return 0, false, nil
	}
	id, err = strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 {
		return 0, false, invalid("Last-Event-ID must be an event id")
	}
	return id, true, nil
}

func (s *Server) streamEvents(c *gin.Context) {
	u := currentUser(c)
	after, resume, err := lastEventID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if s.Events == nil {
		s.fail(c, chatcenter.Errorf(chatcenter.EUNAVAILABLE, "the event stream is not running on this server"))
		return
	}
	sub, err := s.Events.Subscribe(u.WorkspaceID)
	if err != nil {
		s.fail(c, chatcenter.Errorf(chatcenter.EUNAVAILABLE, "the event stream is shutting down; reconnect"))
		return
	}
	defer sub.Close()

	ctx := c.Request.Context()
	h := c.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	// nginx buffers proxied responses unless told not to.
	h.Set("X-Accel-Buffering", "no")
	c.Status(http.StatusOK)
	st := &eventStream{w: c.Writer, flush: c.Writer.Flush, cursor: after, viewer: newEventViewer(s.DB.Queries, u)}
	if err := st.comment(fmt.Sprintf("retry: %d\n: connected", eventsRetryMillis)); err != nil {
		return
	}
	log := s.Log.With("request_id", c.GetString(ctxRequestID), "user_id", u.ID)

	// Subscribed first, then replayed up to the subscription's starting point: together they
	// cover every event after the client's, each once.
	replayed := map[int64]bool{}
	if resume && after < sub.From {
		events, more, err := s.Events.Replay(ctx, u.WorkspaceID, after, sub.From, eventsReplayMax)
		if err != nil {
			// Ending the stream makes the client reconnect with the same Last-Event-ID.
			log.WarnContext(ctx, "realtime: replay failed", "error", err)
			return
		}
		if more {
			if err := st.reset(sub.From, "more events were missed than can be replayed; reload"); err != nil {
				return
			}
		}
		for _, ev := range events {
			replayed[ev.ID] = true
			if err := st.send(ctx, s.Events, ev); err != nil {
				logStreamEnd(ctx, log, err)
				return
			}
		}
	}

	heartbeat := time.NewTicker(eventsHeartbeat)
	defer heartbeat.Stop()
	recheck := time.NewTicker(eventsSessionCheck)
	defer recheck.Stop()
	tokenHash := secret.HashToken(strings.TrimSpace(c.GetHeader("Authorization")[len("Bearer "):]))
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.Done():
			// Shutdown, or this client fell behind: it reconnects and replays from its position.
			return
		case ev := <-sub.Events():
			if ev.ID <= after || replayed[ev.ID] {
				continue
			}
			if err := st.send(ctx, s.Events, ev); err != nil {
				logStreamEnd(ctx, log, err)
				return
			}
		case <-heartbeat.C:
			if err := st.comment(": ping"); err != nil {
				return
			}
		case <-recheck.C:
			row, err := s.DB.SessionGetUser(ctx, tokenHash)
			if db.IsNoRows(err) {
				return // the client's reconnect then gets 401 and EventSource stops
			}
			if err == nil {
				fresh := db.ToUser(row)
				st.viewer = newEventViewer(s.DB.Queries, &fresh)
			}
		}
	}
}

// logStreamEnd logs why a stream ended, unless the client simply went away.
func logStreamEnd(ctx context.Context, log *slog.Logger, err error) {
	if ctx.Err() == nil && !isWriteError(err) {
		log.WarnContext(ctx, "realtime: stream ended", "error", err)
	}
}

// eventStream writes one client's SSE response.
type eventStream struct {
	w      io.Writer
	flush  func()
	cursor int64 // the position the client resumes from
	viewer *eventViewer
}

// writeError marks a failed write to the client (it went away): nothing to log.
type writeError struct{ error }

func isWriteError(err error) bool {
	var we writeError
	return errors.As(err, &we)
}

func (st *eventStream) write(text string) error {
	if _, err := io.WriteString(st.w, text); err != nil {
		return writeError{err}
	}
	st.flush()
	return nil
}

func (st *eventStream) comment(lines string) error { return st.write(lines + "\n\n") }

// send writes ev if the user may see it, with its message loaded when the payload only refers
// to it.
func (st *eventStream) send(ctx context.Context, b *realtime.Broker, ev realtime.Event) error {
	ok, err := st.viewer.visible(ctx, ev)
	if err != nil || !ok {
		return err
	}
	if err := b.Complete(ctx, &ev); err != nil {
		return err
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	st.cursor = max(st.cursor, ev.ID)
	return st.write(fmt.Sprintf("id: %d\ndata: %s\n\n", st.cursor, data))
}

// reset tells the client to reload: what it missed is too much to replay.
func (st *eventStream) reset(position int64, reason string) error {
	data, _ := json.Marshal(map[string]string{"reason": reason})
	st.cursor = max(st.cursor, position)
	return st.write(fmt.Sprintf("id: %d\nevent: reset\ndata: %s\n\n", st.cursor, data))
}

// eventViewer decides what one connected user may see, at delivery time.
type eventViewer struct {
	q    *dbsqlc.Queries
	user chatcenter.User
	// restricted users see only contacts assigned to them (teamScope: or to their team mates).
	restricted, teamScope bool
	cache                 map[int64]cachedVisibility
}

type cachedVisibility struct {
	visible bool
	at      time.Time
}

// newEventViewer applies respond.io's restrictions as the inbox does: owners are never
// restricted; show_team_contacts widens show_only_mine to the user's team mates.
func newEventViewer(q *dbsqlc.Queries, u *chatcenter.User) *eventViewer {
	v := &eventViewer{q: q, user: *u, cache: map[int64]cachedVisibility{}}
	if u.Role != chatcenter.RoleOwner {
		switch {
		case u.Restrictions[RestrictShowTeamContacts]:
			v.restricted, v.teamScope = true, true
		case u.Restrictions[RestrictShowOnlyMine]:
			v.restricted = true
		}
	}
	return v
}

// eventAudience says who an event is for, from the event alone.
type eventAudience int

const (
	audienceNobody    eventAudience = iota // not streamed
	audienceWorkspace                      // every user of the workspace
	audienceUser                           // one user (notifications)
	audienceContact                        // whoever may see the contact
)

// audienceOf classifies an event; for audienceUser it returns the user.
func audienceOf(ev realtime.Event) (eventAudience, int64) {
	if ev.Type == "notification.created" {
		var p struct {
			UserID       int64 `json:"user_id"`
			Notification struct {
				UserID int64 `json:"user_id"`
			} `json:"notification"`
		}
		_ = json.Unmarshal(ev.Payload, &p)
		if p.UserID == 0 {
			p.UserID = p.Notification.UserID
		}
		if p.UserID == 0 {
			return audienceNobody, 0 // addressed to nobody we can tell: fail closed
		}
		return audienceUser, p.UserID
	}
	switch {
	case ev.ContactID != nil:
		return audienceContact, 0
	case streamedTypes[ev.Type]:
		return audienceWorkspace, 0
	}
	return audienceNobody, 0
}

func (v *eventViewer) visible(ctx context.Context, ev realtime.Event) (bool, error) {
	aud, userID := audienceOf(ev)
	switch aud {
	case audienceWorkspace:
		return true, nil
	case audienceUser:
		return userID == v.user.ID, nil
	case audienceContact:
		if !v.restricted {
			return true, nil
		}
		return v.contactVisible(ctx, ev)
	}
	return false, nil
}

func (v *eventViewer) contactVisible(ctx context.Context, ev realtime.Event) (bool, error) {
	contactID := *ev.ContactID
	accessChange := accessChangingTypes[ev.Type]
	before, known := v.cache[contactID]
	if known && !accessChange && time.Since(before.at) < eventsVisibilityTTL {
		return before.visible, nil
	}
	var now bool
	var err error
	if assignee, ok := eventAssignee(ev); ok {
		// An assignment event carries the assignee it set: judge it by that, not by whatever
		// the assignment is by the time it is delivered, so that a quick reassignment cannot
		// hide it.
		now, err = v.assigneeVisible(ctx, assignee)
	} else {
		now, err = v.q.RealtimeContactVisible(ctx, dbsqlc.RealtimeContactVisibleParams{
			WorkspaceID: v.user.WorkspaceID, ContactID: contactID, UserID: v.user.ID, TeamScope: v.teamScope,
		})
	}
	if err != nil {
		return false, fmt.Errorf("realtime: contact visibility: %w", err)
	}
	if len(v.cache) > 10000 {
		clear(v.cache) // a long-lived stream over many contacts: start over rather than grow
	}
	v.cache[contactID] = cachedVisibility{visible: now, at: time.Now()}
	if accessChange && known && before.visible {
		return true, nil
	}
	return now, nil
}

// assigneeVisible: may the user see what is assigned to assignee (nil: unassigned)?
func (v *eventViewer) assigneeVisible(ctx context.Context, assignee *int64) (bool, error) {
	switch {
	case assignee == nil:
		return false, nil
	case *assignee == v.user.ID:
		return true, nil
	case !v.teamScope:
		return false, nil
	}
	return v.q.RealtimeTeamMates(ctx, dbsqlc.RealtimeTeamMatesParams{UserID: v.user.ID, OtherID: *assignee})
}

// eventAssignee is the assignee a conversation.assigned or conversation.unassigned event set
// (payload.conversation.assignee_id, which the same transaction wrote to the contact); ok is
// false for other events or payloads without a conversation.
func eventAssignee(ev realtime.Event) (assignee *int64, ok bool) {
	if ev.Type != "conversation.assigned" && ev.Type != "conversation.unassigned" {
		return nil, false
	}
	var p struct {
		Conversation *struct {
			AssigneeID *int64 `json:"assignee_id"`
		} `json:"conversation"`
	}
	if json.Unmarshal(ev.Payload, &p) != nil || p.Conversation == nil {
		return nil, false
	}
	return p.Conversation.AssigneeID, true
}

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/api"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/realtime"
)

// realtimeNode is one more API process on the bundle's database and Temporal, with its own
// realtime broker (and so its own listening connection), as a second `chatcenter serve` replica.
type realtimeNode struct {
	url    string
	broker *realtime.Broker
}

func (b *bundle) realtimeNode() *realtimeNode {
	b.t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	broker := realtime.New(b.db, log, realtime.Options{})
	require.NoError(b.t, broker.Start(context.Background()))
	srv := &api.Server{DB: b.db, Temporal: b.temporal, Box: b.server.Box, Log: log, UpdateTimeout: 10 * time.Second, Events: broker}
	hs := httptest.NewServer(srv.Handler())
	srv.LocalURL = hs.URL
	// Cleanups run last-in first-out: the broker ends the open streams, then the server closes.
	b.t.Cleanup(hs.Close)
	b.t.Cleanup(broker.Close)
	b.eventually("the broker to listen", broker.Connected)
	return &realtimeNode{url: hs.URL, broker: broker}
}

// realtimeCall makes a JSON request to one node.
func (b *bundle) realtimeCall(node *realtimeNode, method, path string, headers map[string]string, body string, wantStatus int, out any) {
	b.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, node.url+path, r)
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	require.Equal(b.t, wantStatus, resp.StatusCode, "%s %s: %s", method, path, raw)
	if out != nil {
		require.NoError(b.t, json.Unmarshal(raw, out), "%s", raw)
	}
}

func realtimeBearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// realtimeUser creates a user of the owner's workspace with restrictions and logs them in.
func (b *bundle) realtimeUser(email string, role chatcenter.Role, restrictions string) (int64, string) {
	b.t.Helper()
	ctx := context.Background()
	hash, err := hashForTest("realtime password")
	require.NoError(b.t, err)
	u, err := b.db.UserInsert(ctx, dbsqlc.UserInsertParams{WorkspaceID: b.owner.WorkspaceID, Email: email, PasswordHash: hash, Name: email, Role: string(role)})
	require.NoError(b.t, err)
	_, err = b.db.Pool.Exec(ctx, "UPDATE users SET restrictions = $1::jsonb WHERE id = $2", restrictions, u.ID)
	require.NoError(b.t, err)
	var login struct{ Token string }
	b.request("POST", "/api/v1/auth/login", nil, map[string]any{"email": email, "password": "realtime password"}, http.StatusOK, &login)
	return u.ID, login.Token
}

// realtimeMessage is one SSE message as the wire carries it.
type realtimeMessage struct {
	ID    string
	Event string
	Data  string
}

// realtimeEvent is the JSON of a data message.
type realtimeEvent struct {
	ID             int64           `json:"id"`
	Type           string          `json:"type"`
	CreatedAt      time.Time       `json:"created_at"`
	ContactID      *int64          `json:"contact_id"`
	ConversationID *int64          `json:"conversation_id"`
	ActorUserID    *int64          `json:"actor_user_id"`
	Payload        json.RawMessage `json:"payload"`
}

// realtimeStream is an SSE client: plain net/http and a line parser, as EventSource would read it.
type realtimeStream struct {
	t        *testing.T
	cancel   context.CancelFunc
	messages chan realtimeMessage
	ended    chan struct{}
	lastID   string
}

// realtimeConnect opens a stream and checks it is one.
func realtimeConnect(t *testing.T, rawURL string, headers map[string]string) *realtimeStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		t.Fatalf("GET %s: %d %s", rawURL, resp.StatusCode, raw)
	}
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	s := &realtimeStream{t: t, cancel: cancel, messages: make(chan realtimeMessage, 1000), ended: make(chan struct{})}
	go s.read(resp.Body)
	t.Cleanup(s.close)
	return s
}

// read parses the stream per the SSE rules: field lines, comments starting with ':', a blank
// line dispatches the message.
func (s *realtimeStream) read(body io.ReadCloser) {
	defer close(s.ended)
	defer body.Close()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var m realtimeMessage
	var data []string
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if data != nil {
				m.Data = strings.Join(data, "\n")
				s.messages <- m
			}
			m, data = realtimeMessage{}, nil
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			m.ID = value
		case "event":
			m.Event = value
		case "data":
			data = append(data, value)
		}
	}
}

func (s *realtimeStream) close() {
	s.cancel()
	<-s.ended
}

// next returns the next message, failing after a while.
func (s *realtimeStream) next() realtimeMessage {
	s.t.Helper()
	select {
	case m := <-s.messages:
		if m.ID != "" {
			s.lastID = m.ID
		}
		return m
	case <-s.ended:
		s.t.Fatal("the stream ended")
	case <-time.After(20 * time.Second):
		s.t.Fatal("timed out waiting for an event")
	}
	return realtimeMessage{}
}

// nextEvent returns the next data event and checks that its SSE id is its id.
func (s *realtimeStream) nextEvent() realtimeEvent {
	s.t.Helper()
	m := s.next()
	require.Empty(s.t, m.Event, "a data event, not %q: %s", m.Event, m.Data)
	var ev realtimeEvent
	require.NoError(s.t, json.Unmarshal([]byte(m.Data), &ev), m.Data)
	require.Equal(s.t, strconv.FormatInt(ev.ID, 10), m.ID)
	return ev
}

// until collects events until one satisfies stop (included).
func (s *realtimeStream) until(stop func(realtimeEvent) bool) []realtimeEvent {
	s.t.Helper()
	var out []realtimeEvent
	for {
		ev := s.nextEvent()
		out = append(out, ev)
		if stop(ev) {
			return out
		}
	}
}

// quiet checks that nothing arrives for a while.
func (s *realtimeStream) quiet(d time.Duration) {
	s.t.Helper()
	select {
	case m := <-s.messages:
		s.t.Fatalf("unexpected message: id %s event %q %s", m.ID, m.Event, m.Data)
	case <-time.After(d):
	}
}

func realtimeIDs(events []realtimeEvent) []int64 {
	ids := make([]int64, len(events))
	for i, ev := range events {
		ids[i] = ev.ID
	}
	return ids
}

func realtimeRequireIncreasing(t *testing.T, events []realtimeEvent) {
	t.Helper()
	for i := 1; i < len(events); i++ {
		require.Greater(t, events[i].ID, events[i-1].ID, "ids increase, no duplicates: %v", realtimeIDs(events))
	}
}

func realtimeIndex(events []realtimeEvent, match func(realtimeEvent) bool) int {
	for i, ev := range events {
		if match(ev) {
			return i
		}
	}
	return -1
}

// realtimeStreamable lists, from the table, the events an unrestricted user should receive in
// (after, upTo]: those about a contact, the streamed workspace types, and their notifications.
func (b *bundle) realtimeStreamable(userID, after, upTo int64) []int64 {
	b.t.Helper()
	rows, err := b.db.Pool.Query(context.Background(), `
		SELECT id FROM events
		WHERE workspace_id = $1 AND id > $2 AND id <= $3
		  AND CASE WHEN type = 'notification.created' THEN (payload->>'user_id')::bigint = $4
		           ELSE contact_id IS NOT NULL OR type IN ('message.created', 'message.updated', 'conversation.opened',
		                'conversation.closed', 'conversation.assigned', 'conversation.unassigned', 'comment.created',
		                'contact.created', 'contact.updated') END
		ORDER BY id`, b.owner.WorkspaceID, after, upTo, userID)
	require.NoError(b.t, err)
	ids := []int64{}
	for rows.Next() {
		var id int64
		require.NoError(b.t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(b.t, rows.Err())
	return ids
}

// realtimeSettle waits until no event has been written for a moment (sends and status updates
// finish in the background) and returns the newest id.
func (b *bundle) realtimeSettle() int64 {
	b.t.Helper()
	var last int64 = -1
	stableSince := time.Now()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var id int64
		require.NoError(b.t, b.db.Pool.QueryRow(context.Background(), "SELECT coalesce(max(id), 0) FROM events").Scan(&id))
		if id != last {
			last, stableSince = id, time.Now()
		} else if time.Since(stableSince) > 700*time.Millisecond {
			return last
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatal("events kept coming")
	return 0
}

func realtimeText(t *testing.T, ev realtimeEvent) string {
	t.Helper()
	var p struct {
		Message *chatcenter.Message `json:"message"`
	}
	require.NoError(t, json.Unmarshal(ev.Payload, &p))
	if p.Message == nil {
		return ""
	}
	return p.Message.Content.Text
}

func realtimeAssignee(t *testing.T, ev realtimeEvent) int64 {
	t.Helper()
	var p struct {
		Conversation chatcenter.Conversation `json:"conversation"`
	}
	require.NoError(t, json.Unmarshal(ev.Payload, &p))
	if p.Conversation.AssigneeID == nil {
		return 0
	}
	return *p.Conversation.AssigneeID
}

// Two API processes on one database: everything done through B (and by the workers) reaches a
// client of A, in order; a reconnect with Last-Event-ID gets exactly what it missed.
func TestRealtimeStreamAcrossInstancesAndResume(t *testing.T) {
	b := setup(t)
	nodeA, nodeB := b.realtimeNode(), b.realtimeNode()
	agentID, agentToken := b.realtimeUser("mine@example.com", chatcenter.RoleAgent, `{"show_only_mine": true}`)
	owner := realtimeBearer(b.token)

	var ch struct{ ID int64 }
	b.realtimeCall(nodeB, "POST", "/api/v1/channels", owner, fmt.Sprintf(
		`{"type":"telegram","name":"Support bot","config":{"bot_token":%q,"secret_token":%q,"api_base_url":%q}}`,
		botToken, secretToken, b.telegram.srv.URL), http.StatusCreated, &ch)
	start := b.realtimeSettle()

	streamA := realtimeConnect(t, nodeA.url+"/api/v1/events", owner)
	// The restricted agent is on B: nothing about the contact until it is assigned to them.
	agentStream := realtimeConnect(t, nodeB.url+"/api/v1/events", realtimeBearer(agentToken))

	webhook := map[string]string{"X-Telegram-Bot-Api-Secret-Token": secretToken}
	b.realtimeCall(nodeB, "POST", fmt.Sprintf("/webhooks/telegram/%d", ch.ID), webhook, textUpdate(1, 100, "Hello from Telegram"), http.StatusOK, nil)
	conv := b.waitOpenConversation()
	b.realtimeCall(nodeB, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), owner, `{"type":"text","text":"Hi, let me check"}`, http.StatusAccepted, nil)

	// The restricted agent got none of that: a notification addressed to them, written once
	// everything else is done, is the first thing they receive.
	b.realtimeSettle()
	ctx := context.Background()
	require.NoError(t, b.db.WithTx(ctx, func(q *dbsqlc.Queries) error {
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: b.owner.WorkspaceID, Type: "notification.created",
			Payload: map[string]any{"notification_id": 1, "user_id": agentID, "type": "mention"}})
	}))
	first := agentStream.nextEvent()
	require.Equal(t, "notification.created", first.Type, "%s", first.Payload)

	b.realtimeCall(nodeB, "POST", fmt.Sprintf("/api/v1/conversations/%d/assign", conv.ID), owner, fmt.Sprintf(`{"user_id":%d}`, agentID), http.StatusOK, nil)

	isAssignedToAgent := func(ev realtimeEvent) bool {
		return ev.Type == "conversation.assigned" && realtimeAssignee(t, ev) == agentID
	}
	got := streamA.until(isAssignedToAgent)
	realtimeRequireIncreasing(t, got)
	inbound := realtimeIndex(got, func(ev realtimeEvent) bool {
		return ev.Type == "message.created" && realtimeText(t, ev) == "Hello from Telegram"
	})
	opened := realtimeIndex(got, func(ev realtimeEvent) bool {
		return ev.Type == "conversation.opened" && ev.ConversationID != nil && *ev.ConversationID == conv.ID
	})
	reply := realtimeIndex(got, func(ev realtimeEvent) bool {
		return ev.Type == "message.created" && realtimeText(t, ev) == "Hi, let me check"
	})
	assigned := len(got) - 1
	require.True(t, inbound >= 0 && opened > inbound && reply > opened && assigned > reply,
		"inbound %d, opened %d, reply %d, assigned %d in %v", inbound, opened, reply, assigned, got)
	require.Equal(t, conv.ContactID, *got[inbound].ContactID)
	// The webhook wrote only a reference: the stream loaded the message.
	var ref struct {
		MessageID int64              `json:"message_id"`
		Message   chatcenter.Message `json:"message"`
	}
	require.NoError(t, json.Unmarshal(got[inbound].Payload, &ref))
	require.Equal(t, ref.MessageID, ref.Message.ID)
	require.Equal(t, chatcenter.DirectionIncoming, ref.Message.Direction)
	require.Equal(t, b.owner.ID, *got[assigned].ActorUserID)
	// Nothing the owner may see was skipped on the way.
	require.Equal(t, b.realtimeStreamable(b.owner.ID, start, got[assigned].ID), realtimeIDs(got))

	// Then the assignment reaches them (a notification addressed to them may come with it).
	agentGot := agentStream.until(isAssignedToAgent)
	for _, ev := range agentGot[:len(agentGot)-1] {
		require.Equal(t, "notification.created", ev.Type, "%s", ev.Payload)
		require.Contains(t, string(ev.Payload), fmt.Sprintf(`"user_id":%d`, agentID))
	}
	require.Equal(t, got[assigned].ID, agentGot[len(agentGot)-1].ID)

	// Disconnect, miss a close and a new conversation, and resume from the last id received.
	resumeFrom := streamA.lastID
	streamA.close()
	b.realtimeCall(nodeB, "POST", fmt.Sprintf("/api/v1/conversations/%d/close", conv.ID), owner, `{"category":"Resolved"}`, http.StatusOK, nil)
	b.realtimeCall(nodeB, "POST", fmt.Sprintf("/webhooks/telegram/%d", ch.ID), webhook, textUpdate(2, 101, "One more thing"), http.StatusOK, nil)
	b.eventually("the second conversation", func() bool {
		open := b.conversations("?status=open")
		return len(open) == 1 && open[0].ID != conv.ID
	})
	newest := b.realtimeSettle()
	from, err := strconv.ParseInt(resumeFrom, 10, 64)
	require.NoError(t, err)
	missed := b.realtimeStreamable(b.owner.ID, from, newest)
	require.NotEmpty(t, missed)

	resumed := realtimeConnect(t, nodeA.url+"/api/v1/events", map[string]string{"Authorization": "Bearer " + b.token, "Last-Event-ID": resumeFrom})
	replayed := make([]realtimeEvent, 0, len(missed))
	for range missed {
		replayed = append(replayed, resumed.nextEvent())
	}
	require.Equal(t, missed, realtimeIDs(replayed), "exactly the missed events")
	types := map[string]bool{}
	for _, ev := range replayed {
		types[ev.Type] = true
		if ev.Type == "message.created" {
			require.Equal(t, "One more thing", realtimeText(t, ev), "replayed references carry the message")
		}
	}
	require.True(t, types["conversation.closed"] && types["message.created"] && types["conversation.opened"], "%v", types)
	resumed.quiet(500 * time.Millisecond)

	// And it is live again: the next event follows without a gap or a repeat.
	open := b.conversations("?status=open")
	b.realtimeCall(nodeB, "POST", fmt.Sprintf("/api/v1/conversations/%d/assign", open[0].ID), owner, fmt.Sprintf(`{"user_id":%d}`, b.owner.ID), http.StatusOK, nil)
	live := resumed.until(func(ev realtimeEvent) bool { return ev.Type == "conversation.assigned" })
	realtimeRequireIncreasing(t, append(replayed, live...))
	require.Equal(t, b.realtimeStreamable(b.owner.ID, newest, live[len(live)-1].ID), realtimeIDs(live))
}

// Who receives what: restrictions, notifications, workspaces, tokens in the query.
func TestRealtimeVisibilityAndAccessToken(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	node := b.realtimeNode()
	ws := b.owner.WorkspaceID
	mineID, mineToken := b.realtimeUser("mine@example.com", chatcenter.RoleAgent, `{"show_only_mine": true}`)
	mateID, mateToken := b.realtimeUser("mate@example.com", chatcenter.RoleAgent, `{"show_team_contacts": true}`)
	plainID, plainToken := b.realtimeUser("plain@example.com", chatcenter.RoleAgent, `{}`)
	_, managerToken := b.realtimeUser("manager@example.com", chatcenter.RoleManager, `{"show_only_mine": true}`)
	// mine and mate are in one team; plain is not.
	var teamID int64
	require.NoError(t, b.db.Pool.QueryRow(ctx, "INSERT INTO teams (workspace_id, name) VALUES ($1, 'Sales') RETURNING id", ws).Scan(&teamID))
	_, err := b.db.Pool.Exec(ctx, "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2), ($1, $3)", teamID, mineID, mateID)
	require.NoError(t, err)

	contact := func(workspaceID int64, name string, assignee int64) int64 {
		c, err := b.db.ContactInsert(ctx, dbsqlc.ContactInsertParams{WorkspaceID: workspaceID, FirstName: name})
		require.NoError(t, err)
		if assignee != 0 {
			require.NoError(t, b.db.ContactSetAssignee(ctx, dbsqlc.ContactSetAssigneeParams{ID: c.ID, AssigneeID: &assignee}))
		}
		return c.ID
	}
	mineContact := contact(ws, "Mine", mineID)
	unassigned := contact(ws, "Nobody's", 0)
	plainContact := contact(ws, "Plain's", plainID)

	// Another workspace with its own owner.
	other, err := b.db.WorkspaceInsert(ctx, dbsqlc.WorkspaceInsertParams{Name: "Other", Timezone: "UTC", Language: "en"})
	require.NoError(t, err)
	hash, err := hashForTest("realtime password")
	require.NoError(t, err)
	_, err = b.db.UserInsert(ctx, dbsqlc.UserInsertParams{WorkspaceID: other.ID, Email: "other@example.com", PasswordHash: hash, Name: "Other", Role: "owner"})
	require.NoError(t, err)
	var otherLogin struct{ Token string }
	b.request("POST", "/api/v1/auth/login", nil, map[string]any{"email": "other@example.com", "password": "realtime password"}, http.StatusOK, &otherLogin)
	otherContact := contact(other.ID, "Elsewhere", 0)

	// Tokens: the header, or ?access_token= for EventSource; a bad or missing one is refused.
	events := node.url + "/api/v1/events"
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	b.realtimeCall(node, "GET", "/api/v1/events?access_token=not-a-token", nil, "", http.StatusUnauthorized, &e)
	require.Equal(t, "unauthorized", e.Error.Code)
	b.realtimeCall(node, "GET", "/api/v1/events", nil, "", http.StatusUnauthorized, &e)
	b.realtimeCall(node, "GET", "/api/v1/events", realtimeBearer(b.token+"x"), "", http.StatusUnauthorized, nil)
	b.realtimeCall(node, "GET", "/api/v1/events", map[string]string{"Authorization": "Bearer " + b.token, "Last-Event-ID": "abc"}, "", http.StatusBadRequest, &e)
	require.Equal(t, "invalid", e.Error.Code)

	streams := map[string]*realtimeStream{
		"owner":   realtimeConnect(t, events, realtimeBearer(b.token)),
		"mine":    realtimeConnect(t, events+"?access_token="+url.QueryEscape(mineToken), nil),
		"mate":    realtimeConnect(t, events+"?access_token="+url.QueryEscape(mateToken), nil),
		"plain":   realtimeConnect(t, events, realtimeBearer(plainToken)),
		"manager": realtimeConnect(t, events, realtimeBearer(managerToken)),
		"other":   realtimeConnect(t, events, realtimeBearer(otherLogin.Token)),
	}

	insert := func(workspaceID int64, typ string, contactID int64, payload map[string]any) int64 {
		t.Helper()
		require.NoError(t, b.db.WithTx(ctx, func(q *dbsqlc.Queries) error {
			return db.InsertEvent(ctx, q, db.Event{WorkspaceID: workspaceID, Type: typ, ContactID: contactID, Payload: payload})
		}))
		var id int64
		require.NoError(t, b.db.Pool.QueryRow(ctx, "SELECT max(id) FROM events").Scan(&id))
		return id
	}
	setAssignee := func(contactID, userID int64) {
		var p *int64
		if userID != 0 {
			p = &userID
		}
		require.NoError(t, b.db.ContactSetAssignee(ctx, dbsqlc.ContactSetAssigneeParams{ID: contactID, AssigneeID: p}))
	}

	e1 := insert(ws, "contact.updated", unassigned, nil)
	e2 := insert(ws, "message.created", mineContact, map[string]any{"message": map[string]any{"id": 1}})
	e3 := insert(ws, "comment.created", plainContact, nil)
	e4 := insert(ws, "notification.created", 0, map[string]any{"notification_id": 1, "user_id": plainID, "type": "mention"})
	e5 := insert(ws, "notification.created", 0, map[string]any{"notification_id": 2, "user_id": mineID, "type": "assignment"})
	e6 := insert(other.ID, "contact.updated", otherContact, nil)
	// Visibility is decided at delivery, from the current assignment: let the restricted
	// streams pass e1 (about a contact that is about to become mine's) before it changes.
	received := map[string][]realtimeEvent{}
	for _, name := range []string{"mine", "mate"} {
		received[name] = streams[name].until(func(ev realtimeEvent) bool { return ev.ID == e2 })
	}
	// Assigned to mine: mine (and mate, a team mate) now see the contact...
	setAssignee(unassigned, mineID)
	e7 := insert(ws, "conversation.assigned", unassigned, map[string]any{"conversation": map[string]any{"assignee_id": mineID}})
	// ...and still get the event that takes it away again, but nothing after it.
	setAssignee(unassigned, 0)
	e8 := insert(ws, "conversation.unassigned", unassigned, map[string]any{"conversation": map[string]any{"assignee_id": nil}})
	e9 := insert(ws, "message.created", unassigned, nil)
	insert(ws, "workspace.renamed", 0, nil) // no contact and not a streamed type: nobody
	last := insert(ws, "contact.updated", mineContact, nil)
	lastOther := insert(other.ID, "contact.updated", otherContact, nil)

	want := map[string][]int64{
		"owner": {e1, e2, e3, e7, e8, e9, last},
		"plain": {e1, e2, e3, e4, e7, e8, e9, last},
		"mine":  {e2, e5, e7, e8, last},
		"mate":  {e2, e7, e8, last},
		"other": {e6, lastOther},
	}
	for name, s := range streams {
		stop := last
		if name == "other" {
			stop = lastOther
		}
		if name == "manager" {
			continue // checked below, once everyone else has had everything
		}
		got := append(received[name], s.until(func(ev realtimeEvent) bool { return ev.ID == stop })...)
		require.Equal(t, want[name], realtimeIDs(got), name)
		s.quiet(0)
	}
	// The restricted manager sees nothing of all that.
	streams["manager"].quiet(300 * time.Millisecond)

	// Resuming with ?last_event_id= replays the same: assignment events are judged by the
	// assignee they carry, not by the assignment at the time of the replay.
	resumed := realtimeConnect(t, fmt.Sprintf("%s?access_token=%s&last_event_id=%d", events, url.QueryEscape(mineToken), e1), nil)
	got := resumed.until(func(ev realtimeEvent) bool { return ev.ID == last })
	require.Equal(t, want["mine"], realtimeIDs(got))
	resumed.quiet(300 * time.Millisecond)

	// A logged-out token is refused on the next connection.
	b.realtimeCall(node, "POST", "/api/v1/auth/logout", realtimeBearer(plainToken), "", http.StatusNoContent, nil)
	b.realtimeCall(node, "GET", "/api/v1/events?access_token="+url.QueryEscape(plainToken), nil, "", http.StatusUnauthorized, nil)
}

// A client that missed more than the replay bound is told to reload, then continues live.
func TestRealtimeResetWhenTooMuchWasMissed(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	node := b.realtimeNode()
	c, err := b.db.ContactInsert(ctx, dbsqlc.ContactInsertParams{WorkspaceID: b.owner.WorkspaceID, FirstName: "Busy"})
	require.NoError(t, err)
	var first, newest int64
	require.NoError(t, b.db.Pool.QueryRow(ctx, "SELECT coalesce(max(id), 0) FROM events").Scan(&first))
	_, err = b.db.Pool.Exec(ctx, `INSERT INTO events (workspace_id, type, contact_id)
		SELECT $1, 'contact.updated', $2 FROM generate_series(1, 1001)`, b.owner.WorkspaceID, c.ID)
	require.NoError(t, err)
	require.NoError(t, b.db.Pool.QueryRow(ctx, "SELECT max(id) FROM events").Scan(&newest))
	b.eventually("the broker to pass them", func() bool {
		sub, err := node.broker.Subscribe(b.owner.WorkspaceID)
		require.NoError(t, err)
		defer sub.Close()
		return sub.From >= newest
	})

	s := realtimeConnect(t, node.url+"/api/v1/events", map[string]string{"Authorization": "Bearer " + b.token, "Last-Event-ID": strconv.FormatInt(first, 10)})
	m := s.next()
	require.Equal(t, "reset", m.Event)
	require.Equal(t, strconv.FormatInt(newest, 10), m.ID, "resume from where the reset leaves the client")
	require.Contains(t, m.Data, "reload")

	var after int64
	require.NoError(t, b.db.WithTx(ctx, func(q *dbsqlc.Queries) error {
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: b.owner.WorkspaceID, Type: "contact.updated", ContactID: c.ID})
	}))
	require.NoError(t, b.db.Pool.QueryRow(ctx, "SELECT max(id) FROM events").Scan(&after))
	require.Equal(t, after, s.nextEvent().ID)
	s.quiet(300 * time.Millisecond)
}

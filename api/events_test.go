package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db/dbtest"
	"github.com/chatcenterhq/chatcenter/realtime"
)

func TestEventsAudience(t *testing.T) {
	contact := int64(7)
	for _, tc := range []struct {
		name   string
		ev     realtime.Event
		want   eventAudience
		wantID int64
	}{
		{"notification to its user", realtime.Event{Type: "notification.created", Payload: json.RawMessage(`{"notification_id":1,"user_id":42,"type":"mention"}`)}, audienceUser, 42},
		{"nested notification", realtime.Event{Type: "notification.created", Payload: json.RawMessage(`{"notification":{"user_id":43}}`)}, audienceUser, 43},
		{"notification to nobody", realtime.Event{Type: "notification.created", Payload: json.RawMessage(`{}`)}, audienceNobody, 0},
		{"notification with a contact is still one user's", realtime.Event{Type: "notification.created", ContactID: &contact, Payload: json.RawMessage(`{"user_id":5}`)}, audienceUser, 5},
		{"contact event", realtime.Event{Type: "message.created", ContactID: &contact}, audienceContact, 0},
		{"other type about a contact", realtime.Event{Type: "contact.tagged", ContactID: &contact}, audienceContact, 0},
		{"streamed type without contact", realtime.Event{Type: "contact.updated"}, audienceWorkspace, 0},
		{"unknown type without contact", realtime.Event{Type: "channel.created"}, audienceNobody, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, id := audienceOf(tc.ev)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.wantID, id)
		})
	}
}

func TestEventsLastEventID(t *testing.T) {
	gin.SetMode(gin.TestMode)
	parse := func(header, query string) (int64, bool, error) {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest(http.MethodGet, "/api/v1/events"+query, nil)
		if header != "" {
			c.Request.Header.Set("Last-Event-ID", header)
		}
		return lastEventID(c)
	}
	id, resume, err := parse("", "")
	require.NoError(t, err)
	require.False(t, resume)
	require.Zero(t, id)
	id, resume, err = parse("15", "?last_event_id=3")
	require.NoError(t, err)
	require.True(t, resume)
	require.EqualValues(t, 15, id, "the header wins")
	id, resume, err = parse("", "?last_event_id=0")
	require.NoError(t, err)
	require.True(t, resume, "0 resumes from the start")
	require.Zero(t, id)
	for _, bad := range []string{"abc", "-1", "1.5"} {
		_, _, err = parse(bad, "")
		require.Equal(t, chatcenter.EINVALID, chatcenter.ErrorCode(err), bad)
	}
}

// An event that commits late (below ids already streamed) keeps the stream position, so a
// resume from the last id never repeats events.
func TestEventsStreamPositionNeverMovesBack(t *testing.T) {
	var buf bytes.Buffer
	owner := chatcenter.User{ID: 1, WorkspaceID: 1, Role: chatcenter.RoleOwner}
	st := &eventStream{w: &buf, flush: func() {}, cursor: 10, viewer: newEventViewer(nil, &owner)}
	b := realtime.New(nil, nil, realtime.Options{})
	contact := int64(3)
	require.NoError(t, st.send(context.Background(), b, realtime.Event{ID: 12, Type: "message.created", ContactID: &contact, Payload: json.RawMessage(`{}`)}))
	require.NoError(t, st.send(context.Background(), b, realtime.Event{ID: 11, Type: "message.updated", ContactID: &contact, Payload: json.RawMessage(`{}`)}))
	require.NoError(t, st.reset(20, "reload"))
	frames := strings.Split(strings.TrimSuffix(buf.String(), "\n\n"), "\n\n")
	require.Len(t, frames, 3)
	require.True(t, strings.HasPrefix(frames[0], "id: 12\ndata: {\"id\":12,\"type\":\"message.created\""), frames[0])
	require.True(t, strings.HasPrefix(frames[1], "id: 12\ndata: {\"id\":11,"), frames[1])
	require.Equal(t, "id: 20\nevent: reset\ndata: {\"reason\":\"reload\"}", frames[2])
	var ev map[string]any
	require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(strings.Split(frames[0], "\n")[1], "data: ")), &ev))
	for _, k := range []string{"id", "type", "created_at", "contact_id", "conversation_id", "actor_user_id", "payload"} {
		require.Contains(t, ev, k)
	}
	require.NotContains(t, ev, "workspace_id")
}

// The stream sends heartbeats while idle and ends when the broker stops; without a broker the
// route answers 503.
func TestEventsHeartbeatAndShutdown(t *testing.T) {
	old := eventsHeartbeat
	eventsHeartbeat = 50 * time.Millisecond
	t.Cleanup(func() { eventsHeartbeat = old })
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := dbtest.Open(t)
	_, err := Bootstrap(ctx, d, "owner@example.com", "events password")
	require.NoError(t, err)
	broker := realtime.New(d, quiet, realtime.Options{})
	require.NoError(t, broker.Start(ctx))
	defer broker.Close()
	srv := &Server{DB: d, Log: quiet, Events: broker}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()

	resp, err := http.Post(hs.URL+"/api/v1/auth/login", "application/json", strings.NewReader(`{"email":"owner@example.com","password":"events password"}`))
	require.NoError(t, err)
	var login struct{ Token string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&login))
	resp.Body.Close()

	req, err := http.NewRequest(http.MethodGet, hs.URL+"/api/v1/events?access_token="+login.Token, nil)
	require.NoError(t, err)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "no-cache", resp.Header.Get("Cache-Control"))
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	want := []string{"retry: 3000", ": connected", "", ": ping", "", ": ping"}
	for _, w := range want {
		select {
		case l := <-lines:
			require.Equal(t, w, l)
		case <-time.After(5 * time.Second):
			t.Fatalf("waiting for %q", w)
		}
	}

	broker.Close()
	deadline := time.After(5 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-lines:
		case <-deadline:
			t.Fatal("the stream did not end when the broker closed")
		}
	}

	req, err = http.NewRequest(http.MethodGet, hs.URL+"/api/v1/events", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	resp2, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp2.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp2.StatusCode)

	noBroker := httptest.NewServer((&Server{DB: d, Log: quiet}).Handler())
	defer noBroker.Close()
	req, err = http.NewRequest(http.MethodGet, noBroker.URL+"/api/v1/events", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	resp3, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp3.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp3.StatusCode)
}

// A restricted user's assignment events are judged by the assignee they carry; the event that
// takes a contact away from them still reaches them, nothing after it does.
func TestEventsAssignmentJudgedByItsAssignee(t *testing.T) {
	mine := chatcenter.User{ID: 5, WorkspaceID: 1, Role: chatcenter.RoleAgent, Restrictions: map[string]bool{RestrictShowOnlyMine: true}}
	v := newEventViewer(nil, &mine) // show_only_mine decides these without the database
	contact := int64(9)
	ev := func(typ, payload string) realtime.Event {
		return realtime.Event{Type: typ, ContactID: &contact, Payload: json.RawMessage(payload)}
	}
	ctx := context.Background()
	for _, step := range []struct {
		ev   realtime.Event
		want bool
	}{
		{ev("conversation.assigned", `{"conversation":{"assignee_id":6}}`), false},
		{ev("conversation.assigned", `{"conversation":{"assignee_id":5}}`), true},
		{ev("message.created", `{}`), true}, // from the cache
		{ev("conversation.unassigned", `{"conversation":{"assignee_id":null}}`), true},
		{ev("message.created", `{}`), false},
		{ev("conversation.unassigned", `{"conversation":{"assignee_id":null}}`), false},
	} {
		got, err := v.visible(ctx, step.ev)
		require.NoError(t, err)
		require.Equal(t, step.want, got, "%s %s", step.ev.Type, step.ev.Payload)
	}
	a, ok := eventAssignee(ev("conversation.assigned", `{"conversation":{"assignee_id":6}}`))
	require.True(t, ok)
	require.EqualValues(t, 6, *a)
	_, ok = eventAssignee(ev("conversation.assigned", `{}`))
	require.False(t, ok, "no conversation in the payload: ask the database")
	_, ok = eventAssignee(ev("message.created", `{"conversation":{"assignee_id":6}}`))
	require.False(t, ok)
}

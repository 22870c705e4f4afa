package realtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/db/dbtest"
	"github.com/chatcenterhq/chatcenter/realtime"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func startBroker(t *testing.T, d *db.DB, opts realtime.Options) *realtime.Broker {
	t.Helper()
	b := realtime.New(d, quiet, opts)
	require.NoError(t, b.Start(context.Background()))
	t.Cleanup(b.Close)
	waitFor(t, "the broker to listen", b.Connected)
	return b
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func newWorkspace(t *testing.T, d *db.DB) int64 {
	t.Helper()
	ws, err := d.WorkspaceInsert(context.Background(), dbsqlc.WorkspaceInsertParams{Name: "ws", Timezone: "UTC", Language: "en"})
	require.NoError(t, err)
	return ws.ID
}

func insertEvent(t *testing.T, q *dbsqlc.Queries, workspaceID int64, typ string, payload string) int64 {
	t.Helper()
	id, err := q.EventInsert(context.Background(), dbsqlc.EventInsertParams{WorkspaceID: workspaceID, Type: typ, Payload: []byte(payload)})
	require.NoError(t, err)
	return id
}

func receive(t *testing.T, s *realtime.Subscription) realtime.Event {
	t.Helper()
	select {
	case ev := <-s.Events():
		return ev
	case <-s.Done():
		t.Fatalf("subscription ended: %v", s.Err())
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for an event")
	}
	return realtime.Event{}
}

func receiveIDs(t *testing.T, s *realtime.Subscription, n int) []int64 {
	t.Helper()
	var ids []int64
	for range n {
		ids = append(ids, receive(t, s).ID)
	}
	return ids
}

func nothingFor(t *testing.T, s *realtime.Subscription, d time.Duration) {
	t.Helper()
	select {
	case ev := <-s.Events():
		t.Fatalf("unexpected event %d %s", ev.ID, ev.Type)
	case <-time.After(d):
	}
}

func TestBrokerFansOutByWorkspace(t *testing.T) {
	d := dbtest.Open(t)
	ws1, ws2 := newWorkspace(t, d), newWorkspace(t, d)
	before := insertEvent(t, d.Queries, ws1, "contact.updated", `{}`) // before Start: not streamed
	b := startBroker(t, d, realtime.Options{})
	s1, err := b.Subscribe(ws1)
	require.NoError(t, err)
	defer s1.Close()
	s2, err := b.Subscribe(ws2)
	require.NoError(t, err)
	defer s2.Close()
	require.Equal(t, before, s1.From)

	e1 := insertEvent(t, d.Queries, ws1, "contact.updated", `{"n":1}`)
	e2 := insertEvent(t, d.Queries, ws2, "contact.updated", `{"n":2}`)
	e3 := insertEvent(t, d.Queries, ws1, "contact.updated", `{"n":3}`)

	got := receive(t, s1)
	require.Equal(t, e1, got.ID)
	require.Equal(t, ws1, got.WorkspaceID)
	require.JSONEq(t, `{"n":1}`, string(got.Payload))
	require.Equal(t, e3, receive(t, s1).ID)
	require.Equal(t, e2, receive(t, s2).ID)
	nothingFor(t, s1, 200*time.Millisecond)
	nothingFor(t, s2, 0)
}

// A lost listening connection is reopened, and what was committed while nobody listened is read
// from the table: nothing is missed, nothing repeats.
func TestBrokerCatchesUpAfterReconnect(t *testing.T) {
	d := dbtest.Open(t)
	ws := newWorkspace(t, d)
	var attempts atomic.Int64
	gate := make(chan struct{})
	b := startBroker(t, d, realtime.Options{
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			// The second and later connections wait for the test: the outage lasts until then.
			if attempts.Add(1) > 1 {
				select {
				case <-gate:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			cfg := d.Pool.Config().ConnConfig
			cfg.RuntimeParams["application_name"] = "realtime-broker-test"
			return pgx.ConnectConfig(ctx, cfg)
		},
	})
	s, err := b.Subscribe(ws)
	require.NoError(t, err)
	defer s.Close()

	e1 := insertEvent(t, d.Queries, ws, "message.created", `{}`)
	require.Equal(t, e1, receive(t, s).ID)

	var killed int
	require.NoError(t, d.Pool.QueryRow(context.Background(),
		`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'realtime-broker-test'`).Scan(&killed))
	require.Equal(t, 1, killed)
	waitFor(t, "the broker to notice", func() bool { return !b.Connected() })

	e2 := insertEvent(t, d.Queries, ws, "message.created", `{}`)
	e3 := insertEvent(t, d.Queries, ws, "conversation.opened", `{}`)
	nothingFor(t, s, 200*time.Millisecond)

	close(gate)
	require.Equal(t, []int64{e2, e3}, receiveIDs(t, s, 2))
	require.EqualValues(t, 2, b.Connects())
	e4 := insertEvent(t, d.Queries, ws, "conversation.closed", `{}`)
	require.Equal(t, e4, receive(t, s).ID, "live again after the catch-up")
	nothingFor(t, s, 200*time.Millisecond)
}

// Ids are taken at insert and become visible at commit: an event must not overtake the one of a
// transaction that is still committing.
func TestBrokerKeepsIDOrderAcrossConcurrentTransactions(t *testing.T) {
	d := dbtest.Open(t)
	ws := newWorkspace(t, d)
	b := startBroker(t, d, realtime.Options{GapWait: 10 * time.Second})
	s, err := b.Subscribe(ws)
	require.NoError(t, err)
	defer s.Close()

	ctx := context.Background()
	tx, err := d.Pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	slow := insertEvent(t, d.Queries.WithTx(tx), ws, "message.created", `{}`)
	fast := insertEvent(t, d.Queries, ws, "message.updated", `{}`)
	require.Greater(t, fast, slow)

	nothingFor(t, s, 300*time.Millisecond)
	require.NoError(t, tx.Commit(ctx))
	require.Equal(t, []int64{slow, fast}, receiveIDs(t, s, 2))
}

// A missing id that does not commit within GapWait is passed over (rolled back); if its
// transaction commits after all, its event is still delivered, late.
func TestBrokerPassesRolledBackIDsAndDeliversLateCommits(t *testing.T) {
	d := dbtest.Open(t)
	ws := newWorkspace(t, d)
	b := startBroker(t, d, realtime.Options{GapWait: 200 * time.Millisecond})
	s, err := b.Subscribe(ws)
	require.NoError(t, err)
	defer s.Close()

	ctx := context.Background()
	rolledBack, err := d.Pool.Begin(ctx)
	require.NoError(t, err)
	insertEvent(t, d.Queries.WithTx(rolledBack), ws, "message.created", `{}`)
	slowTx, err := d.Pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = slowTx.Rollback(ctx) }()
	slow := insertEvent(t, d.Queries.WithTx(slowTx), ws, "message.created", `{}`)
	require.NoError(t, rolledBack.Rollback(ctx))
	fast := insertEvent(t, d.Queries, ws, "message.updated", `{}`)

	start := time.Now()
	require.Equal(t, fast, receive(t, s).ID)
	require.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond, "held back while the gap was open")

	require.NoError(t, slowTx.Commit(ctx))
	require.Equal(t, slow, receive(t, s).ID, "the late commit is delivered")
	next := insertEvent(t, d.Queries, ws, "message.updated", `{}`)
	require.Equal(t, next, receive(t, s).ID)
	nothingFor(t, s, 300*time.Millisecond)
}

func TestBrokerLoadsReferencedMessagesAndReplays(t *testing.T) {
	d := dbtest.Open(t)
	ctx := context.Background()
	ws, other := newWorkspace(t, d), newWorkspace(t, d)
	ch, err := d.ChannelInsert(ctx, dbsqlc.ChannelInsertParams{WorkspaceID: ws, Type: "telegram", Name: "bot", ConfigEncrypted: []byte{1}, WebhookSecretHash: []byte{2}})
	require.NoError(t, err)
	contact, err := d.ContactInsert(ctx, dbsqlc.ContactInsertParams{WorkspaceID: ws, FirstName: "Ana"})
	require.NoError(t, err)
	msg, err := d.MessageInsertInbound(ctx, dbsqlc.MessageInsertInboundParams{
		WorkspaceID: ws, ContactID: contact.ID, ChannelID: ch.ID, Content: []byte(`{"type":"text","text":"where is my order?"}`),
		ContentType: "text", ExternalID: "1:1",
	})
	require.NoError(t, err)

	b := startBroker(t, d, realtime.Options{})
	s, err := b.Subscribe(ws)
	require.NoError(t, err)
	defer s.Close()
	sOther, err := b.Subscribe(other)
	require.NoError(t, err)
	defer sOther.Close()

	ref := `{"message_id":` + jsonInt(msg.ID) + `,"channel_id":` + jsonInt(ch.ID) + `,"direction":"incoming"}`
	e1 := insertEvent(t, d.Queries, ws, "message.created", ref)
	// Another workspace naming this message id never gets its content.
	e2 := insertEvent(t, d.Queries, other, "message.created", ref)

	type payload struct {
		MessageID int64 `json:"message_id"`
		Message   *struct {
			ID      int64 `json:"id"`
			Content struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"message"`
	}
	check := func(ev realtime.Event) {
		var p payload
		require.NoError(t, json.Unmarshal(ev.Payload, &p))
		require.Equal(t, msg.ID, p.MessageID)
		require.NotNil(t, p.Message, "%s", ev.Payload)
		require.Equal(t, msg.ID, p.Message.ID)
		require.Equal(t, "where is my order?", p.Message.Content.Text)
	}
	live := receive(t, s)
	require.Equal(t, e1, live.ID)
	check(live)
	foreign := receive(t, sOther)
	require.Equal(t, e2, foreign.ID)
	require.NoError(t, b.Complete(ctx, &foreign))
	var p payload
	require.NoError(t, json.Unmarshal(foreign.Payload, &p))
	require.Nil(t, p.Message)

	e3 := insertEvent(t, d.Queries, ws, "conversation.opened", `{}`)
	require.Equal(t, e3, receive(t, s).ID)

	replay, more, err := b.Replay(ctx, ws, 0, e3, 10)
	require.NoError(t, err)
	require.False(t, more)
	require.Len(t, replay, 2)
	require.Equal(t, []int64{e1, e3}, []int64{replay[0].ID, replay[1].ID})
	check(replay[0])
	replay, more, err = b.Replay(ctx, ws, e1, e3, 10)
	require.NoError(t, err)
	require.False(t, more)
	require.Len(t, replay, 1)
	_, more, err = b.Replay(ctx, ws, 0, e3, 1)
	require.NoError(t, err)
	require.True(t, more, "two events after 0, one allowed")
}

func TestBrokerEndsSlowSubscribersAndClosesCleanly(t *testing.T) {
	d := dbtest.Open(t)
	ws := newWorkspace(t, d)
	b := realtime.New(d, quiet, realtime.Options{Buffer: 2})
	_, err := b.Subscribe(ws)
	require.ErrorIs(t, err, realtime.ErrClosed, "not started")
	require.NoError(t, b.Start(context.Background()))
	waitFor(t, "the broker to listen", b.Connected)

	slow, err := b.Subscribe(ws)
	require.NoError(t, err)
	defer slow.Close()
	reader, err := b.Subscribe(ws)
	require.NoError(t, err)
	defer reader.Close()
	for range 3 {
		insertEvent(t, d.Queries, ws, "message.created", `{}`)
		receive(t, reader)
	}
	select {
	case <-slow.Done():
		require.ErrorIs(t, slow.Err(), realtime.ErrTooSlow)
	case <-time.After(10 * time.Second):
		t.Fatal("the slow subscriber was not ended")
	}

	b.Close()
	select {
	case <-reader.Done():
		require.True(t, errors.Is(reader.Err(), realtime.ErrClosed))
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the subscriptions")
	}
	_, err = b.Subscribe(ws)
	require.ErrorIs(t, err, realtime.ErrClosed)
	b.Close()
}

func jsonInt(v int64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

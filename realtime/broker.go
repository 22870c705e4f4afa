// Package realtime fans the events outbox out to the clients connected to this API process.
//
// Each process runs one Broker holding ONE dedicated connection that reads the events table every
// Options.PollInterval (100 ms) by id range and hands each new event to the subscribers of its
// workspace. Subscribers never touch the database for live events, so a thousand connected agents
// cost one connection and ten small reads a second, not a thousand connections. Events written by
// any process (another API replica, a worker) reach every process.
//
// Why polling and not LISTEN/NOTIFY: a transaction that NOTIFYs takes a database-wide lock at
// commit and holds it until its commit record is flushed, so every event-writing transaction of
// the whole product (one per inbound message) would commit one after another, without group
// commit. Measured on the webhook path (cmd/chatbench): the ingest statement took 22 ms on
// average at 16 concurrent webhooks with the notifying trigger, 6 ms without it.
//
// Ordering. Event ids come from a sequence, so they are assigned when a row is inserted, not when
// its transaction commits: id 11 may become visible before id 10. The broker therefore streams in
// id order and holds back the events after a missing id for Options.GapWait, giving the
// transaction that holds it time to commit. A missing id that never shows up was rolled back
// (sequences are not transactional); the broker moves past it and remembers it for
// Options.LateWindow, re-reading it on every poll, so that if its transaction does commit after
// all (a very slow one), the event is still delivered, late and out of order, instead of being
// lost.
//
// Resuming. The broker's frontier is the id up to which every event has been handed out (or
// given up on). A subscription records the frontier at the moment it was registered (From):
// every event above it reaches the subscription live, every event at or below it is in the table
// and can be replayed with Replay, so a client resuming from an id misses nothing and gets
// nothing twice.
//
// Connection loss. The polling connection reconnects with exponential backoff and carries on
// from its frontier, so nothing committed meanwhile is missed.
package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

var (
	// ErrClosed ends subscriptions when the broker stops (server shutdown).
	ErrClosed = errors.New("realtime: the event stream is shutting down")
	// ErrTooSlow ends a subscription that did not keep up: its client reconnects and replays
	// what it missed from the table, instead of the broker queueing without bound.
	ErrTooSlow = errors.New("realtime: the subscriber fell behind")
)

// Event is an outbox event as clients receive it.
type Event struct {
	ID             int64           `json:"id"`
	WorkspaceID    int64           `json:"-"`
	Type           string          `json:"type"`
	CreatedAt      time.Time       `json:"created_at"`
	ContactID      *int64          `json:"contact_id"`
	ConversationID *int64          `json:"conversation_id"`
	ActorUserID    *int64          `json:"actor_user_id"`
	Payload        json.RawMessage `json:"payload"`

	// messageID is set while the payload of a message.created event holds only a reference to
	// its message (the webhook hot path writes references); Complete loads it.
	messageID int64
}

// Options tune a Broker; zero values take the defaults.
type Options struct {
	// GapWait is how long events after a missing id are held back for the transaction that
	// holds it to commit. Default 3 s; event transactions take milliseconds.
	GapWait time.Duration
	// LateWindow is how long an id given up on is remembered, so that a late commit is still
	// delivered. Default 5 min.
	LateWindow time.Duration
	// PollInterval is how often the table is read for new events: the most a live event waits
	// before it is handed out. Default 100 ms.
	PollInterval time.Duration
	// Buffer is how many events may wait for one subscriber before it is dropped as too slow.
	// Default 1024.
	Buffer int
	// BatchSize is how many events one read of the table returns. Default 500.
	BatchSize int
	// MinBackoff and MaxBackoff bound the delay between reconnection attempts. Defaults
	// 100 ms and 10 s.
	MinBackoff, MaxBackoff time.Duration
	// Connect opens the dedicated polling connection. Default: a new connection with the
	// database pool's configuration. Tests replace it to simulate outages.
	Connect func(ctx context.Context) (*pgx.Conn, error)
}

// maxRemembered bounds the ids remembered after a gap: a larger jump is not a rolled-back
// transaction but a sequence change, and nothing will commit there.
const maxRemembered = 10000

// Broker is the per-process event fan-out. Create it with New, run it with Start, stop it with
// Close.
type Broker struct {
	db   *db.DB
	log  *slog.Logger
	opts Options

	mu      sync.Mutex
	subs    map[int64]map[*Subscription]struct{}
	last    int64 // the frontier: every event with id <= last was handed out or given up on
	started bool
	closed  bool
	cancel  context.CancelFunc
	done    chan struct{}

	connected atomic.Bool
	connects  atomic.Int64

	// Owned by the run goroutine.
	gap     gapState
	skipped map[int64]time.Time // ids given up on, until when a late commit is still delivered
}

// gapState is the first missing id the broker is waiting for.
type gapState struct {
	start, end int64 // the missing ids; zero start: no gap
	since      time.Time
}

// New returns a broker over d; it does nothing until Start.
func New(d *db.DB, log *slog.Logger, opts Options) *Broker {
	if log == nil {
		log = slog.Default()
	}
	if opts.GapWait <= 0 {
		opts.GapWait = 3 * time.Second
	}
	if opts.LateWindow <= 0 {
		opts.LateWindow = 5 * time.Minute
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 100 * time.Millisecond
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 1024
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 100 * time.Millisecond
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(10*time.Second, opts.MinBackoff)
	}
	if opts.Connect == nil {
		opts.Connect = func(ctx context.Context) (*pgx.Conn, error) {
			cfg := d.Pool.Config().ConnConfig
			cfg.RuntimeParams["application_name"] = "chatcenter-realtime"
			return pgx.ConnectConfig(ctx, cfg)
		}
	}
	return &Broker{db: d, log: log, opts: opts, subs: map[int64]map[*Subscription]struct{}{}, skipped: map[int64]time.Time{}}
}

// Start begins streaming the events written from now on and returns once the starting point is
// known; the polling connection is opened (and reopened) in the background. The broker stops
// when ctx ends or Close is called.
func (b *Broker) Start(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started || b.closed {
		return errors.New("realtime: broker already started")
	}
	last, err := b.db.RealtimeEventMaxID(ctx)
	if err != nil {
		return fmt.Errorf("realtime: read the newest event: %w", err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	b.last, b.started, b.cancel, b.done = last, true, cancel, make(chan struct{})
	go b.run(runCtx)
	return nil
}

// Close stops the broker and ends every subscription with ErrClosed. It is safe to call more
// than once, and before Start.
func (b *Broker) Close() {
	b.mu.Lock()
	cancel, done := b.cancel, b.done
	if done == nil {
		b.closed = true
		b.endAllLocked(ErrClosed)
	}
	b.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// Connected reports whether the polling connection is up.
func (b *Broker) Connected() bool { return b.connected.Load() }

// Connects counts the polling connections opened so far (reconnections included).
func (b *Broker) Connects() int64 { return b.connects.Load() }

// Subscribe registers a subscriber for a workspace's events. Every event with an id above the
// subscription's From reaches it (late commits of ids at or below From too); the caller replays
// older ones with Replay. The caller must Close it.
func (b *Broker) Subscribe(workspaceID int64) (*Subscription, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.started || b.closed {
		return nil, ErrClosed
	}
	s := &Subscription{b: b, workspaceID: workspaceID, From: b.last, ch: make(chan Event, b.opts.Buffer), done: make(chan struct{})}
	if b.subs[workspaceID] == nil {
		b.subs[workspaceID] = map[*Subscription]struct{}{}
	}
	b.subs[workspaceID][s] = struct{}{}
	return s, nil
}

// Replay returns a workspace's events with ids in (after, upTo], oldest first, at most limit of
// them; more reports that there were more than limit.
func (b *Broker) Replay(ctx context.Context, workspaceID, after, upTo int64, limit int) (events []Event, more bool, err error) {
	if after >= upTo {
		return nil, false, nil
	}
	rows, err := b.db.RealtimeEventListWorkspaceAfter(ctx, dbsqlc.RealtimeEventListWorkspaceAfterParams{
		WorkspaceID: workspaceID, AfterID: after, UpTo: upTo, Max: int32(limit + 1),
	})
	if err != nil {
		return nil, false, fmt.Errorf("realtime: replay: %w", err)
	}
	if len(rows) > limit {
		return nil, true, nil
	}
	events = db.MapSlice(rows, toEvent)
	if err := loadMessages(ctx, b.db.Queries, events); err != nil {
		return nil, false, err
	}
	return events, false, nil
}

// Complete loads the message a message.created event only refers to, when the broker did not
// already (no subscriber of the workspace was connected when it read the event).
func (b *Broker) Complete(ctx context.Context, ev *Event) error {
	if ev.messageID == 0 {
		return nil
	}
	one := []Event{*ev}
	if err := loadMessages(ctx, b.db.Queries, one); err != nil {
		return err
	}
	*ev = one[0]
	return nil
}

// Subscription receives one workspace's events.
type Subscription struct {
	// From is the broker's frontier when the subscription was registered.
	From int64

	b           *Broker
	workspaceID int64
	ch          chan Event
	done        chan struct{}
	err         error
	ended       bool
}

// Events delivers the workspace's events, in id order except for late commits.
func (s *Subscription) Events() <-chan Event { return s.ch }

// Done is closed when the subscription ends: Close, the broker stopping, or falling behind.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Err says why the subscription ended (nil after Close); read it after Done.
func (s *Subscription) Err() error { return s.err }

// Close unregisters the subscription.
func (s *Subscription) Close() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.endLocked(s, nil)
}

func (b *Broker) endLocked(s *Subscription, err error) {
	if s.ended {
		return
	}
	s.ended, s.err = true, err
	close(s.done)
	if m := b.subs[s.workspaceID]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(b.subs, s.workspaceID)
		}
	}
}

func (b *Broker) endAllLocked(err error) {
	for _, m := range b.subs {
		for s := range m {
			b.endLocked(s, err)
		}
	}
}

// run keeps a polling connection open until ctx ends, then ends every subscription.
func (b *Broker) run(ctx context.Context) {
	defer close(b.done)
	defer func() {
		b.mu.Lock()
		b.closed = true
		b.endAllLocked(ErrClosed)
		b.mu.Unlock()
	}()
	backoff := b.opts.MinBackoff
	for {
		worked, err := b.follow(ctx)
		b.connected.Store(false)
		if ctx.Err() != nil {
			return
		}
		if worked {
			backoff = b.opts.MinBackoff
		}
		// Jitter spreads the reconnections of many API processes after a database restart.
		wait := backoff/2 + rand.N(backoff/2+1)
		b.log.Warn("realtime: polling connection lost; reconnecting", "error", err, "retry_in", wait.String())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(backoff*2, b.opts.MaxBackoff)
	}
}

// follow polls on one connection until it fails or ctx ends. worked reports whether the
// connection was good (so backoff starts over).
func (b *Broker) follow(ctx context.Context) (worked bool, err error) {
	conn, err := b.opts.Connect(ctx)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	q := dbsqlc.New(conn)
	if err := conn.Ping(ctx); err != nil {
		return false, fmt.Errorf("ping: %w", err)
	}
	b.connects.Add(1)
	b.connected.Store(true)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case <-t.C:
		}
		// Ids given up on are read again until LateWindow ends: their transactions may still
		// commit.
		if err := b.recoverSkipped(ctx, q); err != nil {
			return true, err
		}
		if err := b.poll(ctx, q); err != nil {
			return true, err
		}
		wait := b.opts.PollInterval
		if b.gap.start != 0 {
			wait = min(wait, max(time.Until(b.gap.since.Add(b.opts.GapWait)), 0))
		}
		t.Reset(wait)
	}
}

func (b *Broker) frontier() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}

// poll reads the events committed after the frontier and hands out those that can go in order.
func (b *Broker) poll(ctx context.Context, q *dbsqlc.Queries) error {
	for {
		rows, err := q.RealtimeEventListAfter(ctx, dbsqlc.RealtimeEventListAfterParams{AfterID: b.frontier(), Max: int32(b.opts.BatchSize)})
		if err != nil {
			return fmt.Errorf("read events: %w", err)
		}
		ready, held := b.admit(rows, time.Now())
		if len(ready) > 0 {
			if err := b.loadSubscribedMessages(ctx, q, ready); err != nil {
				return err
			}
			b.dispatch(ready, true)
		}
		if held || len(rows) < b.opts.BatchSize {
			return nil
		}
	}
}

// admit returns the prefix of rows that may be handed out in id order: it stops at a missing id
// until GapWait has passed since it was first seen, then gives up on it (held is true when it
// stopped).
func (b *Broker) admit(rows []dbsqlc.Event, now time.Time) (ready []Event, held bool) {
	next := b.frontier() + 1
	for _, r := range rows {
		if r.ID > next {
			if b.gap.start != next {
				b.gap = gapState{start: next, since: now}
			}
			b.gap.end = r.ID - 1
			if now.Sub(b.gap.since) < b.opts.GapWait {
				return ready, true
			}
			b.giveUp(b.gap.start, b.gap.end, now)
			b.gap = gapState{}
		}
		ready = append(ready, toEvent(r))
		next = r.ID + 1
	}
	b.gap = gapState{}
	return ready, false
}

// giveUp moves past missing ids, remembering them so that a late commit is still delivered.
func (b *Broker) giveUp(from, to int64, now time.Time) {
	b.log.Debug("realtime: moving past missing event ids", "from", from, "to", to)
	for id, until := range b.skipped {
		if now.After(until) {
			delete(b.skipped, id)
		}
	}
	if to-from+1 > maxRemembered || len(b.skipped) >= maxRemembered {
		return
	}
	for id := from; id <= to; id++ {
		b.skipped[id] = now.Add(b.opts.LateWindow)
	}
}

// recoverSkipped delivers the ids given up on whose transactions have committed since.
func (b *Broker) recoverSkipped(ctx context.Context, q *dbsqlc.Queries) error {
	now := time.Now()
	var ids []int64
	for id, until := range b.skipped {
		if now.After(until) {
			delete(b.skipped, id)
			continue
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	return b.deliverLate(ctx, q, ids)
}

// deliverLate hands out events whose ids the frontier has already passed.
func (b *Broker) deliverLate(ctx context.Context, q *dbsqlc.Queries, ids []int64) error {
	rows, err := q.RealtimeEventListByIDs(ctx, ids)
	if err != nil {
		return fmt.Errorf("read late events: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	events := db.MapSlice(rows, toEvent)
	for _, ev := range events {
		delete(b.skipped, ev.ID)
	}
	if err := b.loadSubscribedMessages(ctx, q, events); err != nil {
		return err
	}
	b.log.Debug("realtime: delivering late events", "count", len(events))
	b.dispatch(events, false)
	return nil
}

// loadSubscribedMessages completes message references once for every subscriber, in the
// workspaces that have subscribers (elsewhere nobody would read them).
func (b *Broker) loadSubscribedMessages(ctx context.Context, q *dbsqlc.Queries, events []Event) error {
	b.mu.Lock()
	var pick []int
	for i, ev := range events {
		if ev.messageID != 0 && len(b.subs[ev.WorkspaceID]) > 0 {
			pick = append(pick, i)
		}
	}
	b.mu.Unlock()
	if len(pick) == 0 {
		return nil
	}
	sub := make([]Event, len(pick))
	for j, i := range pick {
		sub[j] = events[i]
	}
	if err := loadMessages(ctx, q, sub); err != nil {
		return err
	}
	for j, i := range pick {
		events[i] = sub[j]
	}
	return nil
}

// dispatch hands events to their workspace's subscribers; advance moves the frontier (in-order
// events). It holds the lock throughout, so a Subscribe sees either none or all of a batch.
func (b *Broker) dispatch(events []Event, advance bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ev := range events {
		for s := range b.subs[ev.WorkspaceID] {
			select {
			case s.ch <- ev:
			default:
				b.endLocked(s, ErrTooSlow)
			}
		}
		if advance && ev.ID > b.last {
			b.last = ev.ID
		}
	}
}

func toEvent(r dbsqlc.Event) Event {
	ev := Event{
		ID: r.ID, WorkspaceID: r.WorkspaceID, Type: r.Type, CreatedAt: r.CreatedAt,
		ContactID: r.ContactID, ConversationID: r.ConversationID, ActorUserID: r.ActorUserID, Payload: r.Payload,
	}
	if len(ev.Payload) == 0 {
		ev.Payload = json.RawMessage(`{}`)
	}
	if r.Type == "message.created" {
		var p struct {
			MessageID int64           `json:"message_id"`
			Message   json.RawMessage `json:"message"`
		}
		if json.Unmarshal(r.Payload, &p) == nil && p.MessageID > 0 && (len(p.Message) == 0 || string(p.Message) == "null") {
			ev.messageID = p.MessageID
		}
	}
	return ev
}

// loadMessages puts the referenced message into payload.message of the events that only refer
// to one, in one query. A message of another workspace is never attached; a message that is
// gone leaves the reference as it is.
func loadMessages(ctx context.Context, q *dbsqlc.Queries, events []Event) error {
	var ids []int64
	for _, ev := range events {
		if ev.messageID != 0 {
			ids = append(ids, ev.messageID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := q.RealtimeMessageList(ctx, ids)
	if err != nil {
		return fmt.Errorf("realtime: load messages: %w", err)
	}
	byID := make(map[int64]dbsqlc.Message, len(rows))
	for _, m := range rows {
		byID[m.ID] = m
	}
	for i := range events {
		ev := &events[i]
		m, ok := byID[ev.messageID]
		if ev.messageID == 0 || !ok || m.WorkspaceID != ev.WorkspaceID {
			continue
		}
		var payload map[string]json.RawMessage
		if err := json.Unmarshal(ev.Payload, &payload); err != nil || payload == nil {
			payload = map[string]json.RawMessage{}
		}
		msg, err := json.Marshal(db.ToMessage(m))
		if err != nil {
			return fmt.Errorf("realtime: encode message: %w", err)
		}
		payload["message"] = msg
		merged, err := json.Marshal(payload)
		if err != nil {
			return fmt.Errorf("realtime: encode payload: %w", err)
		}
		ev.Payload, ev.messageID = merged, 0
	}
	return nil
}

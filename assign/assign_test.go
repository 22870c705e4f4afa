package assign

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db/dbtest"
)

// TestAssignBurst is the scenario: 200 conversations open at once for 5 online agents of
// capacity 10; nobody ever exceeds 10, the first 50 spread evenly, the rest wait and are all
// handed out by concurrent Reoffer calls as conversations close, each exactly once.
func TestAssignBurst(t *testing.T) {
	d := dbtest.Open(t)
	f := newFixture(t, d)
	const agents, capacity, total = 5, 10, 200
	users := map[int64]bool{}
	for i := 0; i < agents; i++ {
		users[f.user("online", capacity)] = true
	}
	convs := make([]int64, total)
	for i := range convs {
		convs[i] = f.conversation()
	}

	// A watcher samples the load throughout; the database has no constraint that would stop an
	// overfull agent, so this is the check.
	stop := make(chan struct{})
	var overload atomic.Int64
	var watch sync.WaitGroup
	watch.Add(1)
	go func() {
		defer watch.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			var max int64
			if err := d.Pool.QueryRow(f.ctx, `SELECT COALESCE(max(n), 0) FROM (SELECT count(*) AS n FROM conversations
				WHERE workspace_id = $1 AND status = 'open' AND assignee_id IS NOT NULL GROUP BY assignee_id) s`, f.ws).Scan(&max); err == nil && max > capacity {
				overload.Store(max)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	defer func() { close(stop); watch.Wait() }()

	var wg sync.WaitGroup
	var queued atomic.Int64
	errs := make(chan error, total)
	for _, c := range convs {
		wg.Add(1)
		go func(c int64) {
			defer wg.Done()
			u, q, err := Pick(f.ctx, d, Request{WorkspaceID: f.ws, ConversationID: c, Strategy: RoundRobin, OnlineOnly: true})
			if err != nil {
				errs <- err
				return
			}
			if q {
				queued.Add(1)
			} else if !users[u] {
				errs <- errors.New("picked a user outside the scope")
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("pick: %v", err)
	}
	if got := queued.Load(); got != total-agents*capacity {
		t.Fatalf("queued = %d, want %d", got, total-agents*capacity)
	}
	for u, n := range f.openCounts() {
		if n != capacity {
			t.Fatalf("user %d has %d open, want %d", u, n, capacity)
		}
	}
	if n := f.count(`SELECT count(*) FROM assignment_queue WHERE workspace_id = $1 AND state = 'waiting'`, f.ws); n != 150 {
		t.Fatalf("waiting rows = %d, want 150", n)
	}

	// Round robin: in every prefix of the first 50 decisions (outbox order, written under the
	// scope lock) the per-agent counts differ by at most one.
	rows, err := d.Pool.Query(f.ctx, `SELECT (payload->>'assignee_id')::bigint FROM events
		WHERE workspace_id = $1 AND type = 'conversation.assigned' ORDER BY id`, f.ws)
	if err != nil {
		t.Fatal(err)
	}
	per := map[int64]int{}
	i := 0
	for rows.Next() {
		var u int64
		if err := rows.Scan(&u); err != nil {
			t.Fatal(err)
		}
		per[u]++
		i++
		lo, hi := total, 0
		for id := range users {
			lo, hi = min(lo, per[id]), max(hi, per[id])
		}
		if hi-lo > 1 {
			t.Fatalf("after %d decisions the spread is %v (more than ±1)", i, per)
		}
	}
	rows.Close()
	if i != agents*capacity {
		t.Fatalf("assigned events = %d, want %d", i, agents*capacity)
	}

	// Close in batches and re-offer from several goroutines until everything is assigned.
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[int64]int{}
	var mu sync.Mutex
	for round := 0; ; round++ {
		if round > 100 {
			t.Fatal("queue never drained")
		}
		var open []int64
		r, err := d.Pool.Query(f.ctx, `SELECT id FROM conversations WHERE workspace_id = $1 AND status = 'open' AND assignee_id IS NOT NULL`, f.ws)
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
			var id int64
			_ = r.Scan(&id)
			open = append(open, id)
		}
		r.Close()
		rng.Shuffle(len(open), func(i, j int) { open[i], open[j] = open[j], open[i] })
		for _, c := range open[:min(len(open), 7+rng.IntN(10))] {
			f.close(c)
		}
		var rw sync.WaitGroup
		for g := 0; g < 4; g++ {
			rw.Add(1)
			go func() {
				defer rw.Done()
				got, exp, err := Reoffer(f.ctx, d, f.ws)
				if err != nil {
					t.Errorf("reoffer: %v", err)
					return
				}
				if len(exp) != 0 {
					t.Errorf("unexpected expiries: %v", exp)
				}
				mu.Lock()
				for _, a := range got {
					seen[a.ConversationID]++
				}
				mu.Unlock()
			}()
		}
		rw.Wait()
		if t.Failed() {
			t.FailNow()
		}
		for u, n := range f.openCounts() {
			if n > capacity {
				t.Fatalf("round %d: user %d has %d open", round, u, n)
			}
		}
		if f.count(`SELECT count(*) FROM assignment_queue WHERE workspace_id = $1 AND state = 'waiting'`, f.ws) == 0 {
			break
		}
	}
	if len(seen) != 150 {
		t.Fatalf("reoffer assigned %d distinct conversations, want 150", len(seen))
	}
	for c, n := range seen {
		if n != 1 {
			t.Fatalf("conversation %d re-offered %d times", c, n)
		}
	}
	if n := f.count(`SELECT count(*) FROM conversations WHERE workspace_id = $1 AND first_assigned_at IS NULL`, f.ws); n != 0 {
		t.Fatalf("%d conversations never assigned", n)
	}
	if n := f.count(`SELECT count(*) FROM (SELECT conversation_id FROM events WHERE workspace_id = $1
		AND type = 'conversation.assigned' GROUP BY conversation_id HAVING count(*) > 1) s`, f.ws); n != 0 {
		t.Fatalf("%d conversations assigned twice", n)
	}
	if n := f.count(`SELECT count(*) FROM events WHERE workspace_id = $1 AND type = 'conversation.assigned'`, f.ws); n != total {
		t.Fatalf("assigned events = %d, want %d", n, total)
	}
	if n := f.count(`SELECT count(*) FROM assignment_queue WHERE state = 'assigned'`); n != 150 {
		t.Fatalf("queue rows assigned = %d, want 150", n)
	}
	if n := f.count(`SELECT count(*) FROM contacts k JOIN conversations c ON c.contact_id = k.id
		WHERE c.workspace_id = $1 AND k.assignee_id IS DISTINCT FROM c.assignee_id`, f.ws); n != 0 {
		t.Fatalf("%d contacts disagree with their conversation's assignee", n)
	}
	if m := overload.Load(); m != 0 {
		t.Fatalf("an agent was seen with %d open conversations", m)
	}
}

func TestAssignOnlineOnly(t *testing.T) {
	f := newFixture(t, dbtest.Open(t))
	away := f.user("away", 0)
	offline := f.user("offline", 0)
	if u, q := f.pick(Request{ConversationID: f.conversation(), OnlineOnly: true}); !q || u != 0 {
		t.Fatalf("with nobody online: user %d queued %v, want queued", u, q)
	}
	online := f.user("online", 0)
	for i := 0; i < 3; i++ {
		if u, _ := f.pick(Request{ConversationID: f.conversation(), OnlineOnly: true}); u != online {
			t.Fatalf("online only picked %d, want %d (away %d, offline %d)", u, online, away, offline)
		}
	}
	// Without the restriction round robin reaches the others too.
	got := map[int64]bool{}
	for i := 0; i < 3; i++ {
		u, _ := f.pick(Request{ConversationID: f.conversation()})
		got[u] = true
	}
	if !got[away] || !got[offline] || !got[online] {
		t.Fatalf("round robin over everyone reached %v", got)
	}
	// The waiting conversation goes to the online agent on re-offer.
	assigned, _, err := Reoffer(f.ctx, f.d, f.ws)
	if err != nil || len(assigned) != 1 || assigned[0].UserID != online {
		t.Fatalf("reoffer = %+v, %v; want one to %d", assigned, err, online)
	}
}

func TestAssignLeastOpen(t *testing.T) {
	f := newFixture(t, dbtest.Open(t))
	a, b, c := f.user("online", 0), f.user("online", 0), f.user("online", 0)
	f.load(a, 3)
	f.load(b, 1)
	f.load(c, 2)
	if u, _ := f.pick(Request{ConversationID: f.conversation(), Strategy: LeastOpen}); u != b {
		t.Fatalf("least open picked %d, want %d", u, b)
	}
	// b and c now both have 2: c has never been auto-assigned, so it is idle longest.
	if u, _ := f.pick(Request{ConversationID: f.conversation(), Strategy: LeastOpen}); u != c {
		t.Fatalf("tie picked %d, want %d", u, c)
	}
	// A request limit of 3 excludes everyone now at 3.
	if u, q := f.pick(Request{ConversationID: f.conversation(), Strategy: LeastOpen, MaxOpen: 3}); u != b || q {
		t.Fatalf("picked %d queued %v, want %d", u, q, b)
	}
	if _, q := f.pick(Request{ConversationID: f.conversation(), Strategy: LeastOpen, MaxOpen: 3}); !q {
		t.Fatal("everyone at the request limit: want queued")
	}
}

func TestAssignCapacityDefaults(t *testing.T) {
	f := newFixture(t, dbtest.Open(t))
	own := f.user("online", 1)
	def := f.user("online", 0)
	f.exec(`UPDATE workspaces SET default_max_open_conversations = 2 WHERE id = $1`, f.ws)
	for i := 0; i < 3; i++ {
		f.pick(Request{ConversationID: f.conversation(), Strategy: LeastOpen})
	}
	if _, q := f.pick(Request{ConversationID: f.conversation(), Strategy: LeastOpen}); !q {
		t.Fatal("own limit 1 + workspace default 2 are full: want queued")
	}
	got := f.openCounts()
	if got[own] != 1 || got[def] != 2 {
		t.Fatalf("loads %v, want own=1 default=2", got)
	}
	// Raising the limit frees capacity for the waiting conversation.
	f.exec(`UPDATE users SET max_open_conversations = 2 WHERE id = $1`, own)
	assigned, _, err := Reoffer(f.ctx, f.d, f.ws)
	if err != nil || len(assigned) != 1 || assigned[0].UserID != own {
		t.Fatalf("reoffer = %+v, %v", assigned, err)
	}
}

func TestAssignTeamScope(t *testing.T) {
	f := newFixture(t, dbtest.Open(t))
	m1, m2 := f.user("online", 2), f.user("online", 2)
	outsider := f.user("online", 0)
	team := f.team(m1, m2)
	got := map[int64]int{}
	for i := 0; i < 4; i++ {
		u, q := f.pick(Request{ConversationID: f.conversation(), TeamID: team})
		if q {
			t.Fatalf("pick %d queued with team capacity left", i)
		}
		got[u]++
	}
	if got[m1] != 2 || got[m2] != 2 || got[outsider] != 0 {
		t.Fatalf("team picks %v, want 2 each for members %d %d", got, m1, m2)
	}
	if _, q := f.pick(Request{ConversationID: f.conversation(), TeamID: team}); !q {
		t.Fatal("team full: want queued although an outsider is free")
	}
	// A workspace-wide re-offer does not hand a team's waiting conversation to the outsider.
	assigned, _, err := Reoffer(f.ctx, f.d, f.ws)
	if err != nil || len(assigned) != 0 {
		t.Fatalf("reoffer = %+v, %v; want nothing", assigned, err)
	}
	// The workspace scope does reach the outsider.
	if u, _ := f.pick(Request{ConversationID: f.conversation()}); u != outsider {
		t.Fatalf("workspace pick %d, want outsider %d", u, outsider)
	}
}

func TestAssignCursorPersists(t *testing.T) {
	f := newFixture(t, dbtest.Open(t))
	a, b, c := f.user("online", 0), f.user("online", 0), f.user("online", 0)
	want := []int64{a, b, c, a, b}
	for i, w := range want {
		if u, _ := f.pick(Request{ConversationID: f.conversation()}); u != w {
			t.Fatalf("pick %d = %d, want %d", i, u, w)
		}
		var cur int64
		if err := f.d.Pool.QueryRow(f.ctx, `SELECT last_user_id FROM assignment_cursors WHERE workspace_id = $1 AND team_id = 0`, f.ws).Scan(&cur); err != nil || cur != w {
			t.Fatalf("cursor after pick %d = %d (%v), want %d", i, cur, err, w)
		}
	}
	// A user leaving the rotation is skipped; the order continues after the cursor (b).
	f.exec(`UPDATE users SET active = false WHERE id = $1`, c)
	if u, _ := f.pick(Request{ConversationID: f.conversation()}); u != a {
		t.Fatalf("after deactivating %d picked %d, want %d", c, u, a)
	}
	// A team has its own cursor.
	team := f.team(b, c)
	f.exec(`UPDATE users SET active = true WHERE id = $1`, c)
	if u, _ := f.pick(Request{ConversationID: f.conversation(), TeamID: team}); u != b {
		t.Fatalf("team's first pick %d, want %d", u, b)
	}
}

func TestAssignIdempotentAndErrors(t *testing.T) {
	f := newFixture(t, dbtest.Open(t))
	a := f.user("online", 0)
	f.user("online", 0)
	conv := f.conversation()
	u1, _ := f.pick(Request{ConversationID: conv})
	u2, _ := f.pick(Request{ConversationID: conv})
	if u1 != a || u2 != a {
		t.Fatalf("repeat pick = %d then %d, want %d twice", u1, u2, a)
	}
	if n := f.count(`SELECT count(*) FROM events WHERE conversation_id = $1 AND type = 'conversation.assigned'`, conv); n != 1 {
		t.Fatalf("events = %d, want 1", n)
	}
	closed := f.conversation()
	f.close(closed)
	if _, _, err := Pick(f.ctx, f.d, Request{WorkspaceID: f.ws, ConversationID: closed, Strategy: RoundRobin}); chatcenter.ErrorCode(err) != chatcenter.ECONFLICT {
		t.Fatalf("closed conversation: %v, want conflict", err)
	}
	other := newFixture(t, f.d)
	if _, _, err := Pick(f.ctx, f.d, Request{WorkspaceID: other.ws, ConversationID: conv, Strategy: RoundRobin}); chatcenter.ErrorCode(err) != chatcenter.ENOTFOUND {
		t.Fatalf("other workspace: %v, want not found", err)
	}
	if _, _, err := Pick(f.ctx, f.d, Request{WorkspaceID: f.ws, ConversationID: conv, Strategy: "random"}); chatcenter.ErrorCode(err) != chatcenter.EINVALID {
		t.Fatalf("bad strategy: %v, want invalid", err)
	}
}

func TestAssignExpiredAndCancel(t *testing.T) {
	f := newFixture(t, dbtest.Open(t))
	short, long, cancelled := f.conversation(), f.conversation(), f.conversation()
	for _, c := range []int64{short, short, long, cancelled} { // short twice: enqueueing is idempotent
		timeout := time.Hour
		if c == short {
			timeout = time.Millisecond
		}
		if _, q := f.pick(Request{ConversationID: c, OnlineOnly: true, Timeout: timeout}); !q {
			t.Fatal("nobody online: want queued")
		}
	}
	if n := f.count(`SELECT count(*) FROM assignment_queue WHERE conversation_id = $1`, short); n != 1 {
		t.Fatalf("rows for a twice-queued conversation = %d, want 1", n)
	}
	if ok, err := Cancel(f.ctx, f.d, f.ws, cancelled); err != nil || !ok {
		t.Fatalf("cancel = %v, %v", ok, err)
	}
	if ok, _ := Cancel(f.ctx, f.d, f.ws, cancelled); ok {
		t.Fatal("second cancel found an entry")
	}
	time.Sleep(20 * time.Millisecond)
	assigned, expired, err := Reoffer(f.ctx, f.d, f.ws)
	if err != nil || len(assigned) != 0 || len(expired) != 1 || expired[0].ConversationID != short {
		t.Fatalf("reoffer = %+v, %+v, %v; want %d expired", assigned, expired, err, short)
	}
	if _, expired, _ := Reoffer(f.ctx, f.d, f.ws); len(expired) != 0 {
		t.Fatalf("expiry reported twice: %+v", expired)
	}
	// An agent coming online takes the one still waiting, not the expired or cancelled ones.
	u := f.user("online", 0)
	assigned, _, err = Reoffer(f.ctx, f.d, f.ws)
	if err != nil || len(assigned) != 1 || assigned[0].ConversationID != long || assigned[0].UserID != u {
		t.Fatalf("reoffer = %+v, %v; want %d to %d", assigned, err, long, u)
	}
	// A waiting conversation closed without Cancel is dropped, not assigned.
	gone := f.conversation()
	f.user("online", 1)
	f.exec(`UPDATE users SET availability = 'offline' WHERE workspace_id = $1`, f.ws)
	if _, q := f.pick(Request{ConversationID: gone, OnlineOnly: true}); !q {
		t.Fatal("want queued")
	}
	f.close(gone)
	f.exec(`UPDATE users SET availability = 'online' WHERE workspace_id = $1`, f.ws)
	if assigned, _, err := Reoffer(f.ctx, f.d, f.ws); err != nil || len(assigned) != 0 {
		t.Fatalf("reoffer of a closed conversation = %+v, %v", assigned, err)
	}
	if n := f.count(`SELECT count(*) FROM assignment_queue WHERE state = 'waiting'`); n != 0 {
		t.Fatalf("waiting rows = %d, want 0", n)
	}
}

// BenchmarkAssignPick measures serialised round-robin decisions in one workspace scope.
func BenchmarkAssignPick(b *testing.B) {
	d := dbtest.Open(b)
	f := newFixture(b, d)
	for i := 0; i < 20; i++ {
		f.user("online", 0)
	}
	convs := make([]int64, b.N)
	for i := range convs {
		convs[i] = f.conversation()
	}
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c := convs[next.Add(1)-1]
			if _, _, err := Pick(ctx, d, Request{WorkspaceID: f.ws, ConversationID: c, Strategy: RoundRobin, OnlineOnly: true}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "decisions/s")
}

// TestAssignCrossScopeCapacity races a team scope and the workspace scope for the same agents:
// the scopes hold different cursor locks, so only the per-user lock and recount keep capacity.
func TestAssignCrossScopeCapacity(t *testing.T) {
	d := dbtest.Open(t)
	f := newFixture(t, d)
	a, b := f.user("online", 5), f.user("online", 5)
	team := f.team(a, b)
	var wg sync.WaitGroup
	var queued atomic.Int64
	for i := 0; i < 40; i++ {
		c := f.conversation()
		scope := int64(0)
		if i%2 == 0 {
			scope = team
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, q, err := Pick(f.ctx, d, Request{WorkspaceID: f.ws, ConversationID: c, TeamID: scope, Strategy: LeastOpen})
			if err != nil {
				t.Errorf("pick: %v", err)
			}
			if q {
				queued.Add(1)
			}
		}()
	}
	wg.Wait()
	got := f.openCounts()
	if got[a] != 5 || got[b] != 5 || queued.Load() != 30 {
		t.Fatalf("loads %v queued %d, want 5 each and 30 queued", got, queued.Load())
	}
}

// TestAssignSpecificUser: a request for one user waits for that user (online, below capacity),
// never goes to anyone else, and leaves the round-robin cursor alone.
func TestAssignSpecificUser(t *testing.T) {
	f := newFixture(t, dbtest.Open(t))
	wanted := f.user("offline", 1)
	other := f.user("online", 0)
	conv := f.conversation()
	if u, q := f.pick(Request{ConversationID: conv, UserID: wanted, OnlineOnly: true}); !q || u != 0 {
		t.Fatalf("offline user: got %d queued %v, want queued", u, q)
	}
	// Someone else is online: still waiting for the wanted user.
	if assigned, _, err := Reoffer(f.ctx, f.d, f.ws); err != nil || len(assigned) != 0 {
		t.Fatalf("reoffer with the user offline = %+v, %v", assigned, err)
	}
	f.exec(`UPDATE users SET availability = 'online' WHERE id = $1`, wanted)
	assigned, _, err := Reoffer(f.ctx, f.d, f.ws)
	if err != nil || len(assigned) != 1 || assigned[0].UserID != wanted || assigned[0].ConversationID != conv {
		t.Fatalf("reoffer = %+v, %v; want %d to %d", assigned, err, conv, wanted)
	}
	// At capacity (1): the next one for that user waits although another agent is free.
	if u, q := f.pick(Request{ConversationID: f.conversation(), UserID: wanted, OnlineOnly: true}); !q || u != 0 {
		t.Fatalf("user at capacity: got %d queued %v, want queued", u, q)
	}
	var cursor int64
	if err := f.d.Pool.QueryRow(f.ctx, `SELECT last_user_id FROM assignment_cursors WHERE workspace_id = $1 AND team_id = 0`, f.ws).Scan(&cursor); err != nil {
		t.Fatal(err)
	}
	if cursor != 0 {
		t.Fatalf("a user-specific assignment moved the round-robin cursor to %d", cursor)
	}
	// Round robin is unaffected: the free agent takes a general request.
	if u, _ := f.pick(Request{ConversationID: f.conversation(), OnlineOnly: true}); u != other {
		t.Fatalf("general pick got %d, want %d", u, other)
	}
}

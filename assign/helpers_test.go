package assign

import (
	"context"
	"fmt"
	"testing"

	"github.com/chatcenterhq/chatcenter/db"
)

// fixture builds rows directly: the engine is what is under test, not the API that creates users.
type fixture struct {
	t   testing.TB
	d   *db.DB
	ctx context.Context
	ws  int64
	n   int
}

func newFixture(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	f := &fixture{t: t, d: d, ctx: context.Background()}
	f.ws = f.id(`INSERT INTO workspaces (name) VALUES ('assign test') RETURNING id`)
	return f
}

func (f *fixture) id(sql string, args ...any) int64 {
	f.t.Helper()
	var id int64
	if err := f.d.Pool.QueryRow(f.ctx, sql, args...).Scan(&id); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
	return id
}

func (f *fixture) exec(sql string, args ...any) {
	f.t.Helper()
	if _, err := f.d.Pool.Exec(f.ctx, sql, args...); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
}

// user adds an agent with the given availability and capacity (0 = none of its own).
func (f *fixture) user(availability string, maxOpen int) int64 {
	f.t.Helper()
	f.n++
	var capacity any
	if maxOpen > 0 {
		capacity = maxOpen
	}
	return f.id(`INSERT INTO users (workspace_id, email, password_hash, role, availability, max_open_conversations)
		VALUES ($1, $2, 'x', 'agent', $3, $4) RETURNING id`,
		f.ws, fmt.Sprintf("agent%d-%d@example.com", f.ws, f.n), availability, capacity)
}

func (f *fixture) team(members ...int64) int64 {
	f.t.Helper()
	f.n++
	id := f.id(`INSERT INTO teams (workspace_id, name) VALUES ($1, $2) RETURNING id`, f.ws, fmt.Sprintf("team %d", f.n))
	for _, m := range members {
		f.exec(`INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)`, id, m)
	}
	return id
}

// conversation opens a conversation for a new contact and returns its id.
func (f *fixture) conversation() int64 {
	f.t.Helper()
	contact := f.id(`INSERT INTO contacts (workspace_id, first_name) VALUES ($1, 'c') RETURNING id`, f.ws)
	return f.id(`INSERT INTO conversations (workspace_id, contact_id, opened_source) VALUES ($1, $2, 'contact') RETURNING id`, f.ws, contact)
}

// load gives the user n open conversations assigned by hand.
func (f *fixture) load(userID int64, n int) {
	f.t.Helper()
	for i := 0; i < n; i++ {
		f.exec(`UPDATE conversations SET assignee_id = $1 WHERE id = $2`, userID, f.conversation())
	}
}

func (f *fixture) close(conversationID int64) {
	f.t.Helper()
	f.exec(`UPDATE conversations SET status = 'closed', closed_at = now() WHERE id = $1`, conversationID)
}

// openCounts counts each user's open assigned conversations straight from conversations.
func (f *fixture) openCounts() map[int64]int {
	f.t.Helper()
	rows, err := f.d.Pool.Query(f.ctx, `SELECT assignee_id, count(*) FROM conversations
		WHERE workspace_id = $1 AND status = 'open' AND assignee_id IS NOT NULL GROUP BY assignee_id`, f.ws)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var u int64
		var n int
		if err := rows.Scan(&u, &n); err != nil {
			f.t.Fatal(err)
		}
		out[u] = n
	}
	if err := rows.Err(); err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *fixture) count(sql string, args ...any) int {
	f.t.Helper()
	return int(f.id(sql, args...))
}

func (f *fixture) pick(r Request) (int64, bool) {
	f.t.Helper()
	r.WorkspaceID = f.ws
	if r.Strategy == "" {
		r.Strategy = RoundRobin
	}
	u, q, err := Pick(f.ctx, f.d, r)
	if err != nil {
		f.t.Fatalf("pick %+v: %v", r, err)
	}
	return u, q
}

package activities

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/db/dbtest"
)

// AutoAway honours each workspace's auto_away_minutes, skips inactive and not-online users, treats
// a user never seen as stale, and writes one event per change.
func TestAutoAwayPerWorkspace(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t)
	a := New(d, nil, nil)
	mk := func(ws int64, email, availability, lastSeen string, active bool) int64 {
		t.Helper()
		u, err := d.UserInsert(ctx, dbsqlc.UserInsertParams{WorkspaceID: ws, Email: email, PasswordHash: "x", Role: "agent"})
		require.NoError(t, err)
		_, err = d.Pool.Exec(ctx, "UPDATE users SET availability = $2, active = $3, last_seen_at = now() - $4::interval WHERE id = $1",
			u.ID, availability, active, lastSeen)
		require.NoError(t, err)
		return u.ID
	}
	quick, err := d.WorkspaceInsert(ctx, dbsqlc.WorkspaceInsertParams{Name: "Quick", Timezone: "UTC", Language: "en"})
	require.NoError(t, err)
	slow, err := d.WorkspaceInsert(ctx, dbsqlc.WorkspaceInsertParams{Name: "Slow", Timezone: "UTC", Language: "en"})
	require.NoError(t, err)
	_, err = d.Pool.Exec(ctx, "UPDATE workspaces SET auto_away_minutes = CASE WHEN id = $1 THEN 5 ELSE 60 END", quick.ID)
	require.NoError(t, err)

	stale := mk(quick.ID, "stale@q.test", "online", "6 minutes", true)
	mk(quick.ID, "fresh@q.test", "online", "4 minutes", true)
	mk(quick.ID, "inactive@q.test", "online", "1 hour", false)
	mk(quick.ID, "offline@q.test", "offline", "1 hour", true)
	never := mk(quick.ID, "never@q.test", "online", "0 seconds", true)
	_, err = d.Pool.Exec(ctx, "UPDATE users SET last_seen_at = NULL WHERE id = $1", never)
	require.NoError(t, err)
	mk(slow.ID, "slow@s.test", "online", "30 minutes", true)
	slowStale := mk(slow.ID, "slowstale@s.test", "online", "61 minutes", true)

	n, err := a.AutoAway(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, n)

	rows, err := d.Pool.Query(ctx, "SELECT id FROM users WHERE availability = 'away' AND away_automatic ORDER BY id")
	require.NoError(t, err)
	var away []int64
	for rows.Next() {
		var id int64
		require.NoError(t, rows.Scan(&id))
		away = append(away, id)
	}
	rows.Close()
	require.Equal(t, []int64{stale, never, slowStale}, away)

	var events int
	require.NoError(t, d.Pool.QueryRow(ctx, "SELECT count(*) FROM events WHERE type = $1 AND (payload->>'automatic')::boolean AND payload->>'availability' = 'away'", EventAvailabilityChanged).Scan(&events))
	require.Equal(t, 3, events)
}

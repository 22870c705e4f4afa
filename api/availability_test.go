package api

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
)

// usersAvailabilityEvents returns the automatic flags of the availability events, oldest first.
func usersAvailabilityEvents(e *usersEnv) []string {
	e.t.Helper()
	rows, err := e.s.DB.Pool.Query(context.Background(),
		"SELECT payload->>'availability' || ':' || (payload->>'automatic') FROM events WHERE type = 'user.availability_changed' ORDER BY id")
	require.NoError(e.t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(e.t, rows.Scan(&s))
		out = append(out, s)
	}
	return out
}

func TestUsersAvailabilityAutomaticFlag(t *testing.T) {
	e := usersSetup(t)
	u, tok := e.user("agent@acme.test", chatcenter.RoleAgent)
	var got chatcenter.User
	e.do(tok, "PUT", "/me/availability", map[string]any{"availability": "online"}, http.StatusOK, &got)

	// Away by the sweep, then chosen: the same availability, but no longer automatic, so a
	// heartbeat must not bring the agent back.
	e.exec("UPDATE users SET availability = 'away', away_automatic = true WHERE id = $1", u.ID)
	e.do(tok, "PUT", "/me/availability", map[string]any{"availability": "away"}, http.StatusOK, &got)
	e.do(tok, "POST", "/me/heartbeat", nil, http.StatusOK, &got)
	require.Equal(t, chatcenter.AvailabilityAway, got.Availability)
	require.Equal(t, []string{"online:false", "away:false"}, usersAvailabilityEvents(e))

	// The database refuses an automatic flag on anything but away.
	_, err := e.s.DB.Pool.Exec(context.Background(), "UPDATE users SET availability = 'online', away_automatic = true WHERE id = $1", u.ID)
	require.ErrorContains(t, err, "users_away_automatic_check")

	// Heartbeats record when the agent was last seen.
	e.exec("UPDATE users SET last_seen_at = now() - interval '1 hour' WHERE id = $1", u.ID)
	e.do(tok, "POST", "/me/heartbeat", map[string]any{}, http.StatusOK, &got)
	var recent bool
	require.NoError(t, e.s.DB.Pool.QueryRow(context.Background(), "SELECT last_seen_at > now() - interval '1 minute' FROM users WHERE id = $1", u.ID).Scan(&recent))
	require.True(t, recent)
	e.do(tok, "POST", "/me/heartbeat", map[string]any{"status": "online"}, http.StatusBadRequest, nil)
}

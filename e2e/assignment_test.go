package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/assign"
)

// TestCapacitySettingsReofferWaitingConversations: capacities are set through the API, and raising
// one hands a waiting conversation to the agent at once.
func TestCapacitySettingsReofferWaitingConversations(t *testing.T) {
	b := setup(t)
	convs := b.inboxThree()
	agent, agentToken := b.inboxUser("capacity@example.com", chatcenter.RoleAgent, "")
	ctx := context.Background()
	_, err := b.db.Pool.Exec(ctx, "UPDATE users SET availability = 'online' WHERE id = $1", agent.ID)
	require.NoError(t, err)

	var u chatcenter.User
	path := fmt.Sprintf("/api/v1/users/%d", agent.ID)
	for _, bad := range []any{0, -1, 1001, "x"} {
		b.do("PATCH", path, "", map[string]any{"max_open_conversations": bad}, http.StatusBadRequest, nil)
	}
	b.do("PATCH", path, "", map[string]any{"max_open_conversations": 1}, http.StatusOK, &u)
	require.EqualValues(t, 1, *u.MaxOpenConversations)

	req := func(name string) assign.Request {
		return assign.Request{WorkspaceID: b.owner.WorkspaceID, ConversationID: convs[name].ID, Strategy: assign.RoundRobin, OnlineOnly: true}
	}
	got, queued, err := assign.Pick(ctx, b.db, req("Ana"))
	require.NoError(t, err)
	require.False(t, queued)
	require.Equal(t, agent.ID, got)
	_, queued, err = assign.Pick(ctx, b.db, req("Bruno"))
	require.NoError(t, err)
	require.True(t, queued, "the only online agent is at capacity")

	b.do("PATCH", path, "", map[string]any{"max_open_conversations": 2}, http.StatusOK, &u)
	var assignee *int64
	require.NoError(t, b.db.Pool.QueryRow(ctx, "SELECT assignee_id FROM conversations WHERE id = $1", convs["Bruno"].ID).Scan(&assignee))
	require.NotNil(t, assignee, "raising the limit re-offers the waiting conversation")
	require.Equal(t, agent.ID, *assignee)

	// Workspace default.
	var st struct {
		Default *int32 `json:"default_max_open_conversations"`
	}
	b.do("GET", "/api/v1/settings/assignment", agentToken, nil, http.StatusOK, &st)
	require.Nil(t, st.Default)
	b.do("PUT", "/api/v1/settings/assignment", agentToken, map[string]any{"default_max_open_conversations": 5}, http.StatusForbidden, nil)
	b.do("PUT", "/api/v1/settings/assignment", "", map[string]any{"default_max_open_conversations": 0}, http.StatusBadRequest, nil)
	b.do("PUT", "/api/v1/settings/assignment", "", map[string]any{}, http.StatusBadRequest, nil)
	b.do("PUT", "/api/v1/settings/assignment", "", map[string]any{"default_max_open_conversations": 5}, http.StatusOK, &st)
	require.EqualValues(t, 5, *st.Default)
	b.do("PATCH", path, "", map[string]any{"max_open_conversations": nil}, http.StatusOK, &u)
	require.Nil(t, u.MaxOpenConversations, "null falls back to the workspace default")
	b.do("PUT", "/api/v1/settings/assignment", "", map[string]any{"default_max_open_conversations": nil}, http.StatusOK, &st)
	require.Nil(t, st.Default)
}

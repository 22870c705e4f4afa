package api

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
)

func TestUsersTeamNames(t *testing.T) {
	name, err := validateTeamName("  Support  ")
	require.NoError(t, err)
	require.Equal(t, "Support", name)
	for _, bad := range []string{"", "   ", string(make([]rune, 129))} {
		_, err := validateTeamName(bad)
		require.Error(t, err)
	}
}

// Concurrent replacements of a team's members end with exactly one of the lists, never a mix.
func TestUsersTeamMembersReplaceIsAtomic(t *testing.T) {
	e := usersSetup(t)
	_, tok := e.user("owner@acme.test", chatcenter.RoleOwner)
	var ids []int64
	for i := range 6 {
		u, _ := e.user("agent"+strconv.Itoa(i)+"@acme.test", chatcenter.RoleAgent)
		ids = append(ids, u.ID)
	}
	var tm team
	e.do(tok, "POST", "/teams", map[string]any{"name": "Support"}, http.StatusCreated, &tm)
	path := "/teams/" + strconv.FormatInt(tm.ID, 10) + "/members"
	lists := [][]int64{ids[:3], ids[3:]}
	for round := range 5 {
		var wg sync.WaitGroup
		for _, l := range lists {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e.do(tok, "PUT", path, map[string]any{"user_ids": l}, http.StatusOK, nil)
			}()
		}
		wg.Wait()
		e.do(tok, "GET", "/teams/"+strconv.FormatInt(tm.ID, 10), nil, http.StatusOK, &tm)
		require.True(t, slices.Equal(tm.MemberIDs, lists[0]) || slices.Equal(tm.MemberIDs, lists[1]), "round %d: %v", round, tm.MemberIDs)
	}

	// Bad input changes nothing.
	before := tm.MemberIDs
	e.do(tok, "PUT", path, map[string]any{"user_ids": []int64{ids[0], 0}}, http.StatusBadRequest, nil)
	e.do(tok, "GET", "/teams/"+strconv.FormatInt(tm.ID, 10), nil, http.StatusOK, &tm)
	require.Equal(t, before, tm.MemberIDs)
	var n int
	require.NoError(t, e.s.DB.Pool.QueryRow(context.Background(), "SELECT count(*) FROM events WHERE type = 'team.members_changed'").Scan(&n))
	require.GreaterOrEqual(t, n, 5)
}

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter/flows"
)

type templatesItem struct {
	Key         string   `json:"key"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Params      []string `json:"params"`
}

// templatesCreatedEvents counts flow.created events that name template key.
func templatesCreatedEvents(b *bundle, key string) int {
	b.t.Helper()
	var n int
	require.NoError(b.t, b.db.Pool.QueryRow(context.Background(),
		"SELECT count(*) FROM events WHERE type = 'flow.created' AND payload->>'template' = $1", key).Scan(&n))
	return n
}

func TestTemplates(t *testing.T) {
	b := setup(t)
	manager := flowsLogin(b, "manager@templates.example", "manager")
	agent := flowsLogin(b, "agent@templates.example", "agent")

	var l list[templatesItem]
	b.do("GET", "/api/v1/flows/templates", manager, nil, http.StatusOK, &l)
	require.Len(t, l.Items, len(flows.Templates()))
	require.Len(t, l.Items, 9)

	var team struct {
		ID int64 `json:"id"`
	}
	b.do("POST", "/api/v1/teams", "", map[string]any{"name": "Sales"}, http.StatusCreated, &team)

	for _, tpl := range l.Items {
		t.Run(tpl.Key, func(t *testing.T) {
			require.NotEmpty(t, tpl.Name)
			require.NotEmpty(t, tpl.Description)
			path := "/api/v1/flows/templates/" + tpl.Key

			// Without a body: a draft named after the template that publishes as is.
			var f flowsView
			b.do("POST", path, manager, nil, http.StatusCreated, &f)
			require.Equal(t, "draft", f.Status)
			require.Equal(t, tpl.Name, f.Name)
			require.NotEmpty(t, f.Draft.Steps)
			require.Equal(t, 1, templatesCreatedEvents(b, tpl.Key))
			var pub flowsView
			b.do("POST", fmt.Sprintf("/api/v1/flows/%d/publish", f.ID), manager, nil, http.StatusOK, &pub)
			require.Equal(t, "published", pub.Status)
			for _, s := range pub.Published.Definition.Steps {
				if s.AssignTo != nil {
					require.Equal(t, "workspace", s.AssignTo.Action, s.ID)
				}
			}

			if len(tpl.Params) == 0 {
				var e flowsErr
				b.do("POST", path, manager, map[string]any{"params": map[string]any{"team_id": team.ID}}, http.StatusBadRequest, &e)
				require.Equal(t, "invalid", e.Error.Code)
				return
			}
			// With a real team of the workspace: the team steps assign within it.
			b.do("POST", path, manager, map[string]any{"name": "Mine", "params": map[string]any{"team_id": team.ID}}, http.StatusCreated, &f)
			require.Equal(t, "Mine", f.Name)
			require.Equal(t, "draft", f.Status)
			teams := 0
			for _, s := range f.Draft.Steps {
				if s.AssignTo != nil && s.AssignTo.Action == "team" {
					require.Equal(t, team.ID, *s.AssignTo.TeamID)
					teams++
				}
			}
			require.Positive(t, teams)
			b.do("POST", fmt.Sprintf("/api/v1/flows/%d/publish", f.ID), manager, nil, http.StatusOK, &pub)
			require.Equal(t, "published", pub.Status)
			require.Equal(t, 2, templatesCreatedEvents(b, tpl.Key))
		})
	}

	// Bad input creates nothing.
	before := flowsEvents(b, "flow.created")
	var e flowsErr
	b.do("POST", "/api/v1/flows/templates/no_such_template", manager, nil, http.StatusNotFound, &e)
	require.Equal(t, "not_found", e.Error.Code)
	b.do("POST", "/api/v1/flows/templates/sales_round_robin", manager, map[string]any{"params": map[string]any{"team_id": team.ID + 1000}}, http.StatusNotFound, &e)
	require.Equal(t, "not_found", e.Error.Code)
	b.do("POST", "/api/v1/flows/templates/sales_round_robin", manager, map[string]any{"params": map[string]any{"team_id": -1}}, http.StatusBadRequest, nil)
	b.do("POST", "/api/v1/flows/templates/sales_round_robin", manager, map[string]any{"params": map[string]any{"sales_team_id": team.ID}}, http.StatusBadRequest, nil)
	b.do("POST", "/api/v1/flows/templates/sales_round_robin", manager, map[string]any{"name": " "}, http.StatusBadRequest, nil)
	b.do("POST", "/api/v1/flows/templates/sales_round_robin", manager, map[string]any{"nme": "x"}, http.StatusBadRequest, nil)
	// Agents may not see or use templates.
	b.do("GET", "/api/v1/flows/templates", agent, nil, http.StatusForbidden, nil)
	b.do("POST", "/api/v1/flows/templates/assign_to_agent", agent, nil, http.StatusForbidden, nil)
	require.Equal(t, before, flowsEvents(b, "flow.created"))

	// The workspace's limit of 100 flows applies to templates too.
	var all list[flowsView]
	b.do("GET", "/api/v1/flows?limit=100", manager, nil, http.StatusOK, &all)
	for i := len(all.Items); i < flows.MaxFlowsPerWorkspace; i++ {
		b.do("POST", "/api/v1/flows/templates/assign_to_agent", manager, nil, http.StatusCreated, nil)
	}
	b.do("POST", "/api/v1/flows/templates/assign_to_agent", manager, nil, http.StatusConflict, &e)
	require.Equal(t, "conflict", e.Error.Code)
}

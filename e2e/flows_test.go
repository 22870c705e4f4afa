package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/flows"
)

type flowsView struct {
	ID               int64      `json:"id"`
	Name             string     `json:"name"`
	Status           string     `json:"status"`
	TriggerType      string     `json:"trigger_type"`
	Draft            flows.Flow `json:"draft"`
	PublishedVersion *int32     `json:"published_version"`
	Published        *struct {
		Version    int32      `json:"version"`
		Definition flows.Flow `json:"definition"`
	} `json:"published"`
}

type flowsErr struct {
	Error struct{ Code, Message string } `json:"error"`
}

// flowsWelcome is a small valid flow: greet, wait a day, ask again through a jump.
func flowsWelcome(text string) flows.Flow {
	return flows.Flow{
		Trigger: flows.Trigger{Type: flows.TriggerConversationOpened, TriggerOncePerContact: true, Next: "hello",
			ConversationOpened: &flows.ConversationOpenedTrigger{Sources: []string{"contact"}}},
		Steps: []flows.Step{
			{ID: "hello", Type: flows.StepSendMessage, Next: "wait", SendMessage: &flows.SendMessage{Text: text}},
			{ID: "wait", Type: flows.StepWait, Next: "again", Wait: &flows.Wait{Seconds: 86400}},
			{ID: "again", Type: flows.StepJumpTo, Next: "tag", JumpTo: &flows.JumpTo{Target: "hello", MaxJumps: 2}},
			{ID: "tag", Type: flows.StepUpdateContactTag, UpdateContactTag: &flows.UpdateContactTag{Action: "add", Tags: []string{"greeted"}}},
		},
	}
}

func flowsLogin(b *bundle, email, role string) string {
	b.t.Helper()
	const pw = "flows-password"
	hash, err := hashForTest(pw)
	require.NoError(b.t, err)
	_, err = b.db.UserInsert(context.Background(), dbsqlc.UserInsertParams{
		WorkspaceID: b.owner.WorkspaceID, Email: email, PasswordHash: hash, Name: "Flows " + role, Role: role,
	})
	require.NoError(b.t, err)
	var login struct {
		Token string `json:"token"`
	}
	b.do("POST", "/api/v1/auth/login", "", map[string]any{"email": email, "password": pw}, http.StatusOK, &login)
	return login.Token
}

func flowsEvents(b *bundle, typ string) int {
	b.t.Helper()
	var n int
	require.NoError(b.t, b.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM events WHERE type = $1", typ).Scan(&n))
	return n
}

// TestFlowsLifecycle: create → publish (v1) → edit draft → publish (v2, v1 kept) → stop → clone →
// export/import round trip → delete; loops and orphans are refused at publish only.
func TestFlowsLifecycle(t *testing.T) {
	b := setup(t)
	manager := flowsLogin(b, "manager@flows.example", "manager")
	agent := flowsLogin(b, "agent@flows.example", "agent")

	var f flowsView
	b.do("POST", "/api/v1/flows", manager, map[string]any{"name": "Welcome", "definition": flowsWelcome("Hi!")}, http.StatusCreated, &f)
	require.Equal(t, "draft", f.Status)
	require.Equal(t, "conversation_opened", f.TriggerType)
	require.Nil(t, f.PublishedVersion)
	require.Equal(t, flowsWelcome("Hi!"), f.Draft)
	path := fmt.Sprintf("/api/v1/flows/%d", f.ID)

	// Agents cannot see or touch flows.
	b.do("GET", "/api/v1/flows", agent, nil, http.StatusForbidden, nil)
	b.do("POST", "/api/v1/flows", agent, map[string]any{"name": "x", "definition": flowsWelcome("x")}, http.StatusForbidden, nil)
	b.do("GET", path, agent, nil, http.StatusForbidden, nil)
	b.do("POST", path+"/publish", agent, nil, http.StatusForbidden, nil)
	b.do("DELETE", path, agent, nil, http.StatusForbidden, nil)

	b.do("POST", path+"/publish", manager, nil, http.StatusOK, &f)
	require.Equal(t, "published", f.Status)
	require.Equal(t, int32(1), *f.PublishedVersion)
	require.Equal(t, int32(1), f.Published.Version)
	require.Equal(t, 1, flowsEvents(b, "flow.published"))

	// Editing the draft leaves version 1 running.
	b.do("PATCH", path, manager, map[string]any{"name": "Welcome v2", "definition": flowsWelcome("Hello again!")}, http.StatusOK, &f)
	require.Equal(t, "published", f.Status)
	b.do("GET", path, "", nil, http.StatusOK, &f)
	require.Equal(t, "Welcome v2", f.Name)
	require.Equal(t, "Hello again!", f.Draft.Steps[0].SendMessage.Text)
	require.Equal(t, "Hi!", f.Published.Definition.Steps[0].SendMessage.Text)

	b.do("POST", path+"/publish", "", nil, http.StatusOK, &f)
	require.Equal(t, int32(2), *f.PublishedVersion)
	require.Equal(t, "Hello again!", f.Published.Definition.Steps[0].SendMessage.Text)
	var versions []int32
	rows, err := b.db.Pool.Query(context.Background(), "SELECT version FROM flow_versions WHERE flow_id = $1 ORDER BY version", f.ID)
	require.NoError(t, err)
	for rows.Next() {
		var v int32
		require.NoError(t, rows.Scan(&v))
		versions = append(versions, v)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []int32{1, 2}, versions)
	var v1 json.RawMessage
	require.NoError(t, b.db.Pool.QueryRow(context.Background(), "SELECT definition FROM flow_versions WHERE flow_id = $1 AND version = 1", f.ID).Scan(&v1))
	require.Contains(t, string(v1), `"Hi!"`)

	// A draft with a loop that never pauses is saved, but publishing it is refused and changes
	// nothing.
	loop := flowsWelcome("Loop")
	loop.Steps[1] = flows.Step{ID: "wait", Type: flows.StepAddComment, Next: "again", AddComment: &flows.AddComment{Text: "again"}}
	b.do("PATCH", path, "", map[string]any{"definition": loop}, http.StatusOK, nil)
	var e flowsErr
	b.do("POST", path+"/publish", "", nil, http.StatusBadRequest, &e)
	require.Contains(t, e.Error.Message, "Workflow loop detected")
	require.Contains(t, e.Error.Message, "hello")
	// An orphan step is refused too.
	orphan := flowsWelcome("Orphan")
	orphan.Steps = append(orphan.Steps, flows.Step{ID: "lost", Type: flows.StepOpenConversation})
	b.do("PATCH", path, "", map[string]any{"definition": orphan}, http.StatusOK, nil)
	b.do("POST", path+"/publish", "", nil, http.StatusBadRequest, &e)
	require.Contains(t, e.Error.Message, "lost: step is not reachable")
	b.do("GET", path, "", nil, http.StatusOK, &f)
	require.Equal(t, int32(2), *f.PublishedVersion)
	require.Equal(t, "published", f.Status)

	// Structural problems are refused on save, pointing at the step.
	bad := flowsWelcome("x")
	bad.Steps[1].Wait.Seconds = 8 * 24 * 3600
	bad.Steps[0].Next = "nowhere"
	b.do("PATCH", path, "", map[string]any{"definition": bad}, http.StatusBadRequest, &e)
	require.Contains(t, e.Error.Message, "wait.wait.seconds")
	require.Contains(t, e.Error.Message, `hello.next: no step has id "nowhere"`)
	b.do("POST", "/api/v1/flows", "", map[string]any{"name": "Bad", "definition": map[string]any{"trigger": map[string]any{"type": "manual"}, "steps": []any{map[string]any{"id": "a", "type": "wait", "wait": map[string]any{"secs": 1}}}}}, http.StatusBadRequest, &e)
	require.Contains(t, e.Error.Message, "invalid flow JSON schema")
	require.Contains(t, e.Error.Message, "secs")

	b.do("POST", path+"/stop", "", nil, http.StatusOK, &f)
	require.Equal(t, "stopped", f.Status)
	b.do("POST", path+"/stop", "", nil, http.StatusConflict, nil)
	require.Equal(t, 1, flowsEvents(b, "flow.stopped"))

	var clone flowsView
	b.do("POST", path+"/clone", "", nil, http.StatusCreated, &clone)
	require.NotEqual(t, f.ID, clone.ID)
	require.Equal(t, "Welcome v2 (copy)", clone.Name)
	require.Equal(t, "draft", clone.Status)
	require.Equal(t, f.Draft, clone.Draft)

	// Export then import: the same definition as a new draft.
	b.do("PATCH", path, "", map[string]any{"definition": flowsWelcome("Exported")}, http.StatusOK, nil)
	raw := b.do("GET", path+"/export", "", nil, http.StatusOK, nil)
	var imported flowsView
	b.do("POST", "/api/v1/flows/import", "", raw, http.StatusCreated, &imported)
	require.Equal(t, "Welcome v2", imported.Name)
	require.Equal(t, flowsWelcome("Exported"), imported.Draft)
	require.Equal(t, "draft", imported.Status)
	raw2 := b.do("GET", fmt.Sprintf("/api/v1/flows/%d/export", imported.ID), "", nil, http.StatusOK, nil)
	require.JSONEq(t, string(raw), string(raw2))
	b.do("POST", "/api/v1/flows/import", "", `{"name":"x","definition":{"trigger":{"type":"manual"},"steps":[],"extra":true}}`, http.StatusBadRequest, &e)
	require.Contains(t, e.Error.Message, "invalid flow JSON schema")
	b.do("POST", "/api/v1/flows/import", "", `{"nme":"x"}`, http.StatusBadRequest, &e)
	require.Contains(t, e.Error.Message, "Invalid JSON schema")

	var list struct {
		Items      []flowsView `json:"items"`
		NextCursor *string     `json:"next_cursor"`
	}
	b.do("GET", "/api/v1/flows?limit=2", "", nil, http.StatusOK, &list)
	require.Len(t, list.Items, 2)
	require.Equal(t, imported.ID, list.Items[0].ID)
	require.NotNil(t, list.NextCursor)
	b.do("GET", "/api/v1/flows?limit=2&cursor="+*list.NextCursor, "", nil, http.StatusOK, &list)
	require.Len(t, list.Items, 1)
	require.Equal(t, f.ID, list.Items[0].ID)

	b.do("DELETE", path, "", nil, http.StatusNoContent, nil)
	b.do("GET", path, "", nil, http.StatusNotFound, nil)
	var n int
	require.NoError(t, b.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM flow_versions WHERE flow_id = $1", f.ID).Scan(&n))
	require.Zero(t, n)
}

// TestFlowsTriggerAnotherFlow: the target must be a manual-trigger flow of the same workspace.
func TestFlowsTriggerAnotherFlow(t *testing.T) {
	b := setup(t)
	var target, caller flowsView
	b.do("POST", "/api/v1/flows", "", map[string]any{"name": "Target", "definition": flowsWelcome("t")}, http.StatusCreated, &target)
	def := flows.Flow{Trigger: flows.Trigger{Type: flows.TriggerIncomingWebhook, Next: "go"}, Steps: []flows.Step{
		{ID: "go", Type: flows.StepTriggerAnotherFlow, TriggerAnotherFlow: &flows.TriggerAnotherFlow{FlowID: target.ID}}}}
	b.do("POST", "/api/v1/flows", "", map[string]any{"name": "Caller", "definition": def}, http.StatusCreated, &caller)
	var e flowsErr
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/publish", caller.ID), "", nil, http.StatusBadRequest, &e)
	require.Contains(t, e.Error.Message, "does not have a manual trigger")
	manual := flowsWelcome("t")
	manual.Trigger = flows.Trigger{Type: flows.TriggerManual, Next: "hello"}
	b.do("PATCH", fmt.Sprintf("/api/v1/flows/%d", target.ID), "", map[string]any{"definition": manual}, http.StatusOK, nil)
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/publish", caller.ID), "", nil, http.StatusOK, nil)
}

// TestFlowsLimitPerWorkspace: the 101st flow (created, cloned or imported) is refused.
func TestFlowsLimitPerWorkspace(t *testing.T) {
	b := setup(t)
	var f flowsView
	for i := range flows.MaxFlowsPerWorkspace {
		b.do("POST", "/api/v1/flows", "", map[string]any{"name": fmt.Sprintf("Flow %d", i), "definition": flowsWelcome("x")}, http.StatusCreated, &f)
	}
	var e flowsErr
	b.do("POST", "/api/v1/flows", "", map[string]any{"name": "One too many", "definition": flowsWelcome("x")}, http.StatusConflict, &e)
	require.True(t, strings.Contains(e.Error.Message, "at most 100 flows"), e.Error.Message)
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/clone", f.ID), "", nil, http.StatusConflict, nil)
	raw := b.do("GET", fmt.Sprintf("/api/v1/flows/%d/export", f.ID), "", nil, http.StatusOK, nil)
	b.do("POST", "/api/v1/flows/import", "", raw, http.StatusConflict, nil)
	b.do("DELETE", fmt.Sprintf("/api/v1/flows/%d", f.ID), "", nil, http.StatusNoContent, nil)
	b.do("POST", "/api/v1/flows/import", "", raw, http.StatusCreated, nil)
}

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/api"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

// TestWorkspaceIsolation calls every route that takes an id, as workspace A's owner, with the ids
// of workspace B's resources: each must answer 404, and B's data must be untouched.
func TestWorkspaceIsolation(t *testing.T) {
	b := setup(t)
	ctx := context.Background()

	// Workspace B with its own owner, agent and one resource of every kind, made through its API.
	ws, err := b.db.WorkspaceInsert(ctx, dbsqlc.WorkspaceInsertParams{Name: "Other", Timezone: "UTC", Language: "en"})
	require.NoError(t, err)
	hash, err := hashForTest("other owner pw")
	require.NoError(t, err)
	_, err = b.db.UserInsert(ctx, dbsqlc.UserInsertParams{WorkspaceID: ws.ID, Email: "owner@other.example", PasswordHash: hash, Name: "Other Owner", Role: "owner"})
	require.NoError(t, err)
	agentB, err := b.db.UserInsert(ctx, dbsqlc.UserInsertParams{WorkspaceID: ws.ID, Email: "agent@other.example", PasswordHash: hash, Name: "Other Agent", Role: "agent"})
	require.NoError(t, err)
	var login struct{ Token string }
	b.request("POST", "/api/v1/auth/login", nil, map[string]any{"email": "owner@other.example", "password": "other owner pw"}, http.StatusOK, &login)
	tokB := login.Token

	ids := map[string]int64{"user": agentB.ID}
	var obj struct {
		ID int64 `json:"id"`
	}
	b.do("POST", "/api/v1/channels", tokB, map[string]any{"type": "telegram", "name": "B bot",
		"config": map[string]any{"bot_token": botToken, "secret_token": "b-secret-token", "api_base_url": b.telegram.srv.URL}}, http.StatusCreated, &obj)
	ids["channel"] = obj.ID
	b.request("POST", fmt.Sprintf("/webhooks/telegram/%d", obj.ID), map[string]string{"X-Telegram-Bot-Api-Secret-Token": "b-secret-token"},
		inboxUpdate(1, 9001, "Bea", "hello from B"), http.StatusOK, nil)
	var convB inboxRow
	b.eventually("B's conversation", func() bool {
		rows := b.inbox(tokB, "")
		if len(rows) == 1 {
			convB = rows[0]
			return true
		}
		return false
	})
	ids["conversation"], ids["contact"] = convB.ID, convB.ContactID
	require.NoError(t, b.db.Pool.QueryRow(ctx, "SELECT id FROM messages WHERE contact_id = $1", convB.ContactID).Scan(&obj.ID))
	ids["message"] = obj.ID
	b.do("POST", "/api/v1/teams", tokB, map[string]any{"name": "B team"}, http.StatusCreated, &obj)
	ids["team"] = obj.ID
	b.do("POST", "/api/v1/users/invitations", tokB, map[string]any{"email": "new@other.example", "role": "agent"}, http.StatusCreated, &obj)
	ids["invitation"] = obj.ID
	b.do("POST", "/api/v1/snippets", tokB, map[string]any{"name": "hello", "text": "Hi!"}, http.StatusCreated, &obj)
	ids["snippet"] = obj.ID
	b.do("POST", fmt.Sprintf("/api/v1/contacts/%d/comments", convB.ContactID), tokB, map[string]any{"text": fmt.Sprintf("look {{@user.%d}}", agentB.ID)}, http.StatusCreated, &obj)
	ids["comment"] = obj.ID
	require.NoError(t, b.db.Pool.QueryRow(ctx, "SELECT id FROM notifications WHERE user_id = $1", agentB.ID).Scan(&obj.ID))
	ids["notification"] = obj.ID
	b.do("POST", "/api/v1/settings/contact-fields", tokB, map[string]any{"name": "Plan", "type": "text"}, http.StatusCreated, &obj)
	ids["field"] = obj.ID
	b.do("POST", "/api/v1/settings/closing-notes/categories", tokB, map[string]any{"name": "Done"}, http.StatusCreated, &obj)
	ids["category"] = obj.ID
	files := &filesEnv{bundle: b}
	files.upload(tokB, "b.png", "image/png", filesPNG, http.StatusCreated, &obj)
	ids["file"] = obj.ID
	b.do("POST", "/api/v1/flows", tokB, map[string]any{"name": "B flow", "definition": map[string]any{"trigger": map[string]any{"type": "manual", "next": "a"}, "steps": []any{map[string]any{"id": "a", "type": "open_conversation"}}}}, http.StatusCreated, &obj)
	ids["flow"] = obj.ID
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/publish", obj.ID), tokB, nil, http.StatusOK, nil)
	var started struct{ Run struct{ ID int64 } }
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/runs", obj.ID), tokB, map[string]any{"contact_id": convB.ContactID}, http.StatusAccepted, &started)
	ids["run"] = started.Run.ID
	b.do("POST", "/api/v1/flows", tokB, map[string]any{"name": "B shortcut", "definition": map[string]any{"trigger": map[string]any{"type": "shortcut", "next": "a"}, "steps": []any{map[string]any{"id": "a", "type": "add_comment", "add_comment": map[string]any{"text": "from B"}}}}}, http.StatusCreated, &obj)
	ids["shortcut"] = obj.ID
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/publish", obj.ID), tokB, nil, http.StatusOK, nil)

	// Which B resource each parameterised route is about, by path prefix (longest first).
	kinds := []struct{ prefix, kind string }{
		{"/api/v1/settings/closing-notes/categories/", "category"},
		{"/api/v1/settings/contact-fields/", "field"},
		{"/api/v1/users/invitations/", "invitation"},
		{"/api/v1/notifications/", "notification"},
		{"/api/v1/conversations/", "conversation"},
		{"/api/v1/messages/", "message"},
		{"/api/v1/contacts/", "contact"},
		{"/api/v1/channels/", "channel"},
		{"/api/v1/comments/", "comment"},
		{"/api/v1/snippets/", "snippet"},
		{"/api/v1/files/", "file"},
		{"/api/v1/flows/", "flow"},
		{"/api/v1/teams/", "team"},
		{"/api/v1/users/", "user"},
	}
	checked := 0
	for _, r := range b.server.Routes() {
		if r.Permission == api.PermPublic || !strings.Contains(r.Path, "/:") {
			continue
		}
		// Template keys are global, not workspace data: there is nothing of B to reach.
		if strings.HasPrefix(r.Path, "/api/v1/flows/templates/") {
			continue
		}
		kind := ""
		for _, k := range kinds {
			if strings.HasPrefix(r.Path, k.prefix) {
				kind = k.kind
				break
			}
		}
		require.NotEmpty(t, kind, "route %s %s takes an id of a kind this test does not create: add it", r.Method, r.Path)
		path := strings.Replace(r.Path, "/:id", fmt.Sprintf("/%d", ids[kind]), 1)
		path = strings.Replace(path, "/:userID", fmt.Sprintf("/%d", agentB.ID), 1)
		path = strings.Replace(path, "/:run_id", fmt.Sprintf("/%d", ids["run"]), 1)
		path = strings.Replace(path, "/:flow_id", fmt.Sprintf("/%d", ids["shortcut"]), 1)
		require.NotContains(t, path, "/:", r.Path)
		var body any
		switch {
		case r.Method == http.MethodGet || r.Method == http.MethodDelete && !strings.HasSuffix(r.Path, "/tags"):
		case strings.HasSuffix(r.Path, "/tags"):
			body = []string{"vip"}
		default:
			body = map[string]any{}
		}
		status, raw := isolationCall(t, b, r.Method, path, body)
		if status != http.StatusNotFound || !strings.Contains(raw, `"code":"not_found"`) {
			t.Errorf("%s %s with workspace B's ids answered %d %s; want 404 not_found", r.Method, r.Path, status, raw)
		}
		checked++
	}
	require.Greater(t, checked, 40)

	// B is untouched.
	var contact chatcenter.Contact
	b.do("GET", fmt.Sprintf("/api/v1/contacts/%d", ids["contact"]), tokB, nil, http.StatusOK, &contact)
	require.Empty(t, contact.Tags)
	var conv chatcenter.Conversation
	b.do("GET", fmt.Sprintf("/api/v1/conversations/%d", ids["conversation"]), tokB, nil, http.StatusOK, &conv)
	require.Equal(t, chatcenter.ConversationOpen, conv.Status)
	b.do("GET", fmt.Sprintf("/api/v1/channels/%d", ids["channel"]), tokB, nil, http.StatusOK, nil)
	b.do("GET", fmt.Sprintf("/api/v1/files/%d", ids["file"]), tokB, nil, http.StatusOK, nil)
	b.do("GET", fmt.Sprintf("/api/v1/teams/%d", ids["team"]), tokB, nil, http.StatusOK, nil)
	var run struct{ Status string }
	b.do("GET", fmt.Sprintf("/api/v1/flows/%d/runs/%d", ids["flow"], ids["run"]), tokB, nil, http.StatusOK, &run)
	require.NotEqual(t, "stopped", run.Status)
	var u chatcenter.User
	b.do("GET", fmt.Sprintf("/api/v1/users/%d", agentB.ID), tokB, nil, http.StatusOK, &u)
	require.True(t, u.Active)
	// And A's lists show nothing of B.
	require.Empty(t, b.inbox("", ""))
	var l list[map[string]any]
	for _, p := range []string{"/api/v1/contacts", "/api/v1/files", "/api/v1/snippets", "/api/v1/teams", "/api/v1/channels", "/api/v1/notifications", "/api/v1/shortcuts"} {
		b.do("GET", p, "", nil, http.StatusOK, &l)
		require.Empty(t, l.Items, p)
	}
}

func isolationCall(t *testing.T, b *bundle, method, path string, body any) (int, string) {
	t.Helper()
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.api.URL+path, r)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+b.token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

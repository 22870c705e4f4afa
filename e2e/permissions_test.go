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
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/api"
)

// permUser is one caller of the role matrix.
type permUser struct {
	name  string
	user  chatcenter.User
	token string
}

// TestRoleMatrix calls every registered route as every role (and as restricted managers and
// agents) and checks allow/deny against the permission table in api/permissions.go. Ids in paths
// do not exist, so allowed calls change nothing: they may fail validation or answer 404, but never
// 401 or 403; denied calls must answer 403 before anything is looked at.
func TestRoleMatrix(t *testing.T) {
	b := setup(t)
	users := []permUser{{name: "owner", user: b.owner, token: b.token}}
	for _, spec := range []struct {
		name, role, restrictions string
	}{
		{"manager", "manager", ""},
		{"agent", "agent", ""},
		{"restricted-manager", "manager", `{"restrict_space_setting":true,"restrict_space_integration":true,"restrict_contact_deletion":true,"restrict_data_export":true,"restrict_shortcuts":true}`},
		{"restricted-agent", "agent", `{"show_only_mine":true,"restrict_contact_deletion":true,"restrict_data_export":true,"restrict_shortcuts":true}`},
	} {
		u, token := b.inboxUser(spec.name+"@example.com", chatcenter.Role(spec.role), spec.restrictions)
		var me chatcenter.User
		b.do("GET", "/api/v1/me", token, nil, http.StatusOK, &me)
		require.Equal(t, u.ID, me.ID)
		users = append(users, permUser{name: spec.name, user: me, token: token})
	}

	client := &http.Client{Timeout: 10 * time.Second}
	checked := 0
	for _, r := range b.server.Routes() {
		if r.Permission == api.PermPublic {
			continue
		}
		if r.Method == http.MethodPost && r.Path == "/api/v1/auth/logout" {
			continue // would revoke the caller's token; covered by TestLoginAndHealth
		}
		path := pathWithMissingIDs(r.Path)
		for _, u := range users {
			want := api.Allowed(&u.user, r.Permission)
			status, body := permCall(t, client, b.api.URL, r.Method, path, u.token)
			if want {
				require.NotContains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, status,
					"%s %s as %s should be allowed (%s): %d %s", r.Method, r.Path, u.name, r.Permission, status, body)
			} else {
				require.Equal(t, http.StatusForbidden, status, "%s %s as %s should be denied (%s): %s", r.Method, r.Path, u.name, r.Permission, body)
				require.Contains(t, body, `"code":"forbidden"`)
			}
			checked++
		}
		// And nobody without a token.
		status, _ := permCall(t, client, b.api.URL, r.Method, path, "")
		require.Equal(t, http.StatusUnauthorized, status, "%s %s without a token", r.Method, r.Path)
	}
	require.Greater(t, checked, 100)
}

// pathWithMissingIDs fills every path parameter with an id no workspace has.
func pathWithMissingIDs(p string) string {
	parts := strings.Split(p, "/")
	for i, part := range parts {
		if strings.HasPrefix(part, ":") || strings.HasPrefix(part, "*") {
			parts[i] = "987654321"
		}
	}
	return strings.Join(parts, "/")
}

func permCall(t *testing.T, client *http.Client, base, method, path, token string) (int, string) {
	t.Helper()
	var body io.Reader
	if method != http.MethodGet && method != http.MethodDelete {
		body = bytes.NewReader([]byte(`{}`))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	require.NoError(t, err, "%s %s", method, path)
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp.StatusCode, ""
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	if resp.StatusCode >= 400 {
		require.NoError(t, json.Unmarshal(raw, &e), "%s %s answered %d without the error body: %s", method, path, resp.StatusCode, raw)
		require.NotEmpty(t, e.Error.Code, fmt.Sprintf("%s %s", method, path))
	}
	return resp.StatusCode, string(raw)
}

package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/db/dbtest"
	"github.com/chatcenterhq/chatcenter/secret"
)

// usersEnv is an API (without Temporal) over a fresh database with one workspace.
type usersEnv struct {
	t   *testing.T
	s   *Server
	srv *httptest.Server
	ws  int64
}

func usersSetup(t *testing.T) *usersEnv {
	t.Helper()
	d := dbtest.Open(t)
	s := &Server{DB: d, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	ws, err := d.WorkspaceInsert(context.Background(), dbsqlc.WorkspaceInsertParams{Name: "Acme", Timezone: "UTC", Language: "en"})
	require.NoError(t, err)
	return &usersEnv{t: t, s: s, srv: srv, ws: ws.ID}
}

// user creates a user of the workspace with a live session and returns it with its token.
func (e *usersEnv) user(email string, role chatcenter.Role) (dbsqlc.User, string) {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.s.DB.UserInsert(ctx, dbsqlc.UserInsertParams{WorkspaceID: e.ws, Email: email, PasswordHash: "x", Name: email, Role: string(role)})
	require.NoError(e.t, err)
	token := secret.RandomToken(32)
	_, err = e.s.DB.SessionInsert(ctx, dbsqlc.SessionInsertParams{UserID: u.ID, TokenHash: secret.HashToken(token), ExpiresAt: time.Now().Add(time.Hour)})
	require.NoError(e.t, err)
	return u, token
}

func (e *usersEnv) do(token, method, path string, body any, want int, out any) {
	e.t.Helper()
	raw, err := json.Marshal(body)
	require.NoError(e.t, err)
	req, err := http.NewRequest(method, e.srv.URL+"/api/v1"+path, bytes.NewReader(raw))
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	require.Equal(e.t, want, resp.StatusCode, "%s %s: %s", method, path, got)
	if out != nil {
		require.NoError(e.t, json.Unmarshal(got, out))
	}
}

func (e *usersEnv) exec(query string, args ...any) {
	e.t.Helper()
	_, err := e.s.DB.Pool.Exec(context.Background(), query, args...)
	require.NoError(e.t, err)
}

func TestUsersRestrictionKeysAreThePermissionTables(t *testing.T) {
	// Every restriction a grant can be narrowed by must be assignable.
	for p, g := range grants {
		if g.restrictedBy != "" {
			require.NoError(t, validateRestrictions(map[string]bool{g.restrictedBy: true}), p)
		}
	}
	require.NoError(t, validateRestrictions(map[string]bool{RestrictShowOnlyMine: true, RestrictShowTeamContacts: false}))
	require.NoError(t, validateRestrictions(nil))
	require.ErrorContains(t, validateRestrictions(map[string]bool{"show_everything": true}), `unknown restriction "show_everything"`)
	require.JSONEq(t, `{}`, string(encodeRestrictions(nil)))
}

func TestUsersInputValidation(t *testing.T) {
	for _, ok := range []string{"ana@example.com", " ana.silva+inbox@sub.example.co ", "A@B.io"} {
		got, err := normalizeEmail(ok)
		require.NoError(t, err, ok)
		require.Equal(t, strings.TrimSpace(ok), got)
	}
	for _, bad := range []string{"", "ana", "Ana <ana@example.com>", "ana@example.com, bob@example.com", strings.Repeat("a", 250) + "@x.io"} {
		_, err := normalizeEmail(bad)
		require.Error(t, err, bad)
	}
	for _, ok := range []string{"en", "pt-BR", "zh-Hant", "es-419", "fil"} {
		require.True(t, languageTag.MatchString(ok), ok)
	}
	for _, bad := range []string{"e", "pt_BR", "english!", "-en", "en-"} {
		require.False(t, languageTag.MatchString(bad), bad)
	}
	name, err := validateName("  Ana  ")
	require.NoError(t, err)
	require.Equal(t, "Ana", name)
	_, err = validateName(strings.Repeat("é", 129))
	require.Error(t, err)
}

func TestUsersLastActiveOwnerIsKept(t *testing.T) {
	e := usersSetup(t)
	ctx := context.Background()
	e.user("owner@acme.test", chatcenter.RoleOwner)
	check := func() error {
		return e.s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
			if err := lockOwners(ctx, q, e.ws); err != nil {
				return err
			}
			return requireAnotherOwner(ctx, q, e.ws, "demoted")
		})
	}
	require.Equal(t, chatcenter.ECONFLICT, chatcenter.ErrorCode(check()))
	second, _ := e.user("owner2@acme.test", chatcenter.RoleOwner)
	require.NoError(t, check())
	e.exec("UPDATE users SET active = false WHERE id = $1", second.ID)
	require.Equal(t, chatcenter.ECONFLICT, chatcenter.ErrorCode(check()), "an inactive owner does not count")
}

func TestUsersInvitationRolesAndReplacement(t *testing.T) {
	e := usersSetup(t)
	_, otok := e.user("owner@acme.test", chatcenter.RoleOwner)
	_, mtok := e.user("manager@acme.test", chatcenter.RoleManager)
	e.s.LocalURL = "http://chat.internal:8080"
	e.s.PublicURL = "https://chat.example.com/"

	var inv invitationResponse
	e.do(mtok, "POST", "/users/invitations", map[string]any{"email": "m2@acme.test", "role": "manager"}, http.StatusCreated, &inv)
	require.True(t, strings.HasPrefix(inv.InviteURL, "https://chat.example.com/accept-invitation?token="), "PUBLIC_URL wins: %s", inv.InviteURL)
	e.do(mtok, "POST", "/users/invitations", map[string]any{"email": "o2@acme.test", "role": "owner"}, http.StatusForbidden, nil)
	// A manager cannot revoke an owner's invitation either.
	var ownerInv invitationResponse
	e.do(otok, "POST", "/users/invitations", map[string]any{"email": "o2@acme.test", "role": "owner"}, http.StatusCreated, &ownerInv)
	e.do(mtok, "DELETE", "/users/invitations/"+strconv.FormatInt(ownerInv.ID, 10), nil, http.StatusForbidden, nil)
	var l listResponse[invitationResponse]
	e.do(otok, "GET", "/users/invitations?limit=1", nil, http.StatusOK, &l)
	require.Len(t, l.Items, 1)
	require.Equal(t, ownerInv.ID, l.Items[0].ID, "newest first")
	require.NotNil(t, l.NextCursor)
	e.do(otok, "GET", "/users/invitations?cursor="+*l.NextCursor, nil, http.StatusOK, &l)
	require.Len(t, l.Items, 1)
	require.Equal(t, inv.ID, l.Items[0].ID)
	require.Nil(t, l.NextCursor)

	// Re-inviting keeps one pending invitation per e-mail, with the new role.
	e.do(otok, "POST", "/users/invitations", map[string]any{"email": "M2@acme.test", "role": "agent"}, http.StatusCreated, &inv)
	var n int
	require.NoError(t, e.s.DB.Pool.QueryRow(context.Background(), "SELECT count(*) FROM invitations WHERE lower(email) = 'm2@acme.test' AND role = 'agent'").Scan(&n))
	require.Equal(t, 1, n)
}

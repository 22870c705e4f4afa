package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/activities"
	"github.com/chatcenterhq/chatcenter/api"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/mail"
	"github.com/chatcenterhq/chatcenter/secret"
	"github.com/chatcenterhq/chatcenter/workflows"
)

// usersLogin logs in and returns the token, failing the test unless the answer is 200.
func usersLogin(b *bundle, email, password string) string {
	b.t.Helper()
	var out struct {
		Token string `json:"token"`
	}
	b.request("POST", "/api/v1/auth/login", nil, map[string]any{"email": email, "password": password}, http.StatusOK, &out)
	require.NotEmpty(b.t, out.Token)
	return out.Token
}

// usersCreate inserts a user of the owner's workspace and logs them in.
func usersCreate(b *bundle, email string, role chatcenter.Role) (chatcenter.User, string) {
	b.t.Helper()
	hash, err := hashForTest("password " + email)
	require.NoError(b.t, err)
	u, err := b.db.UserInsert(context.Background(), dbsqlc.UserInsertParams{
		WorkspaceID: b.owner.WorkspaceID, Email: email, PasswordHash: hash, Name: string(role) + " " + email, Role: string(role),
	})
	require.NoError(b.t, err)
	var me chatcenter.User
	token := usersLogin(b, email, "password "+email)
	b.do("GET", "/api/v1/me", token, nil, http.StatusOK, &me)
	require.Equal(b.t, u.ID, me.ID)
	return me, token
}

type usersEvent struct {
	Type        string
	ActorUserID *int64
	Payload     map[string]any
}

// usersEvents returns the workspace's events of one type, oldest first.
func usersEvents(b *bundle, workspaceID int64, typ string) []usersEvent {
	b.t.Helper()
	rows, err := b.db.Pool.Query(context.Background(),
		"SELECT type, actor_user_id, payload FROM events WHERE workspace_id = $1 AND type = $2 ORDER BY id", workspaceID, typ)
	require.NoError(b.t, err)
	defer rows.Close()
	var out []usersEvent
	for rows.Next() {
		var e usersEvent
		var raw []byte
		require.NoError(b.t, rows.Scan(&e.Type, &e.ActorUserID, &raw))
		require.NoError(b.t, json.Unmarshal(raw, &e.Payload))
		out = append(out, e)
	}
	require.NoError(b.t, rows.Err())
	return out
}

type usersInvitation struct {
	ID           int64           `json:"id"`
	Email        string          `json:"email"`
	Role         string          `json:"role"`
	Restrictions map[string]bool `json:"restrictions"`
	ExpiresAt    time.Time       `json:"expires_at"`
	Expired      bool            `json:"expired"`
	InviteURL    string          `json:"invite_url"`
}

type usersLoginResponse struct {
	Token     string          `json:"token"`
	ExpiresAt time.Time       `json:"expires_at"`
	User      chatcenter.User `json:"user"`
}

type usersUser struct {
	chatcenter.User
	TeamIDs       []int64    `json:"team_ids"`
	DeactivatedAt *time.Time `json:"deactivated_at"`
}

func usersTokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	require.NoError(t, err)
	tok := u.Query().Get("token")
	require.NotEmpty(t, tok, link)
	return tok
}

func TestUsersInvitationFlowWithoutSMTP(t *testing.T) {
	b := setup(t)
	ctx := context.Background()

	// Bad input is refused and stores nothing.
	b.do("POST", "/api/v1/users/invitations", "", map[string]any{"email": "ana@example.com", "role": "agent",
		"restrictions": map[string]bool{"show_everything": true}}, http.StatusBadRequest, nil)
	b.do("POST", "/api/v1/users/invitations", "", map[string]any{"email": "not an e-mail", "role": "agent"}, http.StatusBadRequest, nil)
	b.do("POST", "/api/v1/users/invitations", "", map[string]any{"email": "ana@example.com", "role": "admin"}, http.StatusBadRequest, nil)
	b.do("POST", "/api/v1/users/invitations", "", map[string]any{"email": adminEmail, "role": "agent"}, http.StatusConflict, nil)
	b.do("POST", "/api/v1/users/invitations", "", map[string]any{"email": strings.ToUpper(adminEmail), "role": "agent"}, http.StatusConflict, nil)
	var l list[usersInvitation]
	b.do("GET", "/api/v1/users/invitations", "", nil, http.StatusOK, &l)
	require.Empty(t, l.Items)

	var inv usersInvitation
	b.do("POST", "/api/v1/users/invitations", "", map[string]any{"email": "ana@example.com", "role": "agent",
		"restrictions": map[string]bool{api.RestrictShowOnlyMine: true}}, http.StatusCreated, &inv)
	require.Equal(t, "ana@example.com", inv.Email)
	require.Equal(t, "agent", inv.Role)
	require.Equal(t, map[string]bool{"show_only_mine": true}, inv.Restrictions)
	require.WithinDuration(t, time.Now().Add(7*24*time.Hour), inv.ExpiresAt, time.Minute)
	require.True(t, strings.HasPrefix(inv.InviteURL, b.api.URL+"/accept-invitation?token="), inv.InviteURL)
	token := usersTokenOf(t, inv.InviteURL)

	// Only the token's SHA-256 is stored.
	var stored []byte
	require.NoError(t, b.db.Pool.QueryRow(ctx, "SELECT token_hash FROM invitations WHERE id = $1", inv.ID).Scan(&stored))
	require.Equal(t, secret.HashToken(token), stored)
	raw := b.do("GET", "/api/v1/users/invitations", "", nil, http.StatusOK, &l)
	require.Len(t, l.Items, 1)
	require.Empty(t, l.Items[0].InviteURL)
	require.NotContains(t, string(raw), token)
	require.Len(t, usersEvents(b, b.owner.WorkspaceID, "user.invited"), 1)

	// Inviting again replaces the invitation: the first link stops working.
	var again usersInvitation
	b.do("POST", "/api/v1/users/invitations", "", map[string]any{"email": "Ana@example.com", "role": "manager"}, http.StatusCreated, &again)
	require.Equal(t, inv.ID, again.ID)
	b.request("POST", "/api/v1/auth/accept-invitation", nil, map[string]any{"token": token, "name": "Ana", "password": "ana password"}, http.StatusBadRequest, nil)
	token = usersTokenOf(t, again.InviteURL)

	// Accepting validates first and consumes nothing on bad input.
	b.request("POST", "/api/v1/auth/accept-invitation", nil, map[string]any{"token": token, "name": "Ana", "password": "short"}, http.StatusBadRequest, nil)
	b.request("POST", "/api/v1/auth/accept-invitation", nil, map[string]any{"token": token, "name": " ", "password": "ana password"}, http.StatusBadRequest, nil)

	var acc usersLoginResponse
	b.request("POST", "/api/v1/auth/accept-invitation", nil, map[string]any{"token": token, "name": "Ana Silva", "password": "ana password"}, http.StatusOK, &acc)
	require.NotEmpty(t, acc.Token)
	require.Equal(t, "Ana@example.com", acc.User.Email)
	require.Equal(t, "Ana Silva", acc.User.Name)
	require.Equal(t, chatcenter.RoleManager, acc.User.Role)
	require.Equal(t, b.owner.WorkspaceID, acc.User.WorkspaceID)
	var me chatcenter.User
	b.do("GET", "/api/v1/me", acc.Token, nil, http.StatusOK, &me)
	require.Equal(t, acc.User.ID, me.ID)
	usersLogin(b, "ana@example.com", "ana password")
	require.Len(t, usersEvents(b, b.owner.WorkspaceID, "user.created"), 1)

	// The link works once.
	b.request("POST", "/api/v1/auth/accept-invitation", nil, map[string]any{"token": token, "name": "Eve", "password": "eve password"}, http.StatusBadRequest, nil)
	b.do("GET", "/api/v1/users/invitations", "", nil, http.StatusOK, &l)
	require.Empty(t, l.Items)

	// A revoked invitation cannot be accepted; an expired one neither.
	b.do("POST", "/api/v1/users/invitations", "", map[string]any{"email": "bob@example.com", "role": "agent"}, http.StatusCreated, &inv)
	b.do("DELETE", fmt.Sprintf("/api/v1/users/invitations/%d", inv.ID), "", nil, http.StatusNoContent, nil)
	b.do("DELETE", fmt.Sprintf("/api/v1/users/invitations/%d", inv.ID), "", nil, http.StatusNotFound, nil)
	b.request("POST", "/api/v1/auth/accept-invitation", nil, map[string]any{"token": usersTokenOf(t, inv.InviteURL), "name": "Bob", "password": "bob password"}, http.StatusBadRequest, nil)
	b.do("POST", "/api/v1/users/invitations", "", map[string]any{"email": "bob@example.com", "role": "agent"}, http.StatusCreated, &inv)
	_, err := b.db.Pool.Exec(ctx, "UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = $1", inv.ID)
	require.NoError(t, err)
	b.do("GET", "/api/v1/users/invitations", "", nil, http.StatusOK, &l)
	require.Len(t, l.Items, 1)
	require.True(t, l.Items[0].Expired)
	b.request("POST", "/api/v1/auth/accept-invitation", nil, map[string]any{"token": usersTokenOf(t, inv.InviteURL), "name": "Bob", "password": "bob password"}, http.StatusBadRequest, nil)

	// An invitation whose e-mail got an account meanwhile answers 409.
	b.do("POST", "/api/v1/users/invitations", "", map[string]any{"email": "carol@example.com", "role": "agent"}, http.StatusCreated, &inv)
	usersCreate(b, "carol@example.com", chatcenter.RoleAgent)
	b.request("POST", "/api/v1/auth/accept-invitation", nil, map[string]any{"token": usersTokenOf(t, inv.InviteURL), "name": "Carol", "password": "carol password"}, http.StatusConflict, nil)
}

// usersMailbox is an in-process SMTP server (go-smtp) that requires PLAIN authentication as
// mailer/mailer-pw and keeps every message it accepts.
type usersMailbox struct {
	addr string
	mu   sync.Mutex
	msgs []usersMail
}

type usersMail struct {
	From string
	To   []string
	User string
	Data []byte
}

func usersStartMailbox(t *testing.T) *usersMailbox {
	box := &usersMailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &usersSMTPSession{box: box}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	box.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return box
}

func (m *usersMailbox) all() []usersMail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]usersMail(nil), m.msgs...)
}

type usersSMTPSession struct {
	box *usersMailbox
	cur usersMail
}

func (s *usersSMTPSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *usersSMTPSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "mailer" || pass != "mailer-pw" {
			return errors.New("invalid credentials")
		}
		s.cur.User = user
		return nil
	}), nil
}

func (s *usersSMTPSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.cur.User == "" {
		return smtp.ErrAuthRequired
	}
	s.cur.From = from
	return nil
}

func (s *usersSMTPSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *usersSMTPSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = data
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, s.cur)
	s.box.mu.Unlock()
	s.cur = usersMail{User: s.cur.User}
	return nil
}

func (s *usersSMTPSession) Reset()        { s.cur = usersMail{User: s.cur.User} }
func (s *usersSMTPSession) Logout() error { return nil }

// usersMailLink decodes a message and returns its subject and the first link to path.
func usersMailLink(t *testing.T, m usersMail, path string) (string, string) {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	require.NoError(t, err)
	body, err := io.ReadAll(msg.Body)
	require.NoError(t, err)
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		require.NoError(t, err)
	}
	link := regexp.MustCompile(`https?://\S+` + regexp.QuoteMeta(path) + `\?token=[A-Za-z0-9_%-]+`).FindString(string(body))
	require.NotEmpty(t, link, "no %s link in:\n%s", path, body)
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	require.NoError(t, err)
	return subject, link
}

func usersWithMailer(t *testing.T, box *usersMailbox) option {
	m, err := mail.New("smtp://mailer:mailer-pw@"+box.addr, "Chat Center <noreply@example.com>")
	require.NoError(t, err)
	return func(s *api.Server) { s.Mailer = m }
}

func TestUsersInvitationAndResetBySMTP(t *testing.T) {
	box := usersStartMailbox(t)
	b := setup(t, usersWithMailer(t, box))

	var inv usersInvitation
	b.do("POST", "/api/v1/users/invitations", "", map[string]any{"email": "dan@example.com", "role": "agent"}, http.StatusCreated, &inv)
	require.Empty(t, inv.InviteURL, "with SMTP the link goes only to the invitee")
	msgs := box.all()
	require.Len(t, msgs, 1)
	require.Equal(t, []string{"dan@example.com"}, msgs[0].To)
	require.Equal(t, "noreply@example.com", msgs[0].From)
	require.Equal(t, "mailer", msgs[0].User)
	subject, link := usersMailLink(t, msgs[0], "/accept-invitation")
	require.Equal(t, "You are invited to My workspace on Chat Center", subject)
	require.True(t, strings.HasPrefix(link, b.api.URL+"/accept-invitation?token="), link)

	var acc usersLoginResponse
	b.request("POST", "/api/v1/auth/accept-invitation", nil, map[string]any{"token": usersTokenOf(t, link), "name": "Dan", "password": "dan password"}, http.StatusOK, &acc)
	require.Equal(t, chatcenter.RoleAgent, acc.User.Role)
	usersLogin(b, "dan@example.com", "dan password")

	// Public password reset: 202 either way; only a real account gets an e-mail.
	b.request("POST", "/api/v1/auth/password-reset", nil, map[string]any{"email": "nobody@example.com"}, http.StatusAccepted, nil)
	b.request("POST", "/api/v1/auth/password-reset", nil, map[string]any{"email": "DAN@example.com"}, http.StatusAccepted, nil)
	b.eventually("the reset e-mail", func() bool { return len(box.all()) == 2 })
	time.Sleep(200 * time.Millisecond)
	msgs = box.all()
	require.Len(t, msgs, 2, "no e-mail for an unknown address")
	require.Equal(t, []string{"dan@example.com"}, msgs[1].To)
	subject, link = usersMailLink(t, msgs[1], "/reset-password")
	require.Equal(t, "Reset your Chat Center password", subject)
	b.request("POST", "/api/v1/auth/password-reset/confirm", nil, map[string]any{"token": usersTokenOf(t, link), "password": "dan new password"}, http.StatusNoContent, nil)
	b.do("GET", "/api/v1/me", acc.Token, nil, http.StatusUnauthorized, nil)
	usersLogin(b, "dan@example.com", "dan new password")
}

func TestUsersManagerCannotManageOwners(t *testing.T) {
	b := setup(t)
	manager, mtok := usersCreate(b, "manager@example.com", chatcenter.RoleManager)
	agent, atok := usersCreate(b, "agent@example.com", chatcenter.RoleAgent)
	other, _ := usersCreate(b, "manager2@example.com", chatcenter.RoleManager)
	owner := fmt.Sprintf("/api/v1/users/%d", b.owner.ID)

	// Inviting: managers invite managers and agents, never owners; agents invite nobody.
	b.do("POST", "/api/v1/users/invitations", mtok, map[string]any{"email": "o2@example.com", "role": "owner"}, http.StatusForbidden, nil)
	b.do("POST", "/api/v1/users/invitations", mtok, map[string]any{"email": "a2@example.com", "role": "agent"}, http.StatusCreated, nil)
	b.do("POST", "/api/v1/users/invitations", atok, map[string]any{"email": "a3@example.com", "role": "agent"}, http.StatusForbidden, nil)
	b.do("POST", "/api/v1/users/invitations", "", map[string]any{"email": "o2@example.com", "role": "owner"}, http.StatusCreated, nil)

	// Editing and deactivating owners.
	b.do("PATCH", owner, mtok, map[string]any{"name": "Renamed"}, http.StatusForbidden, nil)
	b.do("POST", owner+"/deactivate", mtok, nil, http.StatusForbidden, nil)
	b.do("POST", owner+"/password-reset", mtok, nil, http.StatusForbidden, nil)
	b.do("PATCH", fmt.Sprintf("/api/v1/users/%d", agent.ID), mtok, map[string]any{"role": "owner"}, http.StatusForbidden, nil)
	b.do("PATCH", fmt.Sprintf("/api/v1/users/%d", agent.ID), atok, map[string]any{"name": "Me"}, http.StatusForbidden, nil)

	// What managers may do.
	var got usersUser
	b.do("PATCH", fmt.Sprintf("/api/v1/users/%d", agent.ID), mtok, map[string]any{"name": "Agent A", "role": "manager",
		"restrictions": map[string]bool{api.RestrictContactDeletion: true}}, http.StatusOK, &got)
	require.Equal(t, "Agent A", got.Name)
	require.Equal(t, chatcenter.RoleManager, got.Role)
	require.Equal(t, map[string]bool{"restrict_contact_deletion": true}, got.Restrictions)
	b.do("PATCH", fmt.Sprintf("/api/v1/users/%d", agent.ID), mtok, map[string]any{"restrictions": map[string]bool{"nope": true}}, http.StatusBadRequest, nil)
	b.do("PATCH", fmt.Sprintf("/api/v1/users/%d", agent.ID), mtok, map[string]any{"role": "admin"}, http.StatusBadRequest, nil)
	b.do("POST", fmt.Sprintf("/api/v1/users/%d/deactivate", other.ID), mtok, nil, http.StatusOK, &got)
	require.False(t, got.Active)

	// Nobody changes their own access or deactivates themselves; owners keep a workspace owned.
	b.do("PATCH", fmt.Sprintf("/api/v1/users/%d", manager.ID), mtok, map[string]any{"role": "agent"}, http.StatusForbidden, nil)
	b.do("PATCH", fmt.Sprintf("/api/v1/users/%d", manager.ID), mtok, map[string]any{"name": "Mgr"}, http.StatusOK, nil)
	b.do("POST", fmt.Sprintf("/api/v1/users/%d/deactivate", manager.ID), mtok, nil, http.StatusForbidden, nil)
	b.do("PATCH", owner, "", map[string]any{"role": "manager"}, http.StatusForbidden, nil)
	b.do("POST", owner+"/deactivate", "", nil, http.StatusForbidden, nil)

	// The owner can promote, and a second owner can then be demoted by the first.
	b.do("PATCH", fmt.Sprintf("/api/v1/users/%d", manager.ID), "", map[string]any{"role": "owner"}, http.StatusOK, &got)
	require.Equal(t, chatcenter.RoleOwner, got.Role)
	b.do("PATCH", owner, mtok, map[string]any{"role": "agent"}, http.StatusOK, &got)
	require.Equal(t, chatcenter.RoleAgent, got.Role)
	require.Len(t, usersEvents(b, b.owner.WorkspaceID, "user.updated"), 4)

	// Users are visible to every member, without password hashes; another workspace's are not.
	var l list[usersUser]
	raw := b.do("GET", "/api/v1/users?limit=2", atok, nil, http.StatusOK, &l)
	require.NotContains(t, string(raw), "password")
	require.NotContains(t, string(raw), "$2a$")
	require.Len(t, l.Items, 2)
	require.NotNil(t, l.NextCursor)
	require.Greater(t, l.Items[0].ID, l.Items[1].ID)
	var rest list[usersUser]
	b.do("GET", "/api/v1/users?cursor="+*l.NextCursor, atok, nil, http.StatusOK, &rest)
	require.Len(t, rest.Items, 2)
	require.Less(t, rest.Items[0].ID, l.Items[1].ID)
	b.do("GET", "/api/v1/users?active=false", "", nil, http.StatusOK, &l)
	require.Len(t, l.Items, 1)
	require.Equal(t, other.ID, l.Items[0].ID)
	require.NotNil(t, l.Items[0].DeactivatedAt)

	otherWS, otherTok := usersOtherWorkspace(b)
	b.do("GET", fmt.Sprintf("/api/v1/users/%d", agent.ID), otherTok, nil, http.StatusNotFound, nil)
	b.do("PATCH", fmt.Sprintf("/api/v1/users/%d", agent.ID), otherTok, map[string]any{"name": "x"}, http.StatusNotFound, nil)
	b.do("POST", fmt.Sprintf("/api/v1/users/%d/deactivate", agent.ID), otherTok, nil, http.StatusNotFound, nil)
	b.do("GET", "/api/v1/users", otherTok, nil, http.StatusOK, &l)
	require.Len(t, l.Items, 1)
	require.Equal(t, otherWS, l.Items[0].WorkspaceID)
}

// usersOtherWorkspace creates a second workspace with its owner and returns its id and the
// owner's token.
func usersOtherWorkspace(b *bundle) (int64, string) {
	b.t.Helper()
	ctx := context.Background()
	ws, err := b.db.WorkspaceInsert(ctx, dbsqlc.WorkspaceInsertParams{Name: "Other", Timezone: "UTC", Language: "en"})
	require.NoError(b.t, err)
	hash, err := hashForTest("other owner pw")
	require.NoError(b.t, err)
	_, err = b.db.UserInsert(ctx, dbsqlc.UserInsertParams{WorkspaceID: ws.ID, Email: "owner@other.example", PasswordHash: hash, Name: "Other", Role: "owner"})
	require.NoError(b.t, err)
	return ws.ID, usersLogin(b, "owner@other.example", "other owner pw")
}

func TestUsersDeactivationUnassignsOpenConversations(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	agent, atok := usersCreate(b, "agent@example.com", chatcenter.RoleAgent)
	b.do("PUT", "/api/v1/me/availability", atok, map[string]any{"availability": "online"}, http.StatusOK, nil)

	chID := b.createTelegramChannel()
	b.postUpdate(chID, textUpdate(1, 1, "hi"), http.StatusOK)
	conv := b.waitOpenConversation()
	base := fmt.Sprintf("/api/v1/conversations/%d", conv.ID)
	var got chatcenter.Conversation
	b.do("POST", base+"/assign", "", map[string]any{"user_id": agent.ID}, http.StatusOK, &got)
	b.eventually("AssigneeId search attribute", func() bool { return b.searchAttributes(conv.ContactID)["AssigneeId"] == fmt.Sprint(agent.ID) })

	var u usersUser
	b.do("POST", fmt.Sprintf("/api/v1/users/%d/deactivate", agent.ID), "", nil, http.StatusOK, &u)
	require.False(t, u.Active)
	require.NotNil(t, u.DeactivatedAt)
	require.Equal(t, chatcenter.AvailabilityOffline, u.Availability)

	row, err := b.db.ConversationGetByID(ctx, dbsqlc.ConversationGetByIDParams{WorkspaceID: b.owner.WorkspaceID, ID: conv.ID})
	require.NoError(t, err)
	require.Nil(t, row.AssigneeID, "the conversation is back in the unassigned queue")
	require.Equal(t, "open", row.Status)
	contact, err := b.db.ContactGetByID(ctx, dbsqlc.ContactGetByIDParams{WorkspaceID: b.owner.WorkspaceID, ID: conv.ContactID})
	require.NoError(t, err)
	require.Nil(t, contact.AssigneeID)
	require.Len(t, b.conversations("?assignee=unassigned"), 1)
	b.eventually("AssigneeId cleared", func() bool { _, ok := b.searchAttributes(conv.ContactID)["AssigneeId"]; return !ok })
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, b.workflowStatus(conv.ContactID))

	// Their token and their password stop working; they cannot be assigned.
	b.do("GET", "/api/v1/me", atok, nil, http.StatusUnauthorized, nil)
	b.request("POST", "/api/v1/auth/login", nil, map[string]any{"email": "agent@example.com", "password": "password agent@example.com"}, http.StatusUnauthorized, nil)
	b.do("POST", base+"/assign", "", map[string]any{"user_id": agent.ID}, http.StatusBadRequest, nil)

	evs := usersEvents(b, b.owner.WorkspaceID, "user.deactivated")
	require.Len(t, evs, 1)
	require.EqualValues(t, b.owner.ID, *evs[0].ActorUserID)
	require.Len(t, usersEvents(b, b.owner.WorkspaceID, "conversation.unassigned"), 1)
	avail := usersEvents(b, b.owner.WorkspaceID, activities.EventAvailabilityChanged)
	require.Equal(t, "offline", avail[len(avail)-1].Payload["availability"])

	// Deactivating again is harmless; reactivating lets them log in again (offline until they choose).
	b.do("POST", fmt.Sprintf("/api/v1/users/%d/deactivate", agent.ID), "", nil, http.StatusOK, nil)
	require.Len(t, usersEvents(b, b.owner.WorkspaceID, "user.deactivated"), 1)
	b.do("POST", fmt.Sprintf("/api/v1/users/%d/reactivate", agent.ID), "", nil, http.StatusOK, &u)
	require.True(t, u.Active)
	require.Nil(t, u.DeactivatedAt)
	tok := usersLogin(b, "agent@example.com", "password agent@example.com")
	var me chatcenter.User
	b.do("GET", "/api/v1/me", tok, nil, http.StatusOK, &me)
	require.Equal(t, chatcenter.AvailabilityOffline, me.Availability)
}

func TestUsersPasswordResetAndChange(t *testing.T) {
	logs := &usersLogBuffer{}
	b := setup(t, func(s *api.Server) { s.Log = slog.New(slog.NewJSONHandler(logs, nil)) })
	agent, atok := usersCreate(b, "agent@example.com", chatcenter.RoleAgent)
	atok2 := usersLogin(b, "agent@example.com", "password agent@example.com")

	// Changing one's password: the current one is checked; other sessions end, this one stays.
	b.do("POST", "/api/v1/me/password", atok, map[string]any{"current_password": "wrong password", "new_password": "new agent pw"}, http.StatusBadRequest, nil)
	b.do("POST", "/api/v1/me/password", atok, map[string]any{"current_password": "password agent@example.com", "new_password": "short"}, http.StatusBadRequest, nil)
	b.do("GET", "/api/v1/me", atok2, nil, http.StatusOK, nil)
	b.do("POST", "/api/v1/me/password", atok, map[string]any{"current_password": "password agent@example.com", "new_password": "new agent pw"}, http.StatusNoContent, nil)
	b.do("GET", "/api/v1/me", atok, nil, http.StatusOK, nil)
	b.do("GET", "/api/v1/me", atok2, nil, http.StatusUnauthorized, nil)
	b.request("POST", "/api/v1/auth/login", nil, map[string]any{"email": "agent@example.com", "password": "password agent@example.com"}, http.StatusUnauthorized, nil)
	usersLogin(b, "agent@example.com", "new agent pw")

	// An admin's reset link: single use, ends every session.
	var reset struct {
		ResetURL  string    `json:"reset_url"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	b.do("POST", fmt.Sprintf("/api/v1/users/%d/password-reset", agent.ID), "", nil, http.StatusOK, &reset)
	require.True(t, strings.HasPrefix(reset.ResetURL, b.api.URL+"/reset-password?token="), reset.ResetURL)
	require.WithinDuration(t, time.Now().Add(time.Hour), reset.ExpiresAt, time.Minute)
	token := usersTokenOf(t, reset.ResetURL)
	b.request("POST", "/api/v1/auth/password-reset/confirm", nil, map[string]any{"token": token, "password": "short"}, http.StatusBadRequest, nil)
	b.request("POST", "/api/v1/auth/password-reset/confirm", nil, map[string]any{"token": token, "password": "reset agent pw"}, http.StatusNoContent, nil)
	b.request("POST", "/api/v1/auth/password-reset/confirm", nil, map[string]any{"token": token, "password": "reset agent pw 2"}, http.StatusBadRequest, nil)
	b.do("GET", "/api/v1/me", atok, nil, http.StatusUnauthorized, nil)
	usersLogin(b, "agent@example.com", "reset agent pw")

	// An expired link does not work.
	b.do("POST", fmt.Sprintf("/api/v1/users/%d/password-reset", agent.ID), "", nil, http.StatusOK, &reset)
	_, err := b.db.Pool.Exec(context.Background(), "UPDATE password_resets SET expires_at = now() - interval '1 second', created_at = now() - interval '61 minutes'")
	require.NoError(t, err)
	b.request("POST", "/api/v1/auth/password-reset/confirm", nil, map[string]any{"token": usersTokenOf(t, reset.ResetURL), "password": "expired pw 1"}, http.StatusBadRequest, nil)

	// Public reset without SMTP: always 202, the link is logged (never a password).
	b.request("POST", "/api/v1/auth/password-reset", nil, map[string]any{"email": "nobody@example.com"}, http.StatusAccepted, nil)
	b.request("POST", "/api/v1/auth/password-reset", nil, map[string]any{"email": "agent@example.com"}, http.StatusAccepted, nil)
	b.request("POST", "/api/v1/auth/password-reset", nil, map[string]any{"email": "agent@example.com"}, http.StatusAccepted, nil)
	b.request("POST", "/api/v1/auth/password-reset", nil, map[string]any{}, http.StatusBadRequest, nil)
	var link string
	b.eventually("the reset link in the log", func() bool { link = logs.field("reset_url"); return link != "" })
	time.Sleep(200 * time.Millisecond)
	require.Equal(t, 1, strings.Count(logs.String(), "reset_url"), "one link, for the real account only, once a minute")
	b.request("POST", "/api/v1/auth/password-reset/confirm", nil, map[string]any{"token": usersTokenOf(t, link), "password": "logged link pw"}, http.StatusNoContent, nil)
	usersLogin(b, "agent@example.com", "logged link pw")
	for _, pw := range []string{"new agent pw", "reset agent pw", "logged link pw", "password agent@example.com"} {
		require.NotContains(t, logs.String(), pw)
	}
	require.Len(t, usersEvents(b, b.owner.WorkspaceID, "user.password_changed"), 3)
}

// usersLogBuffer collects a JSON log.
type usersLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *usersLogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *usersLogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// field returns the last value logged under key.
func (l *usersLogBuffer) field(key string) string {
	var v string
	for _, line := range strings.Split(l.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil {
			if s, ok := rec[key].(string); ok {
				v = s
			}
		}
	}
	return v
}

// TestUsersLoginRateLimit needs api/auth.go's login to call loginAllowed, loginFailed and
// loginSucceeded.
func TestUsersLoginRateLimit(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	usersCreate(b, "agent@example.com", chatcenter.RoleAgent)
	wrong := map[string]any{"email": "agent@example.com", "password": "wrong password"}
	for range 10 {
		b.request("POST", "/api/v1/auth/login", nil, wrong, http.StatusUnauthorized, nil)
	}
	// Locked for this account, even with the right password; other accounts are fine.
	req, err := http.NewRequest("POST", b.api.URL+"/api/v1/auth/login", strings.NewReader(`{"email":"AGENT@example.com","password":"password agent@example.com"}`))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
	resp.Body.Close()
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Equal(t, "rate_limited", e.Error.Code)
	retry, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	require.NoError(t, err)
	require.InDelta(t, 15*60, retry, 30)
	usersLogin(b, adminEmail, adminPassword)

	// When the window has passed the account may try again; success clears its count.
	_, err = b.db.Pool.Exec(ctx, "UPDATE login_failures SET window_start = window_start - interval '15 minutes' WHERE key = 'email:agent@example.com'")
	require.NoError(t, err)
	b.request("POST", "/api/v1/auth/login", nil, wrong, http.StatusUnauthorized, nil)
	usersLogin(b, "agent@example.com", "password agent@example.com")
	var n int
	require.NoError(t, b.db.Pool.QueryRow(ctx, "SELECT count(*) FROM login_failures WHERE key = 'email:agent@example.com'").Scan(&n))
	require.Zero(t, n)

	// Per address: 50 failures on any accounts lock the address out.
	for i := range 39 {
		b.request("POST", "/api/v1/auth/login", nil, map[string]any{"email": fmt.Sprintf("guess%d@example.com", i), "password": "x"}, http.StatusUnauthorized, nil)
	}
	b.request("POST", "/api/v1/auth/login", nil, map[string]any{"email": adminEmail, "password": adminPassword}, http.StatusTooManyRequests, nil)
}

func TestUsersAvailabilityHeartbeatAndAutoAway(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	agent, atok := usersCreate(b, "agent@example.com", chatcenter.RoleAgent)
	acts := activities.New(b.db, nil, nil)
	backdate := func() {
		t.Helper()
		_, err := b.db.Pool.Exec(ctx, "UPDATE users SET last_seen_at = now() - interval '16 minutes' WHERE id = $1", agent.ID)
		require.NoError(t, err)
	}
	me := func() chatcenter.User {
		var u chatcenter.User
		b.do("GET", "/api/v1/me", atok, nil, http.StatusOK, &u)
		return u
	}
	events := func() []usersEvent { return usersEvents(b, b.owner.WorkspaceID, activities.EventAvailabilityChanged) }

	b.do("PUT", "/api/v1/me/availability", atok, map[string]any{"availability": "busy"}, http.StatusBadRequest, nil)
	b.do("PUT", "/api/v1/me/availability", atok, map[string]any{}, http.StatusBadRequest, nil)
	var u chatcenter.User
	b.do("PUT", "/api/v1/me/availability", atok, map[string]any{"availability": "online"}, http.StatusOK, &u)
	require.Equal(t, chatcenter.AvailabilityOnline, u.Availability)
	require.NotNil(t, u.LastSeenAt)
	b.do("PUT", "/api/v1/me/availability", atok, map[string]any{"availability": "online"}, http.StatusOK, &u)
	evs := events()
	require.Len(t, evs, 1, "choosing the same availability again is no change")
	require.Equal(t, map[string]any{"user_id": float64(agent.ID), "availability": "online", "automatic": false}, evs[0].Payload)
	require.EqualValues(t, agent.ID, *evs[0].ActorUserID)

	// A recent heartbeat keeps the agent online.
	b.do("POST", "/api/v1/me/heartbeat", atok, nil, http.StatusOK, &u)
	n, err := acts.AutoAway(ctx)
	require.NoError(t, err)
	require.Zero(t, n)

	// No heartbeat for longer than auto_away_minutes (15): away, automatically.
	backdate()
	n, err = acts.AutoAway(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, chatcenter.AvailabilityAway, me().Availability)
	n, err = acts.AutoAway(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "running the sweep again changes nothing")
	evs = events()
	require.Len(t, evs, 2)
	require.Equal(t, map[string]any{"user_id": float64(agent.ID), "availability": "away", "automatic": true}, evs[1].Payload)
	require.Nil(t, evs[1].ActorUserID)

	// The next heartbeat brings them back.
	b.do("POST", "/api/v1/me/heartbeat", atok, nil, http.StatusOK, &u)
	require.Equal(t, chatcenter.AvailabilityOnline, u.Availability)
	evs = events()
	require.Len(t, evs, 3)
	require.Equal(t, map[string]any{"user_id": float64(agent.ID), "availability": "online", "automatic": true}, evs[2].Payload)

	// A chosen away (or offline) is never undone by heartbeats nor touched by the sweep.
	b.do("PUT", "/api/v1/me/availability", atok, map[string]any{"availability": "away"}, http.StatusOK, &u)
	backdate()
	n, err = acts.AutoAway(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	b.do("POST", "/api/v1/me/heartbeat", atok, nil, http.StatusOK, &u)
	require.Equal(t, chatcenter.AvailabilityAway, u.Availability)
	b.do("PUT", "/api/v1/me/availability", atok, map[string]any{"availability": "offline"}, http.StatusOK, &u)
	b.do("POST", "/api/v1/me/heartbeat", atok, nil, http.StatusOK, &u)
	require.Equal(t, chatcenter.AvailabilityOffline, u.Availability)
	require.Len(t, events(), 5)

	// The workspace's auto_away_minutes counts: at 30 minutes, 16 minutes of silence is fine.
	_, err = b.db.Pool.Exec(ctx, "UPDATE workspaces SET auto_away_minutes = 30 WHERE id = $1", b.owner.WorkspaceID)
	require.NoError(t, err)
	b.do("PUT", "/api/v1/me/availability", atok, map[string]any{"availability": "online"}, http.StatusOK, nil)
	backdate()
	n, err = acts.AutoAway(ctx)
	require.NoError(t, err)
	require.Zero(t, n)

	// The worker created the every-minute schedule; triggering it runs the sweep through Temporal.
	_, err = b.db.Pool.Exec(ctx, "UPDATE workspaces SET auto_away_minutes = 1 WHERE id = $1", b.owner.WorkspaceID)
	require.NoError(t, err)
	h := b.temporal.ScheduleClient().GetHandle(ctx, workflows.PresenceScheduleID)
	desc, err := h.Describe(ctx)
	require.NoError(t, err)
	require.Equal(t, []client.ScheduleIntervalSpec{{Every: time.Minute}}, desc.Schedule.Spec.Intervals)
	require.NoError(t, h.Trigger(ctx, client.ScheduleTriggerOptions{Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL}))
	b.eventually("auto-away through the schedule", func() bool { return me().Availability == chatcenter.AvailabilityAway })
}

func TestUsersProfile(t *testing.T) {
	b := setup(t)
	var u chatcenter.User
	b.do("PATCH", "/api/v1/me", "", map[string]any{"name": "Olga", "timezone": "America/Sao_Paulo", "language": "pt-BR"}, http.StatusOK, &u)
	require.Equal(t, "Olga", u.Name)
	require.Equal(t, "America/Sao_Paulo", u.Timezone)
	require.Equal(t, "pt-BR", u.Language)
	for _, bad := range []map[string]any{
		{"timezone": "Mars/Olympus"}, {"timezone": ""}, {"timezone": "Local"}, {"language": "p"},
		{"language": "portuguese-brazil"}, {"language": "pt_BR"}, {"name": ""}, {"email": "x@example.com"},
	} {
		b.do("PATCH", "/api/v1/me", "", bad, http.StatusBadRequest, nil)
	}
	b.do("GET", "/api/v1/me", "", nil, http.StatusOK, &u)
	require.Equal(t, "America/Sao_Paulo", u.Timezone, "bad input changes nothing")
	b.do("PATCH", "/api/v1/me", "", map[string]any{"timezone": "UTC"}, http.StatusOK, &u)
	require.Equal(t, "Olga", u.Name)
	require.Equal(t, "UTC", u.Timezone)
}

type usersTeam struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	MemberIDs []int64 `json:"member_ids"`
}

func TestUsersTeams(t *testing.T) {
	b := setup(t)
	agent, atok := usersCreate(b, "agent@example.com", chatcenter.RoleAgent)
	agent2, _ := usersCreate(b, "agent2@example.com", chatcenter.RoleAgent)

	var sales, support usersTeam
	b.do("POST", "/api/v1/teams", "", map[string]any{"name": " Sales "}, http.StatusCreated, &sales)
	require.Equal(t, "Sales", sales.Name)
	require.Empty(t, sales.MemberIDs)
	b.do("POST", "/api/v1/teams", "", map[string]any{"name": "Sales"}, http.StatusConflict, nil)
	b.do("POST", "/api/v1/teams", "", map[string]any{"name": ""}, http.StatusBadRequest, nil)
	b.do("POST", "/api/v1/teams", atok, map[string]any{"name": "Agents only"}, http.StatusForbidden, nil)
	b.do("POST", "/api/v1/teams", "", map[string]any{"name": "Support"}, http.StatusCreated, &support)
	b.do("PATCH", fmt.Sprintf("/api/v1/teams/%d", support.ID), "", map[string]any{"name": "Sales"}, http.StatusConflict, nil)
	b.do("PATCH", fmt.Sprintf("/api/v1/teams/%d", support.ID), "", map[string]any{"name": "Customer care"}, http.StatusOK, &support)
	require.Equal(t, "Customer care", support.Name)

	// Membership: replace, add, remove.
	path := fmt.Sprintf("/api/v1/teams/%d/members", sales.ID)
	b.do("PUT", path, "", map[string]any{"user_ids": []int64{agent.ID, b.owner.ID, agent.ID}}, http.StatusOK, &sales)
	require.Equal(t, []int64{b.owner.ID, agent.ID}, sales.MemberIDs)
	b.do("PUT", path, "", map[string]any{"user_ids": []int64{agent.ID, 999999}}, http.StatusBadRequest, nil)
	b.do("PUT", path, "", map[string]any{}, http.StatusBadRequest, nil)
	b.do("PUT", path, atok, map[string]any{"user_ids": []int64{agent.ID}}, http.StatusForbidden, nil)
	b.do("PUT", path, "", map[string]any{"user_ids": []int64{agent.ID}}, http.StatusOK, &sales)
	require.Equal(t, []int64{agent.ID}, sales.MemberIDs)
	b.do("POST", path, "", map[string]any{"user_id": agent2.ID}, http.StatusOK, &sales)
	b.do("POST", path, "", map[string]any{"user_id": agent2.ID}, http.StatusOK, &sales)
	require.Equal(t, []int64{agent.ID, agent2.ID}, sales.MemberIDs)
	b.do("DELETE", fmt.Sprintf("%s/%d", path, agent.ID), "", nil, http.StatusOK, &sales)
	require.Equal(t, []int64{agent2.ID}, sales.MemberIDs)
	b.do("DELETE", fmt.Sprintf("%s/%d", path, agent.ID), "", nil, http.StatusNotFound, nil)
	require.Len(t, usersEvents(b, b.owner.WorkspaceID, "team.members_changed"), 4)

	// Members see teams; users show their teams.
	var got usersTeam
	b.do("GET", fmt.Sprintf("/api/v1/teams/%d", sales.ID), atok, nil, http.StatusOK, &got)
	require.Equal(t, sales, got)
	var l list[usersTeam]
	b.do("GET", "/api/v1/teams", atok, nil, http.StatusOK, &l)
	require.Len(t, l.Items, 2)
	require.Equal(t, support.ID, l.Items[0].ID, "newest first")
	var u usersUser
	b.do("GET", fmt.Sprintf("/api/v1/users/%d", agent2.ID), atok, nil, http.StatusOK, &u)
	require.Equal(t, []int64{sales.ID}, u.TeamIDs)

	// Another workspace sees none of it and cannot use our users.
	_, otherTok := usersOtherWorkspace(b)
	b.do("GET", fmt.Sprintf("/api/v1/teams/%d", sales.ID), otherTok, nil, http.StatusNotFound, nil)
	b.do("PATCH", fmt.Sprintf("/api/v1/teams/%d", sales.ID), otherTok, map[string]any{"name": "Mine"}, http.StatusNotFound, nil)
	b.do("PUT", path, otherTok, map[string]any{"user_ids": []int64{}}, http.StatusNotFound, nil)
	b.do("DELETE", fmt.Sprintf("%s/%d", path, agent2.ID), otherTok, nil, http.StatusNotFound, nil)
	b.do("DELETE", fmt.Sprintf("/api/v1/teams/%d", sales.ID), otherTok, nil, http.StatusNotFound, nil)
	b.do("GET", "/api/v1/teams", otherTok, nil, http.StatusOK, &l)
	require.Empty(t, l.Items)
	var theirs usersTeam
	b.do("POST", "/api/v1/teams", otherTok, map[string]any{"name": "Sales"}, http.StatusCreated, &theirs)
	b.do("POST", fmt.Sprintf("/api/v1/teams/%d/members", theirs.ID), otherTok, map[string]any{"user_id": agent.ID}, http.StatusBadRequest, nil)

	// Deleting a team takes it off open conversations (through their workflows), keeping the assignee.
	chID := b.createTelegramChannel()
	b.postUpdate(chID, textUpdate(1, 1, "hi"), http.StatusOK)
	conv := b.waitOpenConversation()
	var c chatcenter.Conversation
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/assign", conv.ID), "", map[string]any{"user_id": agent2.ID, "team_id": sales.ID}, http.StatusOK, &c)
	require.Equal(t, sales.ID, *c.TeamID)
	b.eventually("TeamId search attribute", func() bool { return b.searchAttributes(conv.ContactID)["TeamId"] == fmt.Sprint(sales.ID) })
	b.do("DELETE", fmt.Sprintf("/api/v1/teams/%d", sales.ID), atok, nil, http.StatusForbidden, nil)
	b.do("DELETE", fmt.Sprintf("/api/v1/teams/%d", sales.ID), "", nil, http.StatusNoContent, nil)
	b.do("GET", fmt.Sprintf("/api/v1/teams/%d", sales.ID), "", nil, http.StatusNotFound, nil)
	b.do("GET", fmt.Sprintf("/api/v1/conversations/%d", conv.ID), "", nil, http.StatusOK, &c)
	require.Nil(t, c.TeamID)
	require.Equal(t, agent2.ID, *c.AssigneeID)
	b.eventually("TeamId cleared", func() bool { _, ok := b.searchAttributes(conv.ContactID)["TeamId"]; return !ok })
	require.Len(t, usersEvents(b, b.owner.WorkspaceID, "team.deleted"), 1)
}

package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter/api"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/db/dbtest"
	"github.com/chatcenterhq/chatcenter/secret"
)

// commentsEnv is an API over a fresh database with two workspaces: the first has an owner, a
// manager and two agents and two contacts; the second an owner and a contact.
type commentsEnv struct {
	t        *testing.T
	db       *db.DB
	srv      *httptest.Server
	ws       int64
	owner    commentsUser
	manager  commentsUser
	agent    commentsUser
	agent2   commentsUser
	contact  int64
	contact2 int64
	// Another workspace.
	otherWS      int64
	other        commentsUser
	otherContact int64
}

type commentsUser struct {
	id    int64
	token string
}

func commentsSetup(t *testing.T) *commentsEnv {
	t.Helper()
	t.Parallel()
	ctx := context.Background()
	d := dbtest.Open(t)
	srv := &api.Server{DB: d, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	e := &commentsEnv{t: t, db: d, srv: hs}

	ws, err := d.WorkspaceInsert(ctx, dbsqlc.WorkspaceInsertParams{Name: "Acme", Timezone: "UTC", Language: "en"})
	require.NoError(t, err)
	e.ws = ws.ID
	e.owner = e.user(ws.ID, "owner@acme.test", "Olivia Owner", "owner")
	e.manager = e.user(ws.ID, "manager@acme.test", "Manu Manager", "manager")
	e.agent = e.user(ws.ID, "agent@acme.test", "Ana María Agent", "agent")
	e.agent2 = e.user(ws.ID, "agent2@acme.test", "Bruno", "agent")
	e.contact = e.newContact(ws.ID, "Carla", "Cliente", "+5511999990001")
	e.contact2 = e.newContact(ws.ID, "Dario", "", "+5511999990002")

	other, err := d.WorkspaceInsert(ctx, dbsqlc.WorkspaceInsertParams{Name: "Other", Timezone: "UTC", Language: "en"})
	require.NoError(t, err)
	e.otherWS = other.ID
	e.other = e.user(other.ID, "owner@other.test", "Oscar Other", "owner")
	e.otherContact = e.newContact(other.ID, "Eva", "Else", "+5511999990003")
	return e
}

// user creates a user with a live session.
func (e *commentsEnv) user(workspaceID int64, email, name, role string) commentsUser {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.db.UserInsert(ctx, dbsqlc.UserInsertParams{WorkspaceID: workspaceID, Email: email, PasswordHash: "x", Name: name, Role: role})
	require.NoError(e.t, err)
	token := secret.RandomToken(32)
	_, err = e.db.SessionInsert(ctx, dbsqlc.SessionInsertParams{UserID: u.ID, TokenHash: secret.HashToken(token), ExpiresAt: time.Now().Add(time.Hour)})
	require.NoError(e.t, err)
	return commentsUser{id: u.ID, token: token}
}

func (e *commentsEnv) newContact(workspaceID int64, first, last, phone string) int64 {
	e.t.Helper()
	ct, err := e.db.ContactInsert(context.Background(), dbsqlc.ContactInsertParams{WorkspaceID: workspaceID, FirstName: first, LastName: last, Phone: &phone, Language: "es"})
	require.NoError(e.t, err)
	return ct.ID
}

// do sends a JSON request as u, checks the status and decodes the answer into out.
func (e *commentsEnv) do(u commentsUser, method, path string, body any, want int, out any) []byte {
	e.t.Helper()
	var r io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(v)
	default:
		raw, err := json.Marshal(v)
		require.NoError(e.t, err)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+"/api/v1"+path, r)
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+u.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	require.Equal(e.t, want, resp.StatusCode, "%s %s: %s", method, path, raw)
	if out != nil {
		require.NoError(e.t, json.Unmarshal(raw, out), "%s", raw)
	}
	return raw
}

// count runs a counting query (tests only).
func (e *commentsEnv) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	require.NoError(e.t, e.db.Pool.QueryRow(context.Background(), query, args...).Scan(&n))
	return n
}

type commentsEvent struct {
	Type        string
	ContactID   *int64
	ActorUserID *int64
	Payload     map[string]any
}

func (e *commentsEnv) events(typ string) []commentsEvent {
	e.t.Helper()
	rows, err := e.db.Pool.Query(context.Background(), `SELECT type, contact_id, actor_user_id, payload FROM events WHERE type = $1 ORDER BY id`, typ)
	require.NoError(e.t, err)
	defer rows.Close()
	var out []commentsEvent
	for rows.Next() {
		var ev commentsEvent
		var raw []byte
		require.NoError(e.t, rows.Scan(&ev.Type, &ev.ContactID, &ev.ActorUserID, &raw))
		require.NoError(e.t, json.Unmarshal(raw, &ev.Payload))
		out = append(out, ev)
	}
	require.NoError(e.t, rows.Err())
	return out
}

type commentsComment struct {
	ID           int64   `json:"id"`
	ContactID    int64   `json:"contact_id"`
	ParentID     *int64  `json:"parent_id"`
	Text         string  `json:"text"`
	TextRendered string  `json:"text_rendered"`
	Mentions     []int64 `json:"mentions"`
	AuthorID     *int64  `json:"author_id"`
	Author       *struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"author"`
	CreatedAt time.Time `json:"created_at"`
}

type commentsList[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

type commentsError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (e *commentsEnv) comment(u commentsUser, contactID int64, body map[string]any) commentsComment {
	e.t.Helper()
	var out commentsComment
	e.do(u, "POST", fmt.Sprintf("/contacts/%d/comments", contactID), body, http.StatusCreated, &out)
	return out
}

func TestCommentsMentionNotifiesMentionedUsersButNotTheAuthor(t *testing.T) {
	e := commentsSetup(t)
	text := fmt.Sprintf("{{@user.%d}} please call back; cc {{@user.%d}} and me {{@user.%d}} {{@user.%d}}", e.agent.id, e.manager.id, e.owner.id, e.agent.id)
	cm := e.comment(e.owner, e.contact, map[string]any{"text": text})

	require.Equal(t, text, cm.Text)
	require.Equal(t, "@Ana María Agent please call back; cc @Manu Manager and me @Olivia Owner @Ana María Agent", cm.TextRendered)
	require.Equal(t, []int64{e.agent.id, e.manager.id, e.owner.id}, cm.Mentions)
	require.Equal(t, e.contact, cm.ContactID)
	require.Nil(t, cm.ParentID)
	require.Equal(t, e.owner.id, *cm.AuthorID)
	require.Equal(t, "Olivia Owner", cm.Author.Name)

	// One mention notification for each mentioned user except the author, once each.
	require.Equal(t, 1, e.count(`SELECT count(*) FROM notifications WHERE user_id = $1 AND type = 'mention' AND comment_id = $2 AND contact_id = $3`, e.agent.id, cm.ID, e.contact))
	require.Equal(t, 1, e.count(`SELECT count(*) FROM notifications WHERE user_id = $1 AND type = 'mention'`, e.manager.id))
	require.Equal(t, 0, e.count(`SELECT count(*) FROM notifications WHERE user_id = $1`, e.owner.id))
	require.Equal(t, 0, e.count(`SELECT count(*) FROM notifications WHERE user_id = $1`, e.agent2.id))

	created := e.events("comment.created")
	require.Len(t, created, 1)
	require.Equal(t, e.contact, *created[0].ContactID)
	require.Equal(t, e.owner.id, *created[0].ActorUserID)
	require.EqualValues(t, cm.ID, created[0].Payload["comment_id"])

	notified := e.events(db.EventNotificationCreated)
	require.Len(t, notified, 2)
	var users []float64
	for _, ev := range notified {
		require.Equal(t, "mention", ev.Payload["type"])
		require.NotZero(t, ev.Payload["notification_id"])
		users = append(users, ev.Payload["user_id"].(float64))
	}
	require.ElementsMatch(t, []float64{float64(e.agent.id), float64(e.manager.id)}, users)

	// The mentioned agent sees it with an excerpt; the author's own list is empty.
	var l commentsList[map[string]any]
	e.do(e.agent, "GET", "/notifications", nil, http.StatusOK, &l)
	require.Len(t, l.Items, 1)
	require.Equal(t, "mention", l.Items[0]["type"])
	payload := l.Items[0]["payload"].(map[string]any)
	require.Equal(t, "Olivia Owner", payload["author_name"])
	require.Equal(t, "Carla Cliente", payload["contact_name"])
	require.Contains(t, payload["excerpt"], "@Ana María Agent please call back")
	e.do(e.owner, "GET", "/notifications", nil, http.StatusOK, &l)
	require.Empty(t, l.Items)

	// A self-mention alone notifies nobody.
	e.comment(e.agent2, e.contact, map[string]any{"text": fmt.Sprintf("note to self {{@user.%d}}", e.agent2.id)})
	require.Equal(t, 0, e.count(`SELECT count(*) FROM notifications WHERE user_id = $1`, e.agent2.id))
	require.Len(t, e.events(db.EventNotificationCreated), 2)
}

func TestCommentsBadInputStoresNothing(t *testing.T) {
	e := commentsSetup(t)
	path := fmt.Sprintf("/contacts/%d/comments", e.contact)
	deactivated := e.user(e.ws, "gone@acme.test", "Gone", "agent")
	_, err := e.db.Pool.Exec(context.Background(), `UPDATE users SET active = false WHERE id = $1`, deactivated.id)
	require.NoError(t, err)

	cases := map[string]any{
		"1001 characters":       map[string]any{"text": strings.Repeat("a", 1001)},
		"1001 multibyte":        map[string]any{"text": strings.Repeat("é", 1001)},
		"empty":                 map[string]any{"text": ""},
		"blank":                 map[string]any{"text": "  \n\t "},
		"missing text":          map[string]any{},
		"NUL":                   map[string]any{"text": "a\x00b"},
		"unknown field":         map[string]any{"text": "hi", "mentions": []int{1}},
		"not JSON":              "text=hi",
		"unknown user":          map[string]any{"text": "hey {{@user.999999}}"},
		"user of another space": map[string]any{"text": fmt.Sprintf("hey {{@user.%d}}", e.other.id)},
		"valid and invalid":     map[string]any{"text": fmt.Sprintf("{{@user.%d}} {{@user.0}}", e.agent.id)},
		"id overflows":          map[string]any{"text": "{{@user.99999999999999999999}}"},
		"deactivated user":      map[string]any{"text": fmt.Sprintf("{{@user.%d}}", deactivated.id)},
		"missing parent":        map[string]any{"text": "re", "parent_id": 999999},
		"mention and 1001":      map[string]any{"text": fmt.Sprintf("{{@user.%d}}", e.agent.id) + strings.Repeat("x", 1001)},
		"parent_id as a string": map[string]any{"text": "re", "parent_id": "1"},
	}
	for name, body := range cases {
		var er commentsError
		e.do(e.owner, "POST", path, body, http.StatusBadRequest, &er)
		require.Equal(t, "invalid", er.Error.Code, name)
	}
	require.Equal(t, 0, e.count(`SELECT count(*) FROM comments`))
	require.Equal(t, 0, e.count(`SELECT count(*) FROM notifications`))
	require.Equal(t, 0, e.count(`SELECT count(*) FROM events`))

	// Exactly 1000 characters, counted as characters not bytes, is fine.
	cm := e.comment(e.owner, e.contact, map[string]any{"text": strings.Repeat("é", 1000)})
	require.Len(t, []rune(cm.Text), 1000)

	// Unknown or foreign contacts are not found.
	e.do(e.owner, "POST", "/contacts/999999/comments", map[string]any{"text": "hi"}, http.StatusNotFound, nil)
	e.do(e.owner, "POST", fmt.Sprintf("/contacts/%d/comments", e.otherContact), map[string]any{"text": "hi"}, http.StatusNotFound, nil)
	e.do(e.owner, "POST", "/contacts/abc/comments", map[string]any{"text": "hi"}, http.StatusNotFound, nil)
	require.Equal(t, 1, e.count(`SELECT count(*) FROM comments`))
}

func TestCommentsRepliesStayWithTheirContact(t *testing.T) {
	e := commentsSetup(t)
	root := e.comment(e.agent, e.contact, map[string]any{"text": "first"})
	other := e.comment(e.agent, e.contact2, map[string]any{"text": "on another contact"})
	foreign := e.comment(e.other, e.otherContact, map[string]any{"text": "elsewhere"})

	reply := e.comment(e.agent2, e.contact, map[string]any{"text": fmt.Sprintf("{{@user.%d}} agreed", e.agent.id), "parent_id": root.ID})
	require.Equal(t, root.ID, *reply.ParentID)
	require.Equal(t, "@Ana María Agent agreed", reply.TextRendered)
	replyToReply := e.comment(e.owner, e.contact, map[string]any{"text": "me too", "parent_id": reply.ID})
	require.Equal(t, reply.ID, *replyToReply.ParentID)

	before := e.count(`SELECT count(*) FROM comments`)
	for _, parent := range []int64{other.ID, foreign.ID} {
		var er commentsError
		e.do(e.agent2, "POST", fmt.Sprintf("/contacts/%d/comments", e.contact), map[string]any{"text": "re", "parent_id": parent}, http.StatusBadRequest, &er)
		require.Contains(t, er.Error.Message, "not a comment of this contact")
	}
	require.Equal(t, before, e.count(`SELECT count(*) FROM comments`))
}

func TestCommentsListNewestFirstWithCursor(t *testing.T) {
	e := commentsSetup(t)
	var ids []int64
	for i := range 5 {
		body := map[string]any{"text": fmt.Sprintf("note %d {{@user.%d}}", i, e.manager.id)}
		if i == 3 {
			body["parent_id"] = ids[0]
		}
		ids = append(ids, e.comment(e.agent, e.contact, body).ID)
	}
	e.comment(e.agent, e.contact2, map[string]any{"text": "not listed"})
	e.comment(e.other, e.otherContact, map[string]any{"text": "not listed either"})

	var got []commentsComment
	path := fmt.Sprintf("/contacts/%d/comments?limit=2", e.contact)
	for range 5 {
		var l commentsList[commentsComment]
		e.do(e.manager, "GET", path, nil, http.StatusOK, &l)
		got = append(got, l.Items...)
		if l.NextCursor == nil {
			break
		}
		path = fmt.Sprintf("/contacts/%d/comments?limit=2&cursor=%s", e.contact, *l.NextCursor)
	}
	require.Len(t, got, 5)
	for i, cm := range got {
		require.Equal(t, ids[4-i], cm.ID)
		require.Equal(t, fmt.Sprintf("note %d @Manu Manager", 4-i), cm.TextRendered)
		require.Equal(t, []int64{e.manager.id}, cm.Mentions)
		require.Equal(t, "Ana María Agent", cm.Author.Name)
	}
	require.Equal(t, ids[0], *got[1].ParentID) // note 3 is a reply to note 0
	require.Nil(t, got[0].ParentID)

	// Another workspace's contact does not exist here; a bad cursor is bad input.
	e.do(e.owner, "GET", fmt.Sprintf("/contacts/%d/comments", e.otherContact), nil, http.StatusNotFound, nil)
	e.do(e.owner, "GET", fmt.Sprintf("/contacts/%d/comments?cursor=nope", e.contact), nil, http.StatusBadRequest, nil)
	var empty commentsList[commentsComment]
	e.do(e.owner, "GET", fmt.Sprintf("/contacts/%d/comments", e.contact2), nil, http.StatusOK, &empty)
	require.Len(t, empty.Items, 1)
	require.Nil(t, empty.NextCursor)
}

func TestCommentsDeletePermissions(t *testing.T) {
	e := commentsSetup(t)
	root := e.comment(e.agent, e.contact, map[string]any{"text": fmt.Sprintf("{{@user.%d}} look", e.agent2.id)})
	reply := e.comment(e.agent2, e.contact, map[string]any{"text": fmt.Sprintf("{{@user.%d}} ok", e.agent.id), "parent_id": root.ID})
	own := e.comment(e.agent2, e.contact, map[string]any{"text": "mine"})
	byOwner := e.comment(e.owner, e.contact, map[string]any{"text": "owner's"})
	require.Equal(t, 2, e.count(`SELECT count(*) FROM notifications`))

	// An agent may not delete someone else's comment; another workspace does not see it.
	e.do(e.agent2, "DELETE", fmt.Sprintf("/comments/%d", root.ID), nil, http.StatusForbidden, nil)
	e.do(e.agent, "DELETE", fmt.Sprintf("/comments/%d", byOwner.ID), nil, http.StatusForbidden, nil)
	e.do(e.other, "DELETE", fmt.Sprintf("/comments/%d", root.ID), nil, http.StatusNotFound, nil)
	e.do(e.agent, "DELETE", "/comments/999999", nil, http.StatusNotFound, nil)
	require.Equal(t, 4, e.count(`SELECT count(*) FROM comments`))

	// The author deletes their own; a manager deletes anyone's, with its replies and their
	// mention notifications.
	e.do(e.agent2, "DELETE", fmt.Sprintf("/comments/%d", own.ID), nil, http.StatusNoContent, nil)
	e.do(e.manager, "DELETE", fmt.Sprintf("/comments/%d", root.ID), nil, http.StatusNoContent, nil)
	require.Equal(t, 1, e.count(`SELECT count(*) FROM comments`))
	require.Equal(t, 0, e.count(`SELECT count(*) FROM notifications`))
	e.do(e.manager, "DELETE", fmt.Sprintf("/comments/%d", root.ID), nil, http.StatusNotFound, nil)

	deleted := e.events("comment.deleted")
	require.Len(t, deleted, 2)
	require.Equal(t, e.contact, *deleted[1].ContactID)
	require.Equal(t, e.manager.id, *deleted[1].ActorUserID)
	require.Equal(t, []any{float64(root.ID), float64(reply.ID)}, deleted[1].Payload["deleted_ids"])

	// The owner may delete too.
	e.do(e.owner, "DELETE", fmt.Sprintf("/comments/%d", byOwner.ID), nil, http.StatusNoContent, nil)
	require.Equal(t, 0, e.count(`SELECT count(*) FROM comments`))
}

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

type inboxRow struct {
	chatcenter.Conversation
	Contact struct {
		ID        int64  `json:"id"`
		FirstName string `json:"first_name"`
	} `json:"contact"`
	UnreadCount int64 `json:"unread_count"`
}

// inboxUpdate is a private-chat message from chat id with a first name.
func inboxUpdate(updateID, chatID int, name, text string) string {
	return fmt.Sprintf(`{"update_id":%d,"message":{"date":1441645532,"chat":{"id":%d,"type":"private","first_name":%q},"message_id":%d,"from":{"id":%d,"first_name":%q},"text":%q}}`,
		updateID, chatID, name, updateID, chatID, name, text)
}

func (b *bundle) inbox(token, query string) []inboxRow {
	b.t.Helper()
	var l list[inboxRow]
	b.do("GET", "/api/v1/conversations"+query, token, nil, http.StatusOK, &l)
	return l.Items
}

// inboxUser creates a user with a role and restrictions and returns it with a login token.
func (b *bundle) inboxUser(email string, role chatcenter.Role, restrictions string) (dbsqlc.User, string) {
	b.t.Helper()
	hash, err := hashForTest("user password 1")
	require.NoError(b.t, err)
	u, err := b.db.UserInsert(context.Background(), dbsqlc.UserInsertParams{WorkspaceID: b.owner.WorkspaceID, Email: email, PasswordHash: hash, Name: email, Role: string(role)})
	require.NoError(b.t, err)
	if restrictions != "" {
		_, err = b.db.Pool.Exec(context.Background(), "UPDATE users SET restrictions = $1 WHERE id = $2", restrictions, u.ID)
		require.NoError(b.t, err)
	}
	var login struct{ Token string }
	b.request("POST", "/api/v1/auth/login", nil, map[string]any{"email": email, "password": "user password 1"}, http.StatusOK, &login)
	return u, login.Token
}

// inboxThree opens conversations for Ana, Bruno and Carla and returns them by first name.
func (b *bundle) inboxThree() map[string]inboxRow {
	b.t.Helper()
	chID := b.createTelegramChannel()
	b.postUpdate(chID, inboxUpdate(1, 501, "Ana", "where is my order"), http.StatusOK)
	b.postUpdate(chID, inboxUpdate(2, 502, "Bruno", "refund please"), http.StatusOK)
	b.postUpdate(chID, inboxUpdate(3, 503, "Carla", "hello"), http.StatusOK)
	out := map[string]inboxRow{}
	b.eventually("three conversations", func() bool {
		rows := b.inbox("", "?status=open")
		if len(rows) != 3 {
			return false
		}
		for _, r := range rows {
			out[r.Contact.FirstName] = r
		}
		return true
	})
	return out
}

func TestInboxFoldersFiltersAndCounts(t *testing.T) {
	b := setup(t)
	convs := b.inboxThree()
	agent, agentToken := b.inboxUser("agent@example.com", chatcenter.RoleAgent, "")
	ctx := context.Background()
	team, err := b.db.Pool.Exec(ctx, "INSERT INTO teams (workspace_id, name) VALUES ($1, 'Sales')", b.owner.WorkspaceID)
	require.NoError(t, err)
	_ = team
	var teamID int64
	require.NoError(t, b.db.Pool.QueryRow(ctx, "SELECT id FROM teams WHERE name = 'Sales'").Scan(&teamID))
	_, err = b.db.Pool.Exec(ctx, "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)", teamID, agent.ID)
	require.NoError(t, err)

	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/assign", convs["Ana"].ID), "", map[string]any{"user_id": b.owner.ID}, http.StatusOK, nil)
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/assign", convs["Bruno"].ID), "", map[string]any{"user_id": agent.ID, "team_id": teamID}, http.StatusOK, nil)
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/assign", convs["Bruno"].ID), "", map[string]any{"team_id": 999999}, http.StatusBadRequest, nil)
	_, err = b.db.Pool.Exec(ctx, "UPDATE contacts SET tags = '{vip}', lifecycle = 'Customer' WHERE id = $1", convs["Carla"].ContactID)
	require.NoError(t, err)

	names := func(rows []inboxRow) []string {
		var out []string
		for _, r := range rows {
			out = append(out, r.Contact.FirstName)
		}
		return out
	}
	require.ElementsMatch(t, []string{"Ana"}, names(b.inbox("", "?folder=mine")))
	require.ElementsMatch(t, []string{"Carla"}, names(b.inbox("", "?folder=unassigned")))
	require.ElementsMatch(t, []string{"Bruno"}, names(b.inbox(agentToken, "?folder=team")))
	require.ElementsMatch(t, []string{"Bruno"}, names(b.inbox("", fmt.Sprintf("?team=%d", teamID))))
	require.ElementsMatch(t, []string{"Carla"}, names(b.inbox("", "?tag=vip")))
	require.ElementsMatch(t, []string{"Carla"}, names(b.inbox("", "?lifecycle=Customer")))
	require.ElementsMatch(t, []string{"Bruno"}, names(b.inbox("", "?q=refund")), "search covers message text")
	require.ElementsMatch(t, []string{"Ana"}, names(b.inbox("", "?q=an")), "search covers contact names")
	require.Empty(t, b.inbox("", "?q=100%25"), "LIKE wildcards in q are literal")
	b.do("GET", "/api/v1/conversations?folder=bogus", "", nil, http.StatusBadRequest, nil)

	var counts struct{ All, Mine, Unassigned, Team, Unread int64 }
	b.do("GET", "/api/v1/inbox/counts", "", nil, http.StatusOK, &counts)
	require.EqualValues(t, 3, counts.All)
	require.EqualValues(t, 1, counts.Mine)
	require.EqualValues(t, 1, counts.Unassigned)
	require.EqualValues(t, 1, counts.Unread, "Ana's message is unread for her assignee")
	b.do("GET", "/api/v1/inbox/counts", agentToken, nil, http.StatusOK, &counts)
	require.EqualValues(t, 1, counts.Team)
	require.EqualValues(t, 1, counts.Mine)
}

func TestInboxUnreadAndMarkRead(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	b.postUpdate(chID, inboxUpdate(1, 601, "Dora", "one"), http.StatusOK)
	b.postUpdate(chID, inboxUpdate(2, 601, "Dora", "two"), http.StatusOK)
	b.eventually("two unread", func() bool {
		rows := b.inbox("", "")
		return len(rows) == 1 && rows[0].UnreadCount == 2
	})
	id := b.inbox("", "")[0].ID
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/read", id), "", nil, http.StatusNoContent, nil)
	require.EqualValues(t, 0, b.inbox("", "")[0].UnreadCount)
	b.postUpdate(chID, inboxUpdate(3, 601, "Dora", "three"), http.StatusOK)
	b.eventually("one unread", func() bool { return b.inbox("", "")[0].UnreadCount == 1 })
	// Another agent's reads are their own.
	_, other := b.inboxUser("other@example.com", chatcenter.RoleAgent, "")
	require.EqualValues(t, 3, b.inbox(other, "")[0].UnreadCount)
}

func TestInboxRestrictionsHideOthersConversations(t *testing.T) {
	b := setup(t)
	convs := b.inboxThree()
	mine, mineToken := b.inboxUser("mine@example.com", chatcenter.RoleAgent, `{"show_only_mine": true}`)
	mate, _ := b.inboxUser("mate@example.com", chatcenter.RoleAgent, "")
	_, teamToken := b.inboxUser("team@example.com", chatcenter.RoleAgent, `{"show_team_contacts": true}`)
	ctx := context.Background()
	var teamID int64
	require.NoError(t, b.db.Pool.QueryRow(ctx, "INSERT INTO teams (workspace_id, name) VALUES ($1, 'Support') RETURNING id", b.owner.WorkspaceID).Scan(&teamID))
	var teamUser int64
	require.NoError(t, b.db.Pool.QueryRow(ctx, "SELECT id FROM users WHERE email = 'team@example.com'").Scan(&teamUser))
	_, err := b.db.Pool.Exec(ctx, "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2), ($1, $3)", teamID, teamUser, mate.ID)
	require.NoError(t, err)

	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/assign", convs["Ana"].ID), "", map[string]any{"user_id": mine.ID}, http.StatusOK, nil)
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/assign", convs["Bruno"].ID), "", map[string]any{"user_id": mate.ID}, http.StatusOK, nil)

	rows := b.inbox(mineToken, "")
	require.Len(t, rows, 1)
	require.Equal(t, "Ana", rows[0].Contact.FirstName)
	b.do("GET", fmt.Sprintf("/api/v1/conversations/%d", convs["Bruno"].ID), mineToken, nil, http.StatusNotFound, nil)
	b.do("GET", fmt.Sprintf("/api/v1/contacts/%d", convs["Carla"].ContactID), mineToken, nil, http.StatusNotFound, nil)
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", convs["Carla"].ID), mineToken, map[string]any{"type": "text", "text": "hi"}, http.StatusNotFound, nil)
	b.do("GET", fmt.Sprintf("/api/v1/conversations/%d", convs["Ana"].ID), mineToken, nil, http.StatusOK, nil)
	var counts struct{ All int64 }
	b.do("GET", "/api/v1/inbox/counts", mineToken, nil, http.StatusOK, &counts)
	require.EqualValues(t, 1, counts.All)

	rows = b.inbox(teamToken, "")
	require.Len(t, rows, 1, "a team mate's conversation is visible, others are not")
	require.Equal(t, "Bruno", rows[0].Contact.FirstName)
}

func TestCloseHonoursClosingNoteModes(t *testing.T) {
	b := setup(t)
	convs := b.inboxThree()
	ctx := context.Background()
	setMode := func(mode string) {
		_, err := b.db.Pool.Exec(ctx, "UPDATE workspaces SET closing_note_mode = $1", mode)
		require.NoError(t, err)
	}
	closePath := func(name string) string { return fmt.Sprintf("/api/v1/conversations/%d/close", convs[name].ID) }

	setMode("category_required")
	b.do("POST", closePath("Ana"), "", map[string]any{"summary": "no category"}, http.StatusBadRequest, nil)
	_, err := b.db.Pool.Exec(ctx, "INSERT INTO closing_note_categories (workspace_id, name) VALUES ($1, 'Resolved'), ($1, 'Spam')", b.owner.WorkspaceID)
	require.NoError(t, err)
	b.do("POST", closePath("Ana"), "", map[string]any{"category": "Unknown"}, http.StatusBadRequest, nil)
	b.do("POST", closePath("Ana"), "", map[string]any{"category": "Resolved"}, http.StatusOK, nil)

	setMode("all_required")
	b.do("POST", closePath("Bruno"), "", map[string]any{"category": "Resolved"}, http.StatusBadRequest, nil)
	b.do("POST", closePath("Bruno"), "", map[string]any{"category": "Resolved", "summary": "Refund issued"}, http.StatusOK, nil)

	setMode("disabled")
	b.do("POST", closePath("Carla"), "", map[string]any{"category": "Resolved"}, http.StatusBadRequest, nil)
	var got chatcenter.Conversation
	b.do("POST", closePath("Carla"), "", nil, http.StatusOK, &got)
	require.Equal(t, chatcenter.ConversationClosed, got.Status)
	require.Nil(t, got.Category)
}

func TestReopenAndBotPause(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	b.postUpdate(chID, inboxUpdate(1, 701, "Eva", "hi"), http.StatusOK)
	conv := b.waitOpenConversation()
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/close", conv.ID), "", nil, http.StatusOK, nil)
	b.eventually("run completed", func() bool {
		return b.workflowStatus(conv.ContactID) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	var reopened chatcenter.Conversation
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/reopen", conv.ID), "", nil, http.StatusOK, &reopened)
	require.NotEqual(t, conv.ID, reopened.ID)
	require.Equal(t, chatcenter.ConversationOpen, reopened.Status)

	var ct chatcenter.Contact
	b.do("POST", fmt.Sprintf("/api/v1/contacts/%d/bot/pause", conv.ContactID), "", nil, http.StatusOK, &ct)
	require.True(t, ct.BotPaused)
	b.do("POST", fmt.Sprintf("/api/v1/contacts/%d/bot/pause", conv.ContactID), "", nil, http.StatusOK, &ct)
	b.do("POST", fmt.Sprintf("/api/v1/contacts/%d/bot/resume", conv.ContactID), "", nil, http.StatusOK, &ct)
	require.False(t, ct.BotPaused)
	var n int
	require.NoError(t, b.db.Pool.QueryRow(context.Background(),
		"SELECT count(*) FROM events WHERE type IN ('contact.bot_paused', 'contact.bot_resumed') AND contact_id = $1", conv.ContactID).Scan(&n))
	require.Equal(t, 2, n, "a pause that changes nothing writes no event")
}

func TestAssignmentAndMessageNotifications(t *testing.T) {
	b := setup(t)
	convs := b.inboxThree()
	agent, _ := b.inboxUser("notified@example.com", chatcenter.RoleAgent, "")
	ctx := context.Background()
	count := func(userID int64, typ string) int {
		var n int
		require.NoError(t, b.db.Pool.QueryRow(ctx, "SELECT count(*) FROM notifications WHERE user_id = $1 AND type = $2", userID, typ).Scan(&n))
		return n
	}
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/assign", convs["Ana"].ID), "", map[string]any{"user_id": agent.ID}, http.StatusOK, nil)
	require.Equal(t, 1, count(agent.ID, "assignment"))
	// Assigning yourself (or replying, which assigns the replier) notifies nobody.
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/assign", convs["Bruno"].ID), "", map[string]any{"user_id": b.owner.ID}, http.StatusOK, nil)
	require.Equal(t, 0, count(b.owner.ID, "assignment"))

	chID := *convs["Ana"].ChannelID
	b.postUpdate(chID, inboxUpdate(10, 501, "Ana", "any news?"), http.StatusOK)
	b.eventually("message notification", func() bool { return count(agent.ID, "message") == 1 })
	var events int
	require.NoError(t, b.db.Pool.QueryRow(ctx, "SELECT count(*) FROM events WHERE type = 'notification.created'").Scan(&events))
	require.Equal(t, 2, events)
}

func TestReplyRendersDynamicVariables(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	b.postUpdate(chID, inboxUpdate(1, 801, "Ana", "hi"), http.StatusOK)
	conv := b.waitOpenConversation()
	var msg chatcenter.Message
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), "",
		map[string]any{"type": "text", "text": `Hi {{$contact.first_name}}, I'm {{$user.first_name}}. {{$contact.email | default: "no e-mail"}}`}, http.StatusAccepted, &msg)
	require.Equal(t, "Hi Ana, I'm Owner. no e-mail", msg.Content.Text)
	b.eventually("sent", func() bool { return b.message(msg.ID).Status == chatcenter.StatusSent })
	require.Equal(t, "Hi Ana, I'm Owner. no e-mail", b.telegram.callsTo("sendMessage")[0].Body["text"])
	// A text that renders to nothing is refused and nothing is stored.
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), "", map[string]any{"type": "text", "text": "{{$contact.email}}"}, http.StatusBadRequest, nil)
	require.Len(t, b.messages(conv.ID), 2)
}

func TestInboxMentionsFolder(t *testing.T) {
	b := setup(t)
	convs := b.inboxThree()
	agent, agentToken := b.inboxUser("mentioned@example.com", chatcenter.RoleAgent, "")
	b.do("POST", fmt.Sprintf("/api/v1/contacts/%d/comments", convs["Bruno"].ContactID), "",
		map[string]any{"text": fmt.Sprintf("{{@user.%d}} can you take this refund?", agent.ID)}, http.StatusCreated, nil)
	rows := b.inbox(agentToken, "?folder=mentions")
	require.Len(t, rows, 1)
	require.Equal(t, "Bruno", rows[0].Contact.FirstName)
	require.Empty(t, b.inbox("", "?folder=mentions"), "the owner was not mentioned")
	var counts struct{ Mentions int64 }
	b.do("GET", "/api/v1/inbox/counts", agentToken, nil, http.StatusOK, &counts)
	require.EqualValues(t, 1, counts.Mentions)
	b.do("POST", "/api/v1/notifications/read-all", agentToken, nil, http.StatusOK, nil)
	b.do("GET", "/api/v1/inbox/counts", agentToken, nil, http.StatusOK, &counts)
	require.EqualValues(t, 0, counts.Mentions, "the count is of unread mentions")
}

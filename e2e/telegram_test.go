package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/workflows"
)

func TestTelegramInboundOpensConversation(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	b.postUpdate(chID, textUpdate(1, 1365, "/start"), http.StatusOK)

	conv := b.waitOpenConversation()
	require.Equal(t, chatcenter.SourceContact, conv.OpenedSource)
	require.Equal(t, chID, *conv.ChannelID)
	require.EqualValues(t, 1, conv.IncomingCount)

	var contact chatcenter.Contact
	b.do("GET", fmt.Sprintf("/api/v1/contacts/%d", conv.ContactID), "", nil, http.StatusOK, &contact)
	require.Equal(t, "Test Firstname", contact.FirstName)
	require.Equal(t, "Test Lastname", contact.LastName)
	require.Equal(t, "en", contact.Language)
	require.Len(t, contact.Identities, 1)
	require.Equal(t, "1111111", contact.Identities[0].ExternalID)
	require.Equal(t, "Testusername", contact.Identities[0].Username)

	msgs := b.messages(conv.ID)
	require.Len(t, msgs, 1)
	require.Equal(t, chatcenter.DirectionIncoming, msgs[0].Direction)
	require.Equal(t, "/start", msgs[0].Content.Text)
	require.Equal(t, "1111111:1365", *msgs[0].ExternalID)

	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, b.workflowStatus(conv.ContactID))
	b.eventually("search attributes", func() bool {
		sa := b.searchAttributes(conv.ContactID)
		return sa["ConversationStatus"] == "open" && sa["WorkspaceId"] == fmt.Sprint(b.owner.WorkspaceID) &&
			sa["ContactId"] == fmt.Sprint(conv.ContactID) && sa["Channel"] == fmt.Sprint(chID)
	})
}

func TestTelegramDuplicateDeliveryStoresOnce(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	b.postUpdate(chID, textUpdate(1, 10, "hello"), http.StatusOK)
	b.postUpdate(chID, textUpdate(1, 10, "hello"), http.StatusOK)
	conv := b.waitOpenConversation()
	// Give the workflow time to handle the second signal too.
	time.Sleep(500 * time.Millisecond)
	require.Len(t, b.messages(conv.ID), 1)
	var l list[chatcenter.Message]
	b.do("GET", fmt.Sprintf("/api/v1/contacts/%d/messages", conv.ContactID), "", nil, http.StatusOK, &l)
	require.Len(t, l.Items, 1)
	got, err := b.db.ConversationGetByID(context.Background(), dbsqlc.ConversationGetByIDParams{WorkspaceID: b.owner.WorkspaceID, ID: conv.ID})
	require.NoError(t, err)
	require.EqualValues(t, 1, got.IncomingCount)

	// A known sender with a wrong or missing secret is refused too, and nothing is stored.
	path := fmt.Sprintf("/webhooks/telegram/%d", chID)
	b.request("POST", path, map[string]string{"X-Telegram-Bot-Api-Secret-Token": "wrong"}, textUpdate(2, 11, "spoofed"), http.StatusUnauthorized, nil)
	b.request("POST", path, nil, textUpdate(2, 11, "spoofed"), http.StatusUnauthorized, nil)
	b.request("POST", fmt.Sprintf("/webhooks/custom/%d", chID), map[string]string{"Authorization": "Bearer " + secretToken}, textUpdate(2, 11, "spoofed"), http.StatusNotFound, nil)
	b.do("GET", fmt.Sprintf("/api/v1/contacts/%d/messages", conv.ContactID), "", nil, http.StatusOK, &l)
	require.Len(t, l.Items, 1)
}

func TestTelegramWebhookRejectsBadRequestsAndStoresNothing(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	path := fmt.Sprintf("/webhooks/telegram/%d", chID)
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	b.request("POST", path, nil, textUpdate(1, 1, "x"), http.StatusUnauthorized, &e)
	require.Equal(t, "unauthorized", e.Error.Code)
	b.request("POST", path, map[string]string{"X-Telegram-Bot-Api-Secret-Token": "wrong"}, textUpdate(1, 1, "x"), http.StatusUnauthorized, nil)
	b.request("POST", path, map[string]string{"X-Telegram-Bot-Api-Secret-Token": secretToken}, `{"update_id":`, http.StatusBadRequest, &e)
	require.Equal(t, "invalid", e.Error.Code)
	b.request("POST", path, map[string]string{"X-Telegram-Bot-Api-Secret-Token": secretToken}, `{"message":{}}`, http.StatusBadRequest, nil)
	b.request("POST", "/webhooks/telegram/999999", map[string]string{"X-Telegram-Bot-Api-Secret-Token": secretToken}, textUpdate(1, 1, "x"), http.StatusNotFound, &e)
	require.Equal(t, "not_found", e.Error.Code)
	b.request("POST", fmt.Sprintf("/webhooks/custom/%d", chID), map[string]string{"Authorization": "Bearer " + secretToken}, `{}`, http.StatusNotFound, nil)

	var n int
	require.NoError(t, b.db.Pool.QueryRow(context.Background(), "SELECT (SELECT count(*) FROM contacts) + (SELECT count(*) FROM messages) + (SELECT count(*) FROM conversations)").Scan(&n))
	require.Zero(t, n)
}

func TestReplyReachesTelegramAndAssignsReplier(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	b.postUpdate(chID, textUpdate(1, 1, "hi there"), http.StatusOK)
	conv := b.waitOpenConversation()
	require.Nil(t, conv.AssigneeID)

	var msg chatcenter.Message
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), "", map[string]any{"type": "text", "text": "Hello, how can I help?"}, http.StatusAccepted, &msg)
	require.Equal(t, chatcenter.StatusPending, msg.Status)
	require.Equal(t, chatcenter.DirectionOutgoing, msg.Direction)
	b.eventually("message sent", func() bool { return b.message(msg.ID).Status == chatcenter.StatusSent })

	calls := b.telegram.callsTo("sendMessage")
	require.Len(t, calls, 1)
	require.EqualValues(t, 1111111, calls[0].Body["chat_id"])
	require.Equal(t, "Hello, how can I help?", calls[0].Body["text"])
	sent := b.message(msg.ID)
	require.Regexp(t, `^1111111:\d+$`, *sent.ExternalID)

	var got chatcenter.Conversation
	b.do("GET", fmt.Sprintf("/api/v1/conversations/%d", conv.ID), "", nil, http.StatusOK, &got)
	require.Equal(t, b.owner.ID, *got.AssigneeID, "replying to an unassigned conversation assigns it to the replier")
	require.NotNil(t, got.FirstResponseAt)
	require.EqualValues(t, 1, got.OutgoingCount)

	// The same Idempotency-Key does not send twice.
	var again chatcenter.Message
	hdr := map[string]string{"Authorization": "Bearer " + b.token, "Idempotency-Key": "abc"}
	b.request("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), hdr, map[string]any{"type": "text", "text": "once"}, http.StatusAccepted, &msg)
	b.request("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), hdr, map[string]any{"type": "text", "text": "once"}, http.StatusAccepted, &again)
	require.Equal(t, msg.ID, again.ID)
	b.eventually("second message sent", func() bool { return b.message(msg.ID).Status == chatcenter.StatusSent })
	time.Sleep(300 * time.Millisecond)
	require.Len(t, b.telegram.callsTo("sendMessage"), 2)

	// Bad input changes nothing.
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), "", map[string]any{"type": "text", "text": ""}, http.StatusBadRequest, nil)
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), "", `{"type":"text","text":"x","bogus":1}`, http.StatusBadRequest, nil)
	b.do("POST", "/api/v1/conversations/424242/messages", "", map[string]any{"type": "text", "text": "x"}, http.StatusNotFound, nil)
	require.Len(t, b.messages(conv.ID), 3)
}

func TestTelegramBlockedMarksFailedWithoutRetry(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	b.telegram.script("sendMessage", tgAnswer{Status: 403, Body: `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`})
	b.postUpdate(chID, textUpdate(1, 1, "hi"), http.StatusOK)
	conv := b.waitOpenConversation()
	var msg chatcenter.Message
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), "", map[string]any{"type": "text", "text": "hello?"}, http.StatusAccepted, &msg)
	b.eventually("message failed", func() bool { return b.message(msg.ID).Status == chatcenter.StatusFailed })
	require.Equal(t, "Forbidden: bot was blocked by the user", b.message(msg.ID).Error)
	time.Sleep(1500 * time.Millisecond)
	require.Len(t, b.telegram.callsTo("sendMessage"), 1, "a permanent failure is not retried")
}

func TestTelegramRateLimitRetriesAfterRetryAfter(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	b.telegram.script("sendMessage", tgAnswer{Status: 429, Body: `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 2","parameters":{"retry_after":2}}`})
	b.postUpdate(chID, textUpdate(1, 1, "hi"), http.StatusOK)
	conv := b.waitOpenConversation()
	var msg chatcenter.Message
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), "", map[string]any{"type": "text", "text": "hello"}, http.StatusAccepted, &msg)
	b.eventually("message sent after the rate limit", func() bool { return b.message(msg.ID).Status == chatcenter.StatusSent })
	calls := b.telegram.callsTo("sendMessage")
	require.Len(t, calls, 2)
	require.GreaterOrEqual(t, calls[1].At.Sub(calls[0].At), 1900*time.Millisecond, "the retry waits retry_after")
}

func TestAssignUnassignCloseAndReopenOnNextMessage(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	ctx := context.Background()
	hash, err := hashForTest("agent password 1")
	require.NoError(t, err)
	agent, err := b.db.UserInsert(ctx, dbsqlc.UserInsertParams{WorkspaceID: b.owner.WorkspaceID, Email: "agent@example.com", PasswordHash: hash, Name: "Agent", Role: "agent"})
	require.NoError(t, err)

	b.postUpdate(chID, textUpdate(1, 1, "hi"), http.StatusOK)
	conv := b.waitOpenConversation()
	base := fmt.Sprintf("/api/v1/conversations/%d", conv.ID)

	var got chatcenter.Conversation
	b.do("POST", base+"/assign", "", map[string]any{"user_id": agent.ID}, http.StatusOK, &got)
	require.Equal(t, agent.ID, *got.AssigneeID)
	require.NotNil(t, got.FirstAssignedAt)
	b.eventually("AssigneeId search attribute", func() bool { return b.searchAttributes(conv.ContactID)["AssigneeId"] == fmt.Sprint(agent.ID) })
	require.Len(t, b.conversations(fmt.Sprintf("?assignee=%d", agent.ID)), 1)
	require.Len(t, b.conversations("?assignee=unassigned"), 0)

	b.do("POST", base+"/assign", "", map[string]any{"user_id": 999999}, http.StatusBadRequest, nil)
	b.do("POST", base+"/assign", "", map[string]any{}, http.StatusBadRequest, nil)

	b.do("POST", base+"/unassign", "", nil, http.StatusOK, &got)
	require.Nil(t, got.AssigneeID)
	require.Len(t, b.conversations("?assignee=unassigned"), 1)
	b.eventually("AssigneeId cleared", func() bool { _, ok := b.searchAttributes(conv.ContactID)["AssigneeId"]; return !ok })

	b.do("POST", base+"/assign", "", map[string]any{"user_id": agent.ID}, http.StatusOK, &got)
	long := make([]byte, 129)
	for i := range long {
		long[i] = 'a'
	}
	b.do("POST", base+"/close", "", map[string]any{"category": string(long)}, http.StatusBadRequest, nil)
	b.do("POST", base+"/close", "", map[string]any{"category": "Resolved", "summary": "Answered the question"}, http.StatusOK, &got)
	require.Equal(t, chatcenter.ConversationClosed, got.Status)
	require.Equal(t, "Resolved", *got.Category)
	require.Equal(t, b.owner.ID, *got.ClosedBy)
	require.Equal(t, chatcenter.SourceUser, *got.ClosedSource)
	b.eventually("run completed", func() bool {
		return b.workflowStatus(conv.ContactID) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	b.do("POST", base+"/close", "", nil, http.StatusConflict, nil)
	b.do("POST", base+"/messages", "", map[string]any{"type": "text", "text": "late"}, http.StatusConflict, nil)

	var contact chatcenter.Contact
	b.do("GET", fmt.Sprintf("/api/v1/contacts/%d", conv.ContactID), "", nil, http.StatusOK, &contact)
	require.Equal(t, agent.ID, *contact.AssigneeID, "closing keeps the contact assigned")

	// The next message opens a second conversation, in a new run, still assigned to the agent.
	b.postUpdate(chID, textUpdate(2, 2, "one more thing"), http.StatusOK)
	var second chatcenter.Conversation
	b.eventually("second conversation", func() bool {
		items := b.conversations("?status=open")
		if len(items) == 1 && items[0].ID != conv.ID {
			second = items[0]
			return true
		}
		return false
	})
	require.Equal(t, conv.ContactID, second.ContactID)
	require.Equal(t, agent.ID, *second.AssigneeID)
	require.Len(t, b.conversations(""), 2)
	require.Len(t, b.conversations("?status=closed"), 1)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, b.workflowStatus(conv.ContactID))
}

func TestOpenConversationFromAPI(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	b.postUpdate(chID, textUpdate(1, 1, "hi"), http.StatusOK)
	conv := b.waitOpenConversation()
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/close", conv.ID), "", nil, http.StatusOK, nil)
	b.eventually("run completed", func() bool {
		return b.workflowStatus(conv.ContactID) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	var opened chatcenter.Conversation
	b.do("POST", fmt.Sprintf("/api/v1/contacts/%d/conversation/open", conv.ContactID), "", nil, http.StatusOK, &opened)
	require.NotEqual(t, conv.ID, opened.ID)
	require.Equal(t, chatcenter.ConversationOpen, opened.Status)
	require.Equal(t, chatcenter.SourceUser, opened.OpenedSource)
	require.Equal(t, chID, *opened.ChannelID)
	// Opening again is idempotent: the same open conversation.
	var again chatcenter.Conversation
	b.do("POST", fmt.Sprintf("/api/v1/contacts/%d/conversation/open", conv.ContactID), "", nil, http.StatusOK, &again)
	require.Equal(t, opened.ID, again.ID)
	// An agent can reply at once on the contact's channel.
	var msg chatcenter.Message
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", opened.ID), "", map[string]any{"type": "text", "text": "Following up"}, http.StatusAccepted, &msg)
	b.eventually("sent", func() bool { return b.message(msg.ID).Status == chatcenter.StatusSent })
	b.do("POST", "/api/v1/contacts/987654/conversation/open", "", nil, http.StatusNotFound, nil)
}

func TestTelegramEditsPhotosAndCallbacks(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	b.postUpdate(chID, textUpdate(1, 1365, "Original"), http.StatusOK)
	conv := b.waitOpenConversation()
	b.postUpdate(chID, `{"update_id":2,"edited_message":{"date":1441645532,"chat":{"type":"private","id":1111111,"first_name":"Test Firstname"},"message_id":1365,"from":{"id":1111111,"first_name":"Test Firstname"},"text":"Edited text","edit_date":1441646600}}`, http.StatusOK)
	b.postUpdate(chID, `{"update_id":3,"message":{"message_id":85,"from":{"id":1111111,"first_name":"Test"},"chat":{"id":1111111,"type":"private"},"date":1493843318,"photo":[{"file_id":"small","file_size":1140,"width":51,"height":90},{"file_id":"large","file_size":104737,"width":720,"height":1280}],"caption":"Photo Caption"}}`, http.StatusOK)
	b.postUpdate(chID, `{"update_id":4,"callback_query":{"id":"4382bfdwdsb323b2d9","from":{"id":1111111,"first_name":"Test"},"message":{"message_id":86,"chat":{"id":1111111,"type":"private"},"date":1493843400},"chat_instance":"x","data":"yes"}}`, http.StatusOK)
	b.eventually("three messages attached", func() bool { return len(b.messages(conv.ID)) == 3 })
	msgs := b.messages(conv.ID)
	require.Equal(t, chatcenter.ContentPostback, msgs[0].Content.Type)
	require.Equal(t, "yes", msgs[0].Content.Postback.Payload)
	require.Equal(t, chatcenter.ContentAttachment, msgs[1].Content.Type)
	require.Equal(t, "large", msgs[1].Content.Attachment.ProviderFileID)
	require.Equal(t, "Photo Caption", msgs[1].Content.Attachment.Caption)
	require.Equal(t, "Edited text", msgs[2].Content.Text)
	require.NotNil(t, msgs[2].EditedAt)
	b.eventually("callback answered", func() bool { return len(b.telegram.callsTo("answerCallbackQuery")) == 1 })
	require.Equal(t, "4382bfdwdsb323b2d9", b.telegram.callsTo("answerCallbackQuery")[0].Body["callback_query_id"])
}

func TestChannelsAPI(t *testing.T) {
	b := setup(t, withPublicURL("https://chat.example.com"))
	var ch map[string]any
	b.do("POST", "/api/v1/channels", "", map[string]any{
		"type": "telegram", "name": "Sales",
		"config": map[string]any{"bot_token": botToken, "secret_token": secretToken, "api_base_url": b.telegram.srv.URL},
	}, http.StatusCreated, &ch)
	id := int64(ch["id"].(float64))
	require.Equal(t, fmt.Sprintf("https://chat.example.com/webhooks/telegram/%d", id), ch["webhook_url"])
	raw := b.do("GET", fmt.Sprintf("/api/v1/channels/%d", id), "", nil, http.StatusOK, nil)
	require.NotContains(t, string(raw), botToken)
	require.NotContains(t, string(raw), secretToken)

	calls := b.telegram.callsTo("setWebhook")
	require.Len(t, calls, 1)
	require.Equal(t, ch["webhook_url"], calls[0].Body["url"])
	require.Equal(t, secretToken, calls[0].Body["secret_token"])

	// Secrets are sealed at rest.
	var sealed []byte
	require.NoError(t, b.db.Pool.QueryRow(context.Background(), "SELECT config_encrypted FROM channels WHERE id = $1", id).Scan(&sealed))
	require.NotContains(t, string(sealed), botToken)

	// Telegram refusing setWebhook leaves nothing behind.
	b.telegram.script("setWebhook", tgAnswer{Status: 400, Body: `{"ok":false,"error_code":400,"description":"Bad Request: bad webhook"}`})
	b.do("POST", "/api/v1/channels", "", map[string]any{
		"type": "telegram", "name": "Broken",
		"config": map[string]any{"bot_token": botToken, "secret_token": secretToken, "api_base_url": b.telegram.srv.URL},
	}, http.StatusBadRequest, nil)
	var l list[map[string]any]
	b.do("GET", "/api/v1/channels", "", nil, http.StatusOK, &l)
	require.Len(t, l.Items, 1)

	// Validation.
	b.do("POST", "/api/v1/channels", "", map[string]any{"type": "fax", "name": "x", "config": map[string]any{}}, http.StatusBadRequest, nil)
	b.do("POST", "/api/v1/channels", "", map[string]any{"type": "telegram", "name": "x", "config": map[string]any{"bot_token": "nope"}}, http.StatusBadRequest, nil)
	b.do("POST", "/api/v1/channels", "", `{"type":"telegram"`, http.StatusBadRequest, nil)

	// Rename and rotate the secret; the old secret stops working.
	b.do("PATCH", fmt.Sprintf("/api/v1/channels/%d", id), "", map[string]any{"name": "Sales EU", "config": map[string]any{"secret_token": "rotated-secret"}}, http.StatusOK, &ch)
	require.Equal(t, "Sales EU", ch["name"])
	b.request("POST", fmt.Sprintf("/webhooks/telegram/%d", id), map[string]string{"X-Telegram-Bot-Api-Secret-Token": secretToken}, textUpdate(1, 1, "x"), http.StatusUnauthorized, nil)
	b.request("POST", fmt.Sprintf("/webhooks/telegram/%d", id), map[string]string{"X-Telegram-Bot-Api-Secret-Token": "rotated-secret"}, textUpdate(1, 1, "x"), http.StatusOK, nil)

	// Agents may not manage channels; nobody may without a token.
	hash, err := hashForTest("agent password 1")
	require.NoError(t, err)
	_, err = b.db.UserInsert(context.Background(), dbsqlc.UserInsertParams{WorkspaceID: b.owner.WorkspaceID, Email: "a@example.com", PasswordHash: hash, Name: "A", Role: "agent"})
	require.NoError(t, err)
	var login struct{ Token string }
	b.request("POST", "/api/v1/auth/login", nil, map[string]any{"email": "a@example.com", "password": "agent password 1"}, http.StatusOK, &login)
	b.do("GET", "/api/v1/channels", login.Token, nil, http.StatusForbidden, nil)
	b.do("POST", "/api/v1/channels", login.Token, map[string]any{"type": "telegram", "name": "x", "config": map[string]any{}}, http.StatusForbidden, nil)
	b.request("GET", "/api/v1/channels", nil, nil, http.StatusUnauthorized, nil)
	b.do("GET", "/api/v1/me", login.Token, nil, http.StatusOK, nil)

	b.do("DELETE", fmt.Sprintf("/api/v1/channels/%d", id), "", nil, http.StatusNoContent, nil)
	b.do("GET", fmt.Sprintf("/api/v1/channels/%d", id), "", nil, http.StatusNotFound, nil)
	b.request("POST", fmt.Sprintf("/webhooks/telegram/%d", id), map[string]string{"X-Telegram-Bot-Api-Secret-Token": "rotated-secret"}, textUpdate(2, 2, "x"), http.StatusNotFound, nil)
}

func TestLoginAndHealth(t *testing.T) {
	b := setup(t)
	b.request("POST", "/api/v1/auth/login", nil, map[string]any{"email": adminEmail, "password": "wrong password"}, http.StatusUnauthorized, nil)
	b.request("POST", "/api/v1/auth/login", nil, map[string]any{"email": "nobody@example.com", "password": "wrong password"}, http.StatusUnauthorized, nil)
	b.request("POST", "/api/v1/auth/login", nil, `not json`, http.StatusBadRequest, nil)
	var me chatcenter.User
	b.do("GET", "/api/v1/me", "", nil, http.StatusOK, &me)
	require.Equal(t, chatcenter.RoleOwner, me.Role)
	b.do("GET", "/api/v1/me", "not-a-token", nil, http.StatusUnauthorized, nil)
	b.request("GET", "/healthz", nil, nil, http.StatusOK, nil)
	b.request("GET", "/readyz", nil, nil, http.StatusOK, nil)
	b.request("GET", "/", nil, nil, http.StatusOK, nil)
	b.do("POST", "/api/v1/auth/logout", "", nil, http.StatusNoContent, nil)
	b.do("GET", "/api/v1/me", "", nil, http.StatusUnauthorized, nil)
}

func TestConversationListPagination(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	for i := 0; i < 5; i++ {
		b.postUpdate(chID, fmt.Sprintf(`{"update_id":%d,"message":{"date":1441645532,"chat":{"id":%d,"type":"private","first_name":"C%d"},"message_id":1,"from":{"id":%d,"first_name":"C%d"},"text":"hi"}}`, i+1, 2000+i, i, 2000+i, i), http.StatusOK)
	}
	b.eventually("five conversations", func() bool { return len(b.conversations("?status=open")) == 5 })
	seen := map[int64]bool{}
	cursor := ""
	for page := 0; page < 3; page++ {
		var l list[chatcenter.Conversation]
		b.do("GET", "/api/v1/conversations?limit=2"+cursor, "", nil, http.StatusOK, &l)
		for _, c := range l.Items {
			require.False(t, seen[c.ID])
			seen[c.ID] = true
		}
		if l.NextCursor == nil {
			break
		}
		cursor = "&cursor=" + *l.NextCursor
	}
	require.Len(t, seen, 5)
	b.do("GET", "/api/v1/conversations?limit=0", "", nil, http.StatusBadRequest, nil)
	b.do("GET", "/api/v1/conversations?status=maybe", "", nil, http.StatusBadRequest, nil)
	b.do("GET", "/api/v1/conversations?cursor=not-a-cursor!", "", nil, http.StatusBadRequest, nil)
	require.Len(t, b.conversations(fmt.Sprintf("?channel=%d", chID)), 5)
	require.Len(t, b.conversations("?channel=999"), 0)
	require.Len(t, b.conversations("?assignee=me"), 0)
	_ = workflows.TaskQueue
}

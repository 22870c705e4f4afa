package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/chatcenterhq/chatcenter"
)

type autoCloseView struct {
	Enabled      bool `json:"enabled"`
	AfterSeconds int  `json:"after_seconds"`
}

type csatView struct {
	Enabled        bool   `json:"enabled"`
	Question       string `json:"question"`
	TimeoutSeconds int    `json:"timeout_seconds"`
}

type csatRatingView struct {
	ConversationID int64  `json:"conversation_id"`
	Rating         int    `json:"rating"`
	AssigneeID     *int64 `json:"assignee_id"`
}

// automationFail sends a request that must be refused with a JSON error of the given code.
func automationFail(b *bundle, method, path, token string, body any, status int, code string) {
	b.t.Helper()
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	b.do(method, path, token, body, status, &e)
	require.Equal(b.t, code, e.Error.Code, "%s %s", method, path)
	require.NotEmpty(b.t, e.Error.Message)
}

// automationCallback is a Telegram button press by the contact of textUpdate.
func automationCallback(updateID int, id, data string) string {
	return fmt.Sprintf(`{"update_id":%d,"callback_query":{"id":%q,"from":{"id":1111111,"first_name":"Test"},"message":{"message_id":77,"chat":{"id":1111111,"type":"private"},"date":1493843400},"chat_instance":"x","data":%q}}`, updateID, id, data)
}

// automationSurveys are the survey messages sent to Telegram so far.
func automationSurveys(b *bundle, question string) []tgCall {
	var out []tgCall
	for _, c := range b.telegram.callsTo("sendMessage") {
		if c.Body["text"] == question {
			out = append(out, c)
		}
	}
	return out
}

func TestAutoCloseAndCSATSettingsValidation(t *testing.T) {
	b := setup(t)
	_, agent := contactsUser(b, "agent@example.com", chatcenter.RoleAgent, "")

	var ac autoCloseView
	b.do("GET", "/api/v1/settings/auto-close", agent, nil, http.StatusOK, &ac)
	require.Equal(t, autoCloseView{Enabled: false, AfterSeconds: 86400}, ac)
	var cs csatView
	b.do("GET", "/api/v1/settings/csat", agent, nil, http.StatusOK, &cs)
	require.Equal(t, csatView{Enabled: false, Question: "How would you rate our conversation?", TimeoutSeconds: 86400}, cs)

	for _, body := range []any{
		map[string]any{"after_seconds": 3600},                     // enabled is required
		map[string]any{"enabled": true, "after_seconds": 1799},    // under 30 minutes
		map[string]any{"enabled": true, "after_seconds": 1209601}, // over 14 days
		map[string]any{"enabled": false, "after_seconds": 0},
		map[string]any{"enabled": true, "after_seconds": "1h"},
		map[string]any{"enabled": true, "after": 3600},
		`{"enabled":true,"after_seconds":3600.5}`,
	} {
		automationFail(b, "PUT", "/api/v1/settings/auto-close", "", body, http.StatusBadRequest, chatcenter.EINVALID)
	}
	long := make([]rune, 501)
	for i := range long {
		long[i] = 'é'
	}
	for _, body := range []any{
		map[string]any{"question": "Rate us"},
		map[string]any{"enabled": true, "question": string(long)},
		map[string]any{"enabled": true, "question": "Rate\x00us"},
		map[string]any{"enabled": true, "timeout_seconds": 299},
		map[string]any{"enabled": true, "timeout_seconds": 604801},
		map[string]any{"enabled": "yes"},
	} {
		automationFail(b, "PUT", "/api/v1/settings/csat", "", body, http.StatusBadRequest, chatcenter.EINVALID)
	}
	automationFail(b, "PUT", "/api/v1/settings/auto-close", agent, map[string]any{"enabled": true}, http.StatusForbidden, "forbidden")
	automationFail(b, "PUT", "/api/v1/settings/csat", agent, map[string]any{"enabled": true}, http.StatusForbidden, "forbidden")

	// Nothing changed.
	b.do("GET", "/api/v1/settings/auto-close", "", nil, http.StatusOK, &ac)
	require.Equal(t, autoCloseView{Enabled: false, AfterSeconds: 86400}, ac)
	b.do("GET", "/api/v1/settings/csat", "", nil, http.StatusOK, &cs)
	require.False(t, cs.Enabled)
	require.Zero(t, settingsEventCount(b, "settings.updated"))

	// Enabling without a delay takes respond.io's default of 24 hours; the bounds are accepted.
	b.do("PUT", "/api/v1/settings/auto-close", "", map[string]any{"enabled": true}, http.StatusOK, &ac)
	require.Equal(t, autoCloseView{Enabled: true, AfterSeconds: 86400}, ac)
	b.do("PUT", "/api/v1/settings/auto-close", "", map[string]any{"enabled": true, "after_seconds": 1800}, http.StatusOK, &ac)
	require.Equal(t, autoCloseView{Enabled: true, AfterSeconds: 1800}, ac)
	b.do("PUT", "/api/v1/settings/auto-close", "", map[string]any{"enabled": true, "after_seconds": 1209600}, http.StatusOK, &ac)
	b.do("GET", "/api/v1/settings/auto-close", agent, nil, http.StatusOK, &ac)
	require.Equal(t, autoCloseView{Enabled: true, AfterSeconds: 1209600}, ac)
	require.Equal(t, 3, settingsEventCount(b, "settings.updated"))
	// The same value again is not a change.
	b.do("PUT", "/api/v1/settings/auto-close", "", map[string]any{"enabled": true, "after_seconds": 1209600}, http.StatusOK, &ac)
	require.Equal(t, 3, settingsEventCount(b, "settings.updated"))
	b.do("PUT", "/api/v1/settings/auto-close", "", map[string]any{"enabled": false}, http.StatusOK, &ac)
	require.Equal(t, autoCloseView{Enabled: false, AfterSeconds: 86400}, ac)

	b.do("PUT", "/api/v1/settings/csat", "", map[string]any{"enabled": true, "question": "  Did we help?  ", "timeout_seconds": 300}, http.StatusOK, &cs)
	require.Equal(t, csatView{Enabled: true, Question: "Did we help?", TimeoutSeconds: 300}, cs)
	b.do("GET", "/api/v1/settings/csat", agent, nil, http.StatusOK, &cs)
	require.Equal(t, csatView{Enabled: true, Question: "Did we help?", TimeoutSeconds: 300}, cs)
	// Omitted values take their defaults.
	b.do("PUT", "/api/v1/settings/csat", "", map[string]any{"enabled": true}, http.StatusOK, &cs)
	require.Equal(t, csatView{Enabled: true, Question: "How would you rate our conversation?", TimeoutSeconds: 86400}, cs)

	var payload struct {
		Section string         `json:"section"`
		Value   map[string]any `json:"value"`
	}
	var raw []byte
	require.NoError(t, b.db.Pool.QueryRow(context.Background(),
		"SELECT payload FROM events WHERE type = 'settings.updated' ORDER BY id DESC LIMIT 1").Scan(&raw))
	require.NoError(t, json.Unmarshal(raw, &payload))
	require.Equal(t, "csat", payload.Section)
	require.Equal(t, true, payload.Value["enabled"])
}

// The delay is at least 30 minutes; to see the close happen, this test's own database lets the
// workspace use two seconds. Everything else is the product's path: the agent's reply starts the
// timer in the conversation workflow, which closes the conversation with source auto_close.
func TestAutoCloseClosesSilentConversation(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	b.do("PUT", "/api/v1/settings/auto-close", "", map[string]any{"enabled": true, "after_seconds": 1800}, http.StatusOK, nil)
	ctx := context.Background()
	_, err := b.db.Pool.Exec(ctx, "ALTER TABLE workspaces DROP CONSTRAINT workspaces_auto_close_seconds_check")
	require.NoError(t, err)
	_, err = b.db.Pool.Exec(ctx, "UPDATE workspaces SET auto_close_seconds = 2 WHERE id = $1", b.owner.WorkspaceID)
	require.NoError(t, err)

	b.postUpdate(chID, textUpdate(1, 1, "hi"), http.StatusOK)
	conv := b.waitOpenConversation()
	base := fmt.Sprintf("/api/v1/conversations/%d", conv.ID)
	var msg chatcenter.Message
	b.do("POST", base+"/messages", "", map[string]any{"type": "text", "text": "Anything else?"}, http.StatusAccepted, &msg)

	var got chatcenter.Conversation
	b.eventually("auto-closed", func() bool {
		b.do("GET", base, "", nil, http.StatusOK, &got)
		return got.Status == chatcenter.ConversationClosed
	})
	require.NotNil(t, got.ClosedSource)
	require.Equal(t, chatcenter.SourceAutoClose, *got.ClosedSource)
	require.Nil(t, got.ClosedBy)
	require.Equal(t, chatcenter.StatusSent, b.message(msg.ID).Status, "the reply was sent before the close")
	b.eventually("run completed", func() bool {
		return b.workflowStatus(conv.ContactID) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	var n int
	require.NoError(t, b.db.Pool.QueryRow(ctx, "SELECT count(*) FROM events WHERE type = 'conversation.closed' AND payload->'conversation'->>'closed_source' = 'auto_close'").Scan(&n))
	require.Equal(t, 1, n)
}

func TestCSATRatingStoredWithoutOpeningConversation(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	agent, _ := contactsUser(b, "agent@example.com", chatcenter.RoleAgent, "")
	b.do("PUT", "/api/v1/settings/csat", "", map[string]any{"enabled": true, "question": "How did we do?"}, http.StatusOK, nil)

	b.postUpdate(chID, textUpdate(1, 1, "hi"), http.StatusOK)
	conv := b.waitOpenConversation()
	base := fmt.Sprintf("/api/v1/conversations/%d", conv.ID)
	b.do("POST", base+"/assign", "", map[string]any{"user_id": agent.ID}, http.StatusOK, nil)
	b.do("GET", base+"/csat", "", nil, http.StatusNotFound, nil)
	b.do("POST", base+"/close", "", map[string]any{}, http.StatusOK, nil)

	// The survey goes out on Telegram with one button per rating.
	b.eventually("survey sent", func() bool { return len(automationSurveys(b, "How did we do?")) == 1 })
	markup, err := json.Marshal(automationSurveys(b, "How did we do?")[0].Body["reply_markup"])
	require.NoError(t, err)
	require.JSONEq(t, `{"inline_keyboard":[[{"text":"1","callback_data":"csat:1"}],[{"text":"2","callback_data":"csat:2"}],[{"text":"3","callback_data":"csat:3"}],[{"text":"4","callback_data":"csat:4"}],[{"text":"5","callback_data":"csat:5"}]]}`, string(markup))
	msgs := b.messages(conv.ID)
	require.Equal(t, "How did we do?", msgs[0].Content.Text, "the survey is stored on the closed conversation")
	require.Equal(t, chatcenter.SenderWorkflow, msgs[0].SenderKind)
	b.eventually("run completed", func() bool {
		return b.workflowStatus(conv.ContactID) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})

	b.postUpdate(chID, automationCallback(2, "cb-csat", "csat:4"), http.StatusOK)
	var rating csatRatingView
	b.eventually("rating stored", func() bool {
		status, _ := isolationCall(t, b, "GET", base+"/csat", nil)
		return status == http.StatusOK
	})
	b.do("GET", base+"/csat", "", nil, http.StatusOK, &rating)
	require.Equal(t, conv.ID, rating.ConversationID)
	require.Equal(t, 4, rating.Rating)
	require.NotNil(t, rating.AssigneeID)
	require.Equal(t, agent.ID, *rating.AssigneeID, "the rating is the agent's who had the conversation")

	// The answer joined the closed conversation and opened nothing.
	msgs = b.messages(conv.ID)
	require.Equal(t, chatcenter.ContentPostback, msgs[0].Content.Type)
	require.Equal(t, "csat:4", msgs[0].Content.Postback.Payload)
	require.Empty(t, b.conversations("?status=open"))
	require.Len(t, b.conversations(""), 1)
	require.Equal(t, 1, settingsEventCount(b, "csat.received"))
	require.Equal(t, 1, settingsEventCount(b, "conversation.opened"), "only the first conversation was opened")
	b.eventually("button press acknowledged", func() bool { return len(b.telegram.callsTo("answerCallbackQuery")) == 1 })

	// The survey is answered once: the next message is an ordinary one and opens a conversation.
	b.postUpdate(chID, textUpdate(3, 3, "5"), http.StatusOK)
	second := b.waitOpenConversation()
	require.NotEqual(t, conv.ID, second.ID)
	b.do("GET", base+"/csat", "", nil, http.StatusOK, &rating)
	require.Equal(t, 4, rating.Rating)
}

func TestCSATNonRatingOpensNewConversation(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	b.do("PUT", "/api/v1/settings/csat", "", map[string]any{"enabled": true}, http.StatusOK, nil)
	const question = "How would you rate our conversation?"

	b.postUpdate(chID, textUpdate(1, 1, "hi"), http.StatusOK)
	first := b.waitOpenConversation()
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/close", first.ID), "", map[string]any{}, http.StatusOK, nil)
	b.eventually("first survey sent", func() bool { return len(automationSurveys(b, question)) == 1 })

	// Not a rating: the survey ends and the message opens a new conversation, as usual.
	b.postUpdate(chID, textUpdate(2, 2, "one more question"), http.StatusOK)
	var second chatcenter.Conversation
	b.eventually("second conversation", func() bool {
		items := b.conversations("?status=open")
		if len(items) == 1 && items[0].ID != first.ID {
			second = items[0]
			return true
		}
		return false
	})
	b.do("GET", fmt.Sprintf("/api/v1/conversations/%d/csat", first.ID), "", nil, http.StatusNotFound, nil)
	msgs := b.messages(second.ID)
	require.Len(t, msgs, 1)
	require.Equal(t, "one more question", msgs[0].Content.Text)

	// The second conversation's survey is answered with stars.
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/close", second.ID), "", map[string]any{}, http.StatusOK, nil)
	b.eventually("second survey sent", func() bool { return len(automationSurveys(b, question)) == 2 })
	b.postUpdate(chID, textUpdate(3, 3, "⭐️⭐️⭐️⭐️⭐️"), http.StatusOK)
	var rating csatRatingView
	b.eventually("rating stored", func() bool {
		status, _ := isolationCall(t, b, "GET", fmt.Sprintf("/api/v1/conversations/%d/csat", second.ID), nil)
		return status == http.StatusOK
	})
	b.do("GET", fmt.Sprintf("/api/v1/conversations/%d/csat", second.ID), "", nil, http.StatusOK, &rating)
	require.Equal(t, 5, rating.Rating)
	require.Nil(t, rating.AssigneeID, "nobody had the conversation")
	require.Empty(t, b.conversations("?status=open"))
	require.Len(t, b.conversations(""), 2)
}

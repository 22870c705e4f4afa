package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
)

// A reply with buttons reaches Telegram as an inline keyboard, is stored with its buttons, and a
// press on one comes back as a postback carrying the button's payload and title.
func TestButtonsTelegramEndToEnd(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	b.postUpdate(chID, textUpdate(1, 1, "hi there"), http.StatusOK)
	conv := b.waitOpenConversation()
	path := fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID)

	var msg chatcenter.Message
	b.do("POST", path, "", map[string]any{"type": "text", "text": "Which team?", "buttons": []map[string]any{
		{"title": "Sales", "payload": "team_sales"}, {"title": "Support", "payload": "team_support"},
	}}, http.StatusAccepted, &msg)
	b.eventually("message sent", func() bool { return b.message(msg.ID).Status == chatcenter.StatusSent })

	calls := b.telegram.callsTo("sendMessage")
	require.Len(t, calls, 1)
	require.Equal(t, "Which team?", calls[0].Body["text"])
	require.Equal(t, map[string]any{"inline_keyboard": []any{
		[]any{map[string]any{"text": "Sales", "callback_data": "team_sales"}},
		[]any{map[string]any{"text": "Support", "callback_data": "team_support"}},
	}}, calls[0].Body["reply_markup"])
	require.Equal(t, []chatcenter.Button{{Title: "Sales", Payload: "team_sales"}, {Title: "Support", Payload: "team_support"}},
		b.message(msg.ID).Content.Buttons)

	b.postUpdate(chID, `{"update_id":2,"callback_query":{"id":"cb-1","from":{"id":1111111,"first_name":"Test"},"chat_instance":"x","data":"team_support",`+
		`"message":{"message_id":501,"date":1441645600,"chat":{"id":1111111,"type":"private"},"text":"Which team?",`+
		`"reply_markup":{"inline_keyboard":[[{"text":"Sales","callback_data":"team_sales"}],[{"text":"Support","callback_data":"team_support"}]]}}}}`,
		http.StatusOK)
	b.eventually("the press is stored", func() bool { return len(b.messages(conv.ID)) == 3 })
	press := b.messages(conv.ID)[0]
	require.Equal(t, chatcenter.Content{Type: chatcenter.ContentPostback, Postback: &chatcenter.Postback{Payload: "team_support", Title: "Support"}},
		press.Content)

	// Invalid buttons are refused before anything is stored or sent.
	for _, bad := range []map[string]any{
		{"type": "text", "text": "x", "buttons": []map[string]any{{"title": "A", "payload": "same"}, {"title": "B", "payload": "same"}}},
		{"type": "text", "text": "x", "buttons": []map[string]any{{"title": "This title is far too long", "payload": "p"}}},
		{"type": "attachment", "attachment": map[string]any{"type": "image", "url": "https://example.com/a.jpg"},
			"buttons": []map[string]any{{"title": "A", "payload": "a"}}},
	} {
		b.do("POST", path, "", bad, http.StatusBadRequest, nil)
	}
	require.Len(t, b.messages(conv.ID), 3)
	require.Len(t, b.telegram.callsTo("sendMessage"), 1)
}

// The custom channel passes buttons to the integration in the outgoing message, and the
// integration reports a press as a postback message.
func TestButtonsCustomChannel(t *testing.T) {
	b := setup(t)
	var mu sync.Mutex
	var received []map[string]any
	integration := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if r.Header.Get("Authorization") != "Bearer "+customToken || json.NewDecoder(r.Body).Decode(&body) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		received = append(received, body)
		mu.Unlock()
		_, _ = io.WriteString(w, `{"mId":"out-1"}`)
	}))
	t.Cleanup(integration.Close)

	var ch struct {
		ID int64 `json:"id"`
	}
	b.do("POST", "/api/v1/channels", "", map[string]any{
		"type": "custom", "name": "Website", "config": map[string]any{"api_url": integration.URL, "api_token": customToken},
	}, http.StatusCreated, &ch)
	hook := fmt.Sprintf("/webhooks/custom/%d", ch.ID)
	auth := map[string]string{"Authorization": "Bearer " + customToken}
	b.request("POST", hook, auth, `{"contactId":"user-7","events":[{"type":"message","mId":"in-1","message":{"type":"text","text":"hello"}}]}`,
		http.StatusOK, nil)
	conv := b.waitOpenConversation()

	var msg chatcenter.Message
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), "", map[string]any{
		"type": "text", "text": "Rate us", "buttons": []map[string]any{{"title": "Good", "payload": "good"}, {"title": "Bad", "payload": "bad"}},
	}, http.StatusAccepted, &msg)
	b.eventually("message sent", func() bool { return b.message(msg.ID).Status == chatcenter.StatusSent })
	mu.Lock()
	require.Len(t, received, 1)
	require.Equal(t, map[string]any{"type": "text", "text": "Rate us", "buttons": []any{
		map[string]any{"title": "Good", "payload": "good"}, map[string]any{"title": "Bad", "payload": "bad"},
	}}, received[0]["message"])
	mu.Unlock()

	b.request("POST", hook, auth, `{"contactId":"user-7","events":[{"type":"message","mId":"in-2","message":{"type":"postback","postback":{"payload":"good","title":"Good"}}}]}`,
		http.StatusOK, nil)
	b.eventually("the press is stored", func() bool { return len(b.messages(conv.ID)) == 3 })
	require.Equal(t, chatcenter.Content{Type: chatcenter.ContentPostback, Postback: &chatcenter.Postback{Payload: "good", Title: "Good"}},
		b.messages(conv.ID)[0].Content)
}

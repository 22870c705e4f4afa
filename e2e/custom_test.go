package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
)

const customToken = "custom-channel-token-0123456789"

// TestCustomChannelEndToEnd follows respond.io's custom-channel protocol: the integrator posts
// inbound events with a bearer token; replies are POSTed to {api_url}/message and the returned
// mId is recorded; status events move the message forward.
func TestCustomChannelEndToEnd(t *testing.T) {
	b := setup(t)
	var mu sync.Mutex
	var received []map[string]any
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/message" || r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer "+customToken {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":{"message":"unauthorized"}}`)
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		received = append(received, body)
		mu.Unlock()
		_, _ = io.WriteString(w, `{"mId":"provider-msg-77"}`)
	}))
	t.Cleanup(provider.Close)

	var ch struct {
		ID int64 `json:"id"`
	}
	b.do("POST", "/api/v1/channels", "", map[string]any{
		"type": "custom", "name": "Website", "config": map[string]any{"api_url": provider.URL, "api_token": customToken},
	}, http.StatusCreated, &ch)
	hook := fmt.Sprintf("/webhooks/custom/%d", ch.ID)
	inbound := `{"channelId":"web","contactId":"+60123456789","contact":{"firstName":"Aisha"},"events":[{"type":"message","mId":"m-1","timestamp":1662965848000,"message":{"type":"text","text":"hello"}}]}`
	b.request("POST", hook, nil, inbound, http.StatusUnauthorized, nil)
	b.request("POST", hook, map[string]string{"Authorization": "Bearer wrong"}, inbound, http.StatusUnauthorized, nil)
	b.request("POST", hook, map[string]string{"Authorization": "Bearer " + customToken}, `{"events":[`, http.StatusBadRequest, nil)
	b.request("POST", hook, map[string]string{"Authorization": "Bearer " + customToken}, inbound, http.StatusOK, nil)

	conv := b.waitOpenConversation()
	var contact chatcenter.Contact
	b.do("GET", fmt.Sprintf("/api/v1/contacts/%d", conv.ContactID), "", nil, http.StatusOK, &contact)
	require.Equal(t, "+60123456789", *contact.Phone)

	var msg chatcenter.Message
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), "", map[string]any{"type": "text", "text": "Hi Aisha"}, http.StatusAccepted, &msg)
	b.eventually("sent", func() bool { return b.message(msg.ID).Status == chatcenter.StatusSent })
	require.Equal(t, "provider-msg-77", *b.message(msg.ID).ExternalID)
	mu.Lock()
	require.Len(t, received, 1)
	require.Equal(t, "+60123456789", received[0]["contactId"])
	require.Equal(t, fmt.Sprint(ch.ID), received[0]["channelId"])
	require.Equal(t, map[string]any{"type": "text", "text": "Hi Aisha"}, received[0]["message"])
	mu.Unlock()

	status := func(s string) string {
		return `{"contactId":"+60123456789","events":[{"type":"message_status","mId":"provider-msg-77","status":"` + s + `"}]}`
	}
	b.request("POST", hook, map[string]string{"Authorization": "Bearer " + customToken}, status("read"), http.StatusOK, nil)
	require.Equal(t, chatcenter.StatusRead, b.message(msg.ID).Status)
	// A late "delivered" does not move a read message back.
	b.request("POST", hook, map[string]string{"Authorization": "Bearer " + customToken}, status("delivered"), http.StatusOK, nil)
	require.Equal(t, chatcenter.StatusRead, b.message(msg.ID).Status)

	// An integration that answers a second message with the first one's mId took it all the same:
	// the reply is sent once and recorded as sent without an id, never sent again by a retry.
	var second chatcenter.Message
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), "", map[string]any{"type": "text", "text": "Anything else?"}, http.StatusAccepted, &second)
	b.eventually("second sent", func() bool { return b.message(second.ID).Status == chatcenter.StatusSent })
	require.Nil(t, b.message(second.ID).ExternalID)
	require.Equal(t, "provider-msg-77", *b.message(msg.ID).ExternalID)
	time.Sleep(2 * time.Second) // a retry would call the provider again within this
	mu.Lock()
	require.Len(t, received, 2, "the provider got each message once")
	mu.Unlock()
}

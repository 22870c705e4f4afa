package e2e

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
)

// TestMessageAttachments: what a contact sends on Telegram arrives as Telegram's file_id and is
// downloaded through the API — getFile, then the Bot API's file route — by whoever may see the
// conversation, as a download the browser may not render; a file Telegram does not know, a text
// and a user who may not see the contact get 404.
func TestMessageAttachments(t *testing.T) {
	b := setup(t)
	e := &filesEnv{bundle: b, dir: b.filesDir, linkKey: b.linkKey}
	ch := b.createTelegramChannel()
	photo := []byte("\xff\xd8\xff\xe0 the contact's photo")
	b.telegram.addFile("large", photo)
	b.postUpdate(ch, `{"update_id":3,"message":{"message_id":85,"from":{"id":1111111,"first_name":"Test"},"chat":{"id":1111111,"type":"private"},"date":1493843318,"photo":[{"file_id":"small","file_size":1140,"width":51,"height":90},{"file_id":"large","file_size":104737,"width":720,"height":1280}],"caption":"Photo Caption"}}`, http.StatusOK)
	b.postUpdate(ch, `{"update_id":4,"message":{"message_id":86,"from":{"id":1111111,"first_name":"Test"},"chat":{"id":1111111,"type":"private"},"date":1493843319,"document":{"file_id":"expired-doc","file_name":"report.pdf","mime_type":"application/pdf","file_size":1000}}}`, http.StatusOK)
	b.postUpdate(ch, textUpdate(5, 87, "and a text"), http.StatusOK)
	conv := b.waitOpenConversation()
	var photoMsg, docMsg, textMsg chatcenter.Message
	b.eventually("three messages", func() bool { return len(b.messages(conv.ID)) == 3 })
	for _, m := range b.messages(conv.ID) {
		switch {
		case m.Content.Attachment != nil && m.Content.Attachment.Type == chatcenter.AttachmentImage:
			photoMsg = m
		case m.Content.Attachment != nil:
			docMsg = m
		default:
			textMsg = m
		}
	}
	require.Equal(t, "large", photoMsg.Content.Attachment.ProviderFileID)
	path := func(m chatcenter.Message) string { return fmt.Sprintf("/api/v1/messages/%d/attachment", m.ID) }

	resp, body := e.get("GET", path(photoMsg), b.token)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Equal(t, photo, body)
	require.Equal(t, "image/jpeg", resp.Header.Get("Content-Type"))
	require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	require.Equal(t, "default-src 'none'; sandbox", resp.Header.Get("Content-Security-Policy"))
	require.Contains(t, resp.Header.Get("Content-Disposition"), fmt.Sprintf(`attachment; filename="message-%d.jpg"`, photoMsg.ID))
	require.Len(t, b.telegram.callsTo("getFile"), 1)
	require.Equal(t, "large", b.telegram.callsTo("getFile")[0].Body["file_id"])

	for name, tc := range map[string]struct {
		m    chatcenter.Message
		want string
	}{
		"file Telegram no longer has": {docMsg, "invalid file_id"},
		"text message":                {textMsg, "has no attachment"},
	} {
		resp, body := e.get("GET", path(tc.m), b.token)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, name)
		require.Contains(t, string(body), tc.want, name)
	}

	// Visibility follows the contact: an agent restricted to their own conversations sees
	// neither the conversation nor its files; once it is theirs, they do.
	agent, agentToken := b.inboxUser("agent@example.com", chatcenter.RoleAgent, `{"show_only_mine":true}`)
	resp, _ = e.get("GET", path(photoMsg), agentToken)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/assign", conv.ID), "", map[string]any{"user_id": agent.ID}, http.StatusOK, nil)
	resp, body = e.get("GET", path(photoMsg), agentToken)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Equal(t, photo, body)

	resp, _ = e.get("GET", path(photoMsg), "")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

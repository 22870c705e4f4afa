package e2e

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

type snippetsSnippet struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Text   string `json:"text"`
	FileID *int64 `json:"file_id"`
}

// TestSnippetsRenderForInboundContact: a manager saves a snippet with variables; an agent finds
// it and previews it for a contact that wrote in on Telegram.
func TestSnippetsRenderForInboundContact(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	b.postUpdate(chID, textUpdate(1, 1, "hola"), http.StatusOK)
	conv := b.waitOpenConversation()
	_, managerToken := commentsLogin(b, "manager@example.com", "Marta Manager", "manager")
	_, agentToken := commentsLogin(b, "agent@example.com", "Ana Maria Agent", "agent")

	var sn snippetsSnippet
	b.do("POST", "/api/v1/snippets", managerToken, map[string]any{
		"name": "welcome",
		"text": `Hi {{$contact.first_name | default: "there"}}{{$contact.email}}! I'm {{$user.first_name}} ({{$user.last_name}}), ` +
			`your language is {{ $contact.language }}. Ref {{$contact.order_id | default: 'none'}}. {{$team.name}}`,
	}, http.StatusCreated, &sn)
	require.Equal(t, "welcome", sn.Name)

	// Agents may not write snippets, and names are unique.
	b.do("POST", "/api/v1/snippets", agentToken, map[string]any{"name": "other", "text": "x"}, http.StatusForbidden, nil)
	b.do("POST", "/api/v1/snippets", "", map[string]any{"name": "Welcome", "text": "x"}, http.StatusConflict, nil)

	var found list[snippetsSnippet]
	b.do("GET", "/api/v1/snippets?search=WELC", agentToken, nil, http.StatusOK, &found)
	require.Len(t, found.Items, 1)
	require.Equal(t, sn.ID, found.Items[0].ID)

	var out struct {
		Text string `json:"text"`
	}
	b.do("POST", fmt.Sprintf("/api/v1/snippets/%d/render", sn.ID), agentToken, map[string]any{"contact_id": conv.ContactID}, http.StatusOK, &out)
	require.Equal(t, "Hi Test Firstname! I'm Ana (Maria Agent), your language is en. Ref none. {{$team.name}}", out.Text)
	b.do("POST", fmt.Sprintf("/api/v1/snippets/%d/render", sn.ID), "", map[string]any{"contact_id": conv.ContactID}, http.StatusOK, &out)
	require.Equal(t, "Hi Test Firstname! I'm Owner (), your language is en. Ref none. {{$team.name}}", out.Text)

	b.do("PATCH", fmt.Sprintf("/api/v1/snippets/%d", sn.ID), managerToken, map[string]any{"file_id": 3}, http.StatusOK, &sn)
	require.EqualValues(t, 3, *sn.FileID)
	b.do("DELETE", fmt.Sprintf("/api/v1/snippets/%d", sn.ID), agentToken, nil, http.StatusForbidden, nil)
	b.do("DELETE", fmt.Sprintf("/api/v1/snippets/%d", sn.ID), managerToken, nil, http.StatusNoContent, nil)
	b.do("POST", fmt.Sprintf("/api/v1/snippets/%d/render", sn.ID), agentToken, map[string]any{"contact_id": conv.ContactID}, http.StatusNotFound, nil)
}

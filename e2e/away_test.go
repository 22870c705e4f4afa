package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type awayView struct {
	Enabled bool   `json:"enabled"`
	Text    string `json:"text"`
}

// TestAwayMessageSettings: defaults, validation (nothing changes on a bad request), and the
// settings.updated event on a change.
func TestAwayMessageSettings(t *testing.T) {
	b := setup(t)
	var got awayView
	b.do("GET", "/api/v1/settings/away-message", "", nil, http.StatusOK, &got)
	require.False(t, got.Enabled)
	require.NotEmpty(t, got.Text)
	def := got

	var e flowsErr
	b.do("PUT", "/api/v1/settings/away-message", "", map[string]any{"text": "x"}, http.StatusBadRequest, &e)
	require.Equal(t, "invalid", e.Error.Code)
	b.do("PUT", "/api/v1/settings/away-message", "", map[string]any{"enabled": true, "text": "  "}, http.StatusBadRequest, nil)
	b.do("PUT", "/api/v1/settings/away-message", "", map[string]any{"enabled": true, "text": strings.Repeat("a", 2001)}, http.StatusBadRequest, nil)
	b.do("PUT", "/api/v1/settings/away-message", "", map[string]any{"enabled": true, "text": "a\x00b"}, http.StatusBadRequest, nil)
	b.do("GET", "/api/v1/settings/away-message", "", nil, http.StatusOK, &got)
	require.Equal(t, def, got, "a refused request changes nothing")

	b.do("PUT", "/api/v1/settings/away-message", "", map[string]any{"enabled": true, "text": "Back at 9!"}, http.StatusOK, &got)
	require.Equal(t, awayView{Enabled: true, Text: "Back at 9!"}, got)
	b.do("PUT", "/api/v1/settings/away-message", "", map[string]any{"enabled": false}, http.StatusOK, &got)
	require.Equal(t, awayView{Enabled: false, Text: "Back at 9!"}, got, "the text is kept when only enabled is sent")
}

// TestAwayMessageOutsideBusinessHours: with the away message on, a contact opening a conversation
// outside business hours gets it once (variables rendered); within business hours nobody does.
func TestAwayMessageOutsideBusinessHours(t *testing.T) {
	b := setup(t)
	chat := tplNewChat(b)
	b.do("PUT", "/api/v1/settings/away-message", "", map[string]any{"enabled": true,
		"text": "Hi {{$contact.first_name}}, we're away and will reply when we're back."}, http.StatusOK, nil)

	// Business hours never set: always away.
	chat.write(501, "Ana", "hello")
	b.eventually("the away message", func() bool { return len(b.telegram.callsTo("sendMessage")) == 1 })
	require.Equal(t, "Hi Ana, we're away and will reply when we're back.", b.telegram.callsTo("sendMessage")[0].Body["text"])
	chat.write(501, "Ana", "anyone there?")
	b.eventually("the second message attached", func() bool {
		c := tplOpenConversationOf(b, "Ana")
		return c.IncomingCount == 2
	})

	// Open every day, all day: nobody gets it.
	days := map[string]any{}
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		days[d] = []map[string]string{{"from": "00:00", "to": "24:00"}}
	}
	b.do("PUT", "/api/v1/settings/business-hours", "", map[string]any{"timezone": "UTC", "days": days, "holidays": []any{}}, http.StatusOK, nil)
	chat.write(502, "Bea", "hello")
	b.eventually("Bea's message attached", func() bool { return tplOpenConversationOf(b, "Bea").IncomingCount == 1 })
	// Nothing more is coming: give the workflow time to have stored one if it were going to.
	time.Sleep(time.Second)
	for _, m := range b.messages(tplOpenConversationOf(b, "Bea").ID) {
		require.Equal(t, "incoming", string(m.Direction), "no away message within business hours")
	}
	require.Len(t, b.telegram.callsTo("sendMessage"), 1, "only Ana's conversation got the away message")
}

package activities

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
)

func TestButtonsForChannel(t *testing.T) {
	t.Parallel()
	withButtons := chatcenter.Content{Type: chatcenter.ContentText, Text: "Which team?", Buttons: []chatcenter.Button{
		{Title: "Sales", Payload: "team_sales"}, {Title: "Support", Payload: "team_support"},
	}}

	for _, ct := range []chatcenter.ChannelType{chatcenter.ChannelTelegram, chatcenter.ChannelCustom} {
		require.Equal(t, withButtons, forChannel(ct, withButtons), "%s shows the buttons", ct)
	}

	got := forChannel("sms", withButtons)
	require.Equal(t, chatcenter.Content{Type: chatcenter.ContentText, Text: "Which team?\n\n1. Sales\n2. Support"}, got,
		"a channel without buttons gets the numbered text and no buttons")
	require.Len(t, withButtons.Buttons, 2, "the original content, which is what is stored, keeps its buttons")
	require.Equal(t, "Which team?", withButtons.Text)

	plain := chatcenter.Content{Type: chatcenter.ContentText, Text: "hi"}
	require.Equal(t, plain, forChannel("sms", plain))
}

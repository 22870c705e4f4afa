package provider

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
)

func TestSupportsButtons(t *testing.T) {
	t.Parallel()
	require.True(t, SupportsButtons(chatcenter.ChannelTelegram))
	require.True(t, SupportsButtons(chatcenter.ChannelCustom))
	require.False(t, SupportsButtons("sms"))
	require.False(t, SupportsButtons(""))
}

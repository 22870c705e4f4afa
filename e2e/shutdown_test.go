package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
)

// Stopping the workers (SIGTERM on a deploy, Ctrl-C on dev) lets a send already talking to the
// provider finish and record its outcome. Cut off, the message would stay pending until another
// worker retried it, and Telegram — which had it already — would deliver it twice.
func TestWorkerStopLetsSendsFinish(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	b.postUpdate(chID, textUpdate(1, 1, "hi"), http.StatusOK)
	conv := b.waitOpenConversation()

	b.telegram.script("sendMessage", tgAnswer{Delay: 1500 * time.Millisecond})
	var msg chatcenter.Message
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), "", map[string]any{"type": "text", "text": "on its way"}, http.StatusAccepted, &msg)
	b.eventually("the send reached Telegram", func() bool { return len(b.telegram.callsTo("sendMessage")) == 1 })
	b.workers.Stop()
	require.Equal(t, chatcenter.StatusSent, b.message(msg.ID).Status, "recorded before the workers stopped")
	require.Len(t, b.telegram.callsTo("sendMessage"), 1)
}

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
	_, _, msg := b.replyInFlight(1500 * time.Millisecond)
	b.workers.Stop()
	require.Equal(t, chatcenter.StatusSent, b.message(msg.ID).Status, "recorded before the workers stopped")
	require.Len(t, b.telegram.callsTo("sendMessage"), 1)
}

// A reply still being sent when its conversation's run hands over to the next one (the contact
// wrote again after the conversation closed) is not cut off by the hand-off's cancellation, which
// reaches a running send through its heartbeats: the attempt finishes and records the message
// sent, and the next run, finding it sent, does not send it again.
func TestHandOffLetsRunningSendFinish(t *testing.T) {
	b := setup(t)
	// Longer than the SDK holds heartbeats back (0.8 × the 10 s heartbeat timeout), so the
	// cancellation reaches the attempt while Telegram is still answering.
	chID, conv, msg := b.replyInFlight(12 * time.Second)
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/close", conv.ID), "", map[string]any{"category": "Resolved"}, http.StatusOK, nil)
	b.postUpdate(chID, textUpdate(2, 2, "one more thing"), http.StatusOK)

	b.eventually("the reply recorded sent", func() bool { return b.message(msg.ID).Status == chatcenter.StatusSent })
	b.eventually("the next conversation open", func() bool { return len(b.conversations("?status=open")) == 1 })
	time.Sleep(2 * time.Second) // room for a second send, were there one
	require.Len(t, b.telegram.callsTo("sendMessage"), 1, "the reply went to Telegram once")
}

// replyInFlight opens a conversation and sends a reply that Telegram takes delay to answer,
// returning once the call has reached Telegram.
func (b *bundle) replyInFlight(delay time.Duration) (channelID int64, conv chatcenter.Conversation, msg chatcenter.Message) {
	b.t.Helper()
	channelID = b.createTelegramChannel()
	b.postUpdate(channelID, textUpdate(1, 1, "hi"), http.StatusOK)
	conv = b.waitOpenConversation()
	b.telegram.script("sendMessage", tgAnswer{Delay: delay})
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), "", map[string]any{"type": "text", "text": "on its way"}, http.StatusAccepted, &msg)
	b.eventually("the send reached Telegram", func() bool { return len(b.telegram.callsTo("sendMessage")) == 1 })
	return channelID, conv, msg
}

package e2e

import (
	"context"
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

// A reply Telegram took is not sent again when recording it fails for a moment (a database
// restart or failover): the attempt keeps trying to record it instead of failing, which would
// have the retry send it once more.
func TestSentMessageRecordedDespiteADatabaseBlip(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	// The first attempt to mark a message sent fails; a sequence counts attempts across the
	// rollbacks a failing statement causes.
	_, err := b.db.Pool.Exec(ctx, `
		CREATE SEQUENCE blip_seq;
		CREATE FUNCTION blip() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.status = 'sent' AND OLD.status = 'pending' AND nextval('blip_seq') = 1 THEN
				RAISE EXCEPTION 'the database went away for a moment';
			END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER blip BEFORE UPDATE ON messages FOR EACH ROW EXECUTE FUNCTION blip();`)
	require.NoError(t, err)

	chID := b.createTelegramChannel()
	b.postUpdate(chID, textUpdate(1, 1, "hi"), http.StatusOK)
	conv := b.waitOpenConversation()
	var msg chatcenter.Message
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), "", map[string]any{"type": "text", "text": "on its way"}, http.StatusAccepted, &msg)
	b.eventually("the reply recorded sent", func() bool { return b.message(msg.ID).Status == chatcenter.StatusSent })
	var tries int64
	require.NoError(t, b.db.Pool.QueryRow(ctx, `SELECT last_value FROM blip_seq`).Scan(&tries))
	require.GreaterOrEqual(t, tries, int64(2), "the first recording failed")
	time.Sleep(2 * time.Second) // room for a second send, were there one
	require.Len(t, b.telegram.callsTo("sendMessage"), 1, "the reply went to Telegram once")
}

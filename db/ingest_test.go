package db_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/db/dbtest"
)

type testBundle struct {
	db        *db.DB
	workspace dbsqlc.Workspace
	channel   dbsqlc.Channel
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	t.Parallel()
	ctx := context.Background()
	d := dbtest.Open(t)
	ws, err := d.WorkspaceInsert(ctx, dbsqlc.WorkspaceInsertParams{Name: "w", Timezone: "UTC", Language: "en"})
	require.NoError(t, err)
	ch, err := d.ChannelInsert(ctx, dbsqlc.ChannelInsertParams{WorkspaceID: ws.ID, Type: "telegram", Name: "bot", ConfigEncrypted: []byte{1}, WebhookSecretHash: []byte{2}})
	require.NoError(t, err)
	return &testBundle{db: d, workspace: ws, channel: ch}
}

func (b *testBundle) inbound(sender, externalID string) db.InboundMessage {
	return db.InboundMessage{
		WorkspaceID: b.workspace.ID, ChannelID: b.channel.ID, ExternalID: externalID,
		Sender:  db.InboundSender{ExternalID: sender, FirstName: "Ana"},
		Content: chatcenter.Content{Type: chatcenter.ContentText, Text: "hi " + externalID}, SentAt: time.Now(),
	}
}

func count(t *testing.T, d *db.DB, table string) int {
	var n int
	require.NoError(t, d.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

func TestIngestInboundIsIdempotent(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	first, err := b.db.IngestInbound(ctx, b.inbound("42", "42:1"))
	require.NoError(t, err)
	require.False(t, first.Duplicate)
	again, err := b.db.IngestInbound(ctx, b.inbound("42", "42:1"))
	require.NoError(t, err)
	require.True(t, again.Duplicate)
	require.Equal(t, first.MessageID, again.MessageID)
	require.Equal(t, first.ContactID, again.ContactID)
	require.Equal(t, 1, count(t, b.db, "messages"))
	require.Equal(t, 1, count(t, b.db, "contacts"))
}

func TestIngestInboundConcurrentNewContactCreatesOneContact(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// Half of them are redeliveries of the same message.
			_, err := b.db.IngestInbound(ctx, b.inbound("77", fmt.Sprintf("77:%d", i%10)))
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, 1, count(t, b.db, "contacts"))
	require.Equal(t, 1, count(t, b.db, "contact_identities"))
	require.Equal(t, 10, count(t, b.db, "messages"))
}

func TestSamePhoneOnTwoChannelsIsOneContact(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	other, err := b.db.ChannelInsert(ctx, dbsqlc.ChannelInsertParams{WorkspaceID: b.workspace.ID, Type: "custom", Name: "web", ConfigEncrypted: []byte{1}, WebhookSecretHash: []byte{2}})
	require.NoError(t, err)
	in := b.inbound("+60123456789", "a")
	in.Sender.Phone = "+60123456789"
	r1, err := b.db.IngestInbound(ctx, in)
	require.NoError(t, err)
	in.ChannelID, in.ExternalID = other.ID, "b"
	r2, err := b.db.IngestInbound(ctx, in)
	require.NoError(t, err)
	require.Equal(t, r1.ContactID, r2.ContactID)
	require.Equal(t, 2, count(t, b.db, "contact_identities"))
}

func TestOneOpenConversationPerContact(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	r, err := b.db.IngestInbound(ctx, b.inbound("5", "5:1"))
	require.NoError(t, err)
	p := dbsqlc.ConversationInsertParams{WorkspaceID: b.workspace.ID, ContactID: r.ContactID, OpenedSource: "contact", At: time.Now()}
	c1, err := b.db.ConversationInsert(ctx, p)
	require.NoError(t, err)
	_, err = b.db.ConversationInsert(ctx, p)
	require.True(t, db.IsNoRows(err), "a second open conversation must be refused, got %v", err)
	_, err = b.db.ConversationClose(ctx, dbsqlc.ConversationCloseParams{ID: c1.ID, At: time.Now(), ClosedSource: "user"})
	require.NoError(t, err)
	_, err = b.db.ConversationInsert(ctx, p)
	require.NoError(t, err, "after closing, a new conversation may open")
}

func TestStatusesOnlyMoveForward(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	r, err := b.db.IngestInbound(ctx, b.inbound("9", "9:1"))
	require.NoError(t, err)
	conv, err := b.db.ConversationInsert(ctx, dbsqlc.ConversationInsertParams{WorkspaceID: b.workspace.ID, ContactID: r.ContactID, OpenedSource: "contact", At: time.Now()})
	require.NoError(t, err)
	m, err := b.db.MessageInsertOutbound(ctx, dbsqlc.MessageInsertOutboundParams{
		WorkspaceID: b.workspace.ID, ContactID: r.ContactID, ConversationID: conv.ID, ChannelID: b.channel.ID,
		SenderKind: "user", Content: []byte(`{"type":"text","text":"x"}`), ContentType: "text", IdempotencyKey: "k",
	})
	require.NoError(t, err)
	ext := "ext-1"
	_, err = b.db.MessageMarkSent(ctx, dbsqlc.MessageMarkSentParams{ID: m.ID, ExternalID: &ext, SentAt: time.Now()})
	require.NoError(t, err)
	status := func() string {
		got, err := b.db.MessageGetByID(ctx, dbsqlc.MessageGetByIDParams{WorkspaceID: b.workspace.ID, ID: m.ID})
		require.NoError(t, err)
		return got.Status
	}
	for _, step := range []struct{ apply, want string }{
		{"read", "read"}, {"delivered", "read"}, {"sent", "read"}, {"failed", "failed"}, {"read", "failed"},
	} {
		require.NoError(t, b.db.IngestStatus(ctx, b.workspace.ID, b.channel.ID, "ext-1", chatcenter.MessageStatus(step.apply), "why"))
		require.Equal(t, step.want, status(), "after %s", step.apply)
	}
	// The same idempotency key inserts nothing.
	_, err = b.db.MessageInsertOutbound(ctx, dbsqlc.MessageInsertOutboundParams{
		WorkspaceID: b.workspace.ID, ContactID: r.ContactID, ConversationID: conv.ID, ChannelID: b.channel.ID,
		SenderKind: "user", Content: []byte(`{"type":"text","text":"x"}`), ContentType: "text", IdempotencyKey: "k",
	})
	require.True(t, db.IsNoRows(err))
}

func TestMigrateDownAndUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.Open(t)
	lines, err := d.MigrationStatus(ctx)
	require.NoError(t, err)
	// Every migration's Down works: roll back all of them, newest first, then apply them again.
	for i := len(lines) - 1; i >= 0; i-- {
		require.NoError(t, d.MigrateDown(ctx), "down from %s", lines[i])
		status, err := d.MigrationStatus(ctx)
		require.NoError(t, err)
		require.Contains(t, status[i], "pending")
	}
	require.NoError(t, d.Migrate(ctx))
	lines, err = d.MigrationStatus(ctx)
	require.NoError(t, err)
	for _, l := range lines {
		require.Contains(t, l, "applied")
	}
}

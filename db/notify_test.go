package db_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

func TestInsertNotificationWritesRowAndEventInTheCallersTransaction(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	u, err := b.db.UserInsert(ctx, dbsqlc.UserInsertParams{WorkspaceID: b.workspace.ID, Email: "agent@example.com", PasswordHash: "x", Name: "Agent", Role: "agent"})
	require.NoError(t, err)
	res, err := b.db.IngestInbound(ctx, b.inbound("s1", "m1"))
	require.NoError(t, err)
	n := db.Notification{
		WorkspaceID: b.workspace.ID, UserID: u.ID, Type: db.NotificationMessage, ContactID: res.ContactID,
		MessageID: res.MessageID, Payload: map[string]any{"excerpt": "hi"},
	}
	countOf := func(query string, args ...any) int {
		var c int
		require.NoError(t, b.db.Pool.QueryRow(ctx, query, args...).Scan(&c))
		return c
	}

	// Rolled back with the caller's transaction: neither row nor event.
	boom := errors.New("boom")
	err = b.db.WithTx(ctx, func(q *dbsqlc.Queries) error {
		if err := db.InsertNotification(ctx, q, n); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.Zero(t, countOf(`SELECT count(*) FROM notifications`))
	require.Zero(t, countOf(`SELECT count(*) FROM events WHERE type = 'notification.created'`))

	// Committed: both.
	require.NoError(t, b.db.WithTx(ctx, func(q *dbsqlc.Queries) error { return db.InsertNotification(ctx, q, n) }))
	rows, err := b.db.NotificationList(ctx, dbsqlc.NotificationListParams{WorkspaceID: b.workspace.ID, UserID: u.ID, Max: 10})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.Equal(t, "message", rows[0].Type)
	require.Equal(t, res.ContactID, *rows[0].ContactID)
	require.Equal(t, res.MessageID, *rows[0].MessageID)
	require.Nil(t, rows[0].ConversationID)
	require.Nil(t, rows[0].ReadAt)
	require.JSONEq(t, `{"excerpt":"hi"}`, string(rows[0].Payload))
	var payload string
	require.NoError(t, b.db.Pool.QueryRow(ctx, `SELECT payload::text FROM events WHERE type = 'notification.created'`).Scan(&payload))
	require.JSONEq(t, `{"notification_id":`+notifyItoa(rows[0].ID)+`,"user_id":`+notifyItoa(u.ID)+`,"type":"message"}`, payload)

	// Outside a transaction too (the pool's queries), with no payload.
	require.NoError(t, db.InsertNotification(ctx, b.db.Queries, db.Notification{WorkspaceID: b.workspace.ID, UserID: u.ID, Type: db.NotificationAssignment}))
	require.Equal(t, 2, countOf(`SELECT count(*) FROM notifications WHERE user_id = $1`, u.ID))
	require.Equal(t, 1, countOf(`SELECT count(*) FROM notifications WHERE payload = '{}'`))

	// A user of another workspace, an unknown user or type, or a dangling reference writes nothing.
	other, err := b.db.WorkspaceInsert(ctx, dbsqlc.WorkspaceInsertParams{Name: "other", Timezone: "UTC", Language: "en"})
	require.NoError(t, err)
	stranger, err := b.db.UserInsert(ctx, dbsqlc.UserInsertParams{WorkspaceID: other.ID, Email: "x@other.example", PasswordHash: "x", Name: "X", Role: "owner"})
	require.NoError(t, err)
	for _, bad := range []db.Notification{
		{WorkspaceID: b.workspace.ID, UserID: stranger.ID, Type: db.NotificationMention},
		{WorkspaceID: other.ID, UserID: u.ID, Type: db.NotificationMention},
		{WorkspaceID: b.workspace.ID, UserID: 999999, Type: db.NotificationMention},
		{WorkspaceID: b.workspace.ID, UserID: u.ID, Type: "reminder"},
		{WorkspaceID: b.workspace.ID, UserID: u.ID, Type: db.NotificationMention, CommentID: 999999},
	} {
		err := b.db.WithTx(ctx, func(q *dbsqlc.Queries) error { return db.InsertNotification(ctx, q, bad) })
		require.Error(t, err, "%+v", bad)
	}
	err = db.InsertNotification(ctx, b.db.Queries, db.Notification{WorkspaceID: b.workspace.ID, UserID: stranger.ID, Type: db.NotificationMention})
	require.Equal(t, chatcenter.EINVALID, chatcenter.ErrorCode(err))
	require.Equal(t, 2, countOf(`SELECT count(*) FROM notifications`))
	require.Equal(t, 2, countOf(`SELECT count(*) FROM events WHERE type = 'notification.created'`))
}

func notifyItoa(v int64) string { return fmt.Sprint(v) }

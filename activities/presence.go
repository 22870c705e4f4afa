package activities

import (
	"context"
	"fmt"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

// EventAvailabilityChanged is written whenever a user's availability changes, by their own choice,
// by a heartbeat bringing them back, or by auto-away. Assignment consumes it.
const EventAvailabilityChanged = "user.availability_changed"

// AvailabilityChanged is the outbox event for a user's new availability. automatic says the
// change was made by the system (auto-away, or a heartbeat undoing it) rather than by a person;
// actorUserID is 0 for the system.
func AvailabilityChanged(workspaceID, userID int64, availability chatcenter.Availability, automatic bool, actorUserID int64) db.Event {
	return db.Event{
		WorkspaceID: workspaceID, Type: EventAvailabilityChanged, ActorUserID: actorUserID,
		Payload: map[string]any{"user_id": userID, "availability": availability, "automatic": automatic},
	}
}

// AutoAway sets away every online user who sent no heartbeat for their workspace's
// auto_away_minutes, in one statement, and writes an event per user in the same transaction. It
// returns how many users went away. Running it twice changes nothing the second time.
func (a *Activities) AutoAway(ctx context.Context) (int, error) {
	var n int
	err := a.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		rows, err := q.UserAutoAway(ctx)
		if err != nil {
			return fmt.Errorf("auto-away: %w", err)
		}
		for _, r := range rows {
			if err := db.InsertEvent(ctx, q, AvailabilityChanged(r.WorkspaceID, r.ID, chatcenter.AvailabilityAway, true, 0)); err != nil {
				return err
			}
		}
		n = len(rows)
		return nil
	})
	return n, err
}

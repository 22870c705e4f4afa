package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/activities"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

func init() {
	const v1 = "/api/v1"
	document(http.MethodPut, v1+"/me/availability", Operation{Summary: "Set your availability: online, away or offline", Tag: "Users", Request: availabilityRequest{}, Response: chatcenter.User{}})
	document(http.MethodPost, v1+"/me/heartbeat", Operation{Summary: "Tell the server you are still there (every ~30 s); brings you back from automatic away", Tag: "Users", Response: chatcenter.User{}})
}

// availabilityEvent is the user.availability_changed event for u's current availability.
func availabilityEvent(u dbsqlc.User, automatic bool, actorID int64) db.Event {
	return activities.AvailabilityChanged(u.WorkspaceID, u.ID, chatcenter.Availability(u.Availability), automatic, actorID)
}

type availabilityRequest struct {
	Availability chatcenter.Availability `json:"availability"`
}

// setAvailability is the agent choosing online, away or offline. A chosen away or offline stays
// until the agent changes it; heartbeats do not undo it.
func (s *Server) setAvailability(c *gin.Context) {
	var req availabilityRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	switch req.Availability {
	case chatcenter.AvailabilityOnline, chatcenter.AvailabilityAway, chatcenter.AvailabilityOffline:
	default:
		s.fail(c, invalid("availability must be online, away or offline"))
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	var out dbsqlc.User
	cameOnline := false
	err := s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		row, err := q.UserSetAvailability(ctx, dbsqlc.UserSetAvailabilityParams{WorkspaceID: u.WorkspaceID, ID: u.ID, Availability: string(req.Availability)})
		if err != nil {
			return db.Error(err)
		}
		out = row.User
		cameOnline = row.Previous != row.User.Availability && req.Availability == chatcenter.AvailabilityOnline
		// Choosing the away one already is still a change: it is no longer automatic.
		if row.Previous == row.User.Availability && !row.PreviousAutomatic {
			return nil
		}
		return db.InsertEvent(ctx, q, availabilityEvent(out, false, u.ID))
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	if cameOnline {
		// An agent coming online may take conversations waiting for someone online.
		s.reoffer(ctx, u.WorkspaceID)
	}
	c.JSON(http.StatusOK, db.ToUser(out))
}

// heartbeat is the client saying the agent is still there (every ~30 s). It records the time and
// brings an agent who went away automatically back online.
func (s *Server) heartbeat(c *gin.Context) {
	if err := bindJSON(c, &struct{}{}, true); err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	var out dbsqlc.User
	cameBack := false
	err := s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		row, err := q.UserHeartbeat(ctx, dbsqlc.UserHeartbeatParams{WorkspaceID: u.WorkspaceID, ID: u.ID})
		if err != nil {
			return db.Error(err)
		}
		out = row.User
		cameBack = row.CameBack
		if !row.CameBack {
			return nil
		}
		return db.InsertEvent(ctx, q, availabilityEvent(out, true, u.ID))
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	if cameBack {
		s.reoffer(ctx, u.WorkspaceID)
	}
	c.JSON(http.StatusOK, db.ToUser(out))
}

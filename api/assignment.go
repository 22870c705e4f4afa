package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter/assign"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

func init() {
	const v1 = "/api/v1"
	document(http.MethodGet, v1+"/settings/assignment", Operation{Summary: "Assignment settings: the default capacity of agents", Tag: "Settings", Response: assignmentSettings{}})
	document(http.MethodPut, v1+"/settings/assignment", Operation{Summary: "Set the default capacity (null: unlimited); waiting conversations are offered again", Tag: "Settings", Request: assignmentSettings{}, Response: assignmentSettings{}})
}

// assignmentSettings are the workspace's defaults for automatic assignment.
type assignmentSettings struct {
	// DefaultMaxOpenConversations is each agent's capacity unless the user has their own; null
	// means unlimited.
	DefaultMaxOpenConversations *int32 `json:"default_max_open_conversations"`
}

// capacityValue reads a capacity from JSON: absent leaves it, null clears it, 1–1000 sets it.
func capacityValue(raw json.RawMessage) (*int32, bool, error) {
	if len(raw) == 0 {
		return nil, false, nil
	}
	if string(raw) == "null" {
		return nil, true, nil
	}
	var n int32
	if err := json.Unmarshal(raw, &n); err != nil || n < 1 || n > 1000 {
		return nil, false, invalid("max_open_conversations must be a number from 1 to 1000, or null")
	}
	return &n, true, nil
}

func (s *Server) getAssignmentSettings(c *gin.Context) {
	v, err := s.DB.WorkspaceAssignmentSettings(c.Request.Context(), currentUser(c).WorkspaceID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, assignmentSettings{DefaultMaxOpenConversations: v})
}

type putAssignmentSettingsRequest struct {
	DefaultMaxOpenConversations json.RawMessage `json:"default_max_open_conversations"`
}

func (s *Server) putAssignmentSettings(c *gin.Context) {
	var req putAssignmentSettingsRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	if len(req.DefaultMaxOpenConversations) == 0 {
		s.fail(c, invalid("default_max_open_conversations is required (null for unlimited)"))
		return
	}
	n, _, err := capacityValue(req.DefaultMaxOpenConversations)
	if err != nil {
		s.fail(c, invalid("default_max_open_conversations must be a number from 1 to 1000, or null"))
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	var out *int32
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		if out, err = q.WorkspaceSetDefaultMaxOpen(ctx, dbsqlc.WorkspaceSetDefaultMaxOpenParams{MaxOpen: n, WorkspaceID: u.WorkspaceID}); err != nil {
			return err
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "settings.updated", ActorUserID: u.ID,
			Payload: map[string]any{"section": "assignment", "default_max_open_conversations": out}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	s.reoffer(ctx, u.WorkspaceID)
	c.JSON(http.StatusOK, assignmentSettings{DefaultMaxOpenConversations: out})
}

// reoffer offers conversations waiting for an agent to whoever now has capacity, and tells the
// flow runs waiting in an Assign To step. It is best effort: the change that freed capacity is
// already saved, and the next re-offer catches up.
func (s *Server) reoffer(ctx context.Context, workspaceID int64) {
	var err error
	if s.Flows != nil {
		err = s.Flows.Reoffer(ctx, workspaceID)
	} else {
		_, _, err = assign.Reoffer(ctx, s.DB, workspaceID)
	}
	if err != nil {
		s.Log.WarnContext(ctx, "re-offering waiting conversations failed", "workspace_id", workspaceID, "error", err)
	}
}

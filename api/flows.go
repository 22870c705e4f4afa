package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/flows"
)

// Flows are respond.io's Workflows: a trigger and a graph of steps (package flows). A flow is
// edited as a draft; publishing validates it fully and freezes it as a numbered version, which is
// what runs (runs keep the version they started with). Owners and managers only.

func init() {
	const v1 = "/api/v1"
	const tag = "Flows"
	page := map[string]string{"limit": "1–100, default 25", "cursor": "next_cursor of the previous page"}
	document(http.MethodGet, v1+"/flows", Operation{Summary: "Flows of the workspace, newest first", Tag: tag, Response: flowResponse{}, List: true, Query: page})
	document(http.MethodPost, v1+"/flows", Operation{Summary: "Create a flow, saved as a draft (structural problems and limits answer 400; at most 100 flows per workspace)", Tag: tag, Request: flowCreateRequest{}, Response: flowResponse{}, Status: http.StatusCreated})
	document(http.MethodGet, v1+"/flows/:id", Operation{Summary: "Get a flow: its draft and its published version", Tag: tag, Response: flowResponse{}})
	document(http.MethodPatch, v1+"/flows/:id", Operation{Summary: "Rename a flow or replace its draft (the published version keeps running)", Tag: tag, Request: flowUpdateRequest{}, Response: flowResponse{}})
	document(http.MethodPost, v1+"/flows/:id/publish", Operation{Summary: "Publish the draft as a new version after full validation (unreachable steps, \"Workflow loop detected\")", Tag: tag, Response: flowResponse{}})
	document(http.MethodPost, v1+"/flows/:id/stop", Operation{Summary: "Stop a published flow (no new enrollments)", Tag: tag, Response: flowResponse{}})
	document(http.MethodPost, v1+"/flows/:id/clone", Operation{Summary: "Copy a flow's draft into a new draft flow", Tag: tag, Response: flowResponse{}, Status: http.StatusCreated})
	document(http.MethodDelete, v1+"/flows/:id", Operation{Summary: "Delete a flow and its versions", Tag: tag, Status: http.StatusNoContent})
	document(http.MethodGet, v1+"/flows/:id/export", Operation{Summary: "The portable JSON of a flow (its draft), for import elsewhere", Tag: tag, Response: flowExport{}})
	document(http.MethodPost, v1+"/flows/import", Operation{Summary: "Import an exported flow as a new draft (schema errors answer 400)", Tag: tag, Request: flowExport{}, Response: flowResponse{}, Status: http.StatusCreated})
}

// flowVersionView is a published version.
type flowVersionView struct {
	Version     int32      `json:"version"`
	Definition  flows.Flow `json:"definition"`
	PublishedAt time.Time  `json:"published_at"`
}

type flowResponse struct {
	ID               int64      `json:"id"`
	Name             string     `json:"name"`
	Status           string     `json:"status"`
	TriggerType      string     `json:"trigger_type"`
	Draft            flows.Flow `json:"draft"`
	PublishedVersion *int32     `json:"published_version"`
	// Published is the current published version (only on single-flow answers).
	Published *flowVersionView `json:"published,omitempty"`
	CreatedBy *int64           `json:"created_by"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
}

type flowCreateRequest struct {
	Name       string          `json:"name"`
	Definition json.RawMessage `json:"definition"`
}

type flowUpdateRequest struct {
	Name       *string         `json:"name"`
	Definition json.RawMessage `json:"definition"`
}

// flowExport is the portable form of a flow.
type flowExport struct {
	Name       string          `json:"name"`
	Definition json.RawMessage `json:"definition"`
}

func toFlowResponse(f dbsqlc.Flow) flowResponse {
	var def flows.Flow
	// Drafts are written only after parsing, so they always decode.
	_ = json.Unmarshal(f.Draft, &def)
	return flowResponse{
		ID: f.ID, Name: f.Name, Status: f.Status, TriggerType: f.TriggerType, Draft: def,
		PublishedVersion: f.PublishedVersion, CreatedBy: f.CreatedBy, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt,
	}
}

func flowName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", invalid("name is required")
	}
	if n := utf8.RuneCountInString(name); n > flows.MaxNameLength {
		return "", invalid("name must be at most %d characters (got %d)", flows.MaxNameLength, n)
	}
	if strings.ContainsRune(name, 0) || !utf8.ValidString(name) {
		return "", invalid("name must be valid text without NUL characters")
	}
	return name, nil
}

// problemsError turns validation problems into one 400 whose message lists them all.
func problemsError(prefix string, ps []flows.Problem) error {
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.String()
	}
	return invalid("%s: %s", prefix, strings.Join(msgs, "; "))
}

// parseDraft decodes and checks a definition for saving as a draft; it returns the canonical JSON.
func parseDraft(raw json.RawMessage) (flows.Flow, []byte, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return flows.Flow{}, nil, invalid("definition is required")
	}
	f, err := flows.Parse(raw)
	if err != nil {
		return flows.Flow{}, nil, invalid("%v", err)
	}
	if ps := flows.ValidateDraft(f); len(ps) > 0 {
		return flows.Flow{}, nil, problemsError("the flow is not valid", ps)
	}
	b, err := json.Marshal(f)
	if err != nil {
		return flows.Flow{}, nil, err
	}
	return f, b, nil
}

func (s *Server) loadFlow(c *gin.Context) (dbsqlc.Flow, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return dbsqlc.Flow{}, chatcenter.Errorf(chatcenter.ENOTFOUND, "flow not found")
	}
	f, err := s.DB.FlowGetByID(c.Request.Context(), dbsqlc.FlowGetByIDParams{WorkspaceID: currentUser(c).WorkspaceID, ID: id})
	if db.IsNoRows(err) {
		return f, chatcenter.Errorf(chatcenter.ENOTFOUND, "flow not found")
	}
	return f, err
}

type flowCursor struct {
	ID int64 `json:"id"`
}

func (s *Server) listFlows(c *gin.Context) {
	var cur flowCursor
	limit, hasCursor, err := page(c, &cur)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := dbsqlc.FlowListParams{WorkspaceID: currentUser(c).WorkspaceID, Max: limit + 1}
	if hasCursor {
		p.BeforeID = &cur.ID
	}
	rows, err := s.DB.FlowList(c.Request.Context(), p)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listResponse[flowResponse]{Items: db.MapSlice(rows, toFlowResponse)}
	if len(rows) > int(limit) {
		out.Items = out.Items[:limit]
		out.NextCursor = encodeCursor(flowCursor{ID: out.Items[limit-1].ID})
	}
	c.JSON(http.StatusOK, out)
}

// insertFlow creates a draft flow within the workspace's limit and writes event with payload.
func (s *Server) insertFlow(c *gin.Context, name string, def flows.Flow, draft []byte, payload map[string]any) (dbsqlc.Flow, error) {
	u := currentUser(c)
	ctx := c.Request.Context()
	var out dbsqlc.Flow
	err := s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		if err := q.FlowLockWorkspace(ctx, u.WorkspaceID); err != nil {
			return err
		}
		n, err := q.FlowCount(ctx, u.WorkspaceID)
		if err != nil {
			return err
		}
		if n >= flows.MaxFlowsPerWorkspace {
			return chatcenter.Errorf(chatcenter.ECONFLICT, "a workspace has at most %d flows: delete one first", flows.MaxFlowsPerWorkspace)
		}
		out, err = q.FlowInsert(ctx, dbsqlc.FlowInsertParams{
			WorkspaceID: u.WorkspaceID, Name: name, Draft: draft, TriggerType: def.Trigger.Type, CreatedBy: &u.ID,
		})
		if err != nil {
			return db.Error(err)
		}
		payload["flow_id"] = out.ID
		payload["name"] = out.Name
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "flow.created", ActorUserID: u.ID, Payload: payload})
	})
	return out, err
}

func (s *Server) createFlow(c *gin.Context) {
	var req flowCreateRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	name, err := flowName(req.Name)
	if err != nil {
		s.fail(c, err)
		return
	}
	def, draft, err := parseDraft(req.Definition)
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.insertFlow(c, name, def, draft, map[string]any{})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toFlowResponse(out))
}

func (s *Server) getFlow(c *gin.Context) {
	f, err := s.loadFlow(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := toFlowResponse(f)
	if f.PublishedVersion != nil {
		v, err := s.DB.FlowVersionGet(c.Request.Context(), dbsqlc.FlowVersionGetParams{FlowID: f.ID, Version: *f.PublishedVersion})
		if err != nil {
			s.fail(c, err)
			return
		}
		out.Published = toFlowVersionView(v)
	}
	c.JSON(http.StatusOK, out)
}

func toFlowVersionView(v dbsqlc.FlowVersion) *flowVersionView {
	view := &flowVersionView{Version: v.Version, PublishedAt: v.PublishedAt}
	_ = json.Unmarshal(v.Definition, &view.Definition)
	return view
}

func (s *Server) updateFlow(c *gin.Context) {
	f, err := s.loadFlow(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req flowUpdateRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	p := dbsqlc.FlowUpdateDraftParams{WorkspaceID: f.WorkspaceID, ID: f.ID}
	if req.Name != nil {
		name, err := flowName(*req.Name)
		if err != nil {
			s.fail(c, err)
			return
		}
		p.Name = &name
	}
	if req.Definition != nil {
		def, draft, err := parseDraft(req.Definition)
		if err != nil {
			s.fail(c, err)
			return
		}
		p.Draft, p.TriggerType = draft, &def.Trigger.Type
	}
	if p.Name == nil && p.Draft == nil {
		c.JSON(http.StatusOK, toFlowResponse(f))
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	var out dbsqlc.Flow
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		updated, err := q.FlowUpdateDraft(ctx, p)
		if db.IsNoRows(err) {
			return chatcenter.Errorf(chatcenter.ENOTFOUND, "flow not found")
		}
		if err != nil {
			return db.Error(err)
		}
		out = updated
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "flow.updated", ActorUserID: u.ID,
			Payload: map[string]any{"flow_id": out.ID, "name": out.Name}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toFlowResponse(out))
}

// publishFlow validates the draft fully and freezes it as the next version.
func (s *Server) publishFlow(c *gin.Context) {
	f, err := s.loadFlow(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	var def flows.Flow
	if err := json.Unmarshal(f.Draft, &def); err != nil {
		s.fail(c, err)
		return
	}
	ps := flows.Validate(def)
	// A Trigger Another Flow step must name a flow of this workspace started by a manual trigger.
	for _, st := range def.Steps {
		if st.Type != flows.StepTriggerAnotherFlow || st.TriggerAnotherFlow == nil || st.TriggerAnotherFlow.FlowID <= 0 {
			continue
		}
		target, err := s.DB.FlowGetByID(ctx, dbsqlc.FlowGetByIDParams{WorkspaceID: u.WorkspaceID, ID: st.TriggerAnotherFlow.FlowID})
		switch {
		case db.IsNoRows(err):
			ps = append(ps, flows.Problem{StepID: st.ID, Field: "trigger_another_flow.flow_id", Message: fmt.Sprintf("flow %d not found", st.TriggerAnotherFlow.FlowID)})
		case err != nil:
			s.fail(c, err)
			return
		case target.TriggerType != flows.TriggerManual:
			ps = append(ps, flows.Problem{StepID: st.ID, Field: "trigger_another_flow.flow_id", Message: fmt.Sprintf("flow %d does not have a manual trigger", target.ID)})
		}
	}
	if len(ps) > 0 {
		s.fail(c, problemsError("the flow cannot be published", ps))
		return
	}
	var out dbsqlc.Flow
	var version dbsqlc.FlowVersion
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		published, err := q.FlowPublish(ctx, dbsqlc.FlowPublishParams{WorkspaceID: f.WorkspaceID, ID: f.ID})
		if db.IsNoRows(err) {
			return chatcenter.Errorf(chatcenter.ENOTFOUND, "flow not found")
		}
		if err != nil {
			return err
		}
		// The draft is re-read under the row lock so the version is exactly what was validated
		// unless a concurrent edit won; then the caller publishes again.
		if string(published.Draft) != string(f.Draft) {
			return chatcenter.Errorf(chatcenter.ECONFLICT, "the draft changed while publishing: publish again")
		}
		out = published
		version, err = q.FlowVersionInsert(ctx, dbsqlc.FlowVersionInsertParams{
			FlowID: f.ID, Version: *published.PublishedVersion, Definition: f.Draft, PublishedBy: &u.ID,
		})
		if err != nil {
			return err
		}
		// An Incoming Webhook flow has its URL from its first publication on.
		if err := initWebhookToken(ctx, q, published); err != nil {
			return err
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "flow.published", ActorUserID: u.ID,
			Payload: map[string]any{"flow_id": f.ID, "name": f.Name, "version": version.Version, "trigger_type": f.TriggerType}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	resp := toFlowResponse(out)
	resp.Published = toFlowVersionView(version)
	c.JSON(http.StatusOK, resp)
}

func (s *Server) stopFlow(c *gin.Context) {
	f, err := s.loadFlow(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if f.Status != "published" {
		s.fail(c, chatcenter.Errorf(chatcenter.ECONFLICT, "only a published flow can be stopped (this one is %s)", f.Status))
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	var out dbsqlc.Flow
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		out, err = q.FlowSetStatus(ctx, dbsqlc.FlowSetStatusParams{WorkspaceID: f.WorkspaceID, ID: f.ID, Status: "stopped"})
		if db.IsNoRows(err) {
			return chatcenter.Errorf(chatcenter.ENOTFOUND, "flow not found")
		}
		if err != nil {
			return err
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "flow.stopped", ActorUserID: u.ID,
			Payload: map[string]any{"flow_id": f.ID, "name": f.Name}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	// No new enrollments from here; the contacts already in the flow leave it too.
	if err := s.stopFlowRuns(c, f.ID, "the flow was stopped"); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toFlowResponse(out))
}

// stopFlowRuns stops every active run of a flow. A run that could not be stopped is reported as
// unavailable: the flow's state is saved, and its runs list shows what is still running.
func (s *Server) stopFlowRuns(c *gin.Context, flowID int64, reason string) error {
	if s.Flows == nil {
		return nil
	}
	ctx := c.Request.Context()
	if err := s.Flows.StopAll(ctx, currentUser(c).WorkspaceID, flowID, reason); err != nil {
		s.Log.ErrorContext(ctx, "stopping flow runs failed", "flow", flowID, "error", err, "request_id", c.GetString(ctxRequestID))
		return chatcenter.Errorf(chatcenter.EUNAVAILABLE, "some runs of the flow could not be stopped: try again, or stop them from its runs list")
	}
	return nil
}

func (s *Server) cloneFlow(c *gin.Context) {
	f, err := s.loadFlow(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var def flows.Flow
	if err := json.Unmarshal(f.Draft, &def); err != nil {
		s.fail(c, err)
		return
	}
	name := []rune(f.Name + " (copy)")
	if len(name) > flows.MaxNameLength {
		name = name[:flows.MaxNameLength]
	}
	out, err := s.insertFlow(c, strings.TrimSpace(string(name)), def, f.Draft, map[string]any{"cloned_from": f.ID})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toFlowResponse(out))
}

func (s *Server) deleteFlow(c *gin.Context) {
	f, err := s.loadFlow(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	// Deleting the flow deletes its runs' records, not their workflows: stop them first, after
	// the flow stops taking new contacts. A failure leaves the flow (stopped) to delete again.
	if f.Status == "published" {
		if _, err := s.DB.FlowSetStatus(ctx, dbsqlc.FlowSetStatusParams{WorkspaceID: f.WorkspaceID, ID: f.ID, Status: "stopped"}); err != nil {
			s.fail(c, db.Error(err))
			return
		}
	}
	if err := s.stopFlowRuns(c, f.ID, "the flow was deleted"); err != nil {
		s.fail(c, err)
		return
	}
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		n, err := q.FlowDelete(ctx, dbsqlc.FlowDeleteParams{WorkspaceID: f.WorkspaceID, ID: f.ID})
		if err != nil {
			return err
		}
		if n == 0 {
			return chatcenter.Errorf(chatcenter.ENOTFOUND, "flow not found")
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "flow.deleted", ActorUserID: u.ID,
			Payload: map[string]any{"flow_id": f.ID, "name": f.Name}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) exportFlow(c *gin.Context) {
	f, err := s.loadFlow(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, flowExport{Name: f.Name, Definition: f.Draft})
}

func (s *Server) importFlow(c *gin.Context) {
	var req flowExport
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, invalid("Invalid JSON schema: %s", chatcenter.ErrorMessage(err)))
		return
	}
	name, err := flowName(req.Name)
	if err != nil {
		s.fail(c, err)
		return
	}
	def, draft, err := parseDraft(req.Definition)
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.insertFlow(c, name, def, draft, map[string]any{"imported": true})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toFlowResponse(out))
}

package api

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/flowrun"
	"github.com/chatcenterhq/chatcenter/flows"
	"github.com/chatcenterhq/chatcenter/secret"
	"github.com/chatcenterhq/chatcenter/workflows"
)

// Flow runs: each enrollment of a contact in a flow (package flowrun). Owners and managers list
// them, read one with its variables, stop one, and start manual-trigger flows for a contact.

const (
	// maxRunVariables and maxVariableValue bound the trigger variables one start hands a run
	// (webhook bodies, API calls): they travel in the run's workflow history.
	maxRunVariables  = 100
	maxVariableValue = 1000
	maxVariableName  = 100
	// maxIdempotencyKey bounds the Idempotency-Key header (the origin key holds at most 200).
	maxIdempotencyKey = 128
)

var variableNamePattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,100}$`)

func init() {
	const v1 = "/api/v1"
	const tag = "Flow runs"
	document(http.MethodGet, v1+"/flows/:id/runs", Operation{Summary: "The flow's runs (one per enrollment of a contact), newest first", Tag: tag, Response: flowRunView{}, List: true, Query: map[string]string{
		"status":     "starting, running, completed, failed or stopped",
		"contact_id": "runs of this contact",
		"limit":      "1–100, default 25",
		"cursor":     "next_cursor of the previous page",
	}})
	document(http.MethodGet, v1+"/flows/:id/runs/:run_id", Operation{Summary: "One run, with its trigger variables", Tag: tag, Response: flowRunDetail{}})
	document(http.MethodPost, v1+"/flows/:id/runs/:run_id/stop", Operation{Summary: "Stop a run: it is marked stopped and its workflow cancelled (a run that already ended: 409)", Tag: tag, Response: flowRunView{}})
	document(http.MethodPost, v1+"/flows/:id/runs", Operation{Summary: "Start a published manual-trigger flow for a contact (Idempotency-Key header honoured; a contact already in the flow answers enrolled: false with its active run)", Tag: tag, Request: flowRunStartRequest{}, Response: flowEnrollResponse{}, Status: http.StatusAccepted})
}

// flowRunView is a run as listed. Its variables are left out: they may hold what a webhook sent.
type flowRunView struct {
	ID          int64  `json:"id"`
	FlowID      int64  `json:"flow_id"`
	Version     int32  `json:"version"`
	ContactID   int64  `json:"contact_id"`
	TriggerType string `json:"trigger_type"`
	// Status is starting, running, completed, failed or stopped.
	Status         string     `json:"status"`
	CurrentStep    *string    `json:"current_step"`
	Error          *string    `json:"error"`
	StartedBy      *int64     `json:"started_by"`
	ParentRunID    *int64     `json:"parent_run_id"`
	ConversationID *int64     `json:"conversation_id"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	EndedAt        *time.Time `json:"ended_at"`
	// WorkflowID is the run's Temporal workflow (flow-{flow}-{contact}-{run}).
	WorkflowID string `json:"workflow_id"`
}

// flowRunDetail is one run with the trigger variables it started with.
type flowRunDetail struct {
	flowRunView
	Variables map[string]string `json:"variables"`
}

type flowRunStartRequest struct {
	ContactID int64             `json:"contact_id"`
	Variables map[string]string `json:"variables"`
}

// flowEnrollResponse answers a start: the run (the contact's active run when it was already in
// the flow; null when a once-per-contact flow skipped it) and whether this call enrolled it.
type flowEnrollResponse struct {
	Run      *flowRunView `json:"run"`
	Enrolled bool         `json:"enrolled"`
}

func toFlowRunView(r dbsqlc.FlowRun) flowRunView {
	return flowRunView{
		ID: r.ID, FlowID: r.FlowID, Version: r.Version, ContactID: r.ContactID, TriggerType: r.TriggerType, Status: r.Status,
		CurrentStep: r.CurrentStep, Error: r.Error, StartedBy: r.StartedBy, ParentRunID: r.ParentRunID,
		ConversationID: r.ConversationID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, EndedAt: r.EndedAt,
		WorkflowID: workflows.FlowRunWorkflowID(r.FlowID, r.ContactID, r.ID),
	}
}

func toFlowEnrollResponse(r dbsqlc.FlowRun, enrolled bool) flowEnrollResponse {
	out := flowEnrollResponse{Enrolled: enrolled}
	if r.ID != 0 {
		v := toFlowRunView(r)
		out.Run = &v
	}
	return out
}

// flowEngine is the enroller, or 503 when this server was built without one.
func (s *Server) flowEngine() (*flowrun.Enroller, error) {
	if s.Flows == nil {
		return nil, chatcenter.Errorf(chatcenter.EUNAVAILABLE, "flow runs are not available on this server")
	}
	return s.Flows, nil
}

// loadFlowRun loads the :run_id of the :id flow; runs of other flows and workspaces are 404.
func (s *Server) loadFlowRun(c *gin.Context) (dbsqlc.FlowRun, error) {
	f, err := s.loadFlow(c)
	if err != nil {
		return dbsqlc.FlowRun{}, err
	}
	notFound := chatcenter.Errorf(chatcenter.ENOTFOUND, "flow run not found")
	id, err := pathID(c, "run_id")
	if err != nil {
		return dbsqlc.FlowRun{}, notFound
	}
	r, err := s.DB.FlowRunGet(c.Request.Context(), dbsqlc.FlowRunGetParams{WorkspaceID: f.WorkspaceID, ID: id})
	if db.IsNoRows(err) || err == nil && r.FlowID != f.ID {
		return r, notFound
	}
	return r, err
}

type flowRunCursor struct {
	ID int64 `json:"id"`
}

func (s *Server) listFlowRuns(c *gin.Context) {
	f, err := s.loadFlow(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var cur flowRunCursor
	limit, hasCursor, err := page(c, &cur)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := dbsqlc.FlowRunListParams{WorkspaceID: f.WorkspaceID, FlowID: f.ID, Max: limit + 1}
	if hasCursor {
		p.BeforeID = &cur.ID
	}
	if st := c.Query("status"); st != "" {
		switch st {
		case flowrun.StatusStarting, flowrun.StatusRunning, flowrun.StatusCompleted, flowrun.StatusFailed, flowrun.StatusStopped:
			p.Status = &st
		default:
			s.fail(c, invalid("status must be starting, running, completed, failed or stopped"))
			return
		}
	}
	if v := c.Query("contact_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			s.fail(c, invalid("contact_id must be a contact id"))
			return
		}
		p.ContactID = &id
	}
	rows, err := s.DB.FlowRunList(c.Request.Context(), p)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listResponse[flowRunView]{Items: db.MapSlice(rows, toFlowRunView)}
	if len(rows) > int(limit) {
		out.Items = out.Items[:limit]
		out.NextCursor = encodeCursor(flowRunCursor{ID: out.Items[limit-1].ID})
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) getFlowRun(c *gin.Context) {
	r, err := s.loadFlowRun(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := flowRunDetail{flowRunView: toFlowRunView(r), Variables: map[string]string{}}
	if err := json.Unmarshal(r.Variables, &out.Variables); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) stopFlowRun(c *gin.Context) {
	r, err := s.loadFlowRun(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	engine, err := s.flowEngine()
	if err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	stopped, err := engine.Stop(c.Request.Context(), u.WorkspaceID, r.ID, "stopped by "+u.Name)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toFlowRunView(stopped))
}

// startFlowRun is the manual trigger through the API: a flow started by its manual trigger runs
// for one contact.
func (s *Server) startFlowRun(c *gin.Context) {
	f, err := s.loadFlow(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req flowRunStartRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	if req.ContactID <= 0 {
		s.fail(c, invalid("contact_id is required"))
		return
	}
	if err := checkRunVariables(req.Variables); err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	ct, err := s.DB.ContactGetByID(ctx, dbsqlc.ContactGetByIDParams{WorkspaceID: u.WorkspaceID, ID: req.ContactID})
	if db.IsNoRows(err) {
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "contact not found"))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if ok, err := s.canSee(ctx, u, ct.AssigneeID); err != nil || !ok {
		if err == nil {
			err = chatcenter.Errorf(chatcenter.ENOTFOUND, "contact not found")
		}
		s.fail(c, err)
		return
	}
	if f.Status != "published" {
		s.fail(c, chatcenter.Errorf(chatcenter.ECONFLICT, "the flow is not published (it is %s)", f.Status))
		return
	}
	origin, keyed, err := originKey(c, "api")
	if err != nil {
		s.fail(c, err)
		return
	}
	run, enrolled, err := s.enroll(ctx, flowrun.Enrollment{
		WorkspaceID: u.WorkspaceID, FlowID: f.ID, ContactID: ct.ID, OriginKey: origin,
		TriggerType: flows.TriggerManual, Variables: req.Variables, StartedBy: u.ID,
	}, keyed)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, toFlowEnrollResponse(run, enrolled))
}

// enroll enrolls through the engine. A call repeating a caller's Idempotency-Key (keyed) answers
// as the first call did: the run that key started, enrolled.
func (s *Server) enroll(ctx context.Context, en flowrun.Enrollment, keyed bool) (dbsqlc.FlowRun, bool, error) {
	engine, err := s.flowEngine()
	if err != nil {
		return dbsqlc.FlowRun{}, false, err
	}
	run, enrolled, err := engine.Enroll(ctx, en)
	if err != nil || enrolled || !keyed {
		return run, enrolled, err
	}
	first, err := s.DB.FlowRunGetByOrigin(ctx, dbsqlc.FlowRunGetByOriginParams{FlowID: en.FlowID, OriginKey: en.OriginKey})
	if db.IsNoRows(err) {
		return run, false, nil
	}
	if err != nil {
		return run, false, err
	}
	if first.ContactID != en.ContactID {
		return run, false, chatcenter.Errorf(chatcenter.ECONFLICT, "this Idempotency-Key was already used for another contact")
	}
	return first, true, nil
}

// originKey names what starts a run: prefix and the caller's Idempotency-Key (keyed), or a
// random key, so that each call without one is a cause of its own.
func originKey(c *gin.Context, prefix string) (origin string, keyed bool, err error) {
	key := strings.TrimSpace(c.GetHeader("Idempotency-Key"))
	if key == "" {
		return prefix + ":" + secret.RandomToken(18), false, nil
	}
	if len(key) > maxIdempotencyKey || strings.IndexFunc(key, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0 {
		return "", false, invalid("Idempotency-Key must be 1–%d printable ASCII characters", maxIdempotencyKey)
	}
	return prefix + ":" + key, true, nil
}

// checkRunVariables checks variables given by a caller: names of letters, digits and _, at most
// 100 of them, values of at most 1000 characters.
func checkRunVariables(vars map[string]string) error {
	if len(vars) > maxRunVariables {
		return invalid("at most %d variables (got %d)", maxRunVariables, len(vars))
	}
	for name, v := range vars {
		if !variableNamePattern.MatchString(name) {
			return invalid("variable name %q must be 1–%d letters, digits or _", truncateForMessage(name), maxVariableName)
		}
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return invalid("variable %s must be valid text without NUL characters", name)
		}
		if n := utf8.RuneCountInString(v); n > maxVariableValue {
			return invalid("variable %s is %d characters; the limit is %d", name, n, maxVariableValue)
		}
	}
	return nil
}

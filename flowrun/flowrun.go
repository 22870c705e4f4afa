// Package flowrun enrolls contacts in flows: it records each enrollment in flow_runs and starts
// its workflow (flow-{flowID}-{contactID}-{runID}), dispatches the events that trigger flows, and stops runs.
//
// Every enrollment is recorded before its workflow starts, under a key naming what caused it
// (the event, the parent run's step, the shortcut or webhook call), so a retried cause never
// enrolls twice; a recorded run whose start was not confirmed is started again by the
// dispatcher's sweep. A contact is in a flow at most once at a time (a unique index), and flows
// with "trigger once per contact" never take a contact that was ever enrolled.
package flowrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/flows"
	"github.com/chatcenterhq/chatcenter/workflows"
)

// Run statuses (flow_runs.status).
const (
	StatusStarting  = "starting"
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
	StatusStopped   = "stopped"
)

// MaxDepth is how long a chain of runs may get: a run whose tag or field change triggers another
// flow, or whose Trigger Another Flow step starts one, passes its depth on plus one. Deeper runs
// are not started, so flows that trigger each other stop instead of looping for ever.
const MaxDepth = 5

// Enroller records and starts flow runs.
type Enroller struct {
	DB       *db.DB
	Temporal client.Client
	Log      *slog.Logger
}

// Enrollment asks to run a flow's published version for one contact.
type Enrollment struct {
	WorkspaceID int64
	FlowID      int64
	ContactID   int64
	// OriginKey names the cause; the same key never enrolls twice in the same flow.
	OriginKey string
	// TriggerType, when set, must be the flow's trigger (a shortcut may only run shortcut flows).
	TriggerType    string
	Variables      map[string]string
	ConversationID int64
	StartedBy      int64
	ParentRunID    int64
	// Depth is the number of runs that led to this one (see MaxDepth).
	Depth int
}

// Enroll records the run and starts its workflow. It returns the run and whether it was
// enrolled; skipped=true (with the existing active run when there is one) means the contact is
// already in the flow, was enrolled once before a "trigger once per contact" flow, or the cause
// was already handled. A flow that is not published is a conflict.
func (e *Enroller) Enroll(ctx context.Context, en Enrollment) (run dbsqlc.FlowRun, enrolled bool, err error) {
	def, err := e.DB.Queries.FlowPublishedDefinition(ctx, dbsqlc.FlowPublishedDefinitionParams{WorkspaceID: en.WorkspaceID, ID: en.FlowID})
	if db.IsNoRows(err) {
		if _, err := e.DB.Queries.FlowGetByID(ctx, dbsqlc.FlowGetByIDParams{WorkspaceID: en.WorkspaceID, ID: en.FlowID}); err == nil {
			return run, false, chatcenter.Errorf(chatcenter.ECONFLICT, "flow %d is not published", en.FlowID)
		}
		return run, false, chatcenter.Errorf(chatcenter.ENOTFOUND, "flow not found")
	}
	if err != nil {
		return run, false, err
	}
	if def.Status != "published" || def.PublishedVersion == nil {
		return run, false, chatcenter.Errorf(chatcenter.ECONFLICT, "flow %d is not published", en.FlowID)
	}
	f, err := flows.Parse(def.Definition)
	if err != nil {
		return run, false, fmt.Errorf("published flow %d: %w", en.FlowID, err)
	}
	if en.TriggerType != "" && f.Trigger.Type != en.TriggerType {
		return run, false, chatcenter.Errorf(chatcenter.ECONFLICT, "flow %d is started by its %s trigger, not by a %s", en.FlowID, f.Trigger.Type, en.TriggerType)
	}
	var inserted bool
	err = e.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		var err error
		run, inserted, err = insertRun(ctx, q, en, *def.PublishedVersion, f)
		return err
	})
	if err != nil || !inserted {
		return run, false, err
	}
	if err := e.Start(ctx, run, def.Name); err != nil {
		// The run is recorded; the dispatcher's sweep starts it.
		e.Log.Warn("flow run recorded but not started yet", "run", run.ID, "error", err)
	}
	return run, true, nil
}

// insertRun records an enrollment unless it is skipped; when skipped it returns the contact's
// active run in the flow if there is one.
func insertRun(ctx context.Context, q *dbsqlc.Queries, en Enrollment, version int32, f flows.Flow) (dbsqlc.FlowRun, bool, error) {
	status, err := q.FlowLockForEnroll(ctx, dbsqlc.FlowLockForEnrollParams{WorkspaceID: en.WorkspaceID, ID: en.FlowID})
	if db.IsNoRows(err) || (err == nil && status != "published") {
		// Stopped or deleted meanwhile: nobody enrolls any more.
		return dbsqlc.FlowRun{}, false, nil
	}
	if err != nil {
		return dbsqlc.FlowRun{}, false, err
	}
	vars := en.Variables
	if vars == nil {
		vars = map[string]string{}
	}
	raw, err := json.Marshal(vars)
	if err != nil {
		return dbsqlc.FlowRun{}, false, err
	}
	run, err := q.FlowRunInsert(ctx, dbsqlc.FlowRunInsertParams{
		WorkspaceID: en.WorkspaceID, FlowID: en.FlowID, Version: version, ContactID: en.ContactID,
		TriggerType: f.Trigger.Type, OriginKey: en.OriginKey, Variables: raw,
		ConversationID: ptr(en.ConversationID), StartedBy: ptr(en.StartedBy), ParentRunID: ptr(en.ParentRunID),
		Once: f.Trigger.TriggerOncePerContact, Depth: int32(en.Depth),
	})
	if db.IsNoRows(err) {
		active, err := q.FlowRunActiveForContact(ctx, dbsqlc.FlowRunActiveForContactParams{WorkspaceID: en.WorkspaceID, FlowID: en.FlowID, ContactID: en.ContactID})
		if err != nil && !db.IsNoRows(err) {
			return active, false, err
		}
		return active, false, nil
	}
	if err != nil {
		return dbsqlc.FlowRun{}, false, fmt.Errorf("record flow run: %w", err)
	}
	return dbsqlc.FlowRun(run), true, nil
}

// Start starts a recorded run's workflow and marks it running. Starting one already started is
// not an error: the workflow ID is the run's and is never reused.
func (e *Enroller) Start(ctx context.Context, run dbsqlc.FlowRun, flowName string) error {
	_, err := e.Temporal.ExecuteWorkflow(ctx, StartOptions(run, flowName), workflows.FlowRunWorkflowName, workflows.FlowRunInput{RunID: run.ID})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start flow run %d: %w", run.ID, err)
	}
	return e.DB.Queries.FlowRunMarkRunning(ctx, run.ID)
}

// StartOptions are the options of a run's workflow: searchable by workspace, flow and contact,
// with a summary naming both in the Temporal UI.
func StartOptions(run dbsqlc.FlowRun, flowName string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:        workflows.FlowRunWorkflowID(run.FlowID, run.ContactID, run.ID),
		TaskQueue: workflows.TaskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.SAWorkspaceID.ValueSet(strconv.FormatInt(run.WorkspaceID, 10)),
			workflows.SAContactID.ValueSet(strconv.FormatInt(run.ContactID, 10)),
			workflows.SAFlowID.ValueSet(strconv.FormatInt(run.FlowID, 10)),
		),
		StaticSummary:            fmt.Sprintf("Flow %q (%d) v%d for contact %d", flowName, run.FlowID, run.Version, run.ContactID),
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	}
}

// Stop ends a run: it is marked stopped at once (so the run list says so) and its workflow is
// cancelled, which cleans up what the run was waiting for. Stopping a run that already ended is
// a conflict.
func (e *Enroller) Stop(ctx context.Context, workspaceID, runID int64, reason string) (dbsqlc.FlowRun, error) {
	run, err := e.DB.Queries.FlowRunGet(ctx, dbsqlc.FlowRunGetParams{WorkspaceID: workspaceID, ID: runID})
	if db.IsNoRows(err) {
		return run, chatcenter.Errorf(chatcenter.ENOTFOUND, "flow run not found")
	}
	if err != nil {
		return run, err
	}
	if run.Status != StatusStarting && run.Status != StatusRunning {
		return run, chatcenter.Errorf(chatcenter.ECONFLICT, "flow run %d already ended (%s)", runID, run.Status)
	}
	// Cancel first: if the engine cannot be reached the run stays active and can be stopped
	// again, instead of being marked stopped while its steps go on.
	err = e.Temporal.CancelWorkflow(ctx, workflows.FlowRunWorkflowID(run.FlowID, run.ContactID, run.ID), "")
	var notFound *serviceerror.NotFound
	if err != nil && !errors.As(err, &notFound) {
		return run, fmt.Errorf("cancel flow run %d: %w", run.ID, err)
	}
	stopped, err := e.DB.Queries.FlowRunFinish(ctx, dbsqlc.FlowRunFinishParams{ID: run.ID, Status: StatusStopped, Error: &reason})
	if db.IsNoRows(err) {
		return run, chatcenter.Errorf(chatcenter.ECONFLICT, "flow run %d already ended", runID)
	}
	return dbsqlc.FlowRun(stopped), err
}

// StopContact stops every active run of a contact (the contact is being deleted).
func (e *Enroller) StopContact(ctx context.Context, workspaceID, contactID int64, reason string) error {
	runs, err := e.DB.Queries.FlowRunsActiveForContact(ctx, dbsqlc.FlowRunsActiveForContactParams{WorkspaceID: workspaceID, ContactID: contactID})
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range runs {
		if _, err := e.Stop(ctx, workspaceID, r.ID, reason); err != nil && chatcenter.ErrorCode(err) != chatcenter.ECONFLICT {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// StopAll stops every active run of a flow (the flow was stopped or deleted).
func (e *Enroller) StopAll(ctx context.Context, workspaceID, flowID int64, reason string) error {
	runs, err := e.DB.Queries.FlowRunsActiveForFlow(ctx, dbsqlc.FlowRunsActiveForFlowParams{WorkspaceID: workspaceID, FlowID: flowID})
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range runs {
		if _, err := e.Stop(ctx, workspaceID, r.ID, reason); err != nil && chatcenter.ErrorCode(err) != chatcenter.ECONFLICT {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func ptr(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

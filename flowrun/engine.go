package flowrun

import (
	"context"
	"errors"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/activities"
	"github.com/chatcenterhq/chatcenter/assign"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/flows"
	"github.com/chatcenterhq/chatcenter/workflows"
)

// Engine implements activities.Engine: flow steps reach conversation workflows through it.
type Engine struct {
	*Enroller
}

var _ activities.Engine = Engine{}

// Open opens a conversation for the contact with source workflow (update-with-start).
func (e Engine) Open(ctx context.Context, workspaceID, contactID, runID int64, updateID string) (chatcenter.Conversation, error) {
	var out chatcenter.Conversation
	opts := workflows.ConversationStartOptions(workspaceID, contactID)
	opts.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	op := e.Temporal.NewWithStartWorkflowOperation(opts, workflows.ConversationWorkflowName,
		workflows.ConversationInput{WorkspaceID: workspaceID, ContactID: contactID})
	h, err := e.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName: workflows.UpdateOpen, UpdateID: updateID, WaitForStage: client.WorkflowUpdateStageCompleted,
			Args: []any{workflows.OpenRequest{Source: chatcenter.SourceWorkflow, RunID: runID}},
		},
	})
	if err != nil {
		return out, workflows.DomainError(err)
	}
	return out, workflows.DomainError(h.Get(ctx, &out))
}

// Close closes the conversation with source workflow and the step's closing note.
func (e Engine) Close(ctx context.Context, contactID, conversationID, runID int64, updateID, category, summary string) (chatcenter.Conversation, error) {
	var out chatcenter.Conversation
	err := e.update(ctx, contactID, workflows.UpdateClose, updateID, workflows.CloseRequest{
		ConversationID: conversationID, Source: chatcenter.SourceWorkflow, Category: category, Summary: summary, RunID: runID,
	}, &out)
	return out, err
}

// Assign assigns the conversation to a user, or unassigns it (userID 0).
func (e Engine) Assign(ctx context.Context, contactID, conversationID, userID int64, updateID string) (chatcenter.Conversation, error) {
	var out chatcenter.Conversation
	if userID == 0 {
		return out, e.update(ctx, contactID, workflows.UpdateUnassign, updateID, workflows.UnassignRequest{ConversationID: conversationID}, &out)
	}
	return out, e.update(ctx, contactID, workflows.UpdateAssign, updateID, workflows.AssignRequest{ConversationID: conversationID, AssigneeID: userID}, &out)
}

func (e Engine) update(ctx context.Context, contactID int64, name, updateID string, arg, out any) error {
	h, err := e.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.ConversationWorkflowID(contactID), UpdateID: updateID, UpdateName: name,
		Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		var notFound *serviceerror.NotFound
		if errors.As(err, &notFound) {
			return chatcenter.Errorf(chatcenter.ECONFLICT, "the contact has no open conversation")
		}
		return workflows.DomainError(err)
	}
	return workflows.DomainError(h.Get(ctx, out))
}

// Changed signals the contact's conversation workflow to reload its conversation. No running
// workflow means nothing holds a stale copy.
func (e Engine) Changed(ctx context.Context, contactID int64) error {
	err := e.Temporal.SignalWorkflow(ctx, workflows.ConversationWorkflowID(contactID), "", workflows.SignalConversationChanged, struct{}{})
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil
	}
	return err
}

// Redeliver signals a stored inbound message to its contact's conversation workflow.
func (e Engine) Redeliver(ctx context.Context, m activities.InboundRef) error {
	return workflows.SignalInboundMessage(ctx, e.Temporal, m.WorkspaceID, m.ContactID, workflows.InboundSignal{
		MessageID: m.MessageID, ChannelID: m.ChannelID, ChannelType: m.ChannelType, ReceivedAt: m.ReceivedAt,
	})
}

// Enroll runs Trigger Another Flow: the target must be published with a manual trigger.
func (e Engine) Enroll(ctx context.Context, in activities.FlowEnrollInput) (activities.FlowEnrollResult, error) {
	depth := 0
	if in.ParentRunID != 0 {
		parent, err := e.DB.Queries.FlowRunGetByID(ctx, in.ParentRunID)
		if err != nil && !db.IsNoRows(err) {
			return activities.FlowEnrollResult{}, err
		}
		depth = int(parent.Depth) + 1
	}
	if depth > MaxDepth {
		return activities.FlowEnrollResult{}, chatcenter.Errorf(chatcenter.ECONFLICT,
			"%d flows already led to this one: flows that start each other are stopped at this depth", depth)
	}
	run, enrolled, err := e.Enroller.Enroll(ctx, Enrollment{
		WorkspaceID: in.WorkspaceID, FlowID: in.FlowID, ContactID: in.ContactID, OriginKey: in.OriginKey,
		TriggerType: flows.TriggerManual, Variables: in.Variables, ParentRunID: in.ParentRunID, Depth: depth,
	})
	return activities.FlowEnrollResult{RunID: run.ID, Enrolled: enrolled}, err
}

// Reoffer hands waiting conversations of the workspace to users with capacity (call it whenever
// capacity may have freed) and tells each conversation workflow and waiting flow run.
func (e *Enroller) Reoffer(ctx context.Context, workspaceID int64) error {
	assigned, _, err := assign.Reoffer(ctx, e.DB, workspaceID)
	if err != nil {
		return err
	}
	var errs []error
	for _, a := range assigned {
		if err := (Engine{e}).Changed(ctx, a.ContactID); err != nil {
			errs = append(errs, err)
		}
		if a.Waiter == "" {
			continue
		}
		err := e.Temporal.SignalWorkflow(ctx, a.Waiter, "", workflows.SignalFlowAssigned, workflows.FlowAssignedSignal{
			ConversationID: a.ConversationID, UserID: a.UserID,
		})
		var notFound *serviceerror.NotFound
		if err != nil && !errors.As(err, &notFound) {
			// The run finds out at its next queue check.
			e.Log.Warn("flow run not told of its assignment", "workflow", a.Waiter, "error", err)
		}
	}
	return errors.Join(errs...)
}

package workflows

import (
	"context"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/chatcenterhq/chatcenter/activities"
)

// RedeliveryWorkflowName is the sweep that hands conversation workflows the inbound messages whose
// signal was lost, started every RedeliveryInterval by RedeliveryScheduleID.
const RedeliveryWorkflowName = "InboundRedeliveryWorkflow"

// RedeliveryScheduleID names the Temporal Schedule that runs the sweep; one per namespace.
const RedeliveryScheduleID = "inbound-redelivery"

const (
	// RedeliveryInterval is how often the sweep runs.
	RedeliveryInterval = time.Minute
	// RedeliveryGrace is how old an unattached inbound message must be before the sweep signals
	// it again. Workflows attach messages within milliseconds; the grace leaves room for a worker
	// working through a backlog, whose messages are not lost, only queued (signalling them again
	// is harmless: workflows ignore messages they have handled, but it adds work).
	RedeliveryGrace = 2 * time.Minute
	// RedeliveryBatch bounds the messages one run signals; the next run takes the rest.
	RedeliveryBatch = 200
)

// RedeliveryWorkflow signals each inbound message stored more than RedeliveryGrace ago and still
// not attached to a conversation to its contact's conversation workflow, and returns how many.
// The webhook stores a message, then signals: a process killed between the two, or an engine
// unreachable for longer than the provider keeps redelivering, would otherwise leave a customer's
// message out of the inbox for good.
func RedeliveryWorkflow(ctx workflow.Context) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		HeartbeatTimeout:    heartbeatTimeout,
		// The next tick sweeps again, so a run need not try for long.
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var n int
	err := workflow.ExecuteActivity(ctx, acts.InboundRedeliver, activities.RedeliverInput{
		Before: workflow.Now(ctx).Add(-RedeliveryGrace), Limit: RedeliveryBatch,
	}).Get(ctx, &n)
	return n, err
}

// SetupRedelivery registers the redelivery workflow on r and creates its schedule unless it exists.
func SetupRedelivery(c client.Client, r worker.WorkflowRegistry) error {
	r.RegisterWorkflowWithOptions(RedeliveryWorkflow, workflow.RegisterOptions{Name: RedeliveryWorkflowName})
	return ensureSchedule(c, RedeliveryScheduleID, RedeliveryWorkflowName, RedeliveryInterval,
		"Inbound redelivery: stored messages whose conversation never heard of them")
}

// SignalInboundMessage tells the contact's conversation workflow about a stored inbound message,
// starting the workflow when none runs (a closed conversation's run has ended; the message opens
// the next one). The webhook calls it after storing a message, the redelivery sweep for messages
// whose first signal was lost; the workflow ignores messages it has handled.
func SignalInboundMessage(ctx context.Context, c client.Client, workspaceID, contactID int64, sig InboundSignal) error {
	_, err := c.SignalWithStartWorkflow(ctx, ConversationWorkflowID(contactID), SignalInbound, sig,
		ConversationStartOptions(workspaceID, contactID), ConversationWorkflowName,
		ConversationInput{WorkspaceID: workspaceID, ContactID: contactID})
	return err
}

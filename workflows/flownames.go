package workflows

import (
	"fmt"
	"time"
)

// Names shared by flow runs and the workflows and activities that talk to them.
const (
	FlowRunWorkflowName = "FlowRunWorkflow"

	// SignalFlowAnswer wakes a run waiting in Ask a Question: the contact sent a message.
	SignalFlowAnswer = "flow-answer"
	// SignalFlowAssigned wakes a run waiting in Assign To's queue: capacity freed and the
	// conversation was given to someone.
	SignalFlowAssigned = "flow-assigned"
	// SignalConversationChanged tells a conversation workflow that its conversation was changed
	// outside it (automatic assignment): it reloads the conversation.
	SignalConversationChanged = "conversation-changed"

	// QueryFlowRun returns a run's current state.
	QueryFlowRun = "flow-run"
)

// FlowRunWorkflowID is the workflow ID of one enrollment: the flow, the contact and the run
// (flow_runs.id, one per triggering event and flow), readable and free of personal data.
func FlowRunWorkflowID(flowID, contactID, runID int64) string {
	return fmt.Sprintf("flow-%d-%d-%d", flowID, contactID, runID)
}

// FlowAnswerSignal carries the contact's message to a waiting run.
type FlowAnswerSignal struct {
	MessageID  int64
	ChannelID  int64
	ReceivedAt time.Time
}

// FlowAssignedSignal tells a run its queued conversation was assigned.
type FlowAssignedSignal struct {
	ConversationID int64
	UserID         int64
}

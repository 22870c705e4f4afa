// Package workflows holds Chat Center's deterministic workflow code and everything the API and
// the workers must agree on: workflow IDs, task queues, signal/update/query names, payload types
// and search attributes. Workflow code does no I/O: every side effect is an activity.
package workflows

import (
	"fmt"
	"strconv"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/chatcenterhq/chatcenter"
)

// TaskQueue is where workflows and database activities run.
const TaskQueue = "chatcenter"

// SendTaskQueue is the queue for outbound sends on one channel type, so that each provider's rate
// limit can be set on its own workers (TaskQueueActivitiesPerSecond).
func SendTaskQueue(t chatcenter.ChannelType) string { return "send-" + string(t) }

// Workflow type names, registered explicitly so renaming Go functions never breaks running
// histories.
const (
	ConversationWorkflowName = "ConversationWorkflow"
)

// Signal, update and query names of the conversation workflow.
const (
	SignalInbound = "inbound"

	UpdateSendReply = "send-reply"
	UpdateAssign    = "assign"
	UpdateUnassign  = "unassign"
	UpdateClose     = "close"
	UpdateOpen      = "open"

	QueryState = "state"
)

// ConversationWorkflowID is the ID of a contact's conversation workflow: one per contact, readable,
// and free of personal data.
func ConversationWorkflowID(contactID int64) string {
	return fmt.Sprintf("conversation-%d", contactID)
}

// Search attributes. The SQL visibility store has 10 Keyword, 3 Datetime and 3 Int slots per
// namespace; these fit.
var (
	SAWorkspaceID        = temporal.NewSearchAttributeKeyKeyword("WorkspaceId")
	SAContactID          = temporal.NewSearchAttributeKeyKeyword("ContactId")
	SAConversationStatus = temporal.NewSearchAttributeKeyKeyword("ConversationStatus")
	SAAssigneeID         = temporal.NewSearchAttributeKeyKeyword("AssigneeId")
	SATeamID             = temporal.NewSearchAttributeKeyKeyword("TeamId")
	SAChannel            = temporal.NewSearchAttributeKeyKeyword("Channel")
	SAFlowID             = temporal.NewSearchAttributeKeyKeyword("FlowId")
	SABroadcastID        = temporal.NewSearchAttributeKeyKeyword("BroadcastId")
	SALastInboundAt      = temporal.NewSearchAttributeKeyTime("LastInboundAt")
)

// SearchAttributes lists every custom search attribute with its type, for registration by `dev`,
// tests and the README's `temporal operator search-attribute create` lines.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		SAWorkspaceID.GetName():        enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SAContactID.GetName():          enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SAConversationStatus.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SAAssigneeID.GetName():         enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SATeamID.GetName():             enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SAChannel.GetName():            enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SAFlowID.GetName():             enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SABroadcastID.GetName():        enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SALastInboundAt.GetName():      enumspb.INDEXED_VALUE_TYPE_DATETIME,
	}
}

// ConversationStartOptions are the options every starter of a conversation workflow uses (the
// webhook's signal-with-start, the API's update-with-start, the benchmark), so that IDs, queues,
// search attributes and the UI summary are always the same.
func ConversationStartOptions(workspaceID, contactID int64) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:        ConversationWorkflowID(contactID),
		TaskQueue: TaskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			SAWorkspaceID.ValueSet(strconv.FormatInt(workspaceID, 10)),
			SAContactID.ValueSet(strconv.FormatInt(contactID, 10)),
		),
		StaticSummary: fmt.Sprintf("Conversation with contact %d (workspace %d)", contactID, workspaceID),
		// A closed conversation's run has ended; the next message starts a new run under the same ID.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}
}

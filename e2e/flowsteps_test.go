package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/flowrun"
	"github.com/chatcenterhq/chatcenter/flows"
)

// stepsPublish creates and publishes a flow, returning its id.
func stepsPublish(b *bundle, name string, f flows.Flow) int64 {
	b.t.Helper()
	var out flowsView
	b.do("POST", "/api/v1/flows", "", map[string]any{"name": name, "definition": f}, http.StatusCreated, &out)
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/publish", out.ID), "", nil, http.StatusOK, &out)
	return out.ID
}

// stepsRuns reads a flow's runs straight from the database.
func stepsRuns(b *bundle, flowID int64) []dbsqlc.FlowRun {
	b.t.Helper()
	runs, err := b.db.FlowRunList(context.Background(), dbsqlc.FlowRunListParams{WorkspaceID: b.owner.WorkspaceID, FlowID: flowID, Max: 100})
	require.NoError(b.t, err)
	return runs
}

// stepsWaitRun waits for the flow's only run to reach status.
func stepsWaitRun(b *bundle, flowID int64, status string) dbsqlc.FlowRun {
	b.t.Helper()
	var run dbsqlc.FlowRun
	b.eventually("flow run "+status, func() bool {
		runs := stepsRuns(b, flowID)
		if len(runs) == 1 && runs[0].Status == status {
			run = runs[0]
			return true
		}
		return false
	})
	return run
}

func stepsSentTexts(b *bundle) []string {
	var out []string
	for _, c := range b.telegram.callsTo("sendMessage") {
		out = append(out, fmt.Sprint(c.Body["text"]))
	}
	return out
}

// TestFlowStepsConversation runs a routing flow on a real conversation: Conversation Opened by the
// contact → greeting with a variable → multiple-choice question as Telegram buttons → an invalid
// answer is re-asked → a button press answers → Branch on the saved variable → tag → close.
func TestFlowStepsConversation(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	flowID := stepsPublish(b, "Routing", flows.Flow{
		Trigger: flows.Trigger{Type: flows.TriggerConversationOpened, Next: "hello",
			ConversationOpened: &flows.ConversationOpenedTrigger{Sources: []string{"contact"}}},
		Steps: []flows.Step{
			{ID: "hello", Type: flows.StepSendMessage, Next: "ask", SendMessage: &flows.SendMessage{Text: "Hi {{$contact.first_name}}!"}},
			{ID: "ask", Type: flows.StepAskQuestion, Next: "route", AskQuestion: &flows.AskQuestion{
				Text: "Which team?", QuestionType: "multiple_choice", Choices: []string{"Sales", "Support"},
				SaveAs: flows.SaveAs{Kind: "variable", Name: "dept"}}},
			{ID: "route", Type: flows.StepBranch, Branch: &flows.Branch{
				Paths: []flows.BranchPath{{Match: "all", Next: "tag_sales", Conditions: []flows.Condition{
					{Category: "variable", Field: "dept", Operator: "eq", Value: "Sales"}}}},
				ElseNext: "tag_support"}},
			{ID: "tag_sales", Type: flows.StepUpdateContactTag, Next: "close", UpdateContactTag: &flows.UpdateContactTag{Action: "add", Tags: []string{"sales"}}},
			{ID: "tag_support", Type: flows.StepUpdateContactTag, Next: "close", UpdateContactTag: &flows.UpdateContactTag{Action: "add", Tags: []string{"support"}}},
			{ID: "close", Type: flows.StepCloseConversation, CloseConversation: &flows.CloseConversation{Summary: "Routed by the flow"}},
		},
	})

	b.postUpdate(chID, textUpdate(1, 1, "hello"), http.StatusOK)
	conv := b.waitOpenConversation()
	b.eventually("the question", func() bool { return len(b.telegram.callsTo("sendMessage")) == 2 })
	require.Equal(t, []string{"Hi Test Firstname!", "Which team?"}, stepsSentTexts(b))
	q := b.telegram.callsTo("sendMessage")[1].Body
	require.Equal(t, map[string]any{"inline_keyboard": []any{
		[]any{map[string]any{"text": "Sales", "callback_data": "Sales"}},
		[]any{map[string]any{"text": "Support", "callback_data": "Support"}},
	}}, q["reply_markup"])
	run := stepsWaitRun(b, flowID, "running")
	require.Equal(t, "ask", *run.CurrentStep)

	// Not one of the choices: asked again.
	b.postUpdate(chID, textUpdate(2, 2, "pizza"), http.StatusOK)
	b.eventually("the re-ask", func() bool { return len(b.telegram.callsTo("sendMessage")) == 3 })

	b.postUpdate(chID, `{"update_id":3,"callback_query":{"id":"cb-1","from":{"id":1111111,"first_name":"Test"},"message":{"message_id":86,"chat":{"id":1111111,"type":"private"},"date":1493843400},"chat_instance":"x","data":"Support"}}`, http.StatusOK)
	run = stepsWaitRun(b, flowID, "completed")
	require.Nil(t, run.Error)

	ct, err := b.db.ContactGetByID(context.Background(), dbsqlc.ContactGetByIDParams{WorkspaceID: b.owner.WorkspaceID, ID: conv.ContactID})
	require.NoError(t, err)
	require.True(t, slices.Contains(ct.Tags, "support"), "tags %v", ct.Tags)
	require.False(t, slices.Contains(ct.Tags, "sales"))
	b.eventually("the conversation closed by the flow", func() bool {
		c, err := b.db.ConversationGetByID(context.Background(), dbsqlc.ConversationGetByIDParams{WorkspaceID: b.owner.WorkspaceID, ID: conv.ID})
		return err == nil && c.Status == "closed" && c.ClosedSource != nil && *c.ClosedSource == "workflow"
	})
}

// TestFlowStepsChannelContent: a Send Message step's content for the contact's channel type
// replaces the default text (respond.io's Channel Response).
func TestFlowStepsChannelContent(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	flowID := stepsPublish(b, "Per channel", flows.Flow{
		Trigger: flows.Trigger{Type: flows.TriggerConversationOpened, Next: "hello"},
		Steps: []flows.Step{{ID: "hello", Type: flows.StepSendMessage, SendMessage: &flows.SendMessage{
			Text: "Default text",
			ChannelContent: []flows.ChannelContent{
				{ChannelType: "custom", Text: "Custom channel text"},
				{ChannelType: "telegram", Text: "Telegram text for {{$contact.first_name}}"},
			}}}},
	})
	b.postUpdate(chID, textUpdate(1, 1, "hello"), http.StatusOK)
	stepsWaitRun(b, flowID, "completed")
	require.Equal(t, []string{"Telegram text for Test Firstname"}, stepsSentTexts(b))
}

// TestFlowStepsLoopBetweenFlowsStops: two flows that trigger each other through tags (ping adds
// pong, pong adds ping) stop after flowrun.MaxDepth runs led to one another.
func TestFlowStepsLoopBetweenFlowsStops(t *testing.T) {
	b := setup(t)
	swap := func(from, to string) flows.Flow {
		return flows.Flow{
			Trigger: flows.Trigger{Type: flows.TriggerContactTagUpdated, Next: "remove",
				ContactTagUpdated: &flows.ContactTagUpdatedTrigger{Action: "added", Tags: []string{from}}},
			Steps: []flows.Step{
				{ID: "remove", Type: flows.StepUpdateContactTag, Next: "add", UpdateContactTag: &flows.UpdateContactTag{Action: "remove", Tags: []string{from}}},
				{ID: "add", Type: flows.StepUpdateContactTag, UpdateContactTag: &flows.UpdateContactTag{Action: "add", Tags: []string{to}}},
			},
		}
	}
	ping := stepsPublish(b, "Ping", swap("ping", "pong"))
	pong := stepsPublish(b, "Pong", swap("pong", "ping"))
	ct := trigContact(b, map[string]any{"first_name": "Ana"})
	trigTags(b, ct.ID, "POST", "ping")

	total := func() int { return len(stepsRuns(b, ping)) + len(stepsRuns(b, pong)) }
	b.eventually("the chain to reach its depth", func() bool { return total() == flowrun.MaxDepth+1 })
	// The last run's change starts nothing more.
	time.Sleep(2 * time.Second)
	require.Equal(t, flowrun.MaxDepth+1, total())
	depths := map[int32]bool{}
	for _, r := range append(stepsRuns(b, ping), stepsRuns(b, pong)...) {
		depths[r.Depth] = true
		if r.Depth > 0 {
			require.NotNil(t, r.ParentRunID)
		}
	}
	require.Len(t, depths, flowrun.MaxDepth+1)
}

// TestFlowStepsAssignSpecificUserOnlineOnly: Assign To a specific user "only online" waits while
// that agent is offline, and assigns the conversation to them as soon as they come online.
func TestFlowStepsAssignSpecificUserOnlineOnly(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	token := flowsLogin(b, "maria@steps.example", "agent")
	maria, err := b.db.UserGetByEmail(context.Background(), "maria@steps.example")
	require.NoError(t, err)
	b.do("PUT", "/api/v1/me/availability", token, map[string]any{"availability": "offline"}, http.StatusOK, nil)
	flowID := stepsPublish(b, "To Maria", flows.Flow{
		Trigger: flows.Trigger{Type: flows.TriggerConversationOpened, Next: "assign"},
		Steps: []flows.Step{{ID: "assign", Type: flows.StepAssignTo, AssignTo: &flows.AssignTo{
			Action: "user", UserID: &maria.ID, OnlyOnline: true}}},
	})
	b.postUpdate(chID, textUpdate(1, 1, "hello"), http.StatusOK)
	conv := b.waitOpenConversation()
	b.eventually("the run waiting in the assign step", func() bool {
		runs := stepsRuns(b, flowID)
		return len(runs) == 1 && runs[0].Status == "running" && runs[0].CurrentStep != nil && *runs[0].CurrentStep == "assign"
	})
	c, err := b.db.ConversationGetByID(context.Background(), dbsqlc.ConversationGetByIDParams{WorkspaceID: b.owner.WorkspaceID, ID: conv.ID})
	require.NoError(t, err)
	require.Nil(t, c.AssigneeID, "nobody else gets it while Maria is offline")

	b.do("PUT", "/api/v1/me/availability", token, map[string]any{"availability": "online"}, http.StatusOK, nil)
	stepsWaitRun(b, flowID, "completed")
	b.eventually("the conversation assigned to Maria", func() bool {
		got := b.conversations("?status=open")
		return len(got) == 1 && got[0].AssigneeID != nil && *got[0].AssigneeID == maria.ID
	})
}

// TestFlowStepsOpenCloseLoopStops: a flow that reopens closed conversations and one that closes
// conversations opened by flows would bounce for ever; the chain stops at flowrun.MaxDepth.
func TestFlowStepsOpenCloseLoopStops(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	reopen := stepsPublish(b, "Reopen", flows.Flow{
		Trigger: flows.Trigger{Type: flows.TriggerConversationClosed, Next: "open"},
		Steps:   []flows.Step{{ID: "open", Type: flows.StepOpenConversation}},
	})
	closer := stepsPublish(b, "Close again", flows.Flow{
		Trigger: flows.Trigger{Type: flows.TriggerConversationOpened, Next: "close",
			ConversationOpened: &flows.ConversationOpenedTrigger{Sources: []string{"workflow"}}},
		Steps: []flows.Step{{ID: "close", Type: flows.StepCloseConversation, CloseConversation: &flows.CloseConversation{Summary: "bounce"}}},
	})
	b.postUpdate(chID, textUpdate(1, 1, "hello"), http.StatusOK)
	conv := b.waitOpenConversation()
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/close", conv.ID), "", map[string]any{}, http.StatusOK, nil)

	ended := func() int {
		n := 0
		for _, r := range append(stepsRuns(b, reopen), stepsRuns(b, closer)...) {
			if r.Status == "completed" {
				n++
			}
		}
		return n
	}
	b.eventually("the chain to reach its depth", func() bool { return ended() == flowrun.MaxDepth+1 })
	time.Sleep(2 * time.Second)
	require.Len(t, append(stepsRuns(b, reopen), stepsRuns(b, closer)...), flowrun.MaxDepth+1)
}

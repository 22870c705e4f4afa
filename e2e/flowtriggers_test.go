package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/flows"
)

// Each event trigger end to end: the event happens through the API or the fake Telegram, the
// dispatcher enrolls the contact in every published flow whose trigger matches, and the run's
// steps show it ran. A flow that must not run is checked against one that must run on the same
// event: the dispatcher records all runs of one event in one transaction, so once the expected
// run exists the unexpected one would exist too.

// trigCommentFlow is a flow that writes one internal comment (variables rendered).
func trigCommentFlow(t flows.Trigger, text string) flows.Flow {
	t.Next = "note"
	return flows.Flow{Trigger: t, Steps: []flows.Step{
		{ID: "note", Type: flows.StepAddComment, AddComment: &flows.AddComment{Text: text}},
	}}
}

func trigOpened(sources ...string) flows.Trigger {
	return flows.Trigger{Type: flows.TriggerConversationOpened, ConversationOpened: &flows.ConversationOpenedTrigger{Sources: sources}}
}

func trigTag(action string, tags ...string) flows.Trigger {
	return flows.Trigger{Type: flows.TriggerContactTagUpdated, ContactTagUpdated: &flows.ContactTagUpdatedTrigger{Action: action, Tags: tags}}
}

// trigContact creates a contact through the API.
func trigContact(b *bundle, body map[string]any) chatcenter.Contact {
	b.t.Helper()
	var ct chatcenter.Contact
	b.do("POST", "/api/v1/contacts", "", body, http.StatusCreated, &ct)
	return ct
}

// trigComments are the texts of the contact's comments.
func trigComments(b *bundle, contactID int64) []string {
	b.t.Helper()
	var l list[struct {
		Text string `json:"text"`
	}]
	b.do("GET", fmt.Sprintf("/api/v1/contacts/%d/comments?limit=100", contactID), "", nil, http.StatusOK, &l)
	out := []string{}
	for _, c := range l.Items {
		out = append(out, c.Text)
	}
	return out
}

// trigWaitEnded waits until the contact has n runs of the flow, all completed.
func trigWaitEnded(b *bundle, flowID, contactID int64, n int) {
	b.t.Helper()
	b.eventually(fmt.Sprintf("%d completed runs of flow %d for contact %d", n, flowID, contactID), func() bool {
		runs := tplRuns(b, flowID, contactID)
		if len(runs) != n {
			return false
		}
		for _, r := range runs {
			if r.Status != "completed" {
				return false
			}
		}
		return true
	})
}

func trigTags(b *bundle, contactID int64, method string, tags ...string) {
	b.t.Helper()
	b.do(method, fmt.Sprintf("/api/v1/contacts/%d/tags", contactID), "", tags, http.StatusOK, nil)
}

// TestFlowTrigger_ConversationOpened: the source filter tells a contact writing in from an agent
// opening the conversation; a flow without a filter runs for both.
func TestFlowTrigger_ConversationOpened(t *testing.T) {
	b := setup(t)
	chat := tplNewChat(b)
	byContact := stepsPublish(b, "Opened by contact", trigCommentFlow(trigOpened("contact"), "contact flow: {{$variable.source}}"))
	byUser := stepsPublish(b, "Opened by an agent", trigCommentFlow(trigOpened("user"), "user flow: {{$variable.source}}"))
	byAnyone := stepsPublish(b, "Opened by anyone", trigCommentFlow(trigOpened(), "any flow: {{$variable.source}}"))

	conv := chat.write(8001, "Cara", "hello")
	trigWaitEnded(b, byContact, conv.ContactID, 1)
	trigWaitEnded(b, byAnyone, conv.ContactID, 1)
	require.Empty(t, tplRuns(b, byUser, conv.ContactID))
	require.ElementsMatch(t, []string{"contact flow: contact", "any flow: contact"}, trigComments(b, conv.ContactID))

	dan := trigContact(b, map[string]any{"first_name": "Dan"})
	var opened chatcenter.Conversation
	b.do("POST", fmt.Sprintf("/api/v1/contacts/%d/conversation/open", dan.ID), "", nil, http.StatusOK, &opened)
	require.Equal(t, chatcenter.SourceUser, opened.OpenedSource)
	trigWaitEnded(b, byUser, dan.ID, 1)
	trigWaitEnded(b, byAnyone, dan.ID, 1)
	require.Empty(t, tplRuns(b, byContact, dan.ID), "a contact-only flow does not run when an agent opens")
	require.ElementsMatch(t, []string{"user flow: user", "any flow: user"}, trigComments(b, dan.ID))
}

// TestFlowTrigger_ConversationClosed: source and closing-note category filters.
func TestFlowTrigger_ConversationClosed(t *testing.T) {
	b := setup(t)
	chat := tplNewChat(b)
	for _, name := range []string{"Resolved", "Spam"} {
		b.do("POST", "/api/v1/settings/closing-notes/categories", "", map[string]any{"name": name}, http.StatusCreated, nil)
	}
	closed := func(sources []string, categories ...string) flows.Trigger {
		return flows.Trigger{Type: flows.TriggerConversationClosed,
			ConversationClosed: &flows.ConversationClosedTrigger{Sources: sources, Categories: categories}}
	}
	resolvedByAgent := stepsPublish(b, "Resolved by an agent", trigCommentFlow(closed([]string{"user"}, "resolved"),
		"resolved: {{$variable.category}} / {{$variable.summary}}"))
	anyClose := stepsPublish(b, "Any close", trigCommentFlow(flows.Trigger{Type: flows.TriggerConversationClosed},
		"closed by {{$variable.source}}: {{$variable.category}}"))
	byWorkflow := stepsPublish(b, "Closed by a flow", trigCommentFlow(closed([]string{"workflow"}), "closed by a flow"))
	closer := stepsPublish(b, "Closer", flows.Flow{
		Trigger: flows.Trigger{Type: flows.TriggerContactTagUpdated, Next: "close",
			ContactTagUpdated: &flows.ContactTagUpdatedTrigger{Action: "added", Tags: []string{"close_me"}}},
		Steps: []flows.Step{{ID: "close", Type: flows.StepCloseConversation, CloseConversation: &flows.CloseConversation{Category: "Resolved", Summary: "by flow"}}},
	})

	// An agent closes as spam: only the unfiltered flow.
	conv := chat.write(8101, "Cara", "hello")
	contact := conv.ContactID
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/close", conv.ID), "", map[string]any{"category": "Spam"}, http.StatusOK, nil)
	trigWaitEnded(b, anyClose, contact, 1)
	require.Empty(t, tplRuns(b, resolvedByAgent, contact))
	require.Empty(t, tplRuns(b, byWorkflow, contact))

	// An agent closes as resolved (the filter's category matches whatever its case).
	conv = chat.write(8101, "Cara", "me again")
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/close", conv.ID), "", map[string]any{"category": "Resolved", "summary": "refund sent"}, http.StatusOK, nil)
	trigWaitEnded(b, resolvedByAgent, contact, 1)
	trigWaitEnded(b, anyClose, contact, 2)
	require.Empty(t, tplRuns(b, byWorkflow, contact))

	// A flow closes as resolved: source workflow, so the agent-only flow stays out.
	conv = chat.write(8101, "Cara", "one more thing")
	trigTags(b, contact, "POST", "close_me")
	trigWaitEnded(b, closer, contact, 1)
	trigWaitEnded(b, byWorkflow, contact, 1)
	trigWaitEnded(b, anyClose, contact, 3)
	require.Len(t, tplRuns(b, resolvedByAgent, contact), 1)
	require.Equal(t, "closed", string(tplConversation(b, conv.ID).Status))

	require.ElementsMatch(t, []string{
		"closed by user: Spam",
		"resolved: Resolved / refund sent", "closed by user: Resolved",
		"closed by a flow", "closed by workflow: Resolved",
	}, trigComments(b, contact))
}

// TestFlowTrigger_ContactTagUpdated: added and removed, only for the trigger's tags, through the
// tag API and a contact edit.
func TestFlowTrigger_ContactTagUpdated(t *testing.T) {
	b := setup(t)
	added := stepsPublish(b, "VIP or gold added", trigCommentFlow(trigTag("added", "VIP", "gold"), "added {{$variable.tag}} ({{$variable.action}})"))
	removedVIP := stepsPublish(b, "VIP removed", trigCommentFlow(trigTag("removed", "vip"), "removed {{$variable.tag}} ({{$variable.action}})"))
	removedOther := stepsPublish(b, "Other removed", trigCommentFlow(trigTag("removed", "other"), "removed other"))
	ct := trigContact(b, map[string]any{"first_name": "Cara"})

	trigTags(b, ct.ID, "POST", "other", "vip")
	trigWaitEnded(b, added, ct.ID, 1)
	require.Empty(t, tplRuns(b, removedVIP, ct.ID))
	require.Empty(t, tplRuns(b, removedOther, ct.ID))

	trigTags(b, ct.ID, "DELETE", "other")
	trigWaitEnded(b, removedOther, ct.ID, 1)
	require.Empty(t, tplRuns(b, removedVIP, ct.ID), "another tag's removal")
	require.Len(t, tplRuns(b, added, ct.ID), 1)

	trigTags(b, ct.ID, "DELETE", "vip")
	trigWaitEnded(b, removedVIP, ct.ID, 1)

	// An edit that sets the tags writes the same events.
	b.do("PATCH", fmt.Sprintf("/api/v1/contacts/%d", ct.ID), "", map[string]any{"tags": []string{"gold"}}, http.StatusOK, nil)
	trigWaitEnded(b, added, ct.ID, 2)
	require.Len(t, tplRuns(b, removedOther, ct.ID), 1)

	require.ElementsMatch(t, []string{"added vip (added)", "removed other", "removed vip (removed)", "added gold (added)"}, trigComments(b, ct.ID))
}

// TestFlowTrigger_ContactFieldUpdated: a standard field (email) and a custom field (plan), only
// when the value changes.
func TestFlowTrigger_ContactFieldUpdated(t *testing.T) {
	b := setup(t)
	b.do("POST", "/api/v1/settings/contact-fields", "", map[string]any{"name": "Plan", "slug": "plan", "type": "text"}, http.StatusCreated, nil)
	field := func(name string) flows.Trigger {
		return flows.Trigger{Type: flows.TriggerContactFieldUpdated, ContactFieldUpdated: &flows.ContactFieldUpdatedTrigger{Field: name}}
	}
	onEmail := stepsPublish(b, "Email changed", trigCommentFlow(field("email"), "{{$variable.field}} is now {{$contact.email}}"))
	onPlan := stepsPublish(b, "Plan changed", trigCommentFlow(field("plan"), "{{$variable.field}} is now {{$contact.plan}}"))
	ct := trigContact(b, map[string]any{"first_name": "Cara"})
	path := fmt.Sprintf("/api/v1/contacts/%d", ct.ID)

	b.do("PATCH", path, "", map[string]any{"email": "cara@example.com"}, http.StatusOK, nil)
	trigWaitEnded(b, onEmail, ct.ID, 1)
	require.Empty(t, tplRuns(b, onPlan, ct.ID))

	b.do("PATCH", path, "", map[string]any{"custom_fields": map[string]any{"plan": "gold"}}, http.StatusOK, nil)
	trigWaitEnded(b, onPlan, ct.ID, 1)
	require.Len(t, tplRuns(b, onEmail, ct.ID), 1)

	// The e-mail is sent again unchanged: no email event, no run.
	b.do("PATCH", path, "", map[string]any{"email": "cara@example.com", "custom_fields": map[string]any{"plan": "silver"}}, http.StatusOK, nil)
	trigWaitEnded(b, onPlan, ct.ID, 2)
	require.Len(t, tplRuns(b, onEmail, ct.ID), 1)

	require.ElementsMatch(t, []string{"email is now cara@example.com", "plan is now gold", "plan is now silver"}, trigComments(b, ct.ID))
}

// TestFlowTrigger_SeveralFlowsOnOneEvent: every published flow whose trigger matches runs.
func TestFlowTrigger_SeveralFlowsOnOneEvent(t *testing.T) {
	b := setup(t)
	chat := tplNewChat(b)
	var ids []int64
	for _, tag := range []string{"first", "second", "third"} {
		ids = append(ids, stepsPublish(b, "Tag "+tag, flows.Flow{
			Trigger: flows.Trigger{Type: flows.TriggerConversationOpened, Next: "tag", ConversationOpened: &flows.ConversationOpenedTrigger{Sources: []string{"contact"}}},
			Steps:   []flows.Step{{ID: "tag", Type: flows.StepUpdateContactTag, UpdateContactTag: &flows.UpdateContactTag{Action: "add", Tags: []string{tag}}}},
		}))
	}
	conv := chat.write(8401, "Cara", "hello")
	for _, id := range ids {
		trigWaitEnded(b, id, conv.ContactID, 1)
	}
	require.ElementsMatch(t, []string{"first", "second", "third"}, tplContact(b, conv.ContactID).Tags)
}

// TestFlowTrigger_OncePerContact: a once-per-contact flow never takes the contact again; a flow
// without the option takes it again only after its first run ended.
func TestFlowTrigger_OncePerContact(t *testing.T) {
	b := setup(t)
	once := trigCommentFlow(trigTag("added", "ping"), "once")
	once.Trigger.TriggerOncePerContact = true
	onceID := stepsPublish(b, "Once", once)
	repeat := stepsPublish(b, "Repeat", flows.Flow{
		Trigger: flows.Trigger{Type: flows.TriggerContactTagUpdated, Next: "wait",
			ContactTagUpdated: &flows.ContactTagUpdatedTrigger{Action: "added", Tags: []string{"ping"}}},
		Steps: []flows.Step{
			{ID: "wait", Type: flows.StepWait, Next: "note", Wait: &flows.Wait{Seconds: 5}},
			{ID: "note", Type: flows.StepAddComment, AddComment: &flows.AddComment{Text: "repeat done"}},
		},
	})
	control := stepsPublish(b, "Control", trigCommentFlow(trigTag("added", "ping"), "control"))
	ct := trigContact(b, map[string]any{"first_name": "Cara"})
	ping := func() {
		trigTags(b, ct.ID, "DELETE", "ping")
		trigTags(b, ct.ID, "POST", "ping")
	}

	trigTags(b, ct.ID, "POST", "ping")
	trigWaitEnded(b, onceID, ct.ID, 1)
	trigWaitEnded(b, control, ct.ID, 1)
	tplWaitRun(b, repeat, ct.ID, "running")

	// Again while Repeat's run waits.
	ping()
	trigWaitEnded(b, control, ct.ID, 2)
	require.Len(t, tplRuns(b, onceID, ct.ID), 1)
	runs := tplRuns(b, repeat, ct.ID)
	require.Len(t, runs, 1, "still in the flow: not enrolled again")
	require.Equal(t, "running", runs[0].Status, "the first run must still be waiting for this check to mean anything")

	// Again after it ended.
	trigWaitEnded(b, repeat, ct.ID, 1)
	ping()
	trigWaitEnded(b, control, ct.ID, 3)
	require.Len(t, tplRuns(b, onceID, ct.ID), 1, "once per contact, ever")
	require.Len(t, tplRuns(b, repeat, ct.ID), 2, "re-enrolled after the first run ended")
}

// TestFlowTrigger_ContactAlreadyInFlow: a contact whose run waits in a Wait step is not enrolled
// again when the trigger fires a second time.
func TestFlowTrigger_ContactAlreadyInFlow(t *testing.T) {
	b := setup(t)
	chat := tplNewChat(b)
	waiting := stepsPublish(b, "Follow up tomorrow", flows.Flow{
		Trigger: flows.Trigger{Type: flows.TriggerConversationOpened, Next: "wait", ConversationOpened: &flows.ConversationOpenedTrigger{Sources: []string{"contact"}}},
		Steps: []flows.Step{
			{ID: "wait", Type: flows.StepWait, Next: "note", Wait: &flows.Wait{Seconds: 86400}},
			{ID: "note", Type: flows.StepAddComment, AddComment: &flows.AddComment{Text: "follow up"}},
		},
	})
	control := stepsPublish(b, "Control", trigCommentFlow(trigOpened("contact"), "opened"))

	conv := chat.write(8601, "Cara", "hello")
	run := tplWaitRun(b, waiting, conv.ContactID, "running")
	b.eventually("the run in its Wait step", func() bool {
		r := tplRuns(b, waiting, conv.ContactID)
		return len(r) == 1 && r[0].CurrentStep != nil && *r[0].CurrentStep == "wait"
	})
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/close", conv.ID), "", map[string]any{}, http.StatusOK, nil)
	second := chat.write(8601, "Cara", "hello again")
	require.NotEqual(t, conv.ID, second.ID)
	trigWaitEnded(b, control, conv.ContactID, 2)
	runs := tplRuns(b, waiting, conv.ContactID)
	require.Len(t, runs, 1, "not enrolled again")
	require.Equal(t, run.ID, runs[0].ID)
	require.Equal(t, "running", runs[0].Status)
}

// trigAPI is a fake external API that records the requests flows make.
type trigAPI struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []trigRequest
}

type trigRequest struct {
	Method, Path, Query string
	Header              http.Header
	Body                string
}

// trigNewAPI answers /fail with 500 and anything else with an order.
func trigNewAPI(t *testing.T) *trigAPI {
	a := &trigAPI{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.reqs = append(a.reqs, trigRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(body)})
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"error":"down"}`)
			return
		}
		_, _ = io.WriteString(w, `{"data":{"id":"ord-42","customer":{"tier":"gold"}}}`)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *trigAPI) requests() []trigRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]trigRequest(nil), a.reqs...)
}

// trigHTTPFlow calls url on tag trigger; success saves the order reference, failure saves the
// status and tags the contact http_failed.
func trigHTTPFlow(trigger, url string) flows.Flow {
	return flows.Flow{
		Trigger: flows.Trigger{Type: flows.TriggerContactTagUpdated, Next: "call",
			ContactTagUpdated: &flows.ContactTagUpdatedTrigger{Action: "added", Tags: []string{trigger}}},
		Steps: []flows.Step{
			{ID: "call", Type: flows.StepHTTPRequest, Next: "save", HTTPRequest: &flows.HTTPRequest{
				Method: "POST", URL: url, ContentType: "application/json",
				Body:    `{"name":"{{$contact.first_name}}","email":"{{$contact.email}}","tag":"{{$variable.tag}}"}`,
				Headers: []flows.Header{{Key: "X-Api-Key", Value: "key-{{$contact.last_name}}"}, {Key: "X-Trace", Value: "static"}},
				ResponseMappings: []flows.ResponseMapping{
					{JSONPath: "$.data.id", Variable: "order_id"},
					{JSONPath: "$.data.customer.tier", Variable: "contact.plan"},
				},
				StatusVariable: "http_status", FailureNext: "failed"}},
			{ID: "save", Type: flows.StepUpdateContactField, UpdateContactField: &flows.UpdateContactField{
				Field: "order_ref", Value: "{{$variable.order_id}}/{{$variable.http_status}}"}},
			{ID: "failed", Type: flows.StepUpdateContactField, Next: "tag_failed", UpdateContactField: &flows.UpdateContactField{
				Field: "last_status", Value: "status {{$variable.http_status | default: \"none\"}}"}},
			{ID: "tag_failed", Type: flows.StepUpdateContactTag, UpdateContactTag: &flows.UpdateContactTag{Action: "add", Tags: []string{"http_failed"}}},
		},
	}
}

func trigHTTPFields(b *bundle) {
	b.t.Helper()
	for _, slug := range []string{"order_ref", "plan", "last_status"} {
		b.do("POST", "/api/v1/settings/contact-fields", "", map[string]any{"name": slug, "slug": slug, "type": "text"}, http.StatusCreated, nil)
	}
}

// TestFlowTrigger_HTTPRequestInternalAddressRefused: by default the step may not reach internal
// addresses; the request is never made and the failure branch runs.
func TestFlowTrigger_HTTPRequestInternalAddressRefused(t *testing.T) {
	b := setup(t)
	api := trigNewAPI(t)
	trigHTTPFields(b)
	flowID := stepsPublish(b, "Sync order", trigHTTPFlow("sync", api.srv.URL+"/orders"))
	ct := trigContact(b, map[string]any{"first_name": "Ana", "last_name": "Lopez"})

	trigTags(b, ct.ID, "POST", "sync")
	trigWaitEnded(b, flowID, ct.ID, 1)
	got := tplContact(b, ct.ID)
	require.Contains(t, got.Tags, "http_failed")
	require.Equal(t, "status none", got.CustomFields["last_status"], "no answer: the status variable stays unset")
	require.NotContains(t, got.CustomFields, "order_ref")
	require.Empty(t, api.requests(), "the request never left")
}

// TestFlowTrigger_HTTPRequestStep: with 127.0.0.0/8 allowed, the request carries the rendered URL,
// body and headers; the response mapping and the status feed a later Update Contact Field; a
// non-2xx answer takes the failure branch with its status saved.
func TestFlowTrigger_HTTPRequestStep(t *testing.T) {
	b := setup(t, withFlowHTTPAllow(netip.MustParsePrefix("127.0.0.0/8")))
	api := trigNewAPI(t)
	trigHTTPFields(b)
	ok := stepsPublish(b, "Sync order", trigHTTPFlow("sync", api.srv.URL+"/orders/{{$contact.first_name}}?src={{$variable.action}}"))
	bad := stepsPublish(b, "Broken sync", trigHTTPFlow("sync_bad", api.srv.URL+"/fail"))

	ana := trigContact(b, map[string]any{"first_name": "Ana", "last_name": "Lopez", "email": "ana@example.com"})
	trigTags(b, ana.ID, "POST", "sync")
	trigWaitEnded(b, ok, ana.ID, 1)
	reqs := api.requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	require.Equal(t, "POST", r.Method)
	require.Equal(t, "/orders/Ana", r.Path)
	require.Equal(t, "src=added", r.Query)
	require.Equal(t, "key-Lopez", r.Header.Get("X-Api-Key"))
	require.Equal(t, "static", r.Header.Get("X-Trace"))
	require.Equal(t, "application/json", r.Header.Get("Content-Type"))
	require.Equal(t, "ChatCenter-Flows/1", r.Header.Get("User-Agent"))
	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.Body), &body), r.Body)
	require.Equal(t, map[string]any{"name": "Ana", "email": "ana@example.com", "tag": "sync"}, body)
	got := tplContact(b, ana.ID)
	require.Equal(t, "ord-42/200", got.CustomFields["order_ref"], "mapped variable and status used by a later step")
	require.Equal(t, "gold", got.CustomFields["plan"], "mapping into a contact field")
	require.NotContains(t, got.Tags, "http_failed")

	bob := trigContact(b, map[string]any{"first_name": "Bob"})
	trigTags(b, bob.ID, "POST", "sync_bad")
	trigWaitEnded(b, bad, bob.ID, 1)
	require.Len(t, api.requests(), 2)
	got = tplContact(b, bob.ID)
	require.Contains(t, got.Tags, "http_failed")
	require.Equal(t, "status 500", got.CustomFields["last_status"], "the status is saved before the failure branch")
	require.NotContains(t, got.CustomFields, "order_ref")
	require.NotContains(t, got.CustomFields, "plan", "no mapping from a failed answer")
}

// TestFlowTrigger_SendMessageFailureBranch: a message Telegram refuses for good (the contact
// blocked the bot) takes Send Message's failure branch, without retrying.
func TestFlowTrigger_SendMessageFailureBranch(t *testing.T) {
	b := setup(t)
	chat := tplNewChat(b)
	flowID := stepsPublish(b, "Welcome", flows.Flow{
		Trigger: flows.Trigger{Type: flows.TriggerConversationOpened, Next: "hello", ConversationOpened: &flows.ConversationOpenedTrigger{Sources: []string{"contact"}}},
		Steps: []flows.Step{
			{ID: "hello", Type: flows.StepSendMessage, Next: "sent", SendMessage: &flows.SendMessage{Text: "Welcome!", FailureNext: "failed"}},
			{ID: "sent", Type: flows.StepUpdateContactTag, UpdateContactTag: &flows.UpdateContactTag{Action: "add", Tags: []string{"welcomed"}}},
			{ID: "failed", Type: flows.StepUpdateContactTag, UpdateContactTag: &flows.UpdateContactTag{Action: "add", Tags: []string{"send_failed"}}},
		},
	})
	b.telegram.script("sendMessage", tgAnswer{Status: 403, Body: `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`})

	conv := chat.write(8901, "Cara", "hello")
	trigWaitEnded(b, flowID, conv.ContactID, 1)
	require.Len(t, b.telegram.callsTo("sendMessage"), 1, "a permanent refusal is not retried")
	var out []chatcenter.Message
	for _, m := range b.messages(conv.ID) {
		if m.Direction == chatcenter.DirectionOutgoing {
			out = append(out, m)
		}
	}
	require.Len(t, out, 1)
	require.Equal(t, chatcenter.StatusFailed, out[0].Status)
	require.Contains(t, out[0].Error, "bot was blocked by the user")
	got := tplContact(b, conv.ContactID)
	require.Contains(t, got.Tags, "send_failed", "the failure branch ran")
	require.NotContains(t, got.Tags, "welcomed", "the success path did not run")
}

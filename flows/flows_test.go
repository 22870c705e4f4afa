package flows

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func ptr[T any](v T) *T { return &v }

// fullFlow uses every trigger option shape it can and every step type, and is valid to publish.
func fullFlow() Flow {
	return Flow{
		Trigger: Trigger{Type: TriggerConversationOpened, TriggerOncePerContact: true, Next: "hello",
			ConversationOpened: &ConversationOpenedTrigger{Sources: []string{"contact", "user"}}},
		Steps: []Step{
			{ID: "hello", Type: StepSendMessage, Name: "Greeting", Next: "ask",
				SendMessage: &SendMessage{Text: "Hi {{$contact.first_name}}", ChannelID: ptr(int64(3)), FailureNext: "comment"}},
			{ID: "ask", Type: StepAskQuestion, Next: "branch", AskQuestion: &AskQuestion{Text: "Sales or support?", QuestionType: "multiple_choice",
				Choices: []string{"Sales", "Support"}, SaveAs: SaveAs{Kind: "tag"}, TimeoutSeconds: 3600, TimeoutNext: "close"}},
			{ID: "branch", Type: StepBranch, Branch: &Branch{Paths: []BranchPath{
				{Name: "sales", Match: "all", Conditions: []Condition{{Category: "contact_tag", Operator: "eq", Value: "Sales"}}, Next: "assign"},
				{Name: "rated", Match: "any", Conditions: []Condition{{Category: "variable", Field: "score", Operator: "gt", Value: "3"}}, Next: "hours"},
			}, ElseNext: "tag"}},
			{ID: "assign", Type: StepAssignTo, Next: "pause", AssignTo: &AssignTo{Action: "team", TeamID: ptr(int64(9)), Logic: "round_robin",
				OnlyOnline: true, MaxOpen: ptr(5), TimeoutSeconds: 86400, TimeoutNext: "close"}},
			{ID: "pause", Type: StepPauseChatbot, Next: "resume"},
			{ID: "resume", Type: StepResumeChatbot},
			{ID: "hours", Type: StepDateTime, Next: "http", DateTime: &DateTime{Mode: "business_hours", Timezone: "Europe/Madrid",
				Hours: []DayHours{{Day: "monday", From: "09:00", To: "17:00"}}, FailureNext: "wait"}},
			{ID: "wait", Type: StepWait, Next: "rate", Wait: &Wait{Seconds: 3600}},
			{ID: "rate", Type: StepAskQuestion, Next: "number", AskQuestion: &AskQuestion{Text: "Rate us", QuestionType: "rating", Min: ptr(1.0), Max: ptr(5.0), SaveAs: SaveAs{Kind: "variable", Name: "score"}}},
			{ID: "number", Type: StepAskQuestion, Next: "field", AskQuestion: &AskQuestion{Text: "How many?", QuestionType: "number", Min: ptr(0.0), Max: ptr(10.0), SaveAs: SaveAs{Kind: "field", Name: "seats"}}},
			{ID: "field", Type: StepUpdateContactField, Next: "again", UpdateContactField: &UpdateContactField{Field: "plan", Value: "pro"}},
			{ID: "again", Type: StepJumpTo, Next: "other", JumpTo: &JumpTo{Target: "wait", MaxJumps: 3}},
			{ID: "other", Type: StepTriggerAnotherFlow, TriggerAnotherFlow: &TriggerAnotherFlow{FlowID: 7}},
			{ID: "http", Type: StepHTTPRequest, Next: "open", HTTPRequest: &HTTPRequest{Method: "POST", URL: "https://crm.example/api/{{$contact.id}}",
				ContentType: "application/json", Body: `{"a":1}`, Headers: []Header{{Key: "X-Key", Value: "v"}},
				ResponseMappings: []ResponseMapping{{JSONPath: "$.data.id", Variable: "crm_id"}}, StatusVariable: "status", FailureNext: "comment"}},
			{ID: "open", Type: StepOpenConversation, Next: "close"},
			{ID: "tag", Type: StepUpdateContactTag, Next: "comment", UpdateContactTag: &UpdateContactTag{Action: "add", Tags: []string{"lead"}}},
			{ID: "comment", Type: StepAddComment, Next: "close", AddComment: &AddComment{Text: "needs a look {{@user.1}}"}},
			{ID: "close", Type: StepCloseConversation, CloseConversation: &CloseConversation{Category: "Resolved", Summary: "done by flow"}},
		},
	}
}

func TestFullFlowIsValid(t *testing.T) {
	require.Empty(t, Validate(fullFlow()))
}

func TestEveryTriggerTypeValid(t *testing.T) {
	step := []Step{{ID: "a", Type: StepOpenConversation}}
	for _, tr := range []Trigger{
		{Type: TriggerConversationOpened},
		{Type: TriggerConversationClosed, ConversationClosed: &ConversationClosedTrigger{Sources: []string{"auto_close"}, Categories: []string{"Won"}}},
		{Type: TriggerContactTagUpdated, TriggerOncePerContact: true, ContactTagUpdated: &ContactTagUpdatedTrigger{Action: "removed", Tags: []string{"vip"}}},
		{Type: TriggerContactFieldUpdated, ContactFieldUpdated: &ContactFieldUpdatedTrigger{Field: "email"}},
		{Type: TriggerShortcut, Shortcut: &ShortcutTrigger{Inputs: []FormInput{{Name: "order", Label: "Order", Type: "number", Required: true}}}},
		{Type: TriggerIncomingWebhook},
		{Type: TriggerManual},
	} {
		tr.Next = "a"
		require.Empty(t, Validate(Flow{Trigger: tr, Steps: step}), tr.Type)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	f := fullFlow()
	b, err := json.Marshal(f)
	require.NoError(t, err)
	g, err := Parse(b)
	require.NoError(t, err)
	require.Equal(t, f, g)
	b2, err := json.Marshal(g)
	require.NoError(t, err)
	require.JSONEq(t, string(b), string(b2))

	_, err = Parse([]byte(`{"trigger":{"type":"manual"},"steps":[],"extra":1}`))
	require.ErrorContains(t, err, "invalid flow JSON schema")
	_, err = Parse([]byte(`{"trigger":{"type":"manual"},"steps":[{"id":"a","type":"wait","wait":{"seconds":"x"}}]}`))
	require.ErrorContains(t, err, "invalid flow JSON schema")
}

// problem reports whether ps holds a problem at step and field whose message contains msg.
func hasProblem(ps []Problem, step, field, msg string) bool {
	for _, p := range ps {
		if p.StepID == step && strings.HasPrefix(p.Field, field) && strings.Contains(p.Message, msg) {
			return true
		}
	}
	return false
}

func stepByID(f *Flow, id string) *Step {
	for i := range f.Steps {
		if f.Steps[i].ID == id {
			return &f.Steps[i]
		}
	}
	panic(id)
}

func TestLimits(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) }
	n := func(k int, f func(i int) string) []string {
		out := make([]string, k)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	cases := []struct {
		name        string
		mutate      func(f *Flow)
		step, field string
		msg         string
	}{
		{"101 steps", func(f *Flow) {
			for i := len(f.Steps); i < 101; i++ {
				f.Steps = append(f.Steps, Step{ID: "x" + string(rune('A'+i)) + long(0) + strings.Repeat("z", i), Type: StepPauseChatbot})
			}
		}, "", "steps", "at most 100 steps"},
		{"no branch paths", func(f *Flow) { stepByID(f, "branch").Branch.Paths = nil }, "branch", "branch.paths", "1 to 9"},
		{"10 branch paths", func(f *Flow) {
			b := stepByID(f, "branch").Branch
			for len(b.Paths) < 10 {
				b.Paths = append(b.Paths, b.Paths[0])
			}
		}, "branch", "branch.paths", "1 to 9"},
		{"11 conditions", func(f *Flow) {
			p := &stepByID(f, "branch").Branch.Paths[0]
			for len(p.Conditions) < 11 {
				p.Conditions = append(p.Conditions, p.Conditions[0])
			}
		}, "branch", "branch.paths[0].conditions", "at most 10 conditions"},
		{"11 jumps", func(f *Flow) { stepByID(f, "again").JumpTo.MaxJumps = 11 }, "again", "jump_to.max_jumps", "1 to 10"},
		{"0 jumps", func(f *Flow) { stepByID(f, "again").JumpTo.MaxJumps = 0 }, "again", "jump_to.max_jumps", "1 to 10"},
		{"wait 7 days + 1s", func(f *Flow) { stepByID(f, "wait").Wait.Seconds = MaxWaitSeconds + 1 }, "wait", "wait.seconds", "7 days"},
		{"wait 0", func(f *Flow) { stepByID(f, "wait").Wait.Seconds = 0 }, "wait", "wait.seconds", "at least 1"},
		{"11 headers", func(f *Flow) {
			h := stepByID(f, "http").HTTPRequest
			for len(h.Headers) < 11 {
				h.Headers = append(h.Headers, h.Headers[0])
			}
		}, "http", "http_request.headers", "at most 10 headers"},
		{"11 mappings", func(f *Flow) {
			h := stepByID(f, "http").HTTPRequest
			for len(h.ResponseMappings) < 11 {
				h.ResponseMappings = append(h.ResponseMappings, h.ResponseMappings[0])
			}
		}, "http", "http_request.response_mappings", "at most 10"},
		{"bad url", func(f *Flow) { stepByID(f, "http").HTTPRequest.URL = "ftp://x" }, "http", "http_request.url", "http(s)"},
		{"message 2001", func(f *Flow) { stepByID(f, "hello").SendMessage.Text = long(2001) }, "hello", "send_message.text", "at most 2000"},
		{"11 choices", func(f *Flow) {
			stepByID(f, "ask").AskQuestion.Choices = n(11, func(i int) string { return string(rune('a' + i)) })
		}, "ask", "ask_question.choices", "at most 10 answers"},
		{"choice 21 chars", func(f *Flow) { stepByID(f, "ask").AskQuestion.Choices[1] = long(21) }, "ask", "ask_question.choices[1]", "at most 20"},
		{"rating 6", func(f *Flow) { stepByID(f, "rate").AskQuestion.Max = ptr(6.0) }, "rate", "ask_question.max", "1 to 5"},
		{"rating 0", func(f *Flow) { stepByID(f, "rate").AskQuestion.Min = ptr(0.0) }, "rate", "ask_question.min", "1 to 5"},
		{"number min > max", func(f *Flow) { stepByID(f, "number").AskQuestion.Min = ptr(11.0) }, "number", "ask_question.min", "not be greater"},
		{"assign timeout 8 days", func(f *Flow) { stepByID(f, "assign").AssignTo.TimeoutSeconds = MaxAssignTimeout + 1 }, "assign", "assign_to.timeout_seconds", "7 days"},
		{"next to nowhere", func(f *Flow) { stepByID(f, "open").Next = "nope" }, "open", "next", `no step has id "nope"`},
		{"branch to nowhere", func(f *Flow) { stepByID(f, "branch").Branch.ElseNext = "nope" }, "branch", "branch.else_next", "no step"},
		{"jump to nowhere", func(f *Flow) { stepByID(f, "again").JumpTo.Target = "nope" }, "again", "jump_to.target", "no step"},
		{"trigger to nowhere", func(f *Flow) { f.Trigger.Next = "nope" }, "", "trigger.next", "no step"},
		{"duplicate id", func(f *Flow) { f.Steps[1].ID = "hello" }, "hello", "id", "more than one step"},
		{"branch with next", func(f *Flow) { stepByID(f, "branch").Next = "tag" }, "branch", "next", "not next"},
		{"unknown step type", func(f *Flow) { f.Steps[4].Type = "teleport" }, "pause", "type", "unknown step type"},
		{"options of another type", func(f *Flow) { stepByID(f, "pause").Wait = &Wait{Seconds: 1} }, "pause", "", "only the options"},
		{"missing options", func(f *Flow) { stepByID(f, "wait").Wait = nil }, "wait", "wait", "options are required"},
		{"unknown trigger", func(f *Flow) { f.Trigger.Type = "moon" }, "", "trigger.type", "unknown trigger"},
		{"bad source", func(f *Flow) { f.Trigger.ConversationOpened.Sources = []string{"pigeon"} }, "", "trigger.conversation_opened.sources[0]", "must be one of"},
		{"manual once per contact", func(f *Flow) { f.Trigger = Trigger{Type: TriggerManual, TriggerOncePerContact: true, Next: "hello"} }, "", "trigger.trigger_once_per_contact", "manual"},
		{"tag trigger without action", func(f *Flow) {
			f.Trigger = Trigger{Type: TriggerContactTagUpdated, Next: "hello", ContactTagUpdated: &ContactTagUpdatedTrigger{Tags: []string{"a"}}}
		}, "", "trigger.contact_tag_updated.action", "must be one of"},
		{"orphan step", func(f *Flow) { f.Steps = append(f.Steps, Step{ID: "lost", Type: StepOpenConversation}) }, "lost", "", "not reachable"},
		{"bad timezone", func(f *Flow) { stepByID(f, "hours").DateTime.Timezone = "Mars/Olympus" }, "hours", "date_time.timezone", "IANA"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := fullFlow()
			tc.mutate(&f)
			ps := Validate(f)
			require.True(t, hasProblem(ps, tc.step, tc.field, tc.msg), "want %s/%s %q in %v", tc.step, tc.field, tc.msg, ps)
		})
	}
}

// At the limits exactly, everything passes.
func TestLimitsInclusive(t *testing.T) {
	f := fullFlow()
	for len(f.Steps) < MaxSteps {
		id := fmt.Sprintf("p%d", len(f.Steps))
		f.Steps[len(f.Steps)-1].Next = id
		f.Steps = append(f.Steps, Step{ID: id, Type: StepPauseChatbot})
	}
	stepByID(&f, "wait").Wait.Seconds = MaxWaitSeconds
	stepByID(&f, "again").JumpTo.MaxJumps = MaxJumps
	stepByID(&f, "assign").AssignTo.TimeoutSeconds = MaxAssignTimeout
	stepByID(&f, "hello").SendMessage.Text = strings.Repeat("é", MaxMessageLength)
	q := stepByID(&f, "ask").AskQuestion
	q.Choices = nil
	for i := range MaxChoices {
		q.Choices = append(q.Choices, strings.Repeat(string(rune('a'+i)), MaxChoiceLength))
	}
	b := stepByID(&f, "branch").Branch
	for len(b.Paths) < MaxBranches {
		b.Paths = append(b.Paths, b.Paths[1])
	}
	for len(b.Paths[0].Conditions) < MaxConditions {
		b.Paths[0].Conditions = append(b.Paths[0].Conditions, b.Paths[0].Conditions[0])
	}
	h := stepByID(&f, "http").HTTPRequest
	for len(h.Headers) < MaxHTTPHeaders {
		h.Headers = append(h.Headers, h.Headers[0])
	}
	for len(h.ResponseMappings) < MaxResponseMappings {
		h.ResponseMappings = append(h.ResponseMappings, h.ResponseMappings[0])
	}
	require.Len(t, f.Steps, MaxSteps)
	require.Empty(t, Validate(f))
}

func loopProblem(ps []Problem) *Problem {
	for _, p := range ps {
		if strings.HasPrefix(p.Message, LoopMessage) {
			return &p
		}
	}
	return nil
}

func TestLoops(t *testing.T) {
	manual := func(steps ...Step) Flow {
		return Flow{Trigger: Trigger{Type: TriggerManual, Next: steps[0].ID}, Steps: steps}
	}
	msg := func(id, next string) Step {
		return Step{ID: id, Type: StepSendMessage, Next: next, SendMessage: &SendMessage{Text: "hi"}}
	}
	jump := func(id, target, next string) Step {
		return Step{ID: id, Type: StepJumpTo, Next: next, JumpTo: &JumpTo{Target: target, MaxJumps: 10}}
	}
	cases := []struct {
		name     string
		flow     Flow
		loopAt   string // "" = no loop problem
		draftsOK bool
	}{
		{"jump-to cycle without a wait is refused", manual(msg("a", "j"), jump("j", "a", "")), "a", true},
		{"jump-to cycle with a continuation is still refused", manual(msg("a", "j"), jump("j", "a", "after"), msg("after", "")), "a", true},
		{"loop through a wait is fine", manual(msg("a", "w"), Step{ID: "w", Type: StepWait, Next: "j", Wait: &Wait{Seconds: 60}}, jump("j", "a", "")), "", true},
		{"loop through a question is fine", manual(Step{ID: "q", Type: StepAskQuestion, Next: "j", AskQuestion: &AskQuestion{Text: "?", QuestionType: "text"}}, jump("j", "q", "")), "", true},
		{"plain next cycle is refused", manual(msg("a", "b"), msg("b", "a")), "a", true},
		{"self loop is refused", manual(msg("a", "a")), "a", true},
		{"jump to itself is refused", manual(jump("j", "j", "")), "j", true},
		{"branch that can leave is fine", manual(msg("a", "br"), Step{ID: "br", Type: StepBranch, Branch: &Branch{Paths: []BranchPath{
			{Match: "all", Conditions: []Condition{{Category: "contact_tag", Operator: "exists"}}, Next: "a"}}, ElseNext: ""}}), "", true},
		{"branch whose every path stays is refused", manual(msg("a", "br"), Step{ID: "br", Type: StepBranch, Branch: &Branch{Paths: []BranchPath{
			{Match: "all", Conditions: []Condition{{Category: "contact_tag", Operator: "exists"}}, Next: "a"}}, ElseNext: "a"}}), "a", true},
		{"failure branch out of the loop is fine", manual(Step{ID: "a", Type: StepSendMessage, Next: "j", SendMessage: &SendMessage{Text: "x", FailureNext: "out"}}, jump("j", "a", ""), msg("out", "")), "", true},
		{"empty optional failure branch is no way out", manual(Step{ID: "a", Type: StepSendMessage, Next: "b", SendMessage: &SendMessage{Text: "x"}}, msg("b", "a")), "a", true},
		{"date-time with empty failure ends the flow", manual(Step{ID: "d", Type: StepDateTime, Next: "j", DateTime: &DateTime{Mode: "date_range", Timezone: "UTC", Start: "2026-01-01T00:00:00", End: "2026-02-01T00:00:00"}}, jump("j", "d", "")), "", true},
		{"no loop, plain chain", manual(msg("a", "b"), msg("b", "")), "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := loopProblem(Validate(tc.flow))
			if tc.loopAt == "" {
				require.Nil(t, p)
				require.Empty(t, Validate(tc.flow))
				return
			}
			require.NotNil(t, p, "want a loop problem")
			require.Equal(t, tc.loopAt, p.StepID)
			// Drafts may hold unfinished loops: only publishing refuses them.
			require.Nil(t, loopProblem(ValidateDraft(tc.flow)))
		})
	}
}

func TestDraftAllowsOrphans(t *testing.T) {
	f := fullFlow()
	f.Steps = append(f.Steps, Step{ID: "lost", Type: StepOpenConversation})
	require.Empty(t, ValidateDraft(f))
	require.NotEmpty(t, Validate(f))
}

// FuzzValidate: validation never panics, whatever JSON decodes into a Flow.
func FuzzValidate(f *testing.F) {
	b, _ := json.Marshal(fullFlow())
	f.Add(b)
	f.Add([]byte(`{"trigger":{"type":"manual","next":"a"},"steps":[{"id":"a","type":"jump_to","jump_to":{"target":"a","max_jumps":3}}]}`))
	f.Add([]byte(`{"trigger":{"type":"shortcut","shortcut":{"inputs":[{"name":"x"}]}},"steps":[{"id":"","type":"branch","branch":{"paths":[{}]}}]}`))
	f.Add([]byte(`{"steps":[{"type":"ask_question","ask_question":{"question_type":"rating","min":0.5}},{"id":"b","next":"b"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var fl Flow
		if json.Unmarshal(data, &fl) != nil {
			return
		}
		_ = ValidateDraft(fl)
		ps := Validate(fl)
		for _, p := range ps {
			if p.Message == "" {
				t.Fatalf("problem without a message: %+v", p)
			}
		}
	})
}

func TestValidateChannelContent(t *testing.T) {
	f := Flow{Trigger: Trigger{Type: TriggerManual, Next: "s"}, Steps: []Step{{ID: "s", Type: StepSendMessage, SendMessage: &SendMessage{
		Text: "hi", ChannelContent: []ChannelContent{{ChannelType: "telegram", Text: "a"}, {ChannelType: "telegram", Text: "b"}, {ChannelType: "Bad!", Text: "c"}, {ChannelType: "custom"}},
	}}}}
	var got []string
	for _, p := range Validate(f) {
		got = append(got, p.Field)
	}
	want := []string{"send_message.channel_content[1].channel_type", "send_message.channel_content[2].channel_type", "send_message.channel_content[3].text"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("problems at %v, want %v", got, want)
	}
	f.Steps[0].SendMessage.ChannelContent = f.Steps[0].SendMessage.ChannelContent[:1]
	if ps := Validate(f); len(ps) != 0 {
		t.Fatalf("valid step refused: %v", ps)
	}
}

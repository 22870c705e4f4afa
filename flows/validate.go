package flows

import (
	"fmt"
	"github.com/chatcenterhq/chatcenter/jsonpath"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// channelTypeName reports whether s looks like a channel type (lowercase letters and _): the
// step may name a type the workspace does not have yet.
func channelTypeName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if r != '_' && (r < 'a' || r > 'z') {
			return false
		}
	}
	return true
}

// VariableName reports whether s can name a flow variable, written {{$variable.s}} in texts.
func VariableName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if r != '_' && (r < '0' || r > '9') && (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}

// LoopMessage is the problem reported for a loop that can never be left (respond.io's wording).
const LoopMessage = "Workflow loop detected"

// Problem is one reason a flow cannot be saved or published. StepID is empty for problems of the
// trigger or of the flow as a whole; Field is the JSON path within the step or trigger.
type Problem struct {
	StepID  string `json:"step_id,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	where := p.StepID
	if where == "" {
		where = "flow"
	}
	if p.Field != "" {
		where += "." + p.Field
	}
	return where + ": " + p.Message
}

// Validate checks everything publishing needs: ValidateDraft's checks, plus that every step is
// reachable from the trigger and that no loop can run forever without pausing.
//
// A loop is a strongly connected set of steps (more than one step, or one step linking to
// itself). It is refused with LoopMessage unless one of its steps is a Wait or an Ask a Question
// (the run pauses for time or for the contact), or one of its steps has an edge that can take the
// run out of the set: a next, branch path, else, failure or timeout target outside the set, or an
// empty next/branch/else/date-time failure target (the flow ends there). Jump To edges never
// count as a way out: the jump budget (≤ 10) of an instant loop is spent at once.
func Validate(f Flow) []Problem {
	ps := ValidateDraft(f)
	ids := stepIndex(f)
	if f.Trigger.Next == "" && len(f.Steps) > 0 {
		ps = append(ps, Problem{Field: "trigger.next", Message: "the trigger must lead to a step"})
	}
	if len(f.Steps) == 0 {
		ps = append(ps, Problem{Field: "steps", Message: "a flow needs at least one step"})
	}
	reach := reachable(f, ids)
	for i, s := range f.Steps {
		if s.ID != "" && ids[s.ID] == i && !reach[i] {
			ps = append(ps, Problem{StepID: s.ID, Message: "step is not reachable from the trigger"})
		}
	}
	ps = append(ps, loops(f, ids)...)
	return ps
}

// ValidateDraft checks what a saved draft must satisfy: known trigger and step types with the
// matching options, unique step ids, links to existing steps, and every limit. Drafts may have
// steps not yet connected and unfinished loops.
func ValidateDraft(f Flow) []Problem {
	var ps []Problem
	add := func(step, field, format string, args ...any) {
		ps = append(ps, Problem{StepID: step, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	validateTrigger(f.Trigger, add)
	if len(f.Steps) > MaxSteps {
		add("", "steps", "a flow has at most %d steps (got %d)", MaxSteps, len(f.Steps))
	}
	ids := map[string]bool{}
	for i, s := range f.Steps {
		switch {
		case s.ID == "":
			add("", fmt.Sprintf("steps[%d].id", i), "step id is required")
		case utf8.RuneCountInString(s.ID) > MaxStepIDLength || !cleanText(s.ID):
			add(s.ID, "id", "step id must be at most %d characters of printable text", MaxStepIDLength)
		case ids[s.ID]:
			add(s.ID, "id", "step id %q is used by more than one step", s.ID)
		}
		ids[s.ID] = true
	}
	exists := func(id string) bool { return id != "" && ids[id] }
	if f.Trigger.Next != "" && !exists(f.Trigger.Next) {
		add("", "trigger.next", "no step has id %q", f.Trigger.Next)
	}
	for i, s := range f.Steps {
		id := s.ID
		if id == "" {
			id = fmt.Sprintf("steps[%d]", i)
		}
		text(add, id, "name", s.Name, MaxNameLength)
		validateStep(s, func(field, format string, args ...any) { add(id, field, format, args...) })
		for _, l := range s.links() {
			if l.to != "" && !exists(l.to) {
				add(id, l.field, "no step has id %q", l.to)
			}
		}
	}
	return ps
}

type addFunc func(step, field, format string, args ...any)

func validateTrigger(t Trigger, add addFunc) {
	set := 0
	for _, p := range []bool{t.ConversationOpened != nil, t.ConversationClosed != nil, t.ContactTagUpdated != nil, t.ContactFieldUpdated != nil, t.Shortcut != nil} {
		if p {
			set++
		}
	}
	want := 1
	switch t.Type {
	case TriggerConversationOpened:
		if o := t.ConversationOpened; o != nil {
			enumList(add, "trigger.conversation_opened.sources", o.Sources, OpenedSources)
		}
		want = 0 // options are optional: no filter means any source
		if t.ConversationOpened != nil {
			want = 1
		}
	case TriggerConversationClosed:
		if o := t.ConversationClosed; o != nil {
			enumList(add, "trigger.conversation_closed.sources", o.Sources, ClosedSources)
			list(add, "", "trigger.conversation_closed.categories", o.Categories, MaxTriggerConditions)
			want = 1
		} else {
			want = 0
		}
	case TriggerContactTagUpdated:
		o := t.ContactTagUpdated
		if o == nil {
			add("", "trigger.contact_tag_updated", "options are required")
			break
		}
		enum(add, "", "trigger.contact_tag_updated.action", o.Action, "added", "removed")
		if len(o.Tags) == 0 {
			add("", "trigger.contact_tag_updated.tags", "at least one tag is required")
		}
		list(add, "", "trigger.contact_tag_updated.tags", o.Tags, MaxTagsPerStep)
	case TriggerContactFieldUpdated:
		o := t.ContactFieldUpdated
		if o == nil {
			add("", "trigger.contact_field_updated", "options are required")
			break
		}
		required(add, "", "trigger.contact_field_updated.field", o.Field, maxShortTextLength)
	case TriggerShortcut:
		want = 0
		if o := t.Shortcut; o != nil {
			want = 1
			if len(o.Inputs) > MaxFormInputs {
				add("", "trigger.shortcut.inputs", "a shortcut form has at most %d inputs (got %d)", MaxFormInputs, len(o.Inputs))
			}
			names := map[string]bool{}
			for i, in := range o.Inputs {
				f := fmt.Sprintf("trigger.shortcut.inputs[%d]", i)
				required(add, "", f+".name", in.Name, maxShortTextLength)
				text(add, "", f+".label", in.Label, maxShortTextLength)
				enum(add, "", f+".type", in.Type, "text", "number", "date", "email", "phone", "url")
				if names[in.Name] {
					add("", f+".name", "input name %q is used twice", in.Name)
				}
				names[in.Name] = true
			}
		}
	case TriggerIncomingWebhook:
		want = 0
	case TriggerManual:
		want = 0
		if t.TriggerOncePerContact {
			add("", "trigger.trigger_once_per_contact", "a manual trigger has no once-per-contact option")
		}
	case "":
		add("", "trigger.type", "trigger type is required")
		return
	default:
		add("", "trigger.type", "unknown trigger type %q", t.Type)
		return
	}
	if set > want {
		add("", "trigger", "only the options of a %s trigger may be set", t.Type)
	}
}

func validateStep(s Step, add func(field, format string, args ...any)) {
	set := 0
	for _, p := range []bool{s.SendMessage != nil, s.AskQuestion != nil, s.AssignTo != nil, s.Branch != nil,
		s.UpdateContactTag != nil, s.UpdateContactField != nil, s.CloseConversation != nil, s.AddComment != nil,
		s.JumpTo != nil, s.Wait != nil, s.DateTime != nil, s.HTTPRequest != nil, s.TriggerAnotherFlow != nil} {
		if p {
			set++
		}
	}
	want := 1
	a := func(step, field, format string, args ...any) { add(field, format, args...) }
	missing := func(name string) { add(name, "options are required for a %s step", s.Type) }
	switch s.Type {
	case StepSendMessage:
		o := s.SendMessage
		if o == nil {
			missing("send_message")
			break
		}
		if o.Text == "" && o.FileID == nil {
			add("send_message.text", "a message needs text or a file")
		}
		text(a, "", "send_message.text", o.Text, MaxMessageLength)
		positive(a, "send_message.channel_id", o.ChannelID)
		positive(a, "send_message.file_id", o.FileID)
		if len(o.ChannelContent) > MaxChannelContents {
			add("send_message.channel_content", "at most %d channel contents (got %d)", MaxChannelContents, len(o.ChannelContent))
		}
		seen := map[string]bool{}
		for i, cc := range o.ChannelContent {
			f := fmt.Sprintf("send_message.channel_content[%d]", i)
			if !channelTypeName(cc.ChannelType) {
				add(f+".channel_type", "channel_type must be a channel type such as telegram or custom")
			} else if seen[cc.ChannelType] {
				add(f+".channel_type", "channel type %q has two contents", cc.ChannelType)
			}
			seen[cc.ChannelType] = true
			if cc.Text == "" && cc.FileID == nil {
				add(f+".text", "a channel content needs text or a file")
			}
			text(a, "", f+".text", cc.Text, MaxMessageLength)
			positive(a, f+".file_id", cc.FileID)
		}
	case StepAskQuestion:
		o := s.AskQuestion
		if o == nil {
			missing("ask_question")
			break
		}
		required(a, "", "ask_question.text", o.Text, maxQuestionTextLength)
		enum(a, "", "ask_question.question_type", o.QuestionType, QuestionTypes...)
		if o.QuestionType == "multiple_choice" {
			if len(o.Choices) == 0 {
				add("ask_question.choices", "a multiple choice question needs answers")
			}
			if len(o.Choices) > MaxChoices {
				add("ask_question.choices", "at most %d answers (got %d)", MaxChoices, len(o.Choices))
			}
			for i, c := range o.Choices {
				required(a, "", fmt.Sprintf("ask_question.choices[%d]", i), c, MaxChoiceLength)
			}
		} else if len(o.Choices) > 0 {
			add("ask_question.choices", "only multiple choice questions have answers")
		}
		switch o.QuestionType {
		case "number":
			if o.Min != nil && o.Max != nil && *o.Min > *o.Max {
				add("ask_question.min", "min must not be greater than max")
			}
		case "rating":
			for _, b := range []struct {
				f string
				v *float64
			}{{"ask_question.min", o.Min}, {"ask_question.max", o.Max}} {
				if b.v != nil && (*b.v < MinRating || *b.v > MaxRating || *b.v != float64(int(*b.v))) {
					add(b.f, "a rating is a whole number of stars from %d to %d", MinRating, MaxRating)
				}
			}
			if o.Min != nil && o.Max != nil && *o.Min > *o.Max {
				add("ask_question.min", "min must not be greater than max")
			}
		default:
			if o.Min != nil || o.Max != nil {
				add("ask_question.min", "only number and rating questions have min and max")
			}
		}
		text(a, "", "ask_question.date_format", o.DateFormat, 32)
		enum(a, "", "ask_question.save_as.kind", o.SaveAs.Kind, "", "field", "variable", "tag")
		if o.SaveAs.Kind == "tag" && o.QuestionType != "multiple_choice" {
			add("ask_question.save_as.kind", "only multiple choice answers can be saved as a tag")
		}
		if o.SaveAs.Kind == "variable" && !VariableName(o.SaveAs.Name) {
			add("ask_question.save_as.name", "a variable name is letters, digits and _ (at most 64), used as {{$variable.name}}")
		} else if o.SaveAs.Kind == "field" {
			required(a, "", "ask_question.save_as.name", o.SaveAs.Name, maxShortTextLength)
		} else {
			text(a, "", "ask_question.save_as.name", o.SaveAs.Name, maxShortTextLength)
		}
		duration(a, "ask_question.timeout_seconds", o.TimeoutSeconds, MaxAssignTimeout, false)
	case StepAssignTo:
		o := s.AssignTo
		if o == nil {
			missing("assign_to")
			break
		}
		enum(a, "", "assign_to.action", o.Action, "user", "team", "workspace", "unassign")
		switch o.Action {
		case "user":
			if o.UserID == nil {
				add("assign_to.user_id", "user_id is required to assign to a user")
			}
		case "team":
			if o.TeamID == nil {
				add("assign_to.team_id", "team_id is required to assign to a team")
			}
		}
		positive(a, "assign_to.user_id", o.UserID)
		positive(a, "assign_to.team_id", o.TeamID)
		if o.Action == "team" || o.Action == "workspace" {
			enum(a, "", "assign_to.logic", o.Logic, "round_robin", "least_open")
		} else if o.Logic != "" {
			add("assign_to.logic", "assignment logic applies to team and workspace assignment only")
		}
		if o.MaxOpen != nil && *o.MaxOpen < 1 {
			add("assign_to.max_open", "max_open must be at least 1")
		}
		duration(a, "assign_to.timeout_seconds", o.TimeoutSeconds, MaxAssignTimeout, false)
	case StepBranch:
		o := s.Branch
		if o == nil {
			missing("branch")
			break
		}
		if s.Next != "" {
			add("next", "a branch continues through its paths and else_next, not next")
		}
		if len(o.Paths) < 1 || len(o.Paths) > MaxBranches {
			add("branch.paths", "a branch has 1 to %d paths plus else (got %d)", MaxBranches, len(o.Paths))
		}
		for i, p := range o.Paths {
			f := fmt.Sprintf("branch.paths[%d]", i)
			text(a, "", f+".name", p.Name, MaxNameLength)
			enum(a, "", f+".match", p.Match, "all", "any")
			if len(p.Conditions) == 0 {
				add(f+".conditions", "a path needs at least one condition")
			}
			if len(p.Conditions) > MaxConditions {
				add(f+".conditions", "a path has at most %d conditions (got %d)", MaxConditions, len(p.Conditions))
			}
			for j, c := range p.Conditions {
				cf := fmt.Sprintf("%s.conditions[%d]", f, j)
				enum(a, "", cf+".category", c.Category, ConditionCategories...)
				enum(a, "", cf+".operator", c.Operator, ConditionOperators...)
				text(a, "", cf+".field", c.Field, maxShortTextLength)
				text(a, "", cf+".value", c.Value, maxShortTextLength)
				validateCondition(c, cf, add)
			}
		}
	case StepUpdateContactTag:
		o := s.UpdateContactTag
		if o == nil {
			missing("update_contact_tag")
			break
		}
		enum(a, "", "update_contact_tag.action", o.Action, "add", "remove")
		if len(o.Tags) == 0 {
			add("update_contact_tag.tags", "at least one tag is required")
		}
		list(a, "", "update_contact_tag.tags", o.Tags, MaxTagsPerStep)
	case StepUpdateContactField:
		o := s.UpdateContactField
		if o == nil {
			missing("update_contact_field")
			break
		}
		required(a, "", "update_contact_field.field", o.Field, maxShortTextLength)
		text(a, "", "update_contact_field.value", o.Value, MaxMessageLength)
	case StepCloseConversation:
		want = 0
		if o := s.CloseConversation; o != nil {
			want = 1
			text(a, "", "close_conversation.category", o.Category, maxShortTextLength)
			text(a, "", "close_conversation.summary", o.Summary, MaxMessageLength)
		}
	case StepAddComment:
		o := s.AddComment
		if o == nil {
			missing("add_comment")
			break
		}
		required(a, "", "add_comment.text", o.Text, MaxMessageLength)
	case StepJumpTo:
		o := s.JumpTo
		if o == nil {
			missing("jump_to")
			break
		}
		if o.Target == "" {
			add("jump_to.target", "the step to jump to is required")
		}
		if o.MaxJumps < 1 || o.MaxJumps > MaxJumps {
			add("jump_to.max_jumps", "max_jumps must be 1 to %d (got %d)", MaxJumps, o.MaxJumps)
		}
	case StepWait:
		o := s.Wait
		if o == nil {
			missing("wait")
			break
		}
		duration(a, "wait.seconds", o.Seconds, MaxWaitSeconds, true)
	case StepDateTime:
		o := s.DateTime
		if o == nil {
			missing("date_time")
			break
		}
		if o.WorkspaceHours {
			if o.Timezone != "" {
				add("date_time.timezone", "workspace hours use the workspace's time zone; leave timezone empty")
			}
		} else if _, err := loadZone(o.Timezone); err != nil {
			add("date_time.timezone", "timezone must be an IANA name such as Europe/Madrid")
		}
		switch o.Mode {
		case "business_hours":
			if o.WorkspaceHours {
				if len(o.Hours) > 0 {
					add("date_time.hours", "hours must be empty when workspace_hours is set")
				}
			} else if len(o.Hours) == 0 || len(o.Hours) > 7*4 {
				add("date_time.hours", "business hours need 1 to 28 intervals")
			}
			for i, h := range o.Hours {
				f := fmt.Sprintf("date_time.hours[%d]", i)
				enum(a, "", f+".day", h.Day, Weekdays...)
				if _, err := parseSpan(h.From, h.To); err != nil {
					add(f, "from and to must be HH:MM times (to may be 24:00) with from before to")
				}
			}
			if len(o.Holidays) > MaxHolidays {
				add("date_time.holidays", "at most %d holidays (got %d)", MaxHolidays, len(o.Holidays))
			}
			for i, h := range o.Holidays {
				f := fmt.Sprintf("date_time.holidays[%d]", i)
				if !isDate(h) {
					add(f, "a holiday is a date written YYYY-MM-DD")
				} else if slices.Contains(o.Holidays[:i], h) {
					add(f, "holiday %s is listed twice", h)
				}
			}
		case "date_range":
			start, err1 := time.Parse(localDateTime, o.Start)
			end, err2 := time.Parse(localDateTime, o.End)
			if err1 != nil || err2 != nil || !start.Before(end) {
				add("date_time.start", "start and end must be local date-times (2006-01-02T15:04:05) with start before end")
			}
			if o.WorkspaceHours {
				add("date_time.workspace_hours", "workspace hours apply to business_hours mode only")
			}
			if len(o.Hours) > 0 {
				add("date_time.hours", "hours apply to business_hours mode only")
			}
			if len(o.Holidays) > 0 {
				add("date_time.holidays", "holidays apply to business_hours mode only")
			}
		default:
			add("date_time.mode", "mode must be business_hours or date_range")
		}
	case StepHTTPRequest:
		o := s.HTTPRequest
		if o == nil {
			missing("http_request")
			break
		}
		enum(a, "", "http_request.method", o.Method, "GET", "POST", "PUT", "PATCH", "DELETE")
		if u, err := url.Parse(o.URL); o.URL == "" || len(o.URL) > maxURLLength || err != nil ||
			(!strings.Contains(o.URL, "{{") && (u.Scheme != "http" && u.Scheme != "https" || u.Host == "")) {
			add("http_request.url", "url must be an http(s) URL of at most %d characters", maxURLLength)
		}
		text(a, "", "http_request.content_type", o.ContentType, maxShortTextLength)
		text(a, "", "http_request.body", o.Body, maxHTTPBodyLength)
		if len(o.Headers) > MaxHTTPHeaders {
			add("http_request.headers", "at most %d headers (got %d)", MaxHTTPHeaders, len(o.Headers))
		}
		for i, h := range o.Headers {
			required(a, "", fmt.Sprintf("http_request.headers[%d].key", i), h.Key, maxShortTextLength)
			text(a, "", fmt.Sprintf("http_request.headers[%d].value", i), h.Value, maxURLLength)
		}
		if len(o.ResponseMappings) > MaxResponseMappings {
			add("http_request.response_mappings", "at most %d response mappings (got %d)", MaxResponseMappings, len(o.ResponseMappings))
		}
		for i, m := range o.ResponseMappings {
			f := fmt.Sprintf("http_request.response_mappings[%d]", i)
			if _, err := jsonpath.Compile(m.JSONPath); err != nil {
				add(f+".json_path", "%v", err)
			}
			target := m.Variable
			if field, ok := strings.CutPrefix(m.Variable, "contact."); ok {
				target = field
			}
			if !VariableName(target) {
				add(f+".variable", "variable must be a name of letters, digits and _ (at most 64), or contact.<field> to save into a contact field")
			}
		}
		if o.StatusVariable != "" && !VariableName(o.StatusVariable) {
			add("http_request.status_variable", "status_variable must be a name of letters, digits and _ (at most 64)")
		}
	case StepTriggerAnotherFlow:
		o := s.TriggerAnotherFlow
		if o == nil {
			missing("trigger_another_flow")
			break
		}
		if o.FlowID <= 0 {
			add("trigger_another_flow.flow_id", "flow_id is required")
		}
	case StepOpenConversation, StepPauseChatbot, StepResumeChatbot:
		want = 0
	case "":
		add("type", "step type is required")
		return
	default:
		add("type", "unknown step type %q", s.Type)
		return
	}
	if set > want {
		add("", "only the options of a %s step may be set", s.Type)
	}
}

// stepIndex maps each step id to the index of its first step.
func stepIndex(f Flow) map[string]int {
	ids := make(map[string]int, len(f.Steps))
	for i, s := range f.Steps {
		if _, ok := ids[s.ID]; !ok && s.ID != "" {
			ids[s.ID] = i
		}
	}
	return ids
}

func reachable(f Flow, ids map[string]int) []bool {
	seen := make([]bool, len(f.Steps))
	var stack []int
	push := func(id string) {
		if i, ok := ids[id]; ok && !seen[i] {
			seen[i] = true
			stack = append(stack, i)
		}
	}
	push(f.Trigger.Next)
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, l := range f.Steps[i].links() {
			push(l.to)
		}
	}
	return seen
}

// loops finds the strongly connected components (Tarjan) and reports each that is a loop with no
// pause and no way out, at its first step in the flow's order.
func loops(f Flow, ids map[string]int) []Problem {
	n := len(f.Steps)
	adj := make([][]int, n)
	for i, s := range f.Steps {
		if ids[s.ID] != i {
			continue // duplicate ids are reported elsewhere
		}
		for _, l := range s.links() {
			if j, ok := ids[l.to]; ok {
				adj[i] = append(adj[i], j)
			}
		}
	}
	index, low := make([]int, n), make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var comps [][]int
	next := 0
	var strong func(v int)
	strong = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range adj[v] {
			if index[w] < 0 {
				strong(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var comp []int
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			comps = append(comps, comp)
		}
	}
	for v := range n {
		if index[v] < 0 {
			strong(v)
		}
	}
	var ps []Problem
	for _, comp := range comps {
		in := map[int]bool{}
		for _, v := range comp {
			in[v] = true
		}
		if len(comp) == 1 && !slices.Contains(adj[comp[0]], comp[0]) {
			continue
		}
		if !escapes(f, ids, comp, in) {
			slices.Sort(comp)
			names := make([]string, len(comp))
			for i, v := range comp {
				names[i] = f.Steps[v].ID
			}
			ps = append(ps, Problem{StepID: f.Steps[comp[0]].ID,
				Message: fmt.Sprintf("%s: steps %s repeat forever without a Wait, a question or a way out", LoopMessage, strings.Join(names, ", "))})
		}
	}
	return ps
}

// escapes reports whether a run inside comp can pause or leave it.
func escapes(f Flow, ids map[string]int, comp []int, in map[int]bool) bool {
	for _, v := range comp {
		s := f.Steps[v]
		if s.Type == StepWait || s.Type == StepAskQuestion {
			return true
		}
		for _, l := range s.links() {
			if !l.leaves {
				continue
			}
			if l.to == "" {
				if l.endsIfEmpty {
					return true
				}
				continue
			}
			if j, ok := ids[l.to]; ok && !in[j] {
				return true
			}
		}
	}
	return false
}

func cleanText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

func text(add addFunc, step, field, s string, max int) {
	if !cleanText(s) {
		add(step, field, "must be valid UTF-8 without NUL characters")
	} else if n := utf8.RuneCountInString(s); n > max {
		add(step, field, "must be at most %d characters (got %d)", max, n)
	}
}

func required(add addFunc, step, field, s string, max int) {
	if strings.TrimSpace(s) == "" {
		add(step, field, "is required")
		return
	}
	text(add, step, field, s, max)
}

func list(add addFunc, step, field string, xs []string, max int) {
	if len(xs) > max {
		add(step, field, "at most %d entries (got %d)", max, len(xs))
	}
	for i, x := range xs {
		required(add, step, fmt.Sprintf("%s[%d]", field, i), x, maxShortTextLength)
	}
}

func enum(add addFunc, step, field, v string, allowed ...string) {
	if !slices.Contains(allowed, v) {
		add(step, field, "must be one of %s (got %q)", strings.Join(allowed, ", "), v)
	}
}

func enumList(add addFunc, field string, xs, allowed []string) {
	if len(xs) > MaxTriggerConditions {
		add("", field, "at most %d entries (got %d)", MaxTriggerConditions, len(xs))
	}
	for i, x := range xs {
		enum(add, "", fmt.Sprintf("%s[%d]", field, i), x, allowed...)
	}
}

func positive(add addFunc, field string, v *int64) {
	if v != nil && *v <= 0 {
		add("", field, "must be a positive id")
	}
}

func duration(add addFunc, field string, secs, max int64, needed bool) {
	switch {
	case secs < 0 || secs > max:
		add("", field, "must be between 0 and %d seconds (7 days) (got %d)", max, secs)
	case needed && secs == 0:
		add("", field, "must be at least 1 second")
	}
}

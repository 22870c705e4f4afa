// Package flows is the model of an automation flow (respond.io's Workflows): one Trigger and a
// graph of Steps linked by step id, its JSON form (stored as drafts and published versions, and
// exported/imported as is), and its validation. Running flows is the interpreter's business.
package flows

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Limits from respond.io's help center (product reference §1).
const (
	MaxFlowsPerWorkspace  = 100
	MaxSteps              = 100
	MaxBranches           = 9
	MaxConditions         = 10
	MaxJumps              = 10
	MaxWaitSeconds        = 7 * 24 * 60 * 60
	MaxAssignTimeout      = 7 * 24 * 60 * 60
	MaxHTTPHeaders        = 10
	MaxResponseMappings   = 10
	MaxMessageLength      = 2000
	MaxChoices            = 10
	MaxChoiceLength       = 20
	MaxTriggerConditions  = 10
	MaxStepIDLength       = 64
	MaxNameLength         = 100
	MaxTagsPerStep        = 50
	MaxFormInputs         = 20
	MinRating, MaxRating  = 1, 5
	maxShortTextLength    = 255
	maxURLLength          = 2048
	maxHTTPBodyLength     = 10000
	maxQuestionTextLength = MaxMessageLength
)

// Trigger types (§1.2).
const (
	TriggerConversationOpened  = "conversation_opened"
	TriggerConversationClosed  = "conversation_closed"
	TriggerContactTagUpdated   = "contact_tag_updated"
	TriggerContactFieldUpdated = "contact_field_updated"
	TriggerShortcut            = "shortcut"
	TriggerIncomingWebhook     = "incoming_webhook"
	TriggerManual              = "manual"
)

// Step types (§1.3).
const (
	StepSendMessage        = "send_message"
	StepAskQuestion        = "ask_question"
	StepAssignTo           = "assign_to"
	StepBranch             = "branch"
	StepUpdateContactTag   = "update_contact_tag"
	StepUpdateContactField = "update_contact_field"
	StepOpenConversation   = "open_conversation"
	StepCloseConversation  = "close_conversation"
	StepAddComment         = "add_comment"
	StepJumpTo             = "jump_to"
	StepWait               = "wait"
	StepDateTime           = "date_time"
	StepHTTPRequest        = "http_request"
	StepTriggerAnotherFlow = "trigger_another_flow"
	StepPauseChatbot       = "pause_chatbot"
	StepResumeChatbot      = "resume_chatbot"
)

// Flow is one trigger and the steps it runs. It is the portable JSON of export and import.
type Flow struct {
	Trigger Trigger `json:"trigger"`
	Steps   []Step  `json:"steps"`
}

// Trigger starts a flow for a contact. Exactly one option struct, the one named by Type, is set
// (manual and incoming_webhook have none). Next is the id of the first step.
type Trigger struct {
	Type string `json:"type"`
	// TriggerOncePerContact: a contact ever enrolled never re-enters (not for manual).
	TriggerOncePerContact bool   `json:"trigger_once_per_contact,omitempty"`
	Next                  string `json:"next,omitempty"`

	ConversationOpened  *ConversationOpenedTrigger  `json:"conversation_opened,omitempty"`
	ConversationClosed  *ConversationClosedTrigger  `json:"conversation_closed,omitempty"`
	ContactTagUpdated   *ContactTagUpdatedTrigger   `json:"contact_tag_updated,omitempty"`
	ContactFieldUpdated *ContactFieldUpdatedTrigger `json:"contact_field_updated,omitempty"`
	Shortcut            *ShortcutTrigger            `json:"shortcut,omitempty"`
}

// ConversationOpenedTrigger fires when a conversation opens by one of Sources (empty: any).
type ConversationOpenedTrigger struct {
	Sources []string `json:"sources,omitempty"`
}

// ConversationClosedTrigger fires when a conversation closes by one of Sources with one of the
// closing-note Categories (empty lists: any).
type ConversationClosedTrigger struct {
	Sources    []string `json:"sources,omitempty"`
	Categories []string `json:"categories,omitempty"`
}

// ContactTagUpdatedTrigger fires when one of Tags is added or removed (Action).
type ContactTagUpdatedTrigger struct {
	Action string   `json:"action"`
	Tags   []string `json:"tags"`
}

// ContactFieldUpdatedTrigger fires when Field (a standard field name or a custom field key)
// changes.
type ContactFieldUpdatedTrigger struct {
	Field string `json:"field"`
}

// ShortcutTrigger is started by a user from the inbox; the form's answers become variables.
type ShortcutTrigger struct {
	Inputs []FormInput `json:"inputs,omitempty"`
}

// FormInput is one question of a shortcut's form, saved as variable Name.
type FormInput struct {
	Name     string `json:"name"`
	Label    string `json:"label"`
	Type     string `json:"type"` // text | number | date | email | phone | url
	Required bool   `json:"required,omitempty"`
}

// Trigger sources (n8n's TRIGGER_SETTINGS_EVENT_SOURCES).
var (
	OpenedSources = []string{"user", "contact", "workflow", "api", "broadcast", "zapier", "make", "ctc_ads", "growth_widget"}
	ClosedSources = []string{"user", "workflow", "api", "zapier", "bot", "make", "n8n", "ai_agent", "auto_close"}
)

// Step is one node of the graph. Exactly the option struct named by Type is set (open/close
// conversation's options are optional; open_conversation, pause_chatbot and resume_chatbot have
// none). Next is the step that follows ("" ends the flow); steps with branches name their
// targets in their options.
type Step struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
	Next string `json:"next,omitempty"`

	SendMessage        *SendMessage        `json:"send_message,omitempty"`
	AskQuestion        *AskQuestion        `json:"ask_question,omitempty"`
	AssignTo           *AssignTo           `json:"assign_to,omitempty"`
	Branch             *Branch             `json:"branch,omitempty"`
	UpdateContactTag   *UpdateContactTag   `json:"update_contact_tag,omitempty"`
	UpdateContactField *UpdateContactField `json:"update_contact_field,omitempty"`
	CloseConversation  *CloseConversation  `json:"close_conversation,omitempty"`
	AddComment         *AddComment         `json:"add_comment,omitempty"`
	JumpTo             *JumpTo             `json:"jump_to,omitempty"`
	Wait               *Wait               `json:"wait,omitempty"`
	DateTime           *DateTime           `json:"date_time,omitempty"`
	HTTPRequest        *HTTPRequest        `json:"http_request,omitempty"`
	TriggerAnotherFlow *TriggerAnotherFlow `json:"trigger_another_flow,omitempty"`
}

// SendMessage sends Text (and/or a library file) on ChannelID, or on the contact's last
// interacted channel when ChannelID is nil. FailureNext is the message failure branch.
type SendMessage struct {
	ChannelID   *int64 `json:"channel_id,omitempty"`
	Text        string `json:"text,omitempty"`
	FileID      *int64 `json:"file_id,omitempty"`
	FailureNext string `json:"failure_next,omitempty"`
	// ChannelContent replaces the default text/file on the channel types it names (respond.io's
	// "Channel Response"): the message sent on a Telegram channel can differ from the one sent on
	// a custom channel.
	ChannelContent []ChannelContent `json:"channel_content,omitempty"`
}

// ChannelContent is a Send Message step's content for one channel type.
type ChannelContent struct {
	ChannelType string `json:"channel_type"`
	Text        string `json:"text,omitempty"`
	FileID      *int64 `json:"file_id,omitempty"`
}

// MaxChannelContents bounds a Send Message step's per-channel contents.
const MaxChannelContents = 10

// Question types of Ask a Question.
var QuestionTypes = []string{"text", "multiple_choice", "number", "date", "phone", "email", "url", "rating", "location"}

// AskQuestion asks on the last interacted channel and waits for the answer.
type AskQuestion struct {
	Text         string   `json:"text"`
	QuestionType string   `json:"question_type"`
	Choices      []string `json:"choices,omitempty"`
	// Min and Max bound a number answer, or the stars of a rating (1–5).
	Min        *float64 `json:"min,omitempty"`
	Max        *float64 `json:"max,omitempty"`
	DateFormat string   `json:"date_format,omitempty"`
	// SaveAs is where the answer goes: field (contact field), variable, or tag (multiple choice
	// only); Name is the field key or variable name (empty for tag).
	SaveAs SaveAs `json:"save_as"`
	// TimeoutSeconds (≤ 7 days) routes to TimeoutNext when the contact does not answer.
	TimeoutSeconds int64  `json:"timeout_seconds,omitempty"`
	TimeoutNext    string `json:"timeout_next,omitempty"`
	FailureNext    string `json:"failure_next,omitempty"`
}

// SaveAs says where an answer is stored.
type SaveAs struct {
	Kind string `json:"kind,omitempty"` // field | variable | tag
	Name string `json:"name,omitempty"`
}

// AssignTo assigns the contact's conversation.
type AssignTo struct {
	Action         string `json:"action"` // user | team | workspace | unassign
	UserID         *int64 `json:"user_id,omitempty"`
	TeamID         *int64 `json:"team_id,omitempty"`
	Logic          string `json:"logic,omitempty"` // round_robin | least_open (team, workspace)
	OnlyOnline     bool   `json:"only_online,omitempty"`
	MaxOpen        *int   `json:"max_open,omitempty"`
	TimeoutSeconds int64  `json:"timeout_seconds,omitempty"`
	TimeoutNext    string `json:"timeout_next,omitempty"`
}

// Branch routes to the first path whose conditions hold, else to ElseNext.
type Branch struct {
	Paths    []BranchPath `json:"paths"`
	ElseNext string       `json:"else_next,omitempty"`
}

// BranchPath holds when all (Match "all") or any (Match "any") of its conditions hold.
type BranchPath struct {
	Name       string      `json:"name,omitempty"`
	Match      string      `json:"match"`
	Conditions []Condition `json:"conditions"`
	Next       string      `json:"next,omitempty"`
}

// Condition compares a value of Category (Field names which one for contact_field and variable)
// with Value by Operator. EvaluateCondition gives the meaning of each category and operator;
// ConditionOperatorsFor lists the operators each category accepts.
type Condition struct {
	Category string `json:"category"` // one of ConditionCategories
	Field    string `json:"field,omitempty"`
	Operator string `json:"operator"` // one of ConditionOperators
	Value    string `json:"value,omitempty"`
}

// Condition vocabularies. "inbox" is respond.io's name for the assignee condition and means the
// same as "assignee".
var (
	ConditionCategories = []string{"contact_field", "contact_tag", "variable", "lifecycle", "assignee", "assignee_status",
		"team", "channel", "conversation_status", "last_incoming_message", "inbox"}
	ConditionOperators = []string{"eq", "neq", "contains", "not_contains", "starts_with", "exists", "not_exists", "gt", "lt"}
)

// UpdateContactTag adds or removes Tags.
type UpdateContactTag struct {
	Action string   `json:"action"` // add | remove
	Tags   []string `json:"tags"`
}

// UpdateContactField sets Field to Value (variables allowed; "" clears it).
type UpdateContactField struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// CloseConversation closes the conversation with an optional closing note.
type CloseConversation struct {
	Category string `json:"category,omitempty"`
	Summary  string `json:"summary,omitempty"`
}

// AddComment writes an internal comment on the contact.
type AddComment struct {
	Text string `json:"text"`
}

// JumpTo continues at Target up to MaxJumps times per enrollment; after that the flow goes on at
// the step's Next.
type JumpTo struct {
	Target   string `json:"target"`
	MaxJumps int    `json:"max_jumps"`
}

// Wait pauses the contact's run.
type Wait struct {
	Seconds int64 `json:"seconds"`
}

// DateTime goes to Next when now is within business hours or the date range, else to
// FailureNext ("" ends the flow). InWindow decides.
type DateTime struct {
	Mode string `json:"mode"` // business_hours | date_range
	// Timezone is the IANA zone of Hours, Holidays, Start and End; empty with WorkspaceHours,
	// whose time zone is the workspace's.
	Timezone string     `json:"timezone"`
	Hours    []DayHours `json:"hours,omitempty"`
	// WorkspaceHours uses the workspace's business-hours setting instead of Hours and Timezone.
	WorkspaceHours bool `json:"workspace_hours,omitempty"`
	// Holidays are YYYY-MM-DD dates closed all day (business_hours), on top of the workspace's
	// own holidays when WorkspaceHours is set.
	Holidays    []string `json:"holidays,omitempty"`
	Start       string   `json:"start,omitempty"` // local date-time 2006-01-02T15:04:05 (date_range)
	End         string   `json:"end,omitempty"`
	FailureNext string   `json:"failure_next,omitempty"`
}

// DayHours is one working interval of a weekday ("monday"…, "09:00"–"17:00"; To may be "24:00").
type DayHours struct {
	Day  string `json:"day"`
	From string `json:"from"`
	To   string `json:"to"`
}

// HTTPRequest calls an external API and maps the JSON response into variables.
type HTTPRequest struct {
	Method           string            `json:"method"`
	URL              string            `json:"url"`
	ContentType      string            `json:"content_type,omitempty"`
	Body             string            `json:"body,omitempty"`
	Headers          []Header          `json:"headers,omitempty"`
	ResponseMappings []ResponseMapping `json:"response_mappings,omitempty"`
	StatusVariable   string            `json:"status_variable,omitempty"`
	FailureNext      string            `json:"failure_next,omitempty"`
}

// Header is one request header.
type Header struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// ResponseMapping saves the value at JSONPath ($.data.id) as Variable.
type ResponseMapping struct {
	JSONPath string `json:"json_path"`
	Variable string `json:"variable"`
}

// TriggerAnotherFlow enrolls the contact in FlowID, whose trigger must be manual.
type TriggerAnotherFlow struct {
	FlowID int64 `json:"flow_id"`
}

// Parse decodes the portable JSON strictly: unknown fields and trailing data are errors that
// say where.
func Parse(b []byte) (Flow, error) {
	var f Flow
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Flow{}, fmt.Errorf("invalid flow JSON schema: %v", err)
	}
	if dec.More() {
		return Flow{}, fmt.Errorf("invalid flow JSON schema: unexpected data after the flow")
	}
	return f, nil
}

// link is one outgoing edge of a step.
type link struct {
	field string
	to    string
	// endsIfEmpty: an empty target ends the flow (a way out of a loop); otherwise an empty
	// target means the optional path is not used.
	endsIfEmpty bool
	// leaves: the edge may take the run out of a loop. Jump To's edges never do: its target is
	// the loop itself and its continuation is only reached after the jump budget is spent, which
	// an instant loop burns through at once.
	leaves bool
}

// links lists a step's outgoing edges.
func (s Step) links() []link {
	if s.Type == StepJumpTo {
		out := []link{{field: "next", to: s.Next, endsIfEmpty: true}}
		if s.JumpTo != nil {
			out = append(out, link{field: "jump_to.target", to: s.JumpTo.Target})
		}
		return out
	}
	var out []link
	// A branch continues only through its paths and else; its next is refused by validation.
	if s.Type != StepBranch {
		out = append(out, link{field: "next", to: s.Next, endsIfEmpty: true, leaves: true})
	}
	opt := func(field, to string) { out = append(out, link{field: field, to: to, leaves: true}) }
	ends := func(field, to string) { out = append(out, link{field: field, to: to, endsIfEmpty: true, leaves: true}) }
	switch {
	case s.Type == StepSendMessage && s.SendMessage != nil:
		opt("send_message.failure_next", s.SendMessage.FailureNext)
	case s.Type == StepAskQuestion && s.AskQuestion != nil:
		opt("ask_question.timeout_next", s.AskQuestion.TimeoutNext)
		opt("ask_question.failure_next", s.AskQuestion.FailureNext)
	case s.Type == StepAssignTo && s.AssignTo != nil:
		opt("assign_to.timeout_next", s.AssignTo.TimeoutNext)
	case s.Type == StepBranch && s.Branch != nil:
		for i, p := range s.Branch.Paths {
			ends(fmt.Sprintf("branch.paths[%d].next", i), p.Next)
		}
		ends("branch.else_next", s.Branch.ElseNext)
	case s.Type == StepDateTime && s.DateTime != nil:
		ends("date_time.failure_next", s.DateTime.FailureNext)
	case s.Type == StepHTTPRequest && s.HTTPRequest != nil:
		opt("http_request.failure_next", s.HTTPRequest.FailureNext)
	}
	return out
}

package flows

import (
	"errors"
	"fmt"
	"slices"
)

// Template is a built-in starting point for a flow: the seed's workflow examples (EcuaBots'
// "Ejemplos de Flujos", mapped to respond.io's templates in product reference §1.4).
//
// A template's Flow is complete and publishable as is. Templates that route to a team take the
// team's id as a parameter (Params); without it their assignment steps spread conversations over
// the whole workspace with the same logic, because a team id is workspace data a global template
// cannot know and the validator refuses team assignment without one.
type Template struct {
	Key         string
	Name        string
	Description string
	// Params are the team-id parameters Instantiate accepts ("team_id" sets every team step).
	Params []string
	Flow   Flow
	// teamSteps maps a parameter to the assign_to steps it turns into team assignment.
	teamSteps map[string][]string
}

// ErrUnknownTemplate is returned by Instantiate for a key no template has.
var ErrUnknownTemplate = errors.New("no flow template has this key")

// ParamTeamID is the parameter that sets the team of every team step of a template.
const ParamTeamID = "team_id"

func i64(v int64) *int64 { return &v }
func intp(v int) *int    { return &v }

// contactOpened triggers when a contact opens a conversation (writes first).
func contactOpened(next string) Trigger {
	return Trigger{Type: TriggerConversationOpened, Next: next,
		ConversationOpened: &ConversationOpenedTrigger{Sources: []string{"contact"}}}
}

func assignStep(id, name, logic string, onlyOnline bool, next string) Step {
	return Step{ID: id, Type: StepAssignTo, Name: name, Next: next,
		AssignTo: &AssignTo{Action: "workspace", Logic: logic, OnlyOnline: onlyOnline}}
}

func messageStep(id, name, text string) Step {
	return Step{ID: id, Type: StepSendMessage, Name: name, SendMessage: &SendMessage{Text: text}}
}

const teamNote = " Pass team_id to assign within a team; without it conversations are spread over the whole workspace."

// Templates returns the built-in flow templates, a fresh copy on every call.
func Templates() []Template {
	weekdays := []DayHours{}
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
		weekdays = append(weekdays, DayHours{Day: d, From: "09:00", To: "18:00"})
	}
	capacity := assignStep("assign", "Assign to an available agent", "round_robin", true, "")
	capacity.AssignTo.MaxOpen = intp(10)
	capacity.AssignTo.TimeoutSeconds = 5 * 60
	capacity.AssignTo.TimeoutNext = "busy"

	routingAssign := func(id, dept string) Step {
		return assignStep(id, "Assign to "+dept, "round_robin", true, "")
	}
	isDept := func(dept, next string) BranchPath {
		return BranchPath{Name: dept, Match: "all", Next: next,
			Conditions: []Condition{{Category: "variable", Field: "department", Operator: "eq", Value: dept}}}
	}

	return []Template{
		{
			Key:         "close_conversation_resume_bot",
			Name:        "Close conversation and turn the bot back on",
			Description: "When a conversation is closed, resume the chatbot so automation handles the contact's next message.",
			Flow: Flow{
				Trigger: Trigger{Type: TriggerConversationClosed, Next: "resume"},
				Steps:   []Step{{ID: "resume", Type: StepResumeChatbot, Name: "Turn the bot back on"}},
			},
		},
		{
			Key:         "assign_to_agent",
			Name:        "Assign to an agent",
			Description: "When a contact opens a conversation, assign it to an online agent of the workspace (round robin).",
			Flow: Flow{
				Trigger: contactOpened("assign"),
				Steps:   []Step{assignStep("assign", "Assign to an agent", "round_robin", true, "")},
			},
		},
		{
			Key:         "sales_round_robin",
			Name:        "Automatic assignment for sales teams",
			Description: "When a contact opens a conversation, assign it to the sales team's agents in turn (round robin)." + teamNote,
			Params:      []string{ParamTeamID},
			teamSteps:   map[string][]string{ParamTeamID: {"assign"}},
			Flow: Flow{
				Trigger: contactOpened("assign"),
				Steps:   []Step{assignStep("assign", "Assign to sales (round robin)", "round_robin", false, "")},
			},
		},
		{
			Key:         "support_round_robin_online",
			Name:        "Automatic assignment for support teams",
			Description: "When a contact opens a conversation, assign it in turn to the support team's agents who are online." + teamNote,
			Params:      []string{ParamTeamID},
			teamSteps:   map[string][]string{ParamTeamID: {"assign"}},
			Flow: Flow{
				Trigger: contactOpened("assign"),
				Steps:   []Step{assignStep("assign", "Assign to support (online only)", "round_robin", true, "")},
			},
		},
		{
			Key:         "support_least_open",
			Name:        "Automatic assignment for high-touch support teams",
			Description: "When a contact opens a conversation, assign it to the online support agent with the fewest open conversations." + teamNote,
			Params:      []string{ParamTeamID},
			teamSteps:   map[string][]string{ParamTeamID: {"assign"}},
			Flow: Flow{
				Trigger: contactOpened("assign"),
				Steps:   []Step{assignStep("assign", "Assign to support (least open contacts)", "least_open", true, "")},
			},
		},
		{
			Key:         "assigned_agent_message",
			Name:        "Assigned agent message",
			Description: "When a contact opens a conversation, assign it to an online agent and introduce the agent to the contact by name.",
			Flow: Flow{
				Trigger: contactOpened("assign"),
				Steps: []Step{
					assignStep("assign", "Assign to an agent", "round_robin", true, "introduce"),
					messageStep("introduce", "Introduce the agent",
						`Hi {{$contact.first_name | default: "there"}}, I'm {{$user.first_name}} and I'll be helping you today.`),
				},
			},
		},
		{
			Key:  "out_of_hours",
			Name: "Out of office hours message",
			Description: "When a contact opens a conversation outside business hours (Monday to Friday 09:00–18:00, " +
				"America/Guayaquil), reply with an away message. Adjust the hours and time zone to your business.",
			Flow: Flow{
				Trigger: contactOpened("hours"),
				Steps: []Step{
					{ID: "hours", Type: StepDateTime, Name: "Within business hours?", DateTime: &DateTime{
						Mode: "business_hours", Timezone: "America/Guayaquil", Hours: weekdays, FailureNext: "away"}},
					messageStep("away", "Away message",
						"Thanks for your message! We're out of the office right now; our team is available Monday to Friday from 9:00 to 18:00 and will reply as soon as we're back."),
				},
			},
		},
		{
			Key:  "agents_at_capacity",
			Name: "All agents at maximum capacity message",
			Description: "When a contact opens a conversation, assign it to an online agent with fewer than 10 open conversations; " +
				"if none frees up within 5 minutes, tell the contact everyone is busy." + teamNote,
			Params:    []string{ParamTeamID},
			teamSteps: map[string][]string{ParamTeamID: {"assign"}},
			Flow: Flow{
				Trigger: contactOpened("assign"),
				Steps: []Step{
					capacity,
					messageStep("busy", "All agents are busy",
						"All our agents are busy at the moment. You're in the queue and we'll get back to you as soon as someone is free."),
				},
			},
		},
		{
			Key:  "agent_routing",
			Name: "Agent routing",
			Description: "When a contact opens a conversation, ask whether they need Sales, Support or Billing and assign the " +
				"conversation to that department. Pass sales_team_id, support_team_id and billing_team_id (or team_id for all " +
				"three) to assign within those teams; without them each department is assigned over the whole workspace.",
			Params: []string{ParamTeamID, "sales_team_id", "support_team_id", "billing_team_id"},
			teamSteps: map[string][]string{
				ParamTeamID:       {"assign_sales", "assign_support", "assign_billing"},
				"sales_team_id":   {"assign_sales"},
				"support_team_id": {"assign_support"},
				"billing_team_id": {"assign_billing"},
			},
			Flow: Flow{
				Trigger: contactOpened("ask"),
				Steps: []Step{
					{ID: "ask", Type: StepAskQuestion, Name: "Ask for the department", Next: "route", AskQuestion: &AskQuestion{
						Text: "Hi! How can we help you today?", QuestionType: "multiple_choice",
						Choices: []string{"Sales", "Support", "Billing"},
						SaveAs:  SaveAs{Kind: "variable", Name: "department"}}},
					{ID: "route", Type: StepBranch, Name: "Route by department", Branch: &Branch{
						Paths:    []BranchPath{isDept("Sales", "assign_sales"), isDept("Support", "assign_support"), isDept("Billing", "assign_billing")},
						ElseNext: "assign_any"}},
					routingAssign("assign_sales", "Sales"),
					routingAssign("assign_support", "Support"),
					routingAssign("assign_billing", "Billing"),
					assignStep("assign_any", "Assign to any agent", "round_robin", true, ""),
				},
			},
		},
	}
}

// Instantiate returns the flow of the template key with its team parameters applied: each given
// parameter turns its assignment steps into team assignment to that team ("team_id" first, so a
// department's own parameter wins). Unknown keys answer ErrUnknownTemplate; unknown parameters
// and ids that are not positive are errors.
func Instantiate(key string, params map[string]int64) (Template, error) {
	all := Templates()
	i := slices.IndexFunc(all, func(t Template) bool { return t.Key == key })
	if i < 0 {
		return Template{}, ErrUnknownTemplate
	}
	t := all[i]
	names := make([]string, 0, len(params))
	for name, id := range params {
		if !slices.Contains(t.Params, name) {
			if len(t.Params) == 0 {
				return Template{}, fmt.Errorf("template %s takes no parameters (got %s)", key, name)
			}
			return Template{}, fmt.Errorf("template %s takes parameters %v (got %s)", key, t.Params, name)
		}
		if id <= 0 {
			return Template{}, fmt.Errorf("parameter %s must be a positive team id", name)
		}
		names = append(names, name)
	}
	// team_id applies first, then the department parameters in a fixed order.
	slices.SortFunc(names, func(a, b string) int {
		return slices.Index(t.Params, a) - slices.Index(t.Params, b)
	})
	for _, name := range names {
		for _, id := range t.teamSteps[name] {
			for j := range t.Flow.Steps {
				if s := &t.Flow.Steps[j]; s.ID == id && s.AssignTo != nil {
					s.AssignTo.Action = "team"
					s.AssignTo.TeamID = i64(params[name])
				}
			}
		}
	}
	return t, nil
}

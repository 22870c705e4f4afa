package flows

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func snapshot() Snapshot {
	return Snapshot{
		Contact: map[string]string{
			"first_name": "Ana", "email": "ana@example.com", "lifecycle": "Hot Lead",
			"age": "42", "signup": "2025-03-01", "plan": "Pro, Gold", "empty": "  ", "zip": "08001",
		},
		Tags:                []string{"VIP", " plan:pro "},
		Variables:           map[string]string{"department": " Sales ", "score": "4.5", "when": "2025-06-01T10:00:00+02:00"},
		AssigneeID:          7,
		AssigneeStatus:      "away",
		TeamID:              3,
		ChannelID:           12,
		ChannelType:         "telegram",
		ConversationStatus:  "open",
		LastIncomingMessage: "  Hello, I want a REFUND please ",
	}
}

func TestEvaluateCondition(t *testing.T) {
	unassigned := snapshot()
	unassigned.AssigneeID, unassigned.AssigneeStatus, unassigned.TeamID = 0, "", 0
	assignedNoStatus := snapshot()
	assignedNoStatus.AssigneeStatus = ""
	bare := Snapshot{} // a contact with nothing: no fields, tags, assignee, channel or conversation

	c := func(cat, field, op, value string) Condition {
		return Condition{Category: cat, Field: field, Operator: op, Value: value}
	}
	cases := []struct {
		name string
		c    Condition
		s    Snapshot
		want bool
	}{
		// contact_field: text ignores case and surrounding spaces.
		{"field eq", c("contact_field", "first_name", "eq", " ana "), snapshot(), true},
		{"field eq other", c("contact_field", "first_name", "eq", "Anabel"), snapshot(), false},
		{"field neq", c("contact_field", "first_name", "neq", "Bruno"), snapshot(), true},
		{"field neq same", c("contact_field", "first_name", "neq", "ANA"), snapshot(), false},
		{"field contains", c("contact_field", "email", "contains", "@EXAMPLE."), snapshot(), true},
		{"field contains not", c("contact_field", "email", "contains", "gmail"), snapshot(), false},
		{"field not_contains", c("contact_field", "email", "not_contains", "gmail"), snapshot(), true},
		{"field not_contains present", c("contact_field", "plan", "not_contains", "gold"), snapshot(), false},
		{"field starts_with", c("contact_field", "email", "starts_with", "ANA@"), snapshot(), true},
		{"field starts_with middle", c("contact_field", "email", "starts_with", "example"), snapshot(), false},
		{"field exists", c("contact_field", "email", "exists", ""), snapshot(), true},
		{"field exists blank", c("contact_field", "empty", "exists", ""), snapshot(), false},
		{"field exists missing", c("contact_field", "nope", "exists", ""), snapshot(), false},
		{"field not_exists blank", c("contact_field", "empty", "not_exists", ""), snapshot(), true},
		{"field not_exists missing", c("contact_field", "nope", "not_exists", ""), snapshot(), true},
		{"field not_exists set", c("contact_field", "email", "not_exists", ""), snapshot(), false},
		{"missing field eq", c("contact_field", "nope", "eq", "x"), snapshot(), false},
		{"missing field neq", c("contact_field", "nope", "neq", "x"), snapshot(), true},
		{"field eq is text, not number", c("contact_field", "zip", "eq", "8001"), snapshot(), false},
		// gt and lt: numbers, then dates, else false.
		{"gt number", c("contact_field", "age", "gt", "9"), snapshot(), true}, // 42 > 9, though "42" < "9" as text
		{"gt number equal", c("contact_field", "age", "gt", "42.0"), snapshot(), false},
		{"lt number", c("contact_field", "age", "lt", "100"), snapshot(), true},
		{"lt negative", c("contact_field", "age", "lt", "-1"), snapshot(), false},
		{"gt decimal variable", c("variable", "score", "gt", "4.25"), snapshot(), true},
		{"lt exponent", c("variable", "score", "lt", "1e1"), snapshot(), true},
		{"gt date", c("contact_field", "signup", "gt", "2025-02-28"), snapshot(), true},
		{"lt date", c("contact_field", "signup", "lt", "2025-02-28"), snapshot(), false},
		{"gt date equal", c("contact_field", "signup", "gt", "2025-03-01"), snapshot(), false},
		{"lt date vs RFC 3339", c("contact_field", "signup", "lt", "2025-03-01T00:00:01Z"), snapshot(), true},
		{"gt RFC 3339 offsets", c("variable", "when", "gt", "2025-06-01T11:30:00+05:00"), snapshot(), true}, // 08:00Z > 06:30Z
		{"lt RFC 3339 offsets", c("variable", "when", "lt", "2025-06-01T08:30:00Z"), snapshot(), true},
		{"gt text is false", c("contact_field", "first_name", "gt", "A"), snapshot(), false},
		{"lt text is false", c("contact_field", "first_name", "lt", "Z"), snapshot(), false},
		{"gt number vs date is false", c("contact_field", "age", "gt", "2025-01-01"), snapshot(), false},
		{"gt missing is false", c("contact_field", "nope", "gt", "0"), snapshot(), false},
		{"lt missing is false", c("contact_field", "nope", "lt", "0"), snapshot(), false},
		{"hex is not a number", c("contact_field", "age", "lt", "0x100"), snapshot(), false},
		{"infinity is not a number", c("contact_field", "age", "lt", "Inf"), snapshot(), false},
		// variable
		{"variable eq trimmed", c("variable", "department", "eq", "sales"), snapshot(), true},
		{"variable missing not_exists", c("variable", "nope", "not_exists", ""), snapshot(), true},
		{"variable without variables", c("variable", "department", "eq", "sales"), bare, false},
		// lifecycle
		{"lifecycle eq", c("lifecycle", "", "eq", "hot lead"), snapshot(), true},
		{"lifecycle neq", c("lifecycle", "", "neq", "Customer"), snapshot(), true},
		{"lifecycle exists", c("lifecycle", "", "exists", ""), snapshot(), true},
		{"lifecycle not_exists", c("lifecycle", "", "not_exists", ""), bare, true},
		// contact_tag
		{"tag eq has", c("contact_tag", "", "eq", "vip"), snapshot(), true},
		{"tag eq trimmed", c("contact_tag", "", "eq", "PLAN:PRO"), snapshot(), true},
		{"tag eq has not", c("contact_tag", "", "eq", "lead"), snapshot(), false},
		{"tag eq is not a substring", c("contact_tag", "", "eq", "VI"), snapshot(), false},
		{"tag neq has not", c("contact_tag", "", "neq", "lead"), snapshot(), true},
		{"tag neq has", c("contact_tag", "", "neq", "VIP"), snapshot(), false},
		{"tag contains", c("contact_tag", "", "contains", "pro"), snapshot(), true},
		{"tag not_contains", c("contact_tag", "", "not_contains", "gold"), snapshot(), true},
		{"tag starts_with", c("contact_tag", "", "starts_with", "plan:"), snapshot(), true},
		{"tag starts_with none", c("contact_tag", "", "starts_with", "pro"), snapshot(), false},
		{"tag exists", c("contact_tag", "", "exists", ""), snapshot(), true},
		{"tag exists none", c("contact_tag", "", "exists", ""), bare, false},
		{"tag exists only blank", c("contact_tag", "", "exists", ""), Snapshot{Tags: []string{" "}}, false},
		{"tag not_exists none", c("contact_tag", "", "not_exists", ""), bare, true},
		{"tag not_exists some", c("contact_tag", "", "not_exists", ""), snapshot(), false},
		{"tag neq without tags", c("contact_tag", "", "neq", "vip"), bare, true},
		// assignee and its synonym inbox
		{"assignee eq id", c("assignee", "", "eq", "7"), snapshot(), true},
		{"assignee eq other id", c("assignee", "", "eq", "8"), snapshot(), false},
		{"assignee neq other id", c("assignee", "", "neq", "8"), snapshot(), true},
		{"assignee eq unassigned", c("assignee", "", "eq", "unassigned"), unassigned, true},
		{"assignee eq unassigned when assigned", c("assignee", "", "eq", "Unassigned"), snapshot(), false},
		{"assignee neq unassigned", c("assignee", "", "neq", "unassigned"), snapshot(), true},
		{"assignee exists", c("assignee", "", "exists", ""), snapshot(), true},
		{"assignee not_exists", c("assignee", "", "not_exists", ""), unassigned, true},
		{"assignee eq 0 is no id", c("assignee", "", "eq", "0"), unassigned, false},
		{"assignee eq -7 is no id", c("assignee", "", "eq", "-7"), snapshot(), false},
		{"inbox eq unassigned", c("inbox", "", "eq", "unassigned"), unassigned, true},
		{"inbox eq user", c("inbox", "", "eq", " 7 "), snapshot(), true},
		{"inbox neq user", c("inbox", "", "neq", "7"), snapshot(), false},
		// assignee_status
		{"status eq away", c("assignee_status", "", "eq", "AWAY"), snapshot(), true},
		{"status eq online", c("assignee_status", "", "eq", "online"), snapshot(), false},
		{"status neq online", c("assignee_status", "", "neq", "online"), snapshot(), true},
		{"status unassigned", c("assignee_status", "", "eq", "unassigned"), unassigned, true},
		{"status unassigned when assigned", c("assignee_status", "", "eq", "unassigned"), snapshot(), false},
		{"status unknown counts as unassigned", c("assignee_status", "", "eq", "unassigned"), assignedNoStatus, true},
		// team
		{"team eq", c("team", "", "eq", "3"), snapshot(), true},
		{"team neq", c("team", "", "neq", "3"), snapshot(), false},
		{"team exists", c("team", "", "exists", ""), snapshot(), true},
		{"team not_exists", c("team", "", "not_exists", ""), unassigned, true},
		// channel: an id or a type
		{"channel id", c("channel", "", "eq", "12"), snapshot(), true},
		{"channel other id", c("channel", "", "eq", "13"), snapshot(), false},
		{"channel type", c("channel", "", "eq", "Telegram"), snapshot(), true},
		{"channel other type", c("channel", "", "eq", "whatsapp"), snapshot(), false},
		{"channel neq type", c("channel", "", "neq", "whatsapp"), snapshot(), true},
		{"channel none", c("channel", "", "eq", "telegram"), bare, false},
		// conversation_status
		{"conversation open", c("conversation_status", "", "eq", "open"), snapshot(), true},
		{"conversation closed", c("conversation_status", "", "eq", "closed"), snapshot(), false},
		{"conversation neq closed", c("conversation_status", "", "neq", "closed"), snapshot(), true},
		{"conversation never", c("conversation_status", "", "not_exists", ""), bare, true},
		{"conversation had one", c("conversation_status", "", "exists", ""), snapshot(), true},
		// last_incoming_message
		{"message contains", c("last_incoming_message", "", "contains", "refund"), snapshot(), true},
		{"message eq trimmed", c("last_incoming_message", "", "eq", "hello, i want a refund please"), snapshot(), true},
		{"message starts_with", c("last_incoming_message", "", "starts_with", "hello"), snapshot(), true},
		{"message not_contains", c("last_incoming_message", "", "not_contains", "refund"), snapshot(), false},
		{"message none", c("last_incoming_message", "", "not_exists", ""), bare, true},
		// Nonsense never holds, whatever the snapshot.
		{"tag gt", c("contact_tag", "", "gt", "a"), snapshot(), false},
		{"status exists", c("assignee_status", "", "exists", ""), snapshot(), false},
		{"status not_contains", c("assignee_status", "", "not_contains", "zzz"), snapshot(), false},
		{"channel neq via contains", c("channel", "", "not_contains", "zzz"), snapshot(), false},
		{"unknown category", c("weather", "", "eq", ""), snapshot(), false},
		{"unknown operator", c("contact_field", "email", "like", ""), snapshot(), false},
		{"empty condition", Condition{}, snapshot(), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, EvaluateCondition(tc.c, tc.s), "%+v", tc.c)
		})
	}
}

// The negative operators are exact negations of the positive ones for every category that has
// them, whatever the contact looks like.
func TestConditionNegations(t *testing.T) {
	unassigned := snapshot()
	unassigned.AssigneeID, unassigned.AssigneeStatus = 0, ""
	snaps := []Snapshot{snapshot(), unassigned, {}}
	values := []string{"ana", "vip", "7", "3", "12", "telegram", "open", "closed", "unassigned", "away", "refund", "zzz", "pro"}
	pairs := [][2]string{{"eq", "neq"}, {"contains", "not_contains"}, {"exists", "not_exists"}}
	for _, cat := range ConditionCategories {
		ops := ConditionOperatorsFor(cat)
		for _, p := range pairs {
			if !slices.Contains(ops, p[0]) {
				require.NotContains(t, ops, p[1], "%s has %s without %s", cat, p[1], p[0])
				continue
			}
			require.Contains(t, ops, p[1], "%s has %s without %s", cat, p[0], p[1])
			for si, s := range snaps {
				for _, v := range values {
					field := ""
					if cat == "contact_field" {
						field = "first_name"
					} else if cat == "variable" {
						field = "department"
					}
					pos := EvaluateCondition(Condition{Category: cat, Field: field, Operator: p[0], Value: v}, s)
					neg := EvaluateCondition(Condition{Category: cat, Field: field, Operator: p[1], Value: v}, s)
					require.NotEqual(t, pos, neg, "%s %s/%s %q on snapshot %d", cat, p[0], p[1], v, si)
				}
			}
		}
	}
}

func TestConditionVocabulary(t *testing.T) {
	for _, cat := range ConditionCategories {
		ops := ConditionOperatorsFor(cat)
		require.NotEmpty(t, ops, cat)
		for _, op := range ops {
			require.Contains(t, ConditionOperators, op, cat)
		}
	}
	require.Nil(t, ConditionOperatorsFor("weather"))
	// The list handed out is a copy.
	ConditionOperatorsFor("contact_field")[0] = "x"
	require.Equal(t, "eq", ConditionOperatorsFor("contact_field")[0])
}

func TestEvaluateBranch(t *testing.T) {
	tag := func(v string) Condition { return Condition{Category: "contact_tag", Operator: "eq", Value: v} }
	b := Branch{
		Paths: []BranchPath{
			{Name: "empty", Match: "any", Next: "never"},
			{Name: "vip sales", Match: "all", Conditions: []Condition{tag("vip"), {Category: "variable", Field: "department", Operator: "eq", Value: "sales"}}, Next: "a"},
			{Name: "vip or lead", Match: "any", Conditions: []Condition{tag("lead"), tag("vip")}, Next: "b"},
			{Name: "also vip", Match: "all", Conditions: []Condition{tag("vip")}, Next: "c"},
			{Name: "unknown match", Match: "most", Conditions: []Condition{tag("lead")}, Next: "never"},
		},
		ElseNext: "else",
	}
	s := snapshot()
	next, path := EvaluateBranch(b, s)
	require.Equal(t, "a", next, "all conditions hold; the first matching path wins")
	require.Equal(t, 1, path)

	s.Variables = map[string]string{"department": "support"}
	next, path = EvaluateBranch(b, s)
	require.Equal(t, "b", next, "one condition of an all path fails; an any path holds with one")
	require.Equal(t, 2, path)

	s.Tags = []string{"lead"}
	next, path = EvaluateBranch(b, s)
	require.Equal(t, "b", next)
	require.Equal(t, 2, path)

	s.Tags = nil
	next, path = EvaluateBranch(b, s)
	require.Equal(t, "else", next, "no path holds: else")
	require.Equal(t, -1, path)

	next, path = EvaluateBranch(Branch{}, s)
	require.Equal(t, "", next, "an empty else ends the flow")
	require.Equal(t, -1, path)

	// A path without conditions never holds, even with match all.
	next, path = EvaluateBranch(Branch{Paths: []BranchPath{{Match: "all", Next: "x"}}, ElseNext: "y"}, s)
	require.Equal(t, "y", next)
	require.Equal(t, -1, path)
}

func branchFlow(cs ...Condition) Flow {
	return Flow{Trigger: Trigger{Type: TriggerManual, Next: "br"}, Steps: []Step{
		{ID: "br", Type: StepBranch, Branch: &Branch{Paths: []BranchPath{{Match: "all", Conditions: cs, Next: "end"}}}},
		{ID: "end", Type: StepOpenConversation},
	}}
}

func TestValidateConditions(t *testing.T) {
	ok := Condition{Category: "contact_tag", Operator: "exists"}
	bad := []struct {
		c     Condition
		field string
		msg   string
	}{
		{Condition{Category: "contact_tag", Operator: "gt", Value: "1"}, "operator", "does not apply to contact_tag"},
		{Condition{Category: "contact_tag", Operator: "lt", Value: "1"}, "operator", "does not apply"},
		{Condition{Category: "lifecycle", Operator: "contains", Value: "lead"}, "operator", "does not apply to lifecycle"},
		{Condition{Category: "lifecycle", Operator: "gt", Value: "1"}, "operator", "does not apply"},
		{Condition{Category: "assignee", Operator: "contains", Value: "7"}, "operator", "does not apply to assignee"},
		{Condition{Category: "assignee", Operator: "gt", Value: "7"}, "operator", "does not apply"},
		{Condition{Category: "inbox", Operator: "starts_with", Value: "7"}, "operator", "does not apply to inbox"},
		{Condition{Category: "assignee_status", Operator: "exists"}, "operator", "does not apply to assignee_status"},
		{Condition{Category: "assignee_status", Operator: "contains", Value: "on"}, "operator", "does not apply"},
		{Condition{Category: "team", Operator: "lt", Value: "3"}, "operator", "does not apply to team"},
		{Condition{Category: "channel", Operator: "contains", Value: "tele"}, "operator", "does not apply to channel"},
		{Condition{Category: "channel", Operator: "exists"}, "operator", "does not apply"},
		{Condition{Category: "conversation_status", Operator: "contains", Value: "op"}, "operator", "does not apply to conversation_status"},
		{Condition{Category: "last_incoming_message", Operator: "gt", Value: "1"}, "operator", "does not apply to last_incoming_message"},
		{Condition{Category: "contact_field", Operator: "eq", Value: "x"}, "field", "field is required"},
		{Condition{Category: "contact_field", Field: "  ", Operator: "eq", Value: "x"}, "field", "field is required"},
		{Condition{Category: "variable", Operator: "exists"}, "field", "field is required"},
		{Condition{Category: "contact_tag", Field: "tags", Operator: "eq", Value: "x"}, "field", "only contact_field and variable"},
		{Condition{Category: "lifecycle", Field: "lifecycle", Operator: "eq", Value: "x"}, "field", "only contact_field and variable"},
		{Condition{Category: "contact_field", Field: "email", Operator: "eq"}, "value", "value is required"},
		{Condition{Category: "contact_tag", Operator: "contains", Value: " "}, "value", "value is required"},
		{Condition{Category: "contact_field", Field: "email", Operator: "exists", Value: "x"}, "value", "takes no value"},
		{Condition{Category: "contact_field", Field: "age", Operator: "gt", Value: "ten"}, "value", "numbers or dates"},
		{Condition{Category: "variable", Field: "when", Operator: "lt", Value: "31/12/2025"}, "value", "numbers or dates"},
		{Condition{Category: "assignee", Operator: "eq", Value: "ana"}, "value", "user id or unassigned"},
		{Condition{Category: "assignee", Operator: "eq", Value: "0"}, "value", "user id"},
		{Condition{Category: "inbox", Operator: "eq", Value: "mine"}, "value", "user id or unassigned"},
		{Condition{Category: "team", Operator: "eq", Value: "unassigned"}, "value", "team id"},
		{Condition{Category: "team", Operator: "neq", Value: "-3"}, "value", "team id"},
		{Condition{Category: "assignee_status", Operator: "eq", Value: "busy"}, "value", "online, away, offline, unassigned"},
		{Condition{Category: "conversation_status", Operator: "eq", Value: "snoozed"}, "value", "open, closed"},
		{Condition{Category: "channel", Operator: "eq", Value: "tele gram"}, "value", "channel id or a channel type"},
		{Condition{Category: "channel", Operator: "eq", Value: "-1"}, "value", "channel id"},
		{Condition{Category: "weather", Operator: "eq", Value: "x"}, "category", "must be one of"},
		{Condition{Category: "contact_tag", Operator: "like", Value: "x"}, "operator", "must be one of"},
	}
	for _, tc := range bad {
		t.Run(fmt.Sprintf("%s %s %q", tc.c.Category, tc.c.Operator, tc.c.Value), func(t *testing.T) {
			// The problem points at the condition: the third of its path here.
			ps := ValidateDraft(branchFlow(ok, ok, tc.c))
			field := "branch.paths[0].conditions[2]." + tc.field
			require.True(t, hasProblem(ps, "br", field, tc.msg), "want %s %q in %v", field, tc.msg, ps)
			for _, p := range ps {
				require.Contains(t, p.Field, "conditions[2]", "only the bad condition is reported: %v", ps)
			}
		})
	}

	good := []Condition{
		{Category: "contact_field", Field: "email", Operator: "contains", Value: "@example.com"},
		{Category: "contact_field", Field: "age", Operator: "gt", Value: "18"},
		{Category: "contact_field", Field: "signup", Operator: "lt", Value: "2025-01-01"},
		{Category: "contact_field", Field: "signup", Operator: "lt", Value: "2025-01-01T10:00:00+02:00"},
		{Category: "contact_field", Field: "phone", Operator: "not_exists"},
		{Category: "variable", Field: "department", Operator: "starts_with", Value: "Sa"},
		{Category: "variable", Field: "score", Operator: "lt", Value: "-2.5"},
		{Category: "contact_tag", Operator: "eq", Value: "vip"},
		{Category: "contact_tag", Operator: "not_contains", Value: "spam"},
		{Category: "contact_tag", Operator: "not_exists"},
		{Category: "lifecycle", Operator: "eq", Value: "Customer"},
		{Category: "lifecycle", Operator: "exists"},
		{Category: "assignee", Operator: "eq", Value: "7"},
		{Category: "assignee", Operator: "neq", Value: "unassigned"},
		{Category: "assignee", Operator: "not_exists"},
		{Category: "inbox", Operator: "eq", Value: "Unassigned"},
		{Category: "inbox", Operator: "neq", Value: "12"},
		{Category: "assignee_status", Operator: "eq", Value: "online"},
		{Category: "assignee_status", Operator: "neq", Value: "Offline"},
		{Category: "team", Operator: "eq", Value: "3"},
		{Category: "team", Operator: "exists"},
		{Category: "channel", Operator: "eq", Value: "12"},
		{Category: "channel", Operator: "neq", Value: "whatsapp_cloud"},
		{Category: "conversation_status", Operator: "eq", Value: "closed"},
		{Category: "conversation_status", Operator: "not_exists"},
		{Category: "last_incoming_message", Operator: "contains", Value: "refund"},
		{Category: "last_incoming_message", Operator: "exists"},
	}
	require.Empty(t, Validate(branchFlow(good[:MaxConditions]...)))
	for _, c := range good {
		require.Empty(t, Validate(branchFlow(c)), "%+v", c)
	}
}

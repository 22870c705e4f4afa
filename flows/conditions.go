package flows

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Snapshot is what branch conditions can see about the contact at the time the Branch step runs.
type Snapshot struct {
	// Contact holds the standard fields (first_name, last_name, name, phone, email, language,
	// country_code, lifecycle) and custom fields by slug, as strings (lists joined by ", ").
	Contact            map[string]string
	Tags               []string
	Variables          map[string]string
	AssigneeID         int64  // 0 = unassigned
	AssigneeStatus     string // online | away | offline | "" (unassigned)
	TeamID             int64  // 0 = no team
	ChannelID          int64  // the last interacted channel (0 = none)
	ChannelType        string // telegram, custom, whatsapp, …
	ConversationStatus string // open | closed | "" (never had one)
	// LastIncomingMessage is the text of the contact's last incoming message ("" none).
	LastIncomingMessage string
}

// Operator groups.
var (
	textOperators    = []string{"eq", "neq", "contains", "not_contains", "starts_with", "exists", "not_exists"}
	compareOperators = append(slices.Clone(textOperators), "gt", "lt")
	isOperators      = []string{"eq", "neq", "exists", "not_exists"}
)

// conditionOperators lists the operators that make sense for each category.
var conditionOperators = map[string][]string{
	"contact_field":         compareOperators,
	"variable":              compareOperators,
	"contact_tag":           textOperators,
	"last_incoming_message": textOperators,
	"lifecycle":             isOperators,
	"assignee":              isOperators,
	"inbox":                 isOperators,
	"team":                  isOperators,
	"conversation_status":   isOperators,
	"assignee_status":       {"eq", "neq"},
	"channel":               {"eq", "neq"},
}

// ConditionOperatorsFor lists the operators a condition of category may use (nil for an unknown
// category), in ConditionOperators' order.
func ConditionOperatorsFor(category string) []string {
	return slices.Clone(conditionOperators[category])
}

// The values assignee_status and conversation_status conditions compare with.
var (
	AssigneeStatuses     = []string{"online", "away", "offline", "unassigned"}
	ConversationStatuses = []string{"open", "closed"}
)

// channelTypePattern is the shape of a channel type ("telegram", "whatsapp_cloud").
var channelTypePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

const unassigned = "unassigned"

// EvaluateCondition reports whether c holds for the contact in s.
//
// Text comparisons ignore case and surrounding spaces. eq, contains and starts_with compare the
// whole value; neq and not_contains are their negations. exists holds for a non-empty value. gt and
// lt compare numbers when both sides are numbers, else dates (YYYY-MM-DD, or RFC 3339; a date is
// midnight UTC), else they do not hold.
//
// Per category: contact_field reads Contact[Field], variable Variables[Field], lifecycle
// Contact["lifecycle"], last_incoming_message the last incoming text. contact_tag looks at every
// tag: eq holds when the contact has the tag Value, contains and starts_with when some tag
// matches, exists when the contact has any tag. assignee and inbox compare the assignee's id with
// Value, where "unassigned" means no assignee; exists means assigned. assignee_status is online,
// away, offline or unassigned. team compares the team id; exists means the contact has a team.
// channel compares the last interacted channel's id when Value is a number, else its type.
// conversation_status is open or closed; exists means the contact has had a conversation.
// Unknown categories and operators, and operators a category does not take, never hold.
func EvaluateCondition(c Condition, s Snapshot) bool {
	if !slices.Contains(conditionOperators[c.Category], c.Operator) {
		return false
	}
	switch c.Category {
	case "contact_field":
		return compareText(s.Contact[c.Field], c.Operator, c.Value)
	case "variable":
		return compareText(s.Variables[c.Field], c.Operator, c.Value)
	case "lifecycle":
		return compareText(s.Contact["lifecycle"], c.Operator, c.Value)
	case "last_incoming_message":
		return compareText(s.LastIncomingMessage, c.Operator, c.Value)
	case "contact_tag":
		return compareTags(s.Tags, c.Operator, c.Value)
	case "assignee", "inbox":
		return compareID(s.AssigneeID, c.Operator, c.Value, true)
	case "team":
		return compareID(s.TeamID, c.Operator, c.Value, false)
	case "assignee_status":
		status := fold(s.AssigneeStatus)
		if s.AssigneeID == 0 || status == "" {
			status = unassigned
		}
		return negate(c.Operator, status == fold(c.Value))
	case "channel":
		v := strings.TrimSpace(c.Value)
		var same bool
		if id, ok := parseID(v); ok {
			same = s.ChannelID == id
		} else {
			same = v != "" && fold(s.ChannelType) == fold(v)
		}
		return negate(c.Operator, same)
	case "conversation_status":
		return compareText(s.ConversationStatus, c.Operator, c.Value)
	}
	return false
}

// EvaluateBranch returns the next step id and the index of the path taken: the first path whose
// conditions hold (Match "all": every one; "any": at least one), or ElseNext and -1. A path
// without conditions, or with an unknown Match, never holds.
func EvaluateBranch(b Branch, s Snapshot) (next string, path int) {
	for i, p := range b.Paths {
		if pathHolds(p, s) {
			return p.Next, i
		}
	}
	return b.ElseNext, -1
}

func pathHolds(p BranchPath, s Snapshot) bool {
	if len(p.Conditions) == 0 {
		return false
	}
	switch p.Match {
	case "all":
		for _, c := range p.Conditions {
			if !EvaluateCondition(c, s) {
				return false
			}
		}
		return true
	case "any":
		return slices.ContainsFunc(p.Conditions, func(c Condition) bool { return EvaluateCondition(c, s) })
	}
	return false
}

// fold is the form text comparisons use: trimmed and lower case.
func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// negate turns the answer of eq (or contains) into the answer of op: neq and not_contains negate it.
func negate(op string, holds bool) bool {
	if op == "neq" || op == "not_contains" {
		return !holds
	}
	return holds
}

func compareText(have, op, want string) bool {
	h, w := fold(have), fold(want)
	switch op {
	case "eq", "neq":
		return negate(op, h == w)
	case "contains", "not_contains":
		return negate(op, strings.Contains(h, w))
	case "starts_with":
		return strings.HasPrefix(h, w)
	case "exists":
		return h != ""
	case "not_exists":
		return h == ""
	case "gt", "lt":
		cmp, ok := compareOrdered(have, want)
		if !ok {
			return false
		}
		if op == "gt" {
			return cmp > 0
		}
		return cmp < 0
	}
	return false
}

// compareTags: eq, contains and starts_with hold when some tag matches; exists when there is any.
func compareTags(tags []string, op, want string) bool {
	w := fold(want)
	some := func(match func(tag string) bool) bool {
		return slices.ContainsFunc(tags, func(t string) bool { t = fold(t); return t != "" && match(t) })
	}
	switch op {
	case "eq", "neq":
		return negate(op, some(func(t string) bool { return t == w }))
	case "contains", "not_contains":
		return negate(op, some(func(t string) bool { return strings.Contains(t, w) }))
	case "starts_with":
		return some(func(t string) bool { return strings.HasPrefix(t, w) })
	case "exists":
		return some(func(string) bool { return true })
	case "not_exists":
		return !some(func(string) bool { return true })
	}
	return false
}

// compareID compares an id (0 = none) with a decimal id, or with "unassigned" when allowed.
func compareID(have int64, op, want string, allowUnassigned bool) bool {
	switch op {
	case "exists":
		return have != 0
	case "not_exists":
		return have == 0
	}
	w := strings.TrimSpace(want)
	var same bool
	if allowUnassigned && strings.EqualFold(w, unassigned) {
		same = have == 0
	} else if id, ok := parseID(w); ok {
		same = have == id
	}
	return negate(op, same)
}

// parseID parses a positive decimal id.
func parseID(s string) (int64, bool) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false // no sign
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// compareOrdered compares two values as numbers, or else as dates; ok is false when neither
// reading fits both.
func compareOrdered(a, b string) (cmp int, ok bool) {
	if x, ok1 := parseNumber(a); ok1 {
		if y, ok2 := parseNumber(b); ok2 {
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
	}
	if x, ok1 := parseDate(a); ok1 {
		if y, ok2 := parseDate(b); ok2 {
			return x.Compare(y), true
		}
	}
	return 0, false
}

// parseNumber reads a finite decimal number ("3", "-2.5", "1e3"); hexadecimal, underscores,
// infinities and NaN are not numbers here.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "xXpP_") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// parseDate reads a YYYY-MM-DD date (midnight UTC) or an RFC 3339 date-time.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// validateCondition reports what makes no sense in a condition; field is its JSON path.
func validateCondition(c Condition, field string, add func(field, format string, args ...any)) {
	ops, known := conditionOperators[c.Category]
	if !known || !slices.Contains(ConditionOperators, c.Operator) {
		return // the vocabulary checks report these
	}
	if !slices.Contains(ops, c.Operator) {
		add(field+".operator", "operator %s does not apply to %s conditions (use %s)", c.Operator, c.Category, strings.Join(ops, ", "))
		return
	}
	if c.Category == "contact_field" || c.Category == "variable" {
		if strings.TrimSpace(c.Field) == "" {
			add(field+".field", "field is required for category %s", c.Category)
		}
	} else if c.Field != "" {
		add(field+".field", "only contact_field and variable conditions name a field")
	}
	v := strings.TrimSpace(c.Value)
	if c.Operator == "exists" || c.Operator == "not_exists" {
		if c.Value != "" {
			add(field+".value", "operator %s takes no value", c.Operator)
		}
		return
	}
	if v == "" {
		add(field+".value", "value is required for operator %s", c.Operator)
		return
	}
	switch c.Category {
	case "assignee", "inbox":
		if _, ok := parseID(v); !ok && !strings.EqualFold(v, unassigned) {
			add(field+".value", "value must be a user id or unassigned")
		}
	case "team":
		if _, ok := parseID(v); !ok {
			add(field+".value", "value must be a team id")
		}
	case "assignee_status":
		if !slices.Contains(AssigneeStatuses, fold(v)) {
			add(field+".value", "value must be one of %s", strings.Join(AssigneeStatuses, ", "))
		}
	case "conversation_status":
		if !slices.Contains(ConversationStatuses, fold(v)) {
			add(field+".value", "value must be one of %s", strings.Join(ConversationStatuses, ", "))
		}
	case "channel":
		if _, ok := parseID(v); !ok && !channelTypePattern.MatchString(fold(v)) {
			add(field+".value", "value must be a channel id or a channel type such as telegram")
		}
	}
	if c.Operator == "gt" || c.Operator == "lt" {
		_, num := parseNumber(v)
		_, date := parseDate(v)
		if !num && !date {
			add(field+".value", "operator %s compares numbers or dates (YYYY-MM-DD); %q is neither", c.Operator, v)
		}
	}
}

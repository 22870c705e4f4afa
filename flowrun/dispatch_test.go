package flowrun

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter/flows"
)

func TestMatch(t *testing.T) {
	opened := func(source string) Event {
		return Event{Type: "conversation.opened", ContactID: 1, ConversationID: 7, Payload: map[string]any{"source": source}}
	}
	closed := func(source, category string) Event {
		return Event{Type: "conversation.closed", ContactID: 1, ConversationID: 7, Payload: map[string]any{
			"conversation": map[string]any{"closed_source": source, "category": category, "summary": "done"}}}
	}
	tag := func(action, name string) Event {
		return Event{Type: "contact.tag_" + action, ContactID: 1, Payload: map[string]any{"tag": name}}
	}
	field := func(name string) Event {
		return Event{Type: "contact.field_changed", ContactID: 1, Payload: map[string]any{"field": name, "old": nil, "new": []any{"x", "y"}}}
	}
	openedAny := flows.Trigger{Type: flows.TriggerConversationOpened}
	openedContact := flows.Trigger{Type: flows.TriggerConversationOpened, ConversationOpened: &flows.ConversationOpenedTrigger{Sources: []string{"contact"}}}
	closedAny := flows.Trigger{Type: flows.TriggerConversationClosed}
	closedFiltered := flows.Trigger{Type: flows.TriggerConversationClosed, ConversationClosed: &flows.ConversationClosedTrigger{
		Sources: []string{"user", "auto_close"}, Categories: []string{"Resolved"}}}
	tagAdded := flows.Trigger{Type: flows.TriggerContactTagUpdated, ContactTagUpdated: &flows.ContactTagUpdatedTrigger{Action: "added", Tags: []string{"VIP", "lead"}}}
	fieldEmail := flows.Trigger{Type: flows.TriggerContactFieldUpdated, ContactFieldUpdated: &flows.ContactFieldUpdatedTrigger{Field: "email"}}
	manual := flows.Trigger{Type: flows.TriggerManual}

	cases := []struct {
		name string
		t    flows.Trigger
		e    Event
		want bool
	}{
		{"opened, any source", openedAny, opened("user"), true},
		{"opened by the contact", openedContact, opened("contact"), true},
		{"opened by a user, contact only", openedContact, opened("user"), false},
		{"opened source from the conversation", openedContact, Event{Type: "conversation.opened", ContactID: 1,
			Payload: map[string]any{"conversation": map[string]any{"opened_source": "contact"}}}, true},
		{"closed, any", closedAny, closed("workflow", ""), true},
		{"closed by a user with the category", closedFiltered, closed("user", "resolved"), true},
		{"closed by auto-close with the category", closedFiltered, closed("auto_close", "Resolved"), true},
		{"closed by a flow", closedFiltered, closed("workflow", "Resolved"), false},
		{"closed with another category", closedFiltered, closed("user", "Spam"), false},
		{"opened does not fire closed", closedAny, opened("contact"), false},
		{"tag added", tagAdded, tag("added", "vip"), true},
		{"other tag added", tagAdded, tag("added", "cold"), false},
		{"tag removed, added wanted", tagAdded, tag("removed", "VIP"), false},
		{"field changed", fieldEmail, field("email"), true},
		{"other field changed", fieldEmail, field("phone"), false},
		{"manual never fires on events", manual, opened("contact"), false},
		{"unknown event", openedAny, Event{Type: "message.created", ContactID: 1}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vars, ok := Match(c.t, c.e)
			require.Equal(t, c.want, ok)
			if ok && c.e.ConversationID != 0 {
				require.Equal(t, "7", vars["conversation_id"])
			}
		})
	}
	vars, _ := Match(closedAny, closed("user", "Resolved"))
	require.Equal(t, map[string]string{"conversation_id": "7", "source": "user", "category": "Resolved", "summary": "done"}, vars)
	vars, _ = Match(fieldEmail, field("email"))
	require.Equal(t, map[string]string{"field": "email", "old_value": "", "new_value": "x, y"}, vars)
	vars, _ = Match(tagAdded, tag("added", "lead"))
	require.Equal(t, "lead", vars["tag"])
	require.Equal(t, "added", vars["action"])
}

func TestTriggerTypeOf(t *testing.T) {
	require.Equal(t, flows.TriggerConversationOpened, triggerTypeOf("conversation.opened"))
	require.Equal(t, flows.TriggerConversationClosed, triggerTypeOf("conversation.closed"))
	require.Equal(t, flows.TriggerContactTagUpdated, triggerTypeOf("contact.tag_removed"))
	require.Equal(t, flows.TriggerContactFieldUpdated, triggerTypeOf("contact.field_changed"))
	require.Empty(t, triggerTypeOf("contact.updated"))
}

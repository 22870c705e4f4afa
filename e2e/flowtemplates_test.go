package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/flows"
)

// Each built-in flow template, created through the template API, published and run on real
// conversations that contacts open through the fake Telegram.

// tplUpdate is a private-chat text message from chat (and user) chatID.
func tplUpdate(updateID int, chatID int64, firstName, text string) string {
	return fmt.Sprintf(`{"update_id":%d,"message":{"date":1441645532,"chat":{"id":%d,"type":"private","first_name":%q},"message_id":%d,"from":{"id":%d,"first_name":%q,"language_code":"en"},"text":%q}}`,
		updateID, chatID, firstName, updateID, chatID, firstName, text)
}

// tplCallback is a press of the inline button whose callback data is data, in chat chatID.
func tplCallback(updateID int, chatID int64, data string) string {
	return fmt.Sprintf(`{"update_id":%d,"callback_query":{"id":"cb-%d","from":{"id":%d,"first_name":"Test"},"message":{"message_id":%d,"chat":{"id":%d,"type":"private"},"date":1493843400},"chat_instance":"x","data":%q}}`,
		updateID, updateID, chatID, updateID, chatID, data)
}

// tplChat is the Telegram channel contacts write to, numbering the updates it delivers.
type tplChat struct {
	b       *bundle
	chID    int64
	updates int
}

func tplNewChat(b *bundle) *tplChat { return &tplChat{b: b, chID: b.createTelegramChannel()} }

// write delivers a message from the contact of chatID (named firstName, unique per test) and
// returns the contact's open conversation.
func (c *tplChat) write(chatID int64, firstName, text string) chatcenter.Conversation {
	c.b.t.Helper()
	c.updates++
	c.b.postUpdate(c.chID, tplUpdate(c.updates, chatID, firstName, text), http.StatusOK)
	return tplOpenConversationOf(c.b, firstName)
}

// press delivers a button press from chatID.
func (c *tplChat) press(chatID int64, data string) {
	c.b.t.Helper()
	c.updates++
	c.b.postUpdate(c.chID, tplCallback(c.updates, chatID, data), http.StatusOK)
}

// tplOpenConversationOf waits for the open conversation of the contact named firstName.
func tplOpenConversationOf(b *bundle, firstName string) chatcenter.Conversation {
	b.t.Helper()
	var conv chatcenter.Conversation
	b.eventually("an open conversation of "+firstName, func() bool {
		var l list[struct {
			chatcenter.Conversation
			Contact struct {
				FirstName string `json:"first_name"`
			} `json:"contact"`
		}]
		b.do("GET", "/api/v1/conversations?status=open&limit=100", "", nil, http.StatusOK, &l)
		for _, r := range l.Items {
			if r.Contact.FirstName == firstName {
				conv = r.Conversation
				return true
			}
		}
		return false
	})
	return conv
}

func tplConversation(b *bundle, id int64) chatcenter.Conversation {
	b.t.Helper()
	var conv chatcenter.Conversation
	b.do("GET", fmt.Sprintf("/api/v1/conversations/%d", id), "", nil, http.StatusOK, &conv)
	return conv
}

func tplContact(b *bundle, id int64) chatcenter.Contact {
	b.t.Helper()
	var ct chatcenter.Contact
	b.do("GET", fmt.Sprintf("/api/v1/contacts/%d", id), "", nil, http.StatusOK, &ct)
	return ct
}

// tplAgent is a user of the workspace, logged in.
type tplAgent struct {
	ID    int64
	Name  string
	Token string
}

// tplNewAgent adds an agent named name and sets their availability through the API.
func tplNewAgent(b *bundle, name string, availability chatcenter.Availability) tplAgent {
	b.t.Helper()
	const pw = "template agent password"
	email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@templates.example"
	hash, err := hashForTest(pw)
	require.NoError(b.t, err)
	u, err := b.db.UserInsert(context.Background(), dbsqlc.UserInsertParams{
		WorkspaceID: b.owner.WorkspaceID, Email: email, PasswordHash: hash, Name: name, Role: string(chatcenter.RoleAgent),
	})
	require.NoError(b.t, err)
	var login struct {
		Token string `json:"token"`
	}
	b.request("POST", "/api/v1/auth/login", nil, map[string]any{"email": email, "password": pw}, http.StatusOK, &login)
	var me chatcenter.User
	b.do("PUT", "/api/v1/me/availability", login.Token, map[string]any{"availability": availability}, http.StatusOK, &me)
	require.Equal(b.t, availability, me.Availability)
	return tplAgent{ID: u.ID, Name: name, Token: login.Token}
}

// tplTeam creates a team with the agents as members.
func tplTeam(b *bundle, name string, members ...tplAgent) int64 {
	b.t.Helper()
	var team struct {
		ID int64 `json:"id"`
	}
	b.do("POST", "/api/v1/teams", "", map[string]any{"name": name}, http.StatusCreated, &team)
	ids := []int64{}
	for _, m := range members {
		ids = append(ids, m.ID)
	}
	b.do("PUT", fmt.Sprintf("/api/v1/teams/%d/members", team.ID), "", map[string]any{"user_ids": ids}, http.StatusOK, nil)
	return team.ID
}

// tplFromTemplate creates a draft from template key with params (nil: none).
func tplFromTemplate(b *bundle, key string, params map[string]int64) flowsView {
	b.t.Helper()
	body := map[string]any{}
	if params != nil {
		body["params"] = params
	}
	var f flowsView
	b.do("POST", "/api/v1/flows/templates/"+key, "", body, http.StatusCreated, &f)
	require.Equal(b.t, "draft", f.Status)
	return f
}

// tplReplaceDraft saves def as the flow's draft.
func tplReplaceDraft(b *bundle, id int64, def flows.Flow) {
	b.t.Helper()
	b.do("PATCH", fmt.Sprintf("/api/v1/flows/%d", id), "", map[string]any{"definition": def}, http.StatusOK, nil)
}

func tplPublish(b *bundle, id int64) {
	b.t.Helper()
	var f flowsView
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/publish", id), "", nil, http.StatusOK, &f)
	require.Equal(b.t, "published", f.Status)
}

// tplRuns are the flow's runs for one contact, newest first.
func tplRuns(b *bundle, flowID, contactID int64) []dbsqlc.FlowRun {
	b.t.Helper()
	runs, err := b.db.FlowRunList(context.Background(), dbsqlc.FlowRunListParams{
		WorkspaceID: b.owner.WorkspaceID, FlowID: flowID, ContactID: &contactID, Max: 100})
	require.NoError(b.t, err)
	return runs
}

// tplWaitRun waits until the contact's only run of the flow has status.
func tplWaitRun(b *bundle, flowID, contactID int64, status string) dbsqlc.FlowRun {
	b.t.Helper()
	var run dbsqlc.FlowRun
	b.eventually(fmt.Sprintf("flow %d run of contact %d %s", flowID, contactID, status), func() bool {
		runs := tplRuns(b, flowID, contactID)
		if len(runs) == 1 && runs[0].Status == status {
			run = runs[0]
			return true
		}
		return false
	})
	return run
}

// tplAssigned waits for the flow's run to complete and returns the conversation's assignee.
func tplAssigned(b *bundle, flowID int64, conv chatcenter.Conversation) int64 {
	b.t.Helper()
	run := tplWaitRun(b, flowID, conv.ContactID, "completed")
	require.Nil(b.t, run.Error)
	got := tplConversation(b, conv.ID)
	require.NotNil(b.t, got.AssigneeID, "conversation %d unassigned after the flow", conv.ID)
	return *got.AssigneeID
}

// tplChatID reads the chat a Telegram call is addressed to.
func tplChatID(c tgCall) int64 {
	switch v := c.Body["chat_id"].(type) {
	case float64:
		return int64(v)
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}

// tplSentTo are the texts sent to chatID, oldest first.
func tplSentTo(b *bundle, chatID int64) []string {
	var out []string
	for _, c := range b.telegram.callsTo("sendMessage") {
		if tplChatID(c) == chatID {
			out = append(out, fmt.Sprint(c.Body["text"]))
		}
	}
	return out
}

// tplOpenAssigned gives the agent one more open conversation: a contact created and opened by
// the owner through the API (source user, so contact-opened flows stay out) and assigned by hand.
func tplOpenAssigned(b *bundle, name string, agentID int64) int64 {
	b.t.Helper()
	var ct chatcenter.Contact
	b.do("POST", "/api/v1/contacts", "", map[string]any{"first_name": name}, http.StatusCreated, &ct)
	var conv chatcenter.Conversation
	b.do("POST", fmt.Sprintf("/api/v1/contacts/%d/conversation/open", ct.ID), "", nil, http.StatusOK, &conv)
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/assign", conv.ID), "", map[string]any{"user_id": agentID}, http.StatusOK, &conv)
	require.NotNil(b.t, conv.AssigneeID)
	require.Equal(b.t, agentID, *conv.AssigneeID)
	return conv.ID
}

// tplStep returns def's step with id, to read or change its options.
func tplStep(t *testing.T, def *flows.Flow, id string) *flows.Step {
	i := slices.IndexFunc(def.Steps, func(s flows.Step) bool { return s.ID == id })
	require.GreaterOrEqual(t, i, 0, "template has no step %q", id)
	return &def.Steps[i]
}

// TestFlowTemplate_close_conversation_resume_bot: a contact whose bot was paused gets it back
// when an agent closes the conversation; without the flow, closing leaves the bot paused.
func TestFlowTemplate_close_conversation_resume_bot(t *testing.T) {
	b := setup(t)
	chat := tplNewChat(b)
	pausedConversation := func(chatID int64, name string) chatcenter.Conversation {
		conv := chat.write(chatID, name, "hello")
		var ct chatcenter.Contact
		b.do("POST", fmt.Sprintf("/api/v1/contacts/%d/bot/pause", conv.ContactID), "", nil, http.StatusOK, &ct)
		require.True(t, ct.BotPaused)
		return conv
	}
	closeIt := func(conv chatcenter.Conversation) {
		b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/close", conv.ID), "", map[string]any{}, http.StatusOK, nil)
	}

	// Closed before the flow is published.
	before := pausedConversation(7001, "Bea")
	closeIt(before)

	f := tplFromTemplate(b, "close_conversation_resume_bot", nil)
	tplPublish(b, f.ID)
	conv := pausedConversation(7002, "Cid")
	require.Empty(t, tplRuns(b, f.ID, conv.ContactID), "opening does not trigger a closed flow")
	closeIt(conv)
	run := tplWaitRun(b, f.ID, conv.ContactID, "completed")
	require.Nil(t, run.Error)
	require.Equal(t, "resume", *run.CurrentStep)
	require.False(t, tplContact(b, conv.ContactID).BotPaused, "closing turned the bot back on")

	require.Empty(t, tplRuns(b, f.ID, before.ContactID))
	require.True(t, tplContact(b, before.ContactID).BotPaused, "closing alone does not resume the bot")
}

// TestFlowTemplate_assign_to_agent: conversations go in turn to the workspace's online agents;
// an agent who is away or offline (the owner is offline) never gets one.
func TestFlowTemplate_assign_to_agent(t *testing.T) {
	b := setup(t)
	chat := tplNewChat(b)
	ana := tplNewAgent(b, "Ana Agent", chatcenter.AvailabilityOnline)
	ben := tplNewAgent(b, "Ben Agent", chatcenter.AvailabilityOnline)
	away := tplNewAgent(b, "Ada Away", chatcenter.AvailabilityAway)
	off := tplNewAgent(b, "Otto Offline", chatcenter.AvailabilityOffline)
	f := tplFromTemplate(b, "assign_to_agent", nil)
	tplPublish(b, f.ID)

	var got []int64
	for i, name := range []string{"Cara", "Dan", "Eve", "Finn"} {
		conv := chat.write(int64(7101+i), name, "hi")
		got = append(got, tplAssigned(b, f.ID, conv))
	}
	for _, id := range got {
		require.Contains(t, []int64{ana.ID, ben.ID}, id, "only online agents: %v (away %d, offline %d, owner %d)", got, away.ID, off.ID, b.owner.ID)
	}
	require.NotEqual(t, got[0], got[1], "round robin: %v", got)
	require.Equal(t, got[0], got[2], "round robin: %v", got)
	require.Equal(t, got[1], got[3], "round robin: %v", got)
}

// TestFlowTemplate_sales_round_robin: conversations go to the sales team's agents in turn,
// whatever their availability (the template does not ask for online agents); nobody outside the
// team gets one.
func TestFlowTemplate_sales_round_robin(t *testing.T) {
	b := setup(t)
	chat := tplNewChat(b)
	s1 := tplNewAgent(b, "Sam Sales", chatcenter.AvailabilityOnline)
	s2 := tplNewAgent(b, "Sue Sales", chatcenter.AvailabilityOffline)
	s3 := tplNewAgent(b, "Sid Sales", chatcenter.AvailabilityAway)
	outsider := tplNewAgent(b, "Olga Outsider", chatcenter.AvailabilityOnline)
	team := tplTeam(b, "Sales", s1, s2, s3)
	f := tplFromTemplate(b, "sales_round_robin", map[string]int64{"team_id": team})
	require.Equal(t, "team", tplStep(t, &f.Draft, "assign").AssignTo.Action)
	tplPublish(b, f.ID)

	var got []int64
	for i, name := range []string{"Cara", "Dan", "Eve", "Finn", "Gus", "Hana"} {
		conv := chat.write(int64(7201+i), name, "I want to buy")
		got = append(got, tplAssigned(b, f.ID, conv))
	}
	require.ElementsMatch(t, []int64{s1.ID, s2.ID, s3.ID}, got[:3], "each sales agent once in turn: %v", got)
	require.Equal(t, got[:3], got[3:], "then the same turn again: %v", got)
	require.NotContains(t, got, outsider.ID)
}

// TestFlowTemplate_support_round_robin_online: conversations go in turn to the support team's
// online agents only.
func TestFlowTemplate_support_round_robin_online(t *testing.T) {
	b := setup(t)
	chat := tplNewChat(b)
	p1 := tplNewAgent(b, "Pia Support", chatcenter.AvailabilityOnline)
	p2 := tplNewAgent(b, "Pat Support", chatcenter.AvailabilityOnline)
	away := tplNewAgent(b, "Pam Away", chatcenter.AvailabilityAway)
	off := tplNewAgent(b, "Pete Offline", chatcenter.AvailabilityOffline)
	outsider := tplNewAgent(b, "Olga Outsider", chatcenter.AvailabilityOnline)
	team := tplTeam(b, "Support", p1, p2, away, off)
	f := tplFromTemplate(b, "support_round_robin_online", map[string]int64{"team_id": team})
	tplPublish(b, f.ID)

	var got []int64
	for i, name := range []string{"Cara", "Dan", "Eve", "Finn"} {
		conv := chat.write(int64(7301+i), name, "it is broken")
		got = append(got, tplAssigned(b, f.ID, conv))
	}
	for _, id := range got {
		require.Contains(t, []int64{p1.ID, p2.ID}, id, "online team members only (away %d, offline %d, outsider %d): %v", away.ID, off.ID, outsider.ID, got)
	}
	require.NotEqual(t, got[0], got[1], "round robin: %v", got)
	require.Equal(t, got[:2], got[2:], "round robin: %v", got)
}

// TestFlowTemplate_support_least_open: a conversation goes to the online support agent with the
// fewest open conversations.
func TestFlowTemplate_support_least_open(t *testing.T) {
	b := setup(t)
	chat := tplNewChat(b)
	busy := tplNewAgent(b, "Bo Busy", chatcenter.AvailabilityOnline)
	free := tplNewAgent(b, "Fay Free", chatcenter.AvailabilityOnline)
	away := tplNewAgent(b, "Al Away", chatcenter.AvailabilityAway)
	team := tplTeam(b, "High touch", busy, free, away)
	tplOpenAssigned(b, "Old One", busy.ID)
	tplOpenAssigned(b, "Old Two", busy.ID)
	f := tplFromTemplate(b, "support_least_open", map[string]int64{"team_id": team})
	tplPublish(b, f.ID)

	// Bo has 2 open, Fay 0, Al (away, 0) is not offered any.
	first := tplAssigned(b, f.ID, chat.write(7401, "Cara", "help"))
	require.Equal(t, free.ID, first, "fewest open conversations")
	second := tplAssigned(b, f.ID, chat.write(7402, "Dan", "help"))
	require.Equal(t, free.ID, second, "Fay has 1 open, Bo 2")
	// 2 each: the tie goes to the one longest without an automatic assignment (Bo never had one).
	third := tplAssigned(b, f.ID, chat.write(7403, "Eve", "help"))
	require.Equal(t, busy.ID, third)
}

// TestFlowTemplate_assigned_agent_message: the contact is assigned to an online agent and told the
// agent's name.
func TestFlowTemplate_assigned_agent_message(t *testing.T) {
	b := setup(t)
	chat := tplNewChat(b)
	maria := tplNewAgent(b, "Maria Lopez", chatcenter.AvailabilityOnline)
	f := tplFromTemplate(b, "assigned_agent_message", nil)
	tplPublish(b, f.ID)

	conv := chat.write(7501, "Ana", "hello")
	require.Equal(t, maria.ID, tplAssigned(b, f.ID, conv))
	b.eventually("the introduction", func() bool { return len(tplSentTo(b, 7501)) == 1 })
	require.Equal(t, []string{"Hi Ana, I'm Maria and I'll be helping you today."}, tplSentTo(b, 7501))
}

// TestFlowTemplate_out_of_hours: the away message goes out only outside business hours.
func TestFlowTemplate_out_of_hours(t *testing.T) {
	b := setup(t)
	chat := tplNewChat(b)
	f := tplFromTemplate(b, "out_of_hours", nil)
	awayText := tplStep(t, &f.Draft, "away").SendMessage.Text

	// As built: Monday to Friday 09:00–18:00 in America/Guayaquil (UTC−5 all year).
	t.Run("template hours", func(t *testing.T) {
		local := time.Now().In(time.FixedZone("ECT", -5*3600))
		minute := local.Hour()*60 + local.Minute()
		if d := min(tplAbs(minute-9*60), tplAbs(minute-18*60)); d < 2 {
			t.Skip("too close to 09:00 or 18:00 in Guayaquil to know which side the flow sees")
		}
		open := local.Weekday() >= time.Monday && local.Weekday() <= time.Friday && minute >= 9*60 && minute < 18*60
		tplPublish(b, f.ID)
		conv := chat.write(7601, "Cara", "anyone there?")
		tplWaitRun(b, f.ID, conv.ContactID, "completed")
		if open {
			require.Empty(t, tplSentTo(b, 7601), "within the template's hours (%s)", local)
		} else {
			b.eventually("the away message", func() bool { return len(tplSentTo(b, 7601)) == 1 })
			require.Equal(t, []string{awayText}, tplSentTo(b, 7601), "outside the template's hours (%s)", local)
		}
	})

	// With the workspace's business hours instead of the template's own.
	def := f.Draft
	hours := tplStep(t, &def, "hours").DateTime
	hours.WorkspaceHours, hours.Timezone, hours.Hours = true, "", nil
	tplReplaceDraft(b, f.ID, def)
	tplPublish(b, f.ID)
	week := func(from, to string) map[string]any {
		days := map[string]any{}
		for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
			days[d] = []map[string]string{{"from": from, "to": to}}
		}
		return map[string]any{"timezone": "UTC", "days": days, "holidays": []any{}}
	}

	t.Run("outside business hours", func(t *testing.T) {
		// One hour a day, twelve hours away from now.
		h := (time.Now().UTC().Hour() + 12) % 24
		b.do("PUT", "/api/v1/settings/business-hours", "", week(fmt.Sprintf("%02d:00", h), fmt.Sprintf("%02d:00", h+1)), http.StatusOK, nil)
		conv := chat.write(7602, "Dan", "hello?")
		tplWaitRun(b, f.ID, conv.ContactID, "completed")
		b.eventually("the away message", func() bool { return len(tplSentTo(b, 7602)) == 1 })
		require.Equal(t, []string{awayText}, tplSentTo(b, 7602))
	})

	t.Run("within business hours", func(t *testing.T) {
		b.do("PUT", "/api/v1/settings/business-hours", "", week("00:00", "24:00"), http.StatusOK, nil)
		conv := chat.write(7603, "Eve", "hello?")
		run := tplWaitRun(b, f.ID, conv.ContactID, "completed")
		require.Nil(t, run.Error)
		require.Empty(t, tplSentTo(b, 7603), "no away message within business hours")
	})
}

func tplAbs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// TestFlowTemplate_agents_at_capacity: when every online agent of the team has 10 open
// conversations the contact waits for one to free up; after the timeout (shortened from 5
// minutes) it is told everyone is busy. An agent with room takes the contact at once, and one
// who frees up while the contact waits takes it then.
func TestFlowTemplate_agents_at_capacity(t *testing.T) {
	b := setup(t)
	chat := tplNewChat(b)
	full := tplNewAgent(b, "Fu Full", chatcenter.AvailabilityOnline)
	idle := tplNewAgent(b, "Ida Idle", chatcenter.AvailabilityOffline)
	team := tplTeam(b, "Support", full, idle)
	var mine []int64
	for i := range 10 {
		mine = append(mine, tplOpenAssigned(b, fmt.Sprintf("Old %d", i), full.ID))
	}
	f := tplFromTemplate(b, "agents_at_capacity", map[string]int64{"team_id": team})
	def := f.Draft
	assign := tplStep(t, &def, "assign").AssignTo
	require.Equal(t, 10, *assign.MaxOpen)
	require.True(t, assign.OnlyOnline)
	require.Equal(t, "busy", assign.TimeoutNext)
	busyText := tplStep(t, &def, "busy").SendMessage.Text
	withTimeout := func(seconds int64) {
		assign.TimeoutSeconds = seconds
		tplReplaceDraft(b, f.ID, def)
		tplPublish(b, f.ID)
	}

	t.Run("everyone busy until the timeout", func(t *testing.T) {
		withTimeout(2)
		conv := chat.write(7701, "Cara", "hello")
		b.eventually("the busy message", func() bool { return len(tplSentTo(b, 7701)) == 1 })
		require.Equal(t, []string{busyText}, tplSentTo(b, 7701))
		run := tplWaitRun(b, f.ID, conv.ContactID, "completed")
		require.Nil(t, run.Error)
		require.Nil(t, tplConversation(b, conv.ID).AssigneeID, "Fu was full and Ida offline")
	})

	t.Run("room at once", func(t *testing.T) {
		// One of Fu's conversations closes: Fu has 9, the next contact is his.
		b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/close", mine[0]), "", map[string]any{}, http.StatusOK, nil)
		next := chat.write(7702, "Dan", "hello")
		require.Equal(t, full.ID, tplAssigned(b, f.ID, next))
		require.Empty(t, tplSentTo(b, 7702), "assigned at once: no busy message")
	})

	t.Run("an agent frees up while the contact waits", func(t *testing.T) {
		withTimeout(120)
		conv := chat.write(7703, "Eve", "hello")
		b.eventually("the run waiting in Assign To", func() bool {
			runs := tplRuns(b, f.ID, conv.ContactID)
			return len(runs) == 1 && runs[0].Status == "running" && runs[0].CurrentStep != nil && *runs[0].CurrentStep == "assign"
		})
		require.Nil(t, tplConversation(b, conv.ID).AssigneeID)
		// Fu closes one (10 → 9): the waiting contact is his.
		b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/close", mine[1]), "", map[string]any{}, http.StatusOK, nil)
		require.Equal(t, full.ID, tplAssigned(b, f.ID, conv), "handed to Fu when his conversation closed")
		require.Empty(t, tplSentTo(b, 7703), "no busy message")
	})
}

// TestFlowTemplate_agent_routing: the contact picks a department with a button and the
// conversation goes to that department's team.
func TestFlowTemplate_agent_routing(t *testing.T) {
	b := setup(t)
	chat := tplNewChat(b)
	sales := tplNewAgent(b, "Sam Sales", chatcenter.AvailabilityOnline)
	support := tplNewAgent(b, "Pia Support", chatcenter.AvailabilityOnline)
	billing := tplNewAgent(b, "Bill Billing", chatcenter.AvailabilityOnline)
	teams := map[string]int64{
		"sales_team_id":   tplTeam(b, "Sales", sales),
		"support_team_id": tplTeam(b, "Support", support),
		"billing_team_id": tplTeam(b, "Billing", billing),
	}
	f := tplFromTemplate(b, "agent_routing", teams)
	tplPublish(b, f.ID)

	for i, tc := range []struct {
		choice string
		agent  tplAgent
		team   int64
	}{
		{"Support", support, teams["support_team_id"]},
		{"Billing", billing, teams["billing_team_id"]},
		{"Sales", sales, teams["sales_team_id"]},
	} {
		t.Run(tc.choice, func(t *testing.T) {
			chatID := int64(7801 + i)
			conv := chat.write(chatID, "Contact "+tc.choice, "hi")
			b.eventually("the question", func() bool { return len(tplSentTo(b, chatID)) == 1 })
			require.Equal(t, []string{"Hi! How can we help you today?"}, tplSentTo(b, chatID))
			var q tgCall
			for _, c := range b.telegram.callsTo("sendMessage") {
				if tplChatID(c) == chatID {
					q = c
				}
			}
			require.Equal(t, map[string]any{"inline_keyboard": []any{
				[]any{map[string]any{"text": "Sales", "callback_data": "Sales"}},
				[]any{map[string]any{"text": "Support", "callback_data": "Support"}},
				[]any{map[string]any{"text": "Billing", "callback_data": "Billing"}},
			}}, q.Body["reply_markup"])
			require.Nil(t, tplConversation(b, conv.ID).AssigneeID, "not assigned before the answer")

			chat.press(chatID, tc.choice)
			require.Equal(t, tc.agent.ID, tplAssigned(b, f.ID, conv))
			var l list[chatcenter.Conversation]
			b.do("GET", fmt.Sprintf("/api/v1/conversations?status=open&team=%d", tc.team), "", nil, http.StatusOK, &l)
			ids := []int64{}
			for _, c := range l.Items {
				ids = append(ids, c.ID)
			}
			raw, _ := json.Marshal(tplConversation(b, conv.ID))
			require.Contains(t, ids, conv.ID, "the conversation is in the %s team's inbox: %s", tc.choice, raw)
		})
	}
}

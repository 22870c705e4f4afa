package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

// visibility is what a user's restrictions let them see of the workspace's contacts and
// conversations: everything, only what is assigned to them, or also what is assigned to their
// team mates (respond.io's show_only_mine / show_team_contacts).
type visibility struct {
	restrictedTo *int64
	teamMates    bool
}

func visibilityOf(u *chatcenter.User) visibility {
	if u.Role == chatcenter.RoleOwner {
		return visibility{}
	}
	switch {
	case u.Restrictions[RestrictShowTeamContacts]:
		return visibility{restrictedTo: &u.ID, teamMates: true}
	case u.Restrictions[RestrictShowOnlyMine]:
		return visibility{restrictedTo: &u.ID}
	}
	return visibility{}
}

// canSee reports whether u may see a contact or conversation assigned to assigneeID. Things the
// user may not see answer 404, exactly as another workspace's would.
func (s *Server) canSee(ctx context.Context, u *chatcenter.User, assigneeID *int64) (bool, error) {
	v := visibilityOf(u)
	if v.restrictedTo == nil {
		return true, nil
	}
	if assigneeID == nil {
		return false, nil
	}
	if *assigneeID == u.ID {
		return true, nil
	}
	if !v.teamMates {
		return false, nil
	}
	return s.DB.TeamMatesAssigned(ctx, dbsqlc.TeamMatesAssignedParams{UserID: u.ID, AssigneeID: *assigneeID})
}

// inboxItem is a conversation as the inbox lists it.
type inboxItem struct {
	chatcenter.Conversation
	Contact     inboxContact `json:"contact"`
	UnreadCount int64        `json:"unread_count"`
}

type inboxContact struct {
	ID        int64  `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

// listConversations is the inbox: folder (all, mine, unassigned, team, mentions), filters (status,
// assignee, team, channel, tag, lifecycle, q) and the caller's restrictions, most recent activity
// first.
func (s *Server) listConversations(c *gin.Context) {
	u := currentUser(c)
	var cur conversationCursor
	limit, hasCursor, err := page(c, &cur)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := visibilityOf(u)
	p := dbsqlc.InboxListParams{UserID: u.ID, WorkspaceID: u.WorkspaceID, Max: limit + 1, VisibleTo: v.restrictedTo, VisibleTeam: v.teamMates}
	switch f := c.Query("folder"); f {
	case "", "all":
	case "mine":
		p.AssigneeID = &u.ID
	case "unassigned":
		p.Unassigned = true
	case "team":
		p.MyTeams = true
	case "mentions":
		p.Mentions = true
	default:
		s.fail(c, invalid("folder must be one of all, mine, unassigned, team, mentions"))
		return
	}
	switch st := c.Query("status"); st {
	case "":
	case string(chatcenter.ConversationOpen), string(chatcenter.ConversationClosed):
		p.Status = &st
	default:
		s.fail(c, invalid("status must be open or closed"))
		return
	}
	switch a := c.Query("assignee"); a {
	case "":
	case "me":
		p.AssigneeID = &u.ID
	case "unassigned":
		p.Unassigned = true
	default:
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			s.fail(c, invalid("assignee must be me, unassigned or a user id"))
			return
		}
		p.AssigneeID = &id
	}
	for name, dst := range map[string]**int64{"channel": &p.ChannelID, "team": &p.TeamID} {
		if v := c.Query(name); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				s.fail(c, invalid("%s must be an id", name))
				return
			}
			*dst = &id
		}
	}
	if t := strings.TrimSpace(c.Query("tag")); t != "" {
		p.Tag = &t
	}
	if l := strings.TrimSpace(c.Query("lifecycle")); l != "" {
		p.Lifecycle = &l
	}
	if q := strings.TrimSpace(c.Query("q")); q != "" {
		if len(q) > 200 {
			s.fail(c, invalid("q must be at most 200 characters"))
			return
		}
		pattern := "%" + likeEscaper.Replace(q) + "%"
		p.Search = &pattern
	}
	if hasCursor {
		p.CursorAt, p.CursorID = &cur.At, &cur.ID
	}
	rows, err := s.DB.InboxList(c.Request.Context(), p)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listResponse[inboxItem]{Items: make([]inboxItem, 0, len(rows))}
	for _, r := range rows {
		out.Items = append(out.Items, inboxItem{
			Conversation: db.ToConversation(r.Conversation),
			Contact:      inboxContact{ID: r.Conversation.ContactID, FirstName: r.ContactFirstName, LastName: r.ContactLastName},
			UnreadCount:  r.UnreadCount,
		})
	}
	if len(out.Items) > int(limit) {
		out.Items = out.Items[:limit]
		last := out.Items[limit-1]
		out.NextCursor = encodeCursor(conversationCursor{At: last.LastActivityAt, ID: last.ID})
	}
	c.JSON(http.StatusOK, out)
}

// likeEscaper makes user text literal inside an ILIKE pattern.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

type inboxCounts struct {
	All        int64 `json:"all"`
	Mine       int64 `json:"mine"`
	Unassigned int64 `json:"unassigned"`
	Team       int64 `json:"team"`
	// Mentions counts open conversations whose contact has an unread mention of the caller.
	Mentions int64 `json:"mentions"`
	// Unread is the number of unread incoming messages in the caller's open conversations.
	Unread int64 `json:"unread"`
}

// inboxCountsHandler counts open conversations per folder, under the caller's restrictions.
func (s *Server) inboxCounts(c *gin.Context) {
	u := currentUser(c)
	v := visibilityOf(u)
	ctx := c.Request.Context()
	row, err := s.DB.InboxCounts(ctx, dbsqlc.InboxCountsParams{UserID: u.ID, WorkspaceID: u.WorkspaceID, VisibleTo: v.restrictedTo, VisibleTeam: v.teamMates})
	if err != nil {
		s.fail(c, err)
		return
	}
	unread, err := s.DB.InboxUnreadTotal(ctx, dbsqlc.InboxUnreadTotalParams{WorkspaceID: u.WorkspaceID, UserID: u.ID})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, inboxCounts{All: row.AllOpen, Mine: row.Mine, Unassigned: row.Unassigned, Team: row.Team, Mentions: row.Mentions, Unread: unread})
}

// markRead marks the conversation read up to its newest message for the caller.
func (s *Server) markRead(c *gin.Context) {
	conv, err := s.loadConversation(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.DB.ConversationMarkRead(c.Request.Context(), dbsqlc.ConversationMarkReadParams{ConversationID: conv.ID, UserID: currentUser(c).ID}); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// reopenConversation opens a new conversation for the contact of a closed one (respond.io: a
// closed conversation's "Open" starts a new conversation). When the contact already has an open
// conversation, that one is returned.
func (s *Server) reopenConversation(c *gin.Context) {
	conv, err := s.loadConversation(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.openFor(c, conv.WorkspaceID, conv.ContactID)
}

// setBotPaused pauses or resumes the chatbot for a contact (the seed's "Pausar el Chatbot").
func (s *Server) setBotPaused(paused bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		ct, err := s.loadContact(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		if err := bindJSON(c, &struct{}{}, true); err != nil {
			s.fail(c, err)
			return
		}
		u := currentUser(c)
		typ := "contact.bot_resumed"
		if paused {
			typ = "contact.bot_paused"
		}
		var out chatcenter.Contact
		err = s.DB.WithTx(c.Request.Context(), func(q *dbsqlc.Queries) error {
			row, err := q.ContactSetBotPaused(c.Request.Context(), dbsqlc.ContactSetBotPausedParams{Paused: paused, WorkspaceID: ct.WorkspaceID, ID: ct.ID})
			if err != nil {
				return err
			}
			out = db.ToContact(row)
			if ct.BotPaused == paused {
				return nil
			}
			return db.InsertEvent(c.Request.Context(), q, db.Event{WorkspaceID: ct.WorkspaceID, Type: typ, ContactID: ct.ID, ActorUserID: u.ID,
				Payload: map[string]any{"contact_id": ct.ID, "bot_paused": paused}})
		})
		if err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, out)
	}
}

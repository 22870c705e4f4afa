package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/workflows"
)

func init() {
	const v1 = "/api/v1"
	document(http.MethodGet, v1+"/teams", Operation{Summary: "Teams with their member ids, newest first", Tag: "Teams", Response: team{}, List: true,
		Query: map[string]string{"limit": "1–100, default 25", "cursor": "next_cursor of the previous page"}})
	document(http.MethodGet, v1+"/teams/:id", Operation{Summary: "Get a team with its member ids", Tag: "Teams", Response: team{}})
	document(http.MethodPost, v1+"/teams", Operation{Summary: "Create a team (names are unique per workspace)", Tag: "Teams", Request: teamRequest{}, Response: team{}, Status: http.StatusCreated})
	document(http.MethodPatch, v1+"/teams/:id", Operation{Summary: "Rename a team", Tag: "Teams", Request: teamRequest{}, Response: team{}})
	document(http.MethodDelete, v1+"/teams/:id", Operation{Summary: "Delete a team; open conversations assigned to it keep their assignee and lose the team", Tag: "Teams", Status: http.StatusNoContent})
	document(http.MethodPut, v1+"/teams/:id/members", Operation{Summary: "Replace the team's members", Tag: "Teams", Request: teamMembersRequest{}, Response: team{}})
	document(http.MethodPost, v1+"/teams/:id/members", Operation{Summary: "Add a member", Tag: "Teams", Request: teamMemberRequest{}, Response: team{}})
	document(http.MethodDelete, v1+"/teams/:id/members/:userID", Operation{Summary: "Remove a member", Tag: "Teams", Response: team{}})
}

// team is a group of users, with the ids of its members.
type team struct {
	ID          int64     `json:"id"`
	WorkspaceID int64     `json:"workspace_id"`
	Name        string    `json:"name"`
	MemberIDs   []int64   `json:"member_ids"`
	CreatedAt   time.Time `json:"created_at"`
}

func toTeam(t dbsqlc.Team, members []int64) team {
	if members == nil {
		members = []int64{}
	}
	return team{ID: t.ID, WorkspaceID: t.WorkspaceID, Name: t.Name, MemberIDs: members, CreatedAt: t.CreatedAt}
}

func validateTeamName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", invalid("name is required")
	}
	if n := utf8.RuneCountInString(name); n > 128 {
		return "", invalid("name is %d characters; the limit is 128", n)
	}
	return name, nil
}

// teamNameTaken turns a unique violation into a message that names the team.
func teamNameTaken(err error, name string) error {
	if chatcenter.ErrorCode(db.Error(err)) == chatcenter.ECONFLICT {
		return chatcenter.Errorf(chatcenter.ECONFLICT, "a team named %q already exists", name)
	}
	return err
}

func teamID(c *gin.Context) (int64, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return 0, chatcenter.Errorf(chatcenter.ENOTFOUND, "team not found")
	}
	return id, nil
}

// getTeamRow loads a team with its members through q (the pool or a transaction).
func getTeamRow(ctx context.Context, q *dbsqlc.Queries, workspaceID, id int64) (team, error) {
	row, err := q.TeamGet(ctx, dbsqlc.TeamGetParams{WorkspaceID: workspaceID, ID: id})
	if db.IsNoRows(err) {
		return team{}, chatcenter.Errorf(chatcenter.ENOTFOUND, "team not found")
	}
	if err != nil {
		return team{}, err
	}
	return toTeam(row.Team, row.MemberIds), nil
}

// lockTeam locks the team row for membership changes, or answers not found.
func lockTeam(ctx context.Context, q *dbsqlc.Queries, workspaceID, id int64) error {
	_, err := q.TeamLock(ctx, dbsqlc.TeamLockParams{WorkspaceID: workspaceID, ID: id})
	if db.IsNoRows(err) {
		return chatcenter.Errorf(chatcenter.ENOTFOUND, "team not found")
	}
	return err
}

type teamCursor struct {
	ID int64 `json:"id"`
}

func (s *Server) listTeams(c *gin.Context) {
	var cur teamCursor
	limit, hasCursor, err := page(c, &cur)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := dbsqlc.TeamListParams{WorkspaceID: currentUser(c).WorkspaceID, Max: limit + 1}
	if hasCursor {
		p.BeforeID = &cur.ID
	}
	rows, err := s.DB.TeamList(c.Request.Context(), p)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listResponse[team]{Items: make([]team, 0, len(rows))}
	for _, r := range rows {
		out.Items = append(out.Items, toTeam(r.Team, r.MemberIds))
	}
	if len(out.Items) > int(limit) {
		out.Items = out.Items[:limit]
		out.NextCursor = encodeCursor(teamCursor{ID: out.Items[limit-1].ID})
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) getTeam(c *gin.Context) {
	id, err := teamID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	t, err := getTeamRow(c.Request.Context(), s.DB.Queries, currentUser(c).WorkspaceID, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, t)
}

type teamRequest struct {
	Name string `json:"name"`
}

func (s *Server) createTeam(c *gin.Context) {
	var req teamRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	name, err := validateTeamName(req.Name)
	if err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	var out team
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		t, err := q.TeamInsert(ctx, dbsqlc.TeamInsertParams{WorkspaceID: u.WorkspaceID, Name: name})
		if err != nil {
			return teamNameTaken(err, name)
		}
		out = toTeam(t, nil)
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "team.created", ActorUserID: u.ID,
			Payload: map[string]any{"team": out}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

func (s *Server) updateTeam(c *gin.Context) {
	id, err := s.existingTeam(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req teamRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	name, err := validateTeamName(req.Name)
	if err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	var out team
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		_, err := q.TeamRename(ctx, dbsqlc.TeamRenameParams{WorkspaceID: u.WorkspaceID, ID: id, Name: name})
		if db.IsNoRows(err) {
			return chatcenter.Errorf(chatcenter.ENOTFOUND, "team not found")
		}
		if err != nil {
			return teamNameTaken(err, name)
		}
		if out, err = getTeamRow(ctx, q, u.WorkspaceID, id); err != nil {
			return err
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "team.updated", ActorUserID: u.ID,
			Payload: map[string]any{"team": out}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// deleteTeam deletes a team. Open conversations assigned to it lose the team through their
// workflows first (keeping their assignee), so that workflow state and search attributes agree
// with the database; a retry after an interrupted sweep carries on.
func (s *Server) deleteTeam(c *gin.Context) {
	id, err := teamID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	if _, err := getTeamRow(ctx, s.DB.Queries, u.WorkspaceID, id); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.clearTeamFromConversations(ctx, u, id); err != nil {
		s.fail(c, err)
		return
	}
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		n, err := q.TeamDelete(ctx, dbsqlc.TeamDeleteParams{WorkspaceID: u.WorkspaceID, ID: id})
		if err != nil {
			return err
		}
		if n == 0 {
			return chatcenter.Errorf(chatcenter.ENOTFOUND, "team not found")
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "team.deleted", ActorUserID: u.ID,
			Payload: map[string]any{"team_id": id}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) clearTeamFromConversations(ctx context.Context, actor *chatcenter.User, teamID int64) error {
	convs, err := s.DB.ConversationListOpenByTeam(ctx, dbsqlc.ConversationListOpenByTeamParams{WorkspaceID: actor.WorkspaceID, TeamID: teamID})
	if err != nil {
		return err
	}
	for _, conv := range convs {
		var out chatcenter.Conversation
		if conv.AssigneeID != nil {
			err = s.update(ctx, conv.ContactID, workflows.UpdateAssign, "", workflows.AssignRequest{
				ConversationID: conv.ID, AssigneeID: *conv.AssigneeID, ActorUserID: actor.ID,
			}, &out)
		}
		// A team-only conversation, or one whose assignee can no longer be assigned (deactivated):
		// back to the unassigned queue.
		if conv.AssigneeID == nil || chatcenter.ErrorCode(err) == chatcenter.EINVALID {
			err = s.update(ctx, conv.ContactID, workflows.UpdateUnassign, "", workflows.UnassignRequest{
				ConversationID: conv.ID, ActorUserID: actor.ID,
			}, &out)
		}
		if err != nil && chatcenter.ErrorCode(err) != chatcenter.ECONFLICT {
			return err
		}
	}
	return nil
}

type teamMembersRequest struct {
	UserIDs []int64 `json:"user_ids"`
}

// replaceTeamMembers makes the team's members exactly user_ids.
func (s *Server) replaceTeamMembers(c *gin.Context) {
	id, err := s.existingTeam(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req teamMembersRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	if req.UserIDs == nil {
		s.fail(c, invalid("user_ids is required (an empty list removes every member)"))
		return
	}
	ids := slices.Compact(slices.Sorted(slices.Values(req.UserIDs)))
	s.changeTeamMembers(c, id, func(ctx context.Context, q *dbsqlc.Queries, workspaceID int64) error {
		if err := requireWorkspaceUsers(ctx, q, workspaceID, ids); err != nil {
			return err
		}
		if _, err := q.TeamMembersRemoveOthers(ctx, dbsqlc.TeamMembersRemoveOthersParams{TeamID: id, KeepIds: ids}); err != nil {
			return err
		}
		_, err := q.TeamMembersAdd(ctx, dbsqlc.TeamMembersAddParams{TeamID: id, UserIds: ids})
		return err
	})
}

type teamMemberRequest struct {
	UserID int64 `json:"user_id"`
}

// addTeamMember adds one user to the team (adding a member again changes nothing).
func (s *Server) addTeamMember(c *gin.Context) {
	id, err := s.existingTeam(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req teamMemberRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	if req.UserID <= 0 {
		s.fail(c, invalid("user_id is required"))
		return
	}
	s.changeTeamMembers(c, id, func(ctx context.Context, q *dbsqlc.Queries, workspaceID int64) error {
		if err := requireWorkspaceUsers(ctx, q, workspaceID, []int64{req.UserID}); err != nil {
			return err
		}
		_, err := q.TeamMembersAdd(ctx, dbsqlc.TeamMembersAddParams{TeamID: id, UserIds: []int64{req.UserID}})
		return err
	})
}

// removeTeamMember removes one user from the team; a user who is not a member is not found.
func (s *Server) removeTeamMember(c *gin.Context) {
	id, err := teamID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	userID, err := pathID(c, "userID")
	if err != nil {
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "user is not a member of this team"))
		return
	}
	s.changeTeamMembers(c, id, func(ctx context.Context, q *dbsqlc.Queries, _ int64) error {
		n, err := q.TeamMemberRemove(ctx, dbsqlc.TeamMemberRemoveParams{TeamID: id, UserID: userID})
		if err == nil && n == 0 {
			err = chatcenter.Errorf(chatcenter.ENOTFOUND, "user %d is not a member of this team", userID)
		}
		return err
	})
}

// changeTeamMembers runs change with the team locked and answers the team with its members.
func (s *Server) changeTeamMembers(c *gin.Context, id int64, change func(ctx context.Context, q *dbsqlc.Queries, workspaceID int64) error) {
	u := currentUser(c)
	ctx := c.Request.Context()
	var out team
	err := s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		if err := lockTeam(ctx, q, u.WorkspaceID, id); err != nil {
			return err
		}
		before, err := getTeamRow(ctx, q, u.WorkspaceID, id)
		if err != nil {
			return err
		}
		if err := change(ctx, q, u.WorkspaceID); err != nil {
			return err
		}
		if out, err = getTeamRow(ctx, q, u.WorkspaceID, id); err != nil {
			return err
		}
		if slices.Equal(before.MemberIDs, out.MemberIDs) {
			return nil
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "team.members_changed", ActorUserID: u.ID,
			Payload: map[string]any{"team": out, "previous_member_ids": before.MemberIDs}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// requireWorkspaceUsers fails unless every id (distinct) is a user of the workspace.
func requireWorkspaceUsers(ctx context.Context, q *dbsqlc.Queries, workspaceID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	n, err := q.UserCountInWorkspace(ctx, dbsqlc.UserCountInWorkspaceParams{WorkspaceID: workspaceID, Ids: ids})
	if err != nil {
		return err
	}
	if int(n) != len(ids) {
		return invalid("every user_id must be a user of this workspace")
	}
	return nil
}

// existingTeam reads the team id and checks that the team is the caller's workspace's before the
// body is looked at: another workspace's team is not found, whatever the request says.
func (s *Server) existingTeam(c *gin.Context) (int64, error) {
	id, err := teamID(c)
	if err != nil {
		return 0, err
	}
	_, err = s.DB.InboxTeamGet(c.Request.Context(), dbsqlc.InboxTeamGetParams{WorkspaceID: currentUser(c).WorkspaceID, ID: id})
	if db.IsNoRows(err) {
		return 0, chatcenter.Errorf(chatcenter.ENOTFOUND, "team not found")
	}
	return id, err
}

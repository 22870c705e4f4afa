package api

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	netmail "net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // users pick IANA time zones; servers without a zoneinfo database still know them
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/mail"
	"github.com/chatcenterhq/chatcenter/secret"
	"github.com/chatcenterhq/chatcenter/workflows"
)

const (
	// invitationTTL is how long an invitation link works.
	invitationTTL = 7 * 24 * time.Hour
	// passwordResetTTL is how long a password reset link works.
	passwordResetTTL = time.Hour
	// backgroundMailTimeout bounds an e-mail sent after the response (public password reset).
	backgroundMailTimeout = time.Minute
	// passwordResetThrottle: public reset requests for one account send at most one e-mail per
	// minute, so nobody can flood a mailbox through the form.
	passwordResetThrottle = time.Minute
)

func init() {
	const v1 = "/api/v1"
	users := "Users"
	page := map[string]string{"limit": "1–100, default 25", "cursor": "next_cursor of the previous page"}
	document(http.MethodPost, v1+"/auth/accept-invitation", Operation{Summary: "Accept an invitation: creates the user with the invited role and restrictions and logs them in", Tag: "Auth", Request: acceptInvitationRequest{}, Response: loginResponse{}})
	document(http.MethodPost, v1+"/auth/password-reset", Operation{Summary: "Ask for a password reset link by e-mail (always 202, whether or not the address has an account)", Tag: "Auth", Request: passwordResetRequest{}, Status: http.StatusAccepted})
	document(http.MethodPost, v1+"/auth/password-reset/confirm", Operation{Summary: "Set a new password with a reset token (single use, 1 hour); every session of the user ends", Tag: "Auth", Request: confirmResetRequest{}, Status: http.StatusNoContent})
	document(http.MethodPatch, v1+"/me", Operation{Summary: "Change your name, time zone (IANA) or language", Tag: users, Request: updateMeRequest{}, Response: chatcenter.User{}})
	document(http.MethodPost, v1+"/me/password", Operation{Summary: "Change your password; your other sessions end", Tag: users, Request: changePasswordRequest{}, Status: http.StatusNoContent})
	document(http.MethodPost, v1+"/users/invitations", Operation{Summary: "Invite someone by e-mail (7 days); invite_url is returned only when no SMTP server is configured", Tag: users, Request: inviteRequest{}, Response: invitationResponse{}, Status: http.StatusCreated})
	document(http.MethodGet, v1+"/users/invitations", Operation{Summary: "Invitations not yet accepted, newest first", Tag: users, Response: invitationResponse{}, List: true, Query: page})
	document(http.MethodDelete, v1+"/users/invitations/:id", Operation{Summary: "Revoke an invitation", Tag: users, Status: http.StatusNoContent})
	document(http.MethodGet, v1+"/users", Operation{Summary: "Users of the workspace, newest first", Tag: users, Response: userResponse{}, List: true,
		Query: map[string]string{"active": "true | false", "limit": page["limit"], "cursor": page["cursor"]}})
	document(http.MethodGet, v1+"/users/:id", Operation{Summary: "Get a user", Tag: users, Response: userResponse{}})
	document(http.MethodPatch, v1+"/users/:id", Operation{Summary: "Change a user's name, role or restrictions (managers cannot touch owners or make owners)", Tag: users, Request: updateUserRequest{}, Response: userResponse{}})
	document(http.MethodPost, v1+"/users/:id/deactivate", Operation{Summary: "Deactivate a user: sessions end, offline, open conversations return to the unassigned queue", Tag: users, Response: userResponse{}})
	document(http.MethodPost, v1+"/users/:id/reactivate", Operation{Summary: "Reactivate a user", Tag: users, Response: userResponse{}})
	document(http.MethodPost, v1+"/users/:id/password-reset", Operation{Summary: "Get a password reset link (1 hour) to pass on to the user", Tag: users, Response: adminResetResponse{}})
}

// restrictionKeys are the restrictions a user can be given (respond.io's UserRestriction values).
var restrictionKeys = []string{
	RestrictShowOnlyMine, RestrictShowTeamContacts, RestrictDataExport, RestrictContactDeletion,
	RestrictSpaceSetting, RestrictSpaceIntegration, RestrictShortcuts,
}

func (s *Server) mailer() *mail.Mailer { return s.Mailer }

// baseURL is where people open links sent to them (invitations, password resets).
func (s *Server) baseURL() string {
	if s.PublicURL != "" {
		return strings.TrimRight(s.PublicURL, "/")
	}
	return strings.TrimRight(s.LocalURL, "/")
}

// userResponse is a user as administrators see it.
type userResponse struct {
	chatcenter.User
	TeamIDs       []int64    `json:"team_ids"`
	DeactivatedAt *time.Time `json:"deactivated_at"`
}

func toUserResponse(u dbsqlc.User, teamIDs []int64) userResponse {
	if teamIDs == nil {
		teamIDs = []int64{}
	}
	return userResponse{User: db.ToUser(u), TeamIDs: teamIDs, DeactivatedAt: u.DeactivatedAt}
}

func validateRestrictions(r map[string]bool) error {
	for k := range r {
		if !slices.Contains(restrictionKeys, k) {
			return invalid("unknown restriction %q; known restrictions are %s", k, strings.Join(restrictionKeys, ", "))
		}
	}
	return nil
}

func encodeRestrictions(r map[string]bool) []byte {
	if r == nil {
		r = map[string]bool{}
	}
	b, _ := json.Marshal(r)
	return b
}

// normalizeEmail checks that s is a bare e-mail address and returns it trimmed.
func normalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := netmail.ParseAddress(s)
	if s == "" || len(s) > 254 || err != nil || a.Address != s {
		return "", invalid("email must be an e-mail address such as ana@example.com")
	}
	return s, nil
}

func validateName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", invalid("name is required")
	}
	if n := utf8.RuneCountInString(name); n > 128 {
		return "", invalid("name is %d characters; the limit is 128", n)
	}
	return name, nil
}

// bearerToken is the token the current request authenticated with.
func bearerToken(c *gin.Context) string {
	return strings.TrimSpace(c.GetHeader("Authorization")[7:])
}

// lockOwners serialises changes that could leave a workspace without an active owner.
func lockOwners(ctx context.Context, q *dbsqlc.Queries, workspaceID int64) error {
	return q.AdvisoryXactLock(ctx, db.LockKey("workspace-owners", workspaceID))
}

// loadUser loads the user named by the :id path parameter in the caller's workspace.
func (s *Server) loadUser(c *gin.Context) (dbsqlc.UserGetWithTeamsRow, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return dbsqlc.UserGetWithTeamsRow{}, chatcenter.Errorf(chatcenter.ENOTFOUND, "user not found")
	}
	row, err := s.DB.UserGetWithTeams(c.Request.Context(), dbsqlc.UserGetWithTeamsParams{WorkspaceID: currentUser(c).WorkspaceID, ID: id})
	if db.IsNoRows(err) {
		return row, chatcenter.Errorf(chatcenter.ENOTFOUND, "user not found")
	}
	return row, err
}

// loadManagedUser loads the :id user and checks that the caller may manage them.
func (s *Server) loadManagedUser(c *gin.Context) (dbsqlc.UserGetWithTeamsRow, error) {
	row, err := s.loadUser(c)
	if err != nil {
		return row, err
	}
	if !canManageUser(currentUser(c), chatcenter.Role(row.User.Role)) {
		return row, chatcenter.Errorf(chatcenter.EFORBIDDEN, "only owners can manage owners")
	}
	return row, nil
}

type userCursor struct {
	ID int64 `json:"id"`
}

// listUsers lists the workspace's users, newest first; ?active=true|false filters.
func (s *Server) listUsers(c *gin.Context) {
	var cur userCursor
	limit, hasCursor, err := page(c, &cur)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := dbsqlc.UserListPageParams{WorkspaceID: currentUser(c).WorkspaceID, Max: limit + 1}
	switch a := c.Query("active"); a {
	case "":
	case "true", "false":
		v := a == "true"
		p.Active = &v
	default:
		s.fail(c, invalid("active must be true or false"))
		return
	}
	if hasCursor {
		p.BeforeID = &cur.ID
	}
	rows, err := s.DB.UserListPage(c.Request.Context(), p)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listResponse[userResponse]{Items: make([]userResponse, 0, len(rows))}
	for _, r := range rows {
		out.Items = append(out.Items, toUserResponse(r.User, r.TeamIds))
	}
	if len(out.Items) > int(limit) {
		out.Items = out.Items[:limit]
		out.NextCursor = encodeCursor(userCursor{ID: out.Items[limit-1].ID})
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) getUser(c *gin.Context) {
	row, err := s.loadUser(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toUserResponse(row.User, row.TeamIds))
}

type updateUserRequest struct {
	Name         *string          `json:"name"`
	Role         *chatcenter.Role `json:"role"`
	Restrictions map[string]bool  `json:"restrictions"`
	// MaxOpenConversations is the user's capacity for automatic assignment (1–1000); null uses
	// the workspace default.
	MaxOpenConversations json.RawMessage `json:"max_open_conversations"`
}

// updateUser changes a user's name, access level and restrictions. Managers cannot touch owners
// or make anyone an owner; nobody changes their own access; a workspace keeps an active owner.
func (s *Server) updateUser(c *gin.Context) {
	var req updateUserRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	target, err := s.loadManagedUser(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	actor := currentUser(c)
	name, role, restrictions := target.User.Name, chatcenter.Role(target.User.Role), db.ToUser(target.User).Restrictions
	if req.Name != nil {
		if name, err = validateName(*req.Name); err != nil {
			s.fail(c, err)
			return
		}
	}
	if req.Role != nil {
		if !req.Role.Valid() {
			s.fail(c, invalid("role must be owner, manager or agent"))
			return
		}
		role = *req.Role
	}
	if req.Restrictions != nil {
		if err := validateRestrictions(req.Restrictions); err != nil {
			s.fail(c, err)
			return
		}
		restrictions = req.Restrictions
	}
	maxOpen, setMaxOpen, err := capacityValue(req.MaxOpenConversations)
	if err != nil {
		s.fail(c, err)
		return
	}
	if role == chatcenter.RoleOwner && actor.Role != chatcenter.RoleOwner {
		s.fail(c, chatcenter.Errorf(chatcenter.EFORBIDDEN, "only owners can make someone an owner"))
		return
	}
	if target.User.ID == actor.ID && (role != actor.Role || !maps.Equal(restrictions, actor.Restrictions)) {
		s.fail(c, chatcenter.Errorf(chatcenter.EFORBIDDEN, "you cannot change your own access level or restrictions"))
		return
	}
	ctx := c.Request.Context()
	var out dbsqlc.User
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		if err := lockOwners(ctx, q, actor.WorkspaceID); err != nil {
			return err
		}
		cur, err := q.UserGetForUpdate(ctx, dbsqlc.UserGetForUpdateParams{WorkspaceID: actor.WorkspaceID, ID: target.User.ID})
		if err != nil {
			return db.Error(err)
		}
		if cur.Role == string(chatcenter.RoleOwner) && role != chatcenter.RoleOwner && cur.Active {
			if err := requireAnotherOwner(ctx, q, actor.WorkspaceID, "demoted"); err != nil {
				return err
			}
		}
		out, err = q.UserUpdateAccess(ctx, dbsqlc.UserUpdateAccessParams{
			WorkspaceID: actor.WorkspaceID, ID: cur.ID, Name: name, Role: string(role), Restrictions: encodeRestrictions(restrictions),
		})
		if err != nil {
			return db.Error(err)
		}
		if setMaxOpen {
			if out, err = q.UserSetMaxOpen(ctx, dbsqlc.UserSetMaxOpenParams{MaxOpen: maxOpen, WorkspaceID: actor.WorkspaceID, ID: cur.ID}); err != nil {
				return db.Error(err)
			}
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: actor.WorkspaceID, Type: "user.updated", ActorUserID: actor.ID,
			Payload: map[string]any{"user": db.ToUser(out)}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	if setMaxOpen {
		// A changed limit may free capacity: conversations waiting for an agent are offered again.
		s.reoffer(ctx, actor.WorkspaceID)
	}
	c.JSON(http.StatusOK, toUserResponse(out, target.TeamIds))
}

// requireAnotherOwner fails unless the workspace has more than one active owner; the caller holds
// lockOwners.
func requireAnotherOwner(ctx context.Context, q *dbsqlc.Queries, workspaceID int64, what string) error {
	n, err := q.UserCountActiveOwners(ctx, workspaceID)
	if err != nil {
		return err
	}
	if n <= 1 {
		return chatcenter.Errorf(chatcenter.ECONFLICT, "the last active owner cannot be %s; make someone else an owner first", what)
	}
	return nil
}

// deactivateUser stops a user from logging in (their sessions end now), sets them offline and
// returns every open conversation assigned to them to the unassigned queue through each
// conversation's workflow. Calling it again finishes a sweep that was interrupted.
func (s *Server) deactivateUser(c *gin.Context) {
	if err := bindJSON(c, &struct{}{}, true); err != nil {
		s.fail(c, err)
		return
	}
	target, err := s.loadManagedUser(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	actor := currentUser(c)
	if target.User.ID == actor.ID {
		s.fail(c, chatcenter.Errorf(chatcenter.EFORBIDDEN, "you cannot deactivate yourself"))
		return
	}
	ctx := c.Request.Context()
	out := target.User
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		if err := lockOwners(ctx, q, actor.WorkspaceID); err != nil {
			return err
		}
		cur, err := q.UserGetForUpdate(ctx, dbsqlc.UserGetForUpdateParams{WorkspaceID: actor.WorkspaceID, ID: target.User.ID})
		if err != nil {
			return db.Error(err)
		}
		if !cur.Active {
			out = cur
			return nil
		}
		if cur.Role == string(chatcenter.RoleOwner) {
			if err := requireAnotherOwner(ctx, q, actor.WorkspaceID, "deactivated"); err != nil {
				return err
			}
		}
		if out, err = q.UserDeactivate(ctx, dbsqlc.UserDeactivateParams{WorkspaceID: actor.WorkspaceID, ID: cur.ID}); err != nil {
			return err
		}
		if _, err := q.SessionDeleteByUser(ctx, cur.ID); err != nil {
			return err
		}
		if err := q.PasswordResetDeleteByUser(ctx, cur.ID); err != nil {
			return err
		}
		contacts, err := q.ContactUnassignIdleForUser(ctx, dbsqlc.ContactUnassignIdleForUserParams{WorkspaceID: actor.WorkspaceID, UserID: cur.ID})
		if err != nil {
			return err
		}
		if err := db.InsertEvent(ctx, q, db.Event{WorkspaceID: actor.WorkspaceID, Type: "user.deactivated", ActorUserID: actor.ID,
			Payload: map[string]any{"user": db.ToUser(out), "contacts_unassigned": contacts}}); err != nil {
			return err
		}
		if cur.Availability != string(chatcenter.AvailabilityOffline) {
			return db.InsertEvent(ctx, q, availabilityEvent(out, false, actor.ID))
		}
		return nil
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.unassignAll(ctx, actor, target.User.ID); err != nil {
		s.fail(c, err)
		return
	}
	// The conversations returned to the queue may go to someone with capacity.
	s.reoffer(ctx, actor.WorkspaceID)
	c.JSON(http.StatusOK, toUserResponse(out, target.TeamIds))
}

// unassignAll returns the user's open conversations to the unassigned queue, one update per
// conversation workflow so that each workflow's state and search attributes follow.
func (s *Server) unassignAll(ctx context.Context, actor *chatcenter.User, userID int64) error {
	convs, err := s.DB.ConversationListOpenByAssignee(ctx, dbsqlc.ConversationListOpenByAssigneeParams{WorkspaceID: actor.WorkspaceID, AssigneeID: userID})
	if err != nil {
		return err
	}
	for _, conv := range convs {
		var out chatcenter.Conversation
		err := s.update(ctx, conv.ContactID, workflows.UpdateUnassign, "",
			workflows.UnassignRequest{ConversationID: conv.ID, ActorUserID: actor.ID}, &out)
		// Conflict: the conversation closed meanwhile, and a closed one keeps its assignee.
		if err != nil && chatcenter.ErrorCode(err) != chatcenter.ECONFLICT {
			return err
		}
	}
	return nil
}

func (s *Server) reactivateUser(c *gin.Context) {
	if err := bindJSON(c, &struct{}{}, true); err != nil {
		s.fail(c, err)
		return
	}
	target, err := s.loadManagedUser(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	actor := currentUser(c)
	ctx := c.Request.Context()
	out := target.User
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		u, err := q.UserReactivate(ctx, dbsqlc.UserReactivateParams{WorkspaceID: actor.WorkspaceID, ID: target.User.ID})
		if db.IsNoRows(err) { // already active
			return nil
		}
		if err != nil {
			return err
		}
		out = u
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: actor.WorkspaceID, Type: "user.reactivated", ActorUserID: actor.ID,
			Payload: map[string]any{"user": db.ToUser(u)}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toUserResponse(out, target.TeamIds))
}

// Invitations.

type inviteRequest struct {
	Email        string          `json:"email"`
	Role         chatcenter.Role `json:"role"`
	Restrictions map[string]bool `json:"restrictions"`
}

type invitationResponse struct {
	ID           int64           `json:"id"`
	WorkspaceID  int64           `json:"workspace_id"`
	Email        string          `json:"email"`
	Role         chatcenter.Role `json:"role"`
	Restrictions map[string]bool `json:"restrictions"`
	InvitedBy    *int64          `json:"invited_by"`
	CreatedAt    time.Time       `json:"created_at"`
	ExpiresAt    time.Time       `json:"expires_at"`
	Expired      bool            `json:"expired"`
	// InviteURL is returned only when no SMTP server is configured: the admin passes it on.
	InviteURL string `json:"invite_url,omitempty"`
}

func toInvitation(i dbsqlc.Invitation) invitationResponse {
	r := map[string]bool{}
	_ = json.Unmarshal(i.Restrictions, &r)
	return invitationResponse{
		ID: i.ID, WorkspaceID: i.WorkspaceID, Email: i.Email, Role: chatcenter.Role(i.Role), Restrictions: r,
		InvitedBy: i.InvitedBy, CreatedAt: i.CreatedAt, ExpiresAt: i.ExpiresAt, Expired: !i.ExpiresAt.After(time.Now()),
	}
}

// inviteUser invites someone by e-mail. With an SMTP server the link is e-mailed; without one it
// is returned (and logged) for the admin to pass on. Inviting the same e-mail again replaces the
// pending invitation, so the previous link stops working.
func (s *Server) inviteUser(c *gin.Context) {
	var req inviteRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	email, err := normalizeEmail(req.Email)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !req.Role.Valid() {
		s.fail(c, invalid("role must be owner, manager or agent"))
		return
	}
	if err := validateRestrictions(req.Restrictions); err != nil {
		s.fail(c, err)
		return
	}
	actor := currentUser(c)
	if !canManageUser(actor, req.Role) {
		s.fail(c, chatcenter.Errorf(chatcenter.EFORBIDDEN, "only owners can invite owners"))
		return
	}
	ctx := c.Request.Context()
	if taken, err := s.DB.UserEmailTaken(ctx, email); err != nil || taken {
		if err == nil {
			err = chatcenter.Errorf(chatcenter.ECONFLICT, "%s already has an account", email)
		}
		s.fail(c, err)
		return
	}
	ws, err := s.DB.WorkspaceGetByID(ctx, actor.WorkspaceID)
	if err != nil {
		s.fail(c, err)
		return
	}
	token := secret.RandomToken(32)
	var inv dbsqlc.Invitation
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		inv, err = q.InvitationUpsert(ctx, dbsqlc.InvitationUpsertParams{
			WorkspaceID: actor.WorkspaceID, Email: email, Role: string(req.Role), Restrictions: encodeRestrictions(req.Restrictions),
			TokenHash: secret.HashToken(token), InvitedBy: &actor.ID, ExpiresAt: time.Now().Add(invitationTTL),
		})
		if err != nil {
			return db.Error(err)
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: actor.WorkspaceID, Type: "user.invited", ActorUserID: actor.ID,
			Payload: map[string]any{"invitation": toInvitation(inv)}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	link := s.baseURL() + "/accept-invitation?token=" + url.QueryEscape(token)
	out := toInvitation(inv)
	if m := s.mailer(); m != nil {
		if err := m.Send(ctx, mail.Invitation(email, ws.Name, actor.Name, link, inv.ExpiresAt)); err != nil {
			s.Log.ErrorContext(ctx, "invitation e-mail not sent", "invitation_id", inv.ID, "error", err, "request_id", c.GetString(ctxRequestID))
			s.fail(c, chatcenter.Errorf(chatcenter.EUNAVAILABLE, "the invitation e-mail could not be sent; try again"))
			return
		}
	} else {
		// Without SMTP the link has to reach the invitee some other way: the admin gets it, and
		// the operator finds it in the log.
		s.Log.InfoContext(ctx, "invitation created; no SMTP_URL, so it was not e-mailed", "invitation_id", inv.ID, "invite_url", link)
		out.InviteURL = link
	}
	c.JSON(http.StatusCreated, out)
}

type invitationCursor struct {
	ID int64 `json:"id"`
}

// listInvitations lists invitations not yet accepted, newest first (expired ones say so).
func (s *Server) listInvitations(c *gin.Context) {
	var cur invitationCursor
	limit, hasCursor, err := page(c, &cur)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := dbsqlc.InvitationListParams{WorkspaceID: currentUser(c).WorkspaceID, Max: limit + 1}
	if hasCursor {
		p.BeforeID = &cur.ID
	}
	rows, err := s.DB.InvitationList(c.Request.Context(), p)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listResponse[invitationResponse]{Items: db.MapSlice(rows, toInvitation)}
	if len(out.Items) > int(limit) {
		out.Items = out.Items[:limit]
		out.NextCursor = encodeCursor(invitationCursor{ID: out.Items[limit-1].ID})
	}
	c.JSON(http.StatusOK, out)
}

// deleteInvitation revokes a pending invitation: its link stops working.
func (s *Server) deleteInvitation(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "invitation not found"))
		return
	}
	actor := currentUser(c)
	ctx := c.Request.Context()
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		inv, err := q.InvitationDelete(ctx, dbsqlc.InvitationDeleteParams{WorkspaceID: actor.WorkspaceID, ID: id})
		if db.IsNoRows(err) {
			return chatcenter.Errorf(chatcenter.ENOTFOUND, "invitation not found")
		}
		if err != nil {
			return err
		}
		if !canManageUser(actor, chatcenter.Role(inv.Role)) {
			return chatcenter.Errorf(chatcenter.EFORBIDDEN, "only owners can revoke invitations of owners")
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: actor.WorkspaceID, Type: "user.invitation_revoked", ActorUserID: actor.ID,
			Payload: map[string]any{"invitation": toInvitation(inv)}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type acceptInvitationRequest struct {
	Token    string `json:"token"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// acceptInvitation creates the invited user with the invitation's role and restrictions and logs
// them in. The invitation is consumed.
func (s *Server) acceptInvitation(c *gin.Context) {
	var req acceptInvitationRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	if req.Token == "" {
		s.fail(c, invalid("token is required"))
		return
	}
	name, err := validateName(req.Name)
	if err != nil {
		s.fail(c, err)
		return
	}
	hash, err := HashPassword(req.Password)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	token := secret.RandomToken(32)
	var resp loginResponse
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		inv, err := q.InvitationTake(ctx, secret.HashToken(req.Token))
		if db.IsNoRows(err) {
			return invalid("the invitation is invalid or has expired; ask for a new one")
		}
		if err != nil {
			return err
		}
		u, err := q.UserInsertInvited(ctx, dbsqlc.UserInsertInvitedParams{
			WorkspaceID: inv.WorkspaceID, Email: inv.Email, PasswordHash: hash, Name: name, Role: inv.Role, Restrictions: inv.Restrictions,
		})
		if err != nil {
			if chatcenter.ErrorCode(db.Error(err)) == chatcenter.ECONFLICT {
				return chatcenter.Errorf(chatcenter.ECONFLICT, "%s already has an account; log in instead", inv.Email)
			}
			return err
		}
		sess, err := q.SessionInsert(ctx, dbsqlc.SessionInsertParams{
			UserID: u.ID, TokenHash: secret.HashToken(token), ExpiresAt: time.Now().Add(s.TokenTTL),
		})
		if err != nil {
			return err
		}
		resp = loginResponse{Token: token, ExpiresAt: sess.ExpiresAt, User: db.ToUser(u)}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: inv.WorkspaceID, Type: "user.created", ActorUserID: u.ID,
			Payload: map[string]any{"user": resp.User, "invitation_id": inv.ID, "invited_by": inv.InvitedBy}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, resp)
}

// Profile.

type updateMeRequest struct {
	Name     *string `json:"name"`
	Timezone *string `json:"timezone"`
	Language *string `json:"language"`
	// AvatarFileID is an image from the file library; null removes the picture.
	AvatarFileID json.RawMessage `json:"avatar_file_id"`
}

// languageTag is a BCP 47-like tag: a 2–3 letter language, optional subtags (en, pt-BR, zh-Hant).
var languageTag = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// updateMe changes the caller's own name, time zone and language.
func (s *Server) updateMe(c *gin.Context) {
	var req updateMeRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	name, tz, lang := u.Name, u.Timezone, u.Language
	var err error
	if req.Name != nil {
		if name, err = validateName(*req.Name); err != nil {
			s.fail(c, err)
			return
		}
	}
	if req.Timezone != nil {
		tz = strings.TrimSpace(*req.Timezone)
		if _, err := time.LoadLocation(tz); err != nil || tz == "" || tz == "Local" {
			s.fail(c, invalid("timezone must be an IANA time zone such as Europe/Madrid or UTC"))
			return
		}
	}
	if req.Language != nil {
		lang = strings.TrimSpace(*req.Language)
		if len(lang) < 2 || len(lang) > 10 || !languageTag.MatchString(lang) {
			s.fail(c, invalid("language must be a language tag such as en or pt-BR"))
			return
		}
	}
	ctx := c.Request.Context()
	avatar, setAvatar, err := s.avatarFile(ctx, u, req.AvatarFileID)
	if err != nil {
		s.fail(c, err)
		return
	}
	var out dbsqlc.User
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		out, err = q.UserUpdateProfile(ctx, dbsqlc.UserUpdateProfileParams{WorkspaceID: u.WorkspaceID, ID: u.ID, Name: name, Timezone: tz, Language: lang})
		if err != nil {
			return db.Error(err)
		}
		if setAvatar {
			if out, err = q.UserSetAvatar(ctx, dbsqlc.UserSetAvatarParams{FileID: avatar, WorkspaceID: u.WorkspaceID, ID: u.ID}); err != nil {
				return db.Error(err)
			}
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "user.updated", ActorUserID: u.ID,
			Payload: map[string]any{"user": db.ToUser(out)}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, db.ToUser(out))
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword sets a new password after checking the current one. Every other session of the
// user ends; the one making the request stays.
func (s *Server) changePassword(c *gin.Context) {
	var req changePasswordRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	if req.CurrentPassword == "" || req.NewPassword == "" {
		s.fail(c, invalid("current_password and new_password are required"))
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	row, err := s.DB.UserGetByID(ctx, dbsqlc.UserGetByIDParams{WorkspaceID: u.WorkspaceID, ID: u.ID})
	if err != nil {
		s.fail(c, db.Error(err))
		return
	}
	if bcrypt.CompareHashAndPassword([]byte(row.PasswordHash), []byte(req.CurrentPassword)) != nil {
		s.fail(c, invalid("current_password is not your current password"))
		return
	}
	hash, err := HashPassword(req.NewPassword)
	if err != nil {
		s.fail(c, err)
		return
	}
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		if err := q.UserSetPasswordHash(ctx, dbsqlc.UserSetPasswordHashParams{ID: u.ID, PasswordHash: hash}); err != nil {
			return err
		}
		ended, err := q.SessionDeleteOthers(ctx, dbsqlc.SessionDeleteOthersParams{UserID: u.ID, KeepTokenHash: secret.HashToken(bearerToken(c))})
		if err != nil {
			return err
		}
		if err := q.PasswordResetDeleteByUser(ctx, u.ID); err != nil {
			return err
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "user.password_changed", ActorUserID: u.ID,
			Payload: map[string]any{"user_id": u.ID, "sessions_ended": ended}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// Password reset.

type passwordResetRequest struct {
	Email string `json:"email"`
}

// requestPasswordReset always answers 202, whether or not the e-mail has an account, and does
// the work after answering so that the response time tells nothing either. With SMTP the link is
// e-mailed; without it, it is logged for the operator.
func (s *Server) requestPasswordReset(c *gin.Context) {
	var req passwordResetRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	email, err := normalizeEmail(req.Email)
	if err != nil {
		s.fail(c, err)
		return
	}
	requestID := c.GetString(ctxRequestID)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), backgroundMailTimeout)
		defer cancel()
		if err := s.sendPasswordReset(ctx, email); err != nil {
			s.Log.ErrorContext(ctx, "password reset not sent", "error", err, "request_id", requestID)
		}
	}()
	c.Status(http.StatusAccepted)
}

func (s *Server) sendPasswordReset(ctx context.Context, email string) error {
	u, err := s.DB.UserGetByEmail(ctx, email)
	if db.IsNoRows(err) || (err == nil && !u.Active) {
		return nil
	}
	if err != nil {
		return err
	}
	link, expires, err := s.issuePasswordReset(ctx, u, 0, passwordResetThrottle)
	if errors.Is(err, errResetThrottled) {
		// Someone asked a moment ago; one e-mail is enough (and the mailbox is not flooded).
		return nil
	}
	if err != nil {
		return err
	}
	if m := s.mailer(); m != nil {
		return m.Send(ctx, mail.PasswordReset(u.Email, link, expires))
	}
	s.Log.InfoContext(ctx, "password reset requested; no SMTP_URL, so it was not e-mailed", "user_id", u.ID, "reset_url", link)
	return nil
}

// errResetThrottled: a reset link was issued less than the throttle ago.
var errResetThrottled = errors.New("password reset throttled")

// issuePasswordReset stores a new reset token for u (replacing any earlier one, unless that one is
// younger than throttle: errResetThrottled) and returns its link.
func (s *Server) issuePasswordReset(ctx context.Context, u dbsqlc.User, actorID int64, throttle time.Duration) (string, time.Time, error) {
	token := secret.RandomToken(32)
	expires := time.Now().Add(passwordResetTTL)
	err := s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		n, err := q.PasswordResetUpsert(ctx, dbsqlc.PasswordResetUpsertParams{
			UserID: u.ID, TokenHash: secret.HashToken(token), ExpiresAt: expires, ThrottleSeconds: throttle.Seconds(),
		})
		if err != nil {
			return err
		}
		if n == 0 {
			return errResetThrottled
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "user.password_reset_requested", ActorUserID: actorID,
			Payload: map[string]any{"user_id": u.ID, "by_admin": actorID != 0}})
	})
	return s.baseURL() + "/reset-password?token=" + url.QueryEscape(token), expires, err
}

type adminResetResponse struct {
	ResetURL  string    `json:"reset_url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// adminPasswordReset gives an admin a reset link to pass on to a user who cannot log in.
func (s *Server) adminPasswordReset(c *gin.Context) {
	if err := bindJSON(c, &struct{}{}, true); err != nil {
		s.fail(c, err)
		return
	}
	target, err := s.loadManagedUser(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !target.User.Active {
		s.fail(c, chatcenter.Errorf(chatcenter.ECONFLICT, "user %d is deactivated; reactivate them first", target.User.ID))
		return
	}
	link, expires, err := s.issuePasswordReset(c.Request.Context(), target.User, currentUser(c).ID, 0)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, adminResetResponse{ResetURL: link, ExpiresAt: expires})
}

type confirmResetRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// confirmPasswordReset sets the new password with a reset token (single use) and ends every
// session of the user.
func (s *Server) confirmPasswordReset(c *gin.Context) {
	var req confirmResetRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	if req.Token == "" {
		s.fail(c, invalid("token is required"))
		return
	}
	hash, err := HashPassword(req.Password)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	var email string
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		u, err := q.PasswordResetTake(ctx, secret.HashToken(req.Token))
		if db.IsNoRows(err) {
			return invalid("the reset link is invalid or has expired; ask for a new one")
		}
		if err != nil {
			return err
		}
		email = u.Email
		if err := q.UserSetPasswordHash(ctx, dbsqlc.UserSetPasswordHashParams{ID: u.ID, PasswordHash: hash}); err != nil {
			return err
		}
		ended, err := q.SessionDeleteByUser(ctx, u.ID)
		if err != nil {
			return err
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "user.password_changed", ActorUserID: u.ID,
			Payload: map[string]any{"user_id": u.ID, "sessions_ended": ended, "reset": true}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	// Whoever holds the mailbox proved it is theirs: failed logins before the reset no longer count.
	s.loginSucceeded(c, email)
	c.Status(http.StatusNoContent)
}

// avatarFile reads avatar_file_id from a profile change: absent leaves the picture, null removes
// it, an id must be an image of the caller's workspace.
func (s *Server) avatarFile(ctx context.Context, u *chatcenter.User, raw json.RawMessage) (*int64, bool, error) {
	if len(raw) == 0 {
		return nil, false, nil
	}
	if string(raw) == "null" {
		return nil, true, nil
	}
	var id int64
	if err := json.Unmarshal(raw, &id); err != nil || id <= 0 {
		return nil, false, invalid("avatar_file_id must be a file id or null")
	}
	f, err := s.DB.FileGetByID(ctx, dbsqlc.FileGetByIDParams{WorkspaceID: u.WorkspaceID, ID: id})
	if db.IsNoRows(err) {
		return nil, false, invalid("file %d is not in this workspace's library", id)
	}
	if err != nil {
		return nil, false, err
	}
	if f.Kind != "image" {
		return nil, false, invalid("the avatar must be an image")
	}
	return &id, true, nil
}

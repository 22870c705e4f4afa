package api

import (
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
)

// Permission names something a route lets a user do. Every route declares one; this file is the
// one table of who holds which (respond.io's access levels plus the per-user restrictions).
type Permission string

const (
	// PermPublic needs no login (health, login, webhooks with their own secrets).
	PermPublic Permission = "public"
	// PermMember is any active user of the workspace: the inbox, contacts, comments, files.
	PermMember Permission = "member"

	PermChannelsManage Permission = "channels.manage"
	PermUsersManage    Permission = "users.manage"
	PermTeamsManage    Permission = "teams.manage"
	PermSettingsManage Permission = "settings.manage"
	PermContactsDelete Permission = "contacts.delete"
	PermDataExport     Permission = "data.export"
	PermSnippetsManage Permission = "snippets.manage"
	PermShortcutsRun   Permission = "shortcuts.run"
	PermFlowsManage    Permission = "flows.manage"
)

// Restriction names, as in respond.io's user settings. They narrow what a manager or an agent
// may do; owners are never restricted.
const (
	RestrictShowOnlyMine     = "show_only_mine"
	RestrictShowTeamContacts = "show_team_contacts"
	RestrictDataExport       = "restrict_data_export"
	RestrictContactDeletion  = "restrict_contact_deletion"
	RestrictSpaceSetting     = "restrict_space_setting"
	RestrictSpaceIntegration = "restrict_space_integration"
	RestrictShortcuts        = "restrict_shortcuts"
)

type grant struct {
	roles        []chatcenter.Role
	restrictedBy string
}

var (
	everyone = []chatcenter.Role{chatcenter.RoleOwner, chatcenter.RoleManager, chatcenter.RoleAgent}
	admins   = []chatcenter.Role{chatcenter.RoleOwner, chatcenter.RoleManager}
)

// grants is the permission table. Managers may manage users, but never owners: handlers that
// touch another user check that with canManageUser.
var grants = map[Permission]grant{
	PermMember:         {roles: everyone},
	PermChannelsManage: {roles: admins, restrictedBy: RestrictSpaceIntegration},
	PermUsersManage:    {roles: admins},
	PermTeamsManage:    {roles: admins},
	PermSettingsManage: {roles: admins, restrictedBy: RestrictSpaceSetting},
	PermContactsDelete: {roles: everyone, restrictedBy: RestrictContactDeletion},
	PermDataExport:     {roles: everyone, restrictedBy: RestrictDataExport},
	PermSnippetsManage: {roles: admins},
	PermShortcutsRun:   {roles: everyone, restrictedBy: RestrictShortcuts},
	PermFlowsManage:    {roles: admins},
}

// Allowed reports whether u holds p.
func Allowed(u *chatcenter.User, p Permission) bool {
	if p == PermPublic {
		return true
	}
	g, ok := grants[p]
	if !ok || u == nil || !slices.Contains(g.roles, u.Role) {
		return false
	}
	if g.restrictedBy != "" && u.Role != chatcenter.RoleOwner && u.Restrictions[g.restrictedBy] {
		return false
	}
	return true
}

// canManageUser: owners manage everyone; managers manage managers and agents, not owners.
func canManageUser(actor *chatcenter.User, target chatcenter.Role) bool {
	return Allowed(actor, PermUsersManage) && (actor.Role == chatcenter.RoleOwner || target != chatcenter.RoleOwner)
}

// Route describes one registered route, for the permission matrix test and the OpenAPI document.
type Route struct {
	Method     string
	Path       string
	Permission Permission
}

// Routes lists every route the handler serves, with the permission it requires.
func (s *Server) Routes() []Route { return slices.Clone(s.routes) }

// handle registers a route with its permission: authentication (unless public) and the
// permission check run before the handler.
func (s *Server) handle(r gin.IRouter, method, path string, p Permission, h gin.HandlerFunc) {
	if _, ok := grants[p]; !ok && p != PermPublic {
		panic("route " + method + " " + path + " declares unknown permission " + string(p))
	}
	full := path
	if g, ok := r.(*gin.RouterGroup); ok {
		full = joinPath(g.BasePath(), path)
	}
	s.routes = append(s.routes, Route{Method: method, Path: full, Permission: p})
	if p == PermPublic {
		r.Handle(method, path, h)
		return
	}
	r.Handle(method, path, s.authenticate(), s.require(p), h)
}

func (s *Server) require(p Permission) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !Allowed(currentUser(c), p) {
			s.fail(c, chatcenter.Errorf(chatcenter.EFORBIDDEN, "you do not have permission to do this"))
			return
		}
		c.Next()
	}
}

func joinPath(base, path string) string {
	if base == "/" {
		return path
	}
	if path == "" || path == "/" {
		return base
	}
	return base + path
}

// Package api is Chat Center's HTTP interface: the REST API under /api/v1 for agents, admins and
// integrators, the provider webhooks under /webhooks and the flows' incoming webhooks under /hooks.
// Every route is registered in this file.
package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/flowrun"
	"github.com/chatcenterhq/chatcenter/mail"
	"github.com/chatcenterhq/chatcenter/realtime"
	"github.com/chatcenterhq/chatcenter/secret"
	"github.com/chatcenterhq/chatcenter/storage"
)

// Server holds the dependencies of every handler.
type Server struct {
	DB       *db.DB
	Temporal client.Client
	Box      *secret.Box
	Log      *slog.Logger
	// PublicURL is where providers reach this server (webhook URLs, Telegram setWebhook);
	// without it webhook URLs point at the local listen address and nothing is registered.
	PublicURL string
	// LocalURL is the API's own address, used for webhook URLs when PublicURL is empty.
	LocalURL string
	// TemporalUIURL is linked from the index page.
	TemporalUIURL string
	// HTTP is used for calls to providers made by the API (setWebhook).
	HTTP *http.Client
	// TokenTTL is how long a login token lives.
	TokenTTL time.Duration
	// UpdateTimeout bounds how long an agent action waits for the conversation workflow.
	UpdateTimeout time.Duration
	// Events is this process's realtime broker (GET /api/v1/events); without it the stream
	// answers 503.
	Events *realtime.Broker
	// Storage keeps uploaded files; without it the file routes answer 503.
	Storage storage.Store
	// MaxUpload bounds an uploaded file in bytes (default 25 MB).
	MaxUpload int64
	// TrustedProxies are the proxies (IPs or CIDRs) whose X-Forwarded-For is believed for the
	// client address (login limits per IP); none by default, so clients cannot choose their own.
	TrustedProxies []string
	// Mailer sends invitations and password reset links; without it invitation links are returned
	// to the inviting admin and reset links are logged.
	Mailer *mail.Mailer
	// FileLinkKey signs the expiring links through which providers fetch files
	// (storage.DeriveLinkKey); without it no link verifies.
	FileLinkKey []byte
	// Flows enrolls contacts in flows and stops runs; without it the flow run, shortcut and
	// incoming webhook routes answer 503.
	Flows *flowrun.Enroller
	// FlowHookRate and FlowHookBurst limit the calls to each flow's incoming webhook, per API
	// process (defaults 10 per second, bursts of 100); past them the webhook answers 429.
	FlowHookRate  float64
	FlowHookBurst int

	routes     []Route
	hookLimits *keyedLimiter
}

func (s *Server) defaults() {
	if s.Log == nil {
		s.Log = slog.Default()
	}
	if s.HTTP == nil {
		s.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if s.TokenTTL == 0 {
		s.TokenTTL = 24 * time.Hour
	}
	if s.UpdateTimeout == 0 {
		s.UpdateTimeout = 20 * time.Second
	}
	if s.MaxUpload <= 0 {
		s.MaxUpload = 25 << 20
	}
	if s.FlowHookRate <= 0 {
		s.FlowHookRate = defaultFlowHookRate
	}
	if s.FlowHookBurst <= 0 {
		s.FlowHookBurst = defaultFlowHookBurst
	}
	if s.hookLimits == nil {
		s.hookLimits = newKeyedLimiter(s.FlowHookRate, s.FlowHookBurst)
	}
}

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	s.defaults()
	s.routes = nil
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if err := r.SetTrustedProxies(s.TrustedProxies); err != nil {
		s.Log.Error("CHATCENTER_TRUSTED_PROXIES is not valid; trusting no proxy", "error", err)
		_ = r.SetTrustedProxies(nil)
	}
	r.HandleMethodNotAllowed = true
	r.Use(requestID(), s.accessLog(), s.recovery())
	r.NoRoute(func(c *gin.Context) { s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "no such route")) })
	r.NoMethod(func(c *gin.Context) {
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, errorBody{Error: errorDetail{Code: "method_not_allowed", Message: "method not allowed"}})
	})

	h := func(method, path string, p Permission, fn gin.HandlerFunc) { s.handle(r, method, path, p, fn) }
	const get, post, patch, put, del = http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete

	h(get, "/", PermPublic, s.index)
	h(get, "/healthz", PermPublic, s.healthz)
	h(get, "/readyz", PermPublic, s.readyz)
	h(post, "/webhooks/:type/:channelID", PermPublic, s.webhook)
	// Incoming Webhook triggers: the token in the path is the credential.
	h(post, "/hooks/flows/:token", PermPublic, s.flowHook)

	const v1 = "/api/v1"
	h(get, v1+"/healthz", PermPublic, s.healthz)
	h(get, v1+"/readyz", PermPublic, s.readyz)
	h(get, v1+"/openapi.json", PermPublic, s.openAPI)
	h(post, v1+"/auth/login", PermPublic, s.login)
	h(post, v1+"/auth/logout", PermMember, s.logout)
	h(get, v1+"/me", PermMember, s.me)

	// Channels.
	h(post, v1+"/channels", PermChannelsManage, s.createChannel)
	h(get, v1+"/channels", PermChannelsManage, s.listChannels)
	h(get, v1+"/channels/:id", PermChannelsManage, s.getChannel)
	h(patch, v1+"/channels/:id", PermChannelsManage, s.updateChannel)
	h(del, v1+"/channels/:id", PermChannelsManage, s.deleteChannel)

	// Conversations.
	h(get, v1+"/conversations", PermMember, s.listConversations)
	h(get, v1+"/conversations/:id", PermMember, s.getConversation)
	h(get, v1+"/conversations/:id/messages", PermMember, s.listConversationMessages)
	h(post, v1+"/conversations/:id/messages", PermMember, s.sendMessage)
	h(post, v1+"/conversations/:id/assign", PermMember, s.assignConversation)
	h(post, v1+"/conversations/:id/unassign", PermMember, s.unassignConversation)
	h(post, v1+"/conversations/:id/close", PermMember, s.closeConversation)
	h(get, v1+"/conversations/:id/csat", PermMember, s.getConversationCSAT)

	// Contacts.
	h(get, v1+"/contacts/:id", PermMember, s.getContact)
	h(get, v1+"/contacts/:id/messages", PermMember, s.listContactMessages)
	h(get, v1+"/messages/:id/attachment", PermMember, s.messageAttachment)
	h(post, v1+"/contacts/:id/conversation/open", PermMember, s.openConversation)

	// Users, availability and teams.
	h(post, v1+"/auth/accept-invitation", PermPublic, s.acceptInvitation)
	h(post, v1+"/auth/password-reset", PermPublic, s.requestPasswordReset)
	h(post, v1+"/auth/password-reset/confirm", PermPublic, s.confirmPasswordReset)
	h(patch, v1+"/me", PermMember, s.updateMe)
	h(post, v1+"/me/password", PermMember, s.changePassword)
	h(put, v1+"/me/availability", PermMember, s.setAvailability)
	h(post, v1+"/me/heartbeat", PermMember, s.heartbeat)
	h(post, v1+"/users/invitations", PermUsersManage, s.inviteUser)
	h(get, v1+"/users/invitations", PermUsersManage, s.listInvitations)
	h(del, v1+"/users/invitations/:id", PermUsersManage, s.deleteInvitation)
	h(get, v1+"/users", PermMember, s.listUsers)
	h(get, v1+"/users/:id", PermMember, s.getUser)
	h(patch, v1+"/users/:id", PermUsersManage, s.updateUser)
	h(post, v1+"/users/:id/deactivate", PermUsersManage, s.deactivateUser)
	h(post, v1+"/users/:id/reactivate", PermUsersManage, s.reactivateUser)
	h(post, v1+"/users/:id/password-reset", PermUsersManage, s.adminPasswordReset)
	h(get, v1+"/teams", PermMember, s.listTeams)
	h(get, v1+"/teams/:id", PermMember, s.getTeam)
	h(post, v1+"/teams", PermTeamsManage, s.createTeam)
	h(patch, v1+"/teams/:id", PermTeamsManage, s.updateTeam)
	h(del, v1+"/teams/:id", PermTeamsManage, s.deleteTeam)
	h(put, v1+"/teams/:id/members", PermTeamsManage, s.replaceTeamMembers)
	h(post, v1+"/teams/:id/members", PermTeamsManage, s.addTeamMember)
	h(del, v1+"/teams/:id/members/:userID", PermTeamsManage, s.removeTeamMember)

	// Inbox.
	h(get, v1+"/inbox/counts", PermMember, s.inboxCounts)
	h(post, v1+"/conversations/:id/read", PermMember, s.markRead)
	h(post, v1+"/conversations/:id/reopen", PermMember, s.reopenConversation)
	h(post, v1+"/contacts/:id/bot/pause", PermMember, s.setBotPaused(true))
	h(post, v1+"/contacts/:id/bot/resume", PermMember, s.setBotPaused(false))

	// Contacts: CRUD, tags, fields, lifecycle.
	h(get, v1+"/contacts", PermMember, s.listContacts)
	h(post, v1+"/contacts", PermMember, s.createContact)
	h(patch, v1+"/contacts/:id", PermMember, s.updateContact)
	h(del, v1+"/contacts/:id", PermContactsDelete, s.deleteContact)
	h(post, v1+"/contacts/:id/tags", PermMember, s.addContactTags)
	h(del, v1+"/contacts/:id/tags", PermMember, s.removeContactTags)
	h(put, v1+"/contacts/:id/lifecycle", PermMember, s.setContactLifecycle)
	h(get, v1+"/contacts/:id/conversations", PermMember, s.listContactConversations)
	h(get, v1+"/contacts/:id/activity", PermMember, s.listContactActivity)

	// Comments, notifications, snippets.
	h(post, v1+"/contacts/:id/comments", PermMember, s.createComment)
	h(get, v1+"/contacts/:id/comments", PermMember, s.listComments)
	h(del, v1+"/comments/:id", PermMember, s.deleteComment)
	h(get, v1+"/notifications", PermMember, s.listNotifications)
	h(get, v1+"/notifications/unread-count", PermMember, s.notificationUnreadCount)
	h(post, v1+"/notifications/read-all", PermMember, s.readAllNotifications)
	h(post, v1+"/notifications/:id/read", PermMember, s.readNotification)
	h(get, v1+"/snippets", PermMember, s.listSnippets)
	h(get, v1+"/snippets/:id", PermMember, s.getSnippet)
	h(post, v1+"/snippets", PermSnippetsManage, s.createSnippet)
	h(patch, v1+"/snippets/:id", PermSnippetsManage, s.updateSnippet)
	h(del, v1+"/snippets/:id", PermSnippetsManage, s.deleteSnippet)
	h(post, v1+"/snippets/:id/render", PermMember, s.renderSnippet)

	// Files.
	h(post, v1+"/files", PermMember, s.uploadFile)
	h(get, v1+"/files", PermMember, s.listFiles)
	h(get, v1+"/files/:id", PermMember, s.getFile)
	h(get, v1+"/files/:id/content", PermMember, s.downloadFile)
	h(del, v1+"/files/:id", PermMember, s.deleteFile)
	// Providers fetch attachments through signed, expiring links; the token is the credential.
	h(get, "/files/public/:token", PermPublic, s.publicFile)
	h(http.MethodHead, "/files/public/:token", PermPublic, s.publicFile)

	// Settings.
	h(get, v1+"/settings/general", PermMember, s.getGeneralSettings)
	h(patch, v1+"/settings/general", PermSettingsManage, s.updateGeneralSettings)
	h(get, v1+"/settings/closing-notes", PermMember, s.getClosingNotesSettings)
	h(put, v1+"/settings/closing-notes", PermSettingsManage, s.putClosingNotesSettings)
	h(get, v1+"/settings/closing-notes/categories", PermMember, s.listClosingNoteCategories)
	h(post, v1+"/settings/closing-notes/categories", PermSettingsManage, s.createClosingNoteCategory)
	h(patch, v1+"/settings/closing-notes/categories/:id", PermSettingsManage, s.updateClosingNoteCategory)
	h(del, v1+"/settings/closing-notes/categories/:id", PermSettingsManage, s.deleteClosingNoteCategory)
	h(get, v1+"/settings/lifecycle-stages", PermMember, s.getLifecycleStages)
	h(put, v1+"/settings/lifecycle-stages", PermSettingsManage, s.putLifecycleStages)
	h(get, v1+"/settings/assignment", PermMember, s.getAssignmentSettings)
	h(put, v1+"/settings/assignment", PermSettingsManage, s.putAssignmentSettings)
	h(get, v1+"/settings/business-hours", PermMember, s.getBusinessHours)
	h(put, v1+"/settings/business-hours", PermSettingsManage, s.putBusinessHours)
	h(get, v1+"/settings/away-message", PermMember, s.getAwayMessage)
	h(put, v1+"/settings/away-message", PermSettingsManage, s.putAwayMessage)
	h(get, v1+"/settings/auto-close", PermMember, s.getAutoCloseSettings)
	h(put, v1+"/settings/auto-close", PermSettingsManage, s.putAutoCloseSettings)
	h(get, v1+"/settings/csat", PermMember, s.getCSATSettings)
	h(put, v1+"/settings/csat", PermSettingsManage, s.putCSATSettings)
	h(get, v1+"/settings/contact-fields", PermMember, s.listContactFields)
	h(post, v1+"/settings/contact-fields", PermSettingsManage, s.createContactField)
	h(patch, v1+"/settings/contact-fields/:id", PermSettingsManage, s.updateContactField)
	h(del, v1+"/settings/contact-fields/:id", PermSettingsManage, s.deleteContactField)

	// Flows.
	h(get, v1+"/flows", PermFlowsManage, s.listFlows)
	h(post, v1+"/flows", PermFlowsManage, s.createFlow)
	h(post, v1+"/flows/import", PermFlowsManage, s.importFlow)
	h(get, v1+"/flows/:id", PermFlowsManage, s.getFlow)
	h(patch, v1+"/flows/:id", PermFlowsManage, s.updateFlow)
	h(del, v1+"/flows/:id", PermFlowsManage, s.deleteFlow)
	h(post, v1+"/flows/:id/publish", PermFlowsManage, s.publishFlow)
	h(post, v1+"/flows/:id/stop", PermFlowsManage, s.stopFlow)
	h(post, v1+"/flows/:id/clone", PermFlowsManage, s.cloneFlow)
	h(get, v1+"/flows/:id/export", PermFlowsManage, s.exportFlow)
	h(get, v1+"/flows/templates", PermFlowsManage, s.listFlowTemplates)
	h(post, v1+"/flows/templates/:key", PermFlowsManage, s.createFlowFromTemplate)
	h(get, v1+"/flows/:id/webhook", PermFlowsManage, s.getFlowWebhook)
	h(post, v1+"/flows/:id/webhook/rotate", PermFlowsManage, s.rotateFlowWebhook)

	// Flow runs and shortcuts.
	h(get, v1+"/flows/:id/runs", PermFlowsManage, s.listFlowRuns)
	h(post, v1+"/flows/:id/runs", PermFlowsManage, s.startFlowRun)
	h(get, v1+"/flows/:id/runs/:run_id", PermFlowsManage, s.getFlowRun)
	h(post, v1+"/flows/:id/runs/:run_id/stop", PermFlowsManage, s.stopFlowRun)
	h(get, v1+"/shortcuts", PermShortcutsRun, s.listShortcuts)
	h(post, v1+"/contacts/:id/shortcuts/:flow_id", PermShortcutsRun, s.runShortcut)

	// Realtime.
	// EventSource cannot set headers: this route also takes ?access_token= (queryToken) before
	// the usual authentication and permission check.
	s.handle(r.Group("", queryToken()), get, v1+"/events", PermMember, s.streamEvents)

	_, _ = put, patch
	return r
}

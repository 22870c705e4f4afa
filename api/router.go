// Package api is Chat Center's HTTP interface: the REST API under /api/v1 for agents, admins and
// integrators, and the provider webhooks under /webhooks. Every route is registered in this file.
package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/secret"
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

	routes []Route
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
}

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	s.defaults()
	s.routes = nil
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
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

	// Contacts.
	h(get, v1+"/contacts/:id", PermMember, s.getContact)
	h(get, v1+"/contacts/:id/messages", PermMember, s.listContactMessages)
	h(post, v1+"/contacts/:id/conversation/open", PermMember, s.openConversation)

	// Users, availability and teams.

	// Inbox.
	h(get, v1+"/inbox/counts", PermMember, s.inboxCounts)
	h(post, v1+"/conversations/:id/read", PermMember, s.markRead)
	h(post, v1+"/conversations/:id/reopen", PermMember, s.reopenConversation)
	h(post, v1+"/contacts/:id/bot/pause", PermMember, s.setBotPaused(true))
	h(post, v1+"/contacts/:id/bot/resume", PermMember, s.setBotPaused(false))

	// Contacts: CRUD, tags, fields, lifecycle.

	// Comments, notifications, snippets.

	// Files.

	// Settings.

	// Realtime.

	_, _ = put, patch
	return r
}

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
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(requestID(), s.accessLog(), s.recovery())
	r.NoRoute(func(c *gin.Context) { s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "no such route")) })
	r.NoMethod(func(c *gin.Context) {
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, errorBody{Error: errorDetail{Code: "method_not_allowed", Message: "method not allowed"}})
	})

	r.GET("/", s.index)
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.POST("/webhooks/:type/:channelID", s.webhook)

	v1 := r.Group("/api/v1")
	v1.GET("/healthz", s.healthz)
	v1.GET("/readyz", s.readyz)
	v1.POST("/auth/login", s.login)

	authed := v1.Group("", s.authenticate())
	authed.GET("/me", s.me)
	authed.POST("/auth/logout", s.logout)

	admins := authed.Group("", s.requireRole(chatcenter.RoleOwner, chatcenter.RoleManager))
	admins.POST("/channels", s.createChannel)
	admins.GET("/channels", s.listChannels)
	admins.GET("/channels/:id", s.getChannel)
	admins.PATCH("/channels/:id", s.updateChannel)
	admins.DELETE("/channels/:id", s.deleteChannel)

	authed.GET("/conversations", s.listConversations)
	authed.GET("/conversations/:id", s.getConversation)
	authed.GET("/conversations/:id/messages", s.listConversationMessages)
	authed.POST("/conversations/:id/messages", s.sendMessage)
	authed.POST("/conversations/:id/assign", s.assignConversation)
	authed.POST("/conversations/:id/unassign", s.unassignConversation)
	authed.POST("/conversations/:id/close", s.closeConversation)

	authed.GET("/contacts/:id", s.getContact)
	authed.GET("/contacts/:id/messages", s.listContactMessages)
	authed.POST("/contacts/:id/conversation/open", s.openConversation)
	return r
}

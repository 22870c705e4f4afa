package api

import (
	"context"
	"html/template"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
)

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz answers 200 only when Postgres and Temporal both answer.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	checks := gin.H{"postgres": "ok", "temporal": "ok"}
	ready := true
	if err := s.DB.Pool.Ping(ctx); err != nil {
		checks["postgres"], ready = "unreachable", false
	}
	if _, err := s.Temporal.CheckHealth(ctx, nil); err != nil {
		checks["temporal"], ready = "unreachable", false
	}
	if !ready {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "checks": checks,
			"error": errorDetail{Code: chatcenter.EUNAVAILABLE, Message: "a dependency is unreachable"}})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok", "checks": checks})
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Chat Center</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}code{background:#f3f3f3;padding:.1rem .3rem}</style>
</head><body>
<h1>Chat Center</h1>
<p>The omnichannel customer-conversation platform is running.</p>
<ul>
<li>REST API: <code>/api/v1</code> — start with <code>POST /api/v1/auth/login</code> (see the README's walkthrough).</li>
<li>API reference (OpenAPI 3): <a href="/api/v1/openapi.json">/api/v1/openapi.json</a></li>
<li>Live events (Server-Sent Events): <code>/api/v1/events</code></li>
<li>Health: <a href="/healthz">/healthz</a> · readiness: <a href="/readyz">/readyz</a></li>
{{if .UI}}<li>Temporal UI (every conversation run): <a href="{{.UI}}">{{.UI}}</a></li>{{end}}
</ul>
</body></html>`))

func (s *Server) index(c *gin.Context) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(http.StatusOK)
	_ = indexPage.Execute(c.Writer, struct{ UI string }{s.TemporalUIURL})
}

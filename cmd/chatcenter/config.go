package main

import (
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// config is everything read from the environment; the README's configuration table lists it.
type config struct {
	DatabaseURL       string
	DataDir           string
	HTTPAddr          string
	PublicURL         string
	SecretKey         string
	AdminEmail        string
	AdminPassword     string
	TemporalAddress   string
	TemporalNamespace string
	TemporalAPIKey    string
	TemporalTLS       bool
	DevTemporalAddr   string
	DevTemporalUIAddr string
	LogLevel          slog.Level
	LogFormat         string
	TokenTTL          time.Duration
	// FilesDir holds uploaded files; empty means the default of each command (dev: DataDir/files,
	// serve: ./files).
	FilesDir string
	// MaxUpload bounds one uploaded file, in bytes.
	MaxUpload int64
	// TrustedProxies lists the reverse proxies whose X-Forwarded-For is believed.
	TrustedProxies []string
	// FlowHTTPAllow lists address ranges (CIDR) that flows' HTTP Request steps may reach
	// although they are internal (loopback, private, link-local are refused otherwise).
	FlowHTTPAllow []string
	// SMTPURL and SMTPFrom send invitations and password resets by e-mail.
	SMTPURL  string
	SMTPFrom string
}

func loadConfig(getenv func(string) string) config {
	get := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	c := config{
		DatabaseURL:       get("DATABASE_URL", ""),
		SMTPURL:           get("SMTP_URL", ""),
		TrustedProxies:    splitList(get("CHATCENTER_TRUSTED_PROXIES", "")),
		FlowHTTPAllow:     splitList(get("CHATCENTER_FLOW_HTTP_ALLOW", "")),
		SMTPFrom:          get("SMTP_FROM", ""),
		DataDir:           get("CHATCENTER_DATA_DIR", ".chatcenter"),
		HTTPAddr:          get("CHATCENTER_HTTP_ADDR", ""),
		PublicURL:         strings.TrimRight(get("PUBLIC_URL", ""), "/"),
		SecretKey:         get("CHATCENTER_SECRET_KEY", ""),
		AdminEmail:        get("CHATCENTER_ADMIN_EMAIL", "admin@example.com"),
		AdminPassword:     getenv("CHATCENTER_ADMIN_PASSWORD"),
		TemporalAddress:   get("TEMPORAL_ADDRESS", "127.0.0.1:7233"),
		TemporalNamespace: get("TEMPORAL_NAMESPACE", "default"),
		TemporalAPIKey:    get("TEMPORAL_API_KEY", ""),
		TemporalTLS:       get("TEMPORAL_TLS", "") == "true",
		DevTemporalAddr:   get("CHATCENTER_DEV_TEMPORAL_ADDR", "127.0.0.1:7233"),
		DevTemporalUIAddr: get("CHATCENTER_DEV_TEMPORAL_UI_ADDR", "127.0.0.1:8233"),
		LogFormat:         get("CHATCENTER_LOG_FORMAT", ""),
		TokenTTL:          24 * time.Hour,
		FilesDir:          get("CHATCENTER_FILES_DIR", ""),
		MaxUpload:         25 << 20,
	}
	if mb, err := strconv.ParseInt(get("CHATCENTER_MAX_UPLOAD_MB", "25"), 10, 64); err == nil && mb > 0 && mb <= 1<<20 {
		c.MaxUpload = mb << 20
	}
	if d, err := time.ParseDuration(get("CHATCENTER_TOKEN_TTL", "24h")); err == nil && d > 0 {
		c.TokenTTL = d
	}
	_ = c.LogLevel.UnmarshalText([]byte(get("CHATCENTER_LOG_LEVEL", "info")))
	if abs, err := filepath.Abs(c.DataDir); err == nil {
		c.DataDir = abs
	}
	return c
}

// filesDir is where uploads live: CHATCENTER_FILES_DIR, else the data dir in dev and ./files
// for serve.
func (c config) filesDir(dev bool) string {
	switch {
	case c.FilesDir != "":
		return c.FilesDir
	case dev:
		return filepath.Join(c.DataDir, "files")
	}
	return "files"
}

func (c config) logger(w io.Writer, dev bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	format := c.LogFormat
	if format == "" {
		format = "json"
		if dev {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// splitList splits a comma-separated setting, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

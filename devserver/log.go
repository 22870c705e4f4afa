package devserver

import (
	"context"
	"log/slog"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// serverLogLevel is the lowest level of Temporal server log records that
// reach the caller's logger while the server runs. The server is very chatty
// at info level (shard movements, membership, every service start/stop), none
// of which matters to someone running `chatcenter dev`, so only warnings and
// errors get through.
const serverLogLevel = slog.LevelWarn

// quietLogLevel is used while the server starts and stops. In those phases
// the server logs a burst of harmless warnings (internal clients dialing a
// frontend that is not listening yet or any more, system workers whose polls
// are cut off, the disabled HTTP API); real start problems come back from
// Start as an error anyway.
const quietLogLevel = slog.LevelError

// minLevelHandler drops records below min before they reach the wrapped
// handler. It exists so that the server can be quieter than the caller's own
// logger without the caller having to build a second logger. min is a
// Leveler (a *slog.LevelVar in practice) so the level can change at run time.
type minLevelHandler struct {
	min   slog.Leveler
	inner slog.Handler
}

var _ slog.Handler = minLevelHandler{}

func (h minLevelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min.Level() && h.inner.Enabled(ctx, l)
}

func (h minLevelHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.inner.Handle(ctx, r)
}

func (h minLevelHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevelHandler{min: h.min, inner: h.inner.WithAttrs(attrs)}
}

func (h minLevelHandler) WithGroup(name string) slog.Handler {
	return minLevelHandler{min: h.min, inner: h.inner.WithGroup(name)}
}

// slogLogger adapts a *slog.Logger to the Temporal server's log.Logger
// interface. The server only ships the opposite direction
// (log.NewSlogLogger turns a server logger into a *slog.Logger).
type slogLogger struct {
	l *slog.Logger
}

var (
	_ log.Logger      = slogLogger{}
	_ log.WithLogger  = slogLogger{}
	_ log.SLogWrapper = slogLogger{}
)

// newServerLogger wraps l so that records below min are dropped.
func newServerLogger(l *slog.Logger, min slog.Leveler) slogLogger {
	return slogLogger{l: slog.New(minLevelHandler{min: min, inner: l.Handler()})}
}

func (s slogLogger) Debug(msg string, tags ...tag.Tag) { s.log(slog.LevelDebug, msg, tags) }
func (s slogLogger) Info(msg string, tags ...tag.Tag)  { s.log(slog.LevelInfo, msg, tags) }
func (s slogLogger) Warn(msg string, tags ...tag.Tag)  { s.log(slog.LevelWarn, msg, tags) }
func (s slogLogger) Error(msg string, tags ...tag.Tag) { s.log(slog.LevelError, msg, tags) }

// DPanic, Panic and Fatal are logged as errors instead of panicking or
// exiting: an embedded dev server must never take the whole chatcenter
// process down on its own (the Temporal CLI makes the same choice).
func (s slogLogger) DPanic(msg string, tags ...tag.Tag) { s.log(slog.LevelError, msg, tags) }
func (s slogLogger) Panic(msg string, tags ...tag.Tag)  { s.log(slog.LevelError, msg, tags) }
func (s slogLogger) Fatal(msg string, tags ...tag.Tag)  { s.log(slog.LevelError, msg, tags) }

// With implements log.WithLogger so that tagged child loggers keep using slog
// attributes instead of the server's slower generic tag prepender.
func (s slogLogger) With(tags ...tag.Tag) log.Logger {
	return slogLogger{l: slog.New(s.l.Handler().WithAttrs(tagsToAttrs(tags)))}
}

// SLog implements log.SLogWrapper: server code that wants a *slog.Logger
// (via log.NewSlogLogger) gets the same level-filtered logger.
func (s slogLogger) SLog() *slog.Logger { return s.l }

func (s slogLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	ctx := context.Background()
	if !s.l.Enabled(ctx, level) {
		return // skip converting tags for records that would be dropped anyway
	}
	s.l.LogAttrs(ctx, level, msg, tagsToAttrs(tags)...)
}

func tagsToAttrs(tags []tag.Tag) []slog.Attr {
	attrs := make([]slog.Attr, len(tags))
	for i, t := range tags {
		attrs[i] = slog.Any(t.Key(), t.Value())
	}
	return attrs
}

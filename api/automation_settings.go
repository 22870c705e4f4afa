package api

import (
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

// Conversation automations (respond.io's Conversations settings): auto-close, which closes an
// open conversation when the contact has not replied for a while after a human agent's message,
// and the satisfaction survey (CSAT) sent to the contact when a conversation closes. Everyone
// reads the settings; writing needs settings.manage and writes a "settings.updated" event.

// respond.io's auto-close bounds: 30 minutes to 14 days, 24 hours by default.
const (
	autoCloseMinSeconds     = 30 * 60
	autoCloseMaxSeconds     = 14 * 24 * 60 * 60
	autoCloseDefaultSeconds = 24 * 60 * 60
)

// Survey bounds: the question fits every channel with its rating buttons, and the contact has
// between 5 minutes and 7 days to answer (1 day by default).
const (
	csatQuestionMax       = 500
	csatDefaultQuestion   = "How would you rate our conversation?"
	csatMinTimeoutSeconds = 5 * 60
	csatMaxTimeoutSeconds = 7 * 24 * 60 * 60
	csatDefaultTimeout    = 24 * 60 * 60
)

func init() {
	const v1 = "/api/v1"
	document(http.MethodGet, v1+"/settings/auto-close", Operation{Summary: "Auto-close: whether open conversations close by themselves, and after how many seconds without a contact reply", Tag: "Settings", Response: autoCloseSettings{}})
	document(http.MethodPut, v1+"/settings/auto-close", Operation{Summary: "Turn auto-close on or off. after_seconds is 1800 (30 min) to 1209600 (14 days), 86400 when omitted; the timer starts on a human agent's message, the contact's reply cancels it, and it applies to conversations opened after it was turned on", Tag: "Settings", Request: autoCloseRequest{}, Response: autoCloseSettings{}})
	document(http.MethodGet, v1+"/settings/csat", Operation{Summary: "Satisfaction survey sent when a conversation closes", Tag: "Settings", Response: csatSettings{}})
	document(http.MethodPut, v1+"/settings/csat", Operation{Summary: "Turn the satisfaction survey on or off. question (at most 500 characters) is sent with rating buttons 1–5 when a conversation closes; the contact's rating within timeout_seconds (300 to 604800, 86400 when omitted) is recorded against the conversation and its agent", Tag: "Settings", Request: csatRequest{}, Response: csatSettings{}})
	document(http.MethodGet, v1+"/conversations/:id/csat", Operation{Summary: "The contact's satisfaction rating of a closed conversation (404 when none was given)", Tag: "Conversations", Response: csatRating{}})
}

// ---- Auto-close ----

type autoCloseSettings struct {
	Enabled      bool `json:"enabled"`
	AfterSeconds int  `json:"after_seconds"`
}

type autoCloseRequest struct {
	Enabled      *bool `json:"enabled"`
	AfterSeconds *int  `json:"after_seconds"`
}

func toAutoCloseSettings(seconds *int32) autoCloseSettings {
	if seconds == nil {
		return autoCloseSettings{AfterSeconds: autoCloseDefaultSeconds}
	}
	return autoCloseSettings{Enabled: true, AfterSeconds: int(*seconds)}
}

func (s *Server) getAutoCloseSettings(c *gin.Context) {
	st, err := s.DB.AutomationSettingsGet(c.Request.Context(), currentUser(c).WorkspaceID)
	if err != nil {
		s.fail(c, db.Error(err))
		return
	}
	c.JSON(http.StatusOK, toAutoCloseSettings(st.AutoCloseSeconds))
}

func (s *Server) putAutoCloseSettings(c *gin.Context) {
	var req autoCloseRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	if req.Enabled == nil {
		s.fail(c, invalid("enabled is required"))
		return
	}
	after := autoCloseDefaultSeconds
	if req.AfterSeconds != nil {
		after = *req.AfterSeconds
		if after < autoCloseMinSeconds || after > autoCloseMaxSeconds {
			s.fail(c, invalid("after_seconds must be from %d (30 minutes) to %d (14 days)", autoCloseMinSeconds, autoCloseMaxSeconds))
			return
		}
	}
	var stored *int32
	if *req.Enabled {
		v := int32(after)
		stored = &v
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	var out autoCloseSettings
	err := s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		w, err := q.WorkspaceGetForUpdate(ctx, u.WorkspaceID)
		if err != nil {
			return db.Error(err)
		}
		before := toAutoCloseSettings(w.AutoCloseSeconds)
		out = toAutoCloseSettings(stored)
		if out == before {
			return nil
		}
		if _, err := q.AutoCloseSettingsSet(ctx, dbsqlc.AutoCloseSettingsSetParams{AfterSeconds: stored, WorkspaceID: u.WorkspaceID}); err != nil {
			return err
		}
		return s.settingsEvent(c, q, "auto_close", out)
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// ---- Satisfaction survey ----

type csatSettings struct {
	Enabled        bool   `json:"enabled"`
	Question       string `json:"question"`
	TimeoutSeconds int    `json:"timeout_seconds"`
}

type csatRequest struct {
	Enabled        *bool   `json:"enabled"`
	Question       *string `json:"question"`
	TimeoutSeconds *int    `json:"timeout_seconds"`
}

// normalize validates the request; omitted (or blank) values take their defaults.
func (r csatRequest) normalize() (csatSettings, error) {
	if r.Enabled == nil {
		return csatSettings{}, invalid("enabled is required")
	}
	out := csatSettings{Enabled: *r.Enabled, Question: csatDefaultQuestion, TimeoutSeconds: csatDefaultTimeout}
	if r.Question != nil {
		if q := strings.TrimSpace(*r.Question); q != "" {
			out.Question = q
		}
	}
	if n := utf8.RuneCountInString(out.Question); n > csatQuestionMax {
		return out, invalid("question is %d characters; the limit is %d", n, csatQuestionMax)
	}
	if strings.IndexFunc(out.Question, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) >= 0 {
		return out, invalid("question must not contain control characters other than line breaks")
	}
	if r.TimeoutSeconds != nil {
		out.TimeoutSeconds = *r.TimeoutSeconds
		if out.TimeoutSeconds < csatMinTimeoutSeconds || out.TimeoutSeconds > csatMaxTimeoutSeconds {
			return out, invalid("timeout_seconds must be from %d (5 minutes) to %d (7 days)", csatMinTimeoutSeconds, csatMaxTimeoutSeconds)
		}
	}
	return out, nil
}

func (s *Server) getCSATSettings(c *gin.Context) {
	st, err := s.DB.AutomationSettingsGet(c.Request.Context(), currentUser(c).WorkspaceID)
	if err != nil {
		s.fail(c, db.Error(err))
		return
	}
	c.JSON(http.StatusOK, csatSettings{Enabled: st.CsatEnabled, Question: st.CsatQuestion, TimeoutSeconds: int(st.CsatTimeoutSeconds)})
}

func (s *Server) putCSATSettings(c *gin.Context) {
	var req csatRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	next, err := req.normalize()
	if err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		w, err := q.WorkspaceGetForUpdate(ctx, u.WorkspaceID)
		if err != nil {
			return db.Error(err)
		}
		if next == (csatSettings{Enabled: w.CsatEnabled, Question: w.CsatQuestion, TimeoutSeconds: int(w.CsatTimeoutSeconds)}) {
			return nil
		}
		if _, err := q.CSATSettingsSet(ctx, dbsqlc.CSATSettingsSetParams{
			Enabled: next.Enabled, Question: next.Question, TimeoutSeconds: int32(next.TimeoutSeconds), WorkspaceID: u.WorkspaceID,
		}); err != nil {
			return err
		}
		return s.settingsEvent(c, q, "csat", next)
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, next)
}

// csatRating is a contact's answer to the survey of a conversation; AssigneeID is the agent the
// conversation was assigned to when it closed.
type csatRating struct {
	ConversationID int64     `json:"conversation_id"`
	Rating         int       `json:"rating"`
	AssigneeID     *int64    `json:"assignee_id"`
	CreatedAt      time.Time `json:"created_at"`
}

func (s *Server) getConversationCSAT(c *gin.Context) {
	conv, err := s.loadConversation(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.DB.CSATResponseGet(c.Request.Context(), dbsqlc.CSATResponseGetParams{WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID})
	if db.IsNoRows(err) {
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "the contact has not rated this conversation"))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, csatRating{ConversationID: r.ConversationID, Rating: int(r.Rating), AssigneeID: r.AssigneeID, CreatedAt: r.CreatedAt})
}

package api

import (
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

// awayMessageMax is the limit of a message text in flows (respond.io's 2,000 characters).
const awayMessageMax = 2000

func init() {
	const v1 = "/api/v1"
	document(http.MethodGet, v1+"/settings/away-message", Operation{Summary: "Away message: whether contacts who open a conversation outside business hours get it, and its text", Tag: "Settings", Response: awayMessage{}})
	document(http.MethodPut, v1+"/settings/away-message", Operation{Summary: "Turn the away message on or off and set its text (1–2000 characters, variables such as {{$contact.first_name}} allowed). It is sent, once per conversation, when a contact opens a conversation outside the business hours of /settings/business-hours (a workspace without business hours set is always away)", Tag: "Settings", Request: awayMessageRequest{}, Response: awayMessage{}})
}

// awayMessage is the seed's "Fuera de Horario" setting.
type awayMessage struct {
	Enabled bool   `json:"enabled"`
	Text    string `json:"text"`
}

type awayMessageRequest struct {
	Enabled *bool   `json:"enabled"`
	Text    *string `json:"text"`
}

func (s *Server) getAwayMessage(c *gin.Context) {
	row, err := s.DB.AwayMessageGet(c.Request.Context(), currentUser(c).WorkspaceID)
	if err != nil {
		s.fail(c, db.Error(err))
		return
	}
	c.JSON(http.StatusOK, awayMessage{Enabled: row.AwayMessageEnabled, Text: row.AwayMessageText})
}

func (s *Server) putAwayMessage(c *gin.Context) {
	var req awayMessageRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	if req.Enabled == nil {
		s.fail(c, invalid("enabled is required"))
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	var out awayMessage
	err := s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		cur, err := q.AwayMessageGet(ctx, u.WorkspaceID)
		if err != nil {
			return db.Error(err)
		}
		next := awayMessage{Enabled: *req.Enabled, Text: cur.AwayMessageText}
		if req.Text != nil {
			next.Text = strings.TrimSpace(*req.Text)
			if next.Text == "" {
				return invalid("text must not be empty")
			}
			if n := utf8.RuneCountInString(next.Text); n > awayMessageMax {
				return invalid("text is %d characters; the limit is %d", n, awayMessageMax)
			}
			if strings.IndexFunc(next.Text, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) >= 0 {
				return invalid("text must not contain control characters other than line breaks")
			}
		}
		out = next
		if next == (awayMessage{Enabled: cur.AwayMessageEnabled, Text: cur.AwayMessageText}) {
			return nil
		}
		if _, err := q.AwayMessageSet(ctx, dbsqlc.AwayMessageSetParams{Enabled: next.Enabled, Text: next.Text, WorkspaceID: u.WorkspaceID}); err != nil {
			return err
		}
		return s.settingsEvent(c, q, "away_message", next)
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

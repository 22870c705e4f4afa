package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/channels"
	"github.com/chatcenterhq/chatcenter/channels/provider"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/secret"
	"github.com/chatcenterhq/chatcenter/workflows"
)

// maxWebhookBody bounds provider payloads; Telegram updates are a few KB.
const maxWebhookBody = 1 << 20

// webhook receives a provider's inbound events: verify the shared secret (401, nothing stored),
// parse (400, nothing stored), persist each event in its own transaction, then signal the contact's
// conversation workflow. Only then does it answer 200; any failure answers 5xx so the provider
// delivers again, and redelivery is harmless (messages are unique per channel and external id,
// and the workflow ignores message references it has seen).
func (s *Server) webhook(c *gin.Context) {
	typ := chatcenter.ChannelType(c.Param("type"))
	id, err := strconv.ParseInt(c.Param("channelID"), 10, 64)
	if !typ.Valid() || err != nil || id <= 0 {
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "channel not found"))
		return
	}
	ctx := c.Request.Context()
	ch, err := s.DB.ChannelGetForWebhook(ctx, dbsqlc.ChannelGetForWebhookParams{ID: id, Type: string(typ)})
	if db.IsNoRows(err) {
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "channel not found"))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if !secret.TokenMatches(provider.WebhookToken(typ, c.Request.Header), ch.WebhookSecretHash) {
		s.fail(c, chatcenter.Errorf(chatcenter.EUNAUTHORIZED, "webhook secret is missing or wrong"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxWebhookBody))
	if err != nil {
		s.fail(c, invalid("cannot read body (limit %d bytes)", maxWebhookBody))
		return
	}
	events, err := provider.Parse(typ, body)
	if errors.Is(err, channels.ErrMalformed) {
		s.fail(c, invalid("%s", err.Error()))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	for _, ev := range events {
		if err := s.ingest(c, ch, ev); err != nil {
			s.fail(c, err)
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"ok": true})
}

func (s *Server) ingest(c *gin.Context, ch dbsqlc.Channel, ev channels.InboundEvent) error {
	ctx := c.Request.Context()
	switch ev.Kind {
	case channels.InboundEdit:
		return s.DB.IngestEdit(ctx, ch.WorkspaceID, ch.ID, ev.ExternalID, ev.Content, ev.SentAt)
	case channels.InboundStatus:
		return s.DB.IngestStatus(ctx, ch.WorkspaceID, ch.ID, ev.ExternalID, ev.Status, ev.Error)
	case channels.InboundMessage:
	default:
		return nil
	}
	res, err := s.DB.IngestInbound(ctx, db.InboundMessage{
		WorkspaceID: ch.WorkspaceID, ChannelID: ch.ID, ExternalID: ev.ExternalID, Content: ev.Content, SentAt: ev.SentAt,
		Sender: db.InboundSender{
			ExternalID: ev.Sender.ExternalID, FirstName: ev.Sender.FirstName, LastName: ev.Sender.LastName,
			Username: ev.Sender.Username, Phone: ev.Sender.Phone, Language: ev.Sender.Language,
		},
	})
	if err != nil {
		return fmt.Errorf("store inbound message: %w", err)
	}
	sig := workflows.InboundSignal{
		MessageID: res.MessageID, ChannelID: ch.ID, ChannelType: chatcenter.ChannelType(ch.Type),
		ReceivedAt: ev.SentAt, CallbackID: ev.CallbackID,
	}
	if sig.ReceivedAt.IsZero() {
		sig.ReceivedAt = time.Now().UTC()
	}
	_, err = s.Temporal.SignalWithStartWorkflow(ctx, workflows.ConversationWorkflowID(res.ContactID), workflows.SignalInbound, sig,
		workflows.ConversationStartOptions(ch.WorkspaceID, res.ContactID), workflows.ConversationWorkflowName,
		workflows.ConversationInput{WorkspaceID: ch.WorkspaceID, ContactID: res.ContactID})
	if err != nil {
		return chatcenter.Errorf(chatcenter.EUNAVAILABLE, "stored, but the conversation engine is unreachable; deliver again")
	}
	return nil
}

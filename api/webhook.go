package api

import (
	"context"
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
//
// Messages from known senders take a one-statement path that verifies the secret inside the
// database; everything else (new senders, edits, statuses, bad requests) takes the careful path
// below it, which gives the precise 404/401/400 answers.
func (s *Server) webhook(c *gin.Context) {
	typ := chatcenter.ChannelType(c.Param("type"))
	id, err := strconv.ParseInt(c.Param("channelID"), 10, 64)
	if !typ.Valid() || err != nil || id <= 0 {
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "channel not found"))
		return
	}
	ctx := c.Request.Context()
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxWebhookBody))
	if err != nil {
		s.fail(c, invalid("cannot read body (limit %d bytes)", maxWebhookBody))
		return
	}
	token := provider.WebhookToken(typ, c.Request.Header)
	events, parseErr := provider.Parse(typ, body)
	if parseErr == nil && token != "" {
		hash := secret.HashToken(token)
		done := 0
		for _, ev := range events {
			if ev.Kind != channels.InboundMessage {
				break
			}
			ok, err := s.ingestFast(ctx, typ, id, hash, ev)
			if err != nil {
				s.fail(c, err)
				return
			}
			if !ok {
				break
			}
			done++
		}
		if done > 0 && done == len(events) {
			c.JSON(http.StatusOK, gin.H{"ok": true})
			return
		}
		events = events[done:]
	}

	ch, err := s.DB.ChannelGetForWebhook(ctx, dbsqlc.ChannelGetForWebhookParams{ID: id, Type: string(typ)})
	if db.IsNoRows(err) {
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "channel not found"))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if !secret.TokenMatches(token, ch.WebhookSecretHash) {
		s.fail(c, chatcenter.Errorf(chatcenter.EUNAUTHORIZED, "webhook secret is missing or wrong"))
		return
	}
	if errors.Is(parseErr, channels.ErrMalformed) {
		s.fail(c, invalid("%s", parseErr.Error()))
		return
	}
	if parseErr != nil {
		s.fail(c, parseErr)
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

// ingestFast stores and signals a message from a known sender when the channel and secret check
// out; ok false means the careful path must handle it.
func (s *Server) ingestFast(ctx context.Context, typ chatcenter.ChannelType, channelID int64, secretHash []byte, ev channels.InboundEvent) (bool, error) {
	res, workspaceID, ok, err := s.DB.IngestKnownSender(ctx, string(typ), secretHash, inboundMessage(0, channelID, ev))
	if err != nil || !ok {
		return false, err
	}
	return true, s.signalInbound(ctx, workspaceID, channelID, typ, res.ContactID, res.MessageID, ev)
}

func inboundMessage(workspaceID, channelID int64, ev channels.InboundEvent) db.InboundMessage {
	return db.InboundMessage{
		WorkspaceID: workspaceID, ChannelID: channelID, ExternalID: ev.ExternalID, Content: ev.Content, SentAt: ev.SentAt,
		Sender: db.InboundSender{
			ExternalID: ev.Sender.ExternalID, FirstName: ev.Sender.FirstName, LastName: ev.Sender.LastName,
			Username: ev.Sender.Username, Phone: ev.Sender.Phone, Language: ev.Sender.Language,
		},
	}
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
	res, err := s.DB.IngestInbound(ctx, inboundMessage(ch.WorkspaceID, ch.ID, ev))
	if err != nil {
		return fmt.Errorf("store inbound message: %w", err)
	}
	return s.signalInbound(ctx, ch.WorkspaceID, ch.ID, chatcenter.ChannelType(ch.Type), res.ContactID, res.MessageID, ev)
}

// signalInbound tells the contact's conversation workflow about a stored message, starting the
// workflow when none runs. Failing here answers 5xx: the provider delivers again, finds the
// stored message and signals again; should it give up (or this process die before signalling),
// the redelivery sweep (workflows.RedeliveryWorkflow) signals the message a couple of minutes later.
func (s *Server) signalInbound(ctx context.Context, workspaceID, channelID int64, typ chatcenter.ChannelType, contactID, messageID int64, ev channels.InboundEvent) error {
	sig := workflows.InboundSignal{
		MessageID: messageID, ChannelID: channelID, ChannelType: typ, ReceivedAt: ev.SentAt, CallbackID: ev.CallbackID,
	}
	if sig.ReceivedAt.IsZero() {
		sig.ReceivedAt = time.Now().UTC()
	}
	if err := workflows.SignalInboundMessage(ctx, s.Temporal, workspaceID, contactID, sig); err != nil {
		return chatcenter.Errorf(chatcenter.EUNAVAILABLE, "stored, but the conversation engine is unreachable; deliver again")
	}
	return nil
}

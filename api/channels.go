package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/channels/provider"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/secret"
)

// channelView is a channel as the API shows it: the public part of its configuration and its
// webhook URL, never a token or secret.
type channelView struct {
	chatcenter.Channel
	Config     map[string]any `json:"config"`
	WebhookURL string         `json:"webhook_url"`
}

func (s *Server) channelView(ch dbsqlc.Channel) channelView {
	v := channelView{Channel: db.ToChannel(ch), WebhookURL: s.webhookURL(ch), Config: map[string]any{}}
	if cfg, err := s.Box.Open(ch.ConfigEncrypted); err == nil {
		v.Config = provider.PublicConfig(chatcenter.ChannelType(ch.Type), cfg)
	}
	return v
}

func (s *Server) webhookURL(ch dbsqlc.Channel) string {
	base := s.PublicURL
	if base == "" {
		base = s.LocalURL
	}
	return fmt.Sprintf("%s/webhooks/%s/%d", strings.TrimRight(base, "/"), ch.Type, ch.ID)
}

type createChannelRequest struct {
	Type   chatcenter.ChannelType `json:"type"`
	Name   string                 `json:"name"`
	Config json.RawMessage        `json:"config"`
}

func validName(name string) error {
	if n := utf8.RuneCountInString(strings.TrimSpace(name)); n < 1 || n > 128 {
		return invalid("name must be 1 to 128 characters")
	}
	return nil
}

func (s *Server) createChannel(c *gin.Context) {
	var req createChannelRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	if !req.Type.Valid() {
		s.fail(c, invalid("type must be one of telegram, custom"))
		return
	}
	if err := validName(req.Name); err != nil {
		s.fail(c, err)
		return
	}
	cfg, err := provider.ParseConfig(req.Type, req.Config)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	ch, err := s.DB.ChannelInsert(ctx, dbsqlc.ChannelInsertParams{
		WorkspaceID: currentUser(c).WorkspaceID, Type: string(req.Type), Name: strings.TrimSpace(req.Name),
		ConfigEncrypted: s.Box.Seal(cfg.JSON), WebhookSecretHash: secret.HashToken(cfg.WebhookSecret),
	})
	if err != nil {
		s.fail(c, db.Error(err))
		return
	}
	if err := s.registerWebhook(ctx, ch, cfg.JSON); err != nil {
		// The provider refused our webhook: undo, so a failed create changes nothing.
		_, _ = s.DB.ChannelSoftDelete(ctx, dbsqlc.ChannelSoftDeleteParams{WorkspaceID: ch.WorkspaceID, ID: ch.ID})
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, s.channelView(ch))
}

// registerWebhook points the provider at this server when PUBLIC_URL is set.
func (s *Server) registerWebhook(ctx context.Context, ch dbsqlc.Channel, cfg []byte) error {
	if s.PublicURL == "" {
		return nil
	}
	if err := provider.RegisterWebhook(ctx, chatcenter.ChannelType(ch.Type), cfg, s.webhookURL(ch), s.HTTP); err != nil {
		s.Log.WarnContext(ctx, "webhook registration failed", "channel_id", ch.ID, "type", ch.Type, "error", err)
		return &chatcenter.Error{Code: chatcenter.EINVALID, Message: "the provider refused the webhook registration: " + err.Error()}
	}
	return nil
}

func (s *Server) listChannels(c *gin.Context) {
	rows, err := s.DB.ChannelList(c.Request.Context(), currentUser(c).WorkspaceID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listResponse[channelView]{Items: db.MapSlice(rows, s.channelView)})
}

func (s *Server) loadChannel(c *gin.Context) (dbsqlc.Channel, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return dbsqlc.Channel{}, chatcenter.Errorf(chatcenter.ENOTFOUND, "channel not found")
	}
	ch, err := s.DB.ChannelGetByID(c.Request.Context(), dbsqlc.ChannelGetByIDParams{WorkspaceID: currentUser(c).WorkspaceID, ID: id})
	if db.IsNoRows(err) {
		return ch, chatcenter.Errorf(chatcenter.ENOTFOUND, "channel not found")
	}
	return ch, err
}

func (s *Server) getChannel(c *gin.Context) {
	ch, err := s.loadChannel(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, s.channelView(ch))
}

type updateChannelRequest struct {
	Name   *string        `json:"name"`
	Config map[string]any `json:"config"`
}

// updateChannel renames a channel and/or changes configuration keys. Config keys merge into the
// stored configuration, because clients never see the stored secrets and cannot send them back.
func (s *Server) updateChannel(c *gin.Context) {
	ch, err := s.loadChannel(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req updateChannelRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	name := ch.Name
	if req.Name != nil {
		if err := validName(*req.Name); err != nil {
			s.fail(c, err)
			return
		}
		name = strings.TrimSpace(*req.Name)
	}
	stored, err := s.Box.Open(ch.ConfigEncrypted)
	if err != nil {
		s.fail(c, err)
		return
	}
	merged := map[string]any{}
	if err := json.Unmarshal(stored, &merged); err != nil {
		s.fail(c, err)
		return
	}
	for k, v := range req.Config {
		merged[k] = v
	}
	raw, _ := json.Marshal(merged)
	cfg, err := provider.ParseConfig(chatcenter.ChannelType(ch.Type), raw)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	if len(req.Config) > 0 {
		if err := s.registerWebhook(ctx, ch, cfg.JSON); err != nil {
			s.fail(c, err)
			return
		}
	}
	updated, err := s.DB.ChannelUpdate(ctx, dbsqlc.ChannelUpdateParams{
		WorkspaceID: ch.WorkspaceID, ID: ch.ID, Name: name,
		ConfigEncrypted: s.Box.Seal(cfg.JSON), WebhookSecretHash: secret.HashToken(cfg.WebhookSecret),
	})
	if err != nil {
		s.fail(c, db.Error(err))
		return
	}
	c.JSON(http.StatusOK, s.channelView(updated))
}

func (s *Server) deleteChannel(c *gin.Context) {
	ch, err := s.loadChannel(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if _, err := s.DB.ChannelSoftDelete(c.Request.Context(), dbsqlc.ChannelSoftDeleteParams{WorkspaceID: ch.WorkspaceID, ID: ch.ID}); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

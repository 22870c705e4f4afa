package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/channels"
	"github.com/chatcenterhq/chatcenter/channels/provider"
	"github.com/chatcenterhq/chatcenter/channels/telegram"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

func init() {
	document(http.MethodGet, "/api/v1/messages/:id/attachment", Operation{Summary: "Download a message's attachment: a file from the library, " +
		"or what a contact sent, fetched from the provider (Telegram: up to 20 MB); always an attachment, never rendered", Tag: "Conversations"})
}

// messageAttachment serves the attachment of a message the user may see. Contacts' files stay at
// the provider (a Telegram file_id does not expire for its bot), so they are fetched on each
// request rather than copied; files from the library come from the store.
func (s *Server) messageAttachment(c *gin.Context) {
	notFound := chatcenter.Errorf(chatcenter.ENOTFOUND, "message not found")
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, notFound)
		return
	}
	ctx := c.Request.Context()
	u := currentUser(c)
	msg, err := s.DB.MessageGetByID(ctx, dbsqlc.MessageGetByIDParams{WorkspaceID: u.WorkspaceID, ID: id})
	if db.IsNoRows(err) {
		s.fail(c, notFound)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	ct, err := s.DB.ContactGetByID(ctx, dbsqlc.ContactGetByIDParams{WorkspaceID: u.WorkspaceID, ID: msg.ContactID})
	if err != nil {
		s.fail(c, db.Error(err))
		return
	}
	ok, err := s.canSee(ctx, u, ct.AssigneeID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !ok {
		s.fail(c, notFound)
		return
	}
	a := db.ToMessage(msg).Content.Attachment
	switch {
	case a == nil:
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "message %d has no attachment", msg.ID))
	case a.FileID != 0:
		if err := s.requireStorage(); err != nil {
			s.fail(c, err)
			return
		}
		f, err := s.DB.FileGetByID(ctx, dbsqlc.FileGetByIDParams{WorkspaceID: u.WorkspaceID, ID: a.FileID})
		if db.IsNoRows(err) {
			s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "the attached file was deleted from the library"))
			return
		}
		if err != nil {
			s.fail(c, err)
			return
		}
		s.serveFile(c, f)
	case a.ProviderFileID != "":
		s.serveProviderFile(c, msg, *a)
	default:
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "message %d's attachment is a link: %s", msg.ID, a.URL))
	}
}

// serveProviderFile streams a file the provider keeps, as a download browsers may neither
// re-sniff nor render in our origin.
func (s *Server) serveProviderFile(c *gin.Context, msg dbsqlc.Message, a chatcenter.Attachment) {
	ctx := c.Request.Context()
	ch, err := s.DB.ChannelGetByID(ctx, dbsqlc.ChannelGetByIDParams{WorkspaceID: msg.WorkspaceID, ID: msg.ChannelID})
	if db.IsNoRows(err) {
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "the channel this file came through was deleted"))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	cfg, err := s.Box.Open(ch.ConfigEncrypted)
	if err != nil {
		s.fail(c, fmt.Errorf("open channel %d config: %w", ch.ID, err))
		return
	}
	rc, err := provider.Download(ctx, chatcenter.ChannelType(ch.Type), cfg, a.ProviderFileID, s.HTTP)
	var perm *channels.PermanentError
	switch {
	case errors.Is(err, provider.ErrNoDownloads):
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "message %d has no file to download", msg.ID))
		return
	case errors.As(err, &perm):
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "the provider cannot give this file: %s", perm.Reason))
		return
	case err != nil:
		s.Log.WarnContext(ctx, "provider file download failed", "channel_id", ch.ID, "message_id", msg.ID, "error", err)
		s.fail(c, chatcenter.Errorf(chatcenter.EUNAVAILABLE, "the provider could not be reached; try again"))
		return
	}
	defer rc.Close()
	mimeType := a.MimeType
	if mimeType == "" && a.Type == chatcenter.AttachmentImage {
		mimeType = "image/jpeg" // Telegram re-encodes photos as JPEG and names no type
	}
	if mimeType == "" {
		mimeType = "application/octet-stream"
	}
	name := a.FileName
	if name == "" {
		name = fmt.Sprintf("message-%d", msg.ID)
		if mimeType == "image/jpeg" {
			name += ".jpg"
		}
	}
	downloadHeaders(c.Writer.Header(), mimeType, name)
	c.Status(http.StatusOK)
	_, _ = io.Copy(c.Writer, io.LimitReader(rc, telegram.MaxDownload))
}

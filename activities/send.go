package activities

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/channels"
	"github.com/chatcenterhq/chatcenter/channels/provider"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/storage"
)

// SendInput names a stored pending message to hand to its provider.
type SendInput struct {
	WorkspaceID int64
	MessageID   int64
}

// SendResult is the message's status after the attempt.
type SendResult struct {
	Status chatcenter.MessageStatus
	Error  string
}

// SendMessage sends a pending message through its channel and records the outcome. Permanent
// provider refusals (bot blocked, bad recipient) mark the message failed and are not retried;
// rate limits are retried after the provider's delay; other errors are retried with backoff. A
// message that is no longer pending (a retry after success) is not sent again.
func (a *Activities) SendMessage(ctx context.Context, in SendInput) (SendResult, error) {
	// Not cut off when a run hands over to the next (which then finds the message sent or failed).
	ctx, done := attempt(ctx)
	defer done()
	msg, err := a.DB.MessageGetByID(ctx, dbsqlc.MessageGetByIDParams{WorkspaceID: in.WorkspaceID, ID: in.MessageID})
	if err != nil {
		return SendResult{}, domainError(fmt.Errorf("load message %d: %w", in.MessageID, db.Error(err)))
	}
	if msg.Status != string(chatcenter.StatusPending) {
		return SendResult{Status: chatcenter.MessageStatus(msg.Status), Error: msg.Error}, nil
	}
	fail := func(reason string) (SendResult, error) {
		if _, err := a.DB.MessageMarkFailed(ctx, dbsqlc.MessageMarkFailedParams{ID: msg.ID, Error: reason}); err != nil && !db.IsNoRows(err) {
			return SendResult{}, fmt.Errorf("mark message failed: %w", err)
		}
		return SendResult{Status: chatcenter.StatusFailed, Error: reason}, nil
	}
	ch, err := a.DB.ChannelGetByID(ctx, dbsqlc.ChannelGetByIDParams{WorkspaceID: in.WorkspaceID, ID: msg.ChannelID})
	if db.IsNoRows(err) {
		return fail("the channel was deleted")
	}
	if err != nil {
		return SendResult{}, err
	}
	ident, err := a.DB.ContactIdentityForChannel(ctx, dbsqlc.ContactIdentityForChannelParams{ContactID: msg.ContactID, ChannelID: msg.ChannelID})
	if db.IsNoRows(err) {
		return fail("the contact is not reachable on this channel")
	}
	if err != nil {
		return SendResult{}, err
	}
	cfg, err := a.Box.Open(ch.ConfigEncrypted)
	if err != nil {
		return SendResult{}, temporal.NewNonRetryableApplicationError(err.Error(), "ChannelConfig", nil)
	}
	sender, err := provider.NewSender(chatcenter.ChannelType(ch.Type), cfg, ch.ID, a.HTTP)
	if err != nil {
		return fail(err.Error())
	}
	content := db.ToMessage(msg).Content
	file, err := a.resolveFileAttachment(ctx, in.WorkspaceID, chatcenter.ChannelType(ch.Type), &content)
	if err != nil {
		var de *chatcenter.Error
		if errors.As(err, &de) {
			return fail(de.Message)
		}
		return SendResult{}, err
	}
	res, err := sender.Send(ctx, channels.OutboundMessage{
		Recipient: ident.ExternalID, Content: forChannel(chatcenter.ChannelType(ch.Type), content),
		IdempotencyKey: fmt.Sprintf("message-%d", msg.ID), File: file,
	})
	var perm *channels.PermanentError
	var limited *channels.RateLimitError
	switch {
	case errors.As(err, &perm):
		return fail(perm.Reason)
	case errors.As(err, &limited):
		return SendResult{}, temporal.NewApplicationErrorWithOptions(limited.Error(), ErrTypeRateLimited,
			temporal.ApplicationErrorOptions{NextRetryDelay: limited.RetryAfter})
	case err != nil:
		return SendResult{}, fmt.Errorf("send via %s channel %d: %w", ch.Type, ch.ID, err)
	}
	externalID := &res.ExternalID
	if res.ExternalID == "" {
		externalID = nil
	}
	err = a.recordSent(ctx, in.WorkspaceID, msg.ID, externalID)
	if db.IsUniqueViolation(err, "messages_channel_external_key") {
		// The provider took the message but named it with an id another message of this channel
		// already has (a custom provider that reuses ids). It went out: record it sent without the
		// id (its delivery receipts cannot be matched) rather than fail the attempt, whose retry
		// would send it again, and again.
		a.Log.Warn("provider reported a message id already used on this channel; recorded the message as sent without it",
			"channel_id", ch.ID, "message_id", msg.ID, "provider_message_id", res.ExternalID)
		err = a.recordSent(ctx, in.WorkspaceID, msg.ID, nil)
	}
	if err != nil {
		return SendResult{}, fmt.Errorf("record sent message: %w", err)
	}
	return SendResult{Status: chatcenter.StatusSent}, nil
}

// recordSentWithin bounds how long a send keeps trying to record that the provider took the message.
const recordSentWithin = 30 * time.Second

// recordSent records that the provider took a pending message. The provider has it now, so a
// failure here must not fail the attempt while there is time: the retry would send it again
// (Telegram has no idempotency key). Errors are retried within the attempt for up to
// recordSentWithin — long enough for a database restart or failover — except a duplicate provider
// id, which the caller handles.
func (a *Activities) recordSent(ctx context.Context, workspaceID, messageID int64, externalID *string) error {
	giveUp := time.Now().Add(recordSentWithin)
	wait := 100 * time.Millisecond
	for {
		err := a.markSent(ctx, workspaceID, messageID, externalID)
		if err == nil || db.IsUniqueViolation(err, "messages_channel_external_key") || time.Now().Add(wait).After(giveUp) {
			return err
		}
		a.Log.Warn("recording a sent message failed; trying again", "message_id", messageID, "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// markSent records that the provider took a pending message, with its id there when known.
func (a *Activities) markSent(ctx context.Context, workspaceID, messageID int64, externalID *string) error {
	return a.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		sent, err := q.MessageMarkSent(ctx, dbsqlc.MessageMarkSentParams{ID: messageID, ExternalID: externalID, SentAt: time.Now().UTC()})
		if db.IsNoRows(err) {
			return nil
		}
		if err != nil {
			return err
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: workspaceID, Type: "message.updated", ContactID: sent.ContactID,
			ConversationID: derefID(sent.ConversationID), Payload: map[string]any{"message": db.ToMessage(sent)}})
	})
}

// forChannel shapes content for a channel of type t: where the channel has no reply buttons, a text
// with buttons goes out as the text followed by the numbered titles, which the contact answers by
// number or title. Only what is sent changes; the stored message keeps its buttons.
func forChannel(t chatcenter.ChannelType, c chatcenter.Content) chatcenter.Content {
	if len(c.Buttons) == 0 || provider.SupportsButtons(t) {
		return c
	}
	c.Text = c.TextWithChoices()
	c.Buttons = nil
	return c
}

// MarkFailedInput marks a message failed after its sends were exhausted.
type MarkFailedInput struct {
	WorkspaceID int64
	MessageID   int64
	Reason      string
}

// MessageMarkFailed records a final send failure.
func (a *Activities) MessageMarkFailed(ctx context.Context, in MarkFailedInput) error {
	return a.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		m, err := q.MessageMarkFailed(ctx, dbsqlc.MessageMarkFailedParams{ID: in.MessageID, Error: in.Reason})
		if db.IsNoRows(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if m.WorkspaceID != in.WorkspaceID {
			return errors.New("message belongs to another workspace")
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: in.WorkspaceID, Type: "message.updated", ContactID: m.ContactID,
			ConversationID: derefID(m.ConversationID), Payload: map[string]any{"message": db.ToMessage(m)}})
	})
}

// CallbackInput names a button press to acknowledge.
type CallbackInput struct {
	WorkspaceID int64
	ChannelID   int64
	CallbackID  string
}

// AnswerCallback acknowledges a button press on channels that require it.
func (a *Activities) AnswerCallback(ctx context.Context, in CallbackInput) error {
	ch, err := a.DB.ChannelGetByID(ctx, dbsqlc.ChannelGetByIDParams{WorkspaceID: in.WorkspaceID, ID: in.ChannelID})
	if db.IsNoRows(err) {
		return nil
	}
	if err != nil {
		return err
	}
	cfg, err := a.Box.Open(ch.ConfigEncrypted)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), "ChannelConfig", nil)
	}
	return provider.AnswerCallback(ctx, chatcenter.ChannelType(ch.Type), cfg, in.CallbackID, a.HTTP)
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// MaxVoiceSeconds is the longest voice note that may be sent: the seed's recorder stops at five
// minutes.
const MaxVoiceSeconds = 5 * 60

// prepareFileAttachment checks an outgoing attachment that names an uploaded file (file_id) and
// copies the file's name, type, size and duration into it, so the stored message describes what
// was sent. The file must belong to the workspace; image, video and audio attachments need a file
// of that kind; a voice note needs an audio recording whose length could be read at upload and is
// at most MaxVoiceSeconds. Other content passes unchanged. Errors are domain errors (invalid).
func (a *Activities) prepareFileAttachment(ctx context.Context, workspaceID int64, c *chatcenter.Content) error {
	_, err := a.attachedFile(ctx, workspaceID, c)
	return err
}

// attachedFile is prepareFileAttachment returning the file (nil when c names none).
func (a *Activities) attachedFile(ctx context.Context, workspaceID int64, c *chatcenter.Content) (*dbsqlc.File, error) {
	if c.Type != chatcenter.ContentAttachment || c.Attachment == nil || c.Attachment.FileID == 0 {
		return nil, nil
	}
	at := c.Attachment
	f, err := a.DB.FileGetByID(ctx, dbsqlc.FileGetByIDParams{WorkspaceID: workspaceID, ID: at.FileID})
	if db.IsNoRows(err) {
		return nil, chatcenter.Errorf(chatcenter.EINVALID, "file %d does not exist in this workspace", at.FileID)
	}
	if err != nil {
		return nil, fmt.Errorf("load file %d: %w", at.FileID, err)
	}
	if err := checkAttachmentFile(at.Type, f); err != nil {
		return nil, err
	}
	at.MimeType, at.FileName, at.Size = f.MimeType, f.Name, f.SizeBytes
	if f.DurationSeconds != nil {
		at.Duration = int(math.Ceil(*f.DurationSeconds))
	}
	return &f, nil
}

// checkAttachmentFile matches the attachment type an agent chose with the file's sniffed kind.
func checkAttachmentFile(typ string, f dbsqlc.File) error {
	switch typ {
	case chatcenter.AttachmentImage, chatcenter.AttachmentVideo, chatcenter.AttachmentAudio:
		if f.Kind != typ {
			return chatcenter.Errorf(chatcenter.EINVALID, "attachment.type %s does not match file %d, which is %s (%s); send it as type file",
				typ, f.ID, f.Kind, f.MimeType)
		}
	case chatcenter.AttachmentVoice:
		if f.Kind != storage.KindAudio {
			return chatcenter.Errorf(chatcenter.EINVALID, "a voice note must be an audio recording; file %d is %s (%s)", f.ID, f.Kind, f.MimeType)
		}
		if f.DurationSeconds == nil {
			return chatcenter.Errorf(chatcenter.EINVALID,
				"the length of file %d (%s) cannot be read, so it cannot be sent as a voice note; record voice notes as OGG/Opus, or send it as type audio or file",
				f.ID, f.MimeType)
		}
		if d := *f.DurationSeconds; d > MaxVoiceSeconds {
			return chatcenter.Errorf(chatcenter.EINVALID, "voice notes may be at most 5 minutes; file %d plays for %s",
				f.ID, (time.Duration(math.Ceil(d)) * time.Second).String())
		}
	}
	return nil
}

// resolveFileAttachment prepares an attachment that names an uploaded file (file_id) for a send
// on a channel of type t. Every provider gets a link it can fetch — the API's public file route
// with a token signed for storage.LinkTTL, made at each attempt and never stored, so always fresh
// — and adapters that upload (provider.UploadsFiles) also get the file itself, which needs no
// link from outside. The file is checked again, since it may have been deleted (or the message
// may come from a path that did not check it). It returns nil for content that names no file.
func (a *Activities) resolveFileAttachment(ctx context.Context, workspaceID int64, t chatcenter.ChannelType, c *chatcenter.Content) (*channels.OutboundFile, error) {
	if c.Type != chatcenter.ContentAttachment || c.Attachment == nil || c.Attachment.FileID == 0 {
		return nil, nil
	}
	at := *c.Attachment
	cc := *c
	cc.Attachment = &at
	f, err := a.attachedFile(ctx, workspaceID, &cc)
	if err != nil {
		var de *chatcenter.Error
		if errors.As(err, &de) && de.Code == chatcenter.EINVALID {
			return nil, chatcenter.Errorf(chatcenter.EINVALID, "cannot send the attached file: %s", de.Message)
		}
		return nil, err
	}
	linked := a.BaseURL != "" && len(a.FileLinkKey) > 0
	if linked {
		token := storage.SignLink(a.FileLinkKey, workspaceID, at.FileID, time.Now().Add(storage.LinkTTL))
		at.URL = strings.TrimRight(a.BaseURL, "/") + "/files/public/" + token
	}
	*c = cc
	if !provider.UploadsFiles(t) {
		if !linked {
			return nil, chatcenter.Errorf(chatcenter.EINVALID, "file links are not configured, so providers cannot fetch attachments (set PUBLIC_URL)")
		}
		return nil, nil
	}
	if a.Files == nil && !linked {
		return nil, chatcenter.Errorf(chatcenter.EINVALID, "this worker can neither read the file store nor link to the API (set PUBLIC_URL)")
	}
	return &channels.OutboundFile{Name: f.Name, MimeType: f.MimeType, Size: f.SizeBytes, Open: a.fileOpener(*f, at.URL)}, nil
}

// fileOpener reads a file from the store when this process has one (chatcenter dev, or a worker
// sharing the API's files directory), else — or when the file is not there — downloads it
// through its signed link from the API.
func (a *Activities) fileOpener(f dbsqlc.File, link string) func(ctx context.Context) (io.ReadCloser, error) {
	gone := &channels.PermanentError{Reason: fmt.Sprintf("file %d (%s) no longer exists", f.ID, f.Name)}
	return func(ctx context.Context) (io.ReadCloser, error) {
		if a.Files != nil {
			rc, err := a.Files.Open(ctx, f.StorageKey)
			if !errors.Is(err, storage.ErrNotFound) {
				return rc, err
			}
			// Not here: gone, or this worker's CHATCENTER_FILES_DIR is not the API's. The API
			// knows which.
			if link == "" {
				return nil, gone
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
		if err != nil {
			return nil, err
		}
		resp, err := a.HTTP.Do(req)
		if err != nil {
			// *url.Error quotes the URL, whose signed token reads the file: keep only the cause.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return nil, fmt.Errorf("download file %d from the API: %w", f.ID, err)
		}
		switch {
		case resp.StatusCode == http.StatusNotFound:
			resp.Body.Close()
			return nil, gone
		case resp.StatusCode != http.StatusOK:
			resp.Body.Close()
			return nil, fmt.Errorf("download file %d from the API: HTTP %d", f.ID, resp.StatusCode)
		}
		return resp.Body, nil
	}
}

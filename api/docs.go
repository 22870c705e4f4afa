package api

import (
	"net/http"

	"github.com/chatcenterhq/chatcenter"
)

// Documentation of the core routes (auth, channels, conversations, contacts, inbox). Each area's
// file documents its own routes the same way; TestOpenAPICoversEveryRoute keeps them complete.
func init() {
	const v1 = "/api/v1"
	type health map[string]any
	inboxQuery := map[string]string{
		"folder":    "all | mine | unassigned | team | mentions",
		"status":    "open | closed",
		"assignee":  "me | unassigned | {userID}",
		"team":      "team id",
		"channel":   "channel id",
		"tag":       "contact tag",
		"lifecycle": "contact lifecycle stage",
		"q":         "text search over contact name, phone, e-mail and message text",
		"limit":     "1–100, default 25",
		"cursor":    "next_cursor of the previous page",
	}
	page := map[string]string{"limit": "1–100, default 25", "cursor": "next_cursor of the previous page"}

	document(http.MethodGet, "/", Operation{Summary: "Index page with links to the API and the Temporal UI", Tag: "Health"})
	document(http.MethodGet, "/healthz", Operation{Summary: "Liveness", Tag: "Health", Response: health{}})
	document(http.MethodGet, "/readyz", Operation{Summary: "Readiness: Postgres and Temporal reachable (503 otherwise)", Tag: "Health", Response: health{}})
	document(http.MethodGet, v1+"/healthz", Operation{Summary: "Liveness", Tag: "Health", Response: health{}})
	document(http.MethodGet, v1+"/readyz", Operation{Summary: "Readiness", Tag: "Health", Response: health{}})
	document(http.MethodGet, v1+"/openapi.json", Operation{Summary: "This document", Tag: "Health", Response: health{}})
	document(http.MethodPost, "/webhooks/:type/:channelID", Operation{Summary: "Provider webhook (Telegram: X-Telegram-Bot-Api-Secret-Token; custom: bearer api_token)", Tag: "Webhooks", Request: health{}, Response: health{}})

	document(http.MethodPost, v1+"/auth/login", Operation{Summary: "Log in with e-mail and password", Tag: "Auth", Request: loginRequest{}, Response: loginResponse{}})
	document(http.MethodPost, v1+"/auth/logout", Operation{Summary: "Revoke the current token", Tag: "Auth", Status: http.StatusNoContent})
	document(http.MethodGet, v1+"/me", Operation{Summary: "The current user", Tag: "Users", Response: chatcenter.User{}})

	document(http.MethodPost, v1+"/channels", Operation{Summary: "Connect a channel (telegram or custom); secrets are sealed and never returned", Tag: "Channels", Request: createChannelRequest{}, Response: channelView{}, Status: http.StatusCreated})
	document(http.MethodGet, v1+"/channels", Operation{Summary: "List channels", Tag: "Channels", Response: channelView{}, List: true})
	document(http.MethodGet, v1+"/channels/:id", Operation{Summary: "Get a channel", Tag: "Channels", Response: channelView{}})
	document(http.MethodPatch, v1+"/channels/:id", Operation{Summary: "Rename or reconfigure a channel (config keys merge)", Tag: "Channels", Request: updateChannelRequest{}, Response: channelView{}})
	document(http.MethodDelete, v1+"/channels/:id", Operation{Summary: "Delete a channel (history stays)", Tag: "Channels", Status: http.StatusNoContent})

	document(http.MethodGet, v1+"/conversations", Operation{Summary: "The inbox: conversations by folder and filters, most recent activity first", Tag: "Inbox", Response: inboxItem{}, List: true, Query: inboxQuery})
	document(http.MethodGet, v1+"/inbox/counts", Operation{Summary: "Open conversations per folder and the caller's unread messages", Tag: "Inbox", Response: inboxCounts{}})
	document(http.MethodGet, v1+"/conversations/:id", Operation{Summary: "Get a conversation", Tag: "Conversations", Response: chatcenter.Conversation{}})
	document(http.MethodGet, v1+"/conversations/:id/messages", Operation{Summary: "Messages of a conversation, newest first", Tag: "Conversations", Response: chatcenter.Message{}, List: true, Query: page})
	document(http.MethodPost, v1+"/conversations/:id/messages", Operation{Summary: "Send a reply (202: pending, then sent or failed); Idempotency-Key header makes retries safe", Tag: "Conversations", Request: sendMessageRequest{}, Response: chatcenter.Message{}, Status: http.StatusAccepted})
	document(http.MethodPost, v1+"/conversations/:id/assign", Operation{Summary: "Assign to a user and/or a team", Tag: "Conversations", Request: assignRequest{}, Response: chatcenter.Conversation{}})
	document(http.MethodPost, v1+"/conversations/:id/unassign", Operation{Summary: "Return to the unassigned queue", Tag: "Conversations", Response: chatcenter.Conversation{}})
	document(http.MethodPost, v1+"/conversations/:id/close", Operation{Summary: "Close with a closing note (per the workspace's closing-note mode)", Tag: "Conversations", Request: closeRequest{}, Response: chatcenter.Conversation{}})
	document(http.MethodPost, v1+"/conversations/:id/reopen", Operation{Summary: "Open a new conversation for the contact of a closed one", Tag: "Conversations", Response: chatcenter.Conversation{}})
	document(http.MethodPost, v1+"/conversations/:id/read", Operation{Summary: "Mark the conversation read for the caller", Tag: "Inbox", Status: http.StatusNoContent})

	document(http.MethodGet, v1+"/contacts/:id", Operation{Summary: "Get a contact with its channel identities", Tag: "Contacts", Response: chatcenter.Contact{}})
	document(http.MethodGet, v1+"/contacts/:id/messages", Operation{Summary: "The contact's messages on every channel, newest first", Tag: "Contacts", Response: chatcenter.Message{}, List: true, Query: page})
	document(http.MethodPost, v1+"/contacts/:id/conversation/open", Operation{Summary: "Open a conversation (returns the open one if any)", Tag: "Contacts", Response: chatcenter.Conversation{}})
	document(http.MethodPost, v1+"/contacts/:id/bot/pause", Operation{Summary: "Pause the chatbot for the contact", Tag: "Contacts", Response: chatcenter.Contact{}})
	document(http.MethodPost, v1+"/contacts/:id/bot/resume", Operation{Summary: "Resume the chatbot for the contact", Tag: "Contacts", Response: chatcenter.Contact{}})
}

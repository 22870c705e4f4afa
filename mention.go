package chatcenter

import "regexp"

// MentionPattern is a mention of a user in a comment, written {{@user.ID}} by agents and flows
// alike; the submatch is the user id.
var MentionPattern = regexp.MustCompile(`\{\{@user\.([0-9]+)\}\}`)

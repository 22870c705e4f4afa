package telegram

import (
	"testing"
)

// FuzzParse holds Parse to its contract on arbitrary bodies: it never panics, and every event it
// returns can be stored (it has a message id and a contact id).
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		sampleText, samplePhoto, sampleVoice, sampleEdited, sampleCallbackInline, sampleCallbackChat,
		sampleCallbackGroup, sampleAudio, sampleDocument, sampleVideo, sampleSticker, sampleStickerTGS,
		sampleStickerWebm, sampleLocation, sampleVenue, sampleContact, sampleDice, sampleNoType,
		sampleGroup, sampleNoTypeGroup, sampleChannelPost, sampleInlineQuery, sampleMyChatMember,
		`{"update_id":1,"message":{"message_id":1,"chat":{"id":1},"photo":[]}}`,
		`{"update_id":1,"message":{"message_id":1,"chat":{"id":1,"type":"private"},"photo":[{}]}}`,
		`{"update_id":1,"message":{"message_id":1,"chat":{"id":1,"type":"private"},"venue":{"title":"x"}}}`,
		`{"update_id":1,"callback_query":{"id":"x","from":{"id":1},"message":{"date":0}}}`,
		`{}`, `null`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := Parse(body)
		if err != nil && len(events) > 0 {
			t.Fatalf("events returned alongside error %v", err)
		}
		for _, e := range events {
			if e.ExternalID == "" || e.Sender.ExternalID == "" {
				t.Fatalf("event without ids: %+v", e)
			}
			if e.Content.Type == "" {
				t.Fatalf("event without content type: %+v", e)
			}
		}
	})
}

package custom

import (
	"testing"

	"github.com/chatcenterhq/chatcenter/channels"
)

// FuzzParse holds Parse to its contract on arbitrary bodies: it never panics, and every event it
// returns can be stored (it has a message id and a contact id).
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		sampleText, sampleFull,
		`{"contactId":"u","events":[{"type":"message","mId":"a","timestamp":1.5e300,"message":{"type":"location","latitude":1,"longitude":2}}]}`,
		`{"contactId":"u","events":[{"type":"message","mId":"a","timestamp":-1,"message":{"type":"attachment","attachment":{"type":"image","url":"u"}}}]}`,
		`{"contactId":"u","events":[{"type":"message_status","mId":"a","status":"READ"}]}`,
		`{"contactId":"u","events":[null]}`,
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
			if e.Kind == channels.InboundMessage && e.Content.Type == "" {
				t.Fatalf("message without content type: %+v", e)
			}
		}
	})
}

package chatcenter

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func buttons(titles ...string) []Button {
	out := make([]Button, len(titles))
	for i, t := range titles {
		out[i] = Button{Title: t, Payload: "p" + strconv.Itoa(i+1)}
	}
	return out
}

func TestButtonsValidateOutgoingAccepts(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]Content{
		"two buttons":            {Type: ContentText, Text: "Which team?", Buttons: buttons("Sales", "Support")},
		"ten buttons":            {Type: ContentText, Text: "Pick", Buttons: buttons("a", "b", "c", "d", "e", "f", "g", "h", "i", "j")},
		"20-character title":     {Type: ContentText, Text: "x", Buttons: buttons(strings.Repeat("é", 20))},
		"emoji and spaces":       {Type: ContentText, Text: "Rate us", Buttons: buttons("⭐⭐⭐ Good", "⭐ Bad")},
		"64-byte payload":        {Type: ContentText, Text: "x", Buttons: []Button{{Title: "Yes", Payload: strings.Repeat("p", 64)}}},
		"empty list is none":     {Type: ContentText, Text: "x", Buttons: []Button{}},
		"attachment, no buttons": {Type: ContentAttachment, Attachment: &Attachment{Type: AttachmentImage, URL: "https://example.com/a.jpg"}},
	} {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, c.ValidateOutgoing())
		})
	}
}

func TestButtonsValidateOutgoingRejects(t *testing.T) {
	t.Parallel()
	eleven := buttons("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k")
	for name, tc := range map[string]struct {
		c    Content
		want string
	}{
		"on an attachment": {Content{Type: ContentAttachment, Attachment: &Attachment{Type: AttachmentImage, URL: "https://example.com/a.jpg"},
			Buttons: buttons("Yes")}, "buttons can only be sent with a text message"},
		"on a location":  {Content{Type: ContentLocation, Location: &Location{}, Buttons: buttons("Yes")}, "buttons can only be sent with a text message"},
		"eleven buttons": {Content{Type: ContentText, Text: "x", Buttons: eleven}, "a message may have at most 10 buttons; got 11"},
		"empty title":    {Content{Type: ContentText, Text: "x", Buttons: []Button{{Title: "  ", Payload: "p"}}}, "button 1: title must not be empty"},
		"long title": {Content{Type: ContentText, Text: "x", Buttons: []Button{{Title: "ok", Payload: "a"}, {Title: strings.Repeat("x", 21), Payload: "b"}}},
			"button 2: title is 21 characters; the limit is 20"},
		"title with a line break": {Content{Type: ContentText, Text: "x", Buttons: []Button{{Title: "Yes\nNo", Payload: "p"}}},
			"button 1: title must be printable text on one line"},
		"title with a control character": {Content{Type: ContentText, Text: "x", Buttons: []Button{{Title: "Yes\x00", Payload: "p"}}},
			"button 1: title must be printable text on one line"},
		"title not UTF-8": {Content{Type: ContentText, Text: "x", Buttons: []Button{{Title: "\xff", Payload: "p"}}},
			"button 1: title must be printable text on one line"},
		"empty payload": {Content{Type: ContentText, Text: "x", Buttons: []Button{{Title: "Yes"}}}, "button 1: payload must not be empty"},
		"65-byte payload": {Content{Type: ContentText, Text: "x", Buttons: []Button{{Title: "Yes", Payload: strings.Repeat("p", 65)}}},
			"button 1: payload is 65 bytes; the limit is 64"},
		"payload counted in bytes": {Content{Type: ContentText, Text: "x", Buttons: []Button{{Title: "Yes", Payload: strings.Repeat("é", 33)}}},
			"button 1: payload is 66 bytes; the limit is 64"},
		"payload with a control character": {Content{Type: ContentText, Text: "x", Buttons: []Button{{Title: "Yes", Payload: "a\nb"}}},
			"button 1: payload must be text without control characters"},
		"duplicate payload": {Content{Type: ContentText, Text: "x", Buttons: []Button{{Title: "Yes", Payload: "same"}, {Title: "No", Payload: "same"}}},
			`button 2: payload "same" is already used by button 1`},
		"duplicate title": {Content{Type: ContentText, Text: "x", Buttons: []Button{{Title: "Yes", Payload: "a"}, {Title: "No", Payload: "b"}, {Title: " yes", Payload: "c"}}},
			`button 3: title " yes" is already used by button 1`},
		"empty text": {Content{Type: ContentText, Text: " ", Buttons: buttons("Yes")}, "text must not be empty"},
		"numbered text too long": {Content{Type: ContentText, Text: strings.Repeat("x", MaxTextLength-10), Buttons: buttons("Sales", "Support")},
			"text with its numbered button titles is 4107 characters; the limit is 4096"},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.c.ValidateOutgoing()
			require.Error(t, err)
			require.Equal(t, EINVALID, ErrorCode(err))
			require.Equal(t, tc.want, ErrorMessage(err))
		})
	}
}

func TestButtonsTextWithChoices(t *testing.T) {
	t.Parallel()
	c := Content{Type: ContentText, Text: "Which team?", Buttons: buttons("Sales", "Support")}
	require.Equal(t, "Which team?\n\n1. Sales\n2. Support", c.TextWithChoices())

	ten := Content{Type: ContentText, Text: "Pick", Buttons: buttons("a", "b", "c", "d", "e", "f", "g", "h", "i", "j")}
	require.True(t, strings.HasSuffix(ten.TextWithChoices(), "\n9. i\n10. j"))

	require.Equal(t, "Just text", Content{Type: ContentText, Text: "Just text"}.TextWithChoices())
}

func TestButtonsJSON(t *testing.T) {
	t.Parallel()
	c := Content{Type: ContentText, Text: "Which team?", Buttons: []Button{{Title: "Sales", Payload: "team_sales"}}}
	b, err := json.Marshal(c)
	require.NoError(t, err)
	require.JSONEq(t, `{"type":"text","text":"Which team?","buttons":[{"title":"Sales","payload":"team_sales"}]}`, string(b))

	var back Content
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, c, back)

	plain, err := json.Marshal(Content{Type: ContentText, Text: "hi"})
	require.NoError(t, err)
	require.JSONEq(t, `{"type":"text","text":"hi"}`, string(plain), "no buttons key without buttons")
}

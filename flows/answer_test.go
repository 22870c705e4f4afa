package flows

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseAnswer(t *testing.T) {
	q := func(typ string) AskQuestion { return AskQuestion{Text: "?", QuestionType: typ} }
	choices := q("multiple_choice")
	choices.Choices = []string{"Sales", "Support", " Billing ", "2", "Ñandú"}
	bounded := q("number")
	bounded.Min, bounded.Max = ptr(1.0), ptr(10.0)
	atLeast := q("number")
	atLeast.Min = ptr(-5.5)
	dmy := q("date")
	dmy.DateFormat = "DD/MM/YYYY"
	mdy := q("date")
	mdy.DateFormat = "MM/DD/YYYY"
	goLayout := q("date")
	goLayout.DateFormat = "02.01.2006"
	unknownFormat := q("date")
	unknownFormat.DateFormat = "D MMMM YYYY"
	stars := q("rating")
	stars.Min, stars.Max = ptr(2.0), ptr(4.0)

	type tc struct {
		q     AskQuestion
		text  string
		value string // "" = invalid
	}
	cases := map[string][]tc{
		"text": {
			{q("text"), "  hello there \n", "hello there"},
			{q("text"), "ñ", "ñ"},
			{q("text"), "   ", ""},
			{q("text"), "", ""},
			{q("text"), "a\x00b", ""},
			{q("text"), "\xff\xfe", ""},
		},
		"multiple_choice": {
			{choices, "Sales", "Sales"},
			{choices, "  sUPPORT ", "Support"},
			{choices, "billing", "Billing"},
			{choices, "ñANDÚ", "Ñandú"},
			{choices, "1", "Sales"},
			{choices, "3.", "Billing"},
			{choices, "5)", "Ñandú"},
			{choices, "2", "2"}, // a choice's own text wins over a number
			{choices, "4", "2"}, // the fourth choice
			{choices, "02", "Support"},
			{choices, "0", ""},
			{choices, "6", ""},
			{choices, "-1", ""},
			{choices, "1..", ""},
			{choices, "Sale", ""},
			{choices, "Sales please", ""},
			{choices, "", ""},
			{q("multiple_choice"), "1", ""}, // no choices
			{AskQuestion{QuestionType: "multiple_choice", Choices: []string{"\xe4", "a\x00", "ok"}}, "1", ""}, // choices that cannot be saved
			{AskQuestion{QuestionType: "multiple_choice", Choices: []string{"\xe4", "a\x00", "ok"}}, "a\x00", ""},
			{AskQuestion{QuestionType: "multiple_choice", Choices: []string{"\xe4", "a\x00", "ok"}}, "3", "ok"},
		},
		"number": {
			{q("number"), "42", "42"},
			{q("number"), " -3.50 ", "-3.5"},
			{q("number"), "+7", "7"},
			{q("number"), ".5", "0.5"},
			{q("number"), "1e3", "1000"},
			{q("number"), "-0", "0"},
			{q("number"), "0.1", "0.1"},
			{q("number"), "1,5", ""},
			{q("number"), "1 000", ""},
			{q("number"), "ten", ""},
			{q("number"), "0x10", ""},
			{q("number"), "1_000", ""},
			{q("number"), "NaN", ""},
			{q("number"), "Inf", ""},
			{q("number"), "1e400", ""},
			{q("number"), "", ""},
			{bounded, "1", "1"},
			{bounded, "10", "10"}, // bounds are inclusive
			{bounded, "5.25", "5.25"},
			{bounded, "0.999", ""},
			{bounded, "10.0001", ""},
			{atLeast, "-5.5", "-5.5"},
			{atLeast, "-5.6", ""},
			{atLeast, "1e9", "1000000000"},
		},
		"date": {
			{q("date"), "2025-12-31", "2025-12-31"},
			{q("date"), "2025-1-5", "2025-01-05"},
			{q("date"), "2024-02-29", "2024-02-29"},
			{q("date"), "2025-02-29", ""},
			{q("date"), "2025-13-01", ""},
			{q("date"), "31/12/2025", ""}, // no format: YYYY-MM-DD only
			{q("date"), "tomorrow", ""},
			{dmy, "31/12/2025", "2025-12-31"},
			{dmy, "5/3/2025", "2025-03-05"},
			{dmy, "05-03-2025", "2025-03-05"},
			{dmy, "05.03.2025", "2025-03-05"},
			{dmy, "2025-03-05", "2025-03-05"}, // YYYY-MM-DD is always understood
			{dmy, "12/31/2025", ""},
			{dmy, "31/12/25", ""},
			{dmy, "31/12/2025/1", ""},
			{dmy, "0/12/2025", ""},
			{dmy, "31/04/2025", ""},
			{dmy, "31/12/0000", ""},
			{dmy, "+1/12/2025", ""},
			{dmy, "001/12/2025", ""},
			{mdy, "12/31/2025", "2025-12-31"},
			{mdy, "31/12/2025", ""},
			{goLayout, "24.12.2025", "2025-12-24"},
			{unknownFormat, "2025-12-24", "2025-12-24"},
			{unknownFormat, "24 December 2025", ""},
		},
		"phone": {
			{q("phone"), "+60 12-345 6789", "+60123456789"},
			{q("phone"), "+34 (600) 11.22.33", "+34600112233"},
			{q("phone"), "0123456789", ""},
			{q("phone"), "+0123456789", ""},
			{q("phone"), "call me", ""},
		},
		"email": {
			{q("email"), " ana@example.com ", "ana@example.com"},
			{q("email"), "Ana <ana@example.com>", ""},
			{q("email"), "ana@localhost", ""},
			{q("email"), "ana", ""},
		},
		"url": {
			{q("url"), "https://example.com/menu?x=1", "https://example.com/menu?x=1"},
			{q("url"), "HTTP://Example.com", "HTTP://Example.com"},
			{q("url"), "www.example.com", "https://www.example.com"},
			{q("url"), "example.co.uk/path", "https://example.co.uk/path"},
			{q("url"), "ftp://example.com", ""},
			{q("url"), "hello", ""},
			{q("url"), "ana@example.com", ""},
			{q("url"), "mailto:ana@example.com", ""},
			{q("url"), "example..com", ""},
			{q("url"), ".example.com", ""},
			{q("url"), "https://exa mple.com", ""},
		},
		"rating": {
			{q("rating"), "1", "1"},
			{q("rating"), " 5 ", "5"},
			{q("rating"), "0", ""},
			{q("rating"), "6", ""},
			{q("rating"), "10", ""},
			{q("rating"), "4.5", ""},
			{q("rating"), "★★★", "3"},
			{q("rating"), "⭐⭐⭐⭐", "4"},
			{q("rating"), "⭐️⭐️", "2"}, // with the emoji variation selector
			{q("rating"), "★ ★ ★ ★ ★", "5"},
			{q("rating"), "★★★☆☆", "3"},
			{q("rating"), "★★★★★★", ""},
			{q("rating"), "☆☆", ""},
			{q("rating"), "★★ good", ""},
			{stars, "2", "2"},
			{stars, "4", "4"},
			{stars, "1", ""},
			{stars, "5", ""},
			{stars, "★★★★★", ""},
		},
		"location": {
			{q("location"), "(3.1545313, 101.7151839)", "3.1545313,101.7151839"},
			{q("location"), " -33.8688,151.2093 ", "-33.8688,151.2093"},
			{q("location"), "(90, -180)", "90,-180"},
			{q("location"), "(101.7151839, 3.1545313)", ""}, // latitude out of range
			{q("location"), "(3.1, 181)", ""},
			{q("location"), "(3.1)", ""},
			{q("location"), "(3.1, 101.7, 5)", ""},
			{q("location"), "Kuala Lumpur", ""},
			{q("location"), "", ""},
		},
		"unknown": {
			{q("poem"), "roses", ""},
			{q(""), "roses", ""},
		},
	}
	for typ, cs := range cases {
		for _, c := range cs {
			value, ok := ParseAnswer(c.q, Answer{Text: c.text})
			require.Equal(t, c.value != "", ok, "%s %q (format %q)", typ, c.text, c.q.DateFormat)
			require.Equal(t, c.value, value, "%s %q", typ, c.text)
		}
	}
}

func TestParseAnswerLocationMessage(t *testing.T) {
	q := AskQuestion{Text: "Where are you?", QuestionType: "location"}
	value, ok := ParseAnswer(q, Answer{Latitude: ptr(3.1545313), Longitude: ptr(101.7151839)})
	require.True(t, ok)
	require.Equal(t, "3.1545313,101.7151839", value)
	// The coordinates win over any caption.
	value, ok = ParseAnswer(q, Answer{Text: "here (1, 2)", Latitude: ptr(-0.0), Longitude: ptr(-78.5)})
	require.True(t, ok)
	require.Equal(t, "0,-78.5", value)
	for _, a := range []Answer{
		{Latitude: ptr(3.1)},
		{Longitude: ptr(3.1), Text: "(1, 2)"},
		{Latitude: ptr(91.0), Longitude: ptr(0.0)},
		{Latitude: ptr(0.0), Longitude: ptr(-180.5)},
		{Latitude: ptr(math.NaN()), Longitude: ptr(0.0)},
		{Latitude: ptr(math.Inf(1)), Longitude: ptr(0.0)},
	} {
		_, ok := ParseAnswer(q, a)
		require.False(t, ok, "%+v", a)
	}
	// Other questions do not take a location message.
	_, ok = ParseAnswer(AskQuestion{QuestionType: "text"}, Answer{Latitude: ptr(1.0), Longitude: ptr(2.0)})
	require.False(t, ok)
}

func TestReprompt(t *testing.T) {
	q := func(typ string) AskQuestion { return AskQuestion{Text: "?", QuestionType: typ} }
	mc := q("multiple_choice")
	mc.Choices = []string{"Sales", " Support"}
	between := q("number")
	between.Min, between.Max = ptr(1.0), ptr(10.0)
	atLeast := q("number")
	atLeast.Min = ptr(0.5)
	atMost := q("number")
	atMost.Max = ptr(-2.0)
	dmy := q("date")
	dmy.DateFormat = "dd-mm-yyyy"
	rating := q("rating")
	rating.Min = ptr(2.0)

	for _, c := range []struct {
		q    AskQuestion
		want string
	}{
		{q("text"), "Please reply with a text message."},
		{mc, "Please choose one of: Sales, Support"},
		{between, "Please reply with a number between 1 and 10."},
		{atLeast, "Please reply with a number of at least 0.5."},
		{atMost, "Please reply with a number of at most -2."},
		{q("number"), "Please reply with a number."},
		{q("date"), "Please reply with a date like 2025-12-31 (YYYY-MM-DD)."},
		{dmy, "Please reply with a date like 31-12-2025 (DD-MM-YYYY)."},
		{q("phone"), "Please reply with a phone number in international format, like +60123456789."},
		{q("email"), "Please reply with an email address, like name@example.com."},
		{q("url"), "Please reply with a web address, like https://example.com."},
		{q("rating"), "Please reply with a number from 1 to 5."},
		{rating, "Please reply with a number from 2 to 5."},
		{q("location"), "Please share your location, or reply with its coordinates like (3.1545313, 101.7151839)."},
		{q("poem"), "Please reply again."},
	} {
		require.Equal(t, c.want, Reprompt(c.q))
	}

	// The example a date reprompt gives is itself a valid answer.
	for _, f := range []string{"", "DD/MM/YYYY", "MM/DD/YYYY", "YYYY-MM-DD", "yyyy.mm.dd", "01/02/2006", "DD MM YYYY"} {
		dq := AskQuestion{QuestionType: "date", DateFormat: f}
		msg := Reprompt(dq)
		example := strings.Fields(strings.TrimPrefix(msg, "Please reply with a date like "))[0]
		if f == "DD MM YYYY" {
			example = "31 12 2025"
		}
		value, ok := ParseAnswer(dq, Answer{Text: example})
		require.True(t, ok, "%q: %s", f, msg)
		require.Equal(t, "2025-12-31", value, f)
	}
}

func TestQuestionText(t *testing.T) {
	mc := AskQuestion{Text: "How can we help?", QuestionType: "multiple_choice", Choices: []string{"Sales", "Support ", "Billing"}}
	require.Equal(t, "How can we help?\n1. Sales\n2. Support\n3. Billing", QuestionText(mc))
	mc.Text = "How can we help?\n\n"
	require.Equal(t, "How can we help?\n1. Sales\n2. Support\n3. Billing", QuestionText(mc))
	mc.Text = ""
	require.Equal(t, "1. Sales\n2. Support\n3. Billing", QuestionText(mc))

	rating := AskQuestion{Text: "How did we do?", QuestionType: "rating"}
	require.Equal(t, "How did we do?\nReply with a number from 1 to 5.", QuestionText(rating))
	rating.Min, rating.Max = ptr(1.0), ptr(3.0)
	require.Equal(t, "How did we do?\nReply with a number from 1 to 3.", QuestionText(rating))

	for _, typ := range []string{"text", "number", "date", "phone", "email", "url", "location"} {
		q := AskQuestion{Text: "  Your answer? ", QuestionType: typ}
		require.Equal(t, q.Text, QuestionText(q), typ)
	}

	// Every numbered choice is an answer that picks that choice.
	mc.Text = "?"
	for i, line := range strings.Split(QuestionText(mc), "\n")[1:] {
		num, label, _ := strings.Cut(line, " ")
		byNumber, ok := ParseAnswer(mc, Answer{Text: num})
		require.True(t, ok, line)
		byText, ok := ParseAnswer(mc, Answer{Text: label})
		require.True(t, ok, line)
		require.Equal(t, strings.TrimSpace(mc.Choices[i]), byNumber)
		require.Equal(t, byNumber, byText)
	}
}

// FuzzParseAnswer: no answer makes ParseAnswer panic, a valid answer has a value, and the value
// saved is itself a valid answer that saves as the same value.
func FuzzParseAnswer(f *testing.F) {
	f.Add(uint8(0), "", 0.0, 0.0, false, false, "", "hello", false, 0.0, 0.0)
	f.Add(uint8(1), "Sales|Support|2", 0.0, 0.0, false, false, "", " 3. ", false, 0.0, 0.0)
	f.Add(uint8(2), "", 1.0, 10.0, true, true, "", "-0.0e1", false, 0.0, 0.0)
	f.Add(uint8(3), "", 0.0, 0.0, false, false, "DD/MM/YYYY", "29/2/2024", false, 0.0, 0.0)
	f.Add(uint8(3), "", 0.0, 0.0, false, false, "yyyy mm dd", "2024 02 29", false, 0.0, 0.0)
	f.Add(uint8(4), "", 0.0, 0.0, false, false, "", "+60 12-345 6789", false, 0.0, 0.0)
	f.Add(uint8(5), "", 0.0, 0.0, false, false, "", "a@b.co", false, 0.0, 0.0)
	f.Add(uint8(6), "", 0.0, 0.0, false, false, "", "www.example.com/x", false, 0.0, 0.0)
	f.Add(uint8(7), "", 2.0, 4.0, true, true, "", "⭐️⭐️⭐️", false, 0.0, 0.0)
	f.Add(uint8(8), "", 0.0, 0.0, false, false, "", "(3.1545313, 101.7151839)", false, 0.0, 0.0)
	f.Add(uint8(8), "", 0.0, 0.0, false, false, "", "", true, -90.0, 180.0)
	f.Fuzz(func(t *testing.T, typ uint8, choices string, lo, hi float64, hasLo, hasHi bool, format, text string, hasLoc bool, lat, lng float64) {
		q := AskQuestion{Text: "?", QuestionType: QuestionTypes[int(typ)%len(QuestionTypes)], DateFormat: format}
		if choices != "" {
			q.Choices = strings.Split(choices, "|")
		}
		if hasLo {
			q.Min = &lo
		}
		if hasHi {
			q.Max = &hi
		}
		a := Answer{Text: text}
		if hasLoc {
			a.Latitude, a.Longitude = &lat, &lng
		}
		value, ok := ParseAnswer(q, a)
		_ = Reprompt(q)
		_ = QuestionText(q)
		if !ok {
			require.Empty(t, value)
			return
		}
		require.NotEmpty(t, value)
		require.Equal(t, strings.TrimSpace(value), value)
		again, ok := ParseAnswer(q, Answer{Text: value})
		require.True(t, ok, "the saved value %q is not a valid answer", value)
		require.Equal(t, value, again)
	})
}

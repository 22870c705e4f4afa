package flows

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/chatcenterhq/chatcenter/fields"
)

// Answer is what the contact sent back to an Ask a Question step.
type Answer struct {
	Text string
	// Latitude and Longitude are set together by a location message.
	Latitude, Longitude *float64
}

// ParseAnswer validates an answer against the question and returns the value to save,
// normalized, or ok=false when the answer does not fit and the question should be asked again.
// A valid value is never empty.
//
//   - text: any text, trimmed.
//   - multiple_choice: a choice's text (case and surrounding spaces ignored) or its number from 1
//     ("2", "2.", "2)"); the value is the choice as written.
//   - number: a decimal number within Min and Max (inclusive, when set), written back in its
//     shortest form ("7.50" → "7.5").
//   - date: YYYY-MM-DD, or the question's DateFormat (DD/MM/YYYY, MM/DD/YYYY and other orders of
//     YYYY, MM and DD, with / - . or space between; one-digit days and months allowed); saved
//     as YYYY-MM-DD.
//   - phone: an international number, saved in E.164 (+60123456789).
//   - email: an e-mail address.
//   - url: an http(s) address; "www.example.com" gets https:// in front.
//   - rating: a whole number of stars from 1 to 5 (and within Min and Max when set), as a digit
//     or as ★ or ⭐ characters; saved as the digit.
//   - location: a location message, or text "(latitude, longitude)" such as
//     "(3.1545313, 101.7151839)" (the parentheses are optional); saved as "latitude,longitude".
func ParseAnswer(q AskQuestion, a Answer) (value string, ok bool) {
	if q.QuestionType == "location" {
		return parseLocation(a)
	}
	text := strings.TrimSpace(a.Text)
	if !cleanAnswer(text) {
		return "", false
	}
	switch q.QuestionType {
	case "text":
		return text, true
	case "multiple_choice":
		return parseChoice(q.Choices, text)
	case "number":
		f, ok := parseNumber(text)
		if !ok || (q.Min != nil && f < *q.Min) || (q.Max != nil && f > *q.Max) {
			return "", false
		}
		return formatNumber(f), true
	case "date":
		return parseDateAnswer(q.DateFormat, text)
	case "phone":
		v, err := fields.Phone(text)
		return v, err == nil
	case "email":
		v, err := fields.Email(text)
		return v, err == nil
	case "url":
		if !strings.Contains(text, "://") {
			// People type bare addresses ("www.example.com/menu"): a dotted host name is taken
			// as a web address.
			host, _, _ := strings.Cut(text, "/")
			if !bareHost(host) {
				return "", false
			}
			text = "https://" + text
		}
		v, err := fields.URL(text)
		return v, err == nil
	case "rating":
		n, ok := parseStars(text)
		lo, hi := ratingBounds(q)
		if !ok || n < lo || n > hi {
			return "", false
		}
		return strconv.Itoa(n), true
	}
	return "", false
}

// Reprompt is the message sent after an invalid answer: short, and says what is expected.
func Reprompt(q AskQuestion) string {
	switch q.QuestionType {
	case "text":
		return "Please reply with a text message."
	case "multiple_choice":
		return "Please choose one of: " + strings.Join(trimmedChoices(q.Choices), ", ")
	case "number":
		switch {
		case q.Min != nil && q.Max != nil:
			return fmt.Sprintf("Please reply with a number between %s and %s.", formatNumber(*q.Min), formatNumber(*q.Max))
		case q.Min != nil:
			return fmt.Sprintf("Please reply with a number of at least %s.", formatNumber(*q.Min))
		case q.Max != nil:
			return fmt.Sprintf("Please reply with a number of at most %s.", formatNumber(*q.Max))
		}
		return "Please reply with a number."
	case "date":
		if f, ok := parseDateFormat(q.DateFormat); ok {
			return fmt.Sprintf("Please reply with a date like %s (%s).", f.example(), f.name())
		}
		return "Please reply with a date like 2025-12-31 (YYYY-MM-DD)."
	case "phone":
		return "Please reply with a phone number in international format, like +60123456789."
	case "email":
		return "Please reply with an email address, like name@example.com."
	case "url":
		return "Please reply with a web address, like https://example.com."
	case "rating":
		lo, hi := ratingBounds(q)
		return fmt.Sprintf("Please reply with a number from %d to %d.", lo, hi)
	case "location":
		return "Please share your location, or reply with its coordinates like (3.1545313, 101.7151839)."
	}
	return "Please reply again."
}

// QuestionText renders the question for channels without buttons: a multiple choice question
// lists its numbered choices ("1. Sales\n2. Support"), a rating says which numbers to reply with.
func QuestionText(q AskQuestion) string {
	var extra string
	switch q.QuestionType {
	case "multiple_choice":
		lines := make([]string, 0, len(q.Choices))
		for i, c := range trimmedChoices(q.Choices) {
			lines = append(lines, fmt.Sprintf("%d. %s", i+1, c))
		}
		extra = strings.Join(lines, "\n")
	case "rating":
		lo, hi := ratingBounds(q)
		extra = fmt.Sprintf("Reply with a number from %d to %d.", lo, hi)
	}
	switch {
	case extra == "":
		return q.Text
	case strings.TrimSpace(q.Text) == "":
		return extra
	}
	return strings.TrimRight(q.Text, " \t\n") + "\n" + extra
}

// cleanAnswer reports whether s is non-empty text that can be stored: valid UTF-8 without NUL.
func cleanAnswer(s string) bool {
	return s != "" && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// bareHost reports whether s is a host name with at least two labels ("example.com").
func bareHost(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") ||
			strings.TrimFunc(l, func(r rune) bool { return r == '-' || r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) }) != "" {
			return false
		}
	}
	return true
}

func trimmedChoices(cs []string) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = strings.TrimSpace(c)
	}
	return out
}

// parseChoice matches the text of a choice (exactly first, then ignoring case), then its number.
func parseChoice(choices []string, text string) (string, bool) {
	cs := trimmedChoices(choices)
	for i, c := range cs {
		if !cleanAnswer(c) {
			cs[i] = "" // a choice that cannot be saved is never picked
		}
	}
	for _, c := range cs {
		if c != "" && c == text {
			return c, true
		}
	}
	for _, c := range cs {
		if c != "" && strings.EqualFold(c, text) {
			return c, true
		}
	}
	num := strings.TrimRight(text, ".)")
	if len(num) == 0 || len(num) > 3 || strings.TrimLeft(num, "0123456789") != "" || len(text)-len(num) > 1 {
		return "", false
	}
	n, _ := strconv.Atoi(num)
	if n < 1 || n > len(cs) || cs[n-1] == "" {
		return "", false
	}
	return cs[n-1], true
}

// ratingBounds are the stars a rating accepts: 1 to 5, narrowed by Min and Max.
func ratingBounds(q AskQuestion) (lo, hi int) {
	lo, hi = MinRating, MaxRating
	if q.Min != nil && !math.IsNaN(*q.Min) && *q.Min > float64(lo) {
		lo = int(math.Ceil(min(*q.Min, MaxRating+1)))
	}
	if q.Max != nil && !math.IsNaN(*q.Max) && *q.Max < float64(hi) {
		hi = int(math.Floor(max(*q.Max, MinRating-1)))
	}
	return lo, hi
}

// parseStars reads a rating: one digit, or a row of ★ or ⭐ (☆ counts as an empty star).
func parseStars(text string) (int, bool) {
	if len(text) == 1 && text[0] >= '0' && text[0] <= '9' {
		return int(text[0] - '0'), true
	}
	n := 0
	for _, r := range text {
		switch {
		case r == '★' || r == '⭐':
			n++
		case r == '☆' || r == '\uFE0F' || unicode.IsSpace(r):
			// empty stars, the emoji variation selector and spacing
		default:
			return 0, false
		}
	}
	return n, n > 0
}

// parseLocation reads a location message or "(latitude, longitude)" text.
func parseLocation(a Answer) (string, bool) {
	var lat, lng float64
	switch {
	case a.Latitude != nil && a.Longitude != nil:
		lat, lng = *a.Latitude, *a.Longitude
	case a.Latitude != nil || a.Longitude != nil:
		return "", false
	default:
		text := strings.TrimSpace(a.Text)
		if strings.HasPrefix(text, "(") && strings.HasSuffix(text, ")") {
			text = text[1 : len(text)-1]
		}
		x, y, found := strings.Cut(text, ",")
		var ok1, ok2 bool
		lat, ok1 = parseNumber(x)
		lng, ok2 = parseNumber(y)
		if !found || !ok1 || !ok2 {
			return "", false
		}
	}
	if math.IsNaN(lat) || math.IsNaN(lng) || lat < -90 || lat > 90 || lng < -180 || lng > 180 {
		return "", false
	}
	return formatNumber(lat) + "," + formatNumber(lng), true
}

// formatNumber writes a number in its shortest decimal form, without "-0".
func formatNumber(f float64) string {
	if f == 0 {
		f = 0
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// dateFormat is the order of year, month and day in a date question's format, and the separator
// it is written with.
type dateFormat struct {
	order [3]byte // 'Y', 'M', 'D'
	sep   byte
}

// parseDateFormat reads formats such as "DD/MM/YYYY" or "YYYY-MM-DD" (any case), and the Go
// layouts "02/01/2006", "01/02/2006" and "2006-01-02". The empty format is YYYY-MM-DD.
func parseDateFormat(s string) (dateFormat, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return dateFormat{order: [3]byte{'Y', 'M', 'D'}, sep: '-'}, true
	}
	tokens := map[string]byte{"YYYY": 'Y', "MM": 'M', "DD": 'D', "2006": 'Y', "01": 'M', "02": 'D'}
	var f dateFormat
	i := 0
	for n := range 3 {
		if n > 0 {
			if i >= len(s) || strings.IndexByte(dateSeparators, s[i]) < 0 || (n == 2 && s[i] != f.sep) {
				return dateFormat{}, false
			}
			f.sep = s[i]
			i++
		}
		var tok byte
		for _, l := range []int{4, 2} {
			if i+l <= len(s) && tokens[strings.ToUpper(s[i:i+l])] != 0 {
				tok, i = tokens[strings.ToUpper(s[i:i+l])], i+l
				break
			}
		}
		if tok == 0 || bytes.IndexByte(f.order[:n], tok) >= 0 {
			return dateFormat{}, false
		}
		f.order[n] = tok
	}
	if i != len(s) {
		return dateFormat{}, false
	}
	return f, true
}

const dateSeparators = "/-. "

func (f dateFormat) name() string {
	parts := make([]string, 3)
	for i, t := range f.order {
		parts[i] = map[byte]string{'Y': "YYYY", 'M': "MM", 'D': "DD"}[t]
	}
	return strings.Join(parts, string(f.sep))
}

// example is 31 December 2025 in the format.
func (f dateFormat) example() string {
	parts := make([]string, 3)
	for i, t := range f.order {
		parts[i] = map[byte]string{'Y': "2025", 'M': "12", 'D': "31"}[t]
	}
	return strings.Join(parts, string(f.sep))
}

// parseDateAnswer reads YYYY-MM-DD, or a date in the question's format with any of the usual
// separators, and returns it as YYYY-MM-DD.
func parseDateAnswer(format, text string) (string, bool) {
	if isDate(text) {
		return text, true
	}
	f, ok := parseDateFormat(format)
	if !ok {
		return "", false
	}
	parts := strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune(dateSeparators, r) })
	if len(parts) != 3 {
		return "", false
	}
	var y, m, d int
	for i, p := range parts {
		if strings.TrimLeft(p, "0123456789") != "" {
			return "", false
		}
		switch f.order[i] {
		case 'Y':
			if len(p) != 4 {
				return "", false
			}
			y, _ = strconv.Atoi(p)
		case 'M':
			if len(p) > 2 {
				return "", false
			}
			m, _ = strconv.Atoi(p)
		case 'D':
			if len(p) > 2 {
				return "", false
			}
			d, _ = strconv.Atoi(p)
		}
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if y < 1 || t.Year() != y || t.Month() != time.Month(m) || t.Day() != d {
		return "", false // 31/02, month 13, day 0
	}
	return t.Format(time.DateOnly), true
}

// Package variables renders respond.io-style dynamic variables in message text: snippets and
// replies may say "Hi {{$contact.first_name | default: "there"}}, I'm {{$user.first_name}}" and
// each expression is replaced by the contact's or the sending user's value.
//
// Syntax: "{{" $namespace.field [ | default: "text" ] "}}", with optional whitespace after "{{",
// around "|" and ":", and before "}}". The default may be in double or single quotes; inside it a
// backslash escapes the quote or a backslash. Namespaces:
//
//   - contact: first_name, last_name, name, phone, email, language, country_code, lifecycle, and
//     any custom field by its slug ({{$contact.order_id}}); standard names win over a custom field
//     with the same slug.
//   - user (the user sending): first_name (first word of the name), last_name (the rest), name,
//     email.
//   - variable (in flows only): a run's variable by name ({{$variable.order_id}}).
//
// A known expression whose value is missing or blank renders as its default, or as nothing.
// Anything else is left exactly as written: unknown namespaces or user fields, malformed
// expressions, literal braces, and comment mentions ({{@user.ID}}). Rendering is a single pass:
// values are never rendered again, so a contact named "{{$user.email}}" cannot reveal anything.
//
// The package does no I/O; callers load the contact and user and pass them in Data.
package variables

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Contact is what a message may say about the contact.
type Contact struct {
	FirstName   string
	LastName    string
	Phone       string
	Email       string
	Language    string
	CountryCode string
	Lifecycle   string
	// CustomFields holds custom field values by slug, as stored (strings, numbers, booleans,
	// lists).
	CustomFields map[string]any
}

// User is the user a message is sent as.
type User struct {
	Name  string
	Email string
}

// Data is everything an expression can refer to. Zero values render as missing.
type Data struct {
	Contact Contact
	User    User
	// Variables are a flow run's variables ({{$variable.order_id}}): trigger variables, shortcut
	// form answers, saved answers and HTTP response mappings. Nil outside flows, where
	// {{$variable.…}} is left as written.
	Variables map[string]string
}

// Variable describes one supported variable, for clients that offer a picker.
type Variable struct {
	// Name is namespace.field, e.g. "contact.first_name".
	Name string `json:"name"`
	// Expression is what to write in a text, e.g. "{{$contact.first_name}}".
	Expression  string `json:"expression"`
	Description string `json:"description"`
}

// CustomFieldExpression is the form of a contact custom field variable; <slug> is the field's
// slug.
const CustomFieldExpression = "{{$contact.<slug>}}"

var standard = []Variable{
	{Name: "contact.first_name", Description: "Contact's first name"},
	{Name: "contact.last_name", Description: "Contact's last name"},
	{Name: "contact.name", Description: "Contact's first and last name"},
	{Name: "contact.phone", Description: "Contact's phone number (E.164)"},
	{Name: "contact.email", Description: "Contact's e-mail address"},
	{Name: "contact.language", Description: "Contact's language (ISO 639-1)"},
	{Name: "contact.country_code", Description: "Contact's country (ISO 3166-1 alpha-2)"},
	{Name: "contact.lifecycle", Description: "Contact's lifecycle stage"},
	{Name: "user.first_name", Description: "Your first name (first word of your name)"},
	{Name: "user.last_name", Description: "Your last name (the rest of your name)"},
	{Name: "user.name", Description: "Your full name"},
	{Name: "user.email", Description: "Your e-mail address"},
}

func init() {
	for i := range standard {
		standard[i].Expression = "{{$" + standard[i].Name + "}}"
	}
}

// Variables lists the standard variables. Contact custom fields are also available by slug
// (CustomFieldExpression).
func Variables() []Variable { return slices.Clone(standard) }

// ErrInvalidText is returned for text that is not valid UTF-8.
var ErrInvalidText = errors.New("text is not valid UTF-8")

// Limits that keep rendering linear in the length of the text: an expression longer than these
// is malformed and left as written.
const (
	maxIdent   = 64
	maxDefault = 512
	maxExpr    = 1024
)

// Render replaces every known expression in text with its value from data. It fails only when
// text is not valid UTF-8.
func Render(text string, data Data) (string, error) {
	if !utf8.ValidString(text) {
		return "", ErrInvalidText
	}
	if !strings.Contains(text, "{{") {
		return text, nil
	}
	var b strings.Builder
	b.Grow(len(text))
	i := 0
	for {
		j := strings.Index(text[i:], "{{")
		if j < 0 {
			b.WriteString(text[i:])
			return b.String(), nil
		}
		j += i
		b.WriteString(text[i:j])
		e, end, ok := parse(text, j)
		if !ok {
			// Not an expression here; the next "{" may start one ("{{{$contact.name}}").
			b.WriteByte('{')
			i = j + 1
			continue
		}
		if v, known := resolve(e, data); known {
			b.WriteString(v)
		} else {
			b.WriteString(text[j:end])
		}
		i = end
	}
}

type expr struct {
	namespace, field string
	def              string
	hasDefault       bool
}

// parse reads the expression starting with "{{" at s[start:], returning it and the index just
// after its "}}".
func parse(s string, start int) (expr, int, bool) {
	var e expr
	s = s[:min(len(s), start+maxExpr)]
	p := skipSpace(s, start+2)
	if p >= len(s) || s[p] != '$' {
		return e, 0, false
	}
	p++
	var ok bool
	if e.namespace, p, ok = ident(s, p); !ok {
		return e, 0, false
	}
	if p >= len(s) || s[p] != '.' {
		return e, 0, false
	}
	if e.field, p, ok = ident(s, p+1); !ok {
		return e, 0, false
	}
	p = skipSpace(s, p)
	if p < len(s) && s[p] == '|' {
		p = skipSpace(s, p+1)
		if !strings.HasPrefix(s[p:], "default") {
			return e, 0, false
		}
		p = skipSpace(s, p+len("default"))
		if p >= len(s) || s[p] != ':' {
			return e, 0, false
		}
		p = skipSpace(s, p+1)
		if e.def, p, ok = quoted(s, p); !ok {
			return e, 0, false
		}
		e.hasDefault = true
		p = skipSpace(s, p)
	}
	if !strings.HasPrefix(s[p:], "}}") {
		return e, 0, false
	}
	return e, p + 2, true
}

func skipSpace(s string, p int) int {
	for p < len(s) && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r') {
		p++
	}
	return p
}

// ident reads [A-Za-z0-9_]+ (custom field slugs) of at most maxIdent bytes.
func ident(s string, p int) (string, int, bool) {
	q := p
	for q < len(s) && q-p <= maxIdent && isIdentByte(s[q]) {
		q++
	}
	if q == p || q-p > maxIdent {
		return "", 0, false
	}
	return s[p:q], q, true
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// quoted reads a '...' or "..." string in which a backslash escapes the quote or a backslash.
func quoted(s string, p int) (string, int, bool) {
	if p >= len(s) || (s[p] != '"' && s[p] != '\'') {
		return "", 0, false
	}
	q := s[p]
	var b strings.Builder
	for i := p + 1; i < len(s) && i-p <= maxDefault; i++ {
		switch c := s[i]; {
		case c == q:
			return b.String(), i + 1, true
		case c == '\\' && i+1 < len(s) && (s[i+1] == q || s[i+1] == '\\'):
			b.WriteByte(s[i+1])
			i++
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, false
}

// resolve returns the value of e, and false when e names nothing this package knows.
func resolve(e expr, d Data) (string, bool) {
	var v string
	switch e.namespace {
	case "contact":
		v = contactValue(d.Contact, e.field)
	case "user":
		var ok bool
		if v, ok = userValue(d.User, e.field); !ok {
			return "", false
		}
	case "variable":
		if d.Variables == nil {
			return "", false
		}
		v = d.Variables[e.field]
	default:
		return "", false
	}
	if strings.TrimSpace(v) == "" {
		if e.hasDefault {
			return e.def, true
		}
		return "", true
	}
	return v, true
}

func contactValue(c Contact, field string) string {
	switch field {
	case "first_name":
		return c.FirstName
	case "last_name":
		return c.LastName
	case "name":
		return strings.TrimSpace(strings.TrimSpace(c.FirstName) + " " + strings.TrimSpace(c.LastName))
	case "phone":
		return c.Phone
	case "email":
		return c.Email
	case "language":
		return c.Language
	case "country_code":
		return c.CountryCode
	case "lifecycle":
		return c.Lifecycle
	}
	return formatValue(c.CustomFields[field])
}

func userValue(u User, field string) (string, bool) {
	name := strings.TrimSpace(u.Name)
	switch field {
	case "name":
		return name, true
	case "first_name":
		first, _ := splitName(name)
		return first, true
	case "last_name":
		_, last := splitName(name)
		return last, true
	case "email":
		return u.Email, true
	}
	return "", false
}

// splitName splits a name at its first space: "Ana María López" is "Ana" and "María López".
func splitName(name string) (first, last string) {
	i := strings.IndexFunc(name, unicode.IsSpace)
	if i < 0 {
		return name, ""
	}
	return name[:i], strings.TrimSpace(name[i:])
}

// formatValue renders a custom field value as people write it: numbers without exponents,
// lists joined with ", ".
func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case json.Number:
		return x.String()
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if s := formatValue(e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	case []string:
		return strings.Join(x, ", ")
	case map[string]any:
		raw, err := json.Marshal(x)
		if err != nil {
			return ""
		}
		return string(raw)
	default:
		return fmt.Sprint(x)
	}
}

// Package fields describes contact fields: the standard ones every contact has and the custom
// ones a workspace defines (respond.io's Contact Fields), and validates their values. It does no
// I/O, so the API, imports and automation steps accept and store values the same way.
package fields

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/chatcenterhq/chatcenter"
)

// Type is the data type of a custom field.
type Type string

// The custom field types, as respond.io names them.
const (
	TypeText     Type = "text"
	TypeList     Type = "list"
	TypeCheckbox Type = "checkbox"
	TypeEmail    Type = "email"
	TypeNumber   Type = "number"
	TypeURL      Type = "url"
	TypeDate     Type = "date"
	TypeTime     Type = "time"
)

// Types lists every custom field type.
var Types = []Type{TypeText, TypeList, TypeCheckbox, TypeEmail, TypeNumber, TypeURL, TypeDate, TypeTime}

// Valid reports whether t is a known type.
func (t Type) Valid() bool { return slices.Contains(Types, t) }

// Limits of definitions and values.
const (
	MaxNameLen        = 50
	MaxSlugLen        = 50
	MaxDescriptionLen = 255
	MaxOptions        = 100
	MaxOptionLen      = 255
	MaxTextLen        = 2000
	MaxURLLen         = 2048
	MaxEmailLen       = 254
	// MaxPerWorkspace bounds the custom fields of one workspace.
	MaxPerWorkspace = 200
)

// Definition is a custom field as a workspace defines it. Slug is the key of the field's value
// in a contact's custom fields.
type Definition struct {
	Name        string
	Slug        string
	Type        Type
	Options     []string
	Description string
}

// reservedSlugs are the standard fields' names and the contact attributes that variables such as
// {{$contact.email}} resolve: a custom field with one of these slugs would be ambiguous.
var reservedSlugs = []string{"id", "first_name", "last_name", "name", "phone", "email", "language",
	"country_code", "profile_pic", "tags", "lifecycle", "assignee", "assignee_id", "blocked",
	"created_at", "updated_at", "custom_fields", "channels"}

var slugPattern = regexp.MustCompile(`^[a-z0-9_]+$`)

// Slugify derives a slug from a field's name: lower case ASCII letters and digits, every other
// run of characters becoming one underscore. It returns "" when nothing usable remains.
func Slugify(name string) string {
	var b strings.Builder
	underscore := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if underscore && b.Len() > 0 {
				b.WriteByte('_')
			}
			underscore = false
			b.WriteRune(r)
		default:
			underscore = true
		}
		if b.Len() >= MaxSlugLen {
			break
		}
	}
	s := b.String()
	if len(s) > MaxSlugLen {
		s = s[:MaxSlugLen]
	}
	return strings.TrimRight(s, "_")
}

// CheckSlug validates a slug given by a user.
func CheckSlug(slug string) error {
	switch {
	case slug == "":
		return invalid("slug must not be empty")
	case len(slug) > MaxSlugLen:
		return invalid("slug is %d characters; the limit is %d", len(slug), MaxSlugLen)
	case !slugPattern.MatchString(slug):
		return invalid("slug %q may contain only lower-case letters, digits and underscores", slug)
	case slices.Contains(reservedSlugs, slug):
		return invalid("slug %q is reserved for a standard contact field", slug)
	}
	return nil
}

// Normalize validates a definition and puts it in canonical form: names trimmed, the slug derived
// from the name when empty, list options trimmed and unique. A non-list field has no options.
func (d *Definition) Normalize() error {
	d.Name = strings.TrimSpace(d.Name)
	d.Description = strings.TrimSpace(d.Description)
	if err := checkName(d.Name); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(d.Description); n > MaxDescriptionLen {
		return invalid("description is %d characters; the limit is %d", n, MaxDescriptionLen)
	}
	if strings.ContainsRune(d.Description, 0) {
		return invalid("description must not contain NUL characters")
	}
	if d.Slug == "" {
		d.Slug = Slugify(d.Name)
		if d.Slug == "" {
			return invalid("cannot derive a slug from name %q; give one (lower-case letters, digits, underscores)", d.Name)
		}
	}
	if err := CheckSlug(d.Slug); err != nil {
		return err
	}
	if !d.Type.Valid() {
		return invalid("type must be one of %s", typeList())
	}
	opts, err := normalizeOptions(d.Type, d.Options)
	if err != nil {
		return err
	}
	d.Options = opts
	return nil
}

func checkName(name string) error {
	if name == "" {
		return invalid("name must not be empty")
	}
	if n := utf8.RuneCountInString(name); n > MaxNameLen {
		return invalid("name is %d characters; the limit is %d", n, MaxNameLen)
	}
	if hasControl(name) {
		return invalid("name must not contain control characters")
	}
	return nil
}

func normalizeOptions(t Type, options []string) ([]string, error) {
	if t != TypeList {
		if len(options) > 0 {
			return nil, invalid("options are only for list fields")
		}
		return []string{}, nil
	}
	if len(options) == 0 {
		return nil, invalid("a list field needs at least one option")
	}
	if len(options) > MaxOptions {
		return nil, invalid("a list field has at most %d options", MaxOptions)
	}
	out := make([]string, 0, len(options))
	for _, o := range options {
		o = strings.TrimSpace(o)
		switch {
		case o == "":
			return nil, invalid("list options must not be empty")
		case hasControl(o):
			return nil, invalid("list options must not contain control characters")
		case utf8.RuneCountInString(o) > MaxOptionLen:
			return nil, invalid("list option %q is longer than %d characters", truncate(o), MaxOptionLen)
		case slices.Contains(out, o):
			return nil, invalid("list option %q appears twice", o)
		}
		out = append(out, o)
	}
	return out, nil
}

// Value validates a JSON value for the field and returns it in the form stored: a string for
// text, list, email, url, date (YYYY-MM-DD) and time (HH:MM); a bool for checkbox; a json.Number
// for number. JSON null, and a string of only spaces, give nil: the contact's value is cleared.
// Checkbox and number fields also accept their value written as a string ("true", "42"), as
// integrations built on respond.io's API send them.
func (d Definition) Value(raw json.RawMessage) (any, error) {
	v, err := decode(raw)
	if err != nil {
		return nil, d.wrap(err)
	}
	if v == nil {
		return nil, nil
	}
	if s, ok := v.(string); ok && strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out, err := d.value(v)
	if err != nil {
		return nil, d.wrap(err)
	}
	return out, nil
}

func (d Definition) value(v any) (any, error) {
	switch d.Type {
	case TypeCheckbox:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
		return nil, invalid("must be true or false")
	case TypeNumber:
		switch x := v.(type) {
		case json.Number:
			return Number(x.String())
		case string:
			return Number(x)
		}
		return nil, invalid("must be a number")
	}
	s, ok := v.(string)
	if !ok {
		return nil, invalid("must be a string")
	}
	switch d.Type {
	case TypeText:
		// Postgres stores no NUL character, in text or in JSON; every other character is text.
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			return nil, invalid("must be valid UTF-8 text without NUL characters")
		}
		if n := utf8.RuneCountInString(s); n > MaxTextLen {
			return nil, invalid("is %d characters; the limit is %d", n, MaxTextLen)
		}
		return s, nil
	case TypeList:
		s = strings.TrimSpace(s)
		if slices.Contains(d.Options, s) {
			return s, nil
		}
		for _, o := range d.Options {
			if strings.EqualFold(o, s) {
				return o, nil
			}
		}
		return nil, invalid("%q is not one of the field's options", truncate(s))
	case TypeEmail:
		return Email(s)
	case TypeURL:
		return URL(s)
	case TypeDate:
		return Date(s)
	case TypeTime:
		return Time(s)
	}
	return nil, invalid("has unknown type %q", d.Type)
}

func (d Definition) wrap(err error) error {
	return invalid("custom field %s: %s", d.Slug, chatcenter.ErrorMessage(err))
}

// decode reads one JSON value, keeping numbers exact.
func decode(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, invalid("is not a JSON value")
	}
	if dec.More() {
		return nil, invalid("is not a single JSON value")
	}
	switch v.(type) {
	case map[string]any, []any:
		return nil, invalid("must be a single value, not an object or a list")
	}
	return v, nil
}

// SlugSyntax reports whether s could be a slug (a custom field key given by a client is checked
// before it is looked up).
func SlugSyntax(s string) bool { return len(s) <= MaxSlugLen && slugPattern.MatchString(s) }

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

func typeList() string {
	names := make([]string, len(Types))
	for i, t := range Types {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

func invalid(format string, args ...any) error {
	return chatcenter.Errorf(chatcenter.EINVALID, format, args...)
}

// truncate shortens a value quoted in an error message.
func truncate(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:40]) + "…"
}

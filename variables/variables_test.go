package variables_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter/variables"
)

func fullData() variables.Data {
	return variables.Data{
		Contact: variables.Contact{
			FirstName: "Ana", LastName: "Silva", Phone: "+5511987654321", Email: "ana@example.com",
			Language: "pt", CountryCode: "BR", Lifecycle: "Hot Lead",
			CustomFields: map[string]any{
				"order_id": "A-1001", "points": float64(1500), "ratio": 0.25, "vip": true,
				"sizes": []any{"M", "L"}, "empty": "", "nothing": nil, "first_name": "custom loses",
				"Mixed_Case_9": "mixed",
			},
		},
		User: variables.User{Name: "  María José  de la Cruz ", Email: "maria@example.com"},
	}
}

func render(t *testing.T, text string, d variables.Data) string {
	t.Helper()
	out, err := variables.Render(text, d)
	require.NoError(t, err)
	return out
}

func TestRenderEveryVariable(t *testing.T) {
	d := fullData()
	cases := map[string]string{
		"{{$contact.first_name}}":   "Ana",
		"{{$contact.last_name}}":    "Silva",
		"{{$contact.name}}":         "Ana Silva",
		"{{$contact.phone}}":        "+5511987654321",
		"{{$contact.email}}":        "ana@example.com",
		"{{$contact.language}}":     "pt",
		"{{$contact.country_code}}": "BR",
		"{{$contact.lifecycle}}":    "Hot Lead",
		"{{$contact.order_id}}":     "A-1001",
		"{{$contact.points}}":       "1500",
		"{{$contact.ratio}}":        "0.25",
		"{{$contact.vip}}":          "true",
		"{{$contact.sizes}}":        "M, L",
		"{{$contact.Mixed_Case_9}}": "mixed",
		"{{$user.first_name}}":      "María",
		"{{$user.last_name}}":       "José  de la Cruz",
		"{{$user.name}}":            "María José  de la Cruz",
		"{{$user.email}}":           "maria@example.com",
	}
	for in, want := range cases {
		require.Equal(t, want, render(t, in, d), in)
	}
	// Every listed variable is known and renders to a value here.
	for _, v := range variables.Variables() {
		require.Equal(t, "{{$"+v.Name+"}}", v.Expression)
		require.NotEmpty(t, v.Description)
		out := render(t, v.Expression, d)
		require.NotEmpty(t, out, v.Name)
		require.NotContains(t, out, "{{", v.Name)
	}
	require.Len(t, variables.Variables(), 12)
}

func TestRenderInText(t *testing.T) {
	got := render(t, "Hi {{$contact.first_name}}, I'm {{$user.first_name}}. Your order {{$contact.order_id}} ships today.", fullData())
	require.Equal(t, "Hi Ana, I'm María. Your order A-1001 ships today.", got)
	// The standard field wins over a custom field with the same slug.
	require.Equal(t, "Ana", render(t, "{{$contact.first_name}}", fullData()))
}

func TestRenderWhitespaceAndQuotes(t *testing.T) {
	d := fullData()
	for _, in := range []string{
		"{{ $contact.first_name }}",
		"{{\t$contact.first_name\n}}",
		"{{$contact.first_name|default:\"x\"}}",
		"{{ $contact.first_name | default: \"x\" }}",
		"{{$contact.first_name   |   default  :   'x'   }}",
	} {
		require.Equal(t, "Ana", render(t, in, d), in)
	}
}

func TestRenderDefaults(t *testing.T) {
	empty := variables.Data{Contact: variables.Contact{FirstName: "   ", CustomFields: map[string]any{"empty": "", "nothing": nil}}}
	cases := map[string]string{
		`{{$contact.first_name | default: "there"}}`:      "there", // blank counts as missing
		`{{$contact.last_name | default: 'friend'}}`:      "friend",
		`{{$contact.empty | default: "n/a"}}`:             "n/a",
		`{{$contact.nothing | default: "n/a"}}`:           "n/a",
		`{{$contact.unknown_slug | default: "n/a"}}`:      "n/a",
		`{{$user.first_name | default: "our team"}}`:      "our team",
		`{{$contact.phone | default: ""}}`:                "",
		`{{$contact.email | default: "it's me"}}`:         "it's me",
		`{{$contact.email | default: 'say "hi"'}}`:        `say "hi"`,
		`{{$contact.email | default: "a \"quoted\" \\"}}`: `a "quoted" \`,
		`{{$contact.email | default: 'it\'s'}}`:           "it's",
		`{{$contact.email | default: "}} and {{"}}`:       "}} and {{",
		`{{$contact.email | default: "{{$user.email}}"}}`: "{{$user.email}}", // defaults are not rendered again
	}
	for in, want := range cases {
		require.Equal(t, want, render(t, in, empty), in)
	}
	// A present value ignores the default.
	require.Equal(t, "Ana", render(t, `{{$contact.first_name | default: "there"}}`, fullData()))
}

func TestRenderMissingValuesAreEmpty(t *testing.T) {
	var zero variables.Data
	require.Equal(t, "Hi , your code is .", render(t, "Hi {{$contact.first_name}}, your code is {{$contact.order_id}}.", zero))
	for _, v := range variables.Variables() {
		require.Equal(t, "", render(t, v.Expression, zero), v.Name)
	}
	require.Equal(t, "Ana", render(t, "{{$user.first_name}}", variables.Data{User: variables.User{Name: "Ana"}}))
	require.Equal(t, "", render(t, "{{$user.last_name}}", variables.Data{User: variables.User{Name: "Ana"}}))
	require.Equal(t, "Silva", render(t, "{{$contact.name}}", variables.Data{Contact: variables.Contact{LastName: "Silva"}}))
}

func TestRenderLeavesOtherTextAlone(t *testing.T) {
	d := fullData()
	unchanged := []string{
		"",
		"no variables at all",
		"{{@user.12}} please look", // comment mentions
		"{{$unknown.first_name}}",  // unknown namespace
		"{{$Contact.first_name}}",  // namespaces are lower case
		"{{$user.phone}}",          // unknown user field
		"{{$user.phone | default: \"x\"}}",
		"{{contact.first_name}}", // no $
		"{{$contact}}",
		"{{$contact.}}",
		"{{$contact.first-name}}",
		"{{$contact.first_name",
		"{{$contact.first_name}",
		"{{$contact.first_name | default: \"x}}",
		"{{$contact.first_name | default: x}}",
		"{{$contact.first_name | upper}}",
		"{{$contact.first_name | default \"x\"}}",
		"{{$contact.first_name | default: \"x\" \"y\"}}",
		"{{ $ contact.first_name }}",
		"{{$contact . first_name}}",
		"function() { return {{ a: 1 }}; }",
		"{{}} {{ }} {{$}} {{$.}}",
		"}}{{",
		"{{$contact." + strings.Repeat("a", 65) + "}}",
	}
	for _, in := range unchanged {
		require.Equal(t, in, render(t, in, d), in)
	}
	// An unknown expression is kept whole, including what its default would say.
	in := `{{$foo.bar | default: "{{$contact.first_name}}"}}`
	require.Equal(t, in, render(t, in, d))
	// Literal braces next to an expression survive.
	require.Equal(t, "{Ana}", render(t, "{{{$contact.first_name}}}", d))
	require.Equal(t, "{{ Ana }}", render(t, "{{ {{$contact.first_name}} }}", d))
	require.Equal(t, "{{@user.3}} Ana", render(t, "{{@user.3}} {{$contact.first_name}}", d))
}

func TestRenderIsSinglePass(t *testing.T) {
	d := variables.Data{
		Contact: variables.Contact{FirstName: "{{$user.email}}", LastName: "{{$contact.", CustomFields: map[string]any{"x": "first_name}}"}},
		User:    variables.User{Email: "secret@example.com"},
	}
	require.Equal(t, "{{$user.email}}", render(t, "{{$contact.first_name}}", d))
	require.Equal(t, "{{$contact.first_name}}", render(t, "{{$contact.last_name}}{{$contact.x}}", d))
}

func TestRenderCustomFieldValues(t *testing.T) {
	var obj map[string]any
	require.NoError(t, json.Unmarshal([]byte(`{"big": 12345678901, "neg": -3.5, "list": [1, "two", null, true], "obj": {"a": 1}, "zero": 0, "no": false}`), &obj))
	d := variables.Data{Contact: variables.Contact{CustomFields: obj}}
	require.Equal(t, "12345678901", render(t, "{{$contact.big}}", d))
	require.Equal(t, "-3.5", render(t, "{{$contact.neg}}", d))
	require.Equal(t, "1, two, true", render(t, "{{$contact.list}}", d))
	require.Equal(t, `{"a":1}`, render(t, "{{$contact.obj}}", d))
	require.Equal(t, "0", render(t, "{{$contact.zero | default: \"none\"}}", d))
	require.Equal(t, "false", render(t, "{{$contact.no | default: \"none\"}}", d))
}

func TestRenderRejectsInvalidUTF8(t *testing.T) {
	_, err := variables.Render("hi \xff {{$contact.first_name}}", fullData())
	require.True(t, errors.Is(err, variables.ErrInvalidText))
}

func TestRenderLongInputStaysFast(t *testing.T) {
	// Pathological input: many expression starts, each followed by a long run that is never
	// closed. Rendering must stay linear (it would take minutes if each start scanned to the end).
	in := strings.Repeat("{{ $contact.first_name | default: \""+strings.Repeat(" ", 200), 2000)
	out := render(t, in, fullData())
	require.Equal(t, in, out)
}

// FuzzRender checks that Render never panics, leaves text without "{{" alone, and replaces every
// well-formed expression of a known variable.
func FuzzRender(f *testing.F) {
	f.Add("Hi {{$contact.first_name}}!", "first_name", "there", "Ana", "Hi ", "!")
	f.Add("{{ $user.name | default: 'x' }}", "order_id", "", "", "", "")
	f.Add("{{{$contact.phone}}}", "last_name", "a\"b", "{{$user.email}}", "x", "y")
	f.Add("{{@user.1}} {{$contact.x | default: \"}}\"}}", "x", "it's", "v", "", "")
	f.Add("{{$contact.a | default: \"\\\"}}", "phone", "\\", "", "a", "b")
	f.Fuzz(func(t *testing.T, text, field, def, value, prefix, suffix string) {
		data := fullData()
		data.Contact.CustomFields = map[string]any{field: value}

		out, err := variables.Render(text, data)
		if err != nil {
			if !errors.Is(err, variables.ErrInvalidText) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !strings.Contains(text, "{{") && out != text {
			t.Fatalf("text without expressions changed: %q -> %q", text, out)
		}

		// A well-formed expression of a known variable is always replaced, wherever it stands.
		if !validSlug(field) || strings.ContainsAny(prefix+suffix, "{}") {
			return
		}
		for _, s := range []string{prefix, suffix, def, value} {
			if !utf8Valid(s) {
				return
			}
		}
		switch field {
		case "first_name", "last_name", "name", "phone", "email", "language", "country_code", "lifecycle":
			value = map[string]string{
				"first_name": "Ana", "last_name": "Silva", "name": "Ana Silva", "phone": "+5511987654321",
				"email": "ana@example.com", "language": "pt", "country_code": "BR", "lifecycle": "Hot Lead",
			}[field]
		}
		want := value
		if strings.TrimSpace(value) == "" {
			want = def
		}
		escaped := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(def)
		in := prefix + "{{ $contact." + field + ` | default: "` + escaped + `" }}` + suffix
		got, err := variables.Render(in, data)
		if err != nil {
			t.Fatalf("render %q: %v", in, err)
		}
		if len(escaped) > 400 {
			return // longer than an expression may be: left as written, checked above not to panic
		}
		if got != prefix+want+suffix {
			t.Fatalf("render %q = %q, want %q", in, got, prefix+want+suffix)
		}
		if !strings.Contains(want, "{{$") && strings.Contains(got, "{{$") {
			t.Fatalf("known expression left in output: %q -> %q", in, got)
		}
	})
}

func validSlug(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

package jsonpath

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func decode(t testing.TB, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	require.NoError(t, d.Decode(&v))
	return v
}

const doc = `{
	"phone": "+6012345678",
	"custom_fields": {"phone": "+6099", "score": 12.50, "vip": true, "note": null, "tags": ["a", "b"]},
	"data": {"contacts": [{"firstName": "Ann"}, {"firstName": "Bob", "age": 41}]},
	"a b": {"it's": 1},
	"0": "zero-key",
	"big": 12345678901234567890123,
	"html": {"x": "<b>&</b>"},
	"": "empty key"
}`

func TestLookup(t *testing.T) {
	t.Parallel()
	d := decode(t, doc)
	for _, tc := range []struct {
		expr string
		want string
	}{
		{"$.phone", "+6012345678"},
		{"$.custom_fields.phone", "+6099"},
		{"$.data.contacts[1].firstName", "Bob"},
		{"$.data.contacts[0].firstName", "Ann"},
		{"$.data.contacts[-1].age", "41"},
		{"$.data.contacts[-2].firstName", "Ann"},
		{"$['a b']['it\\'s']", "1"},
		{`$["a b"]["it's"]`, "1"},
		{"$.custom_fields.score", "12.50"},
		{"$.custom_fields.vip", "true"},
		{"$.custom_fields.note", ""},
		{"$.custom_fields.tags", `["a","b"]`},
		{"$.data.contacts[1]", `{"age":41,"firstName":"Bob"}`},
		{"$.0", "zero-key"},
		{"$['0']", "zero-key"},
		{"$.big", "12345678901234567890123"},
		{"$.html", `{"x":"<b>&</b>"}`},
		{"$['']", "empty key"},
	} {
		p, err := Compile(tc.expr)
		require.NoError(t, err, tc.expr)
		v, ok := p.Lookup(d)
		require.True(t, ok, tc.expr)
		require.Equal(t, tc.want, Text(v), tc.expr)
	}

	// The root is the whole document.
	p, err := Compile("$")
	require.NoError(t, err)
	v, ok := p.Lookup(d)
	require.True(t, ok)
	require.Equal(t, d, v)
	v, ok = Path{}.Lookup("x")
	require.True(t, ok)
	require.Equal(t, "x", v)
}

func TestLookupMissing(t *testing.T) {
	t.Parallel()
	d := decode(t, doc)
	for _, expr := range []string{
		"$.nope",
		"$.phone.x",                      // key on a string
		"$.custom_fields.tags.a",         // key on an array
		"$.custom_fields[0]",             // index on an object
		"$.data.contacts[2]",             // past the end
		"$.data.contacts[-3]",            // before the start
		"$.data.contacts[0].age",         // missing in one element
		"$.custom_fields.note.x",         // below null
		"$.data.contacts.0",              // a dot key is a key, not an index
		"$.data.contacts[1].firstName.x", // below a leaf
	} {
		p, err := Compile(expr)
		require.NoError(t, err, expr)
		v, ok := p.Lookup(d)
		require.False(t, ok, expr)
		require.Nil(t, v, expr)
	}
	// A null document or a scalar has no keys.
	p, _ := Compile("$.a")
	_, ok := p.Lookup(nil)
	require.False(t, ok)
	_, ok = p.Lookup(json.Number("1"))
	require.False(t, ok)
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		expr, msg string
		pos       int
	}{
		{"", "empty expression", 0},
		{"phone", "must start with $", 1},
		{"$phone", `unexpected 'p' (expected . or [)`, 2},
		{"$.", "missing key after .", 2},
		{"$.a.", "missing key after .", 4},
		{"$..a", "recursive descent (..) is not supported", 2},
		{"$.*", "wildcards are not supported", 3},
		{"$.a[*]", "wildcards are not supported", 5},
		{"$.a[?(@.x)]", "filters are not supported", 5},
		{"$.a[0:2]", "slices are not supported", 6},
		{"$.a[0,1]", "unions are not supported", 6},
		{"$.a[", "unclosed [", 4},
		{"$.a[0", "unclosed [", 4},
		{"$.a[-]", "missing digits in index", 5},
		{"$.a[1234567890]", "index larger than 999999999", 5},
		{"$['a", "unclosed quote", 3},
		{"$['a']x", `unexpected 'x' (expected . or [)`, 7},
		{"$['a'", "unclosed [", 2},
		{`$['a\n']`, `unsupported escape \'n'`, 5},
		{"$.a b", `unexpected ' ' (expected . or [)`, 4},
		{"$.a[b]", `unexpected 'b' after [`, 5},
		{"$.é.ü x", `unexpected ' ' (expected . or [)`, 6}, // characters, not bytes
		{"$.a\x00", "unexpected byte 0x00", 4},
		{"$.a/b", `unexpected '/' (expected . or [)`, 4},
		{"$./", `unexpected '/' in key`, 3},
		{"$.[0]", "unexpected [ after .", 3},
		{"$" + strings.Repeat(".a", 33), "more than 32 segments", 66},
		{"$." + strings.Repeat("a", 255), "longer than 256 characters", 0},
	} {
		_, err := Compile(tc.expr)
		require.Error(t, err, tc.expr)
		var se *SyntaxError
		require.True(t, errors.As(err, &se), tc.expr)
		require.Contains(t, se.Msg, tc.msg, tc.expr)
		require.Equal(t, tc.pos, se.Pos, "%s: %v", tc.expr, err)
	}
	_, err := Compile("$.a b")
	require.EqualError(t, err, `invalid JSONPath "$.a b": unexpected ' ' (expected . or [) at character 4`)

	// At the limits exactly, an expression compiles.
	_, err = Compile("$" + strings.Repeat(".a", 32))
	require.NoError(t, err)
	_, err = Compile("$." + strings.Repeat("a", 254))
	require.NoError(t, err)
}

func TestString(t *testing.T) {
	t.Parallel()
	for expr, want := range map[string]string{
		"$":                       "$",
		"$.a.b":                   "$.a.b",
		"$['a']":                  "$.a",
		`$["a b"]`:                "$['a b']",
		`$["it's"]`:               `$["it's"]`,
		`$['it\'s']`:              `$["it's"]`,
		`$['a\\b']`:               `$['a\\b']`,
		`$['say "hi"']`:           `$['say "hi"']`,
		"$.a[007]":                "$.a[7]",
		"$.a[-0]":                 "$.a[0]",
		"$.a[-1].b_c-d":           "$.a[-1].b_c-d",
		"$.télé.電話":               "$.télé.電話",
		"$['a.b']":                "$['a.b']",
		"$['']":                   "$['']",
		"$.custom_fields['x[0]']": "$.custom_fields['x[0]']",
	} {
		p, err := Compile(expr)
		require.NoError(t, err, expr)
		require.Equal(t, want, p.String(), expr)
		q, err := Compile(p.String())
		require.NoError(t, err, want)
		require.Equal(t, p, q, expr)
	}
	require.Equal(t, "$", Path{}.String())
}

func TestText(t *testing.T) {
	t.Parallel()
	require.Equal(t, "", Text(nil))
	require.Equal(t, "héllo <b>", Text("héllo <b>"))
	require.Equal(t, "1.0e3", Text(json.Number("1.0e3")))
	require.Equal(t, "false", Text(false))
	require.Equal(t, "2.5", Text(2.5)) // decoded without UseNumber
	require.Equal(t, "[]", Text([]any{}))
	require.Equal(t, "{}", Text(map[string]any{}))
	require.Equal(t, `[1,"x",null,{"a":true}]`, Text([]any{json.Number("1"), "x", nil, map[string]any{"a": true}}))
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"$", "$.a", "$.a.b", "$['a b']", "$.a[0]", "$.a[1].b", "$.a[-1]", `$["it's"]`, `$['a\\b\'c']`,
		"$..a", "$.a[*]", "$.a[0:1]", "$.é", "$[007]", "$['\xff']", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		p, err := Compile(expr)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Compile(%q): error %T is not a *SyntaxError", expr, err)
			}
			return
		}
		if len(p.segs) > MaxSegments {
			t.Fatalf("Compile(%q): %d segments", expr, len(p.segs))
		}
		s := p.String()
		if len(s) > len(expr) {
			t.Fatalf("String() of %q is longer: %q", expr, s)
		}
		q, err := Compile(s)
		if err != nil {
			t.Fatalf("String() of %q = %q does not compile: %v", expr, s, err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("Compile(%q) = %#v, but its String() %q compiles to %#v", expr, p, s, q)
		}
		p.Lookup(nil)
	})
}

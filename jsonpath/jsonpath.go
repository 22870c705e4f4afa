// Package jsonpath is the small JSONPath subset that flow HTTP Request steps use to map an API's
// JSON answer into variables: a root "$" followed by object keys (".name" or "['any key']") and
// array indexes ("[0]", "[-1]" for the last element). Wildcards, filters, slices and recursive
// descent are not supported: a mapping names exactly one value.
package jsonpath

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits keep a compiled path cheap to store and to evaluate.
const (
	MaxLength   = 256 // bytes of an expression
	MaxSegments = 32
	maxIndex    = 999_999_999 // nine digits: no JSON array we read (≤ 1 MiB) is longer
)

// Path is a compiled expression. The zero Path is "$", the whole document.
type Path struct {
	segs []segment
}

// segment is one step down: a key of an object, or (isIndex) a position in an array, counted
// from the end when negative.
type segment struct {
	key     string
	index   int
	isIndex bool
}

// SyntaxError says what is wrong with an expression and where (Pos is the 1-based character).
type SyntaxError struct {
	Expr string
	Pos  int
	Msg  string
}

func (e *SyntaxError) Error() string {
	if e.Pos == 0 {
		return fmt.Sprintf("invalid JSONPath: %s", e.Msg)
	}
	return fmt.Sprintf("invalid JSONPath %q: %s at character %d", e.Expr, e.Msg, e.Pos)
}

// Compile parses expr: "$", "$.a.b", "$['a b']", "$.a[0].b", "$.a[-1]". Keys after a dot are
// letters, digits, "_" and "-"; any other key is written in brackets, quoted with ' or ", where
// a backslash escapes a quote or a backslash.
func Compile(expr string) (Path, error) {
	p := parser{expr: expr}
	return p.parse()
}

type parser struct {
	expr string
	i    int
}

func (p *parser) fail(at int, format string, args ...any) error {
	return &SyntaxError{Expr: p.expr, Pos: utf8.RuneCountInString(p.expr[:at]) + 1, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) parse() (Path, error) {
	if len(p.expr) > MaxLength {
		return Path{}, &SyntaxError{Msg: fmt.Sprintf("longer than %d characters", MaxLength)}
	}
	if p.expr == "" {
		return Path{}, &SyntaxError{Msg: "empty expression (use $ for the whole response)"}
	}
	if p.expr[0] != '$' {
		return Path{}, p.fail(0, "must start with $")
	}
	p.i = 1
	var segs []segment
	for p.i < len(p.expr) {
		if len(segs) == MaxSegments {
			return Path{}, p.fail(p.i, "more than %d segments", MaxSegments)
		}
		var (
			s   segment
			err error
		)
		switch c := p.expr[p.i]; c {
		case '.':
			s, err = p.dotKey()
		case '[':
			s, err = p.bracket()
		default:
			err = p.fail(p.i, "unexpected %s (expected . or [)", p.describe(p.i))
		}
		if err != nil {
			return Path{}, err
		}
		segs = append(segs, s)
	}
	return Path{segs: segs}, nil
}

// describe names the character at i for an error message.
func (p *parser) describe(i int) string {
	if i >= len(p.expr) {
		return "end of expression"
	}
	r, _ := utf8.DecodeRuneInString(p.expr[i:])
	if r == utf8.RuneError || !unicode.IsPrint(r) {
		return fmt.Sprintf("byte 0x%02x", p.expr[i])
	}
	return strconv.QuoteRune(r)
}

func (p *parser) dotKey() (segment, error) {
	dot := p.i
	p.i++ // '.'
	start := p.i
	for p.i < len(p.expr) {
		r, n := utf8.DecodeRuneInString(p.expr[p.i:])
		if !isNameRune(r) { // U+FFFD, an invalid byte, is not a letter
			break
		}
		p.i += n
	}
	if p.i > start {
		return segment{key: p.expr[start:p.i]}, nil
	}
	switch {
	case start >= len(p.expr):
		return segment{}, p.fail(dot, "missing key after .")
	case p.expr[start] == '.':
		return segment{}, p.fail(dot, "recursive descent (..) is not supported")
	case p.expr[start] == '*':
		return segment{}, p.fail(start, "wildcards are not supported")
	case p.expr[start] == '[':
		return segment{}, p.fail(start, "unexpected [ after . (write $.a[0] or $['a'])")
	default:
		return segment{}, p.fail(start, "unexpected %s in key (quote such keys: $['my key'])", p.describe(start))
	}
}

func (p *parser) bracket() (segment, error) {
	open := p.i
	p.i++ // '['
	if p.i >= len(p.expr) {
		return segment{}, p.fail(open, "unclosed [")
	}
	var s segment
	switch c := p.expr[p.i]; {
	case c == '\'' || c == '"':
		key, err := p.quoted(c)
		if err != nil {
			return segment{}, err
		}
		s = segment{key: key}
	case c == '-' || (c >= '0' && c <= '9'):
		n, err := p.index()
		if err != nil {
			return segment{}, err
		}
		s = segment{index: n, isIndex: true}
	case c == '*':
		return segment{}, p.fail(p.i, "wildcards are not supported")
	case c == '?':
		return segment{}, p.fail(p.i, "filters are not supported")
	default:
		return segment{}, p.fail(p.i, "unexpected %s after [ (expected an index or a quoted key)", p.describe(p.i))
	}
	if p.i >= len(p.expr) {
		return segment{}, p.fail(open, "unclosed [")
	}
	if p.expr[p.i] != ']' {
		if p.expr[p.i] == ':' {
			return segment{}, p.fail(p.i, "slices are not supported")
		}
		if p.expr[p.i] == ',' {
			return segment{}, p.fail(p.i, "unions are not supported")
		}
		return segment{}, p.fail(p.i, "unexpected %s (expected ])", p.describe(p.i))
	}
	p.i++
	return s, nil
}

func (p *parser) quoted(q byte) (string, error) {
	open := p.i
	p.i++ // opening quote
	var b strings.Builder
	for p.i < len(p.expr) {
		c := p.expr[p.i]
		switch c {
		case q:
			p.i++
			return b.String(), nil
		case '\\':
			if p.i+1 >= len(p.expr) {
				return "", p.fail(open, "unclosed quote")
			}
			e := p.expr[p.i+1]
			if e != '\'' && e != '"' && e != '\\' {
				return "", p.fail(p.i, "unsupported escape \\%s (only \\', \\\" and \\\\)", p.describe(p.i+1))
			}
			b.WriteByte(e)
			p.i += 2
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", p.fail(open, "unclosed quote")
}

func (p *parser) index() (int, error) {
	start := p.i
	neg := p.expr[p.i] == '-'
	if neg {
		p.i++
	}
	digits := p.i
	for p.i < len(p.expr) && p.expr[p.i] >= '0' && p.expr[p.i] <= '9' {
		p.i++
	}
	if p.i == digits {
		return 0, p.fail(start, "missing digits in index")
	}
	n, err := strconv.Atoi(p.expr[digits:p.i])
	if err != nil || n > maxIndex {
		return 0, p.fail(start, "index larger than %d", maxIndex)
	}
	if neg {
		n = -n
	}
	return n, nil
}

// isNameRune reports whether r may appear in a key written after a dot.
func isNameRune(r rune) bool {
	return r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !isNameRune(r) {
			return false
		}
	}
	return true
}

// Lookup returns the value the path names in doc (as decoded by encoding/json, with or without
// UseNumber) and whether it exists. A key present with a null value exists (and is nil).
func (p Path) Lookup(doc any) (any, bool) {
	v := doc
	for _, s := range p.segs {
		if s.isIndex {
			a, ok := v.([]any)
			if !ok {
				return nil, false
			}
			i := s.index
			if i < 0 {
				i += len(a)
			}
			if i < 0 || i >= len(a) {
				return nil, false
			}
			v = a[i]
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[s.key]; !ok {
			return nil, false
		}
	}
	return v, true
}

// String renders the path in canonical form: ".key" where the key allows it, else a quoted
// bracket; it compiles back to the same path and is never longer than the expression it was
// compiled from.
func (p Path) String() string {
	var b strings.Builder
	b.WriteByte('$')
	for _, s := range p.segs {
		switch {
		case s.isIndex:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		case isName(s.key):
			b.WriteByte('.')
			b.WriteString(s.key)
		default:
			// The quote needing fewer escapes, so the rendering stays within MaxLength.
			q := byte('\'')
			if strings.Count(s.key, "'") > strings.Count(s.key, `"`) {
				q = '"'
			}
			b.WriteByte('[')
			b.WriteByte(q)
			for i := 0; i < len(s.key); i++ {
				if c := s.key[i]; c == q || c == '\\' {
					b.WriteByte('\\')
				}
				b.WriteByte(s.key[i])
			}
			b.WriteByte(q)
			b.WriteByte(']')
		}
	}
	return b.String()
}

// Text renders a looked-up value for a variable: strings as they are, numbers as written,
// booleans as "true"/"false", null as "", objects and arrays as compact JSON.
func Text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // the value goes into a message, not into HTML
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

package fields

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
)

func def(t Type, options ...string) Definition {
	return Definition{Name: "F", Slug: "f", Type: t, Options: options}
}

// valueCase is one raw JSON value for a field type and what it becomes; wantErr means refused.
type valueCase struct {
	raw     string
	want    any
	wantErr bool
}

func runValueCases(t *testing.T, d Definition, cases []valueCase) {
	t.Helper()
	for _, c := range cases {
		got, err := d.Value(json.RawMessage(c.raw))
		if c.wantErr {
			require.Error(t, err, "%s %s", d.Type, c.raw)
			require.Equal(t, chatcenter.EINVALID, chatcenter.ErrorCode(err))
			require.Contains(t, chatcenter.ErrorMessage(err), "custom field f:")
			continue
		}
		require.NoError(t, err, "%s %s", d.Type, c.raw)
		require.Equal(t, c.want, got, "%s %s", d.Type, c.raw)
	}
}

func TestValueText(t *testing.T) {
	t.Parallel()
	runValueCases(t, def(TypeText), []valueCase{
		{raw: `"Acme Sdn Bhd"`, want: "Acme Sdn Bhd"},
		{raw: `"  padded  "`, want: "  padded  "},
		{raw: `null`, want: nil},
		{raw: `"   "`, want: nil},
		{raw: `"` + strings.Repeat("é", MaxTextLen) + `"`, want: strings.Repeat("é", MaxTextLen)},
		{raw: `"` + strings.Repeat("x", MaxTextLen+1) + `"`, wantErr: true},
		{raw: `"line one\nline two"`, want: "line one\nline two"},
		{raw: `"nul \u0000 inside"`, wantErr: true},
		{raw: `42`, wantErr: true},
		{raw: `true`, wantErr: true},
		{raw: `{"a":1}`, wantErr: true},
		{raw: `["a"]`, wantErr: true},
		{raw: `"a" "b"`, wantErr: true},
		{raw: ``, wantErr: true},
	})
}

func TestValueList(t *testing.T) {
	t.Parallel()
	runValueCases(t, def(TypeList, "Gold", "Silver"), []valueCase{
		{raw: `"Gold"`, want: "Gold"},
		{raw: `" silver "`, want: "Silver"},
		{raw: `"Bronze"`, wantErr: true},
		{raw: `1`, wantErr: true},
		{raw: `null`, want: nil},
	})
}

func TestValueCheckbox(t *testing.T) {
	t.Parallel()
	runValueCases(t, def(TypeCheckbox), []valueCase{
		{raw: `true`, want: true},
		{raw: `false`, want: false},
		{raw: `"TRUE"`, want: true},
		{raw: `"false"`, want: false},
		{raw: `"yes"`, wantErr: true},
		{raw: `1`, wantErr: true},
		{raw: `null`, want: nil},
	})
}

func TestValueEmail(t *testing.T) {
	t.Parallel()
	runValueCases(t, def(TypeEmail), []valueCase{
		{raw: `"ana@example.com"`, want: "ana@example.com"},
		{raw: `" Ana.Silva+vip@mail.example.co "`, want: "Ana.Silva+vip@mail.example.co"},
		{raw: `"ana@localhost"`, wantErr: true},
		{raw: `"Ana <ana@example.com>"`, wantErr: true},
		{raw: `"ana.example.com"`, wantErr: true},
		{raw: `"@example.com"`, wantErr: true},
		{raw: `"ana@@example.com"`, wantErr: true},
		{raw: `"ana@example.com."`, wantErr: true},
		{raw: `"\"a b\"@example.com"`, wantErr: true},
		{raw: `"` + strings.Repeat("a", 250) + `@example.com"`, wantErr: true},
		{raw: `7`, wantErr: true},
	})
}

func TestValueNumber(t *testing.T) {
	t.Parallel()
	runValueCases(t, def(TypeNumber), []valueCase{
		{raw: `42`, want: json.Number("42")},
		{raw: `-3.25`, want: json.Number("-3.25")},
		{raw: `1e3`, want: json.Number("1e3")},
		{raw: `12345678901234567890`, want: json.Number("12345678901234567890")},
		{raw: `" 7.5 "`, want: json.Number("7.5")},
		{raw: `"1,000"`, wantErr: true},
		{raw: `"NaN"`, wantErr: true},
		{raw: `"Infinity"`, wantErr: true},
		{raw: `1e400`, wantErr: true},
		{raw: `"0x10"`, wantErr: true},
		{raw: `"+1"`, wantErr: true},
		{raw: `"01"`, wantErr: true},
		{raw: `true`, wantErr: true},
		{raw: `""`, want: nil},
	})
}

func TestValueURL(t *testing.T) {
	t.Parallel()
	runValueCases(t, def(TypeURL), []valueCase{
		{raw: `"https://example.com/orders?id=7"`, want: "https://example.com/orders?id=7"},
		{raw: `"http://shop.example.com"`, want: "http://shop.example.com"},
		{raw: `"ftp://example.com/file"`, wantErr: true},
		{raw: `"javascript:alert(1)"`, wantErr: true},
		{raw: `"example.com"`, wantErr: true},
		{raw: `"https://"`, wantErr: true},
		{raw: `"https://exa mple.com"`, wantErr: true},
		{raw: `"https://example.com/a b"`, wantErr: true},
		{raw: `"https:example.com"`, wantErr: true},
		{raw: `"https://example.com/` + strings.Repeat("a", MaxURLLen) + `"`, wantErr: true},
	})
}

func TestValueDate(t *testing.T) {
	t.Parallel()
	runValueCases(t, def(TypeDate), []valueCase{
		{raw: `"2026-12-25"`, want: "2026-12-25"},
		{raw: `"2024-02-29"`, want: "2024-02-29"},
		{raw: `"2026-02-29"`, wantErr: true},
		{raw: `"2026-13-01"`, wantErr: true},
		{raw: `"2026-1-5"`, wantErr: true},
		{raw: `"25/12/2026"`, wantErr: true},
		{raw: `"2026-12-25T10:00:00Z"`, wantErr: true},
		{raw: `20261225`, wantErr: true},
	})
}

func TestValueTime(t *testing.T) {
	t.Parallel()
	runValueCases(t, def(TypeTime), []valueCase{
		{raw: `"09:30"`, want: "09:30"},
		{raw: `"00:00"`, want: "00:00"},
		{raw: `"23:59"`, want: "23:59"},
		{raw: `"24:00"`, wantErr: true},
		{raw: `"9:30"`, wantErr: true},
		{raw: `"09:60"`, wantErr: true},
		{raw: `"09:30:00"`, wantErr: true},
		{raw: `"9am"`, wantErr: true},
	})
}

func TestDefinitionNormalize(t *testing.T) {
	t.Parallel()
	d := Definition{Name: "  Order Number (ERP) ", Type: TypeText, Description: " from the ERP "}
	require.NoError(t, d.Normalize())
	require.Equal(t, "Order Number (ERP)", d.Name)
	require.Equal(t, "order_number_erp", d.Slug)
	require.Equal(t, "from the ERP", d.Description)
	require.Equal(t, []string{}, d.Options)

	l := Definition{Name: "Plan", Type: TypeList, Options: []string{" Gold ", "Silver"}}
	require.NoError(t, l.Normalize())
	require.Equal(t, []string{"Gold", "Silver"}, l.Options)

	for name, bad := range map[string]Definition{
		"no name":             {Type: TypeText},
		"long name":           {Name: strings.Repeat("n", MaxNameLen+1), Type: TypeText},
		"bad type":            {Name: "X", Type: "phone"},
		"list without option": {Name: "X", Type: TypeList},
		"options on text":     {Name: "X", Type: TypeText, Options: []string{"a"}},
		"duplicate option":    {Name: "X", Type: TypeList, Options: []string{"a", " a"}},
		"empty option":        {Name: "X", Type: TypeList, Options: []string{"a", " "}},
		"upper-case slug":     {Name: "X", Slug: "Order", Type: TypeText},
		"dashed slug":         {Name: "X", Slug: "order-id", Type: TypeText},
		"long slug":           {Name: "X", Slug: strings.Repeat("s", MaxSlugLen+1), Type: TypeText},
		"reserved slug":       {Name: "Email", Type: TypeEmail},
		"no slug derivable":   {Name: "日本", Type: TypeText},
		"long description":    {Name: "X", Type: TypeText, Description: strings.Repeat("d", MaxDescriptionLen+1)},
		"control in name":     {Name: "X\tY", Type: TypeText},
		"NUL in description":  {Name: "X", Type: TypeText, Description: "a\x00b"},
		"control in option":   {Name: "X", Type: TypeList, Options: []string{"a\x00"}},
	} {
		require.Error(t, bad.Normalize(), name)
	}
}

func TestSlugify(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Company":                 "company",
		"Order #  Number":         "order_number",
		"  --Hello, World!-":      "hello_world",
		"Café 2":                  "caf_2",
		"日本":                      "",
		strings.Repeat("ab ", 40): strings.TrimRight(strings.Repeat("ab_", 17)[:MaxSlugLen], "_"),
	} {
		got := Slugify(in)
		require.Equal(t, want, got, in)
		require.LessOrEqual(t, len(got), MaxSlugLen)
	}
}

func TestStandardValues(t *testing.T) {
	t.Parallel()
	p, err := Phone(" +60 12-345 (6789) ")
	require.NoError(t, err)
	require.Equal(t, "+60123456789", p)
	for _, bad := range []string{"60123456789", "+0123456789", "+12", "+1234567890123456", "+60abc", ""} {
		_, err := Phone(bad)
		require.Error(t, err, bad)
	}

	c, err := CountryCode("my")
	require.NoError(t, err)
	require.Equal(t, "MY", c)
	for _, bad := range []string{"UK", "EU", "ZZ", "USA", "M", "D ", ""} {
		_, err := CountryCode(bad)
		require.Error(t, err, bad)
	}

	l, err := Language("pt_BR")
	require.NoError(t, err)
	require.Equal(t, "pt-br", l)
	for _, bad := range []string{"english", "e", "en-", "123"} {
		_, err := Language(bad)
		require.Error(t, err, bad)
	}

	n, err := PersonName("  Ana  ")
	require.NoError(t, err)
	require.Equal(t, "Ana", n)
	_, err = PersonName(strings.Repeat("a", MaxPersonNameLen+1))
	require.Error(t, err)
	_, err = PersonName("a\x00b")
	require.Error(t, err)

	m, err := Minutes("24:00", true)
	require.NoError(t, err)
	require.Equal(t, 1440, m)
	m, err = Minutes("13:45", false)
	require.NoError(t, err)
	require.Equal(t, 13*60+45, m)
	_, err = Minutes("24:00", false)
	require.Error(t, err)
	_, err = Minutes(" 13:45", false)
	require.Error(t, err)
}

// FuzzValue checks that any JSON value either is refused with an invalid error or becomes a stored
// value that satisfies its type and is accepted again unchanged.
func FuzzValue(f *testing.F) {
	for _, s := range []string{`"x"`, `42`, `true`, `null`, `"2026-02-28"`, `"09:30"`, `"https://a.co"`,
		`"a@b.co"`, `"Gold"`, `"1e3"`, `{}`, `[1]`, `"\u0000"`, `-0.0`} {
		for i := range Types {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, typ uint8, raw []byte) {
		d := def(Types[int(typ)%len(Types)])
		if d.Type == TypeList {
			d.Options = []string{"Gold", "Silver"}
		}
		v, err := d.Value(raw)
		if err != nil {
			if chatcenter.ErrorCode(err) != chatcenter.EINVALID {
				t.Fatalf("error %v is not invalid", err)
			}
			return
		}
		if v == nil {
			return
		}
		switch x := v.(type) {
		case string:
			if d.Type == TypeText && len([]rune(x)) > MaxTextLen {
				t.Fatalf("text of %d characters accepted", len([]rune(x)))
			}
			if strings.ContainsRune(x, 0) {
				t.Fatalf("%s value with a NUL character accepted (Postgres refuses it)", d.Type)
			}
		case bool:
			if d.Type != TypeCheckbox {
				t.Fatalf("%s stored a bool", d.Type)
			}
		case json.Number:
			if d.Type != TypeNumber {
				t.Fatalf("%s stored a number", d.Type)
			}
		default:
			t.Fatalf("unexpected stored type %T", v)
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("stored value does not encode: %v", err)
		}
		v2, err := d.Value(again)
		if err != nil || v2 != v {
			t.Fatalf("stored value %#v is not accepted unchanged: %#v, %v", v, v2, err)
		}
	})
}

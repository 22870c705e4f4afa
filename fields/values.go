package fields

import (
	"encoding/json"
	"math"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Standard is a field every contact has. Standard fields cannot be edited or deleted.
type Standard struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
	// Type is "text", "phone", "email", "language" or "country".
	Type string `json:"type"`
}

// StandardFields are respond.io's standard contact fields, in display order.
var StandardFields = []Standard{
	{Slug: "first_name", Name: "First Name", Type: "text"},
	{Slug: "last_name", Name: "Last Name", Type: "text"},
	{Slug: "phone", Name: "Phone Number", Type: "phone"},
	{Slug: "email", Name: "Email Address", Type: "email"},
	{Slug: "language", Name: "Language", Type: "language"},
	{Slug: "country_code", Name: "Country", Type: "country"},
}

// MaxPersonNameLen bounds a contact's first and last name.
const MaxPersonNameLen = 255

var (
	e164Pattern     = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	phoneSeparators = strings.NewReplacer(" ", "", "-", "", ".", "", "(", "", ")", "", "\u00a0", "")
	numberPattern   = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
	clockPattern    = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	languagePattern = regexp.MustCompile(`^[a-z]{2}(-[a-z0-9]{2,8})?$`)
)

// Phone normalises a phone number to E.164 (+ and 7–15 digits, no leading zero): spaces,
// dashes, dots and parentheses people type are dropped; anything else is refused.
func Phone(s string) (string, error) {
	p := phoneSeparators.Replace(strings.TrimSpace(s))
	if !e164Pattern.MatchString(p) {
		return "", invalid("phone %q is not an E.164 number (like +60123456789)", truncate(s))
	}
	return p, nil
}

// Email validates a bare e-mail address (no display name) and returns it trimmed.
func Email(s string) (string, error) {
	s = strings.TrimSpace(s)
	if hasControl(s) {
		return "", invalid("e-mail address must not contain control characters")
	}
	if len(s) > MaxEmailLen {
		return "", invalid("e-mail address is longer than %d characters", MaxEmailLen)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", invalid("%q is not a valid e-mail address", truncate(s))
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	// mail accepts "a@b"; addresses people give have a dotted domain and no quoted local part.
	if at < 1 || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.ContainsAny(s, "\" []") {
		return "", invalid("%q is not a valid e-mail address", truncate(s))
	}
	return s, nil
}

// URL validates an absolute http(s) URL with a host.
func URL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxURLLen {
		return "", invalid("URL is longer than %d characters", MaxURLLen)
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "", invalid("URL %q contains spaces or control characters", truncate(s))
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Opaque != "" {
		return "", invalid("%q is not an http or https URL", truncate(s))
	}
	return s, nil
}

// Number validates a decimal number written as JSON writes numbers and returns it exactly.
func Number(s string) (json.Number, error) {
	s = strings.TrimSpace(s)
	if len(s) > 64 || !numberPattern.MatchString(s) {
		return "", invalid("%q is not a number", truncate(s))
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", invalid("%q is out of range", truncate(s))
	}
	return json.Number(s), nil
}

// Date validates a calendar date written YYYY-MM-DD.
func Date(s string) (string, error) {
	s = strings.TrimSpace(s)
	if _, err := time.Parse(time.DateOnly, s); err != nil || len(s) != len(time.DateOnly) {
		return "", invalid("%q is not a date (YYYY-MM-DD)", truncate(s))
	}
	return s, nil
}

// Time validates a time of day written HH:MM (00:00–23:59).
func Time(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !clockPattern.MatchString(s) {
		return "", invalid("%q is not a time of day (HH:MM)", truncate(s))
	}
	return s, nil
}

// Minutes parses HH:MM into minutes after midnight. "24:00" (the end of a day) is accepted when
// endOfDay is set.
func Minutes(s string, endOfDay bool) (int, error) {
	if endOfDay && s == "24:00" {
		return 24 * 60, nil
	}
	if _, err := Time(s); err != nil || s != strings.TrimSpace(s) {
		return 0, invalid("%q is not a time of day (HH:MM)", truncate(s))
	}
	h, _ := strconv.Atoi(s[:2])
	m, _ := strconv.Atoi(s[3:])
	return h*60 + m, nil
}

// PersonName validates a first or last name: trimmed, at most 255 characters, printable.
func PersonName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", invalid("name must be valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(s); n > MaxPersonNameLen {
		return "", invalid("name is %d characters; the limit is %d", n, MaxPersonNameLen)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", invalid("name contains control characters")
	}
	return s, nil
}

// Language validates an ISO 639-1 language code, optionally with a region or script
// ("en", "pt-BR"), and returns it in lower case as channels report it.
func Language(s string) (string, error) {
	l := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", "-"))
	if !languagePattern.MatchString(l) {
		return "", invalid("language %q is not an ISO 639-1 code (like en or pt-br)", truncate(s))
	}
	return l, nil
}

// CountryCode validates an ISO 3166-1 alpha-2 country code and returns it in upper case.
func CountryCode(s string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(s))
	if !countries[c] {
		return "", invalid("country_code %q is not an ISO 3166-1 alpha-2 code (like MY or US)", truncate(s))
	}
	return c, nil
}

// countries are the 249 officially assigned ISO 3166-1 alpha-2 codes, plus XK (Kosovo), which is
// user-assigned but used by CLDR, libphonenumber and the channels.
var countries = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(countryCodes) {
		m[c] = true
	}
	return m
}()

const countryCodes = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ " +
	"BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ " +
	"DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU " +
	"ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ " +
	"LA LB LC LI LK LR LS LT LU LV LY " +
	"MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
	"NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA " +
	"RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ " +
	"TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ " +
	"VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW "

package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// at reads "2006-01-02 15:04:05" (seconds optional) as a wall-clock time in zone.
func at(t *testing.T, zone, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	require.NoError(t, err)
	if len(s) == len("2006-01-02 15:04") {
		s += ":00"
	}
	v, err := time.ParseInLocation(time.DateTime, s, loc)
	require.NoError(t, err)
	return v
}

func utc(t *testing.T, s string) time.Time { return at(t, "UTC", s) }

// madridHours: weekdays 09:00–13:00 and 15:00–19:00, Saturday 10:00 to midnight, Sunday closed.
func madridHours() DateTime {
	var hs []DayHours
	for _, d := range Weekdays[:5] {
		hs = append(hs, DayHours{Day: d, From: "15:00", To: "19:00"}, DayHours{Day: d, From: "09:00", To: "13:00"})
	}
	hs = append(hs, DayHours{Day: "saturday", From: "10:00", To: "24:00"})
	return DateTime{Mode: "business_hours", Timezone: "Europe/Madrid", Hours: hs, Holidays: []string{"2026-01-06"}}
}

func TestInWindowBusinessHours(t *testing.T) {
	dt := madridHours()
	cases := []struct {
		when string // Europe/Madrid wall clock; 2026-03-02 is a Monday
		want bool
	}{
		{"2026-03-02 08:59:59", false},
		{"2026-03-02 09:00:00", true}, // from is inclusive
		{"2026-03-02 12:59:59", true},
		{"2026-03-02 13:00:00", false}, // to is exclusive
		{"2026-03-02 14:59", false},    // between two ranges
		{"2026-03-02 15:00", true},
		{"2026-03-02 18:59:59", true},
		{"2026-03-02 19:00", false},
		{"2026-03-04 10:30", true},     // Wednesday
		{"2026-03-06 18:00", true},     // Friday
		{"2026-03-07 09:59:59", false}, // Saturday before opening
		{"2026-03-07 10:00", true},     // Saturday
		{"2026-03-07 23:59:59", true},  // 24:00 is the end of the day
		{"2026-03-08 00:00", false},    // Sunday: no ranges, closed
		{"2026-03-08 12:00", false},    // Sunday
		{"2026-01-06 10:00", false},    // Tuesday, a holiday
		{"2026-01-05 23:59:59", false}, // Monday evening, closed
		{"2026-01-07 09:00", true},     // the day after the holiday
		{"2026-03-02 09:00:00.000000001", true},
	}
	for _, tc := range cases {
		var now time.Time
		if strings.Contains(tc.when, ".") {
			now = at(t, "Europe/Madrid", tc.when[:19]).Add(time.Nanosecond)
		} else {
			now = at(t, "Europe/Madrid", tc.when)
		}
		for _, instant := range []time.Time{now, now.UTC(), now.In(time.FixedZone("x", -11*3600))} {
			got, err := InWindow(dt, nil, instant)
			require.NoError(t, err)
			require.Equal(t, tc.want, got, "%s (given as %s)", tc.when, instant)
		}
	}
}

// Hours are the business's wall clock: the same instant is open in one zone and closed in another.
func TestInWindowTimezones(t *testing.T) {
	now := utc(t, "2026-03-02 16:00") // Monday
	hours := func(zone string) DateTime {
		return DateTime{Mode: "business_hours", Timezone: zone, Hours: []DayHours{{Day: "monday", From: "09:00", To: "17:00"}}}
	}
	for zone, want := range map[string]bool{
		"UTC":               true,  // 16:00
		"Europe/Madrid":     false, // 17:00
		"America/Guayaquil": true,  // 11:00
		"Asia/Tokyo":        false, // 01:00 on Tuesday
		"Pacific/Auckland":  false, // 05:00 on Tuesday
	} {
		got, err := InWindow(hours(zone), nil, now)
		require.NoError(t, err)
		require.Equal(t, want, got, zone)
	}

	// A holiday is a local date: 2026-01-01 03:00 UTC is still 31 December in Guayaquil.
	dt := DateTime{Mode: "business_hours", Timezone: "America/Guayaquil", Holidays: []string{"2026-01-01"},
		Hours: []DayHours{{Day: "wednesday", From: "00:00", To: "24:00"}, {Day: "thursday", From: "00:00", To: "24:00"}}}
	open, err := InWindow(dt, nil, utc(t, "2026-01-01 03:00"))
	require.NoError(t, err)
	require.True(t, open, "Wednesday 22:00 local")
	open, err = InWindow(dt, nil, utc(t, "2026-01-01 06:00"))
	require.NoError(t, err)
	require.False(t, open, "Thursday 01:00 local, the holiday")
}

func TestInWindowDST(t *testing.T) {
	openMinutes := func(dt DateTime, from time.Time, d time.Duration) (n int, first time.Time) {
		for m := from; m.Before(from.Add(d)); m = m.Add(time.Minute) {
			open, err := InWindow(dt, nil, m)
			require.NoError(t, err)
			if open {
				if n == 0 {
					first = m
				}
				n++
			}
		}
		return n, first
	}
	sunday := func(ranges ...string) DateTime {
		dt := DateTime{Mode: "business_hours", Timezone: "Europe/Madrid"}
		for _, r := range ranges {
			from, to, _ := strings.Cut(r, "-")
			dt.Hours = append(dt.Hours, DayHours{Day: "sunday", From: from, To: to})
		}
		return dt
	}
	// 2026-03-29: at 02:00 CET the clocks go to 03:00 CEST; 02:00–03:00 does not exist.
	spring := utc(t, "2026-03-28 23:00") // Sunday 00:00 CET
	n, _ := openMinutes(sunday("02:00-03:00"), spring, 24*time.Hour)
	require.Zero(t, n, "an hour that does not exist is never open")
	n, first := openMinutes(sunday("01:00-04:00"), spring, 24*time.Hour)
	require.Equal(t, 120, n, "three wall-clock hours with one skipped")
	require.Equal(t, utc(t, "2026-03-29 00:00"), first)
	n, first = openMinutes(sunday("02:30-04:00"), spring, 24*time.Hour)
	require.Equal(t, 60, n, "opens when the clocks reach 03:00")
	require.Equal(t, utc(t, "2026-03-29 01:00"), first)
	n, _ = openMinutes(sunday("00:00-24:00"), spring, 24*time.Hour)
	require.Equal(t, 23*60, n, "the day has 23 hours")

	// 2026-10-25: at 03:00 CEST the clocks go back to 02:00 CET; 02:00–03:00 happens twice.
	autumn := utc(t, "2026-10-24 22:00") // Sunday 00:00 CEST
	n, first = openMinutes(sunday("02:00-03:00"), autumn, 25*time.Hour)
	require.Equal(t, 120, n, "the repeated hour is open both times")
	require.Equal(t, utc(t, "2026-10-25 00:00"), first)
	n, _ = openMinutes(sunday("00:00-24:00"), autumn, 26*time.Hour)
	require.Equal(t, 25*60, n, "the day has 25 hours")

	// Ordinary hours follow the wall clock across the change: 09:00 is 08:00 UTC before it and
	// 07:00 UTC after it.
	weekday := DateTime{Mode: "business_hours", Timezone: "Europe/Madrid", Hours: []DayHours{
		{Day: "friday", From: "09:00", To: "17:00"}, {Day: "monday", From: "09:00", To: "17:00"}}}
	for when, want := range map[string]bool{
		"2026-03-27 07:30": false, "2026-03-27 08:00": true, "2026-03-27 15:59": true, "2026-03-27 16:00": false,
		"2026-03-30 06:59": false, "2026-03-30 07:00": true, "2026-03-30 14:59": true, "2026-03-30 15:00": false,
	} {
		got, err := InWindow(weekday, nil, utc(t, when))
		require.NoError(t, err)
		require.Equal(t, want, got, when+" UTC")
	}
}

func TestInWindowWorkspaceHours(t *testing.T) {
	ws := &BusinessHours{
		Timezone: "America/Guayaquil",
		Days: map[string][]TimeRange{
			"monday":   {{From: "08:00", To: "12:00"}, {From: "14:00", To: "18:00"}},
			"tuesday":  {{From: "08:00", To: "18:00"}},
			"saturday": {},
		},
		Holidays: []string{"2026-03-03"},
	}
	dt := DateTime{Mode: "business_hours", WorkspaceHours: true, Holidays: []string{"2026-03-09"},
		// Hours are not the workspace's: they are ignored.
		Hours: []DayHours{{Day: "sunday", From: "00:00", To: "24:00"}}}
	cases := map[string]bool{
		"2026-03-02 08:00": true,  // Monday
		"2026-03-02 12:00": false, // lunch
		"2026-03-02 14:00": true,
		"2026-03-03 09:00": false, // the workspace's holiday
		"2026-03-07 11:00": false, // Saturday with no ranges
		"2026-03-08 11:00": false, // Sunday, absent
		"2026-03-09 09:00": false, // the step's own holiday
		"2026-03-10 17:59": true,  // Tuesday
	}
	for when, want := range cases {
		got, err := InWindow(dt, ws, at(t, "America/Guayaquil", when))
		require.NoError(t, err)
		require.Equal(t, want, got, when)
	}
	// The step's Timezone plays no part: the workspace's zone applies.
	dt.Timezone = "Asia/Tokyo"
	got, err := InWindow(dt, ws, at(t, "America/Guayaquil", "2026-03-02 08:00"))
	require.NoError(t, err)
	require.True(t, got)

	// Without the workspace setting, it is closed.
	got, err = InWindow(DateTime{Mode: "business_hours", WorkspaceHours: true}, nil, at(t, "America/Guayaquil", "2026-03-02 09:00"))
	require.NoError(t, err)
	require.False(t, got)
	// An empty setting has no open day.
	got, err = InWindow(DateTime{Mode: "business_hours", WorkspaceHours: true}, &BusinessHours{Timezone: "UTC"}, utc(t, "2026-03-02 09:00"))
	require.NoError(t, err)
	require.False(t, got)
}

func TestInWindowDateRange(t *testing.T) {
	dt := DateTime{Mode: "date_range", Timezone: "Europe/Madrid", Start: "2026-03-29T01:30:00", End: "2026-03-29T03:30:00"}
	// Start is 00:30 UTC (CET), End 01:30 UTC (CEST): the range lasts one hour.
	for when, want := range map[string]bool{
		"2026-03-29 00:29:59": false,
		"2026-03-29 00:30:00": true, // start is inclusive
		"2026-03-29 01:29:59": true,
		"2026-03-29 01:30:00": false, // end is exclusive
		"2025-03-29 00:45:00": false, // a year earlier
	} {
		got, err := InWindow(dt, nil, utc(t, when))
		require.NoError(t, err)
		require.Equal(t, want, got, when)
	}
	// Long ranges: a whole sales week in Guayaquil (UTC-5).
	week := DateTime{Mode: "date_range", Timezone: "America/Guayaquil", Start: "2026-11-23T00:00:00", End: "2026-11-30T00:00:00"}
	for when, want := range map[string]bool{
		"2026-11-23 04:59:59": false, "2026-11-23 05:00:00": true, "2026-11-30 04:59:59": true, "2026-11-30 05:00:00": false,
	} {
		got, err := InWindow(week, nil, utc(t, when))
		require.NoError(t, err)
		require.Equal(t, want, got, when)
	}
}

func TestInWindowErrors(t *testing.T) {
	now := utc(t, "2026-03-02 10:00")
	hours := []DayHours{{Day: "monday", From: "09:00", To: "17:00"}}
	bad := map[string]struct {
		dt DateTime
		ws *BusinessHours
	}{
		"unknown mode":              {DateTime{Mode: "sometimes", Timezone: "UTC"}, nil},
		"no mode":                   {DateTime{Timezone: "UTC", Hours: hours}, nil},
		"no timezone":               {DateTime{Mode: "business_hours", Hours: hours}, nil},
		"local timezone":            {DateTime{Mode: "business_hours", Timezone: "Local", Hours: hours}, nil},
		"unknown timezone":          {DateTime{Mode: "business_hours", Timezone: "Mars/Olympus", Hours: hours}, nil},
		"unknown day":               {DateTime{Mode: "business_hours", Timezone: "UTC", Hours: []DayHours{{Day: "funday", From: "09:00", To: "10:00"}}}, nil},
		"capitalised day":           {DateTime{Mode: "business_hours", Timezone: "UTC", Hours: []DayHours{{Day: "Monday", From: "09:00", To: "10:00"}}}, nil},
		"25:00":                     {DateTime{Mode: "business_hours", Timezone: "UTC", Hours: []DayHours{{Day: "monday", From: "09:00", To: "25:00"}}}, nil},
		"from 24:00":                {DateTime{Mode: "business_hours", Timezone: "UTC", Hours: []DayHours{{Day: "monday", From: "24:00", To: "24:00"}}}, nil},
		"9:00":                      {DateTime{Mode: "business_hours", Timezone: "UTC", Hours: []DayHours{{Day: "monday", From: "9:00", To: "17:00"}}}, nil},
		"from after to":             {DateTime{Mode: "business_hours", Timezone: "UTC", Hours: []DayHours{{Day: "monday", From: "17:00", To: "09:00"}}}, nil},
		"empty range":               {DateTime{Mode: "business_hours", Timezone: "UTC", Hours: []DayHours{{Day: "monday", From: "09:00", To: "09:00"}}}, nil},
		"bad range on a closed day": {DateTime{Mode: "business_hours", Timezone: "UTC", Hours: append(hours, DayHours{Day: "sunday", From: "x", To: "y"})}, nil},
		"bad holiday":               {DateTime{Mode: "business_hours", Timezone: "UTC", Hours: hours, Holidays: []string{"2026-02-30"}}, nil},
		"bad holiday, no ws":        {DateTime{Mode: "business_hours", WorkspaceHours: true, Holidays: []string{"tomorrow"}}, nil},
		"ws bad timezone":           {DateTime{Mode: "business_hours", WorkspaceHours: true}, &BusinessHours{Timezone: "Nowhere"}},
		"ws empty timezone":         {DateTime{Mode: "business_hours", WorkspaceHours: true}, &BusinessHours{}},
		"ws unknown day":            {DateTime{Mode: "business_hours", WorkspaceHours: true}, &BusinessHours{Timezone: "UTC", Days: map[string][]TimeRange{"mon": {{From: "09:00", To: "10:00"}}}}},
		"ws bad range":              {DateTime{Mode: "business_hours", WorkspaceHours: true}, &BusinessHours{Timezone: "UTC", Days: map[string][]TimeRange{"monday": {{From: "10:00", To: "09:00"}}}}},
		"ws bad holiday":            {DateTime{Mode: "business_hours", WorkspaceHours: true}, &BusinessHours{Timezone: "UTC", Holidays: []string{"2026-1-1"}}},
		"range bad start":           {DateTime{Mode: "date_range", Timezone: "UTC", Start: "2026-03-01", End: "2026-04-01T00:00:00"}, nil},
		"range RFC 3339 offset":     {DateTime{Mode: "date_range", Timezone: "UTC", Start: "2026-03-01T00:00:00Z", End: "2026-04-01T00:00:00"}, nil},
		"range backwards":           {DateTime{Mode: "date_range", Timezone: "UTC", Start: "2026-04-01T00:00:00", End: "2026-03-01T00:00:00"}, nil},
		"range empty":               {DateTime{Mode: "date_range", Timezone: "UTC", Start: "2026-04-01T00:00:00", End: "2026-04-01T00:00:00"}, nil},
		"range no timezone":         {DateTime{Mode: "date_range", Start: "2026-03-01T00:00:00", End: "2026-04-01T00:00:00"}, nil},
	}
	for name, tc := range bad {
		open, err := InWindow(tc.dt, tc.ws, now)
		require.Error(t, err, name)
		require.False(t, open, name)
		_, found, err := NextOpening(tc.dt, tc.ws, now)
		require.Error(t, err, name)
		require.False(t, found, name)
	}
	// The same bad workspace setting gives the same error every time, though its days are a map.
	ws := &BusinessHours{Timezone: "UTC", Days: map[string][]TimeRange{"b": nil, "a": nil, "c": nil, "d": nil}}
	_, err := InWindow(DateTime{Mode: "business_hours", WorkspaceHours: true}, ws, now)
	require.ErrorContains(t, err, `unknown day "a"`)
	for range 20 {
		_, again := InWindow(DateTime{Mode: "business_hours", WorkspaceHours: true}, ws, now)
		require.Equal(t, err.Error(), again.Error())
	}
}

func TestNextOpening(t *testing.T) {
	madrid := func(s string) time.Time { return at(t, "Europe/Madrid", s) }
	dt := madridHours()
	cases := []struct {
		now, want string // Europe/Madrid; want "" = not within 8 days
	}{
		{"2026-03-02 10:00", "2026-03-02 10:00"}, // open: now
		{"2026-03-02 08:00", "2026-03-02 09:00"},
		{"2026-03-02 08:59:59", "2026-03-02 09:00"},
		{"2026-03-02 13:00", "2026-03-02 15:00"},
		{"2026-03-02 19:00", "2026-03-03 09:00"},
		{"2026-03-06 19:30", "2026-03-07 10:00"},       // Friday evening → Saturday
		{"2026-03-08 00:00", "2026-03-09 09:00"},       // Sunday → Monday
		{"2026-01-05 20:00", "2026-01-07 09:00"},       // over the Tuesday holiday
		{"2026-03-27 20:00", "2026-03-28 10:00"},       // Friday before the clocks change
		{"2026-03-28 23:59:30", "2026-03-28 23:59:30"}, // Saturday open until midnight
		{"2026-03-29 00:00:30", "2026-03-30 09:00"},    // Sunday, the clocks change, closed
	}
	for _, tc := range cases {
		got, ok, err := NextOpening(dt, nil, madrid(tc.now))
		require.NoError(t, err)
		require.True(t, ok, tc.now)
		require.True(t, madrid(tc.want).Equal(got), "from %s: got %s, want %s", tc.now, got, tc.want)
		open, err := InWindow(dt, nil, got)
		require.NoError(t, err)
		require.True(t, open, "the window is open at its opening")
	}

	// An opening in the hour the clocks skip comes when the clocks reach it.
	skipped := DateTime{Mode: "business_hours", Timezone: "Europe/Madrid", Hours: []DayHours{{Day: "sunday", From: "02:30", To: "04:00"}}}
	got, ok, err := NextOpening(skipped, nil, utc(t, "2026-03-28 12:00"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, utc(t, "2026-03-29 01:00"), got.UTC()) // 03:00 CEST
	// The repeated hour opens at its first occurrence.
	repeated := DateTime{Mode: "business_hours", Timezone: "Europe/Madrid", Hours: []DayHours{{Day: "sunday", From: "02:30", To: "04:00"}}}
	got, ok, err = NextOpening(repeated, nil, utc(t, "2026-10-24 12:00"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, utc(t, "2026-10-25 00:30"), got.UTC()) // 02:30 CEST

	// A week of holidays: the next opening is 8 days away at most.
	oneDay := DateTime{Mode: "business_hours", Timezone: "UTC", Hours: []DayHours{{Day: "monday", From: "09:00", To: "10:00"}},
		Holidays: []string{"2026-03-09"}}
	_, ok, err = NextOpening(oneDay, nil, utc(t, "2026-03-02 10:00"))
	require.NoError(t, err)
	require.False(t, ok, "next Monday is a holiday, the one after is 14 days away")
	got, ok, err = NextOpening(oneDay, nil, utc(t, "2026-03-09 10:00"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, utc(t, "2026-03-16 09:00"), got)
	oneDay.Holidays = nil
	got, ok, err = NextOpening(oneDay, nil, utc(t, "2026-03-02 10:00"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, utc(t, "2026-03-09 09:00"), got, "exactly 7 days 23 hours later")
	_, ok, err = NextOpening(oneDay, nil, utc(t, "2026-03-01 08:59"))
	require.NoError(t, err)
	require.True(t, ok)
	got, ok, err = NextOpening(oneDay, nil, utc(t, "2026-03-01 09:00"))
	require.NoError(t, err)
	require.True(t, ok, "8 days is inclusive")
	require.Equal(t, utc(t, "2026-03-02 09:00"), got)

	// Workspace hours without a setting never open.
	_, ok, err = NextOpening(DateTime{Mode: "business_hours", WorkspaceHours: true}, nil, utc(t, "2026-03-02 10:00"))
	require.NoError(t, err)
	require.False(t, ok)

	// Date ranges open at their start.
	rng := DateTime{Mode: "date_range", Timezone: "Europe/Madrid", Start: "2026-03-10T09:00:00", End: "2026-03-20T00:00:00"}
	got, ok, err = NextOpening(rng, nil, madrid("2026-03-05 12:00"))
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, madrid("2026-03-10 09:00").Equal(got))
	now := madrid("2026-03-12 12:00")
	got, ok, err = NextOpening(rng, nil, now)
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, now.Equal(got), "inside: now")
	_, ok, err = NextOpening(rng, nil, madrid("2026-03-20 00:00"))
	require.NoError(t, err)
	require.False(t, ok, "over")
	_, ok, err = NextOpening(rng, nil, madrid("2026-03-01 12:00"))
	require.NoError(t, err)
	require.False(t, ok, "more than 8 days ahead")
}

func dateTimeFlow(dt DateTime) Flow {
	return Flow{Trigger: Trigger{Type: TriggerManual, Next: "d"}, Steps: []Step{{ID: "d", Type: StepDateTime, DateTime: &dt}}}
}

func TestValidateDateTime(t *testing.T) {
	hours := []DayHours{{Day: "monday", From: "09:00", To: "24:00"}}
	hundred := make([]string, 0, MaxHolidays+1)
	for d := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); len(hundred) < MaxHolidays; d = d.AddDate(0, 0, 1) {
		hundred = append(hundred, d.Format(time.DateOnly))
	}
	good := []DateTime{
		{Mode: "business_hours", Timezone: "Europe/Madrid", Hours: hours},
		{Mode: "business_hours", Timezone: "UTC", Hours: hours, Holidays: []string{"2026-12-25", "2026-01-01"}},
		{Mode: "business_hours", Timezone: "UTC", Hours: hours, Holidays: hundred},
		{Mode: "business_hours", WorkspaceHours: true},
		{Mode: "business_hours", WorkspaceHours: true, Holidays: []string{"2026-12-24"}},
		{Mode: "date_range", Timezone: "America/Guayaquil", Start: "2026-11-23T00:00:00", End: "2026-11-30T00:00:00"},
	}
	for _, dt := range good {
		require.Empty(t, Validate(dateTimeFlow(dt)), "%+v", dt)
	}

	bad := []struct {
		dt         DateTime
		field, msg string
	}{
		{DateTime{Mode: "business_hours", WorkspaceHours: true, Hours: hours}, "date_time.hours", "empty when workspace_hours"},
		{DateTime{Mode: "business_hours", WorkspaceHours: true, Timezone: "UTC"}, "date_time.timezone", "workspace's time zone"},
		{DateTime{Mode: "business_hours", Timezone: "", Hours: hours}, "date_time.timezone", "IANA"},
		{DateTime{Mode: "business_hours", Timezone: "Local", Hours: hours}, "date_time.timezone", "IANA"},
		{DateTime{Mode: "business_hours", Timezone: "UTC"}, "date_time.hours", "1 to 28"},
		{DateTime{Mode: "business_hours", Timezone: "UTC", Hours: []DayHours{{Day: "monday", From: "09:00", To: "24:01"}}}, "date_time.hours[0]", "24:00"},
		{DateTime{Mode: "business_hours", Timezone: "UTC", Hours: []DayHours{{Day: "monday", From: "24:00", To: "24:00"}}}, "date_time.hours[0]", "from before to"},
		{DateTime{Mode: "business_hours", Timezone: "UTC", Hours: []DayHours{{Day: "monday", From: "10:00", To: "09:59"}}}, "date_time.hours[0]", "from before to"},
		{DateTime{Mode: "business_hours", Timezone: "UTC", Hours: []DayHours{{Day: "Monday", From: "09:00", To: "10:00"}}}, "date_time.hours[0].day", "must be one of"},
		{DateTime{Mode: "business_hours", Timezone: "UTC", Hours: hours, Holidays: []string{"2026-02-29"}}, "date_time.holidays[0]", "YYYY-MM-DD"},
		{DateTime{Mode: "business_hours", Timezone: "UTC", Hours: hours, Holidays: []string{"2026-01-01", " 2026-01-02"}}, "date_time.holidays[1]", "YYYY-MM-DD"},
		{DateTime{Mode: "business_hours", Timezone: "UTC", Hours: hours, Holidays: []string{"2026-01-01", "2026-05-01", "2026-01-01"}}, "date_time.holidays[2]", "listed twice"},
		{DateTime{Mode: "business_hours", Timezone: "UTC", Hours: hours, Holidays: append(hundred[:MaxHolidays:MaxHolidays], "2027-01-01")}, "date_time.holidays", "at most 100"},
		{DateTime{Mode: "date_range", Timezone: "UTC", Start: "2026-01-01T00:00:00", End: "2026-02-01T00:00:00", WorkspaceHours: true}, "date_time.workspace_hours", "business_hours mode only"},
		{DateTime{Mode: "date_range", Timezone: "UTC", Start: "2026-01-01T00:00:00", End: "2026-02-01T00:00:00", Holidays: []string{"2026-01-06"}}, "date_time.holidays", "business_hours mode only"},
		{DateTime{Mode: "date_range", Timezone: "UTC", Start: "2026-01-01T00:00:00", End: "2026-02-01T00:00:00", Hours: hours}, "date_time.hours", "business_hours mode only"},
		{DateTime{Mode: "date_range", Timezone: "UTC", Start: "2026-02-01T00:00:00", End: "2026-01-01T00:00:00"}, "date_time.start", "start before end"},
		{DateTime{Mode: "weekly", Timezone: "UTC"}, "date_time.mode", "business_hours or date_range"},
	}
	for _, tc := range bad {
		ps := Validate(dateTimeFlow(tc.dt))
		require.True(t, hasProblem(ps, "d", tc.field, tc.msg), "%+v: want %s %q in %v", tc.dt, tc.field, tc.msg, ps)
	}

	// Whatever validation accepts, InWindow can use.
	for _, dt := range good {
		_, err := InWindow(dt, &BusinessHours{Timezone: "UTC"}, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		require.NoError(t, err, "%+v", dt)
	}
}

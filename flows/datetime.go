package flows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chatcenterhq/chatcenter/fields"
)

// MaxHolidays bounds the holidays of a date_time step.
const MaxHolidays = 100

// nextOpeningHorizon is how far ahead NextOpening looks.
const nextOpeningHorizon = 8 * 24 * time.Hour

// localDateTime is the layout of a date range's Start and End.
const localDateTime = "2006-01-02T15:04:05"

// Weekdays are the day names of business hours, Monday first.
var Weekdays = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

// BusinessHours is the workspace setting (GET /api/v1/settings/business-hours): Days maps
// "monday".."sunday" to opening ranges, a day without ranges is closed, and Holidays are closed
// dates (YYYY-MM-DD), all in Timezone.
type BusinessHours struct {
	Timezone string                 `json:"timezone"`
	Days     map[string][]TimeRange `json:"days"`
	Holidays []string               `json:"holidays"`
}

// TimeRange is an opening range within one day: From inclusive, To exclusive, both "HH:MM";
// To may be "24:00", the end of the day.
type TimeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// InWindow says whether now is inside the step's business hours or date range.
//
// Business hours are wall-clock times in the time zone: now is inside when, on its local weekday,
// some range has From <= local time < To, and its local date is not a holiday (the step's own,
// plus the workspace's when WorkspaceHours is set). On the days clocks change, the hours that do
// not exist are never open and the hour that repeats is open both times if its range covers it.
// With WorkspaceHours the workspace's setting ws replaces Hours and Timezone; a nil ws is
// closed.
//
// A date range is inside when Start <= now < End, both read as local date-times in the time
// zone.
//
// The error is for a definition that cannot be used: an unknown time zone, a malformed range,
// holiday or date, an unknown mode.
func InWindow(dt DateTime, ws *BusinessHours, now time.Time) (bool, error) {
	w, err := compileWindow(dt, ws)
	if err != nil {
		return false, err
	}
	return w.open(now), nil
}

// NextOpening returns the first instant at or after now when the window is open (now itself when
// it is open already), and false when it does not open within 8 days of now. Business hours open
// at a wall-clock minute; a range that starts in an hour the clocks skip opens when the clocks
// reach it.
func NextOpening(dt DateTime, ws *BusinessHours, now time.Time) (time.Time, bool, error) {
	w, err := compileWindow(dt, ws)
	if err != nil {
		return time.Time{}, false, err
	}
	if w.open(now) {
		return now, true, nil
	}
	limit := now.Add(nextOpeningHorizon)
	switch {
	case w.closed:
		return time.Time{}, false, nil
	case w.dateRange:
		if now.Before(w.start) && !w.start.After(limit) {
			return w.start, true, nil
		}
		return time.Time{}, false, nil
	}
	// Every zone in use today is offset from UTC by whole minutes, so wall-clock minutes begin
	// on UTC minute boundaries and checking each of them finds the opening exactly.
	for t := now.Truncate(time.Minute).Add(time.Minute); !t.After(limit); t = t.Add(time.Minute) {
		if w.open(t) {
			return t, true, nil
		}
	}
	return time.Time{}, false, nil
}

// window is a usable date_time definition.
type window struct {
	closed    bool // workspace hours without a workspace setting
	loc       *time.Location
	dateRange bool
	// Business hours: opening spans in seconds of the day by time.Weekday, and closed dates.
	days     [7][]span
	holidays []civilDate
	// Date range.
	start, end time.Time
}

type span struct{ from, to int }

type civilDate struct {
	year  int
	month time.Month
	day   int
}

func (w window) open(now time.Time) bool {
	if w.closed {
		return false
	}
	if w.dateRange {
		return !now.Before(w.start) && now.Before(w.end)
	}
	local := now.In(w.loc)
	y, m, d := local.Date()
	if slices.Contains(w.holidays, civilDate{y, m, d}) {
		return false
	}
	sec := local.Hour()*3600 + local.Minute()*60 + local.Second()
	return slices.ContainsFunc(w.days[local.Weekday()], func(s span) bool { return s.from <= sec && sec < s.to })
}

func compileWindow(dt DateTime, ws *BusinessHours) (window, error) {
	switch dt.Mode {
	case "business_hours":
		return compileHours(dt, ws)
	case "date_range":
		loc, err := loadZone(dt.Timezone)
		if err != nil {
			return window{}, err
		}
		start, err1 := time.ParseInLocation(localDateTime, dt.Start, loc)
		end, err2 := time.ParseInLocation(localDateTime, dt.End, loc)
		if err1 != nil || err2 != nil {
			return window{}, fmt.Errorf("date range %q to %q: start and end must be local date-times (%s)", dt.Start, dt.End, localDateTime)
		}
		if !start.Before(end) {
			return window{}, fmt.Errorf("date range %q to %q: start must be before end", dt.Start, dt.End)
		}
		return window{loc: loc, dateRange: true, start: start, end: end}, nil
	}
	return window{}, fmt.Errorf("unknown date_time mode %q", dt.Mode)
}

func compileHours(dt DateTime, ws *BusinessHours) (window, error) {
	var w window
	var holidays []string
	if dt.WorkspaceHours {
		if ws == nil {
			return window{closed: true}, checkHolidays(dt.Holidays)
		}
		loc, err := loadZone(ws.Timezone)
		if err != nil {
			return window{}, fmt.Errorf("workspace business hours: %w", err)
		}
		w.loc = loc
		// Days are read in a fixed order, so a malformed setting reports the same error every time.
		var unknown []string
		for day := range ws.Days {
			if !slices.Contains(Weekdays, day) {
				unknown = append(unknown, day)
			}
		}
		if len(unknown) > 0 {
			slices.Sort(unknown)
			return window{}, fmt.Errorf("workspace business hours: unknown day %q", unknown[0])
		}
		for _, day := range Weekdays {
			for _, r := range ws.Days[day] {
				if err := w.addSpan(day, r.From, r.To); err != nil {
					return window{}, fmt.Errorf("workspace business hours: %w", err)
				}
			}
		}
		holidays = append(slices.Clone(dt.Holidays), ws.Holidays...)
	} else {
		loc, err := loadZone(dt.Timezone)
		if err != nil {
			return window{}, err
		}
		w.loc = loc
		for _, h := range dt.Hours {
			if err := w.addSpan(h.Day, h.From, h.To); err != nil {
				return window{}, err
			}
		}
		holidays = dt.Holidays
	}
	if err := checkHolidays(holidays); err != nil {
		return window{}, err
	}
	for _, h := range holidays {
		t, _ := time.Parse(time.DateOnly, h)
		y, m, d := t.Date()
		w.holidays = append(w.holidays, civilDate{y, m, d})
	}
	return w, nil
}

func (w *window) addSpan(day, from, to string) error {
	i := slices.Index(Weekdays, day)
	if i < 0 {
		return fmt.Errorf("unknown day %q", day)
	}
	s, err := parseSpan(from, to)
	if err != nil {
		return fmt.Errorf("%s: %w", day, err)
	}
	wd := time.Weekday((i + 1) % 7) // Weekdays starts on Monday, time.Weekday on Sunday
	w.days[wd] = append(w.days[wd], s)
	return nil
}

// parseSpan reads an opening range "HH:MM"–"HH:MM" (To may be "24:00") into seconds of the day.
func parseSpan(from, to string) (span, error) {
	f, err1 := fields.Minutes(from, false)
	t, err2 := fields.Minutes(to, true)
	if err1 != nil || err2 != nil || f >= t {
		return span{}, fmt.Errorf("range %q to %q: from and to must be HH:MM times (to may be 24:00) with from before to", from, to)
	}
	return span{f * 60, t * 60}, nil
}

func checkHolidays(hs []string) error {
	for _, h := range hs {
		if !isDate(h) {
			return fmt.Errorf("holiday %q is not a date (YYYY-MM-DD)", h)
		}
	}
	return nil
}

// isDate reports whether s is exactly a YYYY-MM-DD date.
func isDate(s string) bool {
	d, err := fields.Date(s)
	return err == nil && d == s
}

// loadZone loads an IANA time zone. The empty name and "Local" are refused: they would mean UTC
// or the server's own zone, which a flow cannot intend.
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" || len(name) > 64 || strings.ContainsRune(name, 0) {
		return nil, fmt.Errorf("time zone %q is not an IANA name such as Europe/Madrid", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q is not an IANA name such as Europe/Madrid: %w", name, err)
	}
	return loc, nil
}

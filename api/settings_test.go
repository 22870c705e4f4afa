package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func settingsHoursFrom(t *testing.T, raw string) businessHoursRequest {
	t.Helper()
	var r businessHoursRequest
	require.NoError(t, json.Unmarshal([]byte(raw), &r))
	return r
}

func TestSettingsBusinessHoursNormalize(t *testing.T) {
	t.Parallel()
	out, err := settingsHoursFrom(t, `{"timezone":"Asia/Kuala_Lumpur",
		"days":{"monday":[{"from":"13:00","to":"18:00"},{"from":"09:00","to":"12:00"}],"saturday":[{"from":"10:00","to":"24:00"}],
		        "tuesday":[{"from":"09:00","to":"12:00"},{"from":"12:00","to":"13:00"}]},
		"holidays":[{"date":"2026-12-25","name":" Christmas "},{"date":"2026-01-01","name":"New Year"}]}`).normalize()
	require.NoError(t, err)
	require.Equal(t, "Asia/Kuala_Lumpur", out.Timezone)
	require.Len(t, out.Days, 7, "every weekday is present")
	require.Equal(t, []businessHoursRange{{"09:00", "12:00"}, {"13:00", "18:00"}}, out.Days["monday"], "ranges are sorted")
	require.Equal(t, []businessHoursRange{{"10:00", "24:00"}}, out.Days["saturday"])
	require.Len(t, out.Days["tuesday"], 2, "touching ranges do not overlap")
	require.Equal(t, []businessHoursRange{}, out.Days["sunday"])
	require.Equal(t, []businessHoliday{{"2026-01-01", "New Year"}, {"2026-12-25", "Christmas"}}, out.Holidays)

	for name, raw := range map[string]string{
		"no timezone":       `{"days":{}}`,
		"unknown timezone":  `{"timezone":"Mars/Olympus"}`,
		"local timezone":    `{"timezone":"Local"}`,
		"unknown day":       `{"timezone":"UTC","days":{"funday":[]}}`,
		"capitalised day":   `{"timezone":"UTC","days":{"Monday":[]}}`,
		"from after to":     `{"timezone":"UTC","days":{"monday":[{"from":"18:00","to":"09:00"}]}}`,
		"empty range":       `{"timezone":"UTC","days":{"monday":[{"from":"09:00","to":"09:00"}]}}`,
		"overnight":         `{"timezone":"UTC","days":{"friday":[{"from":"22:00","to":"02:00"}]}}`,
		"overlap":           `{"timezone":"UTC","days":{"monday":[{"from":"09:00","to":"12:00"},{"from":"11:00","to":"13:00"}]}}`,
		"contained":         `{"timezone":"UTC","days":{"monday":[{"from":"09:00","to":"18:00"},{"from":"10:00","to":"11:00"}]}}`,
		"bad time":          `{"timezone":"UTC","days":{"monday":[{"from":"9:00","to":"12:00"}]}}`,
		"24:00 as start":    `{"timezone":"UTC","days":{"monday":[{"from":"24:00","to":"24:00"}]}}`,
		"minutes past 59":   `{"timezone":"UTC","days":{"monday":[{"from":"09:60","to":"12:00"}]}}`,
		"missing to":        `{"timezone":"UTC","days":{"monday":[{"from":"09:00"}]}}`,
		"bad holiday date":  `{"timezone":"UTC","holidays":[{"date":"2026-02-30","name":"x"}]}`,
		"holiday twice":     `{"timezone":"UTC","holidays":[{"date":"2026-12-25","name":"a"},{"date":"2026-12-25","name":"b"}]}`,
		"long holiday name": `{"timezone":"UTC","holidays":[{"date":"2026-12-25","name":"` + strings.Repeat("x", 129) + `"}]}`,
		"too many ranges":   `{"timezone":"UTC","days":{"monday":[` + strings.TrimSuffix(strings.Repeat(`{"from":"00:00","to":"00:01"},`, 11), ",") + `]}}`,
	} {
		_, err := settingsHoursFrom(t, raw).normalize()
		require.Error(t, err, name)
	}
}

func TestSettingsLifecycleStagesNormalize(t *testing.T) {
	t.Parallel()
	current := []lifecycleStage{{Name: "New Lead"}, {Name: "Hot Lead"}, {Name: "Customer"}, {Name: "Cold Lead", Lost: true}}

	stages, moves, err := normalizeLifecycleStages(current, []lifecycleStageInput{
		{Name: " New Lead ", Emoji: "🆕"},
		{Name: "Warm Lead", RenameFrom: "hot lead"},
		{Name: "customer"},
		{Name: "Churned", Lost: true},
	})
	require.NoError(t, err)
	require.Equal(t, []lifecycleStage{{Name: "New Lead", Emoji: "🆕"}, {Name: "Warm Lead"}, {Name: "customer"}, {Name: "Churned", Lost: true}}, stages)
	require.Equal(t, map[string]string{"Hot Lead": "Warm Lead", "Customer": "customer", "Cold Lead": ""}, moves)

	// Swapping two names moves each stage's contacts to the other.
	_, moves, err = normalizeLifecycleStages(current[:2], []lifecycleStageInput{{Name: "Hot Lead", RenameFrom: "New Lead"}, {Name: "New Lead", RenameFrom: "Hot Lead"}})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"New Lead": "Hot Lead", "Hot Lead": "New Lead"}, moves)

	_, moves, err = normalizeLifecycleStages(current, nil)
	require.NoError(t, err)
	require.Len(t, moves, 4, "an empty list removes every stage")

	many := make([]lifecycleStageInput, 21)
	for i := range many {
		many[i] = lifecycleStageInput{Name: strings.Repeat("s", i+1)}
	}
	for name, in := range map[string][]lifecycleStageInput{
		"empty name":         {{Name: " "}},
		"long name":          {{Name: strings.Repeat("n", 65)}},
		"duplicate":          {{Name: "Lead"}, {Name: "lead"}},
		"too many":           many,
		"unknown rename":     {{Name: "X", RenameFrom: "Nope"}},
		"renamed twice":      {{Name: "X", RenameFrom: "Hot Lead"}, {Name: "Y", RenameFrom: "Hot Lead"}},
		"kept and renamed":   {{Name: "Hot Lead"}, {Name: "Warm", RenameFrom: "Hot Lead"}},
		"long emoji":         {{Name: "X", Emoji: strings.Repeat("🔥", 17)}},
		"control characters": {{Name: "X\tY"}},
	} {
		_, _, err := normalizeLifecycleStages(current, in)
		require.Error(t, err, name)
	}
}

func TestSettingsTimezone(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"UTC", "Europe/Madrid", "America/Argentina/Buenos_Aires", " Asia/Kuala_Lumpur "} {
		_, err := settingsTimezone(ok)
		require.NoError(t, err, ok)
	}
	for _, bad := range []string{"", "Local", "Europe/Atlantis", "../etc/passwd", "GMT+25"} {
		_, err := settingsTimezone(bad)
		require.Error(t, err, bad)
	}
}

package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	// Time zones are validated against the embedded IANA database, so validation does not depend
	// on the host (distroless images, Windows) having one.
	_ "time/tzdata"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/fields"
)

// Workspace settings (respond.io's Settings module): general, closing notes and their
// categories, lifecycle stages and business hours. Everyone reads them; writing needs
// settings.manage. Each change writes a "settings.updated" event naming its section, or
// closing_note_category.created/updated/deleted for categories.

const (
	settingsWorkspaceNameMax = 128
	settingsCategoryNameMax  = 128
	settingsCategoryDescMax  = 255
	settingsCategoriesMax    = 100
	settingsStagesMax        = 20
	settingsStageNameMax     = 64
	settingsStageEmojiMax    = 16
	settingsRangesPerDayMax  = 10
	settingsHolidaysMax      = 100
	settingsHolidayNameMax   = 128
)

// settingsClosingNoteModes are respond.io's four closing-note settings: optional; category required;
// category and summary required; closing notes disabled.
var settingsClosingNoteModes = []string{"optional", "category_required", "all_required", "disabled"}

// settingsWeekdays are the keys of business hours' days, Monday first.
var settingsWeekdays = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

func init() {
	const v1 = "/api/v1"
	document(http.MethodGet, v1+"/settings/general", Operation{Summary: "Workspace name, time zone and language", Tag: "Settings", Response: settingsGeneral{}})
	document(http.MethodPatch, v1+"/settings/general", Operation{Summary: "Change the workspace's name, time zone (IANA) or language", Tag: "Settings", Request: settingsGeneralDoc{}, Response: settingsGeneral{}})
	document(http.MethodGet, v1+"/settings/closing-notes", Operation{Summary: "Closing-note mode", Tag: "Settings", Response: closingNotesSettings{}})
	document(http.MethodPut, v1+"/settings/closing-notes", Operation{Summary: "Set the closing-note mode: optional, category_required, all_required or disabled", Tag: "Settings", Request: closingNotesSettings{}, Response: closingNotesSettings{}})
	document(http.MethodGet, v1+"/settings/closing-notes/categories", Operation{Summary: "Closing-note categories, by name", Tag: "Settings", Response: closingNoteCategory{}, List: true})
	document(http.MethodPost, v1+"/settings/closing-notes/categories", Operation{Summary: "Add a closing-note category", Tag: "Settings", Request: closingNoteCategoryRequest{}, Response: closingNoteCategory{}, Status: http.StatusCreated})
	document(http.MethodPatch, v1+"/settings/closing-notes/categories/:id", Operation{Summary: "Rename or describe a closing-note category", Tag: "Settings", Request: closingNoteCategoryRequest{}, Response: closingNoteCategory{}})
	document(http.MethodDelete, v1+"/settings/closing-notes/categories/:id", Operation{Summary: "Delete a closing-note category (closed conversations keep theirs)", Tag: "Settings", Status: http.StatusNoContent})
	document(http.MethodGet, v1+"/settings/lifecycle-stages", Operation{Summary: "Lifecycle stages, in order", Tag: "Settings", Response: lifecycleStages{}})
	document(http.MethodPut, v1+"/settings/lifecycle-stages", Operation{Summary: "Replace the lifecycle stages (at most 20); rename_from moves contacts to a renamed stage, contacts of removed stages lose theirs", Tag: "Settings", Request: lifecycleStagesRequest{}, Response: lifecycleStages{}})
	document(http.MethodGet, v1+"/settings/business-hours", Operation{Summary: "Business hours: time zone, opening ranges per weekday, holidays", Tag: "Settings", Response: businessHours{}})
	document(http.MethodPut, v1+"/settings/business-hours", Operation{Summary: "Replace the business hours", Tag: "Settings", Request: businessHoursRequest{}, Response: businessHours{}})
}

func (s *Server) settingsEvent(c *gin.Context, q *dbsqlc.Queries, section string, value any) error {
	u := currentUser(c)
	return db.InsertEvent(c.Request.Context(), q, db.Event{WorkspaceID: u.WorkspaceID, Type: "settings.updated", ActorUserID: u.ID,
		Payload: map[string]any{"section": section, "value": value}})
}

// ---- General ----

type settingsGeneral struct {
	Name     string `json:"name"`
	Timezone string `json:"timezone"`
	Language string `json:"language"`
}

// settingsGeneralDoc is settingsGeneralRequest's wire shape, for the OpenAPI document.
type settingsGeneralDoc struct {
	Name     *string `json:"name"`
	Timezone *string `json:"timezone"`
	Language *string `json:"language"`
}

type settingsGeneralRequest struct {
	Name     optionalField[string] `json:"name"`
	Timezone optionalField[string] `json:"timezone"`
	Language optionalField[string] `json:"language"`
}

func toSettingsGeneral(w dbsqlc.Workspace) settingsGeneral {
	return settingsGeneral{Name: w.Name, Timezone: w.Timezone, Language: w.Language}
}

func (s *Server) getGeneralSettings(c *gin.Context) {
	w, err := s.DB.WorkspaceGetByID(c.Request.Context(), currentUser(c).WorkspaceID)
	if err != nil {
		s.fail(c, db.Error(err))
		return
	}
	c.JSON(http.StatusOK, toSettingsGeneral(w))
}

func (s *Server) updateGeneralSettings(c *gin.Context) {
	var req settingsGeneralRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	var out settingsGeneral
	err := s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		w, err := q.WorkspaceGetForUpdate(ctx, currentUser(c).WorkspaceID)
		if err != nil {
			return db.Error(err)
		}
		before := toSettingsGeneral(w)
		next := before
		if req.Name.Set {
			name := strings.TrimSpace(req.Name.Value)
			if name == "" || utf8.RuneCountInString(name) > settingsWorkspaceNameMax || strings.IndexFunc(name, unicode.IsControl) >= 0 {
				return invalid("name must be 1–%d characters", settingsWorkspaceNameMax)
			}
			next.Name = name
		}
		if req.Timezone.Set {
			tz, err := settingsTimezone(req.Timezone.Value)
			if err != nil {
				return err
			}
			next.Timezone = tz
		}
		if req.Language.Set {
			l, err := fields.Language(req.Language.Value)
			if err != nil {
				return err
			}
			next.Language = l
		}
		out = next
		if next == before {
			return nil
		}
		if _, err := q.WorkspaceUpdateGeneral(ctx, dbsqlc.WorkspaceUpdateGeneralParams{
			ID: w.ID, Name: next.Name, Timezone: next.Timezone, Language: next.Language,
		}); err != nil {
			return err
		}
		return s.settingsEvent(c, q, "general", next)
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// settingsTimezone validates an IANA time zone name ("Asia/Kuala_Lumpur", "UTC").
func settingsTimezone(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || name == "Local" {
		return "", invalid("timezone must be an IANA time zone such as Europe/Madrid")
	}
	if _, err := time.LoadLocation(name); err != nil {
		return "", invalid("timezone %q is not an IANA time zone (such as Europe/Madrid)", truncateForMessage(name))
	}
	return name, nil
}

// ---- Closing notes ----

type closingNotesSettings struct {
	Mode string `json:"mode"`
}

func (s *Server) getClosingNotesSettings(c *gin.Context) {
	w, err := s.DB.WorkspaceGetByID(c.Request.Context(), currentUser(c).WorkspaceID)
	if err != nil {
		s.fail(c, db.Error(err))
		return
	}
	c.JSON(http.StatusOK, closingNotesSettings{Mode: w.ClosingNoteMode})
}

func (s *Server) putClosingNotesSettings(c *gin.Context) {
	var req closingNotesSettings
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	if !slices.Contains(settingsClosingNoteModes, req.Mode) {
		s.fail(c, invalid("mode must be one of %s", strings.Join(settingsClosingNoteModes, ", ")))
		return
	}
	ctx := c.Request.Context()
	err := s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		w, err := q.WorkspaceGetForUpdate(ctx, currentUser(c).WorkspaceID)
		if err != nil {
			return db.Error(err)
		}
		if w.ClosingNoteMode == req.Mode {
			return nil
		}
		if _, err := q.WorkspaceSetClosingNoteMode(ctx, dbsqlc.WorkspaceSetClosingNoteModeParams{ID: w.ID, ClosingNoteMode: req.Mode}); err != nil {
			return err
		}
		return s.settingsEvent(c, q, "closing_notes", req)
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, req)
}

// closingNoteCategory is a conversation category offered when closing (respond.io's closing-note
// category). Closed conversations store the category's name, so history survives edits.
type closingNoteCategory struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
}

type closingNoteCategoryRequest struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

func toClosingNoteCategory(r dbsqlc.ClosingNoteCategory) closingNoteCategory {
	return closingNoteCategory{ID: r.ID, Name: r.Name, Description: r.Description, CreatedAt: r.CreatedAt}
}

// apply validates the request over the category's current values.
func (r closingNoteCategoryRequest) apply(name, description string) (string, string, error) {
	if r.Name != nil {
		name = strings.TrimSpace(*r.Name)
	}
	if r.Description != nil {
		description = strings.TrimSpace(*r.Description)
	}
	if name == "" || utf8.RuneCountInString(name) > settingsCategoryNameMax || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", "", invalid("name must be 1–%d characters", settingsCategoryNameMax)
	}
	if utf8.RuneCountInString(description) > settingsCategoryDescMax {
		return "", "", invalid("description is longer than %d characters", settingsCategoryDescMax)
	}
	if strings.ContainsRune(description, 0) {
		return "", "", invalid("description must not contain NUL characters")
	}
	return name, description, nil
}

func closingNoteCategoryConflict(err error, name string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return chatcenter.Errorf(chatcenter.ECONFLICT, "a category named %q already exists", name)
	}
	return db.Error(err)
}

func (s *Server) listClosingNoteCategories(c *gin.Context) {
	rows, err := s.DB.ClosingNoteCategoryList(c.Request.Context(), currentUser(c).WorkspaceID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listResponse[closingNoteCategory]{Items: db.MapSlice(rows, toClosingNoteCategory)})
}

func (s *Server) createClosingNoteCategory(c *gin.Context) {
	u := currentUser(c)
	var req closingNoteCategoryRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	name, description, err := req.apply("", "")
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	var out closingNoteCategory
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		if err := q.AdvisoryXactLock(ctx, db.LockKey("closing_note_categories", u.WorkspaceID)); err != nil {
			return err
		}
		n, err := q.ClosingNoteCategoryCount(ctx, u.WorkspaceID)
		if err != nil {
			return err
		}
		if n >= settingsCategoriesMax {
			return invalid("a workspace has at most %d closing-note categories", settingsCategoriesMax)
		}
		row, err := q.ClosingNoteCategoryInsert(ctx, dbsqlc.ClosingNoteCategoryInsertParams{WorkspaceID: u.WorkspaceID, Name: name, Description: description})
		if err != nil {
			return closingNoteCategoryConflict(err, name)
		}
		out = toClosingNoteCategory(row)
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "closing_note_category.created", ActorUserID: u.ID,
			Payload: map[string]any{"category": out}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

func (s *Server) updateClosingNoteCategory(c *gin.Context) {
	u := currentUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "category not found"))
		return
	}
	var req closingNoteCategoryRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	var out closingNoteCategory
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		row, err := q.ClosingNoteCategoryGetForUpdate(ctx, dbsqlc.ClosingNoteCategoryGetForUpdateParams{WorkspaceID: u.WorkspaceID, ID: id})
		if db.IsNoRows(err) {
			return chatcenter.Errorf(chatcenter.ENOTFOUND, "category not found")
		}
		if err != nil {
			return err
		}
		name, description, err := req.apply(row.Name, row.Description)
		if err != nil {
			return err
		}
		out = toClosingNoteCategory(row)
		if name == row.Name && description == row.Description {
			return nil
		}
		row, err = q.ClosingNoteCategoryUpdate(ctx, dbsqlc.ClosingNoteCategoryUpdateParams{WorkspaceID: u.WorkspaceID, ID: id, Name: name, Description: description})
		if err != nil {
			return closingNoteCategoryConflict(err, name)
		}
		out = toClosingNoteCategory(row)
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "closing_note_category.updated", ActorUserID: u.ID,
			Payload: map[string]any{"category": out}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) deleteClosingNoteCategory(c *gin.Context) {
	u := currentUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "category not found"))
		return
	}
	ctx := c.Request.Context()
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		row, err := q.ClosingNoteCategoryDelete(ctx, dbsqlc.ClosingNoteCategoryDeleteParams{WorkspaceID: u.WorkspaceID, ID: id})
		if db.IsNoRows(err) {
			return chatcenter.Errorf(chatcenter.ENOTFOUND, "category not found")
		}
		if err != nil {
			return err
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "closing_note_category.deleted", ActorUserID: u.ID,
			Payload: map[string]any{"category": toClosingNoteCategory(row)}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// ---- Lifecycle stages ----

// lifecycleStage is one step of the customer journey (respond.io: New Lead, Hot Lead, Payment,
// Customer; Cold Lead is a lost stage).
type lifecycleStage struct {
	Name  string `json:"name"`
	Emoji string `json:"emoji"`
	Lost  bool   `json:"lost"`
}

type lifecycleStages struct {
	Stages []lifecycleStage `json:"stages"`
}

type lifecycleStageInput struct {
	Name  string `json:"name"`
	Emoji string `json:"emoji"`
	Lost  bool   `json:"lost"`
	// RenameFrom names the existing stage this one renames: its contacts move to the new name.
	RenameFrom string `json:"rename_from"`
}

type lifecycleStagesRequest struct {
	Stages *[]lifecycleStageInput `json:"stages"`
}

func decodeLifecycleStages(raw json.RawMessage) []lifecycleStage {
	stages := []lifecycleStage{}
	_ = json.Unmarshal(raw, &stages)
	return stages
}

// lifecycleStageNamed returns the defined stage called name (case-insensitively, so "hot lead"
// stores "Hot Lead").
func lifecycleStageNamed(stages []lifecycleStage, name string) (string, error) {
	for _, st := range stages {
		if st.Name == name {
			return st.Name, nil
		}
	}
	for _, st := range stages {
		if strings.EqualFold(st.Name, name) {
			return st.Name, nil
		}
	}
	return "", invalid("lifecycle stage %q is not defined (see settings/lifecycle-stages)", truncateForMessage(name))
}

// normalizeLifecycleStages validates the new list against the current one and returns it with
// the name each current stage's contacts move to ("" for a removed stage; unchanged names are
// left out).
func normalizeLifecycleStages(current []lifecycleStage, in []lifecycleStageInput) ([]lifecycleStage, map[string]string, error) {
	if len(in) > settingsStagesMax {
		return nil, nil, invalid("at most %d lifecycle stages", settingsStagesMax)
	}
	out := make([]lifecycleStage, 0, len(in))
	renamedFrom := map[string]string{} // current name → new name
	for i, st := range in {
		name := strings.TrimSpace(st.Name)
		emoji := strings.TrimSpace(st.Emoji)
		switch {
		case name == "":
			return nil, nil, invalid("stage %d: name must not be empty", i+1)
		case utf8.RuneCountInString(name) > settingsStageNameMax:
			return nil, nil, invalid("stage %q: name is longer than %d characters", truncateForMessage(name), settingsStageNameMax)
		case strings.IndexFunc(name, unicode.IsControl) >= 0 || strings.IndexFunc(emoji, unicode.IsControl) >= 0:
			return nil, nil, invalid("stage %q: control characters are not allowed", truncateForMessage(name))
		case utf8.RuneCountInString(emoji) > settingsStageEmojiMax:
			return nil, nil, invalid("stage %q: emoji is longer than %d characters", name, settingsStageEmojiMax)
		}
		for _, prev := range out {
			if strings.EqualFold(prev.Name, name) {
				return nil, nil, invalid("stage %q appears twice", name)
			}
		}
		if from := strings.TrimSpace(st.RenameFrom); from != "" {
			old, err := lifecycleStageNamed(current, from)
			if err != nil {
				return nil, nil, invalid("stage %q: rename_from %q is not a current stage", name, truncateForMessage(from))
			}
			if _, dup := renamedFrom[old]; dup {
				return nil, nil, invalid("stage %q is renamed twice", old)
			}
			renamedFrom[old] = name
		}
		out = append(out, lifecycleStage{Name: name, Emoji: emoji, Lost: st.Lost})
	}
	moves := map[string]string{}
	for _, cur := range current {
		target, renamed := renamedFrom[cur.Name]
		if !renamed {
			// Kept under the same name (or a different case of it), or removed.
			target = ""
			for _, st := range out {
				if strings.EqualFold(st.Name, cur.Name) {
					target = st.Name
				}
			}
		} else {
			// A stage of the old name that is not itself a renamed one keeps the old name.
			for i, st := range out {
				if st.Name != target && strings.EqualFold(st.Name, cur.Name) && strings.TrimSpace(in[i].RenameFrom) == "" {
					return nil, nil, invalid("stage %q is both kept and renamed to %q", cur.Name, target)
				}
			}
		}
		if target != cur.Name {
			moves[cur.Name] = target
		}
	}
	return out, moves, nil
}

func (s *Server) getLifecycleStages(c *gin.Context) {
	w, err := s.DB.WorkspaceGetByID(c.Request.Context(), currentUser(c).WorkspaceID)
	if err != nil {
		s.fail(c, db.Error(err))
		return
	}
	c.JSON(http.StatusOK, lifecycleStages{Stages: decodeLifecycleStages(w.LifecycleStages)})
}

// putLifecycleStages replaces the stages. Contacts follow: those of a renamed stage move to its
// new name, those of a removed stage lose it, each with a contact.field_changed event.
func (s *Server) putLifecycleStages(c *gin.Context) {
	u := currentUser(c)
	var req lifecycleStagesRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	if req.Stages == nil {
		s.fail(c, invalid("stages is required (an empty list removes every stage)"))
		return
	}
	ctx := c.Request.Context()
	var out lifecycleStages
	err := s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		w, err := q.WorkspaceGetForUpdate(ctx, u.WorkspaceID)
		if err != nil {
			return db.Error(err)
		}
		stages, moves, err := normalizeLifecycleStages(decodeLifecycleStages(w.LifecycleStages), *req.Stages)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(stages)
		if err != nil {
			return fmt.Errorf("encode lifecycle stages: %w", err)
		}
		if _, err := q.WorkspaceSetLifecycleStages(ctx, dbsqlc.WorkspaceSetLifecycleStagesParams{ID: w.ID, LifecycleStages: raw}); err != nil {
			return err
		}
		var changed int64
		if len(moves) > 0 {
			p := dbsqlc.ContactLifecycleRemapParams{WorkspaceID: u.WorkspaceID, ActorUserID: &u.ID}
			for from, to := range moves {
				p.OldNames, p.NewNames = append(p.OldNames, from), append(p.NewNames, to)
			}
			if changed, err = q.ContactLifecycleRemap(ctx, p); err != nil {
				return err
			}
		}
		out = lifecycleStages{Stages: stages}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: u.WorkspaceID, Type: "settings.updated", ActorUserID: u.ID,
			Payload: map[string]any{"section": "lifecycle_stages", "value": out, "moved": moves, "contacts_changed": changed}})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// ---- Business hours ----

// businessHoursRange is an opening range within one day, HH:MM to HH:MM ("24:00" ends the day).
type businessHoursRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// businessHoliday is a closed day.
type businessHoliday struct {
	Date string `json:"date"`
	Name string `json:"name"`
}

type businessHoursRequest struct {
	Timezone string                          `json:"timezone"`
	Days     map[string][]businessHoursRange `json:"days"`
	Holidays []businessHoliday               `json:"holidays"`
}

// businessHours are when the workspace answers: a day without ranges is closed. UpdatedAt is
// null until they are first set.
type businessHours struct {
	Timezone  string                          `json:"timezone"`
	Days      map[string][]businessHoursRange `json:"days"`
	Holidays  []businessHoliday               `json:"holidays"`
	UpdatedAt *time.Time                      `json:"updated_at"`
}

// normalize validates business hours and puts them in canonical form: every weekday present,
// ranges sorted and not overlapping, holidays sorted by date and unique.
func (r businessHoursRequest) normalize() (businessHours, error) {
	var out businessHours
	tz, err := settingsTimezone(r.Timezone)
	if err != nil {
		return out, err
	}
	out.Timezone = tz
	out.Days = map[string][]businessHoursRange{}
	for day := range r.Days {
		if !slices.Contains(settingsWeekdays, day) {
			return out, invalid("days: %q is not a weekday (monday … sunday)", truncateForMessage(day))
		}
	}
	for _, day := range settingsWeekdays {
		ranges := r.Days[day]
		if len(ranges) > settingsRangesPerDayMax {
			return out, invalid("%s: at most %d ranges a day", day, settingsRangesPerDayMax)
		}
		type span struct {
			from, to int
			r        businessHoursRange
		}
		spans := make([]span, 0, len(ranges))
		for _, rg := range ranges {
			from, err := fields.Minutes(rg.From, false)
			if err != nil {
				return out, invalid("%s: from %q is not a time of day (HH:MM)", day, truncateForMessage(rg.From))
			}
			to, err := fields.Minutes(rg.To, true)
			if err != nil {
				return out, invalid("%s: to %q is not a time of day (HH:MM, or 24:00 for the end of the day)", day, truncateForMessage(rg.To))
			}
			if from >= to {
				return out, invalid("%s: range %s–%s ends before it starts (ranges stay within one day)", day, rg.From, rg.To)
			}
			spans = append(spans, span{from, to, rg})
		}
		slices.SortFunc(spans, func(a, b span) int { return a.from - b.from })
		sorted := make([]businessHoursRange, 0, len(spans))
		for i, sp := range spans {
			if i > 0 && sp.from < spans[i-1].to {
				return out, invalid("%s: ranges %s–%s and %s–%s overlap", day, spans[i-1].r.From, spans[i-1].r.To, sp.r.From, sp.r.To)
			}
			sorted = append(sorted, sp.r)
		}
		out.Days[day] = sorted
	}
	if len(r.Holidays) > settingsHolidaysMax {
		return out, invalid("at most %d holidays", settingsHolidaysMax)
	}
	out.Holidays = make([]businessHoliday, 0, len(r.Holidays))
	for _, h := range r.Holidays {
		date, err := fields.Date(h.Date)
		if err != nil {
			return out, invalid("holiday date %q is not a date (YYYY-MM-DD)", truncateForMessage(h.Date))
		}
		name := strings.TrimSpace(h.Name)
		if utf8.RuneCountInString(name) > settingsHolidayNameMax || strings.IndexFunc(name, unicode.IsControl) >= 0 {
			return out, invalid("holiday %s: name must be at most %d characters", date, settingsHolidayNameMax)
		}
		if slices.ContainsFunc(out.Holidays, func(x businessHoliday) bool { return x.Date == date }) {
			return out, invalid("holiday %s appears twice", date)
		}
		out.Holidays = append(out.Holidays, businessHoliday{Date: date, Name: name})
	}
	slices.SortFunc(out.Holidays, func(a, b businessHoliday) int { return strings.Compare(a.Date, b.Date) })
	return out, nil
}

func (s *Server) getBusinessHours(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	row, err := s.DB.BusinessHoursGet(ctx, u.WorkspaceID)
	if db.IsNoRows(err) {
		// Never set: the workspace's time zone and every day closed.
		w, err := s.DB.WorkspaceGetByID(ctx, u.WorkspaceID)
		if err != nil {
			s.fail(c, db.Error(err))
			return
		}
		out := businessHours{Timezone: w.Timezone, Days: map[string][]businessHoursRange{}, Holidays: []businessHoliday{}}
		for _, d := range settingsWeekdays {
			out.Days[d] = []businessHoursRange{}
		}
		c.JSON(http.StatusOK, out)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toBusinessHours(row))
}

func toBusinessHours(row dbsqlc.BusinessHour) businessHours {
	out := businessHours{Timezone: row.Timezone, Days: map[string][]businessHoursRange{}, Holidays: []businessHoliday{}, UpdatedAt: &row.UpdatedAt}
	_ = json.Unmarshal(row.Days, &out.Days)
	_ = json.Unmarshal(row.Holidays, &out.Holidays)
	for _, d := range settingsWeekdays {
		if out.Days[d] == nil {
			out.Days[d] = []businessHoursRange{}
		}
	}
	return out
}

func (s *Server) putBusinessHours(c *gin.Context) {
	u := currentUser(c)
	var req businessHoursRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	hours, err := req.normalize()
	if err != nil {
		s.fail(c, err)
		return
	}
	days, err := json.Marshal(hours.Days)
	if err != nil {
		s.fail(c, err)
		return
	}
	holidays, err := json.Marshal(hours.Holidays)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	var out businessHours
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		row, err := q.BusinessHoursUpsert(ctx, dbsqlc.BusinessHoursUpsertParams{WorkspaceID: u.WorkspaceID, Timezone: hours.Timezone, Days: days, Holidays: holidays})
		if err != nil {
			return err
		}
		out = toBusinessHours(row)
		return s.settingsEvent(c, q, "business_hours", out)
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

package flows

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestTemplatesValidate(t *testing.T) {
	all := Templates()
	if len(all) != 9 {
		t.Fatalf("got %d templates, want the seed's nine", len(all))
	}
	keys := map[string]bool{}
	for _, tpl := range all {
		if tpl.Key == "" || tpl.Name == "" || tpl.Description == "" {
			t.Errorf("template %+v lacks a key, name or description", tpl)
		}
		if len([]rune(tpl.Name)) > MaxNameLength {
			t.Errorf("%s: name longer than a flow name may be", tpl.Key)
		}
		if keys[tpl.Key] {
			t.Errorf("key %s used twice", tpl.Key)
		}
		keys[tpl.Key] = true
		if ps := ValidateDraft(tpl.Flow); len(ps) > 0 {
			t.Errorf("%s: draft problems %v", tpl.Key, ps)
		}
		if ps := Validate(tpl.Flow); len(ps) > 0 {
			t.Errorf("%s: publish problems %v", tpl.Key, ps)
		}
		// The portable JSON round-trips through the strict parser.
		b, err := json.Marshal(tpl.Flow)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(b); err != nil {
			t.Errorf("%s: %v", tpl.Key, err)
		}
		params := map[string]int64{}
		for i, p := range tpl.Params {
			params[p] = int64(10 + i)
		}
		inst, err := Instantiate(tpl.Key, params)
		if err != nil {
			t.Fatalf("%s: %v", tpl.Key, err)
		}
		if ps := Validate(inst.Flow); len(ps) > 0 {
			t.Errorf("%s with params: publish problems %v", tpl.Key, ps)
		}
		teams := 0
		for _, s := range inst.Flow.Steps {
			if s.AssignTo != nil && s.AssignTo.Action == "team" {
				teams++
			}
		}
		if (len(tpl.Params) > 0) != (teams > 0) {
			t.Errorf("%s: params %v gave %d team steps", tpl.Key, tpl.Params, teams)
		}
	}
}

func TestTemplatesInstantiate(t *testing.T) {
	if _, err := Instantiate("nope", nil); !errors.Is(err, ErrUnknownTemplate) {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := Instantiate("assign_to_agent", map[string]int64{"team_id": 1}); err == nil {
		t.Fatal("a template without parameters accepted team_id")
	}
	if _, err := Instantiate("sales_round_robin", map[string]int64{"team_id": 0}); err == nil {
		t.Fatal("team_id 0 accepted")
	}
	if _, err := Instantiate("sales_round_robin", map[string]int64{"sales_team_id": 3}); err == nil {
		t.Fatal("a parameter of another template accepted")
	}

	// team_id sets every department; a department's own parameter wins.
	tpl, err := Instantiate("agent_routing", map[string]int64{"team_id": 7, "billing_team_id": 9})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, s := range tpl.Flow.Steps {
		if s.AssignTo != nil && s.AssignTo.Action == "team" {
			got[s.ID] = *s.AssignTo.TeamID
		}
	}
	want := map[string]int64{"assign_sales": 7, "assign_support": 7, "assign_billing": 9}
	if len(got) != len(want) {
		t.Fatalf("team steps %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: team %d, want %d", k, got[k], v)
		}
	}

	// Instantiating never changes the built-in templates.
	for _, s := range Templates()[len(Templates())-1].Flow.Steps {
		if s.AssignTo != nil && (s.AssignTo.Action != "workspace" || s.AssignTo.TeamID != nil) {
			t.Errorf("built-in step %s changed: %+v", s.ID, s.AssignTo)
		}
	}
}

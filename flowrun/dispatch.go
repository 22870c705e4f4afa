package flowrun

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/flows"
)

// Dispatch tuning.
const (
	// claimBatch is how many queued events one transaction dispatches.
	claimBatch = 100
	// staleAfter is how long a recorded run may wait for its workflow start before the sweep
	// starts it (its starter died in between).
	staleAfter = 30 * time.Second
	// DispatchInterval is how often each dispatcher reads the trigger queue: the most a flow's
	// start waits after the event that triggers it.
	DispatchInterval = 250 * time.Millisecond
)

// Event is a queued trigger event, as written to the outbox.
type Event struct {
	ID             int64
	WorkspaceID    int64
	Type           string
	ContactID      int64
	ConversationID int64
	Payload        map[string]any
}

// Match says whether a flow's trigger fires for the event, and with which trigger variables.
func Match(t flows.Trigger, e Event) (map[string]string, bool) {
	vars := map[string]string{}
	if e.ConversationID != 0 {
		vars["conversation_id"] = strconv.FormatInt(e.ConversationID, 10)
	}
	conv, _ := e.Payload["conversation"].(map[string]any)
	switch e.Type {
	case "conversation.opened":
		if t.Type != flows.TriggerConversationOpened {
			return nil, false
		}
		source := str(e.Payload["source"])
		if source == "" {
			source = str(conv["opened_source"])
		}
		vars["source"] = source
		if o := t.ConversationOpened; o != nil && len(o.Sources) > 0 && !slices.Contains(o.Sources, source) {
			return nil, false
		}
		return vars, true
	case "conversation.closed":
		if t.Type != flows.TriggerConversationClosed {
			return nil, false
		}
		source, category := str(conv["closed_source"]), str(conv["category"])
		vars["source"], vars["category"], vars["summary"] = source, category, str(conv["summary"])
		if o := t.ConversationClosed; o != nil {
			if len(o.Sources) > 0 && !slices.Contains(o.Sources, source) {
				return nil, false
			}
			if len(o.Categories) > 0 && !slices.ContainsFunc(o.Categories, func(c string) bool { return strings.EqualFold(c, category) }) {
				return nil, false
			}
		}
		return vars, true
	case "contact.tag_added", "contact.tag_removed":
		o := t.ContactTagUpdated
		if t.Type != flows.TriggerContactTagUpdated || o == nil {
			return nil, false
		}
		action := strings.TrimPrefix(e.Type, "contact.tag_")
		tag := str(e.Payload["tag"])
		if o.Action != action || !slices.ContainsFunc(o.Tags, func(x string) bool { return strings.EqualFold(x, tag) }) {
			return nil, false
		}
		vars["tag"], vars["action"] = tag, action
		return vars, true
	case "contact.field_changed":
		o := t.ContactFieldUpdated
		field := str(e.Payload["field"])
		if t.Type != flows.TriggerContactFieldUpdated || o == nil || !strings.EqualFold(o.Field, field) {
			return nil, false
		}
		vars["field"], vars["old_value"], vars["new_value"] = field, valueText(e.Payload["old"]), valueText(e.Payload["new"])
		return vars, true
	}
	return nil, false
}

// causeOf finds the run whose step wrote the event (its payload names it) and the depth a run it
// triggers would have.
func causeOf(ctx context.Context, q *dbsqlc.Queries, e Event) (parentRunID int64, depth int, err error) {
	id, ok := e.Payload["run_id"].(float64)
	if !ok || id <= 0 {
		return 0, 0, nil
	}
	parent, err := q.FlowRunGetByID(ctx, int64(id))
	if db.IsNoRows(err) {
		return 0, 1, nil
	}
	if err != nil {
		return 0, 0, err
	}
	return parent.ID, int(parent.Depth) + 1, nil
}

// triggerTypeOf maps an event type to the trigger type it may fire.
func triggerTypeOf(eventType string) string {
	switch eventType {
	case "conversation.opened":
		return flows.TriggerConversationOpened
	case "conversation.closed":
		return flows.TriggerConversationClosed
	case "contact.tag_added", "contact.tag_removed":
		return flows.TriggerContactTagUpdated
	case "contact.field_changed":
		return flows.TriggerContactFieldUpdated
	}
	return ""
}

// valueText renders a field value from an event for a variable: lists joined by ", ".
func valueText(v any) string {
	if list, ok := v.([]any); ok {
		parts := make([]string, 0, len(list))
		for _, x := range list {
			parts = append(parts, str(x))
		}
		return strings.Join(parts, ", ")
	}
	return str(v)
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// DispatchOnce dispatches up to one batch of queued trigger events: every published flow whose
// trigger matches enrolls the event's contact (several flows on one event all run). The runs are
// recorded and the events dequeued in one transaction; the workflows are started after it
// commits. It returns how many events it took.
func (e *Enroller) DispatchOnce(ctx context.Context) (int, error) {
	type started struct {
		run  dbsqlc.FlowRun
		name string
	}
	var runs []started
	var n int
	err := e.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		runs, n = nil, 0
		rows, err := q.FlowTriggerClaim(ctx, claimBatch)
		if err != nil {
			return fmt.Errorf("claim trigger events: %w", err)
		}
		n = len(rows)
		cache := map[string][]dbsqlc.FlowsPublishedByTriggerRow{}
		for _, row := range rows {
			ev := Event{ID: row.EventID, WorkspaceID: row.WorkspaceID, Type: row.Type, ContactID: deref(row.ContactID), ConversationID: deref(row.ConversationID)}
			_ = json.Unmarshal(row.Payload, &ev.Payload)
			if tt := triggerTypeOf(ev.Type); tt != "" && ev.ContactID != 0 {
				key := fmt.Sprintf("%d/%s", ev.WorkspaceID, tt)
				candidates, ok := cache[key]
				if !ok {
					if candidates, err = q.FlowsPublishedByTrigger(ctx, dbsqlc.FlowsPublishedByTriggerParams{WorkspaceID: ev.WorkspaceID, TriggerType: tt}); err != nil {
						return fmt.Errorf("load flows: %w", err)
					}
					cache[key] = candidates
				}
				for _, fl := range candidates {
					if fl.LiveSince != nil && row.CreatedAt.Before(*fl.LiveSince) {
						continue // the event happened before the flow went live
					}
					f, err := flows.Parse(fl.Definition)
					if err != nil || fl.PublishedVersion == nil {
						e.Log.Error("published flow does not parse", "flow", fl.ID, "error", err)
						continue
					}
					vars, ok := Match(f.Trigger, ev)
					if !ok {
						continue
					}
					parent, depth, err := causeOf(ctx, q, ev)
					if err != nil {
						return err
					}
					if depth > MaxDepth {
						e.Log.Warn("flow not started: too many flows led to this event", "flow", fl.ID, "contact", ev.ContactID, "event", ev.ID, "depth", depth)
						continue
					}
					run, inserted, err := insertRun(ctx, q, Enrollment{
						WorkspaceID: ev.WorkspaceID, FlowID: fl.ID, ContactID: ev.ContactID, OriginKey: fmt.Sprintf("event:%d", ev.ID),
						Variables: vars, ConversationID: ev.ConversationID, ParentRunID: parent, Depth: depth,
					}, *fl.PublishedVersion, f)
					if err != nil {
						return err
					}
					if inserted {
						runs = append(runs, started{run, fl.Name})
					}
				}
			}
			if err := q.FlowTriggerDelete(ctx, row.EventID); err != nil {
				return fmt.Errorf("dequeue trigger event: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, r := range runs {
		if err := e.Start(ctx, r.run, r.name); err != nil {
			e.Log.Warn("flow run recorded but not started yet", "run", r.run.ID, "error", err)
		}
	}
	return n, nil
}

// SweepOnce starts runs recorded more than staleAfter ago whose start was never confirmed.
func (e *Enroller) SweepOnce(ctx context.Context) error {
	runs, err := e.DB.Queries.FlowRunsStale(ctx, dbsqlc.FlowRunsStaleParams{Before: time.Now().Add(-staleAfter), Max: claimBatch})
	if err != nil {
		return err
	}
	for _, r := range runs {
		name := ""
		if v, err := e.DB.Queries.FlowVersionDefinition(ctx, dbsqlc.FlowVersionDefinitionParams{FlowID: r.FlowID, Version: r.Version}); err == nil {
			name = v.Name
		}
		if err := e.Start(ctx, r, name); err != nil {
			e.Log.Warn("flow run start retry failed", "run", r.ID, "error", err)
		}
	}
	return nil
}

// Run dispatches trigger events until ctx ends, reading the queue every interval. Several
// dispatchers (one per worker process) share the queue safely. The queue is polled rather than
// announced with NOTIFY: a notifying transaction holds a database-wide lock until its commit is
// flushed, so every transaction that opens or closes a conversation or changes a tag would commit
// one after another (see package realtime for the measurement).
func (e *Enroller) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DispatchInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	sweep := time.NewTicker(staleAfter / 2)
	defer sweep.Stop()
	for {
		for {
			n, err := e.DispatchOnce(ctx)
			if err != nil {
				if ctx.Err() == nil {
					e.Log.Error("flow trigger dispatch failed", "error", err)
				}
				break
			}
			if n < claimBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-sweep.C:
			if err := e.SweepOnce(ctx); err != nil && ctx.Err() == nil {
				e.Log.Error("flow run sweep failed", "error", err)
			}
		}
	}
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

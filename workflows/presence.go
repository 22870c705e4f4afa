package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// PresenceWorkflowName is the auto-away sweep, started every minute by PresenceScheduleID.
const PresenceWorkflowName = "PresenceWorkflow"

// PresenceScheduleID names the Temporal Schedule that runs the auto-away sweep; one per namespace,
// shared by every worker process.
const PresenceScheduleID = "presence-auto-away"

// PresenceInterval is how often the sweep runs; auto_away_minutes is counted in whole minutes.
const PresenceInterval = time.Minute

// PresenceWorkflow sets away the online users whose heartbeats stopped (activities.AutoAway) and
// returns how many went away. The work is one SQL statement, so the run is short; the schedule
// skips a tick rather than overlapping runs.
func PresenceWorkflow(ctx workflow.Context) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		// The next tick sweeps again, so a run need not try for long.
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var n int
	err := workflow.ExecuteActivity(ctx, acts.AutoAway).Get(ctx, &n)
	return n, err
}

// SetupPresence registers the presence workflow on r and creates the schedule that starts it
// every minute, unless it exists already (every worker process calls this at start; the first one
// creates it).
func SetupPresence(c client.Client, r worker.WorkflowRegistry) error {
	r.RegisterWorkflowWithOptions(PresenceWorkflow, workflow.RegisterOptions{Name: PresenceWorkflowName})
	return ensureSchedule(c, PresenceScheduleID, PresenceWorkflowName, PresenceInterval,
		"Auto-away: online users without a heartbeat become away")
}

// ensureSchedule creates the schedule id that starts workflowName every interval on the main task
// queue, skipping a tick rather than overlapping runs, unless it exists already (every worker
// process calls this at start; the first one creates it).
func ensureSchedule(c client.Client, id, workflowName string, every time.Duration, summary string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   id,
		Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}},
		Action: &client.ScheduleWorkflowAction{
			ID:                 id,
			Workflow:           workflowName,
			TaskQueue:          TaskQueue,
			WorkflowRunTimeout: 5 * time.Minute,
			StaticSummary:      summary,
		},
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note:    "Created by the Chat Center worker",
	})
	if err != nil && !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create schedule %s: %w", id, err)
	}
	return nil
}

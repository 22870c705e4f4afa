package workflows

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/chatcenterhq/chatcenter/activities"
)

// The sweep asks for the messages older than the grace period, a batch at a time.
func TestRedeliveryWorkflowSweepsPastTheGrace(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var got activities.RedeliverInput
	env.RegisterActivityWithOptions(func(_ context.Context, in activities.RedeliverInput) (int, error) {
		got = in
		return 2, nil
	}, activity.RegisterOptions{Name: "InboundRedeliver"})
	start := env.Now()
	env.ExecuteWorkflow(RedeliveryWorkflow)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var n int
	require.NoError(t, env.GetWorkflowResult(&n))
	require.Equal(t, 2, n)
	require.Equal(t, RedeliveryBatch, got.Limit)
	require.WithinDuration(t, start.Add(-RedeliveryGrace), got.Before, 0)
}

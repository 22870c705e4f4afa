package workflows

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
)

func TestPresenceWorkflowRunsTheSweep(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivityWithOptions(func(context.Context) (int, error) { return 3, nil }, activity.RegisterOptions{Name: "AutoAway"})
	env.ExecuteWorkflow(PresenceWorkflow)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var n int
	require.NoError(t, env.GetWorkflowResult(&n))
	require.Equal(t, 3, n)
}

func TestPresenceWorkflowGivesUpAfterThreeAttempts(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivityWithOptions(func(context.Context) (int, error) { return 0, nil }, activity.RegisterOptions{Name: "AutoAway"})
	env.OnActivity("AutoAway", mock.Anything).Return(0, errors.New("database down")).Times(3)
	env.ExecuteWorkflow(PresenceWorkflow)
	require.True(t, env.IsWorkflowCompleted())
	require.ErrorContains(t, env.GetWorkflowError(), "database down")
	env.AssertExpectations(t)
}

package activities

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
)

// An activity using keepAlive heartbeats as soon as it starts (the SDK then throttles what reaches
// the engine to its HeartbeatTimeout); outside an activity keepAlive does nothing.
// TestDevLosesNothingWhenKilled (cmd/chatcenter) shows the engine retrying a send whose worker
// was killed mid-call after the heartbeat timeout.
func TestKeepAlive(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	var beats atomic.Int32
	env.SetOnActivityHeartbeatListener(func(*activity.Info, converter.EncodedValues) { beats.Add(1) })
	quick := func(ctx context.Context) error {
		defer keepAlive(ctx)()
		return nil
	}
	env.RegisterActivity(quick)
	_, err := env.ExecuteActivity(quick)
	require.NoError(t, err)
	require.EqualValues(t, 1, beats.Load())

	keepAlive(context.Background())() // not an activity: no panic, nothing to stop
}

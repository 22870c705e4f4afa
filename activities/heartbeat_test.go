package activities

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
)

// An attempt heartbeats as soon as it starts (the SDK then throttles what reaches the engine to
// its HeartbeatTimeout). TestDevLosesNothingWhenKilled (cmd/chatcenter) shows the engine retrying
// a send whose worker was killed mid-call once the heartbeats stop.
func TestAttemptHeartbeats(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	var beats atomic.Int32
	env.SetOnActivityHeartbeatListener(func(*activity.Info, converter.EncodedValues) { beats.Add(1) })
	quick := func(ctx context.Context) error {
		_, done := attempt(ctx)
		defer done()
		return nil
	}
	env.RegisterActivity(quick)
	_, err := env.ExecuteActivity(quick)
	require.NoError(t, err)
	require.EqualValues(t, 1, beats.Load())
}

// An attempt is not cut off by its cancellation (how a workflow's cancel reaches a heartbeating
// activity), only by its deadline or by done. Outside an activity it only detaches.
func TestAttemptOutlivesCancellationNotDeadline(t *testing.T) {
	deadline := time.Now().Add(time.Hour)
	parent, cancel := context.WithDeadline(context.Background(), deadline)
	ctx, done := attempt(parent)
	cancel()
	require.NoError(t, ctx.Err(), "cancelling the attempt's context does not stop it")
	d, ok := ctx.Deadline()
	require.True(t, ok)
	require.Equal(t, deadline, d)
	done()
	require.Error(t, ctx.Err(), "done releases it")

	short, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	ctx, done = attempt(short)
	defer done()
	<-ctx.Done()
	require.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
}

// Package worker registers Chat Center's workflows and activities on their task queues.
package worker

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/activities"
	"github.com/chatcenterhq/chatcenter/flowrun"
	"github.com/chatcenterhq/chatcenter/workflows"
)

// sendRates is each provider's overall send rate in messages per second; it is set on the send
// queue's workers (Temporal enforces it across all workers of the queue). Telegram asks bots to
// stay near 30 messages per second in bulk.
var sendRates = map[chatcenter.ChannelType]float64{
	chatcenter.ChannelTelegram: 30,
	chatcenter.ChannelCustom:   100,
}

// StopTimeout is how long stopping the workers (SIGTERM, a deploy, Ctrl-C on dev) waits for
// running activities before cancelling them. Without it a send in flight is cut off: the provider
// may have the message already, and the retry on another worker would send it twice.
const StopTimeout = 30 * time.Second

// RegisterWorkflows registers every workflow type under its stable name.
func RegisterWorkflows(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(workflows.ConversationWorkflow, workflow.RegisterOptions{Name: workflows.ConversationWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.FlowRunWorkflow, workflow.RegisterOptions{Name: workflows.FlowRunWorkflowName})
}

// Set is the running workers of one process.
type Set struct {
	workers []worker.Worker
	// stopDispatch ends the flow trigger dispatcher; dispatched is closed when it has.
	stopDispatch context.CancelFunc
	dispatched   chan struct{}
}

// Start starts a worker on the main queue and one per channel send queue, and the dispatcher of
// flow triggers. Activities without an Engine get one on c.
func Start(c client.Client, a *activities.Activities) (*Set, error) {
	s := &Set{}
	enroller := &flowrun.Enroller{DB: a.DB, Temporal: c, Log: a.Log}
	if a.Engine == nil {
		a.Engine = flowrun.Engine{Enroller: enroller}
	}
	main := worker.New(c, workflows.TaskQueue, worker.Options{WorkerStopTimeout: StopTimeout})
	RegisterWorkflows(main)
	main.RegisterActivity(a)
	// Presence: the auto-away workflow and the schedule that runs it every minute.
	if err := workflows.SetupPresence(c, main); err != nil {
		return nil, err
	}
	// Redelivery: inbound messages stored whose signal was lost reach their conversation.
	if err := workflows.SetupRedelivery(c, main); err != nil {
		return nil, err
	}
	s.workers = append(s.workers, main)
	for _, t := range []chatcenter.ChannelType{chatcenter.ChannelTelegram, chatcenter.ChannelCustom} {
		w := worker.New(c, workflows.SendTaskQueue(t), worker.Options{TaskQueueActivitiesPerSecond: sendRates[t], WorkerStopTimeout: StopTimeout})
		w.RegisterActivity(a)
		s.workers = append(s.workers, w)
	}
	for i, w := range s.workers {
		if err := w.Start(); err != nil {
			for _, started := range s.workers[:i] {
				started.Stop()
			}
			return nil, fmt.Errorf("start worker: %w", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopDispatch, s.dispatched = cancel, make(chan struct{})
	go func() {
		defer close(s.dispatched)
		enroller.Run(ctx, flowrun.DispatchInterval)
	}()
	return s, nil
}

// Stop stops every worker, letting running tasks finish.
func (s *Set) Stop() {
	s.stopDispatch()
	<-s.dispatched
	for _, w := range s.workers {
		w.Stop()
	}
}

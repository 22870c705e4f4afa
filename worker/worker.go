// Package worker registers Chat Center's workflows and activities on their task queues.
package worker

import (
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/activities"
	"github.com/chatcenterhq/chatcenter/workflows"
)

// sendRates is each provider's overall send rate in messages per second; it is set on the send
// queue's workers (Temporal enforces it across all workers of the queue). Telegram asks bots to
// stay near 30 messages per second in bulk.
var sendRates = map[chatcenter.ChannelType]float64{
	chatcenter.ChannelTelegram: 30,
	chatcenter.ChannelCustom:   100,
}

// RegisterWorkflows registers every workflow type under its stable name.
func RegisterWorkflows(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(workflows.ConversationWorkflow, workflow.RegisterOptions{Name: workflows.ConversationWorkflowName})
}

// Set is the running workers of one process.
type Set struct {
	workers []worker.Worker
}

// Start starts a worker on the main queue and one per channel send queue.
func Start(c client.Client, a *activities.Activities) (*Set, error) {
	s := &Set{}
	main := worker.New(c, workflows.TaskQueue, worker.Options{})
	RegisterWorkflows(main)
	main.RegisterActivity(a)
	// Presence: the auto-away workflow and the schedule that runs it every minute.
	if err := workflows.SetupPresence(c, main); err != nil {
		return nil, err
	}
	s.workers = append(s.workers, main)
	for _, t := range []chatcenter.ChannelType{chatcenter.ChannelTelegram, chatcenter.ChannelCustom} {
		w := worker.New(c, workflows.SendTaskQueue(t), worker.Options{TaskQueueActivitiesPerSecond: sendRates[t]})
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
	return s, nil
}

// Stop stops every worker, letting running tasks finish.
func (s *Set) Stop() {
	for _, w := range s.workers {
		w.Stop()
	}
}

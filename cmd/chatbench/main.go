// Command chatbench measures the inbound path against the embedded engine: Telegram webhooks
// posted over HTTP are verified, persisted in Postgres and signalled to conversation workflows.
// In the same run it measures raw SignalWithStartWorkflow throughput of the same engine, so the
// cost of our path can be read as a ratio. It prints figures; it asserts nothing.
//
//	go run ./cmd/chatbench -n 3000 -c 32
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/activities"
	"github.com/chatcenterhq/chatcenter/api"
	"github.com/chatcenterhq/chatcenter/channels/provider"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/devserver"
	"github.com/chatcenterhq/chatcenter/secret"
	"github.com/chatcenterhq/chatcenter/worker"
	"github.com/chatcenterhq/chatcenter/workflows"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "chatbench:", err)
		os.Exit(1)
	}
}

func run() error {
	n := flag.Int("n", 2000, "inbound messages (and raw signals) per phase")
	conc := flag.Int("c", 32, "concurrent senders")
	rounds := flag.Int("rounds", 3, "alternating rounds of each measurement")
	concurrent := flag.Bool("concurrent", false, "keep the workers running during the measurement, so workflow processing competes with ingestion for the same cores")
	cpuProfile := flag.String("cpuprofile", "", "write CPU profiles of the last round's two phases to this path plus .ours and .raw")
	contacts := flag.Int("contacts", 500, "distinct contacts (each one conversation workflow)")
	serverURL := flag.String("postgres", envOr("DATABASE_SERVER_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "Postgres server to create the benchmark database on")
	flag.Parse()

	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir, err := os.MkdirTemp("", "chatbench-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	dbURL := strings.Replace(*serverURL, "/postgres?", fmt.Sprintf("/chatbench_%d?", time.Now().Unix()), 1)
	if err := db.EnsureDatabase(ctx, dbURL); err != nil {
		return err
	}
	d, err := db.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer dropDatabase(*serverURL, dbURL)
	defer d.Close()
	if err := d.Migrate(ctx); err != nil {
		return err
	}
	meter := newCPUMeter(ctx, d)

	ts, err := devserver.Start(ctx, devserver.Options{
		DataDir: dir, FrontendAddr: "127.0.0.1:0", Namespace: "default", SearchAttributes: workflows.SearchAttributes(), Logger: log,
	})
	if err != nil {
		return err
	}
	defer func() { _ = ts.Stop() }()
	tc, err := ts.NewClient(client.Options{Logger: tlog.NewStructuredLogger(log)})
	if err != nil {
		return err
	}
	defer tc.Close()

	box, err := secret.NewBox(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		return err
	}
	// Workers: by default they start after the measurement, so that both paths are measured on
	// equal terms (the engine persisting signals, nobody processing them yet); -concurrent runs
	// them throughout, for the figures of a loaded system.
	var workers *worker.Set
	var sink sdkworker.Worker
	startWorkers := func() error {
		var err error
		if workers, err = worker.Start(tc, activities.New(d, box, log)); err != nil {
			return err
		}
		sink = sdkworker.New(tc, "bench-raw", sdkworker.Options{})
		sink.RegisterWorkflowWithOptions(sinkWorkflow, workflow.RegisterOptions{Name: "BenchSink"})
		return sink.Start()
	}
	defer func() {
		if workers != nil {
			workers.Stop()
			sink.Stop()
		}
	}()
	if *concurrent {
		if err := startWorkers(); err != nil {
			return err
		}
	}

	if _, err := api.Bootstrap(ctx, d, "bench@example.com", "bench password"); err != nil {
		return err
	}
	ws, err := d.WorkspaceGetByID(ctx, 1)
	if err != nil {
		return err
	}
	const token = "bench-secret"
	ch, err := d.ChannelInsert(ctx, dbsqlc.ChannelInsertParams{
		WorkspaceID: ws.ID, Type: "telegram", Name: "bench",
		ConfigEncrypted:   box.Seal([]byte(`{"bot_token":"1:bench","secret_token":"bench-secret","api_base_url":"http://127.0.0.1:1"}`)),
		WebhookSecretHash: secret.HashToken(token),
	})
	if err != nil {
		return err
	}
	srv := &api.Server{DB: d, Temporal: tc, Box: box, Log: log}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	httpSrv := &http.Server{Handler: srv.Handler()}
	go func() { _ = httpSrv.Serve(ln) }()
	defer httpSrv.Close()
	hook := fmt.Sprintf("http://%s/webhooks/telegram/%d", ln.Addr(), ch.ID)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc}}

	fmt.Printf("chatbench: %d messages, %d concurrent senders, %d contacts; engine: embedded Temporal (SQLite file, 1 shard); Postgres: %s\n\n",
		*n, *conc, *contacts, db.Redact(*serverURL))

	// Warm up both paths so connection setup is not measured.
	_ = load(20, 4, func(i int) error { return postUpdate(hc, hook, token, 1_000_000+i, 9_000_000+i%4) })
	_ = load(20, 4, func(i int) error { return rawSignal(ctx, tc, fmt.Sprintf("bench-warm-%d", i%4), i) })

	// Alternate the two measurements so that drift in the machine's load affects both alike.
	var oursRounds, rawRounds []result
	sent := 20
	for r := 0; r < *rounds; r++ {
		offset := r * *n
		profile := func(name string) (stop func(), err error) {
			if *cpuProfile == "" || r != *rounds-1 {
				return func() {}, nil
			}
			f, err := os.Create(*cpuProfile + "." + name)
			if err != nil {
				return nil, err
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				return nil, err
			}
			return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
		}
		stop, err := profile("ours")
		if err != nil {
			return err
		}
		ours := meter.load(*n, *conc, func(i int) error { return postUpdate(hc, hook, token, offset+i+1, 1000+i%*contacts) })
		stop()
		sent += *n
		if *concurrent {
			if err := waitAttached(ctx, d, ch.ID, sent); err != nil {
				return err
			}
		}
		if stop, err = profile("raw"); err != nil {
			return err
		}
		raw := meter.load(*n, *conc, func(i int) error { return rawSignal(ctx, tc, fmt.Sprintf("bench-raw-%d", i%*contacts), offset+i) })
		stop()
		ours.print(fmt.Sprintf("round %d  ours: webhook → verify → Postgres → SignalWithStart", r+1))
		raw.print(fmt.Sprintf("round %d  raw SignalWithStartWorkflow", r+1))
		oursRounds, rawRounds = append(oursRounds, ours), append(rawRounds, raw)
	}
	o, w := median(oursRounds), median(rawRounds)
	fmt.Println()
	o.print("median  ours")
	w.print("median  raw")
	fmt.Printf("\nratio: ours / raw = %.0f%% (target ≥ 80%%)\n", 100*o.throughput()/w.throughput())
	// Each round measures both paths back to back, so its own ratio is the one least moved by
	// drift in the machine's load; how far they spread says how much one run can be trusted.
	per := make([]string, len(oursRounds))
	for i := range oursRounds {
		per[i] = fmt.Sprintf("%.0f%%", 100*oursRounds[i].throughput()/rawRounds[i].throughput())
	}
	fmt.Printf("per round: %s\n", strings.Join(per, ", "))

	// The floor under our path: what storing alone costs (parse, then the one-statement ingest,
	// no HTTP, no signal), for the same spread of known senders. When the machine is CPU-bound,
	// ours cannot beat raw's cost plus this one, whatever the rest costs.
	// On a channel of its own, so the messages it stores (never signalled) are not waited for.
	storeCh, err := d.ChannelInsert(ctx, dbsqlc.ChannelInsertParams{
		WorkspaceID: ws.ID, Type: "telegram", Name: "bench store only",
		ConfigEncrypted: ch.ConfigEncrypted, WebhookSecretHash: secret.HashToken(token),
	})
	if err != nil {
		return err
	}
	for i := 0; i < *contacts; i++ { // the senders become known, as on the webhook path
		if err := storeOnly(ctx, d, ws.ID, storeCh.ID, token, 40_000_000+i, 1000+i); err != nil {
			return err
		}
	}
	store := meter.load(*n, *conc, func(i int) error {
		return storeOnly(ctx, d, ws.ID, storeCh.ID, token, 50_000_000+i, 1000+i%*contacts)
	})
	store.print("store only: parse → Postgres (no HTTP, no signal)")
	if o.cpu > 0 && w.cpu > 0 && store.cpu > 0 {
		fmt.Printf("ceiling here: raw CPU / (raw CPU + store CPU) = %.2f / (%.2f + %.2f) ms = %.0f%%\n",
			w.cpuPerMsg(), w.cpuPerMsg(), store.cpuPerMsg(), 100*w.cpuPerMsg()/(w.cpuPerMsg()+store.cpuPerMsg()))
	}
	if !*concurrent {
		// Now let the conversation workflows work through the backlog: every webhook's message
		// must end up attached to a conversation (nothing accepted is lost).
		start := time.Now()
		if err := startWorkers(); err != nil {
			return err
		}
		if err := waitAttached(ctx, d, ch.ID, sent); err != nil {
			return err
		}
		el := time.Since(start)
		fmt.Printf("workers then processed the backlog: %d inbound messages attached to conversations in %.1fs (%.0f/s)\n",
			sent, el.Seconds(), float64(sent)/el.Seconds())
	}
	return nil
}

// waitAttached waits until the conversation workflows have attached every inbound message, so the
// next measurement does not compete with their backlog.
func waitAttached(ctx context.Context, d *db.DB, channelID int64, want int) error {
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		var attached int
		if err := d.Pool.QueryRow(ctx, "SELECT count(*) FROM messages WHERE channel_id = $1 AND conversation_id IS NOT NULL", channelID).Scan(&attached); err != nil {
			return err
		}
		if attached >= want {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("workflows did not attach %d messages within 5 minutes", want)
}

// median returns the round with the median throughput.
func median(rs []result) result {
	s := slices.Clone(rs)
	sort.Slice(s, func(i, j int) bool { return s[i].throughput() < s[j].throughput() })
	return s[len(s)/2]
}

// dropDatabase removes the benchmark's database when the run ends.
func dropDatabase(serverURL, dbURL string) {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return
	}
	conn, err := pgx.Connect(context.Background(), serverURL)
	if err != nil {
		return
	}
	defer conn.Close(context.Background())
	_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{cfg.Database}.Sanitize()+" WITH (FORCE)")
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// sinkWorkflow receives signals and ends when they stop, like a conversation without the work.
func sinkWorkflow(ctx workflow.Context) error {
	ch := workflow.GetSignalChannel(ctx, "inbound")
	for {
		var v int
		ok, _ := ch.ReceiveWithTimeout(ctx, time.Minute, &v)
		if !ok {
			return nil
		}
	}
}

func rawSignal(ctx context.Context, tc client.Client, id string, i int) error {
	_, err := tc.SignalWithStartWorkflow(ctx, id, "inbound", i, client.StartWorkflowOptions{ID: id, TaskQueue: "bench-raw"}, "BenchSink")
	return err
}

func telegramUpdate(updateID, chatID int) string {
	return fmt.Sprintf(`{"update_id":%d,"message":{"date":1441645532,"chat":{"id":%d,"type":"private","first_name":"Bench"},"message_id":%d,"from":{"id":%d,"first_name":"Bench"},"text":"message %d"}}`,
		updateID, chatID, updateID, chatID, updateID)
}

// storeOnly does the webhook's work short of HTTP and the signal: parse the update and store it
// with the one-statement ingest (the careful path for a sender not yet known).
func storeOnly(ctx context.Context, d *db.DB, workspaceID, channelID int64, token string, updateID, chatID int) error {
	evs, err := provider.Parse(chatcenter.ChannelTelegram, []byte(telegramUpdate(updateID, chatID)))
	if err != nil {
		return err
	}
	ev := evs[0]
	in := db.InboundMessage{
		WorkspaceID: workspaceID, ChannelID: channelID, ExternalID: ev.ExternalID, Content: ev.Content, SentAt: ev.SentAt,
		Sender: db.InboundSender{ExternalID: ev.Sender.ExternalID, FirstName: ev.Sender.FirstName, Username: ev.Sender.Username},
	}
	_, _, ok, err := d.IngestKnownSender(ctx, string(chatcenter.ChannelTelegram), secret.HashToken(token), in)
	if err != nil || ok {
		return err
	}
	_, err = d.IngestInbound(ctx, in)
	return err
}

func postUpdate(hc *http.Client, url, token string, updateID, chatID int) error {
	body := telegramUpdate(updateID, chatID)
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", token)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return nil
}

type result struct {
	n         int
	errors    int64
	elapsed   time.Duration
	latencies []time.Duration
	// cpu is the CPU time spent by this process and, when it could be read, by the Postgres
	// server (pgCPU, included in cpu) while the phase ran.
	cpu, pgCPU time.Duration
	pgKnown    bool
}

// cpuMeter reads CPU time consumed by this process and by the local Postgres server. Everything
// shares the machine's cores, so when a phase is CPU-bound its throughput is cores / CPU per
// message: comparing CPU per message says where a gap comes from.
type cpuMeter struct {
	postmaster int // 0 when Postgres's processes cannot be read (not local, not Linux)
}

func newCPUMeter(ctx context.Context, d *db.DB) cpuMeter {
	var backend int
	if err := d.Pool.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		return cpuMeter{}
	}
	f, err := procStat(backend)
	if err != nil || len(f) < 2 {
		return cpuMeter{}
	}
	var ppid int
	_, _ = fmt.Sscan(f[1], &ppid)
	return cpuMeter{postmaster: ppid}
}

// procStat returns the fields of /proc/<pid>/stat after the command name, so f[0] is the state
// (field 3 in proc(5)) and field k is f[k-3].
func procStat(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	return strings.Fields(string(b[i+1:])), nil
}

// ticks is Linux's USER_HZ, the unit of CPU times in /proc (100 on every mainstream build).
const ticks = 100

// postgresCPU sums the CPU time of the postmaster, its live children and its reaped children
// (backends that ended are counted in the postmaster's cutime/cstime).
func (m cpuMeter) postgresCPU() (time.Duration, bool) {
	if m.postmaster == 0 {
		return 0, false
	}
	sum := func(f []string, from, to int) int64 {
		var t int64
		for k := from; k <= to; k++ {
			var v int64
			_, _ = fmt.Sscan(f[k-3], &v)
			t += v
		}
		return t
	}
	pm, err := procStat(m.postmaster)
	if err != nil {
		return 0, false
	}
	total := sum(pm, 14, 17)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil || pid == m.postmaster {
			continue
		}
		f, err := procStat(pid)
		if err != nil || len(f) < 15 || f[1] != fmt.Sprint(m.postmaster) {
			continue
		}
		total += sum(f, 14, 15)
	}
	return time.Duration(total) * time.Second / ticks, true
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// load runs one measured phase and records the CPU it took.
func (m cpuMeter) load(n, c int, fn func(i int) error) result {
	pg0, ok0 := m.postgresCPU()
	p0 := processCPU()
	r := load(n, c, fn)
	p1 := processCPU()
	pg1, ok1 := m.postgresCPU()
	r.cpu = p1 - p0
	if ok0 && ok1 {
		r.pgCPU, r.pgKnown = pg1-pg0, true
		r.cpu += r.pgCPU
	}
	return r
}

// cpuPerMsg is the CPU time per message in milliseconds.
func (r result) cpuPerMsg() float64 { return float64(r.cpu.Microseconds()) / 1000 / float64(r.n) }

// load runs fn(0..n-1) on c goroutines and records each call's latency.
func load(n, c int, fn func(i int) error) result {
	var next atomic.Int64
	var errs atomic.Int64
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	start := time.Now()
	for g := 0; g < c; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t := time.Now()
				if err := fn(i); err != nil {
					errs.Add(1)
				}
				lat[i] = time.Since(t)
			}
		}()
	}
	wg.Wait()
	return result{n: n, errors: errs.Load(), elapsed: time.Since(start), latencies: lat}
}

func (r result) throughput() float64 { return float64(r.n) / r.elapsed.Seconds() }

func (r result) print(name string) {
	l := slices.Clone(r.latencies)
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	pct := func(p float64) time.Duration { return l[int(p*float64(len(l)-1))] }
	cpu := ""
	if r.cpu > 0 {
		cpu = fmt.Sprintf("  CPU %.2f ms/msg", r.cpuPerMsg())
		if r.pgKnown {
			cpu += fmt.Sprintf(" (Postgres %.2f)", float64(r.pgCPU.Microseconds())/1000/float64(r.n))
		}
	}
	fmt.Printf("%-62s %7.0f/s  p50 %6.1fms  p99 %6.1fms  errors %d%s\n", name, r.throughput(),
		float64(pct(0.50).Microseconds())/1000, float64(pct(0.99).Microseconds())/1000, r.errors, cpu)
}

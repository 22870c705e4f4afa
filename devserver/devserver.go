// Package devserver runs a Temporal server, and optionally the Temporal Web
// UI, inside the current process for `chatcenter dev`.
//
// It is a small equivalent of the Temporal CLI's `temporal server start-dev`:
// all four Temporal services (frontend, history, matching, worker) run in one
// process on top of a SQLite file, so a developer needs neither Docker nor the
// Temporal CLI. Unlike `start-dev` without --db-filename, state lives in a file
// under Options.DataDir, so workflows survive a restart of `chatcenter dev`.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

const (
	// dbFileName is the SQLite file inside Options.DataDir.
	dbFileName = "temporal.db"

	// clusterName is the name of the single local cluster. It is persisted
	// in the cluster metadata and in every namespace's replication config on
	// first start, so it must never change for an existing DataDir.
	clusterName = "active"

	// defaultNamespace is used when Options.Namespace is empty; it is what
	// the SDK and the UI assume when no namespace is given.
	defaultNamespace = "default"

	// defaultStartTimeout bounds Start when ctx has no deadline, so that a
	// server that never becomes ready cannot hang `chatcenter dev` forever.
	defaultStartTimeout = time.Minute

	// loopbackIP is where the internal services (history, matching, worker)
	// listen and where the server's own clients dial the frontend. They are
	// never meant to be reachable from outside this machine.
	loopbackIP = "127.0.0.1"

	// namespaceCacheRefresh is how often each service reloads its namespace
	// cache (system.namespaceCacheRefreshInterval, left at its default).
	namespaceCacheRefresh = 2 * time.Second
)

// Options configures Start.
type Options struct {
	// DataDir holds the SQLite database (DataDir/temporal.db). It is created
	// if missing; reusing it across Start calls keeps namespaces, workflows
	// and their histories.
	DataDir string
	// FrontendAddr is the host:port of the Temporal gRPC frontend, e.g.
	// "127.0.0.1:7233". Port 0 picks a free port (see Server.FrontendAddr).
	// The host must be an IP address or "localhost"; an empty host means
	// 127.0.0.1.
	FrontendAddr string
	// UIAddr is the host:port of the Temporal Web UI, e.g. "127.0.0.1:8233".
	// Empty disables the UI; port 0 picks a free port (see Server.UIAddr).
	// An empty host means 127.0.0.1.
	UIAddr string
	// Namespace is created on start if it does not exist yet. Default
	// "default".
	Namespace string
	// SearchAttributes are custom search attributes registered in Namespace
	// on every start. Registering is idempotent: attributes that already
	// exist with the same type are left alone, new ones are added. The SQL
	// visibility store has a fixed number of slots per type (e.g. 10
	// Keyword, 3 Datetime), and changing the type of an existing attribute
	// is an error.
	SearchAttributes map[string]enumspb.IndexedValueType
	// Logger receives the server's warnings and errors. Info and debug
	// records are dropped because the server is very noisy, and so are
	// warnings while it starts and stops (see quietLogLevel). Nil means
	// slog.Default().
	Logger *slog.Logger
}

// Server is a running in-process Temporal server, plus the Web UI when
// Options.UIAddr was set. Create it with Start and release it with Stop.
type Server struct {
	temporal     temporal.Server
	ui           *uiserver.Server
	uiDone       chan struct{} // closed when the UI's Start goroutine returns
	frontendAddr string
	uiAddr       string
	namespace    string
	logger       *slog.Logger   // the caller's logger, for our own messages
	serverLogger slogLogger     // level-filtered logger handed to Temporal
	logLevel     *slog.LevelVar // threshold of serverLogger

	stopOnce sync.Once
	stopErr  error
}

// Start starts Temporal (and the UI if enabled) and returns once the frontend
// answers requests for the namespace and all search attributes are
// registered. If ctx has no deadline, Start gives up after one minute.
// On error everything that was started is stopped again.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.DataDir == "" {
		return nil, errors.New("devserver: DataDir is required")
	}
	if o.FrontendAddr == "" {
		return nil, errors.New("devserver: FrontendAddr is required")
	}
	if o.Namespace == "" {
		o.Namespace = defaultNamespace
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultStartTimeout)
		defer cancel()
	}

	frontendIP, frontendPort, err := resolveAddr(o.FrontendAddr)
	if err != nil {
		return nil, fmt.Errorf("devserver: frontend address: %w", err)
	}
	// The server's internal clients and the static membership need an
	// address they can dial; a wildcard listen address is not one.
	frontendDialIP := frontendIP
	if ip := net.ParseIP(frontendIP); ip.IsUnspecified() {
		frontendDialIP = loopbackIP
	}
	frontendAddr := net.JoinHostPort(frontendDialIP, strconv.Itoa(frontendPort))

	// Resolve the UI address before anything starts, so a busy UI port
	// fails fast instead of after the Temporal server is up.
	var uiIP string
	var uiPort int
	if o.UIAddr != "" {
		if uiIP, uiPort, err = resolveAddr(o.UIAddr); err != nil {
			return nil, fmt.Errorf("devserver: UI address: %w", err)
		}
	}

	if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("devserver: create data dir: %w", err)
	}
	sqlConf, err := prepareDatabase(filepath.Join(o.DataDir, dbFileName), o.Namespace, o.SearchAttributes)
	if err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}

	logLevel := new(slog.LevelVar)
	logLevel.Set(quietLogLevel)
	serverLogger := newServerLogger(o.Logger, logLevel)
	dc := dynamicConfig()
	// On for the start only; see forceSearchAttributesRefresh.
	forced := forceSearchAttributesRefresh(dc)
	ts, err := newTemporalServer(sqlConf, frontendIP, frontendPort, frontendAddr, serverLogger, dc)
	if err != nil {
		return nil, fmt.Errorf("devserver: create temporal server: %w", err)
	}
	// Start is not bounded by ctx: the server has its own start timeout
	// and offers no way to cancel a start in progress. On failure it has
	// already rolled back whatever it started.
	if err := ts.Start(); err != nil {
		return nil, fmt.Errorf("devserver: start temporal server: %w", err)
	}

	s := &Server{
		temporal:     ts,
		frontendAddr: frontendAddr,
		namespace:    o.Namespace,
		logger:       o.Logger,
		serverLogger: serverLogger,
		logLevel:     logLevel,
	}
	fail := func(err error) (*Server, error) {
		_ = s.Stop()
		return nil, fmt.Errorf("devserver: %w", err)
	}

	added, err := s.waitReady(ctx, o.SearchAttributes)
	if err != nil {
		return fail(err)
	}
	if added {
		// Attributes added to a namespace that already existed reach each
		// service's namespace cache on its next refresh; until then the
		// forced reads keep them usable.
		select {
		case <-time.After(2 * namespaceCacheRefresh):
		case <-ctx.Done():
			return fail(ctx.Err())
		}
	}
	forced()
	if o.UIAddr != "" {
		if err := s.startUI(ctx, uiIP, uiPort); err != nil {
			return fail(fmt.Errorf("start UI: %w", err))
		}
	}
	logLevel.Set(serverLogLevel)
	return s, nil
}

// FrontendAddr returns the host:port that clients dial to reach the Temporal
// frontend, with the real port when Options.FrontendAddr asked for port 0.
func (s *Server) FrontendAddr() string { return s.frontendAddr }

// UIAddr returns the host:port of the Web UI, with the real port when
// Options.UIAddr asked for port 0, or "" when the UI is disabled.
func (s *Server) UIAddr() string { return s.uiAddr }

// Namespace returns the namespace that was ensured at start.
func (s *Server) Namespace() string { return s.namespace }

// NewClient dials the server. HostPort is always set to FrontendAddr, and
// Namespace to Server.Namespace unless opts already names one.
func (s *Server) NewClient(opts client.Options) (client.Client, error) {
	opts.HostPort = s.frontendAddr
	if opts.Namespace == "" {
		opts.Namespace = s.namespace
	}
	// The engine runs in this process and is reached over loopback: compressing every request
	// and response (the SDK's default) costs CPU and saves nothing.
	if opts.ConnectionOptions.GrpcCompression == nil {
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	return client.Dial(opts)
}

// Stop stops the UI and then the Temporal server. It is safe to call more
// than once (and concurrently); later calls return the first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.logLevel.Set(quietLogLevel)
		if s.ui != nil {
			// Stop the UI first so it does not serve errors for a backend
			// that is going away.
			s.ui.Stop()
			select {
			case <-s.uiDone:
			case <-time.After(5 * time.Second):
				s.logger.Warn("devserver: UI server did not stop in time")
			}
		}
		s.stopErr = s.temporal.Stop()
	})
	return s.stopErr
}

// prepareDatabase makes sure the SQLite file at path has the Temporal schema
// and the namespace, and returns the SQL config the server should use.
func prepareDatabase(path, namespace string, searchAttributes map[string]enumspb.IndexedValueType) (*config.SQL, error) {
	sqlConf := &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: path,
		// Keys other than SQLite URI parameters (mode, cache, ...) are
		// turned into "PRAGMA key=value" on every connection by the
		// server's SQLite plugin.
		ConnectAttributes: map[string]string{
			// Read-write, create if missing: a file-backed store (the
			// in-memory mode the CLI uses by default loses everything).
			"mode": "rwc",
			// WAL lets readers proceed while a write is in progress and
			// turns most commits into a sequential append, which matters
			// because Temporal writes on every workflow step.
			"journal_mode": "wal",
			// NORMAL is safe with WAL (the database can never be
			// corrupted; only the last commits may be lost on an OS crash
			// or power cut, not on a process crash) and avoids an fsync
			// per commit. Good trade-off for a dev machine.
			"synchronous": "normal",
			// Wait instead of failing with SQLITE_BUSY when the file is
			// locked for a moment, e.g. during a WAL checkpoint or by a
			// sqlite3 shell someone opened on it.
			"busy_timeout": "10000",
		},
		// MaxConns is left at 0, which the plugin turns into a single
		// connection shared by all services. More connections would let
		// reads run in parallel under WAL, but Temporal's deferred
		// read-then-write transactions can then fail with SQLITE_BUSY
		// instead of waiting, which is not worth it for a dev server.
	}

	if err := ensureSchema(path); err != nil {
		return nil, err
	}

	// CreateNamespaces skips namespaces that already exist, so this is a
	// no-op on every start but the first. That also means the search
	// attributes here only apply to a brand-new namespace; attributes added
	// to Options later are registered through the operator service once the
	// server runs (ensureSearchAttributes).
	nsConf, err := sqliteschema.NewNamespaceConfig(clusterName, namespace, false, searchAttributes)
	if err != nil {
		return nil, fmt.Errorf("namespace %q: %w", namespace, err)
	}
	if err := sqliteschema.CreateNamespaces(sqlConf, nsConf); err != nil {
		return nil, fmt.Errorf("create namespace %q: %w", namespace, err)
	}
	return sqlConf, nil
}

// ensureSchema creates the SQLite file with the Temporal schema if it does not
// exist yet, and otherwise leaves it alone: SetupSchema is not idempotent (it
// fails with "table ... already exists"), and the server does not migrate a
// file on its own.
//
// The schema is built in a temporary file that is renamed into place only
// when complete. If the first start is interrupted half-way, the next start
// simply begins again instead of finding a file that exists but lacks tables.
func ensureSchema(path string) error {
	switch fi, err := os.Stat(path); {
	case err == nil && fi.Mode().IsRegular():
		return nil
	case err == nil:
		return fmt.Errorf("%s exists but is not a regular file", path)
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("check database file: %w", err)
	}

	f, err := os.CreateTemp(filepath.Dir(path), dbFileName+".init-*")
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	tmp := f.Name()
	_ = f.Close()
	// No WAL here: in rollback-journal mode the finished database is one
	// self-contained file that can be renamed safely. The server switches
	// the renamed file to WAL when it opens it.
	err = sqliteschema.SetupSchema(&config.SQL{
		PluginName:        sqliteplugin.PluginName,
		DatabaseName:      tmp,
		ConnectAttributes: map[string]string{"mode": "rwc"},
	})
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		_ = os.Remove(tmp + "-journal")
		return fmt.Errorf("set up database schema: %w", err)
	}
	return nil
}

// newTemporalServer builds (but does not start) a single-process Temporal
// server with all four services, in the spirit of `temporal server start-dev`.
func newTemporalServer(
	sqlConf *config.SQL,
	frontendIP string,
	frontendPort int,
	frontendAddr string,
	logger slogLogger,
	dc dynamicconfig.Client,
) (temporal.Server, error) {
	// The internal services get fresh loopback ports on every start. Their
	// addresses are not persisted anywhere that matters: membership is
	// static (below) and the shard simply gets re-acquired by the new
	// history host.
	var internalPorts [3]int
	for i := range internalPorts {
		p, err := freePort(loopbackIP)
		if err != nil {
			return nil, err
		}
		internalPorts[i] = p
	}
	historyPort, matchingPort, workerPort := internalPorts[0], internalPorts[1], internalPorts[2]

	const storeName = "sqlite-default"
	conf := &config.Config{}
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = loopbackIP
	// Global.Metrics stays nil, which gives a no-op metrics handler: no
	// Prometheus port to allocate, nothing a dev setup would scrape.
	conf.Persistence = config.Persistence{
		DefaultStore:    storeName,
		VisibilityStore: storeName,
		// One shard is plenty for a single developer and keeps SQLite
		// writes from competing shards to a minimum. The shard count is
		// persisted on first start and can never change for a DataDir.
		NumHistoryShards: 1,
		DataStores:       map[string]config.DataStore{storeName: {SQL: sqlConf}},
	}
	conf.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				// Updated in the persisted cluster metadata on each start,
				// so a different port after a restart is fine.
				RPCAddress: frontendAddr,
				// ClusterID is left empty: the server generates one on
				// first start and keeps the persisted one afterwards.
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = map[string]config.Service{
		// RPC.HTTPPort stays 0, which disables the frontend's HTTP API
		// and with it Nexus endpoints: the SDK and the UI only speak gRPC,
		// and it saves exposing one more port.
		"frontend": {RPC: config.RPC{GRPCPort: frontendPort, BindOnIP: frontendIP}},
		"history":  {RPC: config.RPC{GRPCPort: historyPort, BindOnIP: loopbackIP}},
		"matching": {RPC: config.RPC{GRPCPort: matchingPort, BindOnIP: loopbackIP}},
		"worker":   {RPC: config.RPC{GRPCPort: workerPort, BindOnIP: loopbackIP}},
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	// The worker service (system workflows) talks to the frontend through
	// this client; without it the server panics on start.
	conf.PublicClient.HostPort = frontendAddr

	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("claim mapper: %w", err)
	}

	hostPort := func(p int) string { return net.JoinHostPort(loopbackIP, strconv.Itoa(p)) }
	return temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		// Static membership instead of ringpop: every service lives in
		// this process, so there is no gossip to do and no membership
		// ports to allocate.
		temporal.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
			primitives.FrontendService: static.SingleLocalHost(frontendAddr),
			primitives.HistoryService:  static.SingleLocalHost(hostPort(historyPort)),
			primitives.MatchingService: static.SingleLocalHost(hostPort(matchingPort)),
			primitives.WorkerService:   static.SingleLocalHost(hostPort(workerPort)),
		}),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dc),
	)
}

// dynamicConfig returns the server's dynamic config, mostly what
// `temporal server start-dev` sets.
func dynamicConfig() *dynamicconfig.MemoryClient {
	c := dynamicconfig.NewMemoryClient()
	for k, v := range map[dynamicconfig.Key]any{
		// Nexus endpoints are read from SQLite on every use instead of from
		// each service's cache, so one created through the API works at once.
		dynamicconfig.ForceNexusEndpointRefreshOnRead.Key(): true,
		// Bypassing that cache costs persistence reads; the CLI raises the
		// per-host persistence rate limits to compensate (keeping the ratio
		// of the defaults, 2000:9000), so the server never throttles itself
		// against a local SQLite file.
		dynamicconfig.FrontendPersistenceMaxQPS.Key(): 10000,
		dynamicconfig.HistoryPersistenceMaxQPS.Key():  45000,
		// The default of 10 visibility requests per second per namespace is
		// easy to hit with the UI open and a few ListWorkflow calls.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		// Fewer re-reads of mutable state from SQLite for long-lived
		// workflows (CLI value).
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): 8096,
		// No periodic call home to check for newer server versions.
		dynamicconfig.EnableServerVersionCheck.Key(): false,
		// One partition per task queue. Partitions spread a queue over
		// matching hosts; here there is one, and with the default four a
		// backlog (tasks written while no worker polled, e.g. after a
		// restart) sat in child partitions until polls or forwarding reached
		// them: conversation workflows stalled for 15–55 s in a quarter of
		// the benchmark's backlog runs, and in none of 14 with one.
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
		// history.shardIOConcurrency stays at its default of 1: with the
		// single shared SQLite connection more concurrency would only queue
		// up on that connection.
	} {
		c.OverrideValue(k, v)
	}
	return c
}

// forceSearchAttributesRefresh makes every service resolve search attribute
// aliases from the namespace record in SQLite instead of from its namespace
// cache, until the returned func is called. Start keeps it on only while
// attributes may be missing from the caches: the CLI's dev server keeps it on
// for good, which costs every request that carries search attributes
// (SignalWithStart, upserts) two serialised SQLite reads — measured at 15% of
// the process's CPU on the inbound webhook path (cmd/chatbench -cpuprofile).
func forceSearchAttributesRefresh(c *dynamicconfig.MemoryClient) (done func()) {
	return c.OverrideValue(dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(), true)
}

// waitReady polls the frontend until it serves the namespace, then makes
// sure all wanted search attributes exist. The server's Start returns once
// its services are started, but the frontend may still refuse calls for a
// moment (e.g. while the namespace registry loads).
func (s *Server) waitReady(ctx context.Context, searchAttributes map[string]enumspb.IndexedValueType) (added bool, err error) {
	c, err := s.dialReady(ctx)
	if err != nil {
		return false, err
	}
	defer c.Close()
	return s.ensureSearchAttributes(ctx, c, searchAttributes)
}

func (s *Server) dialReady(ctx context.Context) (client.Client, error) {
	var lastErr error
	for {
		c, err := s.tryDial(ctx)
		if err == nil {
			return c, nil
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("frontend at %s not ready: %w (last error: %v)", s.frontendAddr, ctx.Err(), lastErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *Server) tryDial(ctx context.Context) (client.Client, error) {
	attemptCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := client.DialContext(attemptCtx, client.Options{
		HostPort:  s.frontendAddr,
		Namespace: s.namespace,
		// The SDK logs every dial at info level; keep it as quiet as the
		// server.
		Logger: sdklog.NewStructuredLogger(s.serverLogger.SLog()),
	})
	if err != nil {
		return nil, err
	}
	_, err = c.WorkflowService().DescribeNamespace(attemptCtx, &workflowservice.DescribeNamespaceRequest{Namespace: s.namespace})
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// ensureSearchAttributes registers the wanted search attributes that the
// namespace does not have yet. On a fresh DataDir they were already created
// with the namespace, so this only does work after a restart with new
// attributes in Options.
func (s *Server) ensureSearchAttributes(ctx context.Context, c client.Client, want map[string]enumspb.IndexedValueType) (added bool, err error) {
	if len(want) == 0 {
		return false, nil
	}
	list, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: s.namespace})
	if err != nil {
		return false, fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range want {
		if have, ok := list.GetCustomAttributes()[name]; ok {
			if have != typ {
				return false, fmt.Errorf("search attribute %q already exists as %v, not %v; the type of an attribute cannot be changed (delete %s to start over)",
					name, have, typ, dbFileName)
			}
			continue
		}
		if _, ok := list.GetSystemAttributes()[name]; ok {
			return false, fmt.Errorf("search attribute %q is a system search attribute", name)
		}
		missing[name] = typ
	}
	if len(missing) == 0 {
		return false, nil
	}
	// With SQL visibility, adding an attribute that exists is not an error
	// (the server logs and skips it), so a concurrent add is harmless too.
	if _, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        s.namespace,
		SearchAttributes: missing,
	}); err != nil {
		return false, fmt.Errorf("add search attributes: %w", err)
	}
	// The services' namespace caches learn of them on their next refresh;
	// until then system.forceSearchAttributesCacheRefreshOnRead (on during
	// Start) has every service read the aliases from the namespace record.
	return true, nil
}

// startUI starts the Web UI on host:port and waits until it accepts
// connections.
func (s *Server) startUI(ctx context.Context, host string, port int) error {
	// uiserver.Server.Start handles a listen error with echo's Logger.Fatal,
	// which calls os.Exit. Listening once more right before starting it
	// turns the common case (the port got taken meanwhile) into an ordinary
	// error; only a tiny race with another process remains.
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	_ = l.Close()

	uiHost := host
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		uiHost = "[" + host + "]" // the UI server joins host and port with "%s:%d"
	}
	s.ui = uiserver.NewServer(uiserveroptions.WithConfigProvider(&uiconfig.Config{
		Host:                uiHost,
		Port:                port,
		TemporalGRPCAddress: s.frontendAddr,
		EnableUI:            true,
		// Open the UI on our namespace instead of "default".
		DefaultNamespace: s.namespace,
		// The UI is served over plain http. Browsers drop Secure cookies
		// on http (except, in some browsers, for localhost), and without
		// its CSRF cookie every write action in the UI (signal, terminate,
		// ...) is rejected. The CLI's dev server sets this too.
		CORS: uiconfig.CORS{CookieInsecure: true},
		// No request log or echo banner on our stdout.
		HideLogs: true,
		// No outbound request for Temporal news from a dev tool.
		DisableNewsFetch: true,
	}))
	s.uiDone = make(chan struct{})
	go func() {
		defer close(s.uiDone)
		// Returns nil after Stop; any other error ends the process (see
		// above), so there is nothing to report from here.
		_ = s.ui.Start()
	}()

	dialHost := host
	if ip := net.ParseIP(host); ip.IsUnspecified() {
		dialHost = loopbackIP
	}
	s.uiAddr = net.JoinHostPort(dialHost, strconv.Itoa(port))
	for {
		conn, err := net.DialTimeout("tcp", s.uiAddr, time.Second)
		if err == nil {
			_ = conn.Close()
			return nil
		}
		select {
		case <-s.uiDone:
			return errors.New("UI server exited during start")
		case <-ctx.Done():
			return fmt.Errorf("UI at %s not ready: %w", s.uiAddr, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// resolveAddr splits a host:port option. An empty host becomes 127.0.0.1 and
// "localhost" becomes 127.0.0.1 too, because the Temporal server needs an IP
// to bind to. Port 0 is replaced by a free port; a fixed port is checked to
// be free so that "address already in use" is reported clearly and before
// anything starts, instead of as a failed service start (or, for the UI, an
// os.Exit; see startUI).
func resolveAddr(addr string) (ip string, port int, err error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	switch host {
	case "", "localhost":
		host = loopbackIP
	}
	if net.ParseIP(host) == nil {
		return "", 0, fmt.Errorf("host %q in %q is not an IP address", host, addr)
	}
	port, err = strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("invalid port in %q", addr)
	}
	if port == 0 {
		port, err = freePort(host)
		return host, port, err
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, portStr))
	if err != nil {
		return "", 0, err
	}
	_ = l.Close()
	return host, port, nil
}

// freePort asks the OS for a free TCP port on ip. The listener is closed
// right away because the servers want a port number, not a listener; the
// small window in which another process could take the port is acceptable
// for a dev server.
func freePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("find free port on %s: %w", ip, err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

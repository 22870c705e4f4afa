package flowhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter/flows"
)

// loopback lets tests reach their httptest servers, which internal-address refusal would block.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// received is what a test server saw.
type received struct {
	Method, URI, Body string
	Header            http.Header
}

// recorder serves status and body, and records each request.
type recorder struct {
	mu       sync.Mutex
	requests []received
	conns    atomic.Int32
	srv      *httptest.Server
}

func newRecorder(t *testing.T, h http.HandlerFunc) *recorder {
	t.Helper()
	rec := &recorder{}
	rec.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.requests = append(rec.requests, received{r.Method, r.RequestURI, string(b), r.Header.Clone()})
		rec.mu.Unlock()
		h(w, r)
	}))
	rec.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			rec.conns.Add(1)
		}
	}
	rec.srv.Start()
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *recorder) got() []received {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]received(nil), rec.requests...)
}

func reply(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestRequestIsSentAsConfigured(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, reply(200, "application/json", `{}`))
	c := NewClient(loopback, 0)

	res, err := Do(t.Context(), c, Request{
		Method:      "POST",
		URL:         rec.srv.URL + "/api/contacts/42?notify=yes&q=a%20b",
		ContentType: "application/x-www-form-urlencoded",
		Body:        "name=Ann+Lee&phone=%2B6012",
		Headers: []flows.Header{
			{Key: "Authorization", Value: "Bearer s3cret"},
			{Key: "x-api-key", Value: "k-123"},
			{Key: "X-Multi", Value: "one"},
			{Key: "X-Multi", Value: "two"},
			{Key: "X-Empty", Value: ""},
		},
	})
	require.NoError(t, err)
	require.Equal(t, Result{Status: 200, Values: map[string]string{}}, res)

	got := rec.got()
	require.Len(t, got, 1)
	require.Equal(t, "POST", got[0].Method)
	require.Equal(t, "/api/contacts/42?notify=yes&q=a%20b", got[0].URI)
	require.Equal(t, "name=Ann+Lee&phone=%2B6012", got[0].Body)
	h := got[0].Header
	require.Equal(t, "Bearer s3cret", h.Get("Authorization"))
	require.Equal(t, "k-123", h.Get("X-Api-Key"))
	require.Equal(t, []string{"one", "two"}, h.Values("X-Multi"))
	require.Equal(t, []string{""}, h.Values("X-Empty"))
	require.Equal(t, "application/x-www-form-urlencoded", h.Get("Content-Type"))
	require.Equal(t, "ChatCenter-Flows/1", h.Get("User-Agent"))
	require.Equal(t, strconv.Itoa(len("name=Ann+Lee&phone=%2B6012")), h.Get("Content-Length"))
}

func TestMethodsBodiesAndDefaults(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, reply(204, "", ""))
	c := NewClient(loopback, 0)
	for _, tc := range []struct {
		name            string
		r               Request
		wantBody, wantC string
		wantUA          string
	}{
		{"put, default content type", Request{Method: "PUT", Body: `{"a":1}`}, `{"a":1}`, "application/json", UserAgent},
		{"patch", Request{Method: "PATCH", Body: `{"b":2}`, ContentType: "application/merge-patch+json"}, `{"b":2}`, "application/merge-patch+json", UserAgent},
		{"delete with a body", Request{Method: "DELETE", Body: `{"id":7}`}, `{"id":7}`, "application/json", UserAgent},
		{"delete without", Request{Method: "DELETE"}, "", "", UserAgent},
		{"post without a body has no content type", Request{Method: "POST", ContentType: "text/plain"}, "", "", UserAgent},
		{"get ignores its body", Request{Method: "GET", Body: "ignored"}, "", "", UserAgent},
		{"headers replace content type and user agent", Request{Method: "POST", Body: "<x/>", ContentType: "text/plain",
			Headers: []flows.Header{{Key: "content-type", Value: "application/xml"}, {Key: "User-Agent", Value: "Acme/2"}}},
			"<x/>", "application/xml", "Acme/2"},
	} {
		tc.r.URL = rec.srv.URL + "/m"
		res, err := Do(t.Context(), c, tc.r)
		require.NoError(t, err, tc.name)
		require.Equal(t, 204, res.Status, tc.name)
		require.Empty(t, res.Err, tc.name)
		got := rec.got()
		last := got[len(got)-1]
		require.Equal(t, tc.r.Method, last.Method, tc.name)
		require.Equal(t, tc.wantBody, last.Body, tc.name)
		require.Equal(t, tc.wantC, last.Header.Get("Content-Type"), tc.name)
		require.Len(t, last.Header.Values("Content-Type"), min(1, len(tc.wantC)), tc.name)
		require.Equal(t, []string{tc.wantUA}, last.Header.Values("User-Agent"), tc.name)
	}
}

const contactJSON = `{
	"phone": "+6012345678",
	"custom_fields": {"phone": "+6099", "score": 12.50, "vip": false, "note": null},
	"data": {"contacts": [{"firstName": "Ann"}, {"firstName": "Bob", "tags": ["x", "y"]}]},
	"id": 12345678901234567890
}`

func TestResponseMappings(t *testing.T) {
	t.Parallel()
	mappings := []flows.ResponseMapping{
		{JSONPath: "$.phone", Variable: "phone"},
		{JSONPath: "$.custom_fields.phone", Variable: "cf_phone"},
		{JSONPath: "$.data.contacts[1].firstName", Variable: "second"},
		{JSONPath: "$.data.contacts[-1].tags", Variable: "tags"},
		{JSONPath: "$.custom_fields.score", Variable: "score"},
		{JSONPath: "$.custom_fields.vip", Variable: "vip"},
		{JSONPath: "$.custom_fields.note", Variable: "note"},
		{JSONPath: "$.id", Variable: "id"},
		{JSONPath: "$.data.contacts[0].tags", Variable: "missing_nested"},
		{JSONPath: "$.data.contacts[5]", Variable: "missing_index"},
	}
	for _, tc := range []struct {
		name, contentType, body string
		want                    map[string]string
	}{
		{"json", "application/json; charset=utf-8", contactJSON, map[string]string{
			"phone": "+6012345678", "cf_phone": "+6099", "second": "Bob", "tags": `["x","y"]`,
			"score": "12.50", "vip": "false", "note": "", "id": "12345678901234567890",
		}},
		// What the body is counts, not what it claims to be.
		{"json labelled text", "text/plain", `{"phone": "+1"}`, map[string]string{"phone": "+1"}},
		{"not json", "text/html", "<html>hello</html>", map[string]string{}},
		{"json followed by garbage", "application/json", `{"phone": "+1"} trailing`, map[string]string{}},
		{"empty body", "application/json", "", map[string]string{}},
		{"a json scalar", "application/json", `"just a string"`, map[string]string{}},
	} {
		rec := newRecorder(t, reply(200, tc.contentType, tc.body))
		res, err := Do(t.Context(), NewClient(loopback, 0), Request{Method: "GET", URL: rec.srv.URL, Mappings: mappings})
		require.NoError(t, err, tc.name)
		require.Equal(t, Result{Status: 200, Values: tc.want}, res, tc.name)
	}
}

func TestStatusIsKept(t *testing.T) {
	t.Parallel()
	c := NewClient(loopback, 0)
	mappings := []flows.ResponseMapping{{JSONPath: "$.id", Variable: "id"}}
	for _, tc := range []struct {
		status  int
		wantErr string
	}{
		{200, ""},
		{201, ""},
		{204, ""},
		{301, "the server answered 301 Moved Permanently"}, // a redirect without Location ends there
		{400, "the server answered 400 Bad Request"},
		{404, "the server answered 404 Not Found"},
		{422, "the server answered 422 Unprocessable Entity"},
		{500, "the server answered 500 Internal Server Error"},
		{503, "the server answered 503 Service Unavailable"},
	} {
		body := `{"id": "7", "error": "token s3cret expired"}`
		if tc.status == 204 {
			body = ""
		}
		rec := newRecorder(t, reply(tc.status, "application/json", body))
		res, err := Do(t.Context(), c, Request{Method: "POST", URL: rec.srv.URL, Body: "{}", Mappings: mappings,
			Headers: []flows.Header{{Key: "Authorization", Value: "Bearer hunter2"}}})
		require.NoError(t, err, tc.status)
		require.Equal(t, tc.status, res.Status)
		require.Equal(t, tc.wantErr, res.Err)
		switch {
		case tc.status == 204:
			require.Empty(t, res.Values)
		case tc.wantErr == "":
			require.Equal(t, map[string]string{"id": "7"}, res.Values)
		default:
			// A failed answer maps nothing, and its body and the request's secrets stay out of Err.
			require.Empty(t, res.Values)
			require.NotContains(t, res.Err, "s3cret")
			require.NotContains(t, res.Err, "hunter2")
		}
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow-body" {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(200)
			_, _ = io.WriteString(w, `{"partial":`)
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	c := NewClient(loopback, 200*time.Millisecond)

	res, err := Do(t.Context(), c, Request{Method: "GET", URL: rec.srv.URL + "/slow-headers"})
	require.NoError(t, err)
	require.Equal(t, Result{Values: map[string]string{}, Err: "timed out: no complete answer within 200ms"}, res)

	res, err = Do(t.Context(), c, Request{Method: "GET", URL: rec.srv.URL + "/slow-body",
		Mappings: []flows.ResponseMapping{{JSONPath: "$.partial", Variable: "p"}}})
	require.NoError(t, err)
	require.Equal(t, Result{Status: 200, Values: map[string]string{}, Err: "reading the response: timed out: no complete answer within 200ms"}, res)

	// The caller's deadline is a timeout too.
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	res, err = Do(ctx, NewClient(loopback, time.Minute), Request{Method: "GET", URL: rec.srv.URL + "/slow-headers"})
	require.NoError(t, err)
	require.Equal(t, "timed out", res.Err)
	require.Zero(t, res.Status)
}

func TestCanceledContextIsAnError(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-started
		cancel()
	}()
	res, err := Do(ctx, NewClient(loopback, time.Minute), Request{Method: "GET", URL: rec.srv.URL})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, "canceled", res.Err)
	require.Zero(t, res.Status)
}

func TestResponseSizeLimit(t *testing.T) {
	t.Parallel()
	// A JSON string of exactly MaxResponseBytes bytes, quotes included.
	exact := `"` + strings.Repeat("a", MaxResponseBytes-2) + `"`
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/exact":
			_, _ = io.WriteString(w, exact)
		case "/declared": // Content-Length says it up front
			w.Header().Set("Content-Length", strconv.Itoa(MaxResponseBytes+1))
			_, _ = io.WriteString(w, exact+" ")
		case "/streamed": // chunked: only reading finds out
			w.(http.Flusher).Flush()
			for range 17 {
				_, _ = io.WriteString(w, strings.Repeat(" ", 64<<10))
			}
		case "/large-error":
			w.WriteHeader(500)
			_, _ = io.WriteString(w, strings.Repeat("e", 2*MaxResponseBytes))
		}
	})
	c := NewClient(loopback, 0)
	mapping := []flows.ResponseMapping{{JSONPath: "$", Variable: "all"}}

	res, err := Do(t.Context(), c, Request{Method: "GET", URL: rec.srv.URL + "/exact", Mappings: mapping})
	require.NoError(t, err)
	require.Empty(t, res.Err)
	require.Len(t, res.Values["all"], MaxResponseBytes-2)

	for _, path := range []string{"/declared", "/streamed"} {
		res, err = Do(t.Context(), c, Request{Method: "GET", URL: rec.srv.URL + path, Mappings: mapping})
		require.NoError(t, err, path)
		require.Equal(t, Result{Status: 200, Values: map[string]string{}, Err: "response larger than 1 MiB"}, res, path)
	}

	res, err = Do(t.Context(), c, Request{Method: "GET", URL: rec.srv.URL + "/large-error"})
	require.NoError(t, err)
	require.Equal(t, Result{Status: 500, Values: map[string]string{}, Err: "the server answered 500 Internal Server Error"}, res)
}

func TestInternalAddressesAreRefusedWithoutConnecting(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, reply(200, "application/json", `{"secret": "metadata"}`))
	mapping := []flows.ResponseMapping{{JSONPath: "$.secret", Variable: "s"}}
	_, port, err := net.SplitHostPort(rec.srv.Listener.Addr().String())
	require.NoError(t, err)

	for _, tc := range []struct {
		url, want string
	}{
		{rec.srv.URL + "/x", "address not allowed: 127.0.0.1 is in 127.0.0.0/8 (internal addresses are refused)"},
		{"http://localhost:" + port + "/x", "address not allowed: "},
		{"http://[::1]:" + port + "/x", "address not allowed: ::1 is in ::1/128"},
		{"http://10.0.0.1/api", "address not allowed: 10.0.0.1 is in 10.0.0.0/8"},
		{"http://169.254.169.254/latest/meta-data/", "address not allowed: 169.254.169.254 is in 169.254.0.0/16"},
		{"https://169.254.169.254/latest/meta-data/", "address not allowed: 169.254.169.254 is in 169.254.0.0/16"},
	} {
		for _, c := range []*http.Client{NewClient(nil, 0), nil} {
			res, err := Do(t.Context(), c, Request{Method: "POST", URL: tc.url, Body: "{}", Mappings: mapping})
			require.NoError(t, err, tc.url)
			require.Zero(t, res.Status, tc.url)
			require.Empty(t, res.Values, tc.url)
			require.Contains(t, res.Err, tc.want, tc.url)
		}
	}

	// A request that may connect is then the server's first connection and request: the refused
	// ones never reached it (connections are accepted in order).
	res, err := Do(t.Context(), NewClient(loopback, 0), Request{Method: "GET", URL: rec.srv.URL + "/allowed", Mappings: mapping})
	require.NoError(t, err)
	require.Equal(t, Result{Status: 200, Values: map[string]string{"s": "metadata"}}, res)
	require.Equal(t, int32(1), rec.conns.Load())
	got := rec.got()
	require.Len(t, got, 1)
	require.Equal(t, "/allowed", got[0].URI)
}

func TestRedirects(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/internal":
			http.Redirect(w, r, "http://10.0.0.1/admin", http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/hop/"):
			n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
			if n == 0 {
				_, _ = io.WriteString(w, `{"done": true}`)
				return
			}
			http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
		}
	})
	c := NewClient(loopback, 0)
	mapping := []flows.ResponseMapping{{JSONPath: "$.done", Variable: "done"}}

	res, err := Do(t.Context(), c, Request{Method: "GET", URL: rec.srv.URL + "/hop/3", Mappings: mapping})
	require.NoError(t, err)
	require.Equal(t, Result{Status: 200, Values: map[string]string{"done": "true"}}, res)

	res, err = Do(t.Context(), c, Request{Method: "GET", URL: rec.srv.URL + "/hop/4", Mappings: mapping})
	require.NoError(t, err)
	require.Equal(t, Result{Status: 302, Values: map[string]string{}, Err: "too many redirects (more than 3)"}, res)

	// Every hop is checked: a public-looking server may not bounce the request inside.
	res, err = Do(t.Context(), c, Request{Method: "GET", URL: rec.srv.URL + "/internal"})
	require.NoError(t, err)
	require.Zero(t, res.Status)
	require.Contains(t, res.Err, "address not allowed: 10.0.0.1 is in 10.0.0.0/8")
}

func TestNetworkErrors(t *testing.T) {
	t.Parallel()
	// A port nobody listens on any more.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	res, err := Do(t.Context(), NewClient(loopback, 0), Request{Method: "GET", URL: "http://" + addr + "/"})
	require.NoError(t, err)
	require.Equal(t, Result{Values: map[string]string{}, Err: "connection refused by the server"}, res)

	// A server that hangs up without answering.
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	})
	res, err = Do(t.Context(), NewClient(loopback, 0), Request{Method: "GET", URL: rec.srv.URL})
	require.NoError(t, err)
	require.Equal(t, Result{Values: map[string]string{}, Err: "the server closed the connection"}, res)
}

func TestInvalidRequestsAreNotSent(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, reply(200, "", ""))
	c := NewClient(loopback, 0)
	ok := func() Request { return Request{Method: "POST", URL: rec.srv.URL, Body: "{}"} }
	tooMany := make([]flows.Header, 11)
	for i := range tooMany {
		tooMany[i] = flows.Header{Key: fmt.Sprintf("X-H%d", i), Value: "v"}
	}
	for _, tc := range []struct {
		edit func(*Request)
		want string
	}{
		{func(r *Request) { r.Method = "get" }, `method "get" is not one of GET, POST, PUT, PATCH, DELETE`},
		{func(r *Request) { r.Method = "TRACE" }, `method "TRACE" is not one of`},
		{func(r *Request) { r.Method = "" }, `method "" is not one of`},
		{func(r *Request) { r.URL = "" }, "the URL must start with http:// or https://"},
		{func(r *Request) { r.URL = "ftp://files.example/x" }, "the URL must start with http:// or https://"},
		{func(r *Request) { r.URL = "/api/contacts" }, "the URL must start with http:// or https://"},
		{func(r *Request) { r.URL = "http:///path" }, "the URL has no host"},
		{func(r *Request) { r.URL = "https://:443/x" }, "the URL has no host"},
		{func(r *Request) { r.URL = "http://exa mple.com/?key=k3y" }, "the URL is not valid: invalid character"},
		{func(r *Request) { r.Headers = []flows.Header{{Key: "Host", Value: "internal"}} }, "header Host cannot be set"},
		{func(r *Request) { r.Headers = []flows.Header{{Key: "content-length", Value: "5"}} }, "header Content-Length cannot be set"},
		{func(r *Request) { r.Headers = []flows.Header{{Key: "Transfer-Encoding", Value: "chunked"}} }, "header Transfer-Encoding cannot be set"},
		{func(r *Request) { r.Headers = []flows.Header{{Key: "Connection", Value: "close"}} }, "header Connection cannot be set"},
		{func(r *Request) { r.Headers = []flows.Header{{Key: "Bad Name", Value: "v"}} }, `header #1: "Bad Name" is not a valid header name`},
		{func(r *Request) { r.Headers = []flows.Header{{Key: "", Value: "v"}} }, `header #1: "" is not a valid header name`},
		{func(r *Request) {
			r.Headers = []flows.Header{{Key: "X-Ok", Value: "1"}, {Key: "X-Token", Value: "k3y\r\nX-Injected: 1"}}
		}, "header X-Token: the value contains a line break"},
		{func(r *Request) { r.ContentType = "text/plain\nX-Injected: 1" }, "the content type contains a line break"},
		{func(r *Request) { r.Headers = tooMany }, "at most 10 headers (got 11)"},
		{func(r *Request) {
			r.Mappings = make([]flows.ResponseMapping, 11)
		}, "at most 10 response mappings (got 11)"},
		{func(r *Request) {
			r.Mappings = []flows.ResponseMapping{{JSONPath: "$.a", Variable: "a"}, {JSONPath: "$..b", Variable: "b"}}
		}, `response mapping #2: invalid JSONPath "$..b": recursive descent (..) is not supported at character 2`},
		{func(r *Request) { r.Mappings = []flows.ResponseMapping{{JSONPath: "$.a"}} }, "response mapping #1 has no variable"},
	} {
		r := ok()
		tc.edit(&r)
		res, err := Do(t.Context(), c, r)
		require.ErrorIs(t, err, ErrInvalidRequest, tc.want)
		require.Contains(t, res.Err, tc.want)
		require.Contains(t, err.Error(), tc.want)
		require.NotContains(t, res.Err, "k3y", "a secret is echoed")
		require.Zero(t, res.Status)
		require.Empty(t, res.Values)
	}
	require.Empty(t, rec.got())
	require.Zero(t, rec.conns.Load())

	// The valid request the cases started from does go through.
	res, err := Do(t.Context(), c, ok())
	require.NoError(t, err)
	require.Equal(t, 200, res.Status)
	require.True(t, errors.Is(fmt.Errorf("x: %w", ErrInvalidRequest), ErrInvalidRequest))
}

func TestNewClientDefaults(t *testing.T) {
	t.Parallel()
	require.Equal(t, DefaultTimeout, NewClient(nil, 0).Timeout)
	require.Equal(t, 3*time.Second, NewClient(nil, 3*time.Second).Timeout)
}

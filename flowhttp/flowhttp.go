// Package flowhttp runs a flow's HTTP Request step: it sends the request an admin configured
// (variables already rendered) through a client that refuses internal addresses, and turns the
// answer into a status, variables from the response mappings, and a reason when the step fails.
//
// Nothing here logs: header values and bodies often carry API keys and personal data.
package flowhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/chatcenterhq/chatcenter/flows"
	"github.com/chatcenterhq/chatcenter/httpguard"
	"github.com/chatcenterhq/chatcenter/jsonpath"
)

const (
	// UserAgent identifies the product to the APIs flows call; a User-Agent header in the step
	// replaces it.
	UserAgent = "ChatCenter-Flows/1"
	// DefaultContentType is sent with a body when the step names no content type.
	DefaultContentType = "application/json"
	// DefaultTimeout bounds a whole request, redirects and reading the answer included.
	DefaultTimeout = 10 * time.Second
	// MaxRedirects is how many redirects are followed; every hop is dialled through the guard.
	MaxRedirects = 3
	// MaxResponseBytes is the largest answer read; a larger one fails the step.
	MaxResponseBytes = 1 << 20
)

// Methods are the methods a step may use.
var Methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// ErrInvalidRequest is returned (wrapped) by Do when the step itself is malformed, before any
// connection is made.
var ErrInvalidRequest = errors.New("invalid HTTP request step")

// managedHeaders are set by the HTTP client from the URL and the body, or concern the
// connection rather than the request; a step that sets one is invalid rather than silently
// changed, so the admin sees why.
var managedHeaders = []string{
	"Host", "Content-Length", "Transfer-Encoding", "Connection",
	"Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Upgrade",
}

// Request is one HTTP Request step with its variables rendered.
type Request struct {
	Method, URL, ContentType, Body string
	Headers                        []flows.Header
	Mappings                       []flows.ResponseMapping
}

// Result is what the step produced.
type Result struct {
	Status int               // 0 when no response
	Values map[string]string // variable name -> value, for mappings that matched (never nil)
	Err    string            // why the step failed ("" on a 2xx answer), readable by an admin
}

// NewClient returns the guarded client steps use: internal addresses are refused except those
// in allow, at most MaxRedirects redirects are followed, and timeout (DefaultTimeout when 0)
// bounds each request.
func NewClient(allow []netip.Prefix, timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c := httpguard.NewClient(httpguard.Options{Allow: allow, Timeout: timeout})
	// httpguard's MaxRedirects counts requests (len(via)), so it follows one redirect fewer than
	// its value; counting here keeps "at most 3 redirects" exact. Each hop is still dialled
	// through the guard.
	c.CheckRedirect = func(_ *http.Request, via []*http.Request) error {
		if len(via) > MaxRedirects {
			return fmt.Errorf("too many redirects (more than %d)", MaxRedirects)
		}
		return nil
	}
	return c
}

// defaultClient serves callers that pass no client: guarded, never http.DefaultClient.
var defaultClient = NewClient(nil, 0)

// Do runs the request with c (NewClient's; nil means NewClient(nil, 0)).
//
// A step that fails at run time — a refused address, a network error, a timeout, too many
// redirects, a non-2xx status, an answer over MaxResponseBytes — gives a Result whose Err says
// why, and a nil error: the flow takes its failure branch. Status is kept whenever an answer
// came, so it can be saved for 4xx/5xx too.
//
// The error is non-nil in two cases, both before or instead of a verdict on the remote side:
//   - the step is malformed (method, URL, header, response mapping): the error wraps
//     ErrInvalidRequest, Result.Err holds the same reason, and nothing is sent;
//   - ctx was canceled (the run is being stopped): the error wraps context.Canceled. A ctx
//     deadline, by contrast, is a timeout like the client's own.
//
// The body is sent with every method but GET, whose body is ignored; its Content-Type is
// ContentType (DefaultContentType when empty) unless the headers name one. Headers are sent as
// configured (repeated keys send several values); User-Agent defaults to UserAgent. Host,
// Content-Length, Transfer-Encoding, Connection and the other hop-by-hop headers (Keep-Alive,
// Proxy-Connection, TE, Trailer, Upgrade) make the step invalid rather than being dropped.
//
// Mappings apply to a 2xx answer whose body parses as one JSON value, whatever its declared
// Content-Type; a mapping whose path does not match leaves its variable unset. A 2xx body that
// is not JSON (or is empty) sets no variable and is still a success.
func Do(ctx context.Context, c *http.Client, r Request) (Result, error) {
	if c == nil {
		c = defaultClient
	}
	req, paths, err := build(ctx, r)
	if err != nil {
		return Result{Values: map[string]string{}, Err: err.Error()}, fmt.Errorf("%w: %s", ErrInvalidRequest, err)
	}

	res := Result{Values: map[string]string{}}
	resp, err := c.Do(req)
	if err != nil {
		if resp != nil { // too many redirects: the last answer is known, its body closed
			res.Status = resp.StatusCode
		}
		return failed(ctx, c, res, "", err)
	}
	defer resp.Body.Close()
	res.Status = resp.StatusCode

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Drained (within the limit) so the connection can be reused; never shown.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponseBytes))
		res.Err = fmt.Sprintf("the server answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		return res, nil
	}
	if resp.ContentLength > MaxResponseBytes {
		res.Err = "response larger than 1 MiB"
		return res, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return failed(ctx, c, res, "reading the response: ", err)
	}
	if len(body) > MaxResponseBytes {
		res.Err = "response larger than 1 MiB"
		return res, nil
	}
	if len(paths) == 0 {
		return res, nil
	}
	doc, ok := decodeJSON(body)
	if !ok {
		return res, nil
	}
	for i, p := range paths {
		if v, ok := p.Lookup(doc); ok {
			res.Values[r.Mappings[i].Variable] = jsonpath.Text(v)
		}
	}
	return res, nil
}

// build checks the step and makes its request; paths are the compiled mappings, in order.
func build(ctx context.Context, r Request) (*http.Request, []jsonpath.Path, error) {
	if !slices.Contains(Methods, r.Method) {
		return nil, nil, fmt.Errorf("method %q is not one of %s", r.Method, strings.Join(Methods, ", "))
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		// The inner error only: the URL may carry a key in its query.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("the URL is not valid: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, nil, errors.New("the URL must start with http:// or https://")
	}
	if u.Hostname() == "" {
		return nil, nil, errors.New("the URL has no host")
	}
	if len(r.Headers) > flows.MaxHTTPHeaders {
		return nil, nil, fmt.Errorf("at most %d headers (got %d)", flows.MaxHTTPHeaders, len(r.Headers))
	}
	if len(r.Mappings) > flows.MaxResponseMappings {
		return nil, nil, fmt.Errorf("at most %d response mappings (got %d)", flows.MaxResponseMappings, len(r.Mappings))
	}

	h := http.Header{}
	for i, hd := range r.Headers {
		if !validHeaderName(hd.Key) {
			return nil, nil, fmt.Errorf("header #%d: %q is not a valid header name", i+1, hd.Key)
		}
		key := http.CanonicalHeaderKey(hd.Key)
		if slices.Contains(managedHeaders, key) {
			return nil, nil, fmt.Errorf("header %s cannot be set: the HTTP client sets it", key)
		}
		if !validHeaderValue(hd.Value) {
			// Never echo the value: it may be a secret.
			return nil, nil, fmt.Errorf("header %s: the value contains a line break or a control character", key)
		}
		h.Add(key, hd.Value)
	}
	if h.Get("User-Agent") == "" {
		h.Set("User-Agent", UserAgent)
	}

	paths := make([]jsonpath.Path, len(r.Mappings))
	for i, m := range r.Mappings {
		if m.Variable == "" {
			return nil, nil, fmt.Errorf("response mapping #%d has no variable", i+1)
		}
		if paths[i], err = jsonpath.Compile(m.JSONPath); err != nil {
			return nil, nil, fmt.Errorf("response mapping #%d: %w", i+1, err)
		}
	}

	var body io.Reader
	if r.Body != "" && r.Method != http.MethodGet {
		body = strings.NewReader(r.Body)
		if h.Get("Content-Type") == "" {
			ct := r.ContentType
			if ct == "" {
				ct = DefaultContentType
			}
			if !validHeaderValue(ct) {
				return nil, nil, errors.New("the content type contains a line break or a control character")
			}
			h.Set("Content-Type", ct)
		}
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot make the request: %v", err)
	}
	req.Header = h
	return req, paths, nil
}

// failed fills res.Err from a transport error; see Do for when an error is returned instead.
func failed(ctx context.Context, c *http.Client, res Result, prefix string, err error) (Result, error) {
	if errors.Is(ctx.Err(), context.Canceled) {
		res.Err = prefix + "canceled"
		return res, fmt.Errorf("http request step: %w", ctx.Err())
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		res.Err = prefix + "timed out"
		return res, nil
	}
	res.Err = prefix + describe(err, c.Timeout)
	return res, nil
}

// describe says in an admin's words why a request failed. Go's transport errors hold no
// header values or bodies; the URL is left out (its query may hold a key).
func describe(err error, timeout time.Duration) string {
	var (
		dnsErr *net.DNSError
		netErr net.Error
		urlErr *url.Error
	)
	switch {
	case errors.Is(err, httpguard.ErrForbiddenAddress):
		return forbidden(err)
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		if timeout > 0 {
			return fmt.Sprintf("timed out: no complete answer within %s", timeout)
		}
		return "timed out"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return fmt.Sprintf("host %s not found", dnsErr.Name)
		}
		return fmt.Sprintf("cannot resolve host %s", dnsErr.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused by the server"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return "the server closed the connection"
	case errors.As(err, &urlErr):
		return urlErr.Err.Error()
	}
	return err.Error()
}

// forbidden keeps the guard's own explanation ("address not allowed: 10.0.0.1 is in
// 10.0.0.0/8"), dropping the dial and URL context around it.
func forbidden(err error) string {
	const refused = " (internal addresses are refused)"
	msg := ""
	for e := err; e != nil; e = errors.Unwrap(e) {
		if e == httpguard.ErrForbiddenAddress {
			if msg == "" {
				break
			}
			return msg + refused
		}
		msg = e.Error()
	}
	// Not reached through single wrapping: the outer texts name the URL, so say less.
	return httpguard.ErrForbiddenAddress.Error() + refused
}

// decodeJSON parses body as exactly one JSON value, numbers kept as written.
func decodeJSON(body []byte) (any, bool) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return nil, false
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, false
	}
	return doc, true
}

// validHeaderName reports whether s is an HTTP token (RFC 9110 §5.6.2).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue refuses control characters (tab aside), which would split or corrupt the
// header block.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

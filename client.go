package aione

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Version is the SDK's version, sent in the User-Agent header.
const Version = "0.1.0"

const userAgent = "aione-go/" + Version

// attemptHeader tells the server which attempt a request is: 1 for the
// first, 2 for the first retry, and so on.
const attemptHeader = "X-Aione-Attempt"

// Client calls AIone's chat completions API. Create one with [NewClient]
// and reuse it: it holds no per-call state and pools its connections.
//
// A Client is safe for concurrent use by multiple goroutines.
type Client struct {
	defaults settings
	endpoint string // defaults.baseURL + "/chat/completions"
}

// NewClient returns a Client configured by opts, which become the defaults
// for every call. With no options it reads the API key from AIONE_API_KEY
// and the base URL from AIONE_BASE_URL (else [DefaultBaseURL]).
//
// It reports invalid options, a base URL that is not http or https, and a
// missing API key ([ErrMissingAPIKey]) when the base URL is AIone's as an
// error; it never panics. A client for another base URL, such as a local
// gateway, may have no key: it then sends no Authorization header.
func NewClient(opts ...Option) (*Client, error) {
	s := settings{
		baseURL:       DefaultBaseURL,
		maxRetries:    DefaultMaxRetries,
		minBackoff:    DefaultMinBackoff,
		maxBackoff:    DefaultMaxBackoff,
		maxRetryAfter: DefaultMaxRetryAfter,
	}
	if k := os.Getenv("AIONE_API_KEY"); k != "" {
		s.key = newSecret(k)
	}
	if u := os.Getenv("AIONE_BASE_URL"); u != "" {
		s.baseURL = u
	}
	s = s.with(opts)
	if s.httpClient == nil {
		s.httpClient = defaultHTTPClient
	}
	return newClient(s)
}

// newClient checks s and returns a Client with s as its defaults.
func newClient(s settings) (*Client, error) {
	s.baseURL = trimEndpoint(s.baseURL)
	if err := s.check(); err != nil {
		return nil, err
	}
	return &Client{defaults: s, endpoint: endpoint(s.baseURL, chatPath)}, nil
}

// With returns a new Client whose defaults are c's with opts applied on
// top, as if they had been given to [NewClient] after c's own. The new
// client shares c's HTTP client, and so its connection pool; c is not
// changed. Use it for a tenant's header, another key or another base URL
// without a second pool.
func (c *Client) With(opts ...Option) (*Client, error) {
	return newClient(c.defaults.with(opts))
}

// errNoClient is the error of every call on a Client not made by
// NewClient.
var errNoClient = errors.New("aione: the Client was not created with NewClient")

// String describes the client without its credentials.
func (c *Client) String() string {
	if c == nil {
		return "aione.Client(nil)"
	}
	return fmt.Sprintf("aione.Client{BaseURL: %q, APIKey: %s}", c.defaults.baseURL, c.defaults.key)
}

// GoString describes the client without its credentials.
func (c *Client) GoString() string { return c.String() }

// BaseURL returns the base URL the client sends to.
func (c *Client) BaseURL() string {
	if c == nil {
		return ""
	}
	return c.defaults.baseURL
}

// call holds what one Chat or ChatStream call resolved from its options.
type call struct {
	settings
	endpoint string
	req      *ChatRequest // the request as first sent
	model    string       // the model asked: req.Model or a fallback
	next     int          // how many fallback models were moved to
	obs      *observer    // nil when the call has no hooks
}

// newCall merges the client's defaults with a call's options.
func (c *Client) newCall(opts []Option) (*call, error) {
	if c == nil || c.endpoint == "" {
		return nil, errNoClient
	}
	if len(opts) == 0 {
		return &call{settings: c.defaults, endpoint: c.endpoint}, nil
	}
	s := c.defaults.with(opts)
	ep := c.endpoint
	if s.baseURL != c.defaults.baseURL {
		s.baseURL = trimEndpoint(s.baseURL)
		ep = endpoint(s.baseURL, chatPath)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	return &call{settings: s, endpoint: ep}, nil
}

// Paths of the API below the base URL.
const (
	chatPath   = "/chat/completions"
	modelsPath = "/models"
)

// endpoint returns the URL of path below base: path is appended to base's
// path, and base's query (an Azure-style ?api-version=) is kept.
func endpoint(base, path string) string {
	u, err := url.Parse(base)
	if err != nil {
		return strings.TrimRight(base, "/") + path // check reports it
	}
	u.Path = strings.TrimRight(u.Path, "/") + path
	if u.RawPath != "" {
		u.RawPath = strings.TrimRight(u.RawPath, "/") + path
	}
	return u.String()
}

// trimEndpoint removes a "/chat/completions" suffix pasted at the end of a
// base URL's path, keeping its query: such a URL names the endpoint, and
// its base is what is left.
func trimEndpoint(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	p := strings.TrimRight(u.Path, "/")
	if !strings.HasSuffix(p, chatPath) {
		return base
	}
	u.Path = strings.TrimSuffix(p, chatPath)
	u.RawPath = ""
	return u.String()
}

// needsKey reports whether base is AIone's own API, which answers nothing
// without a key.
func needsKey(base string) bool {
	u, err := url.Parse(base)
	if err != nil {
		return true
	}
	def, _ := url.Parse(DefaultBaseURL)
	host := u.Hostname()
	return host == def.Hostname() || strings.HasSuffix(host, "."+strings.TrimPrefix(def.Hostname(), "api."))
}

func checkBaseURL(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("aione: invalid base URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("aione: base URL %q: scheme must be http or https", base)
	}
	if u.Host == "" {
		return fmt.Errorf("aione: base URL %q has no host", base)
	}
	if u.User != nil {
		return errors.New("aione: base URL must not hold credentials: use WithAPIKey")
	}
	return nil
}

// target is what a call sends: a method, a URL and a body, which every
// attempt sends again.
type target struct {
	method string
	url    string
	body   []byte // nil for a GET
	stream bool   // the answer is an event stream
}

// send posts body to the chat completions endpoint; see sendTo.
func (c *call) send(ctx context.Context, body []byte, stream bool, from resume) (*http.Response, int, error) {
	return c.sendTo(ctx, target{method: http.MethodPost, url: c.endpoint, body: body, stream: stream}, from)
}

// sendTo sends t through the middleware, retrying as retry.go decides, and
// returns the first 2xx response and the number of the last attempt. Every
// call shares it; nothing else talks to the network. The caller closes the
// response body.
func (c *call) sendTo(ctx context.Context, t target, from resume) (*http.Response, int, error) {
	return c.retry(ctx, from, func(attempt int) (*http.Response, error) {
		actx, done := c.attemptContext(ctx)
		req, err := c.newRequest(actx, t, attempt)
		if err != nil {
			done(nil, err)
			return nil, backoff.Permanent(err) // no attempt can fix it
		}
		start := time.Now()
		resp, err := c.do(req)
		if body, ok := req.Body.(*sentBodyReader); ok {
			body.body.release() // see body.go
		}
		resp, err = done(resp, err)
		c.logAttempt(ctx, req, resp, err, attempt, time.Since(start))
		if err == nil && resp != nil && resp.Body == nil && resp.StatusCode/100 == 2 {
			return nil, backoff.Permanent(fmt.Errorf("aione: HTTP client returned status %d with a nil Body", resp.StatusCode))
		}
		return resp, err
	})
}

func (c *call) newRequest(ctx context.Context, t target, attempt int) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, t.method, t.url, nil)
	if err != nil {
		return nil, fmt.Errorf("aione: %v", err)
	}
	if len(t.body) > 0 {
		body := newSentBody(t.body)
		req.Body = body.reader()
		req.GetBody = func() (io.ReadCloser, error) { return body.reader(), nil }
		req.ContentLength = int64(len(t.body))
	}
	h := req.Header
	for k, v := range c.header {
		h[k] = v
	}
	if c.hasKey() {
		h.Set("Authorization", "Bearer "+c.key.value())
	}
	if t.body != nil {
		h.Set("Content-Type", "application/json")
	}
	if t.stream {
		h.Set("Accept", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
	} else {
		h.Set("Accept", "application/json")
	}
	if h.Get("User-Agent") == "" {
		h.Set("User-Agent", userAgent)
	}
	h.Set(attemptHeader, strconv.Itoa(attempt))
	return req, nil
}

func (c *call) logAttempt(ctx context.Context, req *http.Request, resp *http.Response, err error, attempt int, latency time.Duration) {
	if c.logger == nil || !c.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", req.Method),
		slog.String("path", req.URL.Path),
		slog.Int("attempt", attempt),
		slog.Duration("latency", latency),
	}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode), slog.String("request_id", clip(c.redact(requestID(resp.Header)), maxErrorField)))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", c.redact(err.Error())))
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "aione: http attempt", attrs...)
}

// logAnswer logs, at debug level, how a chat call ended: the model asked,
// the model that answered, the request ID and the token usage, or the
// error. answer is called only when the line is logged.
func (c *call) logAnswer(ctx context.Context, answer func() *ChatResponse, err error) {
	if c.logger == nil || !c.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{slog.String("model", c.model)}
	if r := answer(); r != nil {
		attrs = append(attrs, slog.String("response_model", r.Model), slog.String("request_id", r.RequestID))
		if r.Usage != nil {
			attrs = append(attrs, slog.Int("input_tokens", r.Usage.PromptTokens), slog.Int("output_tokens", r.Usage.CompletionTokens))
		}
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", c.redact(err.Error())))
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "aione: answer", attrs...)
}

// redact removes the API key from text that came from elsewhere, such as a
// transport error from a custom HTTPDoer.
func (s *settings) redact(text string) string {
	key := s.key.value()
	if len(key) < 4 {
		return text
	}
	return strings.ReplaceAll(text, key, redacted)
}

// defaultHTTPClient is shared by every Client that was not given one, so
// they share one connection pool.
var defaultHTTPClient = newDefaultHTTPClient()

func newDefaultHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		// A non-streaming answer's headers come only when the whole
		// answer is generated, so this is long; it still ends a server
		// that accepts and never answers.
		ResponseHeaderTimeout: 10 * time.Minute,
	}
	return &http.Client{Transport: t, CheckRedirect: checkRedirect}
}

// checkRedirect drops the API key from a redirect that leaves the host of
// the original request, and stops after 10 redirects.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("aione: stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme && via[0].URL.Scheme == "https" {
		req.Header.Del("Authorization")
	}
	return nil
}

// lateHeadersError is the error of an attempt whose response headers did
// not come within WithResponseHeaderTimeout. It matches
// context.DeadlineExceeded and is retried.
type lateHeadersError struct{ d time.Duration }

// Error returns the error text.
func (e *lateHeadersError) Error() string {
	return fmt.Sprintf("aione: no response headers within %v", e.d)
}

// Unwrap returns context.DeadlineExceeded.
func (e *lateHeadersError) Unwrap() error { return context.DeadlineExceeded }

// attemptContext returns the context of one attempt and what to call with
// the attempt's outcome. With WithResponseHeaderTimeout the context ends
// when the headers are late; the outcome is then that timeout. A response
// keeps the context alive until its body is closed.
func (c *call) attemptContext(ctx context.Context) (context.Context, func(*http.Response, error) (*http.Response, error)) {
	d := c.headerTimeout
	if d <= 0 {
		return ctx, func(resp *http.Response, err error) (*http.Response, error) { return resp, err }
	}
	actx, cancel := context.WithCancelCause(ctx)
	late := &lateHeadersError{d: d}
	t := time.AfterFunc(d, func() { cancel(late) })
	return actx, func(resp *http.Response, err error) (*http.Response, error) {
		if !t.Stop() && err == nil && resp != nil && resp.Body != nil {
			// The headers came as the timer fired: the body's context
			// is gone, so the attempt is late after all.
			_ = resp.Body.Close()
			resp, err = nil, late
		}
		if err != nil || resp == nil || resp.Body == nil {
			if ctx.Err() == nil && context.Cause(actx) == late {
				err = late
			}
			cancel(nil)
			return resp, err
		}
		resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
		return resp, nil
	}
}

// cancelOnClose ends an attempt's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelCauseFunc
}

// Close closes the body and ends the context.
func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel(nil)
	return err
}

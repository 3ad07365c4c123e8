package aione

import (
	"bytes"
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
// It reports invalid options, a missing API key ([ErrMissingAPIKey]) and a
// base URL that is not http or https as an error; it never panics.
func NewClient(opts ...Option) (*Client, error) {
	s := settings{
		baseURL:    DefaultBaseURL,
		maxRetries: DefaultMaxRetries,
		minBackoff: DefaultMinBackoff,
		maxBackoff: DefaultMaxBackoff,
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
	if err := s.check(); err != nil {
		return nil, err
	}
	return &Client{defaults: s, endpoint: endpoint(s.baseURL)}, nil
}

// String describes the client without its credentials.
func (c *Client) String() string {
	return fmt.Sprintf("aione.Client{BaseURL: %q, APIKey: %s}", c.defaults.baseURL, c.defaults.key)
}

// GoString describes the client without its credentials.
func (c *Client) GoString() string { return c.String() }

// BaseURL returns the base URL the client sends to.
func (c *Client) BaseURL() string { return c.defaults.baseURL }

// call holds what one Chat or ChatStream call resolved from its options.
type call struct {
	settings
	endpoint string
}

// newCall merges the client's defaults with a call's options.
func (c *Client) newCall(opts []Option) (*call, error) {
	if len(opts) == 0 {
		return &call{settings: c.defaults, endpoint: c.endpoint}, nil
	}
	s := c.defaults.with(opts)
	if err := s.check(); err != nil {
		return nil, err
	}
	ep := c.endpoint
	if s.baseURL != c.defaults.baseURL {
		ep = endpoint(s.baseURL)
	}
	return &call{settings: s, endpoint: ep}, nil
}

func endpoint(base string) string {
	return strings.TrimRight(base, "/") + "/chat/completions"
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

// send posts body to the chat completions endpoint, retrying as retry.go
// decides, and returns the first 2xx response and the number of the last
// attempt. Chat and ChatStream share it; nothing else talks to the network.
// The caller closes the response body.
func (c *call) send(ctx context.Context, body []byte, stream bool, from resume) (*http.Response, int, error) {
	return c.retry(ctx, from, func(attempt int) (*http.Response, error) {
		req, err := c.newRequest(ctx, body, stream, attempt)
		if err != nil {
			return nil, backoff.Permanent(err) // no attempt can fix it
		}
		start := time.Now()
		resp, err := c.httpClient.Do(req)
		c.logAttempt(ctx, req, resp, err, attempt, time.Since(start))
		return resp, err
	})
}

func (c *call) newRequest(ctx context.Context, body []byte, stream bool, attempt int) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("aione: %v", err)
	}
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	h := req.Header
	for k, v := range c.header {
		h[k] = v
	}
	h.Set("Authorization", "Bearer "+c.key.value())
	h.Set("Content-Type", "application/json")
	if stream {
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

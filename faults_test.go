package aione

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aione/aione-go/internal/localserver"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// The fault-injection suite: every test here talks to a local server on
// loopback through a transport with the default client's settings, and
// checks what the server saw (attempts numbered 1, 2, 3..., the same body
// every time, nothing more), what the caller got, that every response body
// was closed and that no goroutine was left behind.
//
// The tests are not parallel: they count goroutines and allocations.

// bodyCounter counts response bodies opened and closed.
type bodyCounter struct{ opened, closed atomic.Int64 }

// countingTransport wraps every response body so that bodyCounter sees it
// closed.
type countingTransport struct {
	base http.RoundTripper
	c    *bodyCounter
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil {
		t.c.opened.Add(1)
		resp.Body = &countedBody{ReadCloser: resp.Body, c: t.c}
	}
	return resp, err
}

type countedBody struct {
	io.ReadCloser
	once sync.Once
	c    *bodyCounter
}

func (b *countedBody) Close() error {
	b.once.Do(func() { b.c.closed.Add(1) })
	return b.ReadCloser.Close()
}

// faultEnv is a local server and a client for it, with the default
// client's transport settings, counted bodies and a recording retry hook.
type faultEnv struct {
	srv    *localserver.Server
	client *Client
	bodies bodyCounter

	mu      sync.Mutex
	retries []RetryInfo
}

// newFaultEnv starts the environment and registers the checks that run when
// the test ends: bodies closed, goroutines back to where they were.
func newFaultEnv(t *testing.T, opts ...Option) *faultEnv {
	t.Helper()
	before := runtime.NumGoroutine()
	env := &faultEnv{srv: localserver.New()}
	hc := newDefaultHTTPClient()
	tr := hc.Transport.(*http.Transport)
	hc.Transport = &countingTransport{base: tr, c: &env.bodies}
	all := append([]Option{
		WithBaseURL(env.srv.URL), WithAPIKey(localserver.DefaultAPIKey), WithHTTPClient(hc),
		WithBackoff(time.Millisecond, 5*time.Millisecond), WithRetryHook(env.hook),
	}, opts...)
	c, err := NewClient(all...)
	require.NoError(t, err)
	env.client = c
	t.Cleanup(func() {
		env.srv.Close()
		tr.CloseIdleConnections()
		if o, c := env.bodies.opened.Load(), env.bodies.closed.Load(); o != c {
			t.Errorf("%d response bodies opened, %d closed", o, c)
		}
		waitGoroutines(t, before)
	})
	return env
}

func (e *faultEnv) hook(info RetryInfo) {
	e.mu.Lock()
	e.retries = append(e.retries, info)
	e.mu.Unlock()
}

func (e *faultEnv) hooked() []RetryInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]RetryInfo(nil), e.retries...)
}

// checkAttempts checks that the server saw want requests, numbered 1 to
// want by their attempt header, with byte-identical bodies, and that the
// hook heard of every retry.
func (e *faultEnv) checkAttempts(t *testing.T, want int) {
	t.Helper()
	reqs := e.srv.Requests()
	var attempts []string
	for i, r := range reqs {
		attempts = append(attempts, r.Attempt)
		if !bytes.Equal(r.Body, reqs[0].Body) {
			t.Errorf("attempt %d sent another body:\n%s\nthan attempt 1:\n%s", i+1, r.Body, reqs[0].Body)
		}
		if auth := r.Header.Get("Authorization"); auth != reqs[0].Header.Get("Authorization") || !strings.HasPrefix(auth, "Bearer sk-") {
			t.Errorf("attempt %d sent Authorization %q, attempt 1 %q", i+1, auth, reqs[0].Header.Get("Authorization"))
		}
	}
	var wantAttempts []string
	for i := range want {
		wantAttempts = append(wantAttempts, strconv.Itoa(i+1))
	}
	if diff := cmp.Diff(wantAttempts, attempts); diff != "" {
		t.Errorf("attempt headers the server saw (-want +got):\n%s", diff)
	}
	hooks := e.hooked()
	if len(hooks) != want-1 {
		t.Errorf("retry hook called %d times, want %d", len(hooks), want-1)
	}
	for i, h := range hooks {
		if h.Attempt != i+1 || h.Err == nil {
			t.Errorf("retry %d: hook told attempt %d, error %v", i+1, h.Attempt, h.Err)
		}
	}
}

const faultPrompt = "fault suite"

// faultAnswer is what the local server answers to faultPrompt.
const faultAnswer = localserver.AnswerPrefix + faultPrompt

// faultCase is one scripted failure and what the caller and server see.
type faultCase struct {
	name    string
	faults  []localserver.Fault
	opts    []Option
	timeout time.Duration // a deadline on the caller's context, if positive
	want    int           // requests the server sees
	check   func(t *testing.T, env *faultEnv, text string, err error)
}

func wantAnswer(t *testing.T, _ *faultEnv, text string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("error %v, want the answer", err)
	}
	if text != faultAnswer {
		t.Errorf("answer %q, want %q", text, faultAnswer)
	}
}

// wantAPIError checks for an *APIError with this status and attempt count.
func wantAPIError(status, attempts int) func(*testing.T, *faultEnv, string, error) {
	return func(t *testing.T, _ *faultEnv, _ string, err error) {
		t.Helper()
		var apiErr *APIError
		if !errors.As(err, &apiErr) {
			t.Fatalf("error %v (%T), want an *APIError", err, err)
		}
		if apiErr.StatusCode != status || apiErr.Attempts != attempts {
			t.Errorf("status %d after %d attempts, want %d after %d", apiErr.StatusCode, apiErr.Attempts, status, attempts)
		}
		if !strings.HasPrefix(err.Error(), "aione: ") {
			t.Errorf("error %q lacks the aione: prefix", err)
		}
		if attempts > 1 && !strings.Contains(err.Error(), "attempts="+strconv.Itoa(attempts)) {
			t.Errorf("error %q does not say the attempts", err)
		}
	}
}

// wantTransportError checks for an error with no response: no *APIError, and the
// text naming the last attempt.
func wantTransportError(attempts int) func(*testing.T, *faultEnv, string, error) {
	return func(t *testing.T, _ *faultEnv, _ string, err error) {
		t.Helper()
		var apiErr *APIError
		if err == nil || errors.As(err, &apiErr) {
			t.Fatalf("error %v, want a transport error", err)
		}
		if want := "aione: attempt " + strconv.Itoa(attempts) + ": "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %q, want it to start with %q", err, want)
		}
	}
}

// wantWaitsWithin checks that the hook was told waits within [lo, hi], after
// running next.
func wantWaitsWithin(lo, hi time.Duration, next func(*testing.T, *faultEnv, string, error)) func(*testing.T, *faultEnv, string, error) {
	return func(t *testing.T, env *faultEnv, text string, err error) {
		t.Helper()
		next(t, env, text, err)
		for _, h := range env.hooked() {
			if h.Wait < lo || h.Wait > hi {
				t.Errorf("retry after attempt %d waits %v, want within [%v, %v]", h.Attempt, h.Wait, lo, hi)
			}
		}
	}
}

func faultStatus(code int, body string) localserver.Fault {
	return localserver.Fault{Status: code, Body: body}
}

func faultRepeat(f localserver.Fault, n int) []localserver.Fault {
	out := make([]localserver.Fault, n)
	for i := range out {
		out[i] = f
	}
	return out
}

var (
	faultOverloaded  = faultStatus(503, localserver.ErrorJSON("The server is faultOverloaded", "server_error", ""))
	faultBadGateway  = faultStatus(502, "<html>\n<head><title>502 Bad Gateway</title></head>\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body>\n</html>\n")
	faultNoQuota     = faultStatus(429, localserver.ErrorJSON("You exceeded your current quota", "insufficient_quota", "insufficient_quota"))
	faultNoUserQuota = faultStatus(429, localserver.ErrorJSON("user quota is not enough", "new_api_error", "insufficient_user_quota"))
	faultReset       = localserver.Fault{ResetBeforeHeaders: true}
)

func TestFaultsChat(t *testing.T) {
	tests := []faultCase{
		{
			name:   "429 without Retry-After",
			faults: []localserver.Fault{faultRateLimited("", "")},
			want:   2,
			check:  wantWaitsWithin(time.Millisecond/2, 5*time.Millisecond*3/2, wantAnswer),
		},
		{
			name:   "429 with Retry-After",
			faults: []localserver.Fault{faultRateLimited("0.02", "")},
			opts:   []Option{WithBackoff(time.Millisecond, time.Second)},
			want:   2,
			check:  wantWaitsWithin(20*time.Millisecond, 20*time.Millisecond, wantAnswer),
		},
		{
			name:   "429 with retry-after-ms",
			faults: []localserver.Fault{faultRateLimited("", "15")},
			opts:   []Option{WithBackoff(time.Millisecond, time.Second)},
			want:   2,
			check:  wantWaitsWithin(15*time.Millisecond, 15*time.Millisecond, wantAnswer),
		},
		{
			name:   "429 with Retry-After beyond the cap",
			faults: []localserver.Fault{faultRateLimited("61", "")},
			want:   1,
			check: func(t *testing.T, env *faultEnv, text string, err error) {
				wantAPIError(429, 1)(t, env, text, err)
				var apiErr *APIError
				if errors.As(err, &apiErr) && apiErr.RetryAfter != 61*time.Second {
					t.Errorf("RetryAfter = %v, want 61s", apiErr.RetryAfter)
				}
			},
		},
		{
			name:   "503 three times then 200",
			faults: faultRepeat(faultOverloaded, 3),
			opts:   []Option{WithMaxRetries(3)},
			want:   4,
			check:  wantAnswer,
		},
		{
			name:   "503 past the retry budget",
			faults: faultRepeat(faultOverloaded, 3),
			want:   3,
			check: func(t *testing.T, env *faultEnv, text string, err error) {
				wantAPIError(503, 3)(t, env, text, err)
				var apiErr *APIError
				if errors.As(err, &apiErr) && (apiErr.Message != "The server is faultOverloaded" || apiErr.Type != "server_error" || apiErr.RequestID != "req_local_3") {
					t.Errorf("last error %+v, want the third answer's", apiErr)
				}
			},
		},
		{name: "retries off", faults: []localserver.Fault{faultOverloaded}, opts: []Option{WithMaxRetries(0)}, want: 1, check: wantAPIError(503, 1)},
		{name: "400", faults: []localserver.Fault{faultStatus(400, localserver.ErrorJSON("bad", "invalid_request_error", ""))}, want: 1, check: wantAPIError(400, 1)},
		{name: "401", opts: []Option{WithAPIKey("sk-wrong-key-0123456789")}, want: 1, check: wantAPIError(401, 1)},
		{name: "403", faults: []localserver.Fault{faultStatus(403, localserver.ErrorJSON("forbidden", "permission_error", ""))}, want: 1, check: wantAPIError(403, 1)},
		{name: "404", faults: []localserver.Fault{faultStatus(404, localserver.ErrorJSON("no such model", "invalid_request_error", "model_not_found"))}, want: 1, check: wantAPIError(404, 1)},
		{name: "408 then 200", faults: []localserver.Fault{faultStatus(408, "")}, want: 2, check: wantAnswer},
		{name: "409 then 200", faults: []localserver.Fault{faultStatus(409, "")}, want: 2, check: wantAnswer},
		{name: "500 then 200", faults: []localserver.Fault{faultStatus(500, "")}, want: 2, check: wantAnswer},
		{name: "501", faults: []localserver.Fault{faultStatus(501, "")}, want: 1, check: wantAPIError(501, 1)},
		{name: "504 then 200", faults: []localserver.Fault{faultStatus(504, "")}, want: 2, check: wantAnswer},
		{name: "429 insufficient_quota", faults: []localserver.Fault{faultNoQuota}, want: 1, check: wantAPIError(429, 1)},
		{name: "429 insufficient_user_quota", faults: []localserver.Fault{faultNoUserQuota}, want: 1, check: wantAPIError(429, 1)},
		{
			name:   "x-should-retry false on 503",
			faults: []localserver.Fault{{Status: 503, ShouldRetry: "false"}},
			want:   1,
			check:  wantAPIError(503, 1),
		},
		{
			name:   "x-should-retry true on 400",
			faults: []localserver.Fault{{Status: 400, Body: localserver.ErrorJSON("try again", "invalid_request_error", ""), ShouldRetry: "true"}},
			want:   2,
			check:  wantAnswer,
		},
		{
			name:   "x-should-retry true on insufficient_quota",
			faults: []localserver.Fault{{Status: 429, Body: faultNoQuota.Body, ShouldRetry: "true"}},
			want:   2,
			check:  wantAnswer,
		},
		{
			name:   "reset before headers then 200",
			faults: []localserver.Fault{faultReset},
			want:   2,
			check: func(t *testing.T, env *faultEnv, text string, err error) {
				wantAnswer(t, env, text, err)
				var apiErr *APIError
				if h := env.hooked(); len(h) == 1 && (errors.As(h[0].Err, &apiErr) || !strings.HasPrefix(h[0].Err.Error(), "aione: attempt 1: ")) {
					t.Errorf("hook error %v, want the first attempt's transport error", h[0].Err)
				}
			},
		},
		{name: "reset before headers past the budget", faults: faultRepeat(faultReset, 3), want: 3, check: wantTransportError(3)},
		{
			name:    "stall with a caller deadline",
			faults:  []localserver.Fault{{Stall: true}},
			timeout: 200 * time.Millisecond,
			want:    1,
			check: func(t *testing.T, env *faultEnv, text string, err error) {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("error %v, want a deadline error", err)
				}
			},
		},
		{
			name:   "stall with WithTimeout",
			faults: []localserver.Fault{{Stall: true}},
			opts:   []Option{WithTimeout(200 * time.Millisecond)},
			want:   1,
			check: func(t *testing.T, env *faultEnv, text string, err error) {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("error %v, want a deadline error", err)
				}
			},
		},
		{
			name:   "HTML 502",
			faults: faultRepeat(faultBadGateway, 3),
			want:   3,
			check: func(t *testing.T, env *faultEnv, text string, err error) {
				wantAPIError(502, 3)(t, env, text, err)
				var apiErr *APIError
				if errors.As(err, &apiErr) && (apiErr.Message != "502 Bad Gateway 502 Bad Gateway nginx" || !bytes.HasPrefix(apiErr.Body, []byte("<html>"))) {
					t.Errorf("Message %q, Body %q: want the page's text and its start", apiErr.Message, apiErr.Body)
				}
			},
		},
		{
			name:   "50 MB error body then 200",
			faults: []localserver.Fault{{Status: 500, BodySize: 50 << 20}},
			want:   2,
			check:  wantAnswer,
		},
		{
			name:   "reset after headers",
			faults: []localserver.Fault{{ResetAfterHeaders: true}},
			want:   1,
			check: func(t *testing.T, env *faultEnv, text string, err error) {
				if err == nil || !strings.HasPrefix(err.Error(), "aione: ") {
					t.Errorf("error %v, want a failed read: a response arrived, so nothing is replayed", err)
				}
			},
		},
	}
	runFaultCases(t, tests, func(ctx context.Context, c *Client) (string, error) {
		resp, err := c.Chat(ctx, "gpt-4o", []Message{UserMessage(faultPrompt)})
		return resp.Text(), err
	})
}

// runFaultCases runs each case against a fresh faultEnv: the case's faults
// are queued, call makes the call (Chat or a whole stream) within the
// case's timeout, and the case checks the outcome and the attempts.
func runFaultCases(t *testing.T, tests []faultCase, call func(ctx context.Context, c *Client) (string, error)) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newFaultEnv(t, tt.opts...)
			env.srv.Enqueue(tt.faults...)
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			start := time.Now()
			text, err := call(ctx, env.client)
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("call took %v", d)
			}
			tt.check(t, env, text, err)
			env.checkAttempts(t, tt.want)
		})
	}
}

// readFaultStream opens a stream and reads it to its end, returning the text and
// the error from ChatStream or Stream.Err.
func readFaultStream(ctx context.Context, c *Client, opts ...Option) (string, error) {
	s, err := c.ChatStream(ctx, "gpt-4o", []Message{UserMessage(faultPrompt)}, opts...)
	if err != nil {
		return "", err
	}
	defer func() { _ = s.Close() }()
	var text strings.Builder
	for s.Next() {
		for _, ch := range s.Current().Choices {
			text.WriteString(ch.Delta.Content)
		}
	}
	return text.String(), s.Err()
}

// wantMidStream checks a stream that failed after part of the answer.
func wantMidStream(target error) func(*testing.T, *faultEnv, string, error) {
	return func(t *testing.T, _ *faultEnv, text string, err error) {
		t.Helper()
		var apiErr *APIError
		if err == nil || errors.As(err, &apiErr) {
			t.Fatalf("error %v, want a broken stream", err)
		}
		if target != nil && !errors.Is(err, target) {
			t.Errorf("error %v, want one that is %v", err, target)
		}
		if text == "" || text == faultAnswer || !strings.HasPrefix(faultAnswer, text) {
			t.Errorf("streamed %q before the error, want a strict prefix of %q", text, faultAnswer)
		}
	}
}

func TestFaultsStream(t *testing.T) {
	tests := []faultCase{
		{name: "503 then 200", faults: []localserver.Fault{faultOverloaded}, want: 2, check: wantAnswer},
		{name: "429 with retry-after-ms then 200", faults: []localserver.Fault{faultRateLimited("", "5")}, want: 2, check: wantAnswer},
		{name: "reset before headers then 200", faults: []localserver.Fault{faultReset}, want: 2, check: wantAnswer},
		{name: "503 past the retry budget", faults: faultRepeat(faultOverloaded, 3), want: 3, check: wantAPIError(503, 3)},
		{name: "429 insufficient_quota", faults: []localserver.Fault{faultNoQuota}, want: 1, check: wantAPIError(429, 1)},
		{name: "reset after headers, before the first chunk", faults: []localserver.Fault{{ResetAfterHeaders: true}}, want: 2, check: wantAnswer},
		{name: "reset mid-stream after chunks", faults: []localserver.Fault{{ResetAfterEvents: 4}}, want: 1, check: wantMidStream(nil)},
		{
			name:   "stall mid-stream with WithIdleTimeout",
			faults: []localserver.Fault{{StallAfterEvents: 3}},
			opts:   []Option{WithIdleTimeout(150 * time.Millisecond)},
			want:   1,
			check:  wantMidStream(ErrIdleTimeout),
		},
		{
			name:    "stall mid-stream with a caller deadline",
			faults:  []localserver.Fault{{StallAfterEvents: 3}},
			timeout: 300 * time.Millisecond,
			want:    1,
			check:   wantMidStream(context.DeadlineExceeded),
		},
		{
			name:   "stall before headers with WithTimeout",
			faults: []localserver.Fault{{Stall: true}},
			opts:   []Option{WithTimeout(200 * time.Millisecond)},
			want:   1,
			check: func(t *testing.T, env *faultEnv, text string, err error) {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("error %v, want a deadline error", err)
				}
			},
		},
	}
	runFaultCases(t, tests, func(ctx context.Context, c *Client) (string, error) {
		return readFaultStream(ctx, c)
	})
}

// TestFaultHugeErrorBody checks that a 50 MB error body costs the client a
// bounded read, not 50 MB.
func TestFaultHugeErrorBody(t *testing.T) {
	env := newFaultEnv(t, WithMaxRetries(0))
	env.srv.Enqueue(localserver.Fault{Status: 500, BodySize: 50 << 20})
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := env.client.Chat(t.Context(), "gpt-4o", []Message{UserMessage(faultPrompt)})
	runtime.ReadMemStats(&after)
	wantAPIError(500, 1)(t, env, "", err)
	var apiErr *APIError
	if errors.As(err, &apiErr) && len(apiErr.Body) > maxErrorExcerpt {
		t.Errorf("APIError.Body holds %d bytes, want at most %d", len(apiErr.Body), maxErrorExcerpt)
	}
	grown := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB for a 50 MiB error body", grown>>10)
	if grown > 4<<20 {
		t.Errorf("allocated %d bytes for a 50 MiB error body, want under 4 MiB", grown)
	}
	env.checkAttempts(t, 1)
}

// TestFaultConnectionRefused retries a port nobody listens on.
func TestFaultConnectionRefused(t *testing.T) {
	before := runtime.NumGoroutine()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	var hooks atomic.Int32
	hc := newDefaultHTTPClient()
	c, err := NewClient(WithBaseURL("http://"+addr+"/v1"), WithAPIKey(localserver.DefaultAPIKey), WithHTTPClient(hc),
		WithBackoff(time.Millisecond, time.Millisecond), WithRetryHook(func(RetryInfo) { hooks.Add(1) }))
	require.NoError(t, err)
	_, err = c.Chat(t.Context(), "gpt-4o", []Message{UserMessage(faultPrompt)})
	wantTransportError(3)(t, nil, "", err)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("error %v, want ECONNREFUSED reachable with errors.Is", err)
	}
	if n := hooks.Load(); n != 2 {
		t.Errorf("hook called %d times, want 2", n)
	}
	hc.CloseIdleConnections()
	waitGoroutines(t, before)
}

// TestFaultBadCertificate checks that a certificate error is not retried:
// the server sees one TLS handshake, and no option could skip the check.
func TestFaultBadCertificate(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("a request got through a certificate nobody trusts")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Config.ErrorLog = discardErrorLog()
	srv.StartTLS()
	t.Cleanup(srv.Close)

	var (
		mu    sync.Mutex
		hooks []error
	)
	c, err := NewClient(WithBaseURL(srv.URL+"/v1"), WithAPIKey(localserver.DefaultAPIKey),
		WithBackoff(time.Millisecond, time.Millisecond), WithRetryHook(func(ri RetryInfo) {
			mu.Lock()
			hooks = append(hooks, ri.Err)
			mu.Unlock()
		}))
	require.NoError(t, err)
	_, err = c.Chat(t.Context(), "gpt-4o", []Message{UserMessage(faultPrompt)})
	var verify *tls.CertificateVerificationError
	if !errors.As(err, &verify) {
		t.Fatalf("error %v, want a certificate verification error", err)
	}
	mu.Lock()
	defer mu.Unlock()
	// On a loaded machine a handshake may time out first; that is
	// retried. The certificate error never is.
	for _, h := range hooks {
		if errors.As(h, &verify) {
			t.Errorf("retried after a certificate error: %v", h)
		}
	}
	wantTransportError(len(hooks)+1)(t, nil, "", err)
	if n := conns.Load(); int(n) != len(hooks)+1 {
		t.Errorf("%d connections for %d attempts", n, len(hooks)+1)
	}
}

// TestFaultRedirects checks that the key follows a redirect only within the
// base URL's host (and port), with the default HTTP client.
func TestFaultRedirects(t *testing.T) {
	target := localserver.New(localserver.WithAPIKey(""))
	t.Cleanup(target.Close)
	localhost := strings.Replace(target.URL, "127.0.0.1", "localhost", 1)
	tests := []struct {
		name     string
		location func(origin string) string
		wantKey  bool // whether the target sees the key
	}{
		{"another port", func(string) string { return target.URL + "/chat/completions" }, false},
		{"another host", func(string) string { return localhost + "/chat/completions" }, false},
		{"same host and port", func(origin string) string { return origin + "/same/chat/completions" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var originAuth []string
			origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				mu.Lock()
				originAuth = append(originAuth, r.Header.Get("Authorization"))
				mu.Unlock()
				if strings.HasPrefix(r.URL.Path, "/same/") {
					w.Header().Set("Content-Type", "application/json")
					_, _ = io.WriteString(w, redirectOKBody)
					return
				}
				http.Redirect(w, r, tt.location("http://"+r.Host), http.StatusTemporaryRedirect)
			}))
			t.Cleanup(origin.Close)
			seen := target.RequestCount()

			c, err := NewClient(WithBaseURL(origin.URL+"/v1"), WithAPIKey(localserver.DefaultAPIKey))
			require.NoError(t, err)
			_, err = c.Chat(t.Context(), "gpt-4o", []Message{UserMessage(faultPrompt)})
			require.NoError(t, err)

			mu.Lock()
			defer mu.Unlock()
			for i, a := range originAuth {
				if a != "Bearer "+localserver.DefaultAPIKey {
					t.Errorf("origin request %d: Authorization %q, want the key", i+1, a)
				}
			}
			if tt.wantKey {
				if len(originAuth) != 2 {
					t.Errorf("origin saw %d requests, want 2", len(originAuth))
				}
				return
			}
			reqs := target.Requests()[seen:]
			if len(reqs) != 1 {
				t.Fatalf("target saw %d requests, want 1", len(reqs))
			}
			if a := reqs[0].Header.Get("Authorization"); a != "" {
				t.Errorf("the other host got Authorization %q", a)
			}
		})
	}
}

// redirectOKBody is a minimal chat completion.
const redirectOKBody = `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}`

// TestFaultRedirectLoop checks that a redirect loop ends after ten
// redirects and is not retried.
func TestFaultRedirectLoop(t *testing.T) {
	var hits atomic.Int32
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		hits.Add(1)
		http.Redirect(w, r, r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(origin.Close)
	c, err := NewClient(WithBaseURL(origin.URL+"/v1"), WithAPIKey(localserver.DefaultAPIKey), WithBackoff(time.Millisecond, time.Millisecond))
	require.NoError(t, err)
	_, err = c.Chat(t.Context(), "gpt-4o", []Message{UserMessage(faultPrompt)})
	if err == nil || !strings.Contains(err.Error(), "redirects") {
		t.Errorf("error %v, want a redirect loop error", err)
	}
	if n := hits.Load(); n != 10 {
		t.Errorf("server saw %d requests, want 10 (one call, nine redirects followed, no retry)", n)
	}
}

// faultLogBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type faultLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *faultLogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *faultLogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func discardErrorLog() *log.Logger { return log.New(io.Discard, "", 0) }

// TestFaultRedaction runs retries against a server that echoes the key in
// bodies and headers, and checks that no log line, hook error or returned
// error shows it.
func TestFaultRedaction(t *testing.T) {
	var logs faultLogBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	env := newFaultEnv(t, WithLogger(logger))
	key := localserver.DefaultAPIKey
	echo := func(code int) localserver.Fault {
		return localserver.Fault{
			Status: code,
			Body:   localserver.ErrorJSON("bad key Bearer "+key, "server_error "+key, "code_"+key),
			Header: map[string]string{"X-Echo": key},
		}
	}
	env.srv.Enqueue(echo(503), echo(429), localserver.Fault{}, echo(500), echo(503), echo(502))

	// One call that recovers, one that runs out of retries.
	_, err1 := env.client.Chat(t.Context(), "gpt-4o", []Message{UserMessage(faultPrompt)}, WithMaxRetries(2))
	_, err2 := env.client.Chat(t.Context(), "gpt-4o", []Message{UserMessage(faultPrompt)}, WithMaxRetries(2))
	if err1 != nil {
		t.Errorf("first call: %v", err1)
	}
	var apiErr *APIError
	require.ErrorAs(t, err2, &apiErr)

	shown := []string{logs.String(), err2.Error(), string(apiErr.Body), apiErr.Message, apiErr.Type, apiErr.Code, apiErr.RequestID}
	for k, vs := range apiErr.Header {
		shown = append(shown, k+": "+strings.Join(vs, ","))
	}
	for _, h := range env.hooked() {
		shown = append(shown, h.Err.Error())
	}
	for _, s := range shown {
		if strings.Contains(s, key) {
			t.Errorf("the key is visible in %q", s)
		}
	}
	if apiErr.Header.Get("X-Echo") != "[REDACTED]" {
		t.Errorf("X-Echo header %q, want it redacted", apiErr.Header.Get("X-Echo"))
	}

	// The log holds every attempt at debug level and every retry at info
	// level.
	var retries, attempts []int
	for line := range strings.Lines(logs.String()) {
		var rec struct {
			Level   string `json:"level"`
			Msg     string `json:"msg"`
			Attempt int    `json:"attempt"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		if want := map[string]string{"aione: retrying": "INFO"}[rec.Msg]; want != "" && rec.Level != want || want == "" && rec.Level != "DEBUG" {
			t.Errorf("log line at level %s: %s", rec.Level, line)
		}
		switch rec.Msg {
		case "aione: retrying":
			retries = append(retries, rec.Attempt)
		case "aione: http attempt":
			attempts = append(attempts, rec.Attempt)
		}
	}
	if diff := cmp.Diff([]int{1, 2, 1, 2}, retries); diff != "" {
		t.Errorf("retries logged (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1, 2, 3, 1, 2, 3}, attempts); diff != "" {
		t.Errorf("attempts logged (-want +got):\n%s", diff)
	}
}

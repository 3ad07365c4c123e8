package aione

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aione/aione-go/internal/localserver"
	"github.com/cenkalti/backoff/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestRetryAfterParsing(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	const ra, ms = "Retry-After", "Retry-After-Ms"
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{"absent", nil, 0},
		{"seconds", map[string]string{ra: "2"}, 2 * time.Second},
		{"seconds with spaces", map[string]string{ra: " 3 "}, 3 * time.Second},
		{"zero", map[string]string{ra: "0"}, 0},
		{"fractional", map[string]string{ra: "1.5"}, 1500 * time.Millisecond},
		{"leading dot", map[string]string{ra: ".25"}, 250 * time.Millisecond},
		{"http date", map[string]string{ra: now.Add(5 * time.Second).Format(http.TimeFormat)}, 5 * time.Second},
		{"rfc850 date", map[string]string{ra: now.Add(7 * time.Second).Format("Monday, 02-Jan-06 15:04:05 GMT")}, 7 * time.Second},
		{"asctime date", map[string]string{ra: now.Add(9 * time.Second).Format(time.ANSIC)}, 9 * time.Second},
		{"date in the past", map[string]string{ra: now.Add(-5 * time.Second).Format(http.TimeFormat)}, 0},
		{"date now", map[string]string{ra: now.Format(http.TimeFormat)}, 0},
		{"ms", map[string]string{ms: "250"}, 250 * time.Millisecond},
		{"ms fractional", map[string]string{ms: "12.5"}, 12500 * time.Microsecond},
		{"ms wins over seconds", map[string]string{ms: "250", ra: "9"}, 250 * time.Millisecond},
		{"ms garbage falls back", map[string]string{ms: "soon", ra: "2"}, 2 * time.Second},
		{"ms zero falls back", map[string]string{ms: "0", ra: "2"}, 2 * time.Second},
		{"ms negative", map[string]string{ms: "-250"}, 0},
		{"garbage", map[string]string{ra: "soon"}, 0},
		{"empty", map[string]string{ra: ""}, 0},
		{"negative", map[string]string{ra: "-5"}, 0},
		{"plus sign", map[string]string{ra: "+5"}, 0},
		{"exponent", map[string]string{ra: "1e3"}, 0},
		{"hex", map[string]string{ra: "0x10"}, 0},
		{"NaN", map[string]string{ra: "NaN"}, 0},
		{"Inf", map[string]string{ra: "Inf"}, 0},
		{"two dots", map[string]string{ra: "1.2.3"}, 0},
		{"lone dot", map[string]string{ra: "."}, 0},
		{"one day", map[string]string{ra: "86400"}, 24 * time.Hour},
		{"huge", map[string]string{ra: "99999999999999"}, math.MaxInt64},
		{"huge ms", map[string]string{ms: "9999999999999999999999"}, math.MaxInt64},
		{"beyond float range", map[string]string{ra: strings.Repeat("9", 400)}, math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := make(http.Header)
			for k, v := range tt.header {
				h.Set(k, v)
			}
			if got := retryAfter(h, now); got != tt.want {
				t.Errorf("retryAfter(%v) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"2", "1.5", "-1", "soon", "Sat, 01 Mar 2025 12:00:05 GMT", "99999999999999", "NaN", "."} {
		f.Add(s, "")
		f.Add("", s)
	}
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, seconds, millis string) {
		h := http.Header{"Retry-After": {seconds}, "Retry-After-Ms": {millis}}
		if d := retryAfter(h, now); d < 0 {
			t.Errorf("retryAfter(%q, %q) = %v, want >= 0", seconds, millis, d)
		}
	})
}

func TestRetryableStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status      int
		typ, code   string
		shouldRetry string
		want        bool
	}{
		{400, "invalid_request_error", "", "", false},
		{401, "authentication_error", "invalid_api_key", "", false},
		{403, "permission_error", "", "", false},
		{404, "not_found_error", "model_not_found", "", false},
		{413, "", "", "", false},
		{422, "", "", "", false},
		{408, "", "", "", true},
		{409, "", "", "", true},
		{429, "rate_limit_exceeded", "rate_limit_exceeded", "", true},
		{429, "insufficient_quota", "insufficient_quota", "", false},
		{429, "new_api_error", "insufficient_user_quota", "", false},
		{429, "insufficient_quota", "", "", false},
		{429, "", "billing_hard_limit_reached", "", false},
		{500, "server_error", "", "", true},
		{501, "", "", "", false},
		{502, "", "", "", true},
		{503, "", "", "", true},
		{504, "", "", "", true},
		{505, "", "", "", true},
		{529, "overloaded_error", "", "", true},
		{503, "", "", "false", false},
		{503, "", "", "FALSE", false},
		{429, "", "", "false", false},
		{400, "", "", "true", true},
		{401, "", "", "true", true},
		{501, "", "", "true", true},
		{429, "insufficient_quota", "insufficient_quota", "true", true},
		{503, "", "", "maybe", true},
		{400, "", "", "maybe", false},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%d %s %s should-retry=%s", tt.status, tt.typ, tt.code, tt.shouldRetry)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := make(http.Header)
			if tt.shouldRetry != "" {
				h.Set("x-should-retry", tt.shouldRetry)
			}
			body := fmt.Sprintf(`{"error":{"message":"m","type":%q,"code":%q}}`, tt.typ, tt.code)
			e := newAPIError(tt.status, h, []byte(body))
			if got := retryableStatus(e); got != tt.want {
				t.Errorf("retryableStatus = %v, want %v", got, tt.want)
			}
		})
	}
}

// headerTimeoutError is a net.Error that timed out, like net/http's "timeout
// awaiting response headers".
type headerTimeoutError struct{}

func (headerTimeoutError) Error() string   { return "net/http: timeout awaiting response headers" }
func (headerTimeoutError) Timeout() bool   { return true }
func (headerTimeoutError) Temporary() bool { return true }

func TestRetryableTransport(t *testing.T) {
	t.Parallel()
	post := func(err error) error {
		return &url.Error{Op: "Post", URL: "https://api.example/v1/chat/completions", Err: err}
	}
	opErr := func(op string, errno syscall.Errno) error {
		return &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(op, errno)}
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", post(opErr("dial", syscall.ECONNREFUSED)), true},
		{"connection reset", post(opErr("read", syscall.ECONNRESET)), true},
		{"broken pipe", post(opErr("write", syscall.EPIPE)), true},
		{"EOF on a reused connection", post(io.EOF), true},
		{"server closed idle connection", post(errors.New("http: server closed idle connection")), true},
		{"timeout awaiting headers", post(headerTimeoutError{}), true},
		{"client timeout", post(fmt.Errorf("context deadline exceeded (Client.Timeout exceeded while awaiting headers): %w", context.DeadlineExceeded)), true},
		{"dns failure", post(&net.DNSError{Err: "server misbehaving", Name: "api.example", IsTemporary: true}), true},
		{"unknown error", errors.New("something odd"), true},
		{"cancelled", post(context.Canceled), false},
		{"unknown authority", post(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), false},
		{"bare unknown authority", post(x509.UnknownAuthorityError{}), false},
		{"hostname mismatch", post(x509.HostnameError{Host: "api.example", Certificate: &x509.Certificate{}}), false},
		{"expired certificate", post(x509.CertificateInvalidError{Reason: x509.Expired}), false},
		{"no system roots", post(x509.SystemRootsError{}), false},
		{"not TLS", post(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), false},
		{"TLS alert", post(tls.AlertError(40)), false},
		{"http answer to https", post(errors.New("http: server gave HTTP response to HTTPS client")), false},
		{"unsupported scheme", post(errors.New(`unsupported protocol scheme "ftp"`)), false},
		{"invalid header", post(errors.New(`net/http: invalid header field value for "X-Foo"`)), false},
		{"invalid method", post(errors.New(`net/http: invalid method "GE T"`)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := retryableTransport(tt.err); got != tt.want {
				t.Errorf("retryableTransport(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// retryDoer is an HTTPDoer made of a function, for tests that need no
// server.
type retryDoer func(*http.Request) (*http.Response, error)

func (f retryDoer) Do(r *http.Request) (*http.Response, error) { return f(r) }

// TestRetryLoopEdges covers what only an odd HTTPDoer produces.
func TestRetryLoopEdges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		do       func(n int) (*http.Response, error)
		want     int // attempts made
		wantText string
	}{
		{
			name: "permanent error",
			do: func(int) (*http.Response, error) {
				return nil, backoff.Permanent(errors.New("aione: request cannot be built"))
			},
			want:     1,
			wantText: "aione: attempt 1: request cannot be built",
		},
		{
			name:     "no response and no error",
			do:       func(int) (*http.Response, error) { return nil, nil },
			want:     1,
			wantText: "aione: attempt 1: HTTP client returned neither a response nor an error",
		},
		{
			name: "failed redirect policy",
			do: func(int) (*http.Response, error) {
				resp := &http.Response{StatusCode: 302, Header: http.Header{}, Body: http.NoBody}
				return resp, &url.Error{Op: "Post", URL: "http://x/", Err: errors.New("aione: stopped after 10 redirects")}
			},
			want:     1,
			wantText: "stopped after 10 redirects",
		},
		{
			name:     "transport error every time",
			do:       func(n int) (*http.Response, error) { return nil, fmt.Errorf("connection reset (try %d)", n) },
			want:     3,
			wantText: "aione: attempt 3: connection reset (try 3)",
		},
		{
			name: "nil body",
			do: func(int) (*http.Response, error) {
				return &http.Response{StatusCode: 404, Header: http.Header{}}, nil
			},
			want:     1,
			wantText: "aione: 404 Not Found",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var n int
			doer := retryDoer(func(r *http.Request) (*http.Response, error) {
				n++
				return tt.do(n)
			})
			c, err := NewClient(WithAPIKey(localserver.DefaultAPIKey), WithBaseURL("http://127.0.0.1:1/v1"),
				WithHTTPClient(doer), WithBackoff(time.Microsecond, time.Microsecond))
			require.NoError(t, err)
			_, err = c.Chat(t.Context(), "m", []Message{UserMessage("hi")})
			if err == nil || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("Chat error = %v, want it to contain %q", err, tt.wantText)
			}
			if n != tt.want {
				t.Errorf("%d attempts, want %d", n, tt.want)
			}
		})
	}
}

func TestCtxError(t *testing.T) {
	t.Parallel()
	last := &APIError{StatusCode: 503, Attempts: 2}
	cause := errors.New("shutting down")
	c := &call{}

	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(cause)
	err := c.ctxError(ctx, last)
	var apiErr *APIError
	if !errors.Is(err, context.Canceled) || !errors.Is(err, cause) || !errors.As(err, &apiErr) {
		t.Errorf("ctxError with a custom cause = %v: want Canceled, the cause and the APIError", err)
	}

	timeout := fmt.Errorf("aione: stream did not open within 1s: %w", context.DeadlineExceeded)
	ctx, cancel = context.WithCancelCause(t.Context())
	cancel(timeout)
	err = c.ctxError(ctx, last)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || !errors.As(err, &apiErr) {
		t.Errorf("ctxError with a timeout cause = %v: want DeadlineExceeded only, and the APIError", err)
	}
}

// attemptClock records, in a synctest bubble's fake time, when each attempt
// started and what the retry hook was told.
type attemptClock struct {
	base http.RoundTripper

	mu     sync.Mutex
	starts []time.Time
	hooks  []RetryInfo
}

func (a *attemptClock) RoundTrip(r *http.Request) (*http.Response, error) {
	a.mu.Lock()
	a.starts = append(a.starts, time.Now())
	a.mu.Unlock()
	return a.base.RoundTrip(r)
}

func (a *attemptClock) hook(info RetryInfo) {
	a.mu.Lock()
	a.hooks = append(a.hooks, info)
	a.mu.Unlock()
}

// gaps returns the time between consecutive attempts.
func (a *attemptClock) gaps() []time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []time.Duration
	for i := 1; i < len(a.starts); i++ {
		out = append(out, a.starts[i].Sub(a.starts[i-1]))
	}
	return out
}

func (a *attemptClock) waits() []time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []time.Duration
	for _, h := range a.hooks {
		out = append(out, h.Wait)
	}
	return out
}

// newTimingServer starts a local server outside any synctest bubble: its
// listener is not something a bubble can wait on durably. Tests reach it
// through its in-memory transport only.
//
// It sends one warm-up request through that transport before any bubble
// exists: the first request makes the server's internal context create its
// done channel, and a channel created inside a bubble must not be closed by
// Server.Close from outside it. bubbleRequests leaves that request out.
func newTimingServer(t *testing.T) *localserver.Server {
	t.Helper()
	srv := localserver.New()
	t.Cleanup(srv.Close)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/warm-up", nil)
	require.NoError(t, err)
	resp, err := srv.Transport().RoundTrip(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return srv
}

// bubbleRequests returns how many requests a server from newTimingServer
// received, the warm-up request aside.
func bubbleRequests(srv *localserver.Server) int { return srv.RequestCount() - 1 }

// newBubbleClient returns, inside a synctest bubble, a client for srv's
// in-memory transport that records its attempts in the returned clock. It
// closes srv when the bubble ends, inside it: the server's handlers were
// counted by a WaitGroup inside the bubble, which only the bubble may wait
// on.
func newBubbleClient(t *testing.T, srv *localserver.Server, opts ...Option) (*Client, *attemptClock) {
	t.Helper()
	t.Cleanup(srv.Close)
	clock := &attemptClock{base: srv.Transport()}
	all := append([]Option{
		WithBaseURL(srv.URL), WithAPIKey(localserver.DefaultAPIKey),
		WithHTTPClient(&http.Client{Transport: clock}), WithRetryHook(clock.hook),
	}, opts...)
	c, err := NewClient(all...)
	require.NoError(t, err)
	return c, clock
}

func faultRateLimited(retryAfter, retryAfterMS string) localserver.Fault {
	return localserver.Fault{
		Status:       http.StatusTooManyRequests,
		Body:         localserver.ErrorJSON("Rate limit reached", "rate_limit_exceeded", "rate_limit_exceeded"),
		RetryAfter:   retryAfter,
		RetryAfterMS: retryAfterMS,
	}
}

func faultUnavailable(retryAfter string) localserver.Fault {
	return localserver.Fault{
		Status:     http.StatusServiceUnavailable,
		Body:       localserver.ErrorJSON("The server is overloaded", "server_error", ""),
		RetryAfter: retryAfter,
	}
}

// TestRetryTiming checks, in fake time, that the server's wait replaces the
// computed one and that the next attempt starts exactly when it should.
func TestRetryTiming(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault func() localserver.Fault // built inside the bubble, for dates
		want  time.Duration
	}{
		{"Retry-After seconds", func() localserver.Fault { return faultRateLimited("2", "") }, 2 * time.Second},
		{"Retry-After fractional", func() localserver.Fault { return faultRateLimited("0.75", "") }, 750 * time.Millisecond},
		{"Retry-After date", func() localserver.Fault {
			return faultRateLimited(time.Now().Add(3*time.Second).UTC().Format(http.TimeFormat), "")
		}, 3 * time.Second},
		{"retry-after-ms", func() localserver.Fault { return faultRateLimited("", "1500") }, 1500 * time.Millisecond},
		{"retry-after-ms over Retry-After", func() localserver.Fault { return faultRateLimited("5", "250") }, 250 * time.Millisecond},
		{"503 with Retry-After", func() localserver.Fault { return faultUnavailable("4") }, 4 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newTimingServer(t)
			synctest.Test(t, func(t *testing.T) {
				srv.Enqueue(tt.fault())
				c, clock := newBubbleClient(t, srv)
				start := time.Now()
				resp, err := c.Chat(t.Context(), "m", []Message{UserMessage("timing")})
				require.NoError(t, err)
				if got, want := resp.Text(), localserver.AnswerPrefix+"timing"; got != want {
					t.Errorf("answer %q, want %q", got, want)
				}
				if diff := cmp.Diff([]time.Duration{tt.want}, clock.gaps()); diff != "" {
					t.Errorf("time between attempts (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff([]time.Duration{tt.want}, clock.waits()); diff != "" {
					t.Errorf("waits told to the hook (-want +got):\n%s", diff)
				}
				if d := time.Since(start); d != tt.want {
					t.Errorf("call took %v, want %v", d, tt.want)
				}
			})
		})
	}
}

// TestBackoffSchedule checks the computed waits: each within ±50% of an
// interval that starts at the minimum and doubles up to the maximum, the
// hook told the wait that was then slept, and the waits growing on average.
func TestBackoffSchedule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		opts      []Option
		min, max  time.Duration
		intervals []time.Duration
	}{
		{
			name:      "defaults",
			min:       DefaultMinBackoff,
			max:       DefaultMaxBackoff,
			intervals: []time.Duration{500 * time.Millisecond, time.Second},
		},
		{
			name:      "WithBackoff",
			opts:      []Option{WithMaxRetries(5), WithBackoff(time.Second, 4*time.Second)},
			min:       time.Second,
			max:       4 * time.Second,
			intervals: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newTimingServer(t)
			const calls = 20
			sums := make([]time.Duration, len(tt.intervals))
			synctest.Test(t, func(t *testing.T) {
				for range calls {
					for range tt.intervals {
						srv.Enqueue(faultUnavailable(""))
					}
					c, clock := newBubbleClient(t, srv, tt.opts...)
					_, err := c.Chat(t.Context(), "m", []Message{UserMessage("schedule")})
					require.NoError(t, err)
					gaps, waits := clock.gaps(), clock.waits()
					if diff := cmp.Diff(waits, gaps); diff != "" {
						t.Fatalf("slept other than the hook was told (-told +slept):\n%s", diff)
					}
					require.Len(t, waits, len(tt.intervals))
					for i, w := range waits {
						lo, hi := tt.intervals[i]/2, tt.intervals[i]*3/2
						if w < lo || w > hi {
							t.Errorf("wait %d = %v, want within [%v, %v]", i+1, w, lo, hi)
						}
						if w < tt.min/2 || w > tt.max*3/2 {
							t.Errorf("wait %d = %v, outside [min*0.5, max*1.5] = [%v, %v]", i+1, w, tt.min/2, tt.max*3/2)
						}
						sums[i] += w
					}
				}
			})
			for i := 1; i < len(sums) && tt.intervals[i] > tt.intervals[i-1]; i++ {
				if sums[i] <= sums[i-1] {
					t.Errorf("mean wait %d (%v) is not longer than mean wait %d (%v)", i+1, sums[i]/calls, i, sums[i-1]/calls)
				}
			}
		})
	}
}

// TestRetryGivesUpAtOnce checks the waits that are not slept through: longer
// than WithMaxRetryAfter allows, or than the context has left, or no
// retries.
func TestRetryGivesUpAtOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		fault          localserver.Fault
		opts           []Option
		timeout        time.Duration
		wantRetryAfter time.Duration
	}{
		{"Retry-After beyond the cap", faultRateLimited("61", ""), nil, 0, 61 * time.Second},
		{"retry-after-ms beyond the cap", faultRateLimited("", "60001"), nil, 0, 60001 * time.Millisecond},
		{"Retry-After beyond WithMaxRetryAfter", faultRateLimited("2", ""), []Option{WithBackoff(100*time.Millisecond, time.Second), WithMaxRetryAfter(1500 * time.Millisecond)}, 0, 2 * time.Second},
		{"Retry-After beyond WithBackoff and no Retry-After allowed", faultRateLimited("2", ""), []Option{WithBackoff(100*time.Millisecond, time.Second), WithMaxRetryAfter(0)}, 0, 2 * time.Second},
		{"huge Retry-After", faultRateLimited("99999999999999", ""), nil, 0, math.MaxInt64},
		{"Retry-After beyond the deadline", faultUnavailable("2"), nil, time.Second, 2 * time.Second},
		{"computed wait beyond the deadline", faultUnavailable(""), []Option{WithBackoff(2*time.Second, 2*time.Second)}, 500 * time.Millisecond, 0},
		{"retries off", faultUnavailable("1"), []Option{WithMaxRetries(0)}, 0, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newTimingServer(t)
			synctest.Test(t, func(t *testing.T) {
				srv.Enqueue(tt.fault)
				c, clock := newBubbleClient(t, srv, tt.opts...)
				ctx := t.Context()
				if tt.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.timeout)
					defer cancel()
				}
				start := time.Now()
				_, err := c.Chat(ctx, "m", []Message{UserMessage("give up")})
				if d := time.Since(start); d != 0 {
					t.Errorf("call took %v of fake time, want 0", d)
				}
				var apiErr *APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("error %v, want an *APIError", err)
				}
				if errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("error %v holds a context error: the context was not done", err)
				}
				if apiErr.RetryAfter != tt.wantRetryAfter || apiErr.Attempts != 1 {
					t.Errorf("RetryAfter %v, Attempts %d; want %v and 1", apiErr.RetryAfter, apiErr.Attempts, tt.wantRetryAfter)
				}
				if n := bubbleRequests(srv); n != 1 || len(clock.waits()) != 0 {
					t.Errorf("server saw %d requests, hook called %d times; want 1 and 0", n, len(clock.waits()))
				}
			})
		})
	}
}

// TestCancelDuringBackoff checks that a cancel during a wait returns at once
// with the context's error joined to the last attempt's.
func TestCancelDuringBackoff(t *testing.T) {
	t.Parallel()
	cause := errors.New("user pressed stop")
	tests := []struct {
		name   string
		cancel func(context.Context) (context.Context, func())
		is     []error
	}{
		{"cancel", func(ctx context.Context) (context.Context, func()) {
			return context.WithCancel(ctx)
		}, []error{context.Canceled}},
		{"cancel with cause", func(ctx context.Context) (context.Context, func()) {
			ctx, cancel := context.WithCancelCause(ctx)
			return ctx, func() { cancel(cause) }
		}, []error{context.Canceled, cause}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newTimingServer(t)
			synctest.Test(t, func(t *testing.T) {
				srv.Enqueue(faultUnavailable("5"), faultUnavailable("5"))
				c, _ := newBubbleClient(t, srv)
				ctx, cancel := tt.cancel(t.Context())
				defer cancel()
				time.AfterFunc(6500*time.Millisecond, cancel)
				start := time.Now()
				_, err := c.Chat(ctx, "m", []Message{UserMessage("cancel me")})
				if d := time.Since(start); d != 6500*time.Millisecond {
					t.Errorf("call returned after %v, want 6.5s (at the cancel)", d)
				}
				for _, target := range tt.is {
					if !errors.Is(err, target) {
						t.Errorf("error %v: errors.Is(%v) = false", err, target)
					}
				}
				var apiErr *APIError
				if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || apiErr.Attempts != 2 {
					t.Errorf("error %v: want the last attempt's *APIError (503, attempt 2)", err)
				}
				if n := bubbleRequests(srv); n != 2 {
					t.Errorf("server saw %d requests, want 2", n)
				}
			})
		})
	}
}

// TestStreamRetryTiming checks that opening a stream is retried like a
// call: a 503 with Retry-After, then the stream, at exactly the asked time.
func TestStreamRetryTiming(t *testing.T) {
	t.Parallel()
	srv := newTimingServer(t)
	synctest.Test(t, func(t *testing.T) {
		srv.Enqueue(faultUnavailable("1"))
		c, clock := newBubbleClient(t, srv)
		s, err := c.ChatStream(t.Context(), "m", []Message{UserMessage("stream timing")})
		require.NoError(t, err)
		defer func() { _ = s.Close() }()
		var text strings.Builder
		for s.Next() {
			for _, ch := range s.Current().Choices {
				text.WriteString(ch.Delta.Content)
			}
		}
		require.NoError(t, s.Err())
		if got, want := text.String(), localserver.AnswerPrefix+"stream timing"; got != want {
			t.Errorf("streamed %q, want %q", got, want)
		}
		if diff := cmp.Diff([]time.Duration{time.Second}, clock.gaps()); diff != "" {
			t.Errorf("time between attempts (-want +got):\n%s", diff)
		}
	})
}

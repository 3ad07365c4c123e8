package aione

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

func TestKeylessClient(t *testing.T) {
	t.Setenv("AIONE_API_KEY", "")
	t.Setenv("AIONE_BASE_URL", "")
	var auth atomic.Value
	srv := newHandlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Values("Authorization"))
		reply(200, "application/json", okBody)(w, r)
	})
	c, err := NewClient(WithBaseURL(srv + "/v1"))
	require.NoError(t, err)
	_, err = c.Chat(t.Context(), "llama3", []Message{UserMessage("hi")})
	require.NoError(t, err)
	if got := auth.Load().([]string); len(got) != 0 {
		t.Errorf("Authorization = %q, want none", got)
	}
	for _, base := range []string{"", DefaultBaseURL, "https://eu.nexara.net/v1"} {
		var opts []Option
		if base != "" {
			opts = append(opts, WithBaseURL(base))
		}
		if _, err := NewClient(opts...); !errors.Is(err, ErrMissingAPIKey) {
			t.Errorf("NewClient(%q) without a key = %v, want ErrMissingAPIKey", base, err)
		}
	}
}

// newHandlerServer serves h and returns its URL.
func newHandlerServer(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	_, srv := newTestClient(t, h)
	return srv.URL
}

func TestBaseURLs(t *testing.T) {
	t.Parallel()
	tests := []struct{ base, wantChat, wantModels string }{
		{"https://h/v1", "https://h/v1/chat/completions", "https://h/v1/models"},
		{"https://h/v1/", "https://h/v1/chat/completions", "https://h/v1/models"},
		{"https://h/openai/deployments/d?api-version=2024-10-21", "https://h/openai/deployments/d/chat/completions?api-version=2024-10-21", "https://h/openai/deployments/d/models?api-version=2024-10-21"},
		{"https://h/v1/chat/completions", "https://h/v1/chat/completions", "https://h/v1/models"},
		{"https://h/v1/chat/completions/?x=1", "https://h/v1/chat/completions?x=1", "https://h/v1/models?x=1"},
		{"http://localhost:11434/v1", "http://localhost:11434/v1/chat/completions", "http://localhost:11434/v1/models"},
	}
	for _, tt := range tests {
		base := trimEndpoint(tt.base)
		if got := endpoint(base, chatPath); got != tt.wantChat {
			t.Errorf("chat endpoint of %q = %q, want %q", tt.base, got, tt.wantChat)
		}
		if got := endpoint(base, modelsPath); got != tt.wantModels {
			t.Errorf("models endpoint of %q = %q, want %q", tt.base, got, tt.wantModels)
		}
	}

	var got atomic.Value
	srv := newHandlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.URL.RequestURI())
		reply(200, "application/json", okBody)(w, r)
	})
	c, err := NewClient(WithAPIKey(testKey), WithBaseURL(srv+"/v1/chat/completions?api-version=1"))
	require.NoError(t, err)
	if c.BaseURL() != srv+"/v1?api-version=1" {
		t.Errorf("BaseURL() = %q, want the suffix gone", c.BaseURL())
	}
	_, err = c.Chat(t.Context(), "m", []Message{UserMessage("hi")})
	require.NoError(t, err)
	if got.Load() != "/v1/chat/completions?api-version=1" {
		t.Errorf("request URI = %q", got.Load())
	}
}

func TestClientWith(t *testing.T) {
	t.Parallel()
	var tenant atomic.Value
	srv := newHandlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		tenant.Store(r.Header.Get("X-Tenant"))
		reply(200, "application/json", okBody)(w, r)
	})
	base, err := NewClient(WithAPIKey(testKey), WithBaseURL(srv+"/v1"))
	require.NoError(t, err)
	derived, err := base.With(WithHeader("X-Tenant", "acme"))
	require.NoError(t, err)
	if derived.defaults.httpClient != base.defaults.httpClient {
		t.Error("the derived client has its own HTTP client")
	}
	_, err = derived.Chat(t.Context(), "m", []Message{UserMessage("hi")})
	require.NoError(t, err)
	if tenant.Load() != "acme" {
		t.Errorf("X-Tenant = %q from the derived client", tenant.Load())
	}
	_, err = base.Chat(t.Context(), "m", []Message{UserMessage("hi")})
	require.NoError(t, err)
	if tenant.Load() != "" {
		t.Errorf("X-Tenant = %q from the base client, want none", tenant.Load())
	}
	if _, err := base.With(WithMaxRetries(-1)); err == nil {
		t.Error("With(bad option) succeeded")
	}
}

func TestNoSuchHostNotRetried(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	doer := doerFunc(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		return nil, &url.Error{Op: "Post", URL: r.URL.String(), Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "h", IsNotFound: true}}}
	})
	c, err := NewClient(WithAPIKey(testKey), WithHTTPClient(doer), WithBackoff(time.Millisecond, time.Millisecond))
	require.NoError(t, err)
	_, err = c.Chat(t.Context(), "m", []Message{UserMessage("hi")})
	if err == nil || calls.Load() != 1 {
		t.Errorf("Chat = %v after %d attempts, want an error after 1", err, calls.Load())
	}
}

// fakeAnswers is an HTTPDoer that answers from a list, then 200.
func fakeAnswers(answers ...func(*http.Request) (*http.Response, error)) (HTTPDoer, *atomic.Int32) {
	var n atomic.Int32
	return doerFunc(func(r *http.Request) (*http.Response, error) {
		_, _ = io.Copy(io.Discard, r.Body)
		i := int(n.Add(1)) - 1
		if i < len(answers) {
			return answers[i](r)
		}
		return answerWith(200, okBody, nil)(r)
	}), &n
}

func answerWith(status int, body string, h http.Header) func(*http.Request) (*http.Response, error) {
	return func(r *http.Request) (*http.Response, error) {
		if h == nil {
			h = http.Header{}
		}
		h.Set("Content-Type", "application/json")
		h.Set("X-Request-Id", "req_1")
		return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	}
}

func TestRetryAfterWaited(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		limited := answerWith(429, `{"error":{"message":"slow down","code":"rate_limit_exceeded"}}`, http.Header{"Retry-After": {"30"}})
		doer, calls := fakeAnswers(limited)
		c, err := NewClient(WithAPIKey(testKey), WithHTTPClient(doer))
		require.NoError(t, err)
		start := time.Now()
		_, err = c.Chat(t.Context(), "m", []Message{UserMessage("hi")})
		require.NoError(t, err)
		if d := time.Since(start); d != 30*time.Second || calls.Load() != 2 {
			t.Errorf("call took %v and %d attempts, want 30s and 2", d, calls.Load())
		}
	})
}

func TestCancelDuringRetryWait(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		limited := answerWith(503, `{"error":{"message":"busy"}}`, http.Header{"Retry-After": {"30"}})
		doer, _ := fakeAnswers(limited)
		c, err := NewClient(WithAPIKey(testKey), WithHTTPClient(doer))
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(10*time.Second, cancel)
		start := time.Now()
		_, err = c.Chat(ctx, "m", []Message{UserMessage("hi")})
		if d := time.Since(start); d != 10*time.Second {
			t.Errorf("call took %v, want 10s", d)
		}
		var apiErr *APIError
		if !errors.Is(err, context.Canceled) || !errors.As(err, &apiErr) || apiErr.StatusCode != 503 {
			t.Errorf("error %v, want context.Canceled and the 503", err)
		}
		if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "aione: context canceled (last error: 503") {
			t.Errorf("error text %q, want one line naming both", err)
		}
	})
}

func TestResponseHeaderTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		doer := doerFunc(func(r *http.Request) (*http.Response, error) {
			if calls.Add(1) == 1 {
				<-r.Context().Done() // headers never come
				return nil, r.Context().Err()
			}
			return answerWith(200, okBody, nil)(r)
		})
		c, err := NewClient(WithAPIKey(testKey), WithHTTPClient(doer), WithResponseHeaderTimeout(5*time.Second), WithBackoff(time.Second, time.Second))
		require.NoError(t, err)
		start := time.Now()
		resp, err := c.Chat(t.Context(), "m", []Message{UserMessage("hi")})
		require.NoError(t, err)
		if resp.Text() != "hi" || calls.Load() != 2 {
			t.Errorf("answer %q after %d attempts", resp.Text(), calls.Load())
		}
		if d := time.Since(start); d < 5*time.Second || d > 7*time.Second {
			t.Errorf("call took %v, want the 5s timeout and a ~1s backoff", d)
		}

		_, err = c.Chat(t.Context(), "m", []Message{UserMessage("hi")}, WithMaxRetries(0), WithHTTPClient(doerFunc(func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done()
			return nil, r.Context().Err()
		})))
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no response headers within 5s") {
			t.Errorf("error %v, want the header timeout", err)
		}
	})
}

func TestAPIErrorRetryable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		e    APIError
		want bool
	}{
		{APIError{StatusCode: 503}, true},
		{APIError{StatusCode: 429, Code: "rate_limit_exceeded"}, true},
		{APIError{StatusCode: 429, Code: "insufficient_quota"}, false},
		{APIError{StatusCode: 400}, false},
		{APIError{StatusCode: 501}, false},
		{APIError{StatusCode: 200}, false},
		{APIError{StatusCode: 400, Header: http.Header{"X-Should-Retry": {"true"}}}, true},
	}
	for _, tt := range tests {
		if got := tt.e.Retryable(); got != tt.want {
			t.Errorf("%v: Retryable() = %v, want %v", &tt.e, got, tt.want)
		}
	}
}

func TestErrClosed(t *testing.T) {
	t.Parallel()
	c, _ := newTestClient(t, oneChunkThenWait)
	s, err := c.ChatStream(t.Context(), "m", []Message{UserMessage("hi")})
	require.NoError(t, err)
	require.True(t, s.Next())
	require.NoError(t, s.Close())
	if s.Next() || !errors.Is(s.Err(), ErrClosed) {
		t.Errorf("after Close: Err() = %v, want ErrClosed", s.Err())
	}
}

func TestOptionErrorsOneLine(t *testing.T) {
	t.Parallel()
	_, err := NewClient(WithAPIKey(testKey), WithMaxRetries(-1), WithTimeout(-1))
	if err == nil || strings.Contains(err.Error(), "\n") || strings.Count(err.Error(), "aione: ") != 1 {
		t.Errorf("error %q, want both problems in one line", err)
	}
}

func TestErrClosedToolStream(t *testing.T) {
	t.Parallel()
	c, _ := newTestClient(t, oneChunkThenWait)
	s, err := c.RunToolsStream(t.Context(), "m", []Message{UserMessage("hi")}, nil)
	require.NoError(t, err)
	require.True(t, s.Next())
	require.NoError(t, s.Close())
	if s.Next() || !errors.Is(s.Err(), ErrClosed) {
		t.Errorf("after Close: Err() = %v, want ErrClosed", s.Err())
	}
	keyless, err := NewClient(WithBaseURL("http://localhost:1/v1"), WithAPIKey(""))
	require.NoError(t, err)
	if got := keyless.String(); !strings.Contains(got, `APIKey: ""`) {
		t.Errorf("String() = %q", got)
	}
}

func TestAnswerLog(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		var req ChatRequest
		body, _ := io.ReadAll(r.Body)
		_ = req.UnmarshalJSON(body)
		if req.Stream {
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, twoChunks)
			return
		}
		reply(200, "application/json", okBody)(w, r)
	}, WithLogger(logger))
	_, err := c.Chat(t.Context(), "m", []Message{UserMessage("hi")})
	require.NoError(t, err)
	s, err := c.ChatStream(t.Context(), "m", []Message{UserMessage("hi")})
	require.NoError(t, err)
	for s.Next() {
	}
	require.NoError(t, s.Err())
	var answers []string
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, `msg="aione: answer"`) {
			answers = append(answers, line[strings.Index(line, "model="):])
		}
	}
	want := []string{
		"model=m response_model=m request_id=req_123 input_tokens=1 output_tokens=1\n",
		"model=m response_model=\"\" request_id=\"\"\n",
	}
	if !slices.Equal(answers, want) {
		t.Errorf("answer lines %q, want %q", answers, want)
	}
}

// oneChunkThenWait streams one chunk and then nothing until the client
// goes away.
func oneChunkThenWait(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	_, _ = io.WriteString(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n")
	w.(http.Flusher).Flush()
	<-r.Context().Done()
}

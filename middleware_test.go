package aione

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// recorder is a middleware that notes its name and the attempt it sees.
type recorder struct {
	mu  sync.Mutex
	log []string
}

func (r *recorder) mw(name string) Middleware {
	return func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
		r.mu.Lock()
		r.log = append(r.log, name+req.Header.Get(attemptHeader))
		r.mu.Unlock()
		req.Header.Add("X-Trail", name)
		return next(req)
	}
}

func TestMiddlewareWrapsEveryAttempt(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		trails []string
		calls  int
	)
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		trails = append(trails, strings.Join(r.Header.Values("X-Trail"), ","))
		mu.Unlock()
		if n == 1 {
			reply(503, "application/json", `{"error":{"message":"busy"}}`)(w, r)
			return
		}
		reply(200, "application/json", okBody)(w, r)
	}, WithMaxRetries(2))
	rec := &recorder{}
	c, err := c.With(WithMiddleware(rec.mw("a"), rec.mw("b")))
	require.NoError(t, err)
	_, err = c.Chat(t.Context(), "m", []Message{UserMessage("hi")}, WithMiddleware(rec.mw("c")))
	require.NoError(t, err)
	if diff := cmp.Diff([]string{"a1", "b1", "c1", "a2", "b2", "c2"}, rec.log); diff != "" {
		t.Errorf("middleware order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a,b,c", "a,b,c"}, trails); diff != "" {
		t.Errorf("headers the server saw (-want +got):\n%s", diff)
	}
}

func TestMiddlewareAnswersItself(t *testing.T) {
	t.Parallel()
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		t.Error("the server was reached")
	})
	cached := func(req *http.Request, _ func(*http.Request) (*http.Response, error)) (*http.Response, error) {
		return &http.Response{
			StatusCode: 200, Request: req,
			Header: http.Header{"Content-Type": {"application/json"}},
			Body:   io.NopCloser(strings.NewReader(okBody)),
		}, nil
	}
	resp, err := c.Chat(t.Context(), "m", []Message{UserMessage("hi")}, WithMiddleware(cached))
	require.NoError(t, err)
	if resp.Text() != "hi" {
		t.Errorf("Text = %q, want hi", resp.Text())
	}
}

// TestMiddlewareSeesStreamReopen checks that reopening a stream that broke
// before its first chunk goes through the middleware again.
func TestMiddlewareSeesStreamReopen(t *testing.T) {
	t.Parallel()
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}, WithMaxRetries(1))
	var attempts []string
	broken := func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
		attempts = append(attempts, req.Header.Get(attemptHeader))
		if len(attempts) == 1 {
			return &http.Response{
				StatusCode: 200, Request: req,
				Header: http.Header{"Content-Type": {"text/event-stream"}},
				Body:   io.NopCloser(io.MultiReader(strings.NewReader(": ping\n"), errReader{io.ErrUnexpectedEOF})),
			}, nil
		}
		return next(req)
	}
	s, err := c.ChatStream(t.Context(), "m", []Message{UserMessage("hi")}, WithMiddleware(broken))
	require.NoError(t, err)
	for s.Next() {
	}
	require.NoError(t, s.Err())
	if diff := cmp.Diff([]string{"1", "2"}, attempts); diff != "" {
		t.Errorf("attempts the middleware saw (-want +got):\n%s", diff)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestMiddlewareErrors(t *testing.T) {
	t.Parallel()
	c, _ := newTestClient(t, reply(200, "application/json", okBody))
	_, err := NewClient(WithAPIKey(testKey), WithMiddleware(nil))
	if err == nil || !strings.Contains(err.Error(), "nil") {
		t.Errorf("NewClient(WithMiddleware(nil)) = %v, want an error", err)
	}
	failing := func(*http.Request, func(*http.Request) (*http.Response, error)) (*http.Response, error) {
		return nil, context.Canceled
	}
	_, err = c.Chat(t.Context(), "m", []Message{UserMessage("hi")}, WithMiddleware(failing))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want the middleware's", err)
	}
}

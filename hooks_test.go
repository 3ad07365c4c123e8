package aione

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

type ctxKey struct{}

// hookLog records what hooks see, checking each gets the context Start
// returned.
type hookLog struct {
	mu     sync.Mutex
	events []string
}

func (l *hookLog) add(ctx context.Context, format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ctx.Value(ctxKey{}) == nil {
		format = "(no span) " + format
	}
	l.events = append(l.events, fmt.Sprintf(format, args...))
}

func (l *hookLog) hooks() Hooks {
	return Hooks{
		Start: func(ctx context.Context, c *CallInfo) context.Context {
			ctx = context.WithValue(ctx, ctxKey{}, c.Model)
			l.add(ctx, "start %s %s stream=%v %s", c.Operation, c.Model, c.Stream, c.ServerAddress)
			return ctx
		},
		Retry: func(ctx context.Context, _ *CallInfo, r RetryInfo) { l.add(ctx, "retry %d", r.Attempt) },
		Chunk: func(ctx context.Context, _ *CallInfo, c *ChatChunk) {
			l.add(ctx, "chunk %q", c.Choices[0].Delta.Content)
		},
		End: func(ctx context.Context, c *CallInfo, resp *ChatResponse, err error) {
			text := ""
			if resp != nil {
				text = resp.Text()
			}
			l.add(ctx, "end %q %v", text, err)
		},
		ToolStart: func(ctx context.Context, c ToolCall) context.Context {
			ctx = context.WithValue(ctx, ctxKey{}, c.ID)
			l.add(ctx, "tool start %s", c.Function.Name)
			return ctx
		},
		ToolEnd: func(ctx context.Context, e ToolEvent) { l.add(ctx, "tool end %s %s", e.Call.Function.Name, e.Result) },
	}
}

func TestHooksChat(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	var sawCtx atomic.Bool
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			reply(500, "application/json", `{"error":{"message":"oops"}}`)(w, r)
			return
		}
		reply(200, "application/json", okBody)(w, r)
	}, WithMaxRetries(1))
	log := &hookLog{}
	mw := func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
		sawCtx.Store(req.Context().Value(ctxKey{}) != nil)
		return next(req)
	}
	_, err := c.Chat(t.Context(), "m", []Message{UserMessage("hi")}, WithHooks(log.hooks()), WithMiddleware(mw))
	require.NoError(t, err)
	want := []string{"start chat m stream=false 127.0.0.1", "retry 1", `end "hi" <nil>`}
	if diff := cmp.Diff(want, log.events); diff != "" {
		t.Errorf("hooks (-want +got):\n%s", diff)
	}
	if !sawCtx.Load() {
		t.Error("the middleware did not get the context Start returned")
	}

	log.events = nil
	_, err = c.Chat(t.Context(), "m", []Message{UserMessage("hi")}, WithHooks(log.hooks()), WithHTTPClient(doerFunc(func(*http.Request) (*http.Response, error) {
		return answerWith(401, `{"error":{"message":"bad key"}}`, nil)(nil)
	})))
	if len(log.events) != 2 || !strings.HasPrefix(log.events[1], `end "" aione: 401`) {
		t.Errorf("hooks of a failed call: %q, err %v", log.events, err)
	}
}

const twoChunks = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n" +
	"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"

func TestHooksStream(t *testing.T) {
	t.Parallel()
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, twoChunks)
	})
	log := &hookLog{}
	s, err := c.ChatStream(t.Context(), "m", []Message{UserMessage("hi")}, WithHooks(log.hooks()))
	require.NoError(t, err)
	for s.Next() {
	}
	require.NoError(t, s.Err())
	require.NoError(t, s.Close())
	want := []string{"start chat m stream=true 127.0.0.1", `chunk "a"`, `chunk "b"`, `end "ab" <nil>`}
	if diff := cmp.Diff(want, log.events); diff != "" {
		t.Errorf("hooks (-want +got):\n%s", diff)
	}

	// Closed after one chunk: End comes from Close, once.
	log.events = nil
	s, err = c.ChatStream(t.Context(), "m", []Message{UserMessage("hi")}, WithHooks(log.hooks()))
	require.NoError(t, err)
	require.True(t, s.Next())
	require.NoError(t, s.Close())
	require.False(t, s.Next())
	require.NoError(t, s.Close())
	want = []string{"start chat m stream=true 127.0.0.1", `chunk "a"`, `end "a" aione: stream closed`}
	if diff := cmp.Diff(want, log.events); diff != "" {
		t.Errorf("hooks of a closed stream (-want +got):\n%s", diff)
	}
}

func TestHooksTools(t *testing.T) {
	t.Parallel()
	var turns atomic.Int32
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if turns.Add(1) == 1 {
			reply(200, "application/json", `{"choices":[{"index":0,"message":{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"echo","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}`)(w, r)
			return
		}
		reply(200, "application/json", okBody)(w, r)
	})
	log := &hookLog{}
	var toolCtx atomic.Value
	echo := MustFunctionTool("echo", "Echoes.", func(ctx context.Context, _ struct{}) (string, error) {
		toolCtx.Store(ctx.Value(ctxKey{}))
		return "echoed", nil
	})
	_, err := c.RunTools(t.Context(), "m", []Message{UserMessage("hi")}, []RunnableTool{echo}, WithHooks(log.hooks()))
	require.NoError(t, err)
	want := []string{
		"start chat m stream=false 127.0.0.1", `end "" <nil>`,
		"tool start echo", "tool end echo echoed",
		"start chat m stream=false 127.0.0.1", `end "hi" <nil>`,
	}
	if diff := cmp.Diff(want, log.events); diff != "" {
		t.Errorf("hooks (-want +got):\n%s", diff)
	}
	if toolCtx.Load() != "call_1" {
		t.Errorf("the tool got context value %v, want ToolStart's", toolCtx.Load())
	}
	if errors.Is(err, ErrClosed) {
		t.Error("unreachable")
	}
}

// TestHooksStreamClosedWhileWaiting closes a stream from another goroutine
// while Next waits: End runs once, on the goroutine of Next.
func TestHooksStreamClosedWhileWaiting(t *testing.T) {
	t.Parallel()
	c, _ := newTestClient(t, oneChunkThenWait)
	var ends atomic.Int32
	var endErr atomic.Value
	hooks := Hooks{End: func(_ context.Context, _ *CallInfo, _ *ChatResponse, err error) {
		ends.Add(1)
		endErr.Store(err)
	}}
	s, err := c.ChatStream(t.Context(), "m", []Message{UserMessage("hi")}, WithHooks(hooks))
	require.NoError(t, err)
	require.True(t, s.Next())
	done := make(chan bool)
	go func() { done <- s.Next() }()
	_ = s.Close()
	if <-done {
		t.Error("Next returned a chunk after Close")
	}
	_ = s.Close()
	if ends.Load() != 1 || !errors.Is(endErr.Load().(error), ErrClosed) {
		t.Errorf("End called %d times, last with %v; want once with ErrClosed", ends.Load(), endErr.Load())
	}
}

package aione

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// TestStreamDoneWithoutTerminator checks that a body ending with
// "data: [DONE]" and no line terminator ends the stream cleanly, and that
// the same body cut inside a chunk is still truncated.
func TestStreamDoneWithoutTerminator(t *testing.T) {
	t.Parallel()
	whole := strings.TrimSuffix(streamText("all done"), "\n\n")
	for name, tc := range map[string]struct {
		body    string
		wantErr bool
	}{
		"no terminator":        {whole, false},
		"no space":             {strings.TrimSuffix(whole, "data: [DONE]") + "data:[DONE]", false},
		"trailing space":       {whole + "  ", false},
		"one line terminator":  {whole + "\n", false},
		"cut inside [DONE]":    {strings.TrimSuffix(whole, "NE]"), true},
		"cut inside a chunk":   {whole[:len(whole)-40], true},
		"[DONE] inside a line": {strings.TrimSuffix(whole, "data: [DONE]") + "data: x[DONE]", true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			doer := streamDoer(func(req *http.Request) (*http.Response, error) {
				return streamResponse(req, "text/event-stream", strings.NewReader(tc.body)), nil
			})
			s, err := newStreamClient(t, doer, WithMaxRetries(0)).ChatStream(t.Context(), "m", hello)
			require.NoError(t, err)
			for s.Next() {
			}
			if gotErr := s.Err() != nil; gotErr != tc.wantErr {
				t.Fatalf("Err() = %v, want an error: %v", s.Err(), tc.wantErr)
			}
			if !tc.wantErr {
				require.Equal(t, "all done", s.Response().Text())
			}
		})
	}
}

// keptOpenBody is a body that serves its text and then blocks, as a server
// that keeps the connection open after [DONE] does, until it is closed.
type keptOpenBody struct {
	r      io.Reader
	closed chan struct{}
	once   sync.Once
}

func (b *keptOpenBody) Read(p []byte) (int, error) {
	if n, _ := b.r.Read(p); n > 0 {
		return n, nil
	}
	<-b.closed
	return 0, io.ErrClosedPipe
}

func (b *keptOpenBody) Close() error {
	b.once.Do(func() { close(b.closed) })
	return nil
}

// TestStreamEndsAtDone checks that the stream ends as soon as it reads
// [DONE], without waiting for a server that keeps the body open: in a
// synctest bubble any wait on a timer would advance the fake clock, and a
// read waiting on the body would never end.
func TestStreamEndsAtDone(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		body := &keptOpenBody{r: strings.NewReader(streamText("kept open")), closed: make(chan struct{})}
		doer := streamDoer(func(req *http.Request) (*http.Response, error) {
			resp := streamResponse(req, "text/event-stream", nil)
			resp.Body = body
			return resp, nil
		})
		s, err := newStreamClient(t, doer).ChatStream(t.Context(), "m", hello)
		require.NoError(t, err)
		start := time.Now()
		for s.Next() {
		}
		require.NoError(t, s.Err())
		if d := time.Since(start); d != 0 {
			t.Errorf("the stream took %v of fake time to end after [DONE], want 0", d)
		}
		select {
		case <-body.closed:
		default:
			t.Error("the body is still open after [DONE]")
		}
		require.Equal(t, "kept open", s.Response().Text())
	})
}

// TestStreamKeepsChunks checks that every chunk handed out is the
// caller's: kept in a slice, or relayed to another goroutine through a
// channel (run under -race), each keeps its own choices, tool calls and
// strings after the stream goes on.
func TestStreamKeepsChunks(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	const n = 300 // more than a slab holds
	for i := range n {
		b.WriteString(`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"w` + itoa(i) + ` ","tool_calls":[{"index":0,"id":"call_` + itoa(i) + `","function":{"arguments":"a` + itoa(i) + `"}}]}}]}` + "\n\n")
	}
	b.WriteString(`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n")
	body := b.String()
	open := func(t *testing.T) *Stream {
		doer := streamDoer(func(req *http.Request) (*http.Response, error) {
			return streamResponse(req, "text/event-stream", strings.NewReader(body)), nil
		})
		s, err := newStreamClient(t, doer).ChatStream(t.Context(), "m", hello)
		require.NoError(t, err)
		return s
	}
	check := func(t *testing.T, kept []ChatChunk) {
		t.Helper()
		require.Len(t, kept, n+1)
		for i, c := range kept[:n] {
			want := []ChunkChoice{{Delta: Delta{
				Content:   "w" + itoa(i) + " ",
				ToolCalls: []ToolCallDelta{{ID: "call_" + itoa(i), Function: FunctionCall{Arguments: "a" + itoa(i)}}},
			}}}
			if i > 0 {
				// Later fragments with a new ID start new calls.
				want[0].Delta.ToolCalls[0].Index = i
			}
			if diff := cmp.Diff(want, c.Choices); diff != "" {
				t.Fatalf("chunk %d changed (-want +got):\n%s", i, diff)
			}
		}
	}
	t.Run("slice", func(t *testing.T) {
		t.Parallel()
		var kept []ChatChunk
		for c, err := range open(t).All() {
			require.NoError(t, err)
			kept = append(kept, c)
		}
		check(t, kept)
	})
	t.Run("channel", func(t *testing.T) {
		t.Parallel()
		ch := make(chan ChatChunk)
		done := make(chan []ChatChunk)
		go func() {
			var kept []ChatChunk
			for c := range ch {
				_ = c.Choices[0].Delta.Content // read while the stream goes on
				kept = append(kept, c)
			}
			done <- kept
		}()
		s := open(t)
		for s.Next() {
			ch <- s.Current()
		}
		close(ch)
		require.NoError(t, s.Err())
		check(t, <-done)
	})
}

func itoa(i int) string { return strconv.Itoa(i) }

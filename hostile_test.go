package aione

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The hostile-server suite: one test per attack of a server that wants a
// call to cost more than linear time, unbounded memory, or the API key.
// Time bounds are generous (a loaded 2-core machine must pass): each is far
// above what linear work takes and far below what the attack cost before.
// Heap bounds are read with runtime.MemStats after a GC, so these tests
// are not parallel.

const hostileKey = "sk-hostile-0123456789abcdefXYZ"

// hostileClient returns a client whose every attempt is answered by
// respond, in memory, with fast retries.
func hostileClient(t *testing.T, respond func(*http.Request) *http.Response, opts ...Option) *Client {
	t.Helper()
	doer := doerFunc(func(r *http.Request) (*http.Response, error) {
		resp := respond(r)
		resp.Request = r
		return resp, nil
	})
	all := append([]Option{
		WithBaseURL("http://hostile.test/v1"), WithAPIKey(hostileKey), WithHTTPClient(doer),
		WithMaxRetries(0), WithBackoff(time.Millisecond, time.Millisecond),
	}, opts...)
	c, err := NewClient(all...)
	require.NoError(t, err)
	return c
}

// answer returns a response with the given status, content type and body.
func answer(status int, contentType string, body io.Reader) *http.Response {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(body), ContentLength: -1}
}

// deepJSON returns a string of size bytes nested in depth arrays: the
// shape that made every level of the old error parser read the whole body
// again.
func deepJSON(depth, size int) []byte {
	var b bytes.Buffer
	b.Grow(2*depth + size + 2)
	b.WriteString(strings.Repeat("[", depth))
	b.WriteByte('"')
	b.WriteString(strings.Repeat("a", size))
	b.WriteByte('"')
	b.WriteString(strings.Repeat("]", depth))
	return b.Bytes()
}

// within fails the test if f takes longer than budget.
func within(t *testing.T, budget time.Duration, f func()) time.Duration {
	t.Helper()
	start := time.Now()
	f()
	took := time.Since(start)
	if took > budget {
		t.Errorf("took %v, want at most %v", took, budget)
	}
	t.Logf("took %v", took)
	return took
}

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

var hi = []Message{UserMessage("hi")}

// TestHostileDeepErrorBody: an error body of "[" nested 9,999 deep around
// a string costs linear time, as an error answer, a 200 answer, and a
// stream's error event.
func TestHostileDeepErrorBody(t *testing.T) {
	t.Run("parser, 1 MiB", func(t *testing.T) {
		body := deepJSON(9999, 1<<20)
		within(t, 10*time.Second, func() {
			e := newAPIError(http.StatusBadRequest, nil, body)
			if !strings.HasPrefix(e.Message, "[[[") {
				t.Errorf("Message = %.40q, want an excerpt of the body", e.Message)
			}
		})
	})
	t.Run("status 400, 64 KiB, 3 attempts", func(t *testing.T) {
		body := deepJSON(9999, 44<<10)
		c := hostileClient(t, func(*http.Request) *http.Response {
			return answer(http.StatusInternalServerError, "application/json", bytes.NewReader(body))
		}, WithMaxRetries(2))
		within(t, 10*time.Second, func() {
			_, err := c.Chat(t.Context(), "m", hi)
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, 3, apiErr.Attempts)
		})
	})
	t.Run("status 200, 1 MiB", func(t *testing.T) {
		body := deepJSON(9999, 1<<20)
		c := hostileClient(t, func(*http.Request) *http.Response {
			return answer(http.StatusOK, "application/json", bytes.NewReader(body))
		})
		within(t, 10*time.Second, func() {
			_, err := c.Chat(t.Context(), "m", hi)
			require.ErrorContains(t, err, "decoding response")
		})
	})
	t.Run("stream error event, 1 MiB", func(t *testing.T) {
		event := "event: error\ndata: " + string(deepJSON(9999, 1<<20)) + "\n\n"
		c := hostileClient(t, func(*http.Request) *http.Response {
			return answer(http.StatusOK, "text/event-stream", strings.NewReader(event))
		})
		within(t, 10*time.Second, func() {
			s, err := c.ChatStream(t.Context(), "m", hi)
			require.NoError(t, err)
			for s.Next() {
			}
			var apiErr *APIError
			require.ErrorAs(t, s.Err(), &apiErr)
		})
	})
}

// gzipRepeat returns prefix, n times unit, then suffix, compressed by gzip
// as one member each (a gzip reader reads the members as one stream), so
// that hundreds of MiB cost the test one compression of unit.
func gzipRepeat(prefix, unit []byte, n int, suffix []byte) (wire []byte, inflated int) {
	member := func(b []byte) []byte {
		var z bytes.Buffer
		w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		_, _ = w.Write(b)
		_ = w.Close()
		return z.Bytes()
	}
	wire = member(prefix)
	u := member(unit)
	for range n {
		wire = append(wire, u...)
	}
	return append(wire, member(suffix)...), len(prefix) + n*len(unit) + len(suffix)
}

// gzipServer starts a loopback server that answers every request with the
// gzip stream wire: net/http's transport inflates it on the client's side.
func gzipServer(t *testing.T, contentType string, wire []byte, inflated int) *Client {
	t.Helper()
	t.Logf("%d bytes on the wire inflate to %d", len(wire), inflated)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(wire)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(WithBaseURL(srv.URL+"/v1"), WithAPIKey(hostileKey), WithMaxRetries(0))
	require.NoError(t, err)
	return c
}

// gzipDeep is deepJSON(9999, mib MiB) compressed.
func gzipDeep(mib int) ([]byte, int) {
	return gzipRepeat([]byte(strings.Repeat("[", 9999)+`"`), bytes.Repeat([]byte("a"), 1<<20), mib, []byte(`"`+strings.Repeat("]", 9999)))
}

// TestHostileGzipBody: the deep-nesting answer compressed, so that a few
// hundred KiB on the wire inflate to hundreds of MiB, costs time linear in
// the inflated size, and a context that ends stops it within a short while.
func TestHostileGzipBody(t *testing.T) {
	t.Run("8 MiB inflated", func(t *testing.T) {
		wire, n := gzipDeep(8)
		c := gzipServer(t, "application/json", wire, n)
		within(t, 10*time.Second, func() {
			_, err := c.Chat(t.Context(), "m", hi)
			require.ErrorContains(t, err, "decoding response")
		})
	})
	t.Run("1 MiB inflated from 2 KiB, 300 ms context", func(t *testing.T) {
		wire, n := gzipDeep(1)
		c := gzipServer(t, "application/json", wire, n)
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		within(t, 5*time.Second, func() {
			_, err := c.Chat(ctx, "m", hi)
			require.Error(t, err)
		})
	})
	t.Run("256 MiB inflated, 100 ms context", func(t *testing.T) {
		wire, n := gzipDeep(255)
		c := gzipServer(t, "application/json", wire, n)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		took := within(t, 5*time.Second, func() {
			_, err := c.Chat(ctx, "m", hi)
			require.ErrorIs(t, err, context.DeadlineExceeded)
		})
		t.Logf("returned %v after the deadline", took-100*time.Millisecond)
	})
}

// TestHostileGrowingStream: a stream of 128 events of 1 MiB (gzip: well
// under 1 MiB on the wire) holds what WithMaxResponseSize allows, or one
// event with WithoutAccumulation.
func TestHostileGrowingStream(t *testing.T) {
	event := `data: {"choices":[{"index":0,"delta":{"content":"` + strings.Repeat("x", 1<<20) + `"}}]}` + "\n\n"
	wire, n := gzipRepeat(nil, []byte(event), 128, []byte("data: [DONE]\n\n"))
	c := gzipServer(t, "text/event-stream", wire, n)
	t.Run("bounded", func(t *testing.T) {
		n, grown := readTooLarge(t, c, 16<<20)
		if n > 16 {
			t.Errorf("%d events merged, want at most 16", n)
		}
		if grown > 64<<20 {
			t.Errorf("heap grew by %d MiB, want at most 64", grown>>20)
		}
	})
	t.Run("not merged", func(t *testing.T) {
		base := heapInUse()
		s, err := c.ChatStream(t.Context(), "m", hi, WithoutAccumulation())
		require.NoError(t, err)
		n := 0
		var peak uint64
		for s.Next() {
			if n++; n%16 == 0 {
				peak = max(peak, heapInUse()-min(base, heapInUse()))
			}
		}
		require.NoError(t, s.Err())
		require.Equal(t, 128, n)
		require.Nil(t, s.Response())
		t.Logf("heap grew by at most %d MiB over 128 MiB of text", peak>>20)
		if peak > 32<<20 {
			t.Errorf("heap grew by %d MiB, want at most 32", peak>>20)
		}
		runtime.KeepAlive(s)
	})
}

// TestHostileNoMergeEnds: without merging, a stream still knows whether
// every choice finished, so that one without [DONE] ends cleanly only when
// they did, and missing indexes still get their positions.
func TestHostileNoMergeEnds(t *testing.T) {
	for name, tt := range map[string]struct {
		body    string
		wantErr error
	}{
		"finished":   {`data: {"choices":[{"delta":{"content":"a","tool_calls":[{"id":"c"}]}}]}` + "\n\n" + `data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n", nil},
		"unfinished": {`data: {"choices":[{"delta":{"content":"a","tool_calls":[{"id":"c"}]}}]}` + "\n\n", ErrTruncated},
	} {
		t.Run(name, func(t *testing.T) {
			c := hostileClient(t, func(*http.Request) *http.Response {
				return answer(http.StatusOK, "text/event-stream", strings.NewReader(tt.body))
			})
			s, err := c.ChatStream(t.Context(), "m", hi, WithoutAccumulation())
			require.NoError(t, err)
			require.True(t, s.Next())
			ch := s.Current().Choices[0]
			require.Equal(t, 0, ch.Index)
			require.Equal(t, 0, ch.Delta.ToolCalls[0].Index)
			for s.Next() {
			}
			if tt.wantErr == nil {
				require.NoError(t, s.Err())
			} else {
				require.ErrorIs(t, s.Err(), tt.wantErr)
			}
			require.Nil(t, s.Response())
		})
	}
}

// TestHostileNoMergeToolLoop: the tool loop needs each turn's whole
// answer, so it merges whatever WithoutAccumulation says.
func TestHostileNoMergeToolLoop(t *testing.T) {
	_, c := newToolsEnv(t)
	r := &ToolRunner{Client: c, Model: "gpt-4o", Tools: []RunnableTool{weatherTool(t)}, Options: []Option{WithoutAccumulation()}}
	s, err := r.RunStream(t.Context(), []Message{UserMessage("Weather in Paris?")})
	require.NoError(t, err)
	for s.Next() {
	}
	require.NoError(t, s.Err())
	require.Equal(t, 2, s.Run().Steps)
}

// callStream is an event stream of n events, each holding one tool call
// fragment that starts a new call (a new ID under index 0), made as it is
// read.
type callStream struct {
	n, i int
	buf  []byte
}

func (r *callStream) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.i == r.n {
			return 0, io.EOF
		}
		r.i++
		r.buf = fmt.Appendf(r.buf[:0], `data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c%d","function":{"name":"f","arguments":""}}]}}]}`+"\n\n", r.i)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// TestHostileManyToolCalls: a million tool call fragments, each opening a
// new call, reach the response bound like text does.
func TestHostileManyToolCalls(t *testing.T) {
	one := &ChatChunk{Choices: []ChunkChoice{{Delta: Delta{ToolCalls: []ToolCallDelta{{ID: "c1", Function: FunctionCall{Name: "f"}}}}}}}
	if n := 1_000_000 * cost(one); n <= DefaultMaxResponseSize {
		t.Errorf("a million new calls cost %d, within the default bound %d", n, DefaultMaxResponseSize)
	}
	c := hostileClient(t, func(*http.Request) *http.Response {
		return answer(http.StatusOK, "text/event-stream", &callStream{n: 1_000_000})
	})
	if _, grown := readTooLarge(t, c, 16<<20); grown > 48<<20 {
		t.Errorf("heap grew by %d MiB, want at most 48", grown>>20)
	}
}

// TestHostileExtraMembers: members the types do not name are kept for the
// round trip, so a stream that sends its bulk in them reaches the response
// bound like text does.
func TestHostileExtraMembers(t *testing.T) {
	sig := strings.Repeat("s", 64<<10)
	event := `data: {"choices":[{"index":0,"delta":{"x_blob":"` + sig + `","tool_calls":[{"index":0,"extra_content":{"google":{"thought_signature":"` + sig + `"}}}]}}]}` + "\n\n"
	c := hostileClient(t, func(*http.Request) *http.Response {
		return answer(http.StatusOK, "text/event-stream", strings.NewReader(strings.Repeat(event, 512)))
	})
	n, _ := readTooLarge(t, c, 4<<20)
	if n > 40 {
		t.Errorf("%d chunks of 128 KiB of members were merged under a 4 MiB bound", n)
	}
}

// readTooLarge reads a stream of c bounded by limit to its end, which must
// be ErrResponseTooLarge, and returns how many chunks it delivered and how
// much the heap grew while the stream was still held.
func readTooLarge(t *testing.T, c *Client, limit int64) (n int, grown uint64) {
	t.Helper()
	base := heapInUse()
	s, err := c.ChatStream(t.Context(), "m", hi, WithMaxResponseSize(limit))
	require.NoError(t, err)
	for s.Next() {
		n++
	}
	grown = heapInUse() - min(base, heapInUse())
	require.ErrorIs(t, s.Err(), ErrResponseTooLarge)
	t.Logf("ended after %d chunks: %v; heap grew %d MiB", n, s.Err(), grown>>20)
	runtime.KeepAlive(s)
	return n, grown
}

// TestHostileKeyEcho: a server that echoes the key into any part of an
// answer never gets it into an error, its fields, or the log.
func TestHostileKeyEcho(t *testing.T) {
	key := hostileKey
	long := strings.Repeat("a", 190) + " " + key // an excerpt would cut the key
	tests := []struct {
		name   string
		stream bool
		resp   func() *http.Response
	}{
		{"undecodable 200 JSON", false, func() *http.Response {
			return answer(200, "application/json", strings.NewReader(`{"choices": "`+key+`"}`))
		}},
		{"undecodable 200 JSON, key at the excerpt's end", false, func() *http.Response {
			return answer(200, "application/json", strings.NewReader(`{"choices": 1, "x": "`+long+`"`))
		}},
		{"error object in a 200 answer", false, func() *http.Response {
			return answer(200, "application/json", strings.NewReader(`{"error":{"message":"bad key `+key+`","type":"`+key+`","code":"`+key+`","param":"`+key+`"}}`))
		}},
		{"error status", false, func() *http.Response {
			r := answer(401, "text/html; x="+key, strings.NewReader("<p>"+long+"</p>"))
			r.Header.Set("X-Request-Id", key)
			return r
		}},
		{"content type of a 200 answer", false, func() *http.Response {
			return answer(200, "text/plain; "+key, strings.NewReader("nope"))
		}},
		{"JSON error object for a stream", true, func() *http.Response {
			return answer(200, "application/json", strings.NewReader(`{"error":{"message":"`+key+`"}}`))
		}},
		{"text/plain for a stream", true, func() *http.Response {
			return answer(200, "text/plain; "+key, strings.NewReader(long))
		}},
		{"sniffed JSON for a stream", true, func() *http.Response {
			return answer(200, "", strings.NewReader(`{"error":"`+key+`"}`))
		}},
		{"sniffed HTML for a stream", true, func() *http.Response {
			return answer(200, "", strings.NewReader(`<html>`+long))
		}},
		{"chunk that is not JSON", true, func() *http.Response {
			return answer(200, "text/event-stream", strings.NewReader("data: {\""+long+"\n\n"))
		}},
		{"error event", true, func() *http.Response {
			return answer(200, "text/event-stream", strings.NewReader("event: error\ndata: {\"error\":{\"message\":\""+key+"\"}}\n\n"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c := hostileClient(t, func(*http.Request) *http.Response { return tt.resp() }, WithLogger(logger))
			var err error
			if tt.stream {
				var s *Stream
				s, err = c.ChatStream(t.Context(), "m", hi)
				if err == nil {
					for s.Next() {
					}
					err = s.Err()
				}
			} else {
				_, err = c.Chat(t.Context(), "m", hi)
			}
			require.Error(t, err)
			shown := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), logs.String()}
			if apiErr := (*APIError)(nil); errors.As(err, &apiErr) {
				shown = append(shown, string(apiErr.Body), apiErr.Message, apiErr.Type, apiErr.Code, apiErr.Param, apiErr.RequestID)
				for k, vs := range apiErr.Header {
					shown = append(shown, k+": "+strings.Join(vs, ","))
				}
			}
			for _, s := range shown {
				if strings.Contains(s, key[:12]) {
					t.Errorf("the key shows in %q", s)
				}
			}
		})
	}
}

// TestHostileFormatVerbs: no fmt verb prints the key, on a Client by value
// or pointer, a struct holding one, an option or an error.
func TestHostileFormatVerbs(t *testing.T) {
	c, err := NewClient(WithAPIKey(hostileKey), WithBaseURL("http://hostile.test/v1"))
	require.NoError(t, err)
	cl, err := c.newCall([]Option{WithTemperature(1)})
	require.NoError(t, err)
	type holder struct {
		C  *Client
		V  Client
		c  *Client
		cv Client
	}
	values := map[string]any{
		"*Client":         c,
		"Client":          *c,
		"struct":          holder{c, *c, c, *c},
		"*struct":         &holder{c, *c, c, *c},
		"[]any":           []any{c, *c},
		"map":             map[string]Client{"a": *c},
		"option":          WithAPIKey(hostileKey),
		"settings":        c.defaults,
		"*call":           cl,
		"secret":          c.defaults.key,
		"secret by value": *c.defaults.key,
	}
	verbs := []string{"%s", "%q", "%v", "%+v", "%#v", "%x", "%X", "%t", "%f", "%c", "%U", "%d", "%o", "%O", "%b", "%e", "%E", "%g", "%G", "%p", "%T", "% x", "%#x", "%+q", "%#q", "%10.3s", "%w"}
	banned := []string{hostileKey, hex.EncodeToString([]byte(hostileKey)), strings.ToUpper(hex.EncodeToString([]byte(hostileKey))), hostileKey[:12]}
	for name, v := range values {
		for _, verb := range verbs {
			out := fmt.Sprintf(verb, v)
			for _, b := range banned {
				if strings.Contains(out, b) {
					t.Errorf("fmt.Sprintf(%q, %s) shows the key: %.200s", verb, name, out)
				}
			}
		}
	}
	if got := fmt.Sprint(c); !strings.Contains(got, "[REDACTED]") {
		t.Errorf("fmt.Sprint(client) = %q, want the key shown as [REDACTED]", got)
	}
}

// TestHostileImages: Images on a text of many "![" and one "](url)" costs
// linear time.
func TestHostileImages(t *testing.T) {
	for name, unit := range map[string]string{"paragraphs": "![a\n\n", "plain": "!["} {
		t.Run(name, func(t *testing.T) {
			text := strings.Repeat(unit, (4<<20)/len(unit)) + "](https://x.test/y.png)"
			r := &ChatResponse{Choices: []Choice{{Message: AssistantMessage(text)}}}
			within(t, 10*time.Second, func() {
				imgs, err := r.Images()
				require.NoError(t, err)
				want := 1
				if name == "paragraphs" {
					want = 0
				}
				require.Len(t, imgs, want)
			})
		})
	}
}

// TestHostileAnnouncedLength: a server announcing 256 MiB and sending one
// byte makes the client allocate for what arrives, not what was announced.
func TestHostileAnnouncedLength(t *testing.T) {
	c := hostileClient(t, func(*http.Request) *http.Response {
		r := answer(http.StatusOK, "application/json", strings.NewReader("{"))
		r.ContentLength = 256 << 20
		return r
	})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 6 {
		_, err := c.Chat(t.Context(), "m", hi)
		require.Error(t, err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("6 calls allocated %d KiB", alloc>>10)
	if alloc > 16<<20 {
		t.Errorf("6 calls allocated %d MiB, want at most 16", alloc>>20)
	}
}

// TestHostileHugeHeaders: a 9 MiB header value, or a huge content type,
// makes no huge error text.
func TestHostileHugeHeaders(t *testing.T) {
	huge := strings.Repeat("r", 9<<20)
	tests := []struct {
		name   string
		stream bool
		resp   func() *http.Response
	}{
		{"x-request-id on an error", false, func() *http.Response {
			r := answer(http.StatusBadRequest, "application/json", strings.NewReader(`{"error":{"message":"no","type":"`+huge[:1<<20]+`"}}`))
			r.Header.Set("X-Request-Id", huge)
			return r
		}},
		{"content type of an undecodable answer", false, func() *http.Response {
			return answer(http.StatusOK, "application/json; "+huge, strings.NewReader("{"))
		}},
		{"content type of a stream", true, func() *http.Response {
			return answer(http.StatusOK, "text/plain; "+huge, strings.NewReader("no"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := hostileClient(t, func(*http.Request) *http.Response { return tt.resp() })
			var err error
			if tt.stream {
				_, err = c.ChatStream(t.Context(), "m", hi)
			} else {
				_, err = c.Chat(t.Context(), "m", hi)
			}
			require.Error(t, err)
			if n := len(err.Error()); n > 2<<10 {
				t.Errorf("error text of %d bytes, want at most 2 KiB", n)
			}
		})
	}
}

// TestHostileRefusedBeforeSending: values the API cannot accept are
// refused and nothing is sent.
func TestHostileRefusedBeforeSending(t *testing.T) {
	var sent atomic.Int64
	c := hostileClient(t, func(*http.Request) *http.Response {
		sent.Add(1)
		return answer(http.StatusOK, "application/json", strings.NewReader(`{}`))
	})
	role := func(r string) []Message { return []Message{{Role: r, Content: TextContent("hi")}} }
	many := func(n int) map[string]string {
		m := map[string]string{}
		for i := range n {
			m[strconv.Itoa(i)] = "v"
		}
		return m
	}
	tests := []struct {
		name string
		msgs []Message
		opts []Option
		want string
	}{
		{"role banana", role("banana"), nil, `unknown role "banana"`},
		{"role with a newline", role("user\n"), nil, `unknown role "user\n"`},
		{"role in capitals", role("User"), nil, `unknown role "User"`},
		{"negative top_k", hi, []Option{WithTopK(-5)}, "top_k -5"},
		{"n 0", hi, []Option{WithN(0)}, "n 0"},
		{"n 129", hi, []Option{WithN(129)}, "n 129"},
		{"top_logprobs 21", hi, []Option{WithLogprobs(21)}, "top_logprobs 21"},
		{"logit_bias 101", hi, []Option{WithLogitBias(map[string]int{"50256": 101})}, "logit_bias 101"},
		{"logit_bias -101", hi, []Option{WithLogitBias(map[string]int{"50256": -101})}, "logit_bias -101"},
		{"logit_bias key not a token", hi, []Option{WithLogitBias(map[string]int{"hello": 1})}, `logit_bias key "hello"`},
		{"five stop sequences", hi, []Option{WithStop("a", "b", "c", "d", "e")}, "5 stop sequences"},
		{"17 metadata pairs", hi, []Option{WithMetadata(many(17))}, "17 metadata pairs"},
		{"metadata key of 65", hi, []Option{WithMetadata(map[string]string{strings.Repeat("k", 65): "v"})}, "65 characters"},
		{"metadata value of 513", hi, []Option{WithMetadata(map[string]string{"k": strings.Repeat("é", 513)})}, "513 characters"},
		{"max_tokens 0", hi, []Option{WithMaxTokens(0)}, "max_tokens 0"},
		{"temperature 3", hi, []Option{WithTemperature(3)}, "temperature 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Chat(t.Context(), "m", tt.msgs, tt.opts...)
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), "\n")
			_, err = c.ChatStream(t.Context(), "m", tt.msgs, tt.opts...)
			require.ErrorContains(t, err, tt.want)
		})
	}
	require.Zero(t, sent.Load(), "requests sent")

	// The edges of every range pass.
	_, err := c.NewChatRequest("m", role(RoleDeveloper), WithN(128), WithTopK(0), WithLogprobs(20),
		WithLogitBias(map[string]int{"0": -100, "50256": 100}), WithStop("a", "b", "c", "d"),
		WithMetadata(map[string]string{strings.Repeat("k", 64): strings.Repeat("é", 512)}))
	require.NoError(t, err)
}

// BenchmarkReadBody reads answers of a few sizes, announced by an honest
// Content-Length, and the 256 MiB a hostile server announces for 1 byte.
func BenchmarkReadBody(b *testing.B) {
	for _, tt := range []struct {
		name      string
		size      int
		announced int64
	}{
		{"4KiB", 4 << 10, 4 << 10},
		{"1MiB", 1 << 20, 1 << 20},
		{"8MiB", 8 << 20, 8 << 20},
		{"8MiB-unannounced", 8 << 20, -1},
		{"1B-of-256MiB", 1, 256 << 20},
	} {
		b.Run(tt.name, func(b *testing.B) {
			body := bytes.Repeat([]byte("a"), tt.size)
			b.SetBytes(int64(tt.size))
			b.ReportAllocs()
			for b.Loop() {
				resp := &http.Response{Body: io.NopCloser(bytes.NewReader(body)), ContentLength: tt.announced}
				if _, err := readBody(context.Background(), resp, DefaultMaxResponseSize+1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// eofFunc is a reader that calls f when its reader is exhausted.
type eofFunc struct {
	io.Reader
	f func()
}

func (r eofFunc) Read(p []byte) (int, error) {
	n, err := r.Reader.Read(p)
	if err == io.EOF {
		r.f()
	}
	return n, err
}

// TestHostileDecodeAfterCancel: a large answer that the fast decoder hands
// over to encoding/json (here for a repeated key), whose call ends just as
// its body is read, is not decoded for seconds: the call returns its
// context's error at once.
func TestHostileDecodeAfterCancel(t *testing.T) {
	body := `{"id":"a","id":"b","choices":[{"index":0,"message":{"role":"assistant","content":"` + strings.Repeat("word ", 1<<20) + `"}}]}`
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c := hostileClient(t, func(*http.Request) *http.Response {
		return answer(http.StatusOK, "application/json", eofFunc{strings.NewReader(body), cancel})
	})
	resp, err := c.Chat(ctx, "m", hi)
	require.Nil(t, resp)
	require.ErrorIs(t, err, context.Canceled)
	require.NotContains(t, err.Error(), "\n")

	// The same answer, with the call still on, decodes.
	resp, err = c.Chat(t.Context(), "m", hi)
	require.NoError(t, err)
	require.Equal(t, "b", resp.ID)
}

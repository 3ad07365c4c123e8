package aione

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/aione/aione-go/internal/benchdata"
)

// The workloads of issue 6 come from internal/benchdata, which
// internal/benchmarks runs through the peer SDKs too.

// newBenchClient returns a client sending to baseURL through doer (the
// default HTTP client if doer is nil), without retries.
func newBenchClient(tb testing.TB, baseURL string, doer HTTPDoer) *Client {
	tb.Helper()
	opts := []Option{WithBaseURL(baseURL), WithAPIKey("sk-bench-0000"), WithMaxRetries(0)}
	if doer != nil {
		opts = append(opts, WithHTTPClient(doer))
	}
	c, err := NewClient(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// benchMessages is the conversation every benchmark sends.
var benchMessages = []Message{UserMessage("What is REST?")}

// readBenchStream reads a whole stream and its Response, and checks that
// it holds chunks chunks adding up to text (only its length, in the timed
// loop, when full is false).
func readBenchStream(tb testing.TB, c *Client, chunks int, text string, full bool) {
	s, err := c.ChatStream(tb.Context(), "claude-sonnet-4-6", benchMessages)
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for s.Next() {
		n++
	}
	if err := s.Err(); err != nil {
		tb.Fatal(err)
	}
	got := s.Response().Text()
	if n != chunks || len(got) != len(text) || full && got != text {
		tb.Fatalf("read %d chunks and %d bytes of text, want %d and %d", n, len(got), chunks, len(text))
	}
}

// perChunk runs loop (a `for b.Loop()` loop) and reports its time and
// memory per chunk of the stream, beside the usual per-op figures.
func perChunk(b *testing.B, chunks int, loop func()) {
	b.Helper()
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	loop()
	runtime.ReadMemStats(&after)
	n := float64(b.N) * float64(chunks)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/chunk")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "B/chunk")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/chunk")
}

// BenchmarkStreamInMemory decodes a stream of 2,000 ordinary content chunks
// from an in-memory body: SSE framing, chunk decoding, accumulation and
// the final Response. One op is the whole stream, request included.
func BenchmarkStreamInMemory(b *testing.B) {
	body, text := benchdata.StreamBody(benchdata.StreamChunks)
	c := newBenchClient(b, "http://aione.invalid/v1", &benchdata.Transport{ContentType: "text/event-stream", Body: body})
	readBenchStream(b, c, benchdata.StreamChunks, text, true)
	b.SetBytes(int64(len(body)))
	perChunk(b, benchdata.StreamChunks, func() {
		for b.Loop() {
			readBenchStream(b, c, benchdata.StreamChunks, text, false)
		}
	})
}

// BenchmarkStreamLoopback reads the same stream from a real HTTP server on
// loopback through the default HTTP client. The server runs in the same
// process, so its costs are counted too.
func BenchmarkStreamLoopback(b *testing.B) {
	body, text := benchdata.StreamBody(benchdata.StreamChunks)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write(body)
	}))
	defer ts.Close()
	c := newBenchClient(b, ts.URL+"/v1", nil)
	readBenchStream(b, c, benchdata.StreamChunks, text, true)
	b.SetBytes(int64(len(body)))
	perChunk(b, benchdata.StreamChunks, func() {
		for b.Loop() {
			readBenchStream(b, c, benchdata.StreamChunks, text, false)
		}
	})
}

// BenchmarkChat makes non-streaming calls answered from memory with a
// typical (~1 KB) and a large (~128 KiB) chat.completion body. One op is a
// whole call: encoding the request, decoding the answer.
func BenchmarkChat(b *testing.B) {
	for _, bc := range []struct {
		name string
		text string
	}{
		{"body=1KB", benchdata.TypicalText},
		{"body=128KB", benchdata.LargeText},
	} {
		body := benchdata.ChatBody(bc.text)
		b.Run(bc.name, func(b *testing.B) {
			c := newBenchClient(b, "http://aione.invalid/v1", &benchdata.Transport{ContentType: "application/json", Body: body})
			check := func(full bool) {
				r, err := c.Chat(b.Context(), "claude-sonnet-4-6", benchMessages)
				if err != nil {
					b.Fatal(err)
				}
				if got := r.Text(); len(got) != len(bc.text) || full && got != bc.text {
					b.Fatalf("got %d bytes of text, want %d", len(got), len(bc.text))
				}
			}
			check(true)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				check(false)
			}
		})
	}
}

// BenchmarkStreamInMemoryHooked is BenchmarkStreamInMemory with a Chunk
// and an End hook that do nothing: the cost of observing a stream.
func BenchmarkStreamInMemoryHooked(b *testing.B) {
	body, text := benchdata.StreamBody(benchdata.StreamChunks)
	c := newBenchClient(b, "http://aione.invalid/v1", &benchdata.Transport{ContentType: "text/event-stream", Body: body})
	c, err := c.With(WithHooks(Hooks{
		Chunk: func(context.Context, *CallInfo, *ChatChunk) {},
		End:   func(context.Context, *CallInfo, *ChatResponse, error) {},
	}))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	perChunk(b, benchdata.StreamChunks, func() {
		for b.Loop() {
			readBenchStream(b, c, benchdata.StreamChunks, text, false)
		}
	})
}

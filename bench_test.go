package aione

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// The workloads of issue 6. internal/benchmarks runs the same ones through
// the peer SDKs; keep the two in step.

// benchStreamChunks is the number of content chunks of the benchmark stream.
const benchStreamChunks = 2000

// benchWords are the contents of the benchmark stream's chunks, 1 to 8
// characters each, as a model streams them.
var benchWords = []string{"REST", " is", " an", " archit", "ectural", " style", ",", " not", " a", " proto", "col", "."}

// benchStreamBody returns an event stream of n ordinary content chunks of
// about 180 bytes each followed by [DONE], and the text they add up to.
func benchStreamBody(n int) (body []byte, text string) {
	var b, t bytes.Buffer
	for i := range n {
		w := benchWords[i%len(benchWords)]
		b.WriteString(`data: {"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1711500000,"model":"claude-sonnet-4-6","choices":[{"index":0,"delta":{"content":"`)
		b.WriteString(w)
		b.WriteString(`"},"finish_reason":null}]}` + "\n\n")
		t.WriteString(w)
	}
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes(), t.String()
}

// benchChatBody returns a chat.completion body whose answer is text.
func benchChatBody(text string) []byte {
	content, err := json.Marshal(text)
	if err != nil {
		panic(err)
	}
	return []byte(`{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1711500000,` +
		`"model":"claude-sonnet-4-6","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"message":{"role":"assistant","content":` +
		string(content) + `,"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],` +
		`"usage":{"prompt_tokens":57,"completion_tokens":142,"total_tokens":199,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},` +
		`"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},` +
		`"service_tier":"default"}`)
}

// benchParagraph is a paragraph of an ordinary answer, with the escapes
// (newlines, quotes) and non-ASCII text real answers hold.
const benchParagraph = "REST is an architectural style, not a protocol. It was described by Roy Fielding in 2000 " +
	"as a set of constraints: client-server, stateless, cacheable, a uniform interface, a layered system and, " +
	"optionally, code on demand. A \"RESTful\" API names resources with URLs and acts on them with the verbs of HTTP; " +
	"its answers say whether they may be cached. Café owners and naïve clients alike benefit.\n\n"

// benchTypicalText is the answer of the typical (~1 KB) chat.completion.
var benchTypicalText = strings.Repeat(benchParagraph, 2)

// benchLargeText is the answer of the large (~128 KiB) chat.completion.
var benchLargeText = strings.Repeat(benchParagraph, 128<<10/len(benchParagraph))

// memDoer is an HTTPDoer that answers every request with the same
// in-memory body, without a network or an HTTP transport.
type memDoer struct {
	contentType string
	body        []byte
}

func (d *memDoer) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {d.contentType}},
		Body:          io.NopCloser(bytes.NewReader(d.body)),
		ContentLength: int64(len(d.body)),
		Request:       req,
	}, nil
}

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
	body, text := benchStreamBody(benchStreamChunks)
	c := newBenchClient(b, "http://aione.invalid/v1", &memDoer{contentType: "text/event-stream", body: body})
	readBenchStream(b, c, benchStreamChunks, text, true)
	b.SetBytes(int64(len(body)))
	perChunk(b, benchStreamChunks, func() {
		for b.Loop() {
			readBenchStream(b, c, benchStreamChunks, text, false)
		}
	})
}

// BenchmarkStreamLoopback reads the same stream from a real HTTP server on
// loopback through the default HTTP client. The server runs in the same
// process, so its costs are counted too.
func BenchmarkStreamLoopback(b *testing.B) {
	body, text := benchStreamBody(benchStreamChunks)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write(body)
	}))
	defer ts.Close()
	c := newBenchClient(b, ts.URL+"/v1", nil)
	readBenchStream(b, c, benchStreamChunks, text, true)
	b.SetBytes(int64(len(body)))
	perChunk(b, benchStreamChunks, func() {
		for b.Loop() {
			readBenchStream(b, c, benchStreamChunks, text, false)
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
		{"body=1KB", benchTypicalText},
		{"body=128KB", benchLargeText},
	} {
		body := benchChatBody(bc.text)
		b.Run(bc.name, func(b *testing.B) {
			c := newBenchClient(b, "http://aione.invalid/v1", &memDoer{contentType: "application/json", body: body})
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

// Package benchdata holds the workloads of the performance benchmarks, so
// that the main module's benchmarks and the peer comparison in
// internal/benchmarks (a module of its own) measure the very same bytes.
package benchdata

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strings"
)

// StreamChunks is the number of content chunks of the benchmark stream.
const StreamChunks = 2000

// Words are the contents of the benchmark stream's chunks, 1 to 8
// characters each, as a model streams them.
var Words = []string{"REST", " is", " an", " archit", "ectural", " style", ",", " not", " a", " proto", "col", "."}

// StreamBody returns an event stream of n ordinary chat.completion.chunk
// events of about 180 bytes each followed by "data: [DONE]", and the text
// their contents add up to.
func StreamBody(n int) (body []byte, text string) {
	var b, t bytes.Buffer
	for i := range n {
		w := Words[i%len(Words)]
		b.WriteString(`data: {"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1711500000,"model":"claude-sonnet-4-6","choices":[{"index":0,"delta":{"content":"`)
		b.WriteString(w)
		b.WriteString(`"},"finish_reason":null}]}` + "\n\n")
		t.WriteString(w)
	}
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes(), t.String()
}

// Paragraph is a paragraph of an ordinary answer, with the escapes
// (newlines, quotes) and non-ASCII text real answers hold.
const Paragraph = "REST is an architectural style, not a protocol. It was described by Roy Fielding in 2000 " +
	"as a set of constraints: client-server, stateless, cacheable, a uniform interface, a layered system and, " +
	"optionally, code on demand. A \"RESTful\" API names resources with URLs and acts on them with the verbs of HTTP; " +
	"its answers say whether they may be cached. Café owners and naïve clients alike benefit.\n\n"

// TypicalText is the answer of the typical chat.completion, whose body
// ([ChatBody]) is about 1 KB.
var TypicalText = strings.Repeat(Paragraph, 2)

// LargeText is the answer of a large (~128 KiB) chat.completion.
var LargeText = strings.Repeat(Paragraph, 128<<10/len(Paragraph))

// ChatBody returns a chat.completion body, with usage details, whose
// answer is text.
func ChatBody(text string) []byte {
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

// Transport answers every request with the same in-memory body, so that a
// benchmark measures an SDK's own work and not a network. It is both an
// http.RoundTripper and an HTTPDoer. It reads and closes the request body
// as a real transport would. It is safe for concurrent use.
type Transport struct {
	// ContentType is the Content-Type of the answers.
	ContentType string
	// Body is the body of every answer. It is never modified.
	Body []byte
}

// RoundTrip answers req with a 200 response holding t.Body.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {t.ContentType}},
		Body:          io.NopCloser(bytes.NewReader(t.Body)),
		ContentLength: int64(len(t.Body)),
		Request:       req,
	}, nil
}

// Do is RoundTrip, so that a Transport can be given to aione.WithHTTPClient
// directly, without an http.Client in between.
func (t *Transport) Do(req *http.Request) (*http.Response, error) { return t.RoundTrip(req) }

// LiveHeap returns the bytes of live heap objects after two collections:
// the first moves what sync.Pools hold (net/http keeps bufio buffers in
// them) to their victim caches, the second frees it, so that buffers a
// previous measure pooled are not counted.
func LiveHeap() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

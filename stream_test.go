package aione

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"testing/synctest"
	"time"

	"github.com/aione/aione-go/internal/localserver"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"
)

// streamKey is the API key of the stream tests' clients.
const streamKey = "sk-nex-stream-test-key-0001"

// streamDoer is an HTTPDoer made of a function: the stream tests' server
// with no network.
type streamDoer func(*http.Request) (*http.Response, error)

func (f streamDoer) Do(r *http.Request) (*http.Response, error) { return f(r) }

// streamResponse returns a 200 answer to req whose body is r, with the given
// content type ("" for none).
func streamResponse(req *http.Request, contentType string, r io.Reader) *http.Response {
	h := http.Header{"X-Request-Id": {"req_stream_1"}}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	rc, ok := r.(io.ReadCloser)
	if !ok {
		rc = io.NopCloser(r)
	}
	return &http.Response{StatusCode: http.StatusOK, Header: h, Body: rc, Request: req, ContentLength: -1}
}

// newStreamClient returns a client that sends through doer, with retries
// off unless opts turn them on.
func newStreamClient(t testing.TB, doer HTTPDoer, opts ...Option) *Client {
	t.Helper()
	all := append([]Option{
		WithAPIKey(streamKey), WithBaseURL("http://aione.test/v1"), WithHTTPClient(doer),
		WithMaxRetries(0), WithBackoff(time.Millisecond, time.Millisecond),
	}, opts...)
	c, err := NewClient(all...)
	require.NoError(t, err)
	return c
}

// streamResult is everything a stream showed its reader.
type streamResult struct {
	// Chunks are the chunks Current returned, as JSON.
	Chunks []json.RawMessage `json:"chunks"`
	// Response is the final Response (Header, Raw and friends are not
	// JSON fields).
	Response *ChatResponse `json:"response"`
	// Err is the text of Err, or of ChatStream's error prefixed "open: ".
	Err string `json:"error,omitempty"`

	err   error
	model streamModel
}

// marshal returns the result as indented JSON, for golden files.
func (r *streamResult) marshal(t testing.TB) []byte {
	t.Helper()
	b, err := json.MarshalIndent(r, "", "  ")
	require.NoError(t, err)
	return append(b, '\n')
}

// drainStream reads s to its end.
func drainStream(t testing.TB, s *Stream) *streamResult {
	t.Helper()
	r := &streamResult{}
	for s.Next() {
		c := s.Current()
		b, err := json.Marshal(c)
		require.NoError(t, err)
		r.Chunks = append(r.Chunks, b)
		r.model.add(c)
	}
	r.err = s.Err()
	if r.err != nil {
		r.Err = r.err.Error()
	}
	r.Response = s.Response()
	require.False(t, s.Next(), "Next after the end")
	require.Equal(t, r.err, s.Err(), "Err after the end")
	require.NoError(t, s.Close())
	return r
}

// runStreamBody streams body, read through wrap, as the answer of a
// client with no retries.
func runStreamBody(t testing.TB, body []byte, wrap func([]byte) io.Reader, opts ...Option) *streamResult {
	t.Helper()
	doer := streamDoer(func(req *http.Request) (*http.Response, error) {
		return streamResponse(req, "text/event-stream", wrap(body)), nil
	})
	c := newStreamClient(t, doer, opts...)
	s, err := c.ChatStream(context.Background(), "gpt-4o", []Message{UserMessage("hi")})
	if err != nil {
		return &streamResult{Err: "open: " + err.Error(), err: err}
	}
	return drainStream(t, s)
}

// The ways a body is cut into reads: whole, a byte at a time, and random
// small reads (with the odd empty one) seeded by the body.
var streamSplits = map[string]func([]byte) io.Reader{
	"one byte": func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
	"random":   func(b []byte) io.Reader { return newStreamChopReader(b) },
}

func wholeBody(b []byte) io.Reader { return bytes.NewReader(b) }

// streamChopReader returns its bytes in random small reads.
type streamChopReader struct {
	data  []byte
	rng   *rand.Rand
	empty int
}

func newStreamChopReader(b []byte) *streamChopReader {
	h := fnv.New64a()
	_, _ = h.Write(b)
	return &streamChopReader{data: b, rng: rand.New(rand.NewPCG(h.Sum64(), 7))}
}

func (r *streamChopReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	if r.empty < 3 && r.rng.IntN(10) == 0 {
		r.empty++
		return 0, nil
	}
	r.empty = 0
	n := min(1+r.rng.IntN(9), len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// streamModel merges chunks the simplest way, trusting the indexes the
// stream resolved, to check Response against what Next delivered.
type streamModel struct {
	choices map[int]*streamModelChoice
}

type streamModelChoice struct {
	role, content, refusal, reasoning, finish string
	calls                                     map[int]*ToolCall
}

func (m *streamModel) add(c ChatChunk) {
	if m.choices == nil {
		m.choices = map[int]*streamModelChoice{}
	}
	for _, ch := range c.Choices {
		mc := m.choices[ch.Index]
		if mc == nil {
			mc = &streamModelChoice{calls: map[int]*ToolCall{}}
			m.choices[ch.Index] = mc
		}
		mc.role = pick(mc.role, ch.Delta.Role)
		mc.content += ch.Delta.Content
		mc.refusal += ch.Delta.Refusal
		mc.reasoning += ch.Delta.ReasoningContent
		mc.finish = pick(mc.finish, ch.FinishReason)
		for _, tc := range ch.Delta.ToolCalls {
			call := mc.calls[tc.Index]
			if call == nil {
				call = &ToolCall{}
				mc.calls[tc.Index] = call
			}
			call.ID = pick(call.ID, tc.ID)
			call.Type = pick(call.Type, tc.Type)
			if call.Function.Name == "" {
				call.Function.Name = tc.Function.Name
			}
			call.Function.Arguments += tc.Function.Arguments
		}
	}
}

// check reports how resp differs from the model.
func (m *streamModel) check(resp *ChatResponse) error {
	if len(resp.Choices) != len(m.choices) {
		return fmt.Errorf("response has %d choices, chunks named %d", len(resp.Choices), len(m.choices))
	}
	for _, c := range resp.Choices {
		mc := m.choices[c.Index]
		if mc == nil {
			return fmt.Errorf("response choice %d was never in a chunk", c.Index)
		}
		msg := c.Message
		if want := pick(RoleAssistant, mc.role); msg.Role != want {
			return fmt.Errorf("choice %d: role %q, want %q", c.Index, msg.Role, want)
		}
		if msg.Content.Text() != mc.content || msg.Refusal != mc.refusal || msg.ReasoningContent != mc.reasoning || c.FinishReason != mc.finish {
			return fmt.Errorf("choice %d: response %+v differs from the chunks %+v", c.Index, c, *mc)
		}
		if len(msg.ToolCalls) != len(mc.calls) {
			return fmt.Errorf("choice %d: %d tool calls, chunks had %d", c.Index, len(msg.ToolCalls), len(mc.calls))
		}
		k := 0
		for i := range maxToolCalls {
			call := mc.calls[i]
			if call == nil {
				continue
			}
			want := *call
			want.Type = pick("function", want.Type)
			if got := msg.ToolCalls[k]; !cmp.Equal(got, want, cmpopts.EquateEmpty()) {
				return fmt.Errorf("choice %d: tool call %d is %+v, chunks made %+v", c.Index, k, got, want)
			}
			k++
		}
	}
	return nil
}

// streamFiles returns the streams of testdata/streams by name.
func streamFiles(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "streams", "*.sse"))
	require.NoError(t, err)
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		out[strings.TrimSuffix(filepath.Base(p), ".sse")] = b
	}
	return out
}

// How each stream of testdata/streams must end.
const (
	streamEndOK        = "ok"        // Err is nil
	streamEndTruncated = "truncated" // Err wraps ErrTruncated and io.ErrUnexpectedEOF
	streamEndAPI       = "api"       // Err is an *APIError with status 200
	streamEndInvalid   = "invalid"   // Err is some other error
)

var streamEnds = map[string]string{
	"bom":                                streamEndOK,
	"choice_index_huge":                  streamEndInvalid,
	"choices_null_missing":               streamEndOK,
	"content_filter":                     streamEndOK,
	"crlf_multiline":                     streamEndOK,
	"cut_before_blank":                   streamEndTruncated,
	"cut_inside_event":                   streamEndTruncated,
	"delta_missing":                      streamEndOK,
	"done_then_more":                     streamEndOK,
	"done_without_blank":                 streamEndOK,
	"empty":                              streamEndTruncated,
	"error_beside_choices":               streamEndAPI,
	"error_code_number":                  streamEndAPI,
	"error_event":                        streamEndAPI,
	"error_event_text":                   streamEndAPI,
	"error_first_key":                    streamEndAPI,
	"error_object":                       streamEndAPI,
	"error_string":                       streamEndAPI,
	"escapes_unicode":                    streamEndOK,
	"event_error_after_chunks_then_done": streamEndAPI,
	"finished_no_done":                   streamEndOK,
	"id_and_comments_and_retry":          streamEndOK,
	"index_missing":                      streamEndOK,
	"invalid_json":                       streamEndInvalid,
	"invalid_utf8":                       streamEndOK,
	"logprobs":                           streamEndOK,
	"n2_interleaved":                     streamEndOK,
	"n2_one_unfinished":                  streamEndTruncated,
	"not_object":                         streamEndInvalid,
	"nul_bytes":                          streamEndInvalid,
	"only_done":                          streamEndOK,
	"only_keepalive":                     streamEndTruncated,
	"ping_events":                        streamEndOK,
	"raw_nul_data":                       streamEndInvalid,
	"reasoning":                          streamEndOK,
	"refusal":                            streamEndOK,
	"skip_empty_null":                    streamEndOK,
	"text":                               streamEndOK,
	"text_and_tool_call":                 streamEndOK,
	"tool_call_fragments":                streamEndOK,
	"tool_calls_index0":                  streamEndOK,
	"tool_calls_whole":                   streamEndOK,
	"tool_index_huge":                    streamEndInvalid,
	"truncated_no_done":                  streamEndTruncated,
	"usage_every_chunk":                  streamEndOK,
	"usage_only":                         streamEndOK,
}

// checkStreamEnd checks that err is the kind of end want names.
func checkStreamEnd(t *testing.T, want string, err error) {
	t.Helper()
	var apiErr *APIError
	isAPI := errors.As(err, &apiErr)
	truncated := errors.Is(err, ErrTruncated)
	switch want {
	case streamEndOK:
		if err != nil {
			t.Errorf("Err() = %v, want nil", err)
		}
	case streamEndTruncated:
		if !truncated || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("Err() = %v, want an error wrapping ErrTruncated and io.ErrUnexpectedEOF", err)
		}
	case streamEndAPI:
		if !isAPI || apiErr.StatusCode != http.StatusOK {
			t.Errorf("Err() = %v, want an *APIError with status 200", err)
		}
	case streamEndInvalid:
		if err == nil || truncated || isAPI {
			t.Errorf("Err() = %v, want an error that is neither a truncation nor an *APIError", err)
		}
	default:
		t.Fatalf("testdata/streams: unknown end %q", want)
	}
	if err != nil && !strings.HasPrefix(err.Error(), "aione: ") {
		t.Errorf("error %q is not prefixed \"aione: \"", err)
	}
}

// TestStreamGolden streams each testdata/streams/*.sse and compares what
// the reader saw with its golden file; then streams it again cut into
// reads of one byte and of random sizes, which must change nothing.
func TestStreamGolden(t *testing.T) {
	t.Parallel()
	files := streamFiles(t)
	if len(files) < 20 {
		t.Fatalf("only %d streams in testdata/streams", len(files))
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			end, ok := streamEnds[name]
			if !ok {
				t.Fatalf("add testdata/streams/%s.sse to streamEnds", name)
			}
			want := runStreamBody(t, data, wholeBody)
			checkStreamEnd(t, end, want.err)
			checkGolden(t, filepath.Join("streams", name+".golden"), want.marshal(t))
			if err := want.model.check(want.Response); err != nil {
				t.Errorf("Response does not match the chunks: %v", err)
			}
			for how, wrap := range streamSplits {
				got := runStreamBody(t, data, wrap)
				if diff := cmp.Diff(string(want.marshal(t)), string(got.marshal(t))); diff != "" {
					t.Errorf("read %s, the stream differs (-whole +%s):\n%s", how, how, diff)
				}
			}
		})
	}
}

// TestStreamFamilies spells out what the golden files show for the
// behaviours the stream promises.
func TestStreamFamilies(t *testing.T) {
	t.Parallel()
	files := streamFiles(t)
	run := func(t *testing.T, name string) *streamResult {
		t.Helper()
		data, ok := files[name]
		require.True(t, ok, name)
		return runStreamBody(t, data, wholeBody)
	}
	text := func(r *streamResult, i int) string { return r.Response.Choices[i].Message.Content.Text() }

	t.Run("done ends the stream, nothing after it is read", func(t *testing.T) {
		t.Parallel()
		r := run(t, "done_then_more")
		require.NoError(t, r.err)
		require.Equal(t, "Hello, world!", text(r, 0))
		require.Len(t, r.Chunks, 5)
	})
	t.Run("empty and null data and other events are skipped", func(t *testing.T) {
		t.Parallel()
		for _, name := range []string{"skip_empty_null", "ping_events"} {
			r := run(t, name)
			require.NoError(t, r.err)
			require.Equal(t, "Hi", text(r, 0), name)
			require.Len(t, r.Chunks, 3, name)
		}
	})
	t.Run("errors inside the stream keep what came before", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name, message, typ, code string
			text                     string
		}{
			{"error_object", "The server had an error while processing your request.", "server_error", "internal_error", "Partial"},
			{"error_beside_choices", "Upstream overloaded", "", "502", "Partial"},
			{"error_first_key", "Rate limit reached", "rate_limit_error", "rate_limit_exceeded", ""},
			{"error_event", "Overloaded", "overloaded_error", "529", "Some"},
			{"error_string", "upstream connect error or disconnect/reset before headers", "", "", ""},
			{"error_code_number", "Too many requests", "requests", "429", ""},
			{"error_event_text", "upstream timed out", "", "", ""},
			{"event_error_after_chunks_then_done", "boom", "server_error", "", "Hi"},
		}
		for _, tt := range tests {
			r := run(t, tt.name)
			var apiErr *APIError
			require.ErrorAs(t, r.err, &apiErr, tt.name)
			got := []string{apiErr.Message, apiErr.Type, apiErr.Code, apiErr.RequestID}
			if diff := cmp.Diff([]string{tt.message, tt.typ, tt.code, "req_stream_1"}, got); diff != "" {
				t.Errorf("%s: message, type, code, request ID (-want +got):\n%s", tt.name, diff)
			}
			if tt.text != "" {
				require.Equal(t, tt.text, text(r, 0), tt.name)
			}
		}
	})
	t.Run("a stream that ends early is never complete", func(t *testing.T) {
		t.Parallel()
		r := run(t, "truncated_no_done")
		require.ErrorIs(t, r.err, ErrTruncated)
		require.Equal(t, "Hello, wor", text(r, 0))
		require.Empty(t, r.Response.Choices[0].FinishReason)
		r = run(t, "finished_no_done")
		require.NoError(t, r.err)
		require.Equal(t, "stop", r.Response.Choices[0].FinishReason)
		r = run(t, "n2_one_unfinished")
		require.ErrorIs(t, r.err, io.ErrUnexpectedEOF)
	})
	t.Run("usage and content filter chunks without choices", func(t *testing.T) {
		t.Parallel()
		r := run(t, "usage_only")
		require.Equal(t, &Usage{PromptTokens: 17, CompletionTokens: 42, TotalTokens: 59,
			PromptTokensDetails:     &PromptTokensDetails{CachedTokens: 3},
			CompletionTokensDetails: &CompletionTokensDetails{ReasoningTokens: 10}}, r.Response.Usage)
		r = run(t, "content_filter")
		require.Equal(t, FinishContentFilter, r.Response.Choices[0].FinishReason)
		r = run(t, "usage_every_chunk")
		require.Equal(t, 3, r.Response.Usage.CompletionTokens)
	})
	t.Run("tool calls in every shape", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name string
			want []ToolCall
		}{
			{"tool_call_fragments", []ToolCall{
				{ID: "call_1", Type: "function", Function: FunctionCall{Name: "get_weather", Arguments: `{"city": "Paris, France"}`}},
				{ID: "call_2", Type: "function", Function: FunctionCall{Name: "get_time", Arguments: `{"tz":"CET"}`}},
			}},
			{"tool_calls_whole", []ToolCall{
				{ID: "call_1", Type: "function", Function: FunctionCall{Name: "a", Arguments: `{"x":1}`}},
				{ID: "call_2", Type: "function", Function: FunctionCall{Name: "b", Arguments: `{}`}},
			}},
			{"tool_calls_index0", []ToolCall{
				{ID: "call_1", Type: "function", Function: FunctionCall{Name: "a", Arguments: `{"x":1}`}},
				{ID: "call_2", Type: "function", Function: FunctionCall{Name: "b", Arguments: `{"y":2}`}},
			}},
			{"index_missing", []ToolCall{
				{ID: "call_a", Type: "function", Function: FunctionCall{Name: "get_weather", Arguments: `{"city":"Paris"}`}},
				{ID: "call_b", Type: "function", Function: FunctionCall{Name: "get_time", Arguments: `{}`}},
			}},
		}
		for _, tt := range tests {
			r := run(t, tt.name)
			require.NoError(t, r.err, tt.name)
			msg := r.Response.Choices[0].Message
			if diff := cmp.Diff(tt.want, msg.ToolCalls); diff != "" {
				t.Errorf("%s: tool calls (-want +got):\n%s", tt.name, diff)
			}
			if tt.name != "index_missing" && !msg.Content.IsNull() {
				t.Errorf("%s: content %q, want null", tt.name, msg.Content.Text())
			}
		}
		r := run(t, "text_and_tool_call")
		require.Equal(t, "Let me check.", text(r, 0))
		require.Len(t, r.Response.Choices[0].Message.ToolCalls, 1)
	})
	t.Run("n>1 choices interleaved", func(t *testing.T) {
		t.Parallel()
		r := run(t, "n2_interleaved")
		require.NoError(t, r.err)
		require.Equal(t, "First one", text(r, 0))
		require.Equal(t, "Second two", text(r, 1))
		require.Equal(t, []string{"stop", "length"}, []string{r.Response.Choices[0].FinishReason, r.Response.Choices[1].FinishReason})
	})
	t.Run("reasoning, refusal, logprobs", func(t *testing.T) {
		t.Parallel()
		r := run(t, "reasoning")
		require.Equal(t, "Let me think. More thought.", r.Response.Choices[0].Message.ReasoningContent)
		require.Equal(t, "Answer: 42", text(r, 0))
		r = run(t, "refusal")
		require.Equal(t, "I'm sorry, I can't help with that.", r.Response.Choices[0].Message.Refusal)
		require.True(t, r.Response.Choices[0].Message.Content.IsNull())
		r = run(t, "logprobs")
		lp := r.Response.Choices[0].Logprobs
		require.NotNil(t, lp)
		require.Len(t, lp.Content, 2)
		require.Equal(t, "!", lp.Content[1].Token)
	})
	t.Run("invalid UTF-8 becomes U+FFFD", func(t *testing.T) {
		t.Parallel()
		r := run(t, "invalid_utf8")
		require.NoError(t, r.err)
		require.Equal(t, "bad \uFFFD\uFFFD bytes \uFFFD end", text(r, 0))
	})
}

// TestStreamNotEventStream checks that a 2xx answer that is not an event
// stream is a clear error from ChatStream (or, with no content type, from
// the first Next), never an empty success.
func TestStreamNotEventStream(t *testing.T) {
	t.Parallel()
	bigHTML := "<html><body>" + strings.Repeat("<p>Service temporarily unavailable.</p>", 5000) + "</body></html>"
	tests := []struct {
		name, contentType, body string
		api                     bool     // an *APIError with this message
		message                 string   // the *APIError's message
		contains                []string // for other errors
		atNext                  bool     // reported by Err, not ChatStream
	}{
		{name: "json error", contentType: "application/json", body: `{"error":{"message":"Invalid model","type":"invalid_request_error","code":"model_not_found"}}`, api: true, message: "Invalid model"},
		{name: "json string error", contentType: "application/json; charset=utf-8", body: `{"error":"quota exceeded"}`, api: true, message: "quota exceeded"},
		{name: "html page", contentType: "text/html; charset=utf-8", body: "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>",
			contains: []string{"aione: status 200", `"text/html; charset=utf-8"`, "502 Bad Gateway"}},
		{name: "big html page", contentType: "text/html", body: bigHTML, contains: []string{"status 200", `"text/html"`, "Service temporarily unavailable.", "..."}},
		{name: "non-streamed answer", contentType: "application/json", body: okStreamJSON, contains: []string{"not an event stream", `"application/json"`, "chatcmpl-1"}},
		{name: "plain text", contentType: "text/plain", body: "upstream error", contains: []string{"upstream error", `"text/plain"`}},
		{name: "no content type, json error", body: "\n  " + `{"error":{"message":"Invalid key","type":"auth"}}`, api: true, message: "Invalid key", atNext: true},
		{name: "no content type, html", body: "<html>down</html>", contains: []string{"not an event stream", "down"}, atNext: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doer := streamDoer(func(req *http.Request) (*http.Response, error) {
				return streamResponse(req, tt.contentType, strings.NewReader(tt.body)), nil
			})
			c := newStreamClient(t, doer, WithMaxRetries(2))
			s, err := c.ChatStream(t.Context(), "m", hello)
			if tt.atNext {
				require.NoError(t, err)
				require.False(t, s.Next())
				err = s.Err()
			} else {
				require.Nil(t, s)
			}
			require.Error(t, err)
			var apiErr *APIError
			if tt.api {
				require.ErrorAs(t, err, &apiErr)
				require.Equal(t, tt.message, apiErr.Message)
				require.Equal(t, http.StatusOK, apiErr.StatusCode)
				return
			}
			require.False(t, errors.As(err, &apiErr), "error %v is an *APIError", err)
			for _, s := range tt.contains {
				require.Contains(t, err.Error(), s)
			}
			require.Less(t, len(err.Error()), 400, "the excerpt is bounded")
		})
	}
	t.Run("no content type, event stream", func(t *testing.T) {
		t.Parallel()
		doer := streamDoer(func(req *http.Request) (*http.Response, error) {
			return streamResponse(req, "", strings.NewReader("\n"+streamText("hi"))), nil
		})
		s, err := newStreamClient(t, doer).ChatStream(t.Context(), "m", hello)
		require.NoError(t, err)
		r := drainStream(t, s)
		require.NoError(t, r.err)
		require.Equal(t, "hi", r.Response.Text())
	})
}

const okStreamJSON = `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}`

// streamText returns a whole stream answering text.
func streamText(text string) string {
	var b strings.Builder
	b.WriteString(`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}` + "\n\n")
	for _, w := range strings.SplitAfter(text, " ") {
		q, _ := json.Marshal(w)
		fmt.Fprintf(&b, `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":%s}}]}`+"\n\n", q)
	}
	b.WriteString(`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n")
	b.WriteString("data: [DONE]\n\n")
	return b.String()
}

// TestStreamSetupErrors checks that errors before the stream starts come
// back from ChatStream.
func TestStreamSetupErrors(t *testing.T) {
	t.Parallel()
	t.Run("status", func(t *testing.T) {
		t.Parallel()
		doer := streamDoer(func(req *http.Request) (*http.Response, error) {
			resp := streamResponse(req, "application/json", strings.NewReader(`{"error":{"message":"Invalid API key","code":"invalid_api_key"}}`))
			resp.StatusCode = http.StatusUnauthorized
			return resp, nil
		})
		s, err := newStreamClient(t, doer).ChatStream(t.Context(), "m", hello)
		require.Nil(t, s)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
	})
	t.Run("retries exhausted", func(t *testing.T) {
		t.Parallel()
		var n int
		doer := streamDoer(func(req *http.Request) (*http.Response, error) {
			n++
			resp := streamResponse(req, "application/json", strings.NewReader(`{"error":{"message":"overloaded"}}`))
			resp.StatusCode = http.StatusServiceUnavailable
			return resp, nil
		})
		s, err := newStreamClient(t, doer, WithMaxRetries(2)).ChatStream(t.Context(), "m", hello)
		require.Nil(t, s)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, 3, apiErr.Attempts)
		require.Equal(t, 3, n)
	})
	t.Run("transport", func(t *testing.T) {
		t.Parallel()
		doer := streamDoer(func(req *http.Request) (*http.Response, error) {
			return nil, errors.New("dial tcp: connection refused")
		})
		_, err := newStreamClient(t, doer).ChatStream(t.Context(), "m", hello)
		require.ErrorContains(t, err, "connection refused")
	})
	t.Run("invalid request", func(t *testing.T) {
		t.Parallel()
		doer := streamDoer(func(req *http.Request) (*http.Response, error) {
			t.Error("a request was sent")
			return nil, errors.New("no")
		})
		_, err := newStreamClient(t, doer).ChatStream(t.Context(), "", hello)
		require.Error(t, err)
	})
}

// TestStreamEventTooLarge checks WithMaxEventSize.
func TestStreamEventTooLarge(t *testing.T) {
	t.Parallel()
	body := []byte(streamText("a short one " + strings.Repeat("x", 300)))
	r := runStreamBody(t, body, wholeBody, WithMaxEventSize(256), WithMaxRetries(3))
	require.ErrorContains(t, r.err, "too large")
	require.False(t, errors.Is(r.err, ErrTruncated))
	require.Equal(t, "a short one ", r.Response.Text())
	r = runStreamBody(t, body, wholeBody, WithMaxEventSize(1024))
	require.NoError(t, r.err)
}

// TestStreamCurrent checks that Current is zero before and after the
// stream, and that its strings do not change under the next chunks.
func TestStreamCurrent(t *testing.T) {
	t.Parallel()
	doer := streamDoer(func(req *http.Request) (*http.Response, error) {
		return streamResponse(req, "text/event-stream", strings.NewReader(streamText("one two three"))), nil
	})
	s, err := newStreamClient(t, doer).ChatStream(t.Context(), "m", hello)
	require.NoError(t, err)
	require.Empty(t, s.Current().Choices)
	var kept []string
	for s.Next() {
		for _, ch := range s.Current().Choices {
			kept = append(kept, ch.Delta.Content)
		}
	}
	require.NoError(t, s.Err())
	require.Equal(t, []string{"", "one ", "two ", "three", ""}, kept)
	require.Equal(t, ChatChunk{}, s.Current())
	require.Equal(t, "req_stream_1", s.Header().Get("X-Request-Id"))
	require.Equal(t, "req_stream_1", s.Response().RequestID)
}

// TestStreamAll checks the range-over-func form.
func TestStreamAll(t *testing.T) {
	t.Parallel()
	open := func(t *testing.T, body string) *Stream {
		doer := streamDoer(func(req *http.Request) (*http.Response, error) {
			return streamResponse(req, "text/event-stream", strings.NewReader(body)), nil
		})
		s, err := newStreamClient(t, doer).ChatStream(t.Context(), "m", hello)
		require.NoError(t, err)
		return s
	}
	t.Run("whole", func(t *testing.T) {
		t.Parallel()
		s := open(t, streamText("all of it"))
		var text strings.Builder
		for c, err := range s.All() {
			require.NoError(t, err)
			for _, ch := range c.Choices {
				text.WriteString(ch.Delta.Content)
			}
		}
		require.Equal(t, "all of it", text.String())
		require.NoError(t, s.Err())
	})
	t.Run("error once at the end", func(t *testing.T) {
		t.Parallel()
		s := open(t, strings.TrimSuffix(streamText("cut short"), "data: [DONE]\n\n")[:150])
		var errs []error
		chunks := 0
		for c, err := range s.All() {
			if err != nil {
				require.Equal(t, ChatChunk{}, c)
				errs = append(errs, err)
				continue
			}
			chunks++
		}
		require.Len(t, errs, 1)
		require.ErrorIs(t, errs[0], ErrTruncated)
		require.Equal(t, 1, chunks)
	})
	t.Run("break closes", func(t *testing.T) {
		t.Parallel()
		s := open(t, streamText("a b c d"))
		for range s.All() {
			break
		}
		require.False(t, s.Next())
		require.ErrorIs(t, s.Err(), ErrClosed)
	})
}

// TestStreamResponseMidway checks that Response shows what has arrived so
// far, and that each call returns a value of its own.
func TestStreamResponseMidway(t *testing.T) {
	t.Parallel()
	doer := streamDoer(func(req *http.Request) (*http.Response, error) {
		return streamResponse(req, "text/event-stream", strings.NewReader(streamText("one two"))), nil
	})
	s, err := newStreamClient(t, doer).ChatStream(t.Context(), "m", hello)
	require.NoError(t, err)
	require.True(t, s.Next())
	require.True(t, s.Next())
	r1 := s.Response()
	require.Equal(t, "one ", r1.Text())
	require.Empty(t, r1.Choices[0].FinishReason)
	r1.Choices[0].Message.Content = TextContent("changed")
	for s.Next() {
	}
	require.NoError(t, s.Err())
	require.Equal(t, "one two", s.Response().Text())
	require.Equal(t, "changed", r1.Text())
}

// TestStreamDroppedIsReleased checks that a stream dropped in the middle,
// without Close, releases its connection once it is garbage collected.
func TestStreamDroppedIsReleased(t *testing.T) {
	t.Parallel()
	gone := make(chan struct{})
	url := serveStreamSSE(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `data: {"choices":[{"index":0,"delta":{"content":"x"}}]}`+"\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(gone)
	})
	c, err := NewClient(WithAPIKey(streamKey), WithBaseURL(url), WithMaxRetries(0))
	require.NoError(t, err)
	func() {
		s, err := c.ChatStream(context.Background(), "m", hello)
		require.NoError(t, err)
		require.True(t, s.Next())
	}()
	deadline := time.After(10 * time.Second)
	for {
		runtime.GC()
		select {
		case <-gone:
			return
		case <-deadline:
			t.Fatal("the connection of a dropped stream was not released")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// serveStreamSSE starts a server whose handler gets an event stream's headers
// already set, and returns its API base URL.
func serveStreamSSE(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := newStreamSSEServer(t, h, nil)
	return srv.URL + "/v1"
}

// newStreamSSEServer starts a server answering every request under /v1/ with h,
// the headers of an event stream already set. connState, if not nil, sees
// every change of a connection's state.
func newStreamSSEServer(t *testing.T, h http.HandlerFunc, connState func(net.Conn, http.ConnState)) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		h(w, r)
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnState = connState
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// newStreamServer starts a local AIone-compatible server with srvOpts and
// returns a client for it with fast retries.
func newStreamServer(t *testing.T, srvOpts []localserver.Option, opts ...Option) (*Client, *localserver.Server) {
	t.Helper()
	srv := localserver.New(srvOpts...)
	t.Cleanup(srv.Close)
	all := append([]Option{
		WithBaseURL(srv.URL), WithAPIKey(localserver.DefaultAPIKey), WithBackoff(time.Millisecond, 5*time.Millisecond),
	}, opts...)
	c, err := NewClient(all...)
	require.NoError(t, err)
	return c, srv
}

// fakeTimeBody is a body that yields each of its parts after the part's delay,
// in a synctest bubble's fake time. Close ends a waiting Read.
type fakeTimeBody struct {
	parts  []fakeTimePart
	buf    []byte
	closed chan struct{}
	once   sync.Once
}

type fakeTimePart struct {
	delay time.Duration
	data  string
}

func newFakeTimeBody(parts ...fakeTimePart) *fakeTimeBody {
	return &fakeTimeBody{parts: parts, closed: make(chan struct{})}
}

func (b *fakeTimeBody) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if len(b.parts) == 0 {
			return 0, io.EOF
		}
		part := b.parts[0]
		b.parts = b.parts[1:]
		t := time.NewTimer(part.delay)
		select {
		case <-t.C:
		case <-b.closed:
			t.Stop()
			return 0, errors.New("read on closed body")
		}
		b.buf = []byte(part.data)
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

func (b *fakeTimeBody) Close() error {
	b.once.Do(func() { close(b.closed) })
	return nil
}

// TestStreamKeepAliveTenMinutes streams an answer that starts after ten
// minutes of keep-alive comments, one a second, in fake time: they count
// against neither the idle timeout nor the open timeout.
func TestStreamKeepAliveTenMinutes(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var parts []fakeTimePart
		for range 600 {
			parts = append(parts, fakeTimePart{time.Second, ": keep-alive\n\n"})
		}
		parts = append(parts, fakeTimePart{time.Second, streamText("worth the wait")})
		doer := streamDoer(func(req *http.Request) (*http.Response, error) {
			return streamResponse(req, "text/event-stream", newFakeTimeBody(parts...)), nil
		})
		c := newStreamClient(t, doer, WithIdleTimeout(5*time.Second), WithTimeout(2*time.Second))
		start := time.Now()
		s, err := c.ChatStream(t.Context(), "m", hello)
		require.NoError(t, err)
		r := drainStream(t, s)
		require.NoError(t, r.err)
		require.Equal(t, "worth the wait", r.Response.Text())
		require.Equal(t, 601*time.Second, time.Since(start))
	})
}

// TestStreamIdleTimeout checks, in fake time, that WithIdleTimeout ends a
// silent stream at exactly the timeout, and that a slow reader never
// trips it.
func TestStreamIdleTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		body := newFakeTimeBody(fakeTimePart{0, streamText("one two")[:200]}, fakeTimePart{time.Hour, "never"})
		doer := streamDoer(func(req *http.Request) (*http.Response, error) {
			return streamResponse(req, "text/event-stream", body), nil
		})
		s, err := newStreamClient(t, doer, WithIdleTimeout(5*time.Second)).ChatStream(t.Context(), "m", hello)
		require.NoError(t, err)
		start := time.Now()
		r := drainStream(t, s)
		require.ErrorIs(t, r.err, ErrIdleTimeout)
		require.Equal(t, 5*time.Second, time.Since(start))
		require.Len(t, r.Chunks, 1)
	})
	synctest.Test(t, func(t *testing.T) {
		doer := streamDoer(func(req *http.Request) (*http.Response, error) {
			return streamResponse(req, "text/event-stream", strings.NewReader(streamText("a b c"))), nil
		})
		s, err := newStreamClient(t, doer, WithIdleTimeout(time.Second)).ChatStream(t.Context(), "m", hello)
		require.NoError(t, err)
		for s.Next() {
			time.Sleep(10 * time.Second) // a slow reader
		}
		require.NoError(t, s.Err())
		require.Equal(t, "a b c", s.Response().Text())
	})
}

// TestStreamContextEndsNext checks that cancelling the context, or its
// deadline, ends a Next waiting on a silent server promptly.
func TestStreamContextEndsNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		deadline bool
		is       error
	}{
		{"cancel", false, context.Canceled},
		{"deadline", true, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv := newStreamServer(t, nil)
			srv.Enqueue(localserver.Fault{StallAfterEvents: 2})
			ctx, cancel := context.WithCancel(t.Context())
			if tt.deadline {
				ctx, cancel = context.WithTimeout(t.Context(), time.Second)
			}
			defer cancel()
			s, err := c.ChatStream(ctx, "m", []Message{UserMessage("then silence")})
			require.NoError(t, err)
			require.True(t, s.Next())
			require.True(t, s.Next())
			if !tt.deadline {
				time.AfterFunc(100*time.Millisecond, cancel)
			}
			start := time.Now()
			r := drainStream(t, s)
			require.ErrorIs(t, r.err, tt.is)
			require.Less(t, time.Since(start), 3*time.Second)
			require.Empty(t, r.Chunks)
			require.Equal(t, "Hello ", r.Response.Text())
			require.True(t, strings.HasPrefix(r.Err, "aione: "), r.Err)
		})
	}
	t.Run("idle timeout", func(t *testing.T) {
		t.Parallel()
		c, srv := newStreamServer(t, nil, WithIdleTimeout(500*time.Millisecond))
		srv.Enqueue(localserver.Fault{StallAfterEvents: 3})
		s, err := c.ChatStream(t.Context(), "m", []Message{UserMessage("then silence")})
		require.NoError(t, err)
		r := drainStream(t, s)
		require.ErrorIs(t, r.err, ErrIdleTimeout)
		require.Len(t, r.Chunks, 3)
	})
}

// TestStreamClose checks that Close is idempotent, safe at any time, and
// stops a Next waiting in another goroutine.
func TestStreamClose(t *testing.T) {
	t.Parallel()
	t.Run("while Next waits", func(t *testing.T) {
		t.Parallel()
		c, srv := newStreamServer(t, nil)
		srv.Enqueue(localserver.Fault{StallAfterEvents: 1})
		s, err := c.ChatStream(t.Context(), "m", hello)
		require.NoError(t, err)
		require.True(t, s.Next())
		done := make(chan bool)
		go func() { done <- s.Next() }()
		time.Sleep(50 * time.Millisecond)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() { _ = s.Close() })
		}
		wg.Wait()
		select {
		case ok := <-done:
			require.False(t, ok)
		case <-time.After(2 * time.Second):
			t.Fatal("Close did not stop a waiting Next")
		}
		require.ErrorIs(t, s.Err(), ErrClosed)
		require.NoError(t, s.Close())
		require.ErrorIs(t, s.Err(), ErrClosed)
	})
	t.Run("before Next", func(t *testing.T) {
		t.Parallel()
		c, _ := newStreamServer(t, nil)
		s, err := c.ChatStream(t.Context(), "m", hello)
		require.NoError(t, err)
		require.NoError(t, s.Close())
		require.NoError(t, s.Err())
		require.False(t, s.Next())
		require.ErrorIs(t, s.Err(), ErrClosed)
	})
	t.Run("after the end keeps Err", func(t *testing.T) {
		t.Parallel()
		c, _ := newStreamServer(t, nil)
		s, err := c.ChatStream(t.Context(), "m", hello)
		require.NoError(t, err)
		for s.Next() {
		}
		require.NoError(t, s.Close())
		require.NoError(t, s.Close())
		require.NoError(t, s.Err())
		require.Equal(t, localserver.AnswerPrefix+"hello", s.Response().Text())
	})
}

// TestStreamTimeoutBoundsOpenOnly checks that WithTimeout bounds opening
// the stream, never reading a long answer.
func TestStreamTimeoutBoundsOpenOnly(t *testing.T) {
	t.Parallel()
	t.Run("long answer", func(t *testing.T) {
		t.Parallel()
		// In fake time: ten events 50ms apart, a stream five times longer
		// than the 100ms the call has to open it.
		synctest.Test(t, func(t *testing.T) {
			const text = "a long answer of several words that arrives slowly"
			var parts []fakeTimePart
			for _, event := range strings.SplitAfter(streamText(text), "\n\n") {
				if event != "" {
					parts = append(parts, fakeTimePart{50 * time.Millisecond, event})
				}
			}
			doer := streamDoer(func(req *http.Request) (*http.Response, error) {
				return streamResponse(req, "text/event-stream", newFakeTimeBody(parts...)), nil
			})
			start := time.Now()
			s, err := newStreamClient(t, doer, WithTimeout(100*time.Millisecond)).ChatStream(t.Context(), "m", hello)
			require.NoError(t, err)
			r := drainStream(t, s)
			require.NoError(t, r.err)
			require.Equal(t, time.Duration(len(parts))*50*time.Millisecond, time.Since(start))
			require.Equal(t, text, r.Response.Text())
		})
	})
	t.Run("slow to open", func(t *testing.T) {
		t.Parallel()
		c, srv := newStreamServer(t, nil, WithTimeout(100*time.Millisecond))
		srv.Enqueue(localserver.Fault{Delay: 5 * time.Second})
		start := time.Now()
		s, err := c.ChatStream(t.Context(), "m", hello)
		require.Nil(t, s)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.ErrorContains(t, err, "did not open within 100ms")
		require.Less(t, time.Since(start), 2*time.Second)
	})
}

// TestStreamUsageOption checks that WithStreamUsage asks for usage and
// that it arrives in Response.
func TestStreamUsageOption(t *testing.T) {
	t.Parallel()
	for _, usage := range []bool{false, true} {
		t.Run(fmt.Sprint(usage), func(t *testing.T) {
			t.Parallel()
			var opts []Option
			if usage {
				opts = append(opts, WithStreamUsage())
			}
			c, srv := newStreamServer(t, nil)
			s, err := c.ChatStream(t.Context(), "m", []Message{UserMessage("count my tokens")}, opts...)
			require.NoError(t, err)
			r := drainStream(t, s)
			require.NoError(t, r.err)
			req, ok := srv.LastRequest()
			require.True(t, ok)
			require.Equal(t, true, req.Decoded["stream"])
			if !usage {
				require.NotContains(t, req.Decoded, "stream_options")
				require.Nil(t, r.Response.Usage)
				return
			}
			require.Equal(t, map[string]any{"include_usage": true}, req.Decoded["stream_options"])
			require.Equal(t, &Usage{PromptTokens: 3, CompletionTokens: 10, TotalTokens: 13}, r.Response.Usage)
		})
	}
}

// TestStreamReopen checks that a stream whose connection breaks after the
// headers but before its first chunk is reopened transparently, with the
// same body and numbered attempts, within the retry budget.
func TestStreamReopen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		faults []localserver.Fault
		// retries is WithMaxRetries.
		retries int
		// attempts are the X-Aione-Attempt headers the server sees.
		attempts []string
		// err, if not nil, is what Err must match; else the answer is whole.
		err error
	}{
		{"reset after headers", []localserver.Fault{{ResetAfterHeaders: true}}, 2, []string{"1", "2"}, nil},
		{"reset after keep-alives", []localserver.Fault{{KeepAlive: time.Millisecond, KeepAliveCount: 3, ResetAfterHeaders: true}}, 2, []string{"1", "2"}, nil},
		{"cut inside the first event", []localserver.Fault{{RawSSE: ": hi\n\ndata: {\"id\":\"cut"}}, 2, []string{"1", "2"}, nil},
		{"empty body", []localserver.Fault{{RawSSE: "\n"}}, 2, []string{"1", "2"}, nil},
		{"twice", []localserver.Fault{{ResetAfterHeaders: true}, {ResetAfterHeaders: true}}, 2, []string{"1", "2", "3"}, nil},
		{"after a failed attempt", []localserver.Fault{{Status: 503, Body: `{"error":{"message":"busy"}}`}, {ResetAfterHeaders: true}}, 2, []string{"1", "2", "3"}, nil},
		{"budget spent", []localserver.Fault{{ResetAfterHeaders: true}, {ResetAfterHeaders: true}}, 1, []string{"1", "2"}, ErrTruncated},
		{"no retries", []localserver.Fault{{ResetAfterHeaders: true}}, 0, []string{"1"}, ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var hooks []int
			hook := func(ri RetryInfo) {
				mu.Lock()
				defer mu.Unlock()
				hooks = append(hooks, ri.Attempt)
			}
			c, srv := newStreamServer(t, nil, WithMaxRetries(tt.retries), WithRetryHook(hook))
			srv.Enqueue(tt.faults...)
			s, err := c.ChatStream(t.Context(), "m", []Message{UserMessage("again")})
			require.NoError(t, err)
			r := drainStream(t, s)
			var got []string
			reqs := srv.Requests()
			for _, req := range reqs {
				got = append(got, req.Attempt)
				require.Equal(t, string(reqs[0].Body), string(req.Body), "the same request body")
			}
			require.Equal(t, tt.attempts, got)
			mu.Lock()
			defer mu.Unlock()
			if tt.err != nil {
				require.ErrorIs(t, r.err, tt.err)
				require.Empty(t, r.Chunks)
				if len(tt.attempts) > 1 {
					require.ErrorContains(t, r.err, fmt.Sprintf("after %d attempts", len(tt.attempts)))
				}
				return
			}
			require.NoError(t, r.err)
			require.Equal(t, localserver.AnswerPrefix+"again", r.Response.Text())
			require.Equal(t, fmt.Sprintf("req_local_%d", len(tt.attempts)), r.Response.RequestID)
			var want []int
			for i := 1; i < len(tt.attempts); i++ {
				want = append(want, i)
			}
			require.Equal(t, want, hooks, "attempts the retry hook saw")
		})
	}
	t.Run("logged attempts count on", func(t *testing.T) {
		t.Parallel()
		var logs bytes.Buffer
		var mu sync.Mutex
		logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c, srv := newStreamServer(t, nil, WithMaxRetries(2), WithLogger(logger))
		srv.Enqueue(localserver.Fault{ResetAfterHeaders: true}, localserver.Fault{ResetAfterHeaders: true})
		s, err := c.ChatStream(t.Context(), "m", hello)
		require.NoError(t, err)
		require.NoError(t, drainStream(t, s).err)
		mu.Lock()
		defer mu.Unlock()
		var got []string
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, "http attempt") {
				_, rest, _ := strings.Cut(line, "attempt=")
				n, _, _ := strings.Cut(rest, " ")
				got = append(got, n)
			}
		}
		require.Equal(t, []string{"1", "2", "3"}, got, "attempt numbers in the log:\n%s", logs.String())
	})
	t.Run("then an error status", func(t *testing.T) {
		t.Parallel()
		c, srv := newStreamServer(t, nil, WithMaxRetries(2))
		srv.Enqueue(localserver.Fault{ResetAfterHeaders: true},
			localserver.Fault{Status: 503, Body: `{"error":{"message":"busy"}}`},
			localserver.Fault{Status: 503, Body: `{"error":{"message":"still busy"}}`})
		s, err := c.ChatStream(t.Context(), "m", hello)
		require.NoError(t, err)
		r := drainStream(t, s)
		var apiErr *APIError
		require.ErrorAs(t, r.err, &apiErr)
		require.Equal(t, 503, apiErr.StatusCode)
		require.Equal(t, 3, apiErr.Attempts)
		require.Equal(t, "still busy", apiErr.Message)
	})
	t.Run("then cancelled during the backoff", func(t *testing.T) {
		t.Parallel()
		c, srv := newStreamServer(t, nil, WithMaxRetries(2), WithBackoff(time.Hour, time.Hour))
		srv.Enqueue(localserver.Fault{ResetAfterHeaders: true})
		ctx, cancel := context.WithCancel(t.Context())
		s, err := c.ChatStream(ctx, "m", hello)
		require.NoError(t, err)
		time.AfterFunc(100*time.Millisecond, cancel)
		r := drainStream(t, s)
		require.ErrorIs(t, r.err, context.Canceled)
		require.Equal(t, 1, srv.RequestCount())
	})
}

// TestStreamNoReplay checks that once a chunk has been delivered, a broken
// connection ends the stream with an error and nothing is sent again.
func TestStreamNoReplay(t *testing.T) {
	t.Parallel()
	for _, after := range []int{1, 3, 10} {
		t.Run(fmt.Sprint(after), func(t *testing.T) {
			t.Parallel()
			c, srv := newStreamServer(t, nil, WithMaxRetries(3))
			srv.Enqueue(localserver.Fault{ResetAfterEvents: after})
			s, err := c.ChatStream(t.Context(), "m", []Message{UserMessage("do not repeat yourself please")})
			require.NoError(t, err)
			r := drainStream(t, s)
			require.ErrorIs(t, r.err, ErrTruncated)
			require.ErrorIs(t, r.err, io.ErrUnexpectedEOF)
			require.Len(t, r.Chunks, after)
			require.Equal(t, 1, srv.RequestCount())
			full := localserver.AnswerPrefix + "do not repeat yourself please"
			text := r.Response.Text()
			require.True(t, strings.HasPrefix(full, text) && text != full, text)
		})
	}
}

// TestStreamConnectionReuse checks that streams read to their end, closed
// or not, give their connection back for the next one when the body ends
// with [DONE] (the stream closes the body after [DONE] without waiting for
// its end, so the server's last write holds both).
func TestStreamConnectionReuse(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	conns := 0
	srv := newStreamSSEServer(t, func(w http.ResponseWriter, r *http.Request) {
		events := strings.SplitAfter(streamText("reuse this connection"), "\n\n")
		for i, ev := range events {
			_, _ = io.WriteString(w, ev)
			if i < len(events)-2 { // the last is "" after [DONE]
				w.(http.Flusher).Flush()
			}
		}
	}, func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	})
	c, err := NewClient(WithAPIKey(streamKey), WithBaseURL(srv.URL+"/v1"), WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	for i := range 5 {
		s, err := c.ChatStream(t.Context(), "m", hello)
		require.NoError(t, err)
		for s.Next() {
		}
		require.NoError(t, s.Err())
		if i%2 == 0 {
			require.NoError(t, s.Close())
		}
	}
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, 1, conns, "connections opened for 5 streams")
}

// TestStreamNoGoroutineLeak runs streams that end in every way, then
// checks that no goroutine is left once the server and the client's idle
// connections are closed. Not parallel: it counts goroutines.
func TestStreamNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		srv := localserver.New()
		defer srv.Close()
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		c, err := NewClient(WithBaseURL(srv.URL), WithAPIKey(localserver.DefaultAPIKey), WithHTTPClient(&http.Client{Transport: tr}),
			WithBackoff(time.Millisecond, time.Millisecond), WithIdleTimeout(time.Second))
		require.NoError(t, err)
		open := func(ctx context.Context, f *localserver.Fault) *Stream {
			if f != nil {
				srv.Enqueue(*f)
			}
			s, err := c.ChatStream(ctx, "m", hello)
			require.NoError(t, err)
			return s
		}
		for s := open(t.Context(), nil); s.Next(); {
		}
		s := open(t.Context(), &localserver.Fault{StallAfterEvents: 1})
		require.True(t, s.Next())
		require.NoError(t, s.Close())
		ctx, cancel := context.WithCancel(t.Context())
		s = open(ctx, &localserver.Fault{StallAfterEvents: 1})
		time.AfterFunc(20*time.Millisecond, cancel)
		for s.Next() {
		}
		s = open(t.Context(), &localserver.Fault{ResetAfterEvents: 2})
		for s.Next() {
		}
		s = open(t.Context(), &localserver.Fault{ResetAfterHeaders: true})
		for s.Next() {
		}
		require.NoError(t, s.Err())
		s = open(t.Context(), &localserver.Fault{RawSSE: "data: {\"error\":\"boom\"}\n\n"})
		for s.Next() {
		}
		require.Error(t, s.Err())
		s = open(t.Context(), nil)
		_ = s.Close() // before any Next
	}()
	waitGoroutines(t, before)
}

// TestStreamResponseMatchesChat checks that the same answer fetched with
// Chat and with ChatStream gives the same ChatResponse, but for what
// differs between two HTTP exchanges.
func TestStreamResponseMatchesChat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		prompt string
		answer *localserver.Answer
		opts   []Option
	}{
		{name: "text", prompt: "Tell me something true about streams"},
		{name: "unicode", prompt: "café 日本 😀 \"quoted\""},
		{name: "length", prompt: "one two three four five six", opts: []Option{WithMaxTokens(3)}},
		{name: "n=3", prompt: "three ways", opts: []Option{WithN(3)}},
		{name: "tool calls", answer: &localserver.Answer{ToolCalls: []localserver.ToolCall{
			{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris, France","unit":"celsius"}`},
			{ID: "call_2", Name: "get_time", Arguments: `{}`},
		}}},
		{name: "text and tool call", answer: &localserver.Answer{Text: "Checking.", ToolCalls: []localserver.ToolCall{
			{ID: "call_9", Name: "lookup", Arguments: `{"q":"a long query that spans many fragments"}`},
		}}},
		{name: "empty text", answer: &localserver.Answer{}},
	}
	ignore := cmpopts.IgnoreFields(ChatResponse{}, "Raw", "Header", "ID", "RequestID")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv := newStreamServer(t, nil)
			prompt := pick("hello", tt.prompt)
			msgs := []Message{UserMessage(prompt)}
			if tt.answer != nil {
				srv.Enqueue(localserver.Fault{Answer: tt.answer}, localserver.Fault{Answer: tt.answer})
			}
			want, err := c.Chat(t.Context(), "m", msgs, tt.opts...)
			require.NoError(t, err)
			s, err := c.ChatStream(t.Context(), "m", msgs, append(tt.opts, WithStreamUsage())...)
			require.NoError(t, err)
			r := drainStream(t, s)
			require.NoError(t, r.err)
			if diff := cmp.Diff(want, r.Response, ignore); diff != "" {
				t.Errorf("Chat and ChatStream differ (-chat +stream):\n%s", diff)
			}
			require.Empty(t, r.Response.Raw)
			require.NotEqual(t, want.RequestID, r.Response.RequestID)
		})
	}
}

// TestStreamReopenBackoff checks, in fake time, that reopening a broken
// stream waits as the retry loop waits after any failed attempt, and tells
// the retry hook about it.
func TestStreamReopenBackoff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var starts []time.Time
		doer := streamDoer(func(req *http.Request) (*http.Response, error) {
			starts = append(starts, time.Now())
			body := streamText("second time lucky")
			if len(starts) == 1 {
				body = body[:40] // cut inside the first event
			}
			return streamResponse(req, "text/event-stream", strings.NewReader(body)), nil
		})
		var hooks []RetryInfo
		c := newStreamClient(t, doer, WithMaxRetries(3), WithBackoff(time.Second, 4*time.Second),
			WithRetryHook(func(ri RetryInfo) { hooks = append(hooks, ri) }))
		s, err := c.ChatStream(t.Context(), "m", hello)
		require.NoError(t, err)
		r := drainStream(t, s)
		require.NoError(t, r.err)
		require.Equal(t, "second time lucky", r.Response.Text())
		require.Len(t, starts, 2)
		require.Len(t, hooks, 1)
		require.Equal(t, 1, hooks[0].Attempt)
		require.ErrorIs(t, hooks[0].Err, ErrTruncated)
		require.ErrorContains(t, hooks[0].Err, "aione: attempt 1: stream broke before its first chunk: stream ended before it was complete")
		require.Equal(t, hooks[0].Wait, starts[1].Sub(starts[0]))
		require.GreaterOrEqual(t, hooks[0].Wait, 500*time.Millisecond)
	})
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

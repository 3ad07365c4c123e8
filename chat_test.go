package aione

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

const testKey = "sk-nex-test-5ecret-key-value"

// newTestClient starts a server for h under /v1 and returns a client for
// it with retries off unless opts turn them on.
func newTestClient(t *testing.T, h http.HandlerFunc, opts ...Option) (*Client, *httptest.Server) {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/v1/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	all := append([]Option{WithAPIKey(testKey), WithBaseURL(srv.URL + "/v1"), WithMaxRetries(0), WithBackoff(time.Millisecond, time.Millisecond)}, opts...)
	c, err := NewClient(all...)
	require.NoError(t, err)
	return c, srv
}

const okBody = `{"id":"chatcmpl-1","object":"chat.completion","created":1711500000,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`

func reply(status int, ct, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.Header().Set("X-Request-Id", "req_123")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

var hello = []Message{UserMessage("hello")}

func TestRequestGolden(t *testing.T) {
	t.Parallel()
	c, err := NewClient(WithAPIKey(testKey), WithBaseURL("http://127.0.0.1:1/v1"))
	require.NoError(t, err)
	msgs := []Message{SystemMessage("be brief"), UserMessage("hi")}
	tests := []struct {
		name string
		msgs []Message
		opts []Option
	}{
		{"plain", msgs, nil},
		{"temperature_zero", msgs, []Option{WithTemperature(0)}},
		{"sampling", msgs, []Option{WithTemperature(0.7), WithTopP(0.9), WithTopK(40), WithSeed(42), WithN(2)}},
		{"lengths", msgs, []Option{WithMaxTokens(500), WithMaxCompletionTokens(600), WithStop("END", "\n\n")}},
		{"penalties", msgs, []Option{WithPresencePenalty(0), WithFrequencyPenalty(-1.5), WithLogitBias(map[string]int{"50256": -100})}},
		{"logprobs", msgs, []Option{WithLogprobs(3)}},
		{"identity", msgs, []Option{WithUser("user-1"), WithMetadata(map[string]string{"team": "search"}), WithServiceTier("flex"), WithReasoningEffort("low")}},
		{"gemini_image", []Message{UserMessage("a red fox")}, []Option{WithAspectRatio("16:9"), WithImageSize("2K"), WithTopK(32)}},
		{"json_mode", msgs, []Option{WithJSONMode()}},
		{"extra_add", msgs, []Option{WithExtraField("thinking", map[string]any{"type": "enabled", "budget_tokens": 1024})}},
		{"extra_override", msgs, []Option{WithTemperature(0.5), WithExtraField("temperature", 1.25)}},
		{"extra_remove", msgs, []Option{WithMaxTokens(10), WithExtraField("max_tokens", nil)}},
		{"extra_null", msgs, []Option{WithExtraField("user", json.RawMessage("null"))}},
		{"later_wins", msgs, []Option{WithTemperature(1), WithTemperature(0.2)}},
		{"user_parts", []Message{UserMessage("what is this?",
			ImageURLPart("https://example.com/cat.png"),
			ImageDataPart([]byte("\x89PNG"), "image/png"),
			AudioPart([]byte("RIFF"), "wav"),
			FilePart("a.pdf", []byte("%PDF"), "application/pdf"),
			FileIDPart("file-123"))}, nil},
		{"roles", []Message{DeveloperMessage("rules"), UserMessage("q"), AssistantMessage("a"),
			{Role: RoleAssistant, ToolCalls: []ToolCall{{ID: "call_1", Type: "function", Function: FunctionCall{Name: "f", Arguments: `{"x":1}`}}}},
			ToolMessage("call_1", "42"), {Role: RoleUser, Name: "bob", Content: TextContent("")}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := c.NewChatRequest("claude-sonnet-4-6", tt.msgs, tt.opts...)
			require.NoError(t, err)
			b, err := json.MarshalIndent(req, "", "  ")
			require.NoError(t, err)
			checkGolden(t, "requests/"+tt.name+".json", append(b, '\n'))
		})
	}
}

func TestUnsetAndZeroDiffer(t *testing.T) {
	t.Parallel()
	c, err := NewClient(WithAPIKey(testKey))
	require.NoError(t, err)
	none, err := c.NewChatRequest("m", hello)
	require.NoError(t, err)
	zero, err := c.NewChatRequest("m", hello, WithTemperature(0), WithTopP(0), WithPresencePenalty(0), WithSeed(0))
	require.NoError(t, err)
	nb, _ := json.Marshal(none)
	zb, _ := json.Marshal(zero)
	for _, f := range []string{`"temperature":0`, `"top_p":0`, `"presence_penalty":0`, `"seed":0`} {
		if bytes.Contains(nb, []byte(strings.Split(f, ":")[0])) {
			t.Errorf("unset request has %s: %s", f, nb)
		}
		if !bytes.Contains(zb, []byte(f)) {
			t.Errorf("zero request lacks %s: %s", f, zb)
		}
	}
}

func TestClientDefaultsAndCallOptions(t *testing.T) {
	t.Parallel()
	var got atomic.Value
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(map[string]any{"body": string(b), "team": r.Header.Get("X-Team")})
		reply(200, "application/json", okBody)(w, r)
	}, WithTemperature(0.3), WithMaxTokens(100), WithHeader("X-Team", "a"))
	ctx := t.Context()

	_, err := c.Chat(ctx, "m", hello)
	require.NoError(t, err)
	first := got.Load().(map[string]any)
	if !strings.Contains(first["body"].(string), `"temperature":0.3`) || first["team"] != "a" {
		t.Errorf("client defaults not applied: %v", first)
	}

	_, err = c.Chat(ctx, "m", hello, WithTemperature(0), WithHeader("X-Team", "b"))
	require.NoError(t, err)
	second := got.Load().(map[string]any)
	if !strings.Contains(second["body"].(string), `"temperature":0,`) || !strings.Contains(second["body"].(string), `"max_tokens":100`) || second["team"] != "b" {
		t.Errorf("call options did not override defaults: %v", second)
	}

	// The call's options did not leak into the client's defaults.
	_, err = c.Chat(ctx, "m", hello)
	require.NoError(t, err)
	third := got.Load().(map[string]any)
	if !strings.Contains(third["body"].(string), `"temperature":0.3`) || third["team"] != "a" {
		t.Errorf("call options leaked into defaults: %v", third)
	}
}

func TestNewClientErrors(t *testing.T) {
	// Not parallel: it sets environment variables.
	t.Setenv("AIONE_API_KEY", "")
	t.Setenv("AIONE_BASE_URL", "")
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{"no key", nil, "AIONE_API_KEY"},
		{"empty key", []Option{WithAPIKey("")}, "WithAPIKey"},
		{"negative retries", []Option{WithAPIKey(testKey), WithMaxRetries(-1)}, "negative"},
		{"ftp base URL", []Option{WithAPIKey(testKey), WithBaseURL("ftp://example.com/v1")}, "http or https"},
		{"no host", []Option{WithAPIKey(testKey), WithBaseURL("https:///v1")}, "no host"},
		{"bad URL", []Option{WithAPIKey(testKey), WithBaseURL("http://[::1")}, "invalid base URL"},
		{"credentials in URL", []Option{WithAPIKey(testKey), WithBaseURL("https://u:p@example.com/v1")}, "credentials"},
		{"nil http client", []Option{WithAPIKey(testKey), WithHTTPClient(nil)}, "nil client"},
		{"authorization header", []Option{WithAPIKey(testKey), WithHeader("authorization", "x")}, "WithAPIKey"},
		{"bad backoff", []Option{WithAPIKey(testKey), WithBackoff(time.Second, time.Millisecond)}, "min <= max"},
		{"negative timeout", []Option{WithAPIKey(testKey), WithTimeout(-time.Second)}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.opts...)
			if err == nil || c != nil {
				t.Fatalf("NewClient = %v, %v; want an error", c, err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "aione: ") {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error shows the key: %v", err)
			}
		})
	}
	_, err := NewClient()
	if !errors.Is(err, ErrMissingAPIKey) {
		t.Errorf("NewClient() = %v, want ErrMissingAPIKey", err)
	}
}

func TestEnvironment(t *testing.T) {
	var auth atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization") + " " + r.URL.Path)
		reply(200, "application/json", okBody)(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AIONE_API_KEY", testKey)
	t.Setenv("AIONE_BASE_URL", srv.URL+"/gw/v1/")
	c, err := NewClient()
	require.NoError(t, err)
	_, err = c.Chat(t.Context(), "m", hello)
	require.NoError(t, err)
	if got, want := auth.Load(), "Bearer "+testKey+" /gw/v1/chat/completions"; got != want {
		t.Errorf("request = %q, want %q", got, want)
	}

	t.Setenv("AIONE_BASE_URL", "")
	c, err = NewClient()
	require.NoError(t, err)
	if c.BaseURL() != DefaultBaseURL {
		t.Errorf("BaseURL = %q, want %q", c.BaseURL(), DefaultBaseURL)
	}
}

func TestValidationSendsNothing(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		reply(200, "application/json", okBody)(w, r)
	})
	tests := []struct {
		name  string
		model string
		msgs  []Message
		opts  []Option
		want  string
	}{
		{"empty model", "", hello, nil, "empty model"},
		{"no messages", "m", nil, nil, "no messages"},
		{"no role", "m", []Message{{Content: TextContent("x")}}, nil, "no role"},
		{"tool without id", "m", []Message{ToolMessage("", "x")}, nil, "tool call ID"},
		{"temperature high", "m", hello, []Option{WithTemperature(2.5)}, "temperature"},
		{"temperature negative", "m", hello, []Option{WithTemperature(-0.1)}, "temperature"},
		{"top_p", "m", hello, []Option{WithTopP(1.5)}, "top_p"},
		{"n zero", "m", hello, []Option{WithN(0)}, "n 0"},
		{"max_tokens zero", "m", hello, []Option{WithMaxTokens(0)}, "max_tokens"},
		{"bad tool name", "m", hello, []Option{WithTools(Tool{Function: Function{Name: "has space"}})}, "invalid name"},
		{"bad retries per call", "m", hello, []Option{WithMaxRetries(-2)}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Chat(t.Context(), tt.model, tt.msgs, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Chat error = %v, want one mentioning %q", err, tt.want)
			}
			s, err := c.ChatStream(t.Context(), tt.model, tt.msgs, tt.opts...)
			if err == nil || s != nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ChatStream error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("server got %d requests, want 0", n)
	}
}

func TestAPIErrorShapes(t *testing.T) {
	t.Parallel()
	big := `{"error":{"message":"` + strings.Repeat("x", 1<<20) + `"}}` // not valid once cut
	tests := []struct {
		name   string
		status int
		ct     string
		body   string
		want   APIError
	}{
		{"openai shape", 400, "application/json", `{"error":{"message":"bad temperature","type":"invalid_request_error","param":"temperature","code":"invalid_value"}}`,
			APIError{StatusCode: 400, Message: "bad temperature", Type: "invalid_request_error", Param: "temperature", Code: "invalid_value"}},
		{"numeric code", 429, "application/json", `{"error":{"message":"slow down","type":"rate_limit","param":null,"code":1008}}`,
			APIError{StatusCode: 429, Message: "slow down", Type: "rate_limit", Code: "1008"}},
		{"null code", 401, "application/json", `{"error":{"message":"Invalid API key","type":"invalid_request_error","param":null,"code":null}}`,
			APIError{StatusCode: 401, Message: "Invalid API key", Type: "invalid_request_error"}},
		{"string error", 403, "application/json", `{"error":"forbidden model"}`,
			APIError{StatusCode: 403, Message: "forbidden model"}},
		{"array", 500, "application/json", `[{"error":{"code":500,"message":"internal","status":"INTERNAL"}}]`,
			APIError{StatusCode: 500, Message: "internal", Code: "500"}},
		{"top-level message", 502, "application/json", `{"message":"upstream down","code":"bad_gateway"}`,
			APIError{StatusCode: 502, Message: "upstream down", Code: "bad_gateway"}},
		{"detail", 422, "application/json", `{"detail":"field required"}`,
			APIError{StatusCode: 422, Message: "field required"}},
		{"empty body", 503, "", ``,
			APIError{StatusCode: 503, Message: "service unavailable"}},
		{"html page", 502, "text/html", "<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad   Gateway</h1></body></html>",
			APIError{StatusCode: 502, Message: "502 Bad Gateway Bad Gateway"}},
		{"plain text", 500, "text/plain", "upstream connect error",
			APIError{StatusCode: 500, Message: "upstream connect error"}},
		{"object message", 400, "application/json", `{"error":{"message":{"detail":"nested"},"type":"x"}}`,
			APIError{StatusCode: 400, Message: `{"detail":"nested"}`, Type: "x"}},
		{"huge body", 500, "application/json", big,
			APIError{StatusCode: 500, Message: `{"error":{"message":"` + strings.Repeat("x", 200-len(`{"error":{"message":"`)) + "..."}},
		{"200 with error", 200, "application/json", `{"error":{"message":"quota exceeded","type":"insufficient_quota","code":"insufficient_quota"}}`,
			APIError{StatusCode: 200, Message: "quota exceeded", Type: "insufficient_quota", Code: "insufficient_quota"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newTestClient(t, reply(tt.status, tt.ct, tt.body))
			resp, err := c.Chat(t.Context(), "m", hello)
			if resp != nil {
				t.Fatalf("Chat returned a response: %+v", resp)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("Chat error = %v (%T), want *APIError", err, err)
			}
			want := tt.want
			want.RequestID = "req_123"
			if want.StatusCode != 200 {
				want.Attempts = 1
			}
			if diff := cmp.Diff(&want, apiErr, cmpAPIError); diff != "" {
				t.Errorf("APIError mismatch (-want +got):\n%s", diff)
			}
			if len(apiErr.Body) > maxErrorExcerpt {
				t.Errorf("Body holds %d bytes, want at most %d", len(apiErr.Body), maxErrorExcerpt)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "aione: ") || tt.status != 200 && !strings.Contains(msg, fmt.Sprint(tt.status)) {
				t.Errorf("Error() = %q: want the prefix and the status", msg)
			}
		})
	}
}

// cmpAPIError compares the fields of an APIError that tests fix.
var cmpAPIError = cmp.FilterPath(func(p cmp.Path) bool {
	switch p.Last().String() {
	case ".Header", ".Body", ".RetryAfter":
		return true
	}
	return false
}, cmp.Ignore())

func TestAPIErrorMessage(t *testing.T) {
	t.Parallel()
	e := &APIError{StatusCode: 429, Message: "slow down", Type: "rate_limit", Code: "1008", RequestID: "r1", Attempts: 3}
	if got, want := e.Error(), "aione: 429 Too Many Requests: slow down (type=rate_limit, code=1008, request_id=r1, attempts=3)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = &APIError{StatusCode: 200, Message: "boom"}
	if got, want := e.Error(), "aione: error in answer: boom"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestChatResponse(t *testing.T) {
	t.Parallel()
	body := `{"id":"chatcmpl-9","object":"chat.completion","created":1711500000,"model":"gpt-x","system_fingerprint":"fp_1","service_tier":"default",
	"choices":[{"index":0,"message":{"role":"assistant","content":"Hello","reasoning_content":"thinking...","annotations":[{"type":"url_citation"}]},"finish_reason":"stop",
	"logprobs":{"content":[{"token":"Hello","logprob":-0.1,"bytes":[72],"top_logprobs":[{"token":"Hi","logprob":-2.5,"bytes":[72,105]}]}]}}],
	"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}}`
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Ratelimit-Limit-Requests", "1000")
		h.Set("X-Ratelimit-Remaining-Requests", "999")
		h.Set("X-Ratelimit-Reset-Requests", "1s")
		h.Set("X-Ratelimit-Limit-Tokens", "100000")
		h.Set("X-Ratelimit-Remaining-Tokens", "99000")
		h.Set("X-Ratelimit-Reset-Tokens", "6m0s")
		h.Set("X-Oneapi-Request-Id", "oneapi-7")
		h.Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	})
	resp, err := c.Chat(t.Context(), "gpt-x", hello)
	require.NoError(t, err)
	want := &ChatResponse{
		ID: "chatcmpl-9", Object: "chat.completion", Created: 1711500000, Model: "gpt-x", SystemFingerprint: "fp_1", ServiceTier: "default",
		Choices: []Choice{{Message: Message{Role: "assistant", Content: TextContent("Hello"), ReasoningContent: "thinking...",
			Extra: map[string]json.RawMessage{"annotations": json.RawMessage(`[{"type":"url_citation"}]`)}}, FinishReason: "stop",
			Logprobs: &Logprobs{Content: []TokenLogprob{{Token: "Hello", Logprob: -0.1, Bytes: []int{72}, TopLogprobs: []TopLogprob{{Token: "Hi", Logprob: -2.5, Bytes: []int{72, 105}}}}}}}},
		Usage:     &Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15, PromptTokensDetails: &PromptTokensDetails{CachedTokens: 4}, CompletionTokensDetails: &CompletionTokensDetails{ReasoningTokens: 2}},
		RequestID: "oneapi-7",
		RateLimit: RateLimit{LimitRequests: 1000, RemainingRequests: 999, ResetRequests: time.Second, LimitTokens: 100000, RemainingTokens: 99000, ResetTokens: 6 * time.Minute},
		Raw:       body,
	}
	if diff := cmp.Diff(want, resp, cmpIgnoreHeader); diff != "" {
		t.Errorf("response mismatch (-want +got):\n%s", diff)
	}
	if resp.Text() != "Hello" {
		t.Errorf("Text() = %q", resp.Text())
	}
	if !strings.Contains(resp.Raw, "url_citation") {
		t.Error("Raw lost the annotations")
	}
}

var cmpIgnoreHeader = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Header" }, cmp.Ignore())

func TestContentShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		json string
		want Content
		text string
	}{
		{"string", `"hi"`, TextContent("hi"), "hi"},
		{"empty string", `""`, TextContent(""), ""},
		{"null", `null`, Content{}, ""},
		{"parts", `[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}},{"type":"text","text":"b"}]`,
			PartsContent(TextPart("a"), ImageURLPart("data:image/png;base64,AA=="), TextPart("b")), "ab"},
		{"single part object", `{"type":"text","text":"x"}`, PartsContent(TextPart("x")), "x"},
		{"empty array", `[]`, PartsContent(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var m Message
			require.NoError(t, json.Unmarshal([]byte(`{"role":"assistant","content":`+tt.json+`}`), &m))
			if diff := cmp.Diff(tt.want, m.Content); diff != "" {
				t.Errorf("content mismatch (-want +got):\n%s", diff)
			}
			if m.Content.Text() != tt.text {
				t.Errorf("Text() = %q, want %q", m.Content.Text(), tt.text)
			}
			// It goes back out in the shape it came in.
			out, err := json.Marshal(m)
			require.NoError(t, err)
			var back map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(out, &back))
			var a, b any
			_ = json.Unmarshal([]byte(tt.json), &a)
			_ = json.Unmarshal(back["content"], &b)
			if tt.name == "single part object" {
				a = []any{a}
			}
			if diff := cmp.Diff(a, b); diff != "" {
				t.Errorf("content re-encoded differently (-in +out):\n%s", diff)
			}
		})
	}
	var m Message
	if err := json.Unmarshal([]byte(`{"role":"assistant","content":42}`), &m); err == nil {
		t.Error("numeric content decoded without error")
	}
}

func TestKeyNeverShown(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	keyOpt := WithAPIKey(testKey)
	c, srv := newTestClient(t, reply(401, "application/json", `{"error":{"message":"Invalid API key `+testKey+`"}}`), keyOpt, WithLogger(logger))
	_, err := c.Chat(t.Context(), "m", hello)
	require.Error(t, err)

	// A transport error that quotes the key (a custom doer might).
	leaky := doerFunc(func(r *http.Request) (*http.Response, error) {
		return nil, fmt.Errorf("dial failed for %s", r.Header.Get("Authorization"))
	})
	_, err2 := c.Chat(t.Context(), "m", hello, WithHTTPClient(leaky))
	require.Error(t, err2)

	var shown []string
	for _, v := range []any{c, *c, keyOpt, c.defaults} {
		shown = append(shown, fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v), fmt.Sprint(v))
	}
	shown = append(shown, err.Error(), fmt.Sprintf("%+v", err), string(err.(*APIError).Body), err2.Error(), logs.String(), srv.URL)
	for _, s := range shown {
		if strings.Contains(s, testKey) || strings.Contains(s, "5ecret") {
			t.Errorf("the key is visible in %q", s)
		}
	}
	for _, want := range []string{"level=DEBUG", "method=POST", "path=/v1/chat/completions", "status=401", "attempt=1", "latency=", "request_id=req_123"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

func TestChatTimeout(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-block:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(block) })
	start := time.Now()
	_, err := c.Chat(context.Background(), "m", hello, WithTimeout(50*time.Millisecond))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Chat error = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Chat took %v after a 50ms timeout", d)
	}
}

func TestDefaultHTTPClient(t *testing.T) {
	t.Parallel()
	c, err := NewClient(WithAPIKey(testKey))
	require.NoError(t, err)
	hc, ok := c.defaults.httpClient.(*http.Client)
	require.True(t, ok, "default client is %T", c.defaults.httpClient)
	if hc.Timeout != 0 {
		t.Errorf("Timeout = %v: an overall timeout would cut long answers short", hc.Timeout)
	}
	tr := hc.Transport.(*http.Transport)
	if tr.MaxIdleConnsPerHost < 100 || tr.MaxIdleConns < tr.MaxIdleConnsPerHost {
		t.Errorf("idle pool %d per host, %d in all: too small for a busy service", tr.MaxIdleConnsPerHost, tr.MaxIdleConns)
	}
	if tr.TLSHandshakeTimeout == 0 || tr.ResponseHeaderTimeout == 0 || tr.IdleConnTimeout == 0 || tr.DialContext == nil {
		t.Errorf("transport lacks a dial, TLS, header or idle timeout: %+v", tr)
	}
	if tr.TLSClientConfig != nil && tr.TLSClientConfig.InsecureSkipVerify {
		t.Error("TLS verification is off")
	}
	// Two clients share the pool.
	c2, err := NewClient(WithAPIKey(testKey))
	require.NoError(t, err)
	if c2.defaults.httpClient != c.defaults.httpClient {
		t.Error("clients do not share the default HTTP client")
	}
}

package aione

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// modelServer answers each model as its table says; models not in it get
// a 200 naming the model.
type modelServer struct {
	mu     sync.Mutex
	asked  []string
	answer map[string]func(w http.ResponseWriter, r *http.Request)
}

func (m *modelServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model  string `json:"model"`
		Stream bool   `json:"stream"`
	}
	body, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(body, &req)
	m.mu.Lock()
	m.asked = append(m.asked, req.Model)
	m.mu.Unlock()
	if h, ok := m.answer[req.Model]; ok {
		h(w, r)
		return
	}
	if req.Stream {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, `data: {"model":"`+req.Model+`","choices":[{"index":0,"delta":{"content":"from `+req.Model+`"},"finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n")
		return
	}
	reply(200, "application/json", strings.Replace(okBody, `"model":"m"`, `"model":"`+req.Model+`"`, 1))(w, r)
}

func errorReply(status int, body string) func(http.ResponseWriter, *http.Request) {
	return reply(status, "application/json", body)
}

func TestFallbackModels(t *testing.T) {
	t.Parallel()
	srv := &modelServer{answer: map[string]func(http.ResponseWriter, *http.Request){
		"a": errorReply(503, `{"error":{"message":"overloaded","type":"server_error"}}`),
		"b": errorReply(404, `{"error":{"message":"The model b does not exist","code":"model_not_found"}}`),
	}}
	var logs bytes.Buffer
	var fallbacks []string
	hooks := Hooks{Fallback: func(_ context.Context, call *CallInfo, f FallbackInfo) {
		fallbacks = append(fallbacks, f.From+">"+f.To+"="+call.Model)
	}}
	c, _ := newTestClient(t, srv.ServeHTTP, WithMaxRetries(1),
		WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))))
	resp, err := c.Chat(t.Context(), "a", []Message{UserMessage("hi")}, WithFallbackModels("b", "c"), WithHooks(hooks))
	require.NoError(t, err)
	if resp.Model != "c" {
		t.Errorf("Model = %q, want c", resp.Model)
	}
	if diff := cmp.Diff([]string{"a", "a", "b", "c"}, srv.asked); diff != "" {
		t.Errorf("models asked (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a>b=b", "b>c=c"}, fallbacks); diff != "" {
		t.Errorf("fallback hooks (-want +got):\n%s", diff)
	}
	var warns int
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, `"level":"WARN"`) && strings.Contains(line, `"request_id":"req_123"`) {
			warns++
		}
	}
	if warns != 2 {
		t.Errorf("%d warnings with a request ID, want 2:\n%s", warns, logs.String())
	}

	srv.asked = nil
	s, err := c.ChatStream(t.Context(), "a", []Message{UserMessage("hi")}, WithFallbackModels("b", "c"))
	require.NoError(t, err)
	for s.Next() {
	}
	require.NoError(t, s.Err())
	if got := s.Response(); got.Model != "c" || got.Text() != "from c" {
		t.Errorf("stream answer %q from %q, want c's", got.Text(), got.Model)
	}

	// An overloaded model that says so in the stream's first event.
	srv.answer["o"] = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, ": ping\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n")
	}
	srv.asked, fallbacks = nil, nil
	s, err = c.ChatStream(t.Context(), "o", []Message{UserMessage("hi")}, WithFallbackModels("a", "c"), WithHooks(hooks))
	require.NoError(t, err)
	var text string
	for s.Next() {
		text += s.Current().Choices[0].Delta.Content
	}
	require.NoError(t, s.Err())
	if text != "from c" || s.Response().Model != "c" {
		t.Errorf("stream text %q from %q, want c's", text, s.Response().Model)
	}
	if diff := cmp.Diff([]string{"o>a=a", "a>c=c"}, fallbacks); diff != "" {
		t.Errorf("fallback hooks (-want +got):\n%s", diff)
	}
}

func TestFallbackNotForCallerErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		status     int
	}{
		{"bad request", `{"error":{"message":"bad","code":"model_not_found"}}`, 400},
		{"unauthorized", `{"error":{"message":"bad key"}}`, 401},
		{"payment", `{"error":{"message":"no money"}}`, 402},
		{"forbidden", `{"error":{"message":"no"}}`, 403},
		{"quota", `{"error":{"message":"quota","code":"insufficient_quota"}}`, 429},
		{"not found without model", `{"error":{"message":"no such route"}}`, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &modelServer{answer: map[string]func(http.ResponseWriter, *http.Request){"a": errorReply(tt.status, tt.body)}}
			c, _ := newTestClient(t, srv.ServeHTTP, WithFallbackModels("b"))
			_, err := c.Chat(t.Context(), "a", []Message{UserMessage("hi")})
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status {
				t.Errorf("error %v, want the %d", err, tt.status)
			}
			if diff := cmp.Diff([]string{"a"}, srv.asked); diff != "" {
				t.Errorf("models asked (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFallbackAllUnavailable(t *testing.T) {
	t.Parallel()
	unavailable := errorReply(503, `{"error":{"message":"当前分组 default 下对于模型 x 无可用渠道"}}`)
	srv := &modelServer{answer: map[string]func(http.ResponseWriter, *http.Request){"a": unavailable, "b": unavailable}}
	c, _ := newTestClient(t, srv.ServeHTTP, WithFallbackModels("b"))
	_, err := c.Chat(t.Context(), "a", []Message{UserMessage("hi")})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 {
		t.Fatalf("error %v, want the last 503", err)
	}
	if !strings.HasPrefix(err.Error(), "aione: no model available (tried a, b): 503") {
		t.Errorf("error text %q", err)
	}
	if _, err := NewClient(WithAPIKey(testKey), WithFallbackModels("")); err == nil {
		t.Error("an empty fallback model was accepted")
	}
}

func TestUnavailable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		e    *APIError
		want bool
	}{
		{&APIError{StatusCode: 500}, true},
		{&APIError{StatusCode: 529, Message: "overloaded"}, true},
		{&APIError{StatusCode: 429, Code: "rate_limit_exceeded"}, true},
		{&APIError{StatusCode: 429, Code: "insufficient_user_quota"}, false},
		{&APIError{StatusCode: 404, Code: "model_not_available"}, true},
		{&APIError{StatusCode: 404, Type: "not_found_error", Message: "model: x not found"}, true},
		{&APIError{StatusCode: 404, Message: "Not Found"}, false},
		{&APIError{StatusCode: 400, Code: "model_not_found"}, false},
		{&APIError{StatusCode: 401}, false},
		{&APIError{StatusCode: 200, Type: "overloaded_error"}, true},
		{&APIError{StatusCode: 200, Type: "invalid_request_error"}, false},
	}
	for _, tt := range tests {
		if got := unavailable(tt.e); got != tt.want {
			t.Errorf("unavailable(%v) = %v, want %v", tt.e, got, tt.want)
		}
	}
	if unavailable(errors.New("connection refused")) {
		t.Error("a transport error counts as an unavailable model")
	}
}

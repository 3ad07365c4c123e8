package localserver_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aione/aione-go/internal/localserver"
)

const simpleBody = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hi"}]}`

func TestAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       []localserver.Option
		authHeader string // "-" for none
		wantStatus int
	}{
		{"missing header", nil, "-", http.StatusUnauthorized},
		{"wrong key", nil, "Bearer sk-nex-wrong", http.StatusUnauthorized},
		{"wrong scheme", nil, "Basic " + localserver.DefaultAPIKey, http.StatusUnauthorized},
		{"bare key", nil, localserver.DefaultAPIKey, http.StatusUnauthorized},
		{"default key", nil, "Bearer " + localserver.DefaultAPIKey, http.StatusOK},
		{"custom key accepted", []localserver.Option{localserver.WithAPIKey("sk-nex-custom")}, "Bearer sk-nex-custom", http.StatusOK},
		{"custom key rejects default", []localserver.Option{localserver.WithAPIKey("sk-nex-custom")}, "Bearer " + localserver.DefaultAPIKey, http.StatusUnauthorized},
		{"empty key disables auth", []localserver.Option{localserver.WithAPIKey("")}, "-", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, tt.opts...)
			req := newRequest(t, context.Background(), http.MethodPost, s.URL+"/chat/completions", simpleBody)
			req.Header.Del("Authorization")
			if tt.authHeader != "-" {
				req.Header.Set("Authorization", tt.authHeader)
			}
			res := do(t, s.Client(), req)
			if res.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", res.status, tt.wantStatus, res.body)
			}
			if tt.wantStatus != http.StatusUnauthorized {
				return
			}
			want := `{"error":{"message":"Invalid API key","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`
			if got := string(res.body); got != want {
				t.Errorf("body = %s, want %s", got, want)
			}
			if got := res.header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q", got)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       []localserver.Option
		method     string
		path       string // appended to the host URL
		wantStatus int
		wantCode   string
	}{
		{"unknown path", nil, http.MethodPost, "/v1/embeddings", http.StatusNotFound, "unknown_url"},
		{"models by POST", nil, http.MethodPost, "/v1/models", http.StatusMethodNotAllowed, "method_not_allowed"},
		{"missing base path", nil, http.MethodPost, "/chat/completions", http.StatusNotFound, "unknown_url"},
		{"wrong method", nil, http.MethodGet, "/v1/chat/completions", http.StatusMethodNotAllowed, "method_not_allowed"},
		{"custom base path", []localserver.Option{localserver.WithBasePath("api/")}, http.MethodPost, "/api/chat/completions", http.StatusOK, ""},
		{"root base path", []localserver.Option{localserver.WithBasePath("/")}, http.MethodPost, "/chat/completions", http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, tt.opts...)
			u, err := url.Parse(s.URL)
			if err != nil {
				t.Fatal(err)
			}
			host := "http://" + u.Host
			res := do(t, s.Client(), newRequest(t, context.Background(), tt.method, host+tt.path, simpleBody))
			if res.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", res.status, tt.wantStatus, res.body)
			}
			if tt.wantCode == "" {
				return
			}
			var e errorEnvelope
			if err := json.Unmarshal(res.body, &e); err != nil {
				t.Fatal(err)
			}
			if e.Error.Code == nil || *e.Error.Code != tt.wantCode {
				t.Errorf("code = %v, want %q", e.Error.Code, tt.wantCode)
			}
			allow := http.MethodPost
			if strings.HasSuffix(tt.path, "/models") {
				allow = http.MethodGet
			}
			if tt.wantStatus == http.StatusMethodNotAllowed && res.header.Get("Allow") != allow {
				t.Errorf("Allow = %q", res.header.Get("Allow"))
			}
		})
	}
	t.Run("URL", func(t *testing.T) {
		t.Parallel()
		s := newServer(t)
		if !strings.HasPrefix(s.URL, "http://127.0.0.1:") || !strings.HasSuffix(s.URL, "/v1") {
			t.Errorf("URL = %q", s.URL)
		}
	})
}

func TestValidation(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	msgs := `"messages":[{"role":"user","content":"hi"}]`
	tool := func(name string) string {
		return `"tools":[{"type":"function","function":{"name":"` + name + `","parameters":{"type":"object"}}}]`
	}
	tests := []struct {
		name      string
		body      string
		wantParam string // "" for null
		wantCode  string
	}{
		{"invalid JSON", `{"model":`, "", "invalid_json"},
		{"array body", `[1,2]`, "", "invalid_json"},
		{"null body", `null`, "", "invalid_json"},
		{"trailing data", `{"model":"m",` + msgs + `} {}`, "", "invalid_json"},
		{"model missing", `{` + msgs + `}`, "model", "missing_required_parameter"},
		{"model empty", `{"model":"",` + msgs + `}`, "model", "missing_required_parameter"},
		{"model not a string", `{"model":5,` + msgs + `}`, "model", "missing_required_parameter"},
		{"messages missing", `{"model":"m"}`, "messages", "missing_required_parameter"},
		{"messages empty", `{"model":"m","messages":[]}`, "messages", "missing_required_parameter"},
		{"message without role", `{"model":"m","messages":[{"content":"hi"}]}`, "messages[0].role", "missing_required_parameter"},
		{"message with bad role", `{"model":"m","messages":[{"role":"user","content":"a"},{"role":"robot","content":"hi"}]}`, "messages[1].role", "invalid_value"},
		{"message not an object", `{"model":"m","messages":["hi"]}`, "messages[0]", "invalid_type"},
		{"temperature below 0", `{"model":"m",` + msgs + `,"temperature":-0.1}`, "temperature", "invalid_value"},
		{"temperature above 2", `{"model":"m",` + msgs + `,"temperature":2.5}`, "temperature", "invalid_value"},
		{"top_p above 1", `{"model":"m",` + msgs + `,"top_p":1.5}`, "top_p", "invalid_value"},
		{"top_p below 0", `{"model":"m",` + msgs + `,"top_p":-1}`, "top_p", "invalid_value"},
		{"n zero", `{"model":"m",` + msgs + `,"n":0}`, "n", "invalid_value"},
		{"n fractional", `{"model":"m",` + msgs + `,"n":1.5}`, "n", "invalid_value"},
		{"max_tokens zero", `{"model":"m",` + msgs + `,"max_tokens":0}`, "max_tokens", "invalid_value"},
		{"stream not bool", `{"model":"m",` + msgs + `,"stream":"yes"}`, "stream", "invalid_type"},
		{"stream on gemini image model", `{"model":"gemini-2.5-flash-image",` + msgs + `,"stream":true}`, "stream", "unsupported_value"},
		{"tool message without tool_call_id", `{"model":"m","messages":[{"role":"user","content":"a"},{"role":"tool","content":"42"}]}`, "messages[1].tool_call_id", "missing_required_parameter"},
		{"tool name with space", `{"model":"m",` + msgs + `,` + tool("get weather") + `}`, "tools[0].function.name", "invalid_value"},
		{"tool name too long", `{"model":"m",` + msgs + `,` + tool(strings.Repeat("a", 65)) + `}`, "tools[0].function.name", "invalid_value"},
		{"tool name empty", `{"model":"m",` + msgs + `,` + tool("") + `}`, "tools[0].function.name", "invalid_value"},
		{"tool without function", `{"model":"m",` + msgs + `,"tools":[{"type":"function"}]}`, "tools[0].function", "missing_required_parameter"},
		{"tool with bad type", `{"model":"m",` + msgs + `,"tools":[{"type":"retrieval","function":{"name":"a"}}]}`, "tools[0].type", "invalid_value"},
		{"tool_choice unknown", `{"model":"m",` + msgs + `,` + tool("a") + `,"tool_choice":"always"}`, "tool_choice", "invalid_value"},
		{"tool_choice names missing tool", `{"model":"m",` + msgs + `,` + tool("a") + `,"tool_choice":{"type":"function","function":{"name":"b"}}}`, "tool_choice", "invalid_value"},
		{"response_format bad type", `{"model":"m",` + msgs + `,"response_format":{"type":"yaml"}}`, "response_format.type", "invalid_value"},
		{"json_schema missing", `{"model":"m",` + msgs + `,"response_format":{"type":"json_schema"}}`, "response_format.json_schema", "missing_required_parameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := post(t, s, tt.body)
			if res.status != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400; body %s", res.status, res.body)
			}
			var e errorEnvelope
			if err := json.Unmarshal(res.body, &e); err != nil {
				t.Fatalf("decoding %s: %v", res.body, err)
			}
			var gotParam string
			if e.Error.Param != nil {
				gotParam = *e.Error.Param
			}
			got := []string{e.Error.Type, gotParam, *e.Error.Code}
			want := []string{"invalid_request_error", tt.wantParam, tt.wantCode}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("type, param, code mismatch (-want +got):\n%s", diff)
			}
			if e.Error.Message == "" {
				t.Error("empty message")
			}
		})
	}
}

func TestTextAnswer(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	got, res := chat(t, s, map[string]any{
		"model": "gpt-4o-mini",
		"messages": []any{
			map[string]any{"role": "system", "content": "Be brief."},
			userMsg("What is Go?"),
		},
		"temperature": 0.5,
		"top_p":       1,
	})
	text := localserver.AnswerPrefix + "What is Go?"
	want := completion{
		ID:                "chatcmpl-local-1",
		Object:            "chat.completion",
		Created:           localserver.Created,
		Model:             "gpt-4o-mini",
		SystemFingerprint: "fp_local",
		Choices: []choice{{
			Message:      message{Role: "assistant", Content: json.RawMessage(mustJSON(t, text))},
			FinishReason: "stop",
		}},
		Usage: localserver.Usage{PromptTokens: 5, CompletionTokens: 10, TotalTokens: 15},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answer mismatch (-want +got):\n%s", diff)
	}
	wantHeaders := map[string]string{
		"Content-Type":                   "application/json",
		"X-Request-Id":                   "req_local_1",
		"X-Ratelimit-Limit-Requests":     "1000",
		"X-Ratelimit-Remaining-Requests": "999",
		"X-Ratelimit-Reset-Requests":     "1s",
		"X-Ratelimit-Limit-Tokens":       "100000",
		"X-Ratelimit-Remaining-Tokens":   "99000",
		"X-Ratelimit-Reset-Tokens":       "6ms",
	}
	gotHeaders := map[string]string{}
	for k := range wantHeaders {
		gotHeaders[k] = res.header.Get(k)
	}
	if diff := cmp.Diff(wantHeaders, gotHeaders); diff != "" {
		t.Errorf("headers mismatch (-want +got):\n%s", diff)
	}

	// A second request gets the next sequence number and the same text.
	got2, res2 := chat(t, s, map[string]any{"model": "gpt-4o-mini", "messages": []any{userMsg("What is Go?")}})
	if got2.ID != "chatcmpl-local-2" || res2.header.Get("x-request-id") != "req_local_2" {
		t.Errorf("second ids = %q, %q", got2.ID, res2.header.Get("x-request-id"))
	}
	if contentString(t, got2.Choices[0].Message.Content) != text {
		t.Errorf("second answer differs: %s", got2.Choices[0].Message.Content)
	}
}

func TestContentParts(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	got, _ := chat(t, s, map[string]any{
		"model": "gpt-4o",
		"messages": []any{map[string]any{"role": "user", "content": []any{
			map[string]any{"type": "text", "text": "Describe"},
			map[string]any{"type": "image_url", "image_url": map[string]any{"url": "https://example.com/a.png"}},
			map[string]any{"type": "text", "text": "this picture"},
		}}},
	})
	if diff := cmp.Diff(localserver.AnswerPrefix+"Describe this picture", contentString(t, got.Choices[0].Message.Content)); diff != "" {
		t.Error(diff)
	}
}

func TestMultipleChoicesAndLength(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tests := []struct {
		name        string
		extra       map[string]any
		wantTexts   []string
		wantFinish  []string
		wantCompTok int
	}{
		{
			name:        "n=3",
			extra:       map[string]any{"n": 3},
			wantTexts:   []string{"[0] " + localserver.AnswerPrefix + "ping", "[1] " + localserver.AnswerPrefix + "ping", "[2] " + localserver.AnswerPrefix + "ping"},
			wantFinish:  []string{"stop", "stop", "stop"},
			wantCompTok: 27,
		},
		{
			name:        "max_tokens",
			extra:       map[string]any{"max_tokens": 3},
			wantTexts:   []string{"Hello from AIone"},
			wantFinish:  []string{"length"},
			wantCompTok: 3,
		},
		{
			name:        "max_completion_tokens wins",
			extra:       map[string]any{"max_tokens": 100, "max_completion_tokens": 2},
			wantTexts:   []string{"Hello from"},
			wantFinish:  []string{"length"},
			wantCompTok: 2,
		},
		{
			name:        "max_tokens not reached",
			extra:       map[string]any{"max_tokens": 8},
			wantTexts:   []string{localserver.AnswerPrefix + "ping"},
			wantFinish:  []string{"stop"},
			wantCompTok: 8,
		},
		{
			name:        "n with max_tokens",
			extra:       map[string]any{"n": 2, "max_tokens": 2},
			wantTexts:   []string{"[0] Hello", "[1] Hello"},
			wantFinish:  []string{"length", "length"},
			wantCompTok: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := map[string]any{"model": "m", "messages": []any{userMsg("ping")}}
			for k, v := range tt.extra {
				req[k] = v
			}
			got, _ := chat(t, s, req)
			var texts, finishes []string
			for i, c := range got.Choices {
				if c.Index != i {
					t.Errorf("choice %d has index %d", i, c.Index)
				}
				texts = append(texts, contentString(t, c.Message.Content))
				finishes = append(finishes, c.FinishReason)
			}
			if diff := cmp.Diff(tt.wantTexts, texts); diff != "" {
				t.Errorf("texts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantFinish, finishes); diff != "" {
				t.Errorf("finish reasons (-want +got):\n%s", diff)
			}
			want := localserver.Usage{PromptTokens: 1, CompletionTokens: tt.wantCompTok, TotalTokens: 1 + tt.wantCompTok}
			if diff := cmp.Diff(want, got.Usage); diff != "" {
				t.Errorf("usage (-want +got):\n%s", diff)
			}
		})
	}
}

var weatherTool = map[string]any{"type": "function", "function": map[string]any{
	"name":        "get_weather",
	"description": "Get the weather",
	"parameters": map[string]any{
		"type": "object",
		"properties": map[string]any{
			"city": map[string]any{"type": "string"},
			"unit": map[string]any{"type": "string", "enum": []any{"celsius", "fahrenheit"}},
			"days": map[string]any{"type": "integer"},
		},
		"required": []any{"city"},
	},
}}

var timeTool = map[string]any{"type": "function", "function": map[string]any{
	"name": "get_time",
	"parameters": map[string]any{
		"type":       "object",
		"properties": map[string]any{"zone": map[string]any{"type": "string"}, "utc": map[string]any{"type": "boolean"}},
	},
}}

var noParamsTool = map[string]any{"type": "function", "function": map[string]any{"name": "ping"}}

func TestToolCalls(t *testing.T) {
	t.Parallel()
	weatherArgs := `{"city":"sample","days":1,"unit":"celsius"}`
	timeArgs := `{"utc":true,"zone":"sample"}`
	tests := []struct {
		name       string
		text       string
		tools      []any
		toolChoice any
		parallel   any
		want       [][2]string // name, arguments
	}{
		{"first tool", "weather in Paris?", []any{weatherTool, timeTool}, nil, nil, [][2]string{{"get_weather", weatherArgs}}},
		{"auto", "weather?", []any{weatherTool, timeTool}, "auto", nil, [][2]string{{"get_weather", weatherArgs}}},
		{"required", "weather?", []any{timeTool, weatherTool}, "required", nil, [][2]string{{"get_time", timeArgs}}},
		{"named", "weather?", []any{weatherTool, timeTool}, map[string]any{"type": "function", "function": map[string]any{"name": "get_time"}}, nil, [][2]string{{"get_time", timeArgs}}},
		{"parallel", "do these in PARALLEL please", []any{weatherTool, timeTool, noParamsTool}, nil, nil, [][2]string{{"get_weather", weatherArgs}, {"get_time", timeArgs}, {"ping", `{}`}}},
		{"parallel disabled", "parallel please", []any{weatherTool, timeTool}, nil, false, [][2]string{{"get_weather", weatherArgs}}},
		{"no parameters", "ping", []any{noParamsTool}, nil, nil, [][2]string{{"ping", `{}`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			req := map[string]any{"model": "gpt-4o", "messages": []any{userMsg(tt.text)}, "tools": tt.tools}
			if tt.toolChoice != nil {
				req["tool_choice"] = tt.toolChoice
			}
			if tt.parallel != nil {
				req["parallel_tool_calls"] = tt.parallel
			}
			got, _ := chat(t, s, req)
			if len(got.Choices) != 1 {
				t.Fatalf("%d choices", len(got.Choices))
			}
			c := got.Choices[0]
			if c.FinishReason != "tool_calls" || string(c.Message.Content) != "null" {
				t.Errorf("finish = %q, content = %s", c.FinishReason, c.Message.Content)
			}
			var calls [][2]string
			for i, tc := range c.Message.ToolCalls {
				if want := "call_local_" + string(rune('1'+i)); tc.ID != want || tc.Type != "function" {
					t.Errorf("call %d: id %q type %q, want id %q", i, tc.ID, tc.Type, want)
				}
				calls = append(calls, [2]string{tc.Function.Name, tc.Function.Arguments})
			}
			if diff := cmp.Diff(tt.want, calls); diff != "" {
				t.Errorf("tool calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestToolChoiceNoneAndToolResults(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tests := []struct {
		name     string
		messages []any
		choice   any
		want     string
	}{
		{
			name:     "tool_choice none",
			messages: []any{userMsg("weather?")},
			choice:   "none",
			want:     localserver.AnswerPrefix + "weather?",
		},
		{
			name: "tool results",
			messages: []any{
				userMsg("weather and time?"),
				map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{
					map[string]any{"id": "call_1", "type": "function", "function": map[string]any{"name": "get_weather", "arguments": "{}"}},
					map[string]any{"id": "call_2", "type": "function", "function": map[string]any{"name": "get_time", "arguments": "{}"}},
				}},
				map[string]any{"role": "tool", "tool_call_id": "call_1", "content": "sunny, 21C"},
				map[string]any{"role": "tool", "tool_call_id": "call_2", "content": []any{map[string]any{"type": "text", "text": "12:00"}}},
			},
			want: "Tool results: sunny, 21C; 12:00",
		},
		{
			name:     "last message from assistant",
			messages: []any{userMsg("hi"), map[string]any{"role": "assistant", "content": "hello"}},
			want:     localserver.AnswerPrefix + "hi",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := map[string]any{"model": "gpt-4o", "messages": tt.messages, "tools": []any{weatherTool, timeTool}}
			if tt.choice != nil {
				req["tool_choice"] = tt.choice
			}
			got, _ := chat(t, s, req)
			c := got.Choices[0]
			if c.FinishReason != "stop" || len(c.Message.ToolCalls) != 0 {
				t.Errorf("finish = %q, tool calls = %v", c.FinishReason, c.Message.ToolCalls)
			}
			if diff := cmp.Diff(tt.want, contentString(t, c.Message.Content)); diff != "" {
				t.Errorf("content (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJSONModes(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	schema := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"name":  map[string]any{"type": "string"},
			"age":   map[string]any{"type": "integer", "minimum": 18},
			"tags":  map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
			"level": map[string]any{"type": "string", "enum": []any{"high", "low"}},
			"address": map[string]any{"type": "object", "properties": map[string]any{
				"zip": map[string]any{"type": []any{"string", "null"}},
			}},
		},
		"required":             []any{"name"},
		"additionalProperties": false,
	}
	tests := []struct {
		name   string
		format map[string]any
		want   map[string]any
	}{
		{
			name:   "json_object",
			format: map[string]any{"type": "json_object"},
			want:   map[string]any{"answer": localserver.AnswerPrefix + "Give JSON"},
		},
		{
			name:   "json_schema",
			format: map[string]any{"type": "json_schema", "json_schema": map[string]any{"name": "person", "strict": true, "schema": schema}},
			want: map[string]any{
				"name": "sample", "age": float64(18), "tags": []any{"sample"}, "level": "high",
				"address": map[string]any{"zip": "sample"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _ := chat(t, s, map[string]any{"model": "gpt-4o", "messages": []any{userMsg("Give JSON")}, "response_format": tt.format})
			var v map[string]any
			if err := json.Unmarshal([]byte(contentString(t, got.Choices[0].Message.Content)), &v); err != nil {
				t.Fatalf("content is not JSON: %v", err)
			}
			if diff := cmp.Diff(tt.want, v); diff != "" {
				t.Errorf("content (-want +got):\n%s", diff)
			}
		})
	}
}

func TestImageAnswer(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tests := []struct {
		name     string
		extra    map[string]any
		wantText string
	}{
		{"plain", nil, "Here is your image."},
		{"with options", map[string]any{"aspect_ratio": "16:9", "image_size": "1K", "top_k": 40}, "Here is your image (aspect_ratio 16:9, image_size 1K)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := map[string]any{"model": "gemini-2.5-flash-image-preview", "messages": []any{userMsg("draw a cat")}, "stream": false}
			for k, v := range tt.extra {
				req[k] = v
			}
			got, _ := chat(t, s, req)
			var parts []struct {
				Type     string `json:"type"`
				Text     string `json:"text"`
				ImageURL struct {
					URL string `json:"url"`
				} `json:"image_url"`
			}
			if err := json.Unmarshal(got.Choices[0].Message.Content, &parts); err != nil {
				t.Fatalf("content %s is not an array of parts: %v", got.Choices[0].Message.Content, err)
			}
			if len(parts) != 2 || parts[0].Type != "text" || parts[1].Type != "image_url" {
				t.Fatalf("parts = %+v", parts)
			}
			if parts[0].Text != tt.wantText {
				t.Errorf("text = %q, want %q", parts[0].Text, tt.wantText)
			}
			const prefix = "data:image/png;base64,"
			if !strings.HasPrefix(parts[1].ImageURL.URL, prefix) {
				t.Fatalf("url = %q", parts[1].ImageURL.URL)
			}
			raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(parts[1].ImageURL.URL, prefix))
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("invalid PNG: %v", err)
			}
			if b := img.Bounds(); b.Dx() != 2 || b.Dy() != 2 {
				t.Errorf("image is %dx%d, want 2x2", b.Dx(), b.Dy())
			}
			if !bytes.Equal(raw, localserver.PNG()) || parts[1].ImageURL.URL != localserver.ImageDataURL() {
				t.Error("image differs from PNG()/ImageDataURL()")
			}
			if got.Choices[0].FinishReason != "stop" {
				t.Errorf("finish = %q", got.Choices[0].FinishReason)
			}
		})
	}
}

func TestRequestsRecorded(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	if _, ok := s.LastRequest(); ok {
		t.Error("LastRequest reports a request on a new server")
	}
	req := newRequest(t, context.Background(), http.MethodPost, s.URL+"/chat/completions", simpleBody)
	req.Header.Set("X-Aione-Attempt", "2")
	do(t, s.Client(), req)
	post(t, s, "not json")

	got := s.Requests()
	if len(got) != 2 || s.RequestCount() != 2 {
		t.Fatalf("%d requests recorded, count %d", len(got), s.RequestCount())
	}
	first := got[0]
	if first.Method != http.MethodPost || first.Path != "/v1/chat/completions" || first.Attempt != "2" || string(first.Body) != simpleBody {
		t.Errorf("first request = %+v", first)
	}
	if first.Header.Get("Authorization") != "Bearer "+localserver.DefaultAPIKey {
		t.Errorf("header not recorded: %v", first.Header)
	}
	if first.Decoded["model"] != "gpt-4o-mini" {
		t.Errorf("decoded = %v", first.Decoded)
	}
	if got[1].Decoded != nil || got[1].Attempt != "" {
		t.Errorf("second request = %+v", got[1])
	}

	// The results are copies.
	first.Header.Set("Authorization", "changed")
	first.Body[0] = 'X'
	first.Decoded["model"] = "changed"
	again := s.Requests()[0]
	if again.Header.Get("Authorization") == "changed" || again.Body[0] == 'X' || again.Decoded["model"] == "changed" {
		t.Error("Requests returned shared data")
	}
	last, ok := s.LastRequest()
	if !ok || string(last.Body) != "not json" {
		t.Errorf("LastRequest = %+v, %v", last, ok)
	}
}

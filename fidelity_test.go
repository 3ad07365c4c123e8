package aione

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// scriptServer answers each request with the next of its bodies (JSON, or
// an event stream when it starts with "data:") and records the request
// bodies.
type scriptServer struct {
	mu     sync.Mutex
	bodies []string
	got    [][]byte
}

func newScriptClient(t *testing.T, bodies ...string) (*Client, *scriptServer) {
	t.Helper()
	ss := &scriptServer{bodies: bodies}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := io.ReadAll(r.Body)
		ss.mu.Lock()
		ss.got = append(ss.got, req)
		var body string
		if len(ss.bodies) > 0 {
			body, ss.bodies = ss.bodies[0], ss.bodies[1:]
		}
		ss.mu.Unlock()
		if strings.HasPrefix(body, "data:") {
			w.Header().Set("Content-Type", "text/event-stream")
		} else {
			w.Header().Set("Content-Type", "application/json")
		}
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(WithAPIKey(streamKey), WithBaseURL(srv.URL+"/v1"), WithHTTPClient(srv.Client()), WithMaxRetries(0))
	require.NoError(t, err)
	return c, ss
}

// request returns the body of the n-th request (from 0), decoded.
func (ss *scriptServer) request(t *testing.T, n int) []byte {
	t.Helper()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	require.Greater(t, len(ss.got), n, "requests received")
	return ss.got[n]
}

// A Gemini 3 answer calling a tool, as its OpenAI-compatible endpoint
// sends it: the thought signature rides on the tool call, and the next
// request must send it back.
const (
	geminiSignature  = "CiQB0e2Kb7Xc9Gm3+signature/AAAA=="
	geminiToolAnswer = `{"id":"gem-1","object":"chat.completion","created":1764680000,"model":"gemini-3-pro-preview",` +
		`"choices":[{"index":0,"message":{"role":"assistant","tool_calls":[{"extra_content":{"google":{"thought_signature":"` + geminiSignature + `"}},` +
		`"function":{"arguments":"{\"city\":\"Paris\"}","name":"get_weather"},"id":"function-call-1","type":"function"}]},"finish_reason":"tool_calls"}],` +
		`"usage":{"completion_tokens":20,"prompt_tokens":50,"total_tokens":70}}`
	geminiTextAnswer = `{"id":"gem-2","object":"chat.completion","created":1764680001,"model":"gemini-3-pro-preview",` +
		`"choices":[{"index":0,"message":{"role":"assistant","content":"It is 21.5 °C in Paris."},"finish_reason":"stop"}]}`
	// The same call streamed: the signature arrives on the first
	// fragment of the call.
	geminiToolStream = `data: {"id":"gem-1","object":"chat.completion.chunk","created":1764680000,"model":"gemini-3-pro-preview","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"extra_content":{"google":{"thought_signature":"` + geminiSignature + `"}},"function":{"arguments":"","name":"get_weather"},"id":"function-call-1","index":0,"type":"function"}]}}]}

data: {"id":"gem-1","object":"chat.completion.chunk","created":1764680000,"model":"gemini-3-pro-preview","choices":[{"index":0,"delta":{"tool_calls":[{"function":{"arguments":"{\"city\":\"Paris\"}"},"index":0}]}}]}

data: {"id":"gem-1","object":"chat.completion.chunk","created":1764680000,"model":"gemini-3-pro-preview","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}

data: [DONE]

`
	geminiTextStream = `data: {"id":"gem-2","object":"chat.completion.chunk","created":1764680001,"model":"gemini-3-pro-preview","choices":[{"index":0,"delta":{"role":"assistant","content":"It is 21.5 °C in Paris."},"finish_reason":"stop"}]}

data: [DONE]

`
)

// TestGeminiSignatureRoundTrip checks, with goldens of the exact JSON sent
// on turn 2, that the thought signature of a Gemini 3 tool call goes back
// with the call: through Chat and a hand-written loop, RunTools, and
// RunToolsStream (the signature arriving in a stream chunk).
func TestGeminiSignatureRoundTrip(t *testing.T) {
	t.Parallel()
	ask := []Message{UserMessage("Weather in Paris?")}
	check := func(t *testing.T, name string, ss *scriptServer) {
		t.Helper()
		body := ss.request(t, 1)
		checkGolden(t, "tools/"+name+".golden", indentJSON(t, body))
		var sent struct {
			Messages []struct {
				ToolCalls []struct {
					ID           string          `json:"id"`
					ExtraContent json.RawMessage `json:"extra_content"`
				} `json:"tool_calls"`
				ToolCallID string `json:"tool_call_id"`
			} `json:"messages"`
		}
		require.NoError(t, json.Unmarshal(body, &sent))
		require.Len(t, sent.Messages, 3)
		require.Len(t, sent.Messages[1].ToolCalls, 1)
		call := sent.Messages[1].ToolCalls[0]
		require.JSONEq(t, `{"google":{"thought_signature":"`+geminiSignature+`"}}`, string(call.ExtraContent))
		require.Equal(t, call.ID, sent.Messages[2].ToolCallID)
	}
	t.Run("chat", func(t *testing.T) {
		t.Parallel()
		c, ss := newScriptClient(t, geminiToolAnswer, geminiTextAnswer)
		tools := []RunnableTool{weatherTool(t)}
		msgs := ask
		resp, err := c.Chat(t.Context(), "gemini-3-pro-preview", msgs, WithTools(weatherTool(t).Definition()))
		require.NoError(t, err)
		msgs = append(msgs, resp.Choices[0].Message)
		for _, call := range resp.ToolCalls() {
			out, err := tools[0].Call(t.Context(), call.Function.Arguments)
			require.NoError(t, err)
			msgs = append(msgs, ToolMessage(call.ID, out))
		}
		resp, err = c.Chat(t.Context(), "gemini-3-pro-preview", msgs, WithTools(weatherTool(t).Definition()))
		require.NoError(t, err)
		require.Equal(t, "It is 21.5 °C in Paris.", resp.Text())
		check(t, "gemini_chat", ss)
	})
	t.Run("run_tools", func(t *testing.T) {
		t.Parallel()
		c, ss := newScriptClient(t, geminiToolAnswer, geminiTextAnswer)
		run, err := c.RunTools(t.Context(), "gemini-3-pro-preview", ask, []RunnableTool{weatherTool(t)})
		require.NoError(t, err)
		require.Equal(t, "It is 21.5 °C in Paris.", run.Text())
		check(t, "gemini_run_tools", ss)
	})
	t.Run("run_tools_stream", func(t *testing.T) {
		t.Parallel()
		c, ss := newScriptClient(t, geminiToolStream, geminiTextStream)
		s, err := c.RunToolsStream(t.Context(), "gemini-3-pro-preview", ask, []RunnableTool{weatherTool(t)})
		require.NoError(t, err)
		for s.Next() {
		}
		require.NoError(t, s.Err())
		require.Equal(t, "It is 21.5 °C in Paris.", s.Run().Text())
		check(t, "gemini_run_tools_stream", ss)
	})
}

// A DeepSeek thinking-mode answer calling a tool: its reasoning must go
// back on that assistant message.
const deepseekToolAnswer = `{"id":"ds-1","object":"chat.completion","created":1,"model":"deepseek-chat","choices":[{"index":0,"message":{"role":"assistant","content":"","%s":"The user wants the weather; call the tool.","tool_calls":[{"index":0,"id":"call_00_x","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}]}`

// TestReasoningReplay checks that the request after a tool-call answer
// with reasoning sends the reasoning back as reasoning_content by default
// (whether the answer named it reasoning_content or reasoning), and not
// under ReasoningNever.
func TestReasoningReplay(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, key string
		opts      []Option
		want      bool
	}{
		{"default", "reasoning_content", nil, true},
		{"default, reasoning", "reasoning", nil, true},
		{"never", "reasoning_content", []Option{WithReasoningReplay(ReasoningNever)}, false},
		{"always", "reasoning_content", []Option{WithReasoningReplay(ReasoningAlways)}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			answer := strings.Replace(deepseekToolAnswer, "%s", tt.key, 1)
			c, ss := newScriptClient(t, answer, geminiTextAnswer)
			_, err := c.RunTools(t.Context(), "deepseek-chat", []Message{UserMessage("Weather in Paris?")}, []RunnableTool{weatherTool(t)}, tt.opts...)
			require.NoError(t, err)
			var sent struct {
				Messages []map[string]json.RawMessage `json:"messages"`
			}
			require.NoError(t, json.Unmarshal(ss.request(t, 1), &sent))
			rc, ok := sent.Messages[1]["reasoning_content"]
			if ok != tt.want {
				t.Fatalf("reasoning_content sent: %v, want %v", ok, tt.want)
			}
			if ok && string(rc) != `"The user wants the weather; call the tool."` {
				t.Errorf("reasoning_content = %s", rc)
			}
			if _, ok := sent.Messages[1]["reasoning"]; ok {
				t.Error("reasoning sent under its other name")
			}
		})
	}
}

// TestDecodeTolerances checks what is accepted although not in the usual
// shape, and what is still refused, in answers and in streams alike.
func TestDecodeTolerances(t *testing.T) {
	t.Parallel()
	wrap := func(message, usage string) string {
		return `{"id":"x","object":"chat.completion","created":1.7115e9,"model":"m","choices":[{"index":0.0,"message":` + message +
			`,"finish_reason":"tool_calls"}],"usage":` + usage + `}`
	}
	t.Run("object arguments and integral numbers", func(t *testing.T) {
		t.Parallel()
		for _, body := range []string{
			wrap(`{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":{"a": [1, 2]}}}]}`,
				`{"prompt_tokens":1.0,"completion_tokens":1e2,"total_tokens":100.0e0,"completion_tokens_details":{"reasoning_tokens":2E1}}`),
		} {
			for _, data := range []string{body, strings.ReplaceAll(body, `"id":"x"`, `"id":"x","ID2":1`)} {
				r, err := decodeResponse(context.Background(), 200, http.Header{}, []byte(data))
				require.NoError(t, err)
				require.Equal(t, int64(1711500000), r.Created)
				require.Equal(t, `{"a": [1, 2]}`, r.ToolCalls()[0].Function.Arguments)
				require.Equal(t, Usage{PromptTokens: 1, CompletionTokens: 100, TotalTokens: 100,
					CompletionTokensDetails: &CompletionTokensDetails{ReasoningTokens: 20}}, *r.Usage)
			}
		}
	})
	t.Run("fractions are refused", func(t *testing.T) {
		t.Parallel()
		for _, usage := range []string{`{"prompt_tokens":1.5}`, `{"prompt_tokens":1e-1}`, `{"prompt_tokens":1e30}`} {
			_, err := decodeResponse(context.Background(), 200, http.Header{}, []byte(wrap(`{"role":"assistant"}`, usage)))
			require.Error(t, err, usage)
		}
		doer := streamDoer(func(req *http.Request) (*http.Response, error) {
			return streamResponse(req, "text/event-stream", strings.NewReader(
				`data: {"id":"c","choices":[{"index":0.5,"delta":{"content":"a"}}]}`+"\n\n")), nil
		})
		s, err := newStreamClient(t, doer, WithMaxRetries(0)).ChatStream(t.Context(), "m", hello)
		require.NoError(t, err)
		for s.Next() {
		}
		require.ErrorContains(t, s.Err(), "aione: stream chunk has a bad value: ")
		require.NotContains(t, s.Err().Error(), "not valid JSON")
	})
	t.Run("stream", func(t *testing.T) {
		t.Parallel()
		doer := streamDoer(func(req *http.Request) (*http.Response, error) {
			return streamResponse(req, "text/event-stream", strings.NewReader(
				`data: {"id":"c","created":1e1,"choices":[{"index":0,"delta":{"tool_calls":[{"index":0.0,"type":"function","function":{"name":"f","arguments":{"a":1}}}]}}]}`+"\n\n"+
					`data: {"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":2.0,"completion_tokens":3,"total_tokens":5}}`+"\n\n"+
					"data: [DONE]\n\n")), nil
		})
		s, err := newStreamClient(t, doer).ChatStream(t.Context(), "m", hello)
		require.NoError(t, err)
		for s.Next() {
		}
		require.NoError(t, s.Err())
		r := s.Response()
		require.Equal(t, int64(10), r.Created)
		require.Equal(t, 2, r.Usage.PromptTokens)
		calls := r.ToolCalls()
		require.Len(t, calls, 1)
		require.Equal(t, `{"a":1}`, calls[0].Function.Arguments)
		require.True(t, strings.HasPrefix(calls[0].ID, "call_"), calls[0].ID)
	})
}

// TestMissingToolCallID checks that a tool call sent without an ID gets
// one, which the tool loop sends back on both the assistant's call and the
// tool's result.
func TestMissingToolCallID(t *testing.T) {
	t.Parallel()
	noID := strings.Replace(geminiToolAnswer, `"id":"function-call-1",`, ``, 1)
	noIDStream := strings.Replace(geminiToolStream, `"id":"function-call-1",`, ``, 1)
	for name, bodies := range map[string][]string{
		"chat":   {noID, geminiTextAnswer},
		"stream": {noIDStream, geminiTextStream},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, ss := newScriptClient(t, bodies...)
			if name == "chat" {
				_, err := c.RunTools(t.Context(), "m", []Message{UserMessage("hi")}, []RunnableTool{weatherTool(t)})
				require.NoError(t, err)
			} else {
				s, err := c.RunToolsStream(t.Context(), "m", []Message{UserMessage("hi")}, []RunnableTool{weatherTool(t)})
				require.NoError(t, err)
				for s.Next() {
				}
				require.NoError(t, s.Err())
			}
			var sent struct {
				Messages []struct {
					ToolCalls []struct {
						ID string `json:"id"`
					} `json:"tool_calls"`
					ToolCallID string `json:"tool_call_id"`
				} `json:"messages"`
			}
			require.NoError(t, json.Unmarshal(ss.request(t, 1), &sent))
			id := sent.Messages[1].ToolCalls[0].ID
			require.True(t, strings.HasPrefix(id, "call_") && len(id) == 29, id)
			require.Equal(t, id, sent.Messages[2].ToolCallID)
		})
	}
}

// TestNewChatRequestIsACopy checks that the request NewChatRequest returns
// shares nothing with the client's defaults, the options or the messages.
func TestNewChatRequestIsACopy(t *testing.T) {
	t.Parallel()
	tool := weatherTool(t).Definition()
	opts := []Option{WithMetadata(map[string]string{"k": "v"}), WithStop("x"), WithTemperature(0.5), WithTools(tool),
		WithLogitBias(map[string]int{"1": 2}), WithResponseFormat(ResponseFormat{Type: "json_schema", JSONSchema: &JSONSchema{Name: "s", Schema: json.RawMessage(`{"type":"object"}`)}})}
	c, err := NewClient(append([]Option{WithAPIKey("k")}, opts...)...)
	require.NoError(t, err)
	msgs := []Message{UserMessage("hi", ImageURLPart("https://x/a.png")), {Role: RoleAssistant, ToolCalls: []ToolCall{{ID: "c", Type: "function",
		Extra: map[string]json.RawMessage{"extra_content": json.RawMessage(`{"a":1}`)}}}, Extra: map[string]json.RawMessage{"m": json.RawMessage(`1`)}}}
	before, err := c.NewChatRequest("m", msgs, opts...)
	require.NoError(t, err)
	want, err := json.Marshal(before)
	require.NoError(t, err)

	r, err := c.NewChatRequest("m", msgs, opts...)
	require.NoError(t, err)
	r.Metadata["k"] = "changed"
	r.Stop[0] = "changed"
	*r.Temperature = 1.5
	r.Tools[0].Function.Parameters[0] = ' '
	r.LogitBias["1"] = 3
	r.ResponseFormat.JSONSchema.Schema[0] = ' '
	r.Messages[0].Content.Parts()[1].ImageURL.URL = "changed"
	r.Messages[1].ToolCalls[0].Extra["extra_content"][1] = ' '
	r.Messages[1].Extra["m"] = json.RawMessage(`2`)

	after, err := c.NewChatRequest("m", msgs, opts...)
	require.NoError(t, err)
	got, err := json.Marshal(after)
	require.NoError(t, err)
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("changing a request changed the next one (-before +after):\n%s", diff)
	}
	require.Equal(t, "https://x/a.png", msgs[0].Content.Parts()[1].ImageURL.URL)
}

// TestNilBodyAndZeroClient checks that a doer answering 2xx with a nil
// Body, a zero Client and a nil *Client give errors, never panics.
func TestNilBodyAndZeroClient(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	t.Run("nil body", func(t *testing.T) {
		t.Parallel()
		doer := streamDoer(func(req *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}}, Request: req}, nil
		})
		c := newStreamClient(t, doer)
		_, err := c.Chat(ctx, "m", hello)
		require.ErrorContains(t, err, "nil Body")
		_, err = c.ChatStream(ctx, "m", hello)
		require.ErrorContains(t, err, "nil Body")
	})
	for name, c := range map[string]*Client{"zero": {}, "nil": nil} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			calls := map[string]func() error{
				"Chat":           func() error { _, err := c.Chat(ctx, "m", hello); return err },
				"ChatStream":     func() error { _, err := c.ChatStream(ctx, "m", hello); return err },
				"NewChatRequest": func() error { _, err := c.NewChatRequest("m", hello); return err },
				"RunTools":       func() error { _, err := c.RunTools(ctx, "m", hello, []RunnableTool{weatherTool(t)}); return err },
				"RunToolsStream": func() error { _, err := c.RunToolsStream(ctx, "m", hello, []RunnableTool{weatherTool(t)}); return err },
			}
			for method, call := range calls {
				// The tool runner names a nil client itself.
				if err := call(); !errors.Is(err, errNoClient) && !(c == nil && strings.Contains(fmt.Sprint(err), "nil client")) {
					t.Errorf("%s on a %s client: %v, want %v", method, name, err, errNoClient)
				}
			}
			_ = c.String()
			_ = c.BaseURL()
		})
	}
}

// TestAnswerHeapRetention measures the heap an answer keeps alive: a large
// image answer kept whole holds at most 1.5 times its body, and its ID
// alone keeps next to nothing. The margins are generous: the heap is
// measured after a GC, around values of megabytes.
func TestAnswerHeapRetention(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap")
	}
	image := "data:image/png;base64," + strings.Repeat("iVBORw0KGgoAAAANSUhEUgAA", 16<<20/24)
	body := `{"id":"chatcmpl-img","object":"chat.completion","created":1,"model":"gemini-3-pro-image-preview","choices":[{"index":0,"message":{"role":"assistant","content":"Here it is.","images":[{"type":"image_url","image_url":{"url":"` +
		image + `"}}]},"finish_reason":"stop"}]}`
	c, _ := newScriptClient(t, body, body)
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	ask := func() *ChatResponse {
		resp, err := c.Chat(context.Background(), "m", hello)
		require.NoError(t, err)
		require.Len(t, resp.Choices[0].Message.Images, 1)
		return resp
	}
	size := float64(len(body))

	base := heap()
	whole := ask()
	kept := float64(heap()) - float64(base)
	t.Logf("an answer of %.1f MB kept whole holds %.1f MB (%.2fx)", size/1e6, kept/1e6, kept/size)
	if kept > 1.5*size {
		t.Errorf("an answer kept whole holds %.2fx its body, want at most 1.5x", kept/size)
	}
	runtime.KeepAlive(whole)
	whole = nil

	base = heap()
	id := ask().ID
	kept = float64(heap()) - float64(base)
	t.Logf("its ID alone holds %.0f bytes", kept)
	if kept > size/16 {
		t.Errorf("the ID of an answer of %.1f MB holds %.1f MB", size/1e6, kept/1e6)
	}
	runtime.KeepAlive(id)
}

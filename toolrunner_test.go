package aione

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/aione/aione-go/internal/localserver"
)

// funcTool is a hand-written RunnableTool.
type funcTool struct {
	name string
	fn   func(ctx context.Context, args string) (string, error)
}

func (f funcTool) Definition() Tool {
	return Tool{Function: Function{Name: f.name, Parameters: json.RawMessage(`{"type":"object","properties":{}}`)}}
}

func (f funcTool) Call(ctx context.Context, args string) (string, error) { return f.fn(ctx, args) }

func roles(msgs []Message) string {
	var r []string
	for _, m := range msgs {
		r = append(r, m.Role)
	}
	return strings.Join(r, ",")
}

func TestRunToolsOneCall(t *testing.T) {
	t.Parallel()
	srv, c := newToolsEnv(t)
	var events []ToolEvent
	r := &ToolRunner{Client: c, Model: "gpt-4o", Tools: []RunnableTool{weatherTool(t)}, OnEvent: func(e ToolEvent) { events = append(events, e) }}
	in := []Message{SystemMessage("Be brief."), UserMessage("Weather in Paris?")}
	run, err := r.Run(t.Context(), in)
	require.NoError(t, err)

	wantResult := `{"city":"sample","temperature":21.5,"unit":"celsius"}`
	if got := roles(run.Messages); got != "system,user,assistant,tool,assistant" {
		t.Fatalf("transcript roles = %s", got)
	}
	call := run.Messages[2].ToolCalls[0]
	if call.Function.Name != "get_weather" || call.Function.Arguments != `{"city":"sample","unit":"celsius"}` || !run.Messages[2].Content.IsNull() {
		t.Errorf("assistant message = %+v", run.Messages[2])
	}
	if m := run.Messages[3]; m.ToolCallID != call.ID || m.Content.Text() != wantResult {
		t.Errorf("tool message = %+v", m)
	}
	if want := "Tool results: " + wantResult; run.Text() != want || run.Response.Text() != want {
		t.Errorf("final text = %q, want %q", run.Text(), want)
	}
	if run.Steps != 2 || run.Usage.TotalTokens == 0 || run.Usage.TotalTokens != run.Usage.PromptTokens+run.Usage.CompletionTokens {
		t.Errorf("steps %d, usage %+v", run.Steps, run.Usage)
	}
	if len(in) != 2 || cap(in) != 2 {
		t.Error("Run changed its input")
	}
	if len(events) != 3 || events[0].Response == nil || events[0].Step != 1 ||
		events[1].Response != nil || events[1].Call.ID != call.ID || events[1].Result != wantResult || events[1].Err != nil || events[1].Step != 1 ||
		events[2].Response == nil || events[2].Step != 2 {
		t.Errorf("events = %+v", events)
	}
	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	if tools := reqs[1].Decoded["tools"].([]any); len(tools) != 1 {
		t.Errorf("second request tools = %v", tools)
	}
}

func TestRunToolsParallel(t *testing.T) {
	t.Parallel()
	_, c := newToolsEnv(t)
	var arrived atomic.Int32
	all := make(chan struct{})
	// reported[name] is closed once OnEvent has seen name's result: each
	// tool waits for the one before it, so they finish in reverse call
	// order.
	reported := map[string]chan struct{}{"slow": make(chan struct{}), "medium": make(chan struct{}), "fast": make(chan struct{})}
	barrier := func(name, after string) RunnableTool {
		return funcTool{name, func(ctx context.Context, _ string) (string, error) {
			if arrived.Add(1) == 3 {
				close(all)
			}
			select {
			case <-all:
			case <-time.After(5 * time.Second):
				return "", errors.New("the tools did not run concurrently")
			}
			if after != "" {
				<-reported[after]
			}
			return name + " done", nil
		}}
	}
	var finished []string
	r := &ToolRunner{
		Client: c, Model: "gpt-4o",
		Tools: []RunnableTool{barrier("slow", "medium"), barrier("medium", "fast"), barrier("fast", "")},
		OnEvent: func(e ToolEvent) {
			name := e.Call.Function.Name
			finished = append(finished, name)
			if ch := reported[name]; ch != nil {
				close(ch)
			}
		},
	}
	run, err := r.Run(t.Context(), []Message{UserMessage("Run them in parallel.")})
	require.NoError(t, err)
	if got := roles(run.Messages); got != "user,assistant,tool,tool,tool,assistant" {
		t.Fatalf("transcript roles = %s", got)
	}
	calls := run.Messages[1].ToolCalls
	for i, name := range []string{"slow", "medium", "fast"} {
		if m := run.Messages[2+i]; m.ToolCallID != calls[i].ID || m.Content.Text() != name+" done" {
			t.Errorf("result %d = %+v, want %s's", i, m, name)
		}
	}
	if want := "Tool results: slow done; medium done; fast done"; run.Text() != want {
		t.Errorf("final text = %q, want %q", run.Text(), want)
	}
	// Events come as tools finish: fast first.
	if want := []string{"", "fast", "medium", "slow", ""}; !slices.Equal(finished, want) {
		t.Errorf("events in order %q, want %q", finished, want)
	}
}

func TestRunToolsConcurrencyLimit(t *testing.T) {
	t.Parallel()
	_, c := newToolsEnv(t)
	var running, peak atomic.Int32
	tool := func(name string) RunnableTool {
		return funcTool{name, func(context.Context, string) (string, error) {
			n := running.Add(1)
			defer running.Add(-1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(20 * time.Millisecond)
			return "ok", nil
		}}
	}
	for _, limit := range []int{1, 2} {
		peak.Store(0)
		r := &ToolRunner{Client: c, Model: "m", Tools: []RunnableTool{tool("a"), tool("b"), tool("c"), tool("d")}, MaxConcurrency: limit}
		run, err := r.Run(t.Context(), []Message{UserMessage("parallel")})
		require.NoError(t, err)
		if len(run.Messages[1].ToolCalls) != 4 {
			t.Fatalf("model asked for %d calls, want 4", len(run.Messages[1].ToolCalls))
		}
		if p := peak.Load(); p != int32(limit) {
			t.Errorf("MaxConcurrency %d: %d tools ran at once", limit, p)
		}
	}
}

func TestRunToolsFailuresGoBackToTheModel(t *testing.T) {
	t.Parallel()
	panicky := funcTool{"explode", func(context.Context, string) (string, error) { panic("boom") }}
	failing := funcTool{"fail", func(context.Context, string) (string, error) { return "", errors.New("disk full") }}
	tests := []struct {
		name    string
		calls   []localserver.ToolCall
		want    []string // the tool results sent back, in call order
		wantErr func(error) bool
	}{
		{"tool error", []localserver.ToolCall{{Name: "fail", Arguments: `{}`}}, []string{`{"error":"disk full"}`}, nil},
		{"panic", []localserver.ToolCall{{Name: "explode", Arguments: `{}`}}, []string{`{"error":"aione: tool \"explode\" panicked: boom"}`},
			func(err error) bool {
				var pe *ToolPanicError
				return errors.As(err, &pe) && pe.Value == "boom" && strings.Contains(string(pe.Stack), "toolrunner_test.go")
			}},
		{"invalid JSON", []localserver.ToolCall{{Name: "get_weather", Arguments: `{"city": "Par`}},
			[]string{`{"error":"aione: tool \"get_weather\": arguments are not valid JSON: \"{\\\"city\\\": \\\"Par\""}`}, nil},
		{"schema mismatch", []localserver.ToolCall{{Name: "get_weather", Arguments: `{"city": 42}`}},
			[]string{`{"error":"aione: tool \"get_weather\": arguments do not fit the schema: $.city: expected string, got integer"}`}, nil},
		{"unknown tool", []localserver.ToolCall{{Name: "launch_rockets", Arguments: `{}`}},
			[]string{`{"error":"aione: unknown tool \"launch_rockets\"; the tools are: get_weather, fail, explode"}`}, nil},
		{"mixed", []localserver.ToolCall{{Name: "explode"}, {Name: "get_weather", Arguments: `{"city":"Oslo"}`}, {Name: "nope"}},
			[]string{`{"error":"aione: tool \"explode\" panicked: boom"}`, `{"city":"Oslo","temperature":21.5,"unit":"celsius"}`, `{"error":"aione: unknown tool \"nope\"; the tools are: get_weather, fail, explode"}`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c := newToolsEnv(t)
			srv.Enqueue(localserver.Fault{Answer: &localserver.Answer{ToolCalls: tt.calls}})
			errs := make([]error, len(tt.want)) // by call index
			results := 0
			r := &ToolRunner{Client: c, Model: "m", Tools: []RunnableTool{weatherTool(t), failing, panicky}, OnEvent: func(e ToolEvent) {
				if e.Response == nil {
					errs[e.Index] = e.Err
					results++
				}
			}}
			run, err := r.Run(t.Context(), []Message{UserMessage("go")})
			require.NoError(t, err)
			var got []string
			for _, m := range run.Messages {
				if m.Role == RoleTool {
					got = append(got, m.Content.Text())
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("tool results mismatch (-want +got):\n%s", diff)
			}
			if want := "Tool results: " + strings.Join(tt.want, "; "); run.Text() != want {
				t.Errorf("final answer = %q, want %q", run.Text(), want)
			}
			if results != len(tt.want) {
				t.Errorf("%d tool result events, want %d", results, len(tt.want))
			}
			for i, err := range errs {
				if ok := strings.HasPrefix(tt.want[i], `{"city"`); (err == nil) != ok {
					t.Errorf("event error %d = %v", i, err)
				}
			}
			if tt.wantErr != nil && !tt.wantErr(errs[0]) {
				t.Errorf("event error = %#v", errs[0])
			}
		})
	}
}

func TestRunToolsStepLimit(t *testing.T) {
	t.Parallel()
	for _, maxSteps := range []int{0, 1, 3} {
		srv, c := newToolsEnv(t)
		srv.SetDefault(&localserver.Fault{Answer: &localserver.Answer{ToolCalls: []localserver.ToolCall{{Name: "get_weather", Arguments: `{"city":"Paris"}`}}}})
		r := &ToolRunner{Client: c, Model: "m", Tools: []RunnableTool{weatherTool(t)}, MaxSteps: maxSteps}
		run, err := r.Run(t.Context(), []Message{UserMessage("Loop forever.")})
		want := maxSteps
		if want == 0 {
			want = DefaultMaxToolSteps
		}
		if !errors.Is(err, ErrToolStepLimit) || !strings.HasPrefix(err.Error(), "aione: ") {
			t.Fatalf("MaxSteps %d: error = %v, want ErrToolStepLimit", maxSteps, err)
		}
		if run == nil || run.Steps != want || srv.RequestCount() != want || len(run.Messages) != 1+2*want {
			t.Fatalf("MaxSteps %d: run = %+v, %d requests", maxSteps, run, srv.RequestCount())
		}
		if last := run.Messages[len(run.Messages)-1]; last.Role != RoleTool || run.Response.ToolCalls() == nil {
			t.Errorf("MaxSteps %d: transcript ends with %+v", maxSteps, last)
		}
	}
}

func TestRunToolsSetupErrors(t *testing.T) {
	t.Parallel()
	srv, c := newToolsEnv(t)
	ctx := t.Context()
	msgs := []Message{UserMessage("hi")}
	w := weatherTool(t)
	tests := []struct {
		name string
		r    *ToolRunner
		want string
	}{
		{"nil client", &ToolRunner{Model: "m"}, "nil client"},
		{"nil tool", &ToolRunner{Client: c, Model: "m", Tools: []RunnableTool{w, nil}}, "tool 1 is nil"},
		{"duplicate", &ToolRunner{Client: c, Model: "m", Tools: []RunnableTool{w, w}}, "duplicate"},
		{"bad name", &ToolRunner{Client: c, Model: "m", Tools: []RunnableTool{funcTool{name: "a b"}}}, "invalid name"},
		{"negative", &ToolRunner{Client: c, Model: "m", MaxSteps: -1}, "negative"},
		{"no model", &ToolRunner{Client: c, Tools: []RunnableTool{w}}, "empty model"},
	}
	for _, tt := range tests {
		run, err := tt.r.Run(ctx, msgs)
		if err == nil || !strings.Contains(err.Error(), tt.want) || run == nil || len(run.Messages) != 1 {
			t.Errorf("%s: Run = %+v, %v; want an error mentioning %q", tt.name, run, err, tt.want)
		}
		s, err := tt.r.RunStream(ctx, msgs)
		if err == nil || s != nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: RunStream error = %v", tt.name, err)
		}
	}
	if n := srv.RequestCount(); n != 0 {
		t.Errorf("server got %d requests, want 0", n)
	}
}

// Not parallel: it counts goroutines.
func TestRunToolsCancelInsideTool(t *testing.T) {
	before := runtime.NumGoroutine()
	srv, c := newToolsEnv(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	started := make(chan struct{})
	var once sync.Once
	blocker := funcTool{"wait", func(ctx context.Context, _ string) (string, error) {
		once.Do(func() { close(started) })
		<-ctx.Done()
		return "", ctx.Err()
	}}
	canceller := funcTool{"cancel", func(ctx context.Context, _ string) (string, error) {
		select {
		case <-started:
		case <-time.After(5 * time.Second):
		}
		cancel()
		return "cancelled", nil
	}}
	start := time.Now()
	run, err := c.RunTools(ctx, "m", []Message{UserMessage("parallel")}, []RunnableTool{blocker, canceller})
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "aione: ") {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Run took %v after cancel", d)
	}
	if got := roles(run.Messages); got != "user,assistant,tool,tool" || srv.RequestCount() != 1 {
		t.Errorf("transcript roles = %s after %d requests", got, srv.RequestCount())
	}
	if got := run.Messages[2].Content.Text(); got != `{"error":"context canceled"}` {
		t.Errorf("blocked tool's result = %s", got)
	}

	// Cancelled while waiting for the model.
	srv.Enqueue(localserver.Fault{Stall: true})
	ctx2, cancel2 := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel2()
	run, err = c.RunTools(ctx2, "m", []Message{UserMessage("hi")}, []RunnableTool{blocker})
	if !errors.Is(err, context.DeadlineExceeded) || run.Steps != 0 {
		t.Errorf("stalled model: error = %v, steps %d", err, run.Steps)
	}

	// A context already done runs no tool.
	srv.Enqueue(localserver.Fault{Answer: &localserver.Answer{ToolCalls: []localserver.ToolCall{{Name: "cancel"}}}})
	lp, err := (&ToolRunner{Client: c, Model: "m", Tools: []RunnableTool{canceller}}).newLoop(nil)
	require.NoError(t, err)
	done, stop := context.WithCancel(t.Context())
	stop()
	results := lp.runTools(done, []ToolCall{{ID: "x", Function: FunctionCall{Name: "cancel"}}})
	if results[0].text != `{"error":"aione: tool \"cancel\" not run: context canceled"}` {
		t.Errorf("result of a call after cancel = %q", results[0].text)
	}

	srv.Close()
	c.defaults.httpClient.(interface{ CloseIdleConnections() }).CloseIdleConnections()
	waitGoroutines(t, before)
}

// Not parallel: it counts goroutines.
func TestRunToolsStream(t *testing.T) {
	before := runtime.NumGoroutine()
	srv, c := newToolsEnv(t)
	var events []int
	r := &ToolRunner{Client: c, Model: "gpt-4o", Tools: []RunnableTool{weatherTool(t)}, OnEvent: func(e ToolEvent) { events = append(events, e.Step) }}
	s, err := r.RunStream(t.Context(), []Message{UserMessage("Weather in Paris?")})
	require.NoError(t, err)
	var text strings.Builder
	var steps []int
	for chunk, err := range s.All() {
		require.NoError(t, err)
		for _, ch := range chunk.Choices {
			text.WriteString(ch.Delta.Content)
		}
		if len(steps) == 0 || steps[len(steps)-1] != s.Step() {
			steps = append(steps, s.Step())
		}
	}
	require.NoError(t, s.Err())
	run := s.Run()
	want := `Tool results: {"city":"sample","temperature":21.5,"unit":"celsius"}`
	if text.String() != want || run.Text() != want || run.Steps != 2 || s.Step() != 2 {
		t.Errorf("streamed %q, final %q after %d steps", text.String(), run.Text(), run.Steps)
	}
	if !slices.Equal(steps, []int{1, 2}) || !slices.Equal(events, []int{1, 1, 2}) {
		t.Errorf("chunk steps %v, events %v", steps, events)
	}
	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	checkGolden(t, "tools/transcript_stream.golden", indentJSON(t, reqs[1].Body))

	// The transcript is the one a non-streamed run gives.
	srv2, c2 := newToolsEnv(t)
	plain, err := (&ToolRunner{Client: c2, Model: "gpt-4o", Tools: r.Tools}).Run(t.Context(), []Message{UserMessage("Weather in Paris?")})
	require.NoError(t, err)
	if diff := cmp.Diff(plain.Messages, run.Messages); diff != "" {
		t.Errorf("streamed transcript differs from the plain one (-plain +stream):\n%s", diff)
	}
	checkGolden(t, "tools/transcript_plain.golden", indentJSON(t, srv2.Requests()[1].Body))

	srv.Close()
	srv2.Close()
	for _, cl := range []*Client{c, c2} {
		cl.defaults.httpClient.(interface{ CloseIdleConnections() }).CloseIdleConnections()
	}
	waitGoroutines(t, before)
}

// indentJSON indents a request body as sent, keeping its bytes otherwise.
func indentJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, json.Indent(&out, b, "", "  "))
	out.WriteByte('\n')
	return out.Bytes()
}

// A stream whose tool calls arrive in fragments, interleaved: the loop
// sends them back whole.
const fragmentedSSE = `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":null}}]}

data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}

data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"ci"}}]}}]}

data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}}]}

data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"ty\":\"Lima\"}"}}]}}]}

data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Oslo\"}"}}]}}]}

data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}

data: [DONE]

`

func TestRunToolsStreamFragments(t *testing.T) {
	t.Parallel()
	srv, c := newToolsEnv(t)
	srv.Enqueue(localserver.Fault{RawSSE: fragmentedSSE})
	s, err := c.RunToolsStream(t.Context(), "m", []Message{UserMessage("Oslo and Lima?")}, []RunnableTool{weatherTool(t)})
	require.NoError(t, err)
	for s.Next() {
	}
	require.NoError(t, s.Err())
	require.NoError(t, s.Close())
	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	checkGolden(t, "tools/transcript_fragments.golden", indentJSON(t, reqs[1].Body))
	if want := `Tool results: {"city":"Oslo","temperature":21.5,"unit":"celsius"}; {"city":"Lima","temperature":21.5,"unit":"celsius"}`; s.Run().Text() != want {
		t.Errorf("final answer = %q", s.Run().Text())
	}
}

func TestRunToolsStreamErrors(t *testing.T) {
	t.Parallel()
	srv, c := newToolsEnv(t)
	tools := []RunnableTool{weatherTool(t)}

	// The second turn fails to open: Err reports it.
	srv.Enqueue(localserver.Fault{}, localserver.Fault{Status: 400, Body: localserver.ErrorJSON("bad request", "invalid_request_error", "")})
	s, err := c.RunToolsStream(t.Context(), "m", []Message{UserMessage("hi")}, tools)
	require.NoError(t, err)
	for s.Next() {
	}
	var apiErr *APIError
	if !errors.As(s.Err(), &apiErr) || s.Run().Steps != 1 || s.Next() {
		t.Errorf("Err = %v after %d steps", s.Err(), s.Run().Steps)
	}

	// The step limit ends a stream too.
	srv.SetDefault(&localserver.Fault{Answer: &localserver.Answer{ToolCalls: []localserver.ToolCall{{Name: "get_weather", Arguments: `{"city":"Paris"}`}}}})
	r := &ToolRunner{Client: c, Model: "m", Tools: tools, MaxSteps: 2}
	s, err = r.RunStream(t.Context(), []Message{UserMessage("hi")})
	require.NoError(t, err)
	var last error
	for _, err := range s.All() {
		last = err
	}
	if !errors.Is(last, ErrToolStepLimit) || !errors.Is(s.Err(), ErrToolStepLimit) || s.Run().Steps != 2 {
		t.Errorf("Err = %v, steps %d", s.Err(), s.Run().Steps)
	}

	// Close from another goroutine stops a stalled turn.
	srv.SetDefault(nil)
	srv.Enqueue(localserver.Fault{StallAfterEvents: 1})
	s, err = c.RunToolsStream(t.Context(), "m", []Message{UserMessage("hi")}, tools)
	require.NoError(t, err)
	require.True(t, s.Next())
	var wg sync.WaitGroup
	wg.Go(func() {
		time.Sleep(20 * time.Millisecond)
		_ = s.Close()
	})
	for s.Next() {
	}
	wg.Wait()
	if s.Err() == nil {
		t.Error("a closed stream reported no error")
	}
}

func TestTranscriptRoundTrip(t *testing.T) {
	t.Parallel()
	c, err := NewClient(WithAPIKey("k"), WithBaseURL("http://127.0.0.1:1/v1"))
	require.NoError(t, err)
	for _, name := range []string{"response_parallel", "response_text_and_call", "response_empty_content"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile("testdata/tools/" + name + ".json")
			require.NoError(t, err)
			var resp ChatResponse
			require.NoError(t, json.Unmarshal(data, &resp))
			msgs := []Message{UserMessage("What's up?"), resp.Choices[0].Message}
			for i, call := range resp.ToolCalls() {
				msgs = append(msgs, ToolMessage(call.ID, `{"result":`+string(rune('1'+i))+`}`))
			}
			req, err := c.NewChatRequest("m", msgs)
			require.NoError(t, err)
			toolsGolden(t, "roundtrip_"+strings.TrimPrefix(name, "response_"), req)

			// The assistant message sent is the one received, value for value.
			var fixture struct {
				Choices []struct {
					Message any `json:"message"`
				} `json:"choices"`
			}
			require.NoError(t, json.Unmarshal(data, &fixture))
			body, err := json.Marshal(req)
			require.NoError(t, err)
			var sent struct {
				Messages []any `json:"messages"`
			}
			require.NoError(t, json.Unmarshal(body, &sent))
			if diff := cmp.Diff(fixture.Choices[0].Message, sent.Messages[1]); diff != "" {
				t.Errorf("assistant message changed on the way back (-received +sent):\n%s", diff)
			}
		})
	}
}

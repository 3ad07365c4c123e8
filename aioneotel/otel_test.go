package aioneotel_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aione/aione-go"
	"github.com/aione/aione-go/aioneotel"
	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

const answer = `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m-2025","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":4}}}`

const stream = "data: {\"id\":\"c1\",\"model\":\"m-2025\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n" +
	"data: {\"id\":\"c1\",\"model\":\"m-2025\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"}}]}\n\n" +
	"data: {\"id\":\"c1\",\"model\":\"m-2025\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\n" +
	"data: [DONE]\n\n"

// env is a client whose hooks record into an in-memory exporter and a
// manual reader.
type env struct {
	client *aione.Client
	spans  *tracetest.InMemoryExporter
	reader *sdkmetric.ManualReader
	calls  atomic.Int32
	port   int
}

func newEnv(t *testing.T, h func(n int32, w http.ResponseWriter, r *http.Request), opts ...aioneotel.Option) *env {
	t.Helper()
	e := &env{spans: tracetest.NewInMemoryExporter(), reader: sdkmetric.NewManualReader()}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(e.calls.Add(1), w, r)
	}))
	t.Cleanup(srv.Close)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(e.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(e.reader))
	hooks, err := aioneotel.NewHooks(append([]aioneotel.Option{aioneotel.WithTracerProvider(tp), aioneotel.WithMeterProvider(mp)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	e.client, err = aione.NewClient(aione.WithBaseURL(srv.URL+"/v1"), aione.WithAPIKey("sk-test-0000"),
		aione.WithHooks(hooks), aione.WithBackoff(time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	e.port = srv.Listener.Addr().(*net.TCPAddr).Port
	return e
}

func write(status int, ct, body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func attrs(kvs []attribute.KeyValue) map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

// metrics collects the points of each histogram by name.
func (e *env) metrics(t *testing.T) map[string][]metricdata.HistogramDataPoint[float64] {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := e.reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]metricdata.HistogramDataPoint[float64])
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != aioneotel.ScopeName {
			t.Errorf("scope %q", sm.Scope.Name)
		}
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				if m.Unit != "s" {
					t.Errorf("%s unit %q, want s", m.Name, m.Unit)
				}
				out[m.Name] = append(out[m.Name], d.DataPoints...)
			case metricdata.Histogram[int64]:
				if m.Unit != "{token}" {
					t.Errorf("%s unit %q, want {token}", m.Name, m.Unit)
				}
				for _, p := range d.DataPoints {
					out[m.Name] = append(out[m.Name], metricdata.HistogramDataPoint[float64]{
						Attributes: p.Attributes, Count: p.Count, Sum: float64(p.Sum), Bounds: p.Bounds,
					})
				}
			default:
				t.Errorf("%s is a %T, want a histogram", m.Name, m.Data)
			}
		}
	}
	return out
}

func TestChatSpanAndMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(n int32, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			write(503, "application/json", `{"error":{"message":"busy"}}`)(w)
			return
		}
		write(200, "application/json", answer)(w)
	})
	_, err := e.client.Chat(t.Context(), "m", []aione.Message{aione.SystemMessage("Be brief."), aione.UserMessage("hi")},
		aione.WithTemperature(0), aione.WithMaxTokens(50), aione.WithStop("x"), aione.WithSeed(7), aione.WithJSONMode())
	if err != nil {
		t.Fatal(err)
	}
	spans := e.spans.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	s := spans[0]
	if s.Name != "chat m" || s.SpanKind != trace.SpanKindClient || s.Status.Code == codes.Error {
		t.Errorf("span %q kind %v status %v", s.Name, s.SpanKind, s.Status)
	}
	want := map[string]any{
		"gen_ai.operation.name":                "chat",
		"gen_ai.provider.name":                 "aione",
		"gen_ai.request.model":                 "m",
		"gen_ai.request.stream":                false,
		"gen_ai.request.temperature":           0.0,
		"gen_ai.request.max_tokens":            int64(50),
		"gen_ai.request.stop_sequences":        []string{"x"},
		"gen_ai.request.seed":                  int64(7),
		"gen_ai.output.type":                   "json",
		"server.address":                       "127.0.0.1",
		"server.port":                          int64(e.port),
		"gen_ai.response.id":                   "chatcmpl-1",
		"gen_ai.response.model":                "m-2025",
		"gen_ai.response.finish_reasons":       []string{"stop"},
		"gen_ai.usage.input_tokens":            int64(12),
		"gen_ai.usage.output_tokens":           int64(3),
		"gen_ai.usage.cache_read.input_tokens": int64(4),
	}
	if diff := cmp.Diff(want, attrs(s.Attributes)); diff != "" {
		t.Errorf("span attributes (-want +got):\n%s", diff)
	}
	if len(s.Events) != 1 || s.Events[0].Name != "aione.retry" || attrs(s.Events[0].Attributes)["error.type"] != "503" {
		t.Errorf("events %+v, want one aione.retry", s.Events)
	}

	m := e.metrics(t)
	base := map[string]any{
		"gen_ai.operation.name": "chat", "gen_ai.provider.name": "aione", "gen_ai.request.model": "m",
		"gen_ai.response.model": "m-2025", "server.address": "127.0.0.1", "server.port": int64(e.port),
	}
	if d := m["gen_ai.client.operation.duration"]; len(d) != 1 || d[0].Count != 1 || !cmp.Equal(attrs(d[0].Attributes.ToSlice()), base) {
		t.Errorf("duration points %+v", d)
	} else if !cmp.Equal(d[0].Bounds, []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}) {
		t.Errorf("duration bounds %v", d[0].Bounds)
	}
	tokens := map[string]float64{}
	for _, p := range m["gen_ai.client.token.usage"] {
		a := attrs(p.Attributes.ToSlice())
		typ := a["gen_ai.token.type"].(string)
		delete(a, "gen_ai.token.type")
		if !cmp.Equal(a, base) || p.Bounds[len(p.Bounds)-1] != 67108864 {
			t.Errorf("token point %v bounds %v", a, p.Bounds)
		}
		tokens[typ] = p.Sum
	}
	if diff := cmp.Diff(map[string]float64{"input": 12, "output": 3}, tokens); diff != "" {
		t.Errorf("token usage (-want +got):\n%s", diff)
	}
	if len(m["gen_ai.client.operation.time_to_first_chunk"]) != 0 {
		t.Error("time to first chunk recorded for a call that is not streamed")
	}
}

func TestStreamMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(_ int32, w http.ResponseWriter, r *http.Request) {
		write(200, "text/event-stream", stream)(w)
	})
	s, err := e.client.ChatStream(t.Context(), "m", []aione.Message{aione.UserMessage("hi")})
	if err != nil {
		t.Fatal(err)
	}
	for s.Next() {
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	spans := e.spans.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	a := attrs(spans[0].Attributes)
	if a["gen_ai.request.stream"] != true || a["gen_ai.usage.output_tokens"] != int64(2) || a["gen_ai.response.model"] != "m-2025" {
		t.Errorf("span attributes %v", a)
	}
	if ttfc, ok := a["gen_ai.response.time_to_first_chunk"].(float64); !ok || ttfc <= 0 {
		t.Errorf("time_to_first_chunk = %v", a["gen_ai.response.time_to_first_chunk"])
	}
	m := e.metrics(t)
	if p := m["gen_ai.client.operation.time_to_first_chunk"]; len(p) != 1 || p[0].Count != 1 {
		t.Errorf("time to first chunk points %+v", p)
	}
	if p := m["gen_ai.client.operation.time_per_output_chunk"]; len(p) != 1 || p[0].Count != 2 {
		t.Errorf("time per output chunk points %+v, want 2 values", p)
	}
}

func TestErrorsAndFallbacks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(_ int32, w http.ResponseWriter, r *http.Request) {
		var req struct{ Model string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		switch req.Model {
		case "down":
			write(503, "application/json", `{"error":{"message":"overloaded"}}`)(w)
		case "locked":
			write(401, "application/json", `{"error":{"message":"bad key"}}`)(w)
		default:
			write(200, "application/json", answer)(w)
		}
	})
	_, err := e.client.Chat(t.Context(), "down", []aione.Message{aione.UserMessage("hi")}, aione.WithMaxRetries(0), aione.WithFallbackModels("up"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Chat(t.Context(), "locked", []aione.Message{aione.UserMessage("hi")})
	if err == nil {
		t.Fatal("no error")
	}
	spans := e.spans.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2", len(spans))
	}
	fb := spans[0]
	if fb.Name != "chat down" || attrs(fb.Attributes)["gen_ai.request.model"] != "up" || len(fb.Events) != 1 || fb.Events[0].Name != "aione.fallback" {
		t.Errorf("fallback span %q %v events %v", fb.Name, attrs(fb.Attributes), fb.Events)
	} else if ev := attrs(fb.Events[0].Attributes); ev["aione.fallback.from"] != "down" || ev["aione.fallback.to"] != "up" || ev["error.type"] != "503" {
		t.Errorf("fallback event %v", ev)
	}
	failed := spans[1]
	if failed.Status.Code != codes.Error || attrs(failed.Attributes)["error.type"] != "401" {
		t.Errorf("failed span status %v attributes %v", failed.Status, attrs(failed.Attributes))
	}
	var errPoint bool
	for _, p := range e.metrics(t)["gen_ai.client.operation.duration"] {
		if v, ok := p.Attributes.Value("error.type"); ok && v.AsString() == "401" {
			errPoint = true
		}
	}
	if !errPoint {
		t.Error("no duration point with error.type 401")
	}
}

func TestToolSpansAndContent(t *testing.T) {
	t.Parallel()
	for _, record := range []bool{false, true} {
		var opts []aioneotel.Option
		if record {
			opts = append(opts, aioneotel.WithContentRecording())
		}
		e := newEnv(t, func(n int32, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				write(200, "application/json", `{"choices":[{"index":0,"message":{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{\"q\":\"x\"}"}}]},"finish_reason":"tool_calls"}]}`)(w)
				return
			}
			write(200, "application/json", answer)(w)
		}, opts...)
		lookup := aione.MustFunctionTool("lookup", "Looks up.", func(ctx context.Context, a struct {
			Q string `json:"q"`
		}) (string, error) {
			return "found " + a.Q, nil
		})
		_, err := e.client.RunTools(t.Context(), "m", []aione.Message{aione.SystemMessage("sys"), aione.UserMessage("find x")}, []aione.RunnableTool{lookup})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		var tool, last sdktrace.ReadOnlySpan
		for _, s := range e.spans.GetSpans().Snapshots() {
			names = append(names, s.Name())
			if strings.HasPrefix(s.Name(), "execute_tool") {
				tool = s
			}
			last = s
		}
		if diff := cmp.Diff([]string{"chat m", "execute_tool lookup", "chat m"}, names); diff != "" {
			t.Fatalf("spans (-want +got):\n%s", diff)
		}
		ta := attrs(tool.Attributes())
		if tool.SpanKind() != trace.SpanKindInternal || ta["gen_ai.operation.name"] != "execute_tool" || ta["gen_ai.tool.name"] != "lookup" || ta["gen_ai.tool.call.id"] != "call_1" {
			t.Errorf("tool span %v %v", tool.SpanKind(), ta)
		}
		la := attrs(last.Attributes())
		_, hasInput := la["gen_ai.input.messages"]
		_, hasArgs := ta["gen_ai.tool.call.arguments"]
		if hasInput != record || hasArgs != record {
			t.Errorf("content recorded = %v/%v with recording %v", hasInput, hasArgs, record)
		}
		if record {
			wantIn := `[{"role":"user","parts":[{"type":"text","content":"find x"}]},` +
				`{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"lookup","arguments":{"q":"x"}}]},` +
				`{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","result":"found x"}]}]`
			if la["gen_ai.input.messages"] != wantIn {
				t.Errorf("input messages %v", la["gen_ai.input.messages"])
			}
			if la["gen_ai.system_instructions"] != `[{"type":"text","content":"sys"}]` {
				t.Errorf("system instructions %v", la["gen_ai.system_instructions"])
			}
			if la["gen_ai.output.messages"] != `[{"role":"assistant","parts":[{"type":"text","content":"hi"}],"finish_reason":"stop"}]` {
				t.Errorf("output messages %v", la["gen_ai.output.messages"])
			}
			if ta["gen_ai.tool.call.result"] != "found x" {
				t.Errorf("tool result %v", ta["gen_ai.tool.call.result"])
			}
		}
	}
}

package aione

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/aione/aione-go/internal/localserver"
)

// newToolsEnv starts a local AIone server and returns a client for it, with
// retries off. The server is closed when the test ends.
func newToolsEnv(t *testing.T, opts ...localserver.Option) (*localserver.Server, *Client) {
	t.Helper()
	srv := localserver.New(opts...)
	t.Cleanup(srv.Close)
	c, err := NewClient(WithAPIKey(localserver.DefaultAPIKey), WithBaseURL(srv.URL), WithHTTPClient(srv.Client()), WithMaxRetries(0))
	require.NoError(t, err)
	return srv, c
}

// toolsGolden marshals v indented and compares it with testdata/tools/name.golden.
func toolsGolden(t *testing.T, name string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	checkGolden(t, "tools/"+name+".golden", append(b, '\n'))
}

// One argument type per shape of Go type the schema generator handles.
type (
	flatArgs struct {
		City   string  `json:"city"`
		Days   int     `json:"days"`
		Metric bool    `json:"metric"`
		Lat    float64 `json:"lat"`
	}
	optionalArgs struct {
		City    string  `json:"city"`
		Country *string `json:"country"`
		Limit   int     `json:"limit,omitempty"`
		Verbose bool    `json:"verbose" jsonschema:"optional"`
	}
	enumArgs struct {
		City string `json:"city" description:"City name, such as Paris."`
		Unit string `json:"unit" enum:"celsius,fahrenheit" description:"Temperature unit."`
		Days int    `json:"days,omitempty" jsonschema:"minimum=1,maximum=7" description:"Days to forecast."`
	}
	geoPoint struct {
		Lat float64 `json:"lat"`
		Lon float64 `json:"lon"`
	}
	nestedArgs struct {
		Place struct {
			City    string `json:"city"`
			Country string `json:"country"`
		} `json:"place"`
		Home *geoPoint `json:"home,omitempty"`
	}
	sliceArgs struct {
		Cities []string   `json:"cities" description:"Cities to compare."`
		Points []geoPoint `json:"points"`
		Units  []string   `json:"units,omitempty" enum:"c,f"`
	}
	mapArgs struct {
		Labels map[string]string `json:"labels"`
		Counts map[string]int    `json:"counts,omitempty"`
	}
	timeArgs struct {
		From  time.Time     `json:"from"`
		To    *time.Time    `json:"to,omitempty"`
		Every time.Duration `json:"every"`
	}
)

func echoTool[T any](t *testing.T, name string, opts ...ToolOption) Tool {
	t.Helper()
	ft, err := NewFunctionTool(name, "Echoes its arguments.", func(_ context.Context, args T) (T, error) { return args, nil }, opts...)
	require.NoError(t, err)
	return ft.Definition()
}

func mustTool(t *testing.T, name, description string, params any) Tool {
	t.Helper()
	tool, err := NewTool(name, description, params)
	require.NoError(t, err)
	return tool
}

func TestToolRequestGolden(t *testing.T) {
	t.Parallel()
	c, err := NewClient(WithAPIKey("k"), WithBaseURL("http://127.0.0.1:1/v1"))
	require.NoError(t, err)
	weather := mustTool(t, "get_weather", "Get the weather.", json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`))
	clock := mustTool(t, "get_time", "", nil)
	tests := []struct {
		name string
		opts []Option
	}{
		{"hand_written_raw", []Option{WithTools(weather)}},
		{"hand_written_map", []Option{WithTools(mustTool(t, "search", "Search the web.", map[string]any{
			"type":       "object",
			"properties": map[string]any{"query": map[string]any{"type": "string"}, "limit": map[string]any{"type": "integer"}},
			"required":   []string{"query"},
		}))}},
		{"no_parameters", []Option{WithTools(clock)}},
		{"zero_type", []Option{WithTools(Tool{Function: Function{Name: "ping", Parameters: json.RawMessage(`{"type":"object","properties":{}}`)}})}},
		{"typed_flat", []Option{WithTools(echoTool[flatArgs](t, "flat"))}},
		{"typed_optional", []Option{WithTools(echoTool[optionalArgs](t, "optional"))}},
		{"typed_enums", []Option{WithTools(echoTool[enumArgs](t, "enums"))}},
		{"typed_nested", []Option{WithTools(echoTool[nestedArgs](t, "nested"))}},
		{"typed_slices", []Option{WithTools(echoTool[sliceArgs](t, "slices"))}},
		{"typed_maps", []Option{WithTools(echoTool[mapArgs](t, "maps"))}},
		{"typed_time", []Option{WithTools(echoTool[timeArgs](t, "times"))}},
		{"typed_strict", []Option{WithTools(echoTool[optionalArgs](t, "optional", StrictTool()), echoTool[enumArgs](t, "enums", StrictTool()))}},
		{"choice_auto", []Option{WithTools(weather, clock), WithToolChoice(ToolChoiceAuto)}},
		{"choice_none", []Option{WithTools(weather, clock), WithToolChoice(ToolChoiceNone)}},
		{"choice_required", []Option{WithTools(weather, clock), WithToolChoice(ToolChoiceRequired)}},
		{"choice_function", []Option{WithTools(weather, clock), WithToolChoice(ToolChoiceFunction("get_time"))}},
		{"parallel_false", []Option{WithTools(weather, clock), WithParallelToolCalls(false)}},
		{"parallel_true", []Option{WithTools(weather, clock), WithParallelToolCalls(true)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := c.NewChatRequest("claude-sonnet-4-6", []Message{UserMessage("hi")}, tt.opts...)
			require.NoError(t, err)
			toolsGolden(t, tt.name, req)
		})
	}
}

func TestToolJSONRoundTrip(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(Tool{Function: Function{Name: "f"}})
	require.NoError(t, err)
	if want := `{"type":"function","function":{"name":"f"}}`; string(b) != want {
		t.Errorf("zero-type tool = %s, want %s", b, want)
	}
	in := `{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"},"strict":true}}`
	var tool Tool
	require.NoError(t, json.Unmarshal([]byte(in), &tool))
	out, err := json.Marshal(tool)
	require.NoError(t, err)
	if string(out) != in {
		t.Errorf("round trip = %s, want %s", out, in)
	}
}

func TestToolValidationSendsNothing(t *testing.T) {
	t.Parallel()
	srv, c := newToolsEnv(t)
	ok := mustTool(t, "ok", "", nil)
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{"space in name", []Option{WithTools(Tool{Function: Function{Name: "get weather"}})}, "invalid name"},
		{"empty name", []Option{WithTools(Tool{Function: Function{}})}, "invalid name"},
		{"long name", []Option{WithTools(Tool{Function: Function{Name: strings.Repeat("a", 65)}})}, "invalid name"},
		{"duplicate", []Option{WithTools(ok, ok)}, `duplicate name "ok"`},
		{"unknown type", []Option{WithTools(Tool{Type: "retrieval", Function: Function{Name: "r"}})}, "unknown type"},
		{"bad parameters", []Option{WithTools(Tool{Function: Function{Name: "p", Parameters: json.RawMessage(`{`)}})}, "not valid JSON"},
		{"choice names absent tool", []Option{WithTools(ok), WithToolChoice(ToolChoiceFunction("missing"))}, `names "missing"`},
		{"choice without tools", []Option{WithToolChoice(ToolChoiceFunction("missing"))}, "no tools"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			check := func(what string, err error) {
				t.Helper()
				if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "aione: ") {
					t.Errorf("%s error = %v, want one mentioning %q", what, err, tt.want)
				}
			}
			_, err := c.NewChatRequest("m", []Message{UserMessage("hi")}, tt.opts...)
			check("NewChatRequest", err)
			_, err = c.Chat(ctx, "m", []Message{UserMessage("hi")}, tt.opts...)
			check("Chat", err)
			_, err = c.ChatStream(ctx, "m", []Message{UserMessage("hi")}, tt.opts...)
			check("ChatStream", err)
			_, err = c.RunTools(ctx, "m", []Message{UserMessage("hi")}, nil, tt.opts...)
			check("RunTools", err)
		})
	}
	t.Cleanup(func() {
		if n := srv.RequestCount(); n != 0 {
			t.Errorf("server got %d requests, want 0", n)
		}
	})
}

func TestNewToolErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tool   string
		params any
		want   string
	}{
		{"bad name", "a.b", nil, "invalid name"},
		{"array", "f", json.RawMessage(`[1]`), "not a JSON object"},
		{"string", "f", `"x"`, "not a JSON object"},
		{"null", "f", []byte(`null`), "not a JSON object"},
		{"invalid", "f", `{"type":`, "not a JSON object"},
		{"unencodable", "f", map[string]any{"c": make(chan int)}, "encoding parameters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewTool(tt.tool, "", tt.params)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewTool error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestResponseToolCalls(t *testing.T) {
	t.Parallel()
	var nilResp *ChatResponse
	if got := nilResp.ToolCalls(); got != nil {
		t.Errorf("nil response: ToolCalls = %v", got)
	}
	if got := (&ChatResponse{}).ToolCalls(); got != nil {
		t.Errorf("no choices: ToolCalls = %v", got)
	}
	calls := []ToolCall{{ID: "a", Type: "function", Function: FunctionCall{Name: "f", Arguments: "{}"}}}
	r := &ChatResponse{Choices: []Choice{{Message: Message{Role: RoleAssistant, ToolCalls: calls}}, {}}}
	if diff := cmp.Diff(calls, r.ToolCalls()); diff != "" {
		t.Errorf("ToolCalls mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeArguments(t *testing.T) {
	t.Parallel()
	var a flatArgs
	call := ToolCall{Function: FunctionCall{Name: "flat", Arguments: `{"city":"Paris","days":3}`}}
	require.NoError(t, call.DecodeArguments(&a))
	if a.City != "Paris" || a.Days != 3 {
		t.Errorf("decoded %+v", a)
	}
	var m map[string]any
	require.NoError(t, ToolCall{Function: FunctionCall{Arguments: " \n"}}.DecodeArguments(&m))
	if m == nil || len(m) != 0 {
		t.Errorf("blank arguments decoded as %v, want an empty map", m)
	}

	long := `{"city": "` + strings.Repeat("é", 300) + `"`
	err := ToolCall{Function: FunctionCall{Name: "flat", Arguments: long}}.DecodeArguments(&a)
	require.Error(t, err)
	msg := err.Error()
	if !strings.HasPrefix(msg, `aione: tool call "flat": cannot decode arguments`) || !strings.Contains(msg, `...`) {
		t.Errorf("error = %q", msg)
	}
	if len(msg) > 400 {
		t.Errorf("error is %d bytes long, want the arguments cut to 200 bytes: %q", len(msg), msg)
	}
	err = ToolCall{Function: FunctionCall{Name: "flat", Arguments: `{"days":"three"}`}}.DecodeArguments(&a)
	if err == nil || !strings.Contains(err.Error(), `{\"days\":\"three\"}`) {
		t.Errorf("type mismatch error = %v, want the arguments quoted", err)
	}
}

func TestJSONExcerpt(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "short", strings.Repeat("a", 200), strings.Repeat("a", 201), strings.Repeat("日本", 100)} {
		got := jsonExcerpt([]byte(in))
		body := strings.TrimSuffix(got, "...")
		if len(body) > maxExcerpt || !strings.HasPrefix(in, body) || (len(in) > maxExcerpt) != (got != body) {
			t.Errorf("jsonExcerpt(%d bytes) = %q", len(in), got)
		}
	}
}

type weatherArgs struct {
	City string `json:"city" description:"City name."`
	Unit string `json:"unit,omitempty" enum:"celsius,fahrenheit"`
}

type weatherReport struct {
	City        string  `json:"city"`
	Temperature float64 `json:"temperature"`
	Unit        string  `json:"unit"`
}

var errNoCity = errors.New("no such city")

func weatherTool(t *testing.T, opts ...ToolOption) *FunctionTool {
	t.Helper()
	ft, err := NewFunctionTool("get_weather", "Get the current weather in a city.",
		func(_ context.Context, a weatherArgs) (weatherReport, error) {
			if a.City == "Atlantis" {
				return weatherReport{}, errNoCity
			}
			unit := a.Unit
			if unit == "" {
				unit = "celsius"
			}
			return weatherReport{City: a.City, Temperature: 21.5, Unit: unit}, nil
		}, opts...)
	require.NoError(t, err)
	return ft
}

func TestFunctionToolCall(t *testing.T) {
	t.Parallel()
	weather := weatherTool(t)
	strict := weatherTool(t, StrictTool())
	greet := MustFunctionTool("greet", "Greets someone.", func(_ context.Context, a struct {
		Name string `json:"name"`
	}) (string, error) {
		return "Hello, " + a.Name + "!", nil
	})
	noArgs := MustFunctionTool("now", "", func(context.Context, struct{}) (time.Time, error) {
		return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), nil
	})
	tests := []struct {
		name    string
		tool    *FunctionTool
		args    string
		want    string
		wantErr string
	}{
		{"struct result", weather, `{"city":"Paris"}`, `{"city":"Paris","temperature":21.5,"unit":"celsius"}`, ""},
		{"enum value", weather, `{"city":"Oslo","unit":"fahrenheit"}`, `{"city":"Oslo","temperature":21.5,"unit":"fahrenheit"}`, ""},
		{"string result sent as is", greet, `{"name":"Ada"}`, "Hello, Ada!", ""},
		{"blank arguments", noArgs, "", `"2025-01-02T03:04:05Z"`, ""},
		{"strict null", strict, `{"city":"Rome","unit":null}`, `{"city":"Rome","temperature":21.5,"unit":"celsius"}`, ""},
		{"invalid JSON", weather, `{"city":`, "", `aione: tool "get_weather": arguments are not valid JSON: "{\"city\":"`},
		{"missing property", weather, `{"unit":"celsius"}`, "", `aione: tool "get_weather": arguments do not fit the schema: $.city: missing required property`},
		{"wrong type", weather, `{"city":7}`, "", `$.city:`},
		{"not in enum", weather, `{"city":"Paris","unit":"kelvin"}`, "", `$.unit:`},
		{"strict extra property", strict, `{"city":"Paris","unit":null,"x":1}`, "", `$.x`},
		{"tool error", weather, `{"city":"Atlantis"}`, "", "no such city"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.tool.Call(t.Context(), tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Call error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			require.NoError(t, err)
			if got != tt.want {
				t.Errorf("Call = %q, want %q", got, tt.want)
			}
		})
	}
	_, err := weather.Call(t.Context(), `{"city":"Atlantis"}`)
	if !errors.Is(err, errNoCity) {
		t.Errorf("tool error %v is not the function's own error", err)
	}
	if weather.Name() != "get_weather" || weather.Definition().Function.Strict != nil || *strict.Definition().Function.Strict != true {
		t.Errorf("definitions: %+v / %+v", weather.Definition(), strict.Definition())
	}
	d := weather.Definition()
	d.Function.Parameters[0] = 'X'
	if weather.Definition().Function.Parameters[0] != '{' {
		t.Error("Definition returned the tool's own parameters")
	}
}

func TestNewFunctionToolErrors(t *testing.T) {
	t.Parallel()
	fn := func(context.Context, flatArgs) (string, error) { return "", nil }
	check := func(name string, err error, want string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "aione: ") {
			t.Errorf("%s: error = %v, want one mentioning %q", name, err, want)
		}
	}
	_, err := NewFunctionTool("bad name", "", fn)
	check("bad name", err, "invalid name")
	_, err = NewFunctionTool[flatArgs, string]("nil_fn", "", nil)
	check("nil function", err, "nil function")
	_, err = NewFunctionTool("str", "", func(context.Context, string) (string, error) { return "", nil })
	check("string arguments", err, "not a struct or a map")
	_, err = NewFunctionTool("list", "", func(context.Context, []int) (string, error) { return "", nil })
	check("slice arguments", err, "not a struct or a map")
	_, err = NewFunctionTool("ch", "", func(context.Context, struct{ C chan int }) (string, error) { return "", nil })
	check("channel field", err, "unsupported type")
	_, err = NewFunctionTool("maps", "", func(context.Context, mapArgs) (string, error) { return "", nil }, StrictTool())
	check("map in strict mode", err, "strict mode")
	_, err = NewFunctionTool("bad_result", "", func(context.Context, flatArgs) (chan int, error) { return nil, nil })
	require.NoError(t, err, "the result type is only checked when encoding")
	require.Panics(t, func() { MustFunctionTool("bad name", "", fn) })
}

func TestFunctionToolResultEncodingError(t *testing.T) {
	t.Parallel()
	ft := MustFunctionTool("bad_result", "", func(context.Context, flatArgs) (chan int, error) { return make(chan int), nil })
	_, err := ft.Call(t.Context(), `{"city":"a","days":1,"metric":true,"lat":1}`)
	if err == nil || !strings.Contains(err.Error(), "encoding result") {
		t.Errorf("Call error = %v, want an encoding error", err)
	}
}

package aione

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// checkEncode checks that the request encoder writes exactly what
// encoding/json (through the MarshalJSON methods, the oracle) writes for
// r, or fails where it fails.
func checkEncode(t *testing.T, r *ChatRequest) {
	t.Helper()
	want, wantErr := json.Marshal(r)
	got, gotErr := appendRequest(nil, r)
	if (wantErr != nil) != (gotErr != nil) {
		t.Fatalf("encoding/json error %v, encoder error %v", wantErr, gotErr)
	}
	if wantErr != nil {
		return
	}
	if string(got) != string(want) {
		t.Fatalf("encoder differs from encoding/json (-want +got):\n%s", cmp.Diff(string(want), string(got)))
	}
	if !json.Valid(got) {
		t.Fatalf("encoder wrote invalid JSON: %s", got)
	}
}

// oddText holds every kind of character the string escaper treats apart.
const oddText = "plain \"quoted\" back\\slash <b>&amp;</b> \b\f\n\r\t \x00\x01\x1f\x7f " +
	"café ünïcödé 日本語 🎉 \u2028 \u2029 \ufffd invalid:\xff\xfe\xc3 truncated:\xe2\x80"

func encPtr[T any](v T) *T { return &v }

func TestEncodeMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	schema := json.RawMessage("{\n  \"type\": \"object\",\n  \"description\": \"a <b>&</b> \u2028 \\\"x\\\"\",\n  \"properties\": {}\n}")
	full := ChatRequest{
		Model: "claude-<sonnet>",
		Messages: []Message{
			SystemMessage(oddText),
			UserMessage("look", ImageURLPart("https://example.com/a.png?x=1&y=<2>"), AudioPart([]byte("RIFF"), "wav"),
				FilePart("a.pdf", []byte("%PDF"), "application/pdf"), FileIDPart("file-1"),
				ContentPart{Type: PartImageURL, ImageURL: &ImageURL{URL: "data:image/png;base64,AAAA", Detail: "high"}},
				ContentPart{Type: PartRefusal, Refusal: oddText, Extra: map[string]json.RawMessage{
					"cache_control": json.RawMessage(`{ "type" : "ephemeral" }`), "type": json.RawMessage(`"lost"`), "text": json.RawMessage(`"kept"`)}},
				ContentPart{Type: PartFile, File: &File{}}),
			{Role: RoleAssistant, ReasoningContent: "think <hard>", ToolCalls: []ToolCall{
				{ID: "call_1", Type: "function", Function: FunctionCall{Name: "f", Arguments: `{"a": "<&>", "b": [1, 2]}`}},
				{ID: "call_2", Type: "function", Function: FunctionCall{Name: "g", Arguments: "{not json"},
					Extra: map[string]json.RawMessage{"extra_content": json.RawMessage(`{"google": {"thought_signature": "c2ln\u2028"}}`), "id": json.RawMessage(`"x"`)}},
			}},
			{Role: RoleAssistant, Content: TextContent("ok"), ReasoningContent: "not sent", Name: "bot", Refusal: "no",
				Extra: map[string]json.RawMessage{"reasoning_content": json.RawMessage(`"from extra"`), "z": json.RawMessage(`[ 1, 2 ]`), "a": json.RawMessage(`null`), "name": json.RawMessage(`"lost"`)}},
			ToolMessage("call_1", `{"result": "Température <20>"}`),
			{Role: RoleUser, Content: PartsContent()},
			{Role: RoleUser, Content: Content{kind: contentParts}},
			{Role: RoleAssistant},
		},
		Temperature:         encPtr(0.0),
		TopP:                encPtr(1e-7),
		TopK:                encPtr(40),
		MaxTokens:           encPtr(100),
		MaxCompletionTokens: encPtr(200),
		Stop:                []string{"\n\n", "<end>"},
		Seed:                encPtr(int64(-1 << 62)),
		N:                   encPtr(2),
		PresencePenalty:     encPtr(-2.0),
		FrequencyPenalty:    encPtr(1.25),
		LogitBias:           map[string]int{"50256": -100, "1": 5, "<&>": 0},
		Logprobs:            encPtr(true),
		TopLogprobs:         encPtr(3),
		User:                "user-<1>",
		ReasoningEffort:     "high",
		ServiceTier:         "flex",
		Metadata:            map[string]string{"b": oddText, "a": "1"},
		AspectRatio:         "16:9",
		ImageSize:           "2K",
		ResponseFormat:      &ResponseFormat{Type: "json_schema", JSONSchema: &JSONSchema{Name: "s", Description: "d&d", Schema: schema, Strict: encPtr(true)}},
		Tools: []Tool{
			{Function: Function{Name: "f", Description: oddText, Parameters: schema, Strict: encPtr(false)}},
			{Type: "function", Function: Function{Name: "g"}},
		},
		ToolChoice:        encPtr(ToolChoiceFunction("f")),
		ParallelToolCalls: encPtr(false),
		Stream:            true,
		StreamOptions:     &StreamOptions{IncludeUsage: true},
	}
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.99e-7, 1e20, 1e21, 123456789e30, math.SmallestNonzeroFloat64, math.MaxFloat64, 2.5e-300}
	tests := map[string]func(r *ChatRequest){
		"full":                func(*ChatRequest) {},
		"replay always":       func(r *ChatRequest) { r.ReasoningReplay = ReasoningAlways },
		"replay never":        func(r *ChatRequest) { r.ReasoningReplay = ReasoningNever },
		"tool choice mode":    func(r *ChatRequest) { r.ToolChoice = &ToolChoiceRequired },
		"tool choice empty":   func(r *ChatRequest) { r.ToolChoice = &ToolChoice{} },
		"nil messages":        func(r *ChatRequest) { r.Messages = nil },
		"empty messages":      func(r *ChatRequest) { r.Messages = []Message{} },
		"minimal":             func(r *ChatRequest) { *r = ChatRequest{Model: "m", Messages: []Message{UserMessage("hi")}} },
		"text response":       func(r *ChatRequest) { r.ResponseFormat = &ResponseFormat{Type: "text"} },
		"schema without body": func(r *ChatRequest) { r.ResponseFormat.JSONSchema = &JSONSchema{Name: "n"} },
		"extra": func(r *ChatRequest) {
			r.Extra = map[string]any{
				"model":       "other",                           // replaced in place
				"temperature": nil,                               // removed
				"top_k":       json.RawMessage(" { \"a\" : 1 }"), // raw, compacted
				"zeta":        []int{1, 2},                       // new, sorted
				"alpha":       map[string]any{"<": 1.5},          // new, first
				"gone":        nil,                               // new and nil: absent
				"seed":        (*int)(nil),                       // typed nil: null
				"echo":        json.RawMessage(nil),              // null
				"stream":      oddText,
			}
		},
		"extra only new": func(r *ChatRequest) { r.Extra = map[string]any{"n": nil, "logprobs": 1, "x": "y"} },
		"extra removes all": func(r *ChatRequest) {
			r.Extra = map[string]any{"model": nil, "messages": nil}
			*r = ChatRequest{Extra: r.Extra}
		},
		"invalid extra raw":       func(r *ChatRequest) { r.Extra = map[string]any{"x": json.RawMessage(`{`)} },
		"empty extra raw":         func(r *ChatRequest) { r.Extra = map[string]any{"model": json.RawMessage{}} },
		"unencodable extra":       func(r *ChatRequest) { r.Extra = map[string]any{"x": make(chan int)} },
		"invalid message extra":   func(r *ChatRequest) { r.Messages[3].Extra = map[string]json.RawMessage{"x": json.RawMessage(`[1,`)} },
		"invalid tool call extra": func(r *ChatRequest) { r.Messages[2].ToolCalls[0].Extra = map[string]json.RawMessage{"x": nil} },
		"invalid part extra": func(r *ChatRequest) {
			r.Messages[1].Content.parts[0].Extra = map[string]json.RawMessage{"x": json.RawMessage(`tru`)}
		},
		"shadowed invalid extra": func(r *ChatRequest) {
			r.Messages[2].ToolCalls[0].Extra = map[string]json.RawMessage{"id": json.RawMessage(`{`)}
		},
		"invalid parameters":        func(r *ChatRequest) { r.Tools[1].Function.Parameters = json.RawMessage(`{"a":}`) },
		"invalid schema":            func(r *ChatRequest) { r.ResponseFormat.JSONSchema.Schema = json.RawMessage(`nope`) },
		"NaN temperature":           func(r *ChatRequest) { r.Temperature = encPtr(math.NaN()) },
		"infinite penalty":          func(r *ChatRequest) { r.PresencePenalty = encPtr(math.Inf(-1)) },
		"many extra members":        func(r *ChatRequest) { r.Messages[0].Extra = manyExtra(20) },
		"odd model and extra keys":  func(r *ChatRequest) { r.Model = oddText; r.Extra = map[string]any{oddText: oddText} },
		"long text":                 func(r *ChatRequest) { r.Messages[0] = UserMessage(strings.Repeat(oddText, 100)) },
		"stream options not stream": func(r *ChatRequest) { r.Stream = false },
	}
	for i, f := range floats {
		tests["float "+string(rune('a'+i))] = func(r *ChatRequest) { r.Temperature, r.TopP = encPtr(f), encPtr(-f) }
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := full
			r.Messages = cloneMessages(full.Messages)
			r.ResponseFormat = &ResponseFormat{Type: full.ResponseFormat.Type, JSONSchema: encPtr(*full.ResponseFormat.JSONSchema)}
			r.Tools = append([]Tool(nil), full.Tools...)
			edit(&r)
			checkEncode(t, &r)
		})
	}
}

// cloneMessages copies msgs deeply enough for the tests to edit them.
func cloneMessages(msgs []Message) []Message {
	out := append([]Message(nil), msgs...)
	for i := range out {
		out[i].ToolCalls = append([]ToolCall(nil), out[i].ToolCalls...)
		if out[i].Content.parts != nil {
			out[i].Content.parts = append([]ContentPart{}, out[i].Content.parts...)
		}
	}
	return out
}

func manyExtra(n int) map[string]json.RawMessage {
	m := make(map[string]json.RawMessage, n)
	for i := range n {
		m[string(rune('z'-i))+"<"] = json.RawMessage(`{"i": "` + strings.Repeat("&", i) + `"}`)
	}
	return m
}

// TestEncodeLongConversation checks the benchmark conversation: the same
// bytes as encoding/json, in one allocation close to the body's size.
func TestEncodeLongConversation(t *testing.T) {
	r := &ChatRequest{Model: "claude-sonnet-4-6", Messages: longConversation()}
	checkEncode(t, r)
	body, err := encodeRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(body) < 150<<10 || cap(body) > len(body)+len(body)/4 {
		t.Errorf("body of %d bytes in a buffer of %d: want at least 150 KB, at most a quarter unused", len(body), cap(body))
	}
	// The race detector's instrumentation allocates in map iteration;
	// the counts hold for the code as built without it.
	if n := testing.AllocsPerRun(20, func() { _, _ = encodeRequest(r) }); n > 1 && !raceEnabled {
		t.Errorf("encoding the long conversation allocates %v times, want 1", n)
	}
	// Extra members (Gemini's thought signatures) cost no allocation.
	for i := range r.Messages {
		for j := range r.Messages[i].ToolCalls {
			r.Messages[i].ToolCalls[j].Extra = map[string]json.RawMessage{"extra_content": json.RawMessage(`{"google":{"thought_signature":"c2lnbmF0dXJl"}}`)}
		}
	}
	checkEncode(t, r)
	if n := testing.AllocsPerRun(20, func() { _, _ = encodeRequest(r) }); n > 1 && !raceEnabled {
		t.Errorf("encoding the long conversation with Extra members allocates %v times, want 1", n)
	}
}

// FuzzEncodeRequest encodes requests built from random strings, raw JSON
// and flags, and checks that the encoder agrees with encoding/json byte
// for byte, errors included.
func FuzzEncodeRequest(f *testing.F) {
	f.Add("hello", "<b>&</b>", []byte(`{"a": [1, "x\u2028"]}`), uint64(0), 0.5)
	f.Add(oddText, "\u2029\xff", []byte(" null "), uint64(0xffffffffffffffff), 1e-9)
	f.Add("", "", []byte(`{`), uint64(0x5555), math.Copysign(0, -1))
	f.Add("日本語", "\x00\x1f\"\\", []byte("\"<\u2028>\""), uint64(0xaaaa), 1e21)
	f.Fuzz(func(t *testing.T, a, b string, raw []byte, flags uint64, x float64) {
		bit := func(i int) bool { return flags>>i&1 == 1 }
		rawMsg := json.RawMessage(raw)
		extra := map[string]json.RawMessage{a: rawMsg, "k" + b: json.RawMessage(`{"v": 1}`)}
		if bit(0) {
			extra = nil
		}
		content := TextContent(a)
		switch flags >> 1 & 3 {
		case 1:
			content = Content{}
		case 2:
			content = PartsContent(TextPart(b), ImageURLPart(a), ContentPart{Type: b, Refusal: a, Extra: extra, File: &File{Filename: b}})
		case 3:
			content = PartsContent(ContentPart{Type: PartInputAudio, InputAudio: &InputAudio{Data: a, Format: b}, Extra: extra})
		}
		assistant := Message{Role: RoleAssistant, Content: content, ReasoningContent: b, Name: a, Extra: extra}
		if bit(3) {
			assistant.ToolCalls = []ToolCall{{ID: a, Type: "function", Function: FunctionCall{Name: b, Arguments: a}, Extra: extra}}
		}
		r := &ChatRequest{
			Model:           a,
			Messages:        []Message{UserMessage(b), assistant, ToolMessage(b, a), {Role: b, Refusal: a, ToolCallID: a, Content: content}},
			ReasoningReplay: ReasoningReplay(flags >> 4 & 3),
			User:            b,
			Metadata:        map[string]string{a: b, b: a},
			LogitBias:       map[string]int{b: int(flags >> 32)},
			Stop:            []string{a, b},
		}
		if bit(6) {
			r.Temperature, r.FrequencyPenalty = &x, encPtr(-x)
		}
		if bit(7) {
			r.Tools = []Tool{{Function: Function{Name: a, Description: b, Parameters: rawMsg}}}
			r.ToolChoice = encPtr(ToolChoiceFunction(b))
		}
		if bit(8) {
			r.ResponseFormat = &ResponseFormat{Type: b, JSONSchema: &JSONSchema{Name: a, Schema: rawMsg}}
		}
		if bit(9) {
			r.Extra = map[string]any{a: b, "model": nil, "user": rawMsg, b: x}
			if bit(10) {
				r.Extra[b] = nil
			}
		}
		checkEncode(t, r)
	})
}

// TestAppendString compares the string escaper with encoding/json on every
// byte, and every pair of bytes, at each position of a word and after it.
func TestAppendString(t *testing.T) {
	t.Parallel()
	check := func(s string) {
		t.Helper()
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
	pad := strings.Repeat("a", 19)
	for c := range 256 {
		for i := range 12 {
			check(pad[:i] + string(rune(c)) + pad[i:])         // the rune's UTF-8
			check(pad[:i] + string([]byte{byte(c)}) + pad[i:]) // the byte alone
		}
	}
	for c := 0x80; c < 0x100; c++ {
		for d := range 256 {
			for _, i := range []int{0, 7, 8} {
				check(pad[:i] + string([]byte{byte(c), byte(d)}) + pad[i:])
				check(pad[:i] + string([]byte{byte(c), byte(d), 0x80}))
			}
		}
	}
	check("\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xaa\xe2\x80")
}

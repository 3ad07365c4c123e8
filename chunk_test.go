package aione

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/aione/aione-go/internal/jsonlex"
	"github.com/google/go-cmp/cmp"
)

// decodeResult is what a chunk decoder returns.
type decodeResult struct {
	Chunk    ChatChunk
	ErrField string
	Err      bool
}

func runReference(data []byte) decodeResult {
	var c ChatChunk
	errField, err := decodeChunkJSON(data, &c)
	return decodeResult{c, string(errField), err != nil}
}

// runDecoder decodes a copy of data with d into c, and overwrites the copy
// before returning, so that strings that alias it show up as a difference.
func runDecoder(d *chunkDecoder, c *ChatChunk, data []byte) decodeResult {
	buf := bytes.Clone(data)
	errField, err := d.decode(buf, c)
	r := decodeResult{ErrField: string(errField), Err: err != nil}
	for i := range buf {
		buf[i] = '#'
	}
	r.Chunk = *c
	return r
}

// checkSame checks that the fast decoder agrees with decodeChunkJSON on
// data: with a new decoder, with a decoder that decoded other chunks into
// the same ChatChunk, and when the chunk repeats.
func checkSame(t testing.TB, data []byte) decodeResult {
	t.Helper()
	want := runReference(data)
	var d chunkDecoder
	var c ChatChunk
	if diff := cmp.Diff(want, runDecoder(&d, &c, data)); diff != "" {
		t.Fatalf("decode(%q) differs from decodeChunkJSON (-want +got):\n%s", data, diff)
	}
	if diff := cmp.Diff(want, runDecoder(&d, &c, data)); diff != "" {
		t.Fatalf("decode(%q) a second time differs from decodeChunkJSON (-want +got):\n%s", data, diff)
	}
	for _, primer := range primers {
		var d chunkDecoder
		var c ChatChunk
		runDecoder(&d, &c, []byte(primer))
		if diff := cmp.Diff(want, runDecoder(&d, &c, data)); diff != "" {
			t.Fatalf("decode(%q) after decode(%q) differs from decodeChunkJSON (-want +got):\n%s", data, primer, diff)
		}
	}
	return want
}

// primers are chunks decoded before the one under test, so that it is
// decoded with backing arrays to reuse and strings to intern.
var primers = []string{
	`{"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1711500000,"model":"claude-sonnet-4-6","system_fingerprint":"fp","service_tier":"default","choices":[` +
		`{"index":0,"delta":{"role":"assistant","content":"REST","refusal":"r","reasoning_content":"rc","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{"}},{"index":1,"id":"call_2","type":"function","function":{"name":"g","arguments":"}"}}]},"finish_reason":"stop"},` +
		`{"index":1,"delta":{"content":"x","tool_calls":[{"index":0,"function":{"arguments":"a"}}]},"finish_reason":"length"},{"index":2,"delta":{}}],` +
		`"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":5}}}`,
	`{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":[{"type":"image_url","image_url":{"url":"u"}}]},"logprobs":{"content":null}}]}`,
}

func readChunks(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "chunks", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no chunks in testdata/chunks: %v", err)
	}
	m := make(map[string][]byte)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m[strings.TrimSuffix(filepath.Base(p), ".json")] = data
	}
	return m
}

// chunk returns a chat.completion.chunk with the given fields.
func chunk(id string, created int64, model string, choices ...ChunkChoice) ChatChunk {
	return ChatChunk{ID: id, Object: "chat.completion.chunk", Created: created, Model: model, Choices: choices}
}

func TestDecodeChunkFiles(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		want     ChatChunk
		errField string
		err      bool
		// fast says whether the fast path must decode the chunk itself.
		fast bool
	}{
		"content": {fast: true, want: chunk("chatcmpl-abc", 1711500000, "claude-sonnet-4-6",
			ChunkChoice{Delta: Delta{Content: "REST"}})},
		"role": {fast: true, want: func() ChatChunk {
			c := chunk("chatcmpl-abc", 1711500000, "gpt-4o-mini", ChunkChoice{Delta: Delta{Role: "assistant"}})
			c.SystemFingerprint = "fp_44709d6fcb"
			return c
		}()},
		"finish": {fast: true, want: func() ChatChunk {
			c := chunk("chatcmpl-abc", 1711500001, "gpt-4o-mini", ChunkChoice{FinishReason: "stop"})
			c.SystemFingerprint = "fp_44709d6fcb"
			return c
		}()},
		"usage_only": {fast: true, want: func() ChatChunk {
			c := chunk("chatcmpl-abc", 1711500001, "gpt-4o-mini")
			c.Usage = &Usage{PromptTokens: 17, CompletionTokens: 42, TotalTokens: 59,
				PromptTokensDetails:     &PromptTokensDetails{},
				CompletionTokensDetails: &CompletionTokensDetails{ReasoningTokens: 10}}
			return c
		}()},
		"choices_null": {fast: true, want: func() ChatChunk {
			c := chunk("chatcmpl-abc", 1711500001, "m")
			c.Usage = &Usage{PromptTokens: 5, CompletionTokens: 6, TotalTokens: 11}
			return c
		}()},
		"choices_missing": {fast: true, want: func() ChatChunk {
			c := chunk("chatcmpl-abc", 1711500001, "m")
			c.Usage = &Usage{PromptTokens: 5, CompletionTokens: 6, TotalTokens: 11}
			return c
		}()},
		"delta_missing":   {fast: true, want: chunk("x", 1, "m", ChunkChoice{FinishReason: "length"})},
		"choice_no_index": {fast: true, want: chunk("x", 1, "m", ChunkChoice{Index: -1, Delta: Delta{Content: "hi"}})},
		"tool_call_first": {fast: true, want: chunk("chatcmpl-t", 1711500002, "gpt-4o", ChunkChoice{Delta: Delta{Role: "assistant",
			ToolCalls: []ToolCallDelta{{ID: "call_Qx7Yb1", Type: "function", Function: FunctionCall{Name: "get_weather"}}}}})},
		"tool_call_args": {fast: true, want: chunk("chatcmpl-t", 1711500002, "gpt-4o", ChunkChoice{Delta: Delta{
			ToolCalls: []ToolCallDelta{{Function: FunctionCall{Arguments: `{"location":"Par`}}}}})},
		"tool_call_no_index": {fast: true, want: chunk("x", 1, "gemini-2.5-flash", ChunkChoice{Delta: Delta{
			ToolCalls: []ToolCallDelta{{Index: -1, ID: "call_1", Type: "function", Function: FunctionCall{Name: "f", Arguments: "{}"}}}}})},
		"tool_calls_whole": {fast: true, want: chunk("x", 1, "gemini-2.5-flash", ChunkChoice{FinishReason: "tool_calls", Delta: Delta{Role: "assistant",
			ToolCalls: []ToolCallDelta{
				{ID: "call_a", Type: "function", Function: FunctionCall{Name: "add", Arguments: `{"a":1,"b":2}`}},
				{Index: 1, ID: "call_b", Type: "function", Function: FunctionCall{Name: "mul", Arguments: `{"a":3,"b":4}`}},
			}}})},
		"n2": {fast: true, want: chunk("x", 1, "m", ChunkChoice{Delta: Delta{Content: "Hello"}}, ChunkChoice{Index: 1, Delta: Delta{Content: "Hi"}})},
		"reasoning_content": {fast: true, want: chunk("x", 1, "deepseek-reasoner",
			ChunkChoice{Delta: Delta{ReasoningContent: "Let me think"}})},
		"reasoning": {fast: true, want: chunk("gen-1", 1, "openai/o4-mini",
			ChunkChoice{Delta: Delta{Role: "assistant", ReasoningContent: "First,",
				Extra: map[string]json.RawMessage{"reasoning_details": json.RawMessage(`[{"type":"reasoning.text","text":"First,"}]`)}}})},
		"reasoning_both": {fast: true, want: chunk("x", 1, "m",
			ChunkChoice{Delta: Delta{ReasoningContent: "rc"}},
			ChunkChoice{Index: 1, Delta: Delta{ReasoningContent: "r2"}},
			ChunkChoice{Index: 2, Delta: Delta{ReasoningContent: "r3"}})},
		"refusal": {fast: true, want: chunk("x", 1, "gpt-4o", ChunkChoice{Delta: Delta{Refusal: "I can't help with that."}})},
		"logprobs": {want: chunk("x", 1, "gpt-4o", ChunkChoice{Delta: Delta{Content: "Hi"}, Logprobs: &Logprobs{
			Content: []TokenLogprob{{Token: "Hi", Logprob: -0.0001, Bytes: []int{72, 105},
				TopLogprobs: []TopLogprob{{Token: "Hi", Logprob: -0.0001, Bytes: []int{72, 105}}}}}}})},
		"error_beside_choices": {fast: true, errField: `{"message":"Upstream overloaded","code":502, "metadata":{"provider":"x"}}`},
		"error_string":         {fast: true, errField: `"rate limited: \"slow down\""`},
		"error_first":          {fast: true, errField: `{"message":"boom","type":"server_error"}`},
		"error_null":           {fast: true, want: chunk("x", 1, "m", ChunkChoice{Delta: Delta{Content: "ok"}})},
		"escapes": {fast: true, want: chunk("x", 1, "m", ChunkChoice{Delta: Delta{
			Content: "line\n\t\"q\" \\ / café 😀 lone \uFFFD x \uFFFD\uFFFD €"}})},
		"invalid_utf8": {fast: true, want: func() ChatChunk {
			c := chunk("x\uFFFD", 1, "m", ChunkChoice{Delta: Delta{Content: "a\uFFFDb\uFFFD(c\uFFFD\uFFFD\uFFFDd\uFFFD\uFFFD"}})
			return c
		}()},
		"content_null": {fast: true, want: chunk("x", 1, "m", ChunkChoice{Delta: Delta{Role: "assistant"}})},
		"content_array_image": {want: chunk("x", 1, "m", ChunkChoice{Delta: Delta{Content: "Here: ",
			Images: []ContentPart{{Type: PartImageURL, ImageURL: &ImageURL{URL: "data:image/png;base64,iVBORw0KGgo="}}}}})},
		"images": {want: chunk("x", 1, "google/gemini-2.5-flash-image", ChunkChoice{Delta: Delta{Role: "assistant",
			Images: []ContentPart{{Type: PartImageURL, ImageURL: &ImageURL{URL: "data:image/png;base64,AAAA"}}}}})},
		"images_empty": {fast: true, want: chunk("x", 1, "m", ChunkChoice{Delta: Delta{Content: "a"}})},
		"unknown_nested": {fast: true, want: chunk("x", 1, "m", ChunkChoice{Delta: Delta{Content: "k",
			Extra: map[string]json.RawMessage{"extra": json.RawMessage(`["]","}",{"x":"\u005d"}]`)}}})},
		"whitespace": {fast: true, want: chunk("x", 1, "m", ChunkChoice{Delta: Delta{Content: "w",
			ToolCalls: []ToolCallDelta{{}}}})},
		"numbers_float":   {fast: true, want: chunk("x", 1, "m")},
		"numbers_exp":     {fast: true, want: chunk("x", 100, "m")},
		"numbers_negzero": {fast: true, want: chunk("x", 0, "m", ChunkChoice{Delta: Delta{Content: "z"}})},
		"index_null": {fast: true, want: chunk("x", 1, "m", ChunkChoice{Index: -1, Delta: Delta{
			ToolCalls: []ToolCallDelta{{Index: -1, Function: FunctionCall{Arguments: "1"}}}}})},
		"case_key":         {want: chunk("x", 1, "m", ChunkChoice{Index: 2, Delta: Delta{Content: "c"}})},
		"dup_key":          {want: chunk("x", 1, "m", ChunkChoice{Delta: Delta{Content: "b"}})},
		"trailing_garbage": {err: true},
		"usage_null": {fast: true, want: func() ChatChunk {
			c := chunk("x", 1, "m", ChunkChoice{Delta: Delta{Content: "u"}})
			c.ServiceTier = "default"
			return c
		}()},
		"not_object": {err: true},
		"fold_unicode_key": {want: func() ChatChunk {
			c := chunk("x", 1, "m")
			c.ServiceTier = "flex"
			return c
		}()},
		"nested_deep": {want: ChatChunk{ID: "x"}},
		"nul_byte":    {err: true},
	}
	files := readChunks(t)
	for name := range files {
		if _, ok := tests[name]; !ok {
			t.Errorf("testdata/chunks/%s.json has no expected result", name)
		}
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, ok := files[name]
			if !ok {
				t.Fatalf("testdata/chunks/%s.json is missing", name)
			}
			want := decodeResult{Chunk: tt.want, ErrField: tt.errField, Err: tt.err}
			if diff := cmp.Diff(want, runReference(data)); diff != "" {
				t.Errorf("decodeChunkJSON (-want +got):\n%s", diff)
			}
			checkSame(t, data)
			var d chunkDecoder
			var c ChatChunk
			if _, ok := d.fast(data, &c); ok != tt.fast {
				t.Errorf("fast path taken: %v, want %v", ok, tt.fast)
			}
		})
	}
}

// TestDecodeChunkShapes checks decode against decodeChunkJSON on small
// chunks of every shape, most of them odd.
func TestDecodeChunkShapes(t *testing.T) {
	t.Parallel()
	const pre = `{"id":"x","choices":[{"index":0,"delta":`
	tests := []struct {
		in   string
		fast bool
	}{
		{`{}`, true}, {` { } `, true}, {`{"id":null,"object":null,"model":null,"created":null,"system_fingerprint":null,"service_tier":null}`, true},
		{`{"id":"a"`, false}, {`{"id":"a",}`, false}, {`{"id" "a"}`, false}, {`{"id":"a"}}`, false}, {`{"id":"a"} {}`, false},
		{``, false}, {` `, false}, {`null`, false}, {`"x"`, false}, {`[]`, false}, {`{"choices":[null]}`, false}, {`{"choices":[1]}`, false},
		{`{"choices":{}}`, false}, {`{"choices":[],"choices":[]}`, false}, {`{"choices":[{"delta":null}]}`, true}, {`{"choices":[{"delta":[]}]}`, false},
		{`{"created":9223372036854775807}`, true}, {`{"created":-123}`, true}, {`{"created":01}`, false}, {`{"created":"1"}`, false},
		{`{"created":123456789012345678}`, true}, {`{"created":1234567890123456789}`, true}, {`{"created":1E2}`, true},
		{`{"created":-}`, false}, {`{"created":true}`, false}, {`{"id":1}`, false}, {`{"id":true}`, false}, {`{"id":{}}`, false},
		{`{"usage":{}}`, true}, {`{"usage":[]}`, false}, {`{"usage":{"total_tokens":1.5}}`, false}, {`{"usage":{"total_tokens":null,"x":[1]}}`, true},
		{`{"usage":{"prompt_tokens_details":{}}}`, true}, {`{"usage":{"completion_tokens_details":{"accepted_prediction_tokens":3,"rejected_prediction_tokens":4,"audio_tokens":5}}}`, true},
		{`{"usage":{"prompt_tokens_details":{"cached_tokens":1,"cached_tokens":2}}}`, false}, {`{"usage":{"Total_Tokens":1}}`, false},
		{`{"usage":{"prompt_tokens_details":{"Cached_tokens":1}}}`, false}, {`{"usage":{"prompt_tokens_details":3}}`, false},
		{`{"usage":{"prompt_tokens":1},"usage":null}`, false},
		{`{"error":null}`, true}, {`{"error": null }`, true}, {`{"error":0}`, true}, {`{"error":false}`, true}, {`{"error":[]}`, true},
		{`{"error":{}}`, true}, {`{"error":"x","created":"bad"}`, false}, {`{"error":"x","error":null}`, false}, {`{"Error":"x"}`, false},
		{`{"error":{"a":[1,{"b":"\u0000"}]} , "id":"x"}`, true}, {`{"error":nul}`, false}, {`{"error":"x",}`, false},
		{`{"\u0069d":"x"}`, false}, {`{"i\"d":"x"}`, false}, {"{\"i\xffd\":\"x\"}", false}, {`{"idx":"x","IDX":"y"}`, true},
		{`{"ÿ":1,"日本":2}`, true}, {"{\"prompt_to\u212aens\":1}", true}, {"{\"usage\":{\"prompt_to\u212aens\":1}}", false},
		{pre + `{"content":1}}]}`, false}, {pre + `{"content":true}}]}`, false}, {pre + `{"content":{"type":"text","text":"a"}}}]}`, false},
		{pre + `{"content":[]}}]}`, false}, {pre + `{"content":""}}]}`, true}, {pre + `{"content":"\u0000"}}]}`, true},
		{pre + `{"role":null,"refusal":null,"reasoning":null,"reasoning_content":null,"tool_calls":null,"images":null}}]}`, true},
		{pre + `{"role":"user"}}]}`, true}, {pre + `{"role":"assistant","Role":"user"}}]}`, false}, {pre + `{"images":[null]}}]}`, false},
		{pre + `{"images":{}}}]}`, false}, {pre + `{"images":[{"type":"image_url","image_url":{"url":"u"}}],"content":[{"type":"image_url","image_url":{"url":"v"}}]}}]}`, false},
		{pre + `{"tool_calls":[]}}]}`, true}, {pre + `{"tool_calls":[null]}}]}`, false}, {pre + `{"tool_calls":{}}}]}`, false},
		{pre + `{"tool_calls":[{}]}}]}`, true}, {pre + `{"tool_calls":[{"function":null}]}}]}`, true}, {pre + `{"tool_calls":[{"function":{}}]}}]}`, true},
		{pre + `{"tool_calls":[{"function":{"name":null,"arguments":null}}]}}]}`, true}, {pre + `{"tool_calls":[{"function":{"arguments":{}}}]}}]}`, true},
		{pre + `{"tool_calls":[{"function":"f"}]}}]}`, false}, {pre + `{"tool_calls":[{"index":1.0}]}}]}`, true}, {pre + `{"tool_calls":[{"index":"1"}]}}]}`, false},
		{pre + `{"tool_calls":[{"type":"function","type":"x"}]}}]}`, false}, {pre + `{"tool_calls":[{"id":"a","ID":"b"}]}}]}`, false},
		{pre + `{"tool_calls":[{"function":{"name":"a","Name":"b"}}]}}]}`, false}, {pre + `{"tool_calls":[{"function":{"name":"a","extra":[{}]}}]}}]}`, true},
		{pre + `{"tool_calls":[{"index":0},{"index":1},{"index":2},{"index":3},{"index":4},{"index":5},{"index":6},{"index":7},{"index":8}]}}]}`, true},
		{`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0}]}},{"index":1,"delta":{"tool_calls":[{"index":0},{"index":1}]}},{"index":2,"delta":{"tool_calls":[{"id":"c"}]}}]}`, true},
		{`{"choices":[{"index":0},{"index":1},{"index":2},{"index":3},{"index":4},{"index":5},{"index":6},{"index":7},{"index":8}]}`, true},
		{`{"choices":[{"index":0,"index":1}]}`, false}, {`{"choices":[{"finish_reason":1}]}`, false}, {`{"choices":[{"finish_reason":"x","finish_reason":null}]}`, false},
		{`{"choices":[{"logprobs":null,"logprobs":null}]}`, false}, {`{"choices":[{"logprobs":{}}]}`, false}, {`{"choices":[{"logprobs":[]}]}`, false},
		{`{"choices":[{"index":-1}]}`, true}, {`{"choices":[{"index":99999999999}]}`, true}, {`{"choices":[{"index":-99999999999999999999}]}`, false},
		{`{"choices":[{"finish_reason":"content_filter"},{"finish_reason":"tool_calls"},{"finish_reason":"length"},{"finish_reason":"weird"}]}`, true},
		{`{"choices":[{"x":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `}]}`, true},
		{`{"choices":[{"x":` + strings.Repeat("[", 65) + strings.Repeat("]", 65) + `}]}`, false},
		{`{"x":` + strings.Repeat(`{"a":`, 20000) + `1` + strings.Repeat(`}`, 20000) + `}`, false},
		{`{"x":` + strings.Repeat(`[`, 20000) + strings.Repeat(`]`, 20000) + `}`, false},
		{`{"x":` + strings.Repeat(`[`, 20000) + `}`, false},
		{`{"x":[1,2,],"id":"a"}`, false}, {`{"x":{"a":1,},"id":"a"}`, false}, {`{"x":"\x"}`, false}, {`{"x":"\u12"}`, false}, {`{"x":01}`, false},
		{`{"x":1.}`, false}, {`{"x":-.5}`, false}, {`{"x":1e+}`, false}, {`{"x":tru}`, false}, {`{"x":[}`, false}, {`{"x":{1:2}}`, false},
		{"{\"x\":\"a\tb\"}", false}, {"{\"id\":\"a\x00\"}", false}, {"{\"id\":\"a\"\x00}", false}, {"{\x00}", false}, {"\x00{}", false},
		{"\ufeff{}", false}, {"{\"id\":\"\xff\xfe\",\"model\":\"\xc0\x80\"}", true}, {`{"id":"\ud83d\ude00\ud83d\u0041\udc00"}`, true},
		{`{"id":"\uD83D\uDE00"}`, true}, {`{"id":"\"\\\/\b\f\n\r\t"}`, true}, {`{"id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}`, true},
		{`{"id":"` + strings.Repeat("é", 300) + `"}`, true}, {`{"id":"` + strings.Repeat("a", 5000) + `"}`, true},
		{`{"id":"a","id":"b"}`, false}, {`{"model":"a","MODEL":"b"}`, false}, {`{"choices":[],"cHoices":null}`, false},
	}
	for _, tt := range tests {
		checkSame(t, []byte(tt.in))
		var d chunkDecoder
		var c ChatChunk
		if _, ok := d.fast([]byte(tt.in), &c); ok != tt.fast {
			t.Errorf("fast path taken on %.200q: %v, want %v", tt.in, ok, tt.fast)
		}
	}
}

// TestDecodeChunkInterned checks the strings that are compared with the
// previous chunk's before they are scanned.
func TestDecodeChunkInterned(t *testing.T) {
	t.Parallel()
	const primer = `{"id":"abc","object":"abc","model":"abc","system_fingerprint":"abc","service_tier":"abc"}`
	for _, key := range []string{"id", "object", "model", "system_fingerprint", "service_tier"} {
		for _, v := range []string{`"abc"`, `xabc"`, `abc"`, `"abc`, `"abcd"`, `"ab"`, `"abc\"`, `"ab\u0063"`, `null`, `"abc""`, `"abc" `, `"abc"}`, ` "abc"`, `nabc"`, `"ab"c"`} {
			in := []byte(`{"` + key + `":` + v + `}`)
			want := runReference(in)
			var d chunkDecoder
			var c ChatChunk
			runDecoder(&d, &c, []byte(primer))
			if diff := cmp.Diff(want, runDecoder(&d, &c, in)); diff != "" {
				t.Errorf("decode(%s) after decode(%s) (-want +got):\n%s", in, primer, diff)
			}
		}
	}
}

// TestDecodeChunkRandom checks decode against decodeChunkJSON on random
// chunks: the known keys of every object, in any order, in any case,
// repeated or not, with values of the expected types and of others.
func TestDecodeChunkRandom(t *testing.T) {
	t.Parallel()
	n := 10000
	if testing.Short() {
		n = 2000
	}
	g := newChunkGen(7, 11)
	fast := 0
	for range n {
		g.b.Reset()
		g.object(levelChunk, 0)
		data := g.b.Bytes()
		checkSame(t, data)
		var d chunkDecoder
		var c ChatChunk
		if _, ok := d.fast(data, &c); ok {
			fast++
		}
	}
	t.Logf("the fast path decoded %d of %d random chunks", fast, n)
	// Most chunks are odd, but the fast path must see plenty of them.
	if fast < n/10 {
		t.Errorf("the fast path decoded only %d of %d random chunks", fast, n)
	}
}

const (
	levelChunk = iota
	levelChoice
	levelDelta
	levelToolCall
	levelFunction
	levelUsage
	levelPromptDetails
	levelComplDetails
)

// chunkGen writes random chunks.
type chunkGen struct{ *jsonGen }

func newChunkGen(seed1, seed2 uint64) *chunkGen {
	g := &chunkGen{&jsonGen{r: rand.New(rand.NewPCG(seed1, seed2)), strays: []string{"x", "extra", "ıd", "\u0069d", "provider", "idx", "native_finish_reason", "ſervice_tier"}}}
	g.keys = func(level int) []string {
		return [...]*jsonlex.KeyTable{chunkKeys, choiceKeys, deltaKeys, toolCallKeys, functionKeys, usageKeys, promptDetailKeys, complDetailKeys}[level].Names()
	}
	g.value = g.writeValue
	return g
}

func (g *chunkGen) writeValue(level int, key string, depth int) {
	odd := g.r.IntN(12) == 0 || depth > 3
	switch {
	case odd:
		g.b.WriteString(g.pick(`null`, `true`, `0`, `-1`, `1.5`, `1e2`, `"s"`, `[]`, `{}`, `[1,"a",{"b":null}]`, `{"k":[{}]}`, `nul`, `"\x"`))
	case key == "choices":
		g.array(levelChoice, depth)
	case key == "delta":
		g.object(levelDelta, depth+1)
	case key == "tool_calls":
		g.array(levelToolCall, depth)
	case key == "function":
		g.object(levelFunction, depth+1)
	case key == "usage":
		g.object(levelUsage, depth+1)
	case key == "prompt_tokens_details":
		g.object(levelPromptDetails, depth+1)
	case key == "completion_tokens_details":
		g.object(levelComplDetails, depth+1)
	case key == "logprobs":
		g.b.WriteString(g.pick(`null`, `null`, `{"content":[{"token":"a","logprob":-1,"bytes":[97],"top_logprobs":[]}]}`))
	case key == "images":
		g.b.WriteString(g.pick(`null`, `[]`, `[{"type":"image_url","image_url":{"url":"u"}}]`))
	case key == "content" && g.r.IntN(4) == 0:
		g.b.WriteString(g.pick(`null`, `[{"type":"text","text":"t"}]`, `[{"type":"image_url","image_url":{"url":"u"}}]`, `{"type":"text","text":"t"}`))
	case key == "error":
		g.b.WriteString(g.pick(`null`, `{"message":"m","code":429}`, `"boom"`, `429`))
	case level == levelUsage || level == levelPromptDetails || level == levelComplDetails || key == "index" || key == "created":
		g.b.WriteString(g.pick(`0`, `1`, `-0`, `42`, `1711500000`, `123456789012345678`, `null`, `7`))
	case level == levelChunk && key != "id" && key != "object" && key != "model" && key != "system_fingerprint" && key != "service_tier":
		g.b.WriteString(`{"x":` + g.pick(`1`, `"y"`, `[]`) + `}`) // an unknown key
	default:
		g.b.WriteString(g.pick(`""`, `"a"`, `"REST"`, `"chatcmpl-abc"`, `"stop"`, `"assistant"`, `"function"`, `"tool_calls"`,
			`"a\"b\\c\n"`, `"caf\u00e9 \ud83d\ude00"`, `"\ud800"`, "\"\xff\xfe\"", `"日本語"`, `null`, `"`+strings.Repeat("long ", 60)+`"`))
	}
}

// TestDecodeChunkStream decodes a stream of chunks with one decoder into
// one ChatChunk, as a Stream does, and checks that the strings it returned
// never change afterwards and that repeated strings are not allocated again.
func TestDecodeChunkStream(t *testing.T) {
	t.Parallel()
	files := readChunks(t)
	names := slices.Sorted(func(yield func(string) bool) {
		for name := range files {
			if !yield(name) {
				return
			}
		}
	})
	var d chunkDecoder
	var c ChatChunk
	type kept struct {
		data []byte
		got  ChatChunk // as decode returned it, sharing its strings
	}
	var all []kept
	for round := range 200 {
		for _, name := range names {
			data := files[name]
			if round%2 == 1 { // vary the content to fill arena blocks
				data = bytes.ReplaceAll(data, []byte("REST"), []byte(strings.Repeat("R", round)))
			}
			r := runDecoder(&d, &c, data)
			if diff := cmp.Diff(runReference(data), r); diff != "" {
				t.Fatalf("round %d, %s (-want +got):\n%s", round, name, diff)
			}
			// Keep a copy of the chunk with its own slices (the decoder
			// reuses the backing arrays) but the same strings.
			got := r.Chunk
			got.Choices = slices.Clone(got.Choices)
			for i := range got.Choices {
				got.Choices[i].Delta.ToolCalls = slices.Clone(got.Choices[i].Delta.ToolCalls)
			}
			all = append(all, kept{data, got})
		}
	}
	for _, k := range all {
		want := runReference(k.data)
		if want.Err || want.ErrField != "" {
			continue
		}
		if diff := cmp.Diff(want.Chunk, k.got); diff != "" {
			t.Fatalf("a string decoded earlier changed (-want +got):\n%s", diff)
		}
	}

	// Strings that repeat are the previous chunk's.
	data := files["content"]
	var first ChatChunk
	if _, err := d.decode(data, &first); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := d.decode(data, &c); err != nil {
			t.Fatal(err)
		}
		for _, s := range [][2]string{{first.ID, c.ID}, {first.Model, c.Model}, {first.Object, c.Object}} {
			if unsafe.StringData(s[0]) != unsafe.StringData(s[1]) {
				t.Errorf("%q was allocated again", s[0])
			}
		}
	}
}

// TestDecodeChunkKeys checks that the keys the fast path knows are the
// JSON names of the reference decoder's types, so that a field added to
// them is not silently skipped by the fast path.
func TestDecodeChunkKeys(t *testing.T) {
	t.Parallel()
	var fields func(typ reflect.Type) []string
	fields = func(typ reflect.Type) []string {
		var out []string
		for i := range typ.NumField() {
			f := typ.Field(i)
			switch {
			case f.Name == "Extra":
				continue // the members the others do not name
			case f.Anonymous:
				out = append(out, fields(f.Type)...) // promoted, as encoding/json reads them
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				t.Errorf("%s.%s has no JSON name", typ, f.Name)
			}
			out = append(out, name)
		}
		return out
	}
	names := func(v any) []string { return slices.Sorted(slices.Values(fields(reflect.TypeOf(v)))) }
	sorted := func(s []string) []string { return slices.Sorted(slices.Values(s)) }
	for _, tt := range []struct {
		v    any
		keys *jsonlex.KeyTable
	}{
		{chunkJSON{}, chunkKeys},
		{chunkChoiceJSON{}, choiceKeys},
		{deltaJSON{}, deltaKeys},
		{toolCallDeltaJSON{}, toolCallKeys},
		{toolCallDeltaJSON{}.Function, functionKeys},
		{Usage{}, usageKeys},
		{PromptTokensDetails{}, promptDetailKeys},
		{CompletionTokensDetails{}, complDetailKeys},
	} {
		if diff := cmp.Diff(names(tt.v), sorted(tt.keys.Names())); diff != "" {
			t.Errorf("keys of %T (-json +fast path):\n%s", tt.v, diff)
		}
	}
	// The fast path reads these as plain integers.
	for _, v := range []any{Usage{}, PromptTokensDetails{}, CompletionTokensDetails{}} {
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			if f := typ.Field(i); f.Type.Kind() != reflect.Int && f.Type.Kind() != reflect.Pointer {
				t.Errorf("%s.%s is a %s, not an int", typ, f.Name, f.Type)
			}
		}
	}
}

// TestDecodeChunkKeyIndexes checks the constants that name the keys, and
// that keyTable.match finds the keys it should and only those.
func TestDecodeChunkKeyIndexes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		t     *jsonlex.KeyTable
		k     int
		names string
	}{
		{chunkKeys, chunkID, "id"}, {chunkKeys, chunkObject, "object"}, {chunkKeys, chunkCreated, "created"},
		{chunkKeys, chunkModel, "model"}, {chunkKeys, chunkFingerprint, "system_fingerprint"}, {chunkKeys, chunkTier, "service_tier"},
		{chunkKeys, chunkChoices, "choices"}, {chunkKeys, chunkUsage, "usage"}, {chunkKeys, chunkError, "error"},
		{choiceKeys, choiceIndex, "index"}, {choiceKeys, choiceDelta, "delta"}, {choiceKeys, choiceFinishReason, "finish_reason"},
		{choiceKeys, choiceLogprobs, "logprobs"},
		{deltaKeys, deltaRole, "role"}, {deltaKeys, deltaContent, "content"}, {deltaKeys, deltaRefusal, "refusal"},
		{deltaKeys, deltaReasoningContent, "reasoning_content"}, {deltaKeys, deltaReasoning, "reasoning"},
		{deltaKeys, deltaToolCalls, "tool_calls"}, {deltaKeys, deltaImages, "images"},
		{toolCallKeys, callIndex, "index"}, {toolCallKeys, callID, "id"}, {toolCallKeys, callType, "type"}, {toolCallKeys, callFunction, "function"},
		{functionKeys, functionName, "name"}, {functionKeys, functionArguments, "arguments"},
	} {
		if got := tt.t.Names()[tt.k]; got != tt.names {
			t.Errorf("key %d is %q, want %q", tt.k, got, tt.names)
		}
	}
}

// TestDecodeChunkAllocs checks the allocation budget of an ordinary
// content chunk.
func TestDecodeChunkAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	data := []byte(contentChunk)
	var d chunkDecoder
	var c ChatChunk
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := d.decode(data, &c); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0.01 {
		t.Errorf("decode allocates %v times per content chunk, want about 0", allocs)
	}
}

const contentChunk = `{"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1711500000,"model":"claude-sonnet-4-6","choices":[{"index":0,"delta":{"content":"REST"},"finish_reason":null}]}`

// FuzzDecodeChunk checks that decode agrees with decodeChunkJSON on any
// input, and never panics.
func FuzzDecodeChunk(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "chunks", "*.json"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, p := range primers {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSame(t, data)
	})
}

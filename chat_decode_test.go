package aione

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aione/aione-go/internal/benchdata"
	"github.com/aione/aione-go/internal/jsonlex"
	"github.com/google/go-cmp/cmp"
)

// The oracle of the chat answer decoders: the encoding/json code that
// decoded answers, messages and contents before the fast path existed,
// kept here as it was so that the fast path is checked against it and not
// against itself (Message.UnmarshalJSON and Content.UnmarshalJSON now use
// the fast path too).

// refContent is a Content decoded the original way.
type refContent struct{ c Content }

func (r *refContent) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return errors.New("aione: empty content")
	}
	switch data[0] {
	case 'n':
		r.c = Content{}
		return nil
	case '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		r.c = TextContent(s)
		return nil
	case '[':
		var parts []ContentPart
		if err := json.Unmarshal(data, &parts); err != nil {
			return err
		}
		r.c = PartsContent(parts...)
		return nil
	case '{':
		var p ContentPart
		if err := json.Unmarshal(data, &p); err != nil {
			return err
		}
		r.c = PartsContent(p)
		return nil
	}
	return errors.New("aione: content is not a string, an array or null")
}

// refMessage is a Message decoded the original way.
type refMessage struct{ m Message }

func (r *refMessage) UnmarshalJSON(data []byte) error {
	var w struct {
		Role             string        `json:"role"`
		Content          refContent    `json:"content"`
		Name             string        `json:"name"`
		ToolCalls        []ToolCall    `json:"tool_calls"`
		ToolCallID       string        `json:"tool_call_id"`
		Refusal          string        `json:"refusal"`
		ReasoningContent string        `json:"reasoning_content"`
		Reasoning        string        `json:"reasoning"`
		Images           []ContentPart `json:"images"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	extra, err := unknownMembers(data, messageKeys.Names())
	if err != nil {
		return err
	}
	r.m = Message{
		Extra:            extra,
		Role:             w.Role,
		Content:          w.Content.c,
		Name:             w.Name,
		ToolCalls:        w.ToolCalls,
		ToolCallID:       w.ToolCallID,
		Refusal:          w.Refusal,
		ReasoningContent: w.ReasoningContent,
		Images:           w.Images,
	}
	if r.m.ReasoningContent == "" {
		r.m.ReasoningContent = w.Reasoning
	}
	return nil
}

// decodeChatRef decodes an answer the original way.
func decodeChatRef(data []byte) (*ChatResponse, []byte, error) {
	var out struct {
		ID                string  `json:"id"`
		Object            string  `json:"object"`
		Created           intJSON `json:"created"`
		Model             string  `json:"model"`
		SystemFingerprint string  `json:"system_fingerprint"`
		ServiceTier       string  `json:"service_tier"`
		Choices           []struct {
			Index        intJSON    `json:"index"`
			Message      refMessage `json:"message"`
			FinishReason string     `json:"finish_reason"`
			Logprobs     *Logprobs  `json:"logprobs"`
		} `json:"choices"`
		Usage *Usage          `json:"usage"`
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, nil, err
	}
	if len(out.Error) > 0 && !isNull(out.Error) {
		return nil, out.Error, nil
	}
	r := &ChatResponse{ID: out.ID, Object: out.Object, Created: int64(out.Created), Model: out.Model,
		SystemFingerprint: out.SystemFingerprint, ServiceTier: out.ServiceTier, Usage: out.Usage}
	if out.Choices != nil {
		r.Choices = make([]Choice, len(out.Choices))
	}
	for i, c := range out.Choices {
		r.Choices[i] = Choice{Index: int(c.Index), Message: c.Message.m, FinishReason: c.FinishReason, Logprobs: c.Logprobs}
	}
	return r, nil, nil
}

// chatResult is what a chat answer decoder returns.
type chatResult struct {
	Resp     *ChatResponse
	ErrField string
	Err      bool
}

func runChat(decode func([]byte) (*ChatResponse, []byte, error), data []byte) (chatResult, error) {
	r, errField, err := decode(data)
	return chatResult{r, string(errField), err != nil}, err
}

// checkChat checks that every decoder of chat answers agrees with the
// original encoding/json code on data: decodeChat (its fast path or its
// fallback), decodeChatJSON, and decodeResponse. It checks the messages
// of the answer, and data itself as a message and as a content, with
// Message.UnmarshalJSON and Content.UnmarshalJSON the same way.
func checkChat(t *testing.T, data []byte) chatResult {
	t.Helper()
	want, _ := runChat(decodeChatRef, data)
	viaJSON, errJSON := runChat(decodeChatJSON, data)
	if diff := cmp.Diff(want, viaJSON); diff != "" {
		t.Fatalf("decodeChatJSON(%q) differs from the original decoder (-want +got):\n%s", data, diff)
	}
	buf := bytes.Clone(data)
	got, err := runChat(decodeChatBackground, buf)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("decodeChat(%q) differs from the original decoder (-want +got):\n%s", data, diff)
	}
	if errJSON != nil && err.Error() != errJSON.Error() {
		t.Fatalf("decodeChat(%q) = error %q, decodeChatJSON's is %q", data, err, errJSON)
	}
	if !bytes.Equal(buf, data) {
		t.Fatalf("decodeChat(%q) modified its input", data)
	}

	resp, err := decodeResponse(context.Background(), 200, http.Header{"Content-Type": {"application/json"}}, data)
	var apiErr *APIError
	switch {
	case want.Err:
		if err == nil || errors.As(err, &apiErr) || !strings.HasPrefix(err.Error(), "aione: decoding response") {
			t.Fatalf("decodeResponse(%q) = %v, %v: want a decoding error", data, resp, err)
		}
	case want.ErrField != "":
		if !errors.As(err, &apiErr) || resp != nil {
			t.Fatalf("decodeResponse(%q) = %v, %v: want an *APIError", data, resp, err)
		}
	case err != nil || resp.Raw != string(data):
		t.Fatalf("decodeResponse(%q) = %v, %v: want the response", data, resp, err)
	}

	checkMessage(t, data)
	var raw struct {
		Choices []struct {
			Message json.RawMessage `json:"message"`
		} `json:"choices"`
	}
	if json.Unmarshal(data, &raw) == nil {
		for _, c := range raw.Choices {
			checkMessage(t, c.Message)
			var m struct {
				Content json.RawMessage `json:"content"`
			}
			if json.Unmarshal(c.Message, &m) == nil && m.Content != nil {
				checkMessage(t, m.Content)
			}
		}
	}
	return want
}

// checkMessage checks Message.UnmarshalJSON and Content.UnmarshalJSON on
// data, called directly and through json.Unmarshal, against the original
// code. They decode a copy of data which is overwritten before the
// comparison, so that strings that alias it show up as a difference.
func checkMessage(t *testing.T, data []byte) {
	t.Helper()
	type result struct {
		V   any
		Err bool
	}
	run := func(decode func([]byte) (any, error)) result {
		buf := bytes.Clone(data)
		v, err := decode(buf)
		for i := range buf {
			buf[i] = '#'
		}
		return result{v, err != nil}
	}
	for _, tt := range []struct {
		name      string
		want, got func([]byte) (any, error)
	}{
		{"Message.UnmarshalJSON",
			func(b []byte) (any, error) { var r refMessage; err := r.UnmarshalJSON(b); return r.m, err },
			func(b []byte) (any, error) { var m Message; err := m.UnmarshalJSON(b); return m, err }},
		{"json.Unmarshal into a Message",
			func(b []byte) (any, error) { var r refMessage; err := json.Unmarshal(b, &r); return r.m, err },
			func(b []byte) (any, error) { var m Message; err := json.Unmarshal(b, &m); return m, err }},
		{"Content.UnmarshalJSON",
			func(b []byte) (any, error) { var r refContent; err := r.UnmarshalJSON(b); return r.c, err },
			func(b []byte) (any, error) { var c Content; err := c.UnmarshalJSON(b); return c, err }},
		{"json.Unmarshal into a Content",
			func(b []byte) (any, error) { var r refContent; err := json.Unmarshal(b, &r); return r.c, err },
			func(b []byte) (any, error) { var c Content; err := json.Unmarshal(b, &c); return c, err }},
	} {
		if diff := cmp.Diff(run(tt.want), run(tt.got)); diff != "" {
			t.Fatalf("%s(%q) differs from the original code (-want +got):\n%s", tt.name, data, diff)
		}
	}
}

// readResponses returns the files of testdata/responses by name.
func readResponses(t *testing.T) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "responses", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no answers in testdata/responses: %v", err)
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

func TestDecodeChatFiles(t *testing.T) {
	t.Parallel()
	assistant := func(text string) Message { return Message{Role: RoleAssistant, Content: TextContent(text)} }
	answer := func(id string, created int64, model string, choices ...Choice) *ChatResponse {
		return &ChatResponse{ID: id, Object: "chat.completion", Created: created, Model: model, Choices: choices}
	}
	tests := map[string]struct {
		// want is the response, or nil to check only the agreement of
		// the decoders.
		want     *ChatResponse
		errField bool
		err      bool
		// fast says whether the fast path must decode the answer itself.
		fast bool
	}{
		"text":         {fast: true},
		"tool_calls":   {fast: true},
		"gemini_image": {fast: true},
		"reasoning":    {fast: true},
		"error_in_200": {fast: true, errField: true},
		"reasoning_field": {fast: true, want: answer("gen-1", 1711500000, "openai/o4-mini",
			Choice{Message: Message{Role: RoleAssistant, Content: TextContent("4"), ReasoningContent: "2+2 is 4."}, FinishReason: "stop"},
			Choice{Index: 1, Message: Message{Role: RoleAssistant, Content: TextContent("4"), ReasoningContent: "r2"}, FinishReason: "stop"},
			Choice{Index: 2, Message: Message{Role: RoleAssistant, Content: TextContent("4"), ReasoningContent: "rc3"}, FinishReason: "stop"},
			Choice{Index: 3, Message: assistant("4"), FinishReason: "stop"})},
		"refusal": {fast: true},
		"logprobs": {want: answer("chatcmpl-lp", 1711500000, "gpt-4o", Choice{Message: assistant("Hi"), FinishReason: "stop",
			Logprobs: &Logprobs{Content: []TokenLogprob{{Token: "Hi", Logprob: -0.0001, Bytes: []int{72, 105},
				TopLogprobs: []TopLogprob{{Token: "Hi", Logprob: -0.0001, Bytes: []int{72, 105}}, {Token: "Hello", Logprob: -9.5}}}}}})},
		"usage_details": {fast: true, want: func() *ChatResponse {
			r := answer("chatcmpl-u", 1711500000, "gpt-4o-audio", Choice{Message: assistant("ok"), FinishReason: "length"})
			r.SystemFingerprint = "fp_1"
			r.Usage = &Usage{PromptTokens: 1200, CompletionTokens: 300, TotalTokens: 1500,
				PromptTokensDetails:     &PromptTokensDetails{CachedTokens: 1024, AudioTokens: 17},
				CompletionTokensDetails: &CompletionTokensDetails{ReasoningTokens: 128, AudioTokens: 3, AcceptedPredictionTokens: 40, RejectedPredictionTokens: 2}}
			return r
		}()},
		"n2": {fast: true},
		"unknown_nested": {fast: true, want: func() *ChatResponse {
			m := assistant("k")
			m.ToolCalls = []ToolCall{{ID: "call_1", Type: "function", Function: FunctionCall{Name: "f", Arguments: "{}"},
				Extra: map[string]json.RawMessage{"extra": json.RawMessage(`[true,false,null]`), "index": json.RawMessage(`0`)}}}
			m.Extra = map[string]json.RawMessage{
				"annotations": json.RawMessage(`[{"type":"url_citation","url_citation":{"url":"https://example.com","title":"E"}}]`),
				"audio":       json.RawMessage(`{"id":"a1","data":"AAAA","transcript":"t"}`),
			}
			r := answer("chatcmpl-k", 1711500000, "m", Choice{Message: m, FinishReason: "stop"})
			r.Usage = &Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3,
				PromptTokensDetails: &PromptTokensDetails{}, CompletionTokensDetails: &CompletionTokensDetails{}}
			return r
		}()},
		"escapes": {fast: true, want: func() *ChatResponse {
			m := assistant("line\n\t\"q\" \\ / café café 😀 😀 lone \uFFFD x \uFFFD\uFFFD € bad \uFFFD\uFFFD \uFFFD( \uFFFD\uFFFD end")
			m.ToolCalls = []ToolCall{{ID: "call_é", Type: "function", Function: FunctionCall{Name: "f", Arguments: `{"q":"a\"b","n":"日本"}`}}}
			return answer("chatcmpl-esc", 1711500000, "m", Choice{Message: m, FinishReason: "stop"})
		}()},
		"whitespace": {fast: true, want: func() *ChatResponse {
			m := Message{Role: RoleAssistant, ToolCalls: []ToolCall{}, Images: []ContentPart{},
				Content: PartsContent(TextPart("w"), ContentPart{Type: PartImageURL, ImageURL: &ImageURL{URL: "data:image/png;base64,AA==", Detail: "auto"}})}
			r := answer("chatcmpl-ws", 1711500000, "m", Choice{Message: m, FinishReason: "stop"})
			r.Usage = &Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3, PromptTokensDetails: &PromptTokensDetails{}}
			return r
		}()},
		"images_field":         {fast: true},
		"error_beside_choices": {fast: true, errField: true},
		"error_null":           {fast: true, want: answer("chatcmpl-en", 1711500000, "m", Choice{Message: assistant("fine"), FinishReason: "stop"})},
		"error_string":         {fast: true, errField: true},
		"content_single_part": {fast: true, want: answer("x", 1, "m",
			Choice{Message: Message{Role: RoleAssistant, Content: PartsContent(TextPart("one part"))}, FinishReason: "stop"})},
		"content_parts_all": {fast: true, want: answer("x", 1, "m", Choice{Message: Message{Role: RoleAssistant, Content: PartsContent(
			TextPart("a"), ContentPart{Type: PartRefusal, Refusal: "no"},
			ContentPart{Type: PartInputAudio, InputAudio: &InputAudio{Data: "UklGRg==", Format: "wav"}},
			ContentPart{Type: PartFile, File: &File{FileData: "data:application/pdf;base64,JVBERi0=", Filename: "a.pdf"}},
			FileIDPart("file-1"), ContentPart{Type: PartImageURL}, TextPart("b"))}, FinishReason: "stop"})},
		"empty_arrays": {fast: true, want: func() *ChatResponse {
			r := answer("x", 1, "m",
				Choice{Message: Message{Role: RoleAssistant, Content: PartsContent(), ToolCalls: []ToolCall{}, Images: []ContentPart{}}, FinishReason: "stop"},
				Choice{Index: 1},
				Choice{Index: 2, Message: Message{Role: RoleTool, Name: "n", ToolCallID: "call_1", Content: TextContent(""),
					ToolCalls: []ToolCall{{ID: "c", Type: "function"}}}})
			r.Usage = &Usage{}
			return r
		}()},
		"choices_empty":    {fast: true, want: &ChatResponse{ID: "x", Object: "chat.completion", Model: "m", Choices: []Choice{}}},
		"dup_key":          {want: answer("x", 1, "m", Choice{Message: assistant("b"), FinishReason: "stop"})},
		"case_key":         {want: answer("x", 1, "m", Choice{Index: 2, Message: assistant("c"), FinishReason: "stop"})},
		"numbers_float":    {fast: true, want: &ChatResponse{ID: "x", Object: "chat.completion", Created: 1711500000, Model: "m", Choices: []Choice{}}},
		"numbers_big":      {err: true},
		"trailing_garbage": {err: true},
		"not_object":       {err: true},
		"html":             {err: true},
		"content_number":   {err: true},
		"truncated":        {err: true},
	}
	files := readResponses(t)
	for name := range files {
		if _, ok := tests[name]; !ok {
			t.Errorf("testdata/responses/%s.json has no expected result", name)
		}
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, ok := files[name]
			if !ok {
				t.Fatalf("testdata/responses/%s.json is missing", name)
			}
			got := checkChat(t, data)
			if got.Err != tt.err || (got.ErrField != "") != tt.errField || got.Resp == nil && !tt.err && !tt.errField {
				t.Errorf("decoded to %+v, want error %v, error object %v", got, tt.err, tt.errField)
			}
			if tt.want != nil {
				if diff := cmp.Diff(tt.want, got.Resp); diff != "" {
					t.Errorf("response mismatch (-want +got):\n%s", diff)
				}
			}
			if _, _, ok := fastAnswer(data); ok != tt.fast {
				t.Errorf("fast path taken: %v, want %v", ok, tt.fast)
			}
		})
	}
}

// TestDecodeChatShapes checks the decoders on small answers of every
// shape, most of them odd.
func TestDecodeChatShapes(t *testing.T) {
	t.Parallel()
	const pre = `{"id":"x","choices":[{"index":0,"message":`
	tests := []struct {
		in   string
		fast bool
	}{
		{`{}`, true},
		{` {"choices":null} `, true},
		{`{"choices":[null]}`, false},
		{`{"choices":[1]}`, false},
		{`{"choices":{}}`, false},
		{`{"created":null,"id":null,"usage":{}}`, true},
		{`{"created":"1"}`, false},
		{`{"created":1e3}`, true},
		{`{"created":-5}`, true},
		{`{"created":01}`, false},
		{`{"error":{}}`, true},
		{`{"error":[]}`, true},
		{`{"error":false}`, true},
		{`{"error":null,"error":1}`, false},
		{`{"eRRor":1}`, false},
		{`{"id":"a\u0000b"}`, true},
		{`{"id":"\ud83d"}`, true},
		{`{"\u0069d":"a"}`, false},
		{`{"ıd":"a","ſervice_tier":"b","K":1}`, false},
		{`{"x":1,}`, false},
		{`{"id":"x"`, false},
		{`null`, false},
		{`"x"`, false},
		{``, false},
		{pre + `null}]}`, true},
		{pre + `"hi"}]}`, false},
		{pre + `{}}]}`, true},
		{pre + `{"content":""}}]}`, true},
		{pre + `{"content":true}}]}`, false},
		{pre + `{"content":[null]}}]}`, false},
		{pre + `{"content":[{"type":"text"},{}]}}]}`, true},
		{pre + `{"content":[{"image_url":{"url":null,"detail":"low","x":[]}}]}}]}`, true},
		{pre + `{"content":[{"image_url":"u"}]}}]}`, false},
		{pre + `{"content":[{"text":1}]}}]}`, false},
		{pre + `{"content":[{"Type":"text"}]}}]}`, false},
		{pre + `{"content":{"file":{"FILE_ID":"f"}}}}]}`, false},
		{pre + `{"content":{"input_audio":{"data":"d","data":"e"}}}}]}`, false},
		{pre + `{"tool_calls":null,"images":null,"name":null}}]}`, true},
		{pre + `{"tool_calls":[{"function":{"name":"f","name":"g"}}]}}]}`, false},
		{pre + `{"tool_calls":[{"function":"f"}]}}]}`, false},
		{pre + `{"tool_calls":[{"index":"any","id":"c"}]}}]}`, true},
		{pre + `{"tool_calls":[{"ID":"c"}]}}]}`, false},
		{pre + `{"tool_calls":{}}}]}`, false},
		{pre + `{"images":[{"type":"image_url","image_url":{"url":"data:,x"}}]}}]}`, true},
		{pre + `{"images":[1]}}]}`, false},
		{pre + `{"audio":{"data":"x"},"AUDIO":1,"Audio":null}}]}`, true},
		{pre + `{"role":"user","role":"tool"}}]}`, false},
		{pre + `{"reasoning":"a","reasoning_content":""}}]}`, true},
		{pre + `{"reasoning_content":"a","Reasoning":"b"}}]}`, false},
		{pre + `{"content":"a\"b"} ,"logprobs":null, "finish_reason":"x"}]}`, true},
		{pre + `{},"logprobs":{}}]}`, false},
		{`{"choices":[{"index":null,"message":{},"finish_reason":null}]}`, true},
		{pre + `{},"index":1.0}]}`, false}, // a repeated key
		{`{"usage":{"prompt_tokens":1,"prompt_tokens":2}}`, false},
		{`{"usage":{"prompt_tokens_details":{"cached_tokens":1},"completion_tokens_details":null}}`, true},
		{`{"usage":[]}`, false},
	}
	for _, tt := range tests {
		checkChat(t, []byte(tt.in))
		if _, _, ok := fastAnswer([]byte(tt.in)); ok != tt.fast {
			t.Errorf("%s: fast path taken: %v, want %v", tt.in, ok, tt.fast)
		}
	}
}

// TestDecodeChatRandom checks the decoders on random answers: keys known
// or not, in any order, repeated or not, with values of the expected types
// and of others.
func TestDecodeChatRandom(t *testing.T) {
	t.Parallel()
	n := 5000
	if testing.Short() {
		n = 1000
	}
	g := newAnswerGen(3, 5)
	fast := 0
	for range n {
		g.b.Reset()
		g.object(levelAnswer, 0)
		data := g.b.Bytes()
		checkChat(t, data)
		if _, _, ok := fastAnswer(data); ok {
			fast++
		}
	}
	t.Logf("the fast path decoded %d of %d random answers", fast, n)
	if fast < n/10 {
		t.Errorf("the fast path decoded only %d of %d random answers", fast, n)
	}
}

const (
	levelAnswer = iota
	levelAnswerChoice
	levelMessage
	levelCall
	levelCallFunction
	levelPart
	levelImageURL
	levelAnswerUsage
)

// answerGen writes random chat answers.
type answerGen struct{ *jsonGen }

func newAnswerGen(seed1, seed2 uint64) *answerGen {
	g := &answerGen{&jsonGen{r: rand.New(rand.NewPCG(seed1, seed2)), strays: []string{"x", "annotations", "audio", "index", "ıd", "provider", "native_finish_reason", "ſervice_tier"}}}
	g.keys = func(level int) []string {
		return [...]*jsonlex.KeyTable{chunkKeys, answerChoiceKeys, messageKeys, answerCallKeys, functionKeys, partKeys, imageURLKeys, usageKeys}[level].Names()
	}
	g.value = g.writeValue
	return g
}

func (g *answerGen) writeValue(level int, key string, depth int) {
	odd := g.r.IntN(12) == 0 || depth > 4
	switch {
	case odd:
		g.b.WriteString(g.pick(`null`, `true`, `0`, `-1`, `1.5`, `"s"`, `[]`, `{}`, `[1,"a",{"b":null}]`, `nul`, `"\x"`))
	case key == "choices":
		g.array(levelAnswerChoice, depth)
	case key == "message":
		g.object(levelMessage, depth+1)
	case key == "tool_calls":
		g.array(levelCall, depth)
	case key == "function":
		g.object(levelCallFunction, depth+1)
	case key == "images" || key == "content" && g.r.IntN(3) == 0:
		g.array(levelPart, depth)
	case key == "content" && g.r.IntN(4) == 0:
		g.object(levelPart, depth+1)
	case key == "image_url":
		g.object(levelImageURL, depth+1)
	case key == "usage":
		g.object(levelAnswerUsage, depth+1)
	case key == "prompt_tokens_details" || key == "completion_tokens_details":
		g.b.WriteString(g.pick(`null`, `{}`, `{"cached_tokens":1,"audio_tokens":2}`, `{"reasoning_tokens":3,"x":null}`))
	case key == "logprobs":
		g.b.WriteString(g.pick(`null`, `null`, `{"content":null}`))
	case key == "error":
		g.b.WriteString(g.pick(`null`, `null`, `{"message":"m","code":429}`, `"boom"`))
	case level == levelAnswerUsage || key == "index" || key == "created":
		g.b.WriteString(g.pick(`0`, `1`, `-0`, `42`, `1711500000`, `123456789012345678`, `null`))
	default:
		g.b.WriteString(g.pick(`""`, `"a"`, `"assistant"`, `"stop"`, `"function"`, `"text"`, `"image_url"`,
			`"a\"b\\c\n"`, `"caf\u00e9 \ud83d\ude00"`, `"\ud800"`, "\"\xff\xfe\"", `"日本語"`, `null`, `"`+strings.Repeat("long ", 60)+`"`))
	}
}

// TestDecodeChatAllocs checks the allocation budget of a typical answer:
// the response with its choice, the usage, the text (it has escapes), the
// block of its short strings, and the message's "annotations" kept in
// Extra (a map, which is two allocations, and a copy of the value).
func TestDecodeChatAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	data := benchdata.ChatBody(benchdata.TypicalText)
	allocs := testing.AllocsPerRun(1000, func() {
		if r, _, err := decodeChat(context.Background(), data); err != nil || r.Text() != benchdata.TypicalText {
			t.Fatal(r, err)
		}
	})
	if allocs > 7 {
		t.Errorf("decodeChat allocates %v times per typical answer, want at most 7", allocs)
	}
}

// BenchmarkDecodeChat decodes a typical (~1 KB) answer on the fast path.
func BenchmarkDecodeChat(b *testing.B) { benchDecodeChat(b, decodeChatBackground) }

// decodeChatBackground is decodeChat with a context that never ends.
func decodeChatBackground(data []byte) (*ChatResponse, []byte, error) {
	return decodeChat(context.Background(), data)
}

// BenchmarkDecodeChatJSON decodes it with the reference decoder.
func BenchmarkDecodeChatJSON(b *testing.B) { benchDecodeChat(b, decodeChatJSON) }

func benchDecodeChat(b *testing.B, decode func([]byte) (*ChatResponse, []byte, error)) {
	data := benchdata.ChatBody(benchdata.TypicalText)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzDecodeChatResponse checks that every decoder of chat answers agrees
// with the original encoding/json code on any input, and never panics.
func FuzzDecodeChatResponse(f *testing.F) {
	seedFromDir(f, "responses")
	f.Add(benchdata.ChatBody(benchdata.TypicalText))
	f.Add([]byte(`{"role":"assistant","content":[{"type":"text","text":"a"}],"reasoning":"r"}`))
	f.Add([]byte(`[{"type":"image_url","image_url":{"url":"u","detail":"high"}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkChat(t, data)
	})
}

package aione

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/aione/aione-go/internal/localserver"
)

type recipe struct {
	Name        string       `json:"name" description:"The dish."`
	Servings    int          `json:"servings" jsonschema:"minimum=1"`
	Difficulty  string       `json:"difficulty" enum:"easy,medium,hard"`
	Ingredients []ingredient `json:"ingredients"`
	Notes       *string      `json:"notes,omitempty"`
}

type ingredient struct {
	Item     string  `json:"item"`
	Quantity float64 `json:"quantity"`
}

func TestResponseFormatGolden(t *testing.T) {
	t.Parallel()
	c, err := NewClient(WithAPIKey("k"), WithBaseURL("http://127.0.0.1:1/v1"))
	require.NoError(t, err)
	loose, err := JSONSchemaFor[recipe](false)
	require.NoError(t, err)
	strict, err := JSONSchemaFor[recipe](true)
	require.NoError(t, err)
	tests := []struct {
		name string
		opts []Option
	}{
		{"format_json_object", []Option{WithJSONMode()}},
		{"format_json_schema", []Option{WithJSONSchema("answer", json.RawMessage(`{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"],"additionalProperties":false}`), true)}},
		{"format_schema_for", []Option{WithResponseFormat(loose)}},
		{"format_schema_for_strict", []Option{WithResponseFormat(strict)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := c.NewChatRequest("gpt-4o", []Message{UserMessage("A recipe, please.")}, tt.opts...)
			require.NoError(t, err)
			toolsGolden(t, tt.name, req)
		})
	}
}

func TestWithJSONSchemaErrors(t *testing.T) {
	t.Parallel()
	c, err := NewClient(WithAPIKey("k"))
	require.NoError(t, err)
	for _, tt := range []struct {
		name, schemaName, schema, want string
	}{
		{"bad name", "my schema", `{}`, "invalid name"},
		{"not an object", "s", `[]`, "not a JSON object"},
		{"invalid", "s", `{`, "not a JSON object"},
	} {
		_, err := c.NewChatRequest("m", []Message{UserMessage("hi")}, WithJSONSchema(tt.schemaName, json.RawMessage(tt.schema), false))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want one mentioning %q", tt.name, err, tt.want)
		}
	}
	if _, err := JSONSchemaFor[[]recipe](false); err == nil {
		t.Error("JSONSchemaFor of a slice: no error")
	}
	if _, err := JSONSchemaFor[map[string]int](true); err == nil {
		t.Error("JSONSchemaFor of a map in strict mode: no error")
	}
}

type generic[T any] struct {
	V T `json:"v"`
}

func TestSchemaName(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		got  func(bool) (ResponseFormat, error)
		want string
	}{
		{JSONSchemaFor[recipe], "recipe"},
		{JSONSchemaFor[*recipe], "recipe"},
		{JSONSchemaFor[generic[int]], "generic"},
		{JSONSchemaFor[struct{ A int }], "response"},
		{JSONSchemaFor[map[string]int], "response"},
	} {
		rf, err := tt.got(false)
		require.NoError(t, err)
		if rf.JSONSchema.Name != tt.want {
			t.Errorf("name = %q, want %q", rf.JSONSchema.Name, tt.want)
		}
	}
}

func TestChatJSON(t *testing.T) {
	t.Parallel()
	srv, c := newToolsEnv(t)
	ctx := t.Context()
	msgs := []Message{UserMessage("A recipe, please.")}

	got, resp, err := ChatJSON[recipe](ctx, c, "gpt-4o", msgs)
	require.NoError(t, err)
	notes := "sample"
	want := recipe{Name: "sample", Servings: 1, Difficulty: "easy", Ingredients: []ingredient{{Item: "sample", Quantity: 1}}, Notes: &notes}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ChatJSON mismatch (-want +got):\n%s", diff)
	}
	if resp == nil || resp.Text() == "" {
		t.Errorf("response = %+v", resp)
	}
	req, _ := srv.LastRequest()
	rf := req.Decoded["response_format"].(map[string]any)
	if rf["type"] != "json_schema" || rf["json_schema"].(map[string]any)["name"] != "recipe" || rf["json_schema"].(map[string]any)["strict"] != false {
		t.Errorf("response_format sent = %v", rf)
	}

	// A strict format given by the caller replaces the default one, and
	// the answer is checked against the strict schema that was sent.
	strict, err := JSONSchemaFor[recipe](true)
	require.NoError(t, err)
	srv.Enqueue(localserver.Fault{Answer: &localserver.Answer{Text: `{"name":"Soup","servings":2,"difficulty":"easy","ingredients":[],"notes":null}`}})
	got, _, err = ChatJSON[recipe](ctx, c, "gpt-4o", msgs, WithResponseFormat(strict))
	require.NoError(t, err)
	if got.Name != "Soup" || got.Notes != nil {
		t.Errorf("strict answer decoded as %+v", got)
	}
	req, _ = srv.LastRequest()
	if s := req.Decoded["response_format"].(map[string]any)["json_schema"].(map[string]any)["strict"]; s != true {
		t.Errorf("strict = %v, want true", s)
	}

	// JSON mode: the answer is checked against T's schema.
	type answer struct {
		Answer string `json:"answer"`
	}
	a, _, err := ChatJSON[answer](ctx, c, "gpt-4o", []Message{UserMessage("hi")}, WithJSONMode())
	require.NoError(t, err)
	if a.Answer != localserver.AnswerPrefix+"hi" {
		t.Errorf("JSON mode answer = %+v", a)
	}
}

func TestChatJSONFenced(t *testing.T) {
	t.Parallel()
	srv, c := newToolsEnv(t)
	for _, text := range []string{
		"```json\n{\"answer\":\"fenced\"}\n```",
		"  ```\n{\"answer\":\"fenced\"}\n```\n",
		"Here you go:\n\n```JSON\n{\"answer\":\"fenced\"}\n```\nEnjoy.",
	} {
		srv.Enqueue(localserver.Fault{Answer: &localserver.Answer{Text: text}})
		got, _, err := ChatJSON[struct {
			Answer string `json:"answer"`
		}](t.Context(), c, "m", []Message{UserMessage("hi")})
		if err != nil || got.Answer != "fenced" {
			t.Errorf("ChatJSON(%q) = %+v, %v", text, got, err)
		}
	}
}

// badTime fits any schema ({}) but never decodes.
type badTime struct{}

func (badTime) MarshalJSON() ([]byte, error) { return []byte(`0`), nil }
func (*badTime) UnmarshalJSON([]byte) error  { return errors.New("bad time") }

func TestChatJSONOutputErrors(t *testing.T) {
	t.Parallel()
	srv, c := newToolsEnv(t)
	long := `{"name": "` + strings.Repeat("x", 500)
	tests := []struct {
		name   string
		answer localserver.Answer
		path   string
		want   string
	}{
		{"not JSON", localserver.Answer{Text: "Sure! Soup."}, "", "the answer is not valid JSON: \"Sure! Soup.\""},
		{"empty", localserver.Answer{Text: ""}, "", "the answer is empty"},
		{"truncated", localserver.Answer{Text: long, FinishReason: "length"}, "", "cut short"},
		{"missing property", localserver.Answer{Text: `{"name":"Soup","servings":2,"difficulty":"easy"}`}, "$.ingredients", "$.ingredients: missing required property"},
		{"not in enum", localserver.Answer{Text: `{"name":"Soup","servings":2,"difficulty":"extreme","ingredients":[]}`}, "$.difficulty", "$.difficulty:"},
		{"below minimum", localserver.Answer{Text: `{"name":"Soup","servings":0,"difficulty":"easy","ingredients":[]}`}, "$.servings", "$.servings:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Enqueue(localserver.Fault{Answer: &tt.answer})
			_, resp, err := ChatJSON[recipe](t.Context(), c, "m", []Message{UserMessage("hi")})
			var oe *OutputError
			if !errors.As(err, &oe) {
				t.Fatalf("error = %v, want an *OutputError", err)
			}
			if resp == nil || oe.Text != tt.answer.Text || oe.Path != tt.path || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "aione: structured output: ") {
				t.Errorf("error = %q (path %q), want one containing %q at path %q", err, oe.Path, tt.want, tt.path)
			}
			if len(err.Error()) > 400 {
				t.Errorf("error is %d bytes long: %q", len(err.Error()), err)
			}
		})
	}

	srv.Enqueue(localserver.Fault{Answer: &localserver.Answer{Text: `{"t":1}`}})
	_, _, err := ChatJSON[struct {
		T badTime `json:"t"`
	}](t.Context(), c, "m", []Message{UserMessage("hi")})
	if oe := (*OutputError)(nil); !errors.As(err, &oe) || !strings.Contains(err.Error(), "bad time") {
		t.Errorf("decode error = %v", err)
	}

	srv.Enqueue(localserver.Fault{Status: 400, Body: localserver.ErrorJSON("bad", "invalid_request_error", "")})
	_, _, err = ChatJSON[recipe](t.Context(), c, "m", []Message{UserMessage("hi")})
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Errorf("API failure = %v, want an *APIError", err)
	}
}

func TestDecodeOutputRefusal(t *testing.T) {
	t.Parallel()
	resp := &ChatResponse{Choices: []Choice{{Message: Message{Role: RoleAssistant, Refusal: "I can't help with that."}, FinishReason: "stop"}}}
	_, err := decodeOutput[recipe](resp, json.RawMessage(`{}`))
	if err == nil || !strings.Contains(err.Error(), "refused: I can't help with that.") {
		t.Errorf("error = %v", err)
	}
	_, err = decodeOutput[recipe](&ChatResponse{}, json.RawMessage(`{}`))
	if err == nil || !strings.Contains(err.Error(), "no choices") {
		t.Errorf("error = %v", err)
	}
}

func TestUnfence(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"a":1}`:                       `{"a":1}`,
		"  [1,2]\n":                     `[1,2]`,
		"```json\n{\"a\":1}\n```":       `{"a":1}`,
		"```\n{\"a\":1}\n```":           `{"a":1}`,
		"Here:\n```json\n{}\n```\nBye":  `{}`,
		"```python\nprint(1)\n```":      "```python\nprint(1)\n```",
		"```json {\"a\":1}```":          "```json {\"a\":1}```",
		"```json\n{\"a\":1}":            "```json\n{\"a\":1}",
		"plain text":                    "plain text",
		"{\"code\":\"```json\\nx```\"}": "{\"code\":\"```json\\nx```\"}",
	} {
		if got := unfence(in); got != want {
			t.Errorf("unfence(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzUnfence(f *testing.F) {
	for _, s := range []string{`{"a":1}`, "```json\n{}\n```", "x```\n[1]\n```", "```", "```\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := unfence(s)
		if !strings.Contains(s, strings.TrimSpace(got)) {
			t.Errorf("unfence(%q) = %q, not part of the input", s, got)
		}
		if t := strings.TrimSpace(s); json.Valid([]byte(t)) && (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && got != t {
			panic(fmt.Sprintf("valid JSON %q changed to %q", t, got))
		}
	})
}

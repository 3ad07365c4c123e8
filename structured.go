package aione

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/aione/aione-go/internal/schema"
)

// WithJSONSchema asks for an answer that is JSON following schema:
// response_format {"type":"json_schema","json_schema":{...}}. name names the
// schema for the model (1 to 64 of a-z, A-Z, 0-9, _ and -); strict asks the
// model to follow it exactly (OpenAI Structured Outputs), which needs a
// strict schema such as [JSONSchemaFor] builds with strict true. By default
// no response format is sent; see also [WithJSONMode] and [ChatJSON].
func WithJSONSchema(name string, schema json.RawMessage, strict bool) Option {
	schema = append(json.RawMessage(nil), schema...)
	return optionFunc(func(s *settings) {
		if !validToolName(name) {
			s.invalid("WithJSONSchema: invalid name %q: want 1 to 64 of a-z, A-Z, 0-9, _ and -", name)
			return
		}
		if !isJSONObject(schema) {
			s.invalid("WithJSONSchema: schema %q is not a JSON object", name)
			return
		}
		s.params.ResponseFormat = &ResponseFormat{
			Type:       "json_schema",
			JSONSchema: &JSONSchema{Name: name, Schema: schema, Strict: &strict},
		}
	})
}

// JSONSchemaFor returns a json_schema response format for the Go type T,
// for [WithResponseFormat]. The schema is derived from T as for
// [NewFunctionTool]; strict builds it in strict mode (all properties
// required, optional ones nullable, no additional properties, no maps) and
// sends "strict": true. The schema is named after T's Go name, or
// "response" for an unnamed type. T must be a struct or a map.
func JSONSchemaFor[T any](strict bool) (ResponseFormat, error) {
	t := reflect.TypeFor[T]()
	s, err := objectSchema(t, strict)
	if err != nil {
		return ResponseFormat{}, fmt.Errorf("aione: JSON schema for %v: %v", t, err)
	}
	return ResponseFormat{
		Type:       "json_schema",
		JSONSchema: &JSONSchema{Name: schemaName(t), Schema: s, Strict: &strict},
	}, nil
}

// schemaName derives a valid schema name from a Go type's name.
func schemaName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 { // generic type
		name = name[:i]
	}
	var b strings.Builder
	for _, r := range name {
		if r < 0x80 && validToolName(string(r)) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "response"
	}
	return b.String()[:min(b.Len(), 64)]
}

// OutputError reports a structured answer that does not fit the type asked
// for: text that is not JSON, JSON that does not fit the schema, or JSON
// that cannot be decoded into the type. [ChatJSON] returns it with the
// response, so the caller can retry, repair or log the answer.
type OutputError struct {
	// Text is the model's whole answer.
	Text string
	// FinishReason is the answer's finish reason; "length" means the answer
	// was cut short.
	FinishReason string
	// Path is the JSON path of the first value that does not fit the
	// schema, such as "$.items[2].name", or "" when the problem is not a
	// schema mismatch.
	Path string
	// Reason says what is wrong, without the text.
	Reason string
}

// Error describes the problem and quotes at most 200 bytes of the answer.
func (e *OutputError) Error() string {
	msg := "aione: structured output: " + e.Reason
	if e.FinishReason == FinishLength {
		msg += " (the answer was cut short: finish_reason length)"
	}
	return fmt.Sprintf("%s: %q", msg, jsonExcerpt([]byte(e.Text)))
}

// ChatJSON asks model for an answer that is JSON following the schema of T,
// then checks and decodes it. It sends response_format json_schema with T's
// schema (not strict, see [JSONSchemaFor]); a response format among opts
// replaces it, such as WithResponseFormat of a strict JSONSchemaFor[T] or
// [WithJSONMode] for models without json_schema support. The answer is
// checked against the schema sent (T's own schema when none is sent), after
// removing any ```json fence around it.
//
// ChatJSON returns the decoded value and the response. An answer that does
// not fit is an [*OutputError], returned with the response; other errors
// are those of [Client.Chat]. ChatJSON is a function rather than a method
// because Go methods cannot have type parameters.
func ChatJSON[T any](ctx context.Context, c *Client, model string, messages []Message, opts ...Option) (T, *ChatResponse, error) {
	var zero T
	format, err := JSONSchemaFor[T](false)
	if err != nil {
		return zero, nil, err
	}
	all := make([]Option, 0, len(opts)+1)
	all = append(all, WithResponseFormat(format))
	all = append(all, opts...)
	req, err := c.NewChatRequest(model, messages, all...)
	if err != nil {
		return zero, nil, err
	}
	check := format.JSONSchema.Schema
	if rf := req.ResponseFormat; rf != nil && rf.JSONSchema != nil && len(rf.JSONSchema.Schema) > 0 {
		check = rf.JSONSchema.Schema
	}
	resp, err := c.Chat(ctx, model, messages, all...)
	if err != nil {
		return zero, resp, err
	}
	v, err := decodeOutput[T](resp, check)
	return v, resp, err
}

// decodeOutput checks the first choice's text against s and decodes it.
func decodeOutput[T any](resp *ChatResponse, s json.RawMessage) (T, error) {
	var v T
	if len(resp.Choices) == 0 {
		return v, &OutputError{Reason: "the answer has no choices"}
	}
	ch := resp.Choices[0]
	text := ch.Message.Content.Text()
	fail := func(path, format string, args ...any) (T, error) {
		return v, &OutputError{Text: text, FinishReason: ch.FinishReason, Path: path, Reason: fmt.Sprintf(format, args...)}
	}
	if text == "" && ch.Message.Refusal != "" {
		return fail("", "the model refused: %s", ch.Message.Refusal)
	}
	data := []byte(unfence(text))
	if !json.Valid(data) {
		if len(data) == 0 {
			return fail("", "the answer is empty")
		}
		return fail("", "the answer is not valid JSON")
	}
	if err := schema.Validate(s, data); err != nil {
		var ve *schema.ValidationError
		if errors.As(err, &ve) {
			return fail(ve.Path, "%s: %s", ve.Path, ve.Message)
		}
		return fail("", "checking the answer: %v", err)
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return fail("", "decoding into %v: %v", reflect.TypeFor[T](), err)
	}
	return v, nil
}

// unfence returns text without surrounding white space and, when it holds a
// Markdown code fence (```json ... ```), the fence's body.
func unfence(text string) string {
	t := strings.TrimSpace(text)
	if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		return t
	}
	start := strings.Index(t, "```")
	if start < 0 {
		return t
	}
	body := t[start+3:]
	nl := strings.IndexByte(body, '\n')
	if nl < 0 {
		return t
	}
	if lang := strings.TrimSpace(body[:nl]); lang != "" && !strings.EqualFold(lang, "json") {
		return t
	}
	body = body[nl+1:]
	end := strings.Index(body, "```")
	if end < 0 {
		return t
	}
	return strings.TrimSpace(body[:end])
}

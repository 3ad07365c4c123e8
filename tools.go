package aione

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"unicode/utf8"

	"github.com/aione/aione-go/internal/schema"
)

// Tool is a tool the model may call. Only function tools exist today.
type Tool struct {
	// Type is "function".
	Type     string   `json:"type"`
	Function Function `json:"function"`
}

// Function describes a function tool: its name, what it does, and the JSON
// Schema of its arguments.
type Function struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	// Strict asks the model to follow the schema exactly (OpenAI strict
	// mode). Nil sends nothing.
	Strict *bool `json:"strict,omitempty"`
}

// ToolCall is a model's request to run a tool, in an assistant message.
type ToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function FunctionCall `json:"function"`
	// Extra holds the call's JSON members that the fields above do not
	// name, as raw JSON values: Gemini 3's "extra_content" with its
	// thought signature, which must be sent back with the call. They are
	// kept from answers and streams and sent with the call; a named field
	// wins over an Extra member of the same name.
	Extra map[string]json.RawMessage `json:"-"`
}

type toolCallJSON ToolCall // without the MarshalJSON method

// MarshalJSON encodes the call with its Extra members.
func (t ToolCall) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(toolCallJSON(t))
	if err != nil {
		return nil, err
	}
	return spliceExtra(b, t.Extra)
}

// UnmarshalJSON decodes a tool call, keeping the members the type does not
// name in Extra.
func (t *ToolCall) UnmarshalJSON(data []byte) error {
	if isNull(data) {
		return nil
	}
	var w toolCallJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	extra, err := unknownMembers(data, answerCallKeys.Names())
	if err != nil {
		return err
	}
	*t = ToolCall(w)
	t.Extra = extra
	return nil
}

// FunctionCall names the function to call and its arguments as the JSON
// text the model wrote, which may not be valid.
type FunctionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// ToolChoice is the request's tool_choice: "auto", "none", "required", or
// one named function. Build it with [ToolChoiceAuto], [ToolChoiceNone],
// [ToolChoiceRequired] or [ToolChoiceFunction].
type ToolChoice struct {
	mode     string
	function string
}

// Tool choices.
var (
	// ToolChoiceAuto lets the model decide whether to call tools.
	ToolChoiceAuto = ToolChoice{mode: "auto"}
	// ToolChoiceNone forbids tool calls.
	ToolChoiceNone = ToolChoice{mode: "none"}
	// ToolChoiceRequired makes the model call at least one tool.
	ToolChoiceRequired = ToolChoice{mode: "required"}
)

// ToolChoiceFunction makes the model call the named function.
func ToolChoiceFunction(name string) ToolChoice { return ToolChoice{function: name} }

// Mode returns "auto", "none" or "required", or "" for a named function.
func (c ToolChoice) Mode() string { return c.mode }

// Function returns the name of the function the choice names, if any.
func (c ToolChoice) Function() string { return c.function }

// MarshalJSON encodes a mode as a string and a function as an object.
func (c ToolChoice) MarshalJSON() ([]byte, error) {
	if c.function != "" {
		return json.Marshal(map[string]any{"type": "function", "function": map[string]string{"name": c.function}})
	}
	return json.Marshal(c.mode)
}

// UnmarshalJSON decodes either form.
func (c *ToolChoice) UnmarshalJSON(data []byte) error {
	var mode string
	if json.Unmarshal(data, &mode) == nil {
		*c = ToolChoice{mode: mode}
		return nil
	}
	var obj struct {
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(data, &obj); err != nil {
		return err
	}
	*c = ToolChoice{function: obj.Function.Name}
	return nil
}

// WithTools sets the tools the model may call, replacing earlier ones. By
// default none are sent.
func WithTools(tools ...Tool) Option {
	tools = slices.Clone(tools)
	return optionFunc(func(s *settings) { s.params.Tools = tools })
}

// WithToolChoice sets tool_choice. By default none is sent, which the API
// reads as "auto" when there are tools.
func WithToolChoice(c ToolChoice) Option {
	return optionFunc(func(s *settings) { s.params.ToolChoice = &c })
}

// WithParallelToolCalls allows or forbids several tool calls in one answer.
// By default nothing is sent, which the API reads as allowed.
func WithParallelToolCalls(allow bool) Option {
	return optionFunc(func(s *settings) { s.params.ParallelToolCalls = &allow })
}

// validToolName reports whether name matches ^[a-zA-Z0-9_-]{1,64}$.
func validToolName(name string) bool {
	if len(name) == 0 || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validateTools checks tool names and that a named tool choice names a
// tool, before anything is sent.
func validateTools(tools []Tool, choice *ToolChoice) error {
	seen := make(map[string]bool, len(tools))
	for i, t := range tools {
		name := t.Function.Name
		if !validToolName(name) {
			return fmt.Errorf("aione: tool %d: invalid name %q: want 1 to 64 of a-z, A-Z, 0-9, _ and -", i, name)
		}
		if seen[name] {
			return fmt.Errorf("aione: tool %d: duplicate name %q", i, name)
		}
		seen[name] = true
		if t.Type != "" && t.Type != "function" {
			return fmt.Errorf("aione: tool %q: unknown type %q", name, t.Type)
		}
		if len(t.Function.Parameters) > 0 && !json.Valid(t.Function.Parameters) {
			return fmt.Errorf("aione: tool %q: parameters are not valid JSON", name)
		}
	}
	if choice != nil && choice.function != "" && !seen[choice.function] {
		if len(tools) == 0 {
			return errors.New("aione: tool choice names a function but no tools are given")
		}
		return fmt.Errorf("aione: tool choice names %q, which is not among the tools", choice.function)
	}
	return nil
}

type toolJSON Tool // without the MarshalJSON method

// MarshalJSON encodes the tool, sending an empty Type as "function".
func (t Tool) MarshalJSON() ([]byte, error) {
	if t.Type == "" {
		t.Type = "function"
	}
	return json.Marshal(toolJSON(t))
}

// NewTool returns a function tool with a hand-written JSON Schema for its
// arguments. parameters may be a json.RawMessage, a []byte or string of
// JSON, or any value encoding/json turns into a JSON object, such as a
// map[string]any; nil sends no parameters (a tool without arguments). It
// reports an invalid name (want 1 to 64 of a-z, A-Z, 0-9, _ and -) and
// parameters that are not a JSON object. For a schema derived from a Go
// type, see [NewFunctionTool].
func NewTool(name, description string, parameters any) (Tool, error) {
	if !validToolName(name) {
		return Tool{}, fmt.Errorf("aione: tool: invalid name %q: want 1 to 64 of a-z, A-Z, 0-9, _ and -", name)
	}
	var raw []byte
	switch p := parameters.(type) {
	case nil:
	case json.RawMessage:
		raw = p
	case []byte:
		raw = p
	case string:
		raw = []byte(p)
	default:
		b, err := json.Marshal(p)
		if err != nil {
			return Tool{}, fmt.Errorf("aione: tool %q: encoding parameters: %v", name, err)
		}
		raw = b
	}
	if raw != nil {
		if !isJSONObject(raw) {
			return Tool{}, fmt.Errorf("aione: tool %q: parameters are not a JSON object: %q", name, jsonExcerpt(raw))
		}
		raw = bytes.Clone(raw)
	}
	return Tool{Type: "function", Function: Function{Name: name, Description: description, Parameters: raw}}, nil
}

// ToolCalls returns the tool calls of the first choice, or nil if there are
// none. The slice is the response's own.
func (r *ChatResponse) ToolCalls() []ToolCall {
	if r == nil || len(r.Choices) == 0 {
		return nil
	}
	return r.Choices[0].Message.ToolCalls
}

// DecodeArguments decodes the call's arguments into v, as json.Unmarshal
// does. Empty arguments, which some models send for a tool without
// parameters, decode as {}. The error of arguments that are not valid JSON,
// or do not fit v, quotes at most 200 bytes of them.
func (c ToolCall) DecodeArguments(v any) error {
	args := argumentsJSON(c.Function.Arguments)
	if err := json.Unmarshal(args, v); err != nil {
		return fmt.Errorf("aione: tool call %q: cannot decode arguments: %v: %q", c.Function.Name, err, jsonExcerpt(args))
	}
	return nil
}

// argumentsJSON returns the arguments as bytes, {} when they are blank.
func argumentsJSON(s string) []byte {
	b := bytes.TrimSpace([]byte(s))
	if len(b) == 0 {
		return []byte("{}")
	}
	return b
}

// maxExcerpt bounds the bytes of model output an error message quotes.
const maxExcerpt = 200

// jsonExcerpt returns at most maxExcerpt bytes of b, cut on a character
// boundary, with "..." appended when it was cut.
func jsonExcerpt(b []byte) string {
	if len(b) <= maxExcerpt {
		return string(b)
	}
	n := maxExcerpt
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return string(b[:n]) + "..."
}

// RunnableTool is a tool the SDK can run for the model: [ToolRunner] offers
// each tool's Definition to the model and calls Call when the model asks
// for it. [NewFunctionTool] builds one from a Go function; any type with
// these two methods will do.
//
// Call may be called from several goroutines at once, when the model asks
// for several calls in one answer.
type RunnableTool interface {
	// Definition returns the tool as sent to the model.
	Definition() Tool
	// Call runs the tool with the arguments the model wrote (JSON text,
	// possibly invalid) and returns the result to send back to the model.
	// An error is sent back to the model too, so that it can correct
	// itself.
	Call(ctx context.Context, arguments string) (string, error)
}

// ToolOption configures a tool built by [NewFunctionTool].
type ToolOption interface {
	applyTool(*toolConfig)
}

type toolConfig struct {
	strict bool
}

type toolOptionFunc func(*toolConfig)

func (f toolOptionFunc) applyTool(c *toolConfig) { f(c) }

// StrictTool builds the tool's schema in strict mode and sends
// "strict": true (OpenAI strict function calling): every property is
// required, optional ones (pointers, omitempty) become nullable, objects
// forbid additional properties, and maps are not allowed. By default tools
// are not strict.
func StrictTool() ToolOption {
	return toolOptionFunc(func(c *toolConfig) { c.strict = true })
}

// FunctionTool is a tool backed by a Go function, built by
// [NewFunctionTool]. It is immutable and safe for concurrent use.
type FunctionTool struct {
	def    Tool
	schema json.RawMessage
	call   func(ctx context.Context, args []byte) (string, error)
}

// NewFunctionTool returns a tool that runs fn. The JSON Schema of its
// arguments is derived from T, which must be a struct (or a map with string
// keys): field names follow the json tags; the tags description:"...",
// enum:"a,b,c" and jsonschema:"required|optional|minimum=..." add
// descriptions, allowed values and constraints; pointer and omitempty
// fields are optional. See [StrictTool] for strict mode.
//
// When called, the tool checks the arguments against the schema, decodes
// them into a T, runs fn and encodes its result: a string result is sent as
// it is, any other value as JSON. fn may be called from several goroutines
// at once and should return when ctx is done.
//
// It reports an invalid name and a type T that has no JSON Schema or is
// not an object.
func NewFunctionTool[T, R any](name, description string, fn func(ctx context.Context, args T) (R, error), opts ...ToolOption) (*FunctionTool, error) {
	if fn == nil {
		return nil, fmt.Errorf("aione: tool %q: nil function", name)
	}
	var cfg toolConfig
	for _, o := range opts {
		if o != nil {
			o.applyTool(&cfg)
		}
	}
	s, err := objectSchema(reflect.TypeFor[T](), cfg.strict)
	if err != nil {
		return nil, fmt.Errorf("aione: tool %q: arguments: %v", name, err)
	}
	def, err := NewTool(name, description, s)
	if err != nil {
		return nil, err
	}
	if cfg.strict {
		t := true
		def.Function.Strict = &t
	}
	ft := &FunctionTool{def: def, schema: s}
	ft.call = func(ctx context.Context, args []byte) (string, error) {
		var v T
		if err := json.Unmarshal(args, &v); err != nil {
			return "", fmt.Errorf("aione: tool %q: cannot decode arguments: %v: %q", name, err, jsonExcerpt(args))
		}
		res, err := fn(ctx, v)
		if err != nil {
			return "", err
		}
		if text, ok := any(res).(string); ok {
			return text, nil
		}
		b, err := json.Marshal(res)
		if err != nil {
			return "", fmt.Errorf("aione: tool %q: encoding result: %v", name, err)
		}
		return string(b), nil
	}
	return ft, nil
}

// objectSchema returns the JSON Schema of t, which must be an object: t
// is a struct or a map.
func objectSchema(t reflect.Type, strict bool) (json.RawMessage, error) {
	s, err := schema.For(t, schema.Options{Strict: strict})
	if err != nil {
		return nil, err
	}
	var top struct {
		Type any `json:"type"`
	}
	if json.Unmarshal(s, &top) != nil || top.Type != "object" {
		return nil, fmt.Errorf("type %v is not a struct or a map", t)
	}
	return s, nil
}

// isJSONObject reports whether b is one valid JSON object.
func isJSONObject(b []byte) bool {
	var obj map[string]json.RawMessage
	return json.Unmarshal(b, &obj) == nil && obj != nil
}

// MustFunctionTool is like [NewFunctionTool] but panics on error. It is
// meant for package-level variables whose types are known to be valid.
func MustFunctionTool[T, R any](name, description string, fn func(ctx context.Context, args T) (R, error), opts ...ToolOption) *FunctionTool {
	t, err := NewFunctionTool(name, description, fn, opts...)
	if err != nil {
		panic(err)
	}
	return t
}

// Definition returns the tool as sent to the model. Its Parameters are a
// copy: changing them does not change the tool.
func (t *FunctionTool) Definition() Tool {
	d := t.def
	d.Function.Parameters = bytes.Clone(d.Function.Parameters)
	return d
}

// Name returns the tool's name.
func (t *FunctionTool) Name() string { return t.def.Function.Name }

// Call checks arguments against the tool's schema, decodes them, runs the
// tool's function and returns its encoded result. Blank arguments count as
// {}. Arguments that are not valid JSON or do not fit the schema are
// reported with the JSON path of the first mismatch, so that a model can
// correct them; the function's own error is returned as it is.
func (t *FunctionTool) Call(ctx context.Context, arguments string) (string, error) {
	args := argumentsJSON(arguments)
	name := t.def.Function.Name
	if !json.Valid(args) {
		return "", fmt.Errorf("aione: tool %q: arguments are not valid JSON: %q", name, jsonExcerpt(args))
	}
	if err := schema.Validate(t.schema, args); err != nil {
		var ve *schema.ValidationError
		if errors.As(err, &ve) {
			return "", fmt.Errorf("aione: tool %q: arguments do not fit the schema: %s: %s", name, ve.Path, ve.Message)
		}
		return "", fmt.Errorf("aione: tool %q: checking arguments: %v", name, err)
	}
	return t.call(ctx, args)
}

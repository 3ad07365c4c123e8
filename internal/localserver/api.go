package localserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// apiError is an error answer of the API.
type apiError struct {
	status  int
	message string
	typ     string
	param   string
	code    string
}

func invalid(param, code, format string, args ...any) *apiError {
	return &apiError{
		status:  http.StatusBadRequest,
		message: fmt.Sprintf(format, args...),
		typ:     "invalid_request_error",
		param:   param,
		code:    code,
	}
}

var toolNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

var validRoles = map[string]bool{
	"system": true, "developer": true, "user": true, "assistant": true, "tool": true,
}

func (x *exchange) writeError(e *apiError) {
	x.setHeaders("application/json")
	if e.status == http.StatusMethodNotAllowed && x.w.Header().Get("Allow") == "" {
		x.w.Header().Set("Allow", http.MethodPost)
	}
	b := errorBody(e.message, e.typ, e.param, e.code)
	x.w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	x.w.WriteHeader(e.status)
	if x.fault != nil && x.fault.ResetAfterHeaders {
		x.reset(true)
		return
	}
	_, _ = x.w.Write(b)
}

// serveAPI routes, authenticates and validates the request, then serves
// the deterministic answer.
func (x *exchange) serveAPI() {
	r := x.r
	if r.URL.Path == x.s.cfg.basePath+"/models" {
		x.serveModels()
		return
	}
	want := x.s.cfg.basePath + "/chat/completions"
	if r.URL.Path != want {
		x.writeError(&apiError{
			status:  http.StatusNotFound,
			message: fmt.Sprintf("Unknown request URL: %s %s. Please check the URL for typos.", r.Method, r.URL.Path),
			typ:     "invalid_request_error",
			code:    "unknown_url",
		})
		return
	}
	if r.Method != http.MethodPost {
		x.writeError(&apiError{
			status:  http.StatusMethodNotAllowed,
			message: fmt.Sprintf("Method %s is not allowed for %s; use POST.", r.Method, r.URL.Path),
			typ:     "invalid_request_error",
			code:    "method_not_allowed",
		})
		return
	}
	if !x.authorized() {
		return
	}
	var req map[string]any
	dec := json.NewDecoder(bytes.NewReader(x.body))
	if err := dec.Decode(&req); err != nil || req == nil || dec.More() {
		x.writeError(invalid("", "invalid_json",
			"We could not parse the JSON body of your request. The body must be a JSON object."))
		return
	}
	p, apiErr := parseRequest(req)
	if apiErr != nil {
		x.writeError(apiErr)
		return
	}
	ans := x.buildAnswer(p)
	if p.stream {
		x.writeStream(p, ans)
		return
	}
	x.writeCompletion(p, ans)
}

// authorized checks the bearer key; it answers 401 and reports false when
// the key is wrong.
func (x *exchange) authorized() bool {
	if key := x.s.cfg.apiKey; key != "" && x.r.Header.Get("Authorization") != "Bearer "+key {
		x.writeError(&apiError{
			status:  http.StatusUnauthorized,
			message: "Invalid API key",
			typ:     "invalid_request_error",
			code:    "invalid_api_key",
		})
		return false
	}
	return true
}

// models are the models that GET {base}/models lists, with their owners.
var models = []struct{ ID, OwnedBy string }{
	{"claude-sonnet-4-6", "anthropic"},
	{"gemini-2.5-flash-image", "google"},
	{"gpt-4o", "openai"},
	{"deepseek-chat", "deepseek"},
}

// serveModels answers GET {base}/models with the list of models.
func (x *exchange) serveModels() {
	if x.r.Method != http.MethodGet {
		x.w.Header().Set("Allow", http.MethodGet)
		x.writeError(&apiError{
			status:  http.StatusMethodNotAllowed,
			message: fmt.Sprintf("Method %s is not allowed for %s; use GET.", x.r.Method, x.r.URL.Path),
			typ:     "invalid_request_error",
			code:    "method_not_allowed",
		})
		return
	}
	if !x.authorized() {
		return
	}
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	list := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list", Data: []model{}}
	for _, m := range models {
		list.Data = append(list.Data, model{ID: m.ID, Object: "model", Created: Created, OwnedBy: m.OwnedBy})
	}
	b, _ := marshal(list)
	x.setHeaders("application/json")
	x.w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	x.w.WriteHeader(http.StatusOK)
	_, _ = x.w.Write(b)
}

// chatRequest is the validated part of a request that answers depend on.
type chatRequest struct {
	model          string
	messages       []chatMessage
	n              int
	maxTokens      int
	stream         bool
	includeUsage   bool
	tools          []chatTool
	toolChoice     string // "", "none", "auto", "required" or "named"
	toolChoiceName string
	parallelCalls  bool
	responseFormat string
	jsonSchema     any
	aspectRatio    string
	imageSize      string
}

type chatMessage struct {
	role       string
	text       string
	toolCallID string
}

type chatTool struct {
	name       string
	parameters any
}

// isImageModel reports whether model is a Gemini image model.
func isImageModel(model string) bool {
	m := strings.ToLower(model)
	return strings.HasPrefix(m, "gemini-") && strings.Contains(m, "image")
}

// parseRequest validates a decoded request body.
func parseRequest(req map[string]any) (*chatRequest, *apiError) {
	p := &chatRequest{n: 1, parallelCalls: true}

	model, ok := req["model"].(string)
	if !ok || strings.TrimSpace(model) == "" {
		return nil, invalid("model", "missing_required_parameter", "you must provide a model parameter")
	}
	p.model = model

	msgs, ok := req["messages"].([]any)
	if !ok || len(msgs) == 0 {
		return nil, invalid("messages", "missing_required_parameter", "'messages' must be a non-empty array")
	}
	for i, raw := range msgs {
		m, ok := raw.(map[string]any)
		if !ok {
			return nil, invalid(fmt.Sprintf("messages[%d]", i), "invalid_type", "messages[%d] must be an object", i)
		}
		role, ok := m["role"].(string)
		if !ok || role == "" {
			return nil, invalid(fmt.Sprintf("messages[%d].role", i), "missing_required_parameter",
				"Missing required parameter: 'messages[%d].role'.", i)
		}
		if !validRoles[role] {
			return nil, invalid(fmt.Sprintf("messages[%d].role", i), "invalid_value",
				"Invalid value: '%s'. Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.", role)
		}
		msg := chatMessage{role: role, text: contentText(m["content"])}
		if role == "tool" {
			id, _ := m["tool_call_id"].(string)
			if id == "" {
				return nil, invalid(fmt.Sprintf("messages[%d].tool_call_id", i), "missing_required_parameter",
					"Missing required parameter: 'messages[%d].tool_call_id'.", i)
			}
			msg.toolCallID = id
		}
		p.messages = append(p.messages, msg)
	}

	if v, ok := req["temperature"]; ok && v != nil {
		t, ok := v.(float64)
		if !ok || t < 0 || t > 2 {
			return nil, invalid("temperature", "invalid_value", "temperature must be a number between 0 and 2, got %v", v)
		}
	}
	if v, ok := req["top_p"]; ok && v != nil {
		t, ok := v.(float64)
		if !ok || t < 0 || t > 1 {
			return nil, invalid("top_p", "invalid_value", "top_p must be a number between 0 and 1, got %v", v)
		}
	}
	if v, ok := req["n"]; ok && v != nil {
		n, ok := intValue(v)
		if !ok || n < 1 || n > 128 {
			return nil, invalid("n", "invalid_value", "n must be an integer between 1 and 128, got %v", v)
		}
		p.n = n
	}
	for _, name := range []string{"max_tokens", "max_completion_tokens"} {
		v, ok := req[name]
		if !ok || v == nil {
			continue
		}
		n, ok := intValue(v)
		if !ok || n < 1 {
			return nil, invalid(name, "invalid_value", "%s must be a positive integer, got %v", name, v)
		}
		if name == "max_completion_tokens" || p.maxTokens == 0 {
			p.maxTokens = n
		}
	}
	if v, ok := req["stream"]; ok && v != nil {
		b, ok := v.(bool)
		if !ok {
			return nil, invalid("stream", "invalid_type", "stream must be a boolean, got %v", v)
		}
		p.stream = b
	}
	if p.stream && isImageModel(p.model) {
		return nil, invalid("stream", "unsupported_value",
			"Streaming is not supported for image model '%s'; set stream to false.", p.model)
	}
	if so, ok := req["stream_options"].(map[string]any); ok {
		p.includeUsage, _ = so["include_usage"].(bool)
	}
	if v, ok := req["parallel_tool_calls"].(bool); ok {
		p.parallelCalls = v
	}

	if err := parseTools(req, p); err != nil {
		return nil, err
	}
	if err := parseResponseFormat(req, p); err != nil {
		return nil, err
	}
	p.aspectRatio, _ = req["aspect_ratio"].(string)
	p.imageSize, _ = req["image_size"].(string)
	return p, nil
}

func parseTools(req map[string]any, p *chatRequest) *apiError {
	if v, ok := req["tools"]; ok && v != nil {
		tools, ok := v.([]any)
		if !ok {
			return invalid("tools", "invalid_type", "tools must be an array")
		}
		for i, raw := range tools {
			t, _ := raw.(map[string]any)
			if typ, _ := t["type"].(string); typ != "function" {
				return invalid(fmt.Sprintf("tools[%d].type", i), "invalid_value",
					"tools[%d].type must be 'function'", i)
			}
			fn, ok := t["function"].(map[string]any)
			if !ok {
				return invalid(fmt.Sprintf("tools[%d].function", i), "missing_required_parameter",
					"Missing required parameter: 'tools[%d].function'.", i)
			}
			name, _ := fn["name"].(string)
			if !toolNameRE.MatchString(name) {
				return invalid(fmt.Sprintf("tools[%d].function.name", i), "invalid_value",
					"Invalid 'tools[%d].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]{1,64}$'.", i)
			}
			p.tools = append(p.tools, chatTool{name: name, parameters: fn["parameters"]})
		}
	}

	switch tc := req["tool_choice"].(type) {
	case nil:
	case string:
		switch tc {
		case "none", "auto", "required":
			p.toolChoice = tc
		default:
			return invalid("tool_choice", "invalid_value",
				"Invalid value: '%s'. Supported values are: 'none', 'auto' and 'required'.", tc)
		}
	case map[string]any:
		fn, _ := tc["function"].(map[string]any)
		name, _ := fn["name"].(string)
		if name == "" {
			return invalid("tool_choice", "invalid_value", "tool_choice must name a function")
		}
		found := false
		for _, t := range p.tools {
			found = found || t.name == name
		}
		if !found {
			return invalid("tool_choice", "invalid_value",
				"Invalid value for 'tool_choice': no function named '%s' was specified in the 'tools' parameter.", name)
		}
		p.toolChoice, p.toolChoiceName = "named", name
	default:
		return invalid("tool_choice", "invalid_type", "tool_choice must be a string or an object")
	}
	if p.toolChoice == "required" && len(p.tools) == 0 {
		return invalid("tool_choice", "invalid_value", "tool_choice 'required' needs at least one tool")
	}
	return nil
}

func parseResponseFormat(req map[string]any, p *chatRequest) *apiError {
	v, ok := req["response_format"]
	if !ok || v == nil {
		return nil
	}
	rf, ok := v.(map[string]any)
	if !ok {
		return invalid("response_format", "invalid_type", "response_format must be an object")
	}
	typ, _ := rf["type"].(string)
	switch typ {
	case "text", "json_object":
	case "json_schema":
		js, ok := rf["json_schema"].(map[string]any)
		if !ok {
			return invalid("response_format.json_schema", "missing_required_parameter",
				"Missing required parameter: 'response_format.json_schema'.")
		}
		p.jsonSchema = js["schema"]
	default:
		return invalid("response_format.type", "invalid_value",
			"Invalid value: '%s'. Supported values are: 'text', 'json_object' and 'json_schema'.", typ)
	}
	p.responseFormat = typ
	return nil
}

// intValue converts a JSON number holding an integer.
func intValue(v any) (int, bool) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return 0, false
	}
	return int(f), true
}

// contentText returns the text of a message content: the string itself, or
// the text parts of an array joined by spaces.
func contentText(v any) string {
	switch c := v.(type) {
	case string:
		return c
	case []any:
		var parts []string
		for _, raw := range c {
			part, _ := raw.(map[string]any)
			if typ, _ := part["type"].(string); typ == "text" {
				if t, ok := part["text"].(string); ok {
					parts = append(parts, t)
				}
			}
		}
		return strings.Join(parts, " ")
	}
	return ""
}

package aione

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// The request encoder writes a whole [ChatRequest] into one buffer, the
// bytes [ChatRequest.MarshalJSON] (through json.Marshal) would produce:
// the same members in the same order, strings escaped as encoding/json
// escapes them (HTML characters, U+2028 and U+2029, invalid UTF-8 as
// U+FFFD), numbers formatted alike, raw JSON values checked and compacted.
// The MarshalJSON methods stay for callers who marshal values themselves
// and are the oracle of the differential tests and the fuzz target
// (encode_test.go); the send path uses this encoder only, because
// encoding/json validates and compacts again the output of every nested
// MarshalJSON, which made long conversations slow.

// encodeRequest returns r's JSON body in a buffer sized for it.
func encodeRequest(r *ChatRequest) ([]byte, error) {
	return appendRequest(make([]byte, 0, requestSize(r)), r)
}

// requestSize estimates the size of r's body: the lengths of its strings,
// a fixed allowance for the syntax of each object, and an eighth more for
// escapes, so that encoding rarely grows the buffer and seldom leaves
// much of it unused.
func requestSize(r *ChatRequest) int {
	n := 128 + len(r.Model) + len(r.User)
	for i := range r.Messages {
		m := &r.Messages[i]
		n += 48 + len(m.Role) + len(m.Name) + len(m.ToolCallID) + len(m.Refusal) + len(m.ReasoningContent) + len(m.Content.text)
		for j := range m.Content.parts {
			p := &m.Content.parts[j]
			n += 32 + len(p.Type) + len(p.Text) + len(p.Refusal) + extraSize(p.Extra)
			if p.ImageURL != nil {
				n += 32 + len(p.ImageURL.URL)
			}
			if p.InputAudio != nil {
				n += 32 + len(p.InputAudio.Data)
			}
			if p.File != nil {
				n += 48 + len(p.File.FileData) + len(p.File.FileID) + len(p.File.Filename)
			}
		}
		for j := range m.ToolCalls {
			c := &m.ToolCalls[j]
			n += 64 + len(c.ID) + len(c.Type) + len(c.Function.Name) + len(c.Function.Arguments) + extraSize(c.Extra)
		}
		n += extraSize(m.Extra)
	}
	for i := range r.Tools {
		f := &r.Tools[i].Function
		n += 96 + len(f.Name) + len(f.Description) + len(f.Parameters)
	}
	if r.ResponseFormat != nil && r.ResponseFormat.JSONSchema != nil {
		s := r.ResponseFormat.JSONSchema
		n += 64 + len(s.Name) + len(s.Description) + len(s.Schema)
	}
	for _, s := range r.Stop {
		n += 4 + len(s)
	}
	return n + n/8
}

func extraSize(extra map[string]json.RawMessage) int {
	n := 0
	for k, v := range extra {
		n += 4 + len(k) + len(v)
	}
	return n
}

// appendRequest appends r's JSON body to dst.
func appendRequest(dst []byte, r *ChatRequest) ([]byte, error) {
	w := requestWriter{dst: append(dst, '{'), extra: r.Extra}
	if len(r.Extra) > 0 {
		w.named = make(map[string]bool, len(r.Extra))
	}
	if w.member("model") {
		w.dst = appendString(w.dst, r.Model)
	}
	if w.member("messages") {
		w.messages(r.Messages, r.ReasoningReplay)
	}
	w.float("temperature", r.Temperature)
	w.float("top_p", r.TopP)
	w.int("top_k", r.TopK)
	w.int("max_tokens", r.MaxTokens)
	w.int("max_completion_tokens", r.MaxCompletionTokens)
	if len(r.Stop) > 0 && w.member("stop") {
		w.dst = append(w.dst, '[')
		for i, s := range r.Stop {
			if i > 0 {
				w.dst = append(w.dst, ',')
			}
			w.dst = appendString(w.dst, s)
		}
		w.dst = append(w.dst, ']')
	}
	if r.Seed != nil && w.member("seed") {
		w.dst = strconv.AppendInt(w.dst, *r.Seed, 10)
	}
	w.int("n", r.N)
	w.float("presence_penalty", r.PresencePenalty)
	w.float("frequency_penalty", r.FrequencyPenalty)
	if len(r.LogitBias) > 0 && w.member("logit_bias") {
		w.dst = appendMap(w.dst, r.LogitBias, func(dst []byte, v int) []byte { return strconv.AppendInt(dst, int64(v), 10) })
	}
	w.bool("logprobs", r.Logprobs)
	w.int("top_logprobs", r.TopLogprobs)
	w.string("user", r.User)
	w.string("reasoning_effort", r.ReasoningEffort)
	w.string("service_tier", r.ServiceTier)
	if len(r.Metadata) > 0 && w.member("metadata") {
		w.dst = appendMap(w.dst, r.Metadata, appendString)
	}
	w.string("aspect_ratio", r.AspectRatio)
	w.string("image_size", r.ImageSize)
	if r.ResponseFormat != nil && w.member("response_format") {
		w.dst, w.err = appendResponseFormat(w.dst, r.ResponseFormat)
	}
	if len(r.Tools) > 0 && w.member("tools") {
		w.tools(r.Tools)
	}
	if c := r.ToolChoice; c != nil && w.member("tool_choice") {
		if c.function == "" {
			w.dst = appendString(w.dst, c.mode)
		} else {
			w.dst = append(w.dst, `{"function":{"name":`...)
			w.dst = appendString(w.dst, c.function)
			w.dst = append(w.dst, `},"type":"function"}`...)
		}
	}
	w.bool("parallel_tool_calls", r.ParallelToolCalls)
	if r.Stream && w.member("stream") {
		w.dst = append(w.dst, "true"...)
	}
	if o := r.StreamOptions; o != nil && w.member("stream_options") {
		w.dst = append(w.dst, `{"include_usage":`...)
		w.dst = strconv.AppendBool(w.dst, o.IncludeUsage)
		w.dst = append(w.dst, '}')
	}
	w.rest()
	if w.err != nil {
		return nil, w.err
	}
	return append(w.dst, '}'), nil
}

// requestWriter writes the members of a request object, merging the
// request's Extra fields as [ChatRequest.MarshalJSON] does: a named field
// keeps its place with the new value, a nil value removes it, and the
// other fields follow in key order ([requestWriter.rest]).
type requestWriter struct {
	dst   []byte
	err   error
	extra map[string]any
	named map[string]bool // the named fields written, when there is extra
}

// member starts the named member k and reports whether the caller writes
// its value: it does not when an Extra field replaces or removes it, or
// after an error.
func (w *requestWriter) member(k string) bool {
	if w.err != nil {
		return false
	}
	v, ok := w.extra[k]
	if ok {
		w.named[k] = true
		if v == nil {
			return false
		}
	}
	if w.dst[len(w.dst)-1] != '{' {
		w.dst = append(w.dst, ',')
	}
	w.dst = append(w.dst, '"')
	w.dst = append(w.dst, k...)
	w.dst = append(w.dst, '"', ':')
	if ok {
		w.dst, w.err = appendExtraField(w.dst, k, v)
		return false
	}
	return true
}

// rest writes the Extra fields that replaced no named field, in key
// order.
func (w *requestWriter) rest() {
	if len(w.extra) == 0 || w.err != nil {
		return
	}
	for _, k := range slices.Sorted(maps.Keys(w.extra)) {
		v := w.extra[k]
		if w.named[k] || v == nil {
			continue
		}
		if w.dst[len(w.dst)-1] != '{' {
			w.dst = append(w.dst, ',')
		}
		w.dst = appendString(w.dst, k)
		w.dst = append(w.dst, ':')
		if w.dst, w.err = appendExtraField(w.dst, k, v); w.err != nil {
			return
		}
	}
}

func (w *requestWriter) float(k string, f *float64) {
	if f != nil && w.member(k) {
		w.dst, w.err = appendFloat(w.dst, *f)
	}
}

func (w *requestWriter) int(k string, i *int) {
	if i != nil && w.member(k) {
		w.dst = strconv.AppendInt(w.dst, int64(*i), 10)
	}
}

func (w *requestWriter) bool(k string, b *bool) {
	if b != nil && w.member(k) {
		w.dst = strconv.AppendBool(w.dst, *b)
	}
}

// string writes a string member, omitted when empty.
func (w *requestWriter) string(k, s string) {
	if s != "" && w.member(k) {
		w.dst = appendString(w.dst, s)
	}
}

func (w *requestWriter) messages(msgs []Message, replay ReasoningReplay) {
	if msgs == nil {
		w.dst = append(w.dst, "null"...)
		return
	}
	w.dst = append(w.dst, '[')
	for i := range msgs {
		if i > 0 {
			w.dst = append(w.dst, ',')
		}
		if w.dst, w.err = appendMessage(w.dst, &msgs[i], replay); w.err != nil {
			return
		}
	}
	w.dst = append(w.dst, ']')
}

func (w *requestWriter) tools(tools []Tool) {
	w.dst = append(w.dst, '[')
	for i := range tools {
		if i > 0 {
			w.dst = append(w.dst, ',')
		}
		if w.dst, w.err = appendTool(w.dst, &tools[i]); w.err != nil {
			return
		}
	}
	w.dst = append(w.dst, ']')
}

// appendExtraField appends the value of the Extra field k: raw JSON
// checked and compacted, anything else as encoding/json encodes it.
func appendExtraField(dst []byte, k string, v any) ([]byte, error) {
	var err error
	if raw, ok := v.(json.RawMessage); ok {
		if raw == nil {
			return append(dst, "null"...), nil
		}
		if dst, err = appendRaw(dst, raw); err == nil {
			return dst, nil
		}
	} else {
		var b []byte
		if b, err = json.Marshal(v); err == nil {
			return append(dst, b...), nil
		}
	}
	return nil, fmt.Errorf("extra field %q: %v", k, err)
}

// appendMap appends a map with string keys as encoding/json does: its
// members in key order.
func appendMap[V any](dst []byte, m map[string]V, value func([]byte, V) []byte) []byte {
	dst = append(dst, '{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = value(dst, m[k])
	}
	return append(dst, '}')
}

// appendMessage appends m as [Message.MarshalJSON] writes it, its
// reasoning text only if replay sends it.
func appendMessage(dst []byte, m *Message, replay ReasoningReplay) ([]byte, error) {
	var err error
	dst = append(dst, `{"role":`...)
	dst = appendString(dst, m.Role)
	dst = append(dst, `,"content":`...)
	switch m.Content.kind {
	case contentText:
		dst = appendString(dst, m.Content.text)
	case contentParts:
		if dst, err = appendParts(dst, m.Content.parts); err != nil {
			return nil, err
		}
	default:
		dst = append(dst, "null"...)
	}
	dst = appendMember(dst, "name", m.Name)
	if len(m.ToolCalls) > 0 {
		dst = append(dst, `,"tool_calls":[`...)
		for i := range m.ToolCalls {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendToolCall(dst, &m.ToolCalls[i]); err != nil {
				return nil, err
			}
		}
		dst = append(dst, ']')
	}
	dst = appendMember(dst, "tool_call_id", m.ToolCallID)
	dst = appendMember(dst, "refusal", m.Refusal)
	reasoning := replay.sends(m)
	if reasoning {
		dst = appendMember(dst, "reasoning_content", m.ReasoningContent)
	}
	if len(m.Extra) == 0 {
		return append(dst, '}'), nil
	}
	dst, err = appendExtra(dst, m.Extra, func(k string) bool {
		switch k {
		case "role", "content":
			return true
		case "name":
			return m.Name != ""
		case "tool_calls":
			return len(m.ToolCalls) > 0
		case "tool_call_id":
			return m.ToolCallID != ""
		case "refusal":
			return m.Refusal != ""
		case "reasoning_content":
			return reasoning
		}
		return false
	})
	if err != nil {
		return nil, err
	}
	return append(dst, '}'), nil
}

// appendParts appends array content.
func appendParts(dst []byte, parts []ContentPart) ([]byte, error) {
	if parts == nil {
		return append(dst, "null"...), nil
	}
	var err error
	dst = append(dst, '[')
	for i := range parts {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = appendPart(dst, &parts[i]); err != nil {
			return nil, err
		}
	}
	return append(dst, ']'), nil
}

// appendPart appends p as [ContentPart.MarshalJSON] writes it.
func appendPart(dst []byte, p *ContentPart) ([]byte, error) {
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, p.Type)
	dst = appendMember(dst, "text", p.Text)
	if u := p.ImageURL; u != nil {
		dst = append(dst, `,"image_url":{"url":`...)
		dst = appendString(dst, u.URL)
		dst = appendMember(dst, "detail", u.Detail)
		dst = append(dst, '}')
	}
	if a := p.InputAudio; a != nil {
		dst = append(dst, `,"input_audio":{"data":`...)
		dst = appendString(dst, a.Data)
		dst = append(dst, `,"format":`...)
		dst = appendString(dst, a.Format)
		dst = append(dst, '}')
	}
	if f := p.File; f != nil {
		dst = append(dst, `,"file":`...)
		dst = appendFile(dst, f)
	}
	dst = appendMember(dst, "refusal", p.Refusal)
	if len(p.Extra) == 0 {
		return append(dst, '}'), nil
	}
	dst, err := appendExtra(dst, p.Extra, func(k string) bool {
		switch k {
		case "type":
			return true
		case "text":
			return p.Text != ""
		case "image_url":
			return p.ImageURL != nil
		case "input_audio":
			return p.InputAudio != nil
		case "file":
			return p.File != nil
		case "refusal":
			return p.Refusal != ""
		}
		return false
	})
	if err != nil {
		return nil, err
	}
	return append(dst, '}'), nil
}

// appendFile appends f, whose members are all optional.
func appendFile(dst []byte, f *File) []byte {
	dst = append(dst, '{')
	open := len(dst)
	dst = appendMember(dst, "file_data", f.FileData)
	dst = appendMember(dst, "file_id", f.FileID)
	dst = appendMember(dst, "filename", f.Filename)
	if len(dst) > open {
		// appendMember put a comma before the first member too.
		dst = append(dst[:open], dst[open+1:]...)
	}
	return append(dst, '}')
}

// appendToolCall appends c as [ToolCall.MarshalJSON] writes it.
func appendToolCall(dst []byte, c *ToolCall) ([]byte, error) {
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, c.ID)
	dst = append(dst, `,"type":`...)
	dst = appendString(dst, c.Type)
	dst = append(dst, `,"function":{"name":`...)
	dst = appendString(dst, c.Function.Name)
	dst = append(dst, `,"arguments":`...)
	dst = appendString(dst, c.Function.Arguments)
	dst = append(dst, '}')
	if len(c.Extra) == 0 {
		return append(dst, '}'), nil
	}
	dst, err := appendExtra(dst, c.Extra, func(k string) bool {
		return k == "id" || k == "type" || k == "function"
	})
	if err != nil {
		return nil, err
	}
	return append(dst, '}'), nil
}

// appendTool appends t as [Tool.MarshalJSON] writes it.
func appendTool(dst []byte, t *Tool) ([]byte, error) {
	typ := t.Type
	if typ == "" {
		typ = "function"
	}
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, typ)
	dst = append(dst, `,"function":{"name":`...)
	f := &t.Function
	dst = appendString(dst, f.Name)
	dst = appendMember(dst, "description", f.Description)
	var err error
	if len(f.Parameters) > 0 {
		dst = append(dst, `,"parameters":`...)
		if dst, err = appendRaw(dst, f.Parameters); err != nil {
			return nil, err
		}
	}
	if f.Strict != nil {
		dst = append(dst, `,"strict":`...)
		dst = strconv.AppendBool(dst, *f.Strict)
	}
	return append(dst, '}', '}'), nil
}

// appendResponseFormat appends f as encoding/json writes it.
func appendResponseFormat(dst []byte, f *ResponseFormat) ([]byte, error) {
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, f.Type)
	if s := f.JSONSchema; s != nil {
		dst = append(dst, `,"json_schema":{"name":`...)
		dst = appendString(dst, s.Name)
		dst = appendMember(dst, "description", s.Description)
		if len(s.Schema) > 0 {
			dst = append(dst, `,"schema":`...)
			var err error
			if dst, err = appendRaw(dst, s.Schema); err != nil {
				return nil, err
			}
		}
		if s.Strict != nil {
			dst = append(dst, `,"strict":`...)
			dst = strconv.AppendBool(dst, *s.Strict)
		}
		dst = append(dst, '}')
	}
	return append(dst, '}'), nil
}

// appendMember appends ,"k":"v" unless v is empty (omitempty). k must need
// no escaping.
func appendMember(dst []byte, k, v string) []byte {
	if v == "" {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, k...)
	dst = append(dst, '"', ':')
	return appendString(dst, v)
}

// appendExtra appends the members of extra that named does not claim, in
// key order, each after a comma, as spliceExtra (the reference) does.
func appendExtra(dst []byte, extra map[string]json.RawMessage, named func(string) bool) ([]byte, error) {
	var buf [8]string
	keys := buf[:0]
	for k := range extra {
		if !named(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var err error
	for _, k := range keys {
		dst = append(dst, ',')
		dst = appendString(dst, k)
		dst = append(dst, ':')
		if dst, err = appendRaw(dst, extra[k]); err != nil {
			return nil, fmt.Errorf("extra member %q is not valid JSON", k)
		}
	}
	return dst, nil
}

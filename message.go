package aione

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Message is one message of a conversation, sent in a request or received
// in an answer. Build request messages with [SystemMessage],
// [DeveloperMessage], [UserMessage], [AssistantMessage] and [ToolMessage];
// an answer's message can be appended to the conversation as it is.
type Message struct {
	// Role is "system", "developer", "user", "assistant" or "tool".
	Role string
	// Content is the message's text, its parts, or null.
	Content Content
	// Name optionally tells apart participants of the same role.
	Name string
	// ToolCalls are the tools an assistant message asks to run.
	ToolCalls []ToolCall
	// ToolCallID is the call a tool message answers.
	ToolCallID string
	// Refusal is the model's refusal message, if it refused.
	Refusal string
	// ReasoningContent is the reasoning text some models return beside
	// the answer (reasoning_content or reasoning). Whether a request sends
	// it back is the request's [ReasoningReplay] choice (see
	// [WithReasoningReplay]); [Message.MarshalJSON] alone always writes it.
	ReasoningContent string
	// Images are the images some gateways return in an "images" array
	// beside the content. They are received but not sent back. See
	// [ChatResponse.Images] for all the images of an answer.
	Images []ContentPart
	// Extra holds the message's JSON members that the fields above do not
	// name (provider extensions), each as its raw JSON value. Members
	// decoded from an answer are kept here and sent again when the message
	// is sent; a caller may add its own. A named field wins over an Extra
	// member of the same name. Values must be valid JSON.
	Extra map[string]json.RawMessage
}

// SystemMessage returns a system message with text content.
func SystemMessage(text string) Message {
	return Message{Role: RoleSystem, Content: TextContent(text)}
}

// DeveloperMessage returns a developer message, the newer name for system
// instructions, with text content.
func DeveloperMessage(text string) Message {
	return Message{Role: RoleDeveloper, Content: TextContent(text)}
}

// UserMessage returns a user message. With no parts its content is the text;
// with parts (images, audio, files, see [ImageURLPart] and its kin) its
// content is an array: the text as a first part, if not empty, then the
// parts.
func UserMessage(text string, parts ...ContentPart) Message {
	if len(parts) == 0 {
		return Message{Role: RoleUser, Content: TextContent(text)}
	}
	all := make([]ContentPart, 0, len(parts)+1)
	if text != "" {
		all = append(all, TextPart(text))
	}
	return Message{Role: RoleUser, Content: PartsContent(append(all, parts...)...)}
}

// AssistantMessage returns an assistant message with text content, for
// giving the model earlier turns of a conversation. To continue after an
// answer, append the answer's own message instead: it keeps tool calls.
func AssistantMessage(text string) Message {
	return Message{Role: RoleAssistant, Content: TextContent(text)}
}

// ToolMessage returns the result of the tool call with the given ID.
func ToolMessage(toolCallID, content string) Message {
	return Message{Role: RoleTool, Content: TextContent(content), ToolCallID: toolCallID}
}

type messageJSON struct {
	Role             string        `json:"role"`
	Content          Content       `json:"content"`
	Name             string        `json:"name,omitempty"`
	ToolCalls        []ToolCall    `json:"tool_calls,omitempty"`
	ToolCallID       string        `json:"tool_call_id,omitempty"`
	Refusal          string        `json:"refusal,omitempty"`
	ReasoningContent string        `json:"reasoning_content,omitempty"`
	Reasoning        string        `json:"reasoning,omitempty"`
	Images           []ContentPart `json:"images,omitempty"`
}

// MarshalJSON encodes the message as a request message, with its
// reasoning text and its Extra members (Images are not sent).
func (m Message) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(messageJSON{
		Role:             m.Role,
		Content:          m.Content,
		Name:             m.Name,
		ToolCalls:        m.ToolCalls,
		ToolCallID:       m.ToolCallID,
		Refusal:          m.Refusal,
		ReasoningContent: m.ReasoningContent,
	})
	if err != nil {
		return nil, err
	}
	return spliceExtra(b, m.Extra)
}

// spliceExtra adds to the JSON object b the members of extra whose keys b
// does not already have, in key order: named fields win. It is the
// reference for how every hand-written encoder writes Extra members.
func spliceExtra(b []byte, extra map[string]json.RawMessage) ([]byte, error) {
	if len(extra) == 0 {
		return b, nil
	}
	var named map[string]json.RawMessage
	if err := json.Unmarshal(b, &named); err != nil {
		return nil, err
	}
	out := b[:len(b)-1] // drop '}'
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		if _, ok := named[k]; ok {
			continue
		}
		v := extra[k]
		if !json.Valid(v) {
			return nil, fmt.Errorf("aione: extra member %q is not valid JSON", k)
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		kb, _ := json.Marshal(k)
		out = append(out, kb...)
		out = append(out, ':')
		var buf bytes.Buffer
		_ = json.Compact(&buf, v)
		out = append(out, buf.Bytes()...)
	}
	return append(out, '}'), nil
}

// UnmarshalJSON decodes a message whatever shape its content has.
func (m *Message) UnmarshalJSON(data []byte) error {
	// The usual shapes are read in one pass (chat_decode.go), the others
	// by encoding/json.
	if decodeMessage(data, m) {
		return nil
	}
	var w messageJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	extra, err := unknownMembers(data, messageKeys.Names())
	if err != nil {
		return err
	}
	*m = Message{
		Extra:            extra,
		Role:             w.Role,
		Content:          w.Content,
		Name:             w.Name,
		ToolCalls:        w.ToolCalls,
		ToolCallID:       w.ToolCallID,
		Refusal:          w.Refusal,
		ReasoningContent: w.ReasoningContent,
		Images:           w.Images,
	}
	if m.ReasoningContent == "" {
		m.ReasoningContent = w.Reasoning
	}
	return nil
}

// Content is a message's content: text, an array of parts, or null (an
// assistant message that only calls tools). The zero Content is null.
type Content struct {
	text  string
	parts []ContentPart
	kind  contentKind
}

type contentKind uint8

const (
	contentNull contentKind = iota
	contentText
	contentParts
)

// TextContent returns content that is the text s.
func TextContent(s string) Content { return Content{text: s, kind: contentText} }

// PartsContent returns content that is an array of parts.
func PartsContent(parts ...ContentPart) Content {
	if parts == nil {
		parts = []ContentPart{}
	}
	return Content{parts: parts, kind: contentParts}
}

// IsNull reports whether the content is null.
func (c Content) IsNull() bool { return c.kind == contentNull }

// IsParts reports whether the content is an array of parts.
func (c Content) IsParts() bool { return c.kind == contentParts }

// Text returns the text of the content: the string, or the text parts of
// an array joined together.
func (c Content) Text() string {
	if c.kind != contentParts {
		return c.text
	}
	var b strings.Builder
	for _, p := range c.parts {
		if p.Type == PartText {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// Parts returns the parts of array content, or nil for text or null
// content. The slice is the content's own: do not modify it.
func (c Content) Parts() []ContentPart { return c.parts }

// String returns the same as [Content.Text].
func (c Content) String() string { return c.Text() }

// Equal reports whether c and o are the same content. go-cmp uses it.
func (c Content) Equal(o Content) bool {
	if c.kind != o.kind || c.text != o.text || len(c.parts) != len(o.parts) {
		return false
	}
	for i := range c.parts {
		if !c.parts[i].equal(o.parts[i]) {
			return false
		}
	}
	return true
}

// MarshalJSON encodes text as a string, parts as an array, null as null.
func (c Content) MarshalJSON() ([]byte, error) {
	switch c.kind {
	case contentText:
		return json.Marshal(c.text)
	case contentParts:
		return json.Marshal(c.parts)
	}
	return []byte("null"), nil
}

// UnmarshalJSON decodes a string, an array of parts, or null. A single part
// object, sent by a few gateways, is read as an array of one.
func (c *Content) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return errors.New("aione: empty content")
	}
	// The usual shapes are read in one pass (chat_decode.go), the others
	// by encoding/json.
	if v, ok := decodeContent(data); ok {
		*c = v
		return nil
	}
	switch data[0] {
	case 'n':
		*c = Content{}
		return nil
	case '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*c = TextContent(s)
		return nil
	case '[':
		var parts []ContentPart
		if err := json.Unmarshal(data, &parts); err != nil {
			return err
		}
		*c = PartsContent(parts...)
		return nil
	case '{':
		var p ContentPart
		if err := json.Unmarshal(data, &p); err != nil {
			return err
		}
		*c = PartsContent(p)
		return nil
	}
	return errors.New("aione: content is not a string, an array or null")
}

// Content part types.
const (
	PartText       = "text"
	PartImageURL   = "image_url"
	PartInputAudio = "input_audio"
	PartFile       = "file"
	PartRefusal    = "refusal"
)

// ContentPart is one part of array content. Type says which of the other
// fields is set.
type ContentPart struct {
	Type       string      `json:"type"`
	Text       string      `json:"text,omitempty"`
	ImageURL   *ImageURL   `json:"image_url,omitempty"`
	InputAudio *InputAudio `json:"input_audio,omitempty"`
	File       *File       `json:"file,omitempty"`
	Refusal    string      `json:"refusal,omitempty"`
	// Extra holds the part's JSON members that the fields above do not
	// name, such as Claude's "cache_control", as raw JSON values. They are
	// kept from answers and sent with the part; a named field wins over an
	// Extra member of the same name.
	Extra map[string]json.RawMessage `json:"-"`
}

type contentPartJSON ContentPart // without the MarshalJSON method

// MarshalJSON encodes the part with its Extra members.
func (p ContentPart) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(contentPartJSON(p))
	if err != nil {
		return nil, err
	}
	return spliceExtra(b, p.Extra)
}

// UnmarshalJSON decodes a part, keeping the members the type does not
// name in Extra.
func (p *ContentPart) UnmarshalJSON(data []byte) error {
	if isNull(data) {
		return nil
	}
	var w contentPartJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	extra, err := unknownMembers(data, partKeys.Names())
	if err != nil {
		return err
	}
	*p = ContentPart(w)
	p.Extra = extra
	return nil
}

func (p ContentPart) equal(o ContentPart) bool {
	return p.Type == o.Type && p.Text == o.Text && p.Refusal == o.Refusal &&
		ptrEqual(p.ImageURL, o.ImageURL) && ptrEqual(p.InputAudio, o.InputAudio) && ptrEqual(p.File, o.File)
}

func ptrEqual[T comparable](a, b *T) bool {
	return a == b || a != nil && b != nil && *a == *b
}

// ImageURL is an image given by URL, which may be a data URL.
type ImageURL struct {
	URL string `json:"url"`
	// Detail is "auto", "low" or "high"; empty sends none.
	Detail string `json:"detail,omitempty"`
}

// InputAudio is audio given inline, base64-encoded.
type InputAudio struct {
	Data   string `json:"data"`
	Format string `json:"format"`
}

// File is a file given inline as a data URL, or by the ID of an uploaded
// file.
type File struct {
	FileData string `json:"file_data,omitempty"`
	FileID   string `json:"file_id,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// TextPart returns a text part.
func TextPart(text string) ContentPart { return ContentPart{Type: PartText, Text: text} }

// ImageURLPart returns an image part for an image at url, which may be an
// https URL or a data URL.
func ImageURLPart(url string) ContentPart {
	return ContentPart{Type: PartImageURL, ImageURL: &ImageURL{URL: url}}
}

// ImageDataPart returns an image part holding the image's bytes as a data
// URL, with mimeType such as "image/png".
func ImageDataPart(data []byte, mimeType string) ContentPart {
	return ImageURLPart(dataURL(mimeType, data))
}

// AudioPart returns an input audio part holding the audio's bytes, with
// format such as "wav" or "mp3".
func AudioPart(data []byte, format string) ContentPart {
	return ContentPart{Type: PartInputAudio, InputAudio: &InputAudio{Data: base64.StdEncoding.EncodeToString(data), Format: format}}
}

// FilePart returns a file part holding the file's bytes as a data URL, with
// its name and MIME type such as "application/pdf".
func FilePart(filename string, data []byte, mimeType string) ContentPart {
	return ContentPart{Type: PartFile, File: &File{FileData: dataURL(mimeType, data), Filename: filename}}
}

// FileIDPart returns a file part for an uploaded file's ID.
func FileIDPart(id string) ContentPart {
	return ContentPart{Type: PartFile, File: &File{FileID: id}}
}

func dataURL(mimeType string, data []byte) string {
	var b strings.Builder
	b.Grow(len("data:;base64,") + len(mimeType) + base64.StdEncoding.EncodedLen(len(data)))
	b.WriteString("data:")
	b.WriteString(mimeType)
	b.WriteString(";base64,")
	enc := base64.NewEncoder(base64.StdEncoding, &b)
	_, _ = enc.Write(data)
	_ = enc.Close()
	return b.String()
}

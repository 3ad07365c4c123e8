package aione

import (
	"encoding/json"
	"unsafe"

	"github.com/aione/aione-go/internal/jsonlex"
)

// Decoding a chat answer: a chat.completion body into a [ChatResponse].
//
// [decodeChat] reads the usual shapes of an answer straight from its bytes,
// with the primitives of chunk.go, and hands any other shape to
// [decodeChatJSON], which uses encoding/json, so that the result is always
// the reference decoder's. Messages are read by the same code when
// encoding/json decodes them elsewhere (see [Message.UnmarshalJSON]).

// decodeChatJSON decodes data with encoding/json. It is the reference
// decoder: the fast path must agree with it on every input. It returns the
// raw "error" member, and no response, when the answer holds a non-null
// one.
func decodeChatJSON(data []byte) (r *ChatResponse, errField []byte, err error) {
	var out struct {
		ChatResponse
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, nil, err
	}
	if len(out.Error) > 0 && !isNull(out.Error) {
		return nil, out.Error, nil
	}
	return &out.ChatResponse, nil, nil
}

// decodeChat decodes the chat answer data as [decodeChatJSON] does. The
// strings of the response may point into data, which must not be modified
// afterwards (see [answerDecoder]); errField, when there is one, is part of
// data.
func decodeChat(data []byte) (r *ChatResponse, errField []byte, err error) {
	d := answerDecoder{alias: true}
	if r, errField, ok := d.answer(data); ok {
		return r, errField, nil
	}
	return decodeChatJSON(data)
}

// answerDecoder reads the values of a chat answer. Each method reads the
// value starting at b[i] (a byte that is not white space: the callers
// check i < len(b)) and returns the index just past it, or -1 to give up
// when the value has a shape the fast path does not know or is not valid
// JSON; then what it wrote is garbage. The objects are read by loops of
// the same shape as in chunk.go, which give up on duplicate keys and on
// keys encoding/json would match ignoring case.
type answerDecoder struct {
	// alias lets a string without escapes point into the bytes it was
	// read from instead of being copied. [decodeChat] sets it: its
	// caller gives it a private copy of the body that nothing writes to,
	// so the strings never change, and an answer costs one copy of the
	// body rather than one allocation per string. An UnmarshalJSON
	// method must copy (its caller may reuse the bytes), so it does not.
	alias bool
}

// chatBlock is a ChatResponse with room for one choice, so that the usual
// answer costs one allocation for both.
type chatBlock struct {
	resp ChatResponse
	one  [1]Choice
}

// The objects of an answer and their keys, in the order of the constants
// that name them. The answer's own keys are those of a chunk (chunkKeys)
// and a function's are functionKeys.
var (
	answerChoiceKeys = newKeyTable("index", "message", "finish_reason", "logprobs")
	messageKeys      = newKeyTable("role", "content", "name", "tool_calls", "tool_call_id", "refusal", "reasoning_content", "reasoning", "images")
	answerCallKeys   = newKeyTable("id", "type", "function")
	partKeys         = newKeyTable("type", "text", "image_url", "input_audio", "file", "refusal")
	imageURLKeys     = newKeyTable("url", "detail")
	inputAudioKeys   = newKeyTable("data", "format")
	fileKeys         = newKeyTable("file_data", "file_id", "filename")
)

const (
	answerChoiceIndex = iota
	answerChoiceMessage
	answerChoiceFinishReason
	answerChoiceLogprobs
)

const (
	messageRole = iota
	messageContent
	messageName
	messageToolCalls
	messageToolCallID
	messageRefusal
	messageReasoningContent
	messageReasoning
	messageImages
)

const (
	answerCallID = iota
	answerCallType
	answerCallFunction
)

const (
	partType = iota
	partText
	partImageURL
	partInputAudio
	partFile
	partRefusal
)

// answer decodes the chat answer b if it has a shape the fast path knows
// and is valid JSON. It reports false otherwise, and then the reference
// decoder must decide. It returns the raw "error" member, and no response,
// when the answer holds a non-null one.
func (d answerDecoder) answer(b []byte) (r *ChatResponse, errField []byte, ok bool) {
	i := jsonlex.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, nil, false
	}
	blk := new(chatBlock)
	r = &blk.resp
	var seen uint16
	i, more := openObject(b, i)
	for more {
		k, key, j := chunkKeys.keyOnce(b, i, &seen)
		if j < 0 {
			return nil, nil, false
		}
		switch k {
		case chunkID:
			j = d.stringValue(b, j, &r.ID)
		case chunkObject:
			j = d.stringValue(b, j, &r.Object)
		case chunkCreated:
			j = int64Value(b, j, &r.Created)
		case chunkModel:
			j = d.stringValue(b, j, &r.Model)
		case chunkFingerprint:
			j = d.stringValue(b, j, &r.SystemFingerprint)
		case chunkTier:
			j = d.stringValue(b, j, &r.ServiceTier)
		case chunkChoices:
			j = objectList(d, b, j, &r.Choices, blk.one[:0], answerDecoder.choice)
		case chunkUsage:
			j = usageValue(b, j, &r.Usage)
		case chunkError:
			end := jsonlex.SkipValue(b, j)
			if end >= 0 {
				errField = b[j:end]
			}
			j = end
		default:
			j = skipUnknown(b, j, key, chunkKeys)
		}
		if j < 0 {
			return nil, nil, false
		}
		if i, more = nextMember(b, j); i < 0 {
			return nil, nil, false
		}
	}
	if jsonlex.SkipSpace(b, i) != len(b) {
		return nil, nil, false
	}
	if errField != nil && string(errField) != "null" {
		return nil, errField, true
	}
	return r, nil, true
}

// choice reads the choice object at b[i] into ch, which is zero.
func (d answerDecoder) choice(b []byte, i int, ch *Choice) int {
	var seen uint16
	i, more := openObject(b, i)
	for more {
		k, key, j := answerChoiceKeys.keyOnce(b, i, &seen)
		if j < 0 {
			return -1
		}
		switch k {
		case answerChoiceIndex:
			j = intValue(b, j, &ch.Index)
		case answerChoiceMessage:
			if b[j] == '{' {
				j = d.message(b, j, &ch.Message)
			} else {
				j = null(b, j)
			}
		case answerChoiceFinishReason:
			j = d.wordValue(b, j, &ch.FinishReason)
		case answerChoiceLogprobs:
			j = null(b, j)
		default:
			j = skipUnknown(b, j, key, answerChoiceKeys)
		}
		if j < 0 {
			return -1
		}
		if i, more = nextMember(b, j); i < 0 {
			return -1
		}
	}
	return i
}

// message reads the message object at b[i] into m, which is zero, as
// [Message.UnmarshalJSON] reads it with encoding/json.
func (d answerDecoder) message(b []byte, i int, m *Message) int {
	var reasoningContent, reasoning string
	var seen uint16
	i, more := openObject(b, i)
	for more {
		k, key, j := messageKeys.keyOnce(b, i, &seen)
		if j < 0 {
			return -1
		}
		switch k {
		case messageRole:
			j = d.wordValue(b, j, &m.Role)
		case messageContent:
			j = d.content(b, j, &m.Content)
		case messageName:
			j = d.stringValue(b, j, &m.Name)
		case messageToolCalls:
			j = objectList(d, b, j, &m.ToolCalls, nil, answerDecoder.toolCall)
		case messageToolCallID:
			j = d.stringValue(b, j, &m.ToolCallID)
		case messageRefusal:
			j = d.stringValue(b, j, &m.Refusal)
		case messageReasoningContent:
			j = d.stringValue(b, j, &reasoningContent)
		case messageReasoning:
			j = d.stringValue(b, j, &reasoning)
		case messageImages:
			j = objectList(d, b, j, &m.Images, nil, answerDecoder.part)
		default:
			j = skipUnknown(b, j, key, messageKeys)
		}
		if j < 0 {
			return -1
		}
		if i, more = nextMember(b, j); i < 0 {
			return -1
		}
	}
	// reasoning_content wins over reasoning unless it is empty.
	m.ReasoningContent = reasoningContent
	if reasoningContent == "" {
		m.ReasoningContent = reasoning
	}
	return i
}

// content reads the content at b[i] into c, which is null, as
// [Content.UnmarshalJSON] reads it: a string, an array of parts, a single
// part, or null.
func (d answerDecoder) content(b []byte, i int, c *Content) int {
	switch b[i] {
	case '"':
		var s string
		i = d.stringValue(b, i, &s)
		*c = TextContent(s)
	case '[':
		var parts []ContentPart
		i = objectList(d, b, i, &parts, nil, answerDecoder.part)
		*c = PartsContent(parts...)
	case '{':
		parts := make([]ContentPart, 1)
		i = d.part(b, i, &parts[0])
		*c = PartsContent(parts...)
	default:
		i = null(b, i)
	}
	return i
}

// objectList reads the array of objects (or null) at b[i] into *dst, each
// object read by elem into a new element appended to buf. An empty array
// is an empty slice, not nil, as encoding/json makes it.
func objectList[T any](d answerDecoder, b []byte, i int, dst *[]T, buf []T, elem func(answerDecoder, []byte, int, *T) int) int {
	if b[i] != '[' {
		return null(b, i)
	}
	list := buf
	if list == nil {
		list = []T{}
	}
	i, more := openArray(b, i)
	for more {
		if b[i] != '{' {
			return -1
		}
		var zero T
		list = append(list, zero)
		if i = elem(d, b, i, &list[len(list)-1]); i < 0 {
			return -1
		}
		i, more = nextElement(b, i)
	}
	*dst = list[:len(list):len(list)]
	return i
}

// part reads the content part object at b[i] into p, which is zero.
func (d answerDecoder) part(b []byte, i int, p *ContentPart) int {
	var seen uint16
	i, more := openObject(b, i)
	for more {
		k, key, j := partKeys.keyOnce(b, i, &seen)
		if j < 0 {
			return -1
		}
		switch k {
		case partType:
			j = d.wordValue(b, j, &p.Type)
		case partText:
			j = d.stringValue(b, j, &p.Text)
		case partImageURL:
			if b[j] == '{' {
				u := new(ImageURL)
				p.ImageURL = u
				j = d.stringFields(b, j, imageURLKeys, &u.URL, &u.Detail)
			} else {
				j = null(b, j)
			}
		case partInputAudio:
			if b[j] == '{' {
				a := new(InputAudio)
				p.InputAudio = a
				j = d.stringFields(b, j, inputAudioKeys, &a.Data, &a.Format)
			} else {
				j = null(b, j)
			}
		case partFile:
			if b[j] == '{' {
				f := new(File)
				p.File = f
				j = d.stringFields(b, j, fileKeys, &f.FileData, &f.FileID, &f.Filename)
			} else {
				j = null(b, j)
			}
		case partRefusal:
			j = d.stringValue(b, j, &p.Refusal)
		default:
			j = skipUnknown(b, j, key, partKeys)
		}
		if j < 0 {
			return -1
		}
		if i, more = nextMember(b, j); i < 0 {
			return -1
		}
	}
	return i
}

// toolCall reads the tool call object at b[i] into t, which is zero.
func (d answerDecoder) toolCall(b []byte, i int, t *ToolCall) int {
	var seen uint16
	i, more := openObject(b, i)
	for more {
		k, key, j := answerCallKeys.keyOnce(b, i, &seen)
		if j < 0 {
			return -1
		}
		switch k {
		case answerCallID:
			j = d.stringValue(b, j, &t.ID)
		case answerCallType:
			j = d.wordValue(b, j, &t.Type)
		case answerCallFunction:
			if b[j] == '{' {
				j = d.stringFields(b, j, functionKeys, &t.Function.Name, &t.Function.Arguments)
			} else {
				j = null(b, j)
			}
		default:
			j = skipUnknown(b, j, key, answerCallKeys)
		}
		if j < 0 {
			return -1
		}
		if i, more = nextMember(b, j); i < 0 {
			return -1
		}
	}
	return i
}

// stringFields reads the object at b[i], whose members are strings or
// null, into the fields of t's keys (dst[k] for key k).
func (d answerDecoder) stringFields(b []byte, i int, t *keyTable, dst ...*string) int {
	var seen uint16
	i, more := openObject(b, i)
	for more {
		k, key, j := t.keyOnce(b, i, &seen)
		if j < 0 {
			return -1
		}
		if k >= 0 {
			j = d.stringValue(b, j, dst[k])
		} else {
			j = skipUnknown(b, j, key, t)
		}
		if j < 0 {
			return -1
		}
		if i, more = nextMember(b, j); i < 0 {
			return -1
		}
	}
	return i
}

// stringBytes reads the string or null at b[i]. It returns the bytes between
// the quotes (nil for null), whether they are the string's value as they
// are (see [jsonlex.ScanString]), and the index past it.
func stringBytes(b []byte, i int) (v []byte, raw bool, end int) {
	if b[i] != '"' {
		return nil, false, null(b, i)
	}
	end, raw = jsonlex.ScanString(b, i)
	if end < 0 {
		return nil, false, -1
	}
	return b[i+1 : end-1], raw, end
}

// str returns the value of the string whose bytes between the quotes are
// v, raw as [stringBytes] says.
func (d answerDecoder) str(v []byte, raw bool) string {
	switch {
	case len(v) == 0:
		return ""
	case !raw:
		// Escapes make the value shorter, and only bytes that are not
		// UTF-8 make it longer: the buffer is seldom grown.
		buf := jsonlex.AppendUnquote(make([]byte, 0, len(v)), v)
		return unsafe.String(unsafe.SliceData(buf), len(buf))
	case d.alias:
		return unsafe.String(unsafe.SliceData(v), len(v))
	}
	return string(v)
}

// stringValue reads the string or null at b[i] into *dst (null leaves it
// alone).
func (d answerDecoder) stringValue(b []byte, i int, dst *string) int {
	v, raw, end := stringBytes(b, i)
	if v != nil {
		*dst = d.str(v, raw)
	}
	return end
}

// wordValue is [answerDecoder.stringValue] for the strings that usually
// hold one of a few words (a role, a finish reason, a type), which it
// returns as constants, neither copied nor aliasing b.
func (d answerDecoder) wordValue(b []byte, i int, dst *string) int {
	v, raw, end := stringBytes(b, i)
	if v == nil {
		return end
	}
	if w, ok := commonWord(v); ok {
		*dst = w // raw: the words have no escapes
	} else {
		*dst = d.str(v, raw)
	}
	return end
}

// commonWord returns the constant equal to v if v is a word that roles,
// finish reasons, and the types of tool calls and content parts usually
// are.
func commonWord(v []byte) (string, bool) {
	switch string(v) {
	case RoleAssistant:
		return RoleAssistant, true
	case RoleUser:
		return RoleUser, true
	case RoleSystem:
		return RoleSystem, true
	case RoleDeveloper:
		return RoleDeveloper, true
	case RoleTool:
		return RoleTool, true
	case FinishStop:
		return FinishStop, true
	case FinishLength:
		return FinishLength, true
	case FinishToolCalls:
		return FinishToolCalls, true
	case FinishContentFilter:
		return FinishContentFilter, true
	case "function":
		return "function", true
	case PartText:
		return PartText, true
	case PartImageURL:
		return PartImageURL, true
	}
	return "", false
}

// decodeMessage decodes data into *m, as [Message.UnmarshalJSON] does with
// encoding/json, if it is a message object of a shape the fast path knows.
// It reports false otherwise, leaving *m alone. The strings never alias
// data.
func decodeMessage(data []byte, m *Message) bool {
	var d answerDecoder
	i := jsonlex.SkipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	var msg Message
	if i = d.message(data, i, &msg); i < 0 || jsonlex.SkipSpace(data, i) != len(data) {
		return false
	}
	*m = msg
	return true
}

// decodeContent decodes the content data, which starts with a byte that
// is not white space, as [Content.UnmarshalJSON] does with encoding/json,
// if it has a shape the fast path knows. It reports false otherwise. The
// strings never alias data.
func decodeContent(data []byte) (Content, bool) {
	var d answerDecoder
	var c Content
	if len(data) == 0 || jsonlex.IsSpace(data[0]) {
		return c, false
	}
	if i := d.content(data, 0, &c); i < 0 || jsonlex.SkipSpace(data, i) != len(data) {
		return Content{}, false
	}
	return c, true
}

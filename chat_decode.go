package aione

import (
	"context"
	"encoding/json"

	"github.com/aione/aione-go/internal/jsonlex"
)

// Decoding a chat answer: a chat.completion body into a [ChatResponse]
// (see decode.go for the ownership rule).
//
// [decodeChat] reads the usual shapes of an answer straight from its bytes
// and hands any other shape to [decodeChatJSON], which uses encoding/json,
// so that the result is always the reference decoder's. Messages are read
// by the same code when encoding/json decodes them elsewhere (see
// [Message.UnmarshalJSON]).

// topJSON holds the top-level members an answer and a chunk share, for
// the reference decoders.
type topJSON struct {
	ID                string          `json:"id"`
	Object            string          `json:"object"`
	Created           intJSON         `json:"created"`
	Model             string          `json:"model"`
	SystemFingerprint string          `json:"system_fingerprint"`
	ServiceTier       string          `json:"service_tier"`
	Usage             *Usage          `json:"usage"`
	Error             json.RawMessage `json:"error"`
}

// answerJSON is the wire form of an answer for the reference decoder.
type answerJSON struct {
	topJSON
	Choices []choiceJSON `json:"choices"`
}

type choiceJSON struct {
	Index        intJSON   `json:"index"`
	Message      Message   `json:"message"`
	FinishReason string    `json:"finish_reason"`
	Logprobs     *Logprobs `json:"logprobs"`
}

// decodeChatJSON decodes data with encoding/json. It is the reference
// decoder: the fast path must agree with it on every input. It returns the
// raw "error" member, and no response, when the answer holds a non-null
// one.
func decodeChatJSON(data []byte) (r *ChatResponse, errField []byte, err error) {
	var w answerJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, nil, err
	}
	if len(w.Error) > 0 && !isNull(w.Error) {
		return nil, w.Error, nil
	}
	r = &ChatResponse{ID: w.ID, Object: w.Object, Created: int64(w.Created), Model: w.Model,
		SystemFingerprint: w.SystemFingerprint, ServiceTier: w.ServiceTier, Usage: w.Usage}
	if w.Choices != nil {
		r.Choices = make([]Choice, len(w.Choices))
	}
	for i, c := range w.Choices {
		r.Choices[i] = Choice{Index: int(c.Index), Message: c.Message, FinishReason: c.FinishReason, Logprobs: c.Logprobs}
	}
	return r, nil, nil
}

// decodeChat decodes the chat answer data as [decodeChatJSON] does. Long
// strings of the response may point into data, which must never be
// modified afterwards; errField, when there is one, is part of data. When
// the fast path hands over to encoding/json, which cannot be stopped and
// reads a large body for seconds, a done ctx ends the decoding first.
func decodeChat(ctx context.Context, data []byte) (r *ChatResponse, errField []byte, err error) {
	if r, errField, ok := fastAnswer(data); ok {
		return r, errField, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	return decodeChatJSON(data)
}

// chatBlock is a ChatResponse with room for one choice and the decoder
// that reads it, so that the usual answer costs one allocation for all.
type chatBlock struct {
	resp ChatResponse
	one  [1]Choice
	dec  decoder
}

// The objects of an answer and their keys, in the order of the constants
// that name them. The answer's own keys are those of a chunk (chunkKeys).
var (
	answerChoiceKeys = jsonlex.NewKeyTable("index", "message", "finish_reason", "logprobs")
	messageKeys      = jsonlex.NewKeyTable("role", "content", "name", "tool_calls", "tool_call_id", "refusal", "reasoning_content", "reasoning", "images")
	answerCallKeys   = jsonlex.NewKeyTable("id", "type", "function")
	partKeys         = jsonlex.NewKeyTable("type", "text", "image_url", "input_audio", "file", "refusal")
	imageURLKeys     = jsonlex.NewKeyTable("url", "detail")
	inputAudioKeys   = jsonlex.NewKeyTable("data", "format")
	fileKeys         = jsonlex.NewKeyTable("file_data", "file_id", "filename")
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
	partType = iota
	partText
	partImageURL
	partInputAudio
	partFile
	partRefusal
)

// fastAnswer decodes the chat answer b if it has a shape the fast path knows
// and is valid JSON. It reports false otherwise, and then the reference
// decoder must decide. It returns the raw "error" member, and no response,
// when the answer holds a non-null one.
func fastAnswer(b []byte) (r *ChatResponse, errField []byte, ok bool) {
	i := jsonlex.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, nil, false
	}
	blk := new(chatBlock)
	d := &blk.dec
	d.alias = true
	i = jsonlex.Members(b, i, chunkKeys, blk, answerMember)
	errField = d.errField
	blk.dec = decoder{} // keep none of its buffers
	if i < 0 || jsonlex.SkipSpace(b, i) != len(b) {
		return nil, nil, false
	}
	if errField != nil && string(errField) != "null" {
		return nil, errField, true
	}
	return &blk.resp, nil, true
}

func answerMember(blk *chatBlock, b []byte, k int, key []byte, j int) int {
	d, r := &blk.dec, &blk.resp
	if k != chunkChoices {
		return d.sharedMember(b, k, j, &r.ID, &r.Object, &r.Model, &r.SystemFingerprint, &r.ServiceTier, &r.Created, &r.Usage)
	}
	if b[j] == '[' {
		r.Choices = blk.one[:0]
	}
	end := list(d, b, j, &r.Choices, (*decoder).choice)
	r.Choices = r.Choices[:len(r.Choices):len(r.Choices)]
	return end
}

// choice reads the choice object at b[i] into ch, which is zero.
func (d *decoder) choice(b []byte, i int, ch *Choice) int {
	return jsonlex.Members(b, i, answerChoiceKeys, at[Choice]{d, ch}, func(a at[Choice], b []byte, k int, key []byte, j int) int {
		switch k {
		case 0: // index
			return intValue(b, j, &a.v.Index)
		case 1: // message
			if b[j] != '{' {
				return jsonlex.Null(b, j)
			}
			return a.d.message(b, j, &a.v.Message)
		case 2: // finish_reason
			return a.d.wordValue(b, j, &a.v.FinishReason)
		case 3: // logprobs
			return jsonlex.Null(b, j)
		}
		return jsonlex.SkipValue(b, j)
	})
}

// message reads the message object at b[i] into m, which is zero, as
// [Message.UnmarshalJSON] reads it with encoding/json.
func (d *decoder) message(b []byte, i int, m *Message) int {
	d.reasoning = false
	return jsonlex.Members(b, i, messageKeys, at[Message]{d, m}, messageMember)
}

func messageMember(a at[Message], b []byte, k int, key []byte, j int) int {
	d, m := a.d, a.v
	switch k {
	case messageRole:
		return d.wordValue(b, j, &m.Role)
	case messageContent:
		return d.content(b, j, &m.Content)
	case messageName:
		return d.stringValue(b, j, &m.Name)
	case messageToolCalls:
		return list(d, b, j, &m.ToolCalls, (*decoder).toolCall)
	case messageToolCallID:
		return d.stringValue(b, j, &m.ToolCallID)
	case messageRefusal:
		return d.stringValue(b, j, &m.Refusal)
	case messageReasoningContent, messageReasoning:
		return d.reasoningValue(b, j, &m.ReasoningContent, k == messageReasoningContent)
	case messageImages:
		return list(d, b, j, &m.Images, (*decoder).part)
	}
	return d.keep(b, j, key, &m.Extra)
}

// content reads the content at b[i] into c, which is null, as
// [Content.UnmarshalJSON] reads it: a string, an array of parts, a single
// part, or null.
func (d *decoder) content(b []byte, i int, c *Content) int {
	switch b[i] {
	case '"':
		var s string
		i = d.stringValue(b, i, &s)
		*c = TextContent(s)
	case '[':
		var parts []ContentPart
		i = list(d, b, i, &parts, (*decoder).part)
		*c = PartsContent(parts...)
	case '{':
		parts := make([]ContentPart, 1)
		i = d.part(b, i, &parts[0])
		*c = PartsContent(parts...)
	default:
		i = jsonlex.Null(b, i)
	}
	return i
}

// part reads the content part object at b[i] into p, which is zero.
func (d *decoder) part(b []byte, i int, p *ContentPart) int {
	return jsonlex.Members(b, i, partKeys, at[ContentPart]{d, p}, partMember)
}

func partMember(a at[ContentPart], b []byte, k int, key []byte, j int) int {
	d, p := a.d, a.v
	switch k {
	case partType:
		return d.wordValue(b, j, &p.Type)
	case partText:
		return d.stringValue(b, j, &p.Text)
	case partImageURL:
		return object(d, b, j, &p.ImageURL, imageURLKeys, func(u *ImageURL) [3]*string { return [3]*string{&u.URL, &u.Detail} })
	case partInputAudio:
		return object(d, b, j, &p.InputAudio, inputAudioKeys, func(u *InputAudio) [3]*string { return [3]*string{&u.Data, &u.Format} })
	case partFile:
		return object(d, b, j, &p.File, fileKeys, func(f *File) [3]*string { return [3]*string{&f.FileData, &f.FileID, &f.Filename} })
	case partRefusal:
		return d.stringValue(b, j, &p.Refusal)
	}
	return d.keep(b, j, key, &p.Extra)
}

// object reads the object (or null) at b[i], whose members are strings or
// null, into a new *dst, t's keys going to the fields that fields names.
func object[T any](d *decoder, b []byte, i int, dst **T, t *jsonlex.KeyTable, fields func(*T) [3]*string) int {
	if b[i] != '{' {
		return jsonlex.Null(b, i)
	}
	*dst = new(T)
	return jsonlex.Members(b, i, t, stringsAt{d, fields(*dst)}, func(a stringsAt, b []byte, k int, key []byte, j int) int {
		if k < 0 {
			return jsonlex.SkipValue(b, j)
		}
		return a.d.stringValue(b, j, a.dst[k])
	})
}

type stringsAt struct {
	d   *decoder
	dst [3]*string
}

// toolCall reads the tool call object at b[i] into t, which is zero.
func (d *decoder) toolCall(b []byte, i int, t *ToolCall) int {
	return jsonlex.Members(b, i, answerCallKeys, at[ToolCall]{d, t}, func(a at[ToolCall], b []byte, k int, key []byte, j int) int {
		switch k {
		case 0: // id
			return a.d.stringValue(b, j, &a.v.ID)
		case 1: // type
			return a.d.wordValue(b, j, &a.v.Type)
		case 2: // function
			return a.d.function(b, j, &a.v.Function)
		}
		return a.d.keep(b, j, key, &a.v.Extra)
	})
}

// decodeMessage decodes data into *m, as [Message.UnmarshalJSON] does with
// encoding/json, if it is a message object of a shape the fast path knows.
// It reports false otherwise, leaving *m alone. The strings never alias
// data.
func decodeMessage(data []byte, m *Message) bool {
	d := new(decoder)
	i := jsonlex.SkipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	msg := new(Message)
	if i = d.message(data, i, msg); i < 0 || jsonlex.SkipSpace(data, i) != len(data) {
		return false
	}
	*m = *msg
	return true
}

// decodeContent decodes the content data, which starts with a byte that
// is not white space, as [Content.UnmarshalJSON] does with encoding/json,
// if it has a shape the fast path knows. It reports false otherwise. The
// strings never alias data.
func decodeContent(data []byte) (Content, bool) {
	d := new(decoder)
	var c Content
	if len(data) == 0 || jsonlex.IsSpace(data[0]) {
		return c, false
	}
	if i := d.content(data, 0, &c); i < 0 || jsonlex.SkipSpace(data, i) != len(data) {
		return Content{}, false
	}
	return c, true
}

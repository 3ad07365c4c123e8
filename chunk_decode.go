package aione

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/aione/aione-go/internal/jsonlex"
)

// Decoding a stream's chunks (see decode.go for the ownership rule).

// chunkJSON is the wire form of a chunk for the reference decoder: it
// knows every shape, including the ones the fast path hands over to it.
type chunkJSON struct {
	topJSON
	Choices []chunkChoiceJSON `json:"choices"`
}

type chunkChoiceJSON struct {
	Index        *intJSON  `json:"index"`
	Delta        deltaJSON `json:"delta"`
	FinishReason *string   `json:"finish_reason"`
	Logprobs     *Logprobs `json:"logprobs"`
}

type deltaJSON struct {
	Role             string                     `json:"role"`
	Content          Content                    `json:"content"`
	Refusal          *string                    `json:"refusal"`
	ReasoningContent *string                    `json:"reasoning_content"`
	Reasoning        *string                    `json:"reasoning"`
	ToolCalls        []toolCallDeltaJSON        `json:"tool_calls"`
	Images           []ContentPart              `json:"images"`
	Extra            map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a delta with its unknown members.
func (d *deltaJSON) UnmarshalJSON(data []byte) error {
	type plain deltaJSON
	if isNull(data) {
		return nil
	}
	if err := json.Unmarshal(data, (*plain)(d)); err != nil {
		return err
	}
	var err error
	d.Extra, err = unknownMembers(data, deltaKeys.Names())
	return err
}

type toolCallDeltaJSON struct {
	Index    *intJSON                   `json:"index"`
	ID       string                     `json:"id"`
	Type     string                     `json:"type"`
	Function FunctionCall               `json:"function"`
	Extra    map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a tool call fragment with its unknown members.
func (t *toolCallDeltaJSON) UnmarshalJSON(data []byte) error {
	type plain toolCallDeltaJSON
	if isNull(data) {
		return nil
	}
	if err := json.Unmarshal(data, (*plain)(t)); err != nil {
		return err
	}
	var err error
	t.Extra, err = unknownMembers(data, toolCallKeys.Names())
	return err
}

// errNotObject is the decoding error of a chunk that is not a JSON object.
var errNotObject = errors.New("chunk is not a JSON object")

// decodeChunkJSON decodes data into c with encoding/json. It is the
// reference decoder: the fast path must agree with it on every input. It
// returns the raw "error" member when the chunk holds one. A tool call or
// choice with no index gets -1, resolved later by the stream.
func decodeChunkJSON(data []byte, c *ChatChunk) (errField []byte, err error) {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, errNotObject
	}
	var w chunkJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, err
	}
	if len(w.Error) > 0 && !isNull(w.Error) {
		return w.Error, nil
	}
	*c = ChatChunk{
		ID:                w.ID,
		Object:            w.Object,
		Created:           int64(w.Created),
		Model:             w.Model,
		SystemFingerprint: w.SystemFingerprint,
		ServiceTier:       w.ServiceTier,
		Usage:             w.Usage,
	}
	if len(w.Choices) > 0 {
		c.Choices = make([]ChunkChoice, len(w.Choices))
	}
	for i, wc := range w.Choices {
		ch := &c.Choices[i]
		ch.Index = -1
		if wc.Index != nil {
			ch.Index = int(*wc.Index)
		}
		if wc.FinishReason != nil {
			ch.FinishReason = *wc.FinishReason
		}
		ch.Logprobs = wc.Logprobs
		d := &ch.Delta
		d.Role = wc.Delta.Role
		d.Content = wc.Delta.Content.Text()
		d.Extra = wc.Delta.Extra
		for _, p := range wc.Delta.Content.Parts() {
			if p.ImageURL != nil {
				d.Images = append(d.Images, p)
			}
		}
		d.Images = append(d.Images, wc.Delta.Images...)
		if wc.Delta.Refusal != nil {
			d.Refusal = *wc.Delta.Refusal
		}
		switch {
		case wc.Delta.ReasoningContent != nil && *wc.Delta.ReasoningContent != "":
			d.ReasoningContent = *wc.Delta.ReasoningContent
		case wc.Delta.Reasoning != nil:
			d.ReasoningContent = *wc.Delta.Reasoning
		}
		if len(wc.Delta.ToolCalls) > 0 {
			d.ToolCalls = make([]ToolCallDelta, len(wc.Delta.ToolCalls))
		}
		for j, wt := range wc.Delta.ToolCalls {
			t := &d.ToolCalls[j]
			t.Index = -1
			if wt.Index != nil {
				t.Index = int(*wt.Index)
			}
			t.ID, t.Type, t.Function, t.Extra = wt.ID, wt.Type, wt.Function, wt.Extra
		}
	}
	return nil, nil
}

// chunkDecoder decodes the chunks of one stream: a fast path reads the
// common shapes of a chunk straight from its bytes, and hands any other
// shape to [decodeChunkJSON], so that the result is always the reference
// decoder's. It is owned by one Stream (not safe for concurrent use), and
// keeps state between chunks to avoid allocating again the strings that
// repeat from chunk to chunk.
type chunkDecoder struct{ decoder }

// decode decodes data into c. It returns the raw "error" member (aliasing
// data) when the chunk holds a non-null top-level "error" key anywhere in
// the object, and then c is the zero ChatChunk. Choices and tool calls
// with no "index" get Index -1 (the stream resolves it).
//
// c is overwritten completely. Its slices and strings are carved from
// slabs that later calls only append to, never write again: c is the
// caller's to keep. Nothing in c aliases data. On an error c is the zero
// ChatChunk.
func (d *chunkDecoder) decode(data []byte, c *ChatChunk) (errField []byte, err error) {
	errField, ok := d.fast(data, c)
	if cap(d.scratch) > maxScratch {
		d.scratch = nil // do not keep a huge buffer for a rare huge string
	}
	// The slabs keep the chunks carved from them alive, and so their
	// strings: let them go once they hold much, so that the decoder never
	// keeps more than about maxHeld bytes of delivered chunks (the caller's
	// own copies keep theirs).
	if d.held += len(data); d.held > maxHeld {
		d.choices, d.calls, d.held = nil, nil, 0
	}
	if !ok {
		*c = ChatChunk{}
		return decodeChunkJSON(data, c)
	}
	if errField != nil {
		*c = ChatChunk{}
	}
	return errField, nil
}

// idle lets go of what the decoder holds beyond the chunks it delivered
// while the stream waits for input: the slabs of choices and tool calls,
// whose sizes start over at slabFirst, a string block beyond the first
// size (the strings carved from it keep it alive as long as they need
// it) and a scratch buffer beyond 1 KiB. A busy stream never waits, so its
// slabs and blocks grow and stay amortized; an idle one holds no free
// slots and at most a small block. A stream that waits before every chunk
// then costs one small slab per chunk, sized to what the chunk holds.
func (d *chunkDecoder) idle() {
	d.choices, d.calls, d.held = nil, nil, 0
	d.choiceSlab, d.callSlab = 0, 0
	if cap(d.arena) > arenaFirst {
		d.arena = nil
	}
	if cap(d.scratch) > 1<<10 {
		d.scratch = nil
	}
}

// The objects of a chunk and their keys, in the order of the constants
// that name them.
var (
	chunkKeys    = jsonlex.NewKeyTable("id", "object", "created", "model", "system_fingerprint", "service_tier", "choices", "usage", "error")
	choiceKeys   = jsonlex.NewKeyTable("index", "delta", "finish_reason", "logprobs")
	deltaKeys    = jsonlex.NewKeyTable("role", "content", "refusal", "reasoning_content", "reasoning", "tool_calls", "images")
	toolCallKeys = jsonlex.NewKeyTable("index", "id", "type", "function")
)

const (
	chunkID = iota
	chunkObject
	chunkCreated
	chunkModel
	chunkFingerprint
	chunkTier
	chunkChoices
	chunkUsage
	chunkError
)

const (
	choiceIndex = iota
	choiceDelta
	choiceFinishReason
	choiceLogprobs
)

const (
	deltaRole = iota
	deltaContent
	deltaRefusal
	deltaReasoningContent
	deltaReasoning
	deltaToolCalls
	deltaImages
)

const (
	callIndex = iota
	callID
	callType
	callFunction
)

// fast decodes the chunk b into c if it has a shape the fast path knows
// and is valid JSON. It reports false otherwise: then c and errField are
// garbage, and the reference decoder must decide.
func (d *chunkDecoder) fast(b []byte, c *ChatChunk) (errField []byte, ok bool) {
	i := jsonlex.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	*c = ChatChunk{}
	d.errField = nil
	i = jsonlex.Members(b, i, chunkKeys, at[ChatChunk]{&d.decoder, c}, chunkMember)
	errField, d.errField = d.errField, nil
	if i < 0 || jsonlex.SkipSpace(b, i) != len(b) {
		return nil, false
	}
	if string(errField) == "null" {
		errField = nil
	}
	return errField, true
}

func chunkMember(a at[ChatChunk], b []byte, k int, key []byte, j int) int {
	d, c := a.d, a.v
	if k == chunkChoices {
		return d.choiceList(b, j, c)
	}
	return d.sharedMember(b, k, j, &c.ID, &c.Object, &c.Model, &c.SystemFingerprint, &c.ServiceTier, &c.Created, &c.Usage)
}

// sharedMember reads the member k (of chunkKeys, but choices) at b[j] of a
// chunk or an answer, which share these keys, into the given fields.
// Strings that repeat from one chunk to the next are interned.
func (d *decoder) sharedMember(b []byte, k, j int, id, object, model, fingerprint, tier *string, created *int64, usage **Usage) int {
	switch k {
	case chunkID:
		return d.interned(b, j, id, &d.id)
	case chunkObject:
		return d.interned(b, j, object, &d.object)
	case chunkCreated:
		return intValue(b, j, created)
	case chunkModel:
		return d.interned(b, j, model, &d.model)
	case chunkFingerprint:
		return d.interned(b, j, fingerprint, &d.fingerprint)
	case chunkTier:
		return d.interned(b, j, tier, &d.tier)
	case chunkUsage:
		return usageValue(b, j, usage)
	case chunkError:
		end := jsonlex.SkipValue(b, j)
		if end >= 0 {
			d.errField = b[j:end]
		}
		return end
	}
	return jsonlex.SkipValue(b, j)
}

// choiceList reads the choices array (or null) at b[i] into c.Choices.
func (d *decoder) choiceList(b []byte, i int, c *ChatChunk) int {
	if b[i] != '[' {
		return jsonlex.Null(b, i)
	}
	d.choices = carve(d.choices, &d.choiceSlab)
	i = jsonlex.Elements(b, i, d, func(d *decoder, b []byte, j int) int {
		if b[j] != '{' {
			return -1
		}
		d.choices = append(d.choices, ChunkChoice{Index: -1})
		return jsonlex.Members(b, j, choiceKeys, at[ChunkChoice]{d, &d.choices[len(d.choices)-1]}, choiceMember)
	})
	if n := len(d.choices); n > 0 && i >= 0 {
		c.Choices = d.choices[:n:n]
	}
	return i
}

func choiceMember(a at[ChunkChoice], b []byte, k int, key []byte, j int) int {
	switch k {
	case choiceIndex:
		return intValue(b, j, &a.v.Index) // null leaves -1
	case choiceDelta:
		if b[j] != '{' {
			return jsonlex.Null(b, j)
		}
		a.d.reasoning = false
		return jsonlex.Members(b, j, deltaKeys, at[Delta]{a.d, &a.v.Delta}, deltaMember)
	case choiceFinishReason:
		return a.d.wordValue(b, j, &a.v.FinishReason)
	case choiceLogprobs:
		return jsonlex.Null(b, j)
	}
	return jsonlex.SkipValue(b, j)
}

func deltaMember(a at[Delta], b []byte, k int, key []byte, j int) int {
	d, dl := a.d, a.v
	switch k {
	case deltaRole:
		return d.wordValue(b, j, &dl.Role)
	case deltaContent:
		return d.stringValue(b, j, &dl.Content)
	case deltaRefusal:
		return d.stringValue(b, j, &dl.Refusal)
	case deltaReasoningContent, deltaReasoning:
		return d.reasoningValue(b, j, &dl.ReasoningContent, k == deltaReasoningContent)
	case deltaToolCalls:
		return d.toolCallList(b, j, dl)
	case deltaImages:
		// Only null and [] are left out of the fast path: both add no
		// image.
		if b[j] != '[' {
			return jsonlex.Null(b, j)
		}
		if end := jsonlex.SkipSpace(b, j+1); end < len(b) && b[end] == ']' {
			return end + 1
		}
		return -1
	}
	return d.keep(b, j, key, &dl.Extra)
}

// toolCallList reads the tool_calls array (or null) at b[i] into
// dl.ToolCalls.
func (d *decoder) toolCallList(b []byte, i int, dl *Delta) int {
	if b[i] != '[' {
		return jsonlex.Null(b, i)
	}
	d.calls = carve(d.calls, &d.callSlab)
	i = jsonlex.Elements(b, i, d, func(d *decoder, b []byte, j int) int {
		if b[j] != '{' {
			return -1
		}
		d.calls = append(d.calls, ToolCallDelta{Index: -1})
		return jsonlex.Members(b, j, toolCallKeys, at[ToolCallDelta]{d, &d.calls[len(d.calls)-1]}, toolCallDeltaMember)
	})
	if n := len(d.calls); n > 0 && i >= 0 {
		dl.ToolCalls = d.calls[:n:n]
	}
	return i
}

func toolCallDeltaMember(a at[ToolCallDelta], b []byte, k int, key []byte, j int) int {
	switch k {
	case callIndex:
		return intValue(b, j, &a.v.Index) // null leaves -1
	case callID:
		return a.d.stringValue(b, j, &a.v.ID)
	case callType:
		return a.d.wordValue(b, j, &a.v.Type)
	case callFunction:
		return a.d.function(b, j, &a.v.Function)
	}
	return a.d.keep(b, j, key, &a.v.Extra)
}

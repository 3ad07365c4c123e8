package aione

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unsafe"

	"github.com/aione/aione-go/internal/jsonlex"
)

// Decoding: the hand-written decoders of stream chunks (chunk_decode.go)
// and chat answers (chat_decode.go), on the walkers of internal/jsonlex,
// each checked against a reference decoder that uses encoding/json.
//
// The ownership rule. Everything the SDK hands out is the caller's to keep,
// change and share with other goroutines, and nothing the SDK does later
// changes it: a chunk from Stream.Current or Stream.All, a ChatResponse
// from Chat or Stream.Response, a ToolRun, a request from NewChatRequest.
// The decoders keep that rule by carving many small values out of slabs
// that they only ever append to, never writing memory once handed out,
// and by letting a string alias its input only when that input is private
// and immutable (the body of an answer, held as a string). Short strings
// (ids, model names, roles, finish reasons, tool call IDs) are copied into
// a small slab or are constants, so that they never pin a large body. Raw
// JSON kept in Extra maps is always a copy.
//
// The fast decoders give up (return -1) on any input whose shape they do
// not know, which the reference decoder then reads: their results are the
// reference's by construction, and the fuzz targets check that they are.

// decoder holds what the fast decoders share between the values of one
// input, and, for a stream, between its chunks. It is not safe for
// concurrent use.
type decoder struct {
	// alias lets a long string without escapes point into the input
	// instead of being copied. Only an answer's decoder sets it: its input
	// is the body, held as an immutable string.
	alias bool
	// reasoning records that a message or delta being read had a
	// non-empty reasoning_content, which wins over reasoning.
	reasoning bool
	// errField is the raw "error" member of the chunk or answer being
	// read, if it has one.
	errField []byte

	// The previous chunk's values of the fields that repeat from chunk to
	// chunk.
	id, object, model, fingerprint, tier string
	// choices and calls are the slabs a chunk's Choices and its choices'
	// ToolCalls are carved from: only their free capacity is ever
	// written, so a delivered chunk never changes. See [carve].
	choices              []ChunkChoice
	calls                []ToolCallDelta
	choiceSlab, callSlab int // the sizes of the last slabs
	// held counts the bytes of the chunks decoded into the current slabs,
	// which the slabs keep alive as long as the decoder holds them: past
	// maxHeld, the decoder lets them go (see [chunkDecoder.decode]).
	held int
	// arena is the block short strings are carved from; see
	// [decoder.own].
	arena []byte
	// scratch holds the value of a short string with escapes.
	scratch []byte
}

const (
	// arenaFirst and arenaBlock are the sizes of the first and the
	// largest blocks short strings are carved from: the blocks double
	// from the one to the other, so that an idle stream holds little.
	arenaFirst = 256
	arenaBlock = 4 << 10
	// arenaMax is the length above which a string gets its own
	// allocation (or aliases an answer's body).
	arenaMax = 256
	// slabFirst and slabMax bound, likewise, the number of choices or
	// tool call fragments in a slab. The first slab holds one: a stream
	// that waits between chunks starts over at it each time (see
	// [chunkDecoder.idle]) and so holds no free slots while it waits.
	slabFirst = 1
	slabMax   = 64
	// maxScratch is the largest buffer for strings with escapes kept from
	// one chunk to the next.
	maxScratch = 64 << 10
	// maxHeld bounds what delivered chunks the decoder keeps alive through
	// its slabs: about the bytes of their input.
	maxHeld = 64 << 10
)

// at is what a visitor of jsonlex.Members works on: the decoder and the
// value being filled.
type at[T any] struct {
	d *decoder
	v *T
}

// own returns a string holding v, which the caller may reuse. Short
// strings are carved from a block shared with other strings: a block is
// only ever appended to, and dropped when full, so a string's bytes never
// change once it points to them. That makes most values cost no
// allocation, for at worst keeping a small block alive as long as one of
// its strings.
func (d *decoder) own(v []byte) string {
	n := len(v)
	switch {
	case n == 0:
		return ""
	case n > arenaMax:
		return string(v)
	case cap(d.arena)-len(d.arena) < n:
		d.arena = make([]byte, 0, min(max(2*cap(d.arena), arenaFirst), arenaBlock))
	}
	start := len(d.arena)
	d.arena = append(d.arena, v...)
	return unsafe.String(&d.arena[start], n)
}

// str returns the value of the string whose bytes between the quotes in
// the input are v, raw as [jsonlex.String] says.
func (d *decoder) str(v []byte, raw bool) string {
	switch {
	case len(v) == 0:
		return ""
	case !raw && len(v) > arenaMax:
		// Escapes make the value shorter, and only bytes that are not
		// UTF-8 make it longer: the buffer is seldom grown.
		buf := jsonlex.AppendUnquote(make([]byte, 0, len(v)), v)
		return unsafe.String(unsafe.SliceData(buf), len(buf))
	case !raw:
		d.scratch = jsonlex.AppendUnquote(d.scratch[:0], v)
		return d.own(d.scratch)
	case len(v) > arenaMax && d.alias:
		return unsafe.String(unsafe.SliceData(v), len(v))
	}
	return d.own(v)
}

// stringValue reads the string or null at b[i] into *dst (null leaves it
// alone).
func (d *decoder) stringValue(b []byte, i int, dst *string) int {
	v, raw, end := jsonlex.String(b, i)
	if v != nil {
		*dst = d.str(v, raw)
	}
	return end
}

// wordValue is [decoder.stringValue] for the strings that usually hold one
// of a few words (a role, a finish reason, a type), which it returns as
// constants.
func (d *decoder) wordValue(b []byte, i int, dst *string) int {
	v, raw, end := jsonlex.String(b, i)
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

// reasoningValue reads reasoning_content (primary) or reasoning at b[i]
// into *dst: reasoning_content wins over reasoning, wherever it is, unless
// it is null or empty. d.reasoning must be false when the object starts.
func (d *decoder) reasoningValue(b []byte, i int, dst *string, primary bool) int {
	v, raw, end := jsonlex.String(b, i)
	if len(v) > 0 && (primary || !d.reasoning) {
		*dst = d.str(v, raw)
		d.reasoning = d.reasoning || primary
	}
	return end
}

// interned reads the string or null at b[i] into *dst, reusing *prev when
// it is the same string, and keeping it in *prev otherwise. *prev is only
// ever a string that was written without escapes and is valid UTF-8, so
// that the same bytes followed by a quote are the same JSON string.
func (d *decoder) interned(b []byte, i int, dst, prev *string) int {
	if p := *prev; p != "" && b[i] == '"' {
		if end := i + 1 + len(p); end < len(b) && b[end] == '"' && string(b[i+1:end]) == p {
			*dst = p
			return end + 1
		}
	}
	v, raw, end := jsonlex.String(b, i)
	if v == nil {
		return end
	}
	*dst = d.str(v, raw)
	if raw {
		*prev = *dst
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

// keep reads the value at b[i] of the member named key, which the type
// being read does not name, into *extra as a copy; null removes the key.
func (d *decoder) keep(b []byte, i int, key []byte, extra *map[string]json.RawMessage) int {
	end := jsonlex.SkipValue(b, i)
	if end < 0 {
		return -1
	}
	if b[i] == 'n' {
		delete(*extra, string(key))
		if len(*extra) == 0 {
			*extra = nil
		}
		return end
	}
	if *extra == nil {
		*extra = make(map[string]json.RawMessage, 1)
	}
	(*extra)[d.own(key)] = bytes.Clone(b[i:end])
	return end
}

// unknownMembers is the reference for what [decoder.keep] keeps: the members of
// the JSON object data whose keys encoding/json matches to none of names
// and whose values are not null, as copies; nil if there are none.
func unknownMembers(data []byte, names []string) (map[string]json.RawMessage, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, err
	}
	for k, v := range all {
		named := false
		for _, n := range names {
			named = named || strings.EqualFold(k, n)
		}
		if named || isNull(v) {
			delete(all, k)
		}
	}
	if len(all) == 0 {
		return nil, nil
	}
	return all, nil
}

// carve returns the free part of the slab s, as an empty slice to append
// a new list to: the elements before it belong to delivered chunks and are
// never written again. A full slab is left to those chunks and a new one
// started, twice as large up to slabMax elements, so that a stream costs
// one allocation per many chunks and an idle one holds little. (An append
// that outgrows the slab mid-list copies only that list.)
func carve[T any](s []T, size *int) []T {
	s = s[len(s):]
	if cap(s) == 0 {
		*size = min(max(2**size, slabFirst), slabMax)
		return make([]T, 0, *size)
	}
	return s
}

// list reads the array of objects (or null) at b[i], each object read by
// elem into a new element appended to *dst, which is empty; an empty
// array is an empty slice, not nil, as encoding/json makes it.
func list[T any](d *decoder, b []byte, i int, dst *[]T, elem func(*decoder, []byte, int, *T) int) int {
	if b[i] != '[' {
		return jsonlex.Null(b, i)
	}
	if *dst == nil {
		*dst = []T{}
	}
	return jsonlex.Elements(b, i, listAt[T]{d, dst, elem}, listElement[T])
}

// listAt is what [list] works on.
type listAt[T any] struct {
	d    *decoder
	dst  *[]T
	elem func(*decoder, []byte, int, *T) int
}

func listElement[T any](a listAt[T], b []byte, j int) int {
	if b[j] != '{' {
		return -1
	}
	var zero T
	*a.dst = append(*a.dst, zero)
	return a.elem(a.d, b, j, &(*a.dst)[len(*a.dst)-1])
}

// intValue reads the integer or null at b[i] into *dst (null leaves it
// alone). An integer may be spelled as any JSON number whose value is
// integral (1.0, 1e2); one with a fraction makes the decoder give up.
func intValue[T int | int64](b []byte, i int, dst *T) int {
	if b[i] == 'n' {
		return jsonlex.Null(b, i)
	}
	v, end, ok := jsonlex.ParseIntegral(b, i)
	if !ok || int64(T(v)) != v {
		return -1
	}
	*dst = T(v)
	return end
}

// intJSON is an integer field of the reference decoders: any JSON number
// whose value is integral, as [intValue] reads it.
type intJSON int64

// UnmarshalJSON decodes an integral number; null leaves it alone.
func (n *intJSON) UnmarshalJSON(data []byte) error {
	if isNull(data) {
		return nil
	}
	v, end, ok := jsonlex.ParseIntegral(data, 0)
	if !ok || end != len(data) || int64(int(v)) != v {
		return fmt.Errorf("aione: %.40s is not an integer", data)
	}
	*n = intJSON(v)
	return nil
}

// functionKeys are the members of a tool call's function.
var functionKeys = jsonlex.NewKeyTable("name", "arguments")

const (
	functionName = iota
	functionArguments
)

// function reads the function object (or null) of a tool call at b[i]
// into f, which is zero. Arguments sent as a JSON object or array, rather
// than as a string holding one, are read as their JSON text.
func (d *decoder) function(b []byte, i int, f *FunctionCall) int {
	if b[i] != '{' {
		return jsonlex.Null(b, i)
	}
	return jsonlex.Members(b, i, functionKeys, at[FunctionCall]{d, f}, func(a at[FunctionCall], b []byte, k int, key []byte, j int) int {
		switch k {
		case functionName:
			return a.d.stringValue(b, j, &a.v.Name)
		case functionArguments:
			if c := b[j]; c == '{' || c == '[' {
				end := jsonlex.SkipValue(b, j)
				if end >= 0 {
					a.v.Arguments = a.d.str(b[j:end], true)
				}
				return end
			}
			return a.d.stringValue(b, j, &a.v.Arguments)
		}
		return jsonlex.SkipValue(b, j)
	})
}

// argumentsText is the reference for how [decoder.function] reads
// arguments: a string's value, or the JSON text of an object or array.
func argumentsText(raw json.RawMessage) (string, error) {
	switch {
	case len(raw) == 0 || isNull(raw):
		return "", nil
	case raw[0] == '{' || raw[0] == '[':
		return string(raw), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("aione: function arguments are not a string, an object or an array")
	}
	return s, nil
}

// UnmarshalJSON decodes a function call; its arguments may be a string or,
// as some gateways send them, a JSON object or array, read as its text.
func (f *FunctionCall) UnmarshalJSON(data []byte) error {
	if isNull(data) {
		return nil
	}
	var w struct {
		Name      *string         `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	args, err := argumentsText(w.Arguments)
	if err != nil {
		return err
	}
	if w.Name != nil {
		f.Name = *w.Name
	}
	if w.Arguments != nil && !isNull(w.Arguments) {
		f.Arguments = args
	}
	return nil
}

// usageBlock holds a Usage and its details, so that reading them costs
// one allocation.
type usageBlock struct {
	usage  Usage
	prompt PromptTokensDetails
	compl  CompletionTokensDetails
}

var (
	usageKeys        = jsonlex.NewKeyTable("prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details", "completion_tokens_details")
	promptDetailKeys = jsonlex.NewKeyTable("cached_tokens", "audio_tokens")
	complDetailKeys  = jsonlex.NewKeyTable("reasoning_tokens", "audio_tokens", "accepted_prediction_tokens", "rejected_prediction_tokens")
)

// usageValue reads the usage object (or null) at b[i] into *dst, which is
// nil.
func usageValue(b []byte, i int, dst **Usage) int {
	if b[i] != '{' {
		return jsonlex.Null(b, i)
	}
	blk := new(usageBlock)
	*dst = &blk.usage
	return jsonlex.Members(b, i, usageKeys, blk, usageMember)
}

func usageMember(blk *usageBlock, b []byte, k int, key []byte, j int) int {
	u := &blk.usage
	switch k {
	case 0:
		return intValue(b, j, &u.PromptTokens)
	case 1:
		return intValue(b, j, &u.CompletionTokens)
	case 2:
		return intValue(b, j, &u.TotalTokens)
	case 3:
		if b[j] != '{' {
			return jsonlex.Null(b, j)
		}
		u.PromptTokensDetails = &blk.prompt
		return jsonlex.Members(b, j, promptDetailKeys, &blk.prompt, func(p *PromptTokensDetails, b []byte, k int, key []byte, j int) int {
			return intField(b, j, k, &p.CachedTokens, &p.AudioTokens)
		})
	case 4:
		if b[j] != '{' {
			return jsonlex.Null(b, j)
		}
		u.CompletionTokensDetails = &blk.compl
		return jsonlex.Members(b, j, complDetailKeys, &blk.compl, func(c *CompletionTokensDetails, b []byte, k int, key []byte, j int) int {
			return intField(b, j, k, &c.ReasoningTokens, &c.AudioTokens, &c.AcceptedPredictionTokens, &c.RejectedPredictionTokens)
		})
	}
	return jsonlex.SkipValue(b, j)
}

// intField reads the integer or null at b[i] into *dst[k], or skips the
// value of an unknown key (k < 0).
func intField(b []byte, i, k int, dst ...*int) int {
	if k < 0 {
		return jsonlex.SkipValue(b, i)
	}
	return intValue(b, i, dst[k])
}

// usageJSON is the reference decoders' form of a Usage.
type usageJSON struct {
	PromptTokens        intJSON `json:"prompt_tokens"`
	CompletionTokens    intJSON `json:"completion_tokens"`
	TotalTokens         intJSON `json:"total_tokens"`
	PromptTokensDetails *struct {
		CachedTokens intJSON `json:"cached_tokens"`
		AudioTokens  intJSON `json:"audio_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails *struct {
		ReasoningTokens          intJSON `json:"reasoning_tokens"`
		AudioTokens              intJSON `json:"audio_tokens"`
		AcceptedPredictionTokens intJSON `json:"accepted_prediction_tokens"`
		RejectedPredictionTokens intJSON `json:"rejected_prediction_tokens"`
	} `json:"completion_tokens_details"`
}

// UnmarshalJSON decodes token usage; counts may be spelled as any
// integral JSON number (1.0, 1e2).
func (u *Usage) UnmarshalJSON(data []byte) error {
	if isNull(data) {
		return nil
	}
	var w usageJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*u = Usage{PromptTokens: int(w.PromptTokens), CompletionTokens: int(w.CompletionTokens), TotalTokens: int(w.TotalTokens)}
	if p := w.PromptTokensDetails; p != nil {
		u.PromptTokensDetails = &PromptTokensDetails{CachedTokens: int(p.CachedTokens), AudioTokens: int(p.AudioTokens)}
	}
	if c := w.CompletionTokensDetails; c != nil {
		u.CompletionTokensDetails = &CompletionTokensDetails{ReasoningTokens: int(c.ReasoningTokens), AudioTokens: int(c.AudioTokens),
			AcceptedPredictionTokens: int(c.AcceptedPredictionTokens), RejectedPredictionTokens: int(c.RejectedPredictionTokens)}
	}
	return nil
}

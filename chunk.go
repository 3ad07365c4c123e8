package aione

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/bits"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/aione/aione-go/internal/jsonlex"
)

// ChatChunk is one event of a streamed answer: a piece of each choice that
// changed. See [Stream.Current].
type ChatChunk struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"`
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	SystemFingerprint string        `json:"system_fingerprint,omitempty"`
	ServiceTier       string        `json:"service_tier,omitempty"`
	Choices           []ChunkChoice `json:"choices"`
	// Usage is set on the chunk that carries token usage, usually the last
	// one when [WithStreamUsage] asked for it.
	Usage *Usage `json:"usage,omitempty"`
}

// ChunkChoice is what one chunk adds to one choice.
type ChunkChoice struct {
	// Index is the choice this piece belongs to.
	Index int `json:"index"`
	// Delta is the new piece of the choice's message.
	Delta Delta `json:"delta"`
	// FinishReason is set on the choice's last chunk: "stop", "length",
	// "tool_calls", "content_filter".
	FinishReason string    `json:"finish_reason,omitempty"`
	Logprobs     *Logprobs `json:"logprobs,omitempty"`
}

// Delta is a piece of a message: text to append, and fragments of tool
// calls to merge.
type Delta struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content,omitempty"`
	Refusal string `json:"refusal,omitempty"`
	// ReasoningContent is reasoning text (reasoning_content or reasoning).
	ReasoningContent string          `json:"reasoning_content,omitempty"`
	ToolCalls        []ToolCallDelta `json:"tool_calls,omitempty"`
	// Images are images some gateways stream in an "images" array.
	Images []ContentPart `json:"images,omitempty"`
	// Extra holds the delta's members that the fields above do not name,
	// as raw JSON; accumulation keeps them on the message.
	Extra map[string]json.RawMessage `json:"-"`
}

// ToolCallDelta is a fragment of a tool call: the first fragment of a call
// usually carries its ID, type and function name, and the following ones
// pieces of its arguments to append.
type ToolCallDelta struct {
	// Index is the position of the call in the message's tool calls.
	Index    int          `json:"index"`
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type,omitempty"`
	Function FunctionCall `json:"function"`
	// Extra holds the fragment's members that the fields above do not
	// name, as raw JSON (Gemini 3's "extra_content"); accumulation keeps
	// them on the tool call.
	Extra map[string]json.RawMessage `json:"-"`
}

// chunkJSON is the wire form of a chunk for the general decoder: it knows
// every shape, including the ones the fast path hands over to it.
type chunkJSON struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	Created           int64             `json:"created"`
	Model             string            `json:"model"`
	SystemFingerprint string            `json:"system_fingerprint"`
	ServiceTier       string            `json:"service_tier"`
	Choices           []chunkChoiceJSON `json:"choices"`
	Usage             *Usage            `json:"usage"`
	Error             json.RawMessage   `json:"error"`
}

type chunkChoiceJSON struct {
	Index        *int      `json:"index"`
	Delta        deltaJSON `json:"delta"`
	FinishReason *string   `json:"finish_reason"`
	Logprobs     *Logprobs `json:"logprobs"`
}

type deltaJSON struct {
	Role             string              `json:"role"`
	Content          Content             `json:"content"`
	Refusal          *string             `json:"refusal"`
	ReasoningContent *string             `json:"reasoning_content"`
	Reasoning        *string             `json:"reasoning"`
	ToolCalls        []toolCallDeltaJSON `json:"tool_calls"`
	Images           []ContentPart       `json:"images"`
}

type toolCallDeltaJSON struct {
	Index    *int   `json:"index"`
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
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
		Created:           w.Created,
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
			ch.Index = *wc.Index
		}
		if wc.FinishReason != nil {
			ch.FinishReason = *wc.FinishReason
		}
		ch.Logprobs = wc.Logprobs
		d := &ch.Delta
		d.Role = wc.Delta.Role
		d.Content = wc.Delta.Content.Text()
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
				t.Index = *wt.Index
			}
			t.ID, t.Type = wt.ID, wt.Type
			t.Function = FunctionCall{Name: wt.Function.Name, Arguments: wt.Function.Arguments}
		}
	}
	return nil, nil
}

// chunkDecoder decodes the chunks of one stream: a fast path reads the
// common shapes of a chunk straight from its bytes, and hands any other
// shape to [decodeChunkJSON], so that the result is always the reference
// decoder's.
//
// It is owned by one Stream (not safe for concurrent use). It keeps state
// between chunks to avoid allocating again the strings that repeat from
// chunk to chunk, and the backing arrays of the slices it fills.
type chunkDecoder struct {
	// The previous chunk's values of the fields that repeat from chunk to
	// chunk.
	id, object, model, fingerprint, tier string
	// choices and calls are the slabs a chunk's Choices and its choices'
	// ToolCalls are carved from: only their free capacity (beyond len 0)
	// is ever written, so a delivered chunk never changes. See [carve].
	choices              []ChunkChoice
	calls                []ToolCallDelta
	choiceSlab, callSlab int // the sizes of the last slabs
	// arena is the block the short strings of chunks are carved from; see
	// [chunkDecoder.str].
	arena []byte
	// scratch holds the value of a string with escapes.
	scratch []byte
}

const (
	// arenaFirst and arenaBlock are the sizes of the first and the
	// largest blocks short strings are carved from: the blocks double
	// from the one to the other, so that an idle stream holds little.
	arenaFirst = 256
	arenaBlock = 4 << 10
	// slabFirst and slabMax bound, likewise, the number of choices or tool
	// call fragments in a slab.
	slabFirst = 4
	slabMax   = 64
	// arenaMax is the length above which a string gets its own allocation.
	arenaMax = 256
	// maxScratch is the largest buffer for strings with escapes kept from
	// one chunk to the next.
	maxScratch = 64 << 10
)

// decode decodes data into c. It returns the raw "error" member (aliasing
// data) when the chunk holds a non-null top-level "error" key anywhere in the
// object, and then c is the zero ChatChunk. Choices and tool calls with no
// "index" get Index -1 (the stream resolves it).
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
	if !ok {
		*c = ChatChunk{}
		return decodeChunkJSON(data, c)
	}
	if errField != nil {
		*c = ChatChunk{}
	}
	return errField, nil
}

// keyTable knows the keys of one kind of object: the JSON names of the
// reference decoder's fields, which the fast path reads. A key that is
// none of them exactly but matches one ignoring case, as encoding/json
// matches keys, is left to the reference decoder.
type keyTable struct {
	names []string
	// first[c] has bit k set if names[k] starts with the byte c and
	// keys[k] is its pattern (names longer than 21 bytes have none).
	first [256]uint16
	keys  [16]keyPattern
}

// keyPattern is `"name":` as little-endian words, to match a key and its
// colon with a few loads and compares.
type keyPattern struct {
	pat, mask [3]uint64
	words     int // how many words hold the pattern
	size      int // its length in bytes
}

func newKeyTable(names ...string) *keyTable {
	if len(names) > len(keyTable{}.keys) {
		panic("aione: too many keys")
	}
	t := &keyTable{names: names}
	for k, name := range names {
		p := &t.keys[k]
		text := `"` + name + `":`
		if len(text) > 8*len(p.pat) {
			continue // left to member and lookup
		}
		t.first[name[0]] |= 1 << k
		p.words, p.size = (len(text)+7)/8, len(text)
		for n := range len(text) {
			p.pat[n/8] |= uint64(text[n]) << (8 * (n % 8))
			p.mask[n/8] |= 0xff << (8 * (n % 8))
		}
	}
	return t
}

// match matches the object member at b[i] with the table's keys on the
// bytes of its key and colon. It returns the key's index and the index of
// the member's value (-1 if there is none); or -1 and i if that does not
// tell, and then [member] and [keyTable.lookup] must.
func (t *keyTable) match(b []byte, i int) (k, value int) {
	if len(b)-i < 8 {
		return -1, i
	}
	w := binary.LittleEndian.Uint64(b[i:])
	for m := t.first[byte(w>>8)]; m != 0; m &= m - 1 {
		k := bits.TrailingZeros16(m)
		p := &t.keys[k&15]
		if w&p.mask[0] != p.pat[0] {
			continue
		}
		if p.words > 1 {
			if len(b)-i < 8*p.words || binary.LittleEndian.Uint64(b[i+8:])&p.mask[1] != p.pat[1] ||
				p.words > 2 && binary.LittleEndian.Uint64(b[i+16:])&p.mask[2] != p.pat[2] {
				continue
			}
		}
		j := i + p.size
		if j < len(b) && !jsonlex.IsSpace(b[j]) {
			return k, j
		}
		if j = jsonlex.SkipSpace(b, j); j >= len(b) {
			return k, -1
		}
		return k, j
	}
	return -1, i
}

// lookup returns the index of key in the table, or -1.
func (t *keyTable) lookup(key []byte) int {
	for k, name := range t.names {
		if string(key) == name {
			return k
		}
	}
	return -1
}

// key reads the key of the object member at b[i] and the colon after it.
// It returns the key's index in t, or -1 for an unknown key, the key (only
// for an unknown key, see [member]) and the index of the member's value,
// or -1.
func (t *keyTable) key(b []byte, i int) (k int, key []byte, value int) {
	if k, value = t.match(b, i); k >= 0 {
		return k, nil, value
	}
	if key, value = member(b, i); value < 0 {
		return -1, nil, -1
	}
	return t.lookup(key), key, value
}

// keyOnce is key for a decoder that gives up on a duplicate key, whose
// meaning encoding/json defines (the last wins) but the fast path does not
// track: it records the keys read so far in seen and returns value -1 for
// a known key seen before.
func (t *keyTable) keyOnce(b []byte, i int, seen *uint16) (k int, key []byte, value int) {
	k, key, value = t.key(b, i)
	if k >= 0 && value >= 0 {
		if *seen&(1<<k) != 0 {
			return k, key, -1
		}
		*seen |= 1 << k
	}
	return k, key, value
}

// The objects of a chunk and their keys, in the order of the constants
// that name them.
var (
	chunkKeys        = newKeyTable("id", "object", "created", "model", "system_fingerprint", "service_tier", "choices", "usage", "error")
	choiceKeys       = newKeyTable("index", "delta", "finish_reason", "logprobs")
	deltaKeys        = newKeyTable("role", "content", "refusal", "reasoning_content", "reasoning", "tool_calls", "images")
	toolCallKeys     = newKeyTable("index", "id", "type", "function")
	functionKeys     = newKeyTable("name", "arguments")
	usageKeys        = newKeyTable("prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details", "completion_tokens_details")
	promptDetailKeys = newKeyTable("cached_tokens", "audio_tokens")
	complDetailKeys  = newKeyTable("reasoning_tokens", "audio_tokens", "accepted_prediction_tokens", "rejected_prediction_tokens")
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

const (
	functionName = iota
	functionArguments
)

// usagePromptDetails is the index of prompt_tokens_details in usageKeys.
const usagePromptDetails = 3

// fast decodes the chunk b into c if it has a shape the fast path knows
// and is valid JSON. It reports false otherwise: then c and errField are
// garbage, and the reference decoder must decide.
//
// Each helper below reads the value starting at b[i] (a byte that is not
// white space: the callers check i < len(b)), and returns the index just
// past it, or -1 to give up. The objects are read by loops of the same
// shape: read a key, check it is not a duplicate (encoding/json keeps the
// last value, and the fast path would have to undo what it did with the
// first one), read its value, move to the next member.
func (d *chunkDecoder) fast(b []byte, c *ChatChunk) (errField []byte, ok bool) {
	i := jsonlex.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	*c = ChatChunk{}
	var seen uint16
	i, more := openObject(b, i)
	for more {
		k, key, j := chunkKeys.keyOnce(b, i, &seen)
		if j < 0 {
			return nil, false
		}
		switch k {
		case chunkID:
			j = d.interned(b, j, &c.ID, &d.id)
		case chunkObject:
			j = d.interned(b, j, &c.Object, &d.object)
		case chunkCreated:
			j = int64Value(b, j, &c.Created)
		case chunkModel:
			j = d.interned(b, j, &c.Model, &d.model)
		case chunkFingerprint:
			j = d.interned(b, j, &c.SystemFingerprint, &d.fingerprint)
		case chunkTier:
			j = d.interned(b, j, &c.ServiceTier, &d.tier)
		case chunkChoices:
			j = d.choiceList(b, j, c)
		case chunkUsage:
			j = usageValue(b, j, &c.Usage)
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
			return nil, false
		}
		if i, more = nextMember(b, j); i < 0 {
			return nil, false
		}
	}
	if jsonlex.SkipSpace(b, i) != len(b) {
		return nil, false
	}
	if string(errField) == "null" {
		errField = nil
	}
	return errField, true
}

// openObject returns the index of the first member of the object that
// starts at b[i] == '{', and true; or for an empty object the index just
// past it, and false.
func openObject(b []byte, i int) (int, bool) {
	i = jsonlex.SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, false
	}
	return i, true
}

// member reads the key of the object member at b[i] and the colon after
// it. It returns the key's bytes up to the first quote, and the index of
// the member's value, or -1. Those bytes are the whole key, as it is, if
// they hold no backslash: then the first quote closes the key, and a key
// that is one of the known keys is that key (see [skipUnknown] for the
// others).
func member(b []byte, i int) (key []byte, value int) {
	if i >= len(b) || b[i] != '"' {
		return nil, -1
	}
	end := jsonlex.IndexQuote(b, i+1)
	if end >= len(b) {
		return nil, -1
	}
	key = b[i+1 : end]
	end++
	if end < len(b) && b[end] == ':' {
		end++
	} else {
		end = jsonlex.SkipSpace(b, end)
		if end >= len(b) || b[end] != ':' {
			return nil, -1
		}
		end++
	}
	if end < len(b) && !jsonlex.IsSpace(b[end]) {
		return key, end
	}
	end = jsonlex.SkipSpace(b, end)
	if end >= len(b) {
		return nil, -1
	}
	return key, end
}

// nextMember moves past the object member whose value ended at b[i]. It
// returns the index of the next member and true, or the index just past
// the object's closing brace and false, or -1.
func nextMember(b []byte, i int) (int, bool) {
	i = jsonlex.SkipSpace(b, i)
	if i < len(b) {
		switch b[i] {
		case ',':
			return jsonlex.SkipSpace(b, i+1), true
		case '}':
			return i + 1, false
		}
	}
	return -1, false
}

// nextElement moves past the array element that ended at b[i]. It returns
// the index of the next element and true, or the index just past the
// array's closing bracket and false, or -1.
func nextElement(b []byte, i int) (int, bool) {
	i = jsonlex.SkipSpace(b, i)
	if i < len(b) {
		switch b[i] {
		case ',':
			i = jsonlex.SkipSpace(b, i+1)
			if i >= len(b) {
				return -1, false
			}
			return i, true
		case ']':
			return i + 1, false
		}
	}
	return -1, false
}

// openArray returns the index of the first element of the array that
// starts at b[i] == '[', and true; or for an empty array the index just
// past it, and false.
func openArray(b []byte, i int) (int, bool) {
	i = jsonlex.SkipSpace(b, i+1)
	if i >= len(b) {
		return -1, false
	}
	if b[i] == ']' {
		return i + 1, false
	}
	return i, true
}

// skipUnknown skips the value at b[i] of a member whose key (as returned
// by [member]) is none of t's, unless the key might match one of them
// the way encoding/json matches keys: ignoring case, after resolving
// escapes. A key with a backslash (an escape, and maybe not the whole key)
// or that is not valid JSON is left to the reference decoder.
func skipUnknown(b []byte, i int, key []byte, t *keyTable) int {
	fold := false
	for _, c := range key {
		switch {
		case c == '\\' || c < 0x20:
			return -1
		case 'A' <= c && c <= 'Z' || c >= utf8.RuneSelf:
			fold = true
		}
	}
	if fold {
		if !utf8.Valid(key) {
			return -1
		}
		for _, n := range t.names {
			if strings.EqualFold(string(key), n) {
				return -1
			}
		}
	}
	return jsonlex.SkipValue(b, i)
}

// null skips the null at b[i].
func null(b []byte, i int) int {
	if jsonlex.IsLiteral(b, i, "null") {
		return i + 4
	}
	return -1
}

// text reads the string or null at b[i]. It returns the string's value,
// which aliases b or d.scratch (nil for null), and the index past it.
func (d *chunkDecoder) text(b []byte, i int) (v []byte, end int) {
	if b[i] != '"' {
		return nil, null(b, i)
	}
	end, raw := jsonlex.ScanString(b, i)
	if end < 0 {
		return nil, -1
	}
	v = b[i+1 : end-1]
	if !raw {
		d.scratch = jsonlex.AppendUnquote(d.scratch[:0], v)
		v = d.scratch
	}
	if v == nil {
		v = b[i+1 : i+1]
	}
	return v, end
}

// str returns a string holding v. Short strings are carved from a block
// of memory shared with other strings: a block is only ever appended to,
// and dropped when full, so a string's bytes never change once it points
// to them. That makes most chunks cost no allocation, for at worst keeping
// a block alive as long as one of its strings.
func (d *chunkDecoder) str(v []byte) string {
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

// idle lets go of the decoder's grown buffers while the stream waits for
// input: a string block beyond the first size (its strings keep it alive
// as long as they need it) and a scratch buffer beyond 1 KiB. A busy stream
// never waits, so its blocks grow to arenaBlock and stay amortized; an idle
// one holds at most a small block.
func (d *chunkDecoder) idle() {
	if cap(d.arena) > arenaFirst {
		d.arena = nil
	}
	if cap(d.scratch) > 1<<10 {
		d.scratch = nil
	}
}

// word returns a string holding v, without allocating for the values that
// role, finish_reason and a tool call's type usually have.
func (d *chunkDecoder) word(v []byte) string {
	if w, ok := commonWord(v); ok {
		return w
	}
	return d.str(v)
}

// stringValue reads the string or null at b[i] into *dst (null leaves it
// alone).
func (d *chunkDecoder) stringValue(b []byte, i int, dst *string) int {
	v, end := d.text(b, i)
	if v != nil {
		*dst = d.str(v)
	}
	return end
}

// wordValue is [chunkDecoder.stringValue] with [chunkDecoder.word].
func (d *chunkDecoder) wordValue(b []byte, i int, dst *string) int {
	v, end := d.text(b, i)
	if v != nil {
		*dst = d.word(v)
	}
	return end
}

// interned reads the string or null at b[i] into *dst, reusing *prev when
// it is the same string, and keeping it in *prev otherwise. *prev is only
// ever a string that was written without escapes and is valid UTF-8, so
// that the same bytes followed by a quote are the same JSON string.
func (d *chunkDecoder) interned(b []byte, i int, dst, prev *string) int {
	if p := *prev; p != "" && b[i] == '"' {
		if end := i + 1 + len(p); end < len(b) && b[end] == '"' && string(b[i+1:end]) == p {
			*dst = p
			return end + 1
		}
	}
	if b[i] != '"' {
		return null(b, i)
	}
	end, raw := jsonlex.ScanString(b, i)
	if end < 0 {
		return -1
	}
	v := b[i+1 : end-1]
	if !raw {
		d.scratch = jsonlex.AppendUnquote(d.scratch[:0], v)
		*dst = d.str(d.scratch)
		return end
	}
	*prev = d.str(v)
	*dst = *prev
	return end
}

// int64Value reads the plain integer or null at b[i] into *dst (null
// leaves it alone).
func int64Value(b []byte, i int, dst *int64) int {
	if b[i] == 'n' {
		return null(b, i)
	}
	v, end, ok := jsonlex.ParseInt(b, i)
	if !ok {
		return -1
	}
	*dst = v
	return end
}

// intValue reads the plain integer or null at b[i] into *dst (null leaves
// it alone).
func intValue(b []byte, i int, dst *int) int {
	var v int64
	end := int64Value(b, i, &v)
	if int64(int(v)) != v {
		return -1
	}
	if end >= 0 && b[i] != 'n' {
		*dst = int(v)
	}
	return end
}

// choiceList reads the choices array (or null) at b[i] into c.Choices.
func (d *chunkDecoder) choiceList(b []byte, i int, c *ChatChunk) int {
	if b[i] != '[' {
		return null(b, i)
	}
	d.choices = carve(d.choices, &d.choiceSlab)
	i, more := openArray(b, i)
	for more {
		if b[i] != '{' {
			return -1
		}
		d.choices = append(d.choices, ChunkChoice{Index: -1})
		if i = d.choice(b, i, &d.choices[len(d.choices)-1]); i < 0 {
			return -1
		}
		i, more = nextElement(b, i)
	}
	if n := len(d.choices); n > 0 {
		c.Choices = d.choices[:n:n]
	}
	return i
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

// choice reads the choice object at b[i] into ch, whose Index is -1 and
// other fields zero.
func (d *chunkDecoder) choice(b []byte, i int, ch *ChunkChoice) int {
	var seen uint16
	i, more := openObject(b, i)
	for more {
		k, key, j := choiceKeys.keyOnce(b, i, &seen)
		if j < 0 {
			return -1
		}
		switch k {
		case choiceIndex:
			j = intValue(b, j, &ch.Index) // null leaves -1
		case choiceDelta:
			j = d.delta(b, j, &ch.Delta)
		case choiceFinishReason:
			j = d.wordValue(b, j, &ch.FinishReason)
		case choiceLogprobs:
			j = null(b, j)
		default:
			j = skipUnknown(b, j, key, choiceKeys)
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

// delta reads the delta object (or null) at b[i] into dl, which is zero.
func (d *chunkDecoder) delta(b []byte, i int, dl *Delta) int {
	if b[i] != '{' {
		return null(b, i)
	}
	reasoningContent := false // whether a non-empty reasoning_content was read
	var seen uint16
	i, more := openObject(b, i)
	for more {
		k, key, j := deltaKeys.keyOnce(b, i, &seen)
		if j < 0 {
			return -1
		}
		switch k {
		case deltaRole:
			j = d.wordValue(b, j, &dl.Role)
		case deltaContent:
			j = d.stringValue(b, j, &dl.Content)
		case deltaRefusal:
			j = d.stringValue(b, j, &dl.Refusal)
		case deltaReasoningContent:
			var v []byte
			if v, j = d.text(b, j); len(v) > 0 {
				dl.ReasoningContent, reasoningContent = d.str(v), true
			}
		case deltaReasoning:
			// reasoning_content wins over reasoning, wherever it is,
			// unless it is null or empty.
			var v []byte
			if v, j = d.text(b, j); len(v) > 0 && !reasoningContent {
				dl.ReasoningContent = d.str(v)
			}
		case deltaToolCalls:
			j = d.toolCallList(b, j, dl)
		case deltaImages:
			// Only null and [] are left out of the fast path: both add
			// no image.
			if b[j] != '[' {
				j = null(b, j)
			} else if end, nonEmpty := openArray(b, j); nonEmpty {
				j = -1
			} else {
				j = end
			}
		default:
			j = skipUnknown(b, j, key, deltaKeys)
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

// toolCallList reads the tool_calls array (or null) at b[i] into
// dl.ToolCalls.
func (d *chunkDecoder) toolCallList(b []byte, i int, dl *Delta) int {
	if b[i] != '[' {
		return null(b, i)
	}
	d.calls = carve(d.calls, &d.callSlab)
	i, more := openArray(b, i)
	for more {
		if b[i] != '{' {
			return -1
		}
		d.calls = append(d.calls, ToolCallDelta{Index: -1})
		if i = d.toolCall(b, i, &d.calls[len(d.calls)-1]); i < 0 {
			return -1
		}
		i, more = nextElement(b, i)
	}
	if n := len(d.calls); n > 0 {
		dl.ToolCalls = d.calls[:n:n]
	}
	return i
}

// toolCall reads the tool call object at b[i] into t, whose Index is -1
// and other fields zero.
func (d *chunkDecoder) toolCall(b []byte, i int, t *ToolCallDelta) int {
	var seen uint16
	i, more := openObject(b, i)
	for more {
		k, key, j := toolCallKeys.keyOnce(b, i, &seen)
		if j < 0 {
			return -1
		}
		switch k {
		case callIndex:
			j = intValue(b, j, &t.Index) // null leaves -1
		case callID:
			j = d.stringValue(b, j, &t.ID)
		case callType:
			j = d.wordValue(b, j, &t.Type)
		case callFunction:
			j = d.function(b, j, &t.Function)
		default:
			j = skipUnknown(b, j, key, toolCallKeys)
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

// function reads the function object (or null) of a tool call at b[i]
// into f, which is zero.
func (d *chunkDecoder) function(b []byte, i int, f *FunctionCall) int {
	if b[i] != '{' {
		return null(b, i)
	}
	var seen uint16
	i, more := openObject(b, i)
	for more {
		k, key, j := functionKeys.keyOnce(b, i, &seen)
		if j < 0 {
			return -1
		}
		switch k {
		case functionName:
			j = d.stringValue(b, j, &f.Name)
		case functionArguments:
			j = d.stringValue(b, j, &f.Arguments)
		default:
			j = skipUnknown(b, j, key, functionKeys)
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

// intFields reads the object at b[i], whose members are plain integers or
// null, into the fields of t's keys (dst[k] for key k). A key beyond dst is
// an object or null, left to sub, which reads it.
func intFields(b []byte, i int, t *keyTable, dst []*int, sub func(k int, b []byte, i int) int) int {
	var seen uint16
	i, more := openObject(b, i)
	for more {
		k, key, j := t.keyOnce(b, i, &seen)
		if j < 0 {
			return -1
		}
		switch k {
		case 0, 1, 2, 3, 4, 5, 6, 7:
			if k < len(dst) {
				j = intValue(b, j, dst[k])
			} else {
				j = sub(k, b, j)
			}
		default:
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

// usageBlock holds a Usage and its details, so that reading them costs
// one allocation.
type usageBlock struct {
	usage  Usage
	prompt PromptTokensDetails
	compl  CompletionTokensDetails
}

// usageValue reads the usage object (or null) at b[i] into *dst, which is
// nil.
func usageValue(b []byte, i int, dst **Usage) int {
	if b[i] != '{' {
		return null(b, i)
	}
	blk := new(usageBlock)
	u := &blk.usage
	*dst = u
	return intFields(b, i, usageKeys, []*int{&u.PromptTokens, &u.CompletionTokens, &u.TotalTokens},
		func(k int, b []byte, i int) int {
			if b[i] != '{' {
				return null(b, i)
			}
			if k == usagePromptDetails {
				p := &blk.prompt
				u.PromptTokensDetails = p
				return intFields(b, i, promptDetailKeys, []*int{&p.CachedTokens, &p.AudioTokens}, nil)
			}
			c := &blk.compl
			u.CompletionTokensDetails = c
			return intFields(b, i, complDetailKeys,
				[]*int{&c.ReasoningTokens, &c.AudioTokens, &c.AcceptedPredictionTokens, &c.RejectedPredictionTokens}, nil)
		})
}

package aione

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"unsafe"
)

// accumulator merges a stream's chunks into a ChatResponse. It works on the
// hot path, so it appends into buffers it keeps and builds strings only
// when response is called.
type accumulator struct {
	id, model, fingerprint, tier string
	created                      int64
	usage                        *Usage
	header                       http.Header
	choices                      []choiceAcc // by choice index

	// limit bounds size, what the merged answer holds (see cost): zero
	// means DefaultMaxResponseSize, and a negative limit turns merging
	// off (WithoutAccumulation).
	limit, size int64
}

// choiceAcc is one choice merged so far.
type choiceAcc struct {
	seen      bool // a chunk named this choice (indexes can have gaps)
	role      string
	content   []byte
	refusal   []byte
	reasoning []byte
	hasText   bool // a non-empty content delta arrived
	calls     []callAcc
	// slots maps the index the server gives a tool call (or its position
	// in the chunk when it gives none) to the call's position in calls.
	// They differ when a gateway numbers every call 0: a new call ID under
	// a used number starts a new call.
	slots    []int
	finish   string
	logprobs *Logprobs
	images   []ContentPart
	extra    map[string]json.RawMessage // the deltas' Extra members, merged
}

// callAcc is one tool call merged from its fragments.
type callAcc struct {
	id, typ, name string
	args          []byte
	claimed       bool                       // false for a gap left by an index that skipped ahead
	extra         map[string]json.RawMessage // the fragments' Extra members, merged
	// madeID is the ID made up for a call the server sent none for, so
	// that every Response names it the same.
	madeID string
}

const (
	// maxChoices bounds the choice index a server can make the client
	// allocate for.
	maxChoices = 1024
	// maxToolCalls bounds the index of a tool call.
	maxToolCalls = 1024
)

// init starts a new response whose HTTP headers are h.
func (a *accumulator) init(h http.Header) { *a = accumulator{header: h} }

// add merges c into the response and resolves the indexes the server left
// out, writing them back into c so that Current shows them. It fails on
// an index too large to be real, and when the response grows past its
// limit.
func (a *accumulator) add(c *ChatChunk) error {
	if err := checkIndexes(c); err != nil {
		return err
	}
	if a.limit < 0 {
		a.track(c)
		return nil
	}
	limit := a.limit
	if limit == 0 {
		limit = DefaultMaxResponseSize
	}
	if a.size += cost(c); a.size > limit {
		return fmt.Errorf("%w: the streamed answer holds more than %d bytes (see WithMaxResponseSize)", ErrResponseTooLarge, limit)
	}
	a.id = pick(a.id, c.ID)
	a.model = pick(a.model, c.Model)
	a.fingerprint = pick(a.fingerprint, c.SystemFingerprint)
	a.tier = pick(a.tier, c.ServiceTier)
	if c.Created != 0 {
		a.created = c.Created
	}
	if c.Usage != nil {
		a.usage = cloneUsage(c.Usage) // c is the caller's to change
	}
	for i := range c.Choices {
		ch := &c.Choices[i]
		if ch.Index < 0 {
			ch.Index = i
		}
		for len(a.choices) <= ch.Index {
			a.choices = append(a.choices, choiceAcc{})
		}
		a.choices[ch.Index].add(ch)
	}
	return nil
}

// checkIndexes fails on a chunk with a choice or tool call index too large
// to be real, before any of it is merged: a server must not make the
// client allocate for a billion choices.
func checkIndexes(c *ChatChunk) error {
	for i, ch := range c.Choices {
		if ch.Index >= maxChoices || ch.Index < 0 && i >= maxChoices {
			return fmt.Errorf("aione: stream chunk: choice index %d is out of range", max(ch.Index, i))
		}
		for j, t := range ch.Delta.ToolCalls {
			if t.Index >= maxToolCalls || t.Index < 0 && j >= maxToolCalls {
				return fmt.Errorf("aione: stream chunk: tool call index %d is out of range", max(t.Index, j))
			}
		}
	}
	return nil
}

// appendText appends s to buf, doubling the buffer when it grows (from 64
// bytes, so that a stream that has sent only a few words holds little): a
// long answer then costs a handful of allocations, not one per growth step
// of append's gentler policy.
func appendText(buf []byte, s string) []byte {
	if len(s) > cap(buf)-len(buf) {
		grown := make([]byte, len(buf), max(2*cap(buf), len(buf)+len(s), 64))
		copy(grown, buf)
		buf = grown
	}
	return append(buf, s...)
}

// frozen returns the text of an append-only buffer as a string without
// copying it. That is safe because the accumulator only ever appends: the
// bytes the string covers are never written again, whether later appends
// fit in the same array or move to a new one.
func frozen(buf []byte) string {
	if len(buf) == 0 {
		return ""
	}
	return unsafe.String(&buf[0], len(buf))
}

// pick returns s, or old when s is empty.
func pick(old, s string) string {
	if s != "" {
		return s
	}
	return old
}

func (ca *choiceAcc) add(ch *ChunkChoice) {
	ca.seen = true
	d := &ch.Delta
	if d.Role != "" {
		ca.role = d.Role
	}
	if d.Content != "" {
		ca.content = appendText(ca.content, d.Content)
		ca.hasText = true
	}
	ca.refusal = appendText(ca.refusal, d.Refusal)
	ca.reasoning = appendText(ca.reasoning, d.ReasoningContent)
	ca.images = append(ca.images, d.Images...)
	if ch.FinishReason != "" {
		ca.finish = ch.FinishReason
	}
	if lp := ch.Logprobs; lp != nil {
		if ca.logprobs == nil {
			ca.logprobs = &Logprobs{}
		}
		ca.logprobs.Content = append(ca.logprobs.Content, lp.Content...)
		ca.logprobs.Refusal = append(ca.logprobs.Refusal, lp.Refusal...)
	}
	mergeExtra(&ca.extra, d.Extra)
	for i := range d.ToolCalls {
		ca.addCall(&d.ToolCalls[i], i)
	}
}

// mergeExtra merges the Extra members of a fragment into the kept ones, in
// buffers of the accumulator's own: a member seen again replaces the
// earlier value, except that two arrays are joined into one (OpenRouter's
// reasoning_details arrive in pieces, Gemini's extra_content whole, once).
func mergeExtra(dst *map[string]json.RawMessage, src map[string]json.RawMessage) {
	for k, v := range src {
		if *dst == nil {
			*dst = make(map[string]json.RawMessage, len(src))
		}
		old := (*dst)[k]
		v = bytes.TrimSpace(v)
		if len(old) > 1 && old[0] == '[' && len(v) > 1 && v[0] == '[' {
			inner := bytes.TrimSpace(v[1 : len(v)-1])
			if len(inner) > 0 {
				old = old[:len(old)-1] // drop ']'
				if len(bytes.TrimSpace(old)) > 1 {
					old = append(old, ',')
				}
				old = append(appendText(old, string(inner)), ']')
			}
			(*dst)[k] = old
			continue
		}
		(*dst)[k] = append([]byte(nil), v...)
	}
}

// newToolCallID makes up the ID of a tool call the server sent without
// one, so that the tool loop can answer it: "call_" and 24 random hex
// digits.
func newToolCallID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails
	return "call_" + hex.EncodeToString(b[:])
}

// addCall merges the tool call fragment t, found at position pos of its
// chunk's tool calls. A fragment with no index is numbered by its position.
// A fragment carrying an ID other than the one of the call its number
// points to starts a new call: gateways that number every call 0, or none,
// still give each call its own ID in its first fragment. The number is
// below maxToolCalls (see checkIndexes); the calls can be more, but only
// as many as the IDs the server sent.
func (ca *choiceAcc) addCall(t *ToolCallDelta, pos int) {
	w := t.Index
	if w < 0 {
		w = pos
	}
	for len(ca.slots) <= w {
		ca.slots = append(ca.slots, -1)
	}
	k := ca.slots[w]
	switch {
	case k < 0:
		k = ca.claim(w)
	case t.ID != "" && ca.calls[k].id != "" && ca.calls[k].id != t.ID:
		k = ca.claim(len(ca.calls))
	}
	ca.slots[w] = k
	t.Index = k
	c := &ca.calls[k]
	c.id = pick(c.id, t.ID)
	c.typ = pick(c.typ, t.Type)
	if c.name == "" {
		c.name = t.Function.Name
	}
	c.args = appendText(c.args, t.Function.Arguments)
	mergeExtra(&c.extra, t.Extra)
}

// claim returns the position of a new call: want if that is free, else
// the end of the list.
func (ca *choiceAcc) claim(want int) int {
	if want < len(ca.calls) && ca.calls[want].claimed {
		want = len(ca.calls)
	}
	for len(ca.calls) <= want {
		ca.calls = append(ca.calls, callAcc{})
	}
	ca.calls[want].claimed = true
	return want
}

// Charges of cost, in bytes, for what a merged answer keeps besides the
// bytes of its strings: a tool call's record, slot and ToolCall in the
// response, and each fragment, part and log probability.
const (
	callCost     = 256
	fragmentCost = 32
	partCost     = int64(unsafe.Sizeof(ContentPart{}))
	logprobCost  = int64(unsafe.Sizeof(TokenLogprob{}))
)

// cost returns how much merging c adds to a response, at most: each
// fragment of a tool call is charged as if it started a new call.
func cost(c *ChatChunk) int64 {
	n := int64(0)
	for i := range c.Choices {
		d := &c.Choices[i].Delta
		n += int64(len(d.Content)+len(d.Refusal)+len(d.ReasoningContent)) + int64(extraSize(d.Extra))
		for _, t := range d.ToolCalls {
			n += callCost + fragmentCost + int64(len(t.ID)+len(t.Type)+len(t.Function.Name)+len(t.Function.Arguments)+extraSize(t.Extra))
		}
		for _, p := range d.Images {
			n += partCost + int64(len(p.Text))
			if p.ImageURL != nil {
				n += int64(len(p.ImageURL.URL))
			}
		}
		if lp := c.Choices[i].Logprobs; lp != nil {
			for _, l := range [][]TokenLogprob{lp.Content, lp.Refusal} {
				for _, t := range l {
					n += logprobCost + int64(len(t.Token)+8*len(t.Bytes))
					for _, top := range t.TopLogprobs {
						n += int64(unsafe.Sizeof(top)) + int64(len(top.Token)+8*len(top.Bytes))
					}
				}
			}
		}
	}
	return n
}

// track is add when merging is off: it resolves the indexes the server
// left out by position, and keeps only which choices were seen and
// finished, for [accumulator.complete].
func (a *accumulator) track(c *ChatChunk) {
	for i := range c.Choices {
		ch := &c.Choices[i]
		if ch.Index < 0 {
			ch.Index = i
		}
		for j := range ch.Delta.ToolCalls {
			if t := &ch.Delta.ToolCalls[j]; t.Index < 0 {
				t.Index = j
			}
		}
		for len(a.choices) <= ch.Index {
			a.choices = append(a.choices, choiceAcc{})
		}
		ca := &a.choices[ch.Index]
		ca.seen = true
		if ch.FinishReason != "" {
			ca.finish = ch.FinishReason
		}
	}
}

// complete reports whether at least one choice was seen and every choice
// seen has a finish reason.
func (a *accumulator) complete() bool {
	if len(a.choices) == 0 {
		return false
	}
	for _, c := range a.choices {
		if c.seen && c.finish == "" {
			return false
		}
	}
	return true
}

// response builds the ChatResponse received so far, or returns nil when
// merging is off. It shares nothing mutable with the accumulator.
func (a *accumulator) response() *ChatResponse {
	if a.limit < 0 {
		return nil
	}
	r := &ChatResponse{
		ID:                a.id,
		Object:            "chat.completion",
		Created:           a.created,
		Model:             a.model,
		SystemFingerprint: a.fingerprint,
		ServiceTier:       a.tier,
		Header:            a.header,
		RequestID:         requestID(a.header),
		RateLimit:         parseRateLimit(a.header),
		Usage:             cloneUsage(a.usage),
	}
	for i, c := range a.choices {
		if !c.seen {
			continue
		}
		m := Message{
			Role:             c.role,
			Refusal:          frozen(c.refusal),
			ReasoningContent: frozen(c.reasoning),
			Images:           slices.Clone(c.images),
			Extra:            cloneExtra(c.extra),
		}
		if m.Role == "" {
			m.Role = RoleAssistant
		}
		// Content is null only for a message that calls tools or refuses
		// without text, as in a non-streamed answer.
		if c.hasText || !c.hasCalls() && len(c.refusal) == 0 {
			m.Content = TextContent(frozen(c.content))
		}
		for k := range c.calls {
			tc := &a.choices[i].calls[k]
			if !tc.claimed {
				continue
			}
			typ := tc.typ
			if typ == "" {
				typ = "function"
			}
			id := tc.id
			if id == "" {
				if tc.madeID == "" {
					tc.madeID = newToolCallID()
				}
				id = tc.madeID
			}
			m.ToolCalls = append(m.ToolCalls, ToolCall{
				ID:       id,
				Type:     typ,
				Function: FunctionCall{Name: tc.name, Arguments: frozen(tc.args)},
				Extra:    cloneExtra(tc.extra),
			})
		}
		var lp *Logprobs
		if c.logprobs != nil {
			lp = &Logprobs{Content: slices.Clone(c.logprobs.Content), Refusal: slices.Clone(c.logprobs.Refusal)}
		}
		r.Choices = append(r.Choices, Choice{Index: i, Message: m, FinishReason: c.finish, Logprobs: lp})
	}
	return r
}

// hasCalls reports whether the choice has a tool call.
func (ca *choiceAcc) hasCalls() bool {
	for _, c := range ca.calls {
		if c.claimed {
			return true
		}
	}
	return false
}

// cloneUsage returns a deep copy of u.
func cloneUsage(u *Usage) *Usage {
	if u == nil {
		return nil
	}
	c := *u
	if p := u.PromptTokensDetails; p != nil {
		d := *p
		c.PromptTokensDetails = &d
	}
	if p := u.CompletionTokensDetails; p != nil {
		d := *p
		c.CompletionTokensDetails = &d
	}
	return &c
}

package localserver

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"time"
)

// Fault describes one scripted behaviour of the server for one request.
// The zero Fault serves the normal answer.
//
// The fields are applied in this order: WithLatency and Delay; then the
// first of ResetBeforeHeaders, Stall, a raw answer (Status, Body or
// BodySize) and RawSSE that is set decides the answer; otherwise the normal
// answer (or API error) is served, with Answer, KeepAlive,
// ResetAfterEvents and StallAfterEvents applied to it. ResetAfterHeaders
// applies to every answer but ResetBeforeHeaders and Stall. RetryAfter,
// RetryAfterMS, ShouldRetry and Header are added to every response that has
// headers.
//
// Faults that drop a connection (ResetBeforeHeaders, ResetAfterHeaders,
// ResetAfterEvents, and Stall when the server closes) hijack the
// connection; a Go client that retries transparently (an idempotent
// request on a reused connection) may send the request again, which then
// takes the next fault.
type Fault struct {
	// Status is the status code of a raw answer. When Status, Body or
	// BodySize is set, the server skips routing, authentication and
	// validation and serves exactly that answer; Status defaults to 200.
	Status int
	// Body is the body of a raw answer. Its Content-Type defaults to
	// application/json when it starts with '{' or '[', to text/html when it
	// starts with '<', and to text/plain otherwise.
	Body string
	// Header holds headers to set on the response, overriding any the
	// server would set (Content-Type included).
	Header map[string]string
	// RetryAfter, when not empty, is sent as the Retry-After header.
	RetryAfter string
	// RetryAfterMS, when not empty, is sent as the retry-after-ms header.
	RetryAfterMS string
	// ShouldRetry, when not empty, is sent as the x-should-retry header.
	ShouldRetry string
	// BodySize, when positive, makes the raw answer's body exactly this
	// many bytes long: Body repeated, or a line of filler text repeated
	// when Body is empty. The body is streamed without being held in
	// memory, with a Content-Length header.
	BodySize int
	// ResetBeforeHeaders makes the server drop the connection without
	// writing anything (a TCP reset), so the client gets a transport error.
	ResetBeforeHeaders bool
	// Stall makes the server accept the request and never answer, until
	// the client goes away or the server closes (then the connection is
	// dropped).
	Stall bool
	// ResetAfterHeaders makes the server send the answer's headers (and,
	// for an event stream, any keep-alive comments) and then drop the
	// connection, so that the body ends early, before its first byte
	// (after any keep-alive comments).
	ResetAfterHeaders bool
	// ResetAfterEvents, when positive, makes a streamed answer drop the
	// connection after that many data events ("data: [DONE]" counts as
	// one): the client reads the events and then an unexpected end of the
	// body. Non-streamed answers ignore it.
	ResetAfterEvents int
	// StallAfterEvents, when positive, makes a streamed answer go silent
	// after that many data events, until the client goes away or the
	// server closes. Non-streamed answers ignore it.
	StallAfterEvents int
	// RawSSE, when not empty, is served as the whole body of a 200
	// text/event-stream answer, byte for byte, for malformed-stream tests.
	RawSSE string
	// KeepAlive is the interval at which ": keep-alive" comment lines are
	// sent before the events of a streamed or RawSSE answer.
	KeepAlive time.Duration
	// KeepAliveCount is how many keep-alive comments to send; it defaults
	// to 1 when KeepAlive is set.
	KeepAliveCount int
	// Delay is how long to wait before answering, on top of WithLatency.
	Delay time.Duration
	// ChunkDelay, when positive, is the wait between two events of this
	// streamed answer, replacing the server's WithChunkDelay.
	ChunkDelay time.Duration
	// TrickleBytes, when positive, makes a streamed answer write each
	// event in pieces of at most this many bytes, flushed one by one with
	// the chunk delay between them: a slow trickle of bytes.
	TrickleBytes int
	// OmitDone makes a streamed answer end the body normally without its
	// "data: [DONE]" event, as a proxy that cuts a stream short does.
	OmitDone bool
	// Answer, when not nil, replaces the generated answer of a request
	// that passes authentication and validation.
	Answer *Answer
}

// Answer overrides the deterministic answer of the server.
type Answer struct {
	// Text is the content of every choice. When both Text and ToolCalls
	// are empty, the content is "".
	Text string
	// ToolCalls are the tool calls the assistant asks for; when set and
	// Text is empty, the content is null. An empty ID is filled with a
	// generated "call_local_<n>".
	ToolCalls []ToolCall
	// FinishReason is the finish reason of every choice; it defaults to
	// "tool_calls" when ToolCalls is set and "stop" otherwise.
	FinishReason string
	// Usage, when not nil, replaces the computed token usage.
	Usage *Usage
	// Images are image URLs (usually data URLs) that follow Text: the
	// content becomes an array of parts, a text part (when Text is not
	// empty) and an image_url part for each image, as Gemini image models
	// answer. A streamed answer sends Text as content deltas and then the
	// images in a delta's "images" array.
	Images []string
	// Chunks, when not empty, are the pieces in which a streamed answer
	// sends Text, one content delta each; Text defaults to their
	// concatenation. Without Chunks the text is sent a word at a time.
	Chunks []string
	// ReasoningContent, when not empty, is sent as the message's
	// "reasoning_content" (streamed before the content, a word at a time).
	ReasoningContent string
}

// ToolCall is a function call requested by the assistant in an Answer.
type ToolCall struct {
	// ID is the tool call ID, such as "call_abc".
	ID string
	// Name is the function name.
	Name string
	// Arguments is the JSON text of the arguments.
	Arguments string
	// Extra holds members the call carries beside the named ones, such as
	// Gemini 3's "extra_content" with its thought signature. In a stream
	// they come with the call's first fragment.
	Extra map[string]json.RawMessage
}

// Usage is the token usage of an answer, as sent on the wire.
type Usage struct {
	// PromptTokens is the number of prompt tokens.
	PromptTokens int `json:"prompt_tokens"`
	// CompletionTokens is the number of completion tokens.
	CompletionTokens int `json:"completion_tokens"`
	// TotalTokens is PromptTokens + CompletionTokens.
	TotalTokens int `json:"total_tokens"`
	// PromptTokensDetails and CompletionTokensDetails, when not nil, are
	// sent as they marshal (cached, reasoning tokens and the like).
	PromptTokensDetails     any `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails any `json:"completion_tokens_details,omitempty"`
}

// FaultFunc chooses the behaviour of a request that finds the fault queue
// empty. req is a copy of the request and n its 1-based sequence number on
// the server. A nil result serves the normal answer.
type FaultFunc func(req Request, n int) *Fault

// WeightedFault is a Fault with the probability of choosing it, for
// RandomFaults.
type WeightedFault struct {
	// Weight is the probability, between 0 and 1, of choosing Fault.
	Weight float64
	// Fault is the behaviour chosen.
	Fault Fault
}

// RandomFaults returns a FaultFunc that picks, for request number n, one of
// faults with its Weight as probability, or the normal answer with the
// remaining probability. The choice depends only on seed and n, so a run is
// reproducible: the same seed gives the same faults to the same request
// numbers.
//
// For example, RandomFaults(1, WeightedFault{Weight: 0.2, Fault: Fault{Status: 503}})
// answers about 20% of requests with a 503.
func RandomFaults(seed uint64, faults ...WeightedFault) FaultFunc {
	fs := append([]WeightedFault(nil), faults...)
	return func(_ Request, n int) *Fault {
		r := rand.New(rand.NewPCG(seed, uint64(n)))
		p := r.Float64()
		for _, wf := range fs {
			if p < wf.Weight {
				f := wf.Fault
				return &f
			}
			p -= wf.Weight
		}
		return nil
	}
}

// ErrorJSON returns an AIone error body, such as
// {"error":{"message":"...","type":"...","param":null,"code":"..."}}. An
// empty code is sent as null.
func ErrorJSON(message, typ, code string) string {
	return string(errorBody(message, typ, "", code))
}

type errorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func errorBody(message, typ, param, code string) []byte {
	d := errorDetail{Message: message, Type: typ}
	if param != "" {
		d.Param = &param
	}
	if code != "" {
		d.Code = &code
	}
	b, _ := marshal(struct {
		Error errorDetail `json:"error"`
	}{d})
	return b
}

// marshal encodes v as JSON without HTML escaping and without a trailing
// newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	return b, nil
}

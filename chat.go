package aione

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unsafe"
)

// Message roles.
const (
	RoleSystem    = "system"
	RoleDeveloper = "developer"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
)

// ChatRequest is the JSON body of a chat completions request. The options
// of a call fill it in; [Client.NewChatRequest] returns it for inspection,
// logging or comparison. Pointer fields are nil when unset and are then not
// sent, so an explicit zero (temperature 0) differs from no value.
type ChatRequest struct {
	Model               string            `json:"model"`
	Messages            []Message         `json:"messages"`
	Temperature         *float64          `json:"temperature,omitempty"`
	TopP                *float64          `json:"top_p,omitempty"`
	TopK                *int              `json:"top_k,omitempty"`
	MaxTokens           *int              `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int              `json:"max_completion_tokens,omitempty"`
	Stop                []string          `json:"stop,omitempty"`
	Seed                *int64            `json:"seed,omitempty"`
	N                   *int              `json:"n,omitempty"`
	PresencePenalty     *float64          `json:"presence_penalty,omitempty"`
	FrequencyPenalty    *float64          `json:"frequency_penalty,omitempty"`
	LogitBias           map[string]int    `json:"logit_bias,omitempty"`
	Logprobs            *bool             `json:"logprobs,omitempty"`
	TopLogprobs         *int              `json:"top_logprobs,omitempty"`
	User                string            `json:"user,omitempty"`
	ReasoningEffort     string            `json:"reasoning_effort,omitempty"`
	ServiceTier         string            `json:"service_tier,omitempty"`
	Metadata            map[string]string `json:"metadata,omitempty"`
	AspectRatio         string            `json:"aspect_ratio,omitempty"`
	ImageSize           string            `json:"image_size,omitempty"`
	ResponseFormat      *ResponseFormat   `json:"response_format,omitempty"`
	Tools               []Tool            `json:"tools,omitempty"`
	ToolChoice          *ToolChoice       `json:"tool_choice,omitempty"`
	ParallelToolCalls   *bool             `json:"parallel_tool_calls,omitempty"`
	Stream              bool              `json:"stream,omitempty"`
	StreamOptions       *StreamOptions    `json:"stream_options,omitempty"`

	// ReasoningReplay says which assistant messages send their
	// ReasoningContent back; see [WithReasoningReplay]. The zero value is
	// [ReasoningToolTurns].
	ReasoningReplay ReasoningReplay `json:"-"`

	// Extra holds top-level fields set with WithExtraField: they are added
	// to the JSON, replacing named fields of the same key. A key whose
	// value is nil is removed from the JSON.
	Extra map[string]any `json:"-"`
}

// StreamOptions is the request's stream_options; see [WithStreamUsage].
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// ResponseFormat is the request's response_format: "text", "json_object",
// or "json_schema" with a schema.
type ResponseFormat struct {
	Type       string      `json:"type"`
	JSONSchema *JSONSchema `json:"json_schema,omitempty"`
}

// JSONSchema describes the structured output asked for by a "json_schema"
// response format.
type JSONSchema struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Schema      json.RawMessage `json:"schema,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

// ReasoningReplay says which assistant messages of a request send their
// [Message.ReasoningContent] back as "reasoning_content".
type ReasoningReplay uint8

const (
	// ReasoningToolTurns, the default, sends reasoning back on assistant
	// messages that call tools, and on no others. DeepSeek's thinking mode
	// (and gateways that pass reasoning through) answer 400 when a tool
	// call turn lacks its reasoning, and ignore it on other turns; APIs
	// that know no reasoning field see it only in tool loops of models
	// that returned some.
	ReasoningToolTurns ReasoningReplay = iota
	// ReasoningNever sends no reasoning back, for APIs that reject it
	// (DeepSeek's older deepseek-reasoner).
	ReasoningNever
	// ReasoningAlways sends every assistant message's reasoning back.
	ReasoningAlways
)

// sends reports whether m's reasoning text is sent under r.
func (r ReasoningReplay) sends(m *Message) bool {
	if m.ReasoningContent == "" || m.Role != RoleAssistant {
		return false
	}
	switch r {
	case ReasoningAlways:
		return true
	case ReasoningToolTurns:
		return len(m.ToolCalls) > 0
	}
	return false
}

type chatRequestJSON ChatRequest // without the MarshalJSON method

// MarshalJSON encodes the request, applying ReasoningReplay to its
// messages, and Extra: a named field keeps its place with the new value,
// a removed one is left out, and new fields follow in key order.
func (r ChatRequest) MarshalJSON() ([]byte, error) {
	msgs := r.Messages
	for i := range msgs {
		if msgs[i].ReasoningContent != "" && !r.ReasoningReplay.sends(&msgs[i]) {
			if &msgs[0] == &r.Messages[0] {
				msgs = slices.Clone(msgs)
			}
			msgs[i].ReasoningContent = ""
		}
	}
	r.Messages = msgs
	b, err := json.Marshal(chatRequestJSON(r))
	if err != nil || len(r.Extra) == 0 {
		return b, err
	}
	encode := func(k string) (json.RawMessage, error) {
		raw, err := json.Marshal(r.Extra[k])
		if err != nil {
			return nil, fmt.Errorf("extra field %q: %v", k, err)
		}
		return raw, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(b)+64)
	out = append(out, '{')
	add := func(k string, v json.RawMessage) {
		if len(out) > 1 {
			out = append(out, ',')
		}
		kb, _ := json.Marshal(k)
		out = append(out, kb...)
		out = append(out, ':')
		out = append(out, v...)
	}
	// Named fields, in the struct's order.
	dec := json.NewDecoder(bytes.NewReader(b))
	_, _ = dec.Token() // {
	for dec.More() {
		tok, _ := dec.Token()
		k := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if _, ok := r.Extra[k]; !ok {
			add(k, v)
			continue
		}
		if r.Extra[k] == nil {
			continue
		}
		raw, err := encode(k)
		if err != nil {
			return nil, err
		}
		add(k, raw)
	}
	for _, k := range slices.Sorted(maps.Keys(r.Extra)) {
		if _, named := m[k]; named || r.Extra[k] == nil {
			continue
		}
		raw, err := encode(k)
		if err != nil {
			return nil, err
		}
		add(k, raw)
	}
	return append(out, '}'), nil
}

// NewChatRequest returns the request that [Client.Chat] would send for these
// arguments, after checking it. Nothing is sent. The request is a deep
// copy, the caller's: changing it changes neither the messages given, nor
// the client's defaults, nor the options.
func (c *Client) NewChatRequest(model string, messages []Message, opts ...Option) (*ChatRequest, error) {
	cl, err := c.newCall(opts)
	if err != nil {
		return nil, err
	}
	r, err := cl.request(model, messages, false)
	if err != nil {
		return nil, err
	}
	return r.clone(), nil
}

// prepare resolves a call's options and encodes its checked request body,
// once: every attempt sends these bytes.
func (c *Client) prepare(model string, messages []Message, stream bool, opts []Option) (*call, []byte, error) {
	cl, err := c.newCall(opts)
	if err != nil {
		return nil, nil, err
	}
	req, err := cl.request(model, messages, stream)
	if err != nil {
		return nil, nil, err
	}
	body, err := cl.use(req)
	if err != nil {
		return nil, nil, err
	}
	return cl, body, nil
}

// use makes req the call's request and encodes it.
func (c *call) use(req *ChatRequest) ([]byte, error) {
	c.req, c.model = req, req.Model
	c.observe(req)
	return encodeBody(req)
}

// encodeBody encodes a checked request body.
func encodeBody(req *ChatRequest) ([]byte, error) {
	body, err := encodeRequest(req)
	if err != nil {
		return nil, fmt.Errorf("aione: encoding request: %v", err)
	}
	return body, nil
}

// request builds and checks the request body.
func (c *call) request(model string, messages []Message, stream bool) (*ChatRequest, error) {
	r := c.params
	r.Model = model
	r.Messages = messages
	r.Stream = stream
	if !stream {
		r.StreamOptions = nil
	}
	if len(c.extra) > 0 {
		r.Extra = make(map[string]any, len(c.extra))
		for k, f := range c.extra {
			if f.remove {
				r.Extra[k] = nil
			} else {
				r.Extra[k] = f.value
			}
		}
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// ChatResponse is the answer to a chat completions request. Its exported
// JSON fields mirror the wire format; the rest come from the HTTP response.
type ChatResponse struct {
	ID                string   `json:"id"`
	Object            string   `json:"object"`
	Created           int64    `json:"created"`
	Model             string   `json:"model"`
	SystemFingerprint string   `json:"system_fingerprint,omitempty"`
	ServiceTier       string   `json:"service_tier,omitempty"`
	Choices           []Choice `json:"choices"`
	Usage             *Usage   `json:"usage,omitempty"`

	// RequestID is the x-request-id (or X-Oneapi-Request-Id) header.
	RequestID string `json:"-"`
	// RateLimit holds the x-ratelimit-* headers.
	RateLimit RateLimit `json:"-"`
	// Header holds all the response headers.
	Header http.Header `json:"-"`
	// Raw is the response body exactly as received, so that nothing the
	// types do not name is ever lost. It is a string, so that it cannot
	// change: long decoded strings (a large text without escapes, an image
	// data URL) share its memory, and an answer kept whole holds its body
	// once. Short strings (IDs, model, roles, finish reasons) are copies
	// that never keep the body alive. Decode it with
	// json.Unmarshal([]byte(resp.Raw), &v). For a stream's Response it is
	// empty.
	Raw string `json:"-"`
}

// Choice is one of the answers in a [ChatResponse].
type Choice struct {
	Index        int       `json:"index"`
	Message      Message   `json:"message"`
	FinishReason string    `json:"finish_reason"`
	Logprobs     *Logprobs `json:"logprobs,omitempty"`
}

// Finish reasons.
const (
	FinishStop          = "stop"
	FinishLength        = "length"
	FinishToolCalls     = "tool_calls"
	FinishContentFilter = "content_filter"
)

// Usage counts the tokens of a request and its answer.
type Usage struct {
	PromptTokens            int                      `json:"prompt_tokens"`
	CompletionTokens        int                      `json:"completion_tokens"`
	TotalTokens             int                      `json:"total_tokens"`
	PromptTokensDetails     *PromptTokensDetails     `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails *CompletionTokensDetails `json:"completion_tokens_details,omitempty"`
}

// PromptTokensDetails breaks down the prompt tokens.
type PromptTokensDetails struct {
	CachedTokens int `json:"cached_tokens"`
	AudioTokens  int `json:"audio_tokens,omitempty"`
}

// CompletionTokensDetails breaks down the completion tokens.
type CompletionTokensDetails struct {
	ReasoningTokens          int `json:"reasoning_tokens"`
	AudioTokens              int `json:"audio_tokens,omitempty"`
	AcceptedPredictionTokens int `json:"accepted_prediction_tokens,omitempty"`
	RejectedPredictionTokens int `json:"rejected_prediction_tokens,omitempty"`
}

// Logprobs holds the log probabilities of a choice's tokens.
type Logprobs struct {
	Content []TokenLogprob `json:"content"`
	Refusal []TokenLogprob `json:"refusal,omitempty"`
}

// TokenLogprob is one token's log probability and its most likely
// alternatives.
type TokenLogprob struct {
	Token       string       `json:"token"`
	Logprob     float64      `json:"logprob"`
	Bytes       []int        `json:"bytes"`
	TopLogprobs []TopLogprob `json:"top_logprobs"`
}

// TopLogprob is one of the most likely tokens at a position.
type TopLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	Bytes   []int   `json:"bytes"`
}

// RateLimit is what the x-ratelimit-* response headers say. A field is zero
// when its header is absent or unreadable.
type RateLimit struct {
	LimitRequests     int
	RemainingRequests int
	ResetRequests     time.Duration
	LimitTokens       int
	RemainingTokens   int
	ResetTokens       time.Duration
}

func parseRateLimit(h http.Header) RateLimit {
	num := func(k string) int {
		n, _ := strconv.Atoi(h.Get(k))
		return n
	}
	if len(h) == 0 {
		return RateLimit{}
	}
	dur := func(k string) time.Duration {
		v := h.Get(k)
		if v == "" {
			return 0
		}
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 && s < 1e9 {
			return time.Duration(s * float64(time.Second))
		}
		return 0
	}
	return RateLimit{
		LimitRequests:     num("X-Ratelimit-Limit-Requests"),
		RemainingRequests: num("X-Ratelimit-Remaining-Requests"),
		ResetRequests:     dur("X-Ratelimit-Reset-Requests"),
		LimitTokens:       num("X-Ratelimit-Limit-Tokens"),
		RemainingTokens:   num("X-Ratelimit-Remaining-Tokens"),
		ResetTokens:       dur("X-Ratelimit-Reset-Tokens"),
	}
}

// Text returns the text of the first choice, or "" if there is none.
func (r *ChatResponse) Text() string {
	if r == nil || len(r.Choices) == 0 {
		return ""
	}
	return r.Choices[0].Message.Content.Text()
}

// Chat sends messages to model and returns the whole answer. Call options
// apply to this call only, on top of the client's.
//
// A non-2xx answer, or a 200 answer holding an error object, is an
// [*APIError]. Retryable failures are retried first; see [WithMaxRetries].
func (c *Client) Chat(ctx context.Context, model string, messages []Message, opts ...Option) (*ChatResponse, error) {
	cl, body, err := c.prepare(model, messages, false, opts)
	if err != nil {
		return nil, err
	}
	return cl.chat(ctx, body)
}

// chat sends a prepared call's body, falling back to other models as the
// call allows, and decodes the answer.
func (cl *call) chat(ctx context.Context, body []byte) (answer *ChatResponse, err error) {
	ctx = cl.obs.start(ctx)
	defer func() {
		cl.obs.end(ctx, answer, err)
		cl.logAnswer(ctx, func() *ChatResponse { return answer }, err)
	}()
	if cl.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cl.timeout)
		defer cancel()
	}
	var resp *http.Response
	err = cl.withFallbacks(ctx, body, func(body []byte) (err error) {
		resp, _, err = cl.send(ctx, body, false, resume{})
		return err
	})
	if err != nil {
		return nil, err
	}
	data, err := cl.readAnswer(ctx, resp, cl.responseLimit(), "response")
	if err != nil {
		return nil, err
	}
	answer, err = cl.decodeAnswer(ctx, resp.StatusCode, resp.Header, data)
	if answer != nil && answer.Model == "" && cl.model != cl.req.Model {
		answer.Model = cl.model
	}
	return answer, err
}

// readAnswer reads a 2xx answer's body, what it is for the errors, up to
// limit bytes, and closes it. A longer body is an error wrapping
// [ErrResponseTooLarge].
func (cl *call) readAnswer(ctx context.Context, resp *http.Response, limit int64, what string) ([]byte, error) {
	defer func() { _ = resp.Body.Close() }()
	data, err := readBody(ctx, resp, limit+1)
	if err != nil {
		if ctx.Err() != nil {
			return nil, cl.ctxError(ctx, fmt.Errorf("aione: reading %s: %v", what, err))
		}
		return nil, fmt.Errorf("aione: reading %s: %w", what, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: the body is larger than %d bytes", ErrResponseTooLarge, limit)
	}
	return data, nil
}

// readBody reads at most limit bytes of resp's body. Its buffer starts at
// the announced Content-Length, but never above maxInitialRead, and grows
// only with the bytes that arrive (fourfold, or to the announced end): a server cannot make the client
// allocate by announcing a length it does not send. It stops when ctx is
// done, even if the body goes on without touching the network (a body
// that net/http inflates from a few compressed bytes).
func readBody(ctx context.Context, resp *http.Response, limit int64) ([]byte, error) {
	size := resp.ContentLength + 1 // to see the end without growing
	if size <= 0 || size > maxInitialRead {
		size = maxInitialRead
	}
	buf := make([]byte, 0, min(size, limit))
	r := io.LimitReader(resp.Body, limit)
	for {
		if len(buf) == cap(buf) {
			// Grow fourfold, or straight to the announced end if that
			// is at most eightfold: what is allocated stays within a
			// few times what arrived, in a few steps.
			next := int64(4 * cap(buf))
			if n := resp.ContentLength; n >= int64(cap(buf)) && n <= 2*next {
				next = n + 1
			}
			grown := make([]byte, len(buf), min(next, limit))
			copy(grown, buf)
			buf = grown
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
		if err := ctx.Err(); err != nil {
			return buf, err
		}
	}
}

// maxInitialRead bounds the buffer readBody allocates before any byte
// arrives.
const maxInitialRead = 64 << 10

// decodeResponse decodes a 2xx body, which may still hold an error object.
// It takes data over: the response's Raw and long strings share its
// memory, so it must never be written again. Tool calls sent without an
// ID get one made up, which the tool loop uses on both sides.
func decodeResponse(ctx context.Context, status int, h http.Header, data []byte) (*ChatResponse, error) {
	if cap(data)-len(data) > len(data)/4 {
		// Do not keep a read buffer's spare capacity alive with the
		// answer.
		data = bytes.Clone(data)
	}
	r, errField, err := decodeChat(ctx, data)
	if err != nil {
		e := newAPIError(status, h, data[:min(len(data), maxErrorBody)])
		return nil, fmt.Errorf("aione: decoding response (status %d, content type %q): %v: %q",
			status, clip(h.Get("Content-Type"), maxErrorField), err, e.Message)
	}
	if errField != nil {
		return nil, newAPIError(status, h, data)
	}
	for i := range r.Choices {
		calls := r.Choices[i].Message.ToolCalls
		for k := range calls {
			if calls[k].ID == "" {
				calls[k].ID = newToolCallID()
			}
		}
	}
	r.Header = h
	r.RequestID = requestID(h)
	r.RateLimit = parseRateLimit(h)
	r.Raw = unsafe.String(unsafe.SliceData(data), len(data))
	return r, nil
}

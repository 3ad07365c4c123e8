package aionetest

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/internal/localserver"
)

// Reply scripts the server's answer to one request. Its fields fall into
// four groups, which can be combined:
//
//   - The answer: Text, Chunks, ReasoningContent, ToolCalls, Images,
//     FinishReason and Usage replace the deterministic answer of a request
//     that passes authentication and validation (a wrong key still gets a
//     401). The same answer is sent whole, or streamed when the request
//     asks for a stream.
//   - The stream's shape: Chunks, ChunkDelay, TrickleBytes, KeepAlives.
//   - A raw answer: when Status or Body is set, the server skips routing,
//     authentication and validation and sends exactly that status and body
//     (see [Error] for AIone's error shape).
//   - Faults: Reset, Stall, ResetAfterChunks, StallAfterChunks, OmitDone,
//     RawSSE.
//
// Delay, Header and RetryAfter apply to every kind of answer. The zero
// Reply serves the deterministic answer.
type Reply struct {
	// Text is the content of the answer. With neither Text, Chunks nor
	// Images, the content is "" (or null when ToolCalls is set).
	Text string
	// Chunks, when not empty, are the pieces in which a stream sends the
	// text, one content delta each; Text defaults to their concatenation.
	// Without Chunks a stream sends the text a word at a time.
	Chunks []string
	// ReasoningContent is the model's reasoning, sent as
	// "reasoning_content" (streamed before the content).
	ReasoningContent string
	// ToolCalls are the tool calls the model asks for. An empty ID is
	// filled with a generated "call_local_<n>".
	ToolCalls []ToolCall
	// Images are image URLs, usually data URLs (see [Image]), answered as
	// AIone's Gemini image models do: the content becomes an array of
	// parts, a text part for Text and an image_url part per image. A
	// stream sends them in a delta's "images" array after the text.
	Images []string
	// FinishReason defaults to "tool_calls" when ToolCalls is set and to
	// "stop" otherwise.
	FinishReason string
	// Usage, when not nil, replaces the token counts the server computes
	// (one token per word), details included. A stream sends usage only
	// when the request asks for it (aione.WithStreamUsage).
	Usage *aione.Usage

	// ChunkDelay is the wait between two events of a stream, replacing
	// the server's WithChunkDelay.
	ChunkDelay time.Duration
	// TrickleBytes, when positive, makes a stream write each event in
	// pieces of at most that many bytes, with ChunkDelay between them.
	TrickleBytes int
	// KeepAlives is how many ": keep-alive" comments a stream sends before
	// its first event, KeepAliveInterval apart.
	KeepAlives int
	// KeepAliveInterval is the wait before each keep-alive comment.
	KeepAliveInterval time.Duration

	// Status is the status code of a raw answer (200 when only Body is
	// set).
	Status int
	// Body is the body of a raw answer. Its Content-Type is
	// application/json when it starts with '{' or '[', text/html when it
	// starts with '<', and text/plain otherwise, unless Header says
	// otherwise.
	Body string
	// Header holds response headers to set, overriding the server's own.
	Header map[string]string
	// RetryAfter, when not zero, is sent as the Retry-After header, in
	// whole seconds (rounded up); for other forms (an HTTP date,
	// retry-after-ms) use Header.
	RetryAfter time.Duration
	// Delay is how long to wait before answering.
	Delay time.Duration

	// Reset drops the connection before any answer is sent: the client
	// sees a transport error.
	Reset bool
	// Stall accepts the request and never answers, until the client gives
	// up (its context or timeout) or the server closes.
	Stall bool
	// ResetAfterChunks, when positive, drops a stream's connection after
	// that many data events ("data: [DONE]" counts as one).
	ResetAfterChunks int
	// StallAfterChunks, when positive, makes a stream go silent after that
	// many data events, until the client gives up or the server closes.
	StallAfterChunks int
	// OmitDone ends a stream's body normally but without "data: [DONE]",
	// as a proxy that cuts a stream short does.
	OmitDone bool
	// RawSSE, when not empty, is sent byte for byte as the body of a 200
	// text/event-stream answer, for tests of malformed streams.
	RawSSE string
}

// ToolCall is a function call the model asks for in a [Reply].
type ToolCall struct {
	// ID is the call's ID; empty means a generated "call_local_<n>".
	ID string
	// Name is the function's name.
	Name string
	// Arguments is the JSON text of the arguments, such as
	// {"city":"Paris"}.
	Arguments string
	// Extra holds members the call carries beside the named ones, as raw
	// JSON: Gemini 3's thought signature is
	// {"extra_content": {"google": {"thought_signature": "..."}}}, which
	// the client must send back with the call. In a stream they come with
	// the call's first fragment.
	Extra map[string]json.RawMessage
}

// JSON returns a Reply whose text is v encoded as JSON, the answer to a
// json_object or json_schema request. It panics if v cannot be encoded,
// which is a mistake in the test.
func JSON(v any) Reply {
	b, err := json.Marshal(v)
	if err != nil {
		panic("aionetest: JSON: " + err.Error())
	}
	return Reply{Text: string(b)}
}

// Image returns a Reply whose content is text followed by the image data
// of type mimeType (such as "image/png") as a data URL, as AIone's Gemini
// image models answer. [SamplePNG] is a small image to send.
func Image(text, mimeType string, data []byte) Reply {
	return Reply{Text: text, Images: []string{aione.ImageDataPart(data, mimeType).ImageURL.URL}}
}

// SamplePNG returns a valid 2x2 PNG image, the one the server sends to
// Gemini image models when no reply is scripted. The slice is the caller's.
func SamplePNG() []byte { return localserver.PNG() }

// Error returns a raw Reply with the given status and AIone's error body,
// {"error":{"message":...,"type":...,"param":null,"code":...}}, whose type
// and code follow the status as the service's do (429 is
// "rate_limit_exceeded", 401 "invalid_api_key", 5xx "server_error"). Set
// RetryAfter or Header on the result for the headers, or build another
// body shape with [ErrorBody] or by hand.
func Error(status int, message string) Reply {
	typ, code := "invalid_request_error", ""
	switch {
	case status == http.StatusUnauthorized:
		code = "invalid_api_key"
	case status == http.StatusForbidden:
		typ = "permission_error"
	case status == http.StatusNotFound:
		typ = "not_found_error"
	case status == http.StatusTooManyRequests:
		typ, code = "rate_limit_exceeded", "rate_limit_exceeded"
	case status >= 500:
		typ = "server_error"
	}
	return Reply{Status: status, Body: ErrorBody(message, typ, code)}
}

// ErrorBody returns AIone's error body with the given message, type and
// code; an empty code is sent as null.
func ErrorBody(message, typ, code string) string {
	return localserver.ErrorJSON(message, typ, code)
}

// fault translates the reply for the server's engine.
func (r Reply) fault() localserver.Fault {
	f := localserver.Fault{
		Status:             r.Status,
		Body:               r.Body,
		Header:             maps.Clone(r.Header),
		ResetBeforeHeaders: r.Reset,
		Stall:              r.Stall,
		ResetAfterEvents:   r.ResetAfterChunks,
		StallAfterEvents:   r.StallAfterChunks,
		RawSSE:             r.RawSSE,
		KeepAlive:          r.KeepAliveInterval,
		KeepAliveCount:     r.KeepAlives,
		Delay:              r.Delay,
		ChunkDelay:         r.ChunkDelay,
		TrickleBytes:       r.TrickleBytes,
		OmitDone:           r.OmitDone,
	}
	if r.RetryAfter > 0 {
		f.RetryAfter = strconv.FormatInt(int64((r.RetryAfter+time.Second-1)/time.Second), 10)
	}
	if r.Text != "" || len(r.Chunks) > 0 || r.ReasoningContent != "" || len(r.ToolCalls) > 0 ||
		len(r.Images) > 0 || r.FinishReason != "" || r.Usage != nil {
		a := &localserver.Answer{
			Text:             r.Text,
			Chunks:           slices.Clone(r.Chunks),
			ReasoningContent: r.ReasoningContent,
			Images:           slices.Clone(r.Images),
			FinishReason:     r.FinishReason,
		}
		for _, tc := range r.ToolCalls {
			a.ToolCalls = append(a.ToolCalls, localserver.ToolCall(tc))
		}
		if u := r.Usage; u != nil {
			a.Usage = &localserver.Usage{
				PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens,
			}
			// A nil pointer in an interface is not omitted: set only
			// what is there.
			if u.PromptTokensDetails != nil {
				a.Usage.PromptTokensDetails = u.PromptTokensDetails
			}
			if u.CompletionTokensDetails != nil {
				a.Usage.CompletionTokensDetails = u.CompletionTokensDetails
			}
		}
		f.Answer = a
	}
	return f
}

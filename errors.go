package aione

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aione/aione-go/internal/jsonlex"
)

// ErrMissingAPIKey is returned by [NewClient] and by calls when no API key
// was given by [WithAPIKey] nor by the AIONE_API_KEY environment variable
// and the base URL is AIone's: nothing is sent to AIone without a key. A
// client for another base URL (a local gateway) may have no key.
var ErrMissingAPIKey = errors.New("aione: no API key: pass aione.WithAPIKey(key) or set the AIONE_API_KEY environment variable")

// ErrTruncated is wrapped by the error of a stream that ended before the
// server said it was complete: no "data: [DONE]" and not every choice had a
// finish reason. It wraps [io.ErrUnexpectedEOF], so errors.Is works with
// either.
var ErrTruncated = fmt.Errorf("aione: stream ended before it was complete: %w", io.ErrUnexpectedEOF)

// ErrIdleTimeout is the cause of a stream ended because the server sent
// nothing for longer than [WithIdleTimeout] allows.
var ErrIdleTimeout = errors.New("aione: stream idle timeout")

// ErrResponseTooLarge is wrapped by the error of a call whose answer grew
// past its bound, [WithMaxResponseSize]: the body of a [Client.Chat]
// answer, or the answer a stream merges for [Stream.Response]. Use
// errors.Is to match it.
var ErrResponseTooLarge = errors.New("aione: response too large")

// ErrClosed is what [Stream.Err] (and [ToolStream.Err]) reports after the
// caller's own Close stopped the stream before its end, so that code can
// tell a stop it asked for from a failure: errors.Is(err, aione.ErrClosed).
// A stream that had already ended keeps its own error (nil after a clean
// end).
var ErrClosed = errors.New("aione: stream closed")

// APIError is an error answered by the server: a non-2xx status, or an
// error object inside a 200 answer or a stream. Use [errors.As] with a
// *APIError to inspect it:
//
//	var apiErr *aione.APIError
//	if errors.As(err, &apiErr) && apiErr.StatusCode == 429 { ... }
type APIError struct {
	// StatusCode is the HTTP status of the response (200 for an error
	// reported inside a successful response or a stream).
	StatusCode int
	// Type is the error's "type" field, such as "invalid_request_error".
	Type string
	// Code is the error's "code" field. A numeric code is given in decimal.
	Code string
	// Param is the request parameter the error is about, if the server said.
	Param string
	// Message is the server's explanation, or for a body that is not an
	// error object (an HTML page, plain text) a short excerpt of it.
	Message string
	// RequestID is the value of the x-request-id (or X-Oneapi-Request-Id)
	// response header.
	RequestID string
	// RetryAfter is how long the server asked the client to wait before
	// trying again (Retry-After or retry-after-ms), or zero.
	RetryAfter time.Duration
	// Attempts is how many HTTP attempts the call made, the last of which
	// returned this error. It is zero for errors reported inside a stream.
	Attempts int
	// Header holds the response headers.
	Header http.Header
	// Body is the start of the raw response body, at most 4 KiB of it.
	Body []byte
}

// Error returns a one-line description of the error.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("aione: ")
	switch e.StatusCode {
	case 0:
	case http.StatusOK:
		// The status said success; the body or the stream said otherwise.
		b.WriteString("error in answer: ")
	default:
		b.WriteString(strconv.Itoa(e.StatusCode))
		if t := http.StatusText(e.StatusCode); t != "" {
			b.WriteByte(' ')
			b.WriteString(t)
		}
		b.WriteString(": ")
	}
	if e.Message != "" {
		b.WriteString(e.Message)
	} else {
		b.WriteString("error")
	}
	sep := " ("
	add := func(k, v string) {
		if v == "" {
			return
		}
		b.WriteString(sep)
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
		sep = ", "
	}
	add("type", e.Type)
	add("code", e.Code)
	add("param", e.Param)
	add("request_id", e.RequestID)
	if e.Attempts > 1 {
		add("attempts", strconv.Itoa(e.Attempts))
	}
	if sep != " (" {
		b.WriteByte(')')
	}
	return b.String()
}

// Retryable reports whether the client retries a failure like this one:
// 408, 409, a 429 that is not a spent quota, and 5xx but 501, unless the
// server's x-should-retry header says otherwise. An error reported inside a
// 200 answer or a stream is not retryable.
func (e *APIError) Retryable() bool { return retryableStatus(e) }

const (
	// maxErrorBody bounds how much of an error response is read.
	maxErrorBody = 64 << 10
	// maxErrorExcerpt bounds the raw body kept in APIError.Body, and its
	// Message.
	maxErrorExcerpt = 4 << 10
	// maxErrorField bounds the other texts of an error taken from what a
	// server sent: header values (a request ID, a content type) and the
	// type, code and param of an error object.
	maxErrorField = 256
)

// errorObject is the wire form of {"message","type","param","code"}.
type errorObject struct {
	Message json.RawMessage `json:"message"`
	Type    json.RawMessage `json:"type"`
	Param   json.RawMessage `json:"param"`
	Code    json.RawMessage `json:"code"`
}

// newAPIError builds the error for a response with the given status, headers
// and (bounded) body. It understands every error shape gateways send; when
// the body is none of them, the message is an excerpt of the body. The
// texts taken from the headers and the body are cut to a few hundred bytes
// (the message to [maxErrorExcerpt]), so that the error's text stays short
// whatever the server sent.
func newAPIError(status int, header http.Header, body []byte) *APIError {
	e := &APIError{StatusCode: status, Header: header}
	if header != nil {
		e.RequestID = clip(requestID(header), maxErrorField)
		e.RetryAfter = retryAfter(header, time.Now())
	}
	if len(body) > maxErrorExcerpt {
		e.Body = bytes.Clone(body[:maxErrorExcerpt])
	} else if len(body) > 0 {
		e.Body = bytes.Clone(body)
	}
	if !fillFromBody(e, body) {
		e.Message = excerpt(body)
	}
	if e.Message == "" {
		if t := http.StatusText(status); t != "" && status != http.StatusOK {
			e.Message = strings.ToLower(t)
		}
	}
	e.Message = clip(e.Message, maxErrorExcerpt)
	e.Type = clip(e.Type, maxErrorField)
	e.Code = clip(e.Code, maxErrorField)
	e.Param = clip(e.Param, maxErrorField)
	return e
}

// fillFromBody reads an error object from body into e. It reports whether
// the body was JSON of a known error shape: an object, or an array whose
// first element is one (at any depth). It costs time linear in the body:
// the body is checked once by an iterative walk that gives up on nesting
// deeper than [jsonlex.MaxDepth], and only the object found is decoded.
func fillFromBody(e *APIError, body []byte) bool {
	i := jsonlex.SkipSpace(body, 0)
	end := jsonlex.SkipValue(body, i)
	if end < 0 || jsonlex.SkipSpace(body, end) != len(body) {
		return false
	}
	for body[i] == '[' { // the first element, of the first element...
		i = jsonlex.SkipSpace(body, i+1)
		if body[i] == ']' {
			return false
		}
	}
	if body[i] != '{' {
		return false
	}
	body = body[i:jsonlex.SkipValue(body, i)]
	var top struct {
		Error   json.RawMessage `json:"error"`
		Detail  json.RawMessage `json:"detail"`
		Message json.RawMessage `json:"message"`
		Type    json.RawMessage `json:"type"`
		Code    json.RawMessage `json:"code"`
		Param   json.RawMessage `json:"param"`
	}
	if json.Unmarshal(body, &top) != nil {
		return false
	}
	switch {
	case isObject(top.Error):
		var o errorObject
		if json.Unmarshal(top.Error, &o) != nil {
			return false
		}
		e.setFields(o)
		return true
	case len(top.Error) > 0 && !isNull(top.Error):
		e.Message = scalar(top.Error)
		e.Type, e.Code, e.Param = scalar(top.Type), scalar(top.Code), scalar(top.Param)
		return true
	case len(top.Message) > 0 || len(top.Detail) > 0:
		e.setFields(errorObject{Message: top.Message, Type: top.Type, Param: top.Param, Code: top.Code})
		if e.Message == "" {
			e.Message = scalar(top.Detail)
		}
		return true
	}
	return false
}

func (e *APIError) setFields(o errorObject) {
	e.Message = scalar(o.Message)
	e.Type = scalar(o.Type)
	e.Param = scalar(o.Param)
	e.Code = scalar(o.Code)
}

// scalar renders a JSON value as text: strings unquoted, numbers and
// booleans as written, null and absent as "", anything else as compact JSON.
func scalar(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || isNull(raw) {
		return ""
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		return buf.String()
	}
	return string(raw)
}

func isNull(raw []byte) bool { return string(bytes.TrimSpace(raw)) == "null" }

func isObject(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{'
}

// excerpt returns a short printable summary of a body that is not an error
// object: tags of an HTML page are dropped and white space folded.
func excerpt(body []byte) string {
	const max = 200
	if len(body) > maxErrorBody {
		body = body[:maxErrorBody]
	}
	var b strings.Builder
	inTag, space := false, false
	for len(body) > 0 && b.Len() < max {
		r, n := utf8.DecodeRune(body)
		body = body[n:]
		switch {
		case r == '<':
			inTag = true
			continue
		case r == '>' && inTag:
			inTag = false
			r = ' '
		case inTag:
			continue
		}
		if r <= ' ' || r == 0x7f {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	s := b.String()
	if b.Len() >= max {
		s += "..."
	}
	return s
}

// clip returns s cut to at most about n bytes, at a rune boundary, with a
// marker saying how long it was.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "...[" + strconv.Itoa(len(s)) + " bytes]"
}

// requestID returns the request ID headers gateways use.
func requestID(h http.Header) string {
	if id := h.Get("X-Request-Id"); id != "" {
		return id
	}
	return h.Get("X-Oneapi-Request-Id")
}

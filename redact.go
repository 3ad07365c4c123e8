package aione

import (
	"bytes"
	"context"
	"errors"
	"net/http"
)

// Keeping the API key out of errors built from what a server sent. A
// server, or a gateway in front of it, may echo the request back, key
// included, in a body or a header of any status. The key is replaced in
// the bytes received before any text is taken from them, so that no
// excerpt can cut it in two and show a part of it, and in the texts built
// afterwards.

// holdsKey reports whether b holds the API key. A key shorter than 4
// bytes is never looked for: it would match ordinary text.
func (s *settings) holdsKey(b []byte) bool {
	key := s.key.value()
	return len(key) >= 4 && bytes.Contains(b, []byte(key))
}

// headerHoldsKey reports whether a value of h holds the API key.
func (s *settings) headerHoldsKey(h http.Header) bool {
	for _, vs := range h {
		for _, v := range vs {
			if s.holdsKey([]byte(v)) {
				return true
			}
		}
	}
	return false
}

// redactBytes returns b with the API key replaced, or b itself when it
// does not hold the key.
func (s *settings) redactBytes(b []byte) []byte {
	if !s.holdsKey(b) {
		return b
	}
	return bytes.ReplaceAll(b, []byte(s.key.value()), []byte(redacted))
}

// redactHeader returns h with the API key replaced in its values: h itself
// when none holds it, else a copy.
func (s *settings) redactHeader(h http.Header) http.Header {
	if !s.headerHoldsKey(h) {
		return h
	}
	h = h.Clone()
	for _, vs := range h {
		for i, v := range vs {
			vs[i] = s.redact(v)
		}
	}
	return h
}

// apiError is [newAPIError] for a response the call received, with the
// API key replaced everywhere.
func (c *call) apiError(status int, h http.Header, body []byte) *APIError {
	e := newAPIError(status, c.redactHeader(h), c.redactBytes(body))
	c.redactAPIError(e)
	return e
}

// redactError removes the API key from err: from the fields of an
// *APIError it is, or else from its text, keeping what it wraps reachable.
func (c *call) redactError(err error) error {
	var e *APIError
	if errors.As(err, &e) && e == err {
		c.redactAPIError(e)
		return e
	}
	return c.redactErr(err)
}

// decodeAnswer is [decodeResponse] for a 2xx answer the call received. An
// answer that holds the API key and is not a chat answer is described from
// a copy with the key replaced. A call whose context ends is not kept
// waiting by the decoding of a large body.
func (c *call) decodeAnswer(ctx context.Context, status int, h http.Header, data []byte) (*ChatResponse, error) {
	r, err := decodeResponse(ctx, status, h, data)
	if err == nil {
		return r, nil
	}
	if ctx.Err() != nil {
		return nil, c.ctxError(ctx, errors.New("aione: decoding response: stopped"))
	}
	if c.holdsKey(data) || c.headerHoldsKey(h) {
		if _, err2 := decodeResponse(ctx, status, c.redactHeader(h), c.redactBytes(data)); err2 != nil {
			err = err2
		}
	}
	return nil, c.redactError(err)
}

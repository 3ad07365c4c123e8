package aione

import (
	"net/http"
	"slices"
)

// Middleware wraps one HTTP attempt. It gets the request about to be sent
// and next, which sends it on (through the middleware given after it, then
// the HTTPDoer), and returns the response the SDK is to see. It may change
// the request (a header, a refreshed token), look at the response (status,
// latency, metrics), or answer by itself without calling next (a cache, a
// test double).
//
// A middleware runs for every attempt: each retry, and each reopening of a
// stream that broke before its first chunk, goes through it again, with the
// attempt number in the X-Aione-Attempt header. An error it returns is
// treated like a transport error, and so retried unless it wraps
// context.Canceled. A response it returns is the caller's to read: its body
// is closed by the SDK. The request's body (and GetBody) can be read until
// the outermost middleware returns; after that the SDK lets go of its
// bytes, so a middleware that keeps the request must copy the body first.
//
// A middleware must be safe for concurrent use: calls share it.
type Middleware func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error)

// WithMiddleware adds middleware around every HTTP attempt. The first given
// is the outermost: it sees the request first and the response last. Given
// to [NewClient] it applies to every call; given to a call it applies to
// that call, inside the client's middleware (the client's run first).
// Repeated WithMiddleware options add up. There is none by default.
func WithMiddleware(mw ...Middleware) Option {
	mw = slices.Clone(mw)
	return optionFunc(func(s *settings) {
		for i, m := range mw {
			if m == nil {
				s.invalid("WithMiddleware: middleware %d is nil", i)
				return
			}
		}
		s.middleware = append(slices.Clip(s.middleware), mw...)
	})
}

// do sends req through the middleware to the HTTPDoer.
func (c *call) do(req *http.Request) (*http.Response, error) {
	if len(c.middleware) == 0 {
		return c.httpClient.Do(req)
	}
	return c.through(0, req)
}

// through runs the middleware from the i-th on.
func (c *call) through(i int, req *http.Request) (*http.Response, error) {
	if i == len(c.middleware) {
		return c.httpClient.Do(req)
	}
	return c.middleware[i](req, func(r *http.Request) (*http.Response, error) {
		return c.through(i+1, r)
	})
}

package aione

import (
	"errors"
	"io"
	"sync"
)

// A request body the SDK lets go of once its attempt is over. net/http
// keeps an *http.Request, body and GetBody included, until the response
// body is closed: for a stream that is as long as the stream, and a long
// conversation's body is hundreds of kilobytes. The bytes are needed only
// while the exchange runs (the transport writes them, a redirect or a
// transport-level retry reads them again through GetBody) and while the
// transport is still writing them, which it may do after the response has
// come when a server answers before reading the whole request. So the
// bytes go when both are over: the exchange has returned (release) and
// every reader made of them has reached its end or been closed, as the
// transport closes a request body once it is done with it. The SDK's own
// retries and stream reopens start a new request from the call's copy.

// errBodyReleased is what reading a request body gives once the SDK let
// go of it; nothing the SDK does reads it then.
var errBodyReleased = errors.New("aione: request body read after its exchange returned")

// sentBody holds a request's bytes for the readers made from it.
type sentBody struct {
	mu       sync.Mutex
	b        []byte
	released bool // the exchange returned
	reading  int  // readers neither at their end nor closed
}

func newSentBody(b []byte) *sentBody { return &sentBody{b: b} }

// reader returns a new reader of the bytes, as GetBody does.
func (s *sentBody) reader() io.ReadCloser {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &sentBodyReader{body: s, size: len(s.b), done: s.b == nil}
	if !r.done {
		s.reading++
	}
	return r
}

// release says the exchange returned: the bytes go now, or when the last
// reader is done with them.
func (s *sentBody) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.released = true
	s.drop()
}

// drop lets go of the bytes once nothing needs them. s.mu is held.
func (s *sentBody) drop() {
	if s.released && s.reading == 0 {
		s.b = nil
	}
}

// sentBodyReader reads a sentBody from the start.
type sentBodyReader struct {
	body      *sentBody
	off, size int
	done      bool // at the end or closed: no longer counted in body.reading
}

func (r *sentBodyReader) Read(p []byte) (int, error) {
	s := r.body
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.off == r.size && r.size > 0:
		// At the end, even once the bytes are gone: the transport reads
		// once more to see that nothing follows the announced length.
		return 0, io.EOF
	case r.done || s.b == nil:
		return 0, errBodyReleased // closed early, or made after release
	}
	n := copy(p, s.b[r.off:])
	r.off += n
	if r.off < len(s.b) {
		return n, nil
	}
	r.finish()
	return n, io.EOF
}

// Close ends the reader; the transport closes a request body once it is
// done with it.
func (r *sentBodyReader) Close() error {
	r.body.mu.Lock()
	defer r.body.mu.Unlock()
	r.finish()
	return nil
}

// finish stops counting r as a reader of the bytes. r.body.mu is held.
func (r *sentBodyReader) finish() {
	if !r.done {
		r.done = true
		r.body.reading--
		r.body.drop()
	}
}

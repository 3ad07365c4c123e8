package aione

import (
	"errors"
	"io"
	"sync/atomic"
)

// A request body the SDK lets go of once its attempt's exchange has
// returned. net/http keeps an *http.Request, body and GetBody included,
// until the response body is closed: for a stream that is as long as the
// stream, and a long conversation's body is hundreds of kilobytes. The
// bytes are needed only while the exchange runs (the transport writes
// them, a redirect or a transport-level retry reads them again through
// GetBody); the SDK's own retries and stream reopens start a new request
// from the call's copy.

// errBodyReleased is what reading a request body gives after its exchange
// returned; nothing the SDK does reads it then.
var errBodyReleased = errors.New("aione: request body read after its exchange returned")

// sentBody holds a request's bytes for the readers made from it.
type sentBody struct{ b atomic.Pointer[[]byte] }

func newSentBody(b []byte) *sentBody {
	s := &sentBody{}
	s.b.Store(&b)
	return s
}

// reader returns a new reader of the bytes, as GetBody does.
func (s *sentBody) reader() io.ReadCloser { return &sentBodyReader{body: s} }

// release lets go of the bytes: readers then fail.
func (s *sentBody) release() { s.b.Store(nil) }

// sentBodyReader reads a sentBody from the start. One goroutine reads it,
// as net/http does; release may come from another.
type sentBodyReader struct {
	body *sentBody
	off  int
}

func (r *sentBodyReader) Read(p []byte) (int, error) {
	b := r.body.b.Load()
	if b == nil {
		return 0, errBodyReleased
	}
	if r.off >= len(*b) {
		return 0, io.EOF
	}
	n := copy(p, (*b)[r.off:])
	r.off += n
	return n, nil
}

func (r *sentBodyReader) Close() error { return nil }

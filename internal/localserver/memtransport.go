package localserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
)

// ErrDropped is the error that the in-memory transport of Server.Transport
// reports when a fault drops the connection. When the headers were already
// sent, the response body fails with an error that matches both ErrDropped
// and io.ErrUnexpectedEOF.
var ErrDropped = errors.New("localserver: connection dropped")

// MemoryHost is the scheme and host of the URL of a Server made by
// NewInMemory. The ".invalid" top-level domain never resolves, so a client
// that bypasses the in-memory transport fails instead of reaching a
// network.
const MemoryHost = "http://aionetest.invalid"

// NewInMemory returns a Server that opens no socket: it serves requests
// only through Server.Transport (and the client of Server.Client), so it
// suits testing/synctest bubbles. Its URL is MemoryHost followed by the
// base path. Call Close when done; a Server made inside a bubble must be
// closed inside it.
func NewInMemory(opts ...Option) *Server {
	s := newServer(opts...)
	s.URL = MemoryHost + s.cfg.basePath
	return s
}

// Transport returns an http.RoundTripper that serves requests with the
// server's handler in memory, without a network; the host of the request
// URL is ignored. Responses are streamed: the response is returned as soon
// as the handler sends its headers, and the body yields events as they are
// flushed. Closing the body or cancelling the request's context ends the
// handler. Faults that drop a connection make RoundTrip or the body's Read
// fail with ErrDropped.
func (s *Server) Transport() http.RoundTripper {
	return &memTransport{s: s}
}

type memTransport struct{ s *Server }

// RoundTrip serves req with the server's handler, in memory.
func (t *memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil {
		closeBody(req)
		return nil, errors.New("localserver: request has no URL")
	}
	ctx, cancel := context.WithCancel(req.Context())
	stopServerWatch := context.AfterFunc(t.s.baseCtx, cancel)

	sreq := req.Clone(ctx)
	sreq.RequestURI = req.URL.RequestURI()
	sreq.RemoteAddr = "127.0.0.1:1"
	if sreq.Host == "" {
		sreq.Host = req.URL.Host
	}
	if sreq.Body == nil {
		sreq.Body = http.NoBody
	}

	pr, pw := io.Pipe()
	mw := &memWriter{header: make(http.Header), pw: pw, ready: make(chan struct{})}
	stopPipeWatch := context.AfterFunc(ctx, func() { pw.CloseWithError(context.Cause(ctx)) })

	go func() {
		var err error
		defer func() {
			stopPipeWatch()
			mw.finish(err)
			closeBody(req)
			stopServerWatch()
			cancel()
		}()
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					err = ErrDropped
				} else {
					err = fmt.Errorf("localserver: handler panic: %v", v)
				}
			}
		}()
		t.s.handler.ServeHTTP(mw, sreq)
	}()

	select {
	case <-mw.ready:
	case <-ctx.Done():
		if err := req.Context().Err(); err != nil {
			return nil, err
		}
		return nil, ErrDropped
	}
	if mw.err != nil {
		return nil, mw.err
	}
	resp := &http.Response{
		Status:        strconv.Itoa(mw.status) + " " + http.StatusText(mw.status),
		StatusCode:    mw.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        mw.snapshot,
		Body:          &memBody{pr: pr, cancel: cancel},
		ContentLength: -1,
		Request:       req,
	}
	if n, err := strconv.ParseInt(mw.snapshot.Get("Content-Length"), 10, 64); err == nil {
		resp.ContentLength = n
	}
	return resp, nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// memWriter is the http.ResponseWriter of the in-memory transport.
type memWriter struct {
	header http.Header
	pw     *io.PipeWriter
	ready  chan struct{}

	mu        sync.Mutex
	committed bool
	status    int
	snapshot  http.Header
	err       error
}

// Header returns the response headers.
func (w *memWriter) Header() http.Header { return w.header }

// WriteHeader sends the status line and headers.
func (w *memWriter) WriteHeader(code int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.committed || (code >= 100 && code < 200) {
		return
	}
	w.committed = true
	w.status = code
	w.snapshot = w.header.Clone()
	close(w.ready)
}

// Write writes to the response body.
func (w *memWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.pw.Write(p)
}

// Flush sends the headers; written data needs no flushing.
func (w *memWriter) Flush() { w.WriteHeader(http.StatusOK) }

// finish ends the response once the handler has returned with err.
func (w *memWriter) finish(err error) {
	w.mu.Lock()
	wasCommitted := w.committed
	if !w.committed {
		w.committed = true
		w.status = http.StatusOK
		w.snapshot = w.header.Clone()
		w.err = err
		close(w.ready)
	}
	w.mu.Unlock()
	switch {
	case err == nil:
		_ = w.pw.Close()
	case wasCommitted:
		_ = w.pw.CloseWithError(fmt.Errorf("%w: %w", err, io.ErrUnexpectedEOF))
	default:
		_ = w.pw.CloseWithError(err)
	}
}

// memBody is the body of an in-memory response.
type memBody struct {
	pr     *io.PipeReader
	cancel context.CancelFunc
}

// Read reads the response body.
func (b *memBody) Read(p []byte) (int, error) { return b.pr.Read(p) }

// Close closes the response body.
func (b *memBody) Close() error {
	b.cancel()
	return b.pr.Close()
}

package aione

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aione/aione-go/internal/sse"
)

// Stream is a streamed answer, read one chunk at a time like a
// bufio.Scanner:
//
//	for stream.Next() {
//		for _, ch := range stream.Current().Choices {
//			fmt.Print(ch.Delta.Content)
//		}
//	}
//	if err := stream.Err(); err != nil { ... }
//	answer := stream.Response()
//
// Next returning false releases the connection, so a stream read to its
// end needs no Close. Call Close to stop early; it is always safe. A stream
// dropped before its end holds its connection until the context of the
// call is done or the Stream is garbage collected, so close it.
//
// A Stream is not safe for concurrent use, except Close, which may be
// called from another goroutine to stop a Next that is waiting.
type Stream struct {
	// Set by ChatStream and not changed after, but for reqBody, which is
	// dropped once the stream can no longer be reopened.
	call    *call
	reqBody []byte
	ctx     context.Context
	cancel  context.CancelCauseFunc

	// Owned by the goroutine calling Next.
	scanner   *sse.Scanner
	tail      tailReader // the body's last bytes, read by the scanner
	dec       chunkDecoder
	cur       ChatChunk
	acc       accumulator
	header    http.Header
	err       error
	done      bool
	delivered bool // Next returned a chunk: the stream is never reopened
	attempts  int  // HTTP attempts made, the one serving the body included

	mu     sync.Mutex  // guards conn and closed, which Close uses too
	conn   *streamConn // the body being read, nil once released
	closed bool        // released or closed: a new body is closed at once
	busy   bool        // with hooks: a Next is running
	ended  bool        // with hooks: the End hook was called
}

// streamConn is the body of one HTTP response of a stream and what watches
// it. It holds no reference to its Stream, so that a dropped Stream can be
// garbage collected.
type streamConn struct {
	body      io.ReadCloser
	stopWatch func() bool // unregisters the context watcher, nil if none
	idle      *idleReader
}

// close closes the body and stops the watchers.
func (c *streamConn) close() {
	_ = c.body.Close()
	if c.stopWatch != nil {
		c.stopWatch()
	}
	if c.idle != nil {
		c.idle.stop()
	}
}

// errDropped is the cause given to the context of a Stream that was
// garbage collected before it was closed.
var errDropped = errors.New("aione: stream dropped without Close")

// ChatStream sends messages to model and returns the answer as a stream of
// chunks. Errors before the stream starts (an HTTP error status, retries
// exhausted, an answer that is not an event stream) are returned here;
// errors after it end the stream and are reported by [Stream.Err].
//
// The context bounds the whole stream: cancelling it ends Next promptly.
// [WithTimeout] bounds only the opening of the stream; [WithIdleTimeout]
// ends a stream that goes silent. A stream whose connection breaks before
// its first chunk is delivered is reopened transparently, within the retry
// budget and with the backoff of [WithMaxRetries]; once a chunk has been
// delivered, a broken connection ends the stream with an error and nothing
// is replayed.
func (c *Client) ChatStream(ctx context.Context, model string, messages []Message, opts ...Option) (*Stream, error) {
	cl, body, err := c.prepare(model, messages, true, opts)
	if err != nil {
		return nil, err
	}
	return cl.stream(ctx, body)
}

// stream opens a prepared call's stream, falling back to other models as
// the call allows.
func (cl *call) stream(ctx context.Context, body []byte) (*Stream, error) {
	ctx = cl.obs.start(ctx)
	sctx, cancel := context.WithCancelCause(ctx)
	s := &Stream{call: cl, reqBody: body, ctx: sctx, cancel: cancel, scanner: sse.NewScanner(nil)}
	s.scanner.SetMaxEventSize(cl.maxEventSize)
	s.scanner.SetWaitFunc(s.dec.idle)
	var resp *http.Response
	err := cl.withFallbacks(sctx, body, func(body []byte) (err error) {
		s.reqBody = body
		resp, err = s.open(resume{})
		return err
	})
	if err != nil {
		cancel(err)
		cl.obs.end(ctx, nil, err)
		return nil, err
	}
	s.install(resp)
	// A stream dropped without Close releases its connection when it is
	// collected: the context watcher closes the body.
	runtime.AddCleanup(s, func(cancel context.CancelCauseFunc) { cancel(errDropped) }, cancel)
	return s, nil
}

// open sends the request, resuming the attempts as from says, and returns
// the response if it is an event stream. The call's timeout, if any, bounds
// it until the response headers arrive.
func (s *Stream) open(from resume) (*http.Response, error) {
	cl := s.call
	var timer *time.Timer
	if cl.timeout > 0 {
		d, cancel := cl.timeout, s.cancel
		timer = time.AfterFunc(d, func() { cancel(&openTimeoutError{d: d}) })
	}
	resp, attempts, err := cl.send(s.ctx, s.reqBody, true, from)
	s.attempts = attempts
	if timer != nil && !timer.Stop() && err == nil {
		// The timer fired as the headers arrived: the stream is
		// cancelled, so report the timeout rather than a broken stream.
		_ = resp.Body.Close()
		err = cl.ctxError(s.ctx, errors.New("aione: stream opened too late"))
	}
	if err != nil {
		return nil, err
	}
	if err := cl.checkEventStream(resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// install makes resp's body the one Next reads.
func (s *Stream) install(resp *http.Response) {
	body := resp.Body
	c := &streamConn{body: body}
	s.tail = tailReader{r: body}
	var r io.Reader = &s.tail
	if resp.Header.Get("Content-Type") == "" {
		r = &sniffReader{r: r, call: s.call, status: resp.StatusCode, header: resp.Header}
	}
	if d := s.call.idleTimeout; d > 0 {
		cancel := s.cancel
		c.idle = newIdleReader(r, d, func() {
			cancel(ErrIdleTimeout)
			_ = body.Close()
		})
		r = c.idle
	}
	// Not every HTTPDoer ends a body read when the request's context is
	// done: close the body then, so that Next returns promptly whatever
	// the doer. net/http's transport does it itself, so a stream through
	// it saves the watcher's memory.
	if !endsReadsOnCancel(s.call.httpClient) {
		c.stopWatch = context.AfterFunc(s.ctx, func() { _ = body.Close() })
	}
	s.scanner.Reset(r)
	s.header = resp.Header
	s.acc.init(resp.Header)
	s.acc.limit = s.call.mergeLimit()

	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.conn = c
	}
	s.mu.Unlock()
	if closed {
		c.close()
	}
}

// endsReadsOnCancel reports whether d is known to end a read of a response
// body as soon as the request's context is done: an *http.Client sending
// through net/http's own Transport, which then closes the connection.
func endsReadsOnCancel(d HTTPDoer) bool {
	hc, ok := d.(*http.Client)
	if !ok {
		return false
	}
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	_, ok = rt.(*http.Transport)
	return ok
}

// checkEventStream turns a 2xx answer that is not an event stream into an
// error, closing its body. An answer with no Content-Type passes: its body
// is checked as it is read (see sniffReader).
func (c *call) checkEventStream(resp *http.Response) error {
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "text/event-stream" {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	drainAndClose(resp.Body)
	return c.notEventStream(resp.StatusCode, resp.Header, body)
}

// notEventStream is the error of a 2xx answer that is not an event stream:
// the *APIError it holds, or a description of it, with the API key
// replaced.
func (c *call) notEventStream(status int, h http.Header, body []byte) error {
	if fillFromBody(&APIError{}, body) {
		return c.apiError(status, h, body)
	}
	return c.redactErr(fmt.Errorf("aione: status %d: answer is not an event stream (content type %q): %q",
		status, clip(h.Get("Content-Type"), maxErrorField), excerpt(c.redactBytes(body))))
}

// Next decodes the next chunk, reporting whether there is one. It returns
// false at the end of the stream or on an error; [Stream.Err] then tells
// which. The connection is released when it returns false.
//
// Every event carrying chat data is a chunk, even one with no choices (a
// chunk holding only usage, say): check the length of Choices.
func (s *Stream) Next() bool {
	if s.call.obs != nil {
		return s.observedNext()
	}
	return s.next()
}

// observedNext is Next for a call with hooks: it reports each chunk, and
// the end of the stream once.
func (s *Stream) observedNext() bool {
	s.mu.Lock()
	s.busy = true
	s.mu.Unlock()
	ok := s.next()
	if ok {
		s.call.obs.chunk(s.ctx, &s.cur)
	}
	s.mu.Lock()
	s.busy = false
	end := s.done && !s.ended
	s.ended = s.ended || end
	s.mu.Unlock()
	if end {
		s.call.obs.end(s.ctx, s.Response(), s.err)
	}
	return ok
}

// next is Next without hooks.
func (s *Stream) next() bool {
	if s.done {
		return false
	}
	if s.ctx.Err() != nil {
		s.finish(s.ctxError())
		return false
	}
	for {
		for s.scanner.Next() {
			ev := s.scanner.Event()
			if len(ev.Type) > 0 && string(ev.Type) != "message" {
				if string(ev.Type) == "error" {
					if s.fail(s.eventError(ev.Data)) {
						continue // a fallback model's stream
					}
					return false
				}
				continue // ping and other events that carry no chat data
			}
			data := bytes.TrimSpace(ev.Data)
			if len(data) == 0 || string(data) == "null" {
				continue
			}
			if string(data) == "[DONE]" {
				s.finish(nil)
				return false
			}
			errField, err := s.dec.decode(data, &s.cur)
			if err != nil {
				s.finish(s.call.redactErr(badChunk(err, data, s.call.redactBytes(data))))
				return false
			}
			if errField != nil {
				if s.fail(s.eventError(data)) {
					continue // a fallback model's stream
				}
				return false
			}
			if err := s.acc.add(&s.cur); err != nil {
				s.finish(err)
				return false
			}
			s.delivered = true
			s.reqBody = nil // never sent again: let it go
			return true
		}
		err := s.endError(s.scanner.Err())
		if err != nil && !s.delivered && s.ctx.Err() == nil && s.reopenable() {
			if err = s.reopen(err); err == nil {
				continue
			}
		}
		s.finish(err)
		return false
	}
}

// badChunk is the error of a chunk whose data the decoder rejected with
// err: text that is not JSON, or JSON with a value of the wrong type.
// shown is data as the error may show it.
func badChunk(err error, data, shown []byte) error {
	switch {
	case err == errNotObject:
		return fmt.Errorf("aione: stream chunk is not a JSON object: %q", excerpt(shown))
	case json.Valid(data):
		return fmt.Errorf("aione: stream chunk has a bad value: %v: %q", strings.TrimPrefix(err.Error(), "aione: "), excerpt(shown))
	}
	return fmt.Errorf("aione: stream chunk is not valid JSON: %v: %q", err, excerpt(shown))
}

// endError is the error of a stream whose body ended with the scanner
// error err (nil at a clean end of the body).
func (s *Stream) endError(err error) error {
	var se *setupError
	switch {
	case s.ctx.Err() != nil:
		return s.ctxError()
	case errors.As(err, &se):
		return se.err
	case errors.Is(err, sse.ErrEventTooLarge):
		return fmt.Errorf("aione: %v", err)
	case errors.Is(err, io.ErrUnexpectedEOF) && (string(bytes.TrimSpace(s.scanner.Unfinished())) == "[DONE]" || s.tail.done()):
		// A "data: [DONE]" line with no blank line after it, or no line
		// terminator at all: the server said the answer is complete and
		// closed the body.
		return nil
	case err == nil && s.acc.complete():
		// The server closed the stream without [DONE] after every choice
		// had finished: the answer is whole.
		return nil
	case err == nil && !s.delivered:
		return &truncatedError{reason: "no chunk before the end of the body", attempts: s.attempts}
	case err == nil:
		return &truncatedError{reason: "no data: [DONE] and not every choice finished", attempts: s.attempts}
	case err == io.ErrUnexpectedEOF:
		return &truncatedError{reason: "the connection closed in the middle of the body", attempts: s.attempts}
	case errors.Is(err, io.ErrUnexpectedEOF) && strings.HasPrefix(err.Error(), "sse: "):
		return &truncatedError{reason: "the body ended inside an event", attempts: s.attempts}
	default:
		return &truncatedError{reason: s.call.redact(err.Error()), attempts: s.attempts}
	}
}

// reopenable reports whether the error that ended the body is a broken
// connection, not something the server meant.
func (s *Stream) reopenable() bool {
	var se *setupError
	err := s.scanner.Err()
	return !errors.As(err, &se) && !errors.Is(err, sse.ErrEventTooLarge)
}

// ctxError is the error of a stream whose context is done.
func (s *Stream) ctxError() error {
	cause := context.Cause(s.ctx)
	var te *openTimeoutError
	switch {
	case cause == ErrClosed, cause == ErrIdleTimeout, cause == errDropped, errors.As(cause, &te):
		return cause
	case errors.Is(cause, s.ctx.Err()):
		return fmt.Errorf("aione: stream interrupted: %w", cause)
	default:
		return fmt.Errorf("aione: stream interrupted: %w: %w", s.ctx.Err(), cause)
	}
}

// openTimeoutError is the cause of a stream that did not open in time.
type openTimeoutError struct{ d time.Duration }

// Error returns the error text.
func (e *openTimeoutError) Error() string {
	return fmt.Sprintf("aione: stream did not open within %v", e.d)
}

// Unwrap returns the error it wraps.
func (e *openTimeoutError) Unwrap() error { return context.DeadlineExceeded }

// reopen sends the request again after the body broke with cause before
// any chunk was delivered. The broken stream counts as a failed attempt of
// the retry loop, so the retry budget and the backoff go on from it. It
// returns nil once a new body is installed, else the error that ends the
// stream.
func (s *Stream) reopen(cause error) error {
	broken := s.attempts // the attempt whose body broke
	if broken > s.call.maxRetries {
		return cause
	}
	s.closeConn()
	resp, err := s.open(resume{last: broken, failed: &brokenError{cause}})
	switch {
	case err == nil:
		s.install(resp)
		return nil
	case s.ctx.Err() != nil:
		return s.ctxError()
	case s.attempts == broken:
		// The retry loop gave up without a new attempt: the cause is not
		// worth retrying, or the wait would outlast the deadline.
		return cause
	}
	return err
}

// fail ends the stream with err, the error the server sent in it, unless
// no chunk was delivered yet, err says the model is unavailable and a
// fallback model's stream opens instead: then it reports true, and the
// stream goes on with the new body.
func (s *Stream) fail(err error) bool {
	if !s.delivered && len(s.call.fallbacks) > 0 {
		body, ok, encErr := s.call.nextModel(s.ctx, err)
		if ok {
			s.closeConn()
			var resp *http.Response
			err = s.call.withFallbacks(s.ctx, body, func(body []byte) (err error) {
				s.reqBody = body
				resp, err = s.open(resume{})
				return err
			})
			if err == nil {
				s.install(resp)
				return true
			}
		} else if encErr != nil {
			err = encErr
		}
	}
	s.finish(err)
	return false
}

// eventError builds the error of an error event or of a chunk holding an
// error object.
func (s *Stream) eventError(data []byte) error {
	e := s.call.apiError(http.StatusOK, s.header, data)
	e.RetryAfter = 0
	return e
}

// finish ends the stream with err (nil for a clean end) and releases the
// connection.
func (s *Stream) finish(err error) {
	s.done = true
	s.err = err
	s.cur = ChatChunk{}
	// The body is closed at once, never drained: after [DONE] nothing is
	// waited for. A body whose end was already read (the usual case: the
	// server ends the body with [DONE]) gives its connection back to the
	// pool; one the server keeps open loses it.
	s.closeConn()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel(context.Canceled)
	s.scanner.Reset(nil) // let go of its buffers: it is done
	s.call.logAnswer(s.ctx, s.Response, err)
}

// closeConn closes the body being read, if any.
func (s *Stream) closeConn() {
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	if c != nil {
		c.close()
	}
}

// Current returns the chunk decoded by the last call to Next, or the zero
// ChatChunk once Next has returned false. The chunk is the caller's to
// keep and to hand to another goroutine: nothing the stream does later
// changes it (its slices and strings are carved from memory that is never
// written again).
func (s *Stream) Current() ChatChunk { return s.cur }

// Err returns the error that ended the stream, or nil if it ended cleanly
// or has not ended. A stream cut short wraps [ErrTruncated] (and so
// io.ErrUnexpectedEOF); an error sent by the server is an [*APIError]; a
// stream stopped by its context wraps the context's error, and one stopped
// by [WithIdleTimeout] is [ErrIdleTimeout]; one stopped by the caller's own
// [Stream.Close] before its end is [ErrClosed]. It never returns io.EOF.
func (s *Stream) Err() error { return s.err }

// Close stops the stream and releases its connection. It is idempotent,
// safe to call at any time, also from another goroutine while Next waits
// (that Next then returns false), and it keeps the error [Stream.Err]
// reports. It always returns nil.
func (s *Stream) Close() error {
	s.cancel(ErrClosed)
	s.mu.Lock()
	s.closed = true
	c := s.conn
	s.conn = nil
	// With hooks, a stream closed between calls to Next ends here; one
	// closed while Next runs ends when that Next returns.
	end := s.call.obs != nil && !s.busy && !s.ended
	s.ended = s.ended || end
	s.mu.Unlock()
	if c != nil {
		c.close()
	}
	if end {
		s.call.obs.end(s.ctx, s.Response(), ErrClosed)
	}
	return nil
}

// All returns an iterator over the remaining chunks, for range-over-func.
// It yields each chunk with a nil error, then, if the stream failed, one
// last zero chunk with the error. It closes the stream when the loop ends,
// however it ends. It can be used once. As with [Stream.Current], the
// slices of a chunk are reused by the next one.
func (s *Stream) All() iter.Seq2[ChatChunk, error] { return chunks(s) }

// chunkSource is what Stream and ToolStream have in common.
type chunkSource interface {
	Next() bool
	Current() ChatChunk
	Err() error
	Close() error
}

// chunks is the iterator of All: every chunk, then the error if any, and
// Close at the end whatever ends the loop.
func chunks(s chunkSource) iter.Seq2[ChatChunk, error] {
	return func(yield func(ChatChunk, error) bool) {
		defer func() { _ = s.Close() }()
		for s.Next() {
			if !yield(s.Current(), nil) {
				return
			}
		}
		if err := s.Err(); err != nil {
			yield(ChatChunk{}, err)
		}
	}
}

// Header returns the response headers of the stream.
func (s *Stream) Header() http.Header { return s.header }

// Response returns everything received so far merged into the type
// [Client.Chat] returns: each choice's text, refusal and reasoning text,
// its tool calls assembled from their fragments, finish reasons and usage.
// After a clean end it equals what Chat returns for the same answer, but
// for Raw, which is empty, and the IDs made up for tool calls the server
// sent without one. Its Model is the server's name for the model, or the
// fallback model that served (see [WithFallbackModels]) when the chunks
// name none. Each call returns a new value, the caller's. It is nil when
// [WithoutAccumulation] turned merging off. Merging is bounded by
// [WithMaxResponseSize].
func (s *Stream) Response() *ChatResponse {
	r := s.acc.response()
	if r != nil && r.Model == "" && s.call.model != s.call.req.Model {
		r.Model = s.call.model
	}
	return r
}

// truncatedError is the error of a stream that ended before it was
// complete. It matches [ErrTruncated] and io.ErrUnexpectedEOF.
type truncatedError struct {
	reason   string
	attempts int
}

// Error says why the stream is incomplete, and after how many attempts.
func (e *truncatedError) Error() string {
	msg := ErrTruncated.Error() + " (" + e.reason
	if e.attempts > 1 {
		msg += ", after " + strconv.Itoa(e.attempts) + " attempts"
	}
	return msg + ")"
}

// Unwrap returns ErrTruncated, which wraps io.ErrUnexpectedEOF.
func (e *truncatedError) Unwrap() error { return ErrTruncated }

// brokenError is the error of the attempt whose stream broke before its
// first chunk, as the retry loop sees it.
type brokenError struct{ cause error }

// Error returns the error text.
func (e *brokenError) Error() string {
	return "stream broke before its first chunk: " + strings.TrimPrefix(e.cause.Error(), "aione: ")
}

// Unwrap returns the error it wraps.
func (e *brokenError) Unwrap() error { return e.cause }

// setupError is an error found while reading a body that shows the answer
// was never a stream; the stream ends with err and is not reopened.
type setupError struct{ err error }

// Error returns the error text.
func (e *setupError) Error() string { return e.err.Error() }

// sniffReader reads the body of an answer that names no content type. If
// it starts like JSON or HTML rather than an event stream, reading fails
// with the error [checkEventStream] gives such an answer.
type sniffReader struct {
	r       io.Reader
	call    *call // for the error
	status  int
	header  http.Header
	checked bool
}

// Read reads from the body, checking its first bytes.
func (s *sniffReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if s.checked {
		return n, err
	}
	t := bytes.TrimLeft(p[:n], " \t\r\n")
	if len(t) == 0 {
		if err != nil {
			s.checked = true
		}
		return n, err
	}
	s.checked = true
	if c := t[0]; c != '{' && c != '[' && c != '<' {
		return n, err
	}
	body := bytes.Clone(t)
	if err == nil {
		rest, _ := io.ReadAll(io.LimitReader(s.r, maxErrorBody))
		body = append(body, rest...)
	}
	return 0, &setupError{err: s.call.notEventStream(s.status, s.header, body)}
}

// idleReader ends a read that waits longer than a timeout: the clock runs
// only while a read is waiting, so a slow reader never trips it.
type idleReader struct {
	r     io.Reader
	d     time.Duration
	timer *time.Timer
}

func newIdleReader(r io.Reader, d time.Duration, onIdle func()) *idleReader {
	t := time.AfterFunc(d, onIdle)
	t.Stop()
	return &idleReader{r: r, d: d, timer: t}
}

// Read reads from the body with the clock running.
func (r *idleReader) Read(p []byte) (int, error) {
	r.timer.Reset(r.d)
	n, err := r.r.Read(p)
	r.timer.Stop()
	return n, err
}

func (r *idleReader) stop() { r.timer.Stop() }

// tailReader remembers the last bytes read from a body, so that a body
// ending with "data: [DONE]" and no line terminator, which the scanner
// reports as an unfinished event, can be told from a truncated one.
type tailReader struct {
	r    io.Reader
	tail [16]byte
	n    int // bytes of tail in use, at its end
}

// Read reads from the body, keeping the last bytes read.
func (t *tailReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n >= len(t.tail) {
		copy(t.tail[:], p[n-len(t.tail):n])
		t.n = len(t.tail)
	} else if n > 0 {
		copy(t.tail[:], t.tail[n:])
		copy(t.tail[len(t.tail)-n:], p[:n])
		t.n = min(t.n+n, len(t.tail))
	}
	return n, err
}

// done reports whether the body ended with a "data: [DONE]" line that has
// no terminator.
func (t *tailReader) done() bool {
	b := bytes.TrimRight(t.tail[len(t.tail)-t.n:], " \t")
	for _, line := range []string{"data: [DONE]", "data:[DONE]"} {
		if rest, ok := bytes.CutSuffix(b, []byte(line)); ok {
			return len(rest) == 0 || rest[len(rest)-1] == '\n' || rest[len(rest)-1] == '\r'
		}
	}
	return false
}

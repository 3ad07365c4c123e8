package localserver

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// drainTimeout bounds how long a connection dropped mid-body waits for the
// client to read what was sent before it is reset.
const drainTimeout = 2 * time.Second

// fillerLine is repeated to build large bodies when Fault.Body is empty.
const fillerLine = "AIone local server filler text for a large response body.\n"

// exchange is one request being answered.
type exchange struct {
	s     *Server
	w     http.ResponseWriter
	r     *http.Request
	ctx   context.Context
	n     int
	fault *Fault
	body  []byte
}

func (x *exchange) run() {
	if !x.wait(x.s.cfg.latency) {
		return
	}
	f := x.fault
	if f == nil {
		x.serveAPI()
		return
	}
	if !x.wait(f.Delay) {
		return
	}
	switch {
	case f.ResetBeforeHeaders:
		x.reset(false)
	case f.Stall:
		x.stall()
	case f.Status != 0 || f.Body != "" || f.BodySize > 0:
		x.serveRaw()
	case f.RawSSE != "":
		x.serveRawSSE()
	default:
		x.serveAPI()
	}
}

// wait sleeps for d. It reports false when the client went away or the
// server closed first; in the latter case the connection is dropped.
func (x *exchange) wait(d time.Duration) bool {
	if d <= 0 {
		return x.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-x.ctx.Done():
		return false
	case <-x.s.done:
		abort(x.w)
		return false
	}
}

// stall blocks until the client goes away or the server closes; in the
// latter case the connection is dropped.
func (x *exchange) stall() {
	select {
	case <-x.ctx.Done():
	case <-x.s.done:
		abort(x.w)
	}
}

// abort drops the connection without a response, with a TCP reset when
// possible. Without an http.Hijacker it panics with http.ErrAbortHandler.
func abort(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	hardClose(conn)
}

// hardClose closes c, sending a TCP reset instead of a FIN when c is TCP.
func hardClose(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// reset drops the connection. When sent is true, part of the response has
// been written: the server flushes it, half-closes the connection so the
// client reads every byte sent and then an unexpected end of the body,
// waits (bounded) for the client to close, and resets the connection.
func (x *exchange) reset(sent bool) {
	if !sent {
		abort(x.w)
		return
	}
	if fl, ok := x.w.(http.Flusher); ok {
		fl.Flush()
	}
	hj, ok := x.w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if !x.s.track(conn) {
		hardClose(conn)
		return
	}
	defer x.s.untrack(conn)
	if cw, ok := conn.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		_ = conn.SetReadDeadline(time.Now().Add(drainTimeout))
		_, _ = io.Copy(io.Discard, conn)
	}
	hardClose(conn)
}

func (x *exchange) flush() {
	if fl, ok := x.w.(http.Flusher); ok {
		fl.Flush()
	}
}

// setHeaders sets the headers every response carries, then contentType
// (when not empty), then the fault's headers.
func (x *exchange) setHeaders(contentType string) {
	h := x.w.Header()
	h.Set("x-request-id", "req_local_"+strconv.Itoa(x.n))
	h.Set("x-ratelimit-limit-requests", "1000")
	h.Set("x-ratelimit-remaining-requests", "999")
	h.Set("x-ratelimit-reset-requests", "1s")
	h.Set("x-ratelimit-limit-tokens", "100000")
	h.Set("x-ratelimit-remaining-tokens", "99000")
	h.Set("x-ratelimit-reset-tokens", "6ms")
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	f := x.fault
	if f == nil {
		return
	}
	if f.RetryAfter != "" {
		h.Set("Retry-After", f.RetryAfter)
	}
	if f.RetryAfterMS != "" {
		h.Set("retry-after-ms", f.RetryAfterMS)
	}
	if f.ShouldRetry != "" {
		h.Set("x-should-retry", f.ShouldRetry)
	}
	for k, v := range f.Header {
		h.Set(k, v)
	}
}

// contentTypeFor guesses the Content-Type of a raw body.
func contentTypeFor(body string) string {
	t := strings.TrimLeft(body, " \t\r\n")
	switch {
	case strings.HasPrefix(t, "{"), strings.HasPrefix(t, "["):
		return "application/json"
	case strings.HasPrefix(t, "<"):
		return "text/html; charset=utf-8"
	default:
		return "text/plain; charset=utf-8"
	}
}

// serveRaw serves Fault.Status, Fault.Body and Fault.BodySize as they are.
func (x *exchange) serveRaw() {
	f := x.fault
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	pattern := f.Body
	size := len(f.Body)
	if f.BodySize > 0 {
		size = f.BodySize
		if pattern == "" {
			pattern = fillerLine
		}
	}
	x.setHeaders(contentTypeFor(pattern))
	x.w.Header().Set("Content-Length", strconv.Itoa(size))
	x.w.WriteHeader(status)
	if f.ResetAfterHeaders {
		x.reset(true)
		return
	}
	if f.BodySize <= 0 {
		_, _ = io.WriteString(x.w, f.Body)
		return
	}
	x.writeRepeated(pattern, size)
}

// writeRepeated writes size bytes made of pattern repeated, in blocks.
func (x *exchange) writeRepeated(pattern string, size int) {
	const blockSize = 64 << 10
	block := []byte(strings.Repeat(pattern, blockSize/len(pattern)+1))
	for size > 0 {
		if x.ctx.Err() != nil {
			return
		}
		select {
		case <-x.s.done:
			abort(x.w)
			return
		default:
		}
		// block holds whole copies of pattern, so every write starts at
		// the beginning of the pattern.
		chunk := block
		if len(chunk) > size {
			chunk = chunk[:size]
		}
		if _, err := x.w.Write(chunk); err != nil {
			return
		}
		size -= len(chunk)
	}
}

// startStream writes the headers of an event stream and the keep-alive
// comments asked for. It reports false when the answer must stop.
func (x *exchange) startStream() bool {
	x.setHeaders("text/event-stream")
	h := x.w.Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	x.w.WriteHeader(http.StatusOK)
	x.flush()
	f := x.fault
	if f == nil {
		return true
	}
	count := f.KeepAliveCount
	if f.KeepAlive > 0 && count == 0 {
		count = 1
	}
	for range count {
		if !x.wait(f.KeepAlive) {
			return false
		}
		if !x.writeEvent([]byte(": keep-alive\n\n")) {
			return false
		}
	}
	if f.ResetAfterHeaders {
		x.reset(true)
		return false
	}
	return true
}

// writeEvent writes one event with a single Write and flushes it. It
// reports false when the client went away.
func (x *exchange) writeEvent(b []byte) bool {
	if x.ctx.Err() != nil {
		return false
	}
	if _, err := x.w.Write(b); err != nil {
		return false
	}
	x.flush()
	return true
}

// serveRawSSE serves Fault.RawSSE as a 200 event stream.
func (x *exchange) serveRawSSE() {
	if !x.startStream() {
		return
	}
	x.writeEvent([]byte(x.fault.RawSSE))
}

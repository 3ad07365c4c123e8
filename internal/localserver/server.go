package localserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// DefaultAPIKey is the bearer key that a Server accepts unless WithAPIKey
// says otherwise. It is a fake, harmless value.
const DefaultAPIKey = "sk-nex-local-0000000000000000"

// DefaultBasePath is the path prefix under which a Server serves the API
// unless WithBasePath says otherwise.
const DefaultBasePath = "/v1"

// Created is the fixed value of the "created" field of every answer.
const Created int64 = 1711500000

// SystemFingerprint is the value of the "system_fingerprint" field of every
// answer.
const SystemFingerprint = "fp_local"

// AnswerPrefix starts every generated text answer; the last user text
// follows it.
const AnswerPrefix = "Hello from AIone local server. You said: "

// AttemptHeader is the request header whose value is recorded in
// Request.Attempt.
const AttemptHeader = "X-Aione-Attempt"

// maxRequestBody bounds how much of a request body the server reads.
const maxRequestBody = 32 << 20

// Request is one request received by a Server, as recorded by it.
type Request struct {
	// Method is the HTTP method, such as "POST".
	Method string
	// Path is the URL path, such as "/v1/chat/completions".
	Path string
	// Header holds the request headers.
	Header http.Header
	// Body holds the request body as received (at most 32 MiB of it).
	Body []byte
	// Attempt is the value of the X-Aione-Attempt header, "" when absent.
	Attempt string
	// Decoded is the body decoded as a JSON object, nil if the body is not
	// a valid JSON object.
	Decoded map[string]any
}

// config holds the settings chosen with Options.
type config struct {
	apiKey     string
	basePath   string
	latency    time.Duration
	chunkDelay time.Duration
}

// Option configures a Server created by New.
type Option func(*config)

// WithAPIKey makes the server require key as the bearer token instead of
// DefaultAPIKey. An empty key turns the authentication check off.
func WithAPIKey(key string) Option {
	return func(c *config) { c.apiKey = key }
}

// WithBasePath sets the path prefix of the API, DefaultBasePath ("/v1") by
// default. A missing leading slash is added and a trailing slash removed;
// "" and "/" serve the API at the root.
func WithBasePath(p string) Option {
	return func(c *config) { c.basePath = cleanBasePath(p) }
}

// WithLatency makes the server wait d before handling each request.
// Waiting stops early when the client goes away or the server closes.
func WithLatency(d time.Duration) Option {
	return func(c *config) { c.latency = d }
}

// WithChunkDelay makes the server wait d between two events of an event
// stream.
func WithChunkDelay(d time.Duration) Option {
	return func(c *config) { c.chunkDelay = d }
}

func cleanBasePath(p string) string {
	p = strings.TrimRight(p, "/")
	if p != "" && !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}

// Server is a local AIone-compatible server listening on 127.0.0.1. Its
// methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of the API, such as http://127.0.0.1:PORT/v1,
	// without a trailing slash.
	URL string

	cfg     config
	ts      *httptest.Server
	handler http.Handler

	done       chan struct{}
	baseCtx    context.Context
	cancelBase context.CancelFunc
	closeOnce  sync.Once
	wg         sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	requests []Request
	queue    []Fault
	deflt    FaultFunc
	seq      int
	toolSeq  int
	hijacked map[net.Conn]struct{}
}

// New starts a Server on a free port of 127.0.0.1, configured by opts. Like
// httptest.NewServer it panics only if it cannot listen. Call Close when
// done.
func New(opts ...Option) *Server {
	s := newServer(opts...)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("localserver: failed to listen on 127.0.0.1: %v", err))
	}
	ts := &httptest.Server{
		Listener: ln,
		Config: &http.Server{
			Handler:  s.handler,
			ErrorLog: log.New(io.Discard, "", 0),
		},
	}
	ts.Start()
	s.ts = ts
	s.URL = ts.URL + s.cfg.basePath
	return s
}

func newServer(opts ...Option) *Server {
	cfg := config{apiKey: DefaultAPIKey, basePath: DefaultBasePath}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	// Make the done channel now, outside any synctest bubble: made lazily
	// by a first request from inside a bubble, it would belong to that
	// bubble and Close from outside would crash.
	_ = ctx.Done()
	s := &Server{
		cfg:        cfg,
		done:       make(chan struct{}),
		baseCtx:    ctx,
		cancelBase: cancel,
		hijacked:   make(map[net.Conn]struct{}),
	}
	s.handler = http.HandlerFunc(s.serveHTTP)
	return s
}

// Close shuts the server down. It forcibly closes every connection,
// including stalled and hijacked ones, ends stalled handlers, and waits for
// all handler goroutines to return. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		conns := make([]net.Conn, 0, len(s.hijacked))
		for c := range s.hijacked {
			conns = append(conns, c)
		}
		s.mu.Unlock()

		close(s.done)
		s.cancelBase()
		for _, c := range conns {
			hardClose(c)
		}
		if s.ts != nil {
			s.ts.CloseClientConnections()
			s.ts.Close()
		}
		s.wg.Wait()
	})
}

// Handler returns the server's HTTP handler, for use without a network,
// for example with an in-memory transport (see Server.Transport). Faults
// that drop a connection need an http.Hijacker; without one the handler
// panics with http.ErrAbortHandler instead.
func (s *Server) Handler() http.Handler {
	return s.handler
}

// Client returns an HTTP client whose transport talks to the server: over
// loopback, or in memory for a Server made by NewInMemory. Server.Close
// closes its idle connections.
func (s *Server) Client() *http.Client {
	if s.ts == nil {
		return &http.Client{Transport: s.Transport()}
	}
	return s.ts.Client()
}

// Requests returns a copy of every request received so far, in the order
// of arrival.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	s.mu.Unlock()
	for i := range out {
		out[i] = copyRequest(out[i])
	}
	return out
}

// LastRequest returns a copy of the most recent request, and false when no
// request has been received yet.
func (s *Server) LastRequest() (Request, bool) {
	s.mu.Lock()
	if len(s.requests) == 0 {
		s.mu.Unlock()
		return Request{}, false
	}
	r := s.requests[len(s.requests)-1]
	s.mu.Unlock()
	return copyRequest(r), true
}

// RequestCount returns the number of requests received so far.
func (s *Server) RequestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// Enqueue appends scripted behaviours to the server's queue. Each incoming
// request takes the oldest queued fault, whatever its path; once the queue
// is empty the default set by SetDefault or SetDefaultFunc applies, and
// without one the normal deterministic answer is served.
func (s *Server) Enqueue(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, faults...)
}

// Pending returns the number of queued faults not yet consumed.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// SetDefault makes f the behaviour of every request that finds the queue
// empty. A nil f clears the default. It replaces any FaultFunc set by
// SetDefaultFunc.
func (s *Server) SetDefault(f *Fault) {
	if f == nil {
		s.SetDefaultFunc(nil)
		return
	}
	fc := *f
	s.SetDefaultFunc(func(Request, int) *Fault {
		c := fc
		return &c
	})
}

// SetDefaultFunc makes fn choose the behaviour of every request that finds
// the queue empty; fn may return nil for the normal answer. A nil fn clears
// the default. It replaces any Fault set by SetDefault. fn may be called
// concurrently by several handlers.
func (s *Server) SetDefaultFunc(fn FaultFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deflt = fn
}

// record stores a request and takes the fault that applies to it.
func (s *Server) record(r *http.Request, body []byte) (int, *Fault) {
	req := Request{
		Method:  r.Method,
		Path:    r.URL.Path,
		Header:  r.Header.Clone(),
		Body:    body,
		Attempt: r.Header.Get(AttemptHeader),
	}
	s.mu.Lock()
	s.seq++
	n := s.seq
	s.requests = append(s.requests, req)
	if len(s.queue) > 0 {
		f := s.queue[0]
		s.queue[0] = Fault{}
		s.queue = s.queue[1:]
		s.mu.Unlock()
		return n, &f
	}
	fn := s.deflt
	s.mu.Unlock()
	if fn == nil {
		return n, nil
	}
	return n, fn(copyRequest(req), n)
}

func (s *Server) nextToolCallID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.toolSeq++
	return fmt.Sprintf("call_local_%d", s.toolSeq)
}

// enter registers a running handler; it reports false once the server is
// closing.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

// track registers a hijacked connection so that Close can close it; it
// reports false once the server is closing.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.hijacked[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.hijacked, c)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		abort(w)
		return
	}
	defer s.wg.Done()

	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	n, f := s.record(r, body)
	if err != nil {
		return // the client went away while sending
	}
	x := &exchange{s: s, w: w, r: r, ctx: r.Context(), n: n, fault: f, body: body}
	x.run()
}

func copyRequest(r Request) Request {
	out := r
	out.Header = r.Header.Clone()
	out.Body = append([]byte(nil), r.Body...)
	out.Decoded = decodeObject(r.Body)
	return out
}

func decodeObject(b []byte) map[string]any {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil
	}
	return m
}

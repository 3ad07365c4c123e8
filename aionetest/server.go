package aionetest

import (
	"net/http"
	"sync"
	"testing"
	"time"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/internal/localserver"
)

// APIKey is the bearer key a Server accepts unless [WithAPIKey] says
// otherwise, and the key of the clients made by [Server.Client]. It is a
// fake, harmless value.
const APIKey = "sk-aionetest-0000000000000000"

// config holds the settings chosen with Options.
type config struct {
	apiKey string
	engine []localserver.Option
}

// Option configures a Server made by [NewServer] or [NewMemoryServer].
type Option func(*config)

// WithAPIKey makes the server require key as the bearer token instead of
// [APIKey]; the clients of [Server.Client] send it. An empty key turns the
// authentication check off.
func WithAPIKey(key string) Option {
	return func(c *config) { c.apiKey = key }
}

// WithBasePath sets the path under which the server serves the API, "/v1"
// by default; [Server.URL] ends with it.
func WithBasePath(p string) Option {
	return func(c *config) { c.engine = append(c.engine, localserver.WithBasePath(p)) }
}

// WithLatency makes the server wait d before handling each request. There
// is no latency by default.
func WithLatency(d time.Duration) Option {
	return func(c *config) { c.engine = append(c.engine, localserver.WithLatency(d)) }
}

// WithChunkDelay makes the server wait d between two events of every
// stream, unless a Reply sets its own [Reply.ChunkDelay]. There is no delay
// by default.
func WithChunkDelay(d time.Duration) Option {
	return func(c *config) { c.engine = append(c.engine, localserver.WithChunkDelay(d)) }
}

// Server is a fake AIone server. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of the API, such as http://127.0.0.1:PORT/v1,
	// without a trailing slash: the value for [aione.WithBaseURL].
	URL string

	eng    *localserver.Server
	apiKey string
	tb     testing.TB // nil for programs

	mu    sync.Mutex
	rules []func(*Request) *Reply
}

// NewServer starts a Server on a free port of 127.0.0.1. When tb is not
// nil the server is closed by tb.Cleanup; a program passes nil and calls
// [Server.Close] itself. Like httptest.NewServer, it panics only if it
// cannot listen.
func NewServer(tb testing.TB, opts ...Option) *Server {
	cfg := newConfig(opts)
	return start(tb, cfg, localserver.New(cfg.engine...))
}

// NewMemoryServer returns a Server that opens no socket: the clients of
// [Server.Client] and the transport of [Server.Transport] reach it in
// memory, which suits tests that must not use the network and tests inside
// a testing/synctest bubble (create and close such a server inside the
// bubble; tb.Cleanup does so). Its URL's host, "aionetest.invalid",
// never resolves. When tb is not nil the server is closed by tb.Cleanup.
func NewMemoryServer(tb testing.TB, opts ...Option) *Server {
	cfg := newConfig(opts)
	return start(tb, cfg, localserver.NewInMemory(cfg.engine...))
}

func newConfig(opts []Option) *config {
	cfg := &config{apiKey: APIKey}
	for _, o := range opts {
		if o != nil {
			o(cfg)
		}
	}
	cfg.engine = append(cfg.engine, localserver.WithAPIKey(cfg.apiKey))
	return cfg
}

func start(tb testing.TB, cfg *config, eng *localserver.Server) *Server {
	s := &Server{URL: eng.URL, eng: eng, apiKey: cfg.apiKey, tb: tb}
	eng.SetDefaultFunc(s.rule)
	if tb != nil {
		tb.Helper()
		tb.Cleanup(s.Close)
	}
	return s
}

// Close shuts the server down: it closes every connection, ends stalled
// answers, and waits for every handler goroutine to return. It is safe to
// call more than once.
func (s *Server) Close() { s.eng.Close() }

// Client returns a new client for the server: its base URL, key and HTTP
// client are set, and retries wait from 1ms (doubling, capped at
// [aione.DefaultMaxBackoff]) instead of [aione.DefaultMinBackoff], so
// that tests of retried failures run fast; Retry-After headers are obeyed
// as usual. opts follow these settings, so they win. An invalid option
// fails the test given to NewServer (or panics without one).
func (s *Server) Client(opts ...aione.Option) *aione.Client {
	all := append([]aione.Option{
		aione.WithBaseURL(s.URL),
		aione.WithAPIKey(s.apiKey),
		aione.WithHTTPClient(s.HTTPClient()),
		aione.WithBackoff(time.Millisecond, aione.DefaultMaxBackoff),
	}, opts...)
	c, err := aione.NewClient(all...)
	if err != nil {
		if s.tb != nil {
			s.tb.Helper()
			s.tb.Fatalf("aionetest: Server.Client: %v", err)
		}
		panic("aionetest: Server.Client: " + err.Error())
	}
	return c
}

// HTTPClient returns an HTTP client that reaches the server, over loopback
// or in memory, for [aione.WithHTTPClient] or for code that wraps its
// transport. Close closes its idle connections.
func (s *Server) HTTPClient() *http.Client { return s.eng.Client() }

// Transport returns an http.RoundTripper that serves requests in memory,
// without a network, whatever the host of their URL. It works for both
// kinds of Server. Faults that drop a connection make RoundTrip, or the
// body's Read once the headers were sent, fail.
func (s *Server) Transport() http.RoundTripper { return s.eng.Transport() }

// Reply queues replies: each request takes the oldest reply not yet used,
// before any rule applies. A reply answers one request, whatever its path.
func (s *Server) Reply(replies ...Reply) {
	for _, r := range replies {
		s.eng.Enqueue(r.fault())
	}
}

// Pending returns how many queued replies no request has taken yet.
func (s *Server) Pending() int { return s.eng.Pending() }

// Handle adds a rule: every request that finds the reply queue empty and
// for which match returns true gets reply; a nil match matches every
// request. Rules are tried in the order they were added; a request no rule
// matches gets the deterministic answer. match may be called concurrently.
func (s *Server) Handle(match func(*Request) bool, reply Reply) {
	s.HandleFunc(func(r *Request) *Reply {
		if match != nil && !match(r) {
			return nil
		}
		return &reply
	})
}

// HandleFunc adds a rule that computes the reply from the request; a nil
// result lets the next rule, or the deterministic answer, apply. Rules are
// tried in the order they were added, and fn may be called concurrently.
func (s *Server) HandleFunc(fn func(*Request) *Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = append(s.rules, fn)
}

// rule is the engine's default behaviour: the first rule that answers.
func (s *Server) rule(req localserver.Request, _ int) *localserver.Fault {
	s.mu.Lock()
	rules := s.rules
	s.mu.Unlock()
	if len(rules) == 0 {
		return nil
	}
	r := newRequest(req)
	for _, fn := range rules {
		if reply := fn(&r); reply != nil {
			f := reply.fault()
			return &f
		}
	}
	return nil
}

// Requests returns every request received so far, in the order of arrival.
// The result is the caller's.
func (s *Server) Requests() []Request {
	reqs := s.eng.Requests()
	out := make([]Request, len(reqs))
	for i, r := range reqs {
		out[i] = newRequest(r)
	}
	return out
}

// LastRequest returns the most recent request, or nil when none has been
// received. The result is the caller's.
func (s *Server) LastRequest() *Request {
	r, ok := s.eng.LastRequest()
	if !ok {
		return nil
	}
	req := newRequest(r)
	return &req
}

// RequestCount returns how many requests the server has received.
func (s *Server) RequestCount() int { return s.eng.RequestCount() }

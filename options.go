package aione

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"time"
)

// Option configures a [Client] or one call. Given to [NewClient], an option
// is a default for every call the client makes; given to a call such as
// [Client.Chat], it applies to that call only. Options apply in order, so a
// later option wins over an earlier one and a call's options win over the
// client's.
//
// Options are values: the same Option may be reused by many calls and
// goroutines.
type Option interface {
	apply(*settings)
}

type optionFunc func(*settings)

func (f optionFunc) apply(s *settings) { f(s) }

// HTTPDoer sends one HTTP request. [*http.Client] satisfies it; so does any
// test double. The SDK calls Do once per attempt and always closes the
// response body.
type HTTPDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// secret holds the API key so that no fmt verb can print it. The key lives
// in a function value, which fmt shows as an address whatever the verb,
// even when it walks by reflection into the unexported fields of a Client
// or of a struct holding one, where it calls no method; and a secret
// reached as a value formats as [REDACTED] for every verb.
type secret struct{ key func() string }

func newSecret(key string) *secret {
	return &secret{key: func() string { return key }}
}

// value returns the key, or "" for a nil secret.
func (s *secret) value() string {
	if s == nil {
		return ""
	}
	return s.key()
}

// redacted stands for the key wherever it would appear.
const redacted = "[REDACTED]"

// Format writes a redacted form of the key, whatever the verb.
func (s *secret) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, s.String()) }

// String returns a redacted form of the key.
func (s *secret) String() string {
	if s.value() == "" {
		return `""`
	}
	return redacted
}

// extraField is one WithExtraField: a value to set, or a key to remove.
type extraField struct {
	value  any
	remove bool
}

// settings is everything an Option can set. A client keeps its defaults in
// one; each call copies it and applies its own options on top. Options
// replace slices and maps, never mutate them, so the copy is cheap.
type settings struct {
	key          *secret
	baseURL      string
	httpClient   HTTPDoer
	header       http.Header
	maxRetries   int
	timeout      time.Duration
	logger       *slog.Logger
	minBackoff   time.Duration
	maxBackoff   time.Duration
	onRetry      func(RetryInfo)
	idleTimeout  time.Duration
	maxEventSize int
	maxResponse  int64 // 0 means DefaultMaxResponseSize
	noMerge      bool  // WithoutAccumulation

	maxRetryAfter time.Duration // longest Retry-After waited for
	headerTimeout time.Duration // per attempt, until the headers arrive
	middleware    []Middleware  // the client's first, outermost first
	hooks         []*Hooks      // nil when nothing observes the calls
	fallbacks     []string      // models tried in turn when one is unavailable

	params ChatRequest // request parameters; Model and Messages unused
	extra  map[string]extraField

	errs []error // invalid option values, reported before sending
}

// Defaults for the settings that have one.
const (
	// DefaultBaseURL is AIone's API base URL, used when neither WithBaseURL
	// nor AIONE_BASE_URL says otherwise.
	DefaultBaseURL = "https://api.nexara.net/v1"
	// DefaultMaxRetries is how many times a call is retried by default.
	DefaultMaxRetries = 2
	// DefaultMinBackoff is the first wait between attempts, before jitter.
	DefaultMinBackoff = 500 * time.Millisecond
	// DefaultMaxBackoff caps the computed wait between attempts. A wait
	// the server asks for with Retry-After is capped separately, by
	// [DefaultMaxRetryAfter].
	DefaultMaxBackoff = 8 * time.Second
	// DefaultMaxEventSize bounds one line and one event of a stream: 16 MiB.
	DefaultMaxEventSize = 16 << 20
	// DefaultMaxResponseSize bounds an answer: 256 MiB, far above any real
	// answer, streamed images included. See [WithMaxResponseSize].
	DefaultMaxResponseSize = 256 << 20
	// DefaultMaxRetryAfter is the longest wait a server may ask for with
	// Retry-After that the client still waits for before retrying.
	DefaultMaxRetryAfter = 60 * time.Second
)

func (s *settings) invalid(format string, args ...any) {
	s.errs = append(s.errs, fmt.Errorf("aione: "+format, args...))
}

// WithAPIKey sets the API key sent as "Authorization: Bearer <key>". The
// default is the AIONE_API_KEY environment variable. The key is never
// written to an error, a log line or a printed value.
func WithAPIKey(key string) Option {
	k := newSecret(key)
	return optionFunc(func(s *settings) { s.key = k })
}

// WithBaseURL sets the API base URL, such as "https://api.nexara.net/v1";
// "/chat/completions" (or "/models") is appended to its path, and its query,
// such as "?api-version=2024-10-21", is kept. A base URL pasted with the
// "/chat/completions" suffix is taken without it. The default is the
// AIONE_BASE_URL environment variable, else [DefaultBaseURL]. It must be an
// http or https URL.
func WithBaseURL(url string) Option {
	return optionFunc(func(s *settings) { s.baseURL = url })
}

// WithHTTPClient sets what sends the HTTP requests, such as an
// *http.Client. The default is a client tuned for many concurrent calls:
// pooled keep-alive connections, dial, TLS and response header timeouts, no
// overall timeout, and redirects to another host stripped of the API key.
// A client of your own follows its own redirect policy: net/http's default
// keeps the key on a redirect to the same host name on another port, so set
// CheckRedirect if that matters.
func WithHTTPClient(c HTTPDoer) Option {
	return optionFunc(func(s *settings) {
		if c == nil {
			s.invalid("WithHTTPClient: nil client")
			return
		}
		s.httpClient = c
	})
}

// WithHeader sets a header sent with every request, replacing any value the
// SDK or an earlier WithHeader set. The Authorization header cannot be set
// this way: use [WithAPIKey]. By default only the SDK's own headers are
// sent.
func WithHeader(key, value string) Option {
	return optionFunc(func(s *settings) {
		if http.CanonicalHeaderKey(key) == "Authorization" {
			s.invalid("WithHeader: use WithAPIKey to set the Authorization header")
			return
		}
		h := s.header.Clone()
		if h == nil {
			h = make(http.Header)
		}
		h.Set(key, value)
		s.header = h
	})
}

// WithMaxRetries sets how many times a call is retried after a retryable
// failure (429, most 5xx, a dropped connection). For a stream it also bounds
// reopening a connection that broke before the first chunk. Zero turns
// retries off. The default is [DefaultMaxRetries].
func WithMaxRetries(n int) Option {
	return optionFunc(func(s *settings) {
		if n < 0 {
			s.invalid("WithMaxRetries: negative count %d", n)
			return
		}
		s.maxRetries = n
	})
}

// WithBackoff sets the bounds of the exponential backoff between retries:
// the first wait and the longest. Waits are jittered by ±50%. The defaults
// are [DefaultMinBackoff] and [DefaultMaxBackoff].
func WithBackoff(min, max time.Duration) Option {
	return optionFunc(func(s *settings) {
		if min <= 0 || max < min {
			s.invalid("WithBackoff: want 0 < min <= max, got %v and %v", min, max)
			return
		}
		s.minBackoff, s.maxBackoff = min, max
	})
}

// WithRetryHook sets a function called before each retry, after the wait is
// known and before it starts. It runs on the calling goroutine and must not
// block for long. There is none by default.
func WithRetryHook(f func(RetryInfo)) Option {
	return optionFunc(func(s *settings) { s.onRetry = f })
}

// WithTimeout bounds a whole [Client.Chat] call, retries included. For
// [Client.ChatStream] it bounds opening the stream (until the response
// headers arrive), never the reading of the answer: the context and
// [WithIdleTimeout] bound that. Zero, the default, means no timeout beyond
// the context's.
func WithTimeout(d time.Duration) Option {
	return durationOption("WithTimeout", d, func(s *settings) { s.timeout = d })
}

// WithIdleTimeout ends a stream with [ErrIdleTimeout] when the server sends
// nothing at all, not even a keep-alive comment, for longer than d. Zero, the
// default, means no idle timeout.
func WithIdleTimeout(d time.Duration) Option {
	return durationOption("WithIdleTimeout", d, func(s *settings) { s.idleTimeout = d })
}

// WithMaxEventSize bounds one line and one event of a stream in bytes; a
// larger one ends the stream with an error. The default is
// [DefaultMaxEventSize].
func WithMaxEventSize(n int) Option {
	return optionFunc(func(s *settings) {
		if n <= 0 {
			s.invalid("WithMaxEventSize: want a positive size, got %d", n)
			return
		}
		s.maxEventSize = n
	})
}

// WithMaxResponseSize bounds the answer of a call in bytes. For
// [Client.Chat] it bounds the body. For [Client.ChatStream] it bounds the
// answer merged for [Stream.Response]: the bytes of its text, refusal,
// reasoning, tool call names, IDs and arguments, images and log
// probabilities, plus a fixed charge for each tool call fragment, part and
// log probability, which makes it close to the memory the merged answer
// holds, so that many tiny tool calls reach it too. An answer past the bound
// ends the call with an error wrapping [ErrResponseTooLarge]. The default
// is [DefaultMaxResponseSize].
func WithMaxResponseSize(n int64) Option {
	return optionFunc(func(s *settings) {
		if n <= 0 {
			s.invalid("WithMaxResponseSize: want a positive size, got %d", n)
			return
		}
		s.maxResponse = n
	})
}

// WithoutAccumulation stops a stream from merging its chunks into the
// answer [Stream.Response] returns, which is then nil: a relay or a proxy
// that only passes chunks on then holds memory for one event at a time,
// however long the stream, and [WithMaxResponseSize] does not apply to it.
// Each chunk of [Stream.Current] keeps the indexes the server sent (a
// choice or tool call with none gets its position in the chunk). It has
// no effect on [Client.Chat] nor on the tool loop, which needs each whole
// answer. By default chunks are merged.
func WithoutAccumulation() Option {
	return optionFunc(func(s *settings) { s.noMerge = true })
}

// withAccumulation undoes WithoutAccumulation, for the tool loop.
var withAccumulation = optionFunc(func(s *settings) { s.noMerge = false })

// responseLimit returns the bound of a call's answer.
func (s *settings) responseLimit() int64 {
	if s.maxResponse > 0 {
		return s.maxResponse
	}
	return DefaultMaxResponseSize
}

// mergeLimit returns the bound of a stream's merged answer, or -1 when
// merging is off.
func (s *settings) mergeLimit() int64 {
	if s.noMerge {
		return -1
	}
	return s.responseLimit()
}

// durationOption is an option setting a duration that must not be
// negative.
func durationOption(name string, d time.Duration, set func(*settings)) Option {
	return optionFunc(func(s *settings) {
		if d < 0 {
			s.invalid("%s: negative duration %v", name, d)
			return
		}
		set(s)
	})
}

// WithLogger sets where the client logs. Each HTTP attempt (method, path,
// status, attempt, latency, request ID) and the end of each chat call (the
// model asked and the one that answered, request ID, token usage, or the
// error) are logged at debug level; each
// retry, and each failure not retried because of the wait it asks for, at
// info level (attempt, wait, request ID, error); each move to a fallback
// model at warn level. Credentials are never logged. By default nothing is
// logged.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(s *settings) { s.logger = l })
}

// WithMaxRetryAfter sets the longest wait a server may ask for, with
// Retry-After or retry-after-ms, that the client waits for before the next
// attempt. A longer wait fails the call at once with the server's error,
// whose RetryAfter says how long it asked for; so does a wait that would
// outlast the context's deadline, and a context that ends during the wait
// ends the call at once. Zero allows no longer wait than the maximum
// backoff (see [WithBackoff]). The default is [DefaultMaxRetryAfter].
func WithMaxRetryAfter(d time.Duration) Option {
	return durationOption("WithMaxRetryAfter", d, func(s *settings) { s.maxRetryAfter = d })
}

// WithResponseHeaderTimeout bounds how long each attempt waits for the
// response headers after sending the request, whatever HTTPDoer sends it.
// An attempt that times out is retried like a dropped connection. It does
// not bound reading the body. Zero, the default, sets no bound beyond the
// HTTP client's own (the default client's is 10 minutes, since a
// non-streaming answer's headers come only once it is generated).
func WithResponseHeaderTimeout(d time.Duration) Option {
	return durationOption("WithResponseHeaderTimeout", d, func(s *settings) { s.headerTimeout = d })
}

// WithTemperature sets the sampling temperature, from 0 to 2. Zero is sent
// as zero; without this option no temperature is sent and the model's
// default (1.0) applies.
func WithTemperature(t float64) Option {
	return optionFunc(func(s *settings) { s.params.Temperature = &t })
}

// WithTopP sets nucleus sampling, from 0 to 1. By default none is sent.
func WithTopP(p float64) Option {
	return optionFunc(func(s *settings) { s.params.TopP = &p })
}

// WithTopK sets top-k sampling, accepted by Gemini and some other models.
// By default none is sent.
func WithTopK(k int) Option {
	return optionFunc(func(s *settings) { s.params.TopK = &k })
}

// WithMaxTokens sets max_tokens, the most tokens to generate. By default
// none is sent and the model's default applies.
func WithMaxTokens(n int) Option {
	return optionFunc(func(s *settings) { s.params.MaxTokens = &n })
}

// WithMaxCompletionTokens sets max_completion_tokens, the newer form of
// max_tokens that also bounds reasoning tokens. By default none is sent.
func WithMaxCompletionTokens(n int) Option {
	return optionFunc(func(s *settings) { s.params.MaxCompletionTokens = &n })
}

// WithStop sets up to four sequences where the model stops generating. By
// default none is sent.
func WithStop(stop ...string) Option {
	stop = slices.Clone(stop)
	return optionFunc(func(s *settings) { s.params.Stop = stop })
}

// WithSeed asks for deterministic sampling with this seed. By default none
// is sent.
func WithSeed(seed int64) Option {
	return optionFunc(func(s *settings) { s.params.Seed = &seed })
}

// WithN sets how many choices to generate. By default none is sent (one).
func WithN(n int) Option {
	return optionFunc(func(s *settings) { s.params.N = &n })
}

// WithPresencePenalty sets the presence penalty, from -2 to 2. By default
// none is sent.
func WithPresencePenalty(p float64) Option {
	return optionFunc(func(s *settings) { s.params.PresencePenalty = &p })
}

// WithFrequencyPenalty sets the frequency penalty, from -2 to 2. By default
// none is sent.
func WithFrequencyPenalty(p float64) Option {
	return optionFunc(func(s *settings) { s.params.FrequencyPenalty = &p })
}

// WithLogitBias maps token IDs (as decimal strings) to a bias from -100 to
// 100. By default none is sent.
func WithLogitBias(bias map[string]int) Option {
	bias = maps.Clone(bias)
	return optionFunc(func(s *settings) { s.params.LogitBias = bias })
}

// WithLogprobs asks for the log probabilities of the output tokens, and of
// the topN most likely tokens at each position when topN > 0. By default
// none are asked for.
func WithLogprobs(topN int) Option {
	return optionFunc(func(s *settings) {
		t := true
		s.params.Logprobs = &t
		if topN > 0 {
			s.params.TopLogprobs = &topN
		} else {
			s.params.TopLogprobs = nil
		}
	})
}

// WithUser sets a stable identifier for the end user. By default none is
// sent.
func WithUser(user string) Option {
	return optionFunc(func(s *settings) { s.params.User = user })
}

// WithReasoningEffort sets reasoning_effort for reasoning models: "minimal",
// "low", "medium" or "high". By default none is sent.
func WithReasoningEffort(effort string) Option {
	return optionFunc(func(s *settings) { s.params.ReasoningEffort = effort })
}

// WithReasoningReplay says which assistant messages send their reasoning
// text back to the server. The default is [ReasoningToolTurns].
func WithReasoningReplay(r ReasoningReplay) Option {
	return optionFunc(func(s *settings) {
		if r > ReasoningAlways {
			s.invalid("WithReasoningReplay: unknown value %d", r)
			return
		}
		s.params.ReasoningReplay = r
	})
}

// WithServiceTier sets service_tier, such as "auto", "default", "flex" or
// "priority". By default none is sent.
func WithServiceTier(tier string) Option {
	return optionFunc(func(s *settings) { s.params.ServiceTier = tier })
}

// WithMetadata attaches key-value pairs to the request. By default none are
// sent.
func WithMetadata(md map[string]string) Option {
	md = maps.Clone(md)
	return optionFunc(func(s *settings) { s.params.Metadata = md })
}

// WithAspectRatio sets aspect_ratio, such as "16:9", for image models
// (AIone's Gemini image models). By default none is sent.
func WithAspectRatio(ratio string) Option {
	return optionFunc(func(s *settings) { s.params.AspectRatio = ratio })
}

// WithImageSize sets image_size, such as "1K", "2K" or "4K", for image
// models (AIone's Gemini image models). By default none is sent.
func WithImageSize(size string) Option {
	return optionFunc(func(s *settings) { s.params.ImageSize = size })
}

// WithJSONMode asks for a JSON object answer: response_format
// {"type":"json_object"}. By default no response format is sent.
func WithJSONMode() Option {
	return optionFunc(func(s *settings) { s.params.ResponseFormat = &ResponseFormat{Type: "json_object"} })
}

// WithResponseFormat sets response_format as given; see [WithJSONMode] and
// [WithJSONSchema] for the common cases. By default none is sent.
func WithResponseFormat(f ResponseFormat) Option {
	return optionFunc(func(s *settings) { s.params.ResponseFormat = &f })
}

// WithStreamUsage asks the server to send token usage in a final stream
// chunk (stream_options.include_usage). It applies to [Client.ChatStream]
// only. By default it is not asked for.
func WithStreamUsage() Option {
	return optionFunc(func(s *settings) { s.params.StreamOptions = &StreamOptions{IncludeUsage: true} })
}

// WithExtraField sets a top-level request field the SDK does not name, or
// overrides one it does. A nil value removes the field from the request,
// named or not; to send JSON null, pass json.RawMessage("null"). The value
// is encoded with encoding/json when the request is sent. There are none by
// default.
func WithExtraField(key string, value any) Option {
	f := extraField{value: value, remove: value == nil}
	if v, ok := value.(json.RawMessage); ok && v == nil {
		f.remove = true
	}
	return optionFunc(func(s *settings) {
		if key == "" {
			s.invalid("WithExtraField: empty key")
			return
		}
		m := make(map[string]extraField, len(s.extra)+1)
		maps.Copy(m, s.extra)
		m[key] = f
		s.extra = m
	})
}

// with applies opts on top of a copy of s.
func (s settings) with(opts []Option) settings {
	s.errs = slices.Clip(s.errs)
	for _, o := range opts {
		if o != nil {
			o.apply(&s)
		}
	}
	return s
}

// check reports the problems with the settings, before anything is sent.
// A missing API key is one only for AIone's own API: a local gateway
// (Ollama, vLLM, LiteLLM) may need none.
func (s *settings) check() error {
	if len(s.errs) > 0 {
		return joinErrors("", s.errs...)
	}
	if err := checkBaseURL(s.baseURL); err != nil {
		return err
	}
	if !s.hasKey() && needsKey(s.baseURL) {
		return ErrMissingAPIKey
	}
	return nil
}

// hasKey reports whether an API key is set.
func (s *settings) hasKey() bool { return s.key.value() != "" }

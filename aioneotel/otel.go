package aioneotel

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aione/aione-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the tracer and the meter.
const ScopeName = "github.com/aione/aione-go/aioneotel"

// DefaultProviderName is the gen_ai.provider.name recorded by default. No
// well-known value of the conventions names AIone, so it is a custom one.
const DefaultProviderName = "aione"

// Option configures [NewHooks].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	tp       trace.TracerProvider
	mp       metric.MeterProvider
	provider string
	content  bool
}

// WithTracerProvider sets where spans go. The default is the global
// provider, otel.GetTracerProvider().
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) { c.tp = tp })
}

// WithMeterProvider sets where metrics go. The default is the global
// provider, otel.GetMeterProvider().
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) { c.mp = mp })
}

// WithProviderName sets gen_ai.provider.name, such as "openai" for a
// client pointed at OpenAI's API. The default is [DefaultProviderName].
func WithProviderName(name string) Option {
	return optionFunc(func(c *config) { c.provider = name })
}

// WithContentRecording records prompts, answers, tool arguments and tool
// results on the spans. They may hold personal or secret data, so they are
// not recorded by default.
func WithContentRecording() Option {
	return optionFunc(func(c *config) { c.content = true })
}

// Bucket boundaries the conventions advise.
var (
	secondsBuckets = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
	tokenBuckets   = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}
)

// recorder holds the tracer and the instruments.
type recorder struct {
	cfg        config
	tracer     trace.Tracer
	duration   metric.Float64Histogram
	tokens     metric.Int64Histogram
	firstChunk metric.Float64Histogram
	perChunk   metric.Float64Histogram
}

// NewHooks returns hooks that record a span and metrics for each call of
// the client they are given to with aione.WithHooks, and a span for each
// tool a tool run executes. It fails only if an instrument cannot be
// created. The hooks are safe for concurrent use by many clients.
func NewHooks(opts ...Option) (aione.Hooks, error) {
	cfg := config{provider: DefaultProviderName}
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if cfg.tp == nil {
		cfg.tp = otel.GetTracerProvider()
	}
	if cfg.mp == nil {
		cfg.mp = otel.GetMeterProvider()
	}
	r := &recorder{cfg: cfg, tracer: cfg.tp.Tracer(ScopeName, trace.WithInstrumentationVersion(aione.Version))}
	meter := cfg.mp.Meter(ScopeName, metric.WithInstrumentationVersion(aione.Version))
	seconds := func(name, desc string) (metric.Float64Histogram, error) {
		return meter.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
			metric.WithExplicitBucketBoundaries(secondsBuckets...))
	}
	var errs [4]error
	r.duration, errs[0] = seconds("gen_ai.client.operation.duration", "GenAI operation duration.")
	r.firstChunk, errs[1] = seconds("gen_ai.client.operation.time_to_first_chunk", "Time to receive the first chunk of a streamed answer.")
	r.perChunk, errs[2] = seconds("gen_ai.client.operation.time_per_output_chunk", "Time per output chunk after the first of a streamed answer.")
	r.tokens, errs[3] = meter.Int64Histogram("gen_ai.client.token.usage",
		metric.WithUnit("{token}"), metric.WithDescription("Number of input and output tokens used."),
		metric.WithExplicitBucketBoundaries(tokenBuckets...))
	if err := errors.Join(errs[:]...); err != nil {
		return aione.Hooks{}, err
	}
	return aione.Hooks{
		Start:     r.start,
		Retry:     r.retry,
		Fallback:  r.fallback,
		Chunk:     r.chunk,
		End:       r.end,
		ToolStart: r.toolStart,
		ToolEnd:   r.toolEnd,
	}, nil
}

// Attribute keys of the conventions, and of the events this package adds.
const (
	keyOperation     = attribute.Key("gen_ai.operation.name")
	keyProvider      = attribute.Key("gen_ai.provider.name")
	keyRequestModel  = attribute.Key("gen_ai.request.model")
	keyResponseModel = attribute.Key("gen_ai.response.model")
	keyServerAddress = attribute.Key("server.address")
	keyServerPort    = attribute.Key("server.port")
	keyErrorType     = attribute.Key("error.type")
	keyTokenType     = attribute.Key("gen_ai.token.type")
)

// callState is what a call's span and metrics need between hooks. It
// travels in the call's context.
type callState struct {
	span       trace.Span
	lastChunk  time.Time // zero until the first chunk
	firstChunk time.Duration
	chunkAttrs metric.MeasurementOption // set at the first chunk
}

type stateKey struct{}

func (r *recorder) start(ctx context.Context, call *aione.CallInfo) context.Context {
	attrs := requestAttributes(call)
	attrs = append(attrs, keyProvider.String(r.cfg.provider))
	if r.cfg.content {
		attrs = append(attrs, inputContent(call.Request)...)
	}
	ctx, span := r.tracer.Start(ctx, call.Operation+" "+call.Model,
		trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(call.Start), trace.WithAttributes(attrs...))
	return context.WithValue(ctx, stateKey{}, &callState{span: span})
}

func stateOf(ctx context.Context) *callState {
	st, _ := ctx.Value(stateKey{}).(*callState)
	return st
}

func (r *recorder) retry(ctx context.Context, _ *aione.CallInfo, info aione.RetryInfo) {
	st := stateOf(ctx)
	if st == nil {
		return
	}
	attrs := []attribute.KeyValue{
		attribute.Int("aione.retry.attempt", info.Attempt),
		attribute.Float64("aione.retry.wait", info.Wait.Seconds()),
		keyErrorType.String(errorType(info.Err)),
	}
	st.span.AddEvent("aione.retry", trace.WithAttributes(attrs...))
}

func (r *recorder) fallback(ctx context.Context, _ *aione.CallInfo, f aione.FallbackInfo) {
	st := stateOf(ctx)
	if st == nil {
		return
	}
	st.span.AddEvent("aione.fallback", trace.WithAttributes(
		attribute.String("aione.fallback.from", f.From),
		attribute.String("aione.fallback.to", f.To),
		keyErrorType.String(errorType(f.Err)),
	))
	st.span.SetAttributes(keyRequestModel.String(f.To))
}

func (r *recorder) chunk(ctx context.Context, call *aione.CallInfo, c *aione.ChatChunk) {
	st := stateOf(ctx)
	if st == nil {
		return
	}
	now := time.Now()
	if st.lastChunk.IsZero() {
		st.firstChunk = now.Sub(call.Start)
		st.chunkAttrs = metric.WithAttributeSet(attribute.NewSet(r.metricAttributes(call, c.Model, nil)...))
		r.firstChunk.Record(ctx, st.firstChunk.Seconds(), st.chunkAttrs)
	} else {
		r.perChunk.Record(ctx, now.Sub(st.lastChunk).Seconds(), st.chunkAttrs)
	}
	st.lastChunk = now
}

func (r *recorder) end(ctx context.Context, call *aione.CallInfo, resp *aione.ChatResponse, err error) {
	st := stateOf(ctx)
	if st == nil {
		return
	}
	span := st.span
	if errors.Is(err, aione.ErrClosed) {
		err = nil // the caller stopped the stream: not a failure
	}
	span.SetAttributes(keyRequestModel.String(call.Model))
	responseModel := ""
	if resp != nil {
		responseModel = resp.Model
		span.SetAttributes(responseAttributes(resp)...)
		if r.cfg.content {
			span.SetAttributes(outputContent(resp)...)
		}
	}
	if !st.lastChunk.IsZero() {
		span.SetAttributes(attribute.Float64("gen_ai.response.time_to_first_chunk", st.firstChunk.Seconds()))
	}
	if err != nil {
		span.SetAttributes(keyErrorType.String(errorType(err)))
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()

	r.duration.Record(ctx, time.Since(call.Start).Seconds(),
		metric.WithAttributes(r.metricAttributes(call, responseModel, err)...))
	if resp != nil && resp.Usage != nil {
		base := r.metricAttributes(call, responseModel, nil)
		r.tokens.Record(ctx, int64(resp.Usage.PromptTokens), metric.WithAttributes(append(base, keyTokenType.String("input"))...))
		r.tokens.Record(ctx, int64(resp.Usage.CompletionTokens), metric.WithAttributes(append(base[:len(base):len(base)], keyTokenType.String("output"))...))
	}
}

// metricAttributes are the attributes every metric point of a call has.
func (r *recorder) metricAttributes(call *aione.CallInfo, responseModel string, err error) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 8)
	attrs = append(attrs,
		keyOperation.String(call.Operation),
		keyProvider.String(r.cfg.provider),
		keyRequestModel.String(call.Model),
	)
	if responseModel != "" {
		attrs = append(attrs, keyResponseModel.String(responseModel))
	}
	if call.ServerAddress != "" {
		attrs = append(attrs, keyServerAddress.String(call.ServerAddress), keyServerPort.Int(call.ServerPort))
	}
	if err != nil {
		attrs = append(attrs, keyErrorType.String(errorType(err)))
	}
	return attrs
}

// errorType is the error.type of an error: the HTTP status of an API
// error, "timeout" and "canceled" for the context's errors, and for the
// rest the few classes the SDK names, else "_OTHER".
func errorType(err error) string {
	var apiErr *aione.APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.StatusCode != 200:
		return strconv.Itoa(apiErr.StatusCode)
	case errors.As(err, &apiErr):
		if apiErr.Type != "" {
			return apiErr.Type
		}
		return "api_error"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, aione.ErrIdleTimeout):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, aione.ErrTruncated):
		return "truncated"
	}
	return "_OTHER"
}

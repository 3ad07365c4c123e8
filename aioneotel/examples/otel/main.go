// Command otel shows aioneotel: a client whose calls record OpenTelemetry
// spans and GenAI metrics. It runs offline against a small server started
// in the program (which fails once, to show a retry event), records into
// the OpenTelemetry SDK's in-memory exporter and a manual metric reader,
// and prints what was recorded:
//
//	cd aioneotel && go run ./examples/otel
//
// A real program gives aioneotel.NewHooks its own tracer and meter
// providers (or sets the global ones) with exporters to its collector.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/aioneotel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func main() {
	srv := httptest.NewServer(server())
	defer srv.Close()

	spans := tracetest.NewInMemoryExporter()
	reader := sdkmetric.NewManualReader()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	hooks, err := aioneotel.NewHooks(aioneotel.WithTracerProvider(tp), aioneotel.WithMeterProvider(mp))
	if err != nil {
		log.Fatal(err)
	}
	client, err := aione.NewClient(
		aione.WithBaseURL(srv.URL+"/v1"),
		aione.WithAPIKey("sk-local-example"),
		aione.WithBackoff(10*time.Millisecond, 10*time.Millisecond),
		aione.WithHooks(hooks),
	)
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	msgs := []aione.Message{aione.UserMessage("Say hello.")}
	if _, err := client.Chat(ctx, "claude-sonnet-4-6", msgs, aione.WithTemperature(0.2)); err != nil {
		log.Fatal(err)
	}
	stream, err := client.ChatStream(ctx, "claude-sonnet-4-6", msgs, aione.WithStreamUsage())
	if err != nil {
		log.Fatal(err)
	}
	for stream.Next() {
	}
	if err := stream.Err(); err != nil {
		log.Fatal(err)
	}

	for _, s := range spans.GetSpans() {
		fmt.Printf("span %q (%v)\n", s.Name, s.SpanKind)
		for _, a := range s.Attributes {
			fmt.Printf("  %s = %v\n", a.Key, a.Value.String())
		}
		for _, e := range s.Events {
			fmt.Printf("  event %s\n", e.Name)
		}
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		log.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					fmt.Printf("metric %s [%s]: %d values\n", m.Name, m.Unit, p.Count)
				}
			case metricdata.Histogram[int64]:
				for _, p := range d.DataPoints {
					typ, _ := p.Attributes.Value("gen_ai.token.type")
					fmt.Printf("metric %s [%s] %s: sum %d\n", m.Name, m.Unit, typ.AsString(), p.Sum)
				}
			}
		}
	}
}

// server answers a chat call, failing the first request with a 503, and
// streams the answer when asked to.
func server() http.Handler {
	var calls atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error":{"message":"busy, try again"}}`)
			return
		}
		const usage = `"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}`
		if wantsStream(body) {
			w.Header().Set("Content-Type", "text/event-stream")
			for _, c := range []string{`"Hel"`, `"lo!"`} {
				_, _ = fmt.Fprintf(w, "data: {\"id\":\"c2\",\"model\":\"claude-sonnet-4-6\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%s}}]}\n\n", c)
			}
			_, _ = fmt.Fprintf(w, "data: {\"id\":\"c2\",\"model\":\"claude-sonnet-4-6\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],%s}\n\ndata: [DONE]\n\n", usage)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"id":"c1","object":"chat.completion","model":"claude-sonnet-4-6","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],%s}`, usage)
	})
}

// wantsStream reports whether a request body asks for a stream.
func wantsStream(body []byte) bool {
	var req aione.ChatRequest
	return req.UnmarshalJSON(body) == nil && req.Stream
}

package benchmarks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/internal/benchdata"
	openaigo "github.com/openai/openai-go/v3"
	openaigooption "github.com/openai/openai-go/v3/option"
	goopenai "github.com/sashabaranov/go-openai"
)

// The open-streams workload (issue 13): many streams held open at once on
// loopback, each past its first chunk, as a service relaying answers to
// browsers holds them. It measures the live heap each open stream costs
// and, once every stream is released, the CPU each chunk costs while all of
// them are read at the same time.

// restChunks is how many chunks each stream sends after its first one,
// once released.
const restChunks = 64

// openStreamsCount returns how many streams each round holds open at once:
// OPEN_STREAMS, or 2,000. Each needs two file descriptors (client and
// server end of a loopback connection).
func openStreamsCount(tb testing.TB) int {
	n := 2000
	if v := os.Getenv("OPEN_STREAMS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			tb.Fatalf("OPEN_STREAMS=%q: want a positive number", v)
		}
	}
	return n
}

// streamOpener opens one stream and reads its first chunk. The function it returns reads the rest of the
// stream and returns the whole text and the number of chunks.
type streamOpener func(ctx context.Context) (rest func() (string, int, error), err error)

// openStreamsSDK is one SDK of the workload. newOpener builds its client
// (one per round, shared by every stream of the round) around hc, which
// sends every request for baseURL to the round's server.
type openStreamsSDK struct {
	name      string
	newOpener func(tb testing.TB, hc *http.Client) streamOpener
}

// openStreamsSDKs returns bare net/http first (the reference the others
// are measured against), then every SDK.
func openStreamsSDKs() []openStreamsSDK {
	return []openStreamsSDK{
		{"nethttp", nethttpOpener},
		{"aione", aioneOpener},
		{"goopenai", goopenaiOpener},
		{"openaigo", openaigoOpener},
	}
}

// nethttpOpener is no SDK: the request, the response, and the first event
// read into a buffer that is dropped once read. The rest is read to the
// end of the body, undecoded.
func nethttpOpener(_ testing.TB, hc *http.Client) streamOpener {
	return func(ctx context.Context) (func() (string, int, error), error) {
		resp, err := baselinePost(ctx, hc, true)
		if err != nil {
			return nil, err
		}
		first, err := readEvent(resp.Body)
		if err != nil {
			_ = resp.Body.Close()
			return nil, err
		}
		text := firstText(first) // the buffer is not kept
		return func() (string, int, error) {
			defer func() { _ = resp.Body.Close() }()
			// Count the events without decoding them: the floor.
			rest, err := io.ReadAll(resp.Body)
			if err != nil {
				return "", 0, err
			}
			n := bytes.Count(rest, []byte("\n\n")) // [DONE] counts for the first chunk
			return text, n, nil
		}, nil
	}
}

// readEvent reads the first event of body, which the server sends alone.
func readEvent(body io.Reader) ([]byte, error) {
	buf := make([]byte, 0, 512)
	for !bytes.HasSuffix(buf, []byte("\n\n")) {
		if len(buf) == cap(buf) {
			return nil, errors.New("first event too long")
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// firstText is the text of the first chunk, as the other SDKs decode it.
func firstText(event []byte) string {
	_, after, _ := bytes.Cut(event, []byte(`"content":"`))
	text, _, _ := bytes.Cut(after, []byte(`"`))
	return string(text)
}

func aioneOpener(tb testing.TB, hc *http.Client) streamOpener {
	c, err := aione.NewClient(aione.WithBaseURL(baseURL), aione.WithAPIKey(apiKey), aione.WithHTTPClient(hc), aione.WithMaxRetries(0))
	if err != nil {
		tb.Fatal(err)
	}
	msgs := []aione.Message{aione.UserMessage(Prompt)}
	return func(ctx context.Context) (func() (string, int, error), error) {
		s, err := c.ChatStream(ctx, Model, msgs)
		if err != nil {
			return nil, err
		}
		if !s.Next() {
			return nil, fmt.Errorf("no first chunk: %v", s.Err())
		}
		return func() (string, int, error) {
			defer func() { _ = s.Close() }()
			n := 1
			for s.Next() {
				n++
			}
			return s.Response().Text(), n, s.Err()
		}, nil
	}
}

func goopenaiOpener(_ testing.TB, hc *http.Client) streamOpener {
	cfg := goopenai.DefaultConfig(apiKey)
	cfg.BaseURL = baseURL
	cfg.HTTPClient = hc
	c := goopenai.NewClientWithConfig(cfg)
	req := goopenai.ChatCompletionRequest{
		Model:    Model,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: Prompt}},
		Stream:   true,
	}
	return func(ctx context.Context) (func() (string, int, error), error) {
		s, err := c.CreateChatCompletionStream(ctx, req)
		if err != nil {
			return nil, err
		}
		first, err := s.Recv()
		if err != nil {
			_ = s.Close()
			return nil, err
		}
		return func() (string, int, error) {
			defer func() { _ = s.Close() }()
			var text strings.Builder
			text.WriteString(first.Choices[0].Delta.Content)
			n, err := goopenaiRecvAll(s, &text)
			return text.String(), n + 1, err
		}, nil
	}
}

func openaigoOpener(_ testing.TB, hc *http.Client) streamOpener {
	c := openaigo.NewClient(
		openaigooption.WithBaseURL(baseURL+"/"),
		openaigooption.WithAPIKey(apiKey),
		openaigooption.WithHTTPClient(hc),
		openaigooption.WithMaxRetries(0),
	)
	params := openaigo.ChatCompletionNewParams{
		Model:    Model,
		Messages: []openaigo.ChatCompletionMessageParamUnion{openaigo.UserMessage(Prompt)},
	}
	return func(ctx context.Context) (func() (string, int, error), error) {
		s := c.Chat.Completions.NewStreaming(ctx, params)
		if !s.Next() {
			err := s.Err()
			_ = s.Close()
			return nil, fmt.Errorf("no first chunk: %v", err)
		}
		var text strings.Builder
		text.WriteString(s.Current().Choices[0].Delta.Content)
		return func() (string, int, error) {
			defer func() { _ = s.Close() }()
			n := 1
			for s.Next() {
				if c := s.Current(); len(c.Choices) > 0 {
					text.WriteString(c.Choices[0].Delta.Content)
				}
				n++
			}
			return text.String(), n, s.Err()
		}, nil
	}
}

// openStreamsServer is an in-process API on loopback that answers every
// streaming request with its first chunk at once, then holds the stream
// open until release is closed, then sends the rest in one write.
type openStreamsServer struct {
	*httptest.Server
	release chan struct{}
}

func newOpenStreamsServer(first, rest []byte) *openStreamsServer {
	s := &openStreamsServer{release: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(first)
		w.(http.Flusher).Flush()
		select {
		case <-s.release:
		case <-r.Context().Done():
			return
		}
		_, _ = w.Write(rest)
	}))
	return s
}

// openStreamsRound is what one round measured.
type openStreamsRound struct {
	heapPerStream float64 // live heap after GC per open stream, bytes
	cpuPerChunk   float64 // process CPU time per chunk read, ns
	wallPerChunk  float64 // wall-clock time per chunk read, ns
}

// openStreamsRound opens n streams with sdk against a fresh server, each
// in its own goroutine, measures the live heap once all of them are past
// their first chunk, then releases them and measures the time to read
// them all to the end. Each round has its own server and transport, so
// that no connection or buffer carries over from one round to the next.
func runOpenStreams(tb testing.TB, sdk openStreamsSDK, n int) openStreamsRound {
	body, wantText := benchdata.StreamBody(1 + restChunks)
	first, rest, _ := bytes.Cut(body, []byte("\n\n"))
	first = append(first, "\n\n"...)
	srv := newOpenStreamsServer(first, rest)
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	tr := &http.Transport{
		MaxIdleConnsPerHost: n,
		DisableCompression:  true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	open := sdk.newOpener(tb, hc)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		text   string
		chunks int
		err    error
	}
	opened := make(chan error, n)
	results := make(chan result, n)
	start := make(chan struct{})
	before := benchdata.LiveHeap()
	for range n {
		go func() {
			readRest, err := open(ctx)
			opened <- err
			if err != nil {
				return
			}
			<-start
			text, chunks, err := readRest()
			results <- result{text, chunks, err}
		}()
	}
	var openErr error
	for range n {
		openErr = errors.Join(openErr, <-opened)
	}
	if openErr != nil {
		close(srv.release)
		tb.Fatalf("%s: opening %d streams: %v", sdk.name, n, openErr)
	}
	after := benchdata.LiveHeap()
	if path := os.Getenv("OPEN_STREAMS_HEAPPROFILE"); path != "" {
		writeHeapProfile(tb, strings.ReplaceAll(path, "SDK", sdk.name))
	}

	cpu0, cpuOK := cpuTime()
	t0 := time.Now()
	close(start)
	close(srv.release)
	for range n {
		r := <-results
		want := restChunks + 1 // for nethttp: the events after the first, [DONE] included
		if r.err != nil || r.chunks != want || sdk.name != "nethttp" && r.text != wantText {
			tb.Fatalf("%s: %d chunks, %d bytes of text, error %v; want %d chunks, %d bytes",
				sdk.name, r.chunks, len(r.text), r.err, want, len(wantText))
		}
	}
	wall := time.Since(t0)
	cpu1, _ := cpuTime()
	chunks := float64(n * (restChunks + 1))
	round := openStreamsRound{
		heapPerStream: float64(after-before) / float64(n),
		wallPerChunk:  float64(wall.Nanoseconds()) / chunks,
		cpuPerChunk:   -1,
	}
	if cpuOK {
		round.cpuPerChunk = float64(cpu1-cpu0) / chunks
	}
	return round
}

// writeHeapProfile writes the live heap's profile to path. Set
// -test.memprofilerate (say 512) for a precise one.
func writeHeapProfile(tb testing.TB, path string) {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		tb.Fatal(err)
	}
}

// TestOpenStreams runs a small round of the open-streams workload with
// every SDK, checking that each reads every chunk of every stream.
func TestOpenStreams(t *testing.T) {
	for _, sdk := range openStreamsSDKs() {
		t.Run("sdk="+sdk.name, func(t *testing.T) {
			r := runOpenStreams(t, sdk, 50)
			t.Logf("%.0f B/stream, %.0f cpu-ns/chunk", r.heapPerStream, r.cpuPerChunk)
		})
	}
}

// BenchmarkOpenStreams holds OPEN_STREAMS (default 2,000) streams open at
// once on loopback with each SDK, every one past its first chunk, against
// an in-process server; one op is a round (open them all, measure, read
// them all to the end). It reports:
//
//   - heap-B/stream: live heap after GC per open stream, client and
//     in-process server together, measured before the streams are
//     released;
//   - sdk-B/stream: heap-B/stream minus bare net/http's in the same run
//     (measured first, in a round of its own): the SDK's own share;
//   - cpu-ns/chunk and ns/chunk: process CPU and wall time per chunk while
//     all the streams are read to the end at once (restChunks more chunks
//     each, sent in one write; server included).
func BenchmarkOpenStreams(b *testing.B) {
	n := openStreamsCount(b)
	sdks := openStreamsSDKs()
	runOpenStreams(b, sdks[0], n) // warm up: the first round pays for one-time allocations
	bareHeap := runOpenStreams(b, sdks[0], n).heapPerStream
	for _, sdk := range sdks {
		b.Run("sdk="+sdk.name, func(b *testing.B) {
			var heap, cpu, wall float64
			rounds := 0
			for b.Loop() {
				r := runOpenStreams(b, sdk, n)
				heap += r.heapPerStream
				cpu += r.cpuPerChunk
				wall += r.wallPerChunk
				rounds++
			}
			heap /= float64(rounds)
			b.ReportMetric(heap, "heap-B/stream")
			b.ReportMetric(heap-bareHeap, "sdk-B/stream")
			if cpu >= 0 {
				b.ReportMetric(cpu/float64(rounds), "cpu-ns/chunk")
			}
			b.ReportMetric(wall/float64(rounds), "ns/chunk")
			b.ReportMetric(float64(n), "streams")
		})
	}
}

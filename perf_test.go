package aione

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/aione/aione-go/internal/benchdata"
	"github.com/aione/aione-go/internal/localserver"
)

// Deterministic performance properties of streams: latency, memory and
// concurrency. Nothing here asserts on wall-clock speed; see bench_test.go
// and internal/benchmarks for that.

// perfGuard bounds every wait of these tests. It is generous: a test fails
// by reaching it only if the SDK waits for something that never comes.
const perfGuard = 5 * time.Second

// perfChunk returns a content chunk event whose lines end with eol.
func perfChunk(content, eol string) string {
	return `data: {"id":"chatcmpl-perf","object":"chat.completion.chunk","created":1711500000,"model":"m","choices":[{"index":0,"delta":{"content":"` +
		content + `"},"finish_reason":null}]}` + eol + eol
}

// stallingServer serves each event of events as soon as it can (each in
// its own write and flush), then stalls until the client goes away or the
// test ends. It returns the API base URL.
func stallingServer(t *testing.T, events ...string) string {
	t.Helper()
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		for _, ev := range events {
			_, _ = w.Write([]byte(ev))
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(ts.Close) // runs after close(release): cleanups run last in first out
	t.Cleanup(func() { close(release) })
	return ts.URL + "/v1"
}

// nextWithin calls s.Next, failing the test if it has not returned within
// perfGuard. It then closes the stream to end the waiting Next.
func nextWithin(t *testing.T, s *Stream) bool {
	t.Helper()
	done := make(chan bool, 1)
	go func() { done <- s.Next() }()
	select {
	case ok := <-done:
		return ok
	case <-time.After(perfGuard):
		_ = s.Close()
		<-done
		t.Fatalf("Next did not return within %v while the server stalled: it waits for bytes that are not needed", perfGuard)
		return false
	}
}

// TestLatencyFirstChunk checks that Next hands over a chunk as soon as its
// event is complete, without waiting for more bytes, whatever ends its
// lines and however long it is, while the server stalls after it.
func TestLatencyFirstChunk(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 100<<10) // grows the scanner's buffers
	ev := perfChunk("REST", "\n")
	for _, tc := range []struct {
		name    string
		writes  []string
		content string
	}{
		{"LF", []string{ev}, "REST"},
		{"CRLF", []string{perfChunk("REST", "\r\n")}, "REST"},
		{"CR", []string{perfChunk("REST", "\r")}, "REST"},
		{"split", []string{ev[:40], ev[40:]}, "REST"}, // one event in two writes
		{"long", []string{perfChunk(long, "\n")}, long},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newBenchClient(t, stallingServer(t, tc.writes...), nil)
			s, err := c.ChatStream(t.Context(), "m", benchMessages)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = s.Close() }()
			if !nextWithin(t, s) {
				t.Fatalf("Next = false, Err = %v", s.Err())
			}
			if got := s.Current().Choices[0].Delta.Content; got != tc.content {
				t.Errorf("content = %.20q (%d bytes), want %.20q (%d bytes)", got, len(got), tc.content, len(tc.content))
			}
		})
	}
	t.Run("localserver", func(t *testing.T) {
		t.Parallel()
		srv := localserver.New()
		t.Cleanup(srv.Close)
		srv.Enqueue(localserver.Fault{StallAfterEvents: 2})
		c, err := NewClient(WithBaseURL(srv.URL), WithAPIKey(localserver.DefaultAPIKey), WithMaxRetries(0))
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.ChatStream(t.Context(), "m", benchMessages)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = s.Close() }()
		for i, want := range []string{"assistant", "Hello "} {
			if !nextWithin(t, s) {
				t.Fatalf("Next %d = false, Err = %v", i+1, s.Err())
			}
			d := s.Current().Choices[0].Delta
			if got := d.Role + d.Content; got != want {
				t.Errorf("chunk %d: role+content = %q, want %q", i+1, got, want)
			}
		}
	})
}

// maxIdleBuffers bounds the buffers an open, idle stream holds (see
// streamBuffers), whatever the size of the events it has read before.
const maxIdleBuffers = 2 << 10

// streamBuffers returns the capacity of the buffers a stream keeps from
// one event to the next: the scanner's and the chunk decoder's. Text the
// stream has delivered is not counted, but a block it is carved from is.
func streamBuffers(s *Stream) int {
	d := &s.dec
	return s.scanner.BufferSize() + cap(d.arena) + cap(d.scratch) +
		cap(d.choices)*int(unsafe.Sizeof(ChunkChoice{})) + cap(d.calls)*int(unsafe.Sizeof(ToolCallDelta{}))
}

// TestIdleStreamMemory checks that a stream's buffers grow for a 1 MiB
// event and shrink back once small events follow it, so that a stream left
// open and idle holds at most a few KiB of buffers.
func TestIdleStreamMemory(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	small := []string{"REST", " is", " an"}
	events := []string{perfChunk(big, "\n")}
	for _, w := range small {
		events = append(events, perfChunk(w, "\n"))
	}
	c := newBenchClient(t, stallingServer(t, events...), nil)
	s, err := c.ChatStream(t.Context(), "m", benchMessages)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()

	t.Logf("buffers of a fresh stream: %d bytes", streamBuffers(s))
	if size := streamBuffers(s); size > maxIdleBuffers {
		t.Errorf("fresh stream: buffers = %d bytes, want at most %d", size, maxIdleBuffers)
	}
	if !nextWithin(t, s) {
		t.Fatalf("Next = false, Err = %v", s.Err())
	}
	if got := len(s.Current().Choices[0].Delta.Content); got != len(big) {
		t.Fatalf("big chunk has %d bytes of content, want %d", got, len(big))
	}
	if size := s.scanner.BufferSize(); size < len(big) {
		t.Fatalf("BufferSize = %d after a 1 MiB event, want at least %d: the test no longer grows the buffers", size, len(big))
	}
	for i, w := range small {
		if !nextWithin(t, s) {
			t.Fatalf("Next = false, Err = %v", s.Err())
		}
		if got := s.Current().Choices[0].Delta.Content; got != w {
			t.Fatalf("small chunk %d: content %q, want %q", i, got, w)
		}
	}
	// The stream is open and idle: the server sends nothing more.
	t.Logf("buffers of the idle stream after a 1 MiB event: %d bytes", streamBuffers(s))
	if size := streamBuffers(s); size > maxIdleBuffers {
		t.Errorf("idle stream after a 1 MiB event: buffers = %d bytes, want at most %d", size, maxIdleBuffers)
	}
	if cur := s.Current(); len(cur.Choices[0].Delta.Content) > len(small[len(small)-1]) {
		t.Errorf("Current still holds %d bytes of content", len(cur.Choices[0].Delta.Content))
	}
}

// waveResult is what one wave of concurrent streams measured.
type waveResult struct {
	streams, chunks int
	newConns        int64
	elapsed         time.Duration
}

// runWave opens n streams at once against baseURL, waits until all of
// them have delivered their first chunk (so that n streams are open
// together), then reads them to their end and checks each answer.
func runWave(t *testing.T, c *Client, n int, wave string, accepted *atomic.Int64) waveResult {
	t.Helper()
	before := accepted.Load()
	var opened, finished sync.WaitGroup
	opened.Add(n)
	finished.Add(n)
	var chunks atomic.Int64
	errs := make(chan error, n)
	start := time.Now()
	for i := range n {
		go func() {
			defer finished.Done()
			msg := fmt.Sprintf("stream %d of wave %s", i, wave)
			s, err := c.ChatStream(t.Context(), "m", []Message{UserMessage(msg)})
			if err != nil {
				opened.Done()
				errs <- fmt.Errorf("%s: %v", msg, err)
				return
			}
			defer func() { _ = s.Close() }()
			first := s.Next()
			opened.Done()
			opened.Wait() // n streams are open now
			k := 0
			if first {
				for k = 1; s.Next(); k++ {
				}
			}
			chunks.Add(int64(k))
			want := localserver.AnswerPrefix + msg
			if err := s.Err(); err != nil {
				errs <- fmt.Errorf("%s: after %d chunks: %v", msg, k, err)
			} else if got := s.Response().Text(); got != want {
				errs <- fmt.Errorf("%s: text %q, want %q", msg, got, want)
			}
		}()
	}
	finished.Wait()
	r := waveResult{streams: n, chunks: int(chunks.Load()), newConns: accepted.Load() - before, elapsed: time.Since(start)}
	close(errs)
	failures := 0
	for err := range errs {
		if failures++; failures <= 5 {
			t.Error(err)
		}
	}
	if failures > 5 {
		t.Errorf("... and %d more failed streams", failures-5)
	}
	return r
}

// TestConcurrentStreams runs two waves of 1,000 concurrent streams against
// a local server through the default HTTP client: every answer must be
// whole and right, a wave must not open more connections than it has
// streams, and the second wave must reuse the connections the first one
// returned to the pool. It logs the cost per chunk at several levels of
// concurrency for the reader to check it stays roughly flat.
//
// It does not run in parallel with other tests: it loads the machine
// enough to starve them.
func TestConcurrentStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2,000 connections")
	}
	srv := localserver.New()
	t.Cleanup(srv.Close)
	var accepted atomic.Int64
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			accepted.Add(1)
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	c, err := NewClient(WithBaseURL(ts.URL+"/v1"), WithAPIKey(localserver.DefaultAPIKey), WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}

	const n = 1000
	first := runWave(t, c, n, "1", &accepted)
	second := runWave(t, c, n, "2", &accepted)
	if first.newConns > n {
		t.Errorf("first wave of %d streams opened %d connections", n, first.newConns)
	}
	if second.newConns >= n {
		t.Errorf("second wave of %d streams opened %d new connections: none of the first wave's were reused", n, second.newConns)
	}
	results := []waveResult{first, second}
	for _, k := range []int{100, 10, 1} {
		results = append(results, runWave(t, c, k, strconv.Itoa(k), &accepted))
	}
	for _, r := range results {
		t.Logf("%4d concurrent streams: %6d chunks in %8v: %7.1f µs/stream, %6.2f µs/chunk; %4d new connections",
			r.streams, r.chunks, r.elapsed.Round(time.Millisecond),
			float64(r.elapsed.Nanoseconds())/float64(r.streams)/1e3,
			float64(r.elapsed.Nanoseconds())/float64(r.chunks)/1e3, r.newConns)
	}
}

// maxIdleStreamHeap bounds the live heap an open stream that waits for its
// next chunk costs, beyond the transport's own: the Stream and everything
// it keeps (call, context, scanner, decoder, accumulator). It is about
// twice what it measures, so that it never flakes, and well below what it
// cost before the buffers were made to follow what arrives (12 KiB).
const maxIdleStreamHeap = 7 << 10

// TestIdleStreamsHeap holds many streams open at once, each past its first
// chunk and waiting in Next for the next one, and bounds the live heap each
// costs. The answers come from an in-memory transport, so that what is
// measured is the SDK's own memory, not net/http's.
//
// It does not run in parallel with other tests: their allocations would
// blur the measure.
func TestIdleStreamsHeap(t *testing.T) {
	const n = 1000
	doer := idleDoer{first: []byte(perfChunk("REST", "\n")), blocks: new(atomic.Int64)}
	c := newBenchClient(t, "http://aione.invalid/v1", doer)
	streams := make([]*Stream, n)
	var waiting sync.WaitGroup
	defer func() {
		for _, s := range streams {
			if s != nil {
				_ = s.Close()
			}
		}
		waiting.Wait()
	}()
	before := benchdata.LiveHeap()
	for i := range streams {
		s, err := c.ChatStream(t.Context(), "m", benchMessages)
		if err != nil {
			t.Fatal(err)
		}
		streams[i] = s
		if !nextWithin(t, s) {
			t.Fatalf("stream %d: Next = false, Err = %v", i, s.Err())
		}
		waiting.Add(1)
		go func() {
			defer waiting.Done()
			s.Next() // waits until Close
		}()
	}
	// Every goroutine must be waiting in a read before the heap is
	// measured: each read of an idleBody past the first event counts.
	deadline := time.Now().Add(perfGuard)
	for doer.waiting() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d streams wait for their next chunk after %v", doer.waiting(), n, perfGuard)
		}
		runtime.Gosched()
	}
	after := benchdata.LiveHeap()
	perStream := float64(after-before) / n
	t.Logf("%d idle streams: %.0f bytes of live heap each", n, perStream)
	if perStream > maxIdleStreamHeap {
		t.Errorf("an idle stream costs %.0f bytes of live heap, want at most %d", perStream, maxIdleStreamHeap)
	}
}

// idleDoer answers every request from memory with first, then a body that
// stays silent until it is closed.
type idleDoer struct {
	first  []byte
	blocks *atomic.Int64 // reads waiting for more
}

func (d idleDoer) Do(req *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, req.Body)
	_ = req.Body.Close()
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"text/event-stream"}},
		Body:       &idleBody{first: d.first, blocks: d.blocks, closed: make(chan struct{})},
	}, nil
}

// waiting returns how many reads wait for more.
func (d idleDoer) waiting() int { return int(d.blocks.Load()) }

// idleBody returns its first event, then blocks every read until Close.
type idleBody struct {
	first  []byte
	blocks *atomic.Int64
	closed chan struct{}
	once   sync.Once
}

func (b *idleBody) Read(p []byte) (int, error) {
	if len(b.first) > 0 {
		n := copy(p, b.first)
		b.first = b.first[n:]
		return n, nil
	}
	b.blocks.Add(1)
	<-b.closed
	return 0, errors.New("body closed")
}

func (b *idleBody) Close() error {
	b.once.Do(func() { close(b.closed) })
	return nil
}

// TestDecoderIdleHoldsNoSlots checks that a chunk decoder whose stream
// waits holds no free slots of its slabs, and that the next chunk starts a
// slab of one: a stream waiting between chunks pays for what it delivers.
func TestDecoderIdleHoldsNoSlots(t *testing.T) {
	var d chunkDecoder
	chunk := []byte(`{"id":"c","choices":[{"index":0,"delta":{"content":"hi","tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}}]}`)
	var c ChatChunk
	for range 5 { // slabs of 1, 2 and 4: three free slots left
		if _, err := d.decode(chunk, &c); err != nil {
			t.Fatal(err)
		}
	}
	if cap(d.choices) == 0 || cap(d.calls) == 0 {
		t.Fatalf("busy decoder: %d free choices, %d free calls; want some (the slabs grow)", cap(d.choices), cap(d.calls))
	}
	d.idle()
	if cap(d.choices) != 0 || cap(d.calls) != 0 {
		t.Errorf("idle decoder: %d free choices, %d free calls, want none", cap(d.choices), cap(d.calls))
	}
	if _, err := d.decode(chunk, &c); err != nil {
		t.Fatal(err)
	}
	if cap(c.Choices) != 1 || cap(c.Choices[0].Delta.ToolCalls) != 1 {
		t.Errorf("after idle: slabs of %d choices and %d calls, want 1 each", cap(c.Choices), cap(c.Choices[0].Delta.ToolCalls))
	}
}

package aione

import (
	"bytes"
	"errors"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aione/aione-go/internal/localserver"
	"github.com/stretchr/testify/require"
)

// TestLoadStreamsWithFaults opens 200 streams at once against a local
// server that answers 20% of requests with a 503, cuts 5% of streams before
// their first chunk (reopened) and 15% after a few chunks (not replayed),
// with a fixed seed. Every call must end in the whole
// answer or an error, and the server must have seen exactly the attempts
// the calls made: each call's attempts numbered 1, 2, 3... with the same
// body, nothing replayed after a stream started.
//
// Not parallel: it counts goroutines.
func TestLoadStreamsWithFaults(t *testing.T) {
	const (
		calls      = 200
		maxRetries = 3
	)
	before := runtime.NumGoroutine()
	srv := localserver.New()
	defer srv.Close()
	srv.SetDefaultFunc(localserver.RandomFaults(42,
		localserver.WeightedFault{Weight: 0.20, Fault: faultOverloaded},
		localserver.WeightedFault{Weight: 0.05, Fault: localserver.Fault{ResetAfterHeaders: true}},
		localserver.WeightedFault{Weight: 0.05, Fault: localserver.Fault{ResetAfterEvents: 2}},
		localserver.WeightedFault{Weight: 0.05, Fault: localserver.Fault{ResetAfterEvents: 5}},
		localserver.WeightedFault{Weight: 0.05, Fault: localserver.Fault{ResetAfterEvents: 9}},
	))

	var bodies bodyCounter
	hc := newDefaultHTTPClient()
	tr := hc.Transport.(*http.Transport)
	hc.Transport = &countingTransport{base: tr, c: &bodies}
	c, err := NewClient(WithBaseURL(srv.URL), WithAPIKey(localserver.DefaultAPIKey), WithHTTPClient(hc),
		WithMaxRetries(maxRetries), WithBackoff(time.Millisecond, 20*time.Millisecond))
	require.NoError(t, err)

	type result struct {
		attempts int // 1 + the retries the hook saw
		text     string
		err      error
	}
	results := make([]result, calls)
	prompt := func(i int) string { return "load call " + strconv.Itoa(i) + " of " + strconv.Itoa(calls) }
	start := time.Now()
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() {
			r := &results[i]
			r.attempts = 1
			hook := WithRetryHook(func(RetryInfo) { r.attempts++ })
			s, err := c.ChatStream(t.Context(), "gpt-4o", []Message{UserMessage(prompt(i))}, hook)
			if err != nil {
				r.err = err
				return
			}
			defer func() { _ = s.Close() }()
			var text strings.Builder
			for s.Next() {
				for _, ch := range s.Current().Choices {
					text.WriteString(ch.Delta.Content)
				}
			}
			r.text, r.err = text.String(), s.Err()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	// Group the server's requests by call: each call's prompt is unique.
	byCall := make(map[int][]localserver.Request)
	for _, req := range srv.Requests() {
		i := -1
		for j := range calls {
			if bytes.Contains(req.Body, []byte(`"`+prompt(j)+`"`)) {
				i = j
				break
			}
		}
		if i < 0 {
			t.Fatalf("request for no call: %s", req.Body)
		}
		byCall[i] = append(byCall[i], req)
	}

	var succeeded, failedStatus, failedMidStream, attempts int
	for i, r := range results {
		reqs := byCall[i]
		attempts += r.attempts
		if len(reqs) != r.attempts {
			t.Errorf("call %d made %d attempts, the server saw %d", i, r.attempts, len(reqs))
		}
		for k, req := range reqs {
			if req.Attempt != strconv.Itoa(k+1) || !bytes.Equal(req.Body, reqs[0].Body) {
				t.Errorf("call %d: request %d has attempt %q, same body %v", i, k+1, req.Attempt, bytes.Equal(req.Body, reqs[0].Body))
			}
		}
		want := localserver.AnswerPrefix + prompt(i)
		var apiErr *APIError
		switch {
		case r.err == nil:
			succeeded++
			if r.text != want {
				t.Errorf("call %d answered %q, want %q", i, r.text, want)
			}
		case errors.As(r.err, &apiErr):
			failedStatus++
			if apiErr.StatusCode != 503 || apiErr.Attempts != maxRetries+1 || r.attempts != maxRetries+1 {
				t.Errorf("call %d: %v after %d attempts, want 503 after %d", i, r.err, r.attempts, maxRetries+1)
			}
		default:
			failedMidStream++
			if !strings.HasPrefix(want, r.text) || r.text == want {
				t.Errorf("call %d: cut stream gave %q, want a strict prefix of %q", i, r.text, want)
			}
		}
	}
	t.Logf("%d calls in %v: %d whole answers, %d failed with 503 after %d attempts, %d cut mid-stream; %d attempts, %d server requests",
		calls, elapsed.Round(time.Millisecond), succeeded, failedStatus, maxRetries+1, failedMidStream, attempts, srv.RequestCount())
	if succeeded+failedStatus+failedMidStream != calls {
		t.Errorf("%d + %d + %d outcomes, want %d", succeeded, failedStatus, failedMidStream, calls)
	}
	if n := srv.RequestCount(); n != attempts {
		t.Errorf("server saw %d requests, the calls made %d attempts", n, attempts)
	}
	if succeeded == 0 || failedMidStream == 0 || attempts == calls {
		t.Errorf("the faults did not show: %d successes, %d cut streams, %d attempts", succeeded, failedMidStream, attempts)
	}
	// It takes well under a second on an idle machine; the bound is loose
	// so that a loaded CI machine does not fail it.
	if elapsed > 30*time.Second {
		t.Errorf("load took %v, want well under 10s", elapsed)
	}

	srv.Close()
	tr.CloseIdleConnections()
	if o, c := bodies.opened.Load(), bodies.closed.Load(); o != c {
		t.Errorf("%d response bodies opened, %d closed", o, c)
	}
	waitGoroutines(t, before)
}

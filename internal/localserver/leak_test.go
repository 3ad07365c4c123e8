package localserver_test

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/aione/aione-go/internal/localserver"
)

// TestCloseLeavesNoGoroutines is deliberately not parallel: parallel tests
// are paused while it runs, so the goroutine count is stable.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	baseline := runtime.NumGoroutine()

	s := localserver.New()
	tr := &http.Transport{}
	client := &http.Client{Transport: tr}
	mem := &http.Client{Transport: s.Transport()}

	// Complete a few ordinary requests first.
	for _, body := range []string{simpleBody, streamBody} {
		res := do(t, client, newRequest(t, context.Background(), http.MethodPost, s.URL+"/chat/completions", body))
		if res.status != 200 {
			t.Fatalf("status %d", res.status)
		}
	}
	if res := do(t, mem, memRequest(t, context.Background(), streamBody)); res.status != 200 {
		t.Fatalf("in-memory status %d", res.status)
	}

	// Then leave requests hanging in every way the server can hang.
	hangs := []struct {
		fault  localserver.Fault
		body   string
		client *http.Client
		hold   bool // read one byte, then the rest only after Close
	}{
		{localserver.Fault{Stall: true}, simpleBody, client, false},
		{localserver.Fault{StallAfterEvents: 2}, streamBody, client, false},
		{localserver.Fault{Delay: time.Hour}, simpleBody, client, false},
		{localserver.Fault{KeepAlive: time.Hour}, streamBody, client, false},
		{localserver.Fault{BodySize: 50 << 20}, simpleBody, client, true},
		{localserver.Fault{Stall: true}, simpleBody, mem, false},
		{localserver.Fault{StallAfterEvents: 1}, streamBody, mem, false},
	}
	type outcome struct {
		i   int
		err error
	}
	errc := make(chan outcome, len(hangs))
	closed := make(chan struct{})
	for i, h := range hangs {
		s.Enqueue(h.fault)
		var req *http.Request
		if h.client == mem {
			req = memRequest(t, context.Background(), h.body)
		} else {
			req = newRequest(t, context.Background(), http.MethodPost, s.URL+"/chat/completions", h.body)
		}
		before := s.RequestCount()
		go func(i int, c *http.Client, hold bool) {
			resp, err := c.Do(req)
			if err == nil {
				buf := make([]byte, 1)
				_, err = resp.Body.Read(buf)
				if hold {
					<-closed
				}
				if err == nil {
					_, err = io.ReadAll(resp.Body)
				}
				resp.Body.Close()
			}
			errc <- outcome{i, err}
		}(i, h.client, h.hold)
		deadline := time.Now().Add(5 * time.Second)
		for s.RequestCount() == before && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if s.RequestCount() == before {
			t.Fatalf("hang %d never reached the server", i)
		}
	}
	time.Sleep(50 * time.Millisecond)

	start := time.Now()
	s.Close()
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("Close took %v with hanging requests, want under a second", elapsed)
	}
	close(closed)
	pending := map[int]bool{}
	for i := range hangs {
		pending[i] = true
	}
	timeout := time.After(5 * time.Second)
	for len(pending) > 0 {
		var o outcome
		select {
		case o = <-errc:
		case <-timeout:
			select {
			case o = <-errc: // a stalled machine can make both ready
			default:
				buf := make([]byte, 1<<20)
				t.Fatalf("requests %v are still blocked after Close:\n%s", pending, buf[:runtime.Stack(buf, true)])
			}
		}
		delete(pending, o.i)
		if o.err == nil {
			t.Errorf("hanging request %d ended without an error", o.i)
		}
	}
	tr.CloseIdleConnections()

	deadline := time.Now().Add(5 * time.Second)
	n := runtime.NumGoroutine()
	for n > baseline && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	if n > baseline {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines after Close, baseline %d:\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
	}
}

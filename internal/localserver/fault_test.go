package localserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aione/aione-go/internal/localserver"
)

const streamBody = `{"model":"m","stream":true,"messages":[{"role":"user","content":"one two three"}]}`

func TestFaultRawAnswers(t *testing.T) {
	t.Parallel()
	errJSON := localserver.ErrorJSON("Rate limit reached", "rate_limit_error", "rate_limit_exceeded")
	tests := []struct {
		name            string
		fault           localserver.Fault
		wantStatus      int
		wantContentType string
		wantBody        string
	}{
		{"json error", localserver.Fault{Status: 429, Body: errJSON}, 429, "application/json", errJSON},
		{"json array", localserver.Fault{Status: 500, Body: "  [1]"}, 500, "application/json", "  [1]"},
		{"html gateway page", localserver.Fault{Status: 502, Body: "<html><body>Bad Gateway</body></html>"}, 502, "text/html; charset=utf-8", "<html><body>Bad Gateway</body></html>"},
		{"plain text", localserver.Fault{Status: 503, Body: "upstream connect error"}, 503, "text/plain; charset=utf-8", "upstream connect error"},
		{"status only", localserver.Fault{Status: 500}, 500, "text/plain; charset=utf-8", ""},
		{"body only", localserver.Fault{Body: `{"not":"a completion"}`}, 200, "application/json", `{"not":"a completion"}`},
		{"header override", localserver.Fault{Status: 400, Body: "{}", Header: map[string]string{"Content-Type": "application/problem+json"}}, 400, "application/problem+json", "{}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			s.Enqueue(tt.fault)
			// Raw answers skip authentication and validation.
			req := newRequest(t, context.Background(), http.MethodPost, s.URL+"/chat/completions", "garbage")
			req.Header.Del("Authorization")
			res := do(t, s.Client(), req)
			got := []string{http.StatusText(res.status), res.header.Get("Content-Type"), string(res.body), res.header.Get("x-request-id")}
			want := []string{http.StatusText(tt.wantStatus), tt.wantContentType, tt.wantBody, "req_local_1"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("status, content type, body, request id (-want +got):\n%s", diff)
			}
			// The queue is consumed: the next request gets the normal answer.
			if res := post(t, s, simpleBody); res.status != http.StatusOK {
				t.Errorf("next request: status %d", res.status)
			}
		})
	}
}

func TestFaultRetryHeaders(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.Enqueue(
		localserver.Fault{Status: 429, Body: localserver.ErrorJSON("slow down", "rate_limit_error", ""), RetryAfter: "2", RetryAfterMS: "1500", ShouldRetry: "true"},
		localserver.Fault{RetryAfter: "Wed, 21 Oct 2015 07:28:00 GMT", ShouldRetry: "false"},
	)
	res := post(t, s, simpleBody)
	got := []string{res.header.Get("Retry-After"), res.header.Get("retry-after-ms"), res.header.Get("x-should-retry")}
	if diff := cmp.Diff([]string{"2", "1500", "true"}, got); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	var e errorEnvelope
	if err := json.Unmarshal(res.body, &e); err != nil || e.Error.Code != nil || e.Error.Type != "rate_limit_error" {
		t.Errorf("body %s (%v)", res.body, err)
	}
	// Headers also apply to the normal answer.
	res = post(t, s, simpleBody)
	if res.status != 200 || res.header.Get("Retry-After") != "Wed, 21 Oct 2015 07:28:00 GMT" || res.header.Get("x-should-retry") != "false" {
		t.Errorf("status %d, headers %v", res.status, res.header)
	}
}

func TestFaultBodySize(t *testing.T) {
	t.Parallel()
	const size = 50 << 20
	tests := []struct {
		name     string
		fault    localserver.Fault
		wantCT   string
		wantHead string
	}{
		{"filler", localserver.Fault{BodySize: size}, "text/plain; charset=utf-8", "AIone local server filler"},
		{"repeated body", localserver.Fault{Status: 500, Body: `{"a":"b"}`, BodySize: size}, "application/json", `{"a":"b"}{"a":"b"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			s.Enqueue(tt.fault)
			resp, err := s.Client().Do(newRequest(t, context.Background(), http.MethodPost, s.URL+"/chat/completions", simpleBody))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			head := make([]byte, len(tt.wantHead))
			if _, err := io.ReadFull(resp.Body, head); err != nil {
				t.Fatal(err)
			}
			n, err := io.Copy(io.Discard, resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if total := n + int64(len(head)); total != size || resp.ContentLength != size {
				t.Errorf("read %d bytes, Content-Length %d, want %d", total, resp.ContentLength, size)
			}
			if string(head) != tt.wantHead || resp.Header.Get("Content-Type") != tt.wantCT {
				t.Errorf("head %q, Content-Type %q", head, resp.Header.Get("Content-Type"))
			}
		})
	}
}

func TestFaultResetBeforeHeaders(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.Enqueue(localserver.Fault{ResetBeforeHeaders: true})
	client := newClient(t, 30*time.Second)
	resp, err := client.Do(newRequest(t, context.Background(), http.MethodPost, s.URL+"/chat/completions", simpleBody))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got status %d, want a transport error", resp.StatusCode)
	}
	if res := do(t, client, newRequest(t, context.Background(), http.MethodPost, s.URL+"/chat/completions", simpleBody)); res.status != 200 {
		t.Errorf("next request: status %d", res.status)
	}
	if s.RequestCount() != 2 {
		t.Errorf("RequestCount = %d, want 2", s.RequestCount())
	}
}

func TestFaultResetAfterHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
	}{
		{"json", simpleBody},
		{"stream", streamBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			s.Enqueue(localserver.Fault{ResetAfterHeaders: true})
			resp, err := newClient(t, 30*time.Second).Do(newRequest(t, context.Background(), http.MethodPost, s.URL+"/chat/completions", tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("x-request-id") != "req_local_1" {
				t.Errorf("status %d, headers %v", resp.StatusCode, resp.Header)
			}
			b, err := io.ReadAll(resp.Body)
			if err == nil || len(b) != 0 {
				t.Errorf("read %q, err %v; want no data and an error", b, err)
			}
		})
	}
}

func TestFaultResetAfterEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		after int
		want  int
	}{
		{"after 1", 1, 1},
		{"after 3", 3, 3},
		{"after all", 100, 8}, // role, 5 words, finish, [DONE]: whole but ends abruptly
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			s.Enqueue(localserver.Fault{ResetAfterEvents: tt.after})
			client := newClient(t, 30*time.Second)
			body := `{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}],"max_tokens":5}`
			resp, err := client.Do(newRequest(t, context.Background(), http.MethodPost, s.URL+"/chat/completions", body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			events, err := readEvents(resp.Body)
			if err == nil || errors.Is(err, io.EOF) {
				t.Errorf("stream ended with %v, want an abrupt error", err)
			}
			if len(events) != tt.want {
				t.Errorf("got %d events before the reset, want %d: %q", len(events), tt.want, events)
			}
			if res := do(t, client, newRequest(t, context.Background(), http.MethodPost, s.URL+"/chat/completions", simpleBody)); res.status != 200 {
				t.Errorf("next request: status %d", res.status)
			}
		})
	}
}

func TestFaultStallWithClientTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      localserver.Fault
		body       string
		wantEvents int
	}{
		{"stall", localserver.Fault{Stall: true}, simpleBody, -1},
		{"stall after events", localserver.Fault{StallAfterEvents: 2}, streamBody, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			s.Enqueue(tt.fault)
			client := newClient(t, 0)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			resp, err := client.Do(newRequest(t, ctx, http.MethodPost, s.URL+"/chat/completions", tt.body))
			if tt.wantEvents < 0 {
				if err == nil {
					resp.Body.Close()
					t.Fatal("stalled request succeeded")
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				events, err := readEvents(resp.Body)
				resp.Body.Close()
				if !errors.Is(err, context.DeadlineExceeded) || len(events) != tt.wantEvents {
					t.Errorf("got %d events and %v, want %d events and a deadline error", len(events), err, tt.wantEvents)
				}
			}
			if elapsed := time.Since(start); elapsed < 150*time.Millisecond || elapsed > 15*time.Second {
				t.Errorf("request ended after %v", elapsed)
			}
			if res := do(t, client, newRequest(t, context.Background(), http.MethodPost, s.URL+"/chat/completions", simpleBody)); res.status != 200 {
				t.Errorf("next request: status %d", res.status)
			}
		})
	}
}

func TestFaultStallThenClose(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault localserver.Fault
		body  string
	}{
		{"stall", localserver.Fault{Stall: true}, simpleBody},
		{"stall after events", localserver.Fault{StallAfterEvents: 1}, streamBody},
		{"long delay", localserver.Fault{Delay: time.Hour}, simpleBody},
		{"long keep-alive", localserver.Fault{KeepAlive: time.Hour}, streamBody},
		{"drained reset", localserver.Fault{ResetAfterEvents: 1}, streamBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := localserver.New()
			defer s.Close()
			s.Enqueue(tt.fault)
			client := newClient(t, 0)
			errc := make(chan error, 1)
			req := newRequest(t, context.Background(), http.MethodPost, s.URL+"/chat/completions", tt.body)
			go func() {
				resp, err := client.Do(req)
				if err == nil {
					// Hold the connection open without reading to the end.
					buf := make([]byte, 1)
					_, err = resp.Body.Read(buf)
					if err == nil {
						_, err = io.ReadAll(resp.Body)
					}
					resp.Body.Close()
				}
				errc <- err
			}()
			deadline := time.Now().Add(10 * time.Second)
			for s.RequestCount() == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(50 * time.Millisecond)
			start := time.Now()
			s.Close()
			// Generous bound: this test runs in parallel with others;
			// TestCloseLeavesNoGoroutines checks the one-second bound.
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("Close took %v", elapsed)
			}
			select {
			case err := <-errc:
				if err == nil {
					t.Error("client saw no error after Close")
				}
			case <-time.After(10 * time.Second):
				t.Error("client still blocked after Close")
			}
			s.Close() // idempotent
		})
	}
}

func TestFaultRawSSE(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
	}{
		{"malformed JSON", "data: {not json}\n\ndata: [DONE]\n\n"},
		{"no DONE", "data: {\"id\":\"x\",\"choices\":[]}\n\n"},
		{"CRLF and event fields", "event: message\r\ndata: {}\r\n\r\nretry: 10\r\n\r\n"},
		{"error event", "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			s.Enqueue(localserver.Fault{RawSSE: tt.raw})
			res := post(t, s, "ignored")
			if res.status != 200 || res.header.Get("Content-Type") != "text/event-stream" {
				t.Errorf("status %d, Content-Type %q", res.status, res.header.Get("Content-Type"))
			}
			if string(res.body) != tt.raw {
				t.Errorf("body %q, want %q", res.body, tt.raw)
			}
		})
	}
}

func TestFaultKeepAlive(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		fault       localserver.Fault
		body        string
		wantComment int
		minElapsed  time.Duration
	}{
		{"three comments", localserver.Fault{KeepAlive: 20 * time.Millisecond, KeepAliveCount: 3}, streamBody, 3, 60 * time.Millisecond},
		{"count defaults to one", localserver.Fault{KeepAlive: 10 * time.Millisecond}, streamBody, 1, 10 * time.Millisecond},
		{"count without interval", localserver.Fault{KeepAliveCount: 2}, streamBody, 2, 0},
		{"before raw SSE", localserver.Fault{KeepAliveCount: 2, RawSSE: "data: [DONE]\n\n"}, simpleBody, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			s.Enqueue(tt.fault)
			start := time.Now()
			res := post(t, s, tt.body)
			if elapsed := time.Since(start); elapsed < tt.minElapsed {
				t.Errorf("answer took %v, want at least %v", elapsed, tt.minElapsed)
			}
			events := parseSSE(t, res.body)
			comments := 0
			for i, e := range events {
				if e.comment {
					if i != comments {
						t.Errorf("comment at position %d after data", i)
					}
					comments++
				}
			}
			if comments != tt.wantComment {
				t.Errorf("%d keep-alive comments, want %d", comments, tt.wantComment)
			}
			if !strings.HasPrefix(string(res.body), ": keep-alive\n\n") {
				t.Errorf("body starts %q", res.body[:20])
			}
			if data := dataEvents(events); data[len(data)-1] != "[DONE]" {
				t.Errorf("stream does not end with [DONE]")
			}
		})
	}
}

func TestFaultDelayAndLatency(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    []localserver.Option
		fault   *localserver.Fault
		minTime time.Duration
	}{
		{"fault delay", nil, &localserver.Fault{Delay: 50 * time.Millisecond}, 50 * time.Millisecond},
		{"latency", []localserver.Option{localserver.WithLatency(50 * time.Millisecond)}, nil, 50 * time.Millisecond},
		{"both", []localserver.Option{localserver.WithLatency(30 * time.Millisecond)}, &localserver.Fault{Delay: 30 * time.Millisecond, Status: 503}, 60 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, tt.opts...)
			if tt.fault != nil {
				s.Enqueue(*tt.fault)
			}
			start := time.Now()
			post(t, s, simpleBody)
			if elapsed := time.Since(start); elapsed < tt.minTime {
				t.Errorf("answer took %v, want at least %v", elapsed, tt.minTime)
			}
		})
	}
}

func TestFaultAnswerOverride(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.Enqueue(
		localserver.Fault{Answer: &localserver.Answer{Text: "Scripted.", FinishReason: "content_filter", Usage: &localserver.Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3}}},
		localserver.Fault{Answer: &localserver.Answer{ToolCalls: []localserver.ToolCall{{Name: "lookup", Arguments: `{"q":"x"}`}, {ID: "call_fixed", Name: "other", Arguments: `{}`}}}},
		localserver.Fault{Answer: &localserver.Answer{Text: "still validated"}},
	)
	got, _ := chat(t, s, map[string]any{"model": "m", "messages": []any{userMsg("hi")}})
	c := got.Choices[0]
	if contentString(t, c.Message.Content) != "Scripted." || c.FinishReason != "content_filter" || got.Usage.TotalTokens != 3 {
		t.Errorf("text override = %+v", got)
	}
	got, _ = chat(t, s, map[string]any{"model": "m", "messages": []any{userMsg("hi")}})
	c = got.Choices[0]
	var calls [][3]string
	for _, tc := range c.Message.ToolCalls {
		calls = append(calls, [3]string{tc.ID, tc.Function.Name, tc.Function.Arguments})
	}
	want := [][3]string{{"call_local_1", "lookup", `{"q":"x"}`}, {"call_fixed", "other", `{}`}}
	if diff := cmp.Diff(want, calls); diff != "" || c.FinishReason != "tool_calls" || string(c.Message.Content) != "null" {
		t.Errorf("tool call override: finish %q content %s, calls (-want +got):\n%s", c.FinishReason, c.Message.Content, diff)
	}
	if res := post(t, s, `{"model":""}`); res.status != http.StatusBadRequest {
		t.Errorf("override skipped validation: status %d", res.status)
	}
}

func TestFaultQueueAndDefaults(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.Enqueue(localserver.Fault{Status: 503}, localserver.Fault{Status: 429})
	if s.Pending() != 2 {
		t.Fatalf("Pending = %d", s.Pending())
	}
	s.SetDefault(&localserver.Fault{Status: 500})
	var statuses []int
	for range 4 {
		statuses = append(statuses, post(t, s, simpleBody).status)
	}
	s.SetDefault(nil)
	statuses = append(statuses, post(t, s, simpleBody).status)
	s.SetDefaultFunc(func(req localserver.Request, n int) *localserver.Fault {
		if req.Decoded["model"] == "flaky" {
			return &localserver.Fault{Status: 502}
		}
		return nil
	})
	statuses = append(statuses, post(t, s, `{"model":"flaky","messages":[{"role":"user","content":"x"}]}`).status)
	statuses = append(statuses, post(t, s, simpleBody).status)
	s.SetDefaultFunc(nil)
	statuses = append(statuses, post(t, s, `{"model":"flaky","messages":[{"role":"user","content":"x"}]}`).status)
	want := []int{503, 429, 500, 500, 200, 502, 200, 200}
	if diff := cmp.Diff(want, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if s.Pending() != 0 {
		t.Errorf("Pending = %d", s.Pending())
	}
}

func TestRandomFaults(t *testing.T) {
	t.Parallel()
	fn := localserver.RandomFaults(42,
		localserver.WeightedFault{Weight: 0.2, Fault: localserver.Fault{Status: 503}},
		localserver.WeightedFault{Weight: 0.1, Fault: localserver.Fault{ResetAfterEvents: 2}},
	)
	same := localserver.RandomFaults(42,
		localserver.WeightedFault{Weight: 0.2, Fault: localserver.Fault{Status: 503}},
		localserver.WeightedFault{Weight: 0.1, Fault: localserver.Fault{ResetAfterEvents: 2}},
	)
	other := localserver.RandomFaults(43, localserver.WeightedFault{Weight: 0.2, Fault: localserver.Fault{Status: 503}})
	kind := func(f *localserver.Fault) string {
		switch {
		case f == nil:
			return "ok"
		case f.Status == 503:
			return "503"
		default:
			return "reset"
		}
	}
	counts := map[string]int{}
	differs := false
	const total = 5000
	for n := 1; n <= total; n++ {
		a, b := kind(fn(localserver.Request{}, n)), kind(same(localserver.Request{}, n))
		if a != b {
			t.Fatalf("request %d: %s vs %s with the same seed", n, a, b)
		}
		counts[a]++
		if (a == "503") != (kind(other(localserver.Request{}, n)) == "503") {
			differs = true
		}
	}
	if c := counts["503"]; c < total*17/100 || c > total*23/100 {
		t.Errorf("503 chosen %d times out of %d, want about 20%%", c, total)
	}
	if c := counts["reset"]; c < total*7/100 || c > total*13/100 {
		t.Errorf("reset chosen %d times out of %d, want about 10%%", c, total)
	}
	if !differs {
		t.Error("another seed gives the same faults")
	}

	// Through a server, request n gets fn's choice for n.
	s := newServer(t)
	s.SetDefaultFunc(fn)
	for n := 1; n <= 30; n++ {
		res := post(t, s, simpleBody)
		want := 200
		if kind(fn(localserver.Request{}, n)) == "503" {
			want = 503
		}
		if res.status != want {
			t.Errorf("request %d: status %d, want %d", n, res.status, want)
		}
	}
}

package localserver_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aione/aione-go/internal/localserver"
)

func memRequest(t *testing.T, ctx context.Context, body string) *http.Request {
	t.Helper()
	// The host is ignored by the in-memory transport.
	return newRequest(t, ctx, http.MethodPost, "http://aione.invalid/v1/chat/completions", body)
}

func TestTransportAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      *localserver.Fault
		body       string
		wantStatus int
		wantEvents int // -1 for a JSON answer
	}{
		{"json", nil, simpleBody, 200, -1},
		{"stream", nil, streamBody, 200, 13},
		{"raw error", &localserver.Fault{Status: 503, Body: `{"error":{}}`}, simpleBody, 503, -1},
		{"raw SSE", &localserver.Fault{RawSSE: "data: [DONE]\n\n"}, simpleBody, 200, 1},
		{"validation", nil, `{}`, 400, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			if tt.fault != nil {
				s.Enqueue(*tt.fault)
			}
			client := &http.Client{Transport: s.Transport()}
			resp, err := client.Do(memRequest(t, context.Background(), tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("x-request-id") != "req_local_1" {
				t.Errorf("status %d, headers %v", resp.StatusCode, resp.Header)
			}
			if tt.wantEvents < 0 {
				b, err := io.ReadAll(resp.Body)
				if err != nil || int64(len(b)) != resp.ContentLength {
					t.Errorf("read %d bytes (%v), Content-Length %d", len(b), err, resp.ContentLength)
				}
				return
			}
			events, err := readEvents(resp.Body)
			if !errors.Is(err, io.EOF) || len(events) != tt.wantEvents || events[len(events)-1] != "[DONE]" {
				t.Errorf("events %q, err %v", events, err)
			}
		})
	}
}

func TestTransportFaults(t *testing.T) {
	t.Parallel()
	t.Run("reset before headers", func(t *testing.T) {
		t.Parallel()
		s := newServer(t)
		s.Enqueue(localserver.Fault{ResetBeforeHeaders: true})
		_, err := (&http.Client{Transport: s.Transport()}).Do(memRequest(t, context.Background(), simpleBody))
		if !errors.Is(err, localserver.ErrDropped) {
			t.Errorf("err = %v, want ErrDropped", err)
		}
	})
	t.Run("reset after events", func(t *testing.T) {
		t.Parallel()
		s := newServer(t)
		s.Enqueue(localserver.Fault{ResetAfterEvents: 2})
		resp, err := (&http.Client{Transport: s.Transport()}).Do(memRequest(t, context.Background(), streamBody))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		events, err := readEvents(resp.Body)
		if len(events) != 2 || !errors.Is(err, io.ErrUnexpectedEOF) || !errors.Is(err, localserver.ErrDropped) {
			t.Errorf("events %q, err %v", events, err)
		}
	})
	t.Run("stall until cancel", func(t *testing.T) {
		t.Parallel()
		s := newServer(t)
		s.Enqueue(localserver.Fault{Stall: true})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := (&http.Client{Transport: s.Transport()}).Do(memRequest(t, ctx, simpleBody))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want a deadline error", err)
		}
	})
	t.Run("stall until close", func(t *testing.T) {
		t.Parallel()
		s := localserver.New()
		s.Enqueue(localserver.Fault{StallAfterEvents: 1})
		resp, err := (&http.Client{Transport: s.Transport()}).Do(memRequest(t, context.Background(), streamBody))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		time.AfterFunc(50*time.Millisecond, s.Close)
		events, err := readEvents(resp.Body)
		if len(events) != 1 || err == nil || errors.Is(err, io.EOF) {
			t.Errorf("events %q, err %v", events, err)
		}
		s.Close()
	})
	t.Run("closed server", func(t *testing.T) {
		t.Parallel()
		s := localserver.New()
		s.Close()
		_, err := (&http.Client{Transport: s.Transport()}).Do(memRequest(t, context.Background(), simpleBody))
		if err == nil {
			t.Error("request to a closed server succeeded")
		}
	})
	t.Run("body close ends handler", func(t *testing.T) {
		t.Parallel()
		s := localserver.New(localserver.WithChunkDelay(time.Hour))
		resp, err := (&http.Client{Transport: s.Transport()}).Do(memRequest(t, context.Background(), streamBody))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		done := make(chan struct{})
		go func() { s.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Close blocked after the body was closed")
		}
	})
}

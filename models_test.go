package aione

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

const modelsBody = `{"object":"list","data":[` +
	`{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"},` +
	`{"id":"claude-sonnet-4","object":"model","created":0,"owned_by":"anthropic","context_length":200000}]}`

func TestModels(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	var seen atomic.Value
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Method + " " + r.URL.RequestURI() + " " + r.Header.Get("Authorization") + " " + r.Header.Get("X-Mw"))
		if calls.Add(1) == 1 {
			reply(502, "text/html", "<html>bad gateway</html>")(w, r)
			return
		}
		reply(200, "application/json", modelsBody)(w, r)
	}, WithMaxRetries(1))
	mw := func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
		req.Header.Set("X-Mw", "yes")
		return next(req)
	}
	models, err := c.Models(t.Context(), WithMiddleware(mw))
	require.NoError(t, err)
	want := []Model{
		{ID: "gpt-4o", Created: 1715367049, OwnedBy: "system", Raw: json.RawMessage(`{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"}`)},
		{ID: "claude-sonnet-4", OwnedBy: "anthropic", Raw: json.RawMessage(`{"id":"claude-sonnet-4","object":"model","created":0,"owned_by":"anthropic","context_length":200000}`)},
	}
	if diff := cmp.Diff(want, models); diff != "" {
		t.Errorf("Models (-want +got):\n%s", diff)
	}
	if got := seen.Load(); got != "GET /v1/models Bearer "+testKey+" yes" {
		t.Errorf("request %q", got)
	}
	if calls.Load() != 2 {
		t.Errorf("%d attempts, want 2 (the 502 retried)", calls.Load())
	}
}

func TestModelsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		status     int
		apiErr     bool
	}{
		{"unauthorized", `{"error":{"message":"bad key","type":"invalid_request_error"}}`, 401, true},
		{"error in a 200", `{"error":{"message":"down"}}`, 200, true},
		{"not JSON", `<html></html>`, 200, false},
		{"no data", `{"object":"list"}`, 200, false},
		{"model without id", `{"data":[{"object":"model"}]}`, 200, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newTestClient(t, reply(tt.status, "application/json", tt.body))
			models, err := c.Models(t.Context())
			var apiErr *APIError
			if err == nil || errors.As(err, &apiErr) != tt.apiErr || models != nil {
				t.Errorf("Models = %v, %v; want an error (APIError %v)", models, err, tt.apiErr)
			}
		})
	}
	c, _ := newTestClient(t, reply(200, "application/json", `[{"id":"llama3"}]`))
	models, err := c.Models(t.Context())
	require.NoError(t, err)
	if len(models) != 1 || models[0].ID != "llama3" {
		t.Errorf("bare array: %v", models)
	}
}

func FuzzDecodeModels(f *testing.F) {
	f.Add([]byte(modelsBody))
	f.Add([]byte(`[{"id":"a"}]`))
	f.Add([]byte(`{"data":[{"id":""}]}`))
	f.Add([]byte(`{"data":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		models, err := decodeModels(data)
		if err != nil {
			return
		}
		for _, m := range models {
			if m.ID == "" || !json.Valid(m.Raw) {
				t.Fatalf("model %+v from %q", m, data)
			}
		}
	})
}

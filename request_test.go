package aione

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// storedRequest is a request as it might sit in a configuration file, with
// a member the SDK does not name.
const storedRequest = `{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}],` +
	`"temperature":0,"max_tokens":50,"stream_options":{"include_usage":true},"safe_prompt":true}`

func TestChatRequestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	var req ChatRequest
	require.NoError(t, json.Unmarshal([]byte(storedRequest), &req))
	if req.Temperature == nil || *req.Temperature != 0 || string(req.Extra["safe_prompt"].(json.RawMessage)) != "true" {
		t.Errorf("decoded %+v", req)
	}
	first, err := json.Marshal(req)
	require.NoError(t, err)
	var again ChatRequest
	require.NoError(t, json.Unmarshal(first, &again))
	second, err := json.Marshal(again)
	require.NoError(t, err)
	if string(first) != string(second) {
		t.Errorf("round trip changed the request:\n%s\n%s", first, second)
	}
	require.JSONEq(t, storedRequest, string(first))
}

func TestSend(t *testing.T) {
	t.Parallel()
	var got atomic.Value
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got.Store(string(body))
		var req ChatRequest
		_ = json.Unmarshal(body, &req)
		if req.Stream {
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, twoChunks)
			return
		}
		reply(200, "application/json", okBody)(w, r)
	}, WithTemperature(1.5)) // a client default that Send does not apply
	var req ChatRequest
	require.NoError(t, json.Unmarshal([]byte(storedRequest), &req))
	resp, err := c.Send(t.Context(), &req)
	require.NoError(t, err)
	if resp.Text() != "hi" {
		t.Errorf("Text = %q", resp.Text())
	}
	want := `{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}],"temperature":0,"max_tokens":50,"safe_prompt":true}`
	require.JSONEq(t, want, got.Load().(string))

	s, err := c.SendStream(t.Context(), &req)
	require.NoError(t, err)
	for s.Next() {
	}
	require.NoError(t, s.Err())
	if s.Response().Text() != "ab" {
		t.Errorf("stream text %q", s.Response().Text())
	}
	want = `{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}],"temperature":0,"max_tokens":50,"stream":true,"stream_options":{"include_usage":true},"safe_prompt":true}`
	require.JSONEq(t, want, got.Load().(string))
	if req.Stream || req.StreamOptions == nil {
		t.Error("Send changed the caller's request")
	}

	if _, err := c.Send(t.Context(), &req, WithTemperature(1)); !errors.Is(err, errParamOption) {
		t.Errorf("Send with a parameter option = %v, want an error", err)
	}
	if _, err := c.Send(t.Context(), &req, WithExtraField("x", 1)); !errors.Is(err, errParamOption) {
		t.Errorf("Send with an extra field option = %v, want an error", err)
	}
	if _, err := c.Send(t.Context(), &ChatRequest{Model: "m"}); err == nil {
		t.Error("Send of a request without messages succeeded")
	}
	if _, err := c.Send(t.Context(), nil); err == nil {
		t.Error("Send(nil) succeeded")
	}
}

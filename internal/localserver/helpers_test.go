package localserver_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aione/aione-go/internal/localserver"
)

// completion mirrors a chat.completion answer for decoding in tests.
type completion struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	Created           int64             `json:"created"`
	Model             string            `json:"model"`
	SystemFingerprint string            `json:"system_fingerprint"`
	Choices           []choice          `json:"choices"`
	Usage             localserver.Usage `json:"usage"`
}

type choice struct {
	Index        int     `json:"index"`
	Message      message `json:"message"`
	FinishReason string  `json:"finish_reason"`
}

type message struct {
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	ToolCalls []toolCall      `json:"tool_calls"`
}

type toolCall struct {
	Index    *int   `json:"index,omitempty"`
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// chunk mirrors a chat.completion.chunk event.
type chunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index        int     `json:"index"`
		Delta        message `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *localserver.Usage `json:"usage"`
}

type errorEnvelope struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func newServer(t *testing.T, opts ...localserver.Option) *localserver.Server {
	t.Helper()
	s := localserver.New(opts...)
	t.Cleanup(s.Close)
	return s
}

// newClient returns a client with its own transport, closed at cleanup.
func newClient(t *testing.T, timeout time.Duration) *http.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: timeout}
}

func newRequest(t *testing.T, ctx context.Context, method, url, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+localserver.DefaultAPIKey)
	return req
}

// do sends req with client and reads the whole answer.
func do(t *testing.T, client *http.Client, req *http.Request) result {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("request failed: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: b}
}

// post sends body to the chat completions endpoint with the default key.
func post(t *testing.T, s *localserver.Server, body string) result {
	t.Helper()
	return do(t, s.Client(), newRequest(t, context.Background(), http.MethodPost, s.URL+"/chat/completions", body))
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// chat posts req and decodes a 200 answer.
func chat(t *testing.T, s *localserver.Server, req map[string]any) (completion, result) {
	t.Helper()
	res := post(t, s, mustJSON(t, req))
	if res.status != http.StatusOK {
		t.Fatalf("status %d, body %s", res.status, res.body)
	}
	var c completion
	if err := json.Unmarshal(res.body, &c); err != nil {
		t.Fatalf("decoding %s: %v", res.body, err)
	}
	return c, res
}

func userMsg(text string) map[string]any { return map[string]any{"role": "user", "content": text} }

func contentString(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("content %s is not a string: %v", raw, err)
	}
	return s
}

// sseEvent is one parsed server-sent event.
type sseEvent struct {
	comment bool
	data    string
}

// parseSSE parses a complete event stream by hand.
func parseSSE(t *testing.T, body []byte) []sseEvent {
	t.Helper()
	var events []sseEvent
	for _, block := range strings.Split(string(body), "\n\n") {
		if block == "" {
			continue
		}
		var ev sseEvent
		var data []string
		for _, line := range strings.Split(block, "\n") {
			switch {
			case strings.HasPrefix(line, ":"):
				ev.comment = true
			case strings.HasPrefix(line, "data: "):
				data = append(data, strings.TrimPrefix(line, "data: "))
			default:
				t.Fatalf("unexpected SSE line %q", line)
			}
		}
		ev.data = strings.Join(data, "\n")
		events = append(events, ev)
	}
	if !bytes.HasSuffix(body, []byte("\n\n")) {
		t.Fatalf("stream does not end with a blank line: %q", body)
	}
	return events
}

// dataEvents returns the data of the non-comment events.
func dataEvents(events []sseEvent) []string {
	var out []string
	for _, e := range events {
		if !e.comment {
			out = append(out, e.data)
		}
	}
	return out
}

// readEvents reads data events from r until an error, returning them and
// the error (io.EOF for a clean end).
func readEvents(r io.Reader) ([]string, error) {
	br := bufio.NewReader(r)
	var out []string
	for {
		line, err := br.ReadString('\n')
		if strings.HasPrefix(line, "data: ") {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(line, "data: "), "\n"))
		}
		if err != nil {
			return out, err
		}
	}
}

func decodeChunks(t *testing.T, data []string) []chunk {
	t.Helper()
	var out []chunk
	for _, d := range data {
		if d == "[DONE]" {
			continue
		}
		var c chunk
		if err := json.Unmarshal([]byte(d), &c); err != nil {
			t.Fatalf("decoding chunk %q: %v", d, err)
		}
		out = append(out, c)
	}
	return out
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

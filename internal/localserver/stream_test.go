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

func TestStreamText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		extra        map[string]any
		wantTexts    []string
		wantFinish   []string
		wantUsage    *localserver.Usage
		wantPieces0  []string
		wantChunkLen int // number of data events, [DONE] included
	}{
		{
			name:         "plain",
			wantTexts:    []string{localserver.AnswerPrefix + "tell me  a story"},
			wantFinish:   []string{"stop"},
			wantPieces0:  []string{"", "Hello ", "from ", "AIone ", "local ", "server. ", "You ", "said: ", "tell ", "me  ", "a ", "story"},
			wantChunkLen: 1 + 11 + 1 + 1,
		},
		{
			name:         "with usage",
			extra:        map[string]any{"stream_options": map[string]any{"include_usage": true}},
			wantTexts:    []string{localserver.AnswerPrefix + "tell me  a story"},
			wantFinish:   []string{"stop"},
			wantUsage:    &localserver.Usage{PromptTokens: 4, CompletionTokens: 11, TotalTokens: 15},
			wantChunkLen: 1 + 11 + 1 + 1 + 1,
		},
		{
			name:         "length",
			extra:        map[string]any{"max_tokens": 2},
			wantTexts:    []string{"Hello from"},
			wantFinish:   []string{"length"},
			wantPieces0:  []string{"", "Hello ", "from"},
			wantChunkLen: 1 + 2 + 1 + 1,
		},
		{
			name:         "two choices",
			extra:        map[string]any{"n": 2, "max_tokens": 3},
			wantTexts:    []string{"[0] Hello from", "[1] Hello from"},
			wantFinish:   []string{"length", "length"},
			wantChunkLen: 2*(1+3+1) + 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			req := map[string]any{"model": "gpt-4o", "stream": true, "messages": []any{userMsg("tell me  a story")}}
			for k, v := range tt.extra {
				req[k] = v
			}
			res := post(t, s, mustJSON(t, req))
			if res.status != http.StatusOK {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			if ct, cc := res.header.Get("Content-Type"), res.header.Get("Cache-Control"); ct != "text/event-stream" || cc != "no-cache" {
				t.Errorf("Content-Type %q, Cache-Control %q", ct, cc)
			}
			if res.header.Get("x-request-id") != "req_local_1" {
				t.Errorf("x-request-id = %q", res.header.Get("x-request-id"))
			}
			data := dataEvents(parseSSE(t, res.body))
			if len(data) != tt.wantChunkLen {
				t.Errorf("%d data events, want %d:\n%s", len(data), tt.wantChunkLen, res.body)
			}
			if data[len(data)-1] != "[DONE]" {
				t.Fatalf("last event %q, want [DONE]", data[len(data)-1])
			}
			chunks := decodeChunks(t, data)
			texts := make([]string, len(tt.wantTexts))
			finishes := make([]string, len(tt.wantTexts))
			var pieces0 []string
			var usage *localserver.Usage
			for i, c := range chunks {
				if c.ID != "chatcmpl-local-1" || c.Object != "chat.completion.chunk" || c.Created != localserver.Created || c.Model != "gpt-4o" {
					t.Errorf("chunk %d header fields: %+v", i, c)
				}
				if c.Usage != nil {
					if len(c.Choices) != 0 || i != len(chunks)-1 {
						t.Errorf("usage chunk %d has choices or is not last", i)
					}
					usage = c.Usage
					continue
				}
				if len(c.Choices) != 1 {
					t.Fatalf("chunk %d has %d choices", i, len(c.Choices))
				}
				ch := c.Choices[0]
				if ch.FinishReason != nil {
					finishes[ch.Index] = *ch.FinishReason
					if string(ch.Delta.Content) != "" || ch.Delta.Role != "" {
						t.Errorf("final chunk has a delta: %+v", ch.Delta)
					}
					continue
				}
				if ch.Delta.Role != "" && ch.Delta.Role != "assistant" {
					t.Errorf("role %q", ch.Delta.Role)
				}
				piece := contentString(t, ch.Delta.Content)
				texts[ch.Index] += piece
				if ch.Index == 0 {
					pieces0 = append(pieces0, piece)
				}
			}
			if first := chunks[0].Choices[0].Delta; first.Role != "assistant" || string(first.Content) != `""` {
				t.Errorf("first delta = role %q content %s", first.Role, first.Content)
			}
			if diff := cmp.Diff(tt.wantTexts, texts); diff != "" {
				t.Errorf("texts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantFinish, finishes); diff != "" {
				t.Errorf("finish reasons (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantUsage, usage); diff != "" {
				t.Errorf("usage (-want +got):\n%s", diff)
			}
			if tt.wantPieces0 != nil {
				if diff := cmp.Diff(tt.wantPieces0, pieces0); diff != "" {
					t.Errorf("pieces (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestStreamMatchesNonStream(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, format := range []string{"text", "json_object"} {
		req := map[string]any{"model": "m", "messages": []any{userMsg("same answer, ünïcode ✓")}, "response_format": map[string]any{"type": format}}
		plain, _ := chat(t, s, req)
		req["stream"] = true
		res := post(t, s, mustJSON(t, req))
		var text string
		for _, c := range decodeChunks(t, dataEvents(parseSSE(t, res.body))) {
			if len(c.Choices) == 1 && len(c.Choices[0].Delta.Content) > 0 {
				text += contentString(t, c.Choices[0].Delta.Content)
			}
		}
		if want := contentString(t, plain.Choices[0].Message.Content); text != want {
			t.Errorf("%s: streamed %q, non-streamed %q", format, text, want)
		}
	}
}

func TestStreamToolCalls(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	req := map[string]any{
		"model": "gpt-4o", "stream": true,
		"messages": []any{userMsg("parallel calls")},
		"tools":    []any{weatherTool, timeTool},
	}
	res := post(t, s, mustJSON(t, req))
	chunks := decodeChunks(t, dataEvents(parseSSE(t, res.body)))

	type call struct{ ID, Type, Name, Args string }
	var calls []call
	var finish string
	for i, c := range chunks {
		ch := c.Choices[0]
		if i == 0 {
			if ch.Delta.Role != "assistant" || string(ch.Delta.Content) != "null" {
				t.Errorf("first delta = %+v", ch.Delta)
			}
			continue
		}
		if ch.FinishReason != nil {
			finish = *ch.FinishReason
			continue
		}
		if len(ch.Delta.ToolCalls) != 1 {
			t.Fatalf("chunk %d has %d tool call fragments", i, len(ch.Delta.ToolCalls))
		}
		frag := ch.Delta.ToolCalls[0]
		if frag.Index == nil {
			t.Fatalf("chunk %d: fragment without index", i)
		}
		if frag.ID != "" {
			if *frag.Index != len(calls) || frag.Function.Arguments != "" || frag.Function.Name == "" || frag.Type != "function" {
				t.Errorf("first fragment = %+v", frag)
			}
			calls = append(calls, call{ID: frag.ID, Type: frag.Type, Name: frag.Function.Name})
			continue
		}
		if frag.Function.Name != "" || frag.Type != "" || len(frag.Function.Arguments) > 8 || *frag.Index != len(calls)-1 {
			t.Errorf("argument fragment = %+v", frag)
		}
		calls[*frag.Index].Args += frag.Function.Arguments
	}
	want := []call{
		{ID: "call_local_1", Type: "function", Name: "get_weather", Args: `{"city":"sample","days":1,"unit":"celsius"}`},
		{ID: "call_local_2", Type: "function", Name: "get_time", Args: `{"utc":true,"zone":"sample"}`},
	}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("tool calls (-want +got):\n%s", diff)
	}
	if finish != "tool_calls" {
		t.Errorf("finish = %q", finish)
	}
}

func TestStreamChunkDelay(t *testing.T) {
	t.Parallel()
	s := newServer(t, localserver.WithChunkDelay(10*time.Millisecond))
	start := time.Now()
	res := post(t, s, `{"model":"m","stream":true,"messages":[{"role":"user","content":"a b"}]}`)
	elapsed := time.Since(start)
	n := len(dataEvents(parseSSE(t, res.body)))
	if min := time.Duration(n-1) * 10 * time.Millisecond; elapsed < min {
		t.Errorf("stream of %d events took %v, want at least %v", n, elapsed, min)
	}
}

func TestStreamClientCancel(t *testing.T) {
	t.Parallel()
	s := localserver.New(localserver.WithChunkDelay(time.Hour))
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := newClient(t, 0)
	resp, err := client.Do(newRequest(t, ctx, http.MethodPost, s.URL+"/chat/completions", `{"model":"m","stream":true,"messages":[{"role":"user","content":"a b"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 4096)
	if _, err := resp.Body.Read(buf); err != nil {
		t.Fatalf("first read: %v", err)
	}
	cancel()
	if _, err := io.ReadAll(resp.Body); !errors.Is(err, context.Canceled) {
		t.Errorf("read after cancel: %v", err)
	}
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return promptly")
	}
}

func TestStreamUsageChunkShape(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	res := post(t, s, `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}`)
	data := dataEvents(parseSSE(t, res.body))
	usageChunk := data[len(data)-2]
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(usageChunk), &raw); err != nil {
		t.Fatal(err)
	}
	if string(raw["choices"]) != "[]" || !strings.Contains(string(raw["usage"]), `"total_tokens":9`) {
		t.Errorf("usage chunk = %s", usageChunk)
	}
}

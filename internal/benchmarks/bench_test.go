package benchmarks

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/internal/benchdata"
	openaigo "github.com/openai/openai-go/v3"
	openaigooption "github.com/openai/openai-go/v3/option"
	goopenai "github.com/sashabaranov/go-openai"
)

// baseURL is where every SDK sends; the in-memory Transport answers.
const baseURL = "http://aione.invalid/v1"

// apiKey is a fake key.
const apiKey = "sk-bench-0000"

// sdk reads a whole stream, or makes a whole non-streaming call, with one
// SDK, and returns the answer's text. The stream's chunk count comes back
// too, to check that every chunk was read.
type sdk struct {
	name   string
	stream func(ctx context.Context) (text string, chunks int, err error)
	chat   func(ctx context.Context) (text string, err error)
}

// sdks returns every SDK under test, sending through streamClient for
// streams and chatClient for non-streaming calls.
func sdks(tb testing.TB, streamClient, chatClient *http.Client) []sdk {
	return []sdk{
		aioneSDK(tb, streamClient, chatClient),
		baselineSDK(streamClient, chatClient),
		goopenaiSDK(streamClient, chatClient),
		openaigoSDK(streamClient, chatClient),
	}
}

func aioneSDK(tb testing.TB, streamClient, chatClient *http.Client) sdk {
	sc, cc := newAioneClient(tb, streamClient), newAioneClient(tb, chatClient)
	msgs := []aione.Message{aione.UserMessage(Prompt)}
	return sdk{
		name: "aione",
		stream: func(ctx context.Context) (string, int, error) {
			s, err := sc.ChatStream(ctx, Model, msgs)
			if err != nil {
				return "", 0, err
			}
			defer func() { _ = s.Close() }()
			n := 0
			for s.Next() {
				n++
			}
			return s.Response().Text(), n, s.Err()
		},
		chat: func(ctx context.Context) (string, error) {
			r, err := cc.Chat(ctx, Model, msgs)
			if err != nil {
				return "", err
			}
			return r.Text(), nil
		},
	}
}

// newAioneClient returns an aione client sending through hc, without
// retries.
func newAioneClient(tb testing.TB, hc *http.Client) *aione.Client {
	c, err := aione.NewClient(aione.WithBaseURL(baseURL), aione.WithAPIKey(apiKey), aione.WithHTTPClient(hc), aione.WithMaxRetries(0))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// newGoopenaiClient returns a go-openai client sending through hc.
func newGoopenaiClient(hc *http.Client) *goopenai.Client {
	cfg := goopenai.DefaultConfig(apiKey)
	cfg.BaseURL = baseURL
	cfg.HTTPClient = hc
	return goopenai.NewClientWithConfig(cfg)
}

// newOpenaigoClient returns an openai-go client sending through hc,
// without retries.
func newOpenaigoClient(hc *http.Client) openaigo.Client {
	return openaigo.NewClient(
		openaigooption.WithBaseURL(baseURL+"/"),
		openaigooption.WithAPIKey(apiKey),
		openaigooption.WithHTTPClient(hc),
		openaigooption.WithMaxRetries(0),
	)
}

// baselineChunk is what the baseline decodes of a chunk: three fields.
type baselineChunk struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Choices []struct {
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
	} `json:"choices"`
}

// baselineCompletion is what the baseline decodes of a chat.completion.
type baselineCompletion struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index   int `json:"index"`
		Message struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
}

// baselinePost posts the request body a minimal client would send.
func baselinePost(ctx context.Context, hc *http.Client, stream bool) (*http.Response, error) {
	body, err := json.Marshal(map[string]any{
		"model":    Model,
		"messages": []map[string]string{{"role": "user", "content": Prompt}},
		"stream":   stream,
	})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		_ = resp.Body.Close()
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	return resp, nil
}

// baselineSDK is no SDK: bufio.Scanner lines and encoding/json into a
// three-field struct, text accumulated in a strings.Builder.
func baselineSDK(streamClient, chatClient *http.Client) sdk {
	return sdk{
		name: "baseline",
		stream: func(ctx context.Context) (string, int, error) {
			resp, err := baselinePost(ctx, streamClient, true)
			if err != nil {
				return "", 0, err
			}
			defer func() { _ = resp.Body.Close() }()
			var text strings.Builder
			n := 0
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				data, ok := bytes.CutPrefix(sc.Bytes(), []byte("data: "))
				if !ok {
					continue
				}
				if string(data) == "[DONE]" {
					return text.String(), n, nil
				}
				var c baselineChunk
				if err := json.Unmarshal(data, &c); err != nil {
					return "", n, err
				}
				if len(c.Choices) > 0 {
					text.WriteString(c.Choices[0].Delta.Content)
				}
				n++
			}
			return text.String(), n, errors.Join(sc.Err(), io.ErrUnexpectedEOF)
		},
		chat: func(ctx context.Context) (string, error) {
			resp, err := baselinePost(ctx, chatClient, false)
			if err != nil {
				return "", err
			}
			defer func() { _ = resp.Body.Close() }()
			data, err := io.ReadAll(resp.Body)
			if err != nil {
				return "", err
			}
			var c baselineCompletion
			if err := json.Unmarshal(data, &c); err != nil {
				return "", err
			}
			if len(c.Choices) == 0 {
				return "", errors.New("no choices")
			}
			return c.Choices[0].Message.Content, nil
		},
	}
}

// goopenaiSDK is github.com/sashabaranov/go-openai, text accumulated in a
// strings.Builder.
func goopenaiSDK(streamClient, chatClient *http.Client) sdk {
	sc, cc := newGoopenaiClient(streamClient), newGoopenaiClient(chatClient)
	req := goopenai.ChatCompletionRequest{
		Model:    Model,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: Prompt}},
	}
	return sdk{
		name: "goopenai",
		stream: func(ctx context.Context) (string, int, error) {
			r := req
			r.Stream = true
			s, err := sc.CreateChatCompletionStream(ctx, r)
			if err != nil {
				return "", 0, err
			}
			defer func() { _ = s.Close() }()
			var text strings.Builder
			n, err := goopenaiRecvAll(s, &text)
			return text.String(), n, err
		},
		chat: func(ctx context.Context) (string, error) {
			r, err := cc.CreateChatCompletion(ctx, req)
			if err != nil {
				return "", err
			}
			if len(r.Choices) == 0 {
				return "", errors.New("no choices")
			}
			return r.Choices[0].Message.Content, nil
		},
	}
}

// goopenaiRecvAll reads the rest of a go-openai stream, appending the
// text of each chunk to text, and returns how many chunks it read.
func goopenaiRecvAll(s *goopenai.ChatCompletionStream, text *strings.Builder) (int, error) {
	n := 0
	for {
		c, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if len(c.Choices) > 0 {
			text.WriteString(c.Choices[0].Delta.Content)
		}
		n++
	}
}

// openaigoSDK is github.com/openai/openai-go/v3, text accumulated in a
// strings.Builder (its ChatCompletionAccumulator would cost more).
func openaigoSDK(streamClient, chatClient *http.Client) sdk {
	sc, cc := newOpenaigoClient(streamClient), newOpenaigoClient(chatClient)
	params := openaigo.ChatCompletionNewParams{
		Model:    Model,
		Messages: []openaigo.ChatCompletionMessageParamUnion{openaigo.UserMessage(Prompt)},
	}
	return sdk{
		name: "openaigo",
		stream: func(ctx context.Context) (string, int, error) {
			s := sc.Chat.Completions.NewStreaming(ctx, params)
			defer func() { _ = s.Close() }()
			var text strings.Builder
			n := 0
			for s.Next() {
				if c := s.Current(); len(c.Choices) > 0 {
					text.WriteString(c.Choices[0].Delta.Content)
				}
				n++
			}
			return text.String(), n, s.Err()
		},
		chat: func(ctx context.Context) (string, error) {
			r, err := cc.Chat.Completions.New(ctx, params)
			if err != nil {
				return "", err
			}
			if len(r.Choices) == 0 {
				return "", errors.New("no choices")
			}
			return r.Choices[0].Message.Content, nil
		},
	}
}

// workloads returns the HTTP clients answering the benchmark stream and
// the typical chat.completion from memory, and the text of each.
func workloads() (streamClient, chatClient *http.Client, streamText, chatText string, streamBytes, chatBytes int) {
	streamBody, streamText := benchdata.StreamBody(benchdata.StreamChunks)
	chatBody := benchdata.ChatBody(benchdata.TypicalText)
	streamClient = &http.Client{Transport: &benchdata.Transport{ContentType: "text/event-stream", Body: streamBody}}
	chatClient = &http.Client{Transport: &benchdata.Transport{ContentType: "application/json", Body: chatBody}}
	return streamClient, chatClient, streamText, benchdata.TypicalText, len(streamBody), len(chatBody)
}

// TestSameText checks that every SDK reads every chunk of the stream and
// every SDK's answer has the same text, for both workloads.
func TestSameText(t *testing.T) {
	sc, cc, streamText, chatText, _, _ := workloads()
	for _, s := range sdks(t, sc, cc) {
		t.Run("sdk="+s.name, func(t *testing.T) {
			text, n, err := s.stream(t.Context())
			if err != nil {
				t.Fatalf("stream: %v", err)
			}
			if n != benchdata.StreamChunks || text != streamText {
				t.Errorf("stream: %d chunks, text %.40q... (%d bytes); want %d chunks, %.40q... (%d bytes)",
					n, text, len(text), benchdata.StreamChunks, streamText, len(streamText))
			}
			text, err = s.chat(t.Context())
			if err != nil {
				t.Fatalf("chat: %v", err)
			}
			if text != chatText {
				t.Errorf("chat: text %.40q... (%d bytes), want %.40q... (%d bytes)", text, len(text), chatText, len(chatText))
			}
		})
	}
}

// BenchmarkStream reads the 2,000-chunk stream from memory with each SDK:
// one op is a whole stream, request included. It reports the cost per
// chunk: ns/chunk, cpu-ns/chunk (process CPU time, steadier on a loaded
// machine), B/chunk and allocs/chunk.
func BenchmarkStream(b *testing.B) {
	sc, cc, streamText, _, streamBytes, _ := workloads()
	for _, s := range sdks(b, sc, cc) {
		b.Run("sdk="+s.name, func(b *testing.B) {
			ctx := b.Context()
			if text, n, err := s.stream(ctx); err != nil || n != benchdata.StreamChunks || text != streamText {
				b.Fatalf("%d chunks, %d bytes of text, error %v; want %d chunks, %d bytes", n, len(text), err, benchdata.StreamChunks, len(streamText))
			}
			b.SetBytes(int64(streamBytes))
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			cpu0, cpuOK := cpuTime()
			for b.Loop() {
				if text, n, err := s.stream(ctx); err != nil || n != benchdata.StreamChunks || len(text) != len(streamText) {
					b.Fatalf("%d chunks, %d bytes of text, error %v", n, len(text), err)
				}
			}
			cpu1, _ := cpuTime()
			runtime.ReadMemStats(&after)
			chunks := float64(b.N) * benchdata.StreamChunks
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/chunks, "ns/chunk")
			if cpuOK {
				b.ReportMetric(float64(cpu1-cpu0)/chunks, "cpu-ns/chunk")
			}
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/chunks, "B/chunk")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/chunks, "allocs/chunk")
		})
	}
}

// BenchmarkChat makes a non-streaming call answered from memory with the
// typical (~1 KB) chat.completion with each SDK: one op is a whole call,
// request encoding included. cpu-ns/op is the process CPU time per call.
func BenchmarkChat(b *testing.B) {
	sc, cc, _, chatText, _, chatBytes := workloads()
	for _, s := range sdks(b, sc, cc) {
		b.Run("sdk="+s.name, func(b *testing.B) {
			ctx := b.Context()
			if text, err := s.chat(ctx); err != nil || text != chatText {
				b.Fatalf("%d bytes of text, error %v; want %d bytes", len(text), err, len(chatText))
			}
			b.SetBytes(int64(chatBytes))
			b.ReportAllocs()
			cpu0, cpuOK := cpuTime()
			for b.Loop() {
				if text, err := s.chat(ctx); err != nil || len(text) != len(chatText) {
					b.Fatalf("%d bytes of text, error %v", len(text), err)
				}
			}
			if cpu1, _ := cpuTime(); cpuOK {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

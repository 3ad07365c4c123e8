package benchmarks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"runtime"
	"sync"
	"testing"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/internal/benchdata"
	openaigo "github.com/openai/openai-go/v3"
	goopenai "github.com/sashabaranov/go-openai"
)

// The long-conversation workload (issue 10): one non-streaming call late in
// benchdata's conversation of 149 messages, about 180 KB of request body,
// answered with the typical (~1 KB) chat.completion. It measures request
// encoding above all. Each SDK's messages are built once, outside the
// timed loop, as a caller keeps its history between calls.

// conversationSDKs returns a non-streaming call sending the long
// conversation through hc with each SDK.
func conversationSDKs(tb testing.TB, hc *http.Client) []sdk {
	turns := benchdata.Conversation()
	return []sdk{
		{name: "aione", chat: aioneConversation(tb, hc, turns)},
		{name: "goopenai", chat: goopenaiConversation(hc, turns)},
		{name: "openaigo", chat: openaigoConversation(hc, turns)},
	}
}

func aioneConversation(tb testing.TB, hc *http.Client, turns []benchdata.Turn) func(context.Context) (string, error) {
	c := newAioneClient(tb, hc)
	msgs := make([]aione.Message, len(turns))
	for i, t := range turns {
		m := aione.Message{Role: t.Role, ToolCallID: t.ToolCallID}
		if t.Content != "" || len(t.ToolCalls) == 0 {
			m.Content = aione.TextContent(t.Content)
		}
		for _, call := range t.ToolCalls {
			m.ToolCalls = append(m.ToolCalls, aione.ToolCall{ID: call.ID, Type: "function", Function: aione.FunctionCall{Name: call.Name, Arguments: call.Arguments}})
		}
		msgs[i] = m
	}
	return func(ctx context.Context) (string, error) {
		r, err := c.Chat(ctx, Model, msgs)
		if err != nil {
			return "", err
		}
		return r.Text(), nil
	}
}

func goopenaiConversation(hc *http.Client, turns []benchdata.Turn) func(context.Context) (string, error) {
	c := newGoopenaiClient(hc)
	req := goopenai.ChatCompletionRequest{Model: Model, Messages: make([]goopenai.ChatCompletionMessage, len(turns))}
	for i, t := range turns {
		m := goopenai.ChatCompletionMessage{Role: t.Role, Content: t.Content, ToolCallID: t.ToolCallID}
		for _, call := range t.ToolCalls {
			m.ToolCalls = append(m.ToolCalls, goopenai.ToolCall{ID: call.ID, Type: goopenai.ToolTypeFunction, Function: goopenai.FunctionCall{Name: call.Name, Arguments: call.Arguments}})
		}
		req.Messages[i] = m
	}
	return func(ctx context.Context) (string, error) {
		r, err := c.CreateChatCompletion(ctx, req)
		if err != nil {
			return "", err
		}
		if len(r.Choices) == 0 {
			return "", errors.New("no choices")
		}
		return r.Choices[0].Message.Content, nil
	}
}

func openaigoConversation(hc *http.Client, turns []benchdata.Turn) func(context.Context) (string, error) {
	c := newOpenaigoClient(hc)
	params := openaigo.ChatCompletionNewParams{Model: Model, Messages: make([]openaigo.ChatCompletionMessageParamUnion, len(turns))}
	for i, t := range turns {
		var m openaigo.ChatCompletionMessageParamUnion
		switch t.Role {
		case "system":
			m = openaigo.SystemMessage(t.Content)
		case "user":
			m = openaigo.UserMessage(t.Content)
		case "tool":
			m = openaigo.ToolMessage(t.Content, t.ToolCallID)
		case "assistant":
			m = openaigo.AssistantMessage(t.Content)
			if len(t.ToolCalls) > 0 {
				a := openaigo.ChatCompletionAssistantMessageParam{}
				for _, call := range t.ToolCalls {
					a.ToolCalls = append(a.ToolCalls, openaigo.ChatCompletionMessageToolCallUnionParam{
						OfFunction: &openaigo.ChatCompletionMessageFunctionToolCallParam{
							ID:       call.ID,
							Function: openaigo.ChatCompletionMessageFunctionToolCallFunctionParam{Name: call.Name, Arguments: call.Arguments},
						},
					})
				}
				m = openaigo.ChatCompletionMessageParamUnion{OfAssistant: &a}
			}
		}
		params.Messages[i] = m
	}
	return func(ctx context.Context) (string, error) {
		r, err := c.Chat.Completions.New(ctx, params)
		if err != nil {
			return "", err
		}
		if len(r.Choices) == 0 {
			return "", errors.New("no choices")
		}
		return r.Choices[0].Message.Content, nil
	}
}

// recorder is an in-memory transport that keeps the last request body.
type recorder struct {
	benchdata.Transport
	mu   sync.Mutex
	body []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	_ = req.Body.Close()
	r.mu.Lock()
	r.body = body
	r.mu.Unlock()
	req.Body = io.NopCloser(bytes.NewReader(nil))
	return r.Transport.RoundTrip(req)
}

// wireMessage is what every SDK must send of a message.
type wireMessage struct {
	Role       string  `json:"role"`
	Content    *string `json:"content"`
	ToolCallID string  `json:"tool_call_id"`
	ToolCalls  []struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Function struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"function"`
	} `json:"tool_calls"`
}

// TestSameConversation checks that every SDK sends the same 149 messages
// (an absent content and a null one count alike) and reads the answer.
func TestSameConversation(t *testing.T) {
	rec := &recorder{Transport: benchdata.Transport{ContentType: "application/json", Body: benchdata.ChatBody(benchdata.TypicalText)}}
	var want []wireMessage
	for _, s := range conversationSDKs(t, &http.Client{Transport: rec}) {
		text, err := s.chat(t.Context())
		if err != nil || text != benchdata.TypicalText {
			t.Fatalf("%s: %d bytes of text, error %v", s.name, len(text), err)
		}
		var got struct{ Messages []wireMessage }
		if err := json.Unmarshal(rec.body, &got); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		t.Logf("%s: %d messages, %d bytes", s.name, len(got.Messages), len(rec.body))
		if len(got.Messages) != 149 || len(rec.body) < 150<<10 {
			t.Fatalf("%s sent %d messages in %d bytes, want 149 in at least 150 KB", s.name, len(got.Messages), len(rec.body))
		}
		if want == nil {
			want = got.Messages
		} else if !reflect.DeepEqual(got.Messages, want) {
			t.Errorf("%s sends other messages than aione", s.name)
		}
	}
}

// BenchmarkLongConversation makes one non-streaming call late in a
// conversation of 149 messages (~180 KB of request body) with each SDK;
// the transport reads the whole request. One op is a whole call;
// cpu-ns/op is the process CPU time per call, req-B/op the size of the
// request body the SDK sends.
func BenchmarkLongConversation(b *testing.B) {
	rec := &recorder{Transport: benchdata.Transport{ContentType: "application/json", Body: benchdata.ChatBody(benchdata.TypicalText)}}
	hc := &http.Client{Transport: &rec.Transport}
	sizes := conversationSDKs(b, &http.Client{Transport: rec})
	for i, s := range conversationSDKs(b, hc) {
		b.Run("sdk="+s.name, func(b *testing.B) {
			ctx := b.Context()
			// The request's size, measured once outside the timed loop.
			if text, err := sizes[i].chat(ctx); err != nil || text != benchdata.TypicalText {
				b.Fatalf("%d bytes of text, error %v", len(text), err)
			}
			size := len(rec.body)
			b.ReportAllocs()
			runtime.GC()
			cpu0, cpuOK := cpuTime()
			for b.Loop() {
				if text, err := s.chat(ctx); err != nil || len(text) != len(benchdata.TypicalText) {
					b.Fatalf("%d bytes of text, error %v", len(text), err)
				}
			}
			if cpu1, _ := cpuTime(); cpuOK {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
			}
			b.ReportMetric(float64(size), "req-B/op")
		})
	}
}

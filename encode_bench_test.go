package aione

import (
	"encoding/json"
	"testing"

	"github.com/aione/aione-go/internal/benchdata"
)

// longConversation returns benchdata's long conversation as messages.
func longConversation() []Message {
	turns := benchdata.Conversation()
	msgs := make([]Message, len(turns))
	for i, t := range turns {
		m := Message{Role: t.Role, ToolCallID: t.ToolCallID}
		if t.Content != "" || len(t.ToolCalls) == 0 {
			m.Content = TextContent(t.Content)
		}
		for _, c := range t.ToolCalls {
			m.ToolCalls = append(m.ToolCalls, ToolCall{ID: c.ID, Type: "function", Function: FunctionCall{Name: c.Name, Arguments: c.Arguments}})
		}
		msgs[i] = m
	}
	return msgs
}

// BenchmarkChatLongConversation makes one non-streaming call late in a
// conversation of 149 messages (about 180 KB of request body), answered
// from memory with the typical (~1 KB) chat.completion: one op is a whole
// call, the encoding of the request foremost.
func BenchmarkChatLongConversation(b *testing.B) {
	msgs := longConversation()
	body := benchdata.ChatBody(benchdata.TypicalText)
	c := newBenchClient(b, "http://aione.invalid/v1", &benchdata.Transport{ContentType: "application/json", Body: body})
	b.ReportAllocs()
	for b.Loop() {
		r, err := c.Chat(b.Context(), "claude-sonnet-4-6", msgs)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Text()) != len(benchdata.TypicalText) {
			b.Fatalf("got %d bytes of text", len(r.Text()))
		}
	}
}

// BenchmarkEncodeLongConversation encodes the long conversation's request
// alone, with encoding/json (the oracle) and with the request encoder.
func BenchmarkEncodeLongConversation(b *testing.B) {
	c := newBenchClient(b, "http://aione.invalid/v1", nil)
	req, err := c.NewChatRequest("claude-sonnet-4-6", longConversation())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("enc=encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("enc=aione", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encodeRequest(req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package aione

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// accFrag is a tool call fragment with index i (-1 for none).
func accFrag(i int, id, name, args string) ToolCallDelta {
	return ToolCallDelta{Index: i, ID: id, Function: FunctionCall{Name: name, Arguments: args}}
}

// accCalls is a chunk of choice 0 holding tool call fragments.
func accCalls(frags ...ToolCallDelta) ChatChunk {
	return ChatChunk{Choices: []ChunkChoice{{Index: 0, Delta: Delta{ToolCalls: frags}}}}
}

// accCall is a merged function call.
func accCall(id, name, args string) ToolCall {
	return ToolCall{ID: id, Type: "function", Function: FunctionCall{Name: name, Arguments: args}}
}

// TestAccumulatorToolCalls checks how tool call fragments are merged, and
// which index each is given back in the chunk.
func TestAccumulatorToolCalls(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		chunks  []ChatChunk
		want    []ToolCall
		indexes []int // the resolved index of every fragment, in order
	}{
		{
			name: "indexed fragments",
			chunks: []ChatChunk{
				accCalls(accFrag(0, "a", "f", "")), accCalls(accFrag(0, "", "", `{"x"`)), accCalls(accFrag(0, "", "", `:1}`)),
				accCalls(accFrag(1, "b", "g", "{}")),
			},
			want:    []ToolCall{accCall("a", "f", `{"x":1}`), accCall("b", "g", "{}")},
			indexes: []int{0, 0, 0, 1},
		},
		{
			name:    "no index: position, and a new ID is a new call",
			chunks:  []ChatChunk{accCalls(accFrag(-1, "a", "f", "")), accCalls(accFrag(-1, "", "", "{}")), accCalls(accFrag(-1, "b", "g", "")), accCalls(accFrag(-1, "", "", "[]"))},
			want:    []ToolCall{accCall("a", "f", "{}"), accCall("b", "g", "[]")},
			indexes: []int{0, 0, 1, 1},
		},
		{
			name:    "no index, whole calls in one chunk",
			chunks:  []ChatChunk{accCalls(accFrag(-1, "", "f", "{}"), accFrag(-1, "", "g", "[]"))},
			want:    []ToolCall{accCall("", "f", "{}"), accCall("", "g", "[]")},
			indexes: []int{0, 1},
		},
		{
			name: "every call at index 0",
			chunks: []ChatChunk{
				accCalls(accFrag(0, "a", "f", "1")), accCalls(accFrag(0, "", "", "2")), accCalls(accFrag(0, "b", "g", "3")), accCalls(accFrag(0, "", "", "4")),
				accCalls(accFrag(0, "b", "", "5")), accCalls(accFrag(0, "c", "h", "6")),
			},
			want:    []ToolCall{accCall("a", "f", "12"), accCall("b", "g", "345"), accCall("c", "h", "6")},
			indexes: []int{0, 0, 1, 1, 1, 2},
		},
		{
			name:    "index 0 reused after index 1",
			chunks:  []ChatChunk{accCalls(accFrag(0, "a", "f", "")), accCalls(accFrag(1, "b", "g", "")), accCalls(accFrag(0, "c", "h", "")), accCalls(accFrag(1, "", "", "x"))},
			want:    []ToolCall{accCall("a", "f", ""), accCall("b", "g", "x"), accCall("c", "h", "")},
			indexes: []int{0, 1, 2, 1},
		},
		{
			name:    "indexes out of order",
			chunks:  []ChatChunk{accCalls(accFrag(1, "b", "g", "")), accCalls(accFrag(0, "a", "f", "")), accCalls(accFrag(1, "", "", "y")), accCalls(accFrag(0, "", "", "x"))},
			want:    []ToolCall{accCall("a", "f", "x"), accCall("b", "g", "y")},
			indexes: []int{1, 0, 1, 0},
		},
		{
			name:    "a gap is left out",
			chunks:  []ChatChunk{accCalls(accFrag(2, "c", "h", "{}"))},
			want:    []ToolCall{accCall("c", "h", "{}")},
			indexes: []int{2},
		},
		{
			name:    "the first name wins, the last ID and type",
			chunks:  []ChatChunk{accCalls(accFrag(0, "", "f", "")), accCalls(accFrag(0, "a", "f", "")), accCalls(ToolCallDelta{Index: 0, Type: "custom", Function: FunctionCall{Name: "x"}})},
			want:    []ToolCall{{ID: "a", Type: "custom", Function: FunctionCall{Name: "f"}}},
			indexes: []int{0, 0, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var a accumulator
			a.init(nil)
			var got []int
			for _, c := range tt.chunks {
				require.NoError(t, a.add(&c))
				for _, f := range c.Choices[0].Delta.ToolCalls {
					got = append(got, f.Index)
				}
			}
			if diff := cmp.Diff(tt.indexes, got); diff != "" {
				t.Errorf("resolved indexes (-want +got):\n%s", diff)
			}
			r := a.response()
			require.Len(t, r.Choices, 1)
			calls := r.Choices[0].Message.ToolCalls
			for i, c := range calls {
				if i < len(tt.want) && tt.want[i].ID == "" {
					// A call sent without an ID gets one made up, the
					// same in every Response.
					require.True(t, strings.HasPrefix(c.ID, "call_") && len(c.ID) == 29, c.ID)
					require.Equal(t, c.ID, a.response().Choices[0].Message.ToolCalls[i].ID)
					calls[i].ID = ""
				}
			}
			if diff := cmp.Diff(tt.want, calls); diff != "" {
				t.Errorf("tool calls (-want +got):\n%s", diff)
			}
			require.True(t, r.Choices[0].Message.Content.IsNull(), "content of a message with only tool calls")
		})
	}
}

// TestAccumulatorChoices checks choice indexes, gaps, content and the
// completeness rule.
func TestAccumulatorChoices(t *testing.T) {
	t.Parallel()
	var a accumulator
	a.init(http.Header{"X-Request-Id": {"req_9"}})
	require.False(t, a.complete(), "no choice yet")
	add := func(c ChatChunk) {
		t.Helper()
		require.NoError(t, a.add(&c))
	}
	add(ChatChunk{ID: "c1", Model: "m", Created: 5, Choices: []ChunkChoice{{Index: -1, Delta: Delta{Content: "a"}}}})
	add(ChatChunk{Choices: []ChunkChoice{{Index: 2, Delta: Delta{Content: "c", Role: "assistant"}}}})
	require.False(t, a.complete())
	add(ChatChunk{Choices: []ChunkChoice{{Index: 0, FinishReason: "stop"}, {Index: 2, FinishReason: "length"}}})
	require.True(t, a.complete(), "every choice seen has finished; the gap at 1 was never seen")
	add(ChatChunk{Usage: &Usage{TotalTokens: 3, PromptTokensDetails: &PromptTokensDetails{CachedTokens: 1}}})
	r := a.response()
	require.Equal(t, "req_9", r.RequestID)
	require.Equal(t, []int{0, 2}, []int{r.Choices[0].Index, r.Choices[1].Index})
	require.Equal(t, "a", r.Choices[0].Message.Content.Text())
	require.Equal(t, "c", r.Choices[1].Message.Content.Text())
	require.Equal(t, RoleAssistant, r.Choices[0].Message.Role)
	require.Equal(t, "chat.completion", r.Object)

	// The response shares nothing mutable with the accumulator.
	r.Usage.PromptTokensDetails.CachedTokens = 99
	require.Equal(t, 1, a.response().Usage.PromptTokensDetails.CachedTokens)

	require.ErrorContains(t, a.add(&ChatChunk{Choices: []ChunkChoice{{Index: maxChoices}}}), "out of range")
	require.ErrorContains(t, a.add(&ChatChunk{Choices: []ChunkChoice{{Index: 0, Delta: Delta{ToolCalls: []ToolCallDelta{{Index: 1 << 40}}}}}}), "out of range")
	require.Equal(t, "stop", a.response().Choices[0].FinishReason, "a rejected chunk changes nothing")
}

// TestAccumulatorEmptyAnswer checks that a choice with no text at all
// still has "" content, as a non-streamed answer has.
func TestAccumulatorEmptyAnswer(t *testing.T) {
	t.Parallel()
	var a accumulator
	require.NoError(t, a.add(&ChatChunk{Choices: []ChunkChoice{{Index: 0, Delta: Delta{Role: "assistant"}, FinishReason: "stop"}}}))
	c := a.response().Choices[0].Message.Content
	require.False(t, c.IsNull())
	require.Equal(t, "", c.Text())
}

// BenchmarkAccumulator measures merging a content chunk.
func BenchmarkAccumulator(b *testing.B) {
	var a accumulator
	c := ChatChunk{ID: "chatcmpl-1", Model: "m", Choices: []ChunkChoice{{Index: 0, Delta: Delta{Content: "word "}}}}
	b.ReportAllocs()
	for b.Loop() {
		if a.choices != nil && len(a.choices[0].content) > 1<<20 {
			a.init(nil)
		}
		_ = a.add(&c)
	}
}

// TestResponseSnapshotsStayPut checks that a Response taken mid-stream is
// not changed by what arrives later: its strings share the accumulator's
// append-only buffers.
func TestResponseSnapshotsStayPut(t *testing.T) {
	t.Parallel()
	var a accumulator
	piece := func(s string) *ChatChunk {
		return &ChatChunk{Choices: []ChunkChoice{{Delta: Delta{Content: s, ReasoningContent: s, ToolCalls: []ToolCallDelta{{Index: 0, ID: "c", Function: FunctionCall{Arguments: s}}}}}}}
	}
	var snaps []*ChatResponse
	var want []string
	text := ""
	for i := range 300 {
		s := fmt.Sprintf("<%d>", i)
		text += s
		if err := a.add(piece(s)); err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			snaps = append(snaps, a.response())
			want = append(want, text)
		}
	}
	for i, r := range snaps {
		m := r.Choices[0].Message
		if m.Content.Text() != want[i] || m.ReasoningContent != want[i] || m.ToolCalls[0].Function.Arguments != want[i] {
			t.Fatalf("snapshot %d changed: %q", i, m.Content.Text())
		}
	}
}

package aione_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/aionetest"
)

// These tests drive the SDK as a user would, through the public test kit:
// what a provider sends must come back on the next turn.

const thoughtSignature = `{"google":{"thought_signature":"CvMBAePx/16Q"}}`

// geminiToolTurn scripts a Gemini 3 style answer: a tool call carrying a
// thought signature in extra_content, then the final text.
func geminiToolTurn(srv *aionetest.Server) {
	srv.Reply(
		aionetest.Reply{
			ReasoningContent: "The user wants the weather: call the tool.",
			ToolCalls: []aionetest.ToolCall{{
				Name: "get_weather", Arguments: `{"city":"Paris"}`,
				Extra: map[string]json.RawMessage{"extra_content": json.RawMessage(thoughtSignature)},
			}},
		},
		aionetest.Reply{Text: "It is 18°C and cloudy in Paris."},
	)
}

type cityArgs struct {
	City string `json:"city"`
}

func weatherTool(t *testing.T) aione.RunnableTool {
	t.Helper()
	tool, err := aione.NewFunctionTool("get_weather", "Current weather in a city.",
		func(_ context.Context, a cityArgs) (string, error) { return a.City + ": 18°C, cloudy", nil })
	require.NoError(t, err)
	return tool
}

// TestRoundTripThroughTestKit runs a Gemini 3 tool loop against aionetest,
// streaming and not, and checks the second request: the assistant's tool
// call carries its thought signature and (under the default replay) its
// reasoning, and the tool result answers the same call ID.
func TestRoundTripThroughTestKit(t *testing.T) {
	t.Parallel()
	for _, stream := range []bool{false, true} {
		for _, replay := range []aione.ReasoningReplay{aione.ReasoningToolTurns, aione.ReasoningNever} {
			name := map[bool]string{false: "RunTools", true: "RunToolsStream"}[stream]
			name += map[aione.ReasoningReplay]string{aione.ReasoningToolTurns: "/default", aione.ReasoningNever: "/never"}[replay]
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				srv := aionetest.NewServer(t)
				geminiToolTurn(srv)
				client := srv.Client(aione.WithReasoningReplay(replay))
				msgs := []aione.Message{aione.UserMessage("Weather in Paris?")}
				tools := []aione.RunnableTool{weatherTool(t)}
				var run *aione.ToolRun
				if stream {
					s, err := client.RunToolsStream(t.Context(), "gemini-3-pro-preview", msgs, tools)
					require.NoError(t, err)
					for s.Next() {
					}
					require.NoError(t, s.Err())
					run = s.Run()
				} else {
					var err error
					run, err = client.RunTools(t.Context(), "gemini-3-pro-preview", msgs, tools)
					require.NoError(t, err)
				}
				require.Equal(t, "It is 18°C and cloudy in Paris.", run.Messages[len(run.Messages)-1].Content.Text())

				reqs := srv.Requests()
				require.Len(t, reqs, 2)
				sent := reqs[1].Chat.Messages
				require.Len(t, sent, 3) // user, assistant tool call, tool result
				call := sent[1].ToolCalls[0]
				require.NotEmpty(t, call.ID)
				require.Equal(t, call.ID, sent[2].ToolCallID)
				require.JSONEq(t, thoughtSignature, string(call.Extra["extra_content"]))
				require.True(t, bytes.Contains(reqs[1].Body, []byte(`"extra_content":`+thoughtSignature)), "body: %s", reqs[1].Body)
				wantReasoning := replay == aione.ReasoningToolTurns
				require.Equal(t, wantReasoning, bytes.Contains(reqs[1].Body, []byte(`"reasoning_content":"The user wants the weather: call the tool."`)))
			})
		}
	}
}

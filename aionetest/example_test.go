package aionetest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/aionetest"
)

// forecast is application code under test: it asks the model and trims
// the answer.
func forecast(ctx context.Context, c *aione.Client, city string) (string, error) {
	resp, err := c.Chat(ctx, "claude-sonnet-4-6", []aione.Message{
		aione.SystemMessage("Answer with one short sentence."),
		aione.UserMessage("What is the weather in " + city + " today?"),
	})
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(resp.Text()), nil
}

func Example() {
	// In a test, pass t: the server is then closed by t.Cleanup.
	srv := aionetest.NewServer(nil)
	defer srv.Close()
	srv.Reply(aionetest.Reply{Text: " Lisbon: 21°C and sunny, with a light breeze from the sea. "})

	got, err := forecast(context.Background(), srv.Client(), "Lisbon")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got)

	// Assert on what the code sent.
	req := srv.LastRequest()
	fmt.Println(req.Chat.Model, len(req.Chat.Messages), req.LastUserText())
	// Output:
	// Lisbon: 21°C and sunny, with a light breeze from the sea.
	// claude-sonnet-4-6 2 What is the weather in Lisbon today?
}

func ExampleServer_Reply_stream() {
	srv := aionetest.NewServer(nil)
	defer srv.Close()
	// Choose how the answer is cut into chunks.
	srv.Reply(aionetest.Reply{Chunks: []string{"The Seventh Seal", " (1957), by", " Ingmar Bergman."}})

	s, err := srv.Client().ChatStream(context.Background(), "claude-sonnet-4-6",
		[]aione.Message{aione.UserMessage("Name a film about a knight playing chess with Death.")})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	for s.Next() {
		for _, c := range s.Current().Choices {
			if c.Delta.Content != "" {
				fmt.Printf("%q\n", c.Delta.Content)
			}
		}
	}
	if err := s.Err(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// "The Seventh Seal"
	// " (1957), by"
	// " Ingmar Bergman."
}

func ExampleServer_Reply_toolCalls() {
	srv := aionetest.NewServer(nil)
	defer srv.Close()
	srv.Reply(
		aionetest.Reply{ToolCalls: []aionetest.ToolCall{{Name: "get_weather", Arguments: `{"city":"Oslo"}`}}},
		aionetest.Reply{Text: "It is -3°C and snowing in Oslo."},
	)

	type args struct {
		City string `json:"city"`
	}
	tool, err := aione.NewFunctionTool("get_weather", "Get the current weather in a city.",
		func(_ context.Context, a args) (string, error) { return a.City + ": -3°C, snow", nil })
	if err != nil {
		log.Fatal(err)
	}
	runner := &aione.ToolRunner{Client: srv.Client(), Model: "claude-sonnet-4-6", Tools: []aione.RunnableTool{tool}}
	run, err := runner.Run(context.Background(), []aione.Message{aione.UserMessage("Weather in Oslo?")})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(run.Text())
	// The second request carried the tool's result back.
	msgs := srv.LastRequest().Chat.Messages
	fmt.Println(msgs[len(msgs)-1].Role, msgs[len(msgs)-1].Content.Text())
	// Output:
	// It is -3°C and snowing in Oslo.
	// tool Oslo: -3°C, snow
}

func ExampleError() {
	srv := aionetest.NewServer(nil)
	defer srv.Close()
	quota := aionetest.Error(429, "You exceeded your current quota.")
	quota.Body = aionetest.ErrorBody("You exceeded your current quota.", "insufficient_quota", "insufficient_quota")
	srv.Reply(aionetest.Error(503, "The server is overloaded."), quota)

	// The 503 is retried; the spent quota is not.
	_, err := srv.Client().Chat(context.Background(), "claude-sonnet-4-6",
		[]aione.Message{aione.UserMessage("Hello")})
	var apiErr *aione.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.Attempts)
	}
	// Output:
	// 429 insufficient_quota 2
}

func ExampleServer_Handle() {
	srv := aionetest.NewServer(nil)
	defer srv.Close()
	// A rule answers every matching request; others get the default answer.
	srv.Handle(func(r *aionetest.Request) bool { return strings.Contains(r.LastUserText(), "capital") },
		aionetest.Reply{Text: "Canberra."})

	c := srv.Client()
	for _, q := range []string{"What is the capital of Australia?", "Say hi."} {
		resp, err := c.Chat(context.Background(), "claude-sonnet-4-6", []aione.Message{aione.UserMessage(q)})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(resp.Text())
	}
	// Output:
	// Canberra.
	// Hello from AIone local server. You said: Say hi.
}

func ExampleNewMemoryServer() {
	// No socket is opened: the client reaches the server in memory, so
	// this also works inside a testing/synctest bubble, where the server's
	// delays then run on the bubble's fake clock.
	srv := aionetest.NewMemoryServer(nil)
	defer srv.Close()
	srv.Reply(aionetest.Reply{Text: "Tokyo, then Kyoto by Shinkansen: about two hours and fifteen minutes."})

	resp, err := srv.Client().Chat(context.Background(), "claude-sonnet-4-6",
		[]aione.Message{aione.UserMessage("How long is the train from Tokyo to Kyoto?")})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Text())
	fmt.Println(srv.URL)
	// Output:
	// Tokyo, then Kyoto by Shinkansen: about two hours and fifteen minutes.
	// http://aionetest.invalid/v1
}

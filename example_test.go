package aione_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/aionetest"
)

// The examples run offline against a fake server from aionetest that plays
// the model; real code calls aione.NewClient(), which takes the key from
// AIONE_API_KEY.

func ExampleClient_Chat() {
	srv := aionetest.NewServer(nil)
	defer srv.Close()
	srv.Reply(aionetest.Reply{Text: "An API gateway is the single entry point that routes, authenticates and rate-limits requests to your services."})
	client := srv.Client()

	resp, err := client.Chat(context.Background(), "claude-sonnet-4-6", []aione.Message{
		aione.SystemMessage("You are a helpful assistant."),
		aione.UserMessage("What is an API gateway?"),
	}, aione.WithTemperature(0.7), aione.WithMaxTokens(500))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Text())
	fmt.Println(resp.Choices[0].FinishReason, resp.Usage.TotalTokens)
	// Output:
	// An API gateway is the single entry point that routes, authenticates and rate-limits requests to your services.
	// stop 27
}

func ExampleNewClient() {
	// Defaults given here apply to every call; a call's own options win.
	client, err := aione.NewClient(
		aione.WithAPIKey("sk-nex-example"),
		aione.WithMaxRetries(3),
		aione.WithTemperature(0.2),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client.BaseURL())
	fmt.Println(client) // the key is never printed
	// Output:
	// https://api.nexara.net/v1
	// aione.Client{BaseURL: "https://api.nexara.net/v1", APIKey: [REDACTED]}
}

func ExampleAPIError() {
	srv := aionetest.NewServer(nil)
	defer srv.Close()
	client := srv.Client(aione.WithMaxRetries(0))

	_, err := client.Chat(context.Background(), "claude-sonnet-4-6", []aione.Message{aione.UserMessage("hi")},
		aione.WithAPIKey("sk-nex-wrong"))
	var apiErr *aione.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code)
		fmt.Println(apiErr.Message)
	}
	// Output:
	// 401 invalid_api_key
	// Invalid API key
}

func ExampleChatResponse_Images() {
	srv := aionetest.NewServer(nil)
	defer srv.Close()
	srv.Reply(aionetest.Image("A lighthouse at dusk, in 16:9.", "image/png", aionetest.SamplePNG()))
	client := srv.Client()

	resp, err := client.Chat(context.Background(), "gemini-2.5-flash-image",
		[]aione.Message{aione.UserMessage("A lighthouse at dusk")},
		aione.WithAspectRatio("16:9"), aione.WithImageSize("1K"))
	if err != nil {
		log.Fatal(err)
	}
	images, err := resp.Images()
	if err != nil {
		log.Fatal(err)
	}
	for _, img := range images {
		// Real code would os.WriteFile("out.png", img.Data, 0o644).
		fmt.Println(img.MIMEType, len(img.Data) > 0)
	}
	// Output:
	// image/png true
}

func ExampleWithExtraField() {
	client, err := aione.NewClient(aione.WithAPIKey("sk-nex-example"))
	if err != nil {
		log.Fatal(err)
	}
	req, err := client.NewChatRequest("claude-sonnet-4-6", []aione.Message{aione.UserMessage("hi")},
		aione.WithMaxTokens(100),
		aione.WithExtraField("thinking", map[string]any{"type": "enabled", "budget_tokens": 1024}),
		aione.WithExtraField("max_tokens", nil), // remove a named field
	)
	if err != nil {
		log.Fatal(err)
	}
	body, _ := req.MarshalJSON()
	fmt.Println(string(body))
	// Output:
	// {"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"hi"}],"thinking":{"budget_tokens":1024,"type":"enabled"}}
}

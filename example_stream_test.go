package aione_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/internal/localserver"
)

// newStreamExampleClient returns a client for a local AIone-compatible
// server, so that the streaming examples run offline. Real code calls
// aione.NewClient() and takes the key from AIONE_API_KEY.
func newStreamExampleClient() (*aione.Client, func()) {
	srv := localserver.New()
	client, err := aione.NewClient(aione.WithBaseURL(srv.URL), aione.WithAPIKey(localserver.DefaultAPIKey))
	if err != nil {
		log.Fatal(err)
	}
	return client, srv.Close
}

// Print the answer as it arrives, then look at the whole of it.
func ExampleClient_ChatStream() {
	client, stop := newStreamExampleClient()
	defer stop()

	stream, err := client.ChatStream(context.Background(), "claude-sonnet-4-6",
		[]aione.Message{aione.UserMessage("Stream me a greeting")}, aione.WithStreamUsage())
	if err != nil {
		log.Fatal(err) // an HTTP error status, retries exhausted, not an event stream
	}
	defer stream.Close()
	for stream.Next() {
		for _, choice := range stream.Current().Choices {
			fmt.Print(choice.Delta.Content)
		}
	}
	fmt.Println()
	if err := stream.Err(); err != nil {
		log.Fatal(err) // the stream broke or the server sent an error: the answer is not whole
	}
	resp := stream.Response()
	fmt.Println("finish reason:", resp.Choices[0].FinishReason)
	fmt.Println("total tokens:", resp.Usage.TotalTokens)
	// Output:
	// Hello from AIone local server. You said: Stream me a greeting
	// finish reason: stop
	// total tokens: 15
}

// Range over the chunks with a for loop; the error, if any, comes last.
func ExampleStream_All() {
	client, stop := newStreamExampleClient()
	defer stop()

	stream, err := client.ChatStream(context.Background(), "claude-sonnet-4-6",
		[]aione.Message{aione.UserMessage("one two three")})
	if err != nil {
		log.Fatal(err)
	}
	var pieces []string
	for chunk, err := range stream.All() {
		if err != nil {
			log.Fatal(err)
		}
		for _, choice := range chunk.Choices {
			if choice.Delta.Content != "" {
				pieces = append(pieces, choice.Delta.Content)
			}
		}
	}
	fmt.Println(len(pieces), "pieces")
	fmt.Println(strings.Join(pieces, "|"))
	// Output:
	// 10 pieces
	// Hello |from |AIone |local |server. |You |said: |one |two |three
}

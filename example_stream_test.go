package aione_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/aionetest"
)

// Print the answer as it arrives, then look at the whole of it.
func ExampleClient_ChatStream() {
	srv := aionetest.NewServer(nil)
	defer srv.Close()
	srv.Reply(aionetest.Reply{Text: "Good morning! The coffee is on and the day is yours."})
	client := srv.Client()

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
	// Good morning! The coffee is on and the day is yours.
	// finish reason: stop
	// total tokens: 15
}

// Range over the chunks with a for loop; the error, if any, comes last.
func ExampleStream_All() {
	srv := aionetest.NewServer(nil)
	defer srv.Close()
	srv.Reply(aionetest.Reply{Chunks: []string{"Un, ", "deux, ", "trois."}})
	client := srv.Client()

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
	// 3 pieces
	// Un, |deux, |trois.
}

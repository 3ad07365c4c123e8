// Command quickstart asks AIone one question, first whole and then
// streamed. Without AIONE_API_KEY it runs against a local fake server from
// the aionetest package, scripted with a realistic answer, so it works
// offline:
//
//	go run ./examples/quickstart
//
// With AIONE_API_KEY set it asks AIone; AIONE_MODEL picks the model
// (claude-sonnet-4-6 by default).
package main

import (
	"cmp"
	"context"
	"fmt"
	"log"
	"os"
	"time"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/aionetest"
)

func main() {
	client, stop := connect()
	defer stop()
	model := cmp.Or(os.Getenv("AIONE_MODEL"), "claude-sonnet-4-6")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	messages := []aione.Message{
		aione.SystemMessage("You are a helpful assistant. Please answer concisely."),
		aione.UserMessage("What is a RESTful API? Explain in 3 sentences."),
	}

	// One call, one whole answer.
	resp, err := client.Chat(ctx, model, messages, aione.WithMaxTokens(500), aione.WithTemperature(0.7))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("Chat:", resp.Text())
	if resp.Usage != nil {
		fmt.Printf("  tokens: %d prompt + %d completion = %d\n", resp.Usage.PromptTokens, resp.Usage.CompletionTokens, resp.Usage.TotalTokens)
	}

	// The same question, streamed: print each piece as it arrives.
	stream, err := client.ChatStream(ctx, model, messages, aione.WithMaxTokens(500), aione.WithStreamUsage())
	if err != nil {
		log.Fatal(err)
	}
	defer stream.Close()
	fmt.Print("ChatStream: ")
	for stream.Next() {
		for _, choice := range stream.Current().Choices {
			fmt.Print(choice.Delta.Content)
		}
	}
	fmt.Println()
	if err := stream.Err(); err != nil {
		log.Fatal(err)
	}
	final := stream.Response()
	fmt.Printf("  finish reason: %s, request ID: %s\n", final.Choices[0].FinishReason, final.RequestID)
	if os.Getenv("AIONE_API_KEY") == "" {
		fmt.Println("Set AIONE_API_KEY to talk to AIone itself.")
	}
}

// connect returns a client for AIone when AIONE_API_KEY is set. Otherwise
// it starts a local aionetest server scripted with the answers this program
// expects, and stop closes it.
func connect() (client *aione.Client, stop func()) {
	if os.Getenv("AIONE_API_KEY") != "" {
		c, err := aione.NewClient()
		if err != nil {
			log.Fatal(err)
		}
		return c, func() {}
	}
	const answer = "A RESTful API exposes resources, such as users or orders, at URLs " +
		"and lets clients act on them with the standard HTTP methods GET, POST, PUT and DELETE. " +
		"Each request is stateless and carries everything the server needs, " +
		"and responses usually come back as JSON with a status code that says how it went. " +
		"This uniform design makes such APIs easy to cache, scale and use from any language."
	srv := aionetest.NewServer(nil)
	srv.Reply(aionetest.Reply{Text: answer}, aionetest.Reply{Text: answer, ChunkDelay: 15 * time.Millisecond})
	fmt.Fprintln(os.Stderr, "AIONE_API_KEY is not set: the answers come from a local aionetest server.")
	return srv.Client(), srv.Close
}

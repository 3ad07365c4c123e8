// Command quickstart asks AIone one question, first whole and then
// streamed. Without AIONE_API_KEY it runs against a local AIone-compatible
// server, so it works offline:
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/internal/offline"
)

func main() {
	client, model, stop, err := offline.Client("claude-sonnet-4-6")
	if err != nil {
		log.Fatal(err)
	}
	defer stop()

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

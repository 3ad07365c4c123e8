// Command stream prints an answer token by token as AIone streams it, then
// the finish reason and token usage of the whole answer. Without
// AIONE_API_KEY it runs against a local fake server from the aionetest
// package, which streams a scripted haiku, so it works offline:
//
//	go run ./examples/stream
//	go run ./examples/stream "Explain server-sent events in two sentences."
//
// With AIONE_API_KEY set it asks AIone; AIONE_MODEL picks the model
// (claude-sonnet-4-6 by default).
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"time"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/aionetest"
)

func main() {
	client, stop := connect()
	defer stop()
	model := cmp.Or(os.Getenv("AIONE_MODEL"), "claude-sonnet-4-6")

	prompt := "Write a haiku about streaming text, one word at a time."
	if len(os.Args) > 1 {
		prompt = strings.Join(os.Args[1:], " ")
	}

	// Ctrl-C stops the stream promptly; the context bounds the whole
	// answer, WithTimeout only its start, WithIdleTimeout any silence.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	stream, err := client.ChatStream(ctx, model,
		[]aione.Message{aione.UserMessage(prompt)},
		aione.WithStreamUsage(),
		aione.WithTimeout(30*time.Second),
		aione.WithIdleTimeout(2*time.Minute),
	)
	if err != nil {
		log.Fatal(err) // an HTTP error status, retries exhausted, not an event stream
	}
	defer stream.Close()

	for stream.Next() {
		for _, choice := range stream.Current().Choices {
			if choice.Delta.ReasoningContent != "" {
				fmt.Fprint(os.Stderr, choice.Delta.ReasoningContent)
			}
			fmt.Print(choice.Delta.Content)
		}
	}
	fmt.Println()
	if err := stream.Err(); err != nil {
		// What was printed is only part of the answer.
		var apiErr *aione.APIError
		switch {
		case errors.As(err, &apiErr):
			log.Fatalf("the server ended the stream with an error: %v", err)
		case errors.Is(err, aione.ErrTruncated):
			log.Fatalf("the stream was cut short: %v", err)
		default:
			log.Fatal(err)
		}
	}

	resp := stream.Response()
	if len(resp.Choices) > 0 {
		fmt.Println("finish reason:", resp.Choices[0].FinishReason)
	}
	if u := resp.Usage; u != nil {
		fmt.Printf("tokens: %d prompt + %d completion = %d\n", u.PromptTokens, u.CompletionTokens, u.TotalTokens)
	}
}

// connect returns a client for AIone when AIONE_API_KEY is set. Otherwise
// it starts a local aionetest server that streams a scripted answer at a
// reading pace, and stop closes it.
func connect() (client *aione.Client, stop func()) {
	if os.Getenv("AIONE_API_KEY") != "" {
		c, err := aione.NewClient()
		if err != nil {
			log.Fatal(err)
		}
		return c, func() {}
	}
	srv := aionetest.NewServer(nil)
	srv.Reply(aionetest.Reply{
		Text:       "Words arrive like rain,\none drop, and then another;\nthe sentence takes shape.",
		ChunkDelay: 60 * time.Millisecond,
	})
	fmt.Fprintln(os.Stderr, "AIONE_API_KEY is not set: the answer comes from a local aionetest server.")
	return srv.Client(), srv.Close
}

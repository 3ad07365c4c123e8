// Command multiturn holds a short conversation: each answer is appended to
// the messages so the model sees the whole history. Without AIONE_API_KEY
// it runs against a local AIone-compatible server:
//
//	go run ./examples/multiturn
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/internal/offline"
)

func main() {
	client, model, stop, err := offline.Client("claude-sonnet-4-6", aione.WithTemperature(0.7))
	if err != nil {
		log.Fatal(err)
	}
	defer stop()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	messages := []aione.Message{aione.SystemMessage("You are a patient Go tutor. Answer in one sentence.")}
	for _, question := range []string{
		"What is a goroutine?",
		"How is it different from an OS thread?",
		"So how many can I start?",
	} {
		messages = append(messages, aione.UserMessage(question))
		resp, err := client.Chat(ctx, model, messages)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("> %s\n%s\n\n", question, resp.Text())
		// The answer's own message keeps everything the model sent
		// (tool calls included), so it is what goes back in.
		messages = append(messages, resp.Choices[0].Message)
	}
	fmt.Printf("%d messages in the conversation\n", len(messages))
}

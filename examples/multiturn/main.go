// Command multiturn holds a short conversation: each answer is appended to
// the messages so the model sees the whole history. Without AIONE_API_KEY
// it runs against a local fake server from the aionetest package, scripted
// with a tutor's answers, so it works offline:
//
//	go run ./examples/multiturn
//
// With AIONE_API_KEY set it talks to AIone; AIONE_MODEL picks the model
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

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	messages := []aione.Message{aione.SystemMessage("You are a patient Go tutor. Answer in one sentence.")}
	for _, question := range []string{
		"What is a goroutine?",
		"How is it different from an OS thread?",
		"So how many can I start?",
	} {
		messages = append(messages, aione.UserMessage(question))
		resp, err := client.Chat(ctx, model, messages, aione.WithTemperature(0.7))
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
	srv := aionetest.NewServer(nil)
	srv.Reply(
		aionetest.Reply{Text: "A goroutine is a function running concurrently with the rest of your program, started with the go keyword and scheduled by the Go runtime."},
		aionetest.Reply{Text: "An OS thread has a fixed stack of a megabyte or more and is scheduled by the kernel, while a goroutine starts with a few kilobytes of stack and the runtime multiplexes many of them onto a few threads."},
		aionetest.Reply{Text: "Hundreds of thousands on an ordinary laptop, even millions if they mostly wait, since each costs only a few kilobytes until its stack grows."},
	)
	fmt.Fprintln(os.Stderr, "AIONE_API_KEY is not set: the answers come from a local aionetest server.")
	return srv.Client(), srv.Close
}

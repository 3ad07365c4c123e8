// Command retry shows the SDK's retry policy at work: which failures are
// retried and which are not, how long the client waits, and how a retry
// hook and a debug logger see every retry.
//
// Without AIONE_API_KEY it runs against a local fake server from the
// aionetest package, scripted to fail first (a 503, a rate limit, a dropped connection, a spent
// quota), so it works offline and shows each rule:
//
//	go run ./examples/retry
//	go run ./examples/retry -log   # also print the SDK's debug log
//
// With AIONE_API_KEY set it makes one call to AIone with the same hook and
// prints whatever retries that call needed (usually none); AIONE_MODEL picks
// the model (claude-sonnet-4-6 by default).
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/aionetest"
)

func main() {
	debug := flag.Bool("log", false, "print the SDK's debug log (each attempt and retry) to stderr")
	flag.Parse()

	// The hook sees every retry before its wait starts.
	retries := 0
	opts := []aione.Option{
		aione.WithRetryHook(func(r aione.RetryInfo) {
			retries++
			fmt.Printf("  retry: attempt %d failed (%v); waiting %v\n", r.Attempt, r.Err, r.Wait.Round(time.Millisecond))
		}),
	}
	if *debug {
		logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		opts = append(opts, aione.WithLogger(logger))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	model := cmp.Or(os.Getenv("AIONE_MODEL"), "claude-sonnet-4-6")
	if os.Getenv("AIONE_API_KEY") != "" {
		client, err := aione.NewClient(opts...)
		if err != nil {
			log.Fatal(err)
		}
		ask(ctx, client, model, "In one sentence, why do HTTP clients retry with backoff?")
		fmt.Printf("%d retries were needed.\n", retries)
		return
	}

	// Offline: a local server we can script, so that the retries happen.
	srv := aionetest.NewServer(nil)
	defer srv.Close()
	fmt.Fprintln(os.Stderr, "AIONE_API_KEY is not set: the answers and failures come from a local aionetest server.")
	client := srv.Client(append([]aione.Option{
		// The defaults: up to 2 retries, waits from about 0.5s doubling up
		// to 8s, each jittered by ±50%. Spelled out here to show the knobs
		// (the test server's client otherwise starts from 1ms).
		aione.WithMaxRetries(aione.DefaultMaxRetries),
		aione.WithBackoff(aione.DefaultMinBackoff, aione.DefaultMaxBackoff),
	}, opts...)...)
	overloaded := aionetest.Error(503, "The server is overloaded")

	fmt.Println("1. A 503, then a 429 asking for 300ms (retry-after-ms): both retried.")
	limited := aionetest.Error(429, "Rate limit reached for requests")
	limited.Header = map[string]string{"retry-after-ms": "300"}
	srv.Reply(overloaded, limited, aionetest.Reply{Text: "Lisbon is the capital of Portugal."})
	ask(ctx, client, model, "What is the capital of Portugal?")

	fmt.Println("2. A connection dropped before any answer, while opening a stream: retried.")
	srv.Reply(aionetest.Reply{Reset: true}, aionetest.Reply{Text: "The Tagus flows through Lisbon into the Atlantic."})
	stream(ctx, client, model, "Which river flows through it?")

	fmt.Println("3. A 429 saying the quota is spent: waiting will not help, so no retry.")
	srv.Reply(aionetest.Reply{Status: 429, Body: aionetest.ErrorBody("You exceeded your current quota, please check your plan and billing details.", "insufficient_quota", "insufficient_quota")})
	ask(ctx, client, model, "How many people live there?")

	fmt.Println("4. A 429 asking for 30s, more than the 8s cap: the call fails at once, the caller decides.")
	slowDown := aionetest.Error(429, "Rate limit reached for tokens")
	slowDown.RetryAfter = 30 * time.Second
	srv.Reply(slowDown)
	ask(ctx, client, model, "How many people live there?")

	fmt.Println("5. Two 503s with WithMaxRetries(1) for this call: the budget runs out after 2 attempts.")
	srv.Reply(overloaded, overloaded)
	ask(ctx, client, model, "How many people live there?", aione.WithMaxRetries(1))

	fmt.Printf("The hook saw %d retries; the server saw %d requests.\n", retries, srv.RequestCount())
}

// ask makes one Chat call and prints its answer or its error.
func ask(ctx context.Context, client *aione.Client, model, question string, opts ...aione.Option) {
	resp, err := client.Chat(ctx, model, []aione.Message{aione.UserMessage(question)}, opts...)
	report(err)
	if err == nil {
		fmt.Println("  answer:", resp.Text())
	}
}

// stream reads one streamed answer and prints it or its error.
func stream(ctx context.Context, client *aione.Client, model, question string) {
	s, err := client.ChatStream(ctx, model, []aione.Message{aione.UserMessage(question)})
	if err != nil {
		report(err)
		return
	}
	defer s.Close()
	fmt.Print("  streamed: ")
	for s.Next() {
		for _, c := range s.Current().Choices {
			fmt.Print(c.Delta.Content)
		}
	}
	fmt.Println()
	report(s.Err())
}

// report prints what an error tells the caller: the status, how many
// attempts were made and how long the server asked to wait.
func report(err error) {
	if err == nil {
		return
	}
	var apiErr *aione.APIError
	if errors.As(err, &apiErr) {
		fmt.Printf("  error: status %d after %d attempt(s), Retry-After %v: %v\n", apiErr.StatusCode, apiErr.Attempts, apiErr.RetryAfter, err)
		return
	}
	fmt.Println("  error:", err)
}

// Command tools lets a model call a Go function: a weather tool whose
// arguments schema is derived from a struct. The SDK's tool runner sends the
// question with the tool, runs the calls the model asks for, sends the
// results back and prints the final answer. Without AIONE_API_KEY it runs
// against a local fake server from the aionetest package, which plays the
// model with scripted answers, so it works offline:
//
//	go run ./examples/tools
//
// With AIONE_API_KEY set it uses AIone; AIONE_MODEL picks the model
// (claude-sonnet-4-6 by default).
package main

import (
	"cmp"
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/aionetest"
)

// weatherArgs are the tool's arguments; the tags become its JSON Schema.
type weatherArgs struct {
	City string `json:"city" description:"City name, such as Paris or Tokyo."`
	Unit string `json:"unit,omitempty" enum:"celsius,fahrenheit" description:"Temperature unit; celsius by default."`
}

// weather is the tool's result, sent back to the model as JSON.
type weather struct {
	City        string `json:"city"`
	Temperature int    `json:"temperature"`
	Unit        string `json:"unit"`
	Conditions  string `json:"conditions"`
}

// getWeather pretends to look the weather up.
func getWeather(ctx context.Context, a weatherArgs) (weather, error) {
	if strings.TrimSpace(a.City) == "" {
		return weather{}, fmt.Errorf("a city is required")
	}
	w := weather{City: a.City, Temperature: 18, Unit: "celsius", Conditions: "partly cloudy"}
	if a.Unit == "fahrenheit" {
		w.Temperature, w.Unit = 64, "fahrenheit"
	}
	return w, nil
}

func main() {
	client, stop := connect()
	defer stop()
	model := cmp.Or(os.Getenv("AIONE_MODEL"), "claude-sonnet-4-6")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	tool, err := aione.NewFunctionTool("get_weather", "Get the current weather in a city.", getWeather)
	if err != nil {
		log.Fatal(err)
	}
	runner := &aione.ToolRunner{
		Client: client,
		Model:  model,
		Tools:  []aione.RunnableTool{tool},
		// Print each step as it happens.
		OnEvent: func(e aione.ToolEvent) {
			switch {
			case e.Response != nil && len(e.Response.ToolCalls()) > 0:
				for _, c := range e.Response.ToolCalls() {
					fmt.Printf("step %d: the model calls %s(%s)\n", e.Step, c.Function.Name, c.Function.Arguments)
				}
			case e.Response == nil:
				fmt.Printf("step %d: %s returned %s (in %v)\n", e.Step, e.Call.Function.Name, e.Result, e.Duration.Round(time.Microsecond))
			}
		},
	}
	run, err := runner.Run(ctx, []aione.Message{
		aione.SystemMessage("Use the tools to answer. Be brief."),
		aione.UserMessage("What's the weather like in Paris right now?"),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("Answer:", run.Text())
	fmt.Printf("%d model turns, %d messages, %d tokens\n", run.Steps, len(run.Messages), run.Usage.TotalTokens)
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
		aionetest.Reply{ToolCalls: []aionetest.ToolCall{{Name: "get_weather", Arguments: `{"city":"Paris","unit":"celsius"}`}}},
		aionetest.Reply{Text: "It's 18°C and partly cloudy in Paris right now: a light jacket should do."},
	)
	fmt.Fprintln(os.Stderr, "AIONE_API_KEY is not set: the answers come from a local aionetest server.")
	return srv.Client(), srv.Close
}

package aione_test

import (
	"context"
	"fmt"
	"log"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/internal/localserver"
)

type weatherArgs struct {
	City string `json:"city" description:"City name, such as Paris."`
	Unit string `json:"unit,omitempty" enum:"celsius,fahrenheit" description:"Temperature unit; celsius by default."`
}

func getWeather(_ context.Context, a weatherArgs) (string, error) {
	if a.Unit == "fahrenheit" {
		return a.City + ": 70°F, sunny", nil
	}
	return a.City + ": 21°C, sunny", nil
}

func ExampleClient_RunTools() {
	client, srv := startLocalModel()
	defer srv.Close()
	// Script the local model's first answer: a call to get_weather.
	srv.Enqueue(localserver.Fault{Answer: &localserver.Answer{ToolCalls: []localserver.ToolCall{
		{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`},
	}}})

	weather, err := aione.NewFunctionTool("get_weather", "Get the current weather in a city.", getWeather)
	if err != nil {
		log.Fatal(err)
	}
	run, err := client.RunTools(context.Background(), "claude-sonnet-4-6",
		[]aione.Message{aione.UserMessage("What's the weather in Paris?")},
		[]aione.RunnableTool{weather})
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range run.Messages {
		switch {
		case len(m.ToolCalls) > 0:
			for _, c := range m.ToolCalls {
				fmt.Printf("%s calls %s(%s)\n", m.Role, c.Function.Name, c.Function.Arguments)
			}
		default:
			fmt.Printf("%s: %s\n", m.Role, m.Content.Text())
		}
	}
	fmt.Println("steps:", run.Steps)
	// Output:
	// user: What's the weather in Paris?
	// assistant calls get_weather({"city":"Paris"})
	// tool: Paris: 21°C, sunny
	// assistant: Tool results: Paris: 21°C, sunny
	// steps: 2
}

func ExampleClient_RunToolsStream() {
	client, srv := startLocalModel()
	defer srv.Close()
	srv.Enqueue(localserver.Fault{Answer: &localserver.Answer{ToolCalls: []localserver.ToolCall{
		{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Oslo","unit":"fahrenheit"}`},
	}}})

	weather := aione.MustFunctionTool("get_weather", "Get the current weather in a city.", getWeather)
	stream, err := client.RunToolsStream(context.Background(), "claude-sonnet-4-6",
		[]aione.Message{aione.UserMessage("Weather in Oslo, in Fahrenheit?")},
		[]aione.RunnableTool{weather})
	if err != nil {
		log.Fatal(err)
	}
	for chunk, err := range stream.All() {
		if err != nil {
			log.Fatal(err)
		}
		for _, ch := range chunk.Choices {
			fmt.Print(ch.Delta.Content)
		}
	}
	fmt.Println()
	fmt.Println("messages:", len(stream.Run().Messages))
	// Output:
	// Tool results: Oslo: 70°F, sunny
	// messages: 4
}

type recipe struct {
	Name        string   `json:"name" description:"The dish."`
	Servings    int      `json:"servings" jsonschema:"minimum=1"`
	Difficulty  string   `json:"difficulty" enum:"easy,medium,hard"`
	Ingredients []string `json:"ingredients"`
}

func ExampleChatJSON() {
	client, srv := startLocalModel()
	defer srv.Close()
	// Script the local model's answer, fenced as some models do.
	srv.Enqueue(localserver.Fault{Answer: &localserver.Answer{
		Text: "```json\n{\"name\":\"Pancakes\",\"servings\":4,\"difficulty\":\"easy\",\"ingredients\":[\"flour\",\"milk\",\"eggs\"]}\n```",
	}})

	r, resp, err := aione.ChatJSON[recipe](context.Background(), client, "gpt-4o",
		[]aione.Message{aione.UserMessage("A simple breakfast recipe, please.")})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s for %d (%s): %v\n", r.Name, r.Servings, r.Difficulty, r.Ingredients)
	fmt.Println("finish:", resp.Choices[0].FinishReason)
	// Output:
	// Pancakes for 4 (easy): [flour milk eggs]
	// finish: stop
}

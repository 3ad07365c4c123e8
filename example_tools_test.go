package aione_test

import (
	"context"
	"fmt"
	"log"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/aionetest"
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
	srv := aionetest.NewServer(nil)
	defer srv.Close()
	client := srv.Client()
	// Script the fake model: a call to get_weather, then the answer.
	srv.Reply(
		aionetest.Reply{ToolCalls: []aionetest.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}}},
		aionetest.Reply{Text: "It's 21°C and sunny in Paris."},
	)

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
	// assistant: It's 21°C and sunny in Paris.
	// steps: 2
}

func ExampleClient_RunToolsStream() {
	srv := aionetest.NewServer(nil)
	defer srv.Close()
	client := srv.Client()
	srv.Reply(
		aionetest.Reply{ToolCalls: []aionetest.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Oslo","unit":"fahrenheit"}`}}},
		aionetest.Reply{Text: "Oslo is sunny at 70°F today."},
	)

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
	// Oslo is sunny at 70°F today.
	// messages: 4
}

type recipe struct {
	Name        string   `json:"name" description:"The dish."`
	Servings    int      `json:"servings" jsonschema:"minimum=1"`
	Difficulty  string   `json:"difficulty" enum:"easy,medium,hard"`
	Ingredients []string `json:"ingredients"`
}

func ExampleChatJSON() {
	srv := aionetest.NewServer(nil)
	defer srv.Close()
	client := srv.Client()
	// Script the fake model's answer, fenced as some models do.
	srv.Reply(aionetest.Reply{
		Text: "```json\n{\"name\":\"Pancakes\",\"servings\":4,\"difficulty\":\"easy\",\"ingredients\":[\"flour\",\"milk\",\"eggs\"]}\n```",
	})

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

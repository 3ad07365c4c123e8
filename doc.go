// Package aione is a client for AIone's OpenAI-compatible Chat Completions
// API (POST /v1/chat/completions), and for any gateway that speaks the same
// protocol.
//
// # Quickstart
//
// Create one [Client] and share it; it is safe for concurrent use. With no
// options it takes the API key from AIONE_API_KEY and the base URL from
// AIONE_BASE_URL (else [DefaultBaseURL]):
//
//	client, err := aione.NewClient()
//	if err != nil { ... }
//	resp, err := client.Chat(ctx, "claude-sonnet-4-6", []aione.Message{
//		aione.SystemMessage("Answer concisely."),
//		aione.UserMessage("What is a RESTful API?"),
//	}, aione.WithTemperature(0.7))
//	if err != nil { ... }
//	fmt.Println(resp.Text())
//
// # Options
//
// Everything is set with an [Option]. Given to [NewClient], an option is a
// default for every call; given to a call, it applies to that call only, on
// top of the defaults. Later options win. Request parameters are options
// too ([WithTemperature], [WithMaxTokens], ...), so an unset parameter is
// never sent and a zero one is: WithTemperature(0) sends "temperature":0.
// [WithExtraField] sends any field the SDK does not name, or overrides or
// removes one it does. [Client.NewChatRequest] returns the [ChatRequest]
// a call would send, for inspection.
//
// # Streaming
//
// [Client.ChatStream] returns a [Stream], read like a bufio.Scanner:
//
//	stream, err := client.ChatStream(ctx, model, messages)
//	if err != nil { ... }
//	defer stream.Close()
//	for stream.Next() {
//		for _, c := range stream.Current().Choices {
//			fmt.Print(c.Delta.Content)
//		}
//	}
//	if err := stream.Err(); err != nil { ... }
//	final := stream.Response() // the same type Chat returns
//
// [Stream.All] offers the same as a range-over-func iterator. A stream never
// passes a truncated answer off as complete: one that ends before the
// server says it is done reports [ErrTruncated]. The answer a stream merges
// for [Stream.Response] is bounded by [WithMaxResponseSize]
// ([ErrResponseTooLarge] past it); [WithoutAccumulation] turns merging off
// for a relay that holds one event at a time.
//
// # Errors
//
// An error the server answers is an [*APIError], found with errors.As; it
// carries the status, the error's type, code and parameter, the request ID
// and any Retry-After. Mistakes that can be seen before sending (no model,
// no messages, a temperature out of range, a bad tool name) are reported
// without sending anything, as is any value outside the range the API
// accepts (an unknown role, n above 128, a logit bias beyond ±100...). The
// API key never appears in an error, a log line or a printed value, even
// when a server echoes it back. Whatever a server sends, a call costs time
// linear in it and bounded memory, and an error's text stays short.
//
// # Retries
//
// Every call is retried with exponential backoff and jitter on 408, 409,
// 429 and 5xx answers (but 501) and on dropped connections, honouring
// Retry-After up to [WithMaxRetryAfter]; see [WithMaxRetries],
// [WithBackoff] and [WithRetryHook]. A stream is retried only until its
// first chunk, so no text is ever duplicated. [WithFallbackModels] moves a
// call to another model when its model is unavailable.
//
// # Extension points
//
// [Middleware] wraps every HTTP attempt (auth refresh, tenant headers,
// metrics); [Hooks] observe every call as typed values (request, retries,
// fallbacks, chunks, answer, tool runs), which the aioneotel module turns
// into OpenTelemetry spans and metrics. [Client.With] derives a client
// sharing the connection pool; [Client.Models] lists the models;
// [Client.Send] and [Client.SendStream] send a [ChatRequest] built or
// stored by the caller. A client for a base URL that is not AIone's, such
// as a local gateway, needs no API key.
//
// # Tools and structured output
//
// [NewFunctionTool] turns a Go function into a tool whose JSON Schema is
// generated from its argument type; [Client.RunTools] runs a conversation
// in which the model calls tools until it answers in text, and
// [Client.RunToolsStream] streams the final answer. [WithTools],
// [WithToolChoice], [ChatResponse.ToolCalls] and [ToolCall.DecodeArguments]
// are the pieces for a loop of one's own. [WithJSONMode] asks for a JSON
// answer; [ChatJSON] asks for a Go type's schema and decodes the answer
// into it.
//
// # Images
//
// Image models, such as AIone's Gemini image models, answer with images;
// [ChatResponse.Images] finds and decodes them wherever the gateway put
// them.
//
// # Testing
//
// Package github.com/aione/aione-go/aionetest is a fake AIone server for
// the tests of code that uses this package: it scripts answers, streams and
// faults, hands out a ready client, and records every request.
package aione

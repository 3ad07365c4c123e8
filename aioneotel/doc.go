// Package aioneotel records OpenTelemetry traces and metrics for the calls
// of an [aione.Client], following the OpenTelemetry semantic conventions
// for generative AI (development status) as kept in the
// open-telemetry/semantic-conventions-genai repository, on top of semantic
// conventions v1.42.0: gen_ai.provider.name (which replaced gen_ai.system),
// the "chat {model}" client span, the "execute_tool {name}" span, and the
// gen_ai.client.* metrics.
//
// It is its own module so that the SDK itself depends on no OpenTelemetry
// package. It is built only on the SDK's public [aione.Hooks]:
//
//	hooks, err := aioneotel.NewHooks()
//	if err != nil { ... }
//	client, err := aione.NewClient(aione.WithHooks(hooks))
//
// # Spans
//
// Each call to Chat, ChatStream, Send or SendStream (and each model turn
// of a tool run) is a span of kind CLIENT named "chat {gen_ai.request.model}",
// with the request attributes (gen_ai.operation.name, gen_ai.provider.name,
// gen_ai.request.model, .stream, .temperature, .top_p, .top_k, .max_tokens,
// .frequency_penalty, .presence_penalty, .stop_sequences, .seed,
// .choice.count, gen_ai.output.type, server.address, server.port), the
// response attributes (gen_ai.response.id, .model, .finish_reasons,
// .time_to_first_chunk for streams) and the usage (gen_ai.usage.input_tokens,
// .output_tokens, .cache_read.input_tokens, .reasoning.output_tokens). A
// failed call sets error.type and the span status; a stream the caller
// closed early is not a failure. Each retry is a span event "aione.retry"
// and each move to a fallback model an event "aione.fallback"; after a
// fallback, gen_ai.request.model is the model that was asked last. Each
// tool a tool run executes is a span of kind INTERNAL named
// "execute_tool {gen_ai.tool.name}".
//
// The context a span is started in is the one the call runs with, so HTTP
// instrumentation in a middleware or the HTTP client nests below it.
//
// # Metrics
//
// gen_ai.client.operation.duration (s), gen_ai.client.token.usage
// ({token}, by gen_ai.token.type input and output), and for streams
// gen_ai.client.operation.time_to_first_chunk (s) and
// gen_ai.client.operation.time_per_output_chunk (s), with the bucket
// boundaries the conventions advise.
//
// # Content
//
// Prompts, answers, tool arguments and tool results are recorded only with
// [WithContentRecording]: as gen_ai.system_instructions,
// gen_ai.input.messages, gen_ai.output.messages, gen_ai.tool.call.arguments
// and gen_ai.tool.call.result, in the JSON shapes of the conventions.
package aioneotel

// Package localserver implements a local, deterministic server that speaks
// AIone's OpenAI-compatible chat-completions API.
//
// It is the engine of the public test kit, package aionetest, which
// translates its scripted replies into Faults; the aione package's own
// (internal) tests, which cannot import aionetest, use it directly. It is
// meant for tests, fault-injection suites and benchmarks only; it is not a
// production server and not a faithful model of the real service beyond
// the wire format. It listens only on the loopback interface (127.0.0.1),
// or nowhere (NewInMemory).
//
// A Server answers POST {base}/chat/completions with answers derived only
// from the request, so that the same request always gets the same answer:
//
//   - a text answer of the form AnswerPrefix + the last user text, truncated
//     to max_tokens (or max_completion_tokens) words with finish_reason
//     "length", and n choices prefixed "[i] " when n > 1;
//   - tool calls built from the tools' JSON schemas (see Sample) when the
//     request offers tools and the last message comes from the user, and a
//     "Tool results: ..." text once the tool results are sent back;
//   - JSON mode and json_schema answers;
//   - an array of content parts holding a real PNG for Gemini image models;
//   - server-sent events when stream is true.
//
// GET {base}/models lists a few well-known model IDs in the OpenAI format.
//
// Scripted faults (Fault) can be queued with Server.Enqueue, or chosen for
// every request with Server.SetDefault and Server.SetDefaultFunc, to produce
// error statuses, huge bodies, dropped or stalled connections, truncated or
// malformed event streams, and keep-alive comments.
//
// Server.Transport serves requests in memory, which testing/synctest
// bubbles need (real sockets never block durably). A Server whose handlers
// first ran inside a bubble must also be closed inside that bubble: its
// WaitGroup then belongs to the bubble.
package localserver

// Package aionetest provides a fake AIone server for testing code that uses
// the aione client, in the spirit of net/http/httptest.
//
// A test starts a [Server], takes a ready [*aione.Client] from it, scripts
// what the fake model answers, and then asserts on what its code sent:
//
//	srv := aionetest.NewServer(t)
//	srv.Reply(aionetest.Reply{Text: "Paris is 18°C and cloudy."})
//	client := srv.Client()
//	// ... run the code under test with client ...
//	got := srv.LastRequest().Chat.Messages
//
// # Answers
//
// The server speaks AIone's OpenAI-compatible chat completions API: it
// routes, authenticates and validates each request as the service does
// (a 400 for an out-of-range temperature, a 401 for a wrong key) and
// answers with JSON or, for stream requests, with server-sent events.
//
// Each request takes the oldest reply queued with [Server.Reply]; when the
// queue is empty, the first rule added with [Server.Handle] or
// [Server.HandleFunc] that matches answers; otherwise the server answers
// deterministically from the request itself: the text "Hello from AIone
// local server. You said: " followed by the last user message, tool calls
// with sample arguments built from the tools' JSON schemas, a sample JSON
// document for json_object and json_schema requests, and a small PNG for
// Gemini image models. GET {base}/models lists a few model IDs
// (claude-sonnet-4-6, gemini-2.5-flash-image, gpt-4o, deepseek-chat).
//
// A [Reply] scripts the answer (text, tool calls, JSON, images, reasoning,
// usage, finish reason), the shape and timing of a stream (its chunks, the
// delay between them, a slow trickle of bytes, keep-alive comments), errors
// (any status, body and Retry-After), and faults (a connection reset before
// the answer or after some chunks, a stall, a stream cut before its
// "data: [DONE]").
//
// # Recording
//
// Every request is recorded as a [Request]: its method, path, headers and
// raw body, and the body decoded as an [aione.ChatRequest]. See
// [Server.Requests] and [Server.LastRequest].
//
// # Sockets, synctest and cleanup
//
// [NewServer] listens on 127.0.0.1; [NewMemoryServer] opens no socket and
// serves its client in memory, so tests that must not touch the network, or
// that run inside a testing/synctest bubble, can use it. Given a
// [testing.TB], both close the server when the test ends: every connection
// and handler goroutine is gone once Close returns. Each test should start
// its own server; a Server's methods are safe for concurrent use, so
// parallel tests and concurrent calls need no extra locking.
//
// Programs (such as the examples of the aione module) pass a nil
// testing.TB and call [Server.Close] themselves.
package aionetest

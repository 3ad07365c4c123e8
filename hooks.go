package aione

import (
	"context"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// Hooks observe calls as typed values: the request, each retry and
// fallback, each chunk of a stream, the answer or the error, and each tool
// run of [Client.RunTools] and [Client.RunToolsStream]. They are what
// tracing and metrics are built on (see the aioneotel module); to change
// what is sent, use [Middleware].
//
// Every field is optional. A call to [Client.Chat], [Client.ChatStream],
// [Client.Send] or [Client.SendStream] calls Start once, then Retry,
// Fallback and (for a stream) Chunk as they happen, and End once. For a
// stream, End is called when the stream ends: when Next returns false, or
// at Close if the stream is closed before. Each model turn of a tool run is
// such a call; ToolStart and ToolEnd surround each tool the run executes.
// [Client.Models] is not a chat call and calls no hooks; middleware sees
// it.
//
// Hooks run on the goroutine of the call (for a stream, of Next or Close),
// except ToolStart and ToolEnd, which run on the tool's own goroutine and so
// may run concurrently with each other. They must not block for long. What
// they are given is theirs to read during the call only: a chunk's slices
// are reused by the next chunk. A client with no hooks pays nothing for
// them.
type Hooks struct {
	// Start is called before the first attempt of a call. The context
	// it returns is used for the rest of the call: its HTTP attempts
	// (and so its middleware) and the other hooks get it, so it can
	// carry a span. Returning ctx unchanged is fine.
	Start func(ctx context.Context, call *CallInfo) context.Context
	// Retry is called before each retry, once the wait is known.
	Retry func(ctx context.Context, call *CallInfo, retry RetryInfo)
	// Fallback is called when the call moves on to a fallback model;
	// call.Model is then already the new model.
	Fallback func(ctx context.Context, call *CallInfo, fallback FallbackInfo)
	// Chunk is called for each chunk a stream delivers, before Next
	// returns it.
	Chunk func(ctx context.Context, call *CallInfo, chunk *ChatChunk)
	// End is called once when the call is over, with the answer (for a
	// stream, the merged [Stream.Response]: whatever arrived, also when
	// err is not nil) and the error that ended it, nil on success.
	End func(ctx context.Context, call *CallInfo, resp *ChatResponse, err error)
	// ToolStart is called before a tool of a tool run executes. The
	// context it returns is given to the tool and to ToolEnd.
	ToolStart func(ctx context.Context, call ToolCall) context.Context
	// ToolEnd is called when a tool has executed, with its result.
	ToolEnd func(ctx context.Context, event ToolEvent)
}

// CallInfo describes a call to its [Hooks]. One CallInfo lives as long as
// its call, and every hook of the call gets the same pointer; hooks must
// not change it.
type CallInfo struct {
	// Operation is the kind of call: "chat".
	Operation string
	// Request is the request as first sent, with the model asked for.
	// It is the SDK's: read it, never change it.
	Request *ChatRequest
	// Model is the model being asked: Request.Model, or the fallback
	// model the call moved to.
	Model string
	// Stream reports whether the answer is streamed.
	Stream bool
	// ServerAddress and ServerPort are the host and port of the base URL.
	ServerAddress string
	ServerPort    int
	// Start is when the call began.
	Start time.Time
}

// FallbackInfo describes a move to a fallback model; see
// [WithFallbackModels].
type FallbackInfo struct {
	// From is the model that was unavailable, To the one tried next.
	From, To string
	// Err is why From was given up: its last error.
	Err error
}

// WithHooks adds hooks that observe every call; see [Hooks]. Repeated
// WithHooks options add up, and hooks run in the order given, the
// client's before the call's. There are none by default.
func WithHooks(h Hooks) Option {
	return optionFunc(func(s *settings) {
		s.hooks = append(slices.Clip(s.hooks), &h)
	})
}

// observer runs the hooks of one call. A call without hooks has a nil
// observer, whose methods do nothing.
type observer struct {
	hooks []*Hooks
	info  CallInfo
	ended bool // End was called; guarded by the Stream's mu for streams
}

// observe gives a call sending r its observer when it has hooks.
func (c *call) observe(r *ChatRequest) {
	if len(c.hooks) == 0 {
		return
	}
	info := CallInfo{Operation: "chat", Request: r, Model: r.Model, Stream: r.Stream}
	if u, err := url.Parse(c.baseURL); err == nil {
		info.ServerAddress = u.Hostname()
		info.ServerPort, _ = strconv.Atoi(u.Port())
		if info.ServerPort == 0 && u.Scheme == "https" {
			info.ServerPort = 443
		} else if info.ServerPort == 0 {
			info.ServerPort = 80
		}
	}
	c.obs = &observer{hooks: c.hooks, info: info}
}

func (o *observer) start(ctx context.Context) context.Context {
	if o == nil {
		return ctx
	}
	o.info.Start = time.Now()
	for _, h := range o.hooks {
		if h.Start != nil {
			if next := h.Start(ctx, &o.info); next != nil {
				ctx = next
			}
		}
	}
	return ctx
}

func (o *observer) retry(ctx context.Context, r RetryInfo) {
	if o == nil {
		return
	}
	for _, h := range o.hooks {
		if h.Retry != nil {
			h.Retry(ctx, &o.info, r)
		}
	}
}

func (o *observer) fallback(ctx context.Context, f FallbackInfo) {
	if o == nil {
		return
	}
	o.info.Model = f.To
	for _, h := range o.hooks {
		if h.Fallback != nil {
			h.Fallback(ctx, &o.info, f)
		}
	}
}

func (o *observer) chunk(ctx context.Context, c *ChatChunk) {
	for _, h := range o.hooks {
		if h.Chunk != nil {
			h.Chunk(ctx, &o.info, c)
		}
	}
}

// end calls the End hooks, once.
func (o *observer) end(ctx context.Context, resp *ChatResponse, err error) {
	if o == nil || o.ended {
		return
	}
	o.ended = true
	for _, h := range o.hooks {
		if h.End != nil {
			h.End(ctx, &o.info, resp, err)
		}
	}
}

// logFallback logs a move to a fallback model at warn level.
func (c *call) logFallback(ctx context.Context, f FallbackInfo) {
	if c.logger == nil || !c.logger.Enabled(ctx, slog.LevelWarn) {
		return
	}
	attrs := []slog.Attr{slog.String("from", f.From), slog.String("to", f.To)}
	if apiErr, ok := f.Err.(*APIError); ok {
		attrs = append(attrs, slog.Int("status", apiErr.StatusCode), slog.Int("attempts", apiErr.Attempts),
			slog.String("request_id", apiErr.RequestID))
	}
	attrs = append(attrs, slog.String("error", f.Err.Error()))
	c.logger.LogAttrs(ctx, slog.LevelWarn, "aione: model unavailable, falling back", attrs...)
}

// startTool calls the ToolStart hooks of a tool run.
func startTool(ctx context.Context, hooks []*Hooks, c ToolCall) context.Context {
	for _, h := range hooks {
		if h.ToolStart != nil {
			if next := h.ToolStart(ctx, c); next != nil {
				ctx = next
			}
		}
	}
	return ctx
}

// endTool calls the ToolEnd hooks of a tool run.
func endTool(ctx context.Context, hooks []*Hooks, e ToolEvent) {
	for _, h := range hooks {
		if h.ToolEnd != nil {
			h.ToolEnd(ctx, e)
		}
	}
}

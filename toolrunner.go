package aione

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults of a [ToolRunner].
const (
	// DefaultMaxToolSteps is how many model turns a tool run makes at most
	// when ToolRunner.MaxSteps is zero.
	DefaultMaxToolSteps = 10
	// DefaultToolConcurrency is how many tools of one turn run at once at
	// most when ToolRunner.MaxConcurrency is zero.
	DefaultToolConcurrency = 8
)

// ErrToolStepLimit reports that a tool run made its last allowed model turn
// and the model still asked for tools. The run's transcript then ends with
// the results of those tools, so it can be continued with more steps.
var ErrToolStepLimit = errors.New("aione: tool step limit reached: the model still asks for tools")

// ToolRunner runs a conversation with tools: it sends the messages with the
// tools' definitions, runs the tools the model asks for, sends their
// results back, and repeats until the model answers without asking for
// tools. The zero values of its optional fields select documented
// defaults; [Client.RunTools] is a shorthand for a runner with defaults.
//
// Tool failures never end a run: a tool that returns an error or panics,
// arguments that are not valid JSON or do not fit the tool's schema, and a
// call to an unknown tool are sent back to the model as that call's result,
// {"error":"..."}, so that it can correct itself.
//
// A ToolRunner is safe for concurrent use by several runs as long as its
// fields are not changed while they run.
type ToolRunner struct {
	// Client sends the requests. It is required.
	Client *Client
	// Model is the model to call. It is required.
	Model string
	// Tools are the tools offered to the model and run at its request.
	// Their definitions are sent with WithTools after Options, replacing
	// any tools the options set.
	Tools []RunnableTool
	// Options apply to every request of the run, on top of the client's.
	// A tool choice among them also applies to every turn: with
	// ToolChoiceRequired or a named function the model can never answer
	// without tools, and the run ends at the step limit.
	Options []Option
	// MaxSteps bounds the number of model turns. When the last allowed
	// turn still asks for tools, those tools run, their results are added
	// to the transcript and the run ends with [ErrToolStepLimit]. Zero
	// means [DefaultMaxToolSteps].
	MaxSteps int
	// MaxConcurrency bounds how many of a turn's tool calls run at once;
	// 1 runs them one after another. Zero means [DefaultToolConcurrency].
	// Results are added to the transcript in the order of the calls,
	// whatever order they finish in.
	MaxConcurrency int
	// OnEvent, when not nil, is called after each model turn and after
	// each tool result, on the goroutine that called Run (or Next, for a
	// stream), never concurrently. Tool results are reported in the order
	// the tools finish. It must not block for long.
	OnEvent func(ToolEvent)
}

// ToolEvent is one step of a tool run, given to ToolRunner.OnEvent. For a
// model turn, Response is set; for a tool result it is nil and Call, Index,
// Result, Err and Duration are set.
type ToolEvent struct {
	// Step is the model turn, counted from 1.
	Step int
	// Response is the model's answer of this turn, or nil for a tool
	// result.
	Response *ChatResponse
	// Call is the tool call this result answers.
	Call ToolCall
	// Index is the position of Call among the turn's tool calls.
	Index int
	// Result is the text sent back to the model: the tool's result, or
	// {"error":"..."} when the tool failed.
	Result string
	// Err is why the tool failed, or nil. A panic is a *[ToolPanicError].
	Err error
	// Duration is how long the tool ran.
	Duration time.Duration
}

// ToolPanicError reports a tool that panicked. The run recovers the panic
// and sends the model an error result; the hook sees this error with the
// stack of the panic.
type ToolPanicError struct {
	// Tool is the name of the tool.
	Tool string
	// Value is the value passed to panic.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack []byte
}

// Error returns a message without the stack.
func (e *ToolPanicError) Error() string {
	return fmt.Sprintf("aione: tool %q panicked: %v", e.Tool, e.Value)
}

// ToolRun is the outcome of a tool run.
type ToolRun struct {
	// Messages is the whole transcript: the messages the run started
	// with, then each assistant message exactly as the model sent it and
	// the tool results that answer it, ending with the final answer. It
	// can be sent again, with a new user message, to go on.
	Messages []Message
	// Response is the model's last answer, or nil if none came.
	Response *ChatResponse
	// Steps is the number of model turns made.
	Steps int
	// Usage adds up the token usage of every turn that reported it.
	Usage Usage
}

// Text returns the text of the last answer, or "".
func (r *ToolRun) Text() string {
	if r == nil {
		return ""
	}
	return r.Response.Text()
}

// RunTools runs a conversation with tools using a [ToolRunner] with default
// settings; see [ToolRunner.Run]. opts apply to every request of the run.
func (c *Client) RunTools(ctx context.Context, model string, messages []Message, tools []RunnableTool, opts ...Option) (*ToolRun, error) {
	r := &ToolRunner{Client: c, Model: model, Tools: tools, Options: opts}
	return r.Run(ctx, messages)
}

// RunToolsStream is the streaming form of [Client.RunTools]; see
// [ToolRunner.RunStream].
func (c *Client) RunToolsStream(ctx context.Context, model string, messages []Message, tools []RunnableTool, opts ...Option) (*ToolStream, error) {
	r := &ToolRunner{Client: c, Model: model, Tools: tools, Options: opts}
	return r.RunStream(ctx, messages)
}

// Run sends messages and runs tools until the model answers without asking
// for tools, the step limit is reached ([ErrToolStepLimit]), a request
// fails, or ctx is done. It never changes messages.
//
// Run always returns a non-nil ToolRun holding the transcript so far, even
// with an error. The transcript never ends with unanswered tool calls: when
// ctx is done while tools run, Run waits for them (they get ctx and should
// return promptly), gives the calls that did not start an error result, and
// returns an error wrapping ctx's error.
func (r *ToolRunner) Run(ctx context.Context, messages []Message) (*ToolRun, error) {
	lp, err := r.newLoop(messages)
	if err != nil {
		return lp.run, err
	}
	for {
		resp, err := r.Client.Chat(ctx, r.Model, lp.run.Messages, lp.opts...)
		if err != nil {
			return lp.run, err
		}
		more, err := lp.turn(ctx, resp)
		if err != nil || !more {
			return lp.run, err
		}
	}
}

// toolLoop is the state of one run.
type toolLoop struct {
	r     *ToolRunner
	run   *ToolRun
	opts  []Option
	tools map[string]RunnableTool
	names []string
	max   int
	conc  int
	hooks []*Hooks // the ToolStart and ToolEnd hooks among them
}

func (r *ToolRunner) newLoop(messages []Message) (*toolLoop, error) {
	lp := &toolLoop{
		r:     r,
		run:   &ToolRun{Messages: slices.Clone(messages)},
		tools: make(map[string]RunnableTool, len(r.Tools)),
		max:   r.MaxSteps,
		conc:  r.MaxConcurrency,
	}
	if r.Client == nil {
		return lp, errors.New("aione: tool runner: nil client")
	}
	if lp.max < 0 || lp.conc < 0 {
		return lp, fmt.Errorf("aione: tool runner: negative MaxSteps (%d) or MaxConcurrency (%d)", lp.max, lp.conc)
	}
	if lp.max == 0 {
		lp.max = DefaultMaxToolSteps
	}
	if lp.conc == 0 {
		lp.conc = DefaultToolConcurrency
	}
	defs := make([]Tool, 0, len(r.Tools))
	for i, t := range r.Tools {
		if t == nil {
			return lp, fmt.Errorf("aione: tool runner: tool %d is nil", i)
		}
		d := t.Definition()
		defs = append(defs, d)
		lp.tools[d.Function.Name] = t
		lp.names = append(lp.names, d.Function.Name)
	}
	if err := validateTools(defs, nil); err != nil {
		return lp, err
	}
	// Each turn's whole answer is needed, whatever WithoutAccumulation said.
	lp.opts = append(slices.Clone(r.Options), withAccumulation)
	if cl, err := r.Client.newCall(lp.opts); err == nil {
		lp.hooks = cl.hooks // a bad option is reported by the first turn
	}
	if len(defs) > 0 {
		lp.opts = append(lp.opts, WithTools(defs...))
	}
	return lp, nil
}

func (lp *toolLoop) emit(e ToolEvent) {
	if lp.r.OnEvent != nil {
		lp.r.OnEvent(e)
	}
}

// turn records the model's answer and runs the tools it asks for. It
// reports whether another model turn should follow.
func (lp *toolLoop) turn(ctx context.Context, resp *ChatResponse) (bool, error) {
	run := lp.run
	run.Steps++
	run.Response = resp
	if u := resp.Usage; u != nil {
		run.Usage.PromptTokens += u.PromptTokens
		run.Usage.CompletionTokens += u.CompletionTokens
		run.Usage.TotalTokens += u.TotalTokens
	}
	if len(resp.Choices) == 0 {
		return false, errors.New("aione: tool run: the answer has no choices")
	}
	msg := resp.Choices[0].Message
	if msg.Role == "" {
		msg.Role = RoleAssistant
	}
	run.Messages = append(run.Messages, msg)
	lp.emit(ToolEvent{Step: run.Steps, Response: resp})
	if len(msg.ToolCalls) == 0 {
		return false, nil
	}
	for _, res := range lp.runTools(ctx, msg.ToolCalls) {
		run.Messages = append(run.Messages, ToolMessage(res.id, res.text))
	}
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("aione: tool run stopped at step %d: %w", run.Steps, err)
	}
	if run.Steps >= lp.max {
		return false, fmt.Errorf("%w (%d steps)", ErrToolStepLimit, run.Steps)
	}
	return true, nil
}

type toolResult struct {
	id   string
	text string
	err  error
	dur  time.Duration
}

// runTools runs the calls, at most lp.conc at once, and returns their
// results in call order. It returns once every tool has returned.
func (lp *toolLoop) runTools(ctx context.Context, calls []ToolCall) []toolResult {
	results := make([]toolResult, len(calls))
	finished := make(chan int, len(calls))
	sem := make(chan struct{}, lp.conc)
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Go(func() {
			defer func() { finished <- i }()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
			}
			if err := ctx.Err(); err != nil {
				results[i] = toolResult{err: fmt.Errorf("aione: tool %q not run: %w", c.Function.Name, err)}
			} else {
				tctx := startTool(ctx, lp.hooks, c)
				results[i] = lp.call(tctx, c)
				defer func() { endTool(tctx, lp.hooks, lp.event(calls, i, results[i])) }()
			}
			results[i].id = c.ID
			results[i].text = resultText(results[i])
		})
	}
	for range calls {
		i := <-finished
		res := results[i]
		lp.emit(lp.event(calls, i, res))
	}
	wg.Wait()
	return results
}

// event is the ToolEvent of the i-th call's result.
func (lp *toolLoop) event(calls []ToolCall, i int, res toolResult) ToolEvent {
	return ToolEvent{Step: lp.run.Steps, Call: calls[i], Index: i, Result: res.text, Err: res.err, Duration: res.dur}
}

// call runs one tool call, turning a panic into an error.
func (lp *toolLoop) call(ctx context.Context, c ToolCall) (res toolResult) {
	name := c.Function.Name
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			res = toolResult{err: &ToolPanicError{Tool: name, Value: p, Stack: debug.Stack()}}
		}
		res.dur = time.Since(start)
	}()
	t, ok := lp.tools[name]
	if !ok {
		return toolResult{err: fmt.Errorf("aione: unknown tool %q; the tools are: %s", name, strings.Join(lp.names, ", "))}
	}
	text, err := t.Call(ctx, c.Function.Arguments)
	return toolResult{text: text, err: err}
}

// resultText is what the model gets back for a call: the result, or
// {"error":"..."}.
func resultText(r toolResult) string {
	if r.err == nil {
		return r.text
	}
	b, err := json.Marshal(map[string]string{"error": r.err.Error()})
	if err != nil {
		return `{"error":"the tool failed"}`
	}
	return string(b)
}

// ToolStream is a tool run whose model turns are streamed: iterate it like
// a [Stream] to get the chunks of every turn as they arrive, the final
// answer's text included. Between turns, Next runs the tools the model
// asked for (calling ToolRunner.OnEvent as for Run) before it returns the
// first chunk of the next turn.
//
//	for s.Next() {
//		for _, ch := range s.Current().Choices {
//			fmt.Print(ch.Delta.Content)
//		}
//	}
//	if err := s.Err(); err != nil { ... }
//	run := s.Run()
//
// A ToolStream is not safe for concurrent use, except Close, which may be
// called from another goroutine to stop the run. A stream that is dropped
// before its end holds a connection until its context is done: close it.
type ToolStream struct {
	lp     *toolLoop
	ctx    context.Context
	cancel context.CancelCauseFunc
	stream *Stream
	cur    ChatChunk
	err    error
	done   bool
}

// RunStream starts a tool run like [ToolRunner.Run], streaming each model
// turn with [Client.ChatStream]. Errors before the first turn's stream
// opens are returned here; later ones end the stream and are reported by
// [ToolStream.Err]. The tool calls of each turn are taken from the
// stream's assembled [Stream.Response].
func (r *ToolRunner) RunStream(ctx context.Context, messages []Message) (*ToolStream, error) {
	lp, err := r.newLoop(messages)
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancelCause(ctx)
	st, err := r.Client.ChatStream(sctx, r.Model, lp.run.Messages, lp.opts...)
	if err != nil {
		cancel(nil)
		return nil, err
	}
	return &ToolStream{lp: lp, ctx: sctx, cancel: cancel, stream: st}, nil
}

// Next advances to the next chunk of the run, running tools and starting
// the next model turn as needed. It returns false when the run is over or
// failed; [ToolStream.Err] then tells which.
func (s *ToolStream) Next() bool {
	for !s.done {
		if s.stream.Next() {
			s.cur = s.stream.Current()
			return true
		}
		if err := s.stream.Err(); err != nil {
			s.finish(err)
			return false
		}
		more, err := s.lp.turn(s.ctx, s.stream.Response())
		if err != nil || !more {
			s.finish(err)
			return false
		}
		lp := s.lp
		st, err := lp.r.Client.ChatStream(s.ctx, lp.r.Model, lp.run.Messages, lp.opts...)
		if err != nil {
			s.finish(err)
			return false
		}
		s.stream = st
	}
	return false
}

func (s *ToolStream) finish(err error) {
	s.done = true
	s.err = err
	s.cur = ChatChunk{}
	_ = s.stream.Close()
	s.cancel(context.Canceled)
}

// Current returns the chunk read by the last call to Next. As with
// [Stream.Current], its slices may be reused by the next call to Next.
func (s *ToolStream) Current() ChatChunk { return s.cur }

// Step returns the model turn the current chunk belongs to, counted from
// 1; once the run is over, the number of turns made.
func (s *ToolStream) Step() int {
	if s.done {
		return s.lp.run.Steps
	}
	return s.lp.run.Steps + 1
}

// Err returns the error that ended the run, or nil if it ended with an
// answer or has not ended. It wraps [ErrToolStepLimit] at the step limit
// and the context's error when the context is done.
func (s *ToolStream) Err() error { return s.err }

// Run returns the run so far: the transcript, the last complete answer and
// the usage. After Next returns false it is the whole run. The ToolRun is
// the stream's own and changes as the stream goes on.
func (s *ToolStream) Run() *ToolRun { return s.lp.run }

// Close stops the run and releases its connection; tools still running
// see their context cancelled, and a Next that follows returns false. It is
// idempotent and keeps the error Err reports once the run is over.
func (s *ToolStream) Close() error {
	s.cancel(ErrClosed)
	return nil
}

// All returns an iterator over the remaining chunks, for range-over-func.
// It yields each chunk with a nil error, then, if the run failed, one last
// zero chunk with the error. It closes the stream when the loop ends,
// however it ends. It can be used once.
func (s *ToolStream) All() iter.Seq2[ChatChunk, error] { return chunks(s) }

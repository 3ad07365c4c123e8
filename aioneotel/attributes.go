package aioneotel

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/aione/aione-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// requestAttributes are the span attributes a request sets.
func requestAttributes(call *aione.CallInfo) []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		keyOperation.String(call.Operation),
		keyRequestModel.String(call.Model),
		attribute.Bool("gen_ai.request.stream", call.Stream),
	}
	if call.ServerAddress != "" {
		attrs = append(attrs, keyServerAddress.String(call.ServerAddress), keyServerPort.Int(call.ServerPort))
	}
	r := call.Request
	if r == nil {
		return attrs
	}
	float := func(key string, v *float64) {
		if v != nil {
			attrs = append(attrs, attribute.Float64(key, *v))
		}
	}
	float("gen_ai.request.temperature", r.Temperature)
	float("gen_ai.request.top_p", r.TopP)
	float("gen_ai.request.frequency_penalty", r.FrequencyPenalty)
	float("gen_ai.request.presence_penalty", r.PresencePenalty)
	if r.TopK != nil {
		attrs = append(attrs, attribute.Float64("gen_ai.request.top_k", float64(*r.TopK)))
	}
	switch {
	case r.MaxCompletionTokens != nil:
		attrs = append(attrs, attribute.Int("gen_ai.request.max_tokens", *r.MaxCompletionTokens))
	case r.MaxTokens != nil:
		attrs = append(attrs, attribute.Int("gen_ai.request.max_tokens", *r.MaxTokens))
	}
	if len(r.Stop) > 0 {
		attrs = append(attrs, attribute.StringSlice("gen_ai.request.stop_sequences", r.Stop))
	}
	if r.Seed != nil {
		attrs = append(attrs, attribute.Int64("gen_ai.request.seed", *r.Seed))
	}
	if r.N != nil && *r.N != 1 {
		attrs = append(attrs, attribute.Int("gen_ai.request.choice.count", *r.N))
	}
	if f := r.ResponseFormat; f != nil {
		switch f.Type {
		case "json_object", "json_schema":
			attrs = append(attrs, attribute.String("gen_ai.output.type", "json"))
		case "text":
			attrs = append(attrs, attribute.String("gen_ai.output.type", "text"))
		}
	}
	return attrs
}

// responseAttributes are the span attributes an answer sets.
func responseAttributes(resp *aione.ChatResponse) []attribute.KeyValue {
	var attrs []attribute.KeyValue
	if resp.ID != "" {
		attrs = append(attrs, attribute.String("gen_ai.response.id", resp.ID))
	}
	if resp.Model != "" {
		attrs = append(attrs, keyResponseModel.String(resp.Model))
	}
	if len(resp.Choices) > 0 {
		reasons := make([]string, len(resp.Choices))
		for i, c := range resp.Choices {
			reasons[i] = c.FinishReason
		}
		attrs = append(attrs, attribute.StringSlice("gen_ai.response.finish_reasons", reasons))
	}
	if u := resp.Usage; u != nil {
		attrs = append(attrs,
			attribute.Int("gen_ai.usage.input_tokens", u.PromptTokens),
			attribute.Int("gen_ai.usage.output_tokens", u.CompletionTokens))
		if d := u.PromptTokensDetails; d != nil && d.CachedTokens > 0 {
			attrs = append(attrs, attribute.Int("gen_ai.usage.cache_read.input_tokens", d.CachedTokens))
		}
		if d := u.CompletionTokensDetails; d != nil && d.ReasoningTokens > 0 {
			attrs = append(attrs, attribute.Int("gen_ai.usage.reasoning.output_tokens", d.ReasoningTokens))
		}
	}
	return attrs
}

// part is one part of a message in the conventions' JSON shape.
type part struct {
	Type      string          `json:"type"`
	Content   string          `json:"content,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Arguments json.RawMessage `json:"arguments,omitempty"`
	Result    string          `json:"result,omitempty"`
}

// message is a message in the conventions' JSON shape.
type message struct {
	Role         string `json:"role"`
	Parts        []part `json:"parts"`
	FinishReason string `json:"finish_reason,omitempty"`
}

// parts converts a message's content and tool calls.
func parts(m aione.Message) []part {
	var ps []part
	if m.Role == aione.RoleTool {
		return []part{{Type: "tool_call_response", ID: m.ToolCallID, Result: m.Content.Text()}}
	}
	if m.Content.IsParts() {
		for _, p := range m.Content.Parts() {
			if p.Type == "text" {
				ps = append(ps, part{Type: "text", Content: p.Text})
			} else {
				ps = append(ps, part{Type: p.Type})
			}
		}
	} else if t := m.Content.Text(); t != "" {
		ps = append(ps, part{Type: "text", Content: t})
	}
	for _, c := range m.ToolCalls {
		args := json.RawMessage(c.Function.Arguments)
		if !json.Valid(args) {
			args, _ = json.Marshal(c.Function.Arguments)
		}
		ps = append(ps, part{Type: "tool_call", ID: c.ID, Name: c.Function.Name, Arguments: args})
	}
	if ps == nil {
		ps = []part{}
	}
	return ps
}

// inputContent records the system instructions and the other messages of
// a request.
func inputContent(r *aione.ChatRequest) []attribute.KeyValue {
	if r == nil {
		return nil
	}
	var system []part
	input := []message{}
	for _, m := range r.Messages {
		if m.Role == aione.RoleSystem || m.Role == aione.RoleDeveloper {
			system = append(system, parts(m)...)
			continue
		}
		input = append(input, message{Role: m.Role, Parts: parts(m)})
	}
	attrs := []attribute.KeyValue{jsonAttribute("gen_ai.input.messages", input)}
	if len(system) > 0 {
		attrs = append(attrs, jsonAttribute("gen_ai.system_instructions", system))
	}
	return attrs
}

// outputContent records the choices of an answer.
func outputContent(resp *aione.ChatResponse) []attribute.KeyValue {
	out := make([]message, 0, len(resp.Choices))
	for _, c := range resp.Choices {
		role := c.Message.Role
		if role == "" {
			role = aione.RoleAssistant
		}
		out = append(out, message{Role: role, Parts: parts(c.Message), FinishReason: c.FinishReason})
	}
	return []attribute.KeyValue{jsonAttribute("gen_ai.output.messages", out)}
}

func jsonAttribute(key string, v any) attribute.KeyValue {
	b, err := json.Marshal(v)
	if err != nil {
		return attribute.String(key, "")
	}
	return attribute.String(key, string(b))
}

// toolStart starts the span of a tool run.
func (r *recorder) toolStart(ctx context.Context, c aione.ToolCall) context.Context {
	attrs := []attribute.KeyValue{
		keyOperation.String("execute_tool"),
		attribute.String("gen_ai.tool.name", c.Function.Name),
		attribute.String("gen_ai.tool.type", "function"),
	}
	if c.ID != "" {
		attrs = append(attrs, attribute.String("gen_ai.tool.call.id", c.ID))
	}
	if r.cfg.content {
		attrs = append(attrs, attribute.String("gen_ai.tool.call.arguments", c.Function.Arguments))
	}
	ctx, _ = r.tracer.Start(ctx, "execute_tool "+c.Function.Name,
		trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
	return ctx
}

// toolEnd ends the span of a tool run.
func (r *recorder) toolEnd(ctx context.Context, e aione.ToolEvent) {
	span := trace.SpanFromContext(ctx)
	if r.cfg.content {
		span.SetAttributes(attribute.String("gen_ai.tool.call.result", e.Result))
	}
	if e.Err != nil {
		typ := "_OTHER"
		var panicErr *aione.ToolPanicError
		if errors.As(e.Err, &panicErr) {
			typ = "panic"
		}
		span.SetAttributes(keyErrorType.String(typ))
		span.SetStatus(codes.Error, e.Err.Error())
	}
	span.End()
}

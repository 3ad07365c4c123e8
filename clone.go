package aione

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
)

// Deep copies of requests and what they hold, so that a request handed out
// by NewChatRequest shares no memory with the client, the options or the
// caller's messages.

// clone returns a deep copy of r. The values of r.Extra, which are the
// caller's own values given to WithExtraField, are copied as they are.
func (r *ChatRequest) clone() *ChatRequest {
	c := *r
	c.Messages = cloneEach(r.Messages, Message.clone)
	c.Temperature = clonePtr(r.Temperature)
	c.TopP = clonePtr(r.TopP)
	c.TopK = clonePtr(r.TopK)
	c.MaxTokens = clonePtr(r.MaxTokens)
	c.MaxCompletionTokens = clonePtr(r.MaxCompletionTokens)
	c.Stop = slices.Clone(r.Stop)
	c.Seed = clonePtr(r.Seed)
	c.N = clonePtr(r.N)
	c.PresencePenalty = clonePtr(r.PresencePenalty)
	c.FrequencyPenalty = clonePtr(r.FrequencyPenalty)
	c.LogitBias = maps.Clone(r.LogitBias)
	c.Logprobs = clonePtr(r.Logprobs)
	c.TopLogprobs = clonePtr(r.TopLogprobs)
	c.Metadata = maps.Clone(r.Metadata)
	if f := r.ResponseFormat; f != nil {
		cf := *f
		if s := f.JSONSchema; s != nil {
			cs := *s
			cs.Schema = bytes.Clone(s.Schema)
			cs.Strict = clonePtr(s.Strict)
			cf.JSONSchema = &cs
		}
		c.ResponseFormat = &cf
	}
	c.Tools = cloneEach(r.Tools, func(t Tool) Tool {
		t.Function.Parameters = bytes.Clone(t.Function.Parameters)
		t.Function.Strict = clonePtr(t.Function.Strict)
		return t
	})
	c.ToolChoice = clonePtr(r.ToolChoice)
	c.ParallelToolCalls = clonePtr(r.ParallelToolCalls)
	c.StreamOptions = clonePtr(r.StreamOptions)
	c.Extra = maps.Clone(r.Extra)
	return &c
}

// clone returns a deep copy of m.
func (m Message) clone() Message {
	m.Content.parts = cloneEach(m.Content.parts, ContentPart.clone)
	m.ToolCalls = cloneEach(m.ToolCalls, func(t ToolCall) ToolCall {
		t.Extra = cloneExtra(t.Extra)
		return t
	})
	m.Images = cloneEach(m.Images, ContentPart.clone)
	m.Extra = cloneExtra(m.Extra)
	return m
}

// clone returns a deep copy of p.
func (p ContentPart) clone() ContentPart {
	p.ImageURL = clonePtr(p.ImageURL)
	p.InputAudio = clonePtr(p.InputAudio)
	p.File = clonePtr(p.File)
	p.Extra = cloneExtra(p.Extra)
	return p
}

// cloneExtra returns a deep copy of kept JSON members.
func cloneExtra(m map[string]json.RawMessage) map[string]json.RawMessage {
	if m == nil {
		return nil
	}
	c := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		c[k] = bytes.Clone(v)
	}
	return c
}

// cloneEach returns a copy of s with each element passed through f.
func cloneEach[T any](s []T, f func(T) T) []T {
	if s == nil {
		return nil
	}
	c := make([]T, len(s))
	for i, v := range s {
		c[i] = f(v)
	}
	return c
}

// clonePtr returns a pointer to a copy of *p, or nil.
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

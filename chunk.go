package aione

import "encoding/json"

// ChatChunk is one event of a streamed answer: a piece of each choice that
// changed. See [Stream.Current].
type ChatChunk struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"`
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	SystemFingerprint string        `json:"system_fingerprint,omitempty"`
	ServiceTier       string        `json:"service_tier,omitempty"`
	Choices           []ChunkChoice `json:"choices"`
	// Usage is set on the chunk that carries token usage, usually the last
	// one when [WithStreamUsage] asked for it.
	Usage *Usage `json:"usage,omitempty"`
}

// ChunkChoice is what one chunk adds to one choice.
type ChunkChoice struct {
	// Index is the choice this piece belongs to.
	Index int `json:"index"`
	// Delta is the new piece of the choice's message.
	Delta Delta `json:"delta"`
	// FinishReason is set on the choice's last chunk: "stop", "length",
	// "tool_calls", "content_filter".
	FinishReason string    `json:"finish_reason,omitempty"`
	Logprobs     *Logprobs `json:"logprobs,omitempty"`
}

// Delta is a piece of a message: text to append, and fragments of tool
// calls to merge.
type Delta struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content,omitempty"`
	Refusal string `json:"refusal,omitempty"`
	// ReasoningContent is reasoning text (reasoning_content or reasoning).
	ReasoningContent string          `json:"reasoning_content,omitempty"`
	ToolCalls        []ToolCallDelta `json:"tool_calls,omitempty"`
	// Images are images some gateways stream in an "images" array.
	Images []ContentPart `json:"images,omitempty"`
	// Extra holds the delta's members that the fields above do not name,
	// as raw JSON; accumulation keeps them on the message.
	Extra map[string]json.RawMessage `json:"-"`
}

// ToolCallDelta is a fragment of a tool call: the first fragment of a call
// usually carries its ID, type and function name, and the following ones
// pieces of its arguments to append.
type ToolCallDelta struct {
	// Index is the position of the call in the message's tool calls.
	Index    int          `json:"index"`
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type,omitempty"`
	Function FunctionCall `json:"function"`
	// Extra holds the fragment's members that the fields above do not
	// name, as raw JSON (Gemini 3's "extra_content"); accumulation keeps
	// them on the tool call.
	Extra map[string]json.RawMessage `json:"-"`
}

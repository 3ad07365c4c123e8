package localserver

import (
	"encoding/json"
	"maps"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// answer is the content of every choice of a response.
type answer struct {
	choices []answerChoice
	usage   Usage
}

type answerChoice struct {
	// content is the JSON content: a string, null, or an array of parts.
	content json.RawMessage
	// text is the content as text, for streaming; hasText says whether the
	// content is a string.
	text      string
	hasText   bool
	toolCalls []ToolCall
	finish    string
	// images are image URLs streamed after the text; chunks, when not
	// empty, are the pieces in which the text is streamed.
	images    []string
	chunks    []string
	reasoning string
}

func textChoice(text, finish string) answerChoice {
	b, _ := marshal(text)
	return answerChoice{content: b, text: text, hasText: true, finish: finish}
}

func wordCount(s string) int { return len(strings.Fields(s)) }

// buildAnswer computes the deterministic answer to p, or the Fault's
// Answer override.
func (x *exchange) buildAnswer(p *chatRequest) answer {
	var ans answer
	prompt := 0
	for _, m := range p.messages {
		prompt += wordCount(m.text)
	}
	switch {
	case x.fault != nil && x.fault.Answer != nil:
		ans = x.overrideAnswer(p, x.fault.Answer)
	case isImageModel(p.model):
		ans = imageAnswer(p)
	default:
		ans = x.generatedAnswer(p)
	}
	if x.fault != nil && x.fault.Answer != nil && x.fault.Answer.Usage != nil {
		ans.usage = *x.fault.Answer.Usage
		return ans
	}
	completion := 0
	for _, c := range ans.choices {
		completion += wordCount(c.text)
		for _, tc := range c.toolCalls {
			completion += 1 + wordCount(tc.Arguments)
		}
	}
	ans.usage = Usage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion}
	return ans
}

func (x *exchange) overrideAnswer(p *chatRequest, a *Answer) answer {
	var ans answer
	for range p.n {
		finish := a.FinishReason
		if finish == "" {
			finish = "stop"
			if len(a.ToolCalls) > 0 {
				finish = "tool_calls"
			}
		}
		text := a.Text
		if text == "" {
			text = strings.Join(a.Chunks, "")
		}
		c := textChoice(text, finish)
		switch {
		case len(a.Images) > 0:
			c = partsChoice(text, a.Images, finish)
		case text == "" && len(a.ToolCalls) > 0:
			c = answerChoice{content: json.RawMessage("null"), finish: finish}
		}
		c.chunks = a.Chunks
		c.reasoning = a.ReasoningContent
		for _, tc := range a.ToolCalls {
			if tc.ID == "" {
				tc.ID = x.s.nextToolCallID()
			}
			c.toolCalls = append(c.toolCalls, tc)
		}
		ans.choices = append(ans.choices, c)
	}
	return ans
}

// imageText is the text part of a Gemini image answer.
const imageText = "Here is your image."

func imageAnswer(p *chatRequest) answer {
	text := imageText
	var opts []string
	if p.aspectRatio != "" {
		opts = append(opts, "aspect_ratio "+p.aspectRatio)
	}
	if p.imageSize != "" {
		opts = append(opts, "image_size "+p.imageSize)
	}
	if len(opts) > 0 {
		text = "Here is your image (" + strings.Join(opts, ", ") + ")."
	}
	return answer{choices: []answerChoice{partsChoice(text, []string{ImageDataURL()}, "stop")}}
}

// partJSON is a content part of an answer.
type partJSON struct {
	Type     string        `json:"type"`
	Text     string        `json:"text,omitempty"`
	ImageURL *imageURLJSON `json:"image_url,omitempty"`
}

type imageURLJSON struct {
	URL string `json:"url"`
}

// imageParts returns an image_url part for each URL.
func imageParts(urls []string) []partJSON {
	parts := make([]partJSON, 0, len(urls))
	for _, u := range urls {
		parts = append(parts, partJSON{Type: "image_url", ImageURL: &imageURLJSON{URL: u}})
	}
	return parts
}

// partsChoice returns a choice whose content is an array of parts: a text
// part when text is not empty, then an image part for each URL.
func partsChoice(text string, urls []string, finish string) answerChoice {
	var parts []partJSON
	if text != "" {
		parts = append(parts, partJSON{Type: "text", Text: text})
	}
	b, _ := marshal(append(parts, imageParts(urls)...))
	return answerChoice{content: b, text: text, images: urls, finish: finish}
}

func (x *exchange) generatedAnswer(p *chatRequest) answer {
	last := p.messages[len(p.messages)-1]
	var ans answer

	if calls := pickTools(p, last); len(calls) > 0 {
		for range p.n {
			c := answerChoice{content: json.RawMessage("null"), finish: "tool_calls"}
			for _, t := range calls {
				c.toolCalls = append(c.toolCalls, ToolCall{
					ID:        x.s.nextToolCallID(),
					Name:      t.name,
					Arguments: toolArguments(t.parameters),
				})
			}
			ans.choices = append(ans.choices, c)
		}
		return ans
	}

	var base string
	if last.role == "tool" {
		var results []string
		for i := len(p.messages) - 1; i >= 0 && p.messages[i].role == "tool"; i-- {
			results = append([]string{p.messages[i].text}, results...)
		}
		base = "Tool results: " + strings.Join(results, "; ")
	} else {
		user := ""
		for i := len(p.messages) - 1; i >= 0; i-- {
			if p.messages[i].role == "user" {
				user = p.messages[i].text
				break
			}
		}
		base = AnswerPrefix + user
	}

	switch p.responseFormat {
	case "json_object":
		b, _ := marshal(map[string]string{"answer": base})
		for range p.n {
			ans.choices = append(ans.choices, textChoice(string(b), "stop"))
		}
		return ans
	case "json_schema":
		b, _ := marshal(Sample(p.jsonSchema))
		for range p.n {
			ans.choices = append(ans.choices, textChoice(string(b), "stop"))
		}
		return ans
	}

	for i := range p.n {
		text := base
		if p.n > 1 {
			text = "[" + strconv.Itoa(i) + "] " + text
		}
		finish := "stop"
		if words := strings.Fields(text); p.maxTokens > 0 && len(words) > p.maxTokens {
			text = strings.Join(words[:p.maxTokens], " ")
			finish = "length"
		}
		ans.choices = append(ans.choices, textChoice(text, finish))
	}
	return ans
}

// pickTools returns the tools to call, if any.
func pickTools(p *chatRequest, last chatMessage) []chatTool {
	if len(p.tools) == 0 || p.toolChoice == "none" || last.role != "user" {
		return nil
	}
	if p.toolChoice == "named" {
		for _, t := range p.tools {
			if t.name == p.toolChoiceName {
				return []chatTool{t}
			}
		}
	}
	if p.parallelCalls && strings.Contains(strings.ToLower(last.text), "parallel") {
		return p.tools
	}
	return p.tools[:1]
}

// toolArguments returns the JSON arguments of a call to a tool with the
// given parameters schema: a sample object.
func toolArguments(params any) string {
	v := Sample(params)
	if _, ok := v.(map[string]any); !ok {
		v = map[string]any{}
	}
	b, _ := marshal(v)
	return string(b)
}

// Wire types.

type completionJSON struct {
	ID                string           `json:"id"`
	Object            string           `json:"object"`
	Created           int64            `json:"created"`
	Model             string           `json:"model"`
	SystemFingerprint string           `json:"system_fingerprint"`
	Choices           []completionItem `json:"choices"`
	Usage             *Usage           `json:"usage,omitempty"`
}

type completionItem struct {
	Index        int             `json:"index"`
	Message      *messageJSON    `json:"message,omitempty"`
	Delta        *messageJSON    `json:"delta,omitempty"`
	Logprobs     json.RawMessage `json:"logprobs"`
	FinishReason *string         `json:"finish_reason"`
}

type messageJSON struct {
	Role             string          `json:"role,omitempty"`
	Content          json.RawMessage `json:"content,omitempty"`
	ReasoningContent string          `json:"reasoning_content,omitempty"`
	ToolCalls        []toolCallJSON  `json:"tool_calls,omitempty"`
	Images           []partJSON      `json:"images,omitempty"`
}

type toolCallJSON struct {
	Index    *int                       `json:"index,omitempty"`
	ID       string                     `json:"id,omitempty"`
	Type     string                     `json:"type,omitempty"`
	Function functionJSON               `json:"function"`
	Extra    map[string]json.RawMessage `json:"-"`
}

// MarshalJSON writes the call with its Extra members; a named member wins
// over an Extra one of the same name.
func (t toolCallJSON) MarshalJSON() ([]byte, error) {
	type plain toolCallJSON
	b, err := json.Marshal(plain(t))
	if err != nil || len(t.Extra) == 0 {
		return b, err
	}
	var named map[string]json.RawMessage
	if err := json.Unmarshal(b, &named); err != nil {
		return nil, err
	}
	all := maps.Clone(t.Extra)
	maps.Copy(all, named)
	return json.Marshal(all)
}

type functionJSON struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

var jsonNull = json.RawMessage("null")

func (x *exchange) completionID() string { return "chatcmpl-local-" + strconv.Itoa(x.n) }

// writeCompletion writes a non-streamed answer.
func (x *exchange) writeCompletion(p *chatRequest, ans answer) {
	out := completionJSON{
		ID:                x.completionID(),
		Object:            "chat.completion",
		Created:           Created,
		Model:             p.model,
		SystemFingerprint: SystemFingerprint,
		Usage:             &ans.usage,
	}
	for i, c := range ans.choices {
		msg := &messageJSON{Role: "assistant", Content: c.content, ReasoningContent: c.reasoning}
		for _, tc := range c.toolCalls {
			msg.ToolCalls = append(msg.ToolCalls, toolCallJSON{
				ID:       tc.ID,
				Type:     "function",
				Function: functionJSON{Name: tc.Name, Arguments: tc.Arguments},
				Extra:    tc.Extra,
			})
		}
		finish := c.finish
		out.Choices = append(out.Choices, completionItem{
			Index: i, Message: msg, Logprobs: jsonNull, FinishReason: &finish,
		})
	}
	b, err := marshal(out)
	if err != nil {
		x.writeError(&apiError{status: 500, message: err.Error(), typ: "server_error", code: "internal_error"})
		return
	}
	x.setHeaders("application/json")
	x.w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	x.w.WriteHeader(200)
	if x.fault != nil && x.fault.ResetAfterHeaders {
		x.reset(true)
		return
	}
	_, _ = x.w.Write(b)
}

// streamEvents returns the data events of a streamed answer, "[DONE]"
// included, each as a complete "data: ...\n\n" event.
func (x *exchange) streamEvents(p *chatRequest, ans answer) [][]byte {
	var events [][]byte
	add := func(c completionJSON) {
		c.ID, c.Object, c.Created, c.Model, c.SystemFingerprint =
			x.completionID(), "chat.completion.chunk", Created, p.model, SystemFingerprint
		b, _ := marshal(c)
		events = append(events, []byte("data: "+string(b)+"\n\n"))
	}
	one := func(i int, d *messageJSON, finish *string) {
		add(completionJSON{Choices: []completionItem{{Index: i, Delta: d, Logprobs: jsonNull, FinishReason: finish}}})
	}
	for i, c := range ans.choices {
		first := &messageJSON{Role: "assistant", Content: json.RawMessage(`""`)}
		if !c.hasText && len(c.images) == 0 {
			first.Content = jsonNull
		}
		one(i, first, nil)
		for _, piece := range splitWords(c.reasoning) {
			one(i, &messageJSON{ReasoningContent: piece}, nil)
		}
		pieces := c.chunks
		if len(pieces) == 0 && (c.hasText || len(c.images) > 0) {
			pieces = splitWords(c.text)
		}
		for _, piece := range pieces {
			b, _ := marshal(piece)
			one(i, &messageJSON{Content: b}, nil)
		}
		if len(c.images) > 0 {
			one(i, &messageJSON{Images: imageParts(c.images)}, nil)
		}
		for k, tc := range c.toolCalls {
			idx := k
			one(i, &messageJSON{ToolCalls: []toolCallJSON{{
				Index: &idx, ID: tc.ID, Type: "function",
				Function: functionJSON{Name: tc.Name}, Extra: tc.Extra,
			}}}, nil)
			for _, piece := range splitBytes(tc.Arguments, 8) {
				one(i, &messageJSON{ToolCalls: []toolCallJSON{{
					Index: &idx, Function: functionJSON{Arguments: piece},
				}}}, nil)
			}
		}
		finish := c.finish
		one(i, &messageJSON{}, &finish)
	}
	if p.includeUsage {
		u := ans.usage
		add(completionJSON{Choices: []completionItem{}, Usage: &u})
	}
	events = append(events, []byte("data: [DONE]\n\n"))
	return events
}

// writeStream writes a streamed answer as server-sent events.
func (x *exchange) writeStream(p *chatRequest, ans answer) {
	events := x.streamEvents(p, ans)
	if !x.startStream() {
		return
	}
	resetAt, stallAt, delay, trickle := 0, 0, x.s.cfg.chunkDelay, 0
	if f := x.fault; f != nil {
		resetAt, stallAt, trickle = f.ResetAfterEvents, f.StallAfterEvents, f.TrickleBytes
		if f.ChunkDelay > 0 {
			delay = f.ChunkDelay
		}
		if f.OmitDone {
			events = events[:len(events)-1]
		}
	}
	for i, ev := range events {
		if i > 0 && !x.wait(delay) {
			return
		}
		if resetAt > 0 && i == resetAt {
			x.reset(true)
			return
		}
		if stallAt > 0 && i == stallAt {
			x.stall()
			return
		}
		if !x.writeTrickle(ev, trickle, delay) {
			return
		}
	}
	switch {
	case resetAt >= len(events):
		x.reset(true)
	case stallAt >= len(events):
		x.stall()
	}
}

// writeTrickle writes ev whole when n is not positive, and otherwise in
// pieces of at most n bytes with delay between them. It reports false when
// the answer must stop.
func (x *exchange) writeTrickle(ev []byte, n int, delay time.Duration) bool {
	if n <= 0 {
		return x.writeEvent(ev)
	}
	for len(ev) > 0 {
		k := min(n, len(ev))
		if !x.writeEvent(ev[:k]) {
			return false
		}
		ev = ev[k:]
		if len(ev) > 0 && !x.wait(delay) {
			return false
		}
	}
	return true
}

// splitWords splits s into pieces of one word and the spaces after it, so
// that joining the pieces gives s back.
func splitWords(s string) []string {
	var out []string
	start := 0
	inSpace := false
	for i, r := range s {
		space := r == ' ' || r == '\t' || r == '\n' || r == '\r'
		if inSpace && !space {
			out = append(out, s[start:i])
			start = i
		}
		inSpace = space
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// splitBytes splits s into pieces of about n bytes, never inside a UTF-8
// sequence.
func splitBytes(s string, n int) []string {
	var out []string
	for len(s) > 0 {
		end := 0
		for end < len(s) && end < n {
			_, size := utf8.DecodeRuneInString(s[end:])
			end += size
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out
}

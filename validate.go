package aione

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// Checking a request before it is sent. Every value the API would refuse,
// by the ranges of the chat completions reference, is refused here with an
// error naming it, so that nothing the server cannot accept is sent (and
// paid for in a round trip, or worse, accepted by a lenient gateway).

// Bounds of the request fields, from the API reference.
const (
	maxN            = 128 // n
	maxTopLogprobs  = 20  // top_logprobs
	maxLogitBias    = 100 // each logit_bias value, either sign
	maxStop         = 4   // stop sequences
	maxMetadata     = 16  // metadata pairs
	maxMetadataKey  = 64  // characters of a metadata key
	maxMetadataText = 512 // characters of a metadata value
)

// knownRoles are the message roles the API accepts ("function" is the
// deprecated form of "tool").
var knownRoles = map[string]bool{
	RoleSystem: true, RoleDeveloper: true, RoleUser: true, RoleAssistant: true, RoleTool: true,
	"function": true,
}

// validate reports the mistakes that can be seen before sending.
func (r *ChatRequest) validate() error {
	if r.Model == "" {
		return errors.New("aione: empty model name")
	}
	if len(r.Messages) == 0 {
		return errors.New("aione: no messages")
	}
	for i, m := range r.Messages {
		switch {
		case m.Role == "":
			return fmt.Errorf("aione: message %d has no role", i)
		case !knownRoles[m.Role]:
			return fmt.Errorf("aione: message %d: unknown role %q", i, clip(m.Role, maxErrorField))
		case m.Role == RoleTool && m.ToolCallID == "":
			return fmt.Errorf("aione: message %d: a tool message needs a tool call ID", i)
		}
	}
	checkRange := func(name string, v *float64, lo, hi float64) error {
		if v != nil && (math.IsNaN(*v) || *v < lo || *v > hi) {
			return fmt.Errorf("aione: %s %v is outside %v to %v", name, *v, lo, hi)
		}
		return nil
	}
	checkInt := func(name string, v *int, lo, hi int) error {
		switch {
		case v == nil:
		case *v < lo && hi == math.MaxInt:
			return fmt.Errorf("aione: %s %d is less than %d", name, *v, lo)
		case *v < lo || *v > hi:
			return fmt.Errorf("aione: %s %d is outside %d to %d", name, *v, lo, hi)
		}
		return nil
	}
	for _, err := range []error{
		checkRange("temperature", r.Temperature, 0, 2),
		checkRange("top_p", r.TopP, 0, 1),
		checkRange("presence_penalty", r.PresencePenalty, -2, 2),
		checkRange("frequency_penalty", r.FrequencyPenalty, -2, 2),
		checkInt("n", r.N, 1, maxN),
		checkInt("max_tokens", r.MaxTokens, 1, math.MaxInt),
		checkInt("max_completion_tokens", r.MaxCompletionTokens, 1, math.MaxInt),
		checkInt("top_k", r.TopK, 0, math.MaxInt),
		checkInt("top_logprobs", r.TopLogprobs, 0, maxTopLogprobs),
		r.validateLists(),
	} {
		if err != nil {
			return err // the first: one line
		}
	}
	return validateTools(r.Tools, r.ToolChoice)
}

// validateLists checks logit_bias, stop and metadata.
func (r *ChatRequest) validateLists() error {
	for tok, bias := range r.LogitBias {
		if id, err := strconv.ParseUint(tok, 10, 63); err != nil || strconv.FormatUint(id, 10) != tok {
			return fmt.Errorf("aione: logit_bias key %q is not a token ID", clip(tok, maxErrorField))
		}
		if bias < -maxLogitBias || bias > maxLogitBias {
			return fmt.Errorf("aione: logit_bias %d for token %s is outside -%d to %d", bias, tok, maxLogitBias, maxLogitBias)
		}
	}
	if len(r.Stop) > maxStop {
		return fmt.Errorf("aione: %d stop sequences, at most %d are accepted", len(r.Stop), maxStop)
	}
	if len(r.Metadata) > maxMetadata {
		return fmt.Errorf("aione: %d metadata pairs, at most %d are accepted", len(r.Metadata), maxMetadata)
	}
	for k, v := range r.Metadata {
		if n := utf8.RuneCountInString(k); n > maxMetadataKey {
			return fmt.Errorf("aione: metadata key %q has %d characters, at most %d are accepted", clip(k, maxErrorField), n, maxMetadataKey)
		}
		if n := utf8.RuneCountInString(v); n > maxMetadataText {
			return fmt.Errorf("aione: metadata value of %q has %d characters, at most %d are accepted", k, n, maxMetadataText)
		}
	}
	return nil
}

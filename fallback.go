package aione

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
)

// WithFallbackModels sets models to try, in order, when the model of a call
// is unavailable: a 5xx or overload answer (429 that is not a spent quota,
// 529) that outlasted the retry budget, or a 404 saying the model does not
// exist or is not served (codes such as "model_not_found" and
// "model_not_available", and gateways' "no available channel"). Each model
// gets the whole retry budget. The caller's own errors (400, 401, 402, 403,
// a spent quota) never move to another model, nor do transport failures,
// which no other model would escape.
//
// A stream moves to another model only while it opens, before any chunk is
// delivered. The answer's Model says which model served (the server's
// name for it, or the fallback model asked for when the server names none); the
// Fallback hook (see [Hooks]) and the logger see each move. When every
// model is unavailable, the error names the models tried and wraps the
// last one's error. There are none by default.
func WithFallbackModels(models ...string) Option {
	models = slices.Clone(models)
	return optionFunc(func(s *settings) {
		for i, m := range models {
			if m == "" {
				s.invalid("WithFallbackModels: model %d is empty", i)
				return
			}
		}
		s.fallbacks = models
	})
}

// withFallbacks calls try with the call's body, and while its error says
// the model is unavailable, with the body for each fallback model in turn.
// It returns the last error, nil once a model served.
func (c *call) withFallbacks(ctx context.Context, body []byte, try func(body []byte) error) error {
	err := try(body)
	if err == nil || len(c.fallbacks) == 0 {
		return err
	}
	tried := []string{c.model}
	for _, next := range c.fallbacks {
		if err == nil || ctx.Err() != nil || !unavailable(err) {
			break
		}
		r := *c.req
		r.Model = next
		b, encErr := encodeBody(&r)
		if encErr != nil {
			return encErr
		}
		f := FallbackInfo{From: c.model, To: next, Err: err}
		c.model = next
		c.obs.fallback(ctx, f)
		c.logFallback(ctx, f)
		tried = append(tried, next)
		err = try(b)
	}
	if err != nil && len(tried) > 1 {
		return &fallbackError{models: tried, err: err}
	}
	return err
}

// unavailable reports whether err says the model, rather than the request
// or the caller, is the problem.
func unavailable(err error) bool {
	var e *APIError
	if !errors.As(err, &e) {
		return false
	}
	switch s := e.StatusCode; {
	case s == http.StatusTooManyRequests:
		return retryableStatus(e)
	case s == http.StatusNotFound:
		return modelMissing(e)
	case s == http.StatusNotImplemented:
		return modelMissing(e)
	case s >= 500 && s <= 599:
		return true
	}
	return false
}

// modelMissing reports whether an error says the model does not exist or
// is not served here.
func modelMissing(e *APIError) bool {
	code := strings.ToLower(e.Code + " " + e.Type)
	for _, c := range []string{"model_not_found", "model_not_available", "model_unavailable", "no_available_channel"} {
		if strings.Contains(code, c) {
			return true
		}
	}
	msg := strings.ToLower(e.Message)
	if strings.Contains(msg, "no available channel") || strings.Contains(msg, "无可用渠道") {
		return true
	}
	return strings.Contains(msg, "model") &&
		(strings.Contains(msg, "not found") || strings.Contains(msg, "does not exist") || strings.Contains(msg, "not available"))
}

// fallbackError is the error of a call whose every model was unavailable.
type fallbackError struct {
	models []string
	err    error
}

// Error names the models tried and the last one's error.
func (e *fallbackError) Error() string {
	return "aione: no model available (tried " + strings.Join(e.models, ", ") + "): " +
		strings.TrimPrefix(e.err.Error(), "aione: ")
}

// Unwrap returns the last model's error.
func (e *fallbackError) Unwrap() error { return e.err }

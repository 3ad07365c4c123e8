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
// A stream moves to another model only before any chunk is delivered: when
// it opens, or when the server's first event is an error saying the model
// is overloaded or failed (type "overloaded_error", "server_error",
// "api_error"). The answer's Model says which model served (the server's
// name for it, or the fallback model asked for when the server names none);
// the Fallback hook (see [Hooks]) and the logger see each move. When every
// model is unavailable, the error names the models tried and wraps the last
// one's error. There are none by default.
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

// withFallbacks calls try with body, and while its error says the model is
// unavailable, with the body for each remaining fallback model in turn. It
// returns the last error, nil once a model served.
func (c *call) withFallbacks(ctx context.Context, body []byte, try func(body []byte) error) error {
	err := try(body)
	for err != nil {
		next, ok, encErr := c.nextModel(ctx, err)
		if encErr != nil {
			return encErr
		}
		if !ok {
			break
		}
		err = try(next)
	}
	if err != nil && c.next > 0 {
		return &fallbackError{models: append([]string{c.req.Model}, c.fallbacks[:c.next]...), err: err}
	}
	return err
}

// nextModel moves the call on to its next fallback model after err, if err
// says the model is unavailable and a fallback is left, and returns the
// request body for it. The hooks and the logger see the move.
func (c *call) nextModel(ctx context.Context, err error) (body []byte, ok bool, encErr error) {
	if c.next >= len(c.fallbacks) || ctx.Err() != nil || !unavailable(err) {
		return nil, false, nil
	}
	to := c.fallbacks[c.next]
	c.next++
	r := *c.req
	r.Model = to
	if body, encErr = encodeBody(&r); encErr != nil {
		return nil, false, encErr
	}
	f := FallbackInfo{From: c.model, To: to, Err: err}
	c.model = to
	c.obs.fallback(ctx, f)
	c.logFallback(ctx, f)
	return body, true, nil
}

// unavailable reports whether err says the model, rather than the request
// or the caller, is the problem.
func unavailable(err error) bool {
	var e *APIError
	if !errors.As(err, &e) {
		return false
	}
	switch s := e.StatusCode; {
	case s == http.StatusOK:
		// An error event in a stream before any chunk: the model is
		// overloaded or failed, like the status codes below say.
		kind := strings.ToLower(e.Type + " " + e.Code)
		return strings.Contains(kind, "overloaded") || strings.Contains(kind, "server_error") ||
			strings.Contains(kind, "api_error") || modelMissing(e)
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

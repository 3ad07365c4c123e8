package aione

// The retry policy. Every call (Chat, and ChatStream until its first event)
// goes through call.retry, which sends attempts until one returns a 2xx
// response, a failure that is not worth retrying, or the budget is spent.
//
// Retried:
//   - HTTP 408, 409, 429 and every 5xx but 501;
//   - failures before any response: refused or reset connections, a
//     keep-alive connection the server closed, timeouts waiting for
//     headers.
//
// Not retried: every other status, a 429 whose code says the quota or the
// balance is spent, a done context, a host name that does not exist, a bad
// certificate, a request the transport refuses to send, a redirect loop. A server's x-should-retry
// header (true or false) overrides the status rules.
//
// Waits grow exponentially from the minimum backoff, doubling, with ±50%
// jitter, the interval capped at the maximum backoff; a fresh
// backoff.ExponentialBackOff per call. Retry-After (seconds or HTTP date) and
// retry-after-ms replace the computed wait. A wait longer than
// WithMaxRetryAfter allows (60 s by default), or longer than the context has
// left, is not slept through: the call fails at once with the last error,
// whose RetryAfter tells the caller what the server asked for. A context
// that ends during a wait ends the call at once.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// resume is where a retry loop starts. The zero value starts a call at
// attempt 1. A stream whose body broke before its first chunk resumes from
// that attempt: last is its number and failed why it failed, and the loop
// treats that failure as one of its own, classifying it, waiting and
// counting on from it.
type resume struct {
	last   int
	failed error
}

// RetryInfo describes a retry about to happen; see [WithRetryHook].
type RetryInfo struct {
	// Attempt is the number of the attempt that failed, from 1.
	Attempt int
	// Wait is how long the client waits before the next attempt.
	Wait time.Duration
	// Err is why the attempt failed: an *APIError or a transport error.
	Err error
}

const (
	// maxDrain bounds how much of a discarded body is read so that its
	// connection can be reused; a longer body closes the connection
	// instead.
	maxDrain = 256 << 10
	// drainTimeout bounds how long draining a discarded body may take.
	drainTimeout = time.Second
	// errorBodyTimeout bounds how long reading an error body may take, so
	// that a server that sends an error status and then nothing cannot
	// hold a call that has no deadline.
	errorBodyTimeout = 10 * time.Second
	// backoffMultiplier is the growth of the computed wait per retry.
	backoffMultiplier = 2
	// backoffJitter is the randomization factor of the computed wait:
	// each wait is drawn from [interval*(1-j), interval*(1+j)].
	backoffJitter = 0.5
)

// retry runs attempt until it returns a 2xx response, a failure that is not
// worth retrying, or the retry budget is spent. Attempts are numbered from 1,
// or go on from where from says. It also returns the number of the last
// attempt it made (from.last if it made none).
// It returns the 2xx response with its body open; every other body is read
// (boundedly) and closed here.
func (c *call) retry(ctx context.Context, from resume, attempt func(n int) (*http.Response, error)) (resp *http.Response, attempts int, err error) {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     c.minBackoff,
		RandomizationFactor: backoffJitter,
		Multiplier:          backoffMultiplier,
		MaxInterval:         c.maxBackoff,
		MaxElapsedTime:      0, // the retry count bounds the loop
		Stop:                backoff.Stop,
		Clock:               backoff.SystemClock,
	}
	b.Reset()
	attempts = from.last
	first := from.last + 1
	if from.failed != nil {
		first = from.last
	}
	// Draw the waits of the attempts made before, so that the schedule
	// depends only on the attempt number.
	for range first - 1 {
		b.NextBackOff()
	}
	for n := first; ; n++ {
		var resp *http.Response
		var err error
		if n == first && from.failed != nil {
			err = from.failed
		} else {
			resp, err = attempt(n)
			attempts = n
		}
		if err == nil && resp == nil {
			err = backoff.Permanent(errors.New("aione: HTTP client returned neither a response nor an error"))
		}
		if err == nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, n, nil
		}
		var (
			retryable bool
			wait      time.Duration
		)
		if err != nil {
			// Only a failed CheckRedirect returns both a response and an
			// error, and its body is already closed: a redirect policy
			// does not change by trying again.
			redirect := resp != nil
			if redirect && resp.Body != nil {
				_ = resp.Body.Close()
			}
			var perm *backoff.PermanentError
			if errors.As(err, &perm) {
				err = perm.Err
			} else {
				retryable = !redirect && retryableTransport(err)
			}
			err = &transportError{attempt: n, err: c.redactErr(err)}
			if ctx.Err() != nil {
				return nil, attempts, c.ctxError(ctx, err)
			}
		} else {
			apiErr := c.readAPIError(resp)
			apiErr.Attempts = n
			retryable = retryableStatus(apiErr)
			wait = apiErr.RetryAfter
			err = apiErr
		}
		if !retryable || n > c.maxRetries {
			return nil, attempts, err
		}
		// Draw the computed wait even when the server chose one, so that
		// the schedule depends only on the attempt number.
		computed := b.NextBackOff()
		if wait <= 0 {
			wait = computed
		} else if wait > max(c.maxRetryAfter, c.maxBackoff) {
			c.logRetry(ctx, "aione: not retrying: the server asks for a longer wait than WithMaxRetryAfter allows", n, wait, err)
			return nil, attempts, err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= wait {
			c.logRetry(ctx, "aione: not retrying: the wait would outlast the context's deadline", n, wait, err)
			return nil, attempts, err
		}
		info := RetryInfo{Attempt: n, Wait: wait, Err: err}
		if c.onRetry != nil {
			c.onRetry(info)
		}
		c.obs.retry(ctx, info)
		c.logRetry(ctx, "aione: retrying", n, wait, err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, attempts, c.ctxError(ctx, err)
		case <-t.C:
		}
	}
}

// logRetry logs, at info level, a retry about to happen or a retryable
// failure not retried because of the wait it asks for: the attempt, the
// wait, the request ID and the error.
func (c *call) logRetry(ctx context.Context, msg string, n int, wait time.Duration, err error) {
	if c.logger == nil || !c.logger.Enabled(ctx, slog.LevelInfo) {
		return
	}
	attrs := []slog.Attr{slog.Int("attempt", n), slog.Duration("wait", wait)}
	if apiErr, ok := err.(*APIError); ok {
		attrs = append(attrs, slog.Int("status", apiErr.StatusCode), slog.String("request_id", apiErr.RequestID))
	}
	attrs = append(attrs, slog.String("error", err.Error()))
	c.logger.LogAttrs(ctx, slog.LevelInfo, msg, attrs...)
}

// ctxError joins the context's error with the last attempt's error, so the
// caller sees both why the call stopped and what had gone wrong before, in
// one line. The context's cause comes first; when it is a custom cause, the
// plain context error is kept too, so errors.Is(err, context.Canceled)
// still holds; errors.As still finds the last *APIError.
func (c *call) ctxError(ctx context.Context, last error) error {
	cerr := ctx.Err()
	cause := context.Cause(ctx)
	switch {
	case cause == nil && cerr == nil:
		return last
	case cause == nil:
		return joinErrors("last error", cerr, last)
	case errors.Is(cause, context.Canceled), errors.Is(cause, context.DeadlineExceeded):
		return joinErrors("last error", cause, last)
	}
	return joinErrors("last error", cerr, cause, last)
}

// joinedError is several errors in one line of text; errors.Is and
// errors.As see each of them.
type joinedError struct {
	msg  string
	errs []error
}

// Error returns the one-line text.
func (e *joinedError) Error() string { return e.msg }

// Unwrap returns the joined errors.
func (e *joinedError) Unwrap() []error { return e.errs }

// joinErrors joins the non-nil errs in one line with a single "aione: "
// prefix: "aione: a: b (last: c)" when last names the final error, else
// "aione: a; b; c". It returns nil when every error is nil, and a single
// error as it is.
func joinErrors(last string, errs ...error) error {
	errs = slices.DeleteFunc(slices.Clone(errs), func(e error) bool { return e == nil })
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	text := func(e error) string {
		return strings.TrimPrefix(strings.ReplaceAll(e.Error(), "\n", "; "), "aione: ")
	}
	var b strings.Builder
	b.WriteString("aione: ")
	lead, tail := errs, []error(nil)
	sep := "; "
	if last != "" {
		lead, tail = errs[:len(errs)-1], errs[len(errs)-1:]
		sep = ": "
	}
	for i, e := range lead {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(text(e))
	}
	for _, e := range tail {
		b.WriteString(" (" + last + ": " + text(e) + ")")
	}
	return &joinedError{msg: b.String(), errs: errs}
}

// redactErr removes the API key from a transport error's text while keeping
// what it wraps reachable with errors.Is and errors.As.
func (c *call) redactErr(err error) error {
	msg := err.Error()
	if red := c.redact(msg); red != msg {
		return &redactedError{msg: red, err: err}
	}
	return err
}

// redactAPIError removes the API key from everything the server said, in
// case it echoed the key back.
func (c *call) redactAPIError(e *APIError) {
	if len(c.key.value()) < 4 {
		return
	}
	for _, s := range []*string{&e.Message, &e.Type, &e.Code, &e.Param, &e.RequestID} {
		*s = c.redact(*s)
	}
	e.Body = c.redactBytes(e.Body)
	// The header map belongs to the discarded response: edit it in place.
	for _, vs := range e.Header {
		for i, v := range vs {
			vs[i] = c.redact(v)
		}
	}
}

// redactedError is an error whose text had the API key removed.
type redactedError struct {
	msg string
	err error
}

// Error returns the error text.
func (e *redactedError) Error() string { return e.msg }

// Unwrap returns the error it wraps.
func (e *redactedError) Unwrap() error { return e.err }

// transportError is an attempt that got no HTTP response. Its text names
// the attempt; what it wraps stays reachable with errors.Is and errors.As.
type transportError struct {
	attempt int
	err     error
}

// Error returns the error text.
func (e *transportError) Error() string {
	return fmt.Sprintf("aione: attempt %d: %s", e.attempt, strings.TrimPrefix(e.err.Error(), "aione: "))
}

// Unwrap returns the error it wraps.
func (e *transportError) Unwrap() error { return e.err }

// readAPIError reads a bounded prefix of a failed response's body, in
// bounded time, closes the body, and returns the error it describes.
func (c *call) readAPIError(resp *http.Response) *APIError {
	var body []byte
	if resp.Body != nil {
		stop := closeAfter(resp.Body, errorBodyTimeout)
		body, _ = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		stop()
		drainAndClose(resp.Body)
	}
	return c.apiError(resp.StatusCode, resp.Header, body)
}

// drainAndClose reads what is left of a body, up to maxDrain and for at most
// drainTimeout, so that its connection can be reused, and closes it.
func drainAndClose(body io.ReadCloser) {
	stop := closeAfter(body, drainTimeout)
	_, _ = io.CopyN(io.Discard, body, maxDrain)
	stop()
	_ = body.Close()
}

// closeAfter closes body after d unless the returned stop is called first,
// to end a read from a server that went silent.
func closeAfter(body io.Closer, d time.Duration) (stop func()) {
	t := time.AfterFunc(d, func() { _ = body.Close() })
	return func() { t.Stop() }
}

// retryableStatus applies the status rules to an error response. The
// server's x-should-retry header, when present, overrides them.
func retryableStatus(e *APIError) bool {
	switch strings.ToLower(strings.TrimSpace(e.Header.Get("X-Should-Retry"))) {
	case "true":
		return true
	case "false":
		return false
	}
	switch e.StatusCode {
	case http.StatusRequestTimeout, http.StatusConflict:
		return true
	case http.StatusTooManyRequests:
		// A spent quota or balance does not come back by waiting.
		switch e.Code {
		case "insufficient_quota", "insufficient_user_quota", "billing_hard_limit_reached":
			return false
		}
		return e.Type != "insufficient_quota"
	case http.StatusNotImplemented:
		return false
	}
	return e.StatusCode >= 500 && e.StatusCode <= 599
}

// retryableTransport reports whether a failure to get any response is worth
// another attempt. Dropped, refused and reset connections and timeouts are;
// so is anything not known to be permanent. Bad certificates, a server that
// does not speak TLS, a cancelled request and requests the transport
// refuses to send are not.
func retryableTransport(err error) bool {
	var (
		unknownAuth x509.UnknownAuthorityError
		certInvalid x509.CertificateInvalidError
		hostname    x509.HostnameError
		roots       x509.SystemRootsError
		verify      *tls.CertificateVerificationError
		recordHdr   tls.RecordHeaderError
		alert       tls.AlertError
	)
	var dns *net.DNSError
	switch {
	case errors.Is(err, context.Canceled):
		return false
	case errors.As(err, &dns) && dns.IsNotFound:
		// No such host: a mistyped base URL does not heal by waiting.
		return false
	case errors.As(err, &unknownAuth), errors.As(err, &certInvalid), errors.As(err, &hostname),
		errors.As(err, &roots), errors.As(err, &verify), errors.As(err, &recordHdr), errors.As(err, &alert):
		return false
	}
	msg := err.Error()
	for _, s := range invalidRequestErrors {
		if strings.Contains(msg, s) {
			return false
		}
	}
	return true
}

// invalidRequestErrors are the texts of net/http's errors for a request it
// will not send however often it is tried. net/http exports no type for
// them.
var invalidRequestErrors = []string{
	"unsupported protocol scheme",
	"no Host in request URL",
	"nil Request.URL",
	"invalid header field",
	"invalid method",
	"server gave HTTP response to HTTPS client",
}

// maxRetryAfterSeconds is where Retry-After values stop being precise: a
// larger value is read as the longest duration.
const maxRetryAfterSeconds = 1e9

// retryAfter reads how long the server asked to wait: retry-after-ms, or
// Retry-After in seconds (fractions accepted) or as an HTTP date. It returns
// zero when there is no usable value (absent, malformed, negative, or a date
// in the past), and caps absurdly long values at the longest Duration, which
// the retry loop never sleeps through.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if ms, ok := parseDelay(h.Get("Retry-After-Ms")); ok && ms > 0 {
		return toDuration(ms, time.Millisecond)
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, ok := parseDelay(v); ok {
		return toDuration(secs, time.Second)
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// parseDelay parses a non-negative decimal number such as "2" or "0.5". It
// rejects signs, exponents, NaN and infinities, which no server means.
func parseDelay(v string) (float64, bool) {
	v = strings.TrimSpace(v)
	if v == "" || strings.Count(v, ".") > 1 || strings.Trim(v, "0123456789.") != "" || v == "." {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true
}

// toDuration converts v units to a Duration, saturating instead of
// overflowing.
func toDuration(v float64, unit time.Duration) time.Duration {
	if v*float64(unit) >= maxRetryAfterSeconds*float64(time.Second) {
		return math.MaxInt64
	}
	return time.Duration(v * float64(unit))
}

package aione

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRequestBodyReleased checks that an attempt's request no longer holds
// the body's bytes once its exchange returned: net/http keeps the request
// as long as a stream is open. Before that, the body and GetBody read the
// exact bytes; a retry sends them again from the call's own copy.
func TestRequestBodyReleased(t *testing.T) {
	t.Parallel()
	var reqs []*http.Request
	var bodies [][]byte
	doer := doerFunc(func(req *http.Request) (*http.Response, error) {
		b, err := io.ReadAll(req.Body)
		require.NoError(t, err)
		again, err := req.GetBody()
		require.NoError(t, err)
		b2, err := io.ReadAll(again)
		require.NoError(t, err)
		require.Equal(t, b, b2, "GetBody reads the same bytes")
		require.Equal(t, int64(len(b)), req.ContentLength)
		reqs, bodies = append(reqs, req), append(bodies, b)
		if len(reqs) == 1 {
			return &http.Response{StatusCode: 503, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(nil)), Request: req}, nil
		}
		return &http.Response{
			StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}},
			Body: io.NopCloser(bytes.NewReader([]byte(streamText("hi")))), Request: req,
		}, nil
	})
	c, err := NewClient(WithAPIKey("sk-nex-test"), WithHTTPClient(doer), WithBackoff(1, 1))
	require.NoError(t, err)
	s, err := c.ChatStream(t.Context(), "m", hello)
	require.NoError(t, err)
	defer func() { _ = s.Close() }()

	require.Len(t, reqs, 2)
	require.Equal(t, bodies[0], bodies[1], "the retry sends the same body")
	for i, req := range reqs {
		require.Nil(t, req.Body.(*sentBodyReader).body.b, "request %d still holds its bytes", i)
		n, err := req.Body.Read(make([]byte, 16))
		require.Zero(t, n, "request %d", i)
		require.ErrorIs(t, err, io.EOF, "request %d: a body read to its end stays at its end", i)
		again, err := req.GetBody()
		require.NoError(t, err)
		_, err = io.ReadAll(again)
		require.ErrorIs(t, err, errBodyReleased, "request %d", i)
	}
}

// TestSentBodyOutlivesExchange checks that a transport still writing the
// body when the exchange returns (a server that answered before reading
// the whole request) reads it to its end, and that the bytes go when it is
// done, or when it closes the body early.
func TestSentBodyOutlivesExchange(t *testing.T) {
	t.Parallel()
	for _, closeEarly := range []bool{false, true} {
		body := newSentBody([]byte("0123456789"))
		r := body.reader()
		head := make([]byte, 4)
		_, err := io.ReadFull(r, head)
		require.NoError(t, err)
		body.release() // the response came; the transport is still writing
		if closeEarly {
			require.NoError(t, r.Close())
			require.Nil(t, body.b, "closed early: the bytes go")
			_, err := r.Read(head)
			require.ErrorIs(t, err, errBodyReleased)
			continue
		}
		rest, err := io.ReadAll(r)
		require.NoError(t, err)
		require.Equal(t, "0123456789", string(head)+string(rest))
		require.Nil(t, body.b, "read to its end: the bytes go")
		_, err = io.ReadAll(body.reader())
		require.ErrorIs(t, err, errBodyReleased, "GetBody after the exchange")
	}
}

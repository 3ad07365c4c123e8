package aione

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
)

// Send sends req as it is and returns the whole answer, like [Client.Chat]:
// a request built by hand, read from configuration or stored to be
// replayed. Its Stream field is ignored (the answer is not streamed) and
// its StreamOptions are not sent. req is checked as Chat checks the
// requests it builds, and is not changed; it must not be changed while the
// call runs.
//
// Options set how the request is sent, on top of the client's: retries,
// timeouts, headers, middleware, hooks, fallback models. Options that set
// request parameters (WithTemperature, WithTools, WithExtraField and the
// like) are an error here: set the fields of req instead. The client's own
// request parameters are not applied either: req is sent as it is.
func (c *Client) Send(ctx context.Context, req *ChatRequest, opts ...Option) (*ChatResponse, error) {
	cl, body, err := c.prepareRequest(req, false, opts)
	if err != nil {
		return nil, err
	}
	return cl.chat(ctx, body)
}

// SendStream sends req as it is and returns the answer as a stream of
// chunks, like [Client.ChatStream]; req and opts are as for [Client.Send],
// but the request is sent with "stream": true and its StreamOptions.
func (c *Client) SendStream(ctx context.Context, req *ChatRequest, opts ...Option) (*Stream, error) {
	cl, body, err := c.prepareRequest(req, true, opts)
	if err != nil {
		return nil, err
	}
	return cl.stream(ctx, body)
}

// errParamOption is the error of a request parameter given to Send.
var errParamOption = errors.New("aione: Send and SendStream take the request as it is: set request parameters on the ChatRequest, not as options")

// prepareRequest resolves a call's options for a request of the caller's,
// and checks and encodes a copy of the request.
func (c *Client) prepareRequest(req *ChatRequest, stream bool, opts []Option) (*call, []byte, error) {
	if req == nil {
		return nil, nil, errors.New("aione: nil request")
	}
	var probe settings
	probe = probe.with(opts)
	if len(probe.extra) > 0 || !reflect.DeepEqual(probe.params, ChatRequest{}) {
		return nil, nil, errParamOption
	}
	cl, err := c.newCall(opts)
	if err != nil {
		return nil, nil, err
	}
	r := *req
	r.Stream = stream
	if !stream {
		r.StreamOptions = nil
	}
	if err := r.validate(); err != nil {
		return nil, nil, err
	}
	body, err := cl.use(&r)
	if err != nil {
		return nil, nil, err
	}
	return cl, body, nil
}

// UnmarshalJSON decodes a request body, as stored or written by hand. The
// members the type does not name are kept in Extra as json.RawMessage
// values, so that MarshalJSON writes them back: a request survives a JSON
// round trip. ReasoningReplay, which is not part of the JSON, is left as
// it was.
func (r *ChatRequest) UnmarshalJSON(data []byte) error {
	var named chatRequestJSON
	if err := json.Unmarshal(data, &named); err != nil {
		return err
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		return err
	}
	named.ReasoningReplay = r.ReasoningReplay
	named.Extra = nil
	known := requestFieldNames()
	for k, v := range members {
		if known[k] {
			continue
		}
		if named.Extra == nil {
			named.Extra = make(map[string]any)
		}
		named.Extra[k] = v
	}
	*r = ChatRequest(named)
	return nil
}

// requestFieldNames returns the JSON names of ChatRequest's fields.
var requestFieldNames = sync.OnceValue(func() map[string]bool {
	t := reflect.TypeFor[ChatRequest]()
	names := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names[name] = true
		}
	}
	return names
})

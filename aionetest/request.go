package aionetest

import (
	"encoding/json"
	"net/http"
	"strconv"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/internal/localserver"
)

// Request is a request the server received. It is the caller's: the
// server keeps its own copy.
type Request struct {
	// Method is the HTTP method, such as "POST".
	Method string
	// Path is the URL path, such as "/v1/chat/completions".
	Path string
	// Header holds the request headers, Authorization included.
	Header http.Header
	// Body is the request body as received (at most 32 MiB of it).
	Body []byte
	// Chat is the body decoded as a chat completions request, or nil when
	// the body is not one. Members the type does not name are in Body.
	Chat *aione.ChatRequest
	// Attempt is the client's attempt number from the X-Aione-Attempt
	// header (1 for the first try, 2 for the first retry), or 0 when the
	// header is absent.
	Attempt int
}

func newRequest(r localserver.Request) Request {
	out := Request{Method: r.Method, Path: r.Path, Header: r.Header, Body: r.Body}
	out.Attempt, _ = strconv.Atoi(r.Attempt)
	var chat aione.ChatRequest
	if json.Unmarshal(r.Body, &chat) == nil {
		out.Chat = &chat
	}
	return out
}

// LastUserText returns the text of the last user message of the request,
// or "" when there is none; it is handy in rules.
func (r *Request) LastUserText() string {
	if r.Chat == nil {
		return ""
	}
	for i := len(r.Chat.Messages) - 1; i >= 0; i-- {
		if m := r.Chat.Messages[i]; m.Role == aione.RoleUser {
			return m.Content.Text()
		}
	}
	return ""
}

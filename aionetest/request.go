package aionetest

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"

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
	// the body is not one. Top-level members the type does not name (those
	// of aione.WithExtraField) are in Chat.Extra, numbers as float64.
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
		chat.Extra = extraFields(r.Body)
		out.Chat = &chat
	}
	return out
}

// chatFields holds the JSON names of aione.ChatRequest's fields.
var chatFields = sync.OnceValue(func() map[string]bool {
	names := map[string]bool{}
	t := reflect.TypeFor[aione.ChatRequest]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names[name] = true
		}
	}
	return names
})

// extraFields returns the top-level members of a request body that
// aione.ChatRequest does not name, decoded as encoding/json does into an
// any, or nil when there are none: what aione.WithExtraField sets.
func extraFields(body []byte) map[string]any {
	var members map[string]json.RawMessage
	if json.Unmarshal(body, &members) != nil {
		return nil
	}
	var extra map[string]any
	for k, raw := range members {
		if chatFields()[k] {
			continue
		}
		var v any
		if json.Unmarshal(raw, &v) != nil {
			continue
		}
		if extra == nil {
			extra = map[string]any{}
		}
		extra[k] = v
	}
	return extra
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

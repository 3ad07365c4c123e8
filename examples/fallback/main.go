// Command fallback shows WithFallbackModels: when a model is unavailable
// (overloaded, or not served by this gateway), the call moves on to the
// next model in order, and the answer says which model served.
//
// It runs offline against a small server started in the program, on which
// "big-model" is overloaded (503), "old-model" does not exist (404
// model_not_found) and "small-model" answers:
//
//	go run ./examples/fallback
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	aione "github.com/aione/aione-go"
)

func main() {
	srv := httptest.NewServer(http.HandlerFunc(gateway))
	defer srv.Close()

	// Fallbacks are logged at warn level, with the request ID of the
	// answer that gave the model up; the hook sees them as typed values.
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	client, err := aione.NewClient(
		aione.WithBaseURL(srv.URL+"/v1"),
		aione.WithAPIKey("sk-local-example"),
		aione.WithBackoff(10*time.Millisecond, 50*time.Millisecond),
		aione.WithLogger(logger),
		aione.WithHooks(aione.Hooks{
			Fallback: func(_ context.Context, _ *aione.CallInfo, f aione.FallbackInfo) {
				fmt.Printf("fallback: %s -> %s (%v)\n", f.From, f.To, f.Err)
			},
		}),
	)
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	msgs := []aione.Message{aione.UserMessage("Say hello.")}
	resp, err := client.Chat(ctx, "big-model", msgs, aione.WithFallbackModels("old-model", "small-model"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("answer from %s: %s\n", resp.Model, resp.Text())

	// The caller's own mistakes never move to another model.
	_, err = client.Chat(ctx, "big-model", msgs, aione.WithFallbackModels("small-model"), aione.WithAPIKey("sk-wrong"))
	fmt.Println("with a wrong key:", err)
}

// gateway answers like a gateway serving one of three models.
func gateway(w http.ResponseWriter, r *http.Request) {
	var req struct{ Model string }
	_ = json.NewDecoder(r.Body).Decode(&req)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", "req-"+req.Model)
	switch {
	case r.Header.Get("Authorization") != "Bearer sk-local-example":
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":{"message":"invalid API key","type":"invalid_request_error"}}`)
	case req.Model == "big-model":
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"error":{"message":"the model is overloaded","type":"server_error"}}`)
	case req.Model == "old-model":
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":{"message":"the model old-model does not exist","code":"model_not_found"}}`)
	default:
		_, _ = fmt.Fprintf(w, `{"id":"chatcmpl-1","object":"chat.completion","model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}]}`, req.Model)
	}
}

// Command fallback shows WithFallbackModels: when a model is unavailable
// (overloaded, or not served by this gateway), the call moves on to the
// next model in order, and the answer says which model served.
//
// It runs offline against an aionetest server on which "big-model" is
// overloaded (503), "old-model" does not exist (404 model_not_found) and
// every other model answers:
//
//	go run ./examples/fallback
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/aionetest"
)

func main() {
	srv := aionetest.NewServer(nil)
	defer srv.Close()
	model := func(name string) func(*aionetest.Request) bool {
		return func(r *aionetest.Request) bool { return r.Chat != nil && r.Chat.Model == name }
	}
	srv.Handle(model("big-model"), aionetest.Error(503, "the model is overloaded"))
	srv.Handle(model("old-model"), aionetest.Reply{Status: 404,
		Body: aionetest.ErrorBody("the model old-model does not exist", "invalid_request_error", "model_not_found")})

	// Fallbacks are logged at warn level, with the request ID of the
	// answer that gave the model up; the hook sees them as typed values.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level:       slog.LevelWarn,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr { return dropTime(a) },
	}))
	client := srv.Client(
		aione.WithLogger(logger),
		aione.WithHooks(aione.Hooks{
			Fallback: func(_ context.Context, _ *aione.CallInfo, f aione.FallbackInfo) {
				fmt.Printf("hook: %s -> %s\n", f.From, f.To)
			},
		}),
	)

	ctx := context.Background()
	msgs := []aione.Message{aione.UserMessage("Say hello.")}
	resp, err := client.Chat(ctx, "big-model", msgs, aione.WithFallbackModels("old-model", "small-model"))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Printf("answer from %s: %s\n", resp.Model, resp.Text())

	// The caller's own mistakes (here a wrong key) never move to another
	// model.
	_, err = client.Chat(ctx, "small-model", msgs, aione.WithFallbackModels("old-model"), aione.WithAPIKey("sk-wrong"))
	fmt.Println("with a wrong key:", err)
}

// dropTime leaves the time out of the log lines, so the output is stable.
func dropTime(a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

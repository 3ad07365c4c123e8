package aionetest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/aionetest"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

const model = "claude-sonnet-4-6"

func ask(text string) []aione.Message { return []aione.Message{aione.UserMessage(text)} }

// readStream reads a whole stream and returns its content deltas and its
// error.
func readStream(s *aione.Stream) ([]string, error) {
	defer s.Close()
	var pieces []string
	for s.Next() {
		for _, c := range s.Current().Choices {
			if c.Delta.Content != "" {
				pieces = append(pieces, c.Delta.Content)
			}
		}
	}
	return pieces, s.Err()
}

// streamText reads a whole stream that must succeed and returns its
// content deltas.
func streamText(t *testing.T, s *aione.Stream) []string {
	t.Helper()
	pieces, err := readStream(s)
	require.NoError(t, err)
	return pieces
}

// rawStream posts a stream request with the server's HTTP client and
// returns the body as received.
func rawStream(t *testing.T, srv *aionetest.Server) string {
	t.Helper()
	body := `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi there"}]}`
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/chat/completions", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+aionetest.APIKey)
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestUnscripted(t *testing.T) {
	t.Parallel()
	srv := aionetest.NewServer(t)
	resp, err := srv.Client().Chat(t.Context(), model, ask("What is Go?"))
	require.NoError(t, err)
	require.Equal(t, "Hello from AIone local server. You said: What is Go?", resp.Text())
	require.Equal(t, aione.FinishStop, resp.Choices[0].FinishReason)
}

func TestText(t *testing.T) {
	t.Parallel()
	srv := aionetest.NewServer(t)
	c := srv.Client()
	srv.Reply(
		aionetest.Reply{Text: "Lyon is 14°C and rainy."},
		aionetest.Reply{Chunks: []string{"Ly", "on is 14", "°C and rainy."}},
		aionetest.Reply{Text: "Lyon is 14°C and rainy."},
	)

	resp, err := c.Chat(t.Context(), model, ask("weather?"))
	require.NoError(t, err)
	require.Equal(t, "Lyon is 14°C and rainy.", resp.Text())

	s, err := c.ChatStream(t.Context(), model, ask("weather?"))
	require.NoError(t, err)
	require.Equal(t, []string{"Ly", "on is 14", "°C and rainy."}, streamText(t, s))

	s, err = c.ChatStream(t.Context(), model, ask("weather?"))
	require.NoError(t, err)
	require.Equal(t, []string{"Lyon ", "is ", "14°C ", "and ", "rainy."}, streamText(t, s))
	require.Zero(t, srv.Pending())
}

func TestToolCalls(t *testing.T) {
	t.Parallel()
	srv := aionetest.NewServer(t)
	c := srv.Client()
	call := aionetest.Reply{ToolCalls: []aionetest.ToolCall{
		{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Lyon"}`},
		{Name: "get_time", Arguments: `{"zone":"Europe/Paris"}`},
	}}
	srv.Reply(call, call)

	resp, err := c.Chat(t.Context(), model, ask("weather and time in Lyon?"))
	require.NoError(t, err)
	got := resp.ToolCalls()
	require.Len(t, got, 2)
	require.Equal(t, "call_1", got[0].ID)
	require.Equal(t, `{"city":"Lyon"}`, got[0].Function.Arguments)
	require.NotEmpty(t, got[1].ID)
	require.Equal(t, "get_time", got[1].Function.Name)
	require.Equal(t, aione.FinishToolCalls, resp.Choices[0].FinishReason)

	s, err := c.ChatStream(t.Context(), model, ask("weather and time in Lyon?"))
	require.NoError(t, err)
	streamText(t, s)
	streamed := s.Response().ToolCalls()
	require.Len(t, streamed, 2)
	require.Equal(t, `{"zone":"Europe/Paris"}`, streamed[1].Function.Arguments)
}

func TestJSON(t *testing.T) {
	t.Parallel()
	type film struct {
		Title string `json:"title"`
		Year  int    `json:"year"`
	}
	srv := aionetest.NewServer(t)
	srv.Reply(aionetest.JSON(film{Title: "Spirited Away", Year: 2001}))
	resp, err := srv.Client().Chat(t.Context(), model, ask("a film"), aione.WithJSONMode())
	require.NoError(t, err)
	require.JSONEq(t, `{"title":"Spirited Away","year":2001}`, resp.Text())
	require.Equal(t, "json_object", srv.LastRequest().Chat.ResponseFormat.Type)
	require.Panics(t, func() { aionetest.JSON(make(chan int)) })
}

func TestImage(t *testing.T) {
	t.Parallel()
	srv := aionetest.NewServer(t)
	png := aionetest.SamplePNG()
	srv.Reply(aionetest.Image("A lighthouse at dusk.", "image/png", png))
	resp, err := srv.Client().Chat(t.Context(), "gemini-2.5-flash-image", ask("draw a lighthouse"))
	require.NoError(t, err)
	require.Equal(t, "A lighthouse at dusk.", resp.Text())
	imgs, err := resp.Images()
	require.NoError(t, err)
	require.Len(t, imgs, 1)
	require.Equal(t, "image/png", imgs[0].MIMEType)
	require.Equal(t, png, imgs[0].Data)

	// Unscripted, image models answer the sample PNG.
	resp, err = srv.Client().Chat(t.Context(), "gemini-2.5-flash-image", ask("draw a lighthouse"))
	require.NoError(t, err)
	imgs, err = resp.Images()
	require.NoError(t, err)
	require.Equal(t, png, imgs[0].Data)

	// A stream sends the text, then the image.
	srv.Reply(aionetest.Image("A lighthouse at dusk.", "image/png", png))
	s, err := srv.Client().ChatStream(t.Context(), model, ask("draw a lighthouse"))
	require.NoError(t, err)
	require.Equal(t, "A lighthouse at dusk.", strings.Join(streamText(t, s), ""))
	imgs, err = s.Response().Images()
	require.NoError(t, err)
	require.Len(t, imgs, 1)
	require.Equal(t, png, imgs[0].Data)
}

func TestReasoningUsageFinish(t *testing.T) {
	t.Parallel()
	srv := aionetest.NewServer(t)
	r := aionetest.Reply{
		Text:             "42",
		ReasoningContent: "Six times seven.",
		FinishReason:     aione.FinishLength,
		Usage: &aione.Usage{PromptTokens: 120, CompletionTokens: 30, TotalTokens: 150,
			PromptTokensDetails: &aione.PromptTokensDetails{CachedTokens: 100}},
	}
	srv.Reply(r, r)
	resp, err := srv.Client().Chat(t.Context(), model, ask("6*7?"))
	require.NoError(t, err)
	require.Equal(t, "Six times seven.", resp.Choices[0].Message.ReasoningContent)
	require.Equal(t, aione.FinishLength, resp.Choices[0].FinishReason)
	require.Equal(t, *r.Usage, *resp.Usage)

	s, err := srv.Client().ChatStream(t.Context(), model, ask("6*7?"), aione.WithStreamUsage())
	require.NoError(t, err)
	require.Equal(t, []string{"42"}, streamText(t, s))
	final := s.Response()
	require.Equal(t, "Six times seven.", final.Choices[0].Message.ReasoningContent)
	require.Equal(t, 150, final.Usage.TotalTokens)
}

func TestErrors(t *testing.T) {
	t.Parallel()
	srv := aionetest.NewServer(t)
	c := srv.Client(aione.WithMaxRetries(0))

	limited := aionetest.Error(http.StatusTooManyRequests, "Rate limit reached for requests")
	limited.RetryAfter = 1500 * time.Millisecond
	srv.Reply(limited)
	_, err := c.Chat(t.Context(), model, ask("hi"))
	var apiErr *aione.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 429, apiErr.StatusCode)
	require.Equal(t, "rate_limit_exceeded", apiErr.Code)
	require.Equal(t, "Rate limit reached for requests", apiErr.Message)
	require.Equal(t, 2*time.Second, apiErr.RetryAfter)

	// Any body shape and headers.
	srv.Reply(aionetest.Reply{Status: 502, Body: "<html>Bad Gateway</html>", Header: map[string]string{"retry-after-ms": "250"}})
	_, err = c.Chat(t.Context(), model, ask("hi"))
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 502, apiErr.StatusCode)
	require.Equal(t, 250*time.Millisecond, apiErr.RetryAfter)

	// The server's own validation still applies to scripted answers.
	srv.Reply(aionetest.Reply{Text: "never sent"})
	_, err = c.Chat(t.Context(), model, ask("hi"), aione.WithExtraField("temperature", 3))
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 400, apiErr.StatusCode)
	require.Equal(t, "temperature", apiErr.Param)
}

func TestRetriedThenAnswered(t *testing.T) {
	t.Parallel()
	srv := aionetest.NewServer(t)
	srv.Reply(aionetest.Error(503, "The server is overloaded"), aionetest.Reply{Reset: true}, aionetest.Reply{Text: "Back."})
	resp, err := srv.Client().Chat(t.Context(), model, ask("hi"))
	require.NoError(t, err)
	require.Equal(t, "Back.", resp.Text())
	var attempts []int
	for _, r := range srv.Requests() {
		attempts = append(attempts, r.Attempt)
	}
	require.Equal(t, []int{1, 2, 3}, attempts)
}

func TestStreamFaults(t *testing.T) {
	t.Parallel()
	long := aionetest.Reply{Text: "Rain is expected in Lyon after six in the evening."}
	for _, tc := range []struct {
		name  string
		reply func(r aionetest.Reply) aionetest.Reply
		check func(t *testing.T, pieces []string, err error)
	}{
		{"reset after chunks", func(r aionetest.Reply) aionetest.Reply { r.ResetAfterChunks = 3; return r },
			func(t *testing.T, pieces []string, err error) {
				require.Error(t, err)
				require.Equal(t, []string{"Rain ", "is "}, pieces) // the first chunk is the role
			}},
		{"keep-alives", func(r aionetest.Reply) aionetest.Reply { r.KeepAlives = 3; return r },
			func(t *testing.T, pieces []string, err error) {
				require.NoError(t, err)
				require.Equal(t, long.Text, strings.Join(pieces, ""))
			}},
		{"trickle", func(r aionetest.Reply) aionetest.Reply { r.TrickleBytes = 7; return r },
			func(t *testing.T, pieces []string, err error) {
				require.NoError(t, err)
				require.Equal(t, long.Text, strings.Join(pieces, ""))
			}},
		{"malformed", func(aionetest.Reply) aionetest.Reply {
			return aionetest.Reply{RawSSE: "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: {not json\n\n"}
		}, func(t *testing.T, pieces []string, err error) {
			require.Error(t, err)
			require.Equal(t, []string{"Hi"}, pieces)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := aionetest.NewServer(t)
			srv.Reply(tc.reply(long))
			s, err := srv.Client(aione.WithMaxRetries(0)).ChatStream(t.Context(), model, ask("rain?"))
			require.NoError(t, err)
			pieces, err := readStream(s)
			tc.check(t, pieces, err)
		})
	}
}

func TestStreamWire(t *testing.T) {
	t.Parallel()
	srv := aionetest.NewServer(t)
	srv.Reply(aionetest.Reply{Chunks: []string{"Hi"}, OmitDone: true, KeepAlives: 2})
	body := rawStream(t, srv)
	require.Equal(t, 2, strings.Count(body, ": keep-alive\n\n"))
	require.Contains(t, body, `"content":"Hi"`)
	require.NotContains(t, body, "[DONE]")
	require.Contains(t, rawStream(t, srv), "data: [DONE]\n\n")
}

// TestTiming checks delays in a synctest bubble, on a server without
// sockets: the fake clock moves exactly as scripted.
func TestTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := aionetest.NewMemoryServer(t, aionetest.WithLatency(time.Second))
		c := srv.Client()
		srv.Reply(aionetest.Reply{Chunks: []string{"a", "b", "c"}, ChunkDelay: 100 * time.Millisecond, Delay: time.Second})
		start := time.Now()
		s, err := c.ChatStream(t.Context(), model, ask("slow"))
		require.NoError(t, err)
		require.Equal(t, 2*time.Second, time.Since(start)) // latency + delay
		require.Equal(t, []string{"a", "b", "c"}, streamText(t, s))
		// role, a, b, c, finish, [DONE]: five gaps.
		require.Equal(t, 2*time.Second+500*time.Millisecond, time.Since(start))

		// A stall ends when the caller gives up.
		srv.Reply(aionetest.Reply{Stall: true})
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		start = time.Now()
		_, err = c.Chat(ctx, model, ask("stall"))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Equal(t, 30*time.Second, time.Since(start))
	})
}

func TestRecording(t *testing.T) {
	t.Parallel()
	srv := aionetest.NewServer(t)
	require.Nil(t, srv.LastRequest())
	c := srv.Client(aione.WithHeader("X-Team", "billing"))
	_, err := c.Chat(t.Context(), model, []aione.Message{
		aione.SystemMessage("Be brief."),
		aione.UserMessage("Plan a day in Kyoto."),
	}, aione.WithTemperature(0), aione.WithExtraField("metadata_tag", "trip"))
	require.NoError(t, err)

	req := srv.LastRequest()
	require.Equal(t, http.MethodPost, req.Method)
	require.Equal(t, "/v1/chat/completions", req.Path)
	require.Equal(t, "Bearer "+aionetest.APIKey, req.Header.Get("Authorization"))
	require.Equal(t, "billing", req.Header.Get("X-Team"))
	require.Equal(t, 1, req.Attempt)
	require.Contains(t, string(req.Body), `"metadata_tag":"trip"`)
	// What was sent equals what the client says it builds.
	built, err := c.NewChatRequest(model, []aione.Message{
		aione.SystemMessage("Be brief."),
		aione.UserMessage("Plan a day in Kyoto."),
	}, aione.WithTemperature(0), aione.WithExtraField("metadata_tag", "trip"))
	require.NoError(t, err)
	if diff := cmp.Diff(built, req.Chat); diff != "" {
		t.Errorf("recorded request differs from NewChatRequest (-built +got):\n%s", diff)
	}
	require.Equal(t, "Plan a day in Kyoto.", req.LastUserText())
	zero := 0.0
	want := &aione.ChatRequest{
		Model:       model,
		Messages:    []aione.Message{aione.SystemMessage("Be brief."), aione.UserMessage("Plan a day in Kyoto.")},
		Temperature: &zero,
		Extra:       map[string]any{"metadata_tag": "trip"},
	}
	if diff := cmp.Diff(want, req.Chat); diff != "" {
		t.Errorf("recorded request (-want +got):\n%s", diff)
	}

	// The result is the caller's.
	req.Body[0] = 'X'
	req.Header.Set("Authorization", "changed")
	again := srv.Requests()[0]
	require.Equal(t, byte('{'), again.Body[0])
	require.Equal(t, "Bearer "+aionetest.APIKey, again.Header.Get("Authorization"))
	require.Equal(t, 1, srv.RequestCount())
}

func TestRules(t *testing.T) {
	t.Parallel()
	srv := aionetest.NewServer(t)
	srv.Handle(func(r *aionetest.Request) bool { return strings.Contains(r.LastUserText(), "Lyon") },
		aionetest.Reply{Text: "Lyon: 14°C, light rain."})
	srv.HandleFunc(func(r *aionetest.Request) *aionetest.Reply {
		if r.Chat == nil || r.Chat.Model != "deepseek-chat" {
			return nil
		}
		return &aionetest.Reply{Text: "deepseek heard: " + r.LastUserText()}
	})
	c := srv.Client()
	for _, tc := range []struct{ model, text, want string }{
		{model, "Weather in Lyon?", "Lyon: 14°C, light rain."},
		{"deepseek-chat", "Weather in Lyon?", "Lyon: 14°C, light rain."}, // the first rule wins
		{"deepseek-chat", "Weather in Oslo?", "deepseek heard: Weather in Oslo?"},
		{model, "Weather in Oslo?", "Hello from AIone local server. You said: Weather in Oslo?"},
	} {
		resp, err := c.Chat(t.Context(), tc.model, ask(tc.text))
		require.NoError(t, err)
		require.Equal(t, tc.want, resp.Text())
	}
	// The queue comes before the rules.
	srv.Reply(aionetest.Reply{Text: "queued"})
	resp, err := c.Chat(t.Context(), model, ask("Weather in Lyon?"))
	require.NoError(t, err)
	require.Equal(t, "queued", resp.Text())
}

func TestOptions(t *testing.T) {
	t.Parallel()
	srv := aionetest.NewServer(t, aionetest.WithAPIKey("sk-other"), aionetest.WithBasePath("/api/v2"))
	require.True(t, strings.HasSuffix(srv.URL, "/api/v2"))
	_, err := srv.Client().Chat(t.Context(), model, ask("hi"))
	require.NoError(t, err)
	require.Equal(t, "Bearer sk-other", srv.LastRequest().Header.Get("Authorization"))

	// The in-memory transport reaches the same server.
	mem := srv.Client(aione.WithHTTPClient(&http.Client{Transport: srv.Transport()}))
	_, err = mem.Chat(t.Context(), model, ask("hi"))
	require.NoError(t, err)
	require.Equal(t, 2, srv.RequestCount())

	_, err = srv.Client(aione.WithAPIKey("sk-wrong")).Chat(t.Context(), model, ask("hi"))
	var apiErr *aione.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 401, apiErr.StatusCode)
}

func TestConcurrent(t *testing.T) {
	t.Parallel()
	srv := aionetest.NewServer(t)
	srv.HandleFunc(func(r *aionetest.Request) *aionetest.Reply {
		return &aionetest.Reply{Text: "echo " + r.LastUserText()}
	})
	c := srv.Client()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			q := fmt.Sprintf("q%d", i)
			if i%2 == 0 {
				resp, err := c.Chat(t.Context(), model, ask(q))
				if err == nil && resp.Text() != "echo "+q {
					err = fmt.Errorf("got %q", resp.Text())
				}
				errs <- err
				return
			}
			s, err := c.ChatStream(t.Context(), model, ask(q))
			if err != nil {
				errs <- err
				return
			}
			for s.Next() {
			}
			if err = s.Err(); err == nil && s.Response().Text() != "echo "+q {
				err = fmt.Errorf("got %q", s.Response().Text())
			}
			_ = s.Close()
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, 16, srv.RequestCount())
}

// TestCleanup checks that Close, run by tb.Cleanup, leaves no goroutine
// and no connection behind, even with stalled answers in flight.
func TestCleanup(t *testing.T) {
	// Not parallel: it counts goroutines.
	before := runtime.NumGoroutine()
	var srvURL string
	t.Run("server", func(t *testing.T) {
		srv := aionetest.NewServer(t)
		srvURL = srv.URL
		c := srv.Client(aione.WithMaxRetries(0))
		srv.Reply(aionetest.Reply{Stall: true}, aionetest.Reply{StallAfterChunks: 2})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := c.Chat(ctx, model, ask("stall"))
			done <- err
		}()
		for srv.RequestCount() < 1 { // the stalled call takes the first reply
			runtime.Gosched()
		}
		s, err := c.ChatStream(ctx, model, ask("stall later"))
		require.NoError(t, err)
		defer s.Close()
		t.Cleanup(func() {
			// Runs after the server's Close: the stalled call has failed.
			require.Error(t, <-done)
		})
	})
	waitGoroutines(t, before)
	_, err := http.Post(srvURL+"/chat/completions", "application/json", bytes.NewReader([]byte("{}")))
	require.Error(t, err, "the server still accepts connections")
}

func TestNilTB(t *testing.T) {
	t.Parallel()
	srv := aionetest.NewMemoryServer(nil)
	resp, err := srv.Client().Chat(t.Context(), model, ask("hi"))
	require.NoError(t, err)
	require.NotEmpty(t, resp.Text())
	srv.Close()
	srv.Close()
	_, err = srv.Client(aione.WithMaxRetries(0)).Chat(t.Context(), model, ask("hi"))
	require.Error(t, err)
}

// waitGoroutines waits for the number of goroutines to fall back to
// before; the count, not a timer, decides.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	for i := 0; runtime.NumGoroutine() > before; i++ {
		if i == 1000 {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines left, want at most %d:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestClientBadOption(t *testing.T) {
	t.Parallel()
	srv := aionetest.NewServer(nil)
	defer srv.Close()
	require.Panics(t, func() { srv.Client(aione.WithMaxRetries(-1)) })
}

func TestModels(t *testing.T) {
	t.Parallel()
	srv := aionetest.NewServer(t)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/models", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+aionetest.APIKey)
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID, Object string
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
	require.Equal(t, "list", list.Object)
	require.Equal(t, "claude-sonnet-4-6", list.Data[0].ID)
	require.Equal(t, "model", list.Data[0].Object)
	require.Equal(t, "/v1/models", srv.LastRequest().Path)
}

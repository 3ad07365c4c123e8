package localserver_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/aione/aione-go/internal/localserver"
)

// TestLoadWithRandomFaults checks that a seeded FaultFunc gives the same
// number of each fault whatever the order in which concurrent requests
// arrive, and that the server stays consistent under concurrent load.
func TestLoadWithRandomFaults(t *testing.T) {
	t.Parallel()
	fn := localserver.RandomFaults(7,
		localserver.WeightedFault{Weight: 0.2, Fault: localserver.Fault{Status: 503, Body: localserver.ErrorJSON("overloaded", "server_error", "")}},
		localserver.WeightedFault{Weight: 0.1, Fault: localserver.Fault{ResetAfterEvents: 3}},
	)
	const workers, perWorker = 8, 25
	const total = workers * perWorker
	want := map[string]int{}
	for n := 1; n <= total; n++ {
		switch f := fn(localserver.Request{}, n); {
		case f == nil:
			want["ok"]++
		case f.Status == 503:
			want["503"]++
		default:
			want["reset"]++
		}
	}

	s := newServer(t)
	s.SetDefaultFunc(fn)
	client := newClient(t, 0)
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perWorker {
				kind := func() string {
					req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.URL+"/chat/completions", stringsReader(streamBody))
					if err != nil {
						return "error: " + err.Error()
					}
					req.Header.Set("Authorization", "Bearer "+localserver.DefaultAPIKey)
					resp, err := client.Do(req)
					if err != nil {
						return "error: " + err.Error()
					}
					defer resp.Body.Close()
					events, err := readEvents(resp.Body)
					switch {
					case resp.StatusCode == 503:
						return "503"
					case errors.Is(err, io.EOF) && len(events) > 0 && events[len(events)-1] == "[DONE]":
						return "ok"
					case err != nil && !errors.Is(err, io.EOF) && len(events) == 3:
						return "reset"
					}
					return "unexpected"
				}()
				mu.Lock()
				got[kind]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(got) != len(want) || got["ok"] != want["ok"] || got["503"] != want["503"] || got["reset"] != want["reset"] {
		t.Errorf("outcomes %v, want %v", got, want)
	}
	if s.RequestCount() != total {
		t.Errorf("RequestCount = %d, want %d", s.RequestCount(), total)
	}
}

func BenchmarkChat(b *testing.B) {
	s := localserver.New()
	defer s.Close()
	client := s.Client()
	for _, bc := range []struct{ name, body string }{{"json", simpleBody}, {"stream", streamBody}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodPost, s.URL+"/chat/completions", stringsReader(bc.body))
				req.Header.Set("Authorization", "Bearer "+localserver.DefaultAPIKey)
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

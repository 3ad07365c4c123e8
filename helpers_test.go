package aione

import (
	"runtime"
	"testing"
	"time"

	"github.com/aione/aione-go/internal/localserver"
	"github.com/stretchr/testify/require"
)

// Helpers shared by the package's tests.

// newLocalClient starts a local AIone-compatible server for the test and
// returns a client for it with fast retries.
func newLocalClient(t *testing.T, opts ...Option) (*Client, *localserver.Server) {
	t.Helper()
	srv := localserver.New()
	t.Cleanup(srv.Close)
	all := append([]Option{WithBaseURL(srv.URL), WithAPIKey(localserver.DefaultAPIKey)}, opts...)
	c, err := NewClient(all...)
	require.NoError(t, err)
	return c, srv
}

// waitGoroutines waits briefly for the number of goroutines to fall back to
// before, and fails with a dump of them if it does not.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("%d goroutines left, want at most %d:\n%s", runtime.NumGoroutine(), before, buf)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

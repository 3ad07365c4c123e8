package aione

import (
	"testing"

	"github.com/aione/aione-go/internal/localserver"
	"github.com/stretchr/testify/require"
)

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

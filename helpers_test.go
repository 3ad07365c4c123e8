package aione

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aione/aione-go/internal/localserver"
	"github.com/stretchr/testify/require"
)

// Helpers shared by the package's tests.

// newLocalClient starts a local AIone-compatible server for the test and
// returns a client for it. The package's own (internal) tests cannot import
// aionetest, which imports this package, so they use its engine,
// internal/localserver, directly; external tests and examples use
// aionetest (roundtrip_test.go, the Example functions).
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

// jsonGen writes random JSON objects made of the keys a hand-written
// decoder knows, mixed with strays (unknown keys and case-folded
// look-alikes), white space and values of unexpected types, for the
// differential tests of the chunk and answer decoders.
type jsonGen struct {
	r      *rand.Rand
	b      bytes.Buffer
	keys   func(level int) []string               // the known keys of an object at level
	strays []string                               // keys mixed in now and then
	value  func(level int, key string, depth int) // writes the value of key
}

func (g *jsonGen) pick(s ...string) string { return s[g.r.IntN(len(s))] }

func (g *jsonGen) space() {
	if g.r.IntN(8) == 0 {
		g.b.WriteString(g.pick(" ", "\n", "\t", "\r\n  ", "  "))
	}
}

// object writes an object of level with random known and stray keys.
func (g *jsonGen) object(level, depth int) {
	keys := g.keys(level)
	g.b.WriteByte('{')
	n := g.r.IntN(len(keys) + 2)
	for k := range n {
		if k > 0 {
			g.space()
			g.b.WriteByte(',')
		}
		g.space()
		key := keys[g.r.IntN(len(keys))]
		switch g.r.IntN(20) {
		case 0:
			key = strings.ToUpper(key[:1]) + key[1:]
		case 1:
			key = g.pick(g.strays...)
		}
		g.b.WriteString(`"` + key + `"`)
		g.space()
		g.b.WriteByte(':')
		g.space()
		g.value(level, key, depth)
		g.space()
	}
	g.b.WriteByte('}')
}

// array writes an array of up to three objects of level, now and then
// with an element of another type.
func (g *jsonGen) array(level, depth int) {
	g.b.WriteByte('[')
	for k := range g.r.IntN(4) {
		if k > 0 {
			g.b.WriteByte(',')
		}
		g.space()
		if g.r.IntN(15) == 0 {
			g.b.WriteString(g.pick(`null`, `1`, `"x"`, `[]`))
		} else {
			g.object(level, depth+1)
		}
		g.space()
	}
	g.b.WriteByte(']')
}

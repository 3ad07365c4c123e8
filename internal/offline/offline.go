// Package offline connects the runnable examples to AIone: to the real
// service when AIONE_API_KEY is set, else to a local AIone-compatible server
// started in-process, so that every example runs on a machine with no key
// and no network.
package offline

import (
	"fmt"
	"os"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/internal/localserver"
)

// Client returns a client for the real service when AIONE_API_KEY is set,
// and otherwise one for a local server it starts. It also returns the
// model to use (AIONE_MODEL, else model) and a function that stops the
// local server, if any. opts are passed on to aione.NewClient.
func Client(model string, opts ...aione.Option) (c *aione.Client, useModel string, stop func(), err error) {
	if m := os.Getenv("AIONE_MODEL"); m != "" {
		model = m
	}
	if os.Getenv("AIONE_API_KEY") != "" {
		c, err = aione.NewClient(opts...)
		return c, model, func() {}, err
	}
	srv := localserver.New()
	fmt.Fprintf(os.Stderr, "AIONE_API_KEY is not set: using a local AIone-compatible server at %s\n", srv.URL)
	all := append([]aione.Option{aione.WithBaseURL(srv.URL), aione.WithAPIKey(localserver.DefaultAPIKey)}, opts...)
	c, err = aione.NewClient(all...)
	if err != nil {
		srv.Close()
		return nil, "", nil, err
	}
	return c, model, srv.Close, nil
}

// Command json asks a model for structured output: an answer that is JSON
// following the schema of a Go struct, checked and decoded into it. Without
// AIONE_API_KEY it runs against a local fake server from the aionetest
// package, scripted with a fitting recommendation, so it works offline:
//
//	go run ./examples/json
//
// With AIONE_API_KEY set it uses AIone; AIONE_MODEL picks the model
// (claude-sonnet-4-6 by default).
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/aionetest"
)

// Movie is the structure the answer must have; the tags become its JSON
// Schema.
type Movie struct {
	Title    string   `json:"title"`
	Year     int      `json:"year" jsonschema:"minimum=1888"`
	Genre    string   `json:"genre" enum:"comedy,drama,science fiction,thriller,animation"`
	Director string   `json:"director"`
	Cast     []string `json:"cast" description:"Up to three leading actors."`
	Why      string   `json:"why" description:"One sentence on why it fits the request."`
}

func main() {
	client, stop := connect()
	defer stop()
	model := cmp.Or(os.Getenv("AIONE_MODEL"), "claude-sonnet-4-6")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	movie, resp, err := aione.ChatJSON[Movie](ctx, client, model, []aione.Message{
		aione.SystemMessage("You recommend movies."),
		aione.UserMessage("Recommend one science fiction movie for a rainy evening."),
	})
	var outErr *aione.OutputError
	if errors.As(err, &outErr) {
		log.Fatalf("the answer did not fit the Movie type: %v", err)
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s (%d), %s, directed by %s\n", movie.Title, movie.Year, movie.Genre, movie.Director)
	fmt.Printf("Cast: %v\n", movie.Cast)
	fmt.Printf("Why: %s\n", movie.Why)
	if resp.Usage != nil {
		fmt.Printf("tokens: %d\n", resp.Usage.TotalTokens)
	}
}

// connect returns a client for AIone when AIONE_API_KEY is set. Otherwise
// it starts a local aionetest server scripted with the answers this program
// expects, and stop closes it.
func connect() (client *aione.Client, stop func()) {
	if os.Getenv("AIONE_API_KEY") != "" {
		c, err := aione.NewClient()
		if err != nil {
			log.Fatal(err)
		}
		return c, func() {}
	}
	srv := aionetest.NewServer(nil)
	srv.Reply(aionetest.JSON(Movie{
		Title:    "Arrival",
		Year:     2016,
		Genre:    "science fiction",
		Director: "Denis Villeneuve",
		Cast:     []string{"Amy Adams", "Jeremy Renner", "Forest Whitaker"},
		Why:      "A quiet, moving first-contact story that rewards a slow evening indoors.",
	}))
	fmt.Fprintln(os.Stderr, "AIONE_API_KEY is not set: the answers come from a local aionetest server.")
	return srv.Client(), srv.Close
}

// Command image asks a Gemini image model for a picture and writes each
// image of the answer to a PNG file. Without AIONE_API_KEY it runs against
// a local fake server from the aionetest package, whose image is a tiny
// real PNG, so it works offline:
//
//	go run ./examples/image -o lighthouse.png
//
// With AIONE_API_KEY set it asks AIone; AIONE_MODEL picks the model
// (gemini-2.5-flash-image by default).
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/aionetest"
)

func main() {
	out := flag.String("o", "image.png", "file to write (a number is added for each image after the first)")
	prompt := flag.String("prompt", "A lighthouse on a cliff at dusk, watercolor", "what to draw")
	flag.Parse()

	client, stop := connect()
	defer stop()
	model := cmp.Or(os.Getenv("AIONE_MODEL"), "gemini-2.5-flash-image")

	// Image models answer slowly and must not stream.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	resp, err := client.Chat(ctx, model, []aione.Message{aione.UserMessage(*prompt)},
		aione.WithAspectRatio("16:9"), aione.WithImageSize("1K"))
	if err != nil {
		log.Fatal(err)
	}
	if text := resp.Text(); text != "" {
		fmt.Println(text)
	}
	images, err := resp.Images()
	if err != nil {
		log.Printf("some images could not be decoded: %v", err)
	}
	if len(images) == 0 {
		log.Fatal("the answer holds no image")
	}
	for i, img := range images {
		if img.Data == nil {
			fmt.Println("image at", img.URL)
			continue
		}
		name := *out
		if i > 0 {
			name = strings.TrimSuffix(name, ".png") + fmt.Sprintf("-%d.png", i+1)
		}
		if err := os.WriteFile(name, img.Data, 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("wrote %s (%s, %d bytes)\n", name, img.MIMEType, len(img.Data))
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
	srv.Reply(aionetest.Image("Here is a watercolor of a lighthouse on a cliff at dusk, its beam crossing a violet sky.",
		"image/png", aionetest.SamplePNG()))
	fmt.Fprintln(os.Stderr, "AIONE_API_KEY is not set: the answers come from a local aionetest server.")
	return srv.Client(), srv.Close
}

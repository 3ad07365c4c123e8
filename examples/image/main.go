// Command image asks a Gemini image model for a picture and writes each
// image of the answer to a PNG file. Without AIONE_API_KEY it runs against
// a local AIone-compatible server, whose image is a tiny real PNG:
//
//	go run ./examples/image -o lighthouse.png
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	aione "github.com/aione/aione-go"
	"github.com/aione/aione-go/internal/offline"
)

func main() {
	out := flag.String("o", "image.png", "file to write (a number is added for each image after the first)")
	prompt := flag.String("prompt", "A lighthouse on a cliff at dusk, watercolor", "what to draw")
	flag.Parse()

	client, model, stop, err := offline.Client("gemini-2.5-flash-image")
	if err != nil {
		log.Fatal(err)
	}
	defer stop()

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

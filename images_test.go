package aione

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestImages(t *testing.T) {
	t.Parallel()
	png1 := []byte("\x89PNG\r\n\x1a\nfirst")
	png2 := []byte("\x89PNG\r\n\x1a\nsecond")
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	tests := []struct {
		name    string
		message string
		want    []Image
		wantErr string
	}{
		{"gemini parts", `{"role":"assistant","content":[{"type":"text","text":"Here it is."},{"type":"image_url","image_url":{"url":"data:image/png;base64,` + b64(png1) + `"}}]}`,
			[]Image{{MIMEType: "image/png", Data: png1}}, ""},
		{"markdown in text", `{"role":"assistant","content":"Here:\n\n![a fox](data:image/jpeg;base64,` + b64(png1) + `) and ![second](data:image/png;base64,` + b64(png2) + `)"}`,
			[]Image{{MIMEType: "image/jpeg", Data: png1}, {MIMEType: "image/png", Data: png2}}, ""},
		{"markdown inside a text part", `{"role":"assistant","content":[{"type":"text","text":"![x](data:image/webp;base64,` + b64(png2) + `)"}]}`,
			[]Image{{MIMEType: "image/webp", Data: png2}}, ""},
		{"images array", `{"role":"assistant","content":"done","images":[{"type":"image_url","image_url":{"url":"data:image/png;base64,` + b64(png2) + `"}}]}`,
			[]Image{{MIMEType: "image/png", Data: png2}}, ""},
		{"https URL kept", `{"role":"assistant","content":"![cat](https://cdn.example.com/cat.png?sig=1 \"title\")"}`,
			[]Image{{MIMEType: "image/png", URL: "https://cdn.example.com/cat.png?sig=1"}}, ""},
		{"unpadded and wrapped base64", `{"role":"assistant","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,` + strings.TrimRight(b64(png1), "=")[:8] + `\n` + strings.TrimRight(b64(png1), "=")[8:] + `"}}]}`,
			[]Image{{MIMEType: "image/png", Data: png1}}, ""},
		{"bad base64 reported, others kept", `{"role":"assistant","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,!!!"}},{"type":"image_url","image_url":{"url":"data:image/png;base64,` + b64(png2) + `"}}]}`,
			[]Image{{MIMEType: "image/png", Data: png2}}, "image data URL"},
		{"no comma", `{"role":"assistant","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64"}}]}`,
			nil, "no comma"},
		{"two bad URLs, one line", `{"role":"assistant","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,!!!"}},{"type":"image_url","image_url":{"url":"data:image/png;base64"}}]}`,
			nil, "image data URL"},
		{"plain text only", `{"role":"assistant","content":"no images here, not even ![this](ftp://x)"}`, nil, ""},
		{"null content", `{"role":"assistant","content":null}`, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var m Message
			require.NoError(t, json.Unmarshal([]byte(tt.message), &m))
			resp := &ChatResponse{Choices: []Choice{{Message: m}}}
			got, err := resp.Images()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Images mismatch (-want +got):\n%s", diff)
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Images error = %v, want one containing %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("Images error spans lines: %q", err)
			}
		})
	}
}

// TestGeminiImageAnswer checks the whole path against the local server's
// image model, whose answer holds a real PNG.
func TestGeminiImageAnswer(t *testing.T) {
	t.Parallel()
	c, _ := newLocalClient(t)
	resp, err := c.Chat(t.Context(), "gemini-2.5-flash-image", []Message{UserMessage("a red square")},
		WithAspectRatio("1:1"), WithImageSize("1K"))
	require.NoError(t, err)
	imgs, err := resp.Images()
	require.NoError(t, err)
	require.Len(t, imgs, 1)
	if imgs[0].MIMEType != "image/png" {
		t.Errorf("MIMEType = %q", imgs[0].MIMEType)
	}
	if _, err := png.Decode(bytes.NewReader(imgs[0].Data)); err != nil {
		t.Errorf("image does not decode as PNG: %v", err)
	}
	if resp.Text() == "" {
		t.Error("the text part is missing")
	}
}

// FuzzImages feeds any text to Images: it must never panic, find the same
// links as the quadratic scanner it replaced, and take time linear in the
// text: the text repeated to 256 KiB must take well under a second.
func FuzzImages(f *testing.F) {
	for _, s := range []string{"![a](https://x/y.png)", "![a\n\n](data:,x)", "![![](http://a)", "![", "](", "![a](<data:image/png;base64,AA==> \"t\")", "x ![a]( https://b ) ![c](ftp://d)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if got, want := markdownImages(text), markdownImagesQuadratic(text); !slices.Equal(got, want) {
			t.Fatalf("markdownImages(%q) = %q, want %q", text, got, want)
		}
		r := &ChatResponse{Choices: []Choice{{Message: AssistantMessage(text)}}}
		_, _ = r.Images()
		if text == "" {
			return
		}
		long := strings.Repeat(text, (256<<10)/len(text)+1)
		if d := fastest(func() { _ = markdownImages(long) }); d > time.Second {
			t.Fatalf("%d bytes took %v", len(long), d)
		}
	})
}

// markdownImagesQuadratic is the scanner markdownImages replaced, kept as
// the reference of FuzzImages: it looks for "](" and for a blank line
// again from each "![", so a text of many "![" costs quadratic time.
func markdownImagesQuadratic(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "![")
		if i < 0 {
			return out
		}
		s = s[i+2:]
		j := strings.Index(s, "](")
		if j < 0 {
			return out
		}
		if strings.Contains(s[:j], "\n\n") {
			continue
		}
		s = s[j+2:]
		k := strings.IndexByte(s, ')')
		if k < 0 {
			return out
		}
		target := strings.TrimSpace(s[:k])
		if t, _, ok := strings.Cut(target, " "); ok {
			target = t
		}
		target = strings.Trim(target, "<>")
		s = s[k+1:]
		if strings.HasPrefix(target, "data:") || strings.HasPrefix(target, "https://") || strings.HasPrefix(target, "http://") {
			out = append(out, target)
		}
	}
}

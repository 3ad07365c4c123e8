package aione

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
)

// Image is an image found in an answer.
type Image struct {
	// MIMEType is the media type, such as "image/png".
	MIMEType string
	// Data is the decoded image, or nil when the answer gave only a URL.
	Data []byte
	// URL is the image's URL when it was not a data URL.
	URL string
}

// Images returns the images of every choice of the answer, in order,
// wherever the gateway put them: image_url parts of array content (AIone's
// Gemini image models), markdown image links inside text content
// (![alt](data:image/png;base64,...) or an https URL), and an "images" array
// beside the content. Data URLs are decoded; other URLs are returned as
// they are, with no Data.
//
// A data URL that does not decode is reported in the error, joined on one
// line with any others (each matchable with errors.Is and errors.As); the images that did decode are returned all the same.
func (r *ChatResponse) Images() ([]Image, error) {
	if r == nil {
		return nil, nil
	}
	var imgs []Image
	var errs []error
	add := func(u string) {
		img, err := parseImageURL(u)
		if err != nil {
			errs = append(errs, err)
			return
		}
		imgs = append(imgs, img)
	}
	for _, ch := range r.Choices {
		m := ch.Message
		if m.Content.IsParts() {
			for _, p := range m.Content.Parts() {
				switch {
				case p.ImageURL != nil:
					add(p.ImageURL.URL)
				case p.Type == PartText:
					for _, u := range markdownImages(p.Text) {
						add(u)
					}
				}
			}
		} else {
			for _, u := range markdownImages(m.Content.Text()) {
				add(u)
			}
		}
		for _, p := range m.Images {
			if p.ImageURL != nil {
				add(p.ImageURL.URL)
			}
		}
	}
	return imgs, joinErrors("", errs...)
}

// parseImageURL decodes a data URL, or keeps any other URL.
func parseImageURL(u string) (Image, error) {
	rest, ok := strings.CutPrefix(u, "data:")
	if !ok {
		return Image{URL: u, MIMEType: mimeFromExt(u)}, nil
	}
	meta, payload, ok := strings.Cut(rest, ",")
	if !ok {
		return Image{}, fmt.Errorf("aione: image data URL has no comma: %.40q", u)
	}
	mime, isB64 := strings.CutSuffix(meta, ";base64")
	if i := strings.IndexByte(mime, ';'); i >= 0 {
		mime = mime[:i]
	}
	if mime == "" {
		mime = "text/plain"
	}
	if !isB64 {
		s, err := url.PathUnescape(payload)
		if err != nil {
			return Image{}, fmt.Errorf("aione: image data URL: %v", err)
		}
		return Image{MIMEType: mime, Data: []byte(s)}, nil
	}
	payload = strings.TrimRight(strings.Map(dropSpace, payload), "=")
	data, err := base64.RawStdEncoding.DecodeString(payload)
	if err != nil {
		// Some encoders use the URL-safe alphabet.
		var err2 error
		if data, err2 = base64.RawURLEncoding.DecodeString(payload); err2 != nil {
			return Image{}, fmt.Errorf("aione: image data URL (%s): %v", mime, err)
		}
	}
	return Image{MIMEType: mime, Data: data}, nil
}

func dropSpace(r rune) rune {
	switch r {
	case ' ', '\n', '\r', '\t':
		return -1
	}
	return r
}

func mimeFromExt(u string) string {
	p := u
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	switch {
	case strings.HasSuffix(p, ".png"):
		return "image/png"
	case strings.HasSuffix(p, ".jpg"), strings.HasSuffix(p, ".jpeg"):
		return "image/jpeg"
	case strings.HasSuffix(p, ".webp"):
		return "image/webp"
	case strings.HasSuffix(p, ".gif"):
		return "image/gif"
	}
	return ""
}

// markdownImages returns the targets of the ![alt](target) links in s that
// are data URLs or http(s) URLs. It reads s once: the positions of the
// next "](" and of the next blank line are kept while the "![" that may use
// them are passed, so a text of many "![" and one "](" costs linear time.
func markdownImages(s string) []string {
	var out []string
	link, para := -1, -1 // the next "](" and "\n\n" at or after pos, once looked for
	next := func(at *int, pos int, sep string) int {
		if *at < pos && *at != len(s) {
			if k := strings.Index(s[pos:], sep); k >= 0 {
				*at = pos + k
			} else {
				*at = len(s)
			}
		}
		return *at
	}
	for pos := 0; ; {
		i := strings.Index(s[pos:], "![")
		if i < 0 {
			return out
		}
		pos += i + 2
		j := next(&link, pos, "](")
		if j == len(s) {
			return out
		}
		if next(&para, pos, "\n\n") < j {
			continue // the alt text does not span paragraphs
		}
		k := strings.IndexByte(s[j+2:], ')')
		if k < 0 {
			return out
		}
		target := strings.TrimSpace(s[j+2 : j+2+k])
		pos = j + 2 + k + 1
		if t, _, ok := strings.Cut(target, " "); ok {
			target = t // drop a title: ![a](url "title")
		}
		target = strings.Trim(target, "<>")
		if strings.HasPrefix(target, "data:") || strings.HasPrefix(target, "https://") || strings.HasPrefix(target, "http://") {
			out = append(out, target)
		}
	}
}

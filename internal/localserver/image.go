package localserver

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
)

// tinyPNG is a valid 2x2 PNG image, encoded once at init.
var tinyPNG = encodeTinyPNG()

func encodeTinyPNG() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.NRGBA{R: 0xE5, G: 0x39, B: 0x35, A: 0xFF})
	img.Set(1, 0, color.NRGBA{R: 0x43, G: 0xA0, B: 0x47, A: 0xFF})
	img.Set(0, 1, color.NRGBA{R: 0x1E, G: 0x88, B: 0xE5, A: 0xFF})
	img.Set(1, 1, color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic("localserver: encoding the sample PNG: " + err.Error())
	}
	return buf.Bytes()
}

// PNG returns a copy of the 2x2 PNG image that image answers carry.
func PNG() []byte {
	return bytes.Clone(tinyPNG)
}

// ImageDataURL returns the data URL of the image that image answers carry,
// "data:image/png;base64," followed by the base64 of PNG().
func ImageDataURL() string {
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(tinyPNG)
}

package aione

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedFromDir adds every file of testdata/dir to the fuzz corpus.
func seedFromDir(f *testing.F, dir string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzDecodeResponse feeds any body to the non-streaming decoder: it must
// never panic, must return exactly one of a response and an error, and a
// response must survive Text, Images and re-encoding of its messages.
func FuzzDecodeResponse(f *testing.F) {
	seedFromDir(f, "responses")
	f.Add([]byte(`{"choices":[{"message":{"content":[{"type":"image_url","image_url":{"url":"data:,x"}}]}}]}`))
	f.Add([]byte(`{"choices":null,"error":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		h := http.Header{"Content-Type": {"application/json"}}
		resp, err := decodeResponse(200, h, body)
		if (resp == nil) == (err == nil) {
			t.Fatalf("decodeResponse = %v, %v: want exactly one", resp, err)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "aione: ") {
				t.Errorf("error %q lacks the prefix", err)
			}
			return
		}
		_ = resp.Text()
		_, _ = resp.Images()
		for _, c := range resp.Choices {
			if _, err := json.Marshal(c.Message); err != nil {
				t.Errorf("a decoded message does not encode: %v", err)
			}
		}
	})
}

// FuzzAPIError feeds any body and status to the error decoder: it must
// never panic, keep the status, bound what it keeps, and produce a
// prefixed message.
func FuzzAPIError(f *testing.F) {
	seedFromDir(f, "responses")
	for _, s := range []string{`{"error":"x"}`, `[{"error":{"code":1}}]`, `<html>x</html>`, ``, `{"message":{"a":[1]}}`, `{"detail":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, status := range []int{200, 429, 503} {
			e := newAPIError(status, http.Header{"Retry-After": {"1"}}, body)
			if e.StatusCode != status {
				t.Fatalf("status %d became %d", status, e.StatusCode)
			}
			if len(e.Body) > maxErrorExcerpt {
				t.Fatalf("kept %d bytes of body", len(e.Body))
			}
			if msg := e.Error(); !strings.HasPrefix(msg, "aione: ") {
				t.Fatalf("Error() = %q", msg)
			}
		}
	})
}

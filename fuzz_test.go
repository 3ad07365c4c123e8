package aione

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aione/aione-go/internal/jsonlex"
	"github.com/google/go-cmp/cmp"
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
		resp, err := decodeResponse(context.Background(), 200, h, body)
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
// never panic, keep the status, bound what it keeps and the length of its
// text, produce a prefixed message, agree with the recursive parser it
// replaced wherever that one is defined (nesting within jsonlex.MaxDepth),
// and take time linear in the body: the body repeated to 64 KiB, and
// nested 9,999 deep, must each take well under a second (the recursive
// parser took seconds on such inputs).
func FuzzAPIError(f *testing.F) {
	seedFromDir(f, "responses")
	for _, s := range []string{`{"error":"x"}`, `[{"error":{"code":1}}]`, `<html>x</html>`, ``, `{"message":{"a":[1]}}`, `{"detail":null}`, `[[[[`, `![`} {
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
			if msg := e.Error(); !strings.HasPrefix(msg, "aione: ") || len(msg) > 8<<10 {
				t.Fatalf("Error() = %.100q (%d bytes)", msg, len(msg))
			}
		}
		if jsonlex.SkipValue(body, 0) >= 0 {
			var got, want APIError
			if ok, wantOK := fillFromBody(&got, body), fillFromBodyRecursive(&want, body); ok != wantOK || !cmp.Equal(got, want) {
				t.Fatalf("fillFromBody(%q) = %v %+v, the recursive parser %v %+v", body, ok, got, wantOK, want)
			}
		}
		if len(body) == 0 {
			return
		}
		nested := append(append(bytes.Repeat([]byte("["), 9999), body...), bytes.Repeat([]byte("]"), 9999)...)
		for _, b := range [][]byte{bytes.Repeat(body, (64<<10)/len(body)+1), nested} {
			if d := fastest(func() { _ = newAPIError(400, nil, b) }); d > time.Second {
				t.Fatalf("%d bytes took %v", len(b), d)
			}
		}
	})
}

// fastest returns how long f takes, timing it again up to twice when it
// takes more than 100 ms: a time budget checks the work done, not how
// busy the machine was at that moment.
func fastest(f func()) time.Duration {
	best := time.Duration(math.MaxInt64)
	for range 3 {
		start := time.Now()
		f()
		best = min(best, time.Since(start))
		if best < 100*time.Millisecond {
			break
		}
	}
	return best
}

// fillFromBodyRecursive is the error body parser fillFromBody replaced,
// kept as the reference of FuzzAPIError for the part that changed (the
// descent into arrays and the checking of the body): it reads the whole
// body again at each level of nesting, so it costs time quadratic in the
// body. Objects are read by the code both share.
func fillFromBodyRecursive(e *APIError, body []byte) bool {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var list []json.RawMessage
		if json.Unmarshal(body, &list) != nil || len(list) == 0 {
			return false
		}
		return fillFromBodyRecursive(e, list[0])
	}
	return (len(body) == 0 || body[0] == '{') && json.Valid(body) && fillFromBody(e, body)
}

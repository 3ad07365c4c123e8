package aione

import (
	"bytes"
	"testing"
)

// FuzzStream streams random bytes as an event stream body. It must never
// panic; Response must always agree with the chunks Next delivered; a
// stream may end cleanly only after [DONE] or once every choice finished;
// and how the body is cut into reads must change nothing.
func FuzzStream(f *testing.F) {
	for _, data := range streamFiles(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		want := runStreamBody(t, body, wholeBody)
		if err := want.model.check(want.Response); err != nil {
			t.Fatalf("Response does not match the chunks: %v", err)
		}
		if want.err == nil && !bytes.Contains(body, []byte("[DONE]")) {
			if len(want.Response.Choices) == 0 {
				t.Fatal("a stream with no [DONE] and no choice ended cleanly")
			}
			for _, c := range want.Response.Choices {
				if c.FinishReason == "" {
					t.Fatalf("a stream with no [DONE] ended cleanly with choice %d unfinished", c.Index)
				}
			}
		}
		wantJSON := want.marshal(t)
		for how, wrap := range streamSplits {
			got := runStreamBody(t, body, wrap)
			if gotJSON := got.marshal(t); !bytes.Equal(wantJSON, gotJSON) {
				t.Fatalf("read %s, the stream differs:\nwhole: %s\n%s: %s", how, wantJSON, how, gotJSON)
			}
		}
	})
}

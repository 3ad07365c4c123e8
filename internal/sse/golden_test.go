package sse

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the scanner's output")

// goldenEvent is the JSON form of an event. Fields that are not valid UTF-8
// are stored in hex so that the golden files stay exact.
type goldenEvent struct {
	Type    string `json:"type,omitempty"`
	TypeHex string `json:"type_hex,omitempty"`
	Data    string `json:"data"`
	DataHex string `json:"data_hex,omitempty"`
	ID      string `json:"id,omitempty"`
	IDHex   string `json:"id_hex,omitempty"`
	Retry   int    `json:"retry"`
}

// goldenResult is the JSON form of a whole scan.
type goldenResult struct {
	Events []goldenEvent `json:"events"`
	Err    string        `json:"err,omitempty"`
}

// text returns s as is if it is valid UTF-8, or else its hex form in the
// second result.
func text(s string) (plain, hexed string) {
	if utf8.ValidString(s) {
		return s, ""
	}
	return "", hex.EncodeToString([]byte(s))
}

func toGolden(res result) goldenResult {
	g := goldenResult{Events: []goldenEvent{}}
	for _, e := range res.Events {
		var ge goldenEvent
		ge.Type, ge.TypeHex = text(e.Type)
		ge.Data, ge.DataHex = text(e.Data)
		ge.ID, ge.IDHex = text(e.ID)
		ge.Retry = e.Retry
		g.Events = append(g.Events, ge)
	}
	if res.Err != nil {
		g.Err = res.Err.Error()
	}
	return g
}

// goldenInputs returns the paths of testdata/*.sse.
func goldenInputs(tb testing.TB) []string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.sse"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(paths) < 8 {
		tb.Fatalf("found %d golden inputs, want at least 8", len(paths))
	}
	return paths
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, path := range goldenInputs(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".sse")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			input, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			whole := toGolden(scanAll(bytes.NewReader(input), 0))
			for seed := range uint64(20) {
				for kind, r := range readerKinds(input, seed) {
					if kind == "whole" {
						continue
					}
					got := toGolden(scanAll(r, 0))
					if diff := cmp.Diff(whole, got); diff != "" {
						t.Fatalf("%s reads (seed %d) differ from a whole read (-whole +%s):\n%s", kind, seed, kind, diff)
					}
				}
			}

			goldenPath := strings.TrimSuffix(path, ".sse") + ".golden"
			if *update {
				out, err := json.MarshalIndent(whole, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(goldenPath, append(out, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			raw, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			var want goldenResult
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatalf("%s: %v", goldenPath, err)
			}
			if diff := cmp.Diff(want, whole); diff != "" {
				t.Errorf("scan of %s differs from %s (-want +got):\n%s", path, goldenPath, diff)
			}
		})
	}
}

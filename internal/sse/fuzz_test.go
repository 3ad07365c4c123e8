package sse

import (
	"bytes"
	"io"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// reference is a deliberately naive scanner written straight from the
// rules, used as an oracle for the fuzz target. It returns the events and
// the errKind of the error that ends the scan.
func reference(input []byte, limit int) ([]ev, string) {
	if limit <= 0 {
		limit = DefaultMaxEventSize
	}
	input = bytes.TrimPrefix(input, []byte("\xEF\xBB\xBF"))
	var (
		events  []ev
		data    []byte // spec data buffer: each value followed by "\n"
		hasData bool
		typ, id string
		retry   = -1
	)
	for len(input) > 0 {
		i := 0
		for i < len(input) && input[i] != '\r' && input[i] != '\n' {
			i++
		}
		line := input[:i]
		if len(line) > limit {
			return events, "too large"
		}
		if i == len(input) { // unterminated last line
			if hasData || line[0] != ':' {
				return events, "unexpected EOF"
			}
			return events, "nil"
		}
		if input[i] == '\r' && i+1 < len(input) && input[i+1] == '\n' {
			i++
		}
		input = input[i+1:]

		if len(line) == 0 {
			if hasData {
				events = append(events, ev{Type: typ, Data: string(data[:len(data)-1]), ID: id, Retry: retry})
				retry = -1
			}
			data, hasData, typ = nil, false, ""
			continue
		}
		if line[0] == ':' {
			continue
		}
		name, value, found := bytes.Cut(line, []byte(":"))
		if found {
			value = bytes.TrimPrefix(value, []byte(" "))
		}
		switch string(name) {
		case "data":
			data = append(append(data, value...), '\n')
			hasData = true
			if len(data)-1 > limit {
				return events, "too large"
			}
		case "event":
			typ = string(value)
		case "id":
			if !bytes.Contains(value, []byte{0}) {
				id = string(value)
			}
		case "retry":
			digits := len(value) > 0
			n := 0
			for _, c := range value {
				if c < '0' || c > '9' {
					digits = false
					break
				}
				if n > math.MaxInt/10 || n*10 > math.MaxInt-int(c-'0') {
					n = math.MaxInt
				} else {
					n = n*10 + int(c-'0')
				}
			}
			if digits {
				retry = n
			}
		}
	}
	if hasData {
		return events, "unexpected EOF"
	}
	return events, "nil"
}

func TestReferenceAgreesOnGolden(t *testing.T) {
	t.Parallel()
	for _, path := range goldenInputs(t) {
		input, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		checkAgainstReference(t, input, 0, 1)
	}
}

// checkAgainstReference scans input in every way readerKinds offers, with
// one scanner reused through Reset, and compares with the reference.
func checkAgainstReference(t *testing.T, input []byte, limit int, seed uint64) {
	t.Helper()
	want, wantErr := reference(input, limit)
	effective := limit
	if effective <= 0 {
		effective = DefaultMaxEventSize
	}
	// One scanner of the normal size, and one with tiny buffers that must
	// grow, shrink and move data all the time; each is reused via Reset.
	normal := NewScanner(nil)
	normal.SetMaxEventSize(limit)
	tiny := newScannerSize(nil, 4, 2)
	tiny.SetMaxEventSize(limit)
	runs := map[string]io.Reader{}
	for kind, r := range readerKinds(input, seed) {
		runs[kind] = r
	}
	for kind, r := range readerKinds(input, seed+1) {
		runs["tiny "+kind] = r
	}
	var first *result
	for kind, r := range runs {
		s := normal
		if strings.HasPrefix(kind, "tiny ") {
			s = tiny
		}
		s.Reset(r)
		got := drain(s)
		if diff := cmp.Diff(want, got.Events); diff != "" {
			t.Fatalf("%s: events differ from the reference (-want +got):\n%s", kind, diff)
		}
		if k := errKind(got.Err); k != wantErr {
			t.Fatalf("%s: Err() = %v, reference says %s", kind, got.Err, wantErr)
		}
		for _, e := range got.Events {
			if len(e.Data) > effective {
				t.Fatalf("%s: event data of %d bytes exceeds the limit %d", kind, len(e.Data), effective)
			}
		}
		if first == nil {
			first = &got
		} else if (first.Err == nil) != (got.Err == nil) || first.Err != nil && first.Err.Error() != got.Err.Error() {
			t.Fatalf("%s: Err() = %v, another read pattern gave %v", kind, got.Err, first.Err)
		}
	}
}

func FuzzScanner(f *testing.F) {
	paths := goldenInputs(f)
	for i, path := range paths {
		input, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(input, uint64(i), uint16(0))
		f.Add(input, uint64(i), uint16(9))
	}
	f.Add([]byte("data: a\r\n\r\n"), uint64(1), uint16(3))
	f.Add([]byte("\xEF\xBB\xBF\xEF\xBB"), uint64(2), uint16(1))
	f.Add([]byte("data\ndata\ndata\n\n"), uint64(3), uint16(2))
	f.Fuzz(func(t *testing.T, input []byte, seed uint64, limit uint16) {
		checkAgainstReference(t, input, int(limit), seed)
	})
}

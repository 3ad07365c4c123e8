package sse

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// msg returns an event of the default type with data d and no ID or retry.
func msg(d string) ev { return ev{Data: d, Retry: -1} }

type scanCase struct {
	name  string
	input string
	limit int // 0 means the default
	want  []ev
	err   string // errKind of the expected error
}

// runCases scans each case fed whole, one byte at a time and in random
// reads, and requires the same, expected result from all of them.
func runCases(t *testing.T, cases []scanCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantErr := tc.err
			if wantErr == "" {
				wantErr = "nil"
			}
			runs := map[string]*Scanner{}
			for kind, r := range readerKinds([]byte(tc.input), 1) {
				runs[kind] = NewScanner(r)
			}
			for kind, r := range readerKinds([]byte(tc.input), 2) {
				runs["tiny buffers, "+kind] = newScannerSize(r, 4, 2)
			}
			for kind, s := range runs {
				s.SetMaxEventSize(tc.limit)
				got := drain(s)
				if diff := cmp.Diff(tc.want, got.Events); diff != "" {
					t.Errorf("%s: events mismatch (-want +got):\n%s", kind, diff)
				}
				if k := errKind(got.Err); k != wantErr {
					t.Errorf("%s: Err() = %v (%s), want %s", kind, got.Err, k, wantErr)
				}
			}
		})
	}
}

func TestLineTerminators(t *testing.T) {
	t.Parallel()
	runCases(t, []scanCase{
		{name: "lf", input: "data: a\n\ndata: b\n\n", want: []ev{msg("a"), msg("b")}},
		{name: "crlf", input: "data: a\r\n\r\ndata: b\r\n\r\n", want: []ev{msg("a"), msg("b")}},
		{name: "cr", input: "data: a\r\rdata: b\r\r", want: []ev{msg("a"), msg("b")}},
		{name: "mixed", input: "data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r\n", want: []ev{msg("a\nb\nc"), msg("d")}},
		{name: "cr then lf blank", input: "data: a\r\ndata: b\r\n\n", want: []ev{msg("a\nb")}},
		{name: "lf then cr blank", input: "data: a\n\r", want: []ev{msg("a")}},
		{name: "crlf is one terminator", input: "data: a\r\ndata: b\r\n\r\n", want: []ev{msg("a\nb")}},
		{name: "lf cr is two terminators", input: "data: a\n\rdata: b\n\n", want: []ev{msg("a"), msg("b")}},
		{name: "cr cr lf", input: "data: a\r\r\ndata: b\n\n", want: []ev{msg("a"), msg("b")}},
		{name: "blank lines only", input: "\r\n\n\r\r\n", want: nil},
	})
}

func TestBOM(t *testing.T) {
	t.Parallel()
	runCases(t, []scanCase{
		{name: "leading bom dropped", input: "\xEF\xBB\xBFdata: a\n\n", want: []ev{msg("a")}},
		{name: "bom then crlf", input: "\xEF\xBB\xBF\r\ndata: a\r\n\r\n", want: []ev{msg("a")}},
		{name: "second bom is part of a field name", input: "\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\ndata: b\n\n", want: []ev{msg("b")}},
		{name: "bom after first line is not dropped", input: "data: a\n\n\xEF\xBB\xBFdata: b\n\n", want: []ev{msg("a")}},
		{name: "bom inside data passes through", input: "data: \xEF\xBB\xBFa\n\n", want: []ev{msg("\uFEFFa")}},
		{name: "partial bom is a field name", input: "\xEF\xBBdata: a\n\n", want: nil},
		{name: "bom alone", input: "\xEF\xBB\xBF", want: nil},
		{name: "partial bom at end", input: "\xEF\xBB", want: nil, err: "unexpected EOF"},
		{name: "empty input", input: "", want: nil},
	})
}

func TestFieldParsing(t *testing.T) {
	t.Parallel()
	runCases(t, []scanCase{
		{name: "comment ignored", input: ": hello\ndata: a\n\n", want: []ev{msg("a")}},
		{name: "comment between data lines", input: "data: a\n:c\ndata: b\n\n", want: []ev{msg("a\nb")}},
		{name: "colon only", input: ":\n\n", want: nil},
		{name: "comments only", input: ": a\n: b\r\n:\r", want: nil},
		{name: "no colon: data with empty value", input: "data\n\n", want: []ev{msg("")}},
		{name: "empty value", input: "data:\n\n", want: []ev{msg("")}},
		{name: "no space", input: "data:a\n\n", want: []ev{msg("a")}},
		{name: "one space removed", input: "data:  a\n\n", want: []ev{msg(" a")}},
		{name: "tab kept", input: "data:\ta\n\n", want: []ev{msg("\ta")}},
		{name: "trailing space kept", input: "data: a \n\n", want: []ev{msg("a ")}},
		{name: "value with colons", input: "data: a: b:c\n\n", want: []ev{msg("a: b:c")}},
		{name: "name is case sensitive", input: "Data: a\n\n", want: nil},
		{name: "space before colon", input: "data : a\n\n", want: nil},
		{name: "unknown field ignored", input: "foo: bar\ndata: a\nbaz\n\n", want: []ev{msg("a")}},
		{name: "field named like prefix", input: "dat: a\ndatas: b\n\n", want: nil},
	})
}

func TestDataField(t *testing.T) {
	t.Parallel()
	runCases(t, []scanCase{
		{name: "multi-line", input: "data: a\ndata: b\ndata: c\n\n", want: []ev{msg("a\nb\nc")}},
		{name: "empty line inside", input: "data: a\ndata\ndata: b\n\n", want: []ev{msg("a\n\nb")}},
		{name: "two empty data lines", input: "data:\ndata:\n\n", want: []ev{msg("\n")}},
		{name: "json chunk", input: "data: {\"a\":1}\n\n", want: []ev{msg(`{"a":1}`)}},
		{name: "data reset after dispatch", input: "data: a\n\ndata: b\n\n", want: []ev{msg("a"), msg("b")}},
	})
}

func TestEventField(t *testing.T) {
	t.Parallel()
	runCases(t, []scanCase{
		{name: "type set then reset", input: "event: add\ndata: a\n\ndata: b\n\n", want: []ev{{Type: "add", Data: "a", Retry: -1}, msg("b")}},
		{name: "last wins", input: "event: x\nevent: y\ndata: a\n\n", want: []ev{{Type: "y", Data: "a", Retry: -1}}},
		{name: "after data", input: "data: a\nevent: late\n\n", want: []ev{{Type: "late", Data: "a", Retry: -1}}},
		{name: "reset by blank line without data", input: "event: x\n\ndata: a\n\n", want: []ev{msg("a")}},
		{name: "empty type", input: "event\ndata: a\n\n", want: []ev{msg("a")}},
		{name: "type with spaces", input: "event:  a b \ndata: a\n\n", want: []ev{{Type: " a b ", Data: "a", Retry: -1}}},
	})
}

func TestIDField(t *testing.T) {
	t.Parallel()
	runCases(t, []scanCase{
		{name: "persists", input: "id: 1\ndata: a\n\ndata: b\n\n", want: []ev{{Data: "a", ID: "1", Retry: -1}, {Data: "b", ID: "1", Retry: -1}}},
		{name: "cleared by empty id", input: "id: 1\ndata: a\n\nid\ndata: b\n\n", want: []ev{{Data: "a", ID: "1", Retry: -1}, msg("b")}},
		{name: "nul ignored", input: "id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n", want: []ev{{Data: "a", ID: "1", Retry: -1}, {Data: "b", ID: "1", Retry: -1}}},
		{name: "set without dispatch persists", input: "id: 7\n\ndata: a\n\n", want: []ev{{Data: "a", ID: "7", Retry: -1}}},
		{name: "last wins", input: "id: 1\nid: 2\ndata: a\n\n", want: []ev{{Data: "a", ID: "2", Retry: -1}}},
		{name: "after data", input: "data: a\nid: 3\n\n", want: []ev{{Data: "a", ID: "3", Retry: -1}}},
		{name: "one space removed", input: "id:  x\ndata: a\n\n", want: []ev{{Data: "a", ID: " x", Retry: -1}}},
		{name: "invalid utf-8 kept", input: "id: \xff\ndata: a\n\n", want: []ev{{Data: "a", ID: "\xff", Retry: -1}}},
	})
}

func TestRetryField(t *testing.T) {
	t.Parallel()
	withRetry := func(d string, r int) ev { return ev{Data: d, Retry: r} }
	runCases(t, []scanCase{
		{name: "valid then reset", input: "retry: 3000\ndata: a\n\ndata: b\n\n", want: []ev{withRetry("a", 3000), msg("b")}},
		{name: "zero", input: "retry: 0\ndata: a\n\n", want: []ev{withRetry("a", 0)}},
		{name: "leading zeros", input: "retry:007\ndata: a\n\n", want: []ev{withRetry("a", 7)}},
		{name: "letters ignored", input: "retry: 3a\ndata: a\n\n", want: []ev{msg("a")}},
		{name: "empty ignored", input: "retry:\ndata: a\n\n", want: []ev{msg("a")}},
		{name: "no colon ignored", input: "retry\ndata: a\n\n", want: []ev{msg("a")}},
		{name: "sign ignored", input: "retry: -5\nretry: +5\ndata: a\n\n", want: []ev{msg("a")}},
		{name: "trailing space ignored", input: "retry: 5 \ndata: a\n\n", want: []ev{msg("a")}},
		{name: "decimal ignored", input: "retry: 1.5\ndata: a\n\n", want: []ev{msg("a")}},
		{name: "non-ascii digits ignored", input: "retry: \u0661\u0662\ndata: a\n\n", want: []ev{msg("a")}},
		{name: "invalid keeps last valid", input: "retry: 10\nretry: x\ndata: a\n\n", want: []ev{withRetry("a", 10)}},
		{name: "last valid wins", input: "retry: 10\nretry: 20\ndata: a\n\n", want: []ev{withRetry("a", 20)}},
		{name: "huge clamps", input: "retry: 99999999999999999999999999\ndata: a\n\n", want: []ev{withRetry("a", math.MaxInt)}},
		{name: "kept across blank line without data", input: "retry: 5\n\ndata: a\n\n", want: []ev{withRetry("a", 5)}},
	})
}

func TestNoDataEvents(t *testing.T) {
	t.Parallel()
	runCases(t, []scanCase{
		{name: "fields without data", input: "event: x\nid: 1\nretry: 5\n\n", want: nil},
		{name: "blank lines", input: "\n\n\n", want: nil},
		{name: "unknown fields", input: "foo\nbar: baz\n\ndata: a\n\n", want: []ev{msg("a")}},
		{name: "comment block", input: ": keepalive\n\n: keepalive\n\n", want: nil},
	})
}

func TestEndOfInput(t *testing.T) {
	t.Parallel()
	runCases(t, []scanCase{
		{name: "clean end", input: "data: a\n\n", want: []ev{msg("a")}},
		{name: "partial data line", input: "data: a", want: nil, err: "unexpected EOF"},
		{name: "data without blank line", input: "data: a\n", want: nil, err: "unexpected EOF"},
		{name: "data ended by cr", input: "data: a\r", want: nil, err: "unexpected EOF"},
		{name: "second event truncated", input: "data: a\n\ndata: b", want: []ev{msg("a")}, err: "unexpected EOF"},
		{name: "fields without data then end", input: "data: a\n\nevent: x\nid: 2\n", want: []ev{msg("a")}},
		{name: "partial comment", input: "data: a\n\n: comment", want: []ev{msg("a")}},
		{name: "partial field", input: "data: a\n\nevent: x", want: []ev{msg("a")}, err: "unexpected EOF"},
		{name: "partial id", input: "id: 5", want: nil, err: "unexpected EOF"},
		{name: "partial name only", input: "data", want: nil, err: "unexpected EOF"},
		{name: "empty data then end", input: "data\n", want: nil, err: "unexpected EOF"},
		{name: "blank line only", input: "\n", want: nil},
		{name: "ends with lone cr blank", input: "data: a\n\r", want: []ev{msg("a")}},
	})
}

func TestPassThrough(t *testing.T) {
	t.Parallel()
	runCases(t, []scanCase{
		{name: "invalid utf-8", input: "data: \xff\xfe\xc0a\n\n", want: []ev{msg("\xff\xfe\xc0a")}},
		{name: "nul in data", input: "data: a\x00b\x00\n\n", want: []ev{msg("a\x00b\x00")}},
		{name: "nul field name", input: "\x00\ndata: a\n\n", want: []ev{msg("a")}},
		{name: "invalid utf-8 type", input: "event: \xff\ndata: x\n\n", want: []ev{{Type: "\xff", Data: "x", Retry: -1}}},
		{name: "utf-8 data", input: "data: héllo → 世界\n\n", want: []ev{msg("héllo → 世界")}},
	})
}

func TestMaxEventSize(t *testing.T) {
	t.Parallel()
	runCases(t, []scanCase{
		{name: "line at limit", input: "data: 12\n\n", limit: 8, want: []ev{msg("12")}},
		{name: "line over limit", input: "data: 123\n\n", limit: 8, err: "too large"},
		{name: "events before the long line", input: "data: a\n\ndata: 123456\n\n", limit: 8, want: []ev{msg("a")}, err: "too large"},
		{name: "long comment", input: ": 1234567890\ndata: a\n\n", limit: 8, err: "too large"},
		{name: "long partial line at end", input: "data: a\n\n123456789", limit: 8, want: []ev{msg("a")}, err: "too large"},
		{name: "data at limit", input: "data:1234\ndata:1234\n\n", limit: 9, want: []ev{msg("1234\n1234")}},
		{name: "data over limit", input: "data:1234\ndata:1234\ndata:\n\n", limit: 9, err: "too large"},
		{name: "data over limit by one line", input: "data: a\n\ndata:1234\ndata:1234\ndata\n\n", limit: 9, want: []ev{msg("a")}, err: "too large"},
		{name: "empty data lines at limit", input: strings.Repeat("data\n", 6) + "\n", limit: 5, want: []ev{msg("\n\n\n\n\n")}},
		{name: "empty data lines over limit", input: strings.Repeat("data\n", 7) + "\n", limit: 5, err: "too large"},
		{name: "limit one", input: "d\n\n:\n", limit: 1, want: nil},
		{name: "default limit", input: "data: " + strings.Repeat("x", 100000) + "\n\n", limit: -1, want: []ev{msg(strings.Repeat("x", 100000))}},
	})
}

func TestMaxEventSizeErrorMessage(t *testing.T) {
	t.Parallel()
	s := NewScanner(strings.NewReader("data: " + strings.Repeat("x", 100) + "\n\n"))
	s.SetMaxEventSize(64)
	if s.Next() {
		t.Fatal("Next returned true for an oversized line")
	}
	err := s.Err()
	if !errors.Is(err, ErrEventTooLarge) {
		t.Fatalf("Err() = %v, want ErrEventTooLarge", err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "sse: ") || !strings.Contains(msg, "64") {
		t.Errorf("error message %q lacks the sse: prefix or the limit", msg)
	}
}

func TestDefaultLimitLongLine(t *testing.T) {
	t.Parallel()
	// A line just over the default limit fails without allocating more than
	// the limit, and one at the limit succeeds.
	payload := bytes.Repeat([]byte("x"), DefaultMaxEventSize-len("data:"))
	for _, tc := range []struct {
		name  string
		extra string
		want  string
	}{
		{name: "at limit", extra: "", want: "nil"},
		{name: "over limit", extra: "y", want: "too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := io.MultiReader(strings.NewReader("data:"), bytes.NewReader(payload), strings.NewReader(tc.extra+"\n\n"))
			s := NewScanner(in)
			got := drain(s)
			if k := errKind(got.Err); k != tc.want {
				t.Fatalf("Err() = %v, want %s", got.Err, tc.want)
			}
			if s.BufferSize() > 2*DefaultMaxEventSize+2*smallBufSize {
				t.Errorf("BufferSize() = %d, more than the limit allows", s.BufferSize())
			}
			if tc.want == "nil" && (len(got.Events) != 1 || len(got.Events[0].Data) != len(payload)) {
				t.Errorf("got %d events, want one of %d bytes", len(got.Events), len(payload))
			}
		})
	}
}

// TestSplitReads feeds chosen chunkings, in particular a CRLF split across
// two reads, which must count as a single terminator.
func TestSplitReads(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		chunks []string
		want   []ev
		err    string
	}{
		{name: "crlf split", chunks: []string{"data: a\r", "\ndata: b\r\n\r\n"}, want: []ev{msg("a\nb")}},
		{name: "crlf split twice", chunks: []string{"data: a\r", "\n\r", "\ndata: b\r\n\r", "\n"}, want: []ev{msg("a"), msg("b")}},
		{name: "cr at end then cr", chunks: []string{"data: a\r", "\rdata: b\n\n"}, want: []ev{msg("a"), msg("b")}},
		{name: "cr at end then data", chunks: []string{"data: a\r", "data: b\r", "\r"}, want: []ev{msg("a\nb")}},
		{name: "cr at end of stream", chunks: []string{"data: a\r\n\r"}, want: []ev{msg("a")}},
		{name: "bom split", chunks: []string{"\xEF", "\xBB", "\xBF", "data: a\n\n"}, want: []ev{msg("a")}},
		{name: "bom split with data", chunks: []string{"\xEF\xBB", "\xBFdata: a\n\n"}, want: []ev{msg("a")}},
		{name: "bom split then crlf", chunks: []string{"\xEF\xBB\xBF", "\r", "\ndata: a\r\n\r\n"}, want: []ev{msg("a")}},
		{name: "second bom split", chunks: []string{"\xEF\xBB\xBF\xEF", "\xBB\xBFdata: a\n\n"}, want: nil},
		{name: "empty chunks", chunks: []string{"", "data: a", "", "\n", "", "\n"}, want: []ev{msg("a")}},
		{name: "event split across many reads", chunks: []string{"da", "ta: a\nid", ": 1\ndata", ": b\n", "\n"}, want: []ev{{Data: "a\nb", ID: "1", Retry: -1}}},
		{name: "single data line then other fields across reads", chunks: []string{"data: abc\n", "event: t\n", "\n"}, want: []ev{{Type: "t", Data: "abc", Retry: -1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := scanAll(newChunkReader(tc.chunks...), 0)
			if diff := cmp.Diff(tc.want, got.Events); diff != "" {
				t.Errorf("events mismatch (-want +got):\n%s", diff)
			}
			want := tc.err
			if want == "" {
				want = "nil"
			}
			if k := errKind(got.Err); k != want {
				t.Errorf("Err() = %v, want %s", got.Err, want)
			}
		})
	}
}

// blockingPipe returns a reader that yields the given writes and then
// blocks until stop is closed.
func blockingPipe(t *testing.T, writes ...string) (r io.Reader, stop func()) {
	t.Helper()
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		for _, w := range writes {
			if _, err := pw.Write([]byte(w)); err != nil {
				return
			}
		}
		<-done
		pw.Close()
	}()
	var once sync.Once
	return pr, func() { once.Do(func() { close(done) }) }
}

// nextWithin runs s.Next and fails the test if it does not return in time.
func nextWithin(t *testing.T, s *Scanner) bool {
	t.Helper()
	res := make(chan bool, 1)
	go func() { res <- s.Next() }()
	select {
	case ok := <-res:
		return ok
	case <-time.After(10 * time.Second):
		t.Fatal("Next blocked although a complete event was buffered")
		return false
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		writes []string
		want   []ev
	}{
		{name: "lf", writes: []string{"data: a\n\n"}, want: []ev{msg("a")}},
		{name: "crlf", writes: []string{"data: a\r\n\r\n"}, want: []ev{msg("a")}},
		{name: "lone cr at end of buffer", writes: []string{"data: a\r\r"}, want: []ev{msg("a")}},
		{name: "lf then cr at end", writes: []string{"data: a\n\r"}, want: []ev{msg("a")}},
		{name: "two events in one write", writes: []string{"data: a\n\ndata: b\n\n"}, want: []ev{msg("a"), msg("b")}},
		{name: "event split over writes", writes: []string{"data: a\n", "data: b\n", "\n"}, want: []ev{msg("a\nb")}},
		{name: "with bom", writes: []string{"\xEF\xBB\xBFdata: a\n\n"}, want: []ev{msg("a")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, stop := blockingPipe(t, tc.writes...)
			defer stop()
			s := NewScanner(r)
			for i, want := range tc.want {
				if !nextWithin(t, s) {
					t.Fatalf("event %d: Next returned false: %v", i, s.Err())
				}
				e := s.Event()
				got := ev{Type: string(e.Type), Data: string(e.Data), ID: e.ID, Retry: e.Retry}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("event %d mismatch (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

// TestLatencyLoneCRThenLF checks that a CR ending one read terminates its
// line at once and that the LF starting the next read is skipped.
func TestLatencyLoneCRThenLF(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	defer pr.Close()
	s := NewScanner(pr)
	go func() {
		if _, err := pw.Write([]byte("data: a\r\n\r")); err != nil {
			return
		}
	}()
	if !nextWithin(t, s) {
		t.Fatalf("first Next returned false: %v", s.Err())
	}
	if got := string(s.Event().Data); got != "a" {
		t.Errorf("first event data = %q, want %q", got, "a")
	}
	go func() {
		if _, err := pw.Write([]byte("\ndata: b\r")); err != nil {
			return
		}
		if _, err := pw.Write([]byte("\n\r\n")); err != nil {
			return
		}
		pw.Close()
	}()
	got := drain(s)
	if diff := cmp.Diff([]ev{msg("b")}, got.Events); diff != "" {
		t.Errorf("events mismatch (-want +got):\n%s", diff)
	}
	if got.Err != nil {
		t.Errorf("Err() = %v, want nil", got.Err)
	}
}

// countingReader counts Read calls.
type countingReader struct {
	r     io.Reader
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}

func TestNoReadWhileEventBuffered(t *testing.T) {
	t.Parallel()
	cr := &countingReader{r: strings.NewReader("data: a\n\ndata: b\r\rdata: c\r\n\r\n")}
	s := NewScanner(cr)
	for i := range 3 {
		if !s.Next() {
			t.Fatalf("Next %d returned false: %v", i, s.Err())
		}
		if cr.reads != 1 {
			t.Fatalf("after event %d: %d reads, want 1", i, cr.reads)
		}
	}
}

func TestBufferShrink(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 1<<20)
	for _, tc := range []struct {
		name  string
		input string
	}{
		{name: "long line", input: "data: " + big + "\n\ndata: small\n\n"},
		{name: "long multi-line event", input: strings.Repeat("data: "+big[:1<<16]+"\n", 16) + "\ndata: small\n\n"},
		{name: "long comment", input: ": " + big + "\ndata: small\n\n"},
		{name: "long type", input: "event: " + big + "\ndata: a\n\ndata: small\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, stop := blockingPipe(t, tc.input)
			defer stop()
			s := NewScanner(r)
			initial := s.BufferSize()
			if initial > 8<<10 {
				t.Errorf("initial BufferSize() = %d, want at most 8 KiB", initial)
			}
			grown := 0
			for {
				if !nextWithin(t, s) {
					t.Fatalf("Next returned false: %v", s.Err())
				}
				grown = max(grown, s.BufferSize())
				if string(s.Event().Data) == "small" {
					break
				}
			}
			if grown < 1<<16 {
				t.Errorf("BufferSize() peaked at %d, want it to have grown", grown)
			}
			// Once the caller asks for more, the stream is idle: the
			// buffers must be small again.
			stop()
			if rest := drain(s); rest.Err != nil || len(rest.Events) != 0 {
				t.Fatalf("after the last event: %d events, Err() = %v", len(rest.Events), rest.Err)
			}
			if got := s.BufferSize(); got > initial {
				t.Errorf("BufferSize() after the long event = %d, want at most %d", got, initial)
			}
		})
	}
}

// probeReader delivers chunks like chunkReader; whenever it is asked for
// the start of a chunk other than the first (or for more after the last),
// that is whenever the scanner has consumed a chunk and waits for input,
// it records the scanner's BufferSize.
type probeReader struct {
	chunks [][]byte
	next   int // index of the chunk being delivered
	off    int // offset into it
	s      *Scanner
	sizes  []int
}

func (p *probeReader) Read(b []byte) (int, error) {
	if p.off == 0 && p.next > 0 {
		p.sizes = append(p.sizes, p.s.BufferSize())
	}
	if p.next == len(p.chunks) {
		return 0, io.EOF
	}
	n := copy(b, p.chunks[p.next][p.off:])
	p.off += n
	if p.off == len(p.chunks[p.next]) {
		p.next, p.off = p.next+1, 0
	}
	return n, nil
}

// TestBufferShrinkIdle checks that once a long line has been consumed the
// scanner waits for more input holding only its small buffers.
func TestBufferShrinkIdle(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("y", 1<<20)
	for _, tc := range []struct {
		name   string
		chunks []string
	}{
		{name: "long event", chunks: []string{"data: " + big + "\n\n", "data: small\n\n"}},
		{name: "long event then partial line", chunks: []string{"data: " + big + "\n\ndata: sm", "all\n\n"}},
		{name: "long multi-line event", chunks: []string{strings.Repeat("data: "+big[:1<<16]+"\n", 16) + "\n", "data: small\n\n"}},
		{name: "long comment", chunks: []string{": " + big + "\n", "data: small\n\n"}},
		{name: "long type", chunks: []string{"event: " + big + "\ndata: a\n\n", "data: small\n\n"}},
		{name: "long unknown field", chunks: []string{"x-" + big + "\n\n", "data: small\n\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &probeReader{}
			for _, c := range tc.chunks {
				p.chunks = append(p.chunks, []byte(c))
			}
			s := NewScanner(p)
			p.s = s
			initial := s.BufferSize()
			if initial > 8<<10 {
				t.Errorf("initial BufferSize() = %d, want at most 8 KiB", initial)
			}
			got := drain(s)
			if got.Err != nil || len(got.Events) == 0 || got.Events[len(got.Events)-1].Data != "small" {
				t.Fatalf("scan ended with %d events, Err() = %v", len(got.Events), got.Err)
			}
			if len(p.sizes) < 2 {
				t.Fatalf("recorded %d idle points, want 2", len(p.sizes))
			}
			for i, size := range p.sizes {
				if size > initial {
					t.Errorf("idle point %d: BufferSize() = %d, want at most %d", i, size, initial)
				}
			}
		})
	}
}

// oneShotErrReader returns its data together with err on the first read.
type oneShotErrReader struct {
	data []byte
	err  error
	done bool
}

func (r *oneShotErrReader) Read(p []byte) (int, error) {
	if r.done {
		return 0, r.err
	}
	r.done = true
	return copy(p, r.data), r.err
}

// emptyReader returns (0, nil) n times, then its data.
type emptyReader struct {
	n int
	r io.Reader
}

func (e *emptyReader) Read(p []byte) (int, error) {
	if e.n != 0 {
		if e.n > 0 {
			e.n--
		}
		return 0, nil
	}
	return e.r.Read(p)
}

// badCountReader claims to have read more than it was given.
type badCountReader struct{}

func (badCountReader) Read(p []byte) (int, error) { return len(p) + 1, nil }

func TestReaders(t *testing.T) {
	t.Parallel()
	errBoom := errors.New("boom")
	for _, tc := range []struct {
		name    string
		r       io.Reader
		want    []ev
		wantErr error
	}{
		{name: "data with eof", r: &oneShotErrReader{data: []byte("data: a\n\ndata: b\n\n"), err: io.EOF}, want: []ev{msg("a"), msg("b")}},
		{name: "data with eof mid-event", r: &oneShotErrReader{data: []byte("data: a\n\ndata: b\n"), err: io.EOF}, want: []ev{msg("a")}, wantErr: io.ErrUnexpectedEOF},
		{name: "data with error", r: &oneShotErrReader{data: []byte("data: a\n\ndata: b\n\n"), err: errBoom}, want: []ev{msg("a"), msg("b")}, wantErr: errBoom},
		{name: "error mid-event", r: &oneShotErrReader{data: []byte("data: a\n\ndata: b"), err: errBoom}, want: []ev{msg("a")}, wantErr: errBoom},
		{name: "error without data", r: iotest.ErrReader(errBoom), wantErr: errBoom},
		{name: "timeout error", r: iotest.TimeoutReader(strings.NewReader("data: a\n\n")), want: []ev{msg("a")}, wantErr: iotest.ErrTimeout},
		{name: "few empty reads", r: &emptyReader{n: 50, r: strings.NewReader("data: a\n\n")}, want: []ev{msg("a")}},
		{name: "endless empty reads", r: &emptyReader{n: -1}, wantErr: io.ErrNoProgress},
		{name: "empty reads interleaved", r: newRandReader([]byte("data: a\n\ndata: b\n\n"), 7), want: []ev{msg("a"), msg("b")}},
		{name: "bad count", r: badCountReader{}, wantErr: errBadCount},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := scanAll(tc.r, 0)
			if diff := cmp.Diff(tc.want, got.Events); diff != "" {
				t.Errorf("events mismatch (-want +got):\n%s", diff)
			}
			if tc.wantErr == nil && got.Err != nil || tc.wantErr != nil && !errors.Is(got.Err, tc.wantErr) {
				t.Errorf("Err() = %v, want %v", got.Err, tc.wantErr)
			}
			if errors.Is(got.Err, io.EOF) {
				t.Errorf("Err() = %v, must never be io.EOF", got.Err)
			}
		})
	}
}

// TestEventAliasing checks that appending to an event's fields cannot
// corrupt the scanner, and that the data stays intact until the next Next.
func TestEventAliasing(t *testing.T) {
	t.Parallel()
	input := "event: t\ndata: first\n\ndata: second\n\ndata: a\ndata: b\n\ndata: third\n\n"
	s := NewScanner(strings.NewReader(input))
	var got []string
	for s.Next() {
		e := s.Event()
		got = append(got, string(e.Data))
		if cap(e.Data) != len(e.Data) || cap(e.Type) != len(e.Type) {
			t.Errorf("event %q: capacity exceeds length", e.Data)
		}
		_ = append(e.Data, "XXXXXXXXXXXXXXXXXXXXXXXX"...)
		_ = append(e.Type, "YYYYYYYYYYYYYYYYYYYYYYYY"...)
		if again := s.Event(); !bytes.Equal(again.Data, e.Data) {
			t.Errorf("Event() changed between calls: %q vs %q", again.Data, e.Data)
		}
	}
	want := []string{"first", "second", "a\nb", "third"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("data mismatch (-want +got):\n%s", diff)
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	s := NewScanner(strings.NewReader("id: 1\ndata: " + strings.Repeat("z", 1<<18) + "\n\ndata: b"))
	s.SetMaxEventSize(1 << 20)
	first := drain(s)
	if len(first.Events) != 1 || !errors.Is(first.Err, io.ErrUnexpectedEOF) {
		t.Fatalf("first stream: %d events, Err() = %v", len(first.Events), first.Err)
	}
	s.Reset(strings.NewReader("\xEF\xBB\xBFdata: c\n\n"))
	second := drain(s)
	if diff := cmp.Diff(result{Events: []ev{msg("c")}}, second); diff != "" {
		t.Errorf("after Reset (-want +got):\n%s", diff)
	}
	if got := s.BufferSize(); got > 8<<10 {
		t.Errorf("BufferSize() after Reset = %d, want small", got)
	}
	// The limit survives Reset.
	s.Reset(strings.NewReader("data: " + strings.Repeat("z", 2<<20) + "\n\n"))
	if third := drain(s); !errors.Is(third.Err, ErrEventTooLarge) {
		t.Errorf("after Reset, Err() = %v, want ErrEventTooLarge", third.Err)
	}
}

func TestNextAfterEnd(t *testing.T) {
	t.Parallel()
	s := NewScanner(strings.NewReader("data: a\n\ndata: b"))
	if !s.Next() {
		t.Fatal("first Next returned false")
	}
	for range 3 {
		if s.Next() {
			t.Fatal("Next returned true after the end")
		}
		if !errors.Is(s.Err(), io.ErrUnexpectedEOF) {
			t.Fatalf("Err() = %v, want io.ErrUnexpectedEOF", s.Err())
		}
		if e := s.Event(); e.Data != nil || e.Retry != -1 {
			t.Errorf("Event() after the end = %+v, want empty", e)
		}
	}
}

func TestRetryParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in string
		n  int
		ok bool
	}{
		{"0", 0, true},
		{"123", 123, true},
		{"9223372036854775807", math.MaxInt, true},
		{"", 0, false},
		{"1a", 0, false},
		{" 1", 0, false},
	} {
		n, ok := parseRetry([]byte(tc.in))
		if ok != tc.ok || ok && n != tc.n && !(tc.n == math.MaxInt && n == math.MaxInt) {
			t.Errorf("parseRetry(%q) = %d, %v; want %d, %v", tc.in, n, ok, tc.n, tc.ok)
		}
	}
}

func TestUnfinished(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     string // "" for nil
	}{
		{"one data line", "data: a\n\ndata: [DONE]\n", "[DONE]"},
		{"two data lines", "data: x\ndata: y\n", "x\ny"},
		{"CR ending", "data: [DONE]\r", "[DONE]"},
		{"partial line", "data: [DO", ""},
		{"clean end", "data: a\n\n", ""},
		{"fields without data", "event: x\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
				s := NewScanner(r)
				for s.Next() {
				}
				if got := string(s.Unfinished()); got != tt.want {
					t.Errorf("Unfinished() = %q, want %q (Err %v)", got, tt.want, s.Err())
				}
			}
		})
	}
}

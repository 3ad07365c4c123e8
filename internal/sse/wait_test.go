package sse

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// waitLog records, in order, the reads of a chunkReader and the calls of a
// scanner's wait function.
type waitLog struct {
	r   *chunkReader
	log []string
}

func (w *waitLog) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	w.log = append(w.log, "read "+strconv.Itoa(n))
	return n, err
}

// TestWaitFunc checks that the wait function runs before each read that
// follows a short one (the scanner has caught up: the read will likely
// wait), and never while reads fill the buffer.
func TestWaitFunc(t *testing.T) {
	t.Parallel()
	busy := strings.Repeat("data: "+strings.Repeat("x", 100)+"\n\n", 20) // 2,160 bytes in one chunk
	for _, tc := range []struct {
		name   string
		chunks []string
		want   []string
	}{
		{
			name:   "one event a read",
			chunks: []string{"data: a\n\n", "data: b\n\n"},
			want:   []string{"read 9", "event", "wait", "read 9", "event", "wait", "read 0"},
		},
		{
			name:   "event split across reads",
			chunks: []string{"data: a", "\n\n"},
			want:   []string{"read 7", "wait", "read 2", "event", "wait", "read 0"},
		},
		{
			name:   "busy reader",
			chunks: []string{busy},
			want:   busyLog(),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := &waitLog{r: newChunkReader(tc.chunks...)}
			s := NewScanner(w)
			s.SetWaitFunc(func() { w.log = append(w.log, "wait") })
			for s.Next() {
				w.log = append(w.log, "event")
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, w.log); diff != "" {
				t.Errorf("reads and waits (-want +got):\n%s", diff)
			}
		})
	}
}

// busyLog is what the busy reader case of TestWaitFunc logs: 108-byte
// events, read 512 bytes at a time (the small buffer, less the 80 bytes of
// a partial event after the first read), and a wait only before the read
// that follows the last, short one.
func busyLog() []string {
	four := []string{"event", "event", "event", "event"}
	log := []string{"read 512"}
	for _, n := range []string{"432", "432", "432", "352"} {
		log = append(append(log, four...), "read "+n)
	}
	return append(append(log, four...), "wait", "read 0")
}

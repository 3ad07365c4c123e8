package sse

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing/iotest"
)

// ev is a comparable, owned copy of an Event.
type ev struct {
	Type  string
	Data  string
	ID    string
	Retry int
}

// result is everything a scan produced.
type result struct {
	Events []ev
	Err    error
}

// scanAll scans r to the end with a scanner limited to limit bytes
// (0 means the default) and returns the events and the final error.
func scanAll(r io.Reader, limit int) result {
	s := NewScanner(r)
	s.SetMaxEventSize(limit)
	return drain(s)
}

// drain collects the remaining events of s.
func drain(s *Scanner) result {
	var res result
	for s.Next() {
		e := s.Event()
		res.Events = append(res.Events, ev{Type: string(e.Type), Data: string(e.Data), ID: e.ID, Retry: e.Retry})
	}
	res.Err = s.Err()
	// A second call must keep reporting the end.
	if s.Next() {
		panic("Next returned true after returning false")
	}
	return res
}

// chunkReader returns its chunks, one per Read call (split further if the
// destination is smaller), then io.EOF.
type chunkReader struct {
	chunks [][]byte
}

func newChunkReader(chunks ...string) *chunkReader {
	c := &chunkReader{}
	for _, s := range chunks {
		c.chunks = append(c.chunks, []byte(s))
	}
	return c
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.chunks) > 0 && len(c.chunks[0]) == 0 {
		c.chunks = c.chunks[1:]
	}
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	c.chunks[0] = c.chunks[0][n:]
	return n, nil
}

// randReader returns data in reads of random small sizes, sometimes
// returning (0, nil) and sometimes returning io.EOF together with the last
// bytes. It is deterministic for a given seed.
type randReader struct {
	data []byte
	rng  *rand.Rand
}

func newRandReader(data []byte, seed uint64) *randReader {
	return &randReader{data: data, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (r *randReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	if r.rng.IntN(8) == 0 {
		return 0, nil
	}
	n := min(1+r.rng.IntN(17), len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	if len(r.data) == 0 && r.rng.IntN(2) == 0 {
		return n, io.EOF
	}
	return n, nil
}

// readerKinds returns the ways each input is fed to the scanner: whole, one
// byte at a time, with io.EOF returned with the last byte, and in random
// small reads.
func readerKinds(input []byte, seed uint64) map[string]io.Reader {
	return map[string]io.Reader{
		"whole":   bytes.NewReader(input),
		"onebyte": iotest.OneByteReader(bytes.NewReader(input)),
		"dataerr": iotest.DataErrReader(iotest.HalfReader(bytes.NewReader(input))),
		"random":  newRandReader(input, seed),
	}
}

// errKind classifies a scan error for comparison.
func errKind(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, ErrEventTooLarge):
		return "too large"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected EOF"
	case errors.Is(err, io.ErrNoProgress):
		return "no progress"
	default:
		return "other: " + err.Error()
	}
}

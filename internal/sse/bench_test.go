package sse

import (
	"bytes"
	"strings"
	"testing"
)

// chunkStream returns n chat-completion chunk events of about 180 bytes
// each, terminated by eol.
func chunkStream(n int, eol string) []byte {
	words := []string{"REST", " is", " an", " architectural", " style", ",", " not", " a", " protocol", "."}
	var b bytes.Buffer
	for i := range n {
		b.WriteString(`data: {"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1711500000,"model":"claude-sonnet-4-6","choices":[{"index":0,"delta":{"content":"`)
		b.WriteString(words[i%len(words)])
		b.WriteString(`"},"finish_reason":null}]}`)
		b.WriteString(eol)
		b.WriteString(eol)
	}
	return b.Bytes()
}

// benchScan scans input repeatedly with one reused scanner.
func benchScan(b *testing.B, input []byte, wantEvents int) {
	b.Helper()
	rd := bytes.NewReader(input)
	s := NewScanner(rd)
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(input)
		s.Reset(rd)
		n, size := 0, 0
		for s.Next() {
			n++
			size += len(s.Event().Data)
		}
		if err := s.Err(); err != nil || n != wantEvents || size == 0 {
			b.Fatalf("got %d events, Err() = %v; want %d events", n, err, wantEvents)
		}
	}
}

func BenchmarkChunksLF(b *testing.B) {
	benchScan(b, chunkStream(2000, "\n"), 2000)
}

func BenchmarkChunksCRLF(b *testing.B) {
	benchScan(b, chunkStream(2000, "\r\n"), 2000)
}

func BenchmarkChunksCR(b *testing.B) {
	benchScan(b, chunkStream(2000, "\r"), 2000)
}

// BenchmarkChunksTyped uses Anthropic-style events: an event line, a data
// line and an id line per event.
func BenchmarkChunksTyped(b *testing.B) {
	var buf bytes.Buffer
	for i := range 2000 {
		buf.WriteString("event: content_block_delta\n")
		buf.WriteString(`data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"REST"}}`)
		buf.WriteString("\n")
		if i%100 == 0 {
			buf.WriteString(": ping\n")
		}
		buf.WriteString("\n")
	}
	benchScan(b, buf.Bytes(), 2000)
}

// BenchmarkLongEvents scans 1 MiB single-line events.
func BenchmarkLongEvents(b *testing.B) {
	line := "data: " + strings.Repeat("x", 1<<20) + "\n\n"
	benchScan(b, []byte(strings.Repeat(line, 16)), 16)
}

// BenchmarkLongMultiLineEvents scans 1 MiB events made of 1 KiB data lines.
func BenchmarkLongMultiLineEvents(b *testing.B) {
	event := strings.Repeat("data: "+strings.Repeat("y", 1<<10)+"\n", 1<<10) + "\n"
	benchScan(b, []byte(strings.Repeat(event, 16)), 16)
}

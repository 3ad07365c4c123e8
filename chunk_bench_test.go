package aione

import "testing"

// toolCallChunk is an arguments fragment of a streamed tool call.
const toolCallChunk = `{"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_eb9dce56a8","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"location\":\"Paris, France\""}}]},"logprobs":null,"finish_reason":null}],"usage":null}`

func benchDecode(b *testing.B, data string) {
	buf := []byte(data)
	var d chunkDecoder
	var c ChatChunk
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.decode(buf, &c); err != nil {
			b.Fatal(err)
		}
	}
}

func benchDecodeJSON(b *testing.B, data string) {
	buf := []byte(data)
	var c ChatChunk
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeChunkJSON(buf, &c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeChunk decodes an ordinary content chunk on the fast path.
func BenchmarkDecodeChunk(b *testing.B) { benchDecode(b, contentChunk) }

// BenchmarkDecodeChunkJSON decodes the same chunk with the reference decoder.
func BenchmarkDecodeChunkJSON(b *testing.B) { benchDecodeJSON(b, contentChunk) }

// BenchmarkDecodeChunkToolCall decodes a tool call arguments fragment.
func BenchmarkDecodeChunkToolCall(b *testing.B) { benchDecode(b, toolCallChunk) }

// BenchmarkDecodeChunkToolCallJSON decodes it with the reference decoder.
func BenchmarkDecodeChunkToolCallJSON(b *testing.B) { benchDecodeJSON(b, toolCallChunk) }

// Package benchmarks compares aione's chat-completions decoding with the
// peer Go SDKs (openai-go, go-openai) and with a bufio.Scanner plus
// encoding/json baseline, on the same in-memory workloads (issue 6).
//
// It is a separate module so that the main module never depends on the
// peers. Run ./run.sh to benchmark every SDK, then read results/table.md.
//
// The workloads are those of the main module's benchmarks: both take them
// from internal/benchdata.
package benchmarks

// Model is the model every benchmark request names.
const Model = "claude-sonnet-4-6"

// Prompt is the user message every benchmark request sends.
const Prompt = "What is REST?"

// The workloads themselves live in the main module's internal/benchdata,
// shared with its own benchmarks.

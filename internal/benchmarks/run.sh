#!/bin/sh
# run.sh benchmarks aione against the peer SDKs (openai-go, go-openai) and a
# bufio.Scanner + encoding/json baseline, and writes results/:
#
#   bench.txt      raw `go test -bench` output, COUNT runs
#   benchstat.txt  benchstat of bench.txt, per benchmark and SDK by SDK
#   table.md       comparison table with ratios versus aione (cmd/chart)
#   chart.svg      bar chart of the times (cmd/chart)
#
# Environment: COUNT (runs, default 6), BENCHTIME (default 1s), BENCH (the
# -bench pattern, default .). The runs are interleaved (every SDK once per
# round) so that a change in the machine's load weighs on all SDKs alike.
set -eu
cd "$(dirname "$0")"

COUNT=${COUNT:-6}
BENCHTIME=${BENCHTIME:-1s}
BENCH=${BENCH:-.}
BENCHSTAT=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

go vet ./...
go test -count=1 -run . ./... # every SDK must give the same answers
go test -c -o "$tmp/bench.test" .

mkdir -p results
out=results/bench.txt
version() { go list -m -f '{{.Version}}' "$1"; }
{
	echo "go: $(go env GOVERSION)"
	echo "cpus: $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo unknown)"
	echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "openai-go: $(version github.com/openai/openai-go/v3)"
	echo "go-openai: $(version github.com/sashabaranov/go-openai)"
	echo "load: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) (1, 5, 15 min, at start)"
} >"$out"
i=1
while [ "$i" -le "$COUNT" ]; do
	echo "run $i of $COUNT" >&2
	"$tmp/bench.test" -test.run '^$' -test.bench "$BENCH" -test.benchtime "$BENCHTIME" -test.count 1 >>"$out"
	i=$((i + 1))
done
echo "load-end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)" >>"$out"

{
	echo "# benchstat bench.txt"
	go run "$BENCHSTAT" "$out"
	echo
	echo "# benchstat -col /sdk bench.txt (aione first: the other columns are compared with it)"
	go run "$BENCHSTAT" -col /sdk "$out"
} >results/benchstat.txt

go run ./cmd/chart -in "$out" -table results/table.md -svg results/chart.svg
cat results/table.md

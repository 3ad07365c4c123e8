#!/bin/sh
# profile.sh profiles aione's stream path (BenchmarkStreamInMemory of the
# main module) and writes the top functions by CPU time and by allocations
# to results/profile.txt. BENCHTIME (default 3s) sets the CPU run's length.
set -eu
cd "$(dirname "$0")"
root=../..
BENCHTIME=${BENCHTIME:-3s}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

mkdir -p results
(cd "$root" && go test -c -o "$tmp/aione.test" .)
# CPU and memory in separate runs: recording every allocation slows the
# program and would distort the CPU profile.
"$tmp/aione.test" -test.run '^$' -test.bench '^BenchmarkStreamInMemory$' -test.benchtime "$BENCHTIME" \
	-test.cpuprofile "$tmp/cpu.prof" >"$tmp/cpu.txt"
"$tmp/aione.test" -test.run '^$' -test.bench '^BenchmarkStreamInMemory$' -test.benchtime 200x \
	-test.memprofile "$tmp/mem.prof" -test.memprofilerate 1 >"$tmp/mem.txt"

top() { go tool pprof -top "$@" 2>/dev/null | sed -n '/flat%/,$p'; }
{
	echo "# BenchmarkStreamInMemory (2,000 chunks a stream), $(go env GOVERSION), $(date -u +%Y-%m-%dT%H:%MZ)"
	grep '^Benchmark' "$tmp/cpu.txt"
	echo
	echo "## CPU, by function (flat), top 15"
	top -nodecount=15 "$tmp/aione.test" "$tmp/cpu.prof"
	echo
	echo "## CPU, cumulative, top 25"
	top -cum -nodecount=25 "$tmp/aione.test" "$tmp/cpu.prof"
	echo
	echo "## Allocated bytes (200 streams and the warm-up), top 12"
	top -sample_index=alloc_space -nodecount=12 "$tmp/aione.test" "$tmp/mem.prof"
	echo
	echo "## Allocations (objects), top 12"
	top -sample_index=alloc_objects -nodecount=12 "$tmp/aione.test" "$tmp/mem.prof"
} >results/profile.txt
echo "wrote results/profile.txt" >&2

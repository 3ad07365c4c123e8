// Command chart turns the output of the peer benchmarks (go test -bench,
// as written by run.sh) into a Markdown comparison table and an SVG bar
// chart.
//
// Usage:
//
//	go run ./cmd/chart [-in results/bench.txt] [-table results/table.md] [-svg results/chart.svg]
//
// Each figure is the median of the runs of a benchmark. Ratios compare each
// SDK with aione: "12.3x" means the SDK takes 12.3 times aione's time.
package main

import (
	"bufio"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"log"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	in := flag.String("in", "results/bench.txt", "benchmark output to read")
	table := flag.String("table", "results/table.md", "Markdown table to write")
	svg := flag.String("svg", "results/chart.svg", "SVG chart to write")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("chart: ")

	f, err := os.Open(*in)
	if err != nil {
		log.Fatal(err)
	}
	res, err := parse(f)
	_ = f.Close()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*table, []byte(res.table()), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*svg, []byte(res.chart()), 0o644); err != nil {
		log.Fatal(err)
	}
}

// reference is the SDK the others are compared with.
const reference = "aione"

// results is what a benchmark output holds.
type results struct {
	// config holds the "key: value" lines (goos, cpu, go, ...), the first
	// value of each key.
	config map[string]string
	// runs holds the values of each benchmark, SDK and unit, in the
	// order read.
	runs map[key][]float64
	// benches and sdks are the benchmark and SDK names in the order first
	// seen.
	benches, sdks []string
}

// key names one measured quantity.
type key struct{ bench, sdk, unit string }

var (
	// benchLine matches "BenchmarkStream/sdk=aione-2  100  123 ns/op ...".
	benchLine = regexp.MustCompile(`^(Benchmark[^/\s]+)/sdk=([^\s]+?)(?:-\d+)?\s+\d+\s+(.*)$`)
	// configLine matches "goos: linux".
	configLine = regexp.MustCompile(`^([a-z][^\s:]*):\s+(.*)$`)
)

// parse reads benchmark output in the Go benchmark format.
func parse(r io.Reader) (*results, error) {
	res := &results{config: map[string]string{}, runs: map[key][]float64{}}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := configLine.FindStringSubmatch(line); m != nil {
			if _, ok := res.config[m[1]]; !ok {
				res.config[m[1]] = m[2]
			}
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		bench, sdk := m[1], m[2]
		fields := strings.Fields(m[3])
		if len(fields)%2 != 0 {
			return nil, fmt.Errorf("malformed benchmark line %q", line)
		}
		for i := 0; i < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("malformed value in %q: %v", line, err)
			}
			k := key{bench, sdk, fields[i+1]}
			res.runs[k] = append(res.runs[k], v)
		}
		if !slices.Contains(res.benches, bench) {
			res.benches = append(res.benches, bench)
		}
		if !slices.Contains(res.sdks, sdk) {
			res.sdks = append(res.sdks, sdk)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(res.runs) == 0 {
		return nil, errors.New("no benchmark results with an sdk=NAME sub-benchmark")
	}
	// The reference first, then the others as found.
	slices.SortStableFunc(res.sdks, func(a, b string) int {
		return cmp.Compare(rank(a), rank(b))
	})
	return res, nil
}

// rank orders the reference SDK before the others.
func rank(sdk string) int {
	if sdk == reference {
		return 0
	}
	return 1
}

// median returns the median of the values of k, and false if there are
// none.
func (res *results) median(k key) (float64, bool) {
	v := slices.Clone(res.runs[k])
	if len(v) == 0 {
		return 0, false
	}
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2], true
	}
	return (v[n/2-1] + v[n/2]) / 2, true
}

// spread returns the largest distance of a value of k from its median, as
// a percentage of the median.
func (res *results) spread(k key) float64 {
	m, ok := res.median(k)
	if !ok || m == 0 {
		return 0
	}
	d := 0.0
	for _, v := range res.runs[k] {
		d = max(d, math.Abs(v-m))
	}
	return 100 * d / m
}

// view is how a benchmark is shown: its time units and the units beside
// them.
type view struct {
	title string
	time  string   // the wall-clock unit, the one the chart and goals use
	cpu   string   // the CPU time unit, "" if not reported
	units []string // columns, time first
}

// viewOf returns how to show bench: per chunk when it reports it.
func (res *results) viewOf(bench string) view {
	v := view{
		title: bench + ": one call, ~1 KB answer",
		time:  "ns/op",
		cpu:   "cpu-ns/op",
		units: []string{"ns/op", "cpu-ns/op", "B/op", "allocs/op"},
	}
	if bench == conversationBench {
		v.title = bench + ": 149 messages, ~170 KB"
		v.units = append(v.units, "req-B/op")
	}
	if res.has(bench, "ns/chunk") {
		v = view{
			title: bench + ": 2,000-chunk stream, per chunk",
			time:  "ns/chunk",
			cpu:   "cpu-ns/chunk",
			units: []string{"ns/chunk", "cpu-ns/chunk", "B/chunk", "allocs/chunk"},
		}
	}
	if res.has(bench, "sdk-B/stream") {
		v = view{
			title: fmt.Sprintf("%s: %s streams open at once on loopback, per open stream and per chunk",
				bench, format(res.first(bench, "streams"))),
			time:  "ns/chunk",
			cpu:   "cpu-ns/chunk",
			units: []string{"heap-B/stream", "sdk-B/stream", "ns/chunk", "cpu-ns/chunk"},
		}
	}
	if !res.has(bench, v.cpu) {
		v.units = slices.DeleteFunc(v.units, func(u string) bool { return u == v.cpu })
		v.cpu = ""
	}
	return v
}

// first returns the median of unit for bench of the first SDK that
// reports it, or 0.
func (res *results) first(bench, unit string) float64 {
	for _, sdk := range res.sdks {
		if m, ok := res.median(key{bench, sdk, unit}); ok {
			return m
		}
	}
	return 0
}

// has reports whether some SDK reports unit for bench.
func (res *results) has(bench, unit string) bool {
	for _, sdk := range res.sdks {
		if _, ok := res.runs[key{bench, sdk, unit}]; ok {
			return true
		}
	}
	return false
}

// ratio returns the median of unit for sdk divided by the reference's.
func (res *results) ratio(bench, sdk, unit string) (float64, bool) {
	t, ok1 := res.median(key{bench, sdk, unit})
	ref, ok2 := res.median(key{bench, reference, unit})
	if !ok1 || !ok2 || ref == 0 {
		return 0, false
	}
	return t / ref, true
}

// format writes v with a precision that suits its size.
func format(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a < 1:
		return strconv.FormatFloat(v, 'f', 3, 64)
	case a < 100 && v != math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return withCommas(int64(math.Round(v)))
	}
}

// withCommas writes n with thousands separators.
func withCommas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// table returns the Markdown comparison table.
func (res *results) table() string {
	var b strings.Builder
	b.WriteString("# aione-go versus the peer SDKs\n\n")
	b.WriteString("Generated by `run.sh` (`cmd/chart`) from `bench.txt`; `benchstat.txt` has the statistics.\n\n")
	fmt.Fprintf(&b, "- Machine: %s, %s/%s", orUnknown(res.config["cpu"]), orUnknown(res.config["goos"]), orUnknown(res.config["goarch"]))
	if c := res.config["cpus"]; c != "" {
		fmt.Fprintf(&b, ", %s CPUs (GOMAXPROCS)", c)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "- Go: %s\n", orUnknown(res.config["go"]))
	for _, k := range []string{"date", "openai-go", "go-openai", "load", "load-end"} {
		if v := res.config[k]; v != "" {
			fmt.Fprintf(&b, "- %s: %s\n", k, v)
		}
	}
	b.WriteString("- Each figure is the median of the runs (n); ± is the largest distance of a run from it.\n")
	b.WriteString("- ns is wall-clock time; cpu-ns is the process's CPU time (user + system, GC included), steadier when\n" +
		"  other processes load the machine.\n")
	b.WriteString("- \"vs aione\" is the SDK's time divided by aione's: how many times faster aione is (wall, then CPU).\n")
	b.WriteString("- One op is a whole call or a whole stream through an in-memory `http.RoundTripper`, request encoding included.\n")
	b.WriteString("- Peers accumulate only the text (strings.Builder); aione accumulates the full response (`Stream.Response`).\n")

	for _, bench := range res.benches {
		v := res.viewOf(bench)
		fmt.Fprintf(&b, "\n## %s\n\n", v.title)
		b.WriteString("| SDK | n |")
		for _, u := range v.units {
			fmt.Fprintf(&b, " %s |", u)
		}
		b.WriteString(" vs aione |")
		if v.cpu != "" {
			b.WriteString(" vs aione (CPU) |")
		}
		b.WriteString("\n|---|--:|")
		for range v.units {
			b.WriteString("--:|")
		}
		b.WriteString("--:|")
		if v.cpu != "" {
			b.WriteString("--:|")
		}
		b.WriteString("\n")
		for _, sdk := range res.sdks {
			if _, ok := res.median(key{bench, sdk, v.time}); !ok {
				continue
			}
			fmt.Fprintf(&b, "| %s | %d |", sdk, len(res.runs[key{bench, sdk, v.time}]))
			for _, u := range v.units {
				m, ok := res.median(key{bench, sdk, u})
				switch {
				case !ok:
					b.WriteString(" – |")
				case u == v.time || u == v.cpu:
					fmt.Fprintf(&b, " %s ± %.0f%% |", format(m), res.spread(key{bench, sdk, u}))
				default:
					fmt.Fprintf(&b, " %s |", format(m))
				}
			}
			for _, u := range []string{v.time, v.cpu} {
				if u == "" {
					continue
				}
				if r, ok := res.ratio(bench, sdk, u); ok {
					fmt.Fprintf(&b, " %.1fx |", r)
				} else {
					b.WriteString(" – |")
				}
			}
			b.WriteString("\n")
		}
		switch {
		case res.has(bench, "sdk-B/stream"):
			b.WriteString(res.memoryGoals(bench))
		case v.time == "ns/chunk":
			b.WriteString(res.goals(bench))
		case bench == conversationBench:
			b.WriteString(res.conversationGoals(bench))
		default:
			b.WriteString(res.callGoals(bench, v))
		}
	}
	return b.String()
}

// verdict says whether a goal is met.
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// goals checks the stream goals of issue 6.
func (res *results) goals(bench string) string {
	if _, ok := res.median(key{bench, reference, "ns/chunk"}); !ok {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nGoals of issue 6 for aione's stream:\n\n")
	for _, g := range []struct {
		sdk  string
		want float64
	}{{"goopenai", 10}, {"openaigo", 25}} {
		r, ok := res.ratio(bench, g.sdk, "ns/chunk")
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "- ≥ %.0fx faster than %s: %.1fx", g.want, g.sdk, r)
		if rc, ok := res.ratio(bench, g.sdk, "cpu-ns/chunk"); ok {
			fmt.Fprintf(&b, " (CPU time: %.1fx)", rc)
		}
		fmt.Fprintf(&b, ", %s\n", verdict(r >= g.want))
	}
	if a, ok := res.median(key{bench, reference, "allocs/chunk"}); ok {
		fmt.Fprintf(&b, "- ≤ 1 alloc per chunk: %s, %s\n", format(a), verdict(a <= 1))
	}
	if m, ok := res.median(key{bench, reference, "B/chunk"}); ok {
		fmt.Fprintf(&b, "- ≤ 64 B per chunk: %s, %s\n", format(m), verdict(m <= 64))
	}
	return b.String()
}

// memoryGoals checks the goal of issue 13: aione's own memory per open
// stream (beyond bare net/http's) at most go-openai's.
func (res *results) memoryGoals(bench string) string {
	a, ok := res.median(key{bench, reference, "sdk-B/stream"})
	g, ok2 := res.median(key{bench, "goopenai", "sdk-B/stream"})
	if !ok || !ok2 {
		return ""
	}
	return fmt.Sprintf("\nheap-B/stream is the live heap after GC per open stream, client and in-process server "+
		"together; sdk-B/stream is that minus bare net/http's (nethttp) in the same run.\n\n"+
		"Goal of issue 13: aione's own memory per open stream at most goopenai's: %s vs %s sdk-B/stream, %s\n",
		format(a), format(g), verdict(a <= g))
}

// callGoals checks the non-streaming goal of issue 6: aione no slower than
// the fastest peer SDK (the baseline is no SDK), with fewer allocations.
func (res *results) callGoals(bench string, v view) string {
	t, ok := res.median(key{bench, reference, v.time})
	a, ok2 := res.median(key{bench, reference, "allocs/op"})
	if !ok || !ok2 {
		return ""
	}
	fastest, ft, fa := "", math.Inf(1), 0.0
	for _, sdk := range res.sdks {
		if sdk == reference || sdk == baseline {
			continue
		}
		if pt, ok := res.median(key{bench, sdk, v.time}); ok && pt < ft {
			fastest, ft = sdk, pt
			fa, _ = res.median(key{bench, sdk, "allocs/op"})
		}
	}
	if fastest == "" {
		return ""
	}
	return fmt.Sprintf("\nGoal of issue 6 for aione's non-streaming call: no slower than the fastest peer (%s), "+
		"with fewer allocations: %s vs %s %s, %s vs %s allocs/op, %s\n",
		fastest, format(t), format(ft), v.time, format(a), format(fa), verdict(t <= ft && a < fa))
}

// conversationBench is the long-conversation benchmark of issue 10.
const conversationBench = "BenchmarkLongConversation"

// conversationGoals checks the goals of issue 10 for a call late in a long
// conversation: at least 3x faster than each peer (5x the moonshot), a
// handful of allocations, and bytes allocated close to the request's size
// (at most twice the body: the body and the answer's decoding).
func (res *results) conversationGoals(bench string) string {
	if _, ok := res.median(key{bench, reference, "ns/op"}); !ok {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nGoals of issue 10 for aione's call late in a long conversation:\n\n")
	for _, sdk := range []string{"goopenai", "openaigo"} {
		r, ok := res.ratio(bench, sdk, "ns/op")
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "- ≥ 3x faster than %s (moonshot 5x): %.1fx", sdk, r)
		if rc, ok := res.ratio(bench, sdk, "cpu-ns/op"); ok {
			fmt.Fprintf(&b, " (CPU time: %.1fx)", rc)
		}
		moon := ""
		if r >= 5 {
			moon = ", moonshot met"
		}
		fmt.Fprintf(&b, ", %s%s\n", verdict(r >= 3), moon)
	}
	if a, ok := res.median(key{bench, reference, "allocs/op"}); ok {
		fmt.Fprintf(&b, "- a handful of allocations (≤ 64, not growing with the messages): %s, %s\n", format(a), verdict(a <= 64))
	}
	m, ok := res.median(key{bench, reference, "B/op"})
	body, ok2 := res.median(key{bench, reference, "req-B/op"})
	if ok && ok2 {
		fmt.Fprintf(&b, "- bytes allocated close to the body's size (≤ 2x): %s B for a %s B body (%.2fx), %s\n",
			format(m), format(body), m/body, verdict(m <= 2*body))
	}
	return b.String()
}

// baseline is the benchmark that uses no SDK.
const baseline = "baseline"

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// Layout of the chart, in pixels.
const (
	chartWidth = 760
	labelWidth = 100 // SDK names
	plotWidth  = 560
	barHeight  = 16 // one bar; an SDK has one or two
	barGap     = 10
	panelTop   = 60 // title, legend and axis labels above the bars
	panelGap   = 36
)

// chart returns an SVG chart with one panel of horizontal bars a
// benchmark: the median time of each SDK on a log scale.
func (res *results) chart() string {
	var body strings.Builder
	y := 0
	for _, bench := range res.benches {
		y = res.panel(&body, bench, y) + panelGap
	}
	y -= panelGap
	fmt.Fprintf(&body, `<text x="8" y="%d" fill="#555" font-size="12">%s</text>`+"\n", y+22,
		html.EscapeString(fmt.Sprintf("(N.Nx) = the SDK's median time ÷ aione's. %s, %s CPUs, %s; in-memory transport.",
			orUnknown(res.config["cpu"]), orUnknown(res.config["cpus"]), orUnknown(res.config["go"]))))
	height := y + 34
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="13">`+"\n",
		chartWidth, height, chartWidth, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", chartWidth, height)
	b.WriteString(body.String())
	b.WriteString("</svg>\n")
	return b.String()
}

// panel draws the bars of bench from y down and returns the y below them:
// for each SDK a bar of its wall-clock time and, when reported, a lighter
// one of its CPU time.
func (res *results) panel(b *strings.Builder, bench string, y int) int {
	v := res.viewOf(bench)
	units := []string{v.time}
	if v.cpu != "" {
		units = append(units, v.cpu)
	}
	lo, hi := math.Inf(1), 0.0
	var sdks []string
	for _, sdk := range res.sdks {
		if _, ok := res.median(key{bench, sdk, v.time}); !ok {
			continue
		}
		sdks = append(sdks, sdk)
		for _, u := range units {
			if t, ok := res.median(key{bench, sdk, u}); ok && t > 0 {
				lo, hi = min(lo, t), max(hi, t)
			}
		}
	}
	if len(sdks) == 0 || hi == 0 {
		return y
	}
	// Whole decades around the values, so that grid lines fall on 1, 10,
	// 100...
	dlo, dhi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if dhi == dlo {
		dhi++
	}
	x := func(t float64) float64 {
		return labelWidth + plotWidth*(math.Log10(t)-dlo)/(dhi-dlo)
	}
	title := v.title + " (" + v.time + ", log scale, lower is better)"
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="15" font-weight="bold">%s</text>`+"\n", 8, y+18, html.EscapeString(title))
	if v.cpu != "" {
		fmt.Fprintf(b, `<text x="%d" y="%d" fill="#555" font-size="12">%s</text>`+"\n", 8, y+34,
			"dark bar: wall-clock time; light bar: CPU time of the process")
	}
	top := y + panelTop + 8
	row := len(units)*barHeight + barGap
	bottom := top + len(sdks)*row
	for d := dlo; d <= dhi; d++ {
		gx := x(math.Pow(10, d))
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ccc"/>`+"\n", gx, top-6, gx, bottom)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>`+"\n",
			gx, top-10, html.EscapeString(duration(math.Pow(10, d))))
	}
	for i, sdk := range sdks {
		ry := top + i*row
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n",
			labelWidth-8, ry+len(units)*barHeight/2+5, html.EscapeString(sdk))
		for k, u := range units {
			t, ok := res.median(key{bench, sdk, u})
			if !ok || t <= 0 {
				continue
			}
			by := ry + k*barHeight
			fill := [2][2]string{{"#4b5563", "#9ca3af"}, {"#1d4ed8", "#93c5fd"}}[b2i(sdk == reference)][min(k, 1)]
			w := max(x(t)-labelWidth, 1)
			fmt.Fprintf(b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", labelWidth, by, w, barHeight-2, fill)
			label := duration(t)
			if r, ok := res.ratio(bench, sdk, u); ok && sdk != reference {
				label += fmt.Sprintf(" (%.1fx)", r)
			}
			fmt.Fprintf(b, `<text x="%.1f" y="%d" font-size="12">%s</text>`+"\n", labelWidth+w+6, by+barHeight/2+3, html.EscapeString(label))
		}
	}
	return bottom
}

// b2i returns 1 for true and 0 for false.
func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

// duration writes ns nanoseconds with a suitable unit.
func duration(ns float64) string {
	switch {
	case ns >= 1e6:
		return trim(ns/1e6) + " ms"
	case ns >= 1e3:
		return trim(ns/1e3) + " µs"
	default:
		return trim(ns) + " ns"
	}
}

// trim writes v with about three significant digits and no trailing
// zeros.
func trim(v float64) string {
	prec := 2
	switch {
	case v >= 100:
		prec = 0
	case v >= 10:
		prec = 1
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

package jsonlex

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestSpecial(t *testing.T) {
	t.Parallel()
	// special returns the index of the first byte of w that is not
	// plain, per specials, or 8.
	special := func(w uint64) int {
		if m := specials(w); m != 0 {
			return bits.TrailingZeros64(m) >> 3
		}
		return 8
	}
	slow := func(w uint64) int {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], w)
		for k, c := range b {
			if !plain[c] {
				return k
			}
		}
		return 8
	}
	r := rand.New(rand.NewPCG(1, 2))
	interesting := []byte{0, 0x1f, 0x20, 0x21, '"', '\\', 0x5b, 0x5d, 0x7f, 0x80, 0xff, 'a', 0x01, 0x02, 0x42}
	for range 200000 {
		var b [8]byte
		for k := range b {
			if r.IntN(3) == 0 {
				b[k] = byte(r.UintN(256))
			} else {
				b[k] = interesting[r.IntN(len(interesting))]
			}
		}
		if r.IntN(2) == 0 { // mostly plain words with one odd byte
			for k := range b {
				b[k] = 'a' + byte(r.IntN(26))
			}
			b[r.IntN(8)] = interesting[r.IntN(len(interesting))]
		}
		w := binary.LittleEndian.Uint64(b[:])
		if got, want := special(w), slow(w); got != want {
			t.Fatalf("special(%q) = %d, want %d", b, got, want)
		}
	}
	for c := range 256 {
		for pos := range 8 {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			w := binary.LittleEndian.Uint64(b)
			if got, want := special(w), slow(w); got != want {
				t.Fatalf("special(%q) = %d, want %d", b, got, want)
			}
		}
	}
}

func TestIndexQuote(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		b := make([]byte, r.IntN(30))
		for k := range b {
			b[k] = "ab\"\x00\xff!#"[r.IntN(7)]
		}
		i := 0
		if len(b) > 0 {
			i = r.IntN(len(b) + 1)
		}
		want := len(b)
		if k := strings.IndexByte(string(b[i:]), '"'); k >= 0 {
			want = i + k
		}
		if got := IndexQuote(b, i); got != want {
			t.Fatalf("IndexQuote(%q, %d) = %d, want %d", b, i, got, want)
		}
	}
}

// checkString checks ScanString and AppendUnquote against encoding/json on
// the JSON text s.
func checkString(t *testing.T, s string) {
	t.Helper()
	var want string
	wantErr := json.Unmarshal([]byte(s), &want) != nil || !strings.HasPrefix(s, `"`)
	s = strings.TrimRight(s, " \t\r\n")
	end, raw := ScanString([]byte(s), 0)
	if wantErr {
		if end == len(s) {
			t.Fatalf("ScanString(%q) = %d, want an error", s, end)
		}
		return
	}
	if end != len(s) {
		t.Fatalf("ScanString(%q) = %d, want %d", s, end, len(s))
	}
	content := s[1 : len(s)-1]
	if raw && content != want {
		t.Fatalf("ScanString(%q) says raw, but the value is %q", s, want)
	}
	if got := string(AppendUnquote(nil, []byte(content))); got != want {
		t.Fatalf("AppendUnquote(%q) = %q, want %q", content, got, want)
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		`""`, `"a"`, `"abcdefghijklmnopqrstuvwxyz"`, `"é"`, "\"\xff\"", "\"a\xffb\xc3\"", "\"\xed\xa0\x80\"",
		`"\""`, `"\\"`, `"\/"`, `"\b\f\n\r\t"`, `"\u0041"`, `"\u00e9"`, `"\ud83d\ude00"`, `"\ud83d"`,
		`"\ude00"`, `"\ud83dx"`, `"\ud83d\u0041"`, `"\ud83d\ud83d\ude00"`, `"\ude00\ud83d"`, `"\uD83D\uDE00"`,
		`"\u"`, `"\u12"`, `"\u12g4"`, `"\x"`, `"\'"`, "\"\x01\"", "\"a\nb\"", `"abc`, `"\`, `"`,
		`"0123456789abcdef\"0123456789"`, "\"0123456789abcdef\xe2\x82\xac0123456789\"", `"\uFFFD"`, `"\ufffe"`,
		"\"0123456789abcdef\xff0123456789abcdefg\"", `"0123456789abcdefgh\u00e90123456789abcdefgh\n"`, `"01234567\\89abcdef"`,
	} {
		checkString(t, s)
	}
}

func TestParseInt(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want int64
		end  int
		ok   bool
	}{
		{"0", 0, 1, true}, {"-0", 0, 2, true}, {"12,", 12, 2, true}, {"-42}", -42, 3, true},
		{"123456789012345678", 123456789012345678, 18, true}, {"1234567890123456789", 0, 0, false},
		{"12345678", 12345678, 8, true}, {"123456789,", 123456789, 9, true}, {"98765432109876543]", 98765432109876543, 17, true},
		{"1234567890123456", 1234567890123456, 16, true}, {"-1711500000}", -1711500000, 11, true}, {"00000000", 0, 0, false},
		{"12345678.5", 0, 0, false}, {"1234567e", 0, 0, false}, {"1234567890123456789012345", 0, 0, false},
		{"01", 0, 0, false}, {"1.0", 0, 0, false}, {"1e3", 0, 0, false}, {"1E3", 0, 0, false},
		{"-", 0, 0, false}, {"", 0, 0, false}, {"+1", 0, 0, false}, {"- 1", 0, 0, false}, {"x", 0, 0, false},
	} {
		v, end, ok := ParseInt([]byte(tt.in), 0)
		if ok != tt.ok || ok && (v != tt.want || end != tt.end) {
			t.Errorf("ParseInt(%q) = %d, %d, %v; want %d, %d, %v", tt.in, v, end, ok, tt.want, tt.end, tt.ok)
		}
		if ok {
			if n, err := strconv.ParseInt(tt.in[:end], 10, 64); err != nil || n != v {
				t.Errorf("ParseInt(%q) disagrees with strconv: %d, %v", tt.in, n, err)
			}
		}
	}
}

// checkValue checks SkipValue against json.Valid on s.
func checkValue(t *testing.T, s string) {
	t.Helper()
	end := SkipValue([]byte(s), 0)
	valid := end >= 0 && len(strings.Trim(s[end:], " \t\r\n")) == 0
	if valid && !json.Valid([]byte(s)) {
		t.Fatalf("SkipValue(%q) = %d, but it is not valid JSON", s, end)
	}
	if !valid && json.Valid([]byte(s)) && depth(s) <= MaxDepth {
		t.Fatalf("SkipValue(%q) = %d, but it is valid JSON", s, end)
	}
}

// depth is how deeply arrays and objects nest in the valid JSON text s.
func depth(s string) int {
	d, m := 0, 0
	inString, esc := false, false
	for _, c := range []byte(s) {
		switch {
		case esc:
			esc = false
		case inString && c == '\\':
			esc = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			d++
			m = max(m, d)
		case c == '}' || c == ']':
			d--
		}
	}
	return m
}

func TestSkipValue(t *testing.T) {
	t.Parallel()
	for _, s := range seeds {
		checkValue(t, s)
	}
	deep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if SkipValue([]byte(deep), 0) != len(deep) {
		t.Errorf("SkipValue rejects %d nested arrays", MaxDepth)
	}
	deeper := "[" + deep + "]"
	if SkipValue([]byte(deeper), 0) != -1 {
		t.Errorf("SkipValue accepts %d nested arrays", MaxDepth+1)
	}
	if got := SkipValue([]byte(` {"a":1} ,`), 0); got != 8 {
		t.Errorf("SkipValue stops at %d, want 8", got)
	}
}

var seeds = []string{
	`null`, `true`, `false`, `nul`, `nulll`, `tru`, `0`, `-0`, `-`, `01`, `1.`, `1.5`, `1e`, `1e+`, `1e+5`, `1E-5`,
	`-1.5e10`, `""`, `"\u00e9"`, `[]`, `[ ]`, `[1,]`, `[,1]`, `[1 2]`, `[1,2]`, `{}`, `{ }`, `{"a"}`, `{"a":}`,
	`{"a":1,}`, `{"a":1 "b":2}`, `{"a":[{"b":{"c":[]}}],"d":"e"}`, `{1:2}`, `{"a":1]`, `[1}`, `[[[]]]`, `[[[]]`,
	`{"a":{"b":{"c":null}}}`, ` [ 1 , { "x" : [ true , false ] } ] `, `"abc`, `[`, `{`, `{"a":1`, "[\"\x00\"]",
	"[\"\xff\"]", "[1]\x00", `[1]x`,
}

func FuzzLex(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkValue(t, s)
		if strings.HasPrefix(s, `"`) {
			checkString(t, s)
		}
		if v, end, ok := ParseInt([]byte(s), 0); ok {
			if n, err := strconv.ParseInt(s[:end], 10, 64); err != nil || n != v {
				t.Fatalf("ParseInt(%q) = %d, strconv says %d, %v", s, v, n, err)
			}
			if !json.Valid([]byte(s[:end])) {
				t.Fatalf("ParseInt(%q) accepts invalid JSON", s)
			}
		}
		if end := SkipNumber([]byte(s), 0); end >= 0 && !json.Valid([]byte(s[:end])) {
			t.Fatalf("SkipNumber(%q) accepts invalid JSON", s)
		}
		_ = AppendUnquote(nil, []byte(s))
	})
}

package jsonlex

import (
	"bytes"
	"math/big"
	"strconv"
	"strings"
	"testing"
)

// TestKeyTableMatch checks that KeyTable.match finds the keys it should
// and only those, and agrees with member and lookup.
func TestKeyTableMatch(t *testing.T) {
	t.Parallel()
	tables := []*KeyTable{
		NewKeyTable("id", "object", "created", "model", "system_fingerprint", "service_tier", "choices", "usage", "error"),
		NewKeyTable("index", "delta", "finish_reason", "logprobs"),
		NewKeyTable("role", "content", "refusal", "reasoning_content", "reasoning", "tool_calls", "images"),
		NewKeyTable("name", "arguments"),
		NewKeyTable("prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details", "completion_tokens_details"),
		NewKeyTable("reasoning_tokens", "audio_tokens", "accepted_prediction_tokens", "rejected_prediction_tokens"),
	}
	for _, table := range tables {
		for want, name := range table.Names() {
			for _, tail := range []string{`0,"more":1}`, `  null}`, `}`, "\n", ``} {
				in := []byte(`"` + name + `":` + tail)
				k, value := table.match(in, 0)
				wantValue := len(name) + 3 + len(tail) - len(strings.TrimLeft(tail, " \n"))
				if wantValue >= len(in) {
					wantValue = -1
				}
				if k >= 0 && (k != want || value != wantValue) {
					t.Errorf("match(%q) = %d, %d; want %d, %d", in, k, value, want, wantValue)
				}
				if size := len(name) + 3; k < 0 && size <= 24 && len(in) >= (size+7)/8*8 {
					t.Errorf("match(%q) does not match", in)
				}
				if key, j := member(in, 0); j != wantValue || j >= 0 && table.lookup(key) != want {
					t.Errorf("member(%q) = %q, %d; want %d", in, key, j, wantValue)
				}
			}
			for _, near := range []string{name[:len(name)-1], name + "x", "x" + name, strings.ToUpper(name), name + `\"`, name + `"`} {
				in := []byte(`"` + near + `":0,"id":"x","index":0}`)
				if k, _ := table.match(in, 0); k >= 0 {
					t.Errorf("match(%q) = %d, want no match", in, k)
				}
			}
			if k, _ := table.match([]byte(`"`+name+`" :0}                        `), 0); k >= 0 {
				t.Errorf("match matches a key with a space before its colon")
			}
		}
	}
}

// FuzzParseIntegral checks ParseIntegral against math/big on any input:
// it accepts exactly the JSON numbers whose value is an integer in the
// int64 range, and returns that value.
func FuzzParseIntegral(f *testing.F) {
	for _, s := range []string{"0", "-0", "1", "100.0", "1e2", "1.00E+2", "1.5", "1e-1", "10e-1", "9223372036854775807",
		"-9223372036854775808", "9223372036854775808", "1e18", "1e19", "0.0e99999", "1.7115e9", "01", "1.", "-", "1e", "12x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) >= 400 {
			return // the oracle would be slow
		}
		v, end, ok := ParseIntegral(b, 0)
		// The oracle: a whole valid JSON number, read exactly.
		valid := SkipNumber(b, 0) == len(b) && len(b) > 0
		var want big.Rat
		wantOK := valid && (!bytes.ContainsAny(b, "eE") || exponentSmall(b))
		if wantOK {
			_, wantOK = want.SetString(string(b))
		} else if valid {
			// A huge exponent: only zero is an int64.
			mant := b[:bytes.IndexAny(b, "eE")]
			wantOK = len(bytes.Trim(mant, "-0.")) == 0
		}
		wantOK = wantOK && want.IsInt() && want.Num().IsInt64()
		if end != len(b) && ok {
			return // a number followed by other text: only the prefix counts
		}
		if ok != wantOK {
			t.Fatalf("ParseIntegral(%q) ok = %v, want %v", b, ok, wantOK)
		}
		if ok && v != want.Num().Int64() {
			t.Fatalf("ParseIntegral(%q) = %d, want %s", b, v, want.Num())
		}
	})
}

// exponentSmall reports whether the exponent of the number b is small
// enough for math/big to expand it quickly.
func exponentSmall(b []byte) bool {
	e := bytes.IndexAny(b, "eE")
	x, err := strconv.Atoi(strings.TrimPrefix(string(b[e+1:]), "+"))
	return err == nil && x > -1000 && x < 1000
}

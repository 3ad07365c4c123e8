package jsonlex

import (
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

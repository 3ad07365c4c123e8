package localserver_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aione/aione-go/internal/localserver"
)

func TestSample(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		schema string
		want   string
	}{
		{"nil", `null`, `null`},
		{"string", `{"type":"string"}`, `"sample"`},
		{"enum", `{"type":"string","enum":["b","a"]}`, `"b"`},
		{"const", `{"const":7}`, `7`},
		{"formats", `{"type":"object","properties":{"d":{"type":"string","format":"date-time"},"e":{"type":"string","format":"email"},"u":{"type":"string","format":"uuid"}}}`,
			`{"d":"2024-03-27T00:00:00Z","e":"sample@example.com","u":"00000000-0000-4000-8000-000000000000"}`},
		{"minLength", `{"type":"string","minLength":8}`, `"samplexx"`},
		{"integer bounds", `{"type":"object","properties":{"a":{"type":"integer","minimum":5},"b":{"type":"integer","maximum":0},"c":{"type":"number","exclusiveMinimum":1}}}`, `{"a":5,"b":0,"c":2}`},
		{"boolean and null", `{"type":"array","prefixItems":[{"type":"boolean"},{"type":"null"}]}`, `[true,null]`},
		{"array", `{"type":"array","items":{"type":"number"}}`, `[1]`},
		{"array minItems", `{"type":"array","items":{"type":"integer"},"minItems":3}`, `[1,1,1]`},
		{"array without items", `{"type":"array"}`, `["sample"]`},
		{"nullable type list", `{"type":["null","integer"]}`, `1`},
		{"anyOf skips null", `{"anyOf":[{"type":"null"},{"type":"boolean"}]}`, `true`},
		{"oneOf", `{"oneOf":[{"type":"integer"},{"type":"string"}]}`, `1`},
		{"allOf merges", `{"allOf":[{"type":"object","properties":{"a":{"type":"string"}}},{"properties":{"b":{"type":"boolean"}}}]}`, `{"a":"sample","b":true}`},
		{"untyped object", `{"properties":{"x":{}}}`, `{"x":"sample"}`},
		{"nested", `{"type":"object","properties":{"items":{"type":"array","items":{"type":"object","properties":{"id":{"type":"integer"},"tags":{"type":"array","items":{"type":"string","enum":["t1"]}}}}}}}`,
			`{"items":[{"id":1,"tags":["t1"]}]}`},
		{"refs", `{"type":"object","properties":{"p":{"$ref":"#/$defs/point"},"q":{"$ref":"#/definitions/n"}},"$defs":{"point":{"type":"object","properties":{"x":{"type":"number"}}}},"definitions":{"n":{"type":"integer"}}}`,
			`{"p":{"x":1},"q":1}`},
		{"recursive ref stops", `{"type":"object","properties":{"child":{"$ref":"#"}}}`, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var schema any
			if err := json.Unmarshal([]byte(tt.schema), &schema); err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(localserver.Sample(schema))
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				return // only checks that it terminates
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tt.want), &w); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("Sample(%s) (-want +got):\n%s", tt.schema, diff)
			}
		})
	}
}

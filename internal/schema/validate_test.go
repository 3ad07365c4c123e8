package schema

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

type Weather struct {
	Location string         `json:"location" jsonschema:"minLength=1"`
	Unit     string         `json:"unit,omitempty" enum:"celsius,fahrenheit"`
	Days     uint8          `json:"days" jsonschema:"maximum=14"`
	Hours    []int          `json:"hours,omitempty" jsonschema:"maxItems=2"`
	Coords   *Coords        `json:"coords,omitempty"`
	When     time.Time      `json:"when,omitzero"`
	Blob     []byte         `json:"blob,omitempty"`
	Code     string         `json:"code,omitempty" jsonschema:"pattern=^[A-Z]+$"`
	Extra    map[string]int `json:"extra,omitempty"`
}

type Coords struct {
	Lat float64 `json:"lat" jsonschema:"minimum=-90,maximum=90"`
	Lon float64 `json:"lon"`
}

type Plan struct {
	Title string     `json:"title"`
	Note  *string    `json:"note,omitempty"`
	Level *int       `json:"level,omitempty" enum:"1,2"`
	Steps []PlanStep `json:"steps"`
	Next  *Plan      `json:"next,omitempty"`
}

type PlanStep struct {
	Name string `json:"name"`
}

func mustSchema(t *testing.T, typ reflect.Type, opts Options) json.RawMessage {
	t.Helper()
	s, err := For(typ, opts)
	noErr(t, err)
	return s
}

func TestValidate(t *testing.T) {
	t.Parallel()
	weather := mustSchema(t, reflect.TypeFor[Weather](), Options{})
	plan := mustSchema(t, reflect.TypeFor[Plan](), strict)
	tests := []struct {
		name   string
		schema json.RawMessage
		data   string
		want   string // "" for a document that fits
	}{
		{"weather minimal", weather, `{"location":"Paris","days":3}`, ""},
		{"weather full", weather, `{"location":"Paris","unit":"celsius","days":14,"hours":[1,2],"coords":{"lat":-90,"lon":2.5},"when":"2024-01-02T03:04:05+01:00","blob":"aGk=","code":"ABC","extra":{"a":1},"unknown":true}`, ""},
		{"weather missing", weather, `{"days":3}`, "schema: $.location: missing required property"},
		{"weather optional null", weather, `{"location":"Paris","days":3,"coords":null,"unit":null,"hours":null}`, ""},
		{"weather required null", weather, `{"location":null,"days":3}`, "schema: $.location: expected string, got null"},
		{"weather wrong type", weather, `{"location":5,"days":3}`, "schema: $.location: expected string, got integer"},
		{"weather short", weather, `{"location":"","days":3}`, "schema: $.location: string is shorter than the minimum length 1"},
		{"weather enum", weather, `{"location":"x","days":3,"unit":"kelvin"}`, `schema: $.unit: "kelvin" is not one of ["celsius", "fahrenheit"]`},
		{"weather negative uint", weather, `{"location":"x","days":-1}`, "schema: $.days: -1 is less than the minimum 0"},
		{"weather maximum", weather, `{"location":"x","days":15}`, "schema: $.days: 15 is greater than the maximum 14"},
		{"weather fraction", weather, `{"location":"x","days":1.5}`, "schema: $.days: expected integer, got number"},
		{"weather exponent", weather, `{"location":"x","days":1e1}`, "schema: $.days: expected integer, got number"},
		{"weather items", weather, `{"location":"x","days":1,"hours":[1,"2"]}`, "schema: $.hours[1]: expected integer, got string"},
		{"weather max items", weather, `{"location":"x","days":1,"hours":[1,2,3]}`, "schema: $.hours: array has 3 items, more than the maximum 2"},
		{"weather nested", weather, `{"location":"x","days":1,"coords":{"lat":91,"lon":0}}`, "schema: $.coords.lat: 91 is greater than the maximum 90"},
		{"weather nested missing", weather, `{"location":"x","days":1,"coords":{"lat":1}}`, "schema: $.coords.lon: missing required property"},
		{"weather date-time", weather, `{"location":"x","days":1,"when":"yesterday"}`, `schema: $.when: "yesterday" is not an RFC 3339 date-time`},
		{"weather base64", weather, `{"location":"x","days":1,"blob":"!!"}`, "schema: $.blob: string is not valid base64"},
		{"weather pattern", weather, `{"location":"x","days":1,"code":"abc"}`, `schema: $.code: "abc" does not match the pattern "^[A-Z]+$"`},
		{"weather map value", weather, `{"location":"x","days":1,"extra":{"a b":"x"}}`, `schema: $.extra["a b"]: expected integer, got string`},
		{"weather not object", weather, `[1]`, "schema: $: expected object, got array"},
		{"plan ok", plan, `{"title":"t","note":null,"level":null,"steps":[{"name":"a"}],"next":{"title":"u","note":"n","level":2,"steps":[],"next":null}}`, ""},
		{"plan missing nullable", plan, `{"title":"t","level":null,"steps":[],"next":null}`, "schema: $.note: missing required property"},
		{"plan extra", plan, `{"title":"t","note":null,"level":null,"steps":[],"next":null,"x":1}`, "schema: $.x: unexpected property"},
		{"plan nullable enum", plan, `{"title":"t","note":null,"level":3,"steps":[],"next":null}`, "schema: $.level: 3 is not one of [1, 2]"},
		{"plan nullable wrong type", plan, `{"title":"t","note":7,"level":null,"steps":[],"next":null}`, "schema: $.note: expected string or null, got integer"},
		{"plan recursive", plan, `{"title":"t","note":null,"level":null,"steps":[],"next":{"title":"u","note":null,"level":null,"steps":[{}],"next":null}}`, "schema: $.next.steps[0].name: missing required property"},
		{"plan ref wrong type", plan, `{"title":"t","note":null,"level":null,"steps":[],"next":"x"}`, "schema: $.next: string does not match any of the allowed schemas"},
		{"boolean schema true", json.RawMessage(`true`), `{"a":[1,2]}`, ""},
		{"boolean schema false", json.RawMessage(`false`), `1`, "schema: $: no value is allowed here"},
		{"root ref", json.RawMessage(`{"type":"array","items":{"$ref":"#"}}`), `[[],[[]]]`, ""},
		{"root ref bad", json.RawMessage(`{"type":"array","items":{"$ref":"#"}}`), `[[],[1]]`, "schema: $[1][0]: expected array, got integer"},
		{"escaped ref", json.RawMessage(`{"$defs":{"a/b":{"type":"string"}},"$ref":"#/$defs/a~1b"}`), `1`, "schema: $: expected string, got integer"},
		{"numeric enum equality", json.RawMessage(`{"enum":[1,2.5]}`), `1.0`, ""},
		{"array enum", json.RawMessage(`{"enum":[[1,{"a":null}]]}`), `[1,{"a":null}]`, ""},
		{"array enum mismatch", json.RawMessage(`{"enum":[[1,{"a":null}]]}`), `[1,{"a":false}]`, "schema: $: array is not one of [array]"},
		{"unicode length", json.RawMessage(`{"type":"string","maxLength":2}`), `"héé"`, "schema: $: string is longer than the maximum length 2"},
		{"unicode length ok", json.RawMessage(`{"type":"string","maxLength":3}`), `"héé"`, ""},
		{"min items", json.RawMessage(`{"type":"array","minItems":1}`), `[]`, "schema: $: array has 0 items, fewer than the minimum 1"},
		{"anyOf all shallow", json.RawMessage(`{"anyOf":[{"type":"string"},{"type":"integer"}]}`), `true`, "schema: $: boolean does not match any of the allowed schemas"},
		{"unknown keywords ignored", json.RawMessage(`{"type":"string","title":"x","examples":[1]}`), `"s"`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Validate(tc.schema, []byte(tc.data))
			if tc.want == "" {
				checkNoErr(t, err, "data %s", tc.data)
				return
			}
			if err == nil {
				t.Fatalf("Validate(%s) = nil, want %q", tc.data, tc.want)
			}
			same(t, tc.want, err.Error())
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("error %T is not a *ValidationError", err)
			}
		})
	}
}

func TestValidateBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, schema, data, want string
	}{
		{"bad schema json", `{`, `1`, "schema: invalid schema JSON: "},
		{"bad data json", `{}`, `{"a":}`, "schema: invalid JSON document: "},
		{"trailing data", `{}`, `1 2`, "schema: invalid JSON document: unexpected data after the top-level value"},
		{"empty data", `{}`, ``, "schema: invalid JSON document: unexpected end of JSON input"},
		{"deep data", `{}`, strings.Repeat("[", 600) + strings.Repeat("]", 600), "schema: invalid JSON document: nested more than 512 levels deep"},
		{"schema not object", `"x"`, `1`, "schema: invalid schema: a schema must be an object or a boolean, found string"},
		{"bad type keyword", `{"type":5}`, `1`, "schema: invalid schema: type must be a string or an array of strings"},
		{"unknown type", `{"type":"float"}`, `1`, `schema: invalid schema: unknown type "float"`},
		{"bad enum", `{"enum":"a"}`, `1`, "schema: invalid schema: enum must be an array"},
		{"bad minimum", `{"minimum":"1"}`, `1`, "schema: invalid schema: minimum must be a number"},
		{"bad minLength", `{"minLength":-1}`, `"a"`, "schema: invalid schema: minLength must be a non-negative integer"},
		{"bad pattern", `{"pattern":"("}`, `"a"`, "schema: invalid schema: pattern \"(\" does not compile: "},
		{"bad properties", `{"properties":[]}`, `{}`, "schema: invalid schema: properties must be an object"},
		{"bad required", `{"required":[1]}`, `{}`, "schema: invalid schema: required must be an array of strings"},
		{"bad anyOf", `{"anyOf":[]}`, `1`, "schema: invalid schema: anyOf must be a non-empty array"},
		{"remote ref", `{"$ref":"http://example.com/s.json"}`, `1`, `schema: invalid schema: unsupported $ref "http://example.com/s.json"`},
		{"missing ref", `{"$ref":"#/$defs/Nope"}`, `1`, `schema: invalid schema: unresolvable $ref "#/$defs/Nope"`},
		{"ref cycle", `{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}`, `1`, "schema: validation too complex (recursive $ref or anyOf?)"},
		{"anyOf explosion", `{"anyOf":[{"$ref":"#"},{"$ref":"#"}]}`, `1`, "schema: validation too complex (recursive $ref or anyOf?)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Validate(json.RawMessage(tc.schema), []byte(tc.data))
			if err == nil {
				t.Fatalf("Validate = nil, want %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("Validate error = %q, want prefix %q", err, tc.want)
			}
			var ve *ValidationError
			if errors.As(err, &ve) {
				t.Errorf("error %q is a *ValidationError, want a plain error", err)
			}
		})
	}
}

// TestValidateAnyOfExponential makes sure a schema whose anyOf branches fail
// deep inside the document is cut off by the step budget instead of running
// for an exponential time.
func TestValidateAnyOfExponential(t *testing.T) {
	t.Parallel()
	s := `{"$defs":{"a":{"anyOf":[{"type":"array","items":{"$ref":"#/$defs/a"}},{"type":"array","items":{"$ref":"#/$defs/a"}}]}},"$ref":"#/$defs/a"}`
	data := strings.Repeat("[", 40) + "1" + strings.Repeat("]", 40)
	// The step budget, not the clock, bounds the work: the call must give
	// up with errTooComplex rather than explore 2^40 branches.
	err := Validate(json.RawMessage(s), []byte(data))
	if !errors.Is(err, errTooComplex) {
		t.Fatalf("Validate = %v, want errTooComplex", err)
	}
}

package schema

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func ptr[T any](v T) *T { return &v }

type goldenCase struct {
	name string
	typ  reflect.Type
	opts Options
	// samples are values whose encoding/json encoding must fit the schema.
	samples []any
}

var strict = Options{Strict: true}

func goldenCases() []goldenCase {
	flat := Flat{Bool: true, Int: -1, Uint64: 18446744073709551615, Float32: 1.5, String: "s", Named: 21.5}
	when := time.Date(2024, 5, 1, 12, 30, 0, 500, time.UTC)
	node := Node{Value: "root", Children: []Node{{Value: "a", Children: []Node{}}}, Index: map[string]*Node{"x": {Value: "x", Children: []Node{}}}}
	return []goldenCase{
		{name: "flat", typ: reflect.TypeFor[Flat](), samples: []any{Flat{}, flat}},
		{name: "strict_flat", typ: reflect.TypeFor[Flat](), opts: strict, samples: []any{Flat{}, flat}},
		{name: "optional", typ: reflect.TypeFor[Optional](), samples: []any{
			Optional{ForcedReq: ptr(1), Pointer: ptr(""), PtrPtr: ptr(ptr(int64(0)))},
			Optional{Required: "x", Pointer: ptr("p"), OmitEmpty: 3, OmitZero: true, ForcedReq: ptr(2), PtrPtr: ptr(ptr(int64(4))), OptionalSlice: []string{"a"}},
		}},
		{name: "strict_optional", typ: reflect.TypeFor[Optional](), opts: strict, samples: []any{
			Optional{Required: "x", Pointer: ptr("p"), OmitEmpty: 3, OmitZero: true, ForcedReq: ptr(2), OptionalSlice: []string{"a"}},
		}},
		{name: "annotated", typ: reflect.TypeFor[Annotated](), samples: []any{
			Annotated{City: "Paris", Unit: "celsius", Days: 3, Ratio: 0.5, Flag: true, Level: ptr(uint8(2)), Tags: []string{"a"}, Score: 1, Count: 5, Email: "a@b.c", Quoted: 7, QuotedB: ptr(true), QEnum: 2},
		}},
		{name: "strict_annotated", typ: reflect.TypeFor[Annotated](), opts: strict, samples: []any{
			Annotated{City: "Paris", Unit: "celsius", Days: 3, Ratio: 0.5, Flag: true, Level: ptr(uint8(2)), Tags: []string{"a"}, Score: 1, Count: 5, Email: "a@b.c", Quoted: 7, QuotedB: ptr(true), QEnum: 2},
		}},
		{name: "nested", typ: reflect.TypeFor[Nested](), samples: []any{Nested{}, Nested{Work: &Address{}}}},
		{name: "strict_nested", typ: reflect.TypeFor[Nested](), opts: strict, samples: []any{func() Nested {
			n := Nested{Work: &Address{City: "c"}}
			n.Anon.Y = 1
			return n
		}()}},
		{name: "collections", typ: reflect.TypeFor[Collections](), samples: []any{
			Collections{Strings: []string{"a"}, Matrix: [][]float64{{1, 2}}, Ptrs: []*Address{{}}, Structs: []Address{{}}, Named: StringList{"x"}, AnyItems: []any{1, "a", nil}},
		}},
		{name: "maps", typ: reflect.TypeFor[Maps](), samples: []any{
			Maps{Counts: map[string]int{"a": 1}, Nested: map[string]map[string]bool{"x": {"y": true}}, ByInt: map[int]string{1: "one"}, ByText: map[netip.Addr]Address{netip.MustParseAddr("10.0.0.1"): {}}},
		}},
		{name: "special", typ: reflect.TypeFor[Special](), samples: []any{
			&Special{When: when, WhenPtr: &when, Data: []byte("hello"), Raw: json.RawMessage(`{"a":[1]}`), Any: 3, Timeout: time.Second, Addr: netip.MustParseAddr("::1"), Custom: Custom{V: 5}, Text: Text{V: "t"}},
		}},
		{name: "strict_special", typ: reflect.TypeFor[Special](), opts: strict, samples: []any{
			&Special{When: when, WhenPtr: &when, Data: []byte("hello"), Raw: json.RawMessage(`{"a":[1]}`), Any: 3, Timeout: time.Second, Addr: netip.MustParseAddr("::1"), Custom: Custom{V: 5}, Text: Text{V: "t"}},
		}},
		{name: "embedded", typ: reflect.TypeFor[Embedded](), samples: []any{
			Embedded{}, Embedded{Meta: &Meta{Labels: []string{"l"}}},
		}},
		{name: "strict_embedded", typ: reflect.TypeFor[Embedded](), opts: strict, samples: []any{
			Embedded{Meta: &Meta{Labels: []string{"l"}}},
		}},
		{name: "recursive", typ: reflect.TypeFor[Recursive](), samples: []any{
			Recursive{Root: node, Other: &node, Expr: Expr{Terms: []Term{{Factor: &Expr{Terms: []Term{{Value: 1}}}}}}},
		}},
		{name: "recursive_root", typ: reflect.TypeFor[*Node](), samples: []any{node}},
		{name: "strict_recursive", typ: reflect.TypeFor[StrictNode](), opts: strict, samples: []any{
			StrictNode{
				Name: "a", Children: []StrictNode{}, Trees: []Tree[Extra]{},
				Next: &StrictNode{Children: []StrictNode{}, Trees: []Tree[Extra]{{Kids: []Tree[Extra]{}}}, Tree: Tree[int]{Kids: []Tree[int]{}}},
				Tree: Tree[int]{Value: 1, Kids: []Tree[int]{{Value: 2, Kids: []Tree[int]{}}}},
			},
		}},
		{name: "recursive_map", typ: reflect.TypeFor[JSONValue](), samples: []any{JSONValue{"a": {"b": {}}}}},
		{name: "toplevel_slice", typ: reflect.TypeFor[[]Address](), samples: []any{[]Address{{}}, []Address{}}},
		{name: "toplevel_string", typ: reflect.TypeFor[string](), samples: []any{"x"}},
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := For(tc.typ, tc.opts)
			noErr(t, err)
			var pretty bytes.Buffer
			noErr(t, json.Indent(&pretty, got, "", "  "))
			pretty.WriteByte('\n')
			file := filepath.Join("testdata", tc.name+".golden")
			if *update {
				noErr(t, os.WriteFile(file, pretty.Bytes(), 0o644))
			}
			want, err := os.ReadFile(file)
			noErr(t, err, "run go test -update to create the golden file")
			if diff := cmp.Diff(string(want), pretty.String()); diff != "" {
				t.Errorf("schema of %s mismatch (-want +got):\n%s", tc.typ, diff)
			}
			for i, s := range tc.samples {
				data, err := json.Marshal(s)
				noErr(t, err)
				checkNoErr(t, Validate(got, data), "sample %d: %s", i, data)
			}
		})
	}
}

// TestGoldenStrictShape checks the strict-mode invariants on every strict
// golden schema: each object forbids additional properties and requires all
// of its properties.
func TestGoldenStrictShape(t *testing.T) {
	t.Parallel()
	for _, tc := range goldenCases() {
		if !tc.opts.Strict {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := For(tc.typ, tc.opts)
			noErr(t, err)
			var v any
			noErr(t, json.Unmarshal(got, &v))
			checkStrict(t, "#", v)
		})
	}
}

func checkStrict(t *testing.T, at string, v any) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		if props, ok := v["properties"].(map[string]any); ok {
			same(t, any(false), v["additionalProperties"], "%s: additionalProperties", at)
			req, _ := v["required"].([]any)
			same(t, len(props), len(req), "%s: number of required properties", at)
		}
		for k, c := range v {
			checkStrict(t, at+"/"+k, c)
		}
	case []any:
		for _, c := range v {
			checkStrict(t, at+"/[]", c)
		}
	}
}

func TestSmallExample(t *testing.T) {
	t.Parallel()
	type Args struct {
		Location string  `json:"location" description:"City name."`
		Unit     *string `json:"unit,omitempty" enum:"celsius,fahrenheit"`
	}
	got, err := Of[Args](Options{})
	noErr(t, err)
	same(t, `{"type":"object","properties":{"location":{"type":"string","description":"City name."},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["location"]}`, string(got))

	got, err = Of[Args](Options{Strict: true})
	noErr(t, err)
	same(t, `{"type":"object","properties":{"location":{"type":"string","description":"City name."},"unit":{"anyOf":[{"type":"string","enum":["celsius","fahrenheit"]},{"type":"null"}]}},"required":["location","unit"],"additionalProperties":false}`, string(got))
}

func TestErrors(t *testing.T) {
	t.Parallel()
	type BadChan struct {
		C chan int `json:"c"`
	}
	type BadFunc struct{ F func() }
	type BadComplex64 struct{ C complex64 }
	type BadComplex128 struct{ C complex128 }
	type BadUnsafe struct{ P unsafe.Pointer }
	type Inner struct {
		Deep []map[string]chan int `json:"deep"`
	}
	type BadNested struct {
		Items []Inner `json:"items"`
	}
	type BadMapKey struct {
		M map[Address]int `json:"m"`
	}
	type BadArrayKey struct {
		M map[[2]int]int `json:"m"`
	}
	type BadFloatKey struct {
		M map[float64]int `json:"m"`
	}
	type WithMap struct {
		Meta map[string]string `json:"meta"`
	}
	type WithNestedMap struct {
		Inner struct {
			Counts map[string]int `json:"counts"`
		} `json:"inner"`
	}
	type BadEnumInt struct {
		N int `enum:"1,x"`
	}
	type BadEnumRange struct {
		N int8 `enum:"1,300"`
	}
	type BadEnumUint struct {
		N uint `enum:"-1"`
	}
	type BadEnumFloat struct {
		N float64 `enum:"abc"`
	}
	type BadEnumBool struct {
		B bool `enum:"yes"`
	}
	type BadEnumStruct struct {
		A Address `enum:"a"`
	}
	type BadEnumAny struct {
		A any `enum:"a"`
	}
	type EmptyEnum struct {
		S string `enum:""`
	}
	type DupEnum struct {
		S string `enum:"a,b,a"`
	}
	type UnknownOption struct {
		S string `jsonschema:"minLen=3"`
	}
	type UnknownFlag struct {
		S string `jsonschema:"nullable"`
	}
	type PatternComma struct {
		S string `jsonschema:"pattern=^a{1,3}$"`
	}
	type BadPattern struct {
		S string `jsonschema:"pattern=("`
	}
	type MinimumOnString struct {
		S string `jsonschema:"minimum=1"`
	}
	type MinLengthOnInt struct {
		N int `jsonschema:"minLength=1"`
	}
	type MinItemsOnString struct {
		S string `jsonschema:"minItems=1"`
	}
	type BadMinimum struct {
		N int `jsonschema:"minimum=abc"`
	}
	type HexMinimum struct {
		N int `jsonschema:"minimum=0x10"`
	}
	type NegativeLength struct {
		S string `jsonschema:"maxLength=-1"`
	}
	type MissingValue struct {
		S string `jsonschema:"pattern"`
	}
	type RequiredValue struct {
		S string `jsonschema:"required=true"`
	}
	type BothFlags struct {
		S string `jsonschema:"required,optional"`
	}
	type DupOption struct {
		S string `jsonschema:"minLength=1,minLength=2"`
	}
	type MinAboveMax struct {
		N int `jsonschema:"minimum=5,maximum=1"`
	}
	type LengthsSwapped struct {
		S string `jsonschema:"minLength=5,maxLength=1"`
	}
	type EmptyFormat struct {
		S string `jsonschema:"format="`
	}
	type RefConstraint struct {
		N *Node `jsonschema:"minLength=1"`
	}
	tests := []struct {
		name string
		typ  reflect.Type
		opts Options
		want string
	}{
		{"chan", reflect.TypeFor[BadChan](), Options{}, "schema: field BadChan.C: unsupported type chan int (kind chan)"},
		{"func", reflect.TypeFor[BadFunc](), Options{}, "schema: field BadFunc.F: unsupported type func() (kind func)"},
		{"complex64", reflect.TypeFor[BadComplex64](), Options{}, "schema: field BadComplex64.C: unsupported type complex64 (kind complex64)"},
		{"complex128", reflect.TypeFor[BadComplex128](), Options{}, "schema: field BadComplex128.C: unsupported type complex128 (kind complex128)"},
		{"unsafe pointer", reflect.TypeFor[BadUnsafe](), Options{}, "schema: field BadUnsafe.P: unsupported type unsafe.Pointer (kind unsafe.Pointer)"},
		{"nested path", reflect.TypeFor[BadNested](), Options{}, "schema: field BadNested.Items[].Deep[][]: unsupported type chan int (kind chan)"},
		{"top-level chan", reflect.TypeFor[chan int](), Options{}, "schema: type chan int: unsupported type chan int (kind chan)"},
		{"top-level slice of func", reflect.TypeFor[[]func()](), Options{}, "schema: type []func()[]: unsupported type func() (kind func)"},
		{"nil type", nil, Options{}, "schema: nil type"},
		{"struct map key", reflect.TypeFor[BadMapKey](), Options{}, "schema: field BadMapKey.M: unsupported map key type schema.Address in map[schema.Address]int (keys must be strings, integers or implement encoding.TextMarshaler)"},
		{"array map key", reflect.TypeFor[BadArrayKey](), Options{}, "schema: field BadArrayKey.M: unsupported map key type [2]int in map[[2]int]int (keys must be strings, integers or implement encoding.TextMarshaler)"},
		{"float map key", reflect.TypeFor[BadFloatKey](), Options{}, "schema: field BadFloatKey.M: unsupported map key type float64 in map[float64]int (keys must be strings, integers or implement encoding.TextMarshaler)"},
		{"strict map", reflect.TypeFor[WithMap](), strict, "schema: field WithMap.Meta: maps (map[string]string) are not allowed in strict mode; use a struct or a slice of key/value structs"},
		{"strict nested map", reflect.TypeFor[WithNestedMap](), strict, "schema: field WithNestedMap.Inner.Counts: maps (map[string]int) are not allowed in strict mode; use a struct or a slice of key/value structs"},
		{"strict top-level map", reflect.TypeFor[map[string]int](), strict, "schema: type map[string]int: maps (map[string]int) are not allowed in strict mode; use a struct or a slice of key/value structs"},
		{"strict recursive map", reflect.TypeFor[JSONValue](), strict, "schema: type JSONValue: maps (schema.JSONValue) are not allowed in strict mode; use a struct or a slice of key/value structs"},
		{"enum int", reflect.TypeFor[BadEnumInt](), Options{}, `schema: field BadEnumInt.N: enum: value "x" is not a valid int`},
		{"enum range", reflect.TypeFor[BadEnumRange](), Options{}, `schema: field BadEnumRange.N: enum: value "300" is not a valid int8`},
		{"enum uint", reflect.TypeFor[BadEnumUint](), Options{}, `schema: field BadEnumUint.N: enum: value "-1" is not a valid uint`},
		{"enum float", reflect.TypeFor[BadEnumFloat](), Options{}, `schema: field BadEnumFloat.N: enum: value "abc" is not a valid float64`},
		{"enum bool", reflect.TypeFor[BadEnumBool](), Options{}, `schema: field BadEnumBool.B: enum: value "yes" is not a valid bool (true or false)`},
		{"enum struct", reflect.TypeFor[BadEnumStruct](), Options{}, `schema: field BadEnumStruct.A: enum: not supported for object (type schema.Address)`},
		{"enum any", reflect.TypeFor[BadEnumAny](), Options{}, `schema: field BadEnumAny.A: enum: not supported for any value (type interface {})`},
		{"enum empty", reflect.TypeFor[EmptyEnum](), Options{}, `schema: field EmptyEnum.S: enum: tag is empty`},
		{"enum duplicate", reflect.TypeFor[DupEnum](), Options{}, `schema: field DupEnum.S: enum: duplicate value "a"`},
		{"unknown option", reflect.TypeFor[UnknownOption](), Options{}, `schema: field UnknownOption.S: jsonschema: unknown option "minLen=3"`},
		{"unknown flag", reflect.TypeFor[UnknownFlag](), Options{}, `schema: field UnknownFlag.S: jsonschema: unknown option "nullable"`},
		{"pattern comma", reflect.TypeFor[PatternComma](), Options{}, `schema: field PatternComma.S: jsonschema: unknown option "3}$" (a pattern cannot contain commas)`},
		{"bad pattern", reflect.TypeFor[BadPattern](), Options{}, "schema: field BadPattern.S: jsonschema: pattern \"(\": does not compile: error parsing regexp: missing closing ): `(`"},
		{"minimum on string", reflect.TypeFor[MinimumOnString](), Options{}, `schema: field MinimumOnString.S: jsonschema: minimum needs an integer or number field, not string`},
		{"minLength on int", reflect.TypeFor[MinLengthOnInt](), Options{}, `schema: field MinLengthOnInt.N: jsonschema: minLength needs a string field, not integer`},
		{"minItems on string", reflect.TypeFor[MinItemsOnString](), Options{}, `schema: field MinItemsOnString.S: jsonschema: minItems and maxItems need a slice or array field, not string`},
		{"bad minimum", reflect.TypeFor[BadMinimum](), Options{}, `schema: field BadMinimum.N: jsonschema: minimum "abc": is not a JSON number`},
		{"hex minimum", reflect.TypeFor[HexMinimum](), Options{}, `schema: field HexMinimum.N: jsonschema: minimum "0x10": is not a JSON number`},
		{"negative length", reflect.TypeFor[NegativeLength](), Options{}, `schema: field NegativeLength.S: jsonschema: maxLength "-1": is not a non-negative integer`},
		{"missing value", reflect.TypeFor[MissingValue](), Options{}, `schema: field MissingValue.S: jsonschema: option "pattern" needs a value (pattern=...)`},
		{"flag with value", reflect.TypeFor[RequiredValue](), Options{}, `schema: field RequiredValue.S: jsonschema: required "true": takes no value`},
		{"both flags", reflect.TypeFor[BothFlags](), Options{}, `schema: field BothFlags.S: jsonschema: required and optional are mutually exclusive`},
		{"duplicate option", reflect.TypeFor[DupOption](), Options{}, `schema: field DupOption.S: jsonschema: duplicate option "minLength"`},
		{"min above max", reflect.TypeFor[MinAboveMax](), Options{}, `schema: field MinAboveMax.N: jsonschema: minimum 5 is greater than maximum 1`},
		{"lengths swapped", reflect.TypeFor[LengthsSwapped](), Options{}, `schema: field LengthsSwapped.S: jsonschema: minLength 5 is greater than maxLength 1`},
		{"empty format", reflect.TypeFor[EmptyFormat](), Options{}, `schema: field EmptyFormat.S: jsonschema: format "": is empty`},
		{"constraint on ref", reflect.TypeFor[RefConstraint](), Options{}, `schema: field RefConstraint.N: jsonschema: minLength needs a string field, not a $ref to Node`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := For(tc.typ, tc.opts)
			if err == nil {
				t.Fatalf("For(%v) = %s, want an error", tc.typ, got)
			}
			if got != nil {
				t.Errorf("For(%v) returned a schema with its error", tc.typ)
			}
			same(t, tc.want, err.Error())
			// Errors are cached like results and stay the same.
			_, err2 := For(tc.typ, tc.opts)
			same(t, tc.want, err2.Error())
		})
	}
}

func TestDeterminism(t *testing.T) {
	t.Parallel()
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			first, err := generate(tc.typ, tc.opts)
			noErr(t, err)
			const workers = 8
			results := make([][]byte, workers)
			var wg sync.WaitGroup
			for i := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// Alternate between the uncached generator and the cache.
					var b []byte
					var err error
					if i%2 == 0 {
						b, err = generate(tc.typ, tc.opts)
					} else {
						b, err = For(tc.typ, tc.opts)
					}
					checkNoErr(t, err)
					results[i] = b
				}()
			}
			wg.Wait()
			for i, r := range results {
				if diff := cmp.Diff(string(first), string(r)); diff != "" {
					t.Errorf("run %d differs (-first +run):\n%s", i, diff)
				}
			}
		})
	}
}

func TestCacheReturnsCopies(t *testing.T) {
	t.Parallel()
	a, err := Of[Address](Options{})
	noErr(t, err)
	want := string(a)
	for i := range a {
		a[i] = 'x'
	}
	b, err := Of[Address](Options{})
	noErr(t, err)
	same(t, want, string(b))
	if _, ok := cache.Load(cacheKey{t: reflect.TypeFor[Address](), opts: Options{}}); !ok {
		t.Error("result is not cached")
	}
}

func TestPropertyOrder(t *testing.T) {
	t.Parallel()
	type Z struct {
		Zeta  int `json:"zeta"`
		Alpha int `json:"alpha"`
		Mid   int `json:"mid"`
	}
	got, err := Of[Z](Options{})
	noErr(t, err)
	s := string(got)
	z, a, m := strings.Index(s, `"zeta"`), strings.Index(s, `"alpha"`), strings.Index(s, `"mid"`)
	if z >= a || a >= m {
		t.Errorf("properties are not in declaration order: %s", s)
	}
}

func TestDefNames(t *testing.T) {
	t.Parallel()
	g := &generator{used: map[string]bool{}}
	same(t, "Node", g.defName(reflect.TypeFor[Node]()))
	same(t, "Node2", g.defName(reflect.TypeFor[Node]()))
	same(t, "Tree_int", g.defName(reflect.TypeFor[Tree[int]]()))
	same(t, "Tree_Extra", g.defName(reflect.TypeFor[Tree[Extra]]()))
	same(t, "Tree_map_string_Tree_Addr", g.defName(reflect.TypeFor[Tree[map[string]Tree[netip.Addr]]]()))
}

// TestMatchesEncodingJSON checks that the property names of the embedded
// case are exactly the keys encoding/json produces.
func TestMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	v := Embedded{Meta: &Meta{}}
	data, err := json.Marshal(v)
	noErr(t, err)
	var doc map[string]any
	noErr(t, json.Unmarshal(data, &doc))
	got, err := For(reflect.TypeOf(v), Options{})
	noErr(t, err)
	var s struct {
		Properties map[string]any `json:"properties"`
	}
	noErr(t, json.Unmarshal(got, &s))
	var docKeys, schemaKeys []string
	for k := range doc {
		docKeys = append(docKeys, k)
	}
	for k := range s.Properties {
		schemaKeys = append(schemaKeys, k)
	}
	slices.Sort(docKeys)
	slices.Sort(schemaKeys)
	same(t, docKeys, schemaKeys)
}

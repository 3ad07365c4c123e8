package schema

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzValidate checks that Validate never panics, whatever the schema and
// document, and that a rejected document always gets an error message.
func FuzzValidate(f *testing.F) {
	for _, typ := range []reflect.Type{
		reflect.TypeFor[Weather](), reflect.TypeFor[Plan](), reflect.TypeFor[Recursive](),
		reflect.TypeFor[Annotated](), reflect.TypeFor[Special](),
	} {
		for _, opts := range []Options{{}, strict} {
			s, err := For(typ, opts)
			if err != nil {
				continue
			}
			f.Add([]byte(s), []byte(`{"location":"x","days":1,"title":"t","steps":[{"name":"a"}]}`))
			f.Add([]byte(s), []byte(`{}`))
		}
	}
	f.Add([]byte(`{"anyOf":[{"$ref":"#"},{"type":"null"}]}`), []byte(`[null]`))
	f.Add([]byte(`{"$defs":{"a":{"items":{"$ref":"#/$defs/a"}}},"$ref":"#/$defs/a"}`), []byte(`[[[]]]`))
	f.Add([]byte(`{"type":["string","null"],"pattern":"^a+$","minLength":1}`), []byte(`"aa"`))
	f.Add([]byte(`{"enum":[1,"a",null,[true],{"x":1.5e3}]}`), []byte(`{"x":1500}`))
	f.Add([]byte(`true`), []byte(`1`))
	f.Fuzz(func(t *testing.T, schema, data []byte) {
		err := Validate(json.RawMessage(schema), data)
		if err != nil && err.Error() == "" {
			t.Fatal("empty error message")
		}
	})
}

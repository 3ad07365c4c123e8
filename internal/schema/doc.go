// Package schema derives JSON Schemas from Go types and checks JSON documents
// against them.
//
// The SDK uses it to describe the parameters of an LLM function tool and the
// response_format of type json_schema ("Structured Outputs"). [For] and [Of]
// turn a Go type into a schema; [Validate] reports whether a JSON document
// (tool arguments or a structured response) fits such a schema, with a JSON
// path to the first mismatch.
//
// # Output
//
// Generated schemas are deterministic: the same type and [Options] always
// produce byte-identical JSON. Object properties appear in struct declaration
// order (with embedded structs flattened at the position of the embedded
// field), and keywords appear in a fixed order. Results are cached per type
// and options, so each schema is built once per process.
//
// # Mapping
//
// Field names, skipped fields and embedded structs follow encoding/json: the
// json tag names a field, `json:"-"` and unexported fields are skipped,
// embedded structs (and pointers to structs) without a json name are
// flattened with the same dominance rules as encoding/json, and the
// `json:",string"` option turns a number or bool into a string.
//
// Types map as follows:
//
//   - bool: boolean; integers: integer (unsigned integers add "minimum": 0);
//     floats: number; strings: string.
//   - []byte (a slice whose element kind is uint8): string with
//     "contentEncoding": "base64". Byte arrays stay arrays, as in encoding/json.
//   - time.Time: string with "format": "date-time".
//   - time.Duration: integer; unless the field has a description, the schema
//     gets the description "A duration in nanoseconds.".
//   - json.RawMessage, interface types and other types implementing
//     json.Marshaler: {} (any JSON value).
//   - Other types implementing encoding.TextMarshaler: string.
//   - Slices: array with "items"; arrays also get minItems = maxItems = length.
//   - Maps with string, integer or encoding.TextMarshaler keys: object with
//     "additionalProperties" set to the value schema. Maps are rejected in
//     strict mode.
//   - Structs: object with "properties" and "required" in declaration order;
//     in strict mode also "additionalProperties": false.
//   - Pointers: the schema of the element type (see Required below).
//   - Named types recurse through their underlying type. Channels, functions,
//     complex numbers and unsafe.Pointer are errors.
//
// A named type that contains itself (directly or through slices, maps,
// pointers or other types) is placed once in the top-level "$defs" under a
// unique name derived from its Go name, and referenced with
// "$ref": "#/$defs/Name". When the top-level type itself is recursive, the
// top level is its object schema inline and "$defs" holds a copy for the
// references.
//
// # Required and nullable
//
// Outside strict mode a property is required unless its json tag has
// omitempty or omitzero, its type is a pointer, or it is promoted through an
// embedded pointer (encoding/json omits those fields when the pointer is nil).
// The tag `jsonschema:"required"` or `jsonschema:"optional"` overrides this.
//
// In strict mode ([Options.Strict], OpenAI Structured Outputs) every object
// lists all of its properties in "required" and sets
// "additionalProperties": false, and a property that would be optional is
// made nullable instead: a plain type becomes e.g. ["string","null"], while
// enums and $refs become "anyOf": [{...}, {"type": "null"}]. A schema that
// already accepts any value ({}) is left as is.
//
// # Tags
//
// Besides json, these struct tags are read:
//
//   - description:"text" sets "description".
//   - enum:"a,b,c" sets "enum". Values are split on commas and trimmed, then
//     converted to the field's kind: strings for string fields (and for
//     fields encoded as strings), integers for integer fields (checked against
//     the field's size and sign), numbers for float fields, and true/false for
//     bool fields. On a slice or array field the enum applies to the items.
//     Values therefore cannot contain commas.
//   - jsonschema:"..." is a comma-separated list of the flags required and
//     optional and of key=value options: minimum and maximum (numbers, for
//     integer and number fields), minLength, maxLength, pattern and format
//     (for string fields) and minItems and maxItems (for slice and array
//     fields). Because the list is split on commas, a pattern cannot contain a
//     comma, so counted repetitions such as {2,5} cannot be written.
//     Patterns must compile with Go's regexp package.
//
// Constraints apply to the field's schema after pointers are dereferenced. A
// malformed tag is an error naming the field, such as
// "schema: field Weather.Unit: enum: ...".
//
// # Validate
//
// [Validate] implements the practical subset of JSON Schema that [For]
// produces: type (including type arrays), properties, required,
// additionalProperties, items, enum, anyOf, $ref into the same document
// (such as "#/$defs/Name" or "#"), minimum, maximum, minLength, maxLength,
// pattern, minItems, maxItems, format "date-time" and contentEncoding
// "base64". Other keywords are ignored. "integer" accepts only numbers written
// without a fraction or exponent, matching what encoding/json decodes into a
// Go integer.
package schema

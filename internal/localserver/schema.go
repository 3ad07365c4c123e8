package localserver

import (
	"math"
	"sort"
	"strings"
)

// maxSampleDepth bounds the recursion of Sample, for recursive schemas.
const maxSampleDepth = 16

// Sample returns a deterministic instance of the JSON schema schema (as
// decoded by encoding/json), the one the server uses for tool arguments and
// json_schema answers:
//
//   - const, then the first enum value, when present;
//   - the first branch of anyOf or oneOf, and the merged branches of allOf;
//   - local references ("#", "#/$defs/..." and "#/definitions/...");
//   - strings are "sample" (or a fixed value for the formats date-time,
//     date, time, email, uri, url and uuid, padded to minLength);
//   - numbers and integers are 1, moved into [minimum, maximum];
//   - booleans are true and null is nil;
//   - arrays hold one item (or minItems items);
//   - objects hold every property, recursively.
//
// A schema without a type is an object when it has properties, an array
// when it has items, and a string otherwise. A nil or non-object schema
// gives nil.
func Sample(schema any) any {
	return sampleOf(schema, schema, 0)
}

func sampleOf(root, schema any, depth int) any {
	m, ok := schema.(map[string]any)
	if !ok || depth > maxSampleDepth {
		return nil
	}
	if ref, ok := m["$ref"].(string); ok {
		return sampleOf(root, resolveRef(root, ref), depth+1)
	}
	if c, ok := m["const"]; ok {
		return c
	}
	if e, ok := m["enum"].([]any); ok && len(e) > 0 {
		return e[0]
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		if branches, ok := m[key].([]any); ok && len(branches) > 0 {
			return sampleOf(root, firstNonNull(branches), depth+1)
		}
	}
	if branches, ok := m["allOf"].([]any); ok && len(branches) > 0 {
		var merged map[string]any
		var last any
		for _, b := range branches {
			v := sampleOf(root, b, depth+1)
			if obj, ok := v.(map[string]any); ok {
				if merged == nil {
					merged = map[string]any{}
				}
				for k, val := range obj {
					merged[k] = val
				}
			}
			last = v
		}
		if _, hasProps := m["properties"]; !hasProps {
			if merged != nil {
				return merged
			}
			return last
		}
	}

	switch schemaType(m) {
	case "object":
		obj := map[string]any{}
		props, _ := m["properties"].(map[string]any)
		keys := make([]string, 0, len(props))
		for k := range props {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			obj[k] = sampleOf(root, props[k], depth+1)
		}
		if branches, ok := m["allOf"].([]any); ok {
			for _, b := range branches {
				if extra, ok := sampleOf(root, b, depth+1).(map[string]any); ok {
					for k, v := range extra {
						if _, exists := obj[k]; !exists {
							obj[k] = v
						}
					}
				}
			}
		}
		return obj
	case "array":
		count := 1
		if n, ok := m["minItems"].(float64); ok && n > 1 {
			count = int(math.Min(n, 16))
		}
		items := m["items"]
		if prefix, ok := m["prefixItems"].([]any); ok && len(prefix) > 0 {
			out := make([]any, 0, len(prefix))
			for _, p := range prefix {
				out = append(out, sampleOf(root, p, depth+1))
			}
			return out
		}
		out := make([]any, count)
		for i := range out {
			out[i] = sampleOf(root, items, depth+1)
			if out[i] == nil && items == nil {
				out[i] = "sample"
			}
		}
		return out
	case "integer":
		return int(math.Ceil(sampleNumber(m)))
	case "number":
		return sampleNumber(m)
	case "boolean":
		return true
	case "null":
		return nil
	default:
		return sampleString(m)
	}
}

// schemaType returns the type of a schema, choosing the first non-null
// type of a type list and guessing a missing type.
func schemaType(m map[string]any) string {
	switch t := m["type"].(type) {
	case string:
		return t
	case []any:
		for _, v := range t {
			if s, ok := v.(string); ok && s != "null" {
				return s
			}
		}
		if len(t) > 0 {
			return "null"
		}
	}
	if _, ok := m["properties"]; ok {
		return "object"
	}
	if _, ok := m["items"]; ok {
		return "array"
	}
	if _, ok := m["prefixItems"]; ok {
		return "array"
	}
	return "string"
}

// firstNonNull returns the first branch that is not {"type":"null"}.
func firstNonNull(branches []any) any {
	for _, b := range branches {
		if m, ok := b.(map[string]any); ok && m["type"] == "null" {
			continue
		}
		return b
	}
	return branches[0]
}

func sampleNumber(m map[string]any) float64 {
	v := 1.0
	if lo, ok := m["minimum"].(float64); ok && v < lo {
		v = lo
	}
	if lo, ok := m["exclusiveMinimum"].(float64); ok && v <= lo {
		v = lo + 1
	}
	if hi, ok := m["maximum"].(float64); ok && v > hi {
		v = hi
	}
	if hi, ok := m["exclusiveMaximum"].(float64); ok && v >= hi {
		v = hi - 1
	}
	return v
}

func sampleString(m map[string]any) string {
	s := "sample"
	switch m["format"] {
	case "date-time":
		s = "2024-03-27T00:00:00Z"
	case "date":
		s = "2024-03-27"
	case "time":
		s = "00:00:00Z"
	case "email":
		s = "sample@example.com"
	case "uri", "url":
		s = "https://example.com/sample"
	case "uuid":
		s = "00000000-0000-4000-8000-000000000000"
	}
	if n, ok := m["minLength"].(float64); ok && float64(len(s)) < n {
		s += strings.Repeat("x", int(math.Min(n, 4096))-len(s))
	}
	return s
}

// resolveRef resolves a local JSON pointer reference against root.
func resolveRef(root any, ref string) any {
	if ref == "#" {
		return root
	}
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	cur := root
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[tok]
	}
	return cur
}

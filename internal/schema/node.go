package schema

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// node is an ordered, in-memory JSON Schema. Its MarshalJSON writes the
// keywords in a fixed order and properties in declaration order, so the
// output is deterministic.
type node struct {
	// never, when true, makes the node the boolean schema false.
	never bool

	ref             string
	types           []string
	description     string
	enum            []string // JSON literals
	format          string
	contentEncoding string
	minimum         string // JSON number literal, "" when unset
	maximum         string // JSON number literal, "" when unset
	minLength       *int
	maxLength       *int
	pattern         string
	items           *node
	minItems        *int
	maxItems        *int
	isObject        bool // emit "properties" even when empty
	properties      []named
	required        []string
	emitRequired    bool // emit "required" even when empty
	additional      *node
	anyOf           []*node
	defs            []named
}

// named is a schema with its name: a property, or an entry of $defs.
type named struct {
	name   string
	schema *node
}

// writeNamed writes list as a JSON object of schemas, in its order.
func writeNamed(buf *bytes.Buffer, list []named) {
	buf.WriteByte('{')
	for i, p := range list {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeString(buf, p.name)
		buf.WriteByte(':')
		p.schema.write(buf)
	}
	buf.WriteByte('}')
}

func intPtr(n int) *int { return &n }

// MarshalJSON implements json.Marshaler.
func (n *node) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	n.write(&buf)
	return buf.Bytes(), nil
}

// objectWriter writes the members of one JSON object.
type objectWriter struct {
	buf *bytes.Buffer
	n   int
}

func (w *objectWriter) key(k string) {
	if w.n > 0 {
		w.buf.WriteByte(',')
	}
	w.n++
	writeString(w.buf, k)
	w.buf.WriteByte(':')
}

func (w *objectWriter) str(k, v string) {
	if v == "" {
		return
	}
	w.key(k)
	writeString(w.buf, v)
}

func (w *objectWriter) raw(k, v string) {
	if v == "" {
		return
	}
	w.key(k)
	w.buf.WriteString(v)
}

func (w *objectWriter) integer(k string, v *int) {
	if v == nil {
		return
	}
	w.key(k)
	w.buf.WriteString(strconv.Itoa(*v))
}

func (w *objectWriter) strings(k string, vs []string) {
	w.key(k)
	w.buf.WriteByte('[')
	for i, v := range vs {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		writeString(w.buf, v)
	}
	w.buf.WriteByte(']')
}

func (n *node) write(buf *bytes.Buffer) {
	if n.never {
		buf.WriteString("false")
		return
	}
	buf.WriteByte('{')
	w := &objectWriter{buf: buf}
	w.str("$ref", n.ref)
	switch len(n.types) {
	case 0:
	case 1:
		w.str("type", n.types[0])
	default:
		w.strings("type", n.types)
	}
	w.str("description", n.description)
	if len(n.enum) > 0 {
		w.key("enum")
		buf.WriteByte('[')
		for i, v := range n.enum {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(v)
		}
		buf.WriteByte(']')
	}
	w.str("format", n.format)
	w.str("contentEncoding", n.contentEncoding)
	w.raw("minimum", n.minimum)
	w.raw("maximum", n.maximum)
	w.integer("minLength", n.minLength)
	w.integer("maxLength", n.maxLength)
	w.str("pattern", n.pattern)
	if n.items != nil {
		w.key("items")
		n.items.write(buf)
	}
	w.integer("minItems", n.minItems)
	w.integer("maxItems", n.maxItems)
	if n.isObject || len(n.properties) > 0 {
		w.key("properties")
		writeNamed(buf, n.properties)
	}
	if n.emitRequired || len(n.required) > 0 {
		w.strings("required", n.required)
	}
	if n.additional != nil {
		w.key("additionalProperties")
		n.additional.write(buf)
	}
	if len(n.anyOf) > 0 {
		w.key("anyOf")
		buf.WriteByte('[')
		for i, s := range n.anyOf {
			if i > 0 {
				buf.WriteByte(',')
			}
			s.write(buf)
		}
		buf.WriteByte(']')
	}
	if len(n.defs) > 0 {
		w.key("$defs")
		writeNamed(buf, n.defs)
	}
	buf.WriteByte('}')
}

// writeString writes s as a JSON string without HTML escaping, so patterns
// and descriptions stay readable.
func writeString(buf *bytes.Buffer, s string) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	// Encoding a string cannot fail.
	_ = enc.Encode(s)
	buf.Write(bytes.TrimSuffix(b.Bytes(), []byte{'\n'}))
}

// quote returns s as a JSON string literal.
func quote(s string) string {
	var buf bytes.Buffer
	writeString(&buf, s)
	return buf.String()
}

// nullable returns n changed so that it also accepts null.
func nullable(n *node) *node {
	switch {
	case n.never:
		return &node{types: []string{"null"}}
	case n.ref == "" && len(n.enum) == 0 && len(n.anyOf) == 0 && len(n.types) == 0:
		// {} already accepts null.
		return n
	case n.ref == "" && len(n.enum) == 0 && len(n.anyOf) == 0:
		for _, t := range n.types {
			if t == "null" {
				return n
			}
		}
		c := *n
		c.types = append(append([]string(nil), n.types...), "null")
		return &c
	case n.ref == "" && len(n.types) == 0 && len(n.enum) == 0:
		c := *n
		c.anyOf = append(append([]*node(nil), n.anyOf...), &node{types: []string{"null"}})
		return &c
	}
	inner := *n
	inner.description = ""
	return &node{
		description: n.description,
		anyOf:       []*node{&inner, {types: []string{"null"}}},
	}
}

package schema

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options controls how [For] builds a schema.
type Options struct {
	// Strict produces a schema valid for OpenAI strict mode: every object has
	// "additionalProperties": false and lists all of its properties in
	// "required"; a field that would be optional is made nullable instead
	// (its "type" becomes e.g. ["string","null"], and enums and $refs are
	// wrapped in "anyOf": [{...}, {"type": "null"}]). Maps with arbitrary
	// keys are not allowed in strict mode: For returns an error naming the
	// field path.
	Strict bool
}

// For returns the JSON Schema of t as compact JSON bytes.
//
// When t is a struct or a pointer to a struct, the top level is an object
// schema. For other types For returns their schema and leaves it to the
// caller to decide whether that is allowed. The result is deterministic and
// cached per type and options; the returned slice is a fresh copy that the
// caller may modify.
func For(t reflect.Type, opts Options) (json.RawMessage, error) {
	if t == nil {
		return nil, errors.New("schema: nil type")
	}
	key := cacheKey{t: t, opts: opts}
	if v, ok := cache.Load(key); ok {
		return v.(*cacheEntry).result()
	}
	data, err := generate(t, opts)
	v, _ := cache.LoadOrStore(key, &cacheEntry{data: data, err: err})
	return v.(*cacheEntry).result()
}

// Of returns the JSON Schema of T. It is For(reflect.TypeFor[T](), opts).
func Of[T any](opts Options) (json.RawMessage, error) {
	return For(reflect.TypeFor[T](), opts)
}

type cacheKey struct {
	t    reflect.Type
	opts Options
}

type cacheEntry struct {
	data []byte
	err  error
}

func (e *cacheEntry) result() (json.RawMessage, error) {
	if e.err != nil {
		return nil, e.err
	}
	return bytes.Clone(e.data), nil
}

// cache maps cacheKey to *cacheEntry.
var cache sync.Map

var (
	timeType          = reflect.TypeFor[time.Time]()
	durationType      = reflect.TypeFor[time.Duration]()
	rawMessageType    = reflect.TypeFor[json.RawMessage]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// durationDescription is the description of a time.Duration without one.
const durationDescription = "A duration in nanoseconds."

// errCycle reports that generation met a named type inside itself; the
// caller retries with that type moved to $defs.
var errCycle = errors.New("schema: internal: type cycle")

// generate builds the schema of t without the cache.
func generate(t reflect.Type, opts Options) ([]byte, error) {
	defTypes := map[reflect.Type]bool{}
	for {
		g := &generator{
			opts:     opts,
			defTypes: defTypes,
			defNames: map[reflect.Type]string{},
			used:     map[string]bool{},
			inline:   map[reflect.Type]bool{},
		}
		n, err := g.root(t)
		if errors.Is(err, errCycle) {
			if defTypes[g.cycle] {
				// Cannot happen: def types are never expanded inline twice.
				return nil, fmt.Errorf("schema: type %s: unresolvable type cycle", t)
			}
			defTypes[g.cycle] = true
			continue
		}
		if err != nil {
			return nil, err
		}
		return n.MarshalJSON()
	}
}

// generator builds one schema.
type generator struct {
	opts     Options
	defTypes map[reflect.Type]bool   // named types emitted in $defs
	defNames map[reflect.Type]string // def name of each emitted type
	used     map[string]bool         // def names in use
	defs     []named                 // $defs in order of first use
	inline   map[reflect.Type]bool   // named types being expanded inline
	cycle    reflect.Type            // the type that closed a cycle
}

// path locates a field for error messages.
type path struct {
	s     string
	field bool
}

func (p path) child(name string) path { return path{s: p.s + "." + name, field: true} }
func (p path) elem() path             { return path{s: p.s + "[]", field: p.field} }

func (g *generator) errorf(p path, format string, args ...any) error {
	what := "type"
	if p.field {
		what = "field"
	}
	return fmt.Errorf("schema: %s %s: %s", what, p.s, fmt.Sprintf(format, args...))
}

func (g *generator) root(t reflect.Type) (*node, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name := t.Name()
	if name == "" {
		name = t.String()
	}
	p := path{s: name}
	var n *node
	if g.defTypes[t] {
		// A recursive top-level type: inline its body and keep a copy in
		// $defs for the references to it.
		if _, err := g.ref(t, p); err != nil {
			return nil, err
		}
		for _, d := range g.defs {
			if d.name == g.defNames[t] {
				c := *d.schema
				n = &c
			}
		}
	} else {
		var err error
		if n, err = g.schema(t, p); err != nil {
			return nil, err
		}
		c := *n
		n = &c
	}
	n.defs = g.defs
	return n, nil
}

// implements reports whether t or *t implements iface.
func implements(t, iface reflect.Type) bool {
	return t.Implements(iface) || (t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(iface))
}

// schema returns a fresh schema node for t.
func (g *generator) schema(t reflect.Type, p path) (*node, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case timeType:
		return &node{types: []string{"string"}, format: "date-time"}, nil
	case durationType:
		return &node{types: []string{"integer"}, description: durationDescription}, nil
	case rawMessageType:
		return &node{}, nil
	}
	if t.Kind() == reflect.Interface || implements(t, jsonMarshalerType) {
		return &node{}, nil
	}
	if implements(t, textMarshalerType) {
		return &node{types: []string{"string"}}, nil
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Slice, reflect.Array, reflect.Map:
		if t.Name() != "" {
			if g.defTypes[t] {
				return g.ref(t, p)
			}
			if g.inline[t] {
				g.cycle = t
				return nil, errCycle
			}
			g.inline[t] = true
			defer delete(g.inline, t)
		}
	}
	return g.build(t, p)
}

// ref returns a $ref to the def of t, building the def on first use.
func (g *generator) ref(t reflect.Type, p path) (*node, error) {
	name, ok := g.defNames[t]
	if !ok {
		name = g.defName(t)
		g.defNames[t] = name
		i := len(g.defs)
		g.defs = append(g.defs, named{name: name})
		body, err := g.build(t, p)
		if err != nil {
			return nil, err
		}
		g.defs[i].schema = body
	}
	return &node{ref: "#/$defs/" + name}, nil
}

var (
	pkgQualifier = regexp.MustCompile(`(?:[\w.~-]+/)*[\w~-]+\.`)
	nonWord      = regexp.MustCompile(`[^A-Za-z0-9_]+`)
)

// defName returns a unique $defs name for t derived from its Go name, such
// as "Node" or "Tree_int" for Tree[int].
func (g *generator) defName(t reflect.Type) string {
	base := pkgQualifier.ReplaceAllString(t.Name(), "")
	base = strings.Trim(nonWord.ReplaceAllString(base, "_"), "_")
	if base == "" {
		base = "Type"
	}
	name := base
	for i := 2; g.used[name]; i++ {
		name = base + strconv.Itoa(i)
	}
	g.used[name] = true
	return name
}

// build returns the schema of t from its kind.
func (g *generator) build(t reflect.Type, p path) (*node, error) {
	switch t.Kind() {
	case reflect.Bool:
		return &node{types: []string{"boolean"}}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &node{types: []string{"integer"}}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return &node{types: []string{"integer"}, minimum: "0"}, nil
	case reflect.Float32, reflect.Float64:
		return &node{types: []string{"number"}}, nil
	case reflect.String:
		return &node{types: []string{"string"}}, nil
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !implements(t.Elem(), jsonMarshalerType) && !implements(t.Elem(), textMarshalerType) {
			return &node{types: []string{"string"}, contentEncoding: "base64"}, nil
		}
		items, err := g.schema(t.Elem(), p.elem())
		if err != nil {
			return nil, err
		}
		return &node{types: []string{"array"}, items: items}, nil
	case reflect.Array:
		items, err := g.schema(t.Elem(), p.elem())
		if err != nil {
			return nil, err
		}
		return &node{types: []string{"array"}, items: items, minItems: intPtr(t.Len()), maxItems: intPtr(t.Len())}, nil
	case reflect.Map:
		if g.opts.Strict {
			return nil, g.errorf(p, "maps (%s) are not allowed in strict mode; use a struct or a slice of key/value structs", t)
		}
		switch k := t.Key(); {
		case k.Kind() == reflect.String, implements(k, textMarshalerType):
		case k.Kind() >= reflect.Int && k.Kind() <= reflect.Uintptr:
		default:
			return nil, g.errorf(p, "unsupported map key type %s in %s (keys must be strings, integers or implement encoding.TextMarshaler)", k, t)
		}
		values, err := g.schema(t.Elem(), p.elem())
		if err != nil {
			return nil, err
		}
		return &node{types: []string{"object"}, additional: values}, nil
	case reflect.Struct:
		return g.object(t, p)
	}
	return nil, g.errorf(p, "unsupported type %s (kind %s)", t, t.Kind())
}

// object returns the object schema of the struct type t.
func (g *generator) object(t reflect.Type, p path) (*node, error) {
	n := &node{types: []string{"object"}, isObject: true, emitRequired: g.opts.Strict}
	for _, f := range fieldsOf(t) {
		fp := p.child(f.goPath)
		fn, required, err := g.field(f, fp)
		if err != nil {
			return nil, err
		}
		n.properties = append(n.properties, named{name: f.name, schema: fn})
		if required {
			n.required = append(n.required, f.name)
		}
	}
	if g.opts.Strict {
		n.additional = &node{never: true}
	}
	return n, nil
}

// field returns the schema of one struct field and whether it is required.
func (g *generator) field(f structField, p path) (*node, bool, error) {
	tags, err := parseTags(f.field)
	if err != nil {
		return nil, false, g.errorf(p, "%v", err)
	}
	t := f.typ
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var n *node
	if f.quoted && !implements(t, jsonMarshalerType) && !implements(t, textMarshalerType) {
		n = &node{types: []string{"string"}}
	} else if n, err = g.schema(t, p); err != nil {
		return nil, false, err
	}
	if err := applyTags(n, t, f.quoted, tags); err != nil {
		return nil, false, g.errorf(p, "%v", err)
	}
	if tags.description != "" {
		n.description = tags.description
	}
	optional := f.omit || f.typ.Kind() == reflect.Pointer || f.viaPtr
	switch {
	case tags.required:
		optional = false
	case tags.optional:
		optional = true
	}
	if !g.opts.Strict {
		return n, !optional, nil
	}
	if optional {
		n = nullable(n)
	}
	return n, true, nil
}

package schema

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"unicode"
)

// structField is one JSON-visible field of a struct, found the way
// encoding/json finds it.
type structField struct {
	name      string       // JSON name
	tagged    bool         // name came from the json tag
	index     []int        // index sequence for reflect.Value.FieldByIndex
	goPath    string       // Go selector path, such as "Base.ID"
	typ       reflect.Type // field type
	field     reflect.StructField
	omit      bool // omitempty or omitzero
	quoted    bool // ",string" applies
	viaPtr    bool // promoted through an embedded pointer
	anonymous bool
}

// jsonTag splits a json struct tag into its name and options.
func jsonTag(tag string) (name string, opts []string) {
	name, rest, _ := strings.Cut(tag, ",")
	if rest != "" {
		opts = strings.Split(rest, ",")
	}
	return name, opts
}

// validJSONName reports whether s can be used as a JSON name in a tag, with
// the same rules as encoding/json.
func validJSONName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
			// Backslash and quote chars are reserved, but otherwise any
			// punctuation chars are allowed in a tag name.
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

// fieldsOf returns the JSON-visible fields of the struct type t in the order
// encoding/json encodes them: declaration order, with embedded structs
// flattened at their position. Name conflicts are resolved like
// encoding/json: the shallowest field wins, then a tagged one; otherwise all
// conflicting fields are dropped.
func fieldsOf(t reflect.Type) []structField {
	type queued struct {
		typ    reflect.Type
		index  []int
		goPath string
		viaPtr bool
	}
	var (
		fields  []structField
		current []queued
		next    = []queued{{typ: t}}
		count   map[reflect.Type]int
		nextCnt = map[reflect.Type]int{}
		visited = map[reflect.Type]bool{}
	)
	for len(next) > 0 {
		current, next = next, current[:0]
		count, nextCnt = nextCnt, map[reflect.Type]int{}
		for _, q := range current {
			if visited[q.typ] {
				continue
			}
			visited[q.typ] = true
			for i := range q.typ.NumField() {
				sf := q.typ.Field(i)
				if sf.Anonymous {
					et := sf.Type
					if et.Kind() == reflect.Pointer {
						et = et.Elem()
					}
					if !sf.IsExported() && et.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts := jsonTag(tag)
				if !validJSONName(name) {
					name = ""
				}
				index := append(slices.Clip(q.index), i)
				goPath := sf.Name
				if q.goPath != "" {
					goPath = q.goPath + "." + sf.Name
				}
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if name != "" || !sf.Anonymous || ft.Kind() != reflect.Struct {
					f := structField{
						name:      name,
						tagged:    name != "",
						index:     index,
						goPath:    goPath,
						typ:       sf.Type,
						field:     sf,
						viaPtr:    q.viaPtr,
						anonymous: sf.Anonymous,
					}
					if f.name == "" {
						f.name = sf.Name
					}
					for _, o := range opts {
						switch o {
						case "omitempty", "omitzero":
							f.omit = true
						case "string":
							switch ft.Kind() {
							case reflect.Bool,
								reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
								reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
								reflect.Float32, reflect.Float64,
								reflect.String:
								f.quoted = true
							}
						}
					}
					fields = append(fields, f)
					if count[q.typ] > 1 {
						// The same struct was embedded more than once at
						// this depth: add a duplicate so that the conflict
						// resolution below drops the field.
						fields = append(fields, f)
					}
					continue
				}
				nextCnt[ft]++
				if nextCnt[ft] == 1 {
					next = append(next, queued{
						typ:    ft,
						index:  index,
						goPath: goPath,
						viaPtr: q.viaPtr || sf.Type.Kind() == reflect.Pointer,
					})
				}
			}
		}
	}

	// Sort by name, then depth, then tagged-first, then index, and keep the
	// dominant field of each name.
	slices.SortStableFunc(fields, func(a, b structField) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := cmp.Compare(len(a.index), len(b.index)); c != 0 {
			return c
		}
		if a.tagged != b.tagged {
			if a.tagged {
				return -1
			}
			return 1
		}
		return slices.Compare(a.index, b.index)
	})
	out := fields[:0]
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].name == fields[i].name {
			j++
		}
		group := fields[i:j]
		if len(group) == 1 || len(group[0].index) != len(group[1].index) || group[0].tagged != group[1].tagged {
			out = append(out, group[0])
		}
		i = j
	}
	slices.SortFunc(out, func(a, b structField) int { return slices.Compare(a.index, b.index) })
	return out
}

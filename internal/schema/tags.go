package schema

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

// fieldTags holds the schema-related struct tags of one field.
type fieldTags struct {
	description string
	enum        []string // nil when there is no enum tag
	required    bool     // jsonschema:"required"
	optional    bool     // jsonschema:"optional"
	minimum     string
	maximum     string
	minLength   *int
	maxLength   *int
	minItems    *int
	maxItems    *int
	pattern     string
	format      string
}

// jsonNumber matches the JSON number grammar.
var jsonNumber = regexp.MustCompile(`^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$`)

// parseTags reads the description, enum and jsonschema tags of sf.
func parseTags(sf reflect.StructField) (fieldTags, error) {
	var ft fieldTags
	ft.description = sf.Tag.Get("description")
	if v, ok := sf.Tag.Lookup("enum"); ok {
		if strings.TrimSpace(v) == "" {
			return ft, errors.New("enum: tag is empty")
		}
		seen := map[string]bool{}
		for _, e := range strings.Split(v, ",") {
			e = strings.TrimSpace(e)
			if seen[e] {
				return ft, fmt.Errorf("enum: duplicate value %q", e)
			}
			seen[e] = true
			ft.enum = append(ft.enum, e)
		}
	}
	v, ok := sf.Tag.Lookup("jsonschema")
	if !ok {
		return ft, nil
	}
	seen := map[string]bool{}
	last := ""
	for _, opt := range strings.Split(v, ",") {
		opt = strings.TrimSpace(opt)
		if opt == "" {
			continue
		}
		key, val, hasVal := strings.Cut(opt, "=")
		key = strings.TrimSpace(key)
		prev := last
		last = key
		if seen[key] {
			return ft, fmt.Errorf("jsonschema: duplicate option %q", key)
		}
		seen[key] = true
		if !hasVal {
			switch key {
			case "required":
				ft.required = true
			case "optional":
				ft.optional = true
			case "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "pattern", "format":
				return ft, fmt.Errorf("jsonschema: option %q needs a value (%s=...)", key, key)
			default:
				if prev == "pattern" {
					return ft, fmt.Errorf("jsonschema: unknown option %q (a pattern cannot contain commas)", opt)
				}
				return ft, fmt.Errorf("jsonschema: unknown option %q", opt)
			}
			continue
		}
		var err error
		switch key {
		case "minimum":
			ft.minimum, err = parseNumber(val)
		case "maximum":
			ft.maximum, err = parseNumber(val)
		case "minLength":
			ft.minLength, err = parseCount(val)
		case "maxLength":
			ft.maxLength, err = parseCount(val)
		case "minItems":
			ft.minItems, err = parseCount(val)
		case "maxItems":
			ft.maxItems, err = parseCount(val)
		case "pattern":
			if val == "" {
				err = errors.New("is empty")
			} else if _, cerr := regexp.Compile(val); cerr != nil {
				err = fmt.Errorf("does not compile: %v", cerr)
			}
			ft.pattern = val
		case "format":
			ft.format = strings.TrimSpace(val)
			if ft.format == "" {
				err = errors.New("is empty")
			}
		case "required", "optional":
			err = errors.New("takes no value")
		default:
			if prev == "pattern" {
				return ft, fmt.Errorf("jsonschema: unknown option %q (a pattern cannot contain commas)", opt)
			}
			return ft, fmt.Errorf("jsonschema: unknown option %q", opt)
		}
		if err != nil {
			return ft, fmt.Errorf("jsonschema: %s %q: %v", key, val, err)
		}
	}
	if ft.required && ft.optional {
		return ft, errors.New("jsonschema: required and optional are mutually exclusive")
	}
	if ft.minimum != "" && ft.maximum != "" {
		lo, _ := strconv.ParseFloat(ft.minimum, 64)
		hi, _ := strconv.ParseFloat(ft.maximum, 64)
		if lo > hi {
			return ft, fmt.Errorf("jsonschema: minimum %s is greater than maximum %s", ft.minimum, ft.maximum)
		}
	}
	for _, p := range []struct {
		name     string
		min, max *int
	}{{"Length", ft.minLength, ft.maxLength}, {"Items", ft.minItems, ft.maxItems}} {
		if p.min != nil && p.max != nil && *p.min > *p.max {
			return ft, fmt.Errorf("jsonschema: min%s %d is greater than max%s %d", p.name, *p.min, p.name, *p.max)
		}
	}
	return ft, nil
}

// parseNumber checks that s is a finite JSON number and returns it trimmed.
func parseNumber(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !jsonNumber.MatchString(s) {
		return "", errors.New("is not a JSON number")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return "", errors.New("is out of range")
	}
	return s, nil
}

// parseCount parses a non-negative integer.
func parseCount(s string) (*int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return nil, errors.New("is not a non-negative integer")
	}
	return &n, nil
}

// hasType reports whether n is a schema of exactly the JSON type name.
func hasType(n *node, name string) bool {
	return n.ref == "" && len(n.types) == 1 && n.types[0] == name
}

// applyTags applies the constraints of ft to n, the schema of the Go type t
// (pointers already removed). quoted reports a `json:",string"` field.
func applyTags(n *node, t reflect.Type, quoted bool, ft fieldTags) error {
	if ft.enum != nil {
		if err := applyEnum(n, t, quoted, ft.enum); err != nil {
			return fmt.Errorf("enum: %w", err)
		}
	}
	numeric := hasType(n, "integer") || hasType(n, "number")
	if ft.minimum != "" {
		if !numeric {
			return fmt.Errorf("jsonschema: minimum needs an integer or number field, not %s", describeType(n))
		}
		n.minimum = ft.minimum
	}
	if ft.maximum != "" {
		if !numeric {
			return fmt.Errorf("jsonschema: maximum needs an integer or number field, not %s", describeType(n))
		}
		n.maximum = ft.maximum
	}
	str := hasType(n, "string")
	for _, o := range []struct {
		name string
		set  bool
	}{
		{"minLength", ft.minLength != nil},
		{"maxLength", ft.maxLength != nil},
		{"pattern", ft.pattern != ""},
		{"format", ft.format != ""},
	} {
		if o.set && !str {
			return fmt.Errorf("jsonschema: %s needs a string field, not %s", o.name, describeType(n))
		}
	}
	if ft.minLength != nil {
		n.minLength = ft.minLength
	}
	if ft.maxLength != nil {
		n.maxLength = ft.maxLength
	}
	if ft.pattern != "" {
		n.pattern = ft.pattern
	}
	if ft.format != "" {
		n.format = ft.format
	}
	if (ft.minItems != nil || ft.maxItems != nil) && !hasType(n, "array") {
		return fmt.Errorf("jsonschema: minItems and maxItems need a slice or array field, not %s", describeType(n))
	}
	if ft.minItems != nil {
		n.minItems = ft.minItems
	}
	if ft.maxItems != nil {
		n.maxItems = ft.maxItems
	}
	return nil
}

// describeType names the JSON type of n for error messages.
func describeType(n *node) string {
	switch {
	case n.ref != "":
		return "a $ref to " + strings.TrimPrefix(n.ref, "#/$defs/")
	case len(n.types) == 1:
		return n.types[0]
	case len(n.types) > 1:
		return strings.Join(n.types, " or ")
	}
	return "any value"
}

// applyEnum sets the enum of n (or of its items for arrays) from the tag
// values, converting them to the kind of t.
func applyEnum(n *node, t reflect.Type, quoted bool, values []string) error {
	if hasType(n, "array") && n.items != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		et := t.Elem()
		for et.Kind() == reflect.Pointer {
			et = et.Elem()
		}
		return applyEnum(n.items, et, false, values)
	}
	lits := make([]string, len(values))
	for i, v := range values {
		var err error
		lits[i], err = enumLiteral(n, t, quoted, v)
		if err != nil {
			return err
		}
	}
	n.enum = lits
	return nil
}

func enumLiteral(n *node, t reflect.Type, quoted bool, v string) (string, error) {
	switch {
	case quoted || hasType(n, "string"):
		return quote(v), nil
	case hasType(n, "integer"):
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			i, err := strconv.ParseInt(v, 10, t.Bits())
			if err != nil {
				return "", fmt.Errorf("value %q is not a valid %s", v, t)
			}
			return strconv.FormatInt(i, 10), nil
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			u, err := strconv.ParseUint(v, 10, t.Bits())
			if err != nil {
				return "", fmt.Errorf("value %q is not a valid %s", v, t)
			}
			return strconv.FormatUint(u, 10), nil
		}
	case hasType(n, "number"):
		f, err := strconv.ParseFloat(v, t.Bits())
		if err != nil || !jsonNumber.MatchString(v) || math.IsInf(f, 0) {
			return "", fmt.Errorf("value %q is not a valid %s", v, t)
		}
		return v, nil
	case hasType(n, "boolean"):
		if v != "true" && v != "false" {
			return "", fmt.Errorf("value %q is not a valid bool (true or false)", v)
		}
		return v, nil
	}
	return "", fmt.Errorf("not supported for %s (type %s)", describeType(n), t)
}

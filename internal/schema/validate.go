package schema

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ValidationError describes where a JSON document does not fit a schema.
// [Validate] returns it for documents that parse but do not match.
type ValidationError struct {
	// Path is the JSON path of the offending value, such as "$.items[2].name".
	// For a missing property it is the path the property would have.
	Path string
	// Message says what is wrong, such as "missing required property".
	Message string
}

// Error returns "schema: " followed by the path and the message.
func (e *ValidationError) Error() string {
	return "schema: " + e.Path + ": " + e.Message
}

// Limits that keep Validate cheap on hostile schemas and documents.
const (
	maxSteps = 100_000 // schema/value pairs visited in one Validate call
	maxDepth = 10_000  // nested validation calls
)

// errTooComplex is returned when validation exceeds maxSteps or maxDepth.
var errTooComplex = errors.New("schema: validation too complex (recursive $ref or anyOf?)")

// Validate reports whether the JSON document data fits schema, a schema as
// produced by [For]. It supports a practical subset of JSON Schema: type
// (including type arrays such as ["string","null"]), properties, required,
// additionalProperties, items, enum, anyOf, $ref within the schema (such as
// "#/$defs/Name"), minimum, maximum, minLength, maxLength, pattern, minItems,
// maxItems, format "date-time" and contentEncoding "base64"; other keywords
// are ignored.
//
// A document that does not fit yields a *[ValidationError] describing the
// first mismatch with its JSON path, for example
// "schema: $.location: missing required property". An optional property
// given as null is accepted, as encoding/json would decode it like an absent
// one. Malformed JSON in either input, a malformed schema, or a validation
// that is too expensive yields another error.
func Validate(schema json.RawMessage, data []byte) error {
	s, err := decode(schema)
	if err != nil {
		return fmt.Errorf("schema: invalid schema JSON: %v", err)
	}
	d, err := decode(data)
	if err != nil {
		return fmt.Errorf("schema: invalid JSON document: %v", err)
	}
	v := &validator{root: s, regexps: map[string]*regexp.Regexp{}}
	return v.validate(s, d, "$", 0)
}

type validator struct {
	root    any
	steps   int
	regexps map[string]*regexp.Regexp
}

// schemaError reports a malformed schema.
func schemaError(format string, args ...any) error {
	return fmt.Errorf("schema: invalid schema: %s", fmt.Sprintf(format, args...))
}

func mismatch(path, format string, args ...any) error {
	return &ValidationError{Path: path, Message: fmt.Sprintf(format, args...)}
}

// isMismatch reports whether err is a document mismatch rather than a fatal
// error.
func isMismatch(err error) bool {
	var ve *ValidationError
	return errors.As(err, &ve)
}

func (v *validator) validate(s, d any, path string, depth int) error {
	v.steps++
	if v.steps > maxSteps || depth > maxDepth {
		return errTooComplex
	}
	var so *object
	switch s := s.(type) {
	case bool:
		if !s {
			return mismatch(path, "no value is allowed here")
		}
		return nil
	case *object:
		so = s
	default:
		return schemaError("a schema must be an object or a boolean, found %s", kindOf(s))
	}

	if r, ok := so.get("$ref"); ok {
		ref, ok := r.(string)
		if !ok {
			return schemaError("$ref must be a string")
		}
		target, err := v.resolve(ref)
		if err != nil {
			return err
		}
		if err := v.validate(target, d, path, depth+1); err != nil {
			return err
		}
	}
	if t, ok := so.get("type"); ok {
		if err := checkType(t, d, path); err != nil {
			return err
		}
	}
	if e, ok := so.get("enum"); ok {
		vals, ok := e.([]any)
		if !ok {
			return schemaError("enum must be an array")
		}
		found := false
		for _, ev := range vals {
			if equal(ev, d) {
				found = true
				break
			}
		}
		if !found {
			return mismatch(path, "%s is not one of %s", describe(d), describeList(vals))
		}
	}
	var err error
	switch d := d.(type) {
	case json.Number:
		err = v.number(so, d, path)
	case string:
		err = v.str(so, d, path)
	case []any:
		err = v.array(so, d, path, depth)
	case *object:
		err = v.object(so, d, path, depth)
	}
	if err != nil {
		return err
	}
	if a, ok := so.get("anyOf"); ok {
		return v.anyOf(a, d, path, depth)
	}
	return nil
}

// resolve finds the target of a $ref within the schema document.
func (v *validator) resolve(ref string) (any, error) {
	frag, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, schemaError("unsupported $ref %q (only references within the schema are supported)", ref)
	}
	frag, err := url.PathUnescape(frag)
	if err != nil {
		return nil, schemaError("bad $ref %q: %v", ref, err)
	}
	cur := v.root
	if frag == "" {
		return cur, nil
	}
	if !strings.HasPrefix(frag, "/") {
		return nil, schemaError("unsupported $ref %q", ref)
	}
	for _, tok := range strings.Split(frag[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case *object:
			next, ok := c.get(tok)
			if !ok {
				return nil, schemaError("unresolvable $ref %q", ref)
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, schemaError("unresolvable $ref %q", ref)
			}
			cur = c[i]
		default:
			return nil, schemaError("unresolvable $ref %q", ref)
		}
	}
	return cur, nil
}

// checkType checks d against the "type" keyword t.
func checkType(t, d any, path string) error {
	var names []string
	switch t := t.(type) {
	case string:
		names = []string{t}
	case []any:
		for _, n := range t {
			s, ok := n.(string)
			if !ok {
				return schemaError("type must be a string or an array of strings")
			}
			names = append(names, s)
		}
	default:
		return schemaError("type must be a string or an array of strings")
	}
	for _, n := range names {
		ok, err := hasJSONType(n, d)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return mismatch(path, "expected %s, got %s", strings.Join(names, " or "), kindOf(d))
}

func hasJSONType(name string, d any) (bool, error) {
	switch name {
	case "null":
		return d == nil, nil
	case "boolean":
		_, ok := d.(bool)
		return ok, nil
	case "string":
		_, ok := d.(string)
		return ok, nil
	case "number":
		_, ok := d.(json.Number)
		return ok, nil
	case "integer":
		n, ok := d.(json.Number)
		return ok && isInteger(n), nil
	case "object":
		_, ok := d.(*object)
		return ok, nil
	case "array":
		_, ok := d.([]any)
		return ok, nil
	}
	return false, schemaError("unknown type %q", name)
}

// isInteger reports whether n is written without a fraction or exponent.
func isInteger(n json.Number) bool {
	return !strings.ContainsAny(string(n), ".eE")
}

// kindOf names the JSON type of a decoded value.
func kindOf(d any) string {
	switch d := d.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if isInteger(d) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case *object:
		return "object"
	}
	return "unknown"
}

// describe renders a value for a message, shortened when long.
func describe(d any) string {
	var s string
	switch d := d.(type) {
	case nil:
		s = "null"
	case bool:
		s = strconv.FormatBool(d)
	case json.Number:
		s = string(d)
	case string:
		s = quote(d)
	case []any:
		return "array"
	case *object:
		return "object"
	default:
		return "value"
	}
	if len(s) > 64 {
		cut := 60
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

func describeList(vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = describe(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// equal compares two decoded JSON values; numbers compare by value.
func equal(a, b any) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case bool:
		bb, ok := b.(bool)
		return ok && a == bb
	case string:
		bs, ok := b.(string)
		return ok && a == bs
	case json.Number:
		bn, ok := b.(json.Number)
		if !ok {
			return false
		}
		if a == bn {
			return true
		}
		return toFloat(a) == toFloat(bn)
	case []any:
		ba, ok := b.([]any)
		if !ok || len(a) != len(ba) {
			return false
		}
		for i := range a {
			if !equal(a[i], ba[i]) {
				return false
			}
		}
		return true
	case *object:
		bo, ok := b.(*object)
		if !ok || len(a.keys) != len(bo.keys) {
			return false
		}
		for _, k := range a.keys {
			bv, ok := bo.get(k)
			if !ok || !equal(a.vals[k], bv) {
				return false
			}
		}
		return true
	}
	return false
}

// toFloat converts a JSON number; out-of-range values become ±Inf or 0.
func toFloat(n json.Number) float64 {
	f, _ := strconv.ParseFloat(string(n), 64)
	return f
}

// keywordNumber reads a numeric keyword of the schema.
func keywordNumber(so *object, key string) (float64, string, bool, error) {
	raw, ok := so.get(key)
	if !ok {
		return 0, "", false, nil
	}
	n, ok := raw.(json.Number)
	if !ok {
		return 0, "", false, schemaError("%s must be a number", key)
	}
	return toFloat(n), string(n), true, nil
}

// keywordCount reads a non-negative integer keyword of the schema.
func keywordCount(so *object, key string) (int, bool, error) {
	f, _, ok, err := keywordNumber(so, key)
	if err != nil || !ok {
		return 0, false, err
	}
	if f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		return 0, false, schemaError("%s must be a non-negative integer", key)
	}
	return int(f), true, nil
}

func (v *validator) number(so *object, d json.Number, path string) error {
	f := toFloat(d)
	if lo, raw, ok, err := keywordNumber(so, "minimum"); err != nil {
		return err
	} else if ok && f < lo {
		return mismatch(path, "%s is less than the minimum %s", d, raw)
	}
	if hi, raw, ok, err := keywordNumber(so, "maximum"); err != nil {
		return err
	} else if ok && f > hi {
		return mismatch(path, "%s is greater than the maximum %s", d, raw)
	}
	return nil
}

func (v *validator) str(so *object, d, path string) error {
	length := utf8.RuneCountInString(d)
	if lo, ok, err := keywordCount(so, "minLength"); err != nil {
		return err
	} else if ok && length < lo {
		return mismatch(path, "string is shorter than the minimum length %d", lo)
	}
	if hi, ok, err := keywordCount(so, "maxLength"); err != nil {
		return err
	} else if ok && length > hi {
		return mismatch(path, "string is longer than the maximum length %d", hi)
	}
	if p, ok := so.get("pattern"); ok {
		ps, ok := p.(string)
		if !ok {
			return schemaError("pattern must be a string")
		}
		re, ok := v.regexps[ps]
		if !ok {
			var err error
			if re, err = regexp.Compile(ps); err != nil {
				return schemaError("pattern %q does not compile: %v", ps, err)
			}
			v.regexps[ps] = re
		}
		if !re.MatchString(d) {
			return mismatch(path, "%s does not match the pattern %s", describe(d), quote(ps))
		}
	}
	if f, ok := so.get("format"); ok && f == "date-time" {
		if _, err := time.Parse(time.RFC3339Nano, d); err != nil {
			return mismatch(path, "%s is not an RFC 3339 date-time", describe(d))
		}
	}
	if e, ok := so.get("contentEncoding"); ok && e == "base64" {
		if _, err := base64.StdEncoding.DecodeString(d); err != nil {
			return mismatch(path, "string is not valid base64")
		}
	}
	return nil
}

func (v *validator) array(so *object, d []any, path string, depth int) error {
	if lo, ok, err := keywordCount(so, "minItems"); err != nil {
		return err
	} else if ok && len(d) < lo {
		return mismatch(path, "array has %d items, fewer than the minimum %d", len(d), lo)
	}
	if hi, ok, err := keywordCount(so, "maxItems"); err != nil {
		return err
	} else if ok && len(d) > hi {
		return mismatch(path, "array has %d items, more than the maximum %d", len(d), hi)
	}
	items, ok := so.get("items")
	if !ok {
		return nil
	}
	for i, e := range d {
		if err := v.validate(items, e, path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
			return err
		}
	}
	return nil
}

// identifier matches keys that can follow a dot in a JSON path.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func childPath(path, key string) string {
	if identifier.MatchString(key) {
		return path + "." + key
	}
	return path + "[" + quote(key) + "]"
}

func (v *validator) object(so *object, d *object, path string, depth int) error {
	var props *object
	if p, ok := so.get("properties"); ok {
		if props, ok = p.(*object); !ok {
			return schemaError("properties must be an object")
		}
	}
	required := map[string]bool{}
	if r, ok := so.get("required"); ok {
		req, ok := r.([]any)
		if !ok {
			return schemaError("required must be an array of strings")
		}
		for _, k := range req {
			ks, ok := k.(string)
			if !ok {
				return schemaError("required must be an array of strings")
			}
			if _, ok := d.get(ks); !ok {
				return mismatch(childPath(path, ks), "missing required property")
			}
			required[ks] = true
		}
	}
	additional, hasAdditional := so.get("additionalProperties")
	for _, k := range d.keys {
		var ps any
		found := false
		if props != nil {
			ps, found = props.get(k)
		}
		if !found {
			if !hasAdditional {
				continue
			}
			if b, ok := additional.(bool); ok && !b {
				return mismatch(childPath(path, k), "unexpected property")
			}
			ps = additional
		}
		if d.vals[k] == nil && found && !required[k] {
			// An optional property given as null decodes like an
			// absent one (encoding/json leaves the field alone), so it
			// is accepted whatever its schema.
			continue
		}
		if err := v.validate(ps, d.vals[k], childPath(path, k), depth+1); err != nil {
			return err
		}
	}
	return nil
}

// anyOf checks that d fits at least one of the schemas in a. When it fits
// none, the error of the one branch that matched d's type is reported if
// there is exactly one such branch, since that is usually the intended one.
func (v *validator) anyOf(a, d any, path string, depth int) error {
	branches, ok := a.([]any)
	if !ok || len(branches) == 0 {
		return schemaError("anyOf must be a non-empty array")
	}
	var deep []error
	for _, b := range branches {
		err := v.validate(b, d, path, depth+1)
		if err == nil {
			return nil
		}
		if !isMismatch(err) {
			return err
		}
		var ve *ValidationError
		if errors.As(err, &ve) && (ve.Path != path || !strings.HasPrefix(ve.Message, "expected ")) {
			deep = append(deep, err)
		}
	}
	if len(deep) == 1 {
		return deep[0]
	}
	return mismatch(path, "%s does not match any of the allowed schemas", kindOf(d))
}

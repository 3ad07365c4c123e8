package jsonlex

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unicode/utf8"
)

// Walking objects and arrays. A decoder is a set of [KeyTable]s and
// visitors: [Members] reads an object's keys and hands each member's value
// to a visitor, [Elements] hands each element of an array to one. Neither
// recurses: a visitor reads a nested value with another walk, and the
// depth of that is the depth of the decoder's types, never the input's
// ([SkipValue] skips whatever the decoder does not know, with a counter).
//
// A visitor reads the value at b[j] (a byte that is not white space) and
// returns the index just past it, or -1 to give up; the walk then returns
// -1. A walk gives up, too, on text that is not valid JSON, on a key
// repeated in an object (encoding/json keeps the last value, which a
// decoder writing as it reads cannot undo), and on a key a table does not
// name exactly but that encoding/json would match to one of its names
// (ignoring case, or with escapes): then the caller hands the input to
// encoding/json.

// KeyTable knows the keys of one kind of object: the JSON names of the
// fields a decoder reads. Make one with [NewKeyTable], at most 16 names.
type KeyTable struct {
	names []string
	// first[c] has bit k set if names[k] starts with the byte c and
	// keys[k] is its pattern (names longer than 21 bytes have none).
	first [256]uint16
	keys  [16]keyPattern
}

// keyPattern is `"name":` as little-endian words, to match a key and its
// colon with a few loads and compares.
type keyPattern struct {
	pat, mask [3]uint64
	words     int // how many words hold the pattern
	size      int // its length in bytes
}

// NewKeyTable returns the table of the given names, which the visitors of
// [Members] see as their indexes. It panics on more than 16 names.
func NewKeyTable(names ...string) *KeyTable {
	if len(names) > len(KeyTable{}.keys) {
		panic("jsonlex: too many keys")
	}
	t := &KeyTable{names: names}
	for k, name := range names {
		p := &t.keys[k]
		text := `"` + name + `":`
		if len(text) > 8*len(p.pat) {
			continue // left to member and lookup
		}
		t.first[name[0]] |= 1 << k
		p.words, p.size = (len(text)+7)/8, len(text)
		for n := range len(text) {
			p.pat[n/8] |= uint64(text[n]) << (8 * (n % 8))
			p.mask[n/8] |= 0xff << (8 * (n % 8))
		}
	}
	return t
}

// Names returns the table's names. The slice is the table's own.
func (t *KeyTable) Names() []string { return t.names }

// match matches the object member at b[i] with the table's keys on the
// bytes of its key and colon. It returns the key's index and the index of
// the member's value (-1 if there is none); or -1 and i if that does not
// tell, and then [member] and [KeyTable.lookup] must.
func (t *KeyTable) match(b []byte, i int) (k, value int) {
	if len(b)-i < 8 {
		return -1, i
	}
	w := binary.LittleEndian.Uint64(b[i:])
	for m := t.first[byte(w>>8)]; m != 0; m &= m - 1 {
		k := bits.TrailingZeros16(m)
		p := &t.keys[k&15]
		if w&p.mask[0] != p.pat[0] {
			continue
		}
		if p.words > 1 {
			if len(b)-i < 8*p.words || binary.LittleEndian.Uint64(b[i+8:])&p.mask[1] != p.pat[1] ||
				p.words > 2 && binary.LittleEndian.Uint64(b[i+16:])&p.mask[2] != p.pat[2] {
				continue
			}
		}
		j := i + p.size
		if j < len(b) && !IsSpace(b[j]) {
			return k, j
		}
		if j = SkipSpace(b, j); j >= len(b) {
			return k, -1
		}
		return k, j
	}
	return -1, i
}

// lookup returns the index of key in the table, or -1.
func (t *KeyTable) lookup(key []byte) int {
	for k, name := range t.names {
		if string(key) == name {
			return k
		}
	}
	return -1
}

// key reads the key of the object member at b[i] and the colon after it.
// It returns the key's index in t, or -1 for a key that is none of t's
// names, the key (only for such a key) and the index of the member's
// value, or -1. It returns value -1 for a known key marked in seen (and
// marks the others) and for an unknown key that encoding/json might match
// to a name.
func (t *KeyTable) key(b []byte, i int, seen *uint16) (k int, key []byte, value int) {
	if k, value = t.match(b, i); k < 0 {
		if key, value = member(b, i); value < 0 {
			return -1, nil, -1
		}
		if k = t.lookup(key); k < 0 {
			if !t.plainUnknown(key) {
				return -1, nil, -1
			}
			return -1, key, value
		}
		key = nil
	}
	if value >= 0 {
		if *seen&(1<<k) != 0 {
			return k, nil, -1
		}
		*seen |= 1 << k
	}
	return k, nil, value
}

// plainUnknown reports whether key (as returned by [member]) is a whole
// key, as it is, that encoding/json matches to none of t's names: it has
// no backslash (an escape, and maybe not the whole key) and no control
// byte, and does not match a name ignoring case.
func (t *KeyTable) plainUnknown(key []byte) bool {
	fold := false
	for _, c := range key {
		switch {
		case c == '\\' || c < 0x20:
			return false
		case 'A' <= c && c <= 'Z' || c >= utf8.RuneSelf:
			fold = true
		}
	}
	if fold {
		if !utf8.Valid(key) {
			return false
		}
		for _, n := range t.names {
			if strings.EqualFold(string(key), n) {
				return false
			}
		}
	}
	return true
}

// member reads the key of the object member at b[i] and the colon after
// it. It returns the key's bytes up to the first quote, and the index of
// the member's value, or -1. Those bytes are the whole key, as it is, if
// they hold no backslash: then the first quote closes the key.
func member(b []byte, i int) (key []byte, value int) {
	if i >= len(b) || b[i] != '"' {
		return nil, -1
	}
	end := IndexQuote(b, i+1)
	if end >= len(b) {
		return nil, -1
	}
	key = b[i+1 : end]
	end++
	if end < len(b) && b[end] == ':' {
		end++
	} else {
		end = SkipSpace(b, end)
		if end >= len(b) || b[end] != ':' {
			return nil, -1
		}
		end++
	}
	if end < len(b) && !IsSpace(b[end]) {
		return key, end
	}
	end = SkipSpace(b, end)
	if end >= len(b) {
		return nil, -1
	}
	return key, end
}

// Members walks the object that starts at b[i] == '{'. For each member it
// calls visit(x, b, k, key, j): k is the key's index in t, or -1 for a key
// t does not name, which is then key (a whole key with no escapes, for a
// visitor to keep or skip; nil for a named key), and j is the index of the
// value. It returns the index just past the object, or -1.
func Members[T any](b []byte, i int, t *KeyTable, x T, visit func(x T, b []byte, k int, key []byte, j int) int) int {
	var seen uint16
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for more := true; more; {
		k, key, j := t.key(b, i, &seen)
		if j < 0 {
			return -1
		}
		if i, more = next(b, visit(x, b, k, key, j), '}'); i < 0 {
			return -1
		}
	}
	return i
}

// next moves past the member or element that ended at b[i] (-1 if it did
// not). It returns the index of the next one and true, or the index just
// past the closing byte and false, or -1.
func next(b []byte, i int, closing byte) (int, bool) {
	if i < 0 {
		return -1, false
	}
	i = SkipSpace(b, i)
	switch {
	case i >= len(b):
		return -1, false
	case b[i] == closing:
		return i + 1, false
	case b[i] != ',':
		return -1, false
	}
	i = SkipSpace(b, i+1)
	if i >= len(b) {
		return -1, false
	}
	return i, true
}

// Elements walks the array that starts at b[i] == '['. For each element
// it calls visit(x, b, j), j being the index of the element. It returns
// the index just past the array, or -1.
func Elements[T any](b []byte, i int, x T, visit func(x T, b []byte, j int) int) int {
	i = SkipSpace(b, i+1)
	if i >= len(b) {
		return -1
	}
	if b[i] == ']' {
		return i + 1
	}
	for more := true; more; {
		if i, more = next(b, visit(x, b, i), ']'); i < 0 {
			return -1
		}
	}
	return i
}

// Null returns the index just past the null at b[i], or -1.
func Null(b []byte, i int) int {
	if IsLiteral(b, i, "null") {
		return i + 4
	}
	return -1
}

// String reads the string or null at b[i]. It returns the bytes between
// the quotes (nil for null), whether they are the string's value as they
// are (see [ScanString]), and the index past it, or -1.
func String(b []byte, i int) (v []byte, raw bool, end int) {
	if i >= len(b) || b[i] != '"' {
		return nil, false, Null(b, i)
	}
	end, raw = ScanString(b, i)
	if end < 0 {
		return nil, false, -1
	}
	return b[i+1 : end-1], raw, end
}

// ParseIntegral parses the JSON number at b[i:] if its value is an
// integer that fits in an int64, in any spelling: 100, 100.0, 1e2, 1.00E+2.
// It returns the index just past it. ok is false for a number with a
// fraction (1.5), one out of range, and text that is not a JSON number.
func ParseIntegral(b []byte, i int) (v int64, end int, ok bool) {
	if v, end, ok = ParseInt(b, i); ok {
		return v, end, true
	}
	end = SkipNumber(b, i)
	if end < 0 {
		return 0, -1, false
	}
	num := b[i:end]
	neg := num[0] == '-'
	if neg {
		num = num[1:]
	}
	// The digits, and the power of ten that scales them.
	mant, exp := num, 0
	if e := indexAny(mant, 'e', 'E'); e >= 0 {
		x, _, _ := ParseInt(expDigits(mant[e+1:]))
		exp = int(max(min(x, 1000), -1000)) // beyond int64 either way, unless 0
		mant = mant[:e]
	}
	var digits []byte
	if dot := indexAny(mant, '.', '.'); dot >= 0 {
		frac := mant[dot+1:]
		exp -= len(frac)
		digits = append(append(make([]byte, 0, len(mant)), mant[:dot]...), frac...)
	} else {
		digits = mant
	}
	// Leading zeros add nothing; trailing ones move to the exponent.
	for len(digits) > 0 && digits[0] == '0' {
		digits = digits[1:]
	}
	for len(digits) > 0 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
		exp++
	}
	if len(digits) == 0 {
		return 0, end, true // zero
	}
	if exp < 0 || len(digits)+exp > 19 {
		return 0, end, false
	}
	var u uint64
	for _, c := range digits {
		u = u*10 + uint64(c-'0')
	}
	for range exp {
		u *= 10
	}
	if u > 1<<63-1 && !(neg && u == 1<<63) {
		return 0, end, false
	}
	if neg {
		return -int64(u), end, true
	}
	return int64(u), end, true
}

func indexAny(b []byte, c1, c2 byte) int {
	for i, c := range b {
		if c == c1 || c == c2 {
			return i
		}
	}
	return -1
}

// expDigits returns the exponent digits e (after 'e') as text ParseInt
// reads, dropping a '+' and leading zeros, with index 0.
func expDigits(e []byte) ([]byte, int) {
	neg := len(e) > 0 && e[0] == '-'
	if len(e) > 0 && (e[0] == '+' || e[0] == '-') {
		e = e[1:]
	}
	for len(e) > 1 && e[0] == '0' {
		e = e[1:]
	}
	if len(e) > 5 {
		e = []byte("99999") // out of range all the same
	}
	if neg {
		return append([]byte{'-'}, e...), 0
	}
	return e, 0
}

// Package jsonlex provides low-level primitives to lex JSON text in place:
// skip white space, scan and unquote strings, parse plain integers, and
// skip (while validating) whole values. It builds no trees and allocates
// nothing unless asked to append to a buffer.
//
// Every function takes the text b and an index i into it, 0 <= i <= len(b),
// and returns the index just past what it read. None of them panics,
// whatever the text.
//
// The primitives follow RFC 8259 as encoding/json reads it: a string may
// hold bytes that are not valid UTF-8 (they decode to U+FFFD), an escape
// must be one of \" \\ \/ \b \f \n \r \t \uXXXX, and control characters
// below U+0020 must be escaped.
package jsonlex

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// MaxDepth is how deeply [SkipValue] lets arrays and objects nest before
// giving up.
const MaxDepth = 64

// IsSpace reports whether c is JSON white space.
func IsSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t'
}

// SkipSpace returns the index of the first byte at or after i that is not
// JSON white space, or len(b).
func SkipSpace(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && IsSpace(b[i]) {
		i++
	}
	return i
}

// plain[c] is true for the bytes that stand for themselves inside a string
// and need no check: printable ASCII other than '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// IndexQuote returns the index of the first '"' at or after i, or len(b).
// It is meant for short strings, such as object keys: it reads 8 bytes at a
// time, which spares most keys the end-of-loop branch a byte loop would
// mispredict.
func IndexQuote(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		q := binary.LittleEndian.Uint64(b[i:]) ^ (lsb * '"')
		if m := (q - lsb) &^ q & msb; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(b) && b[i] != '"' {
		i++
	}
	return i
}

// specials returns a word whose lowest set bit is the high bit of the first
// byte of the little-endian word w that is not plain: below 0x20, '"',
// '\\' or 0x80 and above; or zero if all are plain. (Bits above the lowest
// one may be set for plain bytes: a borrow only runs upwards.)
func specials(w uint64) uint64 {
	q := w ^ (lsb * '"')
	s := w ^ (lsb * '\\')
	t := (w - lsb*0x20) &^ w // a byte below 0x20
	t |= (q - lsb) &^ q      // a '"'
	t |= (s - lsb) &^ s      // a '\\'
	return (t | w) & msb     // or a byte at or above 0x80
}

// escapeOrHigh returns a word whose lowest set bit is the high bit of the
// first byte of the little-endian word w that is '\\' or at or above 0x80,
// or zero if there is none (see [specials]).
func escapeOrHigh(w uint64) uint64 {
	s := w ^ (lsb * '\\')
	return ((s-lsb)&^s | w) & msb
}

// ScanString scans the JSON string whose opening quote is b[i]. It returns
// the index just past the closing quote, or -1 if b[i] does not start a
// valid JSON string. raw reports whether the bytes between the quotes are
// the string's value as they are: no escapes, valid UTF-8. Otherwise the
// value is given by [AppendUnquote].
func ScanString(b []byte, i int) (end int, raw bool) {
	if i < 0 || i >= len(b) || b[i] != '"' {
		return -1, false
	}
	i++
	raw = true
	for {
		// Find the next byte that is not plain, 8 bytes at a time.
		for {
			if i+8 > len(b) {
				for i < len(b) && plain[b[i]] {
					i++
				}
				break
			}
			if m := specials(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(b) {
			return -1, false
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, raw
		case c == '\\':
			raw = false
			if i+1 >= len(b) {
				return -1, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if hex4(b, i+2) < 0 {
					return -1, false
				}
				i += 6
			default:
				return -1, false
			}
		case c < 0x20:
			return -1, false
		default: // c >= 0x80
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				raw = false
			}
			i += n
		}
	}
}

// hex4 returns the value of the four hex digits at b[i:], or -1.
func hex4(b []byte, i int) rune {
	if i < 0 || i+4 > len(b) {
		return -1
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// AppendUnquote appends to dst the value of the JSON string whose content
// (the bytes between its quotes) is s, the way encoding/json decodes it:
// escapes are resolved, a \u escape of a lone UTF-16 surrogate becomes
// U+FFFD, and so does each byte that is not part of valid UTF-8. s should
// have been checked by [ScanString]; anything it would reject is copied as
// it is.
func AppendUnquote(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf && c != '\\' {
			// Copy the run of ASCII bytes without escapes, finding its
			// end 8 bytes at a time, then one at a time.
			j := i + 1
			for ; j+8 <= len(s); j += 8 {
				if m := escapeOrHigh(binary.LittleEndian.Uint64(s[j:])); m != 0 {
					j += bits.TrailingZeros64(m) >> 3
					break
				}
			}
			for j < len(s) && s[j] < utf8.RuneSelf && s[j] != '\\' {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, s[i:i+n]...)
			}
			i += n
			continue
		}
		// c == '\\'
		if i+1 >= len(s) {
			return append(dst, c)
		}
		switch e := s[i+1]; e {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(s, i+2)
			if r < 0 {
				dst = append(dst, c, e)
				break
			}
			i += 6
			if 0xd800 <= r && r < 0xe000 { // a surrogate
				r2 := rune(-1)
				if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2 = hex4(s, i+2)
				}
				if r < 0xdc00 && 0xdc00 <= r2 && r2 < 0xe000 {
					r = 0x10000 + (r-0xd800)<<10 + (r2 - 0xdc00)
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/' and anything invalid
			dst = append(dst, e)
		}
		i += 2
	}
	return dst
}

// ParseInt parses the JSON number at b[i:] if it is a plain integer: an
// optional minus sign and at most 18 digits, with no fraction and no
// exponent. It returns the index just past it. ok is false for any other
// number, and for text that is not a valid JSON number.
func ParseInt(b []byte, i int) (v int64, end int, ok bool) {
	if i < 0 || i >= len(b) {
		return 0, i, false
	}
	neg := b[i] == '-'
	if neg {
		i++
	}
	start := i
	// Eight digits at a time (a Unix time has ten), then one at a time.
	for i+8 <= len(b) && i-start < 16 {
		w := binary.LittleEndian.Uint64(b[i:])
		if !eightDigits(w) {
			break
		}
		v = v*1e8 + int64(digitsValue(w))
		i += 8
	}
	for stop := min(len(b), start+18); i < stop && '0' <= b[i] && b[i] <= '9'; i++ {
		v = v*10 + int64(b[i]-'0')
	}
	switch {
	case i == start, // no digit
		b[start] == '0' && i-start > 1, // leading zero
		i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E' || '0' <= b[i] && b[i] <= '9'): // more than 18 digits
		return 0, i, false
	}
	if neg {
		v = -v
	}
	return v, i, true
}

// eightDigits reports whether the 8 bytes of w are all ASCII digits.
func eightDigits(w uint64) bool {
	// Each byte is 0x30 to 0x39: its high nibble is 3, and adding 6 keeps
	// it 3.
	return w&(lsb*0xf0) == lsb*0x30 && (w+lsb*0x06)&(lsb*0xf0) == lsb*0x30
}

// digitsValue returns the value of the 8 ASCII digits of the little-endian
// word w (the first digit is the lowest byte), combining pairs of digits,
// then pairs of pairs, then the two halves.
func digitsValue(w uint64) uint64 {
	w &= lsb * 0x0f
	w = (w*10 + w>>8) & 0x00ff00ff00ff00ff        // 2-digit numbers in 16-bit lanes
	w = (w*100 + w>>16) & 0x0000ffff0000ffff      // 4-digit numbers in 32-bit lanes
	return (w*10000 + w>>32) & 0x00000000ffffffff // the 8-digit number
}

// SkipNumber returns the index just past the JSON number at b[i:], or -1
// if there is no valid JSON number there.
func SkipNumber(b []byte, i int) int {
	if i < 0 || i >= len(b) {
		return -1
	}
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; {
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		i = digits(b, i+1)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// IsLiteral reports whether b[i:] starts with the literal lit (such as
// "null").
func IsLiteral(b []byte, i int, lit string) bool {
	return i >= 0 && len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}

// SkipValue returns the index just past the JSON value that starts at
// b[i] (white space before it is skipped), after checking that the value
// is valid JSON. It returns -1 if it is not, or if arrays and objects nest
// more than [MaxDepth] deep in it. It does not recurse.
func SkipValue(b []byte, i int) int {
	var objects uint64 // bit d is set if the container at depth d+1 is an object
	depth := 0
	for {
		// A value is expected at b[i].
		i = SkipSpace(b, i)
		if i >= len(b) {
			return -1
		}
		switch c := b[i]; c {
		case '"':
			i, _ = ScanString(b, i)
		case '{', '[':
			if depth == MaxDepth {
				return -1
			}
			closing := byte(']')
			if c == '{' {
				objects |= 1 << depth
				closing = '}'
			} else {
				objects &^= 1 << depth
			}
			depth++
			i = SkipSpace(b, i+1)
			if i < len(b) && b[i] == closing {
				depth--
				i++
			} else if c == '{' {
				i = skipKey(b, i)
				if i < 0 {
					return -1
				}
				continue
			} else {
				continue
			}
		case 't':
			i = lit(b, i, "true")
		case 'f':
			i = lit(b, i, "false")
		case 'n':
			i = lit(b, i, "null")
		default:
			i = SkipNumber(b, i)
		}
		// The value has ended: close the containers it ends.
		for {
			if i < 0 {
				return -1
			}
			if depth == 0 {
				return i
			}
			i = SkipSpace(b, i)
			if i >= len(b) {
				return -1
			}
			object := objects>>(depth-1)&1 != 0
			c := b[i]
			if c == ',' {
				i++
				if object {
					i = skipKey(b, SkipSpace(b, i))
				}
				break
			}
			if object && c == '}' || !object && c == ']' {
				depth--
				i++
				continue
			}
			return -1
		}
		if i < 0 {
			return -1
		}
	}
}

// skipKey skips the key at b[i] and the colon after it, returning the index
// after the colon, or -1.
func skipKey(b []byte, i int) int {
	i, _ = ScanString(b, i)
	if i < 0 {
		return -1
	}
	i = SkipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return -1
	}
	return i + 1
}

func lit(b []byte, i int, s string) int {
	if IsLiteral(b, i, s) {
		return i + len(s)
	}
	return -1
}

package aione

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// The JSON values of the request encoder (encode.go): strings, raw JSON
// and floats, written byte for byte as encoding/json writes them.

// errInvalidRaw is the error of raw JSON that is not valid.
var errInvalidRaw = errors.New("invalid raw JSON value")

// appendRaw appends the raw JSON value v, checked, without insignificant
// space and with HTML characters and U+2028, U+2029 escaped, as
// encoding/json writes a json.RawMessage.
func appendRaw(dst []byte, v []byte) ([]byte, error) {
	if !json.Valid(v) {
		return dst, errInvalidRaw
	}
	inString, escaped := false, false
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !inString {
			switch c {
			case ' ', '\t', '\n', '\r':
				dst = append(dst, v[start:i]...)
				start = i + 1
			case '"':
				inString = true
			}
			continue
		}
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			inString = false
		case c == '<' || c == '>' || c == '&':
			dst = append(dst, v[start:i]...)
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			start = i + 1
		case c == 0xE2 && i+2 < len(v) && v[i+1] == 0x80 && v[i+2]&^1 == 0xA8:
			dst = append(dst, v[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[v[i+2]&0xF])
			i += 2
			start = i + 1
		}
	}
	return append(dst, v[start:]...), nil
}

// appendFloat appends f as encoding/json formats a float64: like
// JavaScript, with an exponent only below 1e-6 or from 1e21 on.
func appendFloat(dst []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("unsupported number %v", f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// e-07 is written e-7.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

const hexDigits = "0123456789abcdef"

// plain marks the ASCII bytes a JSON string holds as they are: not a
// control byte, quote, backslash or HTML character.
var plain = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// Eight bytes at a time: ones has 1 in each byte, highs 0x80.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// load8 reads s[i:i+8] as a little-endian word.
func load8(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// specials returns a word whose high bit is set in the first byte of w
// (the lowest) that is not plain ASCII: a control byte, a non-ASCII byte,
// or one of " & < > \\. A byte of v is zero when (v-ones) &^ v has its high
// bit set; a borrow can set it in later bytes too, never in earlier ones,
// so the first set bit is exact. " and & differ in bit 0x04 only, < and >
// in bit 0x02 only: one test covers each pair.
func specials(w uint64) uint64 {
	qa := (w | 0x04*ones) ^ 0x26*ones
	lg := (w | 0x02*ones) ^ 0x3e*ones
	bs := w ^ 0x5c*ones
	return (w | (w-0x20*ones)&^w | (qa-ones)&^qa | (lg-ones)&^lg | (bs-ones)&^bs) & highs
}

// appendString appends s as a JSON string, escaped as encoding/json
// escapes it: quote, backslash and control bytes, the HTML characters <, >
// and &, U+2028 and U+2029; each byte of invalid UTF-8 becomes U+FFFD.
// Runs of plain ASCII and valid UTF-8 are copied whole; plain ASCII is
// skipped eight bytes at a time.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) {
			m := specials(load8(s, i))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		// Two-byte sequences (Latin, Greek, Cyrillic...) are checked here;
		// the others by utf8.
		if c >= 0xC2 && c <= 0xDF && i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
			i += 2
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

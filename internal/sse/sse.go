// Package sse implements a fast scanner for Server-Sent Events streams.
//
// A [Scanner] turns the bytes of a text/event-stream body into events,
// following the "event stream interpretation" rules of the WHATWG HTML
// standard: CRLF, LF and lone CR line terminators, an optional leading
// byte order mark, comments, and the data, event, id and retry fields. It
// knows nothing about the payload carried in an event's data.
//
// The scanner is built for the hot path of a streaming client: in steady
// state it allocates nothing per line or per event (only an "id" field that
// changes the last event ID costs one string), it never reads ahead of an
// event that is already complete, and every line and every event's data is
// bounded in size (see [Scanner.SetMaxEventSize]). Its buffers grow with
// what arrives (a line longer than the read buffer) and shrink back once it
// has been consumed: a scanner that has caught up with its reader waits for
// more input holding a read buffer of a few hundred bytes, so that an idle
// stream holds little memory.
//
// Typical use:
//
//	s := sse.NewScanner(resp.Body)
//	for s.Next() {
//		ev := s.Event()
//		handle(ev.Type, ev.Data) // ev.Type and ev.Data are valid until the next call to Next
//	}
//	if err := s.Err(); err != nil {
//		// io.ErrUnexpectedEOF, ErrEventTooLarge or the body's read error
//	}
//
// A Scanner is not safe for concurrent use by multiple goroutines.
package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
)

// DefaultMaxEventSize is the default bound on one line and on one event's
// data: 16 MiB.
const DefaultMaxEventSize = 16 << 20

const (
	// smallBufSize is the size of the read buffer the scanner starts with
	// and waits for input with once it has caught up with the reader: an
	// ordinary chat chunk event fits in it.
	smallBufSize = 512
	// keepBufFactor times the small size is the largest read buffer kept
	// while the reader keeps the scanner busy; a larger one (grown for a
	// long line) is released as soon as its line has been consumed.
	keepBufFactor = 8
	// smallDataSize is the largest capacity of the data buffer (allocated
	// for the first event made of several data lines) kept from one event
	// to the next.
	smallDataSize = 1 << 10
	// maxTypeSize is the capacity above which the event type buffer is
	// released once its event has been consumed.
	maxTypeSize = 1 << 10
	// maxEmptyReads is how many consecutive (0, nil) reads are tolerated
	// before giving up with io.ErrNoProgress.
	maxEmptyReads = 100
)

// ErrEventTooLarge is reported by [Scanner.Err], wrapped with the limit in
// its message, when a line or an event's accumulated data exceeds the
// scanner's maximum event size.
var ErrEventTooLarge = errors.New("sse: event too large")

var (
	// errTruncated is reported when the input ends inside an event.
	errTruncated = fmt.Errorf("sse: stream ended inside an event: %w", io.ErrUnexpectedEOF)
	// errBadCount is reported when the reader returns an impossible count.
	errBadCount = errors.New("sse: reader returned an invalid byte count")
)

// utf8BOM is the byte order mark that may start a stream.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Event is one dispatched server-sent event.
//
// Type and Data alias the scanner's internal buffers: they are valid only
// until the next call to [Scanner.Next] (or [Scanner.Reset]); copy them to
// keep them longer. Their capacity equals their length, so appending to
// them never overwrites the scanner's buffers.
type Event struct {
	// Type is the value of the last "event" field of the event. Empty means
	// the default type, "message".
	Type []byte
	// Data is the event's data lines joined with "\n", without a trailing
	// newline. It may contain any bytes, including NUL and invalid UTF-8.
	Data []byte
	// ID is the value of the last-event-ID buffer when the event was
	// dispatched. It persists across events until an "id" field changes it;
	// an "id" field whose value contains NUL is ignored.
	ID string
	// Retry is the reconnection time in milliseconds from the last valid
	// "retry" field (ASCII digits only) seen since the previous dispatched
	// event, or -1 if there was none. A value too large for an int is
	// clamped to math.MaxInt.
	Retry int
}

// Scanner reads server-sent events from an io.Reader.
//
// Call [Scanner.Next] until it returns false, then [Scanner.Err] to learn
// whether the stream ended cleanly. A Scanner is not safe for concurrent use.
type Scanner struct {
	rd io.Reader

	buf   []byte // read buffer; buf[r:w] holds bytes not yet consumed
	small []byte // the initial read buffer, kept to shrink back into
	keep  int    // largest read buffer kept while the reader has more at hand
	r, w  int
	lf    int // buf[r:lf] holds no '\n' (a search cache; may lag behind r)
	cr    int // buf[r:cr] holds no '\r' (a search cache; may lag behind r)

	max    int    // bound on a line and on an event's data
	onWait func() // called before a read that will likely wait; may be nil
	hint   int    // size of the last grown buffer, used to regrow in one step

	short   bool  // the last read returned less than it could: caught up
	skipLF  bool  // a CR ended the buffered bytes: drop a following LF
	bom     bool  // a leading byte order mark may still have to be dropped
	empties int   // consecutive reads that returned (0, nil)
	rerr    error // sticky error from the reader, io.EOF included
	err     error // error reported by Err
	done    bool  // no more events will be produced

	// Event under construction. The data of an event made of a single data
	// line is not copied: it is recorded as buf[aStart:aEnd] (alias is
	// true) and copied into data only if the read buffer must move first.
	data     []byte
	typ      []byte
	dataHint int  // capacity the previous event's data needed
	dataMin  int  // capacity of the data buffer when first needed
	hasData  bool // at least one data field was seen
	alias    bool
	aStart   int
	aEnd     int
	retry    int
	id       string

	// The dispatched event is described by the fields above (which do not
	// change until the next call to Next) and these two.
	evOK    bool // Next returned true
	evRetry int
}

// NewScanner returns a Scanner reading from r, with a maximum event size of
// [DefaultMaxEventSize].
func NewScanner(r io.Reader) *Scanner {
	return newScannerSize(r, smallBufSize, smallDataSize)
}

// newScannerSize returns a Scanner whose read buffer starts at bufSize and
// whose data buffer, once needed, at dataSize; tests use tiny sizes to
// exercise buffer management. The read buffer holds at least a byte order
// mark.
func newScannerSize(r io.Reader, bufSize, dataSize int) *Scanner {
	small := max(bufSize, len(utf8BOM)+1)
	s := &Scanner{
		small:   make([]byte, small),
		keep:    keepBufFactor * small,
		dataMin: dataSize,
		max:     DefaultMaxEventSize,
	}
	s.Reset(r)
	return s
}

// SetMaxEventSize sets the bound, in bytes, on the length of one line and on
// the length of one event's data. A value n <= 0 selects
// [DefaultMaxEventSize]. It must be called before the first call to
// [Scanner.Next].
func (s *Scanner) SetMaxEventSize(n int) {
	if n <= 0 {
		n = DefaultMaxEventSize
	}
	s.max = n
}

// SetWaitFunc makes the scanner call f before each read from the reader
// that will likely wait for the peer: the scanner has caught up with the
// reader (its previous read returned less than it could) and has no
// complete line left. A caller can use it to let go of memory it keeps for
// events that may not come for a while. f runs on the goroutine calling
// [Scanner.Next]; nil, the default, disables it. Reset keeps it.
func (s *Scanner) SetWaitFunc(f func()) { s.onWait = f }

// Reset discards the scanner's state and makes it read from r, reusing its
// buffers. The maximum event size is kept, and the last-event-ID buffer is
// cleared.
func (s *Scanner) Reset(r io.Reader) {
	s.rd = r
	s.buf = s.small
	s.r, s.w, s.lf, s.cr = 0, 0, 0, 0
	s.hint = 0
	s.short = false
	s.skipLF = false
	s.bom = true
	s.empties = 0
	s.rerr = nil
	s.err = nil
	s.done = false
	if cap(s.data) > smallDataSize {
		s.data = nil
	}
	s.data = s.data[:0]
	s.dataHint = 0
	if cap(s.typ) > maxTypeSize {
		s.typ = nil
	}
	s.typ = s.typ[:0]
	s.hasData = false
	s.alias = false
	s.retry = -1
	s.id = ""
	s.evOK = false
}

// BufferSize returns the current total capacity, in bytes, of the scanner's
// internal buffers.
func (s *Scanner) BufferSize() int {
	return cap(s.buf) + cap(s.data) + cap(s.typ)
}

// Event returns the event produced by the last call to [Scanner.Next] that
// returned true. Its Type and Data are valid until the next call to Next.
func (s *Scanner) Event() Event {
	if !s.evOK {
		return Event{Retry: -1}
	}
	e := Event{ID: s.id, Retry: s.evRetry}
	if s.alias {
		e.Data = s.buf[s.aStart:s.aEnd:s.aEnd]
	} else {
		e.Data = s.data[:len(s.data):len(s.data)]
	}
	if len(s.typ) > 0 {
		e.Type = s.typ[:len(s.typ):len(s.typ)]
	}
	return e
}

// Unfinished returns the data of the event the input left unfinished: its
// data lines all ended, but the input ended before the blank line that
// would have dispatched it. Such an event is never dispatched, and Err
// reports io.ErrUnexpectedEOF; a caller may still look at it, for instance
// to accept a last "data: [DONE]" sent without its blank line. It returns
// nil in every other case. Like Event's Data, it aliases the scanner's
// buffers.
func (s *Scanner) Unfinished() []byte {
	if !s.done || s.err != errTruncated || !s.hasData || s.r < s.w {
		return nil
	}
	if s.alias {
		return s.buf[s.aStart:s.aEnd:s.aEnd]
	}
	return s.data[:len(s.data):len(s.data)]
}

// Err returns the error that ended scanning, or nil if the input ended
// cleanly at an event boundary. It is io.ErrUnexpectedEOF (possibly
// wrapped) if the input ended inside an event, an error wrapping
// [ErrEventTooLarge] if a line or an event's data exceeded the limit,
// io.ErrNoProgress if the reader kept returning no data and no error, or
// the reader's own error. It is never io.EOF.
func (s *Scanner) Err() error {
	return s.err
}

// Next advances to the next dispatched event, which [Scanner.Event] then
// returns. It returns false at the end of the input or on error; see
// [Scanner.Err]. Next reads from the underlying reader only when the bytes
// already buffered do not complete an event.
func (s *Scanner) Next() bool {
	s.evOK = false
	if s.done {
		return false
	}
	s.release()
	s.data = s.data[:0]
	s.typ = s.typ[:0]
	s.hasData = false
	s.alias = false
	for {
		start, end, ok := s.line()
		if !ok {
			return false
		}
		if start == end {
			if s.hasData {
				s.evOK = true
				s.evRetry = s.retry
				s.retry = -1
				return true
			}
			// A blank line with no data: reset the buffers, dispatch nothing.
			s.typ = s.typ[:0]
			continue
		}
		if !s.field(start, end) {
			return false
		}
	}
}

// release lets go of the buffers grown for a long line or event once it
// has been consumed, so that an idle stream holds little memory.
func (s *Scanner) release() {
	if len(s.buf) > s.keep {
		s.shrink()
	} else {
		s.hint = 0
	}
	if cap(s.data) > smallDataSize {
		s.dataHint = cap(s.data)
		s.data = nil
	} else {
		s.dataHint = 0
	}
	if cap(s.typ) > maxTypeSize {
		s.typ = nil
	}
}

// shrink moves the unread bytes back into the small read buffer if they fit
// and the buffer has grown, letting the grown one go; the next growth
// returns to its size in one step. No event data may alias the buffer.
func (s *Scanner) shrink() {
	if n := s.w - s.r; len(s.buf) > len(s.small) && n < len(s.small) {
		s.hint = len(s.buf)
		copy(s.small, s.buf[s.r:s.w])
		s.lf -= s.r
		s.cr -= s.r
		s.r, s.w = 0, n
		s.buf = s.small
	}
}

// field interprets the non-blank line buf[start:end]. It returns false if
// scanning must stop with s.err set.
func (s *Scanner) field(start, end int) bool {
	line := s.buf[start:end]
	// Fast path for the most common line of all.
	if len(line) >= 5 && string(line[:5]) == "data:" {
		vs := start + 5
		if vs < end && s.buf[vs] == ' ' {
			vs++
		}
		return s.appendData(vs, end)
	}
	if line[0] == ':' {
		return true // comment
	}
	name := line
	vs := end // start of the value
	if c := bytes.IndexByte(line, ':'); c >= 0 {
		name = line[:c]
		vs = start + c + 1
		if vs < end && s.buf[vs] == ' ' {
			vs++
		}
	}
	value := s.buf[vs:end]
	switch string(name) {
	case "data":
		return s.appendData(vs, end)
	case "event":
		s.typ = append(s.typ[:0], value...)
	case "id":
		if bytes.IndexByte(value, 0) < 0 && string(value) != s.id {
			s.id = string(value)
		}
	case "retry":
		if n, ok := parseRetry(value); ok {
			s.retry = n
		}
	}
	return true
}

// appendData appends the value buf[vs:end] of a data field to the event's
// data. It returns false if the data grows beyond the limit.
func (s *Scanner) appendData(vs, end int) bool {
	n := end - vs
	if !s.hasData {
		if n > s.max {
			s.tooLarge("data")
			return false
		}
		s.hasData = true
		s.alias = true
		s.aStart, s.aEnd = vs, end
		return true
	}
	s.materialize()
	if n > s.max-len(s.data)-1 {
		s.tooLarge("data")
		return false
	}
	s.reserve(n + 1)
	s.data = append(s.data, '\n')
	s.data = append(s.data, s.buf[vs:end]...)
	return true
}

// materialize copies aliased event data out of the read buffer.
func (s *Scanner) materialize() {
	if s.alias {
		s.data = s.data[:0]
		s.reserve(s.aEnd - s.aStart)
		s.data = append(s.data, s.buf[s.aStart:s.aEnd]...)
		s.alias = false
	}
}

// reserve makes room for n more bytes of data. Growth doubles, but jumps
// straight to the size the previous event needed, so that a run of large
// events costs one allocation each rather than one per doubling.
func (s *Scanner) reserve(n int) {
	need := len(s.data) + n
	if need <= cap(s.data) {
		return
	}
	c := max(need, 2*cap(s.data), s.dataHint, s.dataMin)
	c = min(c, max(need, s.max))
	data := make([]byte, len(s.data), c)
	copy(data, s.data)
	s.data = data
}

// parseRetry parses a retry field value made only of ASCII digits,
// clamping it to math.MaxInt.
func parseRetry(v []byte) (int, bool) {
	if len(v) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int(c - '0')
		if n > (math.MaxInt-d)/10 {
			n = math.MaxInt
		} else {
			n = n*10 + d
		}
	}
	return n, true
}

// tooLarge ends scanning with an error wrapping ErrEventTooLarge.
func (s *Scanner) tooLarge(what string) {
	s.err = fmt.Errorf("%w: %s exceeds the limit of %d bytes", ErrEventTooLarge, what, s.max)
	s.done = true
}

// line returns the bounds in buf of the next complete line, without its
// terminator, reading more input only when no complete line is buffered.
// It returns ok == false when scanning is over, with s.err set as needed.
func (s *Scanner) line() (start, end int, ok bool) {
	for {
		if s.r < s.w && (!s.skipLF && !s.bom || s.ready()) {
			// Work on locals: the compiler cannot keep fields of *s in
			// registers across the calls below.
			buf, r, w := s.buf[:s.w], s.r, s.w
			lf := max(s.lf, r)
			if lf < w && buf[lf] != '\n' {
				if i := bytes.IndexByte(buf[lf:], '\n'); i >= 0 {
					lf += i
				} else {
					lf = w
				}
			}
			cr := max(s.cr, r)
			if cr < w && buf[cr] != '\r' {
				if i := bytes.IndexByte(buf[cr:], '\r'); i >= 0 {
					cr += i
				} else {
					cr = w
				}
			}
			s.lf, s.cr = lf, cr
			if end = min(lf, cr); end < w {
				if end-r > s.max {
					s.tooLarge("line")
					return 0, 0, false
				}
				next := end + 1
				if end == cr {
					if next == w {
						s.skipLF = true
					} else if buf[next] == '\n' {
						next++
					}
				}
				s.r = next
				return r, end, true
			}
			if w-r > s.max {
				s.tooLarge("line")
				return 0, 0, false
			}
		}
		if s.rerr != nil {
			s.finish()
			return 0, 0, false
		}
		if !s.fill() {
			return 0, 0, false
		}
	}
}

// ready handles what must happen at the start of buf[r:w] before lines can
// be looked for: a pending LF after a CR, and a leading byte order mark. It
// reports whether buf[r:w] may now be scanned for a line; false means more
// input is needed first.
func (s *Scanner) ready() bool {
	if s.skipLF {
		s.skipLF = false
		if s.buf[s.r] == '\n' {
			s.r++
			if s.r == s.w {
				return false
			}
		}
	}
	if s.bom {
		b := s.buf[s.r:s.w]
		if len(b) >= len(utf8BOM) {
			s.bom = false
			if bytes.Equal(b[:len(utf8BOM)], utf8BOM) {
				s.r += len(utf8BOM)
				return s.r < s.w
			}
			return true
		}
		if s.rerr == nil && bytes.HasPrefix(utf8BOM, b) {
			return false // may be a BOM split across reads: wait for more
		}
		s.bom = false
	}
	return true
}

// finish ends scanning once the input is exhausted.
func (s *Scanner) finish() {
	s.done = true
	if s.rerr != io.EOF {
		s.err = s.rerr
		return
	}
	// An unfinished event is never dispatched; report whether there was one.
	if s.hasData || (s.r < s.w && s.buf[s.r] != ':') {
		s.err = errTruncated
	}
}

// fill reads more input into the buffer, moving unread bytes to its start
// and growing it if it is full. It returns false if scanning must stop.
func (s *Scanner) fill() bool {
	if !s.hasData && (len(s.buf) > s.keep || s.short) {
		// A long line that was not data (a comment, say) has been consumed,
		// or the reader had nothing more at hand last time: do not wait
		// for more input holding a large buffer.
		s.shrink()
	}
	if s.r > 0 {
		s.materialize()
		n := copy(s.buf, s.buf[s.r:s.w])
		s.lf -= s.r
		s.cr -= s.r
		s.r, s.w = 0, n
	}
	if s.w == len(s.buf) && !s.grow() {
		return false
	}
	if s.short && s.onWait != nil {
		s.onWait()
	}
	n, err := s.rd.Read(s.buf[s.w:])
	if n < 0 || n > len(s.buf)-s.w {
		n, err = 0, errBadCount
	}
	s.short = n < len(s.buf)-s.w
	s.w += n
	switch {
	case err != nil:
		s.rerr = err
	case n > 0:
		s.empties = 0
	default:
		s.empties++
		if s.empties >= maxEmptyReads {
			s.rerr = io.ErrNoProgress
		}
	}
	return true
}

// grow enlarges the full read buffer, up to the size a line of the maximum
// length needs. It returns false if the buffer may not grow any more.
func (s *Scanner) grow() bool {
	limit := s.max
	if limit < math.MaxInt {
		limit++ // room for the line and the first byte of its terminator
	}
	if len(s.buf) >= limit {
		s.tooLarge("line")
		return false
	}
	n := len(s.buf)
	if n <= limit/2 {
		n *= 2
	} else {
		n = limit
	}
	n = max(n, min(s.hint, limit))
	buf := make([]byte, n)
	copy(buf, s.buf[:s.w])
	s.buf = buf
	return true
}

package main

// NumPy .npy files (format versions 1.0, 2.0 and 3.0), read and written without any other
// package. The reader checks everything before it allocates: the magic and version, the header
// length against the file, the header dictionary (a Python literal whose three keys 'descr',
// 'fortran_order' and 'shape' may come in any order), the dtype, and the data length against
// shape × item size. Big-endian data is converted; Fortran-ordered arrays are transposed to
// row-major order.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/gloss-ml/gloss/device"
)

const npyMagic = "\x93NUMPY"

// maxNpyHeader bounds the header dictionary: a real one for any dtype this reader takes is
// well under a kilobyte (NumPy itself refuses headers over 10000 bytes unless told otherwise).
const maxNpyHeader = 1 << 16

// npyHeader is a parsed and checked .npy header.
type npyHeader struct {
	descr   string           // the dtype as written, e.g. "<f4"
	kind    byte             // 'f', 'i', 'u' or 'b'
	size    int              // bytes per element
	order   binary.ByteOrder // nil for one-byte elements
	fortran bool
	shape   []int
	count   int   // elements: the product of shape
	data    int64 // bytes of data: count × size
}

// dtypeName is the NumPy name of the element type, e.g. "float32".
func (h *npyHeader) dtypeName() string {
	switch h.kind {
	case 'f':
		return fmt.Sprintf("float%d", 8*h.size)
	case 'i':
		return fmt.Sprintf("int%d", 8*h.size)
	case 'u':
		return fmt.Sprintf("uint%d", 8*h.size)
	}
	return "bool"
}

// readNpyHeader reads and checks the magic, version, header length and header dictionary.
// size is the file's size in bytes, or -1 when unknown (a pipe); the data that follows must
// then be checked as it is read.
func readNpyHeader(r io.Reader, size int64) (*npyHeader, int64, error) {
	var pre [12]byte
	if n, err := io.ReadFull(r, pre[:8]); err != nil {
		return nil, 0, fmt.Errorf("a .npy file of %d bytes ends inside its magic and version", n)
	}
	if string(pre[:6]) != npyMagic {
		return nil, 0, fmt.Errorf("not a NumPy .npy file (no \\x93NUMPY magic)")
	}
	major, minor := pre[6], pre[7]
	lenBytes := 2
	switch {
	case major == 1 && minor == 0:
	case (major == 2 || major == 3) && minor == 0:
		lenBytes = 4
	default:
		return nil, 0, fmt.Errorf(".npy format version %d.%d is not supported (1.0, 2.0 and 3.0 are)", major, minor)
	}
	if n, err := io.ReadFull(r, pre[8:8+lenBytes]); err != nil {
		return nil, 0, fmt.Errorf("a .npy file of %d bytes ends inside its header length", 8+n)
	}
	var hlen int64
	if lenBytes == 2 {
		hlen = int64(binary.LittleEndian.Uint16(pre[8:10]))
	} else {
		hlen = int64(binary.LittleEndian.Uint32(pre[8:12]))
	}
	start := int64(8 + lenBytes)
	if size >= 0 && start+hlen > size {
		return nil, 0, fmt.Errorf("the header is %d bytes long but the file has only %d after its start", hlen, size-start)
	}
	if hlen > maxNpyHeader {
		return nil, 0, fmt.Errorf("a header of %d bytes: more than the %d this reader takes", hlen, maxNpyHeader)
	}
	text := make([]byte, hlen)
	if n, err := io.ReadFull(r, text); err != nil {
		return nil, 0, fmt.Errorf("the file ends inside the header (%d of its %d bytes)", n, hlen)
	}
	h, err := parseNpyDict(string(text))
	if err != nil {
		return nil, 0, err
	}
	return h, start + hlen, nil
}

// quoteHeader quotes a header for an error message, shortened.
func quoteHeader(b []byte) string {
	const most = 120
	s := string(b)
	if len(s) > most {
		s = s[:most] + "..."
	}
	return strconv.Quote(s)
}

// parseNpyDict parses the header dictionary, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }   followed by spaces and '\n'.
func parseNpyDict(s string) (*npyHeader, error) {
	if !strings.HasSuffix(s, "\n") {
		return nil, fmt.Errorf("header %s does not end with a newline", quoteHeader([]byte(s)))
	}
	p := &dictParser{s: s}
	h := &npyHeader{}
	seen := map[string]bool{}
	p.space()
	if !p.eat('{') {
		return nil, p.errorf("want '{'")
	}
	for {
		p.space()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if seen[key] {
			return nil, p.errorf("key %q given twice", key)
		}
		seen[key] = true
		p.space()
		if !p.eat(':') {
			return nil, p.errorf("want ':' after %q", key)
		}
		p.space()
		switch key {
		case "descr":
			if p.peek() == '[' {
				return nil, errors.New("a structured dtype (a list of fields) is not supported: save a plain float or integer array")
			}
			d, err := p.str()
			if err != nil {
				return nil, err
			}
			if err := h.setDescr(d); err != nil {
				return nil, err
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				h.fortran = true
			case p.word("False"):
			default:
				return nil, p.errorf("fortran_order must be True or False")
			}
		case "shape":
			if h.shape, err = p.tuple(); err != nil {
				return nil, err
			}
		default:
			return nil, p.errorf("unknown key %q (a .npy header has 'descr', 'fortran_order' and 'shape')", key)
		}
		p.space()
		if p.eat(',') {
			continue
		}
		p.space()
		if !p.eat('}') {
			return nil, p.errorf("want ',' or '}'")
		}
		break
	}
	p.space()
	if p.i != len(s) {
		return nil, p.errorf("text after the dictionary")
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return nil, fmt.Errorf("no %q key", k)
		}
	}
	// Every product of dimensions must fit in an int (a zero dimension does not excuse the
	// others: the columns of shape (0, 2**40, 2**40) are counted too), and so must the bytes.
	nonzero := 1
	for _, d := range h.shape {
		if d == 0 {
			continue
		}
		var ok bool
		if nonzero, ok = device.MulInt(nonzero, d); !ok {
			return nil, fmt.Errorf("shape %s: the product of its dimensions overflows", shapeString(h.shape))
		}
	}
	h.count = 1
	for _, d := range h.shape {
		h.count *= d
	}
	data, ok := device.MulInt(h.count, h.size)
	if !ok {
		return nil, fmt.Errorf("shape %s of %s: the byte count overflows", shapeString(h.shape), h.dtypeName())
	}
	h.data = int64(data)
	return h, nil
}

// setDescr checks the dtype string: an optional byte order ('<', '>', '|', '=') and a float
// ('f4', 'f8'), signed or unsigned integer ('i1' ... 'u8') or boolean ('b1', '?') type.
func (h *npyHeader) setDescr(d string) error {
	h.descr = d
	unsupported := fmt.Errorf("dtype %q is not supported (float32, float64, integer and bool arrays are)", d)
	t := d
	var order byte
	if t != "" && strings.IndexByte("<>|=", t[0]) >= 0 {
		order, t = t[0], t[1:]
	}
	switch {
	case t == "?" || t == "b1":
		h.kind, h.size = 'b', 1
	case len(t) == 2 && strings.IndexByte("fiu", t[0]) >= 0 && strings.IndexByte("1248", t[1]) >= 0:
		h.kind, h.size = t[0], int(t[1]-'0')
	default:
		return unsupported
	}
	if h.kind == 'f' && h.size < 4 {
		if h.size == 2 {
			return fmt.Errorf("dtype %q (float16) is not supported: save it as float32 (x.astype(np.float32))", d)
		}
		return unsupported
	}
	if h.size == 1 {
		return nil
	}
	switch order {
	case '<':
		h.order = binary.LittleEndian
	case '>':
		h.order = binary.BigEndian
	case '=', 0:
		h.order = binary.NativeEndian
	default:
		return fmt.Errorf("dtype %q: byte order '|' (not applicable) for elements of %d bytes", d, h.size)
	}
	return nil
}

// dictParser reads the Python literal of a .npy header.
type dictParser struct {
	s string
	i int
}

func (p *dictParser) errorf(format string, args ...any) error {
	return fmt.Errorf("header %s, at byte %d: %s", quoteHeader([]byte(p.s)), p.i, fmt.Sprintf(format, args...))
}

func (p *dictParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *dictParser) eat(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

func (p *dictParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

// word consumes w if it comes next and is not followed by more of a name.
func (p *dictParser) word(w string) bool {
	if !strings.HasPrefix(p.s[p.i:], w) {
		return false
	}
	if j := p.i + len(w); j < len(p.s) && (isLetter(p.s[j]) || p.s[j] >= '0' && p.s[j] <= '9') {
		return false
	}
	p.i += len(w)
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }

// str reads a quoted string without escapes ('...' or "...").
func (p *dictParser) str() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", p.errorf("want a quoted string")
	}
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", p.errorf("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.ContainsAny(v, "\\\n") {
		return "", p.errorf("a string with an escape or a newline")
	}
	p.i += end + 2
	return v, nil
}

// tuple reads a tuple of non-negative integers: (), (3,), (2, 3) or (2, 3,). Python 2's
// long suffix L is accepted.
func (p *dictParser) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, p.errorf("shape must be a tuple such as (3,) or (2, 3)")
	}
	shape := []int{}
	for {
		p.space()
		if p.eat(')') {
			return shape, nil
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if p.i == start {
			return nil, p.errorf("shape: want a non-negative integer")
		}
		d, err := strconv.ParseInt(p.s[start:p.i], 10, 0)
		if err != nil {
			return nil, p.errorf("shape: dimension %s is too large", p.s[start:p.i])
		}
		p.eat('L')
		shape = append(shape, int(d))
		if len(shape) > 64 {
			return nil, p.errorf("shape: more than 64 dimensions")
		}
		p.space()
		if p.eat(',') {
			continue
		}
		if !p.eat(')') {
			return nil, p.errorf("shape: want ',' or ')'")
		}
		if len(shape) == 1 {
			return nil, p.errorf("shape (%d) is not a tuple: a one-dimensional shape is written (%d,)", shape[0], shape[0])
		}
		return shape, nil
	}
}

// readNpy reads a .npy file whose header is next in r. size is the file's size, or -1 when
// unknown. Nothing is allocated for the data before its length is known to match the
// header: from the file's size, or (for a pipe) as the data arrives.
func readNpy(path string, r io.Reader, size int64) (*array, error) {
	h, off, err := readNpyHeader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	a := &array{path: path, dtype: h.dtypeName(), shape: h.shape}
	if size >= 0 && size-off != h.data {
		return nil, fmt.Errorf("%s: shape %s of %s holds %d bytes of data, the file has %d after its header (truncated, or not written by NumPy)",
			path, a.shapeString(), h.descr, h.data, size-off)
	}
	// What the array will take in memory (integers are held as int64).
	held := int64(h.count) * 8
	if h.kind == 'f' && h.size == 4 {
		held = int64(h.count) * 4
	}
	if err := fits(path, held); err != nil {
		return nil, err
	}
	prealloc := h.count
	if size < 0 {
		prealloc = min(h.count, 1<<16) // grown as the data arrives
	}
	switch {
	case h.kind == 'f' && h.size == 4:
		a.f32, err = decodeNpy(r, h, prealloc, func(b []byte) float32 { return math.Float32frombits(h.order.Uint32(b)) })
	case h.kind == 'f':
		a.f64, err = decodeNpy(r, h, prealloc, func(b []byte) float64 { return math.Float64frombits(h.order.Uint64(b)) })
	default:
		a.ints, err = decodeNpy(r, h, prealloc, intDecoder(h))
		if err == nil && h.kind == 'u' && h.size == 8 {
			for i, v := range a.ints {
				if v < 0 {
					return nil, fmt.Errorf("%s: uint64 value %d at index %d does not fit in int64", path, uint64(v), i)
				}
			}
		}
		if err == nil && h.kind == 'b' {
			raw := a.ints
			for i, v := range raw {
				if v != 0 && v != 1 {
					return nil, fmt.Errorf("%s: bool value %d at index %d is not 0 or 1", path, v, i)
				}
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if h.fortran && len(h.shape) > 1 {
		a.toRowMajor()
	}
	return a, nil
}

func intDecoder(h *npyHeader) func([]byte) int64 {
	switch {
	case h.size == 1 && h.kind == 'i':
		return func(b []byte) int64 { return int64(int8(b[0])) }
	case h.size == 1:
		return func(b []byte) int64 { return int64(b[0]) }
	case h.size == 2 && h.kind == 'i':
		return func(b []byte) int64 { return int64(int16(h.order.Uint16(b))) }
	case h.size == 2:
		return func(b []byte) int64 { return int64(h.order.Uint16(b)) }
	case h.size == 4 && h.kind == 'i':
		return func(b []byte) int64 { return int64(int32(h.order.Uint32(b))) }
	case h.size == 4:
		return func(b []byte) int64 { return int64(h.order.Uint32(b)) }
	}
	return func(b []byte) int64 { return int64(h.order.Uint64(b)) }
}

// decodeNpy reads exactly h.count elements from r in bounded chunks, and then requires the
// end of the input: a short or a long data section is an error.
func decodeNpy[T any](r io.Reader, h *npyHeader, prealloc int, dec func([]byte) T) ([]T, error) {
	out := make([]T, 0, prealloc)
	chunk := make([]byte, (1<<16)/h.size*h.size)
	left := h.data
	for left > 0 {
		b := chunk[:min(int64(len(chunk)), left)]
		n, err := io.ReadFull(r, b)
		for i := 0; i+h.size <= n; i += h.size {
			out = append(out, dec(b[i:i+h.size]))
		}
		left -= int64(n)
		if err != nil {
			return nil, fmt.Errorf("shape %s of %s holds %d bytes of data, the file ends after %d", shapeString(h.shape), h.descr, h.data, h.data-left)
		}
	}
	var one [1]byte
	if n, _ := io.ReadFull(r, one[:]); n > 0 {
		return nil, fmt.Errorf("shape %s of %s holds %d bytes of data, the file has more", shapeString(h.shape), h.descr, h.data)
	}
	return out, nil
}

// toRowMajor reorders a Fortran-ordered (column-major) array of any number of dimensions
// into row-major order.
func (a *array) toRowMajor() {
	switch {
	case a.f32 != nil:
		a.f32 = rowMajor(a.f32, a.shape)
	case a.f64 != nil:
		a.f64 = rowMajor(a.f64, a.shape)
	default:
		a.ints = rowMajor(a.ints, a.shape)
	}
}

// rowMajor returns the row-major copy of column-major v of the given shape: element
// (i0, ..., ik) is v[i0 + d0·(i1 + d1·(...))].
func rowMajor[T any](v []T, shape []int) []T {
	out := make([]T, len(v))
	if len(v) == 0 {
		return out
	}
	k := len(shape)
	stride := make([]int, k) // column-major strides
	s := 1
	for i := range k {
		stride[i] = s
		s *= shape[i]
	}
	idx := make([]int, k)
	src := 0
	for dst := range out {
		out[dst] = v[src]
		// Advance the row-major index (last dimension fastest), keeping src in step.
		for d := k - 1; d >= 0; d-- {
			idx[d]++
			src += stride[d]
			if idx[d] < shape[d] {
				break
			}
			src -= stride[d] * shape[d]
			idx[d] = 0
		}
	}
	return out
}

func shapeString(shape []int) string {
	s := make([]string, len(shape))
	for i, d := range shape {
		s[i] = strconv.Itoa(d)
	}
	if len(s) == 1 {
		return "(" + s[0] + ",)"
	}
	return "(" + strings.Join(s, ", ") + ")"
}

// npyElem are the element types writeNpyTo writes.
type npyElem interface {
	float32 | float64 | int32 | int64
}

// writeNpyTo writes data as a version 1.0 .npy file of the given shape (row-major,
// little-endian), its header padded to a multiple of 64 bytes as NumPy writes it.
func writeNpyTo[T npyElem](w io.Writer, data []T, shape []int) error {
	if n, ok := shapeCount(shape); !ok || n != len(data) {
		return fmt.Errorf("shape %s does not hold %d values", shapeString(shape), len(data))
	}
	var descr string
	var size int
	switch any(data).(type) {
	case []float32:
		descr, size = "<f4", 4
	case []float64:
		descr, size = "<f8", 8
	case []int32:
		descr, size = "<i4", 4
	case []int64:
		descr, size = "<i8", 8
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shapeString(shape))
	pad := 64 - (10+len(dict)+1)%64
	if pad == 64 {
		pad = 0
	}
	header := dict + strings.Repeat(" ", pad) + "\n"
	if len(header) > math.MaxUint16 {
		return fmt.Errorf("shape %s: header too long", shapeString(shape))
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString(npyMagic)
	bw.Write([]byte{1, 0})
	binary.Write(bw, binary.LittleEndian, uint16(len(header)))
	bw.WriteString(header)
	buf := make([]byte, size)
	for _, v := range data {
		switch v := any(v).(type) {
		case float32:
			binary.LittleEndian.PutUint32(buf, math.Float32bits(v))
		case float64:
			binary.LittleEndian.PutUint64(buf, math.Float64bits(v))
		case int32:
			binary.LittleEndian.PutUint32(buf, uint32(v))
		case int64:
			binary.LittleEndian.PutUint64(buf, uint64(v))
		}
		bw.Write(buf)
	}
	return bw.Flush()
}

// shapeCount is the product of the dimensions, and whether it fits in an int.
func shapeCount(shape []int) (int, bool) {
	n := 1
	for _, d := range shape {
		var ok bool
		if n, ok = device.MulInt(n, d); !ok {
			return 0, false
		}
	}
	return n, true
}

package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// npyFile builds a .npy file: magic, format version major.0, the header length (2 bytes for
// version 1, 4 for 2 and 3) and the header text as given, then data.
func npyFile(major byte, header string, data []byte) []byte {
	b := []byte(npyMagic)
	b = append(b, major, 0)
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(header)))
	}
	return append(append(b, header...), data...)
}

// f64le and f32le encode values as little-endian data.
func f64le(v ...float64) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

func f32be(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.BigEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// npyCase is one hand-made .npy input: want holds the row-major values of a valid file (as
// float64) and shape its shape; err is a part of the error message of an invalid one.
type npyCase struct {
	name  string
	file  []byte
	shape []int
	want  []float64
	err   string
}

// npyCases are the reader's regression cases, each a way in that once panicked, allocated
// without bound or gave wrong numbers, and the valid layouts NumPy's format allows.
var npyCases = []npyCase{
	// Valid: keys in another order than NumPy writes them, double quotes, no trailing comma,
	// Python 2's long suffix, extra spaces.
	{name: "reordered keys", file: npyFile(1, "{'shape': (2, 2), 'fortran_order': False, 'descr': '<f8'}          \n", f64le(1, 2, 3, 4)),
		shape: []int{2, 2}, want: []float64{1, 2, 3, 4}},
	{name: "shape first, fortran", file: npyFile(1, "{'shape': (2, 3), 'descr': '<f8', 'fortran_order': True, }\n", f64le(1, 4, 2, 5, 3, 6)),
		shape: []int{2, 3}, want: []float64{1, 2, 3, 4, 5, 6}},
	{name: "double quotes, long", file: npyFile(1, `{"descr": "<f8", "fortran_order": False, "shape": (3L,)}`+"\n", f64le(0.5, -1, 2)),
		shape: []int{3}, want: []float64{0.5, -1, 2}},
	{name: "big-endian float32", file: npyFile(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }\n", f32be(1.5, -2, 1e-3)),
		shape: []int{3}, want: []float64{1.5, -2, float64(float32(1e-3))}},
	{name: "version 2", file: npyFile(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n", f64le(7)),
		shape: []int{1}, want: []float64{7}},
	{name: "scalar", file: npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }\n", f64le(-3)),
		shape: []int{}, want: []float64{-3}},
	{name: "bool", file: npyFile(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }\n", []byte{1, 0, 1}),
		shape: []int{3}, want: []float64{1, 0, 1}},

	// Invalid: the cases that once gave wrong numbers, panicked or exhausted memory.
	{name: "truncated data (4 floats over [1, 2])", file: npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }\n", f64le(1, 2)),
		err: "holds 32 bytes of data, the file has 16"},
	{name: "header only", file: npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }\n", nil),
		err: "holds 32 bytes of data, the file has 0"},
	{name: "no trailing newline", file: npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", f64le(1)),
		err: "does not end with a newline"},
	{name: "ends inside the header", file: npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n", nil)[:30],
		err: "header"},
	{name: "empty shape entry", file: npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': , }\n", f64le(1)),
		err: "shape must be a tuple"},
	{name: "v2 header length 0xFFFFFFF0", file: append([]byte(npyMagic+"\x02\x00\xf0\xff\xff\xff"), "{'descr'"...),
		err: "header is 4294967280 bytes long"},
	{name: "shape 10**12 in 100 bytes", file: npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }\n", f64le(1, 2)),
		err: "holds 8000000000000 bytes of data, the file has 16"},
	{name: "data after the array", file: npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n", f64le(1, 2)),
		err: "holds 8 bytes of data, the file has 16"},
	{name: "dimension products overflow", file: npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 1099511627776, 1099511627776), }\n", nil),
		err: "overflows"},
	{name: "bytes overflow", file: npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }\n", nil),
		err: "overflows"},
	{name: "dimension beyond int64", file: npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }\n", nil),
		err: "too large"},
	{name: "negative dimension", file: npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }\n", nil),
		err: "non-negative integer"},
	{name: "not a tuple", file: npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3), }\n", f64le(1, 2, 3)),
		err: "is not a tuple"},
	{name: "key twice", file: npyFile(1, "{'descr': '<f8', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", f64le(1)),
		err: "given twice"},
	{name: "unknown key", file: npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}\n", f64le(1)),
		err: "unknown key"},
	{name: "missing key", file: npyFile(1, "{'descr': '<f8', 'shape': (1,), }\n", f64le(1)),
		err: "no \"fortran_order\" key"},
	{name: "fortran_order 1", file: npyFile(1, "{'descr': '<f8', 'fortran_order': 1, 'shape': (1,), }\n", f64le(1)),
		err: "True or False"},
	{name: "Truex", file: npyFile(1, "{'descr': '<f8', 'fortran_order': Truex, 'shape': (1,), }\n", f64le(1)),
		err: "True or False"},
	{name: "unterminated string", file: npyFile(1, "{'descr: '<f8', 'fortran_order': False, 'shape': (1,), }\n", f64le(1)),
		err: "want ':'"},
	{name: "text after the dictionary", file: npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), } x\n", f64le(1)),
		err: "text after"},
	{name: "not a dictionary", file: npyFile(1, "[1, 2]\n", nil), err: "want '{'"},
	{name: "structured dtype", file: npyFile(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n", nil),
		err: "structured dtype"},
	{name: "float16", file: npyFile(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }\n", []byte{0, 0}),
		err: "float16"},
	{name: "complex", file: npyFile(1, "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }\n", nil),
		err: `dtype "<c16" is not supported`},
	{name: "object", file: npyFile(1, "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n", nil),
		err: `dtype "|O" is not supported`},
	{name: "no byte order for 4 bytes", file: npyFile(1, "{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }\n", f32be(1)),
		err: "byte order '|'"},
	{name: "version 4", file: npyFile(4, "{}\n", nil), err: "version 4.0"},
	{name: "version 1.1", file: append([]byte(npyMagic+"\x01\x01"), 0, 0), err: "version 1.1"},
	{name: "magic only", file: []byte(npyMagic), err: "ends inside its magic"},
	{name: "bool 2", file: npyFile(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }\n", []byte{1, 2}),
		err: "bool value 2 at index 1"},
	{name: "uint64 over int64", file: npyFile(1, "{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }\n", f64le(math.Inf(-1))),
		err: "does not fit in int64"},
}

func TestNpyCases(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range npyCases {
		p := filepath.Join(dir, "case.npy")
		if err := os.WriteFile(p, tc.file, 0o644); err != nil {
			t.Fatal(err)
		}
		// From a file (size known) and from a stream (size unknown, as a pipe).
		fromFile, errFile := readArray(p)
		fromPipe, errPipe := readArrayFrom(p, bytes.NewReader(tc.file), -1)
		for _, r := range []struct {
			how string
			a   *array
			err error
		}{{"file", fromFile, errFile}, {"pipe", fromPipe, errPipe}} {
			if tc.err != "" {
				if r.err == nil {
					t.Errorf("%s (%s): read %v %v, want an error about %q", tc.name, r.how, r.a.shape, values(r.a), tc.err)
				} else if r.how == "file" && !strings.Contains(r.err.Error(), tc.err) {
					t.Errorf("%s (%s): %v, want %q", tc.name, r.how, r.err, tc.err)
				} else if strings.Contains(r.err.Error(), "\n") {
					t.Errorf("%s (%s): error of several lines: %q", tc.name, r.how, r.err)
				}
				continue
			}
			if r.err != nil {
				t.Errorf("%s (%s): %v", tc.name, r.how, r.err)
				continue
			}
			if !slices.Equal(r.a.shape, tc.shape) || !slices.Equal(values(r.a), tc.want) {
				t.Errorf("%s (%s): shape %v values %v, want %v %v", tc.name, r.how, r.a.shape, values(r.a), tc.shape, tc.want)
			}
		}
	}
}

// values returns an array's values as float64.
func values(a *array) []float64 {
	if a == nil {
		return nil
	}
	var out []float64
	switch {
	case a.f32 != nil:
		for _, v := range a.f32 {
			out = append(out, float64(v))
		}
	case a.f64 != nil:
		out = append(out, a.f64...)
	default:
		for _, v := range a.ints {
			out = append(out, float64(v))
		}
	}
	return out
}

// TestNpyFromNumPy reads files NumPy wrote (testdata/npy, made by make.py there with Debian's
// python3-numpy 1.24): big-endian, Fortran order, format versions 2.0 and 3.0, every integer
// width, bool, 0-d and empty arrays give NumPy's shape and row-major values; other dtypes are
// refused by name.
func TestNpyFromNumPy(t *testing.T) {
	dir := filepath.Join("testdata", "npy")
	raw, err := os.ReadFile(filepath.Join(dir, "values.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		OK map[string]struct {
			Shape  []int
			Values []json.Number
		}
		Refused map[string]string
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&want); err != nil {
		t.Fatal(err)
	}
	if len(want.OK) < 15 || len(want.Refused) < 5 {
		t.Fatalf("values.json lists %d files and %d refusals", len(want.OK), len(want.Refused))
	}
	for name, w := range want.OK {
		a, err := readArray(filepath.Join(dir, name+".npy"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !slices.Equal(a.shape, w.Shape) || a.len() != len(w.Values) {
			t.Errorf("%s: shape %v (%d values), NumPy's %v (%d)", name, a.shape, a.len(), w.Shape, len(w.Values))
			continue
		}
		for i, s := range w.Values {
			var ok bool
			switch {
			case a.ints != nil:
				v, err := s.Int64()
				ok = err == nil && a.ints[i] == v
			default:
				v, err := s.Float64()
				ok = err == nil && values(a)[i] == v
			}
			if !ok {
				t.Errorf("%s[%d] = %v, NumPy's %s", name, i, values(a)[i], s)
				break
			}
		}
	}
	for name, part := range want.Refused {
		_, err := readArray(filepath.Join(dir, name+".npy"))
		if err == nil || !strings.Contains(err.Error(), strings.Trim(part, "'")) {
			t.Errorf("%s: %v, want an error naming %s", name, err, part)
		}
	}
}

// TestNpyRoundTrip: what writeNpyTo writes, readArray reads back exactly.
func TestNpyRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	v := []float32{1.5, -2, float32(math.Inf(1)), 3e-38, 0, 7}
	if err := writeNpyTo(&buf, v, []int{2, 3}); err != nil {
		t.Fatal(err)
	}
	if (buf.Len()-len(v)*4)%64 != 0 {
		t.Errorf("header of %d bytes: not padded to 64", buf.Len()-len(v)*4)
	}
	a, err := readArrayFrom("x.npy", bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil || !slices.Equal(a.f32, v) || !slices.Equal(a.shape, []int{2, 3}) {
		t.Errorf("round trip: %v %v %v", a, err, v)
	}
	if err := writeNpyTo(&buf, v, []int{4}); err == nil {
		t.Error("writing 6 values as shape (4,) succeeded")
	}
}

// csvCase is one CSV input: want and shape for a valid one, err a part of the message of an
// invalid one.
type csvCase struct {
	name  string
	text  string
	shape []int
	want  []float64
	err   string
}

var csvCases = []csvCase{
	{name: "BOM, no header", text: "\xef\xbb\xbf1\n2\n3\n", shape: []int{3}, want: []float64{1, 2, 3}},
	{name: "BOM and a header", text: "\xef\xbb\xbfa,b\n1,2\n3,4\n", shape: []int{2, 2}, want: []float64{1, 2, 3, 4}},
	{name: "CRLF, spaces, comments, blank lines", text: "# made by hand\r\n\r\n x , y \r\n 1.5 , -2\r\n\r\n3,4e-1\r\n", shape: []int{2, 2}, want: []float64{1.5, -2, 3, 0.4}},
	{name: "quoted fields", text: "\"p\",\"q\"\n\"1.25\", 2\n", shape: []int{1, 2}, want: []float64{1.25, 2}},
	{name: "no final newline", text: "1,2\n3,4", shape: []int{2, 2}, want: []float64{1, 2, 3, 4}},
	{name: "NaN and Inf are numbers", text: "nan,inf\n-Inf,0\n", shape: []int{2, 2}, want: []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0}},

	{name: "1e400 on the first line", text: "1e400\n1\n", err: `line 1, column 1: "1e400" is out of the range of float64`},
	{name: "1e400 later", text: "1,2\n3,-1e400\n", err: `line 2, column 2: "-1e400" is out of the range`},
	{name: "a typo in the first row", text: "1,2x\n3,4\n", err: `line 1, column 2: "2x" is not a number`},
	{name: "a partly numeric first line", text: "x,1\n2,3\n", err: "line 1, column 1"},
	{name: "a typo later", text: "a\n1\n2\nthree\n", err: `line 4, column 1: "three" is not a number`},
	{name: "ragged", text: "1,2\n3\n", err: "line 2 has 1 fields, line 1 (the first row) has 2"},
	{name: "header wider than the rows", text: "a,b,c\n1,2\n", err: "line 2 has 2 fields, the header on line 1 has 3"},
	{name: "empty field", text: "1,,2\n", err: "line 1, column 2: an empty field"},
	{name: "semicolons", text: "a;b\n1;2\n", err: "separated by commas"},
	{name: "a quote that does not close", text: "\"1,2\n", err: "does not close"},
	{name: "text after a quote", text: "\"1\"x,2\n", err: "after a closing quote"},
	{name: "header only", text: "a,b\n", err: "a header on line 1 and no rows"},
	{name: "empty", text: "", err: "no numbers"},
	{name: "comments only", text: "# nothing\n", err: "no numbers"},
	{name: "NUL bytes", text: "\x00\x00\x00\x00", err: "NUL byte"},
	{name: "UTF-16", text: "\xff\xfe1\x00\n\x00", err: "UTF-16"},
	{name: "line too long", text: strings.Repeat("1", 5000), err: "longer than"},
}

func TestCSVCases(t *testing.T) {
	defer func(n int) { maxCSVLine = n }(maxCSVLine)
	maxCSVLine = 4096
	for _, tc := range csvCases {
		a, err := readArrayFrom("t.csv", strings.NewReader(tc.text), int64(len(tc.text)))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s: %v (%v), want one line with %q", tc.name, err, values(a), tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		got := values(a)
		same := len(got) == len(tc.want)
		for i := 0; same && i < len(got); i++ {
			same = got[i] == tc.want[i] || math.IsNaN(got[i]) && math.IsNaN(tc.want[i])
		}
		if !same || !slices.Equal(a.shape, tc.shape) {
			t.Errorf("%s: shape %v values %v, want %v %v", tc.name, a.shape, got, tc.shape, tc.want)
		}
	}
}

// TestReadEndless: a stream without newlines (as /dev/zero is, or /dev/urandom) ends in an
// error after a bounded read.
func TestReadEndless(t *testing.T) {
	for _, path := range []string{"/dev/zero", "/dev/urandom"} {
		if _, err := os.Stat(path); err != nil {
			t.Logf("no %s on this system: %v", path, err)
			continue
		}
		if _, err := readArray(path); err == nil {
			t.Errorf("%s read as an array", path)
		}
	}
	defer func(n int) { maxCSVLine = n }(maxCSVLine)
	maxCSVLine = 1 << 16
	if _, err := readArrayFrom("ones", endless{'1'}, -1); err == nil || !strings.Contains(err.Error(), "longer than 65536 bytes") {
		t.Errorf("an endless line of 1s: %v", err)
	}
}

type endless struct{ b byte }

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = e.b
	}
	return len(p), nil
}

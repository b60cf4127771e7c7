package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio"
)

// array is one input file: a NumPy .npy array or a CSV table, row-major.
type array struct {
	path  string
	dtype string    // "float32", "float64", "int32", "int64", ... ("float64" for CSV)
	shape []int     // the file's shape (CSV: rows, columns)
	f32   []float32 // set for float32 .npy
	f64   []float64 // set for float64 .npy and CSV
	ints  []int64   // set for integer and boolean .npy
	csv   bool      // read from CSV (numbers parsed as float64)
}

func (a *array) len() int {
	switch {
	case a.f32 != nil:
		return len(a.f32)
	case a.f64 != nil:
		return len(a.f64)
	}
	return len(a.ints)
}

func (a *array) isFloat() bool { return strings.HasPrefix(a.dtype, "float") }

func (a *array) shapeString() string {
	s := make([]string, len(a.shape))
	for i, d := range a.shape {
		s[i] = strconv.Itoa(d)
	}
	if len(s) == 1 {
		return "(" + s[0] + ",)"
	}
	return "(" + strings.Join(s, ", ") + ")"
}

// rowsCols is the shape as rows × columns: a 1-D array is rows of one column, an array of
// more than two dimensions is shape[0] rows of the product of the rest.
func (a *array) rowsCols() (int, int) {
	switch len(a.shape) {
	case 0:
		return 1, 1
	case 1:
		return a.shape[0], 1
	}
	c := 1
	for _, d := range a.shape[1:] {
		c *= d
	}
	return a.shape[0], c
}

// readArray reads a .npy file (by its magic bytes) or else a CSV file.
func readArray(path string) (*array, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such file", path)
		}
		return nil, err
	}
	defer f.Close()
	magic := make([]byte, 6)
	n, _ := io.ReadFull(f, magic)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	if n == 6 && string(magic) == string(npyio.Magic[:]) {
		return readNpy(path, f)
	}
	if strings.EqualFold(filepath.Ext(path), ".npy") {
		return nil, fmt.Errorf("%s: not a NumPy .npy file (no \\x93NUMPY magic)", path)
	}
	return readCSV(path, f)
}

func readNpy(path string, r io.Reader) (*array, error) {
	nr, err := npyio.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	h := nr.Header.Descr
	a := &array{path: path, shape: h.Shape}
	typ := strings.TrimLeft(strings.Trim(h.Type, "'\""), "<>|=")
	read := func(ptr any) error {
		if err := nr.Read(ptr); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: reading %s data: %w", path, h.Type, err)
		}
		return nil
	}
	readInts := func(ptr any, conv func() []int64) error {
		if err := read(ptr); err != nil {
			return err
		}
		a.ints = conv()
		return nil
	}
	switch typ {
	case "f4":
		a.dtype = "float32"
		a.f32 = []float32{}
		err = read(&a.f32)
	case "f8":
		a.dtype = "float64"
		a.f64 = []float64{}
		err = read(&a.f64)
	case "i1":
		var v []int8
		a.dtype = "int8"
		err = readInts(&v, func() []int64 { return widen(v) })
	case "i2":
		var v []int16
		a.dtype = "int16"
		err = readInts(&v, func() []int64 { return widen(v) })
	case "i4":
		var v []int32
		a.dtype = "int32"
		err = readInts(&v, func() []int64 { return widen(v) })
	case "i8":
		a.dtype = "int64"
		a.ints = []int64{}
		err = read(&a.ints)
	case "u1":
		var v []uint8
		a.dtype = "uint8"
		err = readInts(&v, func() []int64 { return widen(v) })
	case "u2":
		var v []uint16
		a.dtype = "uint16"
		err = readInts(&v, func() []int64 { return widen(v) })
	case "u4":
		var v []uint32
		a.dtype = "uint32"
		err = readInts(&v, func() []int64 { return widen(v) })
	case "b1":
		var v []bool
		a.dtype = "bool"
		err = readInts(&v, func() []int64 {
			out := make([]int64, len(v))
			for i, b := range v {
				if b {
					out[i] = 1
				}
			}
			return out
		})
	default:
		return nil, fmt.Errorf("%s: dtype %q is not supported (use float32, float64 or an integer type)", path, h.Type)
	}
	if err != nil {
		return nil, err
	}
	if h.Fortran && len(h.Shape) > 1 {
		if len(h.Shape) > 2 {
			return nil, fmt.Errorf("%s: a Fortran-ordered array of %d dimensions: save it C-ordered (np.ascontiguousarray)", path, len(h.Shape))
		}
		a.transpose()
	}
	want := 1
	for _, d := range h.Shape {
		want *= d
	}
	if a.len() != want {
		return nil, fmt.Errorf("%s: shape %s holds %d values, the file has %d", path, a.shapeString(), want, a.len())
	}
	return a, nil
}

func widen[T int8 | int16 | int32 | uint8 | uint16 | uint32](v []T) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

// transpose turns a Fortran-ordered (column-major) 2-D array into row-major order.
func (a *array) transpose() {
	r, c := a.shape[0], a.shape[1]
	switch {
	case a.f32 != nil:
		a.f32 = transposed(a.f32, r, c)
	case a.f64 != nil:
		a.f64 = transposed(a.f64, r, c)
	default:
		a.ints = transposed(a.ints, r, c)
	}
}

func transposed[T any](v []T, r, c int) []T {
	out := make([]T, len(v))
	for j := range c {
		for i := range r {
			out[i*c+j] = v[j*r+i]
		}
	}
	return out
}

// readCSV reads a table of numbers: one row per record, a first record that is not all
// numbers is a header and skipped, lines starting with # are comments.
func readCSV(path string, r io.Reader) (*array, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1
	a := &array{path: path, dtype: "float64", f64: []float64{}, csv: true}
	rows, cols := 0, -1
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: not a .npy file, and not CSV: %w", path, err)
		}
		vals := make([]float64, len(rec))
		var bad error
		for i, s := range rec {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil && bad == nil {
				bad = fmt.Errorf("%s: line %d, field %d: %q is not a number", path, line, i+1, s)
			}
			vals[i] = v
		}
		if bad != nil {
			if rows == 0 && cols < 0 {
				cols = -2 // a header: skip it
				continue
			}
			return nil, bad
		}
		if cols >= 0 && len(vals) != cols {
			return nil, fmt.Errorf("%s: line %d has %d fields, the lines before %d", path, line, len(vals), cols)
		}
		cols = len(vals)
		rows++
		a.f64 = append(a.f64, vals...)
	}
	if rows == 0 {
		return nil, fmt.Errorf("%s: no numbers in it", path)
	}
	if cols == 1 {
		a.shape = []int{rows}
	} else {
		a.shape = []int{rows, cols}
	}
	return a, nil
}

// floats returns the array as []T (float32 or float64). Integer arrays are converted
// exactly where allowInt is set, else they are an error naming the dtype.
func floats[T float32 | float64](a *array, role string, allowInt bool) ([]T, error) {
	out := make([]T, a.len())
	switch {
	case a.f32 != nil:
		for i, v := range a.f32 {
			out[i] = T(v)
		}
	case a.f64 != nil:
		for i, v := range a.f64 {
			out[i] = T(v)
		}
	default:
		if !allowInt {
			return nil, fmt.Errorf("%s (%s): dtype %s; want float32 or float64", a.path, role, a.dtype)
		}
		for i, v := range a.ints {
			out[i] = T(v)
		}
	}
	return out, nil
}

// labels returns the array as int32 class labels: integer arrays are range-checked, float
// arrays (CSV) must hold whole numbers; a .npy of floats is an error.
func labels(a *array) ([]int32, error) {
	out := make([]int32, a.len())
	switch {
	case a.ints != nil:
		for i, v := range a.ints {
			if v < math.MinInt32 || v > math.MaxInt32 {
				return nil, fmt.Errorf("%s (labels): value %d at index %d does not fit in int32", a.path, v, i)
			}
			out[i] = int32(v)
		}
	case a.f32 != nil:
		return nil, fmt.Errorf("%s (labels): dtype float32; want int32 or int64 class indices (y.astype(np.int64))", a.path)
	case a.f64 != nil && !a.csv:
		return nil, fmt.Errorf("%s (labels): dtype float64; want int32 or int64 class indices (y.astype(np.int64))", a.path)
	default:
		for i, v := range a.f64 {
			if v != math.Trunc(v) || v < math.MinInt32 || v > math.MaxInt32 {
				return nil, fmt.Errorf("%s (labels): value %v at row %d is not an int32 class index", a.path, v, i+1)
			}
			out[i] = int32(v)
		}
	}
	return out, nil
}

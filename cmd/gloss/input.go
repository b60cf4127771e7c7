package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/gloss-ml/gloss/device"
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

func (a *array) shapeString() string { return shapeString(a.shape) }

// rowsCols is the shape as rows × columns: a 1-D array is rows of one column, an array of
// more than two dimensions is shape[0] rows of the product of the rest (which fits in an int:
// readNpyHeader checks every product of dimensions).
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

// readArray reads a .npy file (by its magic bytes) or else a CSV file. Regular files are
// checked against their size before anything is allocated; pipes and devices are read in
// bounded pieces.
func readArray(path string) (*array, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such file", path)
		}
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s: a directory, not a .npy or CSV file", path)
	}
	size := int64(-1)
	if st.Mode().IsRegular() {
		size = st.Size()
	}
	return readArrayFrom(path, f, size)
}

// readArrayFrom reads a .npy or CSV array from r, whose size is given (-1 when unknown).
func readArrayFrom(path string, r io.Reader, size int64) (*array, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, _ := br.Peek(len(npyMagic))
	if string(magic) == npyMagic {
		return readNpy(path, br, size)
	}
	if strings.EqualFold(filepath.Ext(path), ".npy") {
		return nil, fmt.Errorf("%s: not a NumPy .npy file (no \\x93NUMPY magic)", path)
	}
	return readCSV(path, br)
}

// fits refuses to hold bytes of input data that exceed the host's available memory: an
// allocation that fails is a fatal error in Go, not one that can be reported.
func fits(path string, bytes int64) error {
	if free := device.CPU0().Info().MemFree; free > 0 && bytes > free {
		return fmt.Errorf("%s: its data needs %.3g GB of memory, the host has %.3g GB available", path, float64(bytes)/1e9, float64(free)/1e9)
	}
	return nil
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

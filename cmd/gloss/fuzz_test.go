package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// sameArrays reports whether two reads gave the same array, bit for bit.
func sameArrays(a, b *array) bool {
	if a.dtype != b.dtype || !slices.Equal(a.shape, b.shape) || a.len() != b.len() {
		return false
	}
	va, vb := values(a), values(b)
	for i := range va {
		if math.Float64bits(va[i]) != math.Float64bits(vb[i]) {
			return false
		}
	}
	return slices.Equal(a.ints, b.ints)
}

// checkRead is what both fuzz targets assert of one input: reading it as a file of known size
// and as a stream of unknown size (a pipe) never panics, and both give the same array or both
// an error of one line; an array's shape holds exactly its values.
func checkRead(t *testing.T, path string, data []byte) *array {
	a, err := readArrayFrom(path, bytes.NewReader(data), int64(len(data)))
	b, errPipe := readArrayFrom(path, bytes.NewReader(data), -1)
	if (err == nil) != (errPipe == nil) {
		t.Fatalf("file and pipe disagree: %v; %v", err, errPipe)
	}
	if err != nil {
		if bytes.ContainsRune([]byte(err.Error()), '\n') {
			t.Fatalf("error of several lines: %q", err)
		}
		return nil
	}
	if !sameArrays(a, b) {
		t.Fatalf("file and pipe read different arrays: %v %v; %v %v", a.shape, values(a), b.shape, values(b))
	}
	if n, ok := shapeCount(a.shape); !ok || n != a.len() {
		t.Fatalf("shape %v with %d values", a.shape, a.len())
	}
	return a
}

// FuzzReadNpy throws arbitrary bytes, after a .npy magic or not, at the .npy reader. Its seeds
// are every case of TestNpyCases and every file NumPy wrote in testdata/npy.
func FuzzReadNpy(f *testing.F) {
	for _, tc := range npyCases {
		f.Add(tc.file)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "npy", "*.npy"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a := checkRead(t, "fuzz.npy", data)
		if a == nil {
			return
		}
		// A float array written back and read again is the same array.
		var buf bytes.Buffer
		var err error
		switch {
		case a.f32 != nil:
			err = writeNpyTo(&buf, a.f32, a.shape)
		case a.f64 != nil:
			err = writeNpyTo(&buf, a.f64, a.shape)
		default:
			err = writeNpyTo(&buf, a.ints, a.shape)
		}
		if err != nil {
			t.Fatalf("writing back %v: %v", a.shape, err)
		}
		back, err := readArrayFrom("back.npy", bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		if a.ints != nil { // integers and bools come back as int64
			if !slices.Equal(a.ints, back.ints) || !slices.Equal(a.shape, back.shape) {
				t.Fatalf("round trip of %s changed it", a.dtype)
			}
		} else if !sameArrays(a, back) {
			t.Fatalf("round trip of %s %v changed it", a.dtype, a.shape)
		}
	})
}

// FuzzReadCSV throws arbitrary bytes at the CSV reader. Its seeds are every case of
// TestCSVCases.
func FuzzReadCSV(f *testing.F) {
	for _, tc := range csvCases {
		f.Add([]byte(tc.text))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a := checkRead(t, "fuzz.csv", data)
		if a == nil {
			return
		}
		if bytes.HasPrefix(data, []byte(npyMagic)) {
			return // read as a .npy, by its magic
		}
		if !a.csv || a.f64 == nil || len(a.shape) < 1 || len(a.shape) > 2 || a.shape[0] < 1 {
			t.Fatalf("a CSV table read as %+v", a)
		}
	})
}

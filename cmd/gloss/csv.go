package main

// CSV tables of numbers: one row per line, fields separated by commas (a field may be
// quoted), '#' comment lines and blank lines skipped, a UTF-8 byte-order mark dropped. The
// first line is a header only when none of its fields parses as a number; a line that is
// partly numeric, a value out of float64's range (1e400), an empty field and a row with a
// different number of fields are errors naming the line and column. Lines are bounded
// (maxCSVLine) and binary data is refused, so a stream without newlines (/dev/zero) ends in
// an error instead of being read forever.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxCSVLine is the longest line read, in bytes (a row of 10⁶ numbers fits).
var maxCSVLine = 32 << 20

const utf8BOM = "\xef\xbb\xbf"

// readCSVLine returns the next line without its line ending, or io.EOF. A line longer than
// maxCSVLine or holding a NUL byte is an error.
func readCSVLine(r *bufio.Reader, lineNo int) (string, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if i := bytes.IndexByte(chunk, 0); i >= 0 {
			return "", fmt.Errorf("line %d: a NUL byte at byte %d of the line: binary data, not CSV (and not a .npy file: no \\x93NUMPY magic)", lineNo, len(line)+i+1)
		}
		if len(line)+len(chunk) > maxCSVLine {
			return "", fmt.Errorf("line %d is longer than %d bytes without a newline: not a CSV table of numbers", lineNo, maxCSVLine)
		}
		line = append(line, chunk...)
		switch {
		case err == nil:
			line = line[:len(line)-1]
			line = bytes.TrimSuffix(line, []byte{'\r'})
			return string(line), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(line) == 0 {
				return "", io.EOF
			}
			return string(bytes.TrimSuffix(line, []byte{'\r'})), nil
		default:
			return "", err
		}
	}
}

// splitCSV splits a line into fields at commas outside double quotes, and unquotes quoted
// fields ("" inside quotes is one quote).
func splitCSV(line string, lineNo int) ([]string, error) {
	var fields []string
	for {
		f := strings.TrimLeft(line, " \t")
		if strings.HasPrefix(f, `"`) {
			var b strings.Builder
			i := 1
			for {
				j := strings.IndexByte(f[i:], '"')
				if j < 0 {
					return nil, fmt.Errorf("line %d, column %d: a quote that does not close", lineNo, len(fields)+1)
				}
				b.WriteString(f[i : i+j])
				i += j + 1
				if strings.HasPrefix(f[i:], `"`) {
					b.WriteByte('"')
					i++
					continue
				}
				break
			}
			rest := strings.TrimLeft(f[i:], " \t")
			if rest != "" && rest[0] != ',' {
				return nil, fmt.Errorf("line %d, column %d: text after a closing quote", lineNo, len(fields)+1)
			}
			fields = append(fields, b.String())
			if rest == "" {
				return fields, nil
			}
			line = rest[1:]
			continue
		}
		i := strings.IndexByte(f, ',')
		if i < 0 {
			return append(fields, f), nil
		}
		fields = append(fields, f[:i])
		line = f[i+1:]
	}
}

// csvField classifies one field: its value, whether it is a number at all (out-of-range
// numbers such as 1e400 are numbers, and errors), and the error that makes it unusable.
func csvField(s string, lineNo, col int) (v float64, numeric bool, err error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, false, fmt.Errorf("line %d, column %d: an empty field", lineNo, col)
	}
	v, perr := strconv.ParseFloat(t, 64)
	switch {
	case perr == nil:
		return v, true, nil
	case errors.Is(perr, strconv.ErrRange):
		return 0, true, fmt.Errorf("line %d, column %d: %q is out of the range of float64", lineNo, col, t)
	}
	hint := ""
	if strings.ContainsAny(t, ";\t") {
		hint = " (fields are separated by commas)"
	}
	return 0, false, fmt.Errorf("line %d, column %d: %q is not a number%s", lineNo, col, t, hint)
}

// readCSV reads a table of numbers (see the top of this file) as float64.
func readCSV(path string, r *bufio.Reader) (*array, error) {
	a := &array{path: path, dtype: "float64", csv: true}
	if bom, _ := r.Peek(2); string(bom) == "\xff\xfe" || string(bom) == "\xfe\xff" {
		return nil, fmt.Errorf("%s: UTF-16 text: save the table as UTF-8 CSV", path)
	}
	var vals []float64
	rows, cols, headerLine, firstLine := 0, -1, 0, 0
	for lineNo := 1; ; lineNo++ {
		line, err := readCSVLine(r, lineNo)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if lineNo == 1 {
			line = strings.TrimPrefix(line, utf8BOM)
		}
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		fields, err := splitCSV(line, lineNo)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		first := rows == 0 && headerLine == 0
		var firstErr error
		numeric := 0
		row := make([]float64, len(fields))
		for i, f := range fields {
			v, isNum, err := csvField(f, lineNo, i+1)
			if isNum {
				numeric++
			}
			if err != nil && firstErr == nil {
				firstErr = err
			}
			row[i] = v
		}
		if first && numeric == 0 {
			headerLine, cols = lineNo, len(fields) // a header: names only
			continue
		}
		if firstErr != nil {
			if first {
				return nil, fmt.Errorf("%s: %w (a header line holds no numbers; a data line only numbers)", path, firstErr)
			}
			return nil, fmt.Errorf("%s: %w", path, firstErr)
		}
		if cols >= 0 && len(row) != cols {
			what := fmt.Sprintf("line %d (the first row)", firstLine)
			if rows == 0 {
				what = fmt.Sprintf("the header on line %d", headerLine)
			}
			return nil, fmt.Errorf("%s: line %d has %d fields, %s has %d", path, lineNo, len(row), what, cols)
		}
		if rows == 0 {
			firstLine = lineNo
		}
		cols = len(row)
		if len(vals)+len(row) > cap(vals) {
			grown := max(2*cap(vals), len(vals)+len(row), 1024)
			if err := fits(path, int64(grown)*8); err != nil {
				return nil, err
			}
			vals = append(make([]float64, 0, grown), vals...)
		}
		vals = append(vals, row...)
		rows++
	}
	if rows == 0 {
		if headerLine > 0 {
			return nil, fmt.Errorf("%s: a header on line %d and no rows of numbers", path, headerLine)
		}
		return nil, fmt.Errorf("%s: no numbers in it", path)
	}
	a.f64 = vals
	if cols == 1 {
		a.shape = []int{rows}
	} else {
		a.shape = []int{rows, cols}
	}
	return a, nil
}

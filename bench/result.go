package bench

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Status says what became of one case.
type Status string

// The statuses.
const (
	// OK: validated against cpuref, then timed.
	OK Status = "ok"
	// Invalid: the device's result differs from cpuref beyond the loss's tolerance; not timed.
	Invalid Status = "invalid"
	// Failed: the device returned an error.
	Failed Status = "error"
)

// CopyLoss is the loss column of the rows that hold a device's copy bandwidth (the ceiling).
const CopyLoss = "device_copy"

// Path says where the data lives while a case is timed.
type Path string

// The paths.
const (
	// Resident: inputs and outputs stay in device buffers (loss.Run): the fast path.
	Resident Path = "resident"
	// Copy: host slices in and out (loss.Compute with Options.Device): every call copies the
	// inputs to the device and the outputs back.
	Copy Path = "copy"
)

// Result is one row of the benchmark's long table: one loss, device, mode, path and size.
// Times are seconds per call; GBs is Bytes/Median in 10⁹ bytes per second.
type Result struct {
	Loss       string  `json:"loss"`
	Device     string  `json:"device"`
	Mode       Mode    `json:"mode"`
	Path       Path    `json:"path"`
	N          int     `json:"n"`
	C          int     `json:"c"`
	Bytes      int64   `json:"bytes"`
	Median     float64 `json:"median_s"`
	P20        float64 `json:"p20_s"`
	P80        float64 `json:"p80_s"`
	GBs        float64 `json:"gb_s"`
	PctCeiling float64 `json:"pct_ceiling"` // 100·GBs / the device's copy bandwidth
	Speedup    float64 `json:"speedup_cpu"` // the cpu device's resident median / this median
	MaxErr     float64 `json:"max_err"`     // largest |device − cpuref| over the value and outputs
	Status     Status  `json:"status"`
	Note       string  `json:"note,omitempty"`
	DeviceName string  `json:"device_name"`
	Runtime    string  `json:"runtime"` // the Go version (for peers: python and library versions)
	Commit     string  `json:"commit"`
	Time       string  `json:"time"` // RFC 3339, when the case ran
}

// CSVColumns are the CSV header, in order.
var CSVColumns = []string{"loss", "device", "mode", "path", "n", "c", "bytes", "median_s", "p20_s", "p80_s",
	"gb_s", "pct_ceiling", "speedup_cpu", "max_err", "status", "note", "device_name", "runtime", "commit", "time"}

// key identifies a case across devices and files.
type key struct {
	loss string
	mode Mode
	n, c int
}

func (r *Result) key() key { return key{r.Loss, r.Mode, r.N, r.C} }

func fmtFloat(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

func (r *Result) record() []string {
	return []string{r.Loss, r.Device, string(r.Mode), string(r.Path), strconv.Itoa(r.N), strconv.Itoa(r.C),
		strconv.FormatInt(r.Bytes, 10), fmtFloat(r.Median), fmtFloat(r.P20), fmtFloat(r.P80),
		fmtFloat(r.GBs), fmtFloat(r.PctCeiling), fmtFloat(r.Speedup), fmtFloat(r.MaxErr),
		string(r.Status), r.Note, r.DeviceName, r.Runtime, r.Commit, r.Time}
}

// WriteCSV writes results as one long table with the CSVColumns header. Missing numbers
// (NaN) are empty cells.
func WriteCSV(w io.Writer, results []Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	for i := range results {
		if err := cw.Write(results[i].record()); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadCSV reads a table written by WriteCSV or by bench/peers/peers.py. Columns are found
// by name in the header (order free, unknown columns ignored); loss, device, mode, n, c and
// median_s are required, a missing or empty number is NaN (0 for the integers).
func ReadCSV(r io.Reader) ([]Result, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("bench: empty CSV (want a header with %s)", strings.Join(CSVColumns, ","))
		}
		return nil, fmt.Errorf("bench: reading CSV header: %w", err)
	}
	idx := map[string]int{}
	for i, h := range head {
		idx[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, need := range []string{"loss", "device", "mode", "n", "c", "median_s"} {
		if _, ok := idx[need]; !ok {
			return nil, fmt.Errorf("bench: CSV has no %q column (header: %s)", need, strings.Join(head, ","))
		}
	}
	var out []Result
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("bench: CSV: %w", err)
		}
		get := func(name string) string {
			if i, ok := idx[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		var perr error
		num := func(name string) float64 {
			s := get(name)
			if s == "" {
				return math.NaN()
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil && perr == nil {
				perr = fmt.Errorf("bench: CSV line %d: %s = %q is not a number", line, name, s)
			}
			return v
		}
		integer := func(name string) int64 {
			s := get(name)
			if s == "" {
				return 0
			}
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil && perr == nil {
				perr = fmt.Errorf("bench: CSV line %d: %s = %q is not an integer", line, name, s)
			}
			return v
		}
		res := Result{Loss: get("loss"), Device: get("device"), Mode: Mode(get("mode")), Path: Path(get("path")),
			N: int(integer("n")), C: int(integer("c")), Bytes: integer("bytes"),
			Median: num("median_s"), P20: num("p20_s"), P80: num("p80_s"), GBs: num("gb_s"),
			PctCeiling: num("pct_ceiling"), Speedup: num("speedup_cpu"), MaxErr: num("max_err"),
			Status: Status(get("status")), Note: get("note"), DeviceName: get("device_name"),
			Runtime: get("runtime"), Commit: get("commit"), Time: get("time")}
		if perr != nil {
			return nil, perr
		}
		if res.Path == "" {
			res.Path = Resident
		}
		if res.Status == "" {
			res.Status = OK
		}
		out = append(out, res)
	}
	return out, nil
}

// Meta describes the run.
type Meta struct {
	Commit  string   `json:"commit"`
	Runtime string   `json:"runtime"`
	CPU     string   `json:"cpu"`
	Threads int      `json:"threads"` // GOMAXPROCS
	Start   string   `json:"start"`
	Elapsed float64  `json:"elapsed_s"`
	Quick   bool     `json:"quick"`
	DType   string   `json:"dtype"`
	Sizes   []string `json:"sizes"`
	Seed    uint64   `json:"seed"`
	Repeats int      `json:"repeats"`
	Command string   `json:"command,omitempty"`
}

// Report is a whole run: its description, every result row (the copy-bandwidth rows
// included, with Loss = CopyLoss), and notes on what was skipped and why.
type Report struct {
	Meta    Meta     `json:"meta"`
	Results []Result `json:"results"`
	Notes   []string `json:"notes"`
}

// jsonResult writes NaN as null, which encoding/json cannot.
type jsonResult struct {
	Result
	Median     *float64 `json:"median_s"`
	P20        *float64 `json:"p20_s"`
	P80        *float64 `json:"p80_s"`
	GBs        *float64 `json:"gb_s"`
	PctCeiling *float64 `json:"pct_ceiling"`
	Speedup    *float64 `json:"speedup_cpu"`
	MaxErr     *float64 `json:"max_err"`
}

func ptr(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// WriteJSON writes the report as indented JSON; NaN numbers are null.
func WriteJSON(w io.Writer, rep *Report) error {
	out := struct {
		Meta    Meta         `json:"meta"`
		Results []jsonResult `json:"results"`
		Notes   []string     `json:"notes"`
	}{Meta: rep.Meta, Notes: rep.Notes, Results: make([]jsonResult, len(rep.Results))}
	for i, r := range rep.Results {
		out.Results[i] = jsonResult{Result: r, Median: ptr(r.Median), P20: ptr(r.P20), P80: ptr(r.P80), GBs: ptr(r.GBs),
			PctCeiling: ptr(r.PctCeiling), Speedup: ptr(r.Speedup), MaxErr: ptr(r.MaxErr)}
	}
	if out.Notes == nil {
		out.Notes = []string{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// ReadJSON reads a report written by WriteJSON.
func ReadJSON(r io.Reader) (*Report, error) {
	var in struct {
		Meta    Meta         `json:"meta"`
		Results []jsonResult `json:"results"`
		Notes   []string     `json:"notes"`
	}
	if err := json.NewDecoder(r).Decode(&in); err != nil {
		return nil, fmt.Errorf("bench: JSON: %w", err)
	}
	rep := &Report{Meta: in.Meta, Notes: in.Notes}
	for _, j := range in.Results {
		r := j.Result
		r.Median, r.P20, r.P80, r.GBs = val(j.Median), val(j.P20), val(j.P80), val(j.GBs)
		r.PctCeiling, r.Speedup, r.MaxErr = val(j.PctCeiling), val(j.Speedup), val(j.MaxErr)
		rep.Results = append(rep.Results, r)
	}
	return rep, nil
}

func now() string { return time.Now().UTC().Format(time.RFC3339) }

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gloss-ml/gloss/bench"
	"github.com/gloss-ml/gloss/device"
)

const devicesUsage = `usage: gloss devices [flags]

Lists every backend's devices (cpu, cpuref, opencl, cuda) with their memory, compute units and
a short measurement of their copy bandwidth, and says why a backend has none: its driver
library is not installed, the driver is too old, it sees no device, or this binary was built
without cgo. Every build has every backend: the drivers are looked up when the program runs.

flags:
`

type deviceRow struct {
	Backend      string   `json:"backend"`
	Name         string   `json:"name,omitempty"`
	Kind         string   `json:"kind,omitempty"`
	Description  string   `json:"description,omitempty"`
	MemTotal     int64    `json:"mem_total,omitempty"`
	MemFree      int64    `json:"mem_free,omitempty"`
	ComputeUnits int      `json:"compute_units,omitempty"`
	FP64         bool     `json:"fp64"`
	CopyGBs      *float64 `json:"copy_gb_s,omitempty"`
	Absent       string   `json:"absent,omitempty"` // why there is no device
}

func cmdDevices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("devices", devicesUsage, stderr)
	measure := fs.Bool("measure", true, "measure each device's copy bandwidth (a 64 MiB dev.Copy, a few repeats)")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	var rows []deviceRow
	for _, b := range device.Backends() {
		infos, err := device.List(b)
		if err != nil {
			rows = append(rows, deviceRow{Backend: b, Absent: absentReason(b, err)})
			continue
		}
		if len(infos) == 0 {
			rows = append(rows, deviceRow{Backend: b, Absent: "the backend lists no device"})
		}
		for _, in := range infos {
			r := deviceRow{Backend: b, Name: in.Name, Kind: in.Kind.String(), Description: in.Description,
				MemTotal: in.MemTotal, MemFree: in.MemFree, ComputeUnits: in.ComputeUnits, FP64: in.FP64}
			if *measure {
				dev, err := device.Open(in.Name)
				if err != nil {
					r.Absent = "listed but does not open: " + err.Error()
				} else {
					row, err := bench.CopyBandwidth(ctx, dev, 64<<20, bench.Timing{Repeats: 5, MinSample: 5 * time.Millisecond, Budget: 300 * time.Millisecond})
					if err != nil {
						r.Absent = "copy measurement failed: " + err.Error()
					} else {
						g := row.GBs
						r.CopyGBs = &g
					}
					dev.Close()
				}
			}
			rows = append(rows, r)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	// The devices in a table, then one line per backend without a device and why (long
	// reasons would widen the table).
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "backend\tdevice\tdescription\tmemory\tfree\tunits\tfp64\tcopy GB/s\t")
	var absent []deviceRow
	for _, r := range rows {
		if r.Name == "" {
			absent = append(absent, r)
			continue
		}
		cp := "-"
		if r.CopyGBs != nil {
			cp = fmt.Sprintf("%.2f", *r.CopyGBs)
		}
		if r.Absent != "" {
			cp = r.Absent
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%v\t%s\t\n", r.Backend, r.Name, r.Description, gib(r.MemTotal), gib(r.MemFree), r.ComputeUnits, r.FP64, cp)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(absent) > 0 {
		fmt.Fprintln(stdout)
	}
	for _, r := range absent {
		if _, err := fmt.Fprintf(stdout, "%s: no device: %s\n", r.Backend, r.Absent); err != nil {
			return err
		}
	}
	return nil
}

func gib(b int64) string {
	if b <= 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
}

// absentReason says in words why a backend has no device: the backend's message without the
// sentinel and backend prefixes the row already shows.
func absentReason(backend string, err error) string {
	msg := err.Error()
	for _, sentinel := range []error{device.ErrNoDevice, device.ErrNotBuilt} {
		if errors.Is(err, sentinel) {
			msg = strings.TrimPrefix(msg, sentinel.Error()+": ")
		}
	}
	return strings.TrimPrefix(msg, backend+": ")
}

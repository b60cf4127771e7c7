package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/gloss-ml/gloss/bench"
	"github.com/gloss-ml/gloss/device"
)

const devicesUsage = `usage: gloss devices [flags]

Lists every backend's devices (cpu, opencl, cuda) with their memory, compute units and a
short measurement of their copy bandwidth, and says why a backend has none: not built into
this binary (rebuild with -tags opencl or -tags cuda), no driver, no platform.

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
			rows = append(rows, deviceRow{Backend: b, Absent: absentReason(err)})
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
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "backend\tdevice\tdescription\tmemory\tfree\tunits\tfp64\tcopy GB/s\t")
	for _, r := range rows {
		if r.Name == "" {
			fmt.Fprintf(tw, "%s\t-\tabsent: %s\t\t\t\t\t\t\n", r.Backend, r.Absent)
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
	return tw.Flush()
}

func gib(b int64) string {
	if b <= 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
}

// absentReason says in words why a backend has no device.
func absentReason(err error) string {
	switch {
	case errors.Is(err, device.ErrNotBuilt):
		return "not built into this binary: " + err.Error()
	case errors.Is(err, device.ErrNoDevice):
		return "no device (driver or platform missing): " + err.Error()
	}
	return err.Error()
}

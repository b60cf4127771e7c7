package bench

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

func modeRank(m Mode) int {
	if i := slices.Index(AllModes, m); i >= 0 {
		return i
	}
	return len(AllModes)
}

// sortCases orders rows by loss, mode, size and path.
func sortCases(rows []Result) {
	slices.SortStableFunc(rows, func(a, b Result) int {
		return cmp.Or(cmp.Compare(a.Loss, b.Loss), cmp.Compare(modeRank(a.Mode), modeRank(b.Mode)),
			cmp.Compare(a.N*a.C, b.N*b.C), cmp.Compare(a.N, b.N), cmp.Compare(b.Path, a.Path))
	})
}

// devicesOf lists the devices of rows in order of first appearance.
func devicesOf(rows []Result) []string {
	var out []string
	for _, r := range rows {
		if !slices.Contains(out, r.Device) {
			out = append(out, r.Device)
		}
	}
	return out
}

func fmtNum(v float64, format string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

// WriteTable writes the report for a terminal: per device its copy ceiling, then one line per
// case (median and p20–p80 per call, GB/s, % of the copy ceiling, speedup over the cpu
// device, the largest difference from cpuref, the status), then the notes.
func WriteTable(w io.Writer, rep *Report) error {
	m := rep.Meta
	head := []string{"gloss bench"}
	for _, kv := range [][2]string{{"", m.Start}, {"commit ", m.Commit}, {"", m.Runtime}, {"", m.CPU}, {"dtype ", m.DType}} {
		if kv[1] != "" {
			head = append(head, kv[0]+kv[1])
		}
	}
	if m.Threads > 0 {
		head = append(head, fmt.Sprintf("GOMAXPROCS %d", m.Threads))
	}
	fmt.Fprintln(w, strings.Join(head, "  "))
	for _, dev := range devicesOf(rep.Results) {
		var rows []Result
		var ceiling *Result
		for i, r := range rep.Results {
			if r.Device != dev {
				continue
			}
			if r.Loss == CopyLoss {
				ceiling = &rep.Results[i]
				continue
			}
			rows = append(rows, r)
		}
		fmt.Fprintln(w)
		desc := dev
		if ceiling != nil {
			desc += fmt.Sprintf(" (%s): copy bandwidth %.2f GB/s", ceiling.DeviceName, ceiling.GBs)
		} else if len(rows) > 0 {
			desc += fmt.Sprintf(" (%s): copy bandwidth not measured", rows[0].DeviceName)
		}
		fmt.Fprintln(w, desc)
		if len(rows) == 0 {
			continue
		}
		sortCases(rows)
		// Numbers align right; the text columns are padded so that they read left-aligned.
		wl, wm, wp := len("loss"), len("mode"), len("path")
		for _, r := range rows {
			wl, wm, wp = max(wl, len(r.Loss)), max(wm, len(r.Mode)), max(wp, len(r.Path))
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "%-*s\t%-*s\t%-*s\tn\tc\tMB\tmedian\tp20–p80\tGB/s\t%% copy\t× cpu\tmax err\t  status\n", wl, "loss", wm, "mode", wp, "path")
		for _, r := range rows {
			status := string(r.Status)
			if r.Status != OK && r.Note != "" {
				status += ": " + firstLine(r.Note, 60)
			}
			fmt.Fprintf(tw, "%-*s\t%-*s\t%-*s\t%d\t%d\t%.3g\t%s\t%s–%s\t%s\t%s\t%s\t%s\t  %s\n", wl, r.Loss, wm, r.Mode, wp, r.Path, r.N, r.C,
				float64(r.Bytes)/1e6, fmtDuration(r.Median), fmtDuration(r.P20), fmtDuration(r.P80),
				fmtNum(r.GBs, "%.3g"), fmtNum(r.PctCeiling, "%.0f%%"), fmtNum(r.Speedup, "%.2f"), fmtNum(r.MaxErr, "%.1e"), status)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(rep.Notes) > 0 {
		fmt.Fprintln(w, "\nnotes:")
		for _, n := range rep.Notes {
			fmt.Fprintln(w, "  "+n)
		}
	}
	if bad := Failures(rep.Results); bad > 0 {
		fmt.Fprintf(w, "\n%d case(s) failed validation or returned an error (status column)\n", bad)
	}
	return nil
}

func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if len([]rune(s)) > n {
		s = string([]rune(s)[:n]) + "…"
	}
	return s
}

// Failures counts the rows whose status is Invalid or Failed.
func Failures(results []Result) int {
	var n int
	for _, r := range results {
		if r.Status == Invalid || r.Status == Failed {
			n++
		}
	}
	return n
}

// WriteCompare writes gloss's resident timings next to a peer table's (bench/peers/peers.py:
// PyTorch, the seed document's NumPy code) for the cases both have (same loss, mode, n and
// c; compareCases pairs them): each side's median per call, and for each peer and gloss device
// the ratio peer/gloss (above 1: gloss is faster). It ends with the geometric mean of each
// ratio per mode.
func WriteCompare(w io.Writer, ours, peers []Result) error {
	c := compareCases(ours, peers)
	if len(c.ratios) == 0 {
		_, err := fmt.Fprintln(w, "compare: no case in common (same loss, mode, n and c) between this run and the peers file")
		return err
	}
	type cell map[string]float64
	var keys []key
	gloss, peer, ratios := map[key]cell{}, map[key]cell{}, map[key]cell{}
	for _, r := range c.ratios {
		k := key{loss: r.loss, mode: r.mode, n: r.n, c: r.c}
		if gloss[k] == nil {
			gloss[k], peer[k], ratios[k] = cell{}, cell{}, cell{}
			keys = append(keys, k)
		}
		gloss[k][r.device], peer[k][r.peer], ratios[k][r.peer+"/"+r.device] = r.gloss, r.peerS, r.value
	}
	wl, wm := len("loss"), len("mode")
	for _, k := range keys {
		wl, wm = max(wl, len(k.loss)), max(wm, len(k.mode))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{fmt.Sprintf("%-*s", wl, "loss"), fmt.Sprintf("%-*s", wm, "mode"), "n", "c"}
	for _, d := range c.devices {
		head = append(head, "gloss "+d)
	}
	for _, p := range c.peers {
		head = append(head, p)
		for _, d := range c.devices {
			head = append(head, p+"/"+d)
		}
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, k := range keys {
		row := []string{fmt.Sprintf("%-*s", wl, k.loss), fmt.Sprintf("%-*s", wm, k.mode), fmt.Sprint(k.n), fmt.Sprint(k.c)}
		for _, d := range c.devices {
			row = append(row, medianCell(gloss[k], d))
		}
		for _, p := range c.peers {
			row = append(row, medianCell(peer[k], p))
			for _, d := range c.devices {
				if v, ok := ratios[k][p+"/"+d]; ok {
					row = append(row, fmt.Sprintf("%.2f×", v))
				} else {
					row = append(row, "-")
				}
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nratio = peer median / gloss median (above 1: gloss is faster); geometric means:")
	for _, p := range c.peers {
		for _, d := range c.devices {
			for _, g := range c.geoMeans(d, p) {
				fmt.Fprintf(w, "  %-40s %.2f× over %d case(s)\n", fmt.Sprintf("%s/%s %s", p, d, g.mode), g.value, g.cases)
			}
		}
	}
	return nil
}

func medianCell(c map[string]float64, dev string) string {
	if v, ok := c[dev]; ok {
		return fmtDuration(v)
	}
	return "-"
}

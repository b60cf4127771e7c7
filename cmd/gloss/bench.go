package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gloss-ml/gloss/bench"
	"github.com/gloss-ml/gloss/device"
)

const benchUsage = `usage: gloss bench [flags]

Benchmarks every loss on every available device over a size ladder. It needs no data: inputs
are generated. Each case is first checked against cpuref (float64 on the cpu, same inputs,
the loss's tolerance); a case that fails is reported and not timed. Timings are the median
and p20/p80 of repeats, per call; GB/s counts the bytes each loss must move (inputs read once,
outputs written once); % copy compares that with the device's own measured copy bandwidth;
× cpu is the speedup over the cpu device. The resident path keeps data in device buffers
(loss.Run); the copy path includes the host↔device copies (loss.Compute).

-compare shows a peers CSV (bench/peers/peers.py: PyTorch, NumPy) next to the resident
timings: the ratio peer median / gloss median per case (above 1: gloss is faster) and its
geometric mean per mode; with -o it also draws DIR/compare.png, one panel per device, one
row per loss.

examples:
  gloss bench -quick                         the whole catalog, small ladder (a minute on 2 cores)
  gloss bench -losses cross_entropy,huber -sizes 2^16,2^20,65536x1000 -o out
  gloss bench -quick -o out -compare peers.csv
  gloss bench -from out/bench.csv -compare peers.csv
  gloss bench -from out/bench.json -compare peers.csv -o out    redraw out's plots, compare.png too

flags:
`

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", benchUsage, stderr)
	var losses, devices listFlag
	fs.Var(&losses, "losses", "losses to run, comma-separated kernel stems (default: all; see gloss eval -list)")
	fs.Var(&devices, "devices", "devices to run on, e.g. cpu,opencl:0:0,cuda:0 (default: every available device)")
	sizes := fs.String("sizes", "", "size ladder: element counts (2^20, 1e6, 1048576) or NxC pairs (65536x1000), comma-separated (default 2^12..2^24 by 4; -quick: 2^16,2^20)")
	modes := fs.String("modes", "fwd,fwd_bwd,hess", "modes: fwd (value), fwd_bwd (value and gradient), hess (value, gradient and Hessian diagonal)")
	paths := fs.String("paths", "", "paths: resident (data on the device), copy (host slices copied in and out) (default: resident, plus copy on non-cpu devices)")
	repeats := fs.Int("repeats", 0, "samples per case (default 15; -quick: 5)")
	budget := fs.Duration("budget", 0, "time budget per case, after at least 3 samples (default 2s; -quick: 150ms)")
	dtype := fs.String("dtype", "float32", "input dtype: float32 or float64")
	quick := fs.Bool("quick", false, "small ladder and few repeats: the whole catalog on the cpu within a minute on 2 cores")
	outDir := fs.String("o", "", "write DIR/bench.csv, DIR/bench.json and DIR/bench.png (and DIR/compare.png with -compare)")
	compare := fs.String("compare", "", "a peers CSV (bench/peers/peers.py) to show side by side with this run")
	from := fs.String("from", "", "read an earlier run (bench.csv or bench.json) instead of running")
	seed := fs.Uint64("seed", 1, "seed of the input generator")
	ceilMiB := fs.Int("ceiling-mib", 0, "size in MiB of each buffer of the copy-bandwidth measurement (default 256; -quick: 32)")
	quiet := fs.Bool("q", false, "no progress on stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q (losses go in -losses)", fs.Args())
	}

	var rep *bench.Report
	if *from != "" {
		r, err := readReport(*from)
		if err != nil {
			return err
		}
		rep = r
	} else {
		cfg := bench.DefaultConfig()
		if *quick {
			cfg = bench.QuickConfig()
		}
		cfg.Losses, cfg.Devices, cfg.Seed = losses, devices, *seed
		if *sizes != "" {
			s, err := bench.ParseSizes(*sizes)
			if err != nil {
				return usageError{err}
			}
			cfg.Sizes = s
		}
		m, err := bench.ParseModes(*modes)
		if err != nil {
			return usageError{err}
		}
		cfg.Modes = m
		for _, p := range strings.Split(*paths, ",") {
			switch p = strings.TrimSpace(p); p {
			case "":
			case string(bench.Resident), string(bench.Copy):
				cfg.Paths = append(cfg.Paths, bench.Path(p))
			default:
				return usagef("unknown path %q (want resident or copy)", p)
			}
		}
		switch *dtype {
		case "float32", "f32":
			cfg.DType = device.F32
		case "float64", "f64":
			cfg.DType = device.F64
		default:
			return usagef("-dtype %q: want float32 or float64", *dtype)
		}
		if *repeats < 0 || *budget < 0 || *ceilMiB < 0 {
			return usagef("-repeats, -budget and -ceiling-mib must not be negative")
		}
		if *repeats > 0 {
			cfg.Timing.Repeats = *repeats
		}
		if *budget > 0 {
			cfg.Timing.Budget = *budget
		}
		if *ceilMiB > 0 {
			cfg.CeilingBytes = int64(*ceilMiB) << 20
		}
		if !*quiet {
			cfg.Progress = stderr
		}
		r, err := bench.Run(ctx, cfg)
		if errors.Is(err, bench.ErrUnknownLoss) {
			return usageError{err}
		}
		if r == nil {
			return err
		}
		r.Meta.Command = "gloss bench " + strings.Join(args, " ")
		rep = r
		if err != nil {
			fmt.Fprintf(stderr, "gloss bench: stopped early: %v (showing what ran)\n", err)
		}
	}

	if err := bench.WriteTable(stdout, rep); err != nil {
		return err
	}
	var peers []bench.Result
	if *compare != "" {
		var err error
		if peers, err = readResults(*compare); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\ncompared with %s:\n", *compare)
		if err := bench.WriteCompare(stdout, rep.Results, peers); err != nil {
			return err
		}
	}
	if *outDir != "" {
		if err := writeOutputs(*outDir, rep, stderr); err != nil {
			return err
		}
		if *compare != "" {
			if err := writeComparePlot(*outDir, rep.Results, peers, stderr); err != nil {
				return err
			}
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if n := bench.Failures(rep.Results); n > 0 {
		fmt.Fprintf(stderr, "gloss bench: %d case(s) failed (see the status column)\n", n)
		return errReported
	}
	return nil
}

// readReport reads an earlier run from a .json report or a .csv table.
func readReport(path string) (*bench.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if strings.EqualFold(filepath.Ext(path), ".json") {
		return bench.ReadJSON(f)
	}
	rs, err := bench.ReadCSV(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	rep := &bench.Report{Results: rs}
	if len(rs) > 0 {
		rep.Meta = bench.Meta{Commit: rs[0].Commit, Runtime: rs[0].Runtime, Start: rs[0].Time}
	}
	return rep, nil
}

func readResults(path string) ([]bench.Result, error) {
	rep, err := readReport(path)
	if err != nil {
		return nil, err
	}
	return rep.Results, nil
}

func writeOutputs(dir string, rep *bench.Report, stderr io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	write := func(name string, fn func(io.Writer) error) error {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", p, err)
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s\n", p)
		return nil
	}
	if err := write("bench.csv", func(w io.Writer) error { return bench.WriteCSV(w, rep.Results) }); err != nil {
		return err
	}
	if err := write("bench.json", func(w io.Writer) error { return bench.WriteJSON(w, rep) }); err != nil {
		return err
	}
	return write("bench.png", func(w io.Writer) error { return bench.WritePlot(w, rep) })
}

// writeComparePlot writes DIR/compare.png; with no case in common it says so on stderr and
// writes nothing (the table above says so too).
func writeComparePlot(dir string, ours, peers []bench.Result, stderr io.Writer) error {
	p := filepath.Join(dir, "compare.png")
	var buf bytes.Buffer
	err := bench.WriteComparePlot(&buf, ours, peers)
	if errors.Is(err, bench.ErrNoCommonCase) {
		fmt.Fprintf(stderr, "gloss bench: %s not written: %v\n", p, err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s\n", p)
	return nil
}

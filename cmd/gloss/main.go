// Command gloss benchmarks and evaluates gloss's loss functions.
//
//	gloss bench   [flags]          every loss on every device over a size ladder (the main job)
//	gloss eval    [flags] LOSS...  losses, gradients and metrics on your own .npy or CSV data
//	gloss devices [flags]          the devices present, their memory and copy bandwidth
//
// Run `gloss COMMAND -h` for a command's flags. Exit status: 0 ok, 1 failure (including a
// benchmark case whose result differs from the reference), 2 usage. Errors go to stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	_ "github.com/gloss-ml/gloss/loss" // registers the cpu, cuda and opencl backends
)

// usageError is a bad command line: exit status 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

const topUsage = `gloss: loss functions, gradients and Hessians on CPU, OpenCL and CUDA

usage:
  gloss bench   [flags]          benchmark every loss on every device (try: gloss bench -quick)
  gloss eval    [flags] LOSS...  evaluate losses and metrics on .npy or CSV data (gloss eval -list)
  gloss devices [flags]          list the devices, their memory and copy bandwidth

Run 'gloss COMMAND -h' for a command's flags.
Exit status: 0 ok, 1 failure, 2 usage.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return 2
	}
	var err error
	switch args[0] {
	case "bench":
		err = cmdBench(ctx, args[1:], stdout, stderr)
	case "eval":
		err = cmdEval(ctx, args[1:], stdout, stderr)
	case "devices":
		err = cmdDevices(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, topUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "gloss: unknown command %q\n\n%s", args[0], topUsage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "gloss %s: %v\n", args[0], err)
		return 2
	case errors.Is(err, errReported):
		return 1
	}
	fmt.Fprintf(stderr, "gloss %s: %v\n", args[0], err)
	return 1
}

// errReported is returned when the failure was already explained on stderr.
var errReported = errors.New("failure reported")

// newFlags makes a command's flag set: errors are returned (not exited on), usage goes to stderr.
func newFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("gloss "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; a parse error is a usage error (the flag package already printed it).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	return nil
}

// listFlag is a repeatable or comma-separated string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			*l = append(*l, f)
		}
	}
	return nil
}

package bench

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
)

var commitOnce = sync.OnceValue(findCommit)

// Commit is the commit the binary was built from: the vcs.revision the Go toolchain stamped
// (12 hex digits, "-dirty" when vcs.modified), else `git rev-parse HEAD` in the working
// directory (`go run` and `go test` stamp none), else "unknown".
func Commit() string { return commitOnce() }

func findCommit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev string
		var dirty bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			return shortRev(rev, dirty)
		}
	}
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output()
	return shortRev(rev, err == nil && len(strings.TrimSpace(string(st))) > 0)
}

func shortRev(rev string, dirty bool) string {
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}

// GoVersion is the Go toolchain that built the binary, e.g. "go1.26.8".
func GoVersion() string { return runtime.Version() }

// CPUModel is the host processor's model name from /proc/cpuinfo, or GOARCH where there is none.
func CPUModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

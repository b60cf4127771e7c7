package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// goTool returns the go command on the PATH (the one `go test` runs from), or skips.
func goTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on the PATH to build the binary with")
	}
	return p
}

// build builds the gloss command into dir with extra environment variables.
func build(t *testing.T, dir string, env ...string) string {
	t.Helper()
	out := filepath.Join(dir, "gloss")
	cmd := exec.Command(goTool(t), "build", "-o", out, ".")
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", env, err, b)
	}
	return out
}

// TestBinaryNeedsNoDriver builds the gloss command as users do (cgo on) and checks that its
// dynamic section names neither libcuda nor libOpenCL: the backends load them at run time, so
// the binary starts on machines without them.
func TestBinaryNeedsNoDriver(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ELF check: linux only")
	}
	bin := build(t, t.TempDir())
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range libs {
		if strings.Contains(l, "libcuda") || strings.Contains(l, "libOpenCL") {
			t.Errorf("the gloss binary needs %s (needed libraries: %v)", l, libs)
		}
	}
	t.Logf("needed libraries: %v", libs)
}

// TestNoCgoBuild builds the gloss command with CGO_ENABLED=0 and runs `gloss devices`: the cpu
// device is there, and cuda and opencl say the binary was built without cgo.
func TestNoCgoBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command without cgo (-short)")
	}
	bin := build(t, t.TempDir(), "CGO_ENABLED=0")
	cmd := exec.Command(bin, "devices", "-measure=false")
	cmd.Env = append(os.Environ(), "GLOSS_DEVICE=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gloss devices: %v\n%s", err, out)
	}
	s := string(out)
	for _, want := range []string{"\ncpu ", "cuda: no device: this binary was built without cgo", "opencl: no device: this binary was built without cgo"} {
		if !strings.Contains(s, want) {
			t.Errorf("gloss devices (CGO_ENABLED=0) lacks %q:\n%s", want, s)
		}
	}
}

package opencl

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/internal/cl"
	kernels "github.com/gloss-ml/gloss/kernels/opencl"
)

// EnvCacheDir overrides the root of gloss's caches (default os.UserCacheDir()/gloss); the
// OpenCL program binaries go in its opencl subdirectory.
const EnvCacheDir = "GLOSS_CACHE_DIR"

// EnvBinaries set to 1 caches program binaries on PoCL too. PoCL is left out by default:
// reading a PoCL program's binary makes it compile every kernel ahead of time (about 0.3 s
// each, minutes for the whole catalog), while left alone it compiles each kernel at its
// first launch and keeps the result in its own disk cache ($POCL_CACHE_DIR or
// ~/.cache/pocl), which is what the binary cache would give.
const EnvBinaries = "GLOSS_OPENCL_BINARIES"

// program is one built program with a pool of kernel objects per kernel name: a launch takes
// a kernel object, sets its arguments, enqueues it and puts it back, so no kernel object's
// arguments are ever set by two goroutines at once.
type program struct {
	p         *cl.Program
	names     map[string]bool
	fromCache bool

	mu   sync.Mutex
	free map[string][]*cl.Kernel
	all  []*cl.Kernel
}

// has reports whether the program defines the kernel.
func (p *program) has(name string) bool { return p != nil && p.names[name] }

// get takes a kernel object for name from the pool, or creates one.
func (p *program) get(name string) (*cl.Kernel, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ks := p.free[name]; len(ks) > 0 {
		k := ks[len(ks)-1]
		p.free[name] = ks[:len(ks)-1]
		return k, nil
	}
	k, err := p.p.CreateKernel(name)
	if err != nil {
		return nil, err
	}
	p.all = append(p.all, k)
	return k, nil
}

// put returns a kernel object to the pool.
func (p *program) put(k *cl.Kernel) {
	p.mu.Lock()
	p.free[k.Name] = append(p.free[k.Name], k)
	p.mu.Unlock()
}

func (p *program) release() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var first error
	for _, k := range p.all {
		if err := k.Release(); err != nil && first == nil {
			first = err
		}
	}
	p.all, p.free = nil, nil
	if err := p.p.Release(); err != nil && first == nil {
		first = err
	}
	return first
}

// buildOptions are the options of the float32 (f64 false) or float64 program.
func (d *Device) buildOptions(f64 bool) string {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	return fmt.Sprintf("-cl-std=CL1.2 -DGLOSS_F64=%d -DGLOSS_ACC64=%d -DWG=%d -DSTRIDED=%d",
		b(f64), b(d.acc64 || f64), d.wg, b(d.strided))
}

// buildProgram builds the embedded kernels for one element type.
func (d *Device) buildProgram(f64 bool) (*program, error) {
	what := "float32"
	if f64 {
		what = "float64"
	}
	p, err := d.buildSource(kernels.Source(), d.buildOptions(f64))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: building the %s kernels: %w", device.ErrDriver, d.info.Name, what, err)
	}
	return p, nil
}

// buildSource builds a program from source with options, through the binary cache: a cached
// binary for the same device, driver, source and options is loaded instead of compiling,
// and a fresh build is saved. A build failure returns the *cl.BuildError with the log.
func (d *Device) buildSource(src, opts string) (*program, error) {
	dir := ""
	if d.binCache {
		dir = cacheDir()
	}
	key := d.cacheKey(src, opts)
	if dir != "" {
		if bin, err := os.ReadFile(filepath.Join(dir, key+".bin")); err == nil {
			if p, err := d.ctx.CreateProgramWithBinary(d.dev, bin); err == nil {
				if err := p.Build(d.dev, opts); err == nil {
					if prog, err := newProgram(p, true); err == nil {
						return prog, nil
					}
				}
				p.Release()
			}
		}
	}
	p, err := d.ctx.CreateProgramWithSource(src)
	if err != nil {
		return nil, err
	}
	if err := p.Build(d.dev, opts); err != nil {
		p.Release()
		return nil, err
	}
	prog, err := newProgram(p, false)
	if err != nil {
		p.Release()
		return nil, err
	}
	if dir != "" {
		if bin, err := p.Binary(); err == nil {
			writeCache(dir, key+".bin", bin) // best effort: a cache that cannot be written only costs time
		}
	}
	return prog, nil
}

// chunk is kernels.Chunk: a source file with its #line marker.
func chunk(name, text string) string { return kernels.Chunk(name, text) }

func newProgram(p *cl.Program, cached bool) (*program, error) {
	names, err := p.KernelNames()
	if err != nil {
		return nil, err
	}
	prog := &program{p: p, names: map[string]bool{}, fromCache: cached, free: map[string][]*cl.Kernel{}}
	for _, n := range names {
		prog.names[n] = true
	}
	return prog, nil
}

// cacheKey names a program binary: a hash of everything the binary depends on.
func (d *Device) cacheKey(src, opts string) string {
	h := sha256.New()
	for _, s := range []string{"gloss opencl program v1", d.name, d.driver, d.platform, opts, src} {
		fmt.Fprintf(h, "%d:%s;", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil))[:40]
}

// cacheDir is where program binaries are kept ("" when there is nowhere).
func cacheDir() string {
	if root := os.Getenv(EnvCacheDir); root != "" {
		return filepath.Join(root, "opencl")
	}
	root, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(root, "gloss", "opencl")
}

// writeCache writes a file atomically (a temporary file renamed into place).
func writeCache(dir, name string, data []byte) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	f, err := os.CreateTemp(dir, name+".tmp*")
	if err != nil {
		return
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr != nil || cerr != nil {
		os.Remove(f.Name())
		return
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		os.Remove(f.Name())
	}
}

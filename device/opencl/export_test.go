package opencl

import (
	"sort"

	"github.com/gloss-ml/gloss/internal/cl"
)

// Test hooks for the external tests (package opencl_test).

// OpenWith opens a device with the layout knobs: compensated float32 sums instead of float64
// (acc32), the GPU's grid-stride layout (strided) and a local size wg (0: the default).
func OpenWith(sel string, acc32, strided bool, wg int) (*Device, error) {
	return open(sel, options{noACC64: acc32, strided: strided, wg: wg})
}

// OpenUncached opens a device that never uses the program binary cache (whose failures are
// not errors: a binary that cannot be read or saved is compiled from source).
func OpenUncached(sel string) (*Device, error) { return open(sel, options{noCache: true}) }

// BuildForTest builds source files (name, text pairs, each given a #line marker) with the
// device's float32 options, through the binary cache when cache is set, and reports whether
// the program came from the cache. The program is released.
func (d *Device) BuildForTest(cache bool, files ...string) (fromCache bool, err error) {
	src := ""
	for i := 0; i+1 < len(files); i += 2 {
		src += chunk(files[i], files[i+1])
	}
	old := d.binCache
	d.binCache = cache
	defer func() { d.binCache = old }()
	p, err := d.buildSource(src, d.buildOptions(false))
	if err != nil {
		return false, err
	}
	defer p.release()
	return p.fromCache, nil
}

// Layout reports the launch layout: local size, groups cap, strided, double sums.
func (d *Device) Layout() (wg, maxGroups int, strided, acc64 bool) {
	return d.wg, d.maxGroups, d.strided, d.acc64
}

// ProgramKernels lists the kernels of the float32 (or float64) program, sorted.
func (d *Device) ProgramKernels(f64 bool) []string {
	p := d.progs[0]
	if f64 {
		p = d.progs[1]
	}
	if p == nil {
		return nil
	}
	var out []string
	for n := range p.names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// MaxAlloc is the device's largest allocation in bytes.
func (d *Device) MaxAlloc() int64 { return d.maxAlloc }

// DropKernels releases the kernel objects the programs keep for reuse, so that the next
// launches create them again.
func (d *Device) DropKernels() error {
	var first error
	for _, p := range d.progs {
		if p == nil {
			continue
		}
		p.mu.Lock()
		for _, k := range p.all {
			if err := k.Release(); err != nil && first == nil {
				first = err
			}
		}
		p.all, p.free = nil, map[string][]*cl.Kernel{}
		p.mu.Unlock()
	}
	return first
}

// PooledKernels counts the kernel objects the programs keep.
func (d *Device) PooledKernels() int {
	n := 0
	for _, p := range d.progs {
		if p != nil {
			p.mu.Lock()
			n += len(p.all)
			p.mu.Unlock()
		}
	}
	return n
}

// Programs counts the device's programs.
func (d *Device) Programs() int {
	n := 0
	for _, p := range d.progs {
		if p != nil {
			n++
		}
	}
	return n
}

// LiveBuffers counts the buffers and views allocated and not yet freed.
func (d *Device) LiveBuffers() int {
	d.liveMu.Lock()
	defer d.liveMu.Unlock()
	return len(d.live)
}

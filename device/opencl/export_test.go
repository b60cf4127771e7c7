package opencl

import "sort"

// Test hooks for the external tests (package opencl_test).

// OpenWith opens a device with the layout knobs: compensated float32 sums instead of float64
// (acc32), the GPU's grid-stride layout (strided) and a local size wg (0: the default).
func OpenWith(sel string, acc32, strided bool, wg int) (*Device, error) {
	return open(sel, options{noACC64: acc32, strided: strided, wg: wg})
}

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

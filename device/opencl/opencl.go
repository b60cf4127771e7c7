// Package opencl is gloss's OpenCL backend: device.Open("opencl"), "opencl:P" or
// "opencl:P:D" opens device D of platform P (the first GPU, or else the first device, without
// a selector). It builds the kernels of package kernels (the OpenCL dialect of the one kernel
// source) once per device at Open, one program per element type (float32 always, float64 when
// the device has cl_khr_fp64), and caches the program binaries on disk under
// os.UserCacheDir()/gloss/opencl, or
// $GLOSS_CACHE_DIR/opencl when GLOSS_CACHE_DIR is set; the key is the device name, the driver
// version, the source and the build options. On PoCL the binaries are left to PoCL's own
// kernel cache unless GLOSS_OPENCL_BINARIES=1 (see EnvBinaries).
//
// The device computes what package cpuref computes (package losstest checks it): per-element
// math in the element type, every sum in float64 (or compensated float32 on devices without
// fp64), in a fixed order, so results are bit-identical run to run. It is safe for concurrent
// use: the context, queue and programs are shared, and each launch takes a kernel object from
// a pool, so no two goroutines set the arguments of one kernel object.
//
// Every build has it: internal/cl loads the OpenCL ICD loader (libOpenCL.so.1) at run time, so
// building needs no OpenCL headers or libraries (only cgo), and a program that imports it
// starts on any machine. Running needs the loader and a driver (Debian: ocl-icd-libopencl1,
// and for the CPU pocl-opencl-icd; scripts/deps.sh opencl installs both). Without them, or in a
// binary built without cgo, Open and List return an error wrapping device.ErrNoDevice
// (device.ErrNotBuilt without cgo) that says what is missing and how to get it.
package opencl

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/internal/cl"
)

func init() {
	device.Register("opencl", func(sel string) (device.Device, error) {
		d, err := Open(sel)
		if err != nil {
			return nil, err
		}
		return d, nil
	}, List)
}

// ref is one device found by discovery, with its position.
type ref struct {
	p, d int
	plat cl.Platform
	dev  cl.Device
	gpu  bool
}

// discover lists every device of every platform, or an error wrapping device.ErrNoDevice
// that says why there is none.
func discover() ([]ref, error) {
	plats, err := cl.Platforms()
	if err != nil {
		var (
			ce *cl.Error
			le *cl.LoadError
		)
		if errors.Is(err, cl.ErrNoCgo) {
			return nil, fmt.Errorf("%w: opencl: this binary was built without cgo (CGO_ENABLED=0); rebuild it with cgo and a C compiler to use OpenCL", device.ErrNotBuilt)
		}
		if errors.As(err, &le) && len(le.Missing) == 0 {
			return nil, fmt.Errorf("%w: opencl: the OpenCL loader %s is not installed (%s); install it and a driver, e.g. on Debian: sudo apt-get install ocl-icd-libopencl1 pocl-opencl-icd (pocl runs OpenCL on the CPU; scripts/deps.sh opencl does it), or set %s to the loader's path",
				device.ErrNoDevice, le.Library, le.Reason, cl.EnvLibrary)
		}
		if le != nil {
			return nil, fmt.Errorf("%w: opencl: %w", device.ErrNoDevice, err)
		}
		if errors.As(err, &ce) && ce.Code == cl.PlatformNotFoundKHR {
			return nil, fmt.Errorf("%w: opencl: no OpenCL platform is installed (%v); install a driver (ICD), e.g. pocl-opencl-icd for the CPU", device.ErrNoDevice, err)
		}
		return nil, fmt.Errorf("%w: opencl: listing platforms: %w", device.ErrNoDevice, err)
	}
	if len(plats) == 0 {
		return nil, fmt.Errorf("%w: opencl: no OpenCL platform is installed; install a driver (ICD), e.g. pocl-opencl-icd for the CPU", device.ErrNoDevice)
	}
	// A platform or device the driver fails to describe fails the listing: skipping it would
	// silently change which device "" (the first GPU) and the indices P:D name.
	var out []ref
	for pi, p := range plats {
		devs, err := p.Devices(cl.DeviceTypeAll)
		if err != nil {
			return nil, fmt.Errorf("%w: opencl: listing the devices of platform %d: %w", device.ErrNoDevice, pi, err)
		}
		for di, d := range devs {
			t, err := d.Type()
			if err != nil {
				return nil, fmt.Errorf("%w: opencl: reading the type of device %d:%d: %w", device.ErrNoDevice, pi, di, err)
			}
			out = append(out, ref{p: pi, d: di, plat: p, dev: d, gpu: t&cl.DeviceTypeGPU != 0})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: opencl: %d platform(s) but no device", device.ErrNoDevice, len(plats))
	}
	return out, nil
}

// pick resolves a selector: "" (the first GPU, else the first device), "P" (the first device
// of platform P) or "P:D".
func pick(refs []ref, sel string) (ref, error) {
	sel = strings.TrimSpace(sel)
	if sel == "" {
		for _, r := range refs {
			if r.gpu {
				return r, nil
			}
		}
		return refs[0], nil
	}
	ps, ds, hasD := strings.Cut(sel, ":")
	p, err := strconv.Atoi(ps)
	if err != nil || p < 0 {
		return ref{}, fmt.Errorf("%w: opencl: bad selector %q (want P or P:D, e.g. opencl:0:0)", device.ErrNoDevice, sel)
	}
	d := 0
	if hasD {
		if d, err = strconv.Atoi(ds); err != nil || d < 0 {
			return ref{}, fmt.Errorf("%w: opencl: bad selector %q (want P or P:D, e.g. opencl:0:0)", device.ErrNoDevice, sel)
		}
	}
	for _, r := range refs {
		if r.p == p && r.d == d {
			return r, nil
		}
	}
	return ref{}, fmt.Errorf("%w: opencl: no device %d on platform %d (gloss devices lists them)", device.ErrNoDevice, d, p)
}

// List describes every OpenCL device, or says why there is none.
func List() ([]device.Info, error) {
	refs, err := discover()
	if err != nil {
		return nil, err
	}
	out := make([]device.Info, 0, len(refs))
	for _, r := range refs {
		facts, err := query(r)
		if err != nil {
			return nil, err
		}
		out = append(out, facts.info)
	}
	return out, nil
}

// facts are what Open learns about a device before creating anything.
type facts struct {
	info      device.Info
	name      string // CL_DEVICE_NAME
	driver    string // CL_DRIVER_VERSION
	platform  string // platform name and version
	cpu       bool
	align     int // CL_DEVICE_MEM_BASE_ADDR_ALIGN in bytes
	maxAlloc  int64
	maxWG     int
	fp64      bool
	computeUs int
}

func query(r ref) (facts, error) {
	var f facts
	var errs []error
	str := func(s string, err error) string {
		errs = append(errs, err)
		return s
	}
	f.name = str(r.dev.Name())
	f.driver = str(r.dev.DriverVersion())
	ver := str(r.dev.Version())
	pname := str(r.plat.Name())
	pver := str(r.plat.Version())
	ext := str(r.dev.Extensions())
	f.platform = pname + " " + pver
	t, err := r.dev.Type()
	errs = append(errs, err)
	f.cpu = t&cl.DeviceTypeCPU != 0
	cus, err := r.dev.MaxComputeUnits()
	errs = append(errs, err)
	mem, err := r.dev.GlobalMemSize()
	errs = append(errs, err)
	f.maxAlloc, err = r.dev.MaxMemAllocSize()
	errs = append(errs, err)
	bits, err := r.dev.MemBaseAddrAlign()
	errs = append(errs, err)
	f.maxWG, err = r.dev.MaxWorkGroupSize()
	errs = append(errs, err)
	dfp, err := r.dev.DoubleFPConfig()
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return f, fmt.Errorf("%w: opencl: querying device %d:%d: %w", device.ErrDriver, r.p, r.d, err)
	}
	f.align = max(bits/8, 1)
	f.fp64 = dfp != 0 && strings.Contains(" "+ext+" ", " cl_khr_fp64 ")
	f.computeUs = cus
	f.info = device.Info{
		Name:         fmt.Sprintf("opencl:%d:%d", r.p, r.d),
		Kind:         device.OpenCL,
		Description:  fmt.Sprintf("%s (%s; %s, driver %s)", strings.TrimSpace(f.name), strings.TrimSpace(pname), strings.TrimSpace(ver), strings.TrimSpace(f.driver)),
		MemTotal:     mem,
		ComputeUnits: cus,
		FP64:         f.fp64,
	}
	return f, nil
}

// options are Open's knobs; tests set them to exercise other layouts on the same device.
type options struct {
	noACC64 bool // accumulate in compensated float32 even where the device has fp64
	strided bool // GPU layout (grid-stride items) on any device
	wg      int  // local size of the reduction kernels; 0: 1 on CPUs, 256 elsewhere
	noCache bool // never use the program binary cache
}

// Open opens the OpenCL device the selector names ("", "P" or "P:D") and builds its kernels.
func Open(sel string) (*Device, error) { return open(sel, options{}) }

func open(sel string, o options) (*Device, error) {
	refs, err := discover()
	if err != nil {
		return nil, err
	}
	r, err := pick(refs, sel)
	if err != nil {
		return nil, err
	}
	f, err := query(r)
	if err != nil {
		return nil, err
	}
	d := &Device{facts: f, dev: r.dev, live: map[*buffer]struct{}{}}
	d.acc64 = f.fp64 && !o.noACC64
	d.binCache = (!strings.Contains(f.platform, "PoCL") && !strings.Contains(f.platform, "Portable Computing Language") ||
		os.Getenv(EnvBinaries) == "1") && !o.noCache
	d.strided = o.strided || !f.cpu
	d.wg = o.wg
	if d.wg == 0 {
		d.wg = 1
		if !f.cpu {
			d.wg = min(256, f.maxWG)
		}
	}
	d.maxGroups = 256
	if !f.cpu {
		d.maxGroups = max(64, 8*f.computeUs)
	}
	if d.ctx, err = cl.CreateContext(r.dev); err != nil {
		return nil, d.driverErr("creating a context", err)
	}
	if d.q, err = d.ctx.CreateQueue(r.dev, false); err != nil {
		d.release()
		return nil, d.driverErr("creating a queue", err)
	}
	d.progs[0], err = d.buildProgram(false)
	if err == nil && f.fp64 {
		d.progs[1], err = d.buildProgram(true)
	}
	if err != nil {
		d.release()
		return nil, err
	}
	return d, nil
}

// Device is an open OpenCL device. All methods are safe for concurrent use.
type Device struct {
	facts
	dev cl.Device
	ctx *cl.Context
	q   *cl.Queue
	// progs are the float32 and float64 programs (progs[1] nil without fp64).
	progs [2]*program

	binCache  bool // cache program binaries on disk
	acc64     bool // sums in double
	strided   bool // grid-stride items (GPUs)
	wg        int  // local size of the reduction kernels
	maxGroups int

	// mu is held for reading by every operation and for writing by Close.
	mu     sync.RWMutex
	closed bool
	liveMu sync.Mutex
	live   map[*buffer]struct{} // allocations not yet freed, released by Close
}

// Info describes the device.
func (d *Device) Info() device.Info { return d.info }

// Close releases the device: its programs, kernels, queue, context and every buffer not yet
// freed. Buffers must not be used afterwards; a second Close is a no-op.
func (d *Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	return d.release()
}

func (d *Device) release() error {
	var errs []error
	d.liveMu.Lock()
	for b := range d.live {
		errs = append(errs, b.mem.Release())
		delete(d.live, b)
	}
	d.liveMu.Unlock()
	for i, p := range d.progs {
		if p != nil {
			errs = append(errs, p.release())
			d.progs[i] = nil
		}
	}
	if d.q != nil {
		errs = append(errs, d.q.Release())
		d.q = nil
	}
	if d.ctx != nil {
		errs = append(errs, d.ctx.Release())
		d.ctx = nil
	}
	if err := errors.Join(errs...); err != nil {
		return d.driverErr("closing", err)
	}
	return nil
}

// driverErr wraps an OpenCL failure of the named step as device.ErrDriver, or as
// device.ErrOutOfMemory when the driver could not allocate memory for a buffer (drivers that
// allocate lazily report that at the first use, not at clCreateBuffer).
func (d *Device) driverErr(what string, err error) error {
	var ce *cl.Error
	if errors.As(err, &ce) && ce.Code == cl.MemObjectAllocationFailure {
		return fmt.Errorf("%w: %s: %s: %w", device.ErrOutOfMemory, d.info.Name, what, err)
	}
	return fmt.Errorf("%w: %s: %s: %w", device.ErrDriver, d.info.Name, what, err)
}

// enter takes the read lock for one operation; it fails on a closed device.
func (d *Device) enter() error {
	d.mu.RLock()
	if d.closed {
		d.mu.RUnlock()
		return fmt.Errorf("%w: %s", device.ErrClosed, d.info.Name)
	}
	return nil
}

func (d *Device) leave() { d.mu.RUnlock() }

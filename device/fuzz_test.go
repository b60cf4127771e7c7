package device

import (
	"errors"
	"slices"
	"testing"
)

// FuzzCPUCall builds arbitrary Calls by hand (kernel, family, shape, buffer lengths and
// dtypes, labels, bins, parameters, denominators, aliased outputs) and runs them on the cpu
// devices: each is an error wrapping a device sentinel or a result, never a panic, and a Call
// that Validate and the label check accept runs.
func FuzzCPUCall(f *testing.F) {
	f.Add([]byte{0, 3, 4})
	f.Add([]byte{10, 2, 3, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 5, 200})
	f.Add([]byte("\x05\x03\x04\x00\x00\xff\x01\x02\x03\x04\x05\x06\x07\x08\x09"))
	f.Add([]byte{23, 255, 255, 255, 255, 0, 0, 0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3})
	names := make([]string, 0, len(kernelRules))
	for k := range kernelRules {
		names = append(names, k)
	}
	slices.Sort(names)
	f.Fuzz(func(t *testing.T, data []byte) {
		next := func() byte {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return b
		}
		kernel := names[int(next())%len(names)]
		r := kernelRules[kernel]
		shape := func(b byte) int {
			switch b {
			case 255:
				return 1 << 32
			case 254:
				return -1
			case 253:
				return 1<<62 + 2
			}
			return int(b % 7)
		}
		n, c := shape(next()), shape(next())
		call := &Call{Kernel: kernel, Family: r.family, DType: F64, N: n, C: c, Scale: 1}
		flags := next()
		if flags&1 != 0 {
			call.Family = Family(next() % 5)
		}
		if flags&2 != 0 {
			call.DType = DType(next() % 5)
		}
		call.ScaleByDenom = flags&4 != 0
		call.Denom = Denom(next() % 4)
		call.Bins = int(int8(next()))
		call.P[0] = float64(int8(next()))
		call.Ignore = int64(int8(next()))
		nc := 0
		if v, ok := MulInt(max(n, 0), max(c, 0)); ok && v < 1<<12 {
			nc = v
		}
		length := func(want int) int {
			switch b := next(); {
			case b < 200 && want <= 1<<12:
				return want
			case b < 250:
				return int(b % 9)
			default:
				return 0
			}
		}
		arena := make([]float64, 6*nc+64)
		pos := 0
		fbuf := func(want int) Buffer {
			l := length(want)
			if b := next(); b%5 == 0 && pos >= l { // alias the previous buffer's memory
				return Wrap(arena[pos-l : pos])
			}
			if pos+l > len(arena) {
				return Wrap(make([]float64, l))
			}
			s := arena[pos : pos+l]
			for i := range s {
				s[i] = float64(int8(next())) / 16
			}
			pos += l
			return Wrap(s)
		}
		present := next()
		pick := func(bit int, want int) Buffer {
			if present&(1<<bit) == 0 {
				return nil
			}
			return fbuf(want)
		}
		call.X = fbuf(nc)
		call.Y = pick(0, nc)
		call.Z = pick(1, nc)
		call.Weight = pick(2, max(n, 0))
		call.ClassWeight = pick(3, max(c, 0))
		if present&16 != 0 {
			lab := make([]int32, length(max(n, 0)))
			for i := range lab {
				lab[i] = int32(int8(next()))
			}
			call.Labels = Wrap(lab)
		}
		outs := next()
		if outs&1 != 0 {
			call.GX = fbuf(nc)
		}
		if outs&2 != 0 {
			call.GX = call.X
		}
		if outs&4 != 0 {
			call.PerSample = fbuf(max(n, 0))
		}
		if outs&8 != 0 {
			call.Hess = fbuf(nc)
		}
		if outs&16 != 0 {
			call.GY = fbuf(nc)
		}
		valid := call.Validate() == nil && checkHostLabels(call) == nil
		for _, d := range []Device{CPU0(), CPURef()} {
			_, err := d.Run(call)
			if valid && err != nil {
				t.Fatalf("%s: a call that passed Validate failed: %v\n%+v", d.Info().Name, err, call)
			}
			if err != nil && !errors.Is(err, ErrBuffer) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrOutOfMemory) {
				t.Fatalf("%s: error without a sentinel: %v", d.Info().Name, err)
			}
		}
	})
}

package bench

import (
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
)

var (
	benchSizes   = flag.String("gloss.sizes", "2^16", "BenchmarkLoss's ladder (see ParseSizes), e.g. 2^16,2^20,65536x1000")
	benchLosses  = flag.String("gloss.losses", "", "BenchmarkLoss's losses, comma-separated (default: all)")
	benchDevices = flag.String("gloss.devices", "", "BenchmarkLoss's devices, comma-separated (default: every available device)")
	benchModes   = flag.String("gloss.modes", "fwd,fwd_bwd,hess", "BenchmarkLoss's modes")
)

// BenchmarkLoss times every loss on every available device in each mode over the ladder,
// named BenchmarkLoss/<loss>/<device>/<mode>/n=<N>,c=<C> for benchstat, with b.SetBytes of
// the byte model so `go test -bench` reports MB/s. Each case is validated against cpuref
// before it is timed (a wrong result fails the benchmark). For example:
//
//	go test ./bench -run '^$' -bench 'Loss/cross_entropy/cpu' -gloss.sizes 2^20 -count 6 | tee new.txt
//	benchstat old.txt new.txt
func BenchmarkLoss(b *testing.B) {
	sizes, err := ParseSizes(*benchSizes)
	if err != nil {
		b.Fatal(err)
	}
	modes, err := ParseModes(*benchModes)
	if err != nil {
		b.Fatal(err)
	}
	devs, notes, err := OpenDevices(splitList(*benchDevices))
	if err != nil {
		b.Fatal(err)
	}
	defer CloseDevices(devs)
	for _, n := range notes {
		b.Log(n)
	}
	names := splitList(*benchLosses)
	if len(names) == 0 {
		names = loss.Names()
	}
	for _, name := range names {
		sp, ok := loss.Lookup(name)
		if !ok {
			b.Fatalf("unknown loss %q", name)
		}
		b.Run(name, func(b *testing.B) {
			if !device.CPU0().Supports(name, device.F64) {
				b.Skipf("%s has no cpuref kernel yet: nothing to validate against", name)
			}
			l, err := loss.New(name)
			if err != nil {
				b.Fatal(err)
			}
			for _, dev := range devs {
				b.Run(dev.Info().Name, func(b *testing.B) {
					if !dev.Supports(name, device.F32) {
						b.Skipf("%s has no %s kernel", dev.Info().Name, name)
					}
					for _, m := range modes {
						if !Applies(sp, m) {
							continue
						}
						b.Run(string(m), func(b *testing.B) {
							for _, s := range sizes {
								z := Resolve(sp, s, false)
								b.Run(z.String(), func(b *testing.B) { benchCase(b, dev, l, m, z) })
							}
						})
					}
				})
			}
		})
	}
}

func benchCase(b *testing.B, dev device.Device, l loss.Loss, m Mode, z Size) {
	pc, err := Prepare(dev, l, m, z, device.F32, 1)
	if errors.Is(err, device.ErrUnsupported) {
		b.Skip(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Free()
	b.SetBytes(pc.Bytes)
	b.ResetTimer()
	for b.Loop() {
		if err := pc.Call(); err != nil {
			b.Fatal(err)
		}
	}
}

// The benchmark names are the documented ones.
func TestBenchmarkNames(t *testing.T) {
	sp, _ := loss.Lookup("cross_entropy")
	z := Resolve(sp, SizeSpec{N: 65536, C: 1000}, false)
	name := strings.Join([]string{"BenchmarkLoss", sp.Name, "cpu", string(FwdBwd), z.String()}, "/")
	if name != "BenchmarkLoss/cross_entropy/cpu/fwd_bwd/n=65536,c=1000" {
		t.Errorf("benchmark name %q", name)
	}
}

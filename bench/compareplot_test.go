package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// syntheticCompare builds a gloss run on two devices and a peer table with fresh random
// timings: three losses, three modes, two sizes each; torch-cpu has every case, numpy the fwd
// cases of huber. Rows that must not count are mixed in: copy path, device_copy, a failed case,
// a peer case gloss did not run, a gloss case no peer ran.
func syntheticCompare() (ours, peers []Result) {
	t := func() float64 { return 1e-5 * (1 + 99*rand.Float64()) }
	sizes := [][2]int{{4096, 1}, {65536, 1}}
	for _, dev := range []string{"cpu", "opencl:0:0"} {
		ours = append(ours, Result{Loss: CopyLoss, Device: dev, Mode: "copy", Path: Resident, N: 1 << 20, C: 1, Median: t(), Status: OK})
		for _, l := range []string{"mse", "huber", "cross_entropy"} {
			for _, m := range []Mode{Fwd, FwdBwd, Hess} {
				for _, s := range sizes {
					ours = append(ours, Result{Loss: l, Device: dev, DeviceName: dev + " (test)", Mode: m, Path: Resident, N: s[0], C: s[1], Median: t(), Status: OK},
						Result{Loss: l, Device: dev, Mode: m, Path: Copy, N: s[0], C: s[1], Median: t(), Status: OK})
				}
			}
		}
		ours = append(ours, Result{Loss: "focal", Device: dev, Mode: Fwd, Path: Resident, N: 4096, C: 1, Median: t(), Status: Failed},
			Result{Loss: "dice", Device: dev, Mode: Fwd, Path: Resident, N: 16, C: 4096, Median: t(), Status: OK})
	}
	for _, l := range []string{"mse", "huber", "cross_entropy", "focal"} {
		for _, m := range []Mode{Fwd, FwdBwd, Hess} {
			for _, s := range sizes {
				peers = append(peers, Result{Loss: l, Device: "torch-cpu", Mode: m, Path: Resident, N: s[0], C: s[1], Median: t(), Status: OK})
				if l == "huber" && m == Fwd {
					peers = append(peers, Result{Loss: l, Device: "numpy", Mode: m, Path: Resident, N: s[0], C: s[1], Median: t(), Status: OK})
				}
			}
		}
	}
	peers = append(peers, Result{Loss: "mse", Device: "torch-cpu", Mode: Fwd, Path: Resident, N: 1 << 24, C: 1, Median: t(), Status: OK})
	return ours, peers
}

func TestCompareCases(t *testing.T) {
	ours, peers := syntheticCompare()
	c := compareCases(ours, peers)
	if got, want := fmt.Sprint(c.devices, c.peers, c.losses), "[cpu opencl:0:0] [torch-cpu numpy] [cross_entropy huber mse]"; got != want {
		t.Errorf("devices, peers, losses = %s, want %s", got, want)
	}
	// 3 losses × 3 modes × 2 sizes against torch-cpu, 2 huber fwd against numpy; per device.
	if len(c.ratios) != 2*(18+2) {
		t.Errorf("%d ratios, want %d", len(c.ratios), 2*(18+2))
	}
	// The expected geometric means, as the product of the ratios to the power 1/n, from the
	// raw rows.
	type gk struct {
		dev, peer string
		mode      Mode
	}
	prod, count := map[gk]float64{}, map[gk]int{}
	for _, o := range ours {
		if o.Path != Resident || o.Status != OK || o.Loss == CopyLoss {
			continue
		}
		for _, p := range peers {
			if p.Loss == o.Loss && p.Mode == o.Mode && p.N == o.N && p.C == o.C {
				k := gk{o.Device, p.Device, o.Mode}
				if count[k] == 0 {
					prod[k] = 1
				}
				prod[k] *= p.Median / o.Median
				count[k]++
			}
		}
	}
	seen := 0
	for _, dev := range c.devices {
		for _, peer := range c.peers {
			for _, g := range c.geoMeans(dev, peer) {
				k := gk{dev, peer, g.mode}
				want := math.Pow(prod[k], 1/float64(count[k]))
				if g.cases != count[k] || math.Abs(g.value-want) > 1e-12*want {
					t.Errorf("%s/%s %s: geometric mean %.15g over %d, want %.15g over %d", peer, dev, g.mode, g.value, g.cases, want, count[k])
				}
				seen++
			}
		}
	}
	if seen != len(count) || seen != 2*4 {
		t.Errorf("%d geometric means, want %d (one per device, peer and mode with a case)", seen, len(count))
	}
	if got := c.geoMeans("cpu", "numpy"); len(got) != 1 || got[0].mode != Fwd || got[0].cases != 2 {
		t.Errorf("numpy/cpu geometric means %+v, want fwd over 2 cases", got)
	}
}

// The geometric means of the plot's titles are those WriteCompare prints.
func TestGeoMeansMatchWriteCompare(t *testing.T) {
	ours, peers := syntheticCompare()
	c := compareCases(ours, peers)
	var buf bytes.Buffer
	if err := WriteCompare(&buf, ours, peers); err != nil {
		t.Fatal(err)
	}
	printed := map[string]string{}
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		// "  torch-cpu/cpu fwd        2.56× over 6 case(s)"
		f := strings.Fields(sc.Text())
		if len(f) == 6 && f[3] == "over" && strings.HasSuffix(f[2], "×") {
			printed[f[0]+" "+f[1]] = f[2] + " " + f[4]
		}
	}
	n := 0
	for _, dev := range c.devices {
		for _, peer := range c.peers {
			for _, g := range c.geoMeans(dev, peer) {
				k := fmt.Sprintf("%s/%s %s", peer, dev, g.mode)
				if want := fmt.Sprintf("%.2f× %d", g.value, g.cases); printed[k] != want {
					t.Errorf("%s: WriteCompare prints %q, geoMeans gives %q", k, printed[k], want)
				}
				n++
			}
		}
	}
	if n != len(printed) {
		t.Errorf("WriteCompare prints %d geometric means, geoMeans gives %d:\n%s", len(printed), n, buf.String())
	}
}

func TestWriteComparePlot(t *testing.T) {
	ours, peers := syntheticCompare()
	var buf bytes.Buffer
	if err := WriteComparePlot(&buf, ours, peers); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	// Two panels side by side at 7 inches each, 96 dpi; three rows of losses.
	b := img.Bounds()
	if b.Dx() < 1200 || b.Dx() > 1500 || b.Dy() < 300 || b.Dy() > 1000 {
		t.Errorf("image of %d×%d pixels, want about 1344 wide and a few hundred high", b.Dx(), b.Dy())
	}
	// Each mode's colour is drawn in the panels (the filled markers' centres), not only in
	// the legend under them (some 85 pixels).
	for _, m := range []Mode{Fwd, FwdBwd, Hess} {
		want := color.RGBAModel.Convert(modeColors[m]).(color.RGBA)
		found := false
		for y := b.Min.Y; y < b.Max.Y-100 && !found; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) == want {
					found = true
					break
				}
			}
		}
		if !found {
			t.Errorf("no pixel of %s's colour %v", m, want)
		}
	}
	// More losses, a taller image.
	var more []Result
	for i := range 40 {
		for _, r := range ours {
			if r.Loss == "mse" {
				r.Loss = "mse" + strconv.Itoa(i)
				more = append(more, r)
			}
		}
	}
	var morePeers []Result
	for i := range 40 {
		for _, r := range peers {
			if r.Loss == "mse" {
				r.Loss = "mse" + strconv.Itoa(i)
				morePeers = append(morePeers, r)
			}
		}
	}
	buf.Reset()
	if err := WriteComparePlot(&buf, more, morePeers); err != nil {
		t.Fatal(err)
	}
	tall, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if h := tall.Bounds().Dy(); h < 40*25 {
		t.Errorf("40 losses in an image %d pixels high, want at least 25 per loss", h)
	}
}

func TestWriteComparePlotNothingInCommon(t *testing.T) {
	ours, peers := syntheticCompare()
	var other []Result
	for _, p := range peers {
		p.N *= 3 // no such size in ours
		other = append(other, p)
	}
	var copyOnly []Result
	for _, r := range ours {
		if r.Path == Copy {
			copyOnly = append(copyOnly, r)
		}
	}
	for name, tc := range map[string][2][]Result{
		"other sizes": {ours, other},
		"no peers":    {ours, nil},
		"copy path":   {copyOnly, peers},
		"no results":  {nil, peers},
	} {
		var buf bytes.Buffer
		err := WriteComparePlot(&buf, tc[0], tc[1])
		if !errors.Is(err, ErrNoCommonCase) || buf.Len() != 0 {
			t.Errorf("%s: err %v and %d bytes written, want ErrNoCommonCase and nothing", name, err, buf.Len())
		}
	}
}

func TestRatioTicks(t *testing.T) {
	var labels []string
	for _, tk := range ratioTicks(0.3, 25) {
		labels = append(labels, fmt.Sprintf("%s@%.4f", tk.Label, math.Pow(10, tk.Value)))
	}
	if got, want := strings.Join(labels, " "), "0.5×@0.5000 1×@1.0000 2×@2.0000 5×@5.0000 10×@10.0000 20×@20.0000"; got != want {
		t.Errorf("ratioTicks(0.3, 25) = %s, want %s", got, want)
	}
	var wide []string
	for _, tk := range ratioTicks(0.003, 400) {
		wide = append(wide, tk.Label)
	}
	if got, want := strings.Join(wide, ","), ",0.01×,,,0.1×,,,1×,,,10×,,,100×,"; got != want {
		t.Errorf("ratioTicks(0.003, 400) labels %q, want %q", got, want)
	}
}

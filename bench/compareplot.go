package bench

import (
	"cmp"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// ErrNoCommonCase: the results and the peers share no case (same loss, mode, n and c).
var ErrNoCommonCase = errors.New("bench: no case in common (same loss, mode, n and c) between the results and the peers")

// ratio is one comparison of a gloss case with a peer's: value = peerS / gloss, the two
// medians per call in seconds (above 1: gloss is faster).
type ratio struct {
	loss   string
	mode   Mode
	n, c   int
	device string // the gloss device
	peer   string // the peer's device column (torch-cpu, numpy)
	gloss  float64
	peerS  float64
	value  float64
}

// comparison holds the ratios of the cases a gloss run and a peer table have in common.
type comparison struct {
	devices []string // gloss devices with at least one ratio, in order of first appearance
	peers   []string // peers with at least one ratio, in order of first appearance
	losses  []string // losses with at least one ratio, sorted by name
	ratios  []ratio  // sorted by loss, mode, size (n·c, then n), peer, device
}

// compareCases pairs gloss's resident timings (status ok, no copy rows) with a peer table's
// (status ok, a positive median) case by case, the case being (loss, mode, n, c); a case present
// on one side only gives no ratio, nor does one whose ratio is not finite. When a side holds one
// case twice for a device, the later row wins. These are the ratios WriteCompare prints.
func compareCases(ours, peers []Result) comparison {
	type devKey struct {
		k   key
		dev string
	}
	mine := map[devKey]float64{}
	var ourDevs []string
	for _, r := range ours {
		if r.Status == OK && r.Loss != CopyLoss && r.Path == Resident {
			mine[devKey{r.key(), r.Device}] = r.Median
			if !slices.Contains(ourDevs, r.Device) {
				ourDevs = append(ourDevs, r.Device)
			}
		}
	}
	theirs := map[devKey]float64{}
	var peerOrder []devKey
	for _, r := range peers {
		if r.Status == OK && r.Loss != CopyLoss && r.Median > 0 {
			dk := devKey{r.key(), r.Device}
			if _, ok := theirs[dk]; !ok {
				peerOrder = append(peerOrder, dk)
			}
			theirs[dk] = r.Median
		}
	}
	var c comparison
	for _, pk := range peerOrder {
		for _, d := range ourDevs {
			om, ok := mine[devKey{pk.k, d}]
			if !ok || !(om > 0) {
				continue
			}
			pm := theirs[pk]
			if math.IsInf(pm/om, 0) {
				continue
			}
			c.ratios = append(c.ratios, ratio{loss: pk.k.loss, mode: pk.k.mode, n: pk.k.n, c: pk.k.c,
				device: d, peer: pk.dev, gloss: om, peerS: pm, value: pm / om})
		}
	}
	for _, r := range c.ratios {
		if !slices.Contains(c.peers, r.peer) {
			c.peers = append(c.peers, r.peer)
		}
		if !slices.Contains(c.losses, r.loss) {
			c.losses = append(c.losses, r.loss)
		}
	}
	for _, d := range ourDevs {
		if slices.ContainsFunc(c.ratios, func(r ratio) bool { return r.device == d }) {
			c.devices = append(c.devices, d)
		}
	}
	slices.Sort(c.losses)
	slices.SortStableFunc(c.ratios, func(a, b ratio) int {
		return cmp.Or(cmp.Compare(a.loss, b.loss), cmp.Compare(modeRank(a.mode), modeRank(b.mode)),
			cmp.Compare(a.n*a.c, b.n*b.c), cmp.Compare(a.n, b.n),
			cmp.Compare(slices.Index(c.peers, a.peer), slices.Index(c.peers, b.peer)),
			cmp.Compare(slices.Index(c.devices, a.device), slices.Index(c.devices, b.device)))
	})
	return c
}

// geoMean is the geometric mean of the ratios of one mode: exp(Σ ln ratioᵢ / cases).
type geoMean struct {
	mode  Mode
	value float64
	cases int
}

// geoMeans gives, for one gloss device and one peer, the geometric mean of the ratios per mode,
// in the order of AllModes (other modes after, by name); modes without a ratio are left out.
func (c comparison) geoMeans(device, peer string) []geoMean {
	sums := map[Mode]*geoMean{}
	var modes []Mode
	for _, r := range c.ratios {
		if r.device != device || r.peer != peer {
			continue
		}
		g := sums[r.mode]
		if g == nil {
			g = &geoMean{mode: r.mode}
			sums[r.mode] = g
			modes = append(modes, r.mode)
		}
		g.value += math.Log(r.value)
		g.cases++
	}
	slices.SortFunc(modes, func(a, b Mode) int { return cmp.Or(modeRank(a)-modeRank(b), cmp.Compare(a, b)) })
	out := make([]geoMean, 0, len(modes))
	for _, m := range modes {
		g := *sums[m]
		g.value = math.Exp(g.value / float64(g.cases))
		out = append(out, g)
	}
	return out
}

// Peer marker shapes, open (smaller sizes) and filled (the largest size of a loss): torch-cpu
// circles, numpy triangles, any other peer squares, then plus and cross signs.
var peerGlyphs = []struct{ open, filled draw.GlyphDrawer }{
	{draw.RingGlyph{}, draw.CircleGlyph{}},
	{draw.TriangleGlyph{}, draw.PyramidGlyph{}},
	{draw.BoxGlyph{}, draw.SquareGlyph{}},
	{draw.PlusGlyph{}, draw.CrossGlyph{}},
}

func peerGlyphIndex(peers []string, peer string) int {
	switch peer {
	case "torch-cpu":
		return 0
	case "numpy":
		return 1
	}
	i := 2
	for _, p := range peers {
		if p == peer {
			break
		}
		if p != "torch-cpu" && p != "numpy" {
			i++
		}
	}
	return min(i, len(peerGlyphs)-1)
}

func modeColor(m Mode) color.Color {
	if c := modeColors[m]; c != nil {
		return c
	}
	return color.Black
}

// compareSlot is one line within a loss's row: the ratios of one mode against one peer.
type compareSlot struct {
	mode Mode
	peer string
}

// WriteComparePlot draws the comparison of WriteCompare as a PNG: one panel per gloss device
// (resident path), side by side, one row per loss (sorted by name, top to bottom), x the ratio
// peer median / gloss median on a log scale shared by the panels (right of the line at 1×:
// gloss is faster). Within a row each (mode, peer) pair has its own line, coloured by mode; the
// peer sets the marker shape (torch-cpu circles, numpy triangles); one point per size, the
// largest size of the loss filled, the smaller ones open, joined by a thin line. Each panel's
// title gives the geometric mean per mode against each peer, the numbers WriteCompare prints.
// The image is 7 inches wide per panel and about 0.3 inch high per loss (96 dpi). Cases
// without a peer counterpart are absent; with none in common it returns ErrNoCommonCase.
func WriteComparePlot(w io.Writer, ours, peers []Result) error {
	c := compareCases(ours, peers)
	if len(c.ratios) == 0 {
		return ErrNoCommonCase
	}
	names := map[string]string{}
	for _, r := range ours {
		if _, ok := names[r.Device]; !ok && r.DeviceName != "" {
			names[r.Device] = shortName(r.DeviceName)
		}
	}
	// The (mode, peer) lines of a row, grouped by mode, spread over ±0.33 of the row.
	var slots []compareSlot
	for _, r := range c.ratios {
		if s := (compareSlot{r.mode, r.peer}); !slices.Contains(slots, s) {
			slots = append(slots, s)
		}
	}
	slices.SortFunc(slots, func(a, b compareSlot) int {
		return cmp.Or(modeRank(a.mode)-modeRank(b.mode), cmp.Compare(a.mode, b.mode),
			cmp.Compare(slices.Index(c.peers, a.peer), slices.Index(c.peers, b.peer)))
	})
	offset := func(s compareSlot) float64 {
		if len(slots) == 1 {
			return 0
		}
		return 0.33 - 0.66*float64(slices.Index(slots, s))/float64(len(slots)-1)
	}
	nl := len(c.losses)
	row := func(loss string) float64 { return float64(nl - 1 - slices.Index(c.losses, loss)) }

	lo, hi := 1.0, 1.0
	for _, r := range c.ratios {
		lo, hi = min(lo, r.value), max(hi, r.value)
	}
	lo, hi = lo/1.3, hi*1.3
	ticks := ratioTicks(lo, hi)
	var lossTicks []plot.Tick
	for _, l := range c.losses {
		lossTicks = append(lossTicks, plot.Tick{Value: row(l), Label: l})
	}

	var plots []*plot.Plot
	for _, dev := range c.devices {
		p, err := comparePanel(c, dev, names[dev], offset, row, lo, hi, ticks, lossTicks)
		if err != nil {
			return err
		}
		plots = append(plots, p)
	}

	columns, err := compareLegend(c, slots)
	if err != nil {
		return err
	}
	rows := 0
	for _, col := range columns {
		rows = max(rows, len(col))
	}
	panelW := 7 * vg.Inch
	panelH := max(4*vg.Inch, 1.5*vg.Inch+0.3*vg.Inch*vg.Length(nl)+vg.Points(14)*vg.Length(len(c.peers)))
	legendH := vg.Points(17)*vg.Length(rows) + vg.Points(12)
	img := vgimg.New(max(panelW*vg.Length(len(plots)), 10*vg.Inch), panelH+legendH)
	dc := draw.New(img)
	top := draw.Crop(dc, 0, 0, legendH, 0)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadTop: vg.Points(6), PadBottom: vg.Points(4), PadLeft: vg.Points(6), PadRight: vg.Points(14), PadX: vg.Points(24)}
	canvases := plot.Align([][]*plot.Plot{plots}, tiles, top)
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	// The legend under the panels, one column per kind of entry.
	bottom := draw.Crop(dc, vg.Points(24), 0, vg.Points(4), -(panelH + vg.Points(4)))
	x := bottom.Min.X
	for _, col := range columns {
		l := plot.NewLegend()
		l.Top, l.Left = true, true
		l.TextStyle.Font.Size = vg.Points(10)
		l.Padding = vg.Points(5)
		for _, e := range col {
			l.Add(e.text, e.thumbs...)
		}
		cv := bottom
		cv.Min.X = x
		l.Draw(cv)
		r := l.Rectangle(cv)
		x += r.Max.X - r.Min.X + vg.Points(36)
	}
	_, err = vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

// comparePanel draws one gloss device's panel of WriteComparePlot.
func comparePanel(c comparison, dev, name string, offset func(compareSlot) float64, row func(string) float64,
	lo, hi float64, ticks, lossTicks []plot.Tick) (*plot.Plot, error) {
	p := plot.New()
	title := dev
	if name != "" {
		title += " — " + name
	}
	for _, peer := range c.peers {
		var parts []string
		for _, g := range c.geoMeans(dev, peer) {
			parts = append(parts, fmt.Sprintf("%s %.2f× (%d)", g.mode, g.value, g.cases))
		}
		if len(parts) > 0 {
			title += fmt.Sprintf("\n%s/gloss, geometric mean (cases): %s", peer, strings.Join(parts, ", "))
		}
	}
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.X.Label.Text = "peer median / gloss median (log scale; above 1×: gloss is faster)"
	// x is log10 of the ratio on a linear axis, the ticks labelled with the ratio: the same
	// picture as plot.LogScale, but the axis label is then centred on the panel when the
	// panels are aligned (plot's LogScale takes the arithmetic midpoint for it).
	x0, x1 := math.Log10(lo), math.Log10(hi)
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Min, p.X.Max = x0, x1
	nl := len(c.losses)
	p.Y.Tick.Marker = plot.ConstantTicks(lossTicks)
	p.Y.Tick.Label.Font.Size = vg.Points(10)
	p.Y.Min, p.Y.Max = -0.5, float64(nl)-0.5

	// Every other row shaded, so that a row reads across from its name.
	for i := 0; i < nl; i += 2 {
		y := row(c.losses[i])
		band, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: y - 0.5}, {X: x1, Y: y - 0.5}, {X: x1, Y: y + 0.5}, {X: x0, Y: y + 0.5}})
		if err != nil {
			return nil, err
		}
		band.Color = color.Gray{Y: 236}
		band.LineStyle.Width = 0
		p.Add(band)
	}
	grid := plotter.NewGrid()
	grid.Horizontal.Color = nil
	grid.Vertical.Color = color.Gray{Y: 200}
	p.Add(grid)
	one, err := plotter.NewLine(plotter.XYs{{X: 0, Y: -0.5}, {X: 0, Y: float64(nl) - 0.5}})
	if err != nil {
		return nil, err
	}
	one.LineStyle.Color = color.Gray{Y: 60}
	one.LineStyle.Width = vg.Points(1.2)
	p.Add(one)

	type group struct {
		loss string
		slot compareSlot
	}
	var order []group
	cases := map[group][]ratio{}
	for _, r := range c.ratios {
		if r.device != dev {
			continue
		}
		g := group{r.loss, compareSlot{r.mode, r.peer}}
		if cases[g] == nil {
			order = append(order, g)
		}
		cases[g] = append(cases[g], r) // in size order: compareCases sorts them
	}
	for _, g := range order {
		rs := cases[g]
		y := row(g.loss) + offset(g.slot)
		col := modeColor(g.slot.mode)
		glyph := peerGlyphs[peerGlyphIndex(c.peers, g.slot.peer)]
		if len(rs) > 1 {
			xy := make(plotter.XYs, len(rs))
			for i, r := range rs {
				xy[i] = plotter.XY{X: math.Log10(r.value), Y: y}
			}
			l, err := plotter.NewLine(xy)
			if err != nil {
				return nil, err
			}
			l.LineStyle.Color = col
			l.LineStyle.Width = vg.Points(0.8)
			p.Add(l)
		}
		for i, r := range rs {
			sc, err := plotter.NewScatter(plotter.XYs{{X: math.Log10(r.value), Y: y}})
			if err != nil {
				return nil, err
			}
			// The open markers a little larger: one that coincides with the filled one
			// still shows as a ring around it.
			sc.GlyphStyle.Color = col
			sc.GlyphStyle.Radius = vg.Points(3.1)
			sc.GlyphStyle.Shape = glyph.open
			if i == len(rs)-1 {
				sc.GlyphStyle.Radius = vg.Points(2.6)
				sc.GlyphStyle.Shape = glyph.filled
			}
			p.Add(sc)
		}
	}
	return p, nil
}

type compareLegendEntry struct {
	text   string
	thumbs []plot.Thumbnailer
}

// compareLegend explains, column by column, the colours (modes), the shapes (peers) with the
// reference line, and open and filled markers (sizes).
func compareLegend(c comparison, slots []compareSlot) ([][]compareLegendEntry, error) {
	marker := func(col color.Color, shape draw.GlyphDrawer) (plot.Thumbnailer, error) {
		sc, err := plotter.NewScatter(plotter.XYs{{X: 0, Y: 0}})
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle.Color, sc.GlyphStyle.Shape, sc.GlyphStyle.Radius = col, shape, vg.Points(3)
		return sc, nil
	}
	line := func(col color.Color, width vg.Length) (plot.Thumbnailer, error) {
		l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 0}})
		if err != nil {
			return nil, err
		}
		l.LineStyle.Color, l.LineStyle.Width = col, width
		return l, nil
	}
	var modes []compareLegendEntry
	for _, s := range slots {
		if slices.ContainsFunc(modes, func(e compareLegendEntry) bool { return strings.HasPrefix(e.text, string(s.mode)+" ") }) {
			continue
		}
		var peers []string
		for _, t := range slots {
			if t.mode == s.mode {
				peers = append(peers, t.peer)
			}
		}
		l, err := line(modeColor(s.mode), vg.Points(2.5))
		if err != nil {
			return nil, err
		}
		modes = append(modes, compareLegendEntry{fmt.Sprintf("%s (against %s)", s.mode, strings.Join(peers, ", ")), []plot.Thumbnailer{l}})
	}
	grey := color.Gray{Y: 70}
	var shapes []compareLegendEntry
	for _, peer := range c.peers {
		t, err := marker(grey, peerGlyphs[peerGlyphIndex(c.peers, peer)].filled)
		if err != nil {
			return nil, err
		}
		shapes = append(shapes, compareLegendEntry{peer, []plot.Thumbnailer{t}})
	}
	one, err := line(color.Gray{Y: 60}, vg.Points(1.2))
	if err != nil {
		return nil, err
	}
	shapes = append(shapes, compareLegendEntry{"1×: as fast as the peer", []plot.Thumbnailer{one}})
	open, err := marker(grey, draw.RingGlyph{})
	if err != nil {
		return nil, err
	}
	filled, err := marker(grey, draw.CircleGlyph{})
	if err != nil {
		return nil, err
	}
	join, err := line(grey, vg.Points(0.8))
	if err != nil {
		return nil, err
	}
	sizes := []compareLegendEntry{
		{"open: a smaller size (n·c) of the loss", []plot.Thumbnailer{open}},
		{"filled: the largest size of the loss", []plot.Thumbnailer{filled}},
		{"thin line: joins the sizes of one mode", []plot.Thumbnailer{join}},
	}
	return [][]compareLegendEntry{modes, shapes, sizes}, nil
}

// ratioTicks marks 1, 2 and 5 per decade between lo and hi on an axis of log10(ratio), labelled
// with the ratio like "0.5×" (only the powers of ten labelled when the range spans more than
// four decades).
func ratioTicks(lo, hi float64) []plot.Tick {
	dense := math.Log10(hi/lo) <= 4
	var out []plot.Tick
	for e := int(math.Floor(math.Log10(lo))); e <= int(math.Ceil(math.Log10(hi))); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, float64(e))
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: math.Log10(v)}
			if m == 1 || dense {
				t.Label = strconv.FormatFloat(v, 'f', max(0, -e), 64) + "×"
			}
			out = append(out, t)
		}
	}
	return out
}

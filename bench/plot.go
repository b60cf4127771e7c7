package bench

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

var modeColors = map[Mode]color.Color{
	Fwd:    color.RGBA{R: 31, G: 119, B: 180, A: 255},
	FwdBwd: color.RGBA{R: 255, G: 127, B: 14, A: 255},
	Hess:   color.RGBA{R: 44, G: 160, B: 44, A: 255},
}

// WritePlot draws throughput against size as a PNG: one panel per device, x the elements per
// case (N·C, log scale), y GB/s (log scale); for each mode and path a line through the median
// over the losses at each rung of the ladder (copy path dashed), every case as a faint dot,
// and the device's copy bandwidth as a grey dashed line.
func WritePlot(w io.Writer, rep *Report) error {
	devs := devicesOf(rep.Results)
	var plots [][]*plot.Plot
	for _, dev := range devs {
		p, err := devicePlot(rep, dev)
		if err != nil {
			return err
		}
		plots = append(plots, []*plot.Plot{p})
	}
	if len(plots) == 0 {
		return fmt.Errorf("bench: nothing to plot")
	}
	width, height := 9*vg.Inch, 5.5*vg.Inch
	img := vgimg.New(width, height*vg.Length(len(plots)))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8), PadY: vg.Points(16)}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

func devicePlot(rep *Report, dev string) (*plot.Plot, error) {
	p := plot.New()
	p.X.Label.Text = "elements per case (N·C)"
	p.Y.Label.Text = "GB/s (bytes of the byte model / median time)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	title := dev
	ceiling := math.NaN()
	type series struct {
		mode Mode
		path Path
	}
	groups := map[series]map[int][]float64{}
	var dots plotter.XYs
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for _, r := range rep.Results {
		if r.Device != dev {
			continue
		}
		if r.Loss == CopyLoss {
			ceiling = r.GBs
			title = fmt.Sprintf("%s — %s (copy %.3g GB/s)", dev, shortName(r.DeviceName), r.GBs)
			continue
		}
		if r.Status != OK || !(r.GBs > 0) {
			continue
		}
		x := float64(r.N * r.C)
		xmin, xmax = min(xmin, x), max(xmax, x)
		dots = append(dots, plotter.XY{X: x, Y: r.GBs})
		s := series{r.Mode, r.Path}
		if groups[s] == nil {
			groups[s] = map[int][]float64{}
		}
		rung := int(math.Round(math.Log2(x)))
		groups[s][rung] = append(groups[s][rung], r.GBs)
	}
	p.Title.Text = title
	if len(dots) > 0 {
		sc, err := plotter.NewScatter(dots)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle.Color = color.RGBA{R: 150, G: 150, B: 150, A: 110}
		sc.GlyphStyle.Radius = vg.Points(1.6)
		p.Add(sc)
		p.Legend.Add("each case", sc)
	}
	var keys []series
	for s := range groups {
		keys = append(keys, s)
	}
	slices.SortFunc(keys, func(a, b series) int {
		if a.mode != b.mode {
			return modeRank(a.mode) - modeRank(b.mode)
		}
		if a.path == b.path {
			return 0
		}
		if a.path == Resident {
			return -1
		}
		return 1
	})
	for _, s := range keys {
		var rungs []int
		for k := range groups[s] {
			rungs = append(rungs, k)
		}
		slices.Sort(rungs)
		// A rung only a few losses reach (InfoNCE's capped rows) would bend the line: it
		// keeps its dots, not a point on the line.
		most := 0
		for _, k := range rungs {
			most = max(most, len(groups[s][k]))
		}
		var xy plotter.XYs
		for _, k := range rungs {
			if len(groups[s][k]) < max(2, most/4) && most > 1 {
				continue
			}
			v := slices.Clone(groups[s][k])
			slices.Sort(v)
			xy = append(xy, plotter.XY{X: math.Exp2(float64(k)), Y: Percentile(v, 0.5)})
		}
		if len(xy) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, err
		}
		col := modeColors[s.mode]
		if col == nil {
			col = color.Black
		}
		l.LineStyle.Color, pts.GlyphStyle.Color = col, col
		l.LineStyle.Width = vg.Points(1.5)
		if s.path == Copy {
			l.LineStyle.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(l, pts)
		p.Legend.Add(fmt.Sprintf("%s, %s (median of losses)", s.mode, s.path), l, pts)
	}
	if ceiling > 0 && xmax >= xmin {
		line, err := plotter.NewLine(plotter.XYs{{X: xmin, Y: ceiling}, {X: xmax, Y: ceiling}})
		if err != nil {
			return nil, err
		}
		line.LineStyle.Color = color.Gray{Y: 90}
		line.LineStyle.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(line)
		p.Legend.Add("copy bandwidth", line)
	}
	if len(dots) > 0 {
		p.X.Min, p.X.Max = xmin/1.5, xmax*1.5
	}
	if len(dots) == 0 {
		// An empty log-scale axis cannot be drawn: give it a range.
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 1, 10, 0.1, 10
	}
	return p, nil
}

// shortName cuts a device description at its first parenthesis or at 60 characters.
func shortName(s string) string {
	if i := strings.Index(s, " ("); i > 0 {
		s = s[:i]
	}
	if r := []rune(s); len(r) > 60 {
		s = string(r[:60]) + "…"
	}
	return s
}

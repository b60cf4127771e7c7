package main

import (
	"fmt"
	"image/color"
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gloss-ml/gloss/loss"
)

// writeReliability draws a reliability diagram: per confidence bin, the accuracy (bars) and
// the mean confidence (points) against the diagonal of perfect calibration, each bar's width
// its bin and its label the bin's weight.
func writeReliability(path string, bins []loss.Bin, ece float64, rows int) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("reliability diagram: ECE %.4g over %d bins, %d rows", ece, len(bins), rows)
	p.X.Label.Text = "confidence"
	p.Y.Label.Text = "accuracy"
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	p.Legend.Top, p.Legend.Left = true, true

	var bars []plot.Plotter
	var pts plotter.XYs
	fill := color.RGBA{R: 31, G: 119, B: 180, A: 170}
	var legendBar *plotter.Polygon
	for _, b := range bins {
		if !(b.Weight > 0) || math.IsNaN(b.Accuracy) {
			continue
		}
		poly, err := plotter.NewPolygon(plotter.XYs{{X: b.Lo, Y: 0}, {X: b.Hi, Y: 0}, {X: b.Hi, Y: b.Accuracy}, {X: b.Lo, Y: b.Accuracy}})
		if err != nil {
			return err
		}
		poly.Color = fill
		poly.LineStyle.Color = color.White
		poly.LineStyle.Width = vg.Points(0.5)
		bars = append(bars, poly)
		legendBar = poly
		if !math.IsNaN(b.Confidence) {
			pts = append(pts, plotter.XY{X: b.Confidence, Y: b.Accuracy})
		}
	}
	p.Add(bars...)
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return err
	}
	diag.LineStyle.Color = color.Gray{Y: 80}
	diag.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(diag)
	if legendBar != nil {
		p.Legend.Add("accuracy per bin", legendBar)
	}
	p.Legend.Add("perfect calibration", diag)
	if len(pts) > 0 {
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Color = color.RGBA{R: 214, G: 39, B: 40, A: 255}
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(3)
		p.Add(sc)
		p.Legend.Add("mean confidence, accuracy", sc)
	}
	if err := p.Save(6*vg.Inch, 6*vg.Inch, path); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, err := os.Stat(path); err != nil {
		return err
	}
	return nil
}

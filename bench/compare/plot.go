package main

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// plot draws the table as grouped bars, one group per operation, on a log
// scale (CPython and Go differ by orders of magnitude).
// The file type follows the extension (.svg, .png, .pdf).
func (t table) plot(path string) error {
	p := plot.New()
	p.Title.Text = "geventgo vs plain Go vs CPython (ns/op, log scale, lower is better)"
	p.Y.Label.Text = "ns/op"
	// Bars grow from 0, which a log axis cannot show: plot log10(ns) on a
	// linear axis and label the ticks with the powers of ten.
	p.Y.Tick.Marker = powersOfTen{}

	names := make([]string, len(t.rows))
	series := [3]plotter.Values{}
	for i, r := range t.rows {
		names[i] = r.op.name
		for j, v := range [3]float64{r.py, r.plain, r.ours} {
			if v > 1 {
				v = math.Log10(v)
			} else {
				v = 0 // not measured: no bar
			}
			series[j] = append(series[j], v)
		}
	}
	w := vg.Points(7)
	labels := [3]string{"CPython", "plain Go", "geventgo"}
	colors := [3]color.Color{
		color.RGBA{R: 0x35, G: 0x72, B: 0xa5, A: 0xff},
		color.RGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xff},
		color.RGBA{R: 0x00, G: 0xad, B: 0xd8, A: 0xff},
	}
	for j := range series {
		bars, err := plotter.NewBarChart(series[j], w)
		if err != nil {
			return err
		}
		bars.Color = colors[j]
		bars.LineStyle.Width = 0
		bars.Offset = vg.Length(j-1) * w
		p.Add(bars)
		p.Legend.Add(labels[j], bars)
	}
	p.Y.Min = 0
	p.Legend.Top = true
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = math.Pi / 5
	p.X.Tick.Label.XAlign = -0.9
	p.X.Tick.Label.YAlign = -0.5
	return p.Save(vg.Length(len(names))*0.9*vg.Inch+2*vg.Inch, 5*vg.Inch, path)
}

// powersOfTen labels a log10 axis: 1 -> "10", 3 -> "1k", 4 -> "10k".
type powersOfTen struct{}

func (powersOfTen) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for k := math.Floor(min); k <= math.Ceil(max); k++ {
		ticks = append(ticks, plot.Tick{Value: k, Label: humanNs(math.Pow(10, k))})
	}
	return ticks
}

func humanNs(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%gk", v/1e3)
	default:
		return fmt.Sprintf("%g", v)
	}
}

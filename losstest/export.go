package losstest

import (
	"testing"

	"github.com/gloss-ml/gloss/device"
	"github.com/gloss-ml/gloss/loss"
)

// Variants returns the parameter sets Run tries for a loss besides its defaults (each set a
// list of parameters), for suites that run a subset of Run's cases, such as a backend's tests
// on an emulated device.
func Variants(name string) [][]loss.Param { return variants[name] }

// Edges runs the parameter edges of every loss that has them on dev in dtype dt, one subtest
// per loss and edge: the part of Run that suites running a subset of its cases keep whole.
func Edges(t *testing.T, dev device.Device, dt device.DType) {
	for _, s := range loss.Catalog() {
		if len(edges[s.Name]) > 0 {
			t.Run(s.Name, func(t *testing.T) { runEdges(t, dev, s, dt) })
		}
	}
}

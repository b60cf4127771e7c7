package losstest

import "github.com/gloss-ml/gloss/loss"

// Variants returns the parameter sets Run tries for a loss besides its defaults (each set a
// list of parameters), for suites that run a subset of Run's cases, such as a backend's tests
// on an emulated device.
func Variants(name string) [][]loss.Param { return variants[name] }

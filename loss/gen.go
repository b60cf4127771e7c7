package loss

import (
	"math"
	"math/rand/v2"
)

// dist is how tests and benchmarks draw an input's values.
type dist uint8

const (
	distNormal     dist = iota // N(0, 2²)
	distUnit                   // uniform in [0.02, 0.98]: probabilities
	distSoft01                 // a mix of exact 0s and 1s and values in (0, 1): soft targets
	distBinary                 // 0 or 1
	distSign                   // −1 or +1
	distPositive               // uniform in [0.1, 3]
	distCounts                 // non-negative integers with zeros, ones and larger counts
	distLogit                  // N(0, 3²)
	distProbRow                // each row a probability vector (softmax of N(0, 2²))
	distLogProbRow             // each row the log of a probability vector
	distEmbed                  // N(0, 1): embedding coordinates
)

// gen draws batches. It is the zero value for every spec: the draw follows each input's dist.
type gen struct{}

func draw(r *rand.Rand, d dist, n, c int) []float64 {
	v := make([]float64, n*c)
	switch d {
	case distProbRow, distLogProbRow:
		for i := 0; i < n; i++ {
			row := v[i*c : (i+1)*c]
			var s float64
			for j := range row {
				row[j] = math.Exp(2 * r.NormFloat64())
				s += row[j]
			}
			for j := range row {
				row[j] /= s
				if d == distLogProbRow {
					row[j] = math.Log(row[j])
				}
			}
		}
		return v
	}
	for i := range v {
		switch d {
		case distNormal:
			v[i] = 2 * r.NormFloat64()
		case distUnit:
			v[i] = 0.02 + 0.96*r.Float64()
		case distSoft01:
			switch r.IntN(4) {
			case 0:
				v[i] = 0
			case 1:
				v[i] = 1
			default:
				v[i] = r.Float64()
			}
		case distBinary:
			v[i] = float64(r.IntN(2))
		case distSign:
			v[i] = float64(2*r.IntN(2) - 1)
		case distPositive:
			v[i] = 0.1 + 2.9*r.Float64()
		case distCounts:
			v[i] = math.Floor(math.Exp(1.2 * r.NormFloat64()))
		case distLogit:
			v[i] = 3 * r.NormFloat64()
		case distEmbed:
			v[i] = r.NormFloat64()
		}
	}
	return v
}

func (gen) batch(l Loss, r *rand.Rand, n, c int, weights, classWeights, ignored bool) Batch[float64] {
	s := l.s
	c = max(c, s.minCols)
	if s.family == 0 {
		c = 1
	}
	b := Batch[float64]{Rows: n, Cols: c}
	for i, x := range s.in {
		if x.name == "" {
			continue
		}
		v := draw(r, x.dist, n, c)
		switch i {
		case 0:
			b.Pred = v
		case 1:
			b.Target = v
		case 2:
			b.Aux = v
		}
	}
	if s.labels {
		hi := c
		if s.labelHi != nil {
			hi = s.labelHi(c)
		}
		b.Labels = make([]int32, n)
		for i := range b.Labels {
			b.Labels[i] = int32(r.IntN(hi))
			if ignored && s.ignore && r.IntN(8) == 0 {
				b.Labels[i] = int32(l.ignore)
			}
		}
	}
	if weights {
		b.Weights = make([]float64, n)
		for i := range b.Weights {
			b.Weights[i] = 0.1 + 1.9*r.Float64()
		}
	}
	if classWeights && s.classWeight != "" {
		b.ClassWeights = make([]float64, c)
		for i := range b.ClassWeights {
			b.ClassWeights[i] = 0.2 + 1.8*r.Float64()
		}
	}
	if s.fix != nil {
		s.fix(&l, &b)
	}
	return b
}

// sigmoidAll replaces every value by σ(v): logits to probabilities.
func sigmoidAll(v []float64) {
	for i, x := range v {
		v[i] = 1 / (1 + math.Exp(-x))
	}
}

// softmaxRows replaces each row of c values by its softmax.
func softmaxRows(v []float64, c int) {
	for i := 0; i+c <= len(v); i += c {
		row := v[i : i+c]
		m := math.Inf(-1)
		for _, x := range row {
			m = max(m, x)
		}
		var s float64
		for j, x := range row {
			row[j] = math.Exp(x - m)
			s += row[j]
		}
		for j := range row {
			row[j] /= s
		}
	}
}

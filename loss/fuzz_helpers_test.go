package loss_test

// fuzzBytes yields a fuzz input a byte at a time; past its end it cycles through it again,
// mixed with the position, so that short seeds still give varied inputs.
type fuzzBytes struct {
	b []byte
	i int
}

func (r *fuzzBytes) next() byte {
	i := r.i
	r.i++
	switch {
	case len(r.b) == 0:
		return byte(i * 53)
	case i < len(r.b):
		return r.b[i]
	}
	return r.b[i%len(r.b)] ^ byte(i*53)
}

// widen32 copies float32 values to float64 (nil stays nil).
func widen32(v []float32) []float64 {
	if v == nil {
		return nil
	}
	o := make([]float64, len(v))
	for i, x := range v {
		o[i] = float64(x)
	}
	return o
}

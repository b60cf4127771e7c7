package main

import "fmt"

// pressure reports the most values of each type live at once in emission order.
func pressure(b *built) (vec, mask int) {
	last := map[*node]int{}
	for i, n := range b.f.nodes {
		if !n.live {
			continue
		}
		for _, a := range n.a {
			last[a] = i
		}
	}
	for _, r := range []*node{b.o.L, b.o.GX, b.o.GY, b.o.GZ, b.o.H, b.o.Dst, b.o.LW} {
		if r != nil {
			last[r] = len(b.f.nodes)
		}
	}
	for i := range b.f.nodes {
		v, m := 0, 0
		for _, n := range b.f.nodes[:i+1] {
			if !n.live || n.op == opConst || n.op == opParam || n.op == opAsI || n.op == opAsF {
				continue
			}
			if last[n] >= i {
				if n.t == tM {
					m++
				} else {
					v++
				}
			}
		}
		vec, mask = max(vec, v), max(mask, m)
	}
	return
}

func debugPressure(bs []*built) {
	for _, b := range bs {
		v, m := pressure(b)
		fmt.Println(b.k.name, v, m)
	}
}

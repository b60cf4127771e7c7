//go:build amd64 && !purego

package vmath

import "golang.org/x/sys/cpu"

func detect() []Level {
	l := []Level{Portable}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		l = append(l, AVX2)
		if cpu.X86.HasAVX512F {
			l = append(l, AVX512)
		}
	}
	return l
}

//go:build !amd64 || purego

package vmath

func detect() []Level { return []Level{Portable} }

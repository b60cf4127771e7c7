// Package faultlayer is the bookkeeping that the runtime-loaded bindings' fault layers
// (internal/cl.Faults, internal/cu.Faults) share: a Counter counts the calls into the library,
// records their names while tracing, makes one chosen call fail with a chosen code, and
// collects the misuses the layer saw; Objects keeps the live objects of one kind by the call
// that made them. What is called, what fails how, and what counts as an object stay with each
// binding.
package faultlayer

import (
	"fmt"
	"sync"
)

// Counter counts calls and arms one failure, with codes of type C. Its zero value is ready;
// one mutex guards it and whatever the binding records through Record and Finally.
type Counter[C any] struct {
	mu       sync.Mutex
	calls    int      // calls since the layer was installed
	failAt   int      // the call that fails (a value of calls), 0 when none is armed
	code     C        // its code
	fired    string   // the call that failed, "" when none has
	trace    []string // call names, when tracing
	tracing  bool     // whether calls are recorded in trace
	problems []string
}

// FailAt arms the layer: the nth call from now (1: the next) returns code. A call that fired
// disarms it.
func (c *Counter[C]) FailAt(n int, code C) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failAt, c.code, c.fired = c.calls+n, code, ""
}

// Disarm cancels a FailAt that has not fired and returns the call that failed since the last
// FailAt ("" when none did).
func (c *Counter[C]) Disarm() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failAt = 0
	return c.fired
}

// Calls returns the number of calls made through the layer.
func (c *Counter[C]) Calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// Trace starts recording the names of the calls, or stops and returns what was recorded.
func (c *Counter[C]) Trace(on bool) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.trace
	c.tracing, c.trace = on, nil
	return out
}

// Problems returns, and forgets, the misuses the layer saw: releases of what it did not see
// created or saw released already.
func (c *Counter[C]) Problems() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.problems
	c.problems = nil
	return out
}

// Enter counts a call and reports whether it must fail, and with which code (the zero C when
// it need not).
func (c *Counter[C]) Enter(call string) (C, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.tracing {
		c.trace = append(c.trace, call)
	}
	if c.failAt != 0 && c.calls == c.failAt {
		c.failAt, c.fired = 0, call
		return c.code, true
	}
	var zero C
	return zero, false
}

// Record runs f under the counter's lock with the number of calls so far; a non-empty result
// is a misuse, kept for Problems.
func (c *Counter[C]) Record(f func(calls int) (problem string)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := f(c.calls); p != "" {
		c.problems = append(c.problems, p)
	}
}

// Locked runs f under the counter's lock (to read what Record and Finally keep).
func (c *Counter[C]) Locked(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f()
}

// Finally makes a call that ends an object's life or waits for work: it reaches the library
// even when it is the call that fails (a caller can neither retry a release nor assume that a
// failed wait did not wait), then after runs as under Record; the armed code replaces the
// library's result when the call fails.
func (c *Counter[C]) Finally(call string, do func() C, after func(calls int) (problem string)) C {
	code, fail := c.Enter(call)
	r := do()
	if after != nil {
		c.Record(after)
	}
	if fail {
		return code
	}
	return r
}

// Objects are the live objects of one kind, each described by the call that made it. Use it
// under a Counter's lock (in Record or Finally).
type Objects[K comparable] map[K]string

// Add records k, made by what at the given call.
func (o Objects[K]) Add(k K, what string, calls int) {
	o[k] = fmt.Sprintf("%s (call %d)", what, calls)
}

// Remove forgets k and reports whether it was live.
func (o Objects[K]) Remove(k K) bool {
	if _, ok := o[k]; !ok {
		return false
	}
	delete(o, k)
	return true
}

// Describe appends "kind: description" for every live object to out.
func (o Objects[K]) Describe(kind string, out []string) []string {
	for _, what := range o {
		out = append(out, kind+": "+what)
	}
	return out
}

// Slot is where a binding keeps its implementation (impl, of interface type I), with the
// lock under which a fault layer is put in and taken out.
type Slot[I comparable] struct {
	mu   sync.Mutex
	impl *I
}

// NewSlot returns the slot of the implementation variable impl.
func NewSlot[I comparable](impl *I) *Slot[I] { return &Slot[I]{impl: impl} }

// Install puts the layer that wrap makes over the implementation into the slot and returns
// it: errNone when there is no implementation (a build without cgo), errTwice when isLayer
// reports that a layer is installed already.
func (s *Slot[I]) Install(errNone, errTwice error, isLayer func(I) bool, wrap func(inner I) I) (I, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var zero I
	switch {
	case *s.impl == zero:
		return zero, errNone
	case isLayer(*s.impl):
		return zero, errTwice
	}
	*s.impl = wrap(*s.impl)
	return *s.impl, nil
}

// Remove puts inner back in the slot if layer is there.
func (s *Slot[I]) Remove(layer, inner I) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if *s.impl == layer {
		*s.impl = inner
	}
}

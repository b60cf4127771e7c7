package faultlayer

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"
)

// TestCounter arms a failure, traces calls, runs a failing call that must still reach the
// library, and keeps the misuse its after function reports.
func TestCounter(t *testing.T) {
	var c Counter[int32]
	live := Objects[uint64]{}
	c.Enter("a")
	c.Trace(true)
	c.FailAt(2, -5)
	if code, fail := c.Enter("b"); fail || code != 0 {
		t.Errorf("call 2 failed early: %d, %v", code, fail)
	}
	if code, fail := c.Enter("make"); !fail || code != -5 {
		t.Errorf("the armed call 3 = %d, %v; want -5, true", code, fail)
	}
	if code, fail := c.Enter("d"); fail || code != 0 {
		t.Errorf("a call after the one that fired failed: %d", code)
	}
	c.Record(func(calls int) string { live.Add(7, "make(7)", calls); return "" })
	if got := c.Disarm(); got != "make" {
		t.Errorf("Disarm = %q, want make", got)
	}
	reached := 0
	c.FailAt(1, -6)
	free := func(k uint64) int32 {
		return c.Finally("free", func() int32 { reached++; return 0 }, func(calls int) string {
			if !live.Remove(k) {
				return fmt.Sprintf("free(%d) at call %d: not live", k, calls)
			}
			return ""
		})
	}
	if r := free(7); r != -6 || reached != 1 || len(live) != 0 {
		t.Errorf("failing free = %d after %d calls into the library, %d live; want -6, 1, 0", r, reached, len(live))
	}
	if r := free(7); r != 0 || reached != 2 {
		t.Errorf("second free = %d after %d calls", r, reached)
	}
	if p := c.Problems(); !slices.Equal(p, []string{"free(7) at call 6: not live"}) {
		t.Errorf("Problems = %q", p)
	}
	if p := c.Problems(); p != nil {
		t.Errorf("Problems did not forget: %q", p)
	}
	if tr := c.Trace(false); !slices.Equal(tr, []string{"b", "make", "d", "free", "free"}) || c.Calls() != 6 {
		t.Errorf("trace %q after %d calls", tr, c.Calls())
	}
}

func TestObjects(t *testing.T) {
	o := Objects[string]{}
	o.Add("x", "create(x)", 3)
	o.Add("y", "create(y)", 4)
	out := o.Describe("thing", nil)
	sort.Strings(out)
	if !slices.Equal(out, []string{"thing: create(x) (call 3)", "thing: create(y) (call 4)"}) {
		t.Errorf("Describe = %q", out)
	}
	if !o.Remove("x") || o.Remove("x") || len(o) != 1 {
		t.Errorf("Remove: %v", o)
	}
}

type impl interface{ name() string }

type base struct{}

func (base) name() string { return "base" }

type layer struct{ inner impl }

func (l *layer) name() string { return "layer over " + l.inner.name() }

// TestSlot puts a layer in and takes it out, and refuses a slot without an implementation
// and a second layer.
func TestSlot(t *testing.T) {
	var cur impl
	s := NewSlot(&cur)
	errNone, errTwice := errors.New("none"), errors.New("twice")
	isLayer := func(i impl) bool { _, ok := i.(*layer); return ok }
	wrap := func(inner impl) impl { return &layer{inner} }
	if l, err := s.Install(errNone, errTwice, isLayer, wrap); err != errNone || l != nil {
		t.Errorf("Install without an implementation = %v, %v; want errNone", l, err)
	}
	cur = base{}
	l, err := s.Install(errNone, errTwice, isLayer, wrap)
	if err != nil || cur != l || cur.name() != "layer over base" {
		t.Fatalf("Install = %v, %v; the slot holds %v", l, err, cur)
	}
	if _, err := s.Install(errNone, errTwice, isLayer, wrap); err != errTwice {
		t.Errorf("a second Install = %v, want errTwice", err)
	}
	s.Remove(base{}, nil) // not the layer in the slot: nothing happens
	if cur != l {
		t.Errorf("Remove of another layer changed the slot to %v", cur)
	}
	s.Remove(l, base{})
	if cur != (base{}) {
		t.Errorf("after Remove the slot holds %v", cur)
	}
}

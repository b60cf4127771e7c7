package dynlib

import "testing"

func TestChoose(t *testing.T) {
	t.Setenv("GLOSS_DYNLIB_TEST", "")
	if got := Choose("GLOSS_DYNLIB_TEST", "libdefault.so.1"); got != "libdefault.so.1" {
		t.Errorf("Choose with the variable empty = %q, want the default", got)
	}
	t.Setenv("GLOSS_DYNLIB_TEST", "/opt/lib/libother.so")
	if got := Choose("GLOSS_DYNLIB_TEST", "libdefault.so.1"); got != "/opt/lib/libother.so" {
		t.Errorf("Choose with the variable set = %q, want its value", got)
	}
}

func TestFailure(t *testing.T) {
	if f := failure(0, ""); f != nil {
		t.Errorf("failure(0) = %+v, want nil", f)
	}
	if f := failure(1, "cannot open"); f == nil || f.Reason != "cannot open" || f.Missing != nil {
		t.Errorf("failure(1) = %+v", f)
	}
	if f := failure(2, "a b"); f == nil || f.Reason != "" || len(f.Missing) != 2 || f.Missing[1] != "b" {
		t.Errorf("failure(2) = %+v", f)
	}
}

package device

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
)

// EnvDevice is the environment variable that overrides "auto" in Open.
const EnvDevice = "GLOSS_DEVICE"

// Opener opens the device named by a backend's name and an optional selector: for "cuda:1"
// the backend "cuda" is called with "1"; for "opencl:0:2" with "0:2"; for "cuda" with "".
type Opener func(selector string) (Device, error)

// Lister lists the devices a backend can open, for `gloss devices`, or says why there are none.
type Lister func() ([]Info, error)

type backend struct {
	open Opener
	list Lister
}

var (
	regMu    sync.Mutex
	backends = map[string]backend{}
)

// autoOrder is the order "auto" tries the backends in; cpu always works.
var autoOrder = []string{"cuda", "opencl", "cpu"}

// Register makes a backend available to Open under name. It panics if name is registered
// twice: registration happens in init functions, so that is a programming error.
func Register(name string, open Opener, list Lister) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := backends[name]; dup {
		panic("device: backend registered twice: " + name)
	}
	backends[name] = backend{open: open, list: list}
}

// Backends lists the registered backend names, sorted.
func Backends() []string {
	regMu.Lock()
	defer regMu.Unlock()
	names := make([]string, 0, len(backends))
	for n := range backends {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// List returns the devices of one backend, or the error that says why it has none.
func List(name string) ([]Info, error) {
	regMu.Lock()
	b, ok := backends[name]
	regMu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w %q (registered: %s)", ErrUnknown, name, strings.Join(Backends(), ", "))
	}
	return b.list()
}

// Open opens a device by name: "cpu", "opencl", "opencl:P:D" (platform P, device D),
// "cuda", "cuda:N", or "auto". A name ending in a colon ("cpu:") is ErrUnknown. "auto" (or "") honours GLOSS_DEVICE, then tries cuda, opencl and
// cpu in that order; use Auto to learn why it skipped a backend. An explicitly named device that
// is missing is an error that says how to get it.
func Open(name string) (Device, error) {
	if name == "" || name == "auto" {
		d, _, err := Auto()
		return d, err
	}
	backendName, sel, colon := strings.Cut(name, ":")
	if colon && sel == "" { // "cpu:", "cuda:": a selector was begun and left empty
		return nil, fmt.Errorf("%w %q: nothing after the colon (write %q or %q)", ErrUnknown, name, backendName, backendName+":0")
	}
	regMu.Lock()
	b, ok := backends[backendName]
	regMu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w %q (registered: %s)", ErrUnknown, name, strings.Join(Backends(), ", "))
	}
	return b.open(sel)
}

// Skip records why "auto" passed over a backend.
type Skip struct {
	Backend string
	Err     error
}

// Auto opens the best available device: the one GLOSS_DEVICE names if it is set (an error if
// that device cannot be opened), else the first of cuda, opencl and cpu that opens. It returns
// why it skipped each backend it tried before the one it opened.
func Auto() (Device, []Skip, error) {
	if env := strings.TrimSpace(os.Getenv(EnvDevice)); env != "" && env != "auto" {
		d, err := Open(env)
		if err != nil {
			return nil, nil, fmt.Errorf("device: %s=%q: %w", EnvDevice, env, err)
		}
		return d, nil, nil
	}
	var skips []Skip
	for _, n := range autoOrder {
		regMu.Lock()
		b, ok := backends[n]
		regMu.Unlock()
		if !ok {
			skips = append(skips, Skip{n, fmt.Errorf("%w: %s is not registered (import package loss or device/%s)", ErrNotBuilt, n, n)})
			continue
		}
		d, err := b.open("")
		if err == nil {
			return d, skips, nil
		}
		skips = append(skips, Skip{n, err})
	}
	return nil, skips, errors.Join(ErrNoDevice, fmt.Errorf("device: auto found no device: %v", skips))
}

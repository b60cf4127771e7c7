package device

import (
	"testing"

	"github.com/gloss-ml/gloss/device/host"
)

// TestHostCheckKinds checks that the host engine's check kinds mirror CheckKind, which the cpu
// device passes to host.Find32 by value.
func TestHostCheckKinds(t *testing.T) {
	for _, c := range []struct {
		dev  CheckKind
		host host.CheckKind
	}{{CheckRange, host.CheckRange}, {CheckFinite, host.CheckFinite}, {CheckSign, host.CheckSign}, {CheckBinary, host.CheckBinary}} {
		if uint8(c.dev) != uint8(c.host) {
			t.Errorf("device check kind %d is host check kind %d", c.dev, c.host)
		}
	}
}

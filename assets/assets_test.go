package assets

import (
	"bytes"
	"testing"
)

func TestIcons(t *testing.T) {
	for _, n := range Names() {
		b := Icon(n)
		if !bytes.HasPrefix(b, []byte("<svg")) {
			t.Errorf("icon %s: not an SVG (%d bytes)", n, len(b))
		}
	}
	if Icon("nope.svg") != nil {
		t.Error("unknown icon should be nil")
	}
}

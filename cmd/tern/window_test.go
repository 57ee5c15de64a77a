package main

import (
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestRealWindowUnderXvfb builds tern, opens the demo mailbox in a real
// window on a private X server, opens a message the way a user would, and
// checks the screenshot shows a filled window.
func TestRealWindowUnderXvfb(t *testing.T) {
	for _, tool := range []string{"Xvfb", "xdotool", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: install xvfb, xdotool and imagemagick (make test does)", tool)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tern")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	shot := filepath.Join(dir, "window.png")
	// The script waits until the list is filled and the message drawn.
	cmd := exec.Command("bash", "../../scripts/screenshot.sh", bin, shot)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() < 800 || b.Dy() < 500 {
		t.Fatalf("window is %dx%d", b.Dx(), b.Dy())
	}
	// Each pane must show something: count distinct colours in the folder
	// tree, the message list and the reader.
	// Antialiased text makes many shades: an empty reader ("Select a
	// message") has about 60, an open message about 300.
	for _, pane := range []struct {
		name string
		r    image.Rectangle
		min  int
	}{
		{"folders", image.Rect(0, 80, b.Dx()/5, b.Dy()-80), 100},
		{"list", image.Rect(b.Dx()/4, 80, b.Dx()/2, b.Dy()-80), 100},
		{"reader", image.Rect(b.Dx()*11/20, 80, b.Dx()-20, b.Dy()-80), 150},
	} {
		colours := map[[3]uint32]bool{}
		for y := pane.r.Min.Y; y < pane.r.Max.Y; y += 2 {
			for x := pane.r.Min.X; x < pane.r.Max.X; x += 2 {
				r, g, bl, _ := img.At(x, y).RGBA()
				colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			}
		}
		if len(colours) < pane.min {
			t.Errorf("%s pane looks empty (%d colours)", pane.name, len(colours))
		}
	}
}

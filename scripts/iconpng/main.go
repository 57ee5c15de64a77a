// Command iconpng renders Tern's SVG icon as the PNG sizes of the hicolor
// icon theme, with the SVG renderer Fyne already brings, so that make
// install needs no image tool:
//
//	go run ./scripts/iconpng ICON.svg HICOLOR_DIR NAME SIZE...
//
// writes HICOLOR_DIR/SIZExSIZE/apps/NAME.png for each SIZE.
package main

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"

	"github.com/fyne-io/oksvg"
	"github.com/srwiley/rasterx"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "iconpng: %v\n", err)
		os.Exit(1)
	}
}

func run(argv []string) error {
	if len(argv) < 4 {
		return fmt.Errorf("usage: iconpng ICON.svg HICOLOR_DIR NAME SIZE...")
	}
	svg, err := os.ReadFile(argv[0])
	if err != nil {
		return err
	}
	for _, s := range argv[3:] {
		size, err := strconv.Atoi(s)
		if err != nil || size <= 0 || size > 4096 {
			return fmt.Errorf("bad size %q", s)
		}
		img, err := render(svg, size)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return err
		}
		dir := filepath.Join(argv[1], s+"x"+s, "apps")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, argv[2]+".png"), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// render draws the square SVG icon svg at size×size pixels.
func render(svg []byte, size int) (image.Image, error) {
	icon, err := oksvg.ReadIconStream(bytes.NewReader(svg))
	if err != nil {
		return nil, err
	}
	icon.SetTarget(0, 0, float64(size), float64(size))
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	icon.Draw(rasterx.NewDasher(size, size, rasterx.NewScannerGV(size, size, img, img.Bounds())), 1)
	return img, nil
}

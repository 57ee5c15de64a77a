package gui

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"github.com/fyne-io/oksvg"
	"github.com/srwiley/rasterx"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/ternmail/tern/assets"
)

// trayIconSize is the side of the tray icon in pixels; trays scale it.
const trayIconSize = 64

// trayIcon draws the tray icon: Tern's icon with the unread count on a
// badge. It keeps the plain icon and the last drawing.
type trayIcon struct {
	base    *image.NRGBA // the plain icon; nil if it could not be drawn
	face    font.Face    // the badge's digits; nil without a font
	last    int          // the count of res
	res     fyne.Resource
	renders int // icons drawn (tests)
}

func newTrayIcon() *trayIcon {
	ic := &trayIcon{last: -1}
	if svg, err := oksvg.ReadIconStream(bytes.NewReader(assets.Icon(assets.AppIcon))); err == nil {
		svg.SetTarget(0, 0, trayIconSize, trayIconSize)
		ic.base = image.NewNRGBA(image.Rect(0, 0, trayIconSize, trayIconSize))
		svg.Draw(rasterx.NewDasher(trayIconSize, trayIconSize,
			rasterx.NewScannerGV(trayIconSize, trayIconSize, ic.base, ic.base.Bounds())), 1)
	}
	if f, err := opentype.Parse(theme.TextBoldFont().Content()); err == nil {
		ic.face, _ = opentype.NewFace(f, &opentype.FaceOptions{Size: trayIconSize * 0.36, DPI: 72, Hinting: font.HintingFull})
	}
	return ic
}

// render returns the icon for count unread messages: the plain icon for
// 0, with a badge otherwise ("99+" above 99).
func (ic *trayIcon) render(count int) fyne.Resource {
	if count == ic.last && ic.res != nil {
		return ic.res
	}
	ic.renders++
	ic.last = count
	if ic.base == nil {
		ic.res = fyne.NewStaticResource("tern.svg", assets.Icon(assets.AppIcon))
		return ic.res
	}
	img := image.NewNRGBA(ic.base.Bounds())
	draw.Draw(img, img.Bounds(), ic.base, image.Point{}, draw.Src)
	if count > 0 {
		text := strconv.Itoa(count)
		if count > 99 {
			text = "99+"
		}
		ic.badge(img, text)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		ic.res = fyne.NewStaticResource("tern.svg", assets.Icon(assets.AppIcon))
		return ic.res
	}
	ic.res = fyne.NewStaticResource("tern-tray-"+strconv.Itoa(count)+".png", buf.Bytes())
	return ic.res
}

// badge draws text in white on a red disc (a rounded bar for longer
// text) in the icon's top right corner.
func (ic *trayIcon) badge(img *image.NRGBA, text string) {
	const s = float64(trayIconSize)
	r := s * 0.25
	width := 0.0
	if ic.face != nil {
		width = float64((&font.Drawer{Face: ic.face}).MeasureString(text).Ceil())
	}
	// The bar's straight part, between the two half discs.
	straight := math.Max(0, width+s*0.08-2*r)
	cy := r
	x1 := s - r
	x0 := x1 - straight
	red := color.NRGBA{R: 0xd3, G: 0x2f, B: 0x2f, A: 0xff}
	for y := 0; y < trayIconSize; y++ {
		for x := 0; x < trayIconSize; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			cx := math.Min(math.Max(px, x0), x1)
			d := math.Hypot(px-cx, py-cy)
			a := math.Min(math.Max(r-d+0.5, 0), 1) // anti-aliased edge
			if a > 0 {
				blend(img, x, y, red, a)
			}
		}
	}
	if ic.face == nil {
		return
	}
	m := ic.face.Metrics()
	d := &font.Drawer{Dst: img, Src: image.NewUniform(color.White), Face: ic.face}
	mid := (x0 + x1) / 2
	d.Dot = fixed.Point26_6{
		X: fixed.Int26_6((mid - width/2) * 64),
		Y: fixed.Int26_6(cy*64) + (m.Ascent-m.Descent)/2,
	}
	d.DrawString(text)
}

// blend lays c over the pixel at x, y with opacity a.
func blend(img *image.NRGBA, x, y int, c color.NRGBA, a float64) {
	dst := img.NRGBAAt(x, y)
	da := float64(dst.A) / 255
	oa := a + da*(1-a)
	if oa == 0 {
		return
	}
	mix := func(s, d uint8) uint8 {
		return uint8(math.Round((float64(s)*a + float64(d)*da*(1-a)) / oa))
	}
	img.SetNRGBA(x, y, color.NRGBA{R: mix(c.R, dst.R), G: mix(c.G, dst.G), B: mix(c.B, dst.B), A: uint8(math.Round(oa * 255))})
}

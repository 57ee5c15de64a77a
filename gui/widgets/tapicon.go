package widgets

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// TapIcon is an icon that reports taps, without the padding and background
// of a button. It is meant for small in-row toggles such as a star.
type TapIcon struct {
	widget.BaseWidget
	icon     *widget.Icon
	OnTapped func()
}

// NewTapIcon returns a TapIcon showing res.
func NewTapIcon(res fyne.Resource, tapped func()) *TapIcon {
	t := &TapIcon{icon: widget.NewIcon(res), OnTapped: tapped}
	t.ExtendBaseWidget(t)
	return t
}

// SetResource changes the icon.
func (t *TapIcon) SetResource(res fyne.Resource) { t.icon.SetResource(res) }

// Tapped calls OnTapped.
func (t *TapIcon) Tapped(*fyne.PointEvent) {
	if t.OnTapped != nil {
		t.OnTapped()
	}
}

// Cursor shows a pointer over the icon.
func (t *TapIcon) Cursor() desktop.Cursor { return desktop.PointerCursor }

// CreateRenderer implements fyne.Widget.
func (t *TapIcon) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(t.icon)
}

package widgets

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// ScaledTheme is a theme whose text sizes are Scale times those of Base;
// everything else is Base's. Used with container.NewThemeOverride it zooms
// the text of one part of a window.
type ScaledTheme struct {
	// Base returns the theme to scale (called each time, so that a change
	// of the app's theme is followed); nil means theme.DefaultTheme.
	Base  func() fyne.Theme
	Scale float32
}

func (t *ScaledTheme) base() fyne.Theme {
	if t.Base != nil {
		if b := t.Base(); b != nil {
			return b
		}
	}
	return theme.DefaultTheme()
}

// Color returns Base's color.
func (t *ScaledTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return t.base().Color(n, v)
}

// Font returns Base's font.
func (t *ScaledTheme) Font(s fyne.TextStyle) fyne.Resource { return t.base().Font(s) }

// Icon returns Base's icon.
func (t *ScaledTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.base().Icon(n) }

// Size scales the text sizes.
func (t *ScaledTheme) Size(n fyne.ThemeSizeName) float32 {
	s := t.base().Size(n)
	switch n {
	case theme.SizeNameText, theme.SizeNameHeadingText, theme.SizeNameSubHeadingText,
		theme.SizeNameCaptionText, theme.SizeNameInlineIcon:
		if t.Scale > 0 {
			return s * t.Scale
		}
	}
	return s
}

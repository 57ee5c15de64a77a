package gui

import (
	"image/color"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/ternmail/tern/app"
)

// appTheme is the window's theme: Fyne's default theme in the light or
// dark variant the settings choose (or the desktop's, for "system"), with
// every text size scaled by the settings' text size.
//
// Fyne reads it from its drawing code; set is called on the UI goroutine.
// A mutex keeps the two apart.
type appTheme struct {
	mu      sync.RWMutex
	forced  bool // the variant is the settings', not the desktop's
	variant fyne.ThemeVariant
	scale   float32
}

func newAppTheme() *appTheme { return &appTheme{scale: 1} }

// set takes the theme and the text size from s, and reports whether
// either changed.
func (t *appTheme) set(s app.Settings) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	forced, variant := false, fyne.ThemeVariant(0)
	switch s.Theme {
	case app.ThemeLight:
		forced, variant = true, theme.VariantLight
	case app.ThemeDark:
		forced, variant = true, theme.VariantDark
	}
	scale := float32(s.TextScale)
	if scale <= 0 {
		scale = 1
	}
	changed := forced != t.forced || variant != t.variant || scale != t.scale
	t.forced, t.variant, t.scale = forced, variant, scale
	return changed
}

// Color returns the default theme's color in the chosen variant.
func (t *appTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	t.mu.RLock()
	if t.forced {
		v = t.variant
	}
	t.mu.RUnlock()
	return theme.DefaultTheme().Color(n, v)
}

// Font returns the default theme's font.
func (t *appTheme) Font(s fyne.TextStyle) fyne.Resource { return theme.DefaultTheme().Font(s) }

// Icon returns the default theme's icon.
func (t *appTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

// Size scales the text sizes (and the inline icons beside text).
func (t *appTheme) Size(n fyne.ThemeSizeName) float32 {
	s := theme.DefaultTheme().Size(n)
	switch n {
	case theme.SizeNameText, theme.SizeNameHeadingText, theme.SizeNameSubHeadingText,
		theme.SizeNameCaptionText, theme.SizeNameInlineIcon:
		t.mu.RLock()
		s *= t.scale
		t.mu.RUnlock()
	}
	return s
}

// densityTheme is the message list's theme: the window's, with less
// padding around each line when the list is compact.
//
// Like appTheme it is read by Fyne's drawing code and set on the UI
// goroutine.
type densityTheme struct {
	base    func() fyne.Theme
	mu      sync.RWMutex
	compact bool
}

// set reports whether the density changed.
func (t *densityTheme) set(d app.Density) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := d == app.DensityCompact
	changed := c != t.compact
	t.compact = c
	return changed
}

func (t *densityTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return t.base().Color(n, v)
}

func (t *densityTheme) Font(s fyne.TextStyle) fyne.Resource { return t.base().Font(s) }

func (t *densityTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.base().Icon(n) }

// Size is the window's size, with the padding of lines narrowed when
// compact.
func (t *densityTheme) Size(n fyne.ThemeSizeName) float32 {
	s := t.base().Size(n)
	t.mu.RLock()
	compact := t.compact
	t.mu.RUnlock()
	if !compact {
		return s
	}
	switch n {
	case theme.SizeNameInnerPadding:
		return s * 0.375 // 8 → 3
	case theme.SizeNameLineSpacing, theme.SizeNamePadding:
		return s / 2
	}
	return s
}

// Package assets holds Tern's icons as embedded SVG files. It does not
// import any UI toolkit: package gui turns the bytes into resources.
package assets

import (
	"embed"
	"path"
)

//go:embed icons/*.svg
var icons embed.FS

// Icon names.
const (
	Inbox       = "inbox.svg"
	Archive     = "archive.svg"
	Junk        = "junk.svg"
	Star        = "star.svg"
	StarOutline = "star_outline.svg"
	Unread      = "unread.svg"
	AppIcon     = "tern.svg"
)

// Names lists every icon.
func Names() []string {
	return []string{Inbox, Archive, Junk, Star, StarOutline, Unread, AppIcon}
}

// Icon returns the SVG bytes of the named icon (see the constants), or nil
// when there is no such icon.
func Icon(name string) []byte {
	b, err := icons.ReadFile(path.Join("icons", name))
	if err != nil {
		return nil
	}
	return b
}

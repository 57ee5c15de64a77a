package widgets

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// FolderRow is one node of the folder tree: an icon, a name and a badge
// (an unread count, or an account's sync state).
type FolderRow struct {
	widget.BaseWidget
	icon  *widget.Icon
	name  *widget.Label
	badge *widget.Label
	box   *fyne.Container
}

// NewFolderRow returns an empty row.
func NewFolderRow() *FolderRow {
	r := &FolderRow{
		icon:  widget.NewIcon(nil),
		name:  &widget.Label{Truncation: fyne.TextTruncateEllipsis},
		badge: &widget.Label{TextStyle: fyne.TextStyle{Bold: true}},
	}
	r.box = container.NewBorder(nil, nil, r.icon, r.badge, r.name)
	r.ExtendBaseWidget(r)
	return r
}

// Set shows a node. bold makes the name bold; badgeImportance styles the
// badge (e.g. widget.HighImportance for unread counts).
func (r *FolderRow) Set(icon fyne.Resource, name, badge string, bold bool, badgeImportance widget.Importance) {
	r.icon.SetResource(icon)
	r.name.TextStyle = fyne.TextStyle{Bold: bold}
	r.name.SetText(name)
	r.badge.Importance = badgeImportance
	r.badge.SetText(badge)
}

// Name returns the shown name.
func (r *FolderRow) Name() string { return r.name.Text }

// Badge returns the shown badge text.
func (r *FolderRow) Badge() string { return r.badge.Text }

// CreateRenderer implements fyne.Widget.
func (r *FolderRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(r.box)
}

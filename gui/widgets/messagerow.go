package widgets

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// RowData is what one message row shows.
type RowData struct {
	Sender, Date, Subject, Preview string
	Unread, Flagged, Attachment    bool
	// Placeholder shows an empty row while the data is loading.
	Placeholder bool
}

// RowIcons are the resources a MessageRow uses.
type RowIcons struct {
	Star, StarOutline, Attachment fyne.Resource
}

// MessageRow is one row of the message list: sender and date on the first
// line, the subject on the second, a line of preview on the third; unread
// rows are bold with a dot, flagged rows have a filled star.
type MessageRow struct {
	widget.BaseWidget

	// OnStar is called when the user taps the star.
	OnStar func()

	icons   RowIcons
	data    RowData
	dot     *canvas.Circle
	sender  *widget.Label
	date    *widget.Label
	subject *widget.Label
	preview *widget.Label
	clip    *widget.Icon
	star    *TapIcon
	content *fyne.Container
}

// NewMessageRow returns an empty row.
func NewMessageRow(icons RowIcons) *MessageRow {
	r := &MessageRow{icons: icons}
	r.dot = canvas.NewCircle(color.Transparent)
	r.sender = &widget.Label{Truncation: fyne.TextTruncateEllipsis}
	r.date = &widget.Label{SizeName: theme.SizeNameCaptionText}
	r.subject = &widget.Label{Truncation: fyne.TextTruncateEllipsis}
	r.preview = &widget.Label{Truncation: fyne.TextTruncateEllipsis, Importance: widget.LowImportance, SizeName: theme.SizeNameCaptionText}
	r.clip = widget.NewIcon(icons.Attachment)
	r.clip.Hide()
	r.star = NewTapIcon(icons.StarOutline, func() {
		if r.OnStar != nil {
			r.OnStar()
		}
	})
	dotBox := container.New(&dotLayout{}, r.dot)
	// The gap keeps the date clear of the list's overlay scroll bar.
	gap := canvas.NewRectangle(color.Transparent)
	gap.SetMinSize(fyne.NewSize(theme.Padding()*2, 1))
	right := container.NewHBox(r.clip, r.star, r.date, gap)
	first := container.NewBorder(nil, nil, nil, right, r.sender)
	lines := container.New(layout.NewCustomPaddedVBoxLayout(-2*theme.Padding()), first, r.subject, r.preview)
	r.content = container.NewBorder(nil, nil, dotBox, nil, lines)
	r.ExtendBaseWidget(r)
	return r
}

// Data returns what the row shows.
func (r *MessageRow) Data() RowData { return r.data }

// Set shows d.
func (r *MessageRow) Set(d RowData) {
	r.data = d
	style := fyne.TextStyle{Bold: d.Unread}
	r.sender.TextStyle, r.subject.TextStyle = style, style
	if d.Placeholder {
		r.sender.SetText("…")
		r.date.SetText("")
		r.subject.SetText("")
		r.preview.SetText("")
		r.clip.Hide()
		r.star.Hide()
		r.dot.FillColor = color.Transparent
		r.dot.Refresh()
		return
	}
	r.sender.SetText(d.Sender)
	r.date.SetText(d.Date)
	r.subject.SetText(d.Subject)
	r.preview.SetText(d.Preview)
	if d.Attachment {
		r.clip.Show()
	} else {
		r.clip.Hide()
	}
	r.star.Show()
	if d.Flagged {
		r.star.SetResource(r.icons.Star)
	} else {
		r.star.SetResource(r.icons.StarOutline)
	}
	if d.Unread {
		r.dot.FillColor = theme.Color(theme.ColorNamePrimary)
	} else {
		r.dot.FillColor = color.Transparent
	}
	r.dot.Refresh()
}

// TapStar acts as if the user tapped the star (for tests and shortcuts).
func (r *MessageRow) TapStar() { r.star.Tapped(nil) }

// CreateRenderer implements fyne.Widget.
func (r *MessageRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(r.content)
}

// dotLayout centres a small circle vertically in a narrow column.
type dotLayout struct{}

const dotSize = 8

func (dotLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(dotSize+4, dotSize) }

func (dotLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(fyne.NewSize(dotSize, dotSize))
		o.Move(fyne.NewPos(2, theme.Padding()+6))
	}
}

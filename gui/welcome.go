package gui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// welcome is the screen shown while there is no account.
type welcome struct {
	w        *MainWindow
	root     fyne.CanvasObject
	addBtn   *widget.Button
	demoBtn  *widget.Button
	progress *widget.ProgressBarInfinite
	msg      *widget.Label
	busy     bool
}

func newWelcome(w *MainWindow) *welcome {
	s := &welcome{w: w}
	s.addBtn = widget.NewButtonWithIcon("Add account", theme.ContentAddIcon(), w.showAddAccount)
	s.addBtn.Importance = widget.HighImportance
	s.demoBtn = widget.NewButtonWithIcon("Try the demo mailbox", theme.MailComposeIcon(), s.startDemo)
	s.progress = widget.NewProgressBarInfinite()
	s.progress.Hide()
	s.msg = &widget.Label{Wrapping: fyne.TextWrapWord, Alignment: fyne.TextAlignCenter}
	s.msg.Hide()

	logo := canvas.NewImageFromResource(w.icons.app)
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(72, 72))
	title := &widget.Label{Text: "Welcome to Tern", Alignment: fyne.TextAlignCenter, SizeName: theme.SizeNameHeadingText, TextStyle: fyne.TextStyle{Bold: true}}
	intro := &widget.Label{
		Text:      "Tern is a fast, simple mail client. Add your mail account, or look around in a demo mailbox that lives on this computer.",
		Wrapping:  fyne.TextWrapWord,
		Alignment: fyne.TextAlignCenter,
	}
	buttons := container.NewGridWithColumns(2, s.addBtn, s.demoBtn)
	card := container.NewVBox(logo, title, intro, layout.NewSpacer(), buttons, s.progress, s.msg)
	sized := container.New(&fixedWidth{width: 460}, widget.NewCard("", "", card))
	s.root = container.NewCenter(sized)
	return s
}

// startDemo starts the demo mailbox in a goroutine; the main panes appear
// when its account does.
func (s *welcome) startDemo() {
	if s.busy {
		return
	}
	s.setBusy(true, "Starting the demo mailbox…")
	s.w.spawn("start demo", func() {
		ctx, cancel := context.WithTimeout(s.w.ctx, time.Minute)
		defer cancel()
		_, err := s.w.core.StartDemo(ctx)
		s.w.do(func() {
			if err != nil {
				s.setBusy(false, "Could not start the demo mailbox: "+err.Error())
				return
			}
			s.setBusy(false, "")
			s.w.reloadAll()
		})
	})
}

func (s *welcome) setBusy(busy bool, msg string) {
	s.busy = busy
	if busy {
		s.addBtn.Disable()
		s.demoBtn.Disable()
		s.progress.Show()
		s.progress.Start()
	} else {
		s.addBtn.Enable()
		s.demoBtn.Enable()
		s.progress.Stop()
		s.progress.Hide()
	}
	s.msg.SetText(msg)
	if msg == "" {
		s.msg.Hide()
	} else {
		s.msg.Show()
	}
}

// fixedWidth lays its objects out at a fixed width (or less when the
// space is smaller).
type fixedWidth struct{ width float32 }

func (f *fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(f.width, h)
}

func (f *fixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

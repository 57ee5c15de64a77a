package gui

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/app"
)

// prefsWindow is the Preferences window: the settings in grouped
// sections. A change applies at once and is saved; the window follows
// changes made elsewhere (Ctrl+plus, say).
//
// Its methods must be called on the Fyne goroutine.
type prefsWindow struct {
	w     *MainWindow
	win   fyne.Window
	quiet bool // set while show fills the widgets, so that they save nothing

	theme, density, pane, remote    *widget.RadioGroup
	textSize, undo, poll, offline   *widget.Select
	conversations, notify, tray, at *widget.Check
	accounts                        *fyne.Container // a check per account: notify of its mail
	senders                         *widget.Label
	forget                          *widget.Button

	// exe returns the binary the autostart entry starts; tests replace it.
	exe func() (string, error)
}

// Choices of the windows' selects and radio groups, in the words shown,
// with their values.
var (
	themeChoices   = []string{"Follow the system", "Light", "Dark"}
	themeValues    = []app.Theme{app.ThemeSystem, app.ThemeLight, app.ThemeDark}
	densityChoices = []string{"Comfortable", "Compact"}
	densityValues  = []app.Density{app.DensityComfortable, app.DensityCompact}
	paneChoices    = []string{"Right of the list", "Below the list", "Off (messages open in a window)"}
	paneValues     = []app.ReadingPane{app.PaneRight, app.PaneBelow, app.PaneOff}
	remoteChoices  = []string{"Never load", "Ask for each message", "Ask, and load at once from senders I trust"}
	remoteValues   = []app.RemoteContent{app.RemoteNever, app.RemoteAsk, app.RemoteKnown}
	scaleValues    = []float64{0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.5, 1.75, 2}
	undoValues     = []int{0, 5, 10, 20, 30}
	pollValues     = []int{1, 2, 5, 10, 15, 30, 60}
	offlineChoices = []string{"All messages", "The last 7 days", "The last 30 days", "The last 90 days", "None (downloaded when opened)"}
)

// showPrefs opens the Preferences window, or raises it if open.
func (w *MainWindow) showPrefs() {
	if w.prefs != nil {
		w.prefs.win.RequestFocus()
		return
	}
	p := newPrefsWindow(w)
	w.prefs = p
	p.win.SetOnClosed(func() { w.prefs = nil })
	p.win.Show()
}

func newPrefsWindow(w *MainWindow) *prefsWindow {
	p := &prefsWindow{w: w, exe: os.Executable}
	p.win = w.app.NewWindow("Tern Preferences")
	p.theme = widget.NewRadioGroup(themeChoices, func(c string) {
		p.save(func(s *app.Settings) { s.Theme = themeValues[slices.Index(themeChoices, c)] })
	})
	p.theme.Horizontal = true
	p.textSize = widget.NewSelect(percentages(scaleValues), func(c string) {
		z, ok := parsePercent(c)
		if ok {
			p.save(func(s *app.Settings) { s.TextScale = z })
		}
	})
	p.density = widget.NewRadioGroup(densityChoices, func(c string) {
		p.save(func(s *app.Settings) { s.Density = densityValues[slices.Index(densityChoices, c)] })
	})
	p.density.Horizontal = true
	p.pane = widget.NewRadioGroup(paneChoices, func(c string) {
		p.save(func(s *app.Settings) { s.ReadingPane = paneValues[slices.Index(paneChoices, c)] })
	})
	p.conversations = widget.NewCheck("Show folders as conversations (each folder's switch can differ)", func(on bool) {
		p.save(func(s *app.Settings) { s.Conversations = on })
	})
	p.remote = widget.NewRadioGroup(remoteChoices, func(c string) {
		p.save(func(s *app.Settings) { s.RemoteContent = remoteValues[slices.Index(remoteChoices, c)] })
	})
	p.senders = &widget.Label{Importance: widget.LowImportance, Wrapping: fyne.TextWrapWord}
	p.forget = widget.NewButton("Forget the choices made per sender", func() {
		p.save(func(s *app.Settings) { s.Senders = nil })
	})
	p.notify = widget.NewCheck("Notify me of new mail", func(on bool) {
		p.save(func(s *app.Settings) { s.Notifications = on })
	})
	p.accounts = container.NewVBox()
	p.undo = widget.NewSelect(seconds(undoValues), func(c string) {
		n := 0
		if c != "Off" {
			n, _ = strconv.Atoi(strings.TrimSuffix(c, " seconds"))
		}
		p.save(func(s *app.Settings) { s.UndoSendSeconds = n })
	})
	p.poll = widget.NewSelect(minutes(pollValues), func(c string) {
		n, err := strconv.Atoi(strings.Fields(c)[1])
		if err == nil {
			p.save(func(s *app.Settings) { s.PollMinutes = n })
		}
	})
	p.offline = widget.NewSelect(offlineChoices, func(c string) {
		p.save(func(s *app.Settings) {
			switch c {
			case offlineChoices[0]:
				s.OfflineBodies = app.OfflineAll
			case offlineChoices[4]:
				s.OfflineBodies = app.OfflineNone
			default:
				s.OfflineBodies = app.OfflineRecent
				s.OfflineDays, _ = strconv.Atoi(strings.Fields(c)[2])
			}
		})
	})
	p.tray = widget.NewCheck("Keep Tern running in the tray when the window is closed", func(on bool) {
		p.save(func(s *app.Settings) { s.CloseToTray = on })
	})
	p.at = widget.NewCheck("Start Tern when I log in", p.setAutostart)

	section := func(title string, items ...*widget.FormItem) fyne.CanvasObject {
		f := widget.NewForm(items...)
		return widget.NewCard(title, "", f)
	}
	item := func(label string, o fyne.CanvasObject) *widget.FormItem { return widget.NewFormItem(label, o) }
	content := container.NewVBox(
		section("Appearance",
			item("Theme", p.theme),
			item("Text size", container.NewHBox(p.textSize, &widget.Label{Text: "Ctrl+plus and Ctrl+minus change it too", Importance: widget.LowImportance})),
			item("Message list", p.density),
			item("Reading pane", p.pane),
			item("", p.conversations),
		),
		section("Reading",
			item("Remote content", p.remote),
			item("", container.NewVBox(p.senders, container.NewHBox(p.forget))),
		),
		section("Notifications",
			item("", p.notify),
			item("Accounts", p.accounts),
		),
		section("Sending and sync",
			item("Undo send", p.undo),
			item("Check folders without push", p.poll),
			item("Keep offline", p.offline),
		),
		section("Desktop",
			item("", p.tray),
			item("", p.at),
		),
	)
	p.show(w.core.Settings())
	p.win.SetContent(container.NewVScroll(container.NewPadded(content)))
	p.win.Resize(fyne.NewSize(680, 720))
	return p
}

// save changes the settings with edit, unless the widgets are being filled.
func (p *prefsWindow) save(edit func(*app.Settings)) {
	if p.quiet {
		return
	}
	p.w.saveSettings(edit)
}

// setAutostart writes or removes the autostart entry, then saves the
// choice; a failure puts the check back and says why.
func (p *prefsWindow) setAutostart(on bool) {
	if p.quiet {
		return
	}
	exe := p.exe
	p.w.spawn("autostart", func() {
		path, err := exe()
		if err == nil {
			err = setAutostart(on, path)
		}
		if err == nil {
			err = p.w.core.UpdateSettings(func(s *app.Settings) { s.Autostart = on })
		}
		if err != nil {
			p.w.do(func() {
				p.w.status.notice("Could not change starting at login: " + err.Error())
				p.show(p.w.core.Settings())
			})
		}
	})
}

// show fills the widgets from s.
func (p *prefsWindow) show(s app.Settings) {
	p.quiet = true
	defer func() { p.quiet = false }()
	setRadio(p.theme, themeChoices, themeValues, s.Theme)
	setRadio(p.density, densityChoices, densityValues, s.Density)
	setRadio(p.pane, paneChoices, paneValues, s.ReadingPane)
	setRadio(p.remote, remoteChoices, remoteValues, s.RemoteContent)
	scales := scaleValues
	if !slices.Contains(scales, s.TextScale) {
		scales = append(slices.Clone(scales), s.TextScale)
		slices.Sort(scales)
	}
	p.textSize.Options = percentages(scales)
	p.textSize.SetSelected(percent(s.TextScale))
	p.conversations.SetChecked(s.Conversations)
	switch n := len(s.Senders); n {
	case 0:
		p.senders.SetText("No choices made per sender.")
		p.forget.Disable()
	default:
		p.senders.SetText(fmt.Sprintf("Choices made per sender (plain text, remote content): %d.", n))
		p.forget.Enable()
	}
	p.notify.SetChecked(s.Notifications)
	p.showAccounts(s)
	undos := undoValues
	if !slices.Contains(undos, s.UndoSendSeconds) {
		undos = append(slices.Clone(undos), s.UndoSendSeconds)
		slices.Sort(undos)
	}
	p.undo.Options = seconds(undos)
	p.undo.SetSelected(seconds([]int{s.UndoSendSeconds})[0])
	polls := pollValues
	if !slices.Contains(polls, s.PollMinutes) {
		polls = append(slices.Clone(polls), s.PollMinutes)
		slices.Sort(polls)
	}
	p.poll.Options = minutes(polls)
	p.poll.SetSelected(minutes([]int{s.PollMinutes})[0])
	offline := offlineChoices[0]
	switch s.OfflineBodies {
	case app.OfflineNone:
		offline = offlineChoices[4]
	case app.OfflineRecent:
		offline = fmt.Sprintf("The last %d days", s.OfflineDays)
	}
	if !slices.Contains(offlineChoices, offline) {
		p.offline.Options = append(slices.Clone(offlineChoices), offline)
	}
	p.offline.SetSelected(offline)
	p.tray.SetChecked(s.CloseToTray)
	p.at.SetChecked(s.Autostart)
}

// showAccounts makes a check per account: notify of its new mail.
func (p *prefsWindow) showAccounts(s app.Settings) {
	p.accounts.RemoveAll()
	for _, a := range p.w.accounts {
		id := a.ID
		name := a.Name
		if name == "" {
			name = a.Email
		}
		c := widget.NewCheck(name, func(on bool) {
			p.save(func(s *app.Settings) {
				s.QuietAccounts = slices.DeleteFunc(s.QuietAccounts, func(x string) bool { return x == id })
				if !on {
					s.QuietAccounts = append(s.QuietAccounts, id)
				}
			})
		})
		c.SetChecked(!slices.Contains(s.QuietAccounts, id))
		if !s.Notifications {
			c.Disable()
		}
		p.accounts.Add(c)
	}
	if len(p.w.accounts) == 0 {
		p.accounts.Add(&widget.Label{Text: "No accounts yet.", Importance: widget.LowImportance})
	}
}

func setRadio[T comparable](r *widget.RadioGroup, choices []string, values []T, v T) {
	if i := slices.Index(values, v); i >= 0 {
		r.SetSelected(choices[i])
	}
}

func percent(z float64) string { return strconv.Itoa(int(z*100+0.5)) + "%" }

func percentages(zs []float64) []string {
	out := make([]string, len(zs))
	for i, z := range zs {
		out[i] = percent(z)
	}
	return out
}

func parsePercent(s string) (float64, bool) {
	n, err := strconv.Atoi(strings.TrimSuffix(s, "%"))
	return float64(n) / 100, err == nil
}

func seconds(ns []int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = "Off"
		if n > 0 {
			out[i] = strconv.Itoa(n) + " seconds"
		}
	}
	return out
}

func minutes(ns []int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		if n == 1 {
			out[i] = "Every 1 minute"
		} else {
			out[i] = "Every " + strconv.Itoa(n) + " minutes"
		}
	}
	return out
}

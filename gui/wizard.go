package gui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
)

// The wizard's steps.
const (
	stepStart    = "start"    // name, address, password
	stepDiscover = "discover" // "Looking up settings…", live per source
	stepSettings = "settings" // what was found, with its evidence, editable
	stepCheck    = "check"    // "Checking…": IMAP and SMTP logins, then saving
	stepDone     = "done"
)

// checkTimeout bounds a verification and the save that follows it.
const checkTimeout = 2 * time.Minute

// wizard is the account setup wizard: it adds an account (address and
// password, discovery with live progress, the settings found with their
// evidence, a real login to both servers, save; or, when discovery knows
// the servers but could not reach them, save without checking on the
// user's word) or edits one (its settings, re-verified before they are
// saved). Enter advances, Esc cancels.
//
// Each page's widgets are in a struct of their own, embedded here and
// declared in the page's file (wizard_start.go, wizard_discover.go,
// wizard_settings.go, wizard_check.go, wizard_done.go); this file holds
// the navigation between them.
//
// Every network and keychain call runs in a goroutine whose context the
// wizard cancels when the user goes back or closes it; results come back
// through w.do and are dropped when they belong to an operation that is no
// longer current. All fields belong to the UI goroutine.
type wizard struct {
	w    *MainWindow
	dlg  *dialog.CustomDialog
	edit *accounts.Account // the account being edited; nil when adding

	step    string
	open    bool
	heading *widget.Label
	pages   map[string]fyne.CanvasObject
	body    *fyne.Container
	scroll  *container.Scroll

	cancelBtn, backBtn, nextBtn *widget.Button
	prevKey                     func(*fyne.KeyEvent)

	// The running operation: op counts operations, cancel stops the
	// current one, active counts the goroutines not yet returned.
	op     int
	cancel context.CancelFunc
	active int

	startPage
	discoverPage
	settingsPage
	certPrompt
	uncheckedOffer
	checkPage
	donePage
	oauthPage

	// What the user decided: certificates trusted (host:port →
	// fingerprint), the password kept for this session only.
	pins        map[string]string
	sessionOnly bool
	// saved is the account as stored, once it is.
	saved accounts.Account
}

// wizEntry is an Entry on which Esc cancels the wizard (a focused entry
// gets the keys before the window does).
type wizEntry struct {
	widget.Entry
	wz *wizard
}

func (wz *wizard) newEntry(password bool) *wizEntry {
	e := &wizEntry{wz: wz}
	e.Password = password
	e.Wrapping = fyne.TextWrapOff
	e.Scroll = container.ScrollHorizontalOnly
	e.ExtendBaseWidget(e)
	e.OnSubmitted = func(string) { wz.next() }
	return e
}

func (e *wizEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		e.wz.close()
		return
	}
	e.Entry.TypedKey(k)
}

// serverFields edit one server's settings.
// showAddAccount opens the wizard to add an account.
func (w *MainWindow) showAddAccount() { w.newWizard(nil).show() }

// showEditAccount opens the wizard on an account's settings.
func (w *MainWindow) showEditAccount(a accounts.Account) { w.newWizard(&a).show() }

func (w *MainWindow) newWizard(edit *accounts.Account) *wizard {
	wz := &wizard{w: w, pages: map[string]fyne.CanvasObject{}, pins: map[string]string{}}
	if edit != nil {
		a := edit.Clone()
		wz.edit = &a
		for k, v := range a.PinnedCerts {
			wz.pins[strings.ToLower(k)] = v
		}
	}
	wz.heading = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText, Wrapping: fyne.TextWrapWord}
	wz.cancelBtn = widget.NewButton("Cancel", wz.close)
	wz.backBtn = widget.NewButtonWithIcon("Back", theme.NavigateBackIcon(), wz.back)
	wz.nextBtn = widget.NewButton("Next", wz.next)
	wz.nextBtn.Importance = widget.HighImportance

	wz.pages[stepStart] = wz.buildStart()
	wz.pages[stepDiscover] = wz.buildDiscover()
	wz.pages[stepSettings] = wz.buildSettings()
	wz.pages[stepCheck] = wz.buildCheck()
	wz.pages[stepDone] = wz.buildDone()
	wz.pages[stepOAuth] = wz.buildOAuth()

	wz.body = container.NewStack()
	wz.scroll = container.NewVScroll(container.NewPadded(wz.body))
	footer := container.NewHBox(wz.cancelBtn, layout.NewSpacer(), wz.backBtn, wz.nextBtn)
	content := container.NewBorder(container.NewVBox(wz.heading, widget.NewSeparator()), container.NewVBox(widget.NewSeparator(), footer), nil, nil, wz.scroll)
	title := "Add account"
	if edit != nil {
		title = "Edit account"
	}
	wz.dlg = dialog.NewCustomWithoutButtons(title, content, w.win)
	wz.dlg.Resize(fyne.NewSize(760, 620))
	wz.dlg.SetOnClosed(wz.closed)
	return wz
}

func (wz *wizard) show() {
	wz.open = true
	c := wz.w.win.Canvas()
	wz.prevKey = c.OnTypedKey()
	c.SetOnTypedKey(wz.typedKey)
	if wz.edit != nil {
		a := wz.edit
		wz.sName.SetText(a.Name)
		wz.sEmail.SetText(a.Email)
		wz.sPassword.SetPlaceHolder("unchanged")
		wz.imap.set(a.IMAP)
		wz.smtp.set(a.SMTP)
		wz.found.SetText("The settings of " + a.Email + ". Tern signs in again with any change before it saves it.")
		wz.imapEvidence.Hide()
		wz.smtpEvidence.Hide()
		wz.detailsBox.Hide()
		wz.setStep(stepSettings)
	} else {
		wz.setStep(stepStart)
	}
	wz.dlg.Show()
	wz.focusFirst()
}

// typedKey gets the keys no widget took: Enter advances, Esc cancels.
func (wz *wizard) typedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyEscape:
		wz.close()
	case fyne.KeyReturn, fyne.KeyEnter:
		wz.next()
	default:
		if wz.prevKey != nil {
			wz.prevKey(k)
		}
	}
}

// close cancels what runs and closes the wizard.
func (wz *wizard) close() {
	if !wz.open {
		return
	}
	wz.dlg.Hide() // calls closed
}

// closed runs when the dialog is hidden, however that happened.
func (wz *wizard) closed() {
	if !wz.open {
		return
	}
	wz.open = false
	wz.stop()
	wz.w.win.Canvas().SetOnTypedKey(wz.prevKey)
	if wz.step == stepDone {
		wz.w.reloadAll()
	}
}

// stop cancels the running operation; its results will be dropped.
func (wz *wizard) stop() {
	wz.op++
	if wz.cancel != nil {
		wz.cancel()
		wz.cancel = nil
	}
}

// run starts fn in a goroutine with a fresh context bounded by timeout;
// the function fn returns, if fn's operation is still current when fn
// returns, runs on the UI goroutine.
func (wz *wizard) run(name string, timeout time.Duration, fn func(ctx context.Context, op int) func()) {
	wz.stop()
	op := wz.op
	ctx, cancel := context.WithTimeout(wz.w.ctx, timeout)
	wz.cancel = cancel
	wz.active++
	wz.w.spawn(name, func() {
		defer cancel()
		var apply func()
		defer func() {
			wz.w.do(func() {
				wz.active--
				if op == wz.op {
					wz.cancel = nil
					if apply != nil && wz.open {
						apply()
					}
				}
			})
		}()
		apply = fn(ctx, op)
	})
}

// current reports whether op is still the wizard's operation (UI goroutine).
func (wz *wizard) current(op int) bool { return wz.open && op == wz.op }

func (wz *wizard) setStep(step string) {
	wz.step = step
	wz.body.Objects = []fyne.CanvasObject{wz.pages[step]}
	wz.body.Refresh()
	wz.scroll.ScrollToTop()
	wz.backBtn.Hide()
	wz.nextBtn.Show()
	wz.nextBtn.Enable()
	wz.cancelBtn.Show()
	switch step {
	case stepStart:
		wz.heading.SetText("Add your mail account")
		wz.nextBtn.SetText("Next")
	case stepDiscover:
		wz.heading.SetText("Looking up settings…")
		wz.nextBtn.SetText("Next")
		wz.nextBtn.Disable()
		wz.backBtn.Show()
	case stepSettings:
		if wz.edit != nil {
			wz.heading.SetText("Account settings")
			wz.nextBtn.SetText("Check and save")
		} else {
			wz.heading.SetText("Server settings")
			wz.nextBtn.SetText("Check")
			wz.backBtn.Show()
		}
	case stepCheck:
		wz.heading.SetText("Checking…")
		wz.nextBtn.SetText("Next")
		wz.nextBtn.Disable()
		wz.backBtn.Show()
	case stepOAuth:
		wz.heading.SetText("Sign in in your browser")
		wz.nextBtn.Hide()
		wz.backBtn.Show()
	case stepDone:
		wz.heading.SetText("All set")
		wz.nextBtn.SetText("Done")
		wz.cancelBtn.Hide()
	}
}

// next advances: Enter and the primary button.
func (wz *wizard) next() {
	if !wz.open || !wz.nextBtn.Visible() || wz.nextBtn.Disabled() {
		return
	}
	switch wz.step {
	case stepStart:
		wz.startDiscovery()
	case stepSettings:
		wz.startCheck()
	case stepOAuth:
		wz.startOAuth()
	case stepDone:
		wz.close()
	}
}

// back stops what runs and shows the previous page.
func (wz *wizard) back() {
	wz.stop()
	switch wz.step {
	case stepDiscover:
		wz.setStep(stepStart)
	case stepSettings:
		if wz.edit == nil {
			wz.setStep(stepStart)
		}
	case stepCheck:
		if wz.oauthOffer != nil {
			wz.offerOAuth(wz.oauthOffer)
		} else {
			wz.setStep(stepSettings)
		}
	case stepOAuth:
		wz.setStep(stepStart)
	}
	wz.focusFirst()
}

// focusFirst puts the keyboard focus where the user types next.
func (wz *wizard) focusFirst() {
	c := wz.w.win.Canvas()
	switch wz.step {
	case stepStart:
		for _, e := range []*wizEntry{wz.name, wz.email, wz.password} {
			if e.Text == "" {
				c.Focus(e)
				return
			}
		}
		c.Focus(wz.password)
	case stepSettings:
		if wz.edit != nil {
			c.Focus(wz.sPassword)
		} else {
			c.Unfocus()
		}
	default:
		c.Unfocus()
	}
}

// setMessage shows msg in l, or hides l when msg is empty.
func setMessage(l *widget.Label, msg string) {
	l.SetText(msg)
	if msg == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

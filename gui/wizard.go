package gui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/autoconfig"
	"github.com/ternmail/tern/app"
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

	// Start page.
	name, email, password *wizEntry
	startErr              *widget.Label
	manualBtn             *widget.Button

	// Discovery page.
	discoverNote *widget.Label
	sourceBox    *fyne.Container
	sources      map[autoconfig.Source]*sourceRow
	skipBtn      *widget.Button
	result       *autoconfig.Result

	// Settings page.
	found                    *widget.Label
	imapEvidence             *widget.Label
	smtpEvidence             *widget.Label
	details                  *widget.Label
	detailsBox               *widget.Accordion
	sName, sEmail, sPassword *wizEntry
	imap, smtp               *serverFields
	certBox                  *fyne.Container
	certLabel                *widget.Label
	trustBtn                 *widget.Button
	settingsErr              *widget.Label
	sessionBtn               *widget.Button
	// The offer to save settings that could not be checked (the servers
	// could not be reached): shown with the reason.
	uncheckedBox     *fyne.Container
	uncheckedLabel   *widget.Label
	saveUncheckedBtn *widget.Button

	// Check page.
	imapLine, smtpLine, saveLine *widget.Label

	// Done page.
	doneLabel *widget.Label

	// What the user decided: certificates trusted (host:port →
	// fingerprint), the password kept for this session only.
	pins        map[string]string
	sessionOnly bool
	// unchecked is set when the user chose to save without checking.
	unchecked bool
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
type serverFields struct {
	protocol string
	host     *wizEntry
	port     *wizEntry
	security *widget.Select
	username *wizEntry
	form     *widget.Form
}

var securityLabels = []string{"SSL/TLS", "STARTTLS", "None (unencrypted)"}

func securityLabel(s accounts.Security) string {
	switch s {
	case accounts.SecuritySTARTTLS:
		return securityLabels[1]
	case accounts.SecurityNone:
		return securityLabels[2]
	}
	return securityLabels[0]
}

func securityOf(label string) accounts.Security {
	switch label {
	case securityLabels[1]:
		return accounts.SecuritySTARTTLS
	case securityLabels[2]:
		return accounts.SecurityNone
	}
	return accounts.SecurityTLS
}

func (wz *wizard) newServerFields(protocol string) *serverFields {
	f := &serverFields{protocol: protocol}
	f.host = wz.newEntry(false)
	f.port = wz.newEntry(false)
	f.username = wz.newEntry(false)
	f.username.SetPlaceHolder("your email address")
	f.security = widget.NewSelect(securityLabels, nil)
	f.security.OnChanged = func(label string) {
		// Follow the usual port of the chosen security.
		ports := map[string][2]string{autoconfig.ProtocolIMAP: {"993", "143"}, autoconfig.ProtocolSMTP: {"465", "587"}}[protocol]
		switch {
		case securityOf(label) == accounts.SecurityTLS && f.port.Text == ports[1]:
			f.port.SetText(ports[0])
		case securityOf(label) == accounts.SecuritySTARTTLS && f.port.Text == ports[0]:
			f.port.SetText(ports[1])
		}
		wz.edited()
	}
	for _, e := range []*wizEntry{f.host, f.port, f.username} {
		e.OnChanged = func(string) { wz.edited() }
	}
	f.form = widget.NewForm(
		widget.NewFormItem("Server", f.host),
		widget.NewFormItem("Port", f.port),
		widget.NewFormItem("Security", f.security),
		widget.NewFormItem("User name", f.username),
	)
	return f
}

func (f *serverFields) set(ep accounts.Endpoint) {
	f.host.SetText(ep.Host)
	f.port.SetText("")
	if ep.Port != 0 {
		f.port.SetText(strconv.Itoa(ep.Port))
	}
	f.security.SetSelected(securityLabel(ep.Security))
	f.username.SetText(ep.Username)
}

// endpoint reads the fields, or says what is wrong in words.
func (f *serverFields) endpoint() (accounts.Endpoint, error) {
	what := "Incoming mail (IMAP)"
	if f.protocol == autoconfig.ProtocolSMTP {
		what = "Outgoing mail (SMTP)"
	}
	host := strings.TrimSpace(f.host.Text)
	if host == "" {
		return accounts.Endpoint{}, fmt.Errorf("%s: please enter the server name", what)
	}
	port, err := strconv.Atoi(strings.TrimSpace(f.port.Text))
	if err != nil {
		return accounts.Endpoint{}, fmt.Errorf("%s: the port must be a number, such as %s", what,
			map[string]string{autoconfig.ProtocolIMAP: "993", autoconfig.ProtocolSMTP: "465"}[f.protocol])
	}
	ep := accounts.Endpoint{Host: host, Port: port, Security: securityOf(f.security.Selected),
		Username: strings.TrimSpace(f.username.Text)}
	if err := ep.Validate(); err != nil {
		return ep, fmt.Errorf("%s: %v", what, err)
	}
	return ep, nil
}

// sourceRow is one discovery source's line in the progress view.
type sourceRow struct {
	icon     *widget.Icon
	label    *widget.Label
	title    string
	last     string
	reported bool // the source said something: it has finished
	timedOut bool // the source did not answer within the budget
	probed   int
	working  int
}

// The sources in the order of their precedence, with what they are.
var sourceTitles = []struct {
	source autoconfig.Source
	title  string
}{
	{autoconfig.SourceProvider, "Known providers"},
	{autoconfig.SourceAutoconfig, "Your domain's configuration"},
	{autoconfig.SourceISPDB, "Thunderbird's provider database"},
	{autoconfig.SourceSRV, "DNS service records (SRV)"},
	{autoconfig.SourceMX, "Your domain's mail exchanger (MX)"},
	{autoconfig.SourceAutoconfigHTTP, "Your domain's configuration over plain HTTP"},
	{autoconfig.SourceGuess, "Common server names"},
}

func sourceTitle(s autoconfig.Source) string {
	for _, t := range sourceTitles {
		if t.source == s {
			return t.title
		}
	}
	return string(s)
}

// refresh shows the row; finished says that discovery is over, and found
// that it found servers (it stops early then, before the sources that could
// not change the outcome have answered).
func (r *sourceRow) refresh(finished, found bool) {
	icon, status := theme.SearchIcon(), "looking…"
	switch {
	case r.working > 0:
		icon, status = theme.ConfirmIcon(), fmt.Sprintf("%d of %d servers answered", r.working, r.probed)
	case finished && r.probed > 0:
		icon, status = theme.CancelIcon(), fmt.Sprintf("none of %d servers answered", r.probed)
	case finished && r.timedOut:
		icon, status = theme.CancelIcon(), "no answer in time"
	case finished && !r.reported && found:
		icon, status = theme.MediaStopIcon(), "named no server (or was not needed)"
	case finished && !r.reported:
		icon, status = theme.CancelIcon(), "no answer"
	case r.probed > 0:
		status = "checking servers…"
	case r.reported:
		// The note says it all.
		status = ""
		if finished {
			icon = theme.CancelIcon()
		}
	}
	text := r.title + ": " + status
	if r.last != "" {
		if status != "" {
			text += " — "
		}
		text += r.last
	}
	r.icon.SetResource(icon)
	r.label.SetText(text)
}

// showAddAccount opens the wizard to add an account.
func (w *MainWindow) showAddAccount() { w.newWizard(nil).show() }

// showEditAccount opens the wizard on an account's settings.
func (w *MainWindow) showEditAccount(a accounts.Account) { w.newWizard(&a).show() }

func (w *MainWindow) newWizard(edit *accounts.Account) *wizard {
	wz := &wizard{w: w, pages: map[string]fyne.CanvasObject{}, sources: map[autoconfig.Source]*sourceRow{}, pins: map[string]string{}}
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
		wz.setStep(stepSettings)
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

// ---- Start page

func (wz *wizard) buildStart() fyne.CanvasObject {
	wz.name = wz.newEntry(false)
	wz.name.SetPlaceHolder("Alice Example")
	wz.email = wz.newEntry(false)
	wz.email.SetPlaceHolder("alice@example.com")
	wz.password = wz.newEntry(true)
	wz.startErr = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	wz.startErr.Hide()
	intro := &widget.Label{Text: "Tern looks up your provider's server settings from your address, then signs in to check them. " +
		"Your password is kept in the system keychain, never in a file.", Wrapping: fyne.TextWrapWord}
	form := widget.NewForm(
		widget.NewFormItem("Your name", wz.name),
		widget.NewFormItem("Email address", wz.email),
		widget.NewFormItem("Password", wz.password),
	)
	wz.manualBtn = widget.NewButton("Enter the server settings by hand…", func() {
		if wz.readStart() {
			wz.showManual("")
		}
	})
	wz.manualBtn.Importance = widget.LowImportance
	return container.NewVBox(intro, form, wz.startErr, container.NewHBox(wz.manualBtn))
}

// readStart checks the start page and copies it to the settings page.
func (wz *wizard) readStart() bool {
	email := strings.TrimSpace(wz.email.Text)
	msg := ""
	switch {
	case email == "":
		msg = "Please enter your email address."
	case !strings.Contains(email, "@") || strings.HasPrefix(email, "@") || strings.HasSuffix(email, "@"):
		msg = fmt.Sprintf("“%s” is not an email address: it needs a name, an @ and a domain, such as alice@example.com.", email)
	case wz.password.Text == "":
		msg = "Please enter your password."
	}
	setMessage(wz.startErr, msg)
	if msg != "" {
		return false
	}
	wz.sName.SetText(strings.TrimSpace(wz.name.Text))
	wz.sEmail.SetText(email)
	wz.sPassword.SetText(wz.password.Text)
	return true
}

// ---- Discovery page

func (wz *wizard) buildDiscover() fyne.CanvasObject {
	wz.discoverNote = &widget.Label{Wrapping: fyne.TextWrapWord}
	wz.sourceBox = container.NewVBox()
	for _, s := range sourceTitles {
		r := &sourceRow{title: s.title, icon: widget.NewIcon(theme.SearchIcon()), label: &widget.Label{Wrapping: fyne.TextWrapWord}}
		wz.sources[s.source] = r
		wz.sourceBox.Add(container.NewBorder(nil, nil, r.icon, nil, r.label))
	}
	progress := widget.NewProgressBarInfinite()
	wz.skipBtn = widget.NewButton("Stop looking and enter the settings by hand", func() {
		wz.stop()
		wz.showManual("")
	})
	wz.skipBtn.Importance = widget.LowImportance
	return container.NewVBox(wz.discoverNote, progress, wz.sourceBox, container.NewHBox(wz.skipBtn))
}

func (wz *wizard) startDiscovery() {
	if !wz.readStart() {
		return
	}
	email := strings.TrimSpace(wz.email.Text)
	wz.discoverNote.SetText("Asking every source at once for the servers of " + email + ". This takes a few seconds at most.")
	for _, r := range wz.sources {
		*r = sourceRow{title: r.title, icon: r.icon, label: r.label}
		r.refresh(false, false)
	}
	wz.result = nil
	wz.setStep(stepDiscover)
	wz.focusFirst()
	core, opts := wz.w.core, wz.w.core.AutoconfigOptions()
	wz.run("discover", checkTimeout, func(ctx context.Context, op int) func() {
		res, err := core.Discover(ctx, email, opts, func(ev autoconfig.Event) {
			wz.w.do(func() {
				if wz.current(op) {
					wz.progress(ev)
				}
			})
		})
		return func() { wz.discovered(email, res, err) }
	})
}

// progress shows one discovery event on its source's line.
func (wz *wizard) progress(ev autoconfig.Event) {
	r, ok := wz.sources[ev.Source]
	if !ok {
		return
	}
	msg := strings.TrimPrefix(ev.Message, string(ev.Source)+": ")
	if c := ev.Candidate; c != nil {
		r.probed++
		if c.OK {
			r.working++
		}
	}
	r.last = msg
	r.reported = true
	r.refresh(false, false)
}

// discovered shows what Discover found on the settings page.
func (wz *wizard) discovered(email string, res *autoconfig.Result, err error) {
	found := res != nil && (res.IMAPCandidate != nil || res.SMTPCandidate != nil)
	if res != nil {
		for _, n := range res.Notes {
			src, rest, _ := strings.Cut(n, ": ")
			if r, ok := wz.sources[autoconfig.Source(src)]; ok && strings.HasPrefix(rest, "no answer within") {
				r.timedOut = true
			}
		}
	}
	for _, r := range wz.sources {
		r.refresh(true, found)
	}
	wz.result = res
	if res == nil {
		wz.showManual("Tern could not look up the settings: " + err.Error())
		return
	}
	var ce *accounts.CertError
	var nf *autoconfig.NotFoundError
	var ue *autoconfig.UnverifiedError
	switch {
	case errors.As(err, &nf) && res.IMAPCandidate == nil && res.SMTPCandidate == nil:
		wz.showManual(fmt.Sprintf("Tern could not find the servers of %s (it tried %d). Enter them below: your provider's help pages list them.", email, nf.Tried))
		return
	case errors.As(err, &nf):
		wz.found.SetText(fmt.Sprintf("Tern found only part of the settings of %s: please complete the %s server below.", email, strings.Join(nf.Protocols, " and ")))
	case errors.As(err, &ce):
		wz.found.SetText("Tern found the settings of " + email + ", but a certificate is not trusted: see below.")
	case errors.As(err, &ue):
		wz.found.SetText("Tern knows the settings of " + email + ", but could not reach the servers to check them. " +
			"Check them again once you are online, or save them now: Tern then fetches your mail as soon as the servers can be reached.")
	case err != nil:
		wz.found.SetText("Tern found the settings of " + email + " with a problem: " + err.Error())
	default:
		wz.found.SetText("Tern found the settings of " + email + ". Check them, or change them by hand.")
	}
	_, domain, _ := strings.Cut(email, "@")
	imap, smtp := res.IMAP, res.SMTP
	if res.IMAPCandidate == nil {
		imap = accounts.Endpoint{Host: "imap." + domain, Port: 993, Security: accounts.SecurityTLS}
	}
	if res.SMTPCandidate == nil {
		smtp = accounts.Endpoint{Host: "smtp." + domain, Port: 465, Security: accounts.SecurityTLS}
	}
	wz.fillServers(imap, smtp)
	wz.imapEvidence.SetText(candidateText("Incoming mail (IMAP)", res.IMAPCandidate, unverifiedReason(res, autoconfig.ProtocolIMAP)))
	wz.smtpEvidence.SetText(candidateText("Outgoing mail (SMTP)", res.SMTPCandidate, unverifiedReason(res, autoconfig.ProtocolSMTP)))
	wz.imapEvidence.Show()
	wz.smtpEvidence.Show()
	wz.details.SetText(resultDetails(res))
	wz.detailsBox.Show()
	setMessage(wz.settingsErr, "")
	wz.showCert(ce)
	wz.showUnchecked(res.Unverified)
	wz.setStep(stepSettings)
	wz.focusFirst()
}

// showManual shows the settings page for typing the servers by hand,
// pre-filled with the usual names.
func (wz *wizard) showManual(why string) {
	email := strings.TrimSpace(wz.sEmail.Text)
	_, domain, _ := strings.Cut(email, "@")
	if why == "" {
		why = "Enter your provider's server settings."
	}
	wz.found.SetText(why)
	if wz.result == nil || (wz.result.IMAPCandidate == nil && wz.result.SMTPCandidate == nil) {
		wz.fillServers(accounts.Endpoint{Host: "imap." + domain, Port: 993, Security: accounts.SecurityTLS},
			accounts.Endpoint{Host: "smtp." + domain, Port: 465, Security: accounts.SecurityTLS})
	}
	wz.imapEvidence.Hide()
	wz.smtpEvidence.Hide()
	if wz.result != nil {
		wz.details.SetText(resultDetails(wz.result))
		wz.detailsBox.Show()
	} else {
		wz.detailsBox.Hide()
	}
	setMessage(wz.settingsErr, "")
	wz.showCert(nil)
	wz.showUnchecked(nil)
	wz.setStep(stepSettings)
	wz.w.win.Canvas().Focus(wz.imap.host)
}

func (wz *wizard) fillServers(imap, smtp accounts.Endpoint) {
	wz.imap.set(imap)
	wz.smtp.set(smtp)
}

// unverifiedReason returns why res's server for protocol is unverified, or
// "" when it is not.
func unverifiedReason(res *autoconfig.Result, protocol string) string {
	for _, u := range res.Unverified {
		if u.Protocol == protocol {
			return u.Reason
		}
	}
	return ""
}

// candidateText is the evidence for one server found by discovery;
// unverified is why it could not be checked, if it could not.
func candidateText(what string, c *autoconfig.Candidate, unverified string) string {
	if c == nil {
		return what + ": not found — please enter it below."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s, %s — found by %s", what, c.Endpoint.Addr(), securityLabel(c.Endpoint.Security), sourceTitle(c.Source))
	if c.Detail != "" {
		fmt.Fprintf(&b, " (%s)", c.Detail)
	}
	if len(c.Also) > 0 {
		var also []string
		for _, s := range c.Also {
			also = append(also, sourceTitle(s))
		}
		fmt.Fprintf(&b, "; also named by %s", strings.Join(also, ", "))
	}
	b.WriteString(".")
	if ev := c.Evidence; ev != nil && !c.Unreachable {
		// (A server that was never reached has nothing to show.)
		b.WriteString("\n" + evidenceText(*ev))
	}
	switch {
	case unverified != "":
		b.WriteString("\nNot checked: " + unverified)
	case !c.OK && c.Err != "":
		b.WriteString("\nProblem: " + c.Err)
	}
	return b.String()
}

// evidenceText says what a connection saw, in one line.
func evidenceText(ev autoconfig.Evidence) string {
	var parts []string
	if ev.TLSVersion != "" {
		parts = append(parts, ev.TLSVersion)
	} else if ev.Security == accounts.SecurityNone {
		parts = append(parts, "no encryption")
	}
	if ev.Cert != "" {
		parts = append(parts, "certificate "+ev.Cert)
	}
	if len(ev.AuthMechanisms) > 0 {
		parts = append(parts, "sign-in: "+strings.Join(ev.AuthMechanisms, " "))
	}
	if ev.Elapsed > 0 {
		parts = append(parts, "answered in "+ev.Elapsed.Round(time.Millisecond).String())
	}
	return strings.Join(parts, " · ")
}

// resultDetails lists every server tried and every note, for the curious.
func resultDetails(res *autoconfig.Result) string {
	var lines []string
	for _, c := range res.Candidates {
		state := "works"
		if !c.OK {
			state = c.Err
		}
		lines = append(lines, fmt.Sprintf("%s %s (%s): %s", strings.ToUpper(c.Protocol), c.Endpoint.String(), c.Source, state))
	}
	lines = append(lines, res.Notes...)
	lines = append(lines, fmt.Sprintf("Took %v.", res.Elapsed.Round(time.Millisecond)))
	return strings.Join(lines, "\n")
}

// ---- Settings page

func (wz *wizard) buildSettings() fyne.CanvasObject {
	wz.found = &widget.Label{Wrapping: fyne.TextWrapWord}
	wz.imapEvidence = &widget.Label{Wrapping: fyne.TextWrapWord}
	wz.smtpEvidence = &widget.Label{Wrapping: fyne.TextWrapWord}
	wz.details = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.LowImportance}
	wz.detailsBox = widget.NewAccordion(widget.NewAccordionItem("Everything Tern tried", wz.details))
	wz.sName = wz.newEntry(false)
	wz.sEmail = wz.newEntry(false)
	wz.sPassword = wz.newEntry(true)
	wz.imap = wz.newServerFields(autoconfig.ProtocolIMAP)
	wz.smtp = wz.newServerFields(autoconfig.ProtocolSMTP)

	wz.certLabel = &widget.Label{Wrapping: fyne.TextWrapWord}
	wz.trustBtn = widget.NewButtonWithIcon("Trust this certificate for this server", theme.WarningIcon(), nil)
	wz.certBox = container.NewVBox(wz.certLabel, container.NewHBox(wz.trustBtn))
	wz.certBox.Hide()
	wz.settingsErr = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	wz.settingsErr.Hide()
	wz.sessionBtn = widget.NewButton("Keep the password for this session only", func() {
		wz.sessionOnly = true
		if wz.unchecked {
			wz.saveUnchecked()
		} else {
			wz.startCheck()
		}
	})
	wz.sessionBtn.Hide()
	wz.uncheckedLabel = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance}
	wz.saveUncheckedBtn = widget.NewButtonWithIcon("Save without checking and sync later", theme.DocumentSaveIcon(), wz.saveUnchecked)
	wz.uncheckedBox = container.NewVBox(wz.uncheckedLabel, container.NewHBox(wz.saveUncheckedBtn))
	wz.uncheckedBox.Hide()

	account := widget.NewForm(
		widget.NewFormItem("Your name", wz.sName),
		widget.NewFormItem("Email address", wz.sEmail),
		widget.NewFormItem("Password", wz.sPassword),
	)
	heading := func(s string) *widget.Label { return &widget.Label{Text: s, TextStyle: fyne.TextStyle{Bold: true}} }
	servers := container.NewGridWithColumns(2,
		container.NewVBox(heading("Incoming mail (IMAP)"), wz.imap.form),
		container.NewVBox(heading("Outgoing mail (SMTP)"), wz.smtp.form),
	)
	return container.NewVBox(wz.found, wz.imapEvidence, wz.smtpEvidence, wz.detailsBox, wz.certBox, wz.uncheckedBox,
		wz.settingsErr, container.NewHBox(wz.sessionBtn), account, servers)
}

// edited notes that the servers no longer match the evidence shown.
func (wz *wizard) edited() {
	if wz.step != stepSettings || wz.result == nil {
		return
	}
	for _, x := range []struct {
		f     *serverFields
		label *widget.Label
		cand  *autoconfig.Candidate
		what  string
	}{
		{wz.imap, wz.imapEvidence, wz.result.IMAPCandidate, "Incoming mail (IMAP)"},
		{wz.smtp, wz.smtpEvidence, wz.result.SMTPCandidate, "Outgoing mail (SMTP)"},
	} {
		ep, err := x.f.endpoint()
		if x.cand != nil && err == nil && ep.Host == x.cand.Endpoint.Host && ep.Port == x.cand.Endpoint.Port && ep.Security == x.cand.Endpoint.Security {
			x.label.SetText(candidateText(x.what, x.cand, unverifiedReason(wz.result, x.cand.Protocol)))
		} else {
			x.label.SetText(x.what + ": changed by hand — Tern checks it when you press Check.")
		}
	}
}

// formAccount builds the account from the settings page.
func (wz *wizard) formAccount() (accounts.Account, error) {
	email := strings.TrimSpace(wz.sEmail.Text)
	if email == "" {
		return accounts.Account{}, errors.New("Please enter your email address.")
	}
	if wz.edit == nil && wz.sPassword.Text == "" {
		return accounts.Account{}, errors.New("Please enter your password.")
	}
	imap, err := wz.imap.endpoint()
	if err != nil {
		return accounts.Account{}, err
	}
	smtp, err := wz.smtp.endpoint()
	if err != nil {
		return accounts.Account{}, err
	}
	var a accounts.Account
	if wz.edit != nil {
		a = wz.edit.Clone()
	}
	a.Name, a.Email = strings.TrimSpace(wz.sName.Text), email
	// Keep the user's auth choice (OAuth2 is refused by Verify, in words).
	imap.Auth, smtp.Auth = a.IMAP.Auth, a.SMTP.Auth
	a.IMAP, a.SMTP = imap, smtp
	// Pins only for the servers in use.
	a.PinnedCerts = nil
	for _, ep := range []accounts.Endpoint{imap, smtp} {
		if fp, ok := wz.pins[strings.ToLower(ep.Addr())]; ok {
			if err := a.TrustCert(ep.Host, ep.Port, fp); err != nil {
				return a, err
			}
		}
	}
	return a, nil
}

// showCert explains a certificate that did not verify and offers to trust
// it for its host:port only; nil hides it.
func (wz *wizard) showCert(ce *accounts.CertError) {
	if ce == nil {
		wz.certBox.Hide()
		return
	}
	addr := net.JoinHostPort(ce.Host, strconv.Itoa(ce.Port))
	text := fmt.Sprintf("The certificate of %s is not trusted: %s.\nSubject: %s\nIssuer: %s\nValid from %s to %s\nSHA-256 fingerprint: %s\n"+
		"Trust it only if you know that this server uses it, for example from your provider or your administrator. "+
		"Tern will then accept this certificate, and only this one, for %s.",
		addr, ce.Reason, ce.Subject, ce.Issuer, ce.NotBefore.Format("2006-01-02"), ce.NotAfter.Format("2006-01-02"), ce.SHA256, addr)
	wz.certLabel.SetText(text)
	wz.trustBtn.OnTapped = func() {
		wz.pins[strings.ToLower(addr)] = ce.SHA256
		wz.certBox.Hide()
		wz.startCheck()
	}
	wz.certBox.Show()
}

// showUnchecked offers to save settings that discovery could not check
// (their reasons are on the servers' evidence lines); an empty list, or
// editing an account, hides the offer.
func (wz *wizard) showUnchecked(list []autoconfig.Unverified) {
	if len(list) == 0 || wz.edit != nil {
		wz.uncheckedBox.Hide()
		return
	}
	what := "these settings"
	if len(list) == 1 {
		what = "the settings"
	}
	wz.uncheckedLabel.SetText("You can save " + what + " now without checking them. Tern then keeps trying, and fetches your mail once the servers can be reached; " +
		"if the password or a setting turns out to be wrong, it tells you then.")
	wz.uncheckedBox.Show()
}

// saveUnchecked saves the account from the settings page without signing
// in first (the servers could not be reached); the engine syncs once they
// can be.
func (wz *wizard) saveUnchecked() {
	if wz.edit != nil {
		return
	}
	a, password, ok := wz.toCheckPage(true, "not checked", "Saving the account without checking it…")
	if !ok {
		return
	}
	core, sessionOnly := wz.w.core, wz.sessionOnly
	wz.run("save unchecked account", checkTimeout, func(ctx context.Context, op int) func() {
		saved, err := core.AddAccount(ctx, a, password, &app.AddOptions{SkipVerify: true, SessionOnly: sessionOnly})
		if err != nil {
			return func() { wz.checkFailed(nil, err) }
		}
		return func() { wz.finished(saved, nil) }
	})
}

// ---- Check page

// toCheckPage reads the account from the settings page and moves to the
// check page, each server's line saying state and the save line save; ok
// is false, with the settings page showing why, when the form is invalid.
func (wz *wizard) toCheckPage(unchecked bool, state, save string) (a accounts.Account, password string, ok bool) {
	a, err := wz.formAccount()
	if err != nil {
		setMessage(wz.settingsErr, err.Error())
		wz.sessionBtn.Hide()
		return a, "", false
	}
	wz.unchecked = unchecked
	setMessage(wz.settingsErr, "")
	wz.sessionBtn.Hide()
	wz.imapLine.SetText("Incoming mail (IMAP) " + a.IMAP.Addr() + ": " + state)
	wz.smtpLine.SetText("Outgoing mail (SMTP) " + a.SMTP.Addr() + ": " + state)
	wz.saveLine.SetText(save)
	wz.setStep(stepCheck)
	wz.focusFirst()
	return a, wz.sPassword.Text, true
}

func (wz *wizard) buildCheck() fyne.CanvasObject {
	wz.imapLine = &widget.Label{Wrapping: fyne.TextWrapWord}
	wz.smtpLine = &widget.Label{Wrapping: fyne.TextWrapWord}
	wz.saveLine = &widget.Label{Wrapping: fyne.TextWrapWord}
	note := &widget.Label{Text: "Tern signs in to both servers to check the settings and the password. It sends no mail.", Wrapping: fyne.TextWrapWord}
	return container.NewVBox(note, widget.NewProgressBarInfinite(), wz.imapLine, wz.smtpLine, wz.saveLine)
}

// startCheck verifies the settings by signing in to both servers, then
// saves the account: added and syncing, or updated.
func (wz *wizard) startCheck() {
	a, password, ok := wz.toCheckPage(false, "signing in…", "")
	if !ok {
		return
	}
	core, opts, edit, sessionOnly := wz.w.core, wz.w.core.AutoconfigOptions(), wz.edit != nil, wz.sessionOnly
	wz.run("check account", checkTimeout, func(ctx context.Context, op int) func() {
		var v *autoconfig.Verification
		var err error
		if edit {
			v, err = core.ReverifyAccount(ctx, a, password, opts)
		} else {
			v, err = core.VerifyAccount(ctx, a, password, opts)
		}
		if err != nil {
			return func() { wz.checkFailed(v, err) }
		}
		wz.w.do(func() {
			if wz.current(op) {
				wz.showChecks(v)
				wz.saveLine.SetText("Saving the account…")
			}
		})
		var saved accounts.Account
		if edit {
			err = core.UpdateAccount(ctx, v.Account, password, &app.UpdateOptions{SessionOnly: sessionOnly})
			saved = v.Account
		} else {
			saved, err = core.AddAccount(ctx, v.Account, password, &app.AddOptions{SkipVerify: true, SessionOnly: sessionOnly})
		}
		if err != nil {
			return func() { wz.checkFailed(v, err) }
		}
		return func() { wz.finished(saved, v) }
	})
}

// showChecks shows the verification per server.
func (wz *wizard) showChecks(v *autoconfig.Verification) {
	if v == nil {
		return
	}
	for _, x := range []struct {
		label *widget.Label
		check autoconfig.Check
		what  string
	}{{wz.imapLine, v.IMAP, "Incoming mail (IMAP)"}, {wz.smtpLine, v.SMTP, "Outgoing mail (SMTP)"}} {
		c := x.check
		s := x.what + " " + c.Endpoint.Addr() + ": "
		switch {
		case c.OK:
			s += "signed in as " + c.Endpoint.Username
		case c.Err != nil:
			s += "failed: " + c.Err.Error()
		default:
			s += "not checked"
		}
		if e := evidenceText(c.Evidence); e != "" {
			s += "\n" + e
		}
		x.label.SetText(s)
	}
}

// checkFailed goes back to the settings with what went wrong and the way
// out the user has. Nothing was stored.
func (wz *wizard) checkFailed(v *autoconfig.Verification, err error) {
	wz.showChecks(v)
	wz.setStep(stepSettings)
	var ce *accounts.CertError
	var ae *accounts.AuthError
	var pe *app.PasswordUnavailableError
	var se *autoconfig.SecurityError
	if errors.As(err, &ce) || errors.As(err, &ae) || errors.As(err, &se) {
		// A server answered: it can be checked now, so the offer to save
		// without checking no longer applies.
		wz.uncheckedBox.Hide()
	}
	switch {
	case errors.As(err, &pe):
		// Nothing was checked: the stored password could not be read.
		text := "Nothing was checked yet: Tern has no stored password for " + wz.sEmail.Text + ". Type the password above and check again."
		if accounts.IsKeychainUnavailable(err) {
			text = "Nothing was checked yet: Tern cannot read the stored password, because there is no keychain (" + pe.Err.Error() + "). " +
				"Type the password above and check again; Tern can then keep it in memory until you quit."
		}
		setMessage(wz.settingsErr, text)
		wz.w.win.Canvas().Focus(wz.sPassword)
		return
	case errors.As(err, &ce):
		setMessage(wz.settingsErr, "")
		wz.showCert(ce)
		wz.focusFirst()
		return
	case errors.As(err, &ae):
		setMessage(wz.settingsErr, fmt.Sprintf("The %s server %s did not accept the password (user names tried: %s). "+
			"Check the password and the user name; some providers want an app password. Nothing was saved.",
			ae.Protocol, ae.Addr, strings.Join(ae.Usernames, ", ")))
		wz.w.win.Canvas().Focus(wz.sPassword)
		return
	case accounts.IsKeychainUnavailable(err):
		setMessage(wz.settingsErr, "The settings work, but there is no keychain to keep your password in ("+err.Error()+"). "+
			"Tern keeps passwords only in the system keychain. Without one, it can keep the password in memory until you quit: you will type it again next time.")
		wz.sessionBtn.Show()
	default:
		setMessage(wz.settingsErr, checkErrorText(err)+" Nothing was saved.")
	}
	wz.focusFirst()
}

// checkErrorText says err in words for the settings page.
func checkErrorText(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "The check took too long: a server did not answer."
	case errors.Is(err, context.Canceled):
		return "The check was stopped."
	}
	s := err.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// ---- Done page

func (wz *wizard) buildDone() fyne.CanvasObject {
	wz.doneLabel = &widget.Label{Wrapping: fyne.TextWrapWord}
	return container.NewVBox(wz.doneLabel)
}

func (wz *wizard) finished(saved accounts.Account, v *autoconfig.Verification) {
	wz.saved = saved
	wz.showChecks(v)
	text := saved.Email + " is set up. Tern is fetching your mail now; it appears in the main window as it arrives."
	switch {
	case wz.edit != nil:
		text = "The settings of " + saved.Email + " are saved. Tern syncs with them from now on."
	case wz.unchecked:
		text = saved.Email + " is saved without checking: its servers could not be reached. " +
			"Tern keeps trying, and fetches your mail as soon as they can be reached; if the password or a setting is wrong, it tells you then."
	}
	text += "\n\n" + wz.imapLine.Text + "\n" + wz.smtpLine.Text
	if wz.sessionOnly {
		text += "\n\nThe password is kept only until you quit Tern."
	}
	wz.doneLabel.SetText(text)
	wz.setStep(stepDone)
	wz.focusFirst()
	wz.w.reloadAll()
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

package gui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
)

// healthTimeout bounds one whole check, with its re-check after a fix.
const healthTimeout = 2 * time.Minute

// healthView is the Account health window of one account: each server
// checked step by step, the account's state in Tern, the diagnoses with
// their fixes as buttons, and the protocol log. Its fields belong to the
// UI goroutine; the check runs in a goroutine and closing the window
// cancels it.
type healthView struct {
	w       *MainWindow
	win     fyne.Window
	account string

	ctx    context.Context // ends when the window closes
	cancel context.CancelFunc
	gen    int  // the running check's number; older results are dropped
	busy   bool // a check or a fix is running

	heading  *widget.Label
	progress *widget.ProgressBarInfinite
	recheck  *widget.Button
	body     *fyne.Container
	log      *widget.Label // the redacted protocol log
	copyLog  *widget.Button
	report   *app.HealthReport
}

// showHealth opens the health window of account and checks it, or brings
// an open one to the front. UI goroutine.
func (w *MainWindow) showHealth(account string) {
	if v := w.healths[account]; v != nil {
		v.win.RequestFocus()
		return
	}
	a, ok := w.core.Account(account)
	if !ok {
		return
	}
	v := &healthView{w: w, account: account}
	v.ctx, v.cancel = context.WithCancel(w.ctx)
	v.win = w.app.NewWindow("Account health — " + a.Email)
	v.win.Resize(fyne.NewSize(780, 680))
	v.heading = &widget.Label{Text: a.Email, TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis}
	v.progress = widget.NewProgressBarInfinite()
	v.recheck = widget.NewButtonWithIcon("Check again", theme.ViewRefreshIcon(), v.check)
	v.body = container.NewVBox()
	v.log = &widget.Label{TextStyle: fyne.TextStyle{Monospace: true}, Wrapping: fyne.TextWrapBreak}
	v.copyLog = widget.NewButtonWithIcon("Copy the log", theme.ContentCopyIcon(), func() {
		w.app.Clipboard().SetContent(v.log.Text)
	})
	logBox := widget.NewAccordion(widget.NewAccordionItem("Protocol log (passwords and message contents removed)",
		container.NewBorder(container.NewHBox(v.copyLog), nil, nil, nil, v.log)))
	top := container.NewBorder(nil, v.progress, nil, v.recheck, v.heading)
	v.win.SetContent(container.NewBorder(container.NewPadded(top), nil, nil, nil,
		container.NewVScroll(container.NewPadded(container.NewVBox(v.body, logBox)))))
	v.win.SetOnClosed(func() {
		v.cancel()
		if w.healths[account] == v {
			delete(w.healths, account)
		}
	})
	if w.healths == nil {
		w.healths = map[string]*healthView{}
	}
	w.healths[account] = v
	v.win.Show()
	v.check()
}

// check runs the account's health check off the UI goroutine. UI goroutine.
func (v *healthView) check() {
	v.run("Checking the servers…", func(ctx context.Context, opts *app.HealthOptions) (*app.HealthReport, error) {
		return v.w.core.Health(ctx, v.account, opts)
	})
}

// run runs fn (a check, or a fix followed by a check) in a goroutine with
// the progress bar shown, and shows its report. UI goroutine.
func (v *healthView) run(what string, fn func(context.Context, *app.HealthOptions) (*app.HealthReport, error)) {
	v.gen++
	gen := v.gen
	v.setBusy(true)
	v.heading.SetText(v.title() + " — " + what)
	trace := app.NewHealthTrace(0)
	v.w.spawn("account health", func() {
		ctx, cancel := context.WithTimeout(v.ctx, healthTimeout)
		defer cancel()
		r, err := fn(ctx, &app.HealthOptions{Trace: trace})
		var log strings.Builder
		if _, werr := trace.WriteTo(&log); werr != nil && err == nil {
			err = werr
		}
		v.w.do(func() {
			if gen != v.gen || v.ctx.Err() != nil {
				return
			}
			v.setBusy(false)
			v.log.SetText(log.String())
			v.show(r, err)
		})
	})
}

func (v *healthView) title() string {
	if a, ok := v.w.core.Account(v.account); ok {
		return a.Email
	}
	return v.account
}

func (v *healthView) setBusy(b bool) {
	v.busy = b
	if b {
		v.progress.Show()
		v.progress.Start()
		v.recheck.Disable()
	} else {
		v.progress.Stop()
		v.progress.Hide()
		v.recheck.Enable()
	}
	for _, o := range v.body.Objects {
		setButtonsEnabled(o, !b)
	}
}

// setButtonsEnabled enables or disables every button inside o.
func setButtonsEnabled(o fyne.CanvasObject, on bool) {
	switch t := o.(type) {
	case *widget.Button:
		if on {
			t.Enable()
		} else {
			t.Disable()
		}
	case *fyne.Container:
		for _, c := range t.Objects {
			setButtonsEnabled(c, on)
		}
	}
}

// show lays out r, or the error that kept the check from running.
func (v *healthView) show(r *app.HealthReport, err error) {
	v.body.RemoveAll()
	if err != nil {
		v.heading.SetText(v.title() + " — the check could not run")
		v.body.Add(wrapped(accounts.Explain(err), widget.DangerImportance))
		return
	}
	v.report = r
	verdict := "no problem found"
	if r.Failed() {
		verdict = "problems found"
	}
	v.heading.SetText(fmt.Sprintf("%s — %s (checked %s)", r.Email, verdict, r.Checked.Local().Format("15:04:05")))
	diags := healthDiagnoses(r)
	if len(diags) > 0 {
		v.body.Add(sectionTitle("What is wrong"))
		for _, d := range diags {
			v.body.Add(v.diagnosisBox(d))
		}
	} else if !r.Failed() {
		v.body.Add(wrapped("Both servers answer and accept the password. If mail still does not arrive or leave, the protocol log below shows what was said.", widget.SuccessImportance))
	}
	v.body.Add(sectionTitle("Incoming: " + r.Incoming.Protocol + " " + endpointWords(r.Incoming.Endpoint)))
	v.body.Add(serverBox(r.Incoming))
	v.body.Add(sectionTitle("Outgoing: " + r.Outgoing.Protocol + " " + endpointWords(r.Outgoing.Endpoint)))
	v.body.Add(serverBox(r.Outgoing))
	v.body.Add(sectionTitle("In Tern"))
	v.body.Add(localBox(r.Local))
}

// healthDiagnosis is a diagnosis with the server it is about ("" for the
// local state).
type healthDiagnosis struct {
	app.HealthDiagnosis
	protocol string
}

func healthDiagnoses(r *app.HealthReport) []healthDiagnosis {
	var out []healthDiagnosis
	for _, s := range []*app.HealthServer{r.Incoming, r.Outgoing} {
		for _, d := range s.Diagnoses {
			out = append(out, healthDiagnosis{d, s.Protocol})
		}
	}
	for _, d := range r.Local.Diagnoses {
		out = append(out, healthDiagnosis{d, ""})
	}
	return out
}

func sectionTitle(s string) fyne.CanvasObject {
	return &widget.Label{Text: s, TextStyle: fyne.TextStyle{Bold: true}}
}

func wrapped(s string, imp widget.Importance) *widget.Label {
	return &widget.Label{Text: s, Wrapping: fyne.TextWrapWord, Importance: imp}
}

func endpointWords(ep accounts.Endpoint) string {
	sec := map[accounts.Security]string{accounts.SecurityTLS: "TLS", accounts.SecuritySTARTTLS: "STARTTLS", accounts.SecurityNone: "no encryption"}[ep.Security]
	if sec == "" {
		sec = string(ep.Security)
	}
	return ep.Addr() + ", " + sec
}

// diagnosisBox shows a diagnosis: what is wrong, what shows it, what to do,
// and its fix as a button when there is one.
func (v *healthView) diagnosisBox(d healthDiagnosis) fyne.CanvasObject {
	summary := d.Summary
	if d.protocol != "" {
		summary = d.protocol + ": " + summary
	}
	box := container.NewVBox(
		&widget.Label{Text: summary, Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance, TextStyle: fyne.TextStyle{Bold: true}},
		wrapped("Seen: "+d.Evidence, widget.MediumImportance),
		wrapped("What to do: "+d.Fix, widget.MediumImportance))
	if b := v.actionButton(d); b != nil {
		box.Add(container.NewHBox(b))
	}
	return container.NewPadded(box)
}

func stepIcon(st app.HealthStatus) fyne.Resource {
	switch st {
	case app.HealthOK:
		return theme.ConfirmIcon()
	case app.HealthWarn:
		return theme.WarningIcon()
	case app.HealthFail:
		return theme.ErrorIcon()
	}
	return theme.MoreHorizontalIcon()
}

var stepNames = map[string]string{
	app.HealthStepResolve: "Name", app.HealthStepConnect: "Connect", app.HealthStepTLS: "Security",
	app.HealthStepGreeting: "Greeting", app.HealthStepCapabilities: "Features", app.HealthStepSignIn: "Sign-in",
	app.HealthStepQuota: "Quota",
}

// serverBox shows a server's steps, its certificate, what its missing
// features cost and the other settings tried.
func serverBox(s *app.HealthServer) fyne.CanvasObject {
	rows := container.NewVBox()
	for _, st := range s.Steps {
		name := stepNames[st.Name]
		if name == "" {
			name = st.Name
		}
		el := ""
		if d := st.Elapsed.Round(time.Millisecond); d > 0 {
			el = d.String()
		}
		imp := widget.MediumImportance
		switch st.Status {
		case app.HealthFail:
			imp = widget.DangerImportance
		case app.HealthWarn:
			imp = widget.WarningImportance
		}
		label := &widget.Label{Text: st.Detail, Wrapping: fyne.TextWrapWord, Importance: imp}
		head := container.NewHBox(widget.NewIcon(stepIcon(st.Status)), container.New(&fixedWidth{width: 90}, widget.NewLabel(name)))
		rows.Add(container.NewBorder(nil, nil, head, widget.NewLabel(el), label))
	}
	if t := s.TLS; t != nil {
		trust := "trusted"
		switch {
		case t.Pinned:
			trust = "pinned by you"
		case !t.Verified:
			trust = "not trusted"
		}
		name := "matches the server name"
		if !t.HostnameMatch {
			name = "for another name"
		}
		rows.Add(wrapped(fmt.Sprintf("Certificate: %s, issued by %s, expires in %d days (%s), %s, %s. SHA-256 %s",
			t.Subject, t.Issuer, t.ExpiresInDays, t.NotAfter.Format("2006-01-02"), name, trust, t.SHA256), widget.LowImportance))
	}
	for _, c := range s.Capabilities {
		if !c.Present && c.Cost != "" {
			rows.Add(wrapped("Without "+c.Name+": "+c.Cost, widget.LowImportance))
		}
	}
	if !s.ServerTime.IsZero() {
		rows.Add(wrapped(fmt.Sprintf("Server time (from its greeting): %s; this computer's clock differs by %s",
			s.ServerTime.Local().Format("2006-01-02 15:04:05"), s.ClockSkew), widget.LowImportance))
	}
	for _, a := range s.Alternates {
		res := "answers"
		if !a.OK {
			res = "no: " + a.Detail
		}
		rows.Add(wrapped("Also tried "+endpointWords(a.Endpoint)+": "+res, widget.LowImportance))
	}
	return rows
}

// localBox shows the account's state in Tern.
func localBox(l app.LocalHealth) fyne.CanvasObject {
	when := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.Local().Format("2006-01-02 15:04") + " (" + shortDuration(time.Since(t)) + " ago)"
	}
	sync := l.Sync
	if l.SyncError != "" {
		sync += ": " + l.SyncError
	}
	push := "not connected: new mail shows up at the next check"
	if l.Push {
		push = "connected: new mail shows up at once"
	}
	pending := fmt.Sprintf("%d", l.Pending)
	if l.Pending > 0 {
		pending += ", the oldest from " + when(l.OldestPending)
		if l.PendingLastError != "" {
			pending += "; last error: " + l.PendingLastError
		}
	}
	fullSync := "never"
	if !l.LastFullSync.IsZero() {
		fullSync = when(l.LastFullSync) + ", took " + l.FullSyncDuration.Round(time.Millisecond).String()
	}
	lines := [][2]string{
		{"Sync", sync},
		{"Synced", fmt.Sprintf("%d of %d folders, last %s", l.SyncedFolders, l.Folders, when(l.LastSynced))},
		{"Complete sync", fullSync},
		{"Push", push},
		{"Changes to send", pending},
		{"Outbox", fmt.Sprintf("%d waiting, %d failed", l.OutboxWaiting, len(l.OutboxFailed))},
		{"Bodies", fmt.Sprintf("%d not downloaded yet", l.MissingBodies)},
	}
	for _, p := range l.OutboxFailed {
		lines = append(lines, [2]string{"", fmt.Sprintf("%q was refused: %s", p.Subject, p.LastError)})
	}
	for _, p := range l.SentCopyFailed {
		lines = append(lines, [2]string{"", fmt.Sprintf("%q was sent, but its copy in Sent was refused: %s", p.Subject, p.LastError)})
	}
	rows := container.NewVBox()
	for _, ln := range lines {
		rows.Add(container.NewBorder(nil, nil, container.New(&fixedWidth{width: 130}, widget.NewLabel(ln[0])), nil,
			wrapped(ln[1], widget.MediumImportance)))
	}
	return rows
}

// errorsAsCert returns the certificate error of s, if its check met one.
func errorsAsCert(s *app.HealthServer) (*accounts.CertError, bool) {
	var ce *accounts.CertError
	if s == nil || !errors.As(s.Err, &ce) {
		return nil, false
	}
	return ce, true
}

// showAccountMenu opens the context menu of account's row in the folder
// tree at pos.
func (w *MainWindow) showAccountMenu(account string, pos fyne.Position) {
	items := []*fyne.MenuItem{
		fyne.NewMenuItem("Account health…", func() { w.showHealth(account) }),
		fyne.NewMenuItem("Sync now", func() { w.core.SyncNow(account) }),
	}
	w.menu = widget.NewPopUpMenu(fyne.NewMenu("", items...), w.win.Canvas())
	w.menu.ShowAtPosition(pos)
}

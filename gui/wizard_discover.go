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
	"github.com/ternmail/tern/accounts/autoconfig"
)

// discoverPage shows discovery's progress, one line per source.
type discoverPage struct {
	discoverNote *widget.Label
	sourceBox    *fyne.Container
	sources      map[autoconfig.Source]*sourceRow
	skipBtn      *widget.Button
	// result is what discovery found, shown on the settings page.
	result *autoconfig.Result
}

// buildDiscover builds the discovery page.
func (wz *wizard) buildDiscover() fyne.CanvasObject {
	wz.discoverNote = &widget.Label{Wrapping: fyne.TextWrapWord}
	wz.sourceBox = container.NewVBox()
	wz.sources = map[autoconfig.Source]*sourceRow{}
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
	wz.oauthOffer = nil
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
		if wz.oauthDiscovered(res) {
			return
		}
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

package gui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/autoconfig"
)

// settingsPage shows the settings found, with their evidence, for the user
// to check or change; it is the first page when editing an account.
type settingsPage struct {
	found                    *widget.Label
	imapEvidence             *widget.Label
	smtpEvidence             *widget.Label
	details                  *widget.Label
	detailsBox               *widget.Accordion
	sName, sEmail, sPassword *wizEntry
	imap, smtp               *serverFields
	settingsErr              *widget.Label
	sessionBtn               *widget.Button
}

// buildSettings builds the settings page.
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
	return container.NewVBox(wz.found, wz.imapEvidence, wz.smtpEvidence, wz.detailsBox, wz.buildCertPrompt(), wz.buildUncheckedOffer(),
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

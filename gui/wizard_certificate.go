package gui

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
)

// certPrompt is the settings page's question about a certificate that did
// not verify; the fingerprints the user trusts go to wizard.pins.
type certPrompt struct {
	certBox   *fyne.Container
	certLabel *widget.Label
	trustBtn  *widget.Button
}

// buildCertPrompt builds the question, hidden.
func (wz *wizard) buildCertPrompt() fyne.CanvasObject {
	wz.certLabel = &widget.Label{Wrapping: fyne.TextWrapWord}
	wz.trustBtn = widget.NewButtonWithIcon("Trust this certificate for this server", theme.WarningIcon(), nil)
	wz.certBox = container.NewVBox(wz.certLabel, container.NewHBox(wz.trustBtn))
	wz.certBox.Hide()
	return wz.certBox
}

// showCert explains a certificate that did not verify and offers to trust
// it for its host:port only; nil hides it.
func (wz *wizard) showCert(ce *accounts.CertError) {
	if ce == nil {
		wz.certBox.Hide()
		return
	}
	addr := net.JoinHostPort(ce.Host, strconv.Itoa(ce.Port))
	wz.certLabel.SetText(certQuestion(ce))
	wz.trustBtn.OnTapped = func() {
		wz.pins[strings.ToLower(addr)] = ce.SHA256
		wz.certBox.Hide()
		wz.startCheck()
	}
	wz.certBox.Show()
}

// certQuestion asks whether to trust the certificate ce names, showing
// what it is and its fingerprint; the wizard and the health view ask it.
func certQuestion(ce *accounts.CertError) string {
	addr := net.JoinHostPort(ce.Host, strconv.Itoa(ce.Port))
	return fmt.Sprintf("The certificate of %s is not trusted: %s.\nSubject: %s\nIssuer: %s\nValid from %s to %s\nSHA-256 fingerprint: %s\n"+
		"Trust it only if you know that this server uses it, for example from your provider or your administrator. "+
		"Tern will then accept this certificate, and only this one, for %s.",
		addr, ce.Reason, ce.Subject, ce.Issuer, ce.NotBefore.Format("2006-01-02"), ce.NotAfter.Format("2006-01-02"), ce.SHA256, addr)
}

// showUnchecked offers to save settings that discovery could not check
// (their reasons are on the servers' evidence lines); an empty list, or

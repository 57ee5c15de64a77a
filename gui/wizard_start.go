package gui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// startPage is the wizard's first page: name, address and password.
type startPage struct {
	name, email, password *wizEntry
	startErr              *widget.Label
	manualBtn             *widget.Button
}

// buildStart builds the start page.
func (wz *wizard) buildStart() fyne.CanvasObject {
	wz.name = wz.newEntry(false)
	wz.name.SetPlaceHolder("Alice Example")
	wz.email = wz.newEntry(false)
	wz.email.SetPlaceHolder("alice@example.com")
	wz.password = wz.newEntry(true)
	wz.password.SetPlaceHolder("not needed for Gmail and Outlook")
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

package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/autoconfig"
)

// donePage says what was saved and how the servers answered.
type donePage struct {
	doneLabel *widget.Label
}

// buildDone builds the done page.
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

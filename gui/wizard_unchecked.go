package gui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts/autoconfig"
	"github.com/ternmail/tern/app"
)

// uncheckedOffer is the settings page's offer to save settings that could
// not be checked (the servers could not be reached): shown with the reason.
type uncheckedOffer struct {
	uncheckedBox     *fyne.Container
	uncheckedLabel   *widget.Label
	saveUncheckedBtn *widget.Button
	// unchecked is set when the user chose to save without checking.
	unchecked bool
}

// buildUncheckedOffer builds the offer, hidden.
func (wz *wizard) buildUncheckedOffer() fyne.CanvasObject {
	wz.uncheckedLabel = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance}
	wz.saveUncheckedBtn = widget.NewButtonWithIcon("Save without checking and sync later", theme.DocumentSaveIcon(), wz.saveUnchecked)
	wz.uncheckedBox = container.NewVBox(wz.uncheckedLabel, container.NewHBox(wz.saveUncheckedBtn))
	wz.uncheckedBox.Hide()
	return wz.uncheckedBox
}

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

package gui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/sync/imapsync"
)

// The wizard knows the sync layer's refusal of a password: one AuthError
// type serves discovery, sync and sending, so errors.As finds it whichever
// layer failed, wrapped as it comes.
func TestWizardRecognisesSyncLayerAuthError(t *testing.T) {
	var id string
	e := newWizardEnv(t, wizardSetup{trusted: true, setup: sameAccountWithoutPassword(&id)})
	p := e.openPasswordPrompt()
	acct, ok := e.core.Account(id)
	if !ok {
		t.Fatalf("no account %s", id)
	}
	err := imapsync.Verify(context.Background(), acct, "wrong-pw", &imapsync.Options{Roots: e.net.Roots})
	var ae *accounts.AuthError
	if !errors.As(err, &ae) || ae.Protocol != "IMAP" || !imapsync.Permanent(err) {
		t.Fatalf("imapsync.Verify: %v", err)
	}
	fyne.DoAndWait(func() { p.answered(fmt.Errorf("checking the password: %w", err)) })
	var msg string
	fyne.DoAndWait(func() { msg = p.msg.Text })
	if want := "The IMAP server " + ae.Addr + " did not accept the password."; !strings.Contains(msg, want) {
		t.Fatalf("message %q, want %q", msg, want)
	}
}

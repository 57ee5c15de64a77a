package gui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
)

// fillForm opens the account form for srv's account.
func fillForm(h *harness, srv *mailtest.Server) *accountForm {
	f := h.w.newAccountForm()
	f.dlg.Show()
	f.name.SetText("Sam")
	f.email.SetText(srv.Username)
	f.password.SetText(srv.Password)
	f.imap.SetText(srv.IMAPAddr + ":tls")
	f.smtp.SetText(srv.SMTPAddr + ":tls")
	return f
}

func TestAddAccountTrustCertificate(t *testing.T) {
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true})
	h := newHarness(t, nil)
	f := fillForm(h, srv)
	test.Tap(f.addBtn)
	h.waitFor("the certificate error", func() bool { return !f.busy && f.errLabel.Visible() })
	if !strings.Contains(f.errLabel.Text, srv.CertSHA256) || !f.trustBtn.Visible() {
		t.Fatalf("error %q, trust button visible %v", f.errLabel.Text, f.trustBtn.Visible())
	}
	if len(h.core.Accounts()) != 0 {
		t.Fatal("account stored although its certificate was not trusted")
	}
	test.Tap(f.trustBtn)
	h.waitFor("the account", func() bool { return len(h.core.Accounts()) == 1 })
	a := h.core.Accounts()[0]
	if a.PinnedCerts[srv.IMAPAddr] != srv.CertSHA256 {
		t.Fatalf("pins = %v", a.PinnedCerts)
	}
	h.waitFor("the form to close", func() bool { return !f.busy })
}

func TestAddAccountWithoutKeychain(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/tern-gui-test")
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true})
	h := newHarnessWith(t, accounts.NewKeyring(nil), nil)
	f := fillForm(h, srv)
	f.pins = map[string]string{srv.IMAPAddr: srv.CertSHA256}
	test.Tap(f.addBtn)
	h.waitFor("the keychain error", func() bool { return !f.busy && f.errLabel.Visible() })
	if !strings.Contains(strings.ToLower(f.errLabel.Text), "keychain") || !f.sessionBtn.Visible() || strings.Contains(f.errLabel.Text, srv.Password) {
		t.Fatalf("error %q, session button visible %v", f.errLabel.Text, f.sessionBtn.Visible())
	}
	if len(h.core.Accounts()) != 0 {
		t.Fatal("account stored without a place for its password")
	}
	test.Tap(f.sessionBtn)
	h.waitFor("the account", func() bool { return len(h.core.Accounts()) == 1 })
	// The session-only password works: the engine syncs.
	h.waitFor("INBOX synced", func() bool {
		boxes, _ := h.core.Mailboxes(t.Context(), h.core.Accounts()[0].ID)
		return len(boxes) > 0
	})
}

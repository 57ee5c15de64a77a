package gui

import (
	"context"
	"crypto/x509"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/autoconfig"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/mailtest"
)

// brokenAccountCore returns a started core with one account whose IMAP
// port is wrong: nothing listens on it, while the standard TLS port of
// the same host (mapped to the in-process server) answers.
func brokenAccountCore(t *testing.T, log *testLog) (*app.Core, accounts.Account, *mailtest.Server, int) {
	t.Helper()
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true})
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(srv.CertPEM) {
		t.Fatal("no certificate")
	}
	wrong := closedPort(t)
	portMap := func(_ string, port int) string {
		switch port {
		case 993:
			return srv.IMAPAddr
		case 465:
			return srv.SMTPAddr
		}
		return ""
	}
	core, err := app.New(app.Options{Home: t.TempDir(), Secrets: accounts.NewMemorySecrets(), Logf: log.logf,
		Autoconfig: &autoconfig.Options{Roots: roots, PortMap: portMap}})
	if err != nil {
		t.Fatal(err)
	}
	a := accounts.Account{Email: srv.Username,
		IMAP: accounts.Endpoint{Host: "127.0.0.1", Port: wrong, Security: accounts.SecurityTLS, Username: srv.Username},
		SMTP: accounts.Endpoint{Host: "127.0.0.1", Port: 465, Security: accounts.SecurityTLS, Username: srv.Username}}
	acct, err := core.AddAccount(context.Background(), a, srv.Password, &app.AddOptions{SkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	core.Start()
	return core, acct, srv, wrong
}

// labelContaining returns the first label laid out in o whose text has
// sub, or nil.
func labelContaining(o fyne.CanvasObject, sub string) *widget.Label {
	for _, obj := range test.LaidOutObjects(o) {
		if l, ok := obj.(*widget.Label); ok && l.Visible() && strings.Contains(l.Text, sub) {
			return l
		}
	}
	return nil
}

// buttonWithPrefix returns the first enabled, visible button laid out in
// o whose text starts with prefix, or nil.
func buttonWithPrefix(o fyne.CanvasObject, prefix string) *widget.Button {
	for _, obj := range test.LaidOutObjects(o) {
		if b, ok := obj.(*widget.Button); ok && b.Visible() && !b.Disabled() && strings.HasPrefix(b.Text, prefix) {
			return b
		}
	}
	return nil
}

// TestHealthViewSwitchesToTheWorkingPort: an account set to a port
// nothing listens on shows an error in the status bar; its "What is
// wrong?" opens Account health, which names the cause (the port refuses,
// the TLS port of the same server answers) and offers the switch as a
// button; pressing it saves the working port and the re-check passes. The
// account row's menu opens the same window, and the protocol log holds
// the exchanges but not the password.
func TestHealthViewSwitchesToTheWorkingPort(t *testing.T) {
	a := test.NewTempApp(t)
	log := &testLog{t: t}
	core, acct, srv, wrong := brokenAccountCore(t, log)
	h := windowFor(t, a, core, log)

	var details *widget.Button
	h.waitFor("the account's error in the status bar, with its button", func() bool {
		details = h.w.status.details[acct.ID]
		return details != nil && details.Visible()
	})
	test.Tap(details)
	v := h.w.healths[acct.ID]
	if v == nil || h.windowTitled("Account health") == nil {
		t.Fatal("no Account health window")
	}
	content := v.win.Content()
	h.waitFor("the diagnosis", func() bool { return !v.busy && labelContaining(content, "refuses connections") != nil })
	if l := labelContaining(content, "IMAP: Port "+itoa(wrong)); l == nil {
		t.Errorf("the diagnosis does not name the wrong port %d", wrong)
	}
	if labelContaining(content, "Connect") == nil || labelContaining(content, "Sign-in") == nil {
		t.Error("the steps are not shown")
	}
	if !strings.Contains(v.log.Text, "== SMTP") || strings.Contains(v.log.Text, srv.Password) {
		t.Errorf("protocol log: %q", v.log.Text)
	}

	// The account row's menu opens the same window.
	cell := h.w.folders.cells[accountUID(acct.ID)]
	if cell == nil {
		t.Fatal("no account row in the folder tree")
	}
	test.TapSecondary(cell)
	h.tapMenu("Account health")
	if h.w.healths[acct.ID] != v {
		t.Fatal("the menu opened a second health window")
	}

	fix := buttonWithPrefix(content, "Use port 993 with TLS")
	if fix == nil {
		t.Fatal("no button to switch to the working port")
	}
	test.Tap(fix)
	if !v.busy || v.progress.Hidden {
		t.Error("no progress shown while the fix runs")
	}
	h.waitFor("the re-check", func() bool { return !v.busy && v.report != nil && v.report.Incoming.Endpoint.Port == 993 })
	if v.report.Failed() || labelContaining(content, "no problem found") == nil {
		t.Fatalf("the re-check failed: %+v", v.report.Incoming.Steps)
	}
	saved, _ := core.Account(acct.ID)
	if saved.IMAP.Port != 993 || saved.IMAP.Security != accounts.SecurityTLS {
		t.Errorf("saved %+v", saved.IMAP)
	}

	// Closing the window cancels what runs in it.
	v.win.Close()
	if v.ctx.Err() == nil || h.w.healths[acct.ID] != nil {
		t.Error("closing the window did not end its check")
	}
}

// TestHealthViewTrustsAReviewedCertificate: an account whose server's
// certificate is not trusted (self-signed, not pinned) shows the
// diagnosis with a review button; the review shows the fingerprint, and
// trusting it pins it for that server and the re-check passes.
func TestHealthViewTrustsAReviewedCertificate(t *testing.T) {
	a := test.NewTempApp(t)
	log := &testLog{t: t}
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true})
	core, err := app.New(app.Options{Home: t.TempDir(), Secrets: accounts.NewMemorySecrets(), Logf: log.logf})
	if err != nil {
		t.Fatal(err)
	}
	acct := mailtest.DemoAccount(srv)
	acct.ID, acct.PinnedCerts = "work", nil
	acct, err = core.AddAccount(context.Background(), acct, srv.Password, &app.AddOptions{SkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	core.Start()
	h := windowFor(t, a, core, log)
	h.waitFor("the main window", h.w.showingMain)
	h.w.showHealth(acct.ID)
	v := h.w.healths[acct.ID]
	content := v.win.Content()
	h.waitFor("the diagnosis", func() bool { return !v.busy && v.report != nil })
	review := buttonWithPrefix(content, "Review and trust")
	if review == nil {
		dumpLabels(t, content)
		t.Fatal("no button to review the certificate")
	}
	test.Tap(review)
	over := v.win.Canvas().Overlays().Top()
	if over == nil || labelContaining(over, srv.CertSHA256[len("SHA256:"):]) == nil && labelContaining(over, strings.ToLower(srv.CertSHA256[len("SHA256:"):])) == nil {
		if over != nil {
			dumpLabels(t, over)
		}
		t.Fatalf("the review does not show the fingerprint %s", srv.CertSHA256)
	}
	trust := buttonWithPrefix(over, "Trust this certificate")
	if trust == nil {
		t.Fatal("no Trust button")
	}
	test.Tap(trust)
	h.waitFor("the re-check", func() bool { return !v.busy && labelContaining(content, "no problem found") != nil })
	saved, _ := core.Account(acct.ID)
	if saved.PinFor(acct.IMAP.Host, acct.IMAP.Port) == "" || saved.PinFor(acct.SMTP.Host, acct.SMTP.Port) == "" {
		t.Errorf("not pinned for both servers, which present the same certificate: %v", saved.PinnedCerts)
	}
}

// dumpLabels logs every label laid out in o.
func dumpLabels(t *testing.T, o fyne.CanvasObject) {
	t.Helper()
	for _, obj := range test.LaidOutObjects(o) {
		if l, ok := obj.(*widget.Label); ok {
			t.Logf("label %q", l.Text)
		}
		if b, ok := obj.(*widget.Button); ok {
			t.Logf("button %q", b.Text)
		}
	}
}

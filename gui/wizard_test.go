package gui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/autoconfig/autoconfigtest"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
	"github.com/ternmail/tern/sync/imapsync"
)

const (
	wizEmail    = "sam@wizard.test"
	wizPassword = "right-pw-42"
)

// wizardEnv is a window over a core whose discovery runs on a fake
// network: https://autoconfig.wizard.test names an in-process TLS server
// on 127.0.0.1, which the sync engine then reaches directly.
type wizardEnv struct {
	*harness
	net     *autoconfigtest.Net
	srv     *mailtest.Server
	secrets accounts.Secrets
	home    string   // the core's home directory
	log     *testLog // the core's and the window's diagnostics
}

type wizardSetup struct {
	// trusted puts the server's self-signed certificate in the roots.
	trusted bool
	// secrets is the core's password store; nil means memory.
	secrets accounts.Secrets
	// budget overrides the discovery budget.
	budget time.Duration
	// setup runs before the window is built.
	setup func(*app.Core, *mailtest.Server)
}

func newWizardEnv(t *testing.T, ws wizardSetup) *wizardEnv {
	t.Helper()
	raw := "From: Ann <ann@wizard.test>\r\nTo: Sam <sam@wizard.test>\r\nSubject: Welcome aboard\r\nDate: Mon, 02 Jun 2025 10:00:00 +0000\r\nMessage-ID: <w1@wizard.test>\r\n\r\nHello Sam.\r\n"
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true, Username: wizEmail, Password: wizPassword,
		Seed: []mailtest.SeedMessage{{Mailbox: "INBOX", Raw: []byte(raw)}}})
	n := autoconfigtest.New(t)
	if ws.trusted {
		n.Roots.AppendCertsFromPEM(srv.CertPEM)
	}
	_, imapPort, _ := net.SplitHostPort(srv.IMAPAddr)
	_, smtpPort, _ := net.SplitHostPort(srv.SMTPAddr)
	n.Page("https://autoconfig.wizard.test/mail/config-v1.1.xml", fmt.Sprintf(`<clientConfig version="1.1"><emailProvider id="wizard.test">
<incomingServer type="imap"><hostname>127.0.0.1</hostname><port>%s</port><socketType>SSL</socketType><username>%%EMAILADDRESS%%</username><authentication>password-cleartext</authentication></incomingServer>
<outgoingServer type="smtp"><hostname>127.0.0.1</hostname><port>%s</port><socketType>SSL</socketType><username>%%EMAILADDRESS%%</username><authentication>password-cleartext</authentication></outgoingServer>
</emailProvider></clientConfig>`, imapPort, smtpPort))
	opts := n.Options()
	if ws.budget > 0 {
		opts.Budget = ws.budget
	}
	secrets := ws.secrets
	if secrets == nil {
		secrets = accounts.NewMemorySecrets()
	}
	log := &testLog{t: t}
	home := t.TempDir()
	core, err := app.New(app.Options{Home: home, Secrets: secrets, Autoconfig: opts,
		Sync: &imapsync.Options{Roots: n.Roots}, Logf: log.logf})
	if err != nil {
		t.Fatal(err)
	}
	core.Start()
	if ws.setup != nil {
		ws.setup(core, srv)
	}
	a := test.NewTempApp(t)
	h := windowFor(t, a, core, log)
	h.waitFor("the window to load", func() bool { return h.w.loaded })
	return &wizardEnv{harness: h, net: n, srv: srv, secrets: secrets, home: home, log: log}
}

// openWizard finds the wizard on top of the window.
func (e *wizardEnv) openWizard() *wizard {
	e.t.Helper()
	for _, o := range test.LaidOutObjects(e.w.win.Canvas().Overlays().Top()) {
		if en, ok := o.(*wizEntry); ok {
			return en.wz
		}
	}
	e.t.Fatal("no wizard is open")
	return nil
}

// key sends a key to the focused widget, or to the window when none is.
func (e *wizardEnv) key(name fyne.KeyName) {
	ev := &fyne.KeyEvent{Name: name}
	c := e.w.win.Canvas()
	if f := c.Focused(); f != nil {
		f.TypedKey(ev)
	} else if h := c.OnTypedKey(); h != nil {
		h(ev)
	}
}

func (e *wizardEnv) waitStep(wz *wizard, step string) {
	e.t.Helper()
	e.waitFor("the "+step+" page", func() bool { return wz.step == step && wz.active == 0 })
}

// waitSynced waits until account id has its inbox with the seeded message.
func (e *wizardEnv) waitSynced(id string) {
	e.t.Helper()
	e.waitFor("the account's inbox synced", func() bool {
		b, err := e.core.FindMailbox(context.Background(), id, "inbox")
		return err == nil && b.Total > 0
	})
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// From the welcome screen to a syncing account with the keyboard only:
// Enter advances through discovery and the check.
func TestWizardAddsAccountWithKeyboard(t *testing.T) {
	e := newWizardEnv(t, wizardSetup{trusted: true})
	if e.w.showingMain() {
		t.Fatal("main panes without an account")
	}
	test.Tap(e.w.welcome.addBtn)
	wz := e.openWizard()
	if wz.step != stepStart || e.w.win.Canvas().Focused() != wz.name {
		t.Fatalf("step %q, focus %v", wz.step, e.w.win.Canvas().Focused())
	}
	test.Type(wz.name, "Sam")
	e.key(fyne.KeyReturn) // an empty address: stays, says so
	if wz.step != stepStart || !strings.Contains(wz.startErr.Text, "email address") {
		t.Fatalf("empty address: step %q, error %q", wz.step, wz.startErr.Text)
	}
	e.w.win.Canvas().Focus(wz.email)
	test.Type(wz.email, wizEmail)
	e.w.win.Canvas().Focus(wz.password)
	test.Type(wz.password, wizPassword)
	e.key(fyne.KeyReturn)
	if wz.step != stepDiscover || wz.heading.Text != "Looking up settings…" {
		t.Fatalf("after Enter: step %q, heading %q", wz.step, wz.heading.Text)
	}
	if len(wz.sources) != len(sourceTitles) || !strings.Contains(wz.sources["srv"].label.Text, "DNS service records") {
		t.Fatalf("source lines: %+v", wz.sources)
	}

	e.waitStep(wz, stepSettings)
	for _, s := range sourceTitles {
		t.Logf("progress: %s", wz.sources[s.source].label.Text)
	}
	if got := wz.sources["autoconfig"].label.Text; !strings.Contains(got, "2 of 2 servers answered") {
		t.Errorf("autoconfig line %q", got)
	}
	if got := wz.sources["provider"].label.Text; !strings.Contains(got, "Known providers: ") || strings.Contains(got, "looking") {
		t.Errorf("provider line %q", got)
	}
	imapAddr := "127.0.0.1:" + portOf(e.srv.IMAPAddr)
	ev := wz.imapEvidence.Text
	t.Logf("evidence:\n%s\n%s", ev, wz.smtpEvidence.Text)
	if !strings.Contains(ev, imapAddr) || !strings.Contains(ev, "Your domain's configuration") ||
		!strings.Contains(ev, "config-v1.1.xml") || !strings.Contains(ev, "certificate verified") {
		t.Errorf("IMAP evidence %q", ev)
	}
	if !strings.Contains(wz.smtpEvidence.Text, "127.0.0.1:"+portOf(e.srv.SMTPAddr)) {
		t.Errorf("SMTP evidence %q", wz.smtpEvidence.Text)
	}
	if wz.imap.host.Text != "127.0.0.1" || wz.imap.security.Selected != "SSL/TLS" || wz.sPassword.Text != wizPassword {
		t.Errorf("fields: host %q security %q", wz.imap.host.Text, wz.imap.security.Selected)
	}

	e.key(fyne.KeyReturn) // Check
	if wz.step != stepCheck {
		t.Fatalf("after Enter on the settings: step %q", wz.step)
	}
	e.waitStep(wz, stepDone)
	t.Logf("done: %s", wz.doneLabel.Text)
	if !strings.Contains(wz.doneLabel.Text, "signed in as "+wizEmail) {
		t.Errorf("done page %q", wz.doneLabel.Text)
	}
	list := e.core.Accounts()
	if len(list) != 1 || list[0].Name != "Sam" || list[0].IMAP.Addr() != imapAddr || len(list[0].PinnedCerts) != 0 {
		t.Fatalf("accounts: %+v", list)
	}
	if p, err := e.secrets.Get(context.Background(), list[0].ID, "smtp"); err != nil || p != wizPassword {
		t.Errorf("stored password: %v", err)
	}
	e.waitSynced(list[0].ID)
	e.waitFor("the main panes", e.w.showingMain)
	e.key(fyne.KeyReturn) // Done
	if wz.open {
		t.Error("Enter on the done page did not close the wizard")
	}
	// The password is in the keychain only: not in the logs (captured:
	// the sign-in is logged), nor in any file under the home directory.
	logs := e.log.text()
	if !strings.Contains(logs, "signed in as "+wizEmail) || !strings.Contains(logs, "added (IMAP") {
		t.Fatalf("the diagnostics were not captured: %q", logs)
	}
	if strings.Contains(logs, wizPassword) {
		t.Fatalf("password in the logs: %s", logs)
	}
	files := 0
	err := filepath.WalkDir(e.home, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		if bytes.Contains(data, []byte(wizPassword)) {
			t.Errorf("password found in %s", path)
		}
		return nil
	})
	if err != nil || files < 2 {
		t.Fatalf("walk %s: %v (%d files)", e.home, err, files)
	}
}

// An untrusted certificate is shown and pinned per host:port; a wrong
// password stores nothing; a field edited by hand is checked again.
func TestWizardCertificateWrongPasswordAndManualEdit(t *testing.T) {
	e := newWizardEnv(t, wizardSetup{})
	e.w.showAddAccount()
	wz := e.openWizard()
	wz.name.SetText("Sam")
	wz.email.SetText(wizEmail)
	wz.password.SetText("wrong-pw")
	test.Tap(wz.nextBtn)
	e.waitStep(wz, stepSettings)
	imapAddr, smtpAddr := "127.0.0.1:"+portOf(e.srv.IMAPAddr), "127.0.0.1:"+portOf(e.srv.SMTPAddr)
	cert := wz.certLabel.Text
	t.Logf("certificate: %s", cert)
	for _, want := range []string{imapAddr, "self-signed", "Subject: ", "Issuer: ", "Valid from ", e.srv.CertSHA256} {
		if !wz.certBox.Visible() || !strings.Contains(cert, want) {
			t.Fatalf("certificate box lacks %q: %q", want, cert)
		}
	}
	test.Tap(wz.trustBtn) // checks at once, with the wrong password
	e.waitStep(wz, stepSettings)
	t.Logf("wrong password: %s", wz.settingsErr.Text)
	if !strings.Contains(wz.settingsErr.Text, "did not accept the password") || !strings.Contains(wz.settingsErr.Text, "Nothing was saved") {
		t.Fatalf("error %q", wz.settingsErr.Text)
	}
	if len(e.core.Accounts()) != 0 || e.w.win.Canvas().Focused() != wz.sPassword {
		t.Fatalf("%d accounts after a wrong password; focus %v", len(e.core.Accounts()), e.w.win.Canvas().Focused())
	}
	if _, err := e.secrets.Get(context.Background(), "sam-wizard-test", "imap"); !errors.Is(err, accounts.ErrSecretNotFound) {
		t.Fatalf("a secret was stored: %v", err)
	}

	// The right password, but an SMTP port edited by hand to a closed one.
	wz.sPassword.SetText(wizPassword)
	wz.smtp.port.SetText(itoa(closedPort(t)))
	if !strings.Contains(wz.smtpEvidence.Text, "changed by hand") {
		t.Errorf("SMTP evidence after the edit: %q", wz.smtpEvidence.Text)
	}
	test.Tap(wz.nextBtn)
	e.waitStep(wz, stepSettings)
	t.Logf("closed port: %s", wz.settingsErr.Text)
	if !strings.Contains(wz.settingsErr.Text, "SMTP") || len(e.core.Accounts()) != 0 {
		t.Fatalf("error %q", wz.settingsErr.Text)
	}
	// Back to the port found: the evidence shows again, and SMTP's own
	// certificate (another port) asks for its own decision.
	wz.smtp.port.SetText(portOf(e.srv.SMTPAddr))
	if strings.Contains(wz.smtpEvidence.Text, "changed by hand") {
		t.Errorf("SMTP evidence after undoing the edit: %q", wz.smtpEvidence.Text)
	}
	test.Tap(wz.nextBtn)
	e.waitStep(wz, stepSettings)
	if !wz.certBox.Visible() || !strings.Contains(wz.certLabel.Text, smtpAddr) {
		t.Fatalf("no certificate question for SMTP: %q / %q", wz.certLabel.Text, wz.settingsErr.Text)
	}
	test.Tap(wz.trustBtn)
	e.waitStep(wz, stepDone)
	list := e.core.Accounts()
	if len(list) != 1 {
		t.Fatalf("accounts: %+v", list)
	}
	pins := list[0].PinnedCerts
	if len(pins) != 2 || pins[imapAddr] != e.srv.CertSHA256 || pins[smtpAddr] != e.srv.CertSHA256 {
		t.Fatalf("pins %v", pins)
	}
	e.waitSynced(list[0].ID)
	test.Tap(wz.nextBtn)
	if wz.open {
		t.Error("Done did not close the wizard")
	}
}

// Discovery that knows the servers (here the domain's own configuration)
// but cannot reach them shows them unverified, with the reason, and offers
// to save them without checking: the account is stored with its password,
// and the engine syncs once the servers can be reached.
func TestWizardSavesUnverifiedSettings(t *testing.T) {
	e := newWizardEnv(t, wizardSetup{})
	// offline.test names servers whose names do not resolve (.test never
	// does, on the fake network nor on a real one).
	e.net.Page("https://autoconfig.offline.test/mail/config-v1.1.xml", `<clientConfig version="1.1"><emailProvider id="offline.test">
<incomingServer type="imap"><hostname>imap.offline.test</hostname><port>993</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication></incomingServer>
<outgoingServer type="smtp"><hostname>smtp.offline.test</hostname><port>465</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication></outgoingServer>
</emailProvider></clientConfig>`)
	const email, password = "ola@offline.test", "ola-pw-7"
	e.w.showAddAccount()
	wz := e.openWizard()
	wz.email.SetText(email)
	wz.password.SetText(password)
	test.Tap(wz.nextBtn)
	e.waitStep(wz, stepSettings)
	const reason = "could not reach imap.offline.test: no such host — are you offline?"
	t.Logf("found: %s\nIMAP: %s\nunchecked: %s", wz.found.Text, wz.imapEvidence.Text, wz.uncheckedLabel.Text)
	if !strings.Contains(wz.found.Text, "could not reach the servers") || !strings.Contains(wz.imapEvidence.Text, "Not checked: "+reason) ||
		!strings.Contains(wz.smtpEvidence.Text, "could not reach smtp.offline.test") {
		t.Fatalf("the unverified settings are not shown with their reason: %q / %q / %q", wz.found.Text, wz.imapEvidence.Text, wz.smtpEvidence.Text)
	}
	if strings.Contains(wz.imapEvidence.Text, "answered in") {
		t.Errorf("a server never reached is said to have answered: %q", wz.imapEvidence.Text)
	}
	if !wz.uncheckedBox.Visible() || !strings.Contains(wz.uncheckedLabel.Text, "without checking") {
		t.Fatalf("no offer to save without checking: visible %v, %q", wz.uncheckedBox.Visible(), wz.uncheckedLabel.Text)
	}
	if wz.imap.host.Text != "imap.offline.test" || wz.imap.port.Text != "993" || wz.smtp.host.Text != "smtp.offline.test" {
		t.Fatalf("fields: %q:%q, %q", wz.imap.host.Text, wz.imap.port.Text, wz.smtp.host.Text)
	}
	if len(e.core.Accounts()) != 0 {
		t.Fatal("saved before the user chose to")
	}

	test.Tap(wz.saveUncheckedBtn)
	e.waitStep(wz, stepDone)
	t.Logf("done: %s", wz.doneLabel.Text)
	if !strings.Contains(wz.doneLabel.Text, "saved without checking") || !strings.Contains(wz.doneLabel.Text, "imap.offline.test:993: not checked") {
		t.Errorf("done page %q", wz.doneLabel.Text)
	}
	list := e.core.Accounts()
	if len(list) != 1 || list[0].Email != email || list[0].IMAP.Addr() != "imap.offline.test:993" || list[0].SMTP.Addr() != "smtp.offline.test:465" ||
		list[0].IMAP.Username != email {
		t.Fatalf("accounts: %+v", list)
	}
	if p, err := e.secrets.Get(context.Background(), list[0].ID, "imap"); err != nil || p != password {
		t.Fatalf("stored password: %v", err)
	}
	e.key(fyne.KeyReturn) // Done
	if wz.open {
		t.Error("Enter on the done page did not close the wizard")
	}
}

// Esc cancels: on the first page from an entry, and during discovery,
// whose lookups really stop.
func TestWizardEscCancels(t *testing.T) {
	e := newWizardEnv(t, wizardSetup{budget: time.Minute})
	// Discovery that would hang for the whole minute.
	e.net.HangPage("https://autoconfig.slow.test/mail/config-v1.1.xml")
	e.net.HangPage("https://slow.test/.well-known/autoconfig/mail/config-v1.1.xml")
	e.net.HangPage("https://autoconfig.thunderbird.net/v1.1/slow.test")
	e.net.HangDNS("slow.test")
	e.net.HangDNS("_imaps._tcp.slow.test")
	e.net.HangDNS("_submissions._tcp.slow.test")

	windowKeys := reflect.ValueOf(e.w.win.Canvas().OnTypedKey()).Pointer()
	e.w.showAddAccount()
	wz := e.openWizard()
	test.Type(wz.name, "Someone")
	e.key(fyne.KeyEscape)
	if wz.open || e.w.win.Canvas().Overlays().Top() != nil {
		t.Fatal("Esc in an entry did not close the wizard")
	}

	e.w.showAddAccount()
	wz = e.openWizard()
	wz.email.SetText("hal@slow.test")
	wz.password.SetText("pw")
	e.w.win.Canvas().Focus(wz.password)
	e.key(fyne.KeyReturn)
	if wz.step != stepDiscover || wz.active != 1 {
		t.Fatalf("step %q, %d running", wz.step, wz.active)
	}
	e.key(fyne.KeyEscape) // nothing focused: the window's handler
	if wz.open {
		t.Fatal("Esc during discovery did not close the wizard")
	}
	// Discover returns only when its context is canceled (its budget is
	// a minute, waitFor's limit 20 s).
	e.waitFor("discovery to stop", func() bool { return wz.active == 0 })
	if len(e.core.Accounts()) != 0 {
		t.Fatal("an account was added")
	}
	if reflect.ValueOf(e.w.win.Canvas().OnTypedKey()).Pointer() != windowKeys {
		t.Error("the wizard's key handler outlived it")
	}
}

// Edit an account (re-verified before saving; the engine restarts with the
// new settings and password), then remove it after confirmation.
func TestWizardEditAndRemoveAccount(t *testing.T) {
	var id string
	e := newWizardEnv(t, wizardSetup{trusted: true, setup: func(core *app.Core, srv *mailtest.Server) {
		a := accounts.Account{Name: "Sam", Email: wizEmail,
			IMAP: accounts.Endpoint{Host: "127.0.0.1", Port: atoiT(portOf(srv.IMAPAddr)), Security: accounts.SecurityTLS},
			SMTP: accounts.Endpoint{Host: "127.0.0.1", Port: atoiT(portOf(srv.SMTPAddr)), Security: accounts.SecurityTLS}}
		// A stale password: the engine cannot sign in until the edit.
		added, err := core.AddAccount(context.Background(), a, "stale-pw", &app.AddOptions{SkipVerify: true})
		if err != nil {
			panic(err)
		}
		id = added.ID
	}})
	e.waitFor("the main panes", e.w.showingMain)

	d := e.w.newAccountsDialog()
	d.dlg.Show()
	if n := len(accountRows(d)); n != 1 {
		t.Fatalf("%d rows", n)
	}
	test.Tap(e.accountRow(d, id).edit)
	wz := e.openWizard()
	if wz.step != stepSettings || wz.sEmail.Text != wizEmail || wz.imap.port.Text != portOf(e.srv.IMAPAddr) || wz.nextBtn.Text != "Check and save" {
		t.Fatalf("edit page: step %q email %q port %q button %q", wz.step, wz.sEmail.Text, wz.imap.port.Text, wz.nextBtn.Text)
	}
	// The stored password is re-checked when left empty: refused.
	wz.sName.SetText("Samuel")
	test.Tap(wz.nextBtn)
	e.waitStep(wz, stepSettings)
	if !strings.Contains(wz.settingsErr.Text, "did not accept the password") {
		t.Fatalf("error %q", wz.settingsErr.Text)
	}
	if a, _ := e.core.Account(id); a.Name != "Sam" {
		t.Fatalf("saved although the check failed: %+v", a)
	}
	test.Type(wz.sPassword, wizPassword)
	e.key(fyne.KeyReturn)
	e.waitStep(wz, stepDone)
	if a, _ := e.core.Account(id); a.Name != "Samuel" || a.IMAP.Username != wizEmail {
		t.Fatalf("after the edit: %+v", a)
	}
	if p, _ := e.secrets.Get(context.Background(), id, "imap"); p != wizPassword {
		t.Fatal("password not updated")
	}
	e.waitSynced(id) // the restarted engine signs in with the new password
	e.key(fyne.KeyReturn)
	bg := context.Background()
	if _, err := e.core.SaveDraft(bg, &store.Draft{Account: id, Subject: "unfinished"}, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.core.RecentAddresses(bg, id, "ann", 5); len(got) == 0 {
		t.Fatal("the synced message gave no address to complete: the removal check below would prove nothing")
	}

	d = e.w.newAccountsDialog()
	d.dlg.Show()
	test.Tap(e.accountRow(d, id).remove)
	keep, remove := e.removeConfirmation()
	if len(e.core.Accounts()) != 1 {
		t.Fatal("removed without confirmation")
	}
	test.Tap(keep)
	if keep, _ := e.findRemoveConfirmation(); len(e.core.Accounts()) != 1 || keep != nil {
		t.Fatal("removed after Keep, or the question stayed open")
	}
	test.Tap(e.accountRow(d, id).remove)
	_, remove = e.removeConfirmation()
	test.Tap(remove)
	// The dialog's message says how the removal ended.
	e.waitFor("the removal", func() bool { return d.msg.Visible() })
	if want := wizEmail + " was removed."; d.msg.Text != want || len(e.core.Accounts()) != 0 {
		t.Fatalf("after the removal: %q (want %q), %d accounts", d.msg.Text, want, len(e.core.Accounts()))
	}
	if _, err := e.secrets.Get(context.Background(), id, "imap"); !errors.Is(err, accounts.ErrSecretNotFound) {
		t.Errorf("secret left: %v", err)
	}
	if boxes, _ := e.core.Mailboxes(context.Background(), id); len(boxes) != 0 {
		t.Errorf("local data left: %d folders", len(boxes))
	}
	if drafts, _ := e.core.Drafts(bg, id); len(drafts) != 0 {
		t.Errorf("local data left: %d drafts", len(drafts))
	}
	if addrs, _ := e.core.RecentAddresses(bg, id, "", 5); len(addrs) != 0 {
		t.Errorf("local data left: addresses %v", addrs)
	}
	e.waitFor("the welcome screen", func() bool { return !e.w.showingMain() })
	if n := len(accountRows(d)); n != 0 {
		t.Errorf("list after removal: %d rows", n)
	}
}

// Without a keychain the wizard says so in plain words and offers to keep
// the password for this session only; the account then syncs.
func TestWizardWithoutKeychain(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/tern-gui-test")
	e := newWizardEnv(t, wizardSetup{trusted: true, secrets: accounts.NewKeyring(nil)})
	e.w.showAddAccount()
	wz := e.openWizard()
	wz.email.SetText(wizEmail)
	wz.password.SetText(wizPassword)
	test.Tap(wz.nextBtn)
	e.waitStep(wz, stepSettings)
	test.Tap(wz.nextBtn)
	e.waitStep(wz, stepSettings)
	t.Logf("keychain: %s", wz.settingsErr.Text)
	if !strings.Contains(wz.settingsErr.Text, "no keychain") || !wz.sessionBtn.Visible() || strings.Contains(wz.settingsErr.Text, wizPassword) {
		t.Fatalf("error %q, session button %v", wz.settingsErr.Text, wz.sessionBtn.Visible())
	}
	if len(e.core.Accounts()) != 0 {
		t.Fatal("account stored without a place for its password")
	}
	test.Tap(wz.sessionBtn)
	e.waitStep(wz, stepDone)
	if !strings.Contains(wz.doneLabel.Text, "until you quit") {
		t.Errorf("done page %q", wz.doneLabel.Text)
	}
	e.waitSynced(e.core.Accounts()[0].ID)
}

func atoiT(s string) int {
	var n int
	fmt.Sscanf(s, "%d", &n)
	return n
}

// accountRowButtons are one account's buttons in the accounts dialog.
type accountRowButtons struct {
	info         *widget.Label
	edit, remove *widget.Button
}

// accountRows finds the accounts dialog's rows, in order, by their buttons.
func accountRows(d *accountsDialog) []accountRowButtons {
	var rows []accountRowButtons
	for _, row := range d.list.Objects {
		var r accountRowButtons
		for _, o := range test.LaidOutObjects(row) {
			switch o := o.(type) {
			case *widget.Label:
				if r.info == nil {
					r.info = o
				}
			case *widget.Button:
				switch o.Text {
				case "Edit…":
					r.edit = o
				case "Remove…":
					r.remove = o
				}
			}
		}
		if r.edit != nil && r.remove != nil {
			rows = append(rows, r)
		}
	}
	return rows
}

// accountRow finds the row of account id, by its address.
func (e *wizardEnv) accountRow(d *accountsDialog, id string) accountRowButtons {
	e.t.Helper()
	a, ok := e.core.Account(id)
	if !ok {
		e.t.Fatalf("no account %s", id)
	}
	for _, r := range accountRows(d) {
		if r.info != nil && strings.Contains(r.info.Text, a.Email) {
			return r
		}
	}
	e.t.Fatalf("no row for %s in the accounts dialog", a.Email)
	return accountRowButtons{}
}

// removeConfirmation finds the open question before an account is removed.
func (e *wizardEnv) removeConfirmation() (keep, remove *widget.Button) {
	e.t.Helper()
	keep, remove = e.findRemoveConfirmation()
	if keep == nil || remove == nil {
		e.t.Fatal("no removal question is open")
	}
	return keep, remove
}

// findRemoveConfirmation returns the buttons of the removal question on top
// of the window, nil when it is not open.
func (e *wizardEnv) findRemoveConfirmation() (keep, remove *widget.Button) {
	if top := e.w.win.Canvas().Overlays().Top(); top != nil {
		for _, o := range test.LaidOutObjects(top) {
			if b, ok := o.(*widget.Button); ok {
				switch b.Text {
				case "Keep it":
					keep = b
				case "Remove":
					remove = b
				}
			}
		}
	}
	return keep, remove
}

// openPasswordPrompt finds the missing-password dialog on top of the window.
func (e *wizardEnv) openPasswordPrompt() *passwordPrompt {
	e.t.Helper()
	var p *passwordPrompt
	e.waitFor("the password dialog", func() bool {
		if top := e.w.win.Canvas().Overlays().Top(); top != nil {
			for _, o := range test.LaidOutObjects(top) {
				if en, ok := o.(*pwEntry); ok {
					p = en.p
					return true
				}
			}
		}
		return false
	})
	return p
}

// sameAccountWithoutPassword adds the wizard server's account with no
// password stored: it syncs only once the user gives one.
func sameAccountWithoutPassword(id *string) func(*app.Core, *mailtest.Server) {
	return func(core *app.Core, srv *mailtest.Server) {
		a := accounts.Account{Name: "Sam", Email: wizEmail,
			IMAP: accounts.Endpoint{Host: "127.0.0.1", Port: atoiT(portOf(srv.IMAPAddr)), Security: accounts.SecurityTLS},
			SMTP: accounts.Endpoint{Host: "127.0.0.1", Port: atoiT(portOf(srv.SMTPAddr)), Security: accounts.SecurityTLS}}
		added, err := core.AddAccount(context.Background(), a, "", &app.AddOptions{SkipVerify: true})
		if err != nil {
			panic(err)
		}
		*id = added.ID
	}
}

// At startup the window asks for the password of an account that has none
// stored: a wrong one is refused in words, the right one is kept in the
// keychain and the account syncs.
func TestMissingPasswordAskedAtStartup(t *testing.T) {
	var id string
	e := newWizardEnv(t, wizardSetup{trusted: true, setup: sameAccountWithoutPassword(&id)})
	p := e.openPasswordPrompt()
	if !strings.Contains(p.intro.Text, "no password for "+wizEmail) || p.session.Visible() {
		t.Fatalf("prompt %q, session button %v", p.intro.Text, p.session.Visible())
	}
	test.Type(p.entry, "wrong-pw")
	e.key(fyne.KeyReturn)
	e.waitFor("the refusal", func() bool { return !p.busy && strings.Contains(p.msg.Text, "did not accept the password") })
	if strings.Contains(p.msg.Text, "wrong-pw") {
		t.Fatalf("password in the message %q", p.msg.Text)
	}
	test.Type(p.entry, wizPassword)
	e.key(fyne.KeyReturn)
	e.waitFor("the dialog to close", func() bool { return !p.busy && len(p.queue) == 0 })
	if got, err := e.secrets.Get(context.Background(), id, "imap"); err != nil || got != wizPassword {
		t.Fatalf("keychain: %q %v", got, err)
	}
	e.waitSynced(id)
}

// Without a keychain: the startup prompt offers the session-only choice;
// editing the account then says that nothing was checked when the stored
// password cannot be read (never "the settings work"), and saves a new
// password for the session once the user chooses so.
func TestPasswordWithoutKeychainAtStartupAndEdit(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/tern-gui-test")
	var id string
	e := newWizardEnv(t, wizardSetup{trusted: true, secrets: accounts.NewKeyring(nil), setup: sameAccountWithoutPassword(&id)})
	p := e.openPasswordPrompt()
	if !strings.Contains(p.intro.Text, "keychain") || !p.session.Visible() {
		t.Fatalf("prompt %q, session button %v", p.intro.Text, p.session.Visible())
	}
	test.Tap(p.later)
	if len(p.queue) != 0 {
		t.Fatal("Later did not close the prompt")
	}

	// Edit with the password left empty: nothing can be checked.
	e.waitFor("the main panes", e.w.showingMain)
	d := e.w.newAccountsDialog()
	d.dlg.Show()
	test.Tap(e.accountRow(d, id).edit)
	wz := e.openWizard()
	test.Tap(wz.nextBtn)
	e.waitStep(wz, stepSettings)
	if !strings.Contains(wz.settingsErr.Text, "Nothing was checked") || strings.Contains(wz.settingsErr.Text, "The settings work") {
		t.Fatalf("error %q", wz.settingsErr.Text)
	}
	// With the password: the check works, the keychain does not, and the
	// session-only choice saves it.
	test.Type(wz.sPassword, wizPassword)
	test.Tap(wz.nextBtn)
	e.waitStep(wz, stepSettings)
	if !strings.Contains(wz.settingsErr.Text, "The settings work") || !wz.sessionBtn.Visible() {
		t.Fatalf("error %q, session button %v", wz.settingsErr.Text, wz.sessionBtn.Visible())
	}
	test.Tap(wz.sessionBtn)
	e.waitStep(wz, stepDone)
	if !strings.Contains(wz.doneLabel.Text, "until you quit") {
		t.Errorf("done page %q", wz.doneLabel.Text)
	}
	e.waitSynced(id)
	// Editing again re-checks with the session's password: no failure.
	e.key(fyne.KeyReturn)
	d = e.w.newAccountsDialog()
	d.dlg.Show()
	test.Tap(e.accountRow(d, id).edit)
	wz = e.openWizard()
	test.Tap(wz.nextBtn)
	e.waitStep(wz, stepDone)
}

package gui

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/autoconfig/autoconfigtest"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/message"
	"github.com/ternmail/tern/sync/imapsync"
	"github.com/ternmail/tern/sync/outbox"
)

// TestWizardOAuthToSyncedInboxAndSignInAgain goes from the address to a
// synced INBOX and a sent message through the browser sign-in, against
// the test authorization server and Dovecot/Postfix that check its
// tokens; then the grant is revoked, the status bar says "Sign in again",
// and its button signs in again. The browser opens once per click.
func TestWizardOAuthToSyncedInboxAndSignInAgain(t *testing.T) {
	srv := mailtest.StartOAuth(t, nil)
	real := mailtest.RealForTestWith(t, mailtest.RealOptions{OAuth: srv})
	user := mailtest.RealDefaultUsers[0]
	raw := fmt.Sprintf("From: Bob <bob@example.test>\r\nTo: %s\r\nSubject: Welcome to OAuth\r\nMessage-ID: <w@example.test>\r\nDate: %s\r\n\r\nHi.\r\n",
		user.Name, time.Now().Format(time.RFC1123Z))
	if err := real.Deliver(user.Name, []byte(raw)); err != nil {
		t.Fatal(err)
	}

	n := autoconfigtest.New(t)
	n.Roots.AppendCertsFromPEM(real.CertPEM)
	n.Page("https://autoconfig.example.test/mail/config-v1.1.xml", fmt.Sprintf(`<clientConfig version="1.1"><emailProvider id="example.test">
<incomingServer type="imap"><hostname>127.0.0.1</hostname><port>%s</port><socketType>STARTTLS</socketType><username>%%EMAILADDRESS%%</username><authentication>OAuth2</authentication></incomingServer>
<outgoingServer type="smtp"><hostname>127.0.0.1</hostname><port>%s</port><socketType>STARTTLS</socketType><username>%%EMAILADDRESS%%</username><authentication>OAuth2</authentication></outgoingServer>
</emailProvider></clientConfig>`, portOf(real.IMAPAddr), portOf(real.SubmissionAddr)))
	log := &testLog{t: t}
	core, err := app.New(app.Options{Home: t.TempDir(), Secrets: accounts.NewMemorySecrets(), Autoconfig: n.Options(),
		Sync: &imapsync.Options{Roots: n.Roots}, Outbox: &outbox.Options{Roots: n.Roots}, Logf: log.logf,
		OAuth: &app.OAuthOptions{Hosts: map[string]accounts.OAuthSettings{"127.0.0.1": {
			AuthURL: srv.AuthURL, TokenURL: srv.TokenURL, ClientID: srv.PublicClientID, Scopes: []string{"openid", "mail"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	core.Start()

	// The browser: signs in as the user, on a goroutine of its own as a
	// real browser would, and counts how often Tern opened it.
	var opened atomic.Int32
	b := mailtest.NewBrowser()
	a := test.NewTempApp(t)
	h := windowForWith(t, a, core, log, func(o *Options) {
		o.openURL = func(u *url.URL) error {
			opened.Add(1)
			go b.Authorize(context.Background(), u.String(), user.Name, user.Password, true)
			return nil
		}
	})
	h.waitFor("the window to load", func() bool { return h.w.loaded })
	e := &wizardEnv{harness: h, net: n}

	test.Tap(h.w.welcome.addBtn)
	wz := e.openWizard()
	test.Type(wz.name, "Alice")
	h.w.win.Canvas().Focus(wz.email)
	test.Type(wz.email, user.Name)
	e.key("Return") // no password: the provider signs in in the browser
	e.waitStep(wz, stepOAuth)
	if wz.heading.Text != "Sign in in your browser" || !strings.Contains(wz.oauthIntro.Text, "sign in as "+user.Name) || opened.Load() != 0 {
		t.Fatalf("sign-in page: %q / %q, browser opened %d times", wz.heading.Text, wz.oauthIntro.Text, opened.Load())
	}
	test.Tap(wz.oauthBtn)
	if !wz.oauthWaiting.Visible() || !wz.oauthBtn.Disabled() {
		t.Fatal("no waiting line, or the button can be clicked again, while the browser is open")
	}
	test.Tap(wz.oauthBtn) // a second click while waiting does nothing
	e.waitStep(wz, stepDone)
	t.Logf("done: %s", wz.doneLabel.Text)
	if opened.Load() != 1 || !strings.Contains(wz.doneLabel.Text, "signed in as "+user.Name) {
		t.Fatalf("browser opened %d times; done page %q", opened.Load(), wz.doneLabel.Text)
	}
	id := wz.saved.ID
	e.waitFor("the INBOX synced", func() bool {
		mb, err := core.FindMailbox(context.Background(), id, "INBOX")
		return err == nil && mb.Total > 0
	})
	ctx := context.Background()
	it, err := core.Send(ctx, id, &message.Draft{To: []message.Address{{Email: mailtest.RealDefaultUsers[1].Name}}, Subject: "Sent after OAuth", Text: "Hi Bob.\n"}, &app.SendOptions{NoUndo: true})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if it, err = core.WaitSent(wctx, it.ID); err != nil || it.State != "sent" {
		t.Fatalf("send: %+v %v", it, err)
	}
	test.Tap(wz.nextBtn) // Done

	// The grant is revoked (its access tokens too): the next sign-in, the
	// outbox's for a new message, is refused, and the status bar asks to
	// sign in again.
	srv.Revoke(user.Name)
	held, err := core.Send(ctx, id, &message.Draft{To: []message.Address{{Email: mailtest.RealDefaultUsers[1].Name}}, Subject: "Held for sign-in", Text: "Hi.\n"}, &app.SendOptions{NoUndo: true})
	if err != nil {
		t.Fatal(err)
	}
	si := func() bool { btn := h.w.status.signins[id]; return btn != nil && btn.Visible() }
	e.waitFor("the Sign in again button", si)
	if l := h.w.status.labels[id].Text; !strings.Contains(l, "Sign in again") {
		t.Fatalf("status %q", l)
	}
	test.Tap(h.w.status.signins[id])
	e.waitFor("signed in again", func() bool { return !si() && !core.NeedsSignIn(id) })
	if opened.Load() != 2 {
		t.Fatalf("browser opened %d times for two clicks", opened.Load())
	}
	if it, err = core.WaitSent(wctx, held.ID); err != nil || it.State != "sent" {
		t.Fatalf("the message held while signed out: %+v %v", it, err)
	}
}

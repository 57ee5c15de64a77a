package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/oauth"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/message"
	"github.com/ternmail/tern/store"
)

// TestOAuthAccountEndToEnd signs an account in through the browser
// against the test authorization server, syncs and sends through
// Dovecot and Postfix that check its tokens, loses the grant (revoked)
// with a message waiting in the outbox, shows "sign in again", signs in
// again and finds the message sent and new mail synced. Then it scans
// every file Tern wrote, and its log, for the tokens.
func TestOAuthAccountEndToEnd(t *testing.T) {
	srv := mailtest.StartOAuth(t, &mailtest.OAuthOptions{RollRefreshTokens: true})
	real := mailtest.RealForTestWith(t, mailtest.RealOptions{OAuth: srv})
	user := mailtest.RealDefaultUsers[0]
	home := t.TempDir()
	var logMu sync.Mutex
	var logBuf strings.Builder
	logf := func(format string, args ...any) {
		logMu.Lock()
		fmt.Fprintf(&logBuf, format+"\n", args...)
		logMu.Unlock()
		t.Logf(format, args...)
	}
	sec := accounts.NewMemorySecrets()
	c, err := New(Options{Home: home, Secrets: sec, Logf: logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	ctx := context.Background()
	imapEP, smtpEP := endpointOf(t, real.IMAPAddr), endpointOf(t, real.SubmissionAddr)
	imapEP.Auth, smtpEP.Auth = accounts.AuthOAuth2, accounts.AuthOAuth2
	a := accounts.Account{Name: "Alice", Email: user.Name, IMAP: imapEP, SMTP: smtpEP,
		PinnedCerts: map[string]string{real.IMAPAddr: real.CertSHA256, real.SubmissionAddr: real.CertSHA256},
		OAuth:       &accounts.OAuthSettings{AuthURL: srv.AuthURL, TokenURL: srv.TokenURL, ClientID: srv.PublicClientID, Scopes: []string{"openid", "mail"}}}

	var tokens []string // every token Tern held, for the scan
	var opened atomic.Int32
	g, err := c.SignInNew(ctx, a, browserOpener(user.Name, user.Password, &opened))
	if err != nil || opened.Load() != 1 {
		t.Fatalf("sign-in: %v; browser opened %d times", err, opened.Load())
	}
	// Verified as the wizard does, with the sign-in's token: IMAP and
	// SMTP both take it; another user's token is refused in words.
	if v, err := c.VerifyAccount(ctx, a, g.AccessToken(), nil); err != nil || !v.IMAP.OK || !v.SMTP.OK {
		t.Fatalf("verify with the token: %v", err)
	}
	other, err := srv.IssueToken(mailtest.RealDefaultUsers[1].Name)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.VerifyAccount(ctx, a, other, nil)
	var ae *accounts.AuthError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "did you sign in in the browser as "+user.Name) || strings.Contains(err.Error(), other) {
		t.Fatalf("verify with another user's token: %v", err)
	}
	acct, err := c.AddAccount(ctx, a, "", &AddOptions{SkipVerify: true, OAuth: g})
	if err != nil {
		t.Fatal(err)
	}
	tokens = append(tokens, g.AccessToken(), g.tok.RefreshToken)

	deliver := func(subject string) {
		raw := fmt.Sprintf("From: Bob <bob@example.test>\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%d@example.test>\r\nDate: %s\r\n\r\nHi.\r\n",
			user.Name, subject, time.Now().UnixNano(), time.Now().Format(time.RFC1123Z))
		if err := real.Deliver(user.Name, []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	inboxHas := func(subject string) bool {
		mb, err := c.store.MailboxByRole(ctx, acct.ID, store.RoleInbox)
		if err != nil {
			return false
		}
		msgs, _ := c.Messages(ctx, mb.ID, 0, 100)
		for _, m := range msgs {
			if m.Subject == subject {
				return true
			}
		}
		return false
	}
	send := func(subject string) OutboxItem {
		d := &message.Draft{To: []message.Address{{Email: user.Name}}, Subject: subject, Text: "Sent with OAuth.\n"}
		it, err := c.Send(ctx, acct.ID, d, &SendOptions{NoUndo: true})
		if err != nil {
			t.Fatal(err)
		}
		return it
	}

	deliver("Before the sign-in")
	c.Start()
	waitUntil(t, "the INBOX synced", func() bool { return inboxHas("Before the sign-in") })
	it := send("First with OAuth")
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if it, err = c.WaitSent(wctx, it.ID); err != nil || it.State != store.OutboxSent {
		t.Fatalf("send: %+v %v", it, err)
	}
	waitUntil(t, "the sent message delivered", func() bool { return inboxHas("First with OAuth") })

	// The user withdraws Tern's access at the provider.
	srv.Revoke(user.Name)
	deliver("While signed out")
	held := send("Queued while signed out")
	c.SyncNow(acct.ID)
	waitUntil(t, "sign in again", func() bool { return c.Status(acct.ID).State == StateSignIn })
	if it, _ := c.OutboxItem(ctx, held.ID); it.State == store.OutboxFailed || it.State == store.OutboxSent {
		t.Fatalf("the message while signed out: %s (%s), want it waiting", it.State, it.LastError)
	}

	opened.Store(0)
	if err := c.SignIn(ctx, acct.ID, browserOpener(user.Name, user.Password, &opened)); err != nil || opened.Load() != 1 {
		t.Fatalf("sign in again: %v; browser opened %d times", err, opened.Load())
	}
	if it, err = c.WaitSent(wctx, held.ID); err != nil || it.State != store.OutboxSent {
		t.Fatalf("the held message after signing in again: %+v %v", it, err)
	}
	waitUntil(t, "mail that came while signed out", func() bool { return inboxHas("While signed out") && inboxHas("Queued while signed out") })
	if st := c.Status(acct.ID); st.State == StateSignIn {
		t.Fatalf("status %+v after signing in again", st)
	}

	ts, _ := c.TokenSource(acct.ID)
	at, _ := ts.Token(ctx)
	rt, _ := sec.Get(ctx, acct.ID, oauth.ServerOAuth)
	tokens = append(tokens, at, rt)
	c.Shutdown()

	// No token in any file under the home (accounts.toml, the store, its
	// bodies, the locks) nor in the log.
	scanned := 0
	filepath.WalkDir(home, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		scanned++
		for _, tok := range tokens {
			if tok != "" && strings.Contains(string(data), tok) {
				t.Errorf("%s holds a token", path)
			}
		}
		return nil
	})
	logMu.Lock()
	for _, tok := range tokens {
		if tok != "" && strings.Contains(logBuf.String(), tok) {
			t.Error("the log holds a token")
		}
	}
	logMu.Unlock()
	if scanned < 2 {
		t.Fatalf("scanned %d files", scanned)
	}
}

package app

import (
	"context"
	"crypto/x509"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/autoconfig"
	"github.com/ternmail/tern/accounts/health"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/message"
	"github.com/ternmail/tern/sync/outbox"
)

func newHealthCore(t *testing.T, opts *mailtest.ServerOptions, bodyDays int) (*Core, *mailtest.Server, accounts.Account) {
	t.Helper()
	srv := mailtest.ServerForTest(t, opts)
	c, err := New(Options{Home: t.TempDir(), Secrets: accounts.NewMemorySecrets(),
		Outbox: &outbox.Options{UndoDelay: time.Millisecond, RetryBase: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	a := mailtest.DemoAccount(srv)
	a.Sync.BodiesMaxAgeDays = bodyDays
	acct, err := c.AddAccount(context.Background(), a, srv.Password, &AddOptions{SkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv, acct
}

// TestHealthOfAWorkingAccount: both servers pass with the stored
// password, and the local state reports the sync and the bodies not
// downloaded (those older than the account's limit).
func TestHealthOfAWorkingAccount(t *testing.T) {
	c, _, acct := newHealthCore(t, &mailtest.ServerOptions{TLS: true, Seed: mailtest.DemoSeed(time.Now())}, 2)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := c.SyncOnce(ctx, acct.ID); err != nil {
		t.Fatal(err)
	}
	r, err := c.Health(ctx, acct.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Failed() {
		t.Fatalf("a working account failed: %+v %+v %+v", r.Incoming.Steps, r.Outgoing.Steps, r.Local)
	}
	for _, s := range []*HealthServer{r.Incoming, r.Outgoing} {
		if st, ok := s.Step(health.StepSignIn); !ok || st.Status != health.StatusOK {
			t.Errorf("%s sign-in: %+v", s.Protocol, st)
		}
	}
	l := r.Local
	if l.Folders == 0 || l.SyncedFolders != l.Folders || l.LastSynced.IsZero() || l.OldestSynced.After(l.LastSynced) {
		t.Errorf("sync state %+v", l)
	}
	if l.LastFullSync.IsZero() || l.LastFullSync.Before(r.Checked.Add(-time.Minute)) || l.FullSyncDuration < 0 {
		t.Errorf("last full sync %v, took %v", l.LastFullSync, l.FullSyncDuration)
	}
	if l.MissingBodies == 0 {
		t.Errorf("no body missing, though bodies older than 2 days are not downloaded: %+v", l)
	}
	if l.Pending != 0 || l.OutboxWaiting != 0 || len(l.OutboxFailed) != 0 {
		t.Errorf("pending/outbox %+v", l)
	}
}

// TestHealthMessageTooBig: a message the server refused for its SIZE is
// diagnosed with the server's words and its limit.
func TestHealthMessageTooBig(t *testing.T) {
	c, _, acct := newHealthCore(t, &mailtest.ServerOptions{TLS: true, SMTPMaxBytes: 4000}, 0)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := &message.Draft{To: []message.Address{{Email: "bob@example.com"}}, Subject: "Holiday photos",
		Text: strings.Repeat("a long line of text that makes the message big\n", 400)}
	it, err := c.Send(ctx, acct.ID, d, &SendOptions{NoUndo: true})
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.startOutboxLocked()
	c.mu.Unlock()
	if it, err = c.WaitSent(ctx, it.ID); err == nil && it.State == OutboxSent {
		t.Fatalf("a message over SIZE was sent: %+v", it)
	}
	r, err := c.Health(ctx, acct.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outgoing.SizeLimit != 4000 {
		t.Errorf("SizeLimit %d", r.Outgoing.SizeLimit)
	}
	if len(r.Local.OutboxFailed) != 1 || r.Local.OutboxFailed[0].LastError == "" {
		t.Fatalf("outbox %+v", r.Local.OutboxFailed)
	}
	var got *HealthDiagnosis
	for i := range r.Local.Diagnoses {
		if r.Local.Diagnoses[i].Code == health.DiagTooBig {
			got = &r.Local.Diagnoses[i]
		}
	}
	if got == nil || !strings.Contains(got.Summary, "Holiday photos") || !strings.Contains(got.Summary, "3.9 KiB") {
		t.Fatalf("diagnoses %+v", r.Local.Diagnoses)
	}
	if !r.Failed() {
		t.Error("the report does not count the refused message as a failure")
	}
}

// TestHealthMessageOverPostfixLimit: real Postfix with a small
// message_size_limit refuses a message; the report names the message, the
// limit the server announced, and the server's words.
func TestHealthMessageOverPostfixLimit(t *testing.T) {
	alice := mailtest.RealUser{Name: "alice@example.test", Password: "alice-pw-h"}
	real := mailtest.RealForTest(t, alice)
	if err := real.ReconfigurePostfix("message_size_limit = 3000"); err != nil {
		t.Fatal(err)
	}
	c, acct := coreWithRealAccount(t, real, alice)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := &message.Draft{To: []message.Address{{Email: "bob@example.test"}}, Subject: "Scanned contract",
		Text: strings.Repeat("a long line of text that makes the message big\n", 200)}
	it, err := c.Send(ctx, acct.ID, d, &SendOptions{NoUndo: true})
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.startOutboxLocked()
	c.mu.Unlock()
	if it, err = c.WaitSent(ctx, it.ID); err == nil && it.State == OutboxSent {
		t.Fatalf("a message over message_size_limit was sent: %+v", it)
	}
	r, err := c.Health(ctx, acct.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outgoing.SizeLimit != 3000 || r.Outgoing.Failed() {
		t.Errorf("SizeLimit %d, steps %+v", r.Outgoing.SizeLimit, r.Outgoing.Steps)
	}
	var got *HealthDiagnosis
	for i := range r.Local.Diagnoses {
		if r.Local.Diagnoses[i].Code == health.DiagTooBig {
			got = &r.Local.Diagnoses[i]
		}
	}
	if got == nil || !strings.Contains(got.Summary, "Scanned contract") || !strings.Contains(got.Summary, "2.9 KiB the server accepts") {
		t.Fatalf("diagnoses %+v, outbox %+v", r.Local.Diagnoses, r.Local.OutboxFailed)
	}
	t.Logf("%s / %s", got.Summary, got.Evidence)
}

// TestHealthSwitchEndpoint: an account set to a port that refuses gets the
// diagnosis with the working port as its action; applying it saves the
// account with that port and the re-check passes.
func TestHealthSwitchEndpoint(t *testing.T) {
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true})
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(srv.CertPEM) {
		t.Fatal("no certificate")
	}
	portMap := func(_ string, port int) string {
		switch port {
		case 993:
			return srv.IMAPAddr
		case 465:
			return srv.SMTPAddr
		}
		return "127.0.0.1:1" // refuses
	}
	home := t.TempDir()
	c, err := New(Options{Home: home, Secrets: accounts.NewMemorySecrets(), Autoconfig: &autoconfig.Options{Roots: roots, PortMap: portMap}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	a := accounts.Account{Email: srv.Username,
		IMAP: accounts.Endpoint{Host: "127.0.0.1", Port: 143, Security: accounts.SecuritySTARTTLS, Username: srv.Username},
		SMTP: accounts.Endpoint{Host: "127.0.0.1", Port: 465, Security: accounts.SecurityTLS, Username: srv.Username}}
	acct, err := c.AddAccount(context.Background(), a, srv.Password, &AddOptions{SkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := c.Health(ctx, acct.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := r.Incoming.Diagnosis(health.DiagRefused)
	if !ok || d.Action == nil || d.Action.Kind != health.ActionSwitchEndpoint || d.Action.Endpoint == nil {
		t.Fatalf("diagnoses %+v", r.Incoming.Diagnoses)
	}
	r, err = c.SwitchEndpoint(ctx, acct.ID, r.Incoming.Protocol, *d.Action.Endpoint, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Failed() {
		t.Fatalf("the re-check failed: %+v", r.Incoming.Steps)
	}
	saved, _ := c.Account(acct.ID)
	if saved.IMAP.Port != 993 || saved.IMAP.Security != accounts.SecurityTLS || saved.IMAP.Username != srv.Username {
		t.Errorf("saved %+v", saved.IMAP)
	}
}

// TestHealthSentCopyOverQuota: on a real Dovecot with the mailbox over its
// quota, a message is sent but its copy to Sent is refused
// ([OVERQUOTA]); the report shows the refused copy and diagnoses the full
// mailbox from it, as from the quota the server reports.
func TestHealthSentCopyOverQuota(t *testing.T) {
	alice := mailtest.RealUser{Name: "alice@example.test", Password: "alice-pw-q"}
	bob := mailtest.RealUser{Name: "bob@example.test", Password: "bob-pw-q"}
	real := mailtest.RealForTest(t, alice, bob)
	c, acct := coreWithRealAccount(t, real, alice)
	c.Start()
	waitFirstSync(t, c, acct)
	for i := range 3 {
		msg := "From: bob@example.test\r\nTo: alice@example.test\r\nSubject: big " + strconv.Itoa(i) + "\r\n\r\n" + strings.Repeat("x", 2000) + "\r\n"
		if err := real.Deliver(alice.Name, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	if err := real.ReconfigureDovecot(`mail_plugins = $mail_plugins quota
protocol imap {
  mail_plugins = $mail_plugins imap_quota
}
plugin {
  quota = count:User quota
  quota_rule = *:storage=4K
  quota_vsizes = yes
}`); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	it, err := c.Send(ctx, acct.ID, &message.Draft{To: []message.Address{{Email: bob.Name}}, Subject: "Minutes", Text: "Short.\n"}, &SendOptions{NoUndo: true})
	if err != nil {
		t.Fatal(err)
	}
	if it, err = c.WaitSent(ctx, it.ID); err != nil || it.State != OutboxSent {
		t.Fatalf("send: %+v %v", it, err)
	}
	waitUntil(t, "the refused copy to Sent", func() bool {
		got, err := c.OutboxItem(ctx, it.ID)
		return err == nil && got.LastError != ""
	})
	r, err := c.Health(ctx, acct.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Local.SentCopyFailed) != 1 || !strings.Contains(r.Local.SentCopyFailed[0].LastError, "OVERQUOTA") {
		t.Fatalf("sent copies %+v", r.Local.SentCopyFailed)
	}
	var got *HealthDiagnosis
	for i := range r.Local.Diagnoses {
		if r.Local.Diagnoses[i].Code == health.DiagOverQuota {
			got = &r.Local.Diagnoses[i]
		}
	}
	if got == nil || !strings.Contains(got.Evidence, "OVERQUOTA") {
		t.Fatalf("diagnoses %+v", r.Local.Diagnoses)
	}
	if _, ok := r.Incoming.Diagnosis(health.DiagOverQuota); !ok {
		t.Errorf("the IMAP check did not find the quota full: %+v", r.Incoming.Steps)
	}
	t.Logf("%s / %s", got.Summary, got.Evidence)
}

// TestHealthFewerConnections: the fix for too many connections saves the
// account with one connection (what the engine then keeps) and checks it
// again; the saved setting survives a restart of the core.
func TestHealthFewerConnections(t *testing.T) {
	c, _, acct := newHealthCore(t, &mailtest.ServerOptions{TLS: true}, 0)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if acct.Sync.Connections != 0 {
		t.Fatalf("a new account has %d connections set", acct.Sync.Connections)
	}
	r, err := c.FewerConnections(ctx, acct.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Failed() {
		t.Errorf("the re-check failed: %+v %+v", r.Incoming.Steps, r.Outgoing.Steps)
	}
	saved, _ := c.Account(acct.ID)
	if saved.Sync.Connections != 1 {
		t.Fatalf("saved %+v", saved.Sync)
	}
	home := c.opts.Home
	c.Shutdown()
	c2, err := New(Options{Home: home, Secrets: accounts.NewMemorySecrets()})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Shutdown()
	if again, _ := c2.Account(acct.ID); again.Sync.Connections != 1 {
		t.Errorf("after a restart %+v", again.Sync)
	}
}

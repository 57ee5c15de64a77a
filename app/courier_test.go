package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
)

// courierClient logs in to real as user, a second device beside Tern.
func courierClient(t *testing.T, real *mailtest.Real, user mailtest.RealUser) *imapclient.Client {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(real.CertPEM)
	c, err := imapclient.DialStartTLS(real.IMAPAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user.Name, user.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCourierNamespace runs Tern against Dovecot configured like
// Courier-IMAP: every folder under "INBOX." with "." between levels, no
// SPECIAL-USE, no MOVE, no CONDSTORE, no LIST-STATUS. The special folders
// get their roles from their names without the prefix, names are shown
// without it ("Reisen/Zürich"), a new folder is created under it, and
// archive, delete and a saved draft land in INBOX.Archive, INBOX.Trash and
// INBOX.Drafts on the server.
func TestCourierNamespace(t *testing.T) {
	alice := mailtest.RealUser{Name: "alice@example.test", Password: "alice-pw-c"}
	real := mailtest.RealForTestWith(t, mailtest.RealOptions{Users: []mailtest.RealUser{alice}, Courier: true})
	other := courierClient(t, real, alice)
	if err := other.Create("INBOX.Reisen.Zürich", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	trip := "From: Hotel <desk@hotel.example>\r\nSubject: Your room in Zurich\r\nMessage-ID: <room@hotel.example>\r\n\r\nSee you.\r\n"
	app := other.Append("INBOX.Reisen.Zürich", int64(len(trip)), nil)
	app.Write([]byte(trip))
	app.Close()
	if _, err := app.Wait(); err != nil {
		t.Fatal(err)
	}
	for _, subject := range []string{"to archive", "to delete", "to keep"} {
		raw := "From: bob@example.test\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject[3:] + "@example.test>\r\n\r\nhi\r\n"
		if err := real.Deliver(alice.Name, []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}

	c, acct := coreWithRealAccount(t, real, alice)
	ctx := context.Background()
	sync := func() {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if _, err := c.SyncOnce(sctx, acct.ID); err != nil {
			t.Fatal(err)
		}
	}
	sync()

	for role, name := range map[store.Role]string{store.RoleInbox: "INBOX", store.RoleDrafts: "INBOX.Drafts", store.RoleSent: "INBOX.Sent",
		store.RoleTrash: "INBOX.Trash", store.RoleArchive: "INBOX.Archive"} {
		mb, err := c.store.MailboxByRole(ctx, acct.ID, role)
		if err != nil || mb.Name != name {
			t.Errorf("role %s: %q (%v), want %q", role, mb.Name, err, name)
			continue
		}
		if role != store.RoleInbox && (mb.Parent() != "" || mb.Depth() != 0 || mb.Path() != name[len("INBOX."):]) {
			t.Errorf("%s is shown as %q at depth %d under %q, want at the top as %q", name, mb.Path(), mb.Depth(), mb.Parent(), name[len("INBOX."):])
		}
	}
	zurich, err := c.FindMailbox(ctx, acct.ID, "Reisen/Zürich")
	if err != nil {
		t.Fatal(err)
	}
	if zurich.Name != "INBOX.Reisen.Zürich" || zurich.Leaf() != "Zürich" || zurich.Depth() != 1 || zurich.Parent() != "INBOX.Reisen" {
		t.Fatalf("Reisen/Zürich is %q, leaf %q, depth %d, under %q", zurich.Name, zurich.Leaf(), zurich.Depth(), zurich.Parent())
	}
	if msgs, _ := c.Messages(ctx, zurich.ID, 0, 10); len(msgs) != 1 || msgs[0].Subject != "Your room in Zurich" {
		t.Fatalf("Reisen/Zürich holds %+v", msgs)
	}

	if err := c.CreateFolder(ctx, acct.ID, "Projekte/Tern"); err != nil {
		t.Fatal(err)
	}
	created, err := c.FindMailbox(ctx, acct.ID, "Projekte/Tern")
	if err != nil || created.Name != "INBOX.Projekte.Tern" {
		t.Fatalf("the new folder is %q (%v), want INBOX.Projekte.Tern", created.Name, err)
	}

	inbox, _ := c.store.MailboxByRole(ctx, acct.ID, store.RoleInbox)
	msgs, err := c.Messages(ctx, inbox.ID, 0, 10)
	if err != nil || len(msgs) != 3 {
		t.Fatalf("INBOX holds %d messages (%v), want 3", len(msgs), err)
	}
	bySubject := map[string]int64{}
	for _, m := range msgs {
		bySubject[m.Subject] = m.ID
	}
	if err := c.Archive(ctx, bySubject["to archive"]); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, bySubject["to delete"]); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SaveDraft(ctx, &store.Draft{Account: acct.ID, From: "Alice <alice@example.test>", To: "bob@example.test", Subject: "Plans", Body: "draft\n"}, true); err != nil {
		t.Fatal(err)
	}
	sync()

	subjects := func(name string) []string {
		t.Helper()
		sel, err := other.Select(name, nil).Wait()
		if err != nil {
			t.Fatalf("select %s: %v", name, err)
		}
		if sel.NumMessages == 0 {
			return nil
		}
		var all imap.SeqSet
		all.AddRange(1, sel.NumMessages)
		bufs, err := other.Fetch(all, &imap.FetchOptions{Envelope: true}).Collect()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, b := range bufs {
			out = append(out, b.Envelope.Subject)
		}
		slices.Sort(out)
		return out
	}
	for name, want := range map[string][]string{"INBOX": {"to keep"}, "INBOX.Archive": {"to archive"}, "INBOX.Trash": {"to delete"},
		"INBOX.Drafts": {"Plans"}, "INBOX.Projekte.Tern": nil} {
		if got := subjects(name); !slices.Equal(got, want) {
			t.Errorf("%s on the server holds %q, want %q", name, got, want)
		}
	}
}

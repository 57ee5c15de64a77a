package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/ternmail/tern/internal/mailtest"
)

// switchProxy forwards connections to target while up is set, and closes
// them at once otherwise: an IMAP server that is down, then back.
type switchProxy struct {
	ln     net.Listener
	target string
	up     atomic.Bool
}

func newSwitchProxy(t *testing.T, target string) *switchProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &switchProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !p.up.Load() {
				c.Close()
				continue
			}
			go func() {
				defer c.Close()
				s, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer s.Close()
				go func() { io.Copy(s, c); s.Close() }()
				io.Copy(c, s)
			}()
		}
	}()
	return p
}

// sentCount returns how many messages user's Sent folder holds on the
// server, and whether one has the subject.
func sentCount(t *testing.T, real *mailtest.Real, user mailtest.RealUser, subject string) (int, bool) {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(real.CertPEM)
	c, err := imapclient.DialStartTLS(real.IMAPAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user.Name, user.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select("Sent", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.NumMessages == 0 {
		return 0, false
	}
	var all imap.SeqSet
	all.AddRange(1, sel.NumMessages)
	bufs, err := c.Fetch(all, &imap.FetchOptions{Envelope: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, b := range bufs {
		found = found || (b.Envelope != nil && b.Envelope.Subject == subject)
	}
	return len(bufs), found
}

// TestCLISendFilesSentCopyRealDovecot sends from an account that was just
// added and never synced, through Postfix: the copy is in Sent on Dovecot
// when tern send returns, and it says so. With the IMAP server down the
// copy is reported queued, and the next single tern sync files it (the
// pass that learns the folder list files what waited for it).
func TestCLISendFilesSentCopyRealDovecot(t *testing.T) {
	alice := mailtest.RealUser{Name: "alice@example.test", Password: "alice-pw-3"}
	bob := mailtest.RealUser{Name: "bob@example.test", Password: "bob-pw-3"}
	real := mailtest.RealForTest(t, alice, bob)
	proxy := newSwitchProxy(t, real.IMAPAddr)
	proxy.up.Store(true)
	c := newCLI(t)
	c.ok(alice.Password+"\n", "account", "add", "--email", alice.Name, "--imap", proxy.ln.Addr().String()+":starttls",
		"--smtp", real.SubmissionAddr+":starttls", "--accept-cert", real.CertSHA256, "--password-stdin")

	out := c.ok("Hello Bob.\n", "send", "--to", bob.Name, "--subject", "filed at once")
	if !strings.Contains(out, "Sent message ") || !strings.Contains(out, "Filed a copy in Sent.") {
		t.Fatalf("send said %q", out)
	}
	if n, found := sentCount(t, real, alice, "filed at once"); n != 1 || !found {
		t.Fatalf("alice's Sent holds %d messages (the copy: %v), want the copy alone", n, found)
	}

	proxy.up.Store(false)
	var item outboxJSON
	if err := json.Unmarshal([]byte(c.ok("Hello again.\n", "send", "--to", bob.Name, "--subject", "filed later", "--json")), &item); err != nil {
		t.Fatal(err)
	}
	if item.State != "sent" || item.SentCopy != "queued" || item.SentCopyError == "" {
		t.Fatalf("send with IMAP down: %+v", item)
	}
	if n, _ := sentCount(t, real, alice, ""); n != 1 {
		t.Fatalf("alice's Sent holds %d messages with IMAP down, want 1", n)
	}
	proxy.up.Store(true)
	c.ok("", "sync")
	if n, found := sentCount(t, real, alice, "filed later"); n != 2 || !found {
		t.Fatalf("after one sync alice's Sent holds %d messages (the second copy: %v), want 2", n, found)
	}
}

// TestCLISyncFilesSentCopyInFirstPass queues a copy for Sent before the
// account's folders were ever listed (IMAP down while sending), then runs
// a single sync: that pass lists the folders and files the copy.
func TestCLISyncFilesSentCopyInFirstPass(t *testing.T) {
	alice := mailtest.RealUser{Name: "alice@example.test", Password: "alice-pw-4"}
	real := mailtest.RealForTest(t, alice)
	proxy := newSwitchProxy(t, real.IMAPAddr)
	proxy.up.Store(true) // account add signs in
	c := newCLI(t)
	c.ok(alice.Password+"\n", "account", "add", "--email", alice.Name, "--imap", proxy.ln.Addr().String()+":starttls",
		"--smtp", real.SubmissionAddr+":starttls", "--accept-cert", real.CertSHA256, "--password-stdin")
	proxy.up.Store(false)
	out := c.ok("Hello.\n", "send", "--to", alice.Name, "--subject", "before any sync")
	if !strings.Contains(out, "queued") {
		t.Fatalf("send with IMAP down said %q", out)
	}
	proxy.up.Store(true)
	c.ok("", "sync")
	if n, found := sentCount(t, real, alice, "before any sync"); n != 1 || !found {
		t.Fatalf("after the first sync alice's Sent holds %d messages (the copy: %v), want it", n, found)
	}
}

// TestCLICourierSendAndFolders runs the command line against Dovecot
// configured like Courier-IMAP (every folder under "INBOX.", no
// SPECIAL-USE): folders are listed without the prefix and with their
// roles, "sent" and "Reisen/Zürich" name folders, and tern send files its
// copy in INBOX.Sent.
func TestCLICourierSendAndFolders(t *testing.T) {
	alice := mailtest.RealUser{Name: "alice@example.test", Password: "alice-pw-5"}
	real := mailtest.RealForTestWith(t, mailtest.RealOptions{Users: []mailtest.RealUser{alice}, Courier: true})
	if err := real.Deliver(alice.Name, []byte("From: bob@example.test\r\nSubject: hello\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t)
	c.ok(alice.Password+"\n", "account", "add", "--email", alice.Name, "--imap", real.IMAPAddr+":starttls",
		"--smtp", real.SubmissionAddr+":starttls", "--accept-cert", real.CertSHA256, "--password-stdin")
	c.ok("", "sync")
	var folders []folderJSON
	if err := json.Unmarshal([]byte(c.ok("", "folders", "--json")), &folders); err != nil {
		t.Fatal(err)
	}
	roles := map[string]string{}
	for _, f := range folders {
		roles[string(f.Role)] = f.Name + " as " + f.Path
	}
	for role, want := range map[string]string{"sent": "INBOX.Sent as Sent", "drafts": "INBOX.Drafts as Drafts",
		"trash": "INBOX.Trash as Trash", "archive": "INBOX.Archive as Archive"} {
		if roles[role] != want {
			t.Errorf("role %s: %q, want %q", role, roles[role], want)
		}
	}
	if text := c.ok("", "folders"); strings.Contains(text, "INBOX.") {
		t.Errorf("tern folders shows the namespace prefix:\n%s", text)
	}
	out := c.ok("Hello.\n", "send", "--to", alice.Name, "--subject", "to myself")
	if !strings.Contains(out, "Filed a copy in Sent.") {
		t.Fatalf("send said %q", out)
	}
	c.ok("", "sync")
	if list := c.ok("", "list", "sent"); !strings.Contains(list, "to myself") {
		t.Fatalf("tern list sent:\n%s", list)
	}
}

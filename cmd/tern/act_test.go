package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"

	"github.com/ternmail/tern/internal/mailtest"
)

// serverMsg is a message as the IMAP server holds it.
type serverMsg struct {
	UID     uint32
	Flags   []string // sorted, without \Recent
	Subject string
}

// serverFolder returns what user's folder holds on the server, by UID.
func serverFolder(t testing.TB, real *mailtest.Real, user mailtest.RealUser, folder string) map[uint32]serverMsg {
	t.Helper()
	c, err := imapclient.DialStartTLS(real.IMAPAddr, &imapclient.Options{TLSConfig: real.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user.Name, user.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	got, err := fetchFolder(c, folder)
	if err != nil {
		t.Fatalf("%s on the server: %v", folder, err)
	}
	return got
}

// fetchFolder reads the UIDs, flags and subjects of folder (read-only).
func fetchFolder(c *imapclient.Client, folder string) (map[uint32]serverMsg, error) {
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, err
	}
	out := map[uint32]serverMsg{}
	if sel.NumMessages == 0 {
		return out, nil
	}
	var all imap.SeqSet
	all.AddRange(1, sel.NumMessages)
	bufs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true, Envelope: true}).Collect()
	if err != nil {
		return nil, err
	}
	for _, b := range bufs {
		m := serverMsg{UID: uint32(b.UID), Flags: cleanFlags(flagStrings(b.Flags))}
		if b.Envelope != nil {
			m.Subject = b.Envelope.Subject
		}
		out[m.UID] = m
	}
	return out, nil
}

func flagStrings(fl []imap.Flag) []string {
	var s []string
	for _, f := range fl {
		s = append(s, string(f))
	}
	return s
}

// cleanFlags sorts flags, drops \Recent (a session's, not the message's)
// and folds the system flags' case.
func cleanFlags(flags []string) []string {
	out := []string{}
	for _, f := range flags {
		if strings.EqualFold(f, `\Recent`) {
			continue
		}
		if strings.HasPrefix(f, `\`) {
			f = `\` + strings.ToUpper(f[1:2]) + strings.ToLower(f[2:])
		}
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

func hasFlag(flags []string, flag string) bool {
	for _, f := range flags {
		if strings.EqualFold(f, flag) {
			return true
		}
	}
	return false
}

// listed returns tern list FOLDER --json, by UID.
func listed(t *testing.T, c *cli, folder string) map[uint32]messageJSON {
	t.Helper()
	var list []messageJSON
	if err := json.Unmarshal([]byte(c.ok("", "list", folder, "--limit", "100000", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	out := map[uint32]messageJSON{}
	for _, m := range list {
		out[m.UID] = m
	}
	return out
}

// bySubject returns the UID of the message with subject in box (0 if none)
// and how many have it.
func bySubject(box map[uint32]serverMsg, subject string) (uint32, int) {
	var uid uint32
	n := 0
	for _, m := range box {
		if m.Subject == subject {
			uid, n = m.UID, n+1
		}
	}
	return uid, n
}

// actSetup starts Dovecot with six messages in alice's INBOX (subjects
// "m1" … "m6", UIDs 1 … 6) and a synced account reached through a proxy
// that can be switched off.
func actSetup(t *testing.T) (*mailtest.Real, mailtest.RealUser, *switchProxy, *cli) {
	alice := mailtest.RealUser{Name: "alice@example.test", Password: "alice-pw-act"}
	real := mailtest.RealForTest(t, alice)
	for i := 1; i <= 6; i++ {
		raw := fmt.Sprintf("From: bob@example.test\r\nTo: alice@example.test\r\nSubject: m%d\r\nMessage-ID: <m%d@example.test>\r\n\r\nbody %d\r\n", i, i, i)
		if err := real.Deliver(alice.Name, []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	proxy := newSwitchProxy(t, real.IMAPAddr)
	proxy.up.Store(true)
	c := newCLI(t)
	c.ok(alice.Password+"\n", "account", "add", "--email", alice.Name, "--imap", proxy.ln.Addr().String()+":starttls",
		"--smtp", real.SubmissionAddr+":starttls", "--accept-cert", real.CertSHA256, "--password-stdin")
	c.ok("", "sync")
	return real, alice, proxy, c
}

// TestCLIActionsRealDovecot marks, stars, moves, archives and deletes with
// the command line and checks Dovecot's state after each command: every
// verb has reached the server when it exits, and the store shows the
// moved messages in their new folders.
func TestCLIActionsRealDovecot(t *testing.T) {
	real, alice, _, c := actSetup(t)

	out := c.ok("", "mark", "INBOX", "1", "2", "--read")
	if !strings.Contains(out, "Marked 2 messages read in INBOX.") {
		t.Errorf("mark said %q", out)
	}
	c.ok("", "mark", "inbox", "3,2", "--star")
	c.ok("", "mark", "INBOX", "1", "--unread")
	inbox := serverFolder(t, real, alice, "INBOX")
	for uid, want := range map[uint32][]string{1: {}, 2: {`\Flagged`, `\Seen`}, 3: {`\Flagged`}, 4: {}} {
		if got := inbox[uid].Flags; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("UID %d on the server has flags %v, want %v", uid, got, want)
		}
	}

	c.ok("", "move", "INBOX", "4", "--to", "Junk")
	out = c.ok("", "archive", "INBOX", "5")
	if !strings.Contains(out, "Archived 1 message from INBOX.") {
		t.Errorf("archive said %q", out)
	}
	c.ok("", "delete", "INBOX", "6")
	inbox = serverFolder(t, real, alice, "INBOX")
	if len(inbox) != 3 {
		t.Errorf("INBOX holds %d messages on the server, want 3: %v", len(inbox), inbox)
	}
	for folder, subject := range map[string]string{"Junk": "m4", "Archive": "m5", "Trash": "m6"} {
		box := serverFolder(t, real, alice, folder)
		uid, n := bySubject(box, subject)
		if n != 1 || len(box) != 1 {
			t.Errorf("%s on the server: %v, want %s alone", folder, box, subject)
			continue
		}
		// The command's pass has stored the message under its new UID.
		if m, ok := listed(t, c, folder)[uid]; !ok || m.Subject != subject {
			t.Errorf("tern list %s has no UID %d %s: %v", folder, uid, subject, listed(t, c, folder))
		}
	}

	// Deleting in Trash deletes for good.
	trashUID, _ := bySubject(serverFolder(t, real, alice, "Trash"), "m6")
	c.ok("", "delete", "Trash", fmt.Sprint(trashUID))
	if box := serverFolder(t, real, alice, "Trash"); len(box) != 0 {
		t.Errorf("Trash on the server after deleting there: %v", box)
	}
}

// TestCLIActionsBadInput checks that unknown folders, UIDs the store does
// not hold and missing flags are one-line errors with a non-zero status
// that change nothing, here or on the server.
func TestCLIActionsBadInput(t *testing.T) {
	real, alice, _, c := actSetup(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"mark", "Nowhere", "1", "--read"}, `no folder "Nowhere"`},
		{[]string{"mark", "INBOX", "1", "77", "--read"}, "no message with UID 77 in INBOX"},
		{[]string{"mark", "INBOX", "1"}, "usage: tern mark"},
		{[]string{"mark", "INBOX", "1", "--read", "--unread"}, "contradict"},
		{[]string{"mark", "INBOX", "x1", "--read"}, `not "x1"`},
		{[]string{"mark", "INBOX", "--star"}, "usage: tern mark FOLDER UID..."},
		{[]string{"move", "INBOX", "1"}, "usage: tern move"},
		{[]string{"move", "INBOX", "1", "--to", "Nowhere"}, `no folder "Nowhere"`},
		{[]string{"move", "INBOX", "1", "--to", "INBOX"}, "in INBOX already"},
		{[]string{"delete", "INBOX", "1", "--read"}, "--read belongs to tern mark"},
		{[]string{"archive", "INBOX", "1", "2", "99", "98"}, "no messages with UIDs 99, 98 in INBOX"},
	} {
		if errs := c.fails("", tc.args...); !strings.Contains(errs, tc.want) {
			t.Errorf("tern %s: %q, want it to say %q", strings.Join(tc.args, " "), errs, tc.want)
		}
	}
	if n := len(listed(t, c, "INBOX")); n != 6 {
		t.Errorf("INBOX shows %d messages after bad commands, want 6", n)
	}
	for uid, m := range serverFolder(t, real, alice, "INBOX") {
		if len(m.Flags) != 0 {
			t.Errorf("UID %d has flags %v on the server after bad commands", uid, m.Flags)
		}
	}
}

// TestCLIActionsQueuedWhileOffline acts with the IMAP server unreachable:
// each command changes the store at once, says in one line how many
// actions wait and why, and succeeds; a message moved away is no longer
// there to act on; the next command, with the server back, sends them all.
func TestCLIActionsQueuedWhileOffline(t *testing.T) {
	real, alice, proxy, c := actSetup(t)
	proxy.up.Store(false)
	out := c.ok("", "mark", "INBOX", "1", "2", "--star")
	want := "queued: 2 actions will be sent at the next sync (cannot reach the IMAP server " + proxy.ln.Addr().String() + ": "
	if !strings.HasPrefix(out, want) || strings.Count(out, "\n") != 1 {
		t.Errorf("mark offline said %q, want one line starting %q", out, want)
	}
	out = c.ok("", "delete", "INBOX", "3")
	if !strings.HasPrefix(out, "queued: 3 actions will be sent at the next sync (") {
		t.Errorf("delete offline said %q", out)
	}
	var res actJSON
	if err := json.Unmarshal([]byte(c.ok("", "move", "INBOX", "4", "--to", "Archive", "--json")), &res); err != nil {
		t.Fatal(err)
	}
	if res.Queued != 4 || !strings.Contains(res.QueuedWhy, "cannot reach") || res.Changed != 1 {
		t.Errorf("move offline --json: %+v", res)
	}
	local := listed(t, c, "INBOX")
	if _, ok := local[3]; ok || !hasFlag(local[1].Flags, `\Flagged`) || len(local) != 4 {
		t.Errorf("the store after acting offline: %v", local)
	}
	if errs := c.fails("", "mark", "INBOX", "3", "--read"); !strings.Contains(errs, "no message with UID 3 in INBOX") {
		t.Errorf("acting on a message deleted offline: %q", errs)
	}
	for uid, m := range serverFolder(t, real, alice, "INBOX") {
		if len(m.Flags) != 0 {
			t.Errorf("UID %d has flags %v on the server while it was unreachable", uid, m.Flags)
		}
	}

	proxy.up.Store(true)
	out = c.ok("", "mark", "INBOX", "5", "--read")
	if !strings.Contains(out, "Marked 1 message read in INBOX.") {
		t.Errorf("mark with the server back said %q", out)
	}
	inbox := serverFolder(t, real, alice, "INBOX")
	for uid, want := range map[uint32]string{1: `\Flagged`, 2: `\Flagged`, 5: `\Seen`, 6: ""} {
		if got := strings.Join(inbox[uid].Flags, " "); got != want {
			t.Errorf("UID %d on the server: flags %q, want %q", uid, got, want)
		}
	}
	if _, ok := inbox[3]; ok {
		t.Error("UID 3 is still in INBOX on the server")
	}
	if _, ok := inbox[4]; ok {
		t.Error("UID 4 is still in INBOX on the server")
	}
	if _, n := bySubject(serverFolder(t, real, alice, "Trash"), "m3"); n != 1 {
		t.Errorf("m3 is %d times in Trash on the server", n)
	}
	if _, n := bySubject(serverFolder(t, real, alice, "Archive"), "m4"); n != 1 {
		t.Errorf("m4 is %d times in Archive on the server", n)
	}
}

// TestCLIActionRefusedByServer moves a message to a folder deleted on the
// server since the last sync: the server refuses, the command fails in
// one line, and the message is back in INBOX.
func TestCLIActionRefusedByServer(t *testing.T) {
	real, alice, _, c := actSetup(t)
	ic, err := imapclient.DialStartTLS(real.IMAPAddr, &imapclient.Options{TLSConfig: real.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer ic.Close()
	if err := ic.Login(alice.Name, alice.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := ic.Create("Gone", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	c.ok("", "sync")
	if err := ic.Delete("Gone").Wait(); err != nil {
		t.Fatal(err)
	}
	errs := c.fails("", "move", "INBOX", "2", "--to", "Gone")
	if !strings.Contains(errs, "the server refused 1 action(s), undone here: UID 2") {
		t.Errorf("refused move said %q", errs)
	}
	if _, ok := listed(t, c, "INBOX")[2]; !ok {
		t.Error("UID 2 is not back in INBOX after the server refused the move")
	}
	if _, ok := serverFolder(t, real, alice, "INBOX")[2]; !ok {
		t.Error("UID 2 left INBOX on the server")
	}
}

// fetchCutProxy forwards plaintext IMAP connections to target, and closes
// each one once the server has sent it cutAfter FETCH responses: a sync
// cut short in the middle of a folder's headers, as a kill leaves it.
type fetchCutProxy struct {
	ln       net.Listener
	cutAfter int
}

func newFetchCutProxy(t *testing.T, target string, cutAfter int) *fetchCutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &fetchCutProxy{ln: ln, cutAfter: cutAfter}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c, target)
		}
	}()
	return p
}

func (p *fetchCutProxy) serve(c net.Conn, target string) {
	defer c.Close()
	s, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer s.Close()
	go func() { io.Copy(s, c); s.Close() }()
	word := []byte(" FETCH (")
	seen, tail, buf := 0, []byte{}, make([]byte, 32<<10)
	for {
		n, err := s.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
			// Count across reads: keep the last bytes of the previous one.
			scan := append(tail, buf[:n]...)
			seen += bytes.Count(scan, word)
			tail = append([]byte{}, scan[max(0, len(scan)-len(word)+1):]...)
		}
		if err != nil || seen >= p.cutAfter {
			return
		}
	}
}

// TestCLIActAfterFirstSyncCutShort acts on a message that a first sync
// cut short in the middle of INBOX's headers has stored: tern list shows
// it, so tern mark finds it by its UID (the folder's UIDVALIDITY is stored
// before its first message), and the mark reaches the server.
func TestCLIActAfterFirstSyncCutShort(t *testing.T) {
	alice := mailtest.RealUser{Name: "alice@example.test", Password: "alice-pw-cut"}
	real := mailtest.RealForTest(t, alice)
	const total = 1500
	conn, err := net.Dial("tcp", real.LMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	lc := smtp.NewClientLMTP(conn)
	defer lc.Close()
	if err := lc.Hello("localhost"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < total; i++ {
		raw := fmt.Sprintf("From: bob@example.test\r\nSubject: c%d\r\nMessage-ID: <c%d@example.test>\r\n\r\nbody\r\n", i, i)
		if err := lc.SendMail("", []string{alice.Name}, strings.NewReader(raw)); err != nil {
			t.Fatal(err)
		}
	}
	// Headers come in batches of 500: after 1,200 FETCH responses two
	// batches are stored and the third is cut off.
	proxy := newFetchCutProxy(t, real.IMAPAddr, 1200)
	c := newCLI(t)
	c.ok(alice.Password+"\n", "account", "add", "--email", alice.Name, "--imap", proxy.ln.Addr().String()+":none",
		"--smtp", real.SubmissionAddr+":starttls", "--accept-cert", real.CertSHA256, "--password-stdin")
	c.fails("", "sync")
	inbox := listed(t, c, "INBOX")
	if len(inbox) == 0 || len(inbox) >= total {
		t.Fatalf("the cut sync stored %d of INBOX's %d messages; the test wants some, not all", len(inbox), total)
	}
	var uid uint32
	for u := range inbox {
		uid = u
		break
	}
	c.ok("", "mark", "INBOX", fmt.Sprint(uid), "--star")
	if m := serverFolder(t, real, alice, "INBOX")[uid]; !hasFlag(m.Flags, `\Flagged`) {
		t.Errorf("UID %d on the server after tern mark --star: %+v", uid, m)
	}
}

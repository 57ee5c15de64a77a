package mailtest

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

var (
	realAlice = RealUser{Name: "alice@example.test", Password: "alice-pw"}
	realBob   = RealUser{Name: "bob@example.test", Password: "b:ob pw!"} // exercises {PLAIN.B64}
)

func realTestMessage(from, to, subject string) []byte {
	return []byte(fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%d.%s>\r\n\r\nHello from mailtest.\r\n",
		from, to, subject, time.Now().Format(time.RFC1123Z), time.Now().UnixNano(), from))
}

type realIMAPMode int

const (
	realIMAPS realIMAPMode = iota
	realSTARTTLS
)

func realDialIMAP(t *testing.T, r *Real, mode realIMAPMode) *imapclient.Client {
	t.Helper()
	opts := &imapclient.Options{TLSConfig: r.TLSConfig()}
	var c *imapclient.Client
	var err error
	switch mode {
	case realIMAPS:
		c, err = imapclient.DialTLS(r.IMAPSAddr, opts)
	case realSTARTTLS:
		c, err = imapclient.DialStartTLS(r.IMAPAddr, opts)
	}
	if err != nil {
		t.Fatalf("dial IMAP: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func realLogin(t *testing.T, r *Real, mode realIMAPMode, u RealUser) *imapclient.Client {
	t.Helper()
	c := realDialIMAP(t, r, mode)
	if err := c.Login(u.Name, u.Password).Wait(); err != nil {
		t.Fatalf("LOGIN %s: %v\n%s", u.Name, err, r.LogTail(20))
	}
	return c
}

func realInboxCount(t *testing.T, c *imapclient.Client) uint32 {
	t.Helper()
	st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatalf("STATUS INBOX: %v", err)
	}
	return *st.NumMessages
}

// realWaitSubject polls (bounded) until INBOX holds a message with subject.
func realWaitSubject(t *testing.T, r *Real, c *imapclient.Client, subject string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if n := realInboxCount(t, c); n > 0 {
			if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
				t.Fatalf("SELECT INBOX: %v", err)
			}
			ss := imap.SeqSet{}
			ss.AddRange(1, n)
			msgs, err := c.Fetch(ss, &imap.FetchOptions{Envelope: true, ModSeq: true, UID: true}).Collect()
			if err != nil {
				t.Fatalf("FETCH: %v", err)
			}
			for _, m := range msgs {
				if m.Envelope != nil && m.Envelope.Subject == subject {
					if m.ModSeq == 0 {
						t.Errorf("message %q has no MODSEQ (CONDSTORE not working?)", subject)
					}
					if err := c.Unselect().Wait(); err != nil {
						t.Fatalf("UNSELECT: %v", err)
					}
					return
				}
			}
			if err := c.Unselect().Wait(); err != nil {
				t.Fatalf("UNSELECT: %v", err)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %q not in INBOX after %v\n%s", subject, timeout, r.LogTail(30))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestRealServers(t *testing.T) {
	t.Parallel()
	start := time.Now()
	r := RealForTest(t, realAlice, realBob)
	t.Logf("StartReal took %v", time.Since(start))

	if r.Domain != "example.test" || len(r.Users) != 2 {
		t.Errorf("Domain=%q Users=%v", r.Domain, r.Users)
	}

	t.Run("IMAPSLoginCapsAndSpecialUse", func(t *testing.T) {
		c := realLogin(t, r, realIMAPS, realAlice)
		caps := c.Caps()
		for _, want := range []imap.Cap{imap.CapIdle, imap.CapCondStore, imap.CapQResync, imap.CapSpecialUse} {
			if !caps.Has(want) {
				t.Errorf("capability %s missing; have %v", want, caps)
			}
		}
		// The certificate presented is the one we generated.
		tc, err := tls.Dial("tcp", r.IMAPSAddr, r.TLSConfig())
		if err != nil {
			t.Fatalf("TLS dial IMAPS: %v", err)
		}
		st := tc.ConnectionState()
		tc.Close()
		sum := sha256.Sum256(st.PeerCertificates[0].Raw)
		if got := "SHA256:" + strings.ToUpper(hex.EncodeToString(sum[:])); got != r.CertSHA256 {
			t.Errorf("server cert fingerprint %s, want %s", got, r.CertSHA256)
		}

		list, err := c.List("", "*", nil).Collect()
		if err != nil {
			t.Fatalf("LIST: %v", err)
		}
		got := map[imap.MailboxAttr]string{}
		var names []string
		for _, l := range list {
			names = append(names, l.Mailbox)
			for _, a := range l.Attrs {
				got[a] = l.Mailbox
			}
		}
		want := map[imap.MailboxAttr]string{
			imap.MailboxAttrSent: "Sent", imap.MailboxAttrDrafts: "Drafts", imap.MailboxAttrTrash: "Trash",
			imap.MailboxAttrJunk: "Junk", imap.MailboxAttrArchive: "Archive",
		}
		for a, name := range want {
			if got[a] != name {
				t.Errorf("special-use %s: got mailbox %q, want %q (mailboxes %v)", a, got[a], name, names)
			}
		}
		if !slices.Contains(names, "INBOX") {
			t.Errorf("no INBOX in %v", names)
		}
		if err := c.Logout().Wait(); err != nil {
			t.Errorf("LOGOUT: %v", err)
		}
	})

	t.Run("STARTTLSLogin", func(t *testing.T) {
		c := realLogin(t, r, realSTARTTLS, realBob)
		if _, err := c.Select("Sent", nil).Wait(); err != nil {
			t.Errorf("SELECT Sent: %v", err)
		}
	})

	t.Run("PlaintextLoginOnLoopback", func(t *testing.T) {
		c, err := imapclient.DialInsecure(r.IMAPAddr, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Login(realAlice.Name, realAlice.Password).Wait(); err != nil {
			t.Fatalf("plaintext LOGIN: %v", err)
		}
	})

	t.Run("IDLESeesDelivery", func(t *testing.T) {
		counts := make(chan uint32, 16)
		opts := &imapclient.Options{
			TLSConfig: r.TLSConfig(),
			UnilateralDataHandler: &imapclient.UnilateralDataHandler{
				Mailbox: func(d *imapclient.UnilateralDataMailbox) {
					if d.NumMessages != nil {
						counts <- *d.NumMessages
					}
				},
			},
		}
		c, err := imapclient.DialTLS(r.IMAPSAddr, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Login(realBob.Name, realBob.Password).Wait(); err != nil {
			t.Fatal(err)
		}
		sel, err := c.Select("INBOX", nil).Wait()
		if err != nil {
			t.Fatal(err)
		}
		idle, err := c.Idle()
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		if err := r.Deliver(realBob.Name, realTestMessage("idle@example.org", realBob.Name, "idle")); err != nil {
			t.Fatal(err)
		}
		select {
		case n := <-counts:
			if n != sel.NumMessages+1 {
				t.Errorf("EXISTS %d, want %d", n, sel.NumMessages+1)
			}
			t.Logf("IDLE saw the delivery after %v", time.Since(t0))
		case <-time.After(10 * time.Second):
			t.Error("no EXISTS during IDLE within 10s")
		}
		if err := idle.Close(); err != nil {
			t.Fatal(err)
		}
		if err := idle.Wait(); err != nil {
			t.Errorf("IDLE: %v", err)
		}
	})

	t.Run("WrongPasswordFails", func(t *testing.T) {
		c := realDialIMAP(t, r, realIMAPS)
		if err := c.Login(realAlice.Name, "wrong").Wait(); err == nil {
			t.Error("LOGIN with wrong password succeeded")
		}
		c2 := realDialIMAP(t, r, realIMAPS)
		if err := c2.Login("nobody@example.test", "x").Wait(); err == nil {
			t.Error("LOGIN of unknown user succeeded")
		}
	})

	t.Run("DeliverLMTP", func(t *testing.T) {
		c := realLogin(t, r, realIMAPS, realAlice)
		subject := "lmtp seeded " + time.Now().Format(time.RFC3339Nano)
		if err := r.Deliver(realAlice.Name, realTestMessage("seed@example.org", realAlice.Name, subject)); err != nil {
			t.Fatal(err)
		}
		realWaitSubject(t, r, c, subject, 5*time.Second)
		files, _ := filepath.Glob(filepath.Join(r.MaildirPath(realAlice.Name), "*", "*"))
		if len(files) == 0 {
			t.Errorf("no message files under %s", r.MaildirPath(realAlice.Name))
		}
		if err := r.Deliver("nobody@example.test", realTestMessage("a@b", "nobody@example.test", "x")); err == nil {
			t.Error("LMTP delivery to unknown user succeeded")
		}
	})

	t.Run("SubmitAliceToBob", func(t *testing.T) {
		c := realLogin(t, r, realIMAPS, realBob)
		subject := "submitted " + time.Now().Format(time.RFC3339Nano)
		t0 := time.Now()
		if err := r.Submit(realAlice, realAlice.Name, []string{realBob.Name}, realTestMessage(realAlice.Name, realBob.Name, subject)); err != nil {
			t.Fatal(err)
		}
		realWaitSubject(t, r, c, subject, 15*time.Second)
		t.Logf("submission to INBOX took %v", time.Since(t0))
	})

	t.Run("SubmitWrongPasswordFails", func(t *testing.T) {
		bad := RealUser{Name: realAlice.Name, Password: "nope"}
		if err := r.Submit(bad, realAlice.Name, []string{realBob.Name}, realTestMessage(realAlice.Name, realBob.Name, "x")); err == nil {
			t.Error("submission with wrong password succeeded")
		}
	})

	t.Run("SubmissionRefusesAuthBeforeSTARTTLS", func(t *testing.T) {
		c, err := smtp.Dial(r.SubmissionAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Hello("client.example.test"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := c.Extension("STARTTLS"); !ok {
			t.Error("STARTTLS not offered")
		}
		if ok, _ := c.Extension("AUTH"); ok {
			t.Error("AUTH offered before STARTTLS")
		}
		err = c.Auth(sasl.NewPlainClient("", realAlice.Name, realAlice.Password))
		var se *smtp.SMTPError
		if err == nil {
			t.Fatal("AUTH before STARTTLS succeeded")
		} else if !errors.As(err, &se) || se.Code/100 != 5 {
			t.Errorf("AUTH before STARTTLS: got %v, want a 5xx reply", err)
		}
	})

	t.Run("SubmissionRefusesUnauthenticatedMail", func(t *testing.T) {
		c, err := r.DialSubmission()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if ok, _ := c.Extension("AUTH"); !ok {
			t.Error("AUTH not offered after STARTTLS")
		}
		err = c.SendMail(realAlice.Name, []string{realBob.Name}, strings.NewReader("Subject: x\r\n\r\nx\r\n"))
		if err == nil {
			t.Error("unauthenticated submission accepted")
		}
	})

	t.Run("SubmitUnknownLocalRecipientRejected", func(t *testing.T) {
		err := r.Submit(realAlice, realAlice.Name, []string{"nobody@example.test"}, realTestMessage(realAlice.Name, "nobody@example.test", "x"))
		if err == nil {
			t.Error("submission to unknown local user accepted")
		}
	})
}

func TestRealTwoInstances(t *testing.T) {
	t.Parallel()
	if err := RealAvailable(); err != nil {
		t.Fatal(err)
	}
	users := [][]RealUser{
		{{Name: "carol@one.test", Password: "carol-1"}},
		{{Name: "carol@one.test", Password: "carol-2"}, {Name: "dave@two.test", Password: "dave-2"}},
	}
	rs := make([]*Real, len(users))
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs[i], errs[i] = StartReal(&RealOptions{Users: users[i], Logf: t.Logf})
		}()
	}
	wg.Wait()
	for i, r := range rs {
		if r != nil {
			t.Cleanup(func() { r.Close() })
		}
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
	}
	a, b := rs[0], rs[1]
	if a.Dir == b.Dir || a.IMAPSAddr == b.IMAPSAddr || a.SubmissionAddr == b.SubmissionAddr || a.CertSHA256 == b.CertSHA256 {
		t.Fatalf("instances share resources: %+v / %+v", a, b)
	}
	for i, r := range rs {
		u := users[i][0]
		subject := fmt.Sprintf("instance %d", i)
		if err := r.Deliver(u.Name, realTestMessage("x@example.org", u.Name, subject)); err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		c := realLogin(t, r, realIMAPS, u)
		realWaitSubject(t, r, c, subject, 5*time.Second)
		if n := realInboxCount(t, c); n != 1 {
			t.Errorf("instance %d: INBOX has %d messages, want 1", i, n)
		}
	}
	// Passwords are per instance.
	c := realDialIMAP(t, a, realIMAPS)
	if err := c.Login("carol@one.test", "carol-2").Wait(); err == nil {
		t.Error("instance 0 accepted instance 1's password")
	}
	// Cross-domain submission on instance 1, delivered locally.
	subject := "cross-domain"
	if err := b.Submit(users[1][1], "dave@two.test", []string{"carol@one.test", "someone@elsewhere.example"}, realTestMessage("dave@two.test", "carol@one.test", subject)); err != nil {
		t.Fatal(err)
	}
	realWaitSubject(t, b, realLogin(t, b, realSTARTTLS, users[1][0]), subject, 15*time.Second)
}

func TestRealCloseStopsEverything(t *testing.T) {
	t.Parallel()
	if err := RealAvailable(); err != nil {
		t.Fatal(err)
	}
	r, err := StartReal(&RealOptions{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Users) != len(RealDefaultUsers) {
		t.Errorf("default users: got %v", r.Users)
	}
	c := realLogin(t, r, realIMAPS, RealDefaultUsers[0])
	pids := []int{r.dovecot.cmd.Process.Pid, r.postfix.cmd.Process.Pid}
	t0 := time.Now()
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	t.Logf("Close took %v", time.Since(t0))
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	for _, pid := range pids {
		if realGroupAlive(pid) {
			t.Errorf("process group %d still has live processes after Close", pid)
		}
	}
	if _, err := os.Stat(r.Dir); !os.IsNotExist(err) {
		t.Errorf("Dir %s still exists after Close (err %v)", r.Dir, err)
	}
	select {
	case <-c.Closed():
	case <-time.After(5 * time.Second):
		t.Error("IMAP connection still open after Close")
	}
}

func TestRealCallerDirAndBadUsers(t *testing.T) {
	t.Parallel()
	if err := RealAvailable(); err != nil {
		t.Fatal(err)
	}
	if _, err := StartReal(&RealOptions{Users: []RealUser{{Name: "nodomain", Password: "x"}}}); err == nil {
		t.Error("user without domain accepted")
	}
	dir, err := os.MkdirTemp("", "tern-real-caller-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	r, err := StartReal(&RealOptions{Dir: filepath.Join(dir, strings.Repeat("long-directory-name-", 4)), Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	if !r.ownSock || len(r.queueDir) > 60 || len(r.runDir) > 60 {
		t.Errorf("long Dir should put sockets below a short dir; got %s, %s", r.runDir, r.queueDir)
	}
	if err := r.Deliver("bob@example.test", realTestMessage("x@example.org", "bob@example.test", "long dir")); err != nil {
		t.Error(err)
	}
	if err := r.Close(); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(r.Dir); err != nil {
		t.Errorf("caller-supplied Dir removed by Close: %v", err)
	}
	if _, err := os.Stat(r.sockBase); !os.IsNotExist(err) {
		t.Errorf("socket dir %s left behind", r.sockBase)
	}
}

func TestRealStartFailureCleansUp(t *testing.T) {
	t.Parallel()
	if err := RealAvailable(); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "tern-real-fail-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	_, err = StartReal(&RealOptions{Dir: dir, StartTimeout: time.Nanosecond})
	if err == nil {
		t.Fatal("StartReal with a 1ns timeout succeeded")
	}
	if !strings.Contains(err.Error(), "not ready: timed out") {
		t.Errorf("error lacks diagnostics: %v", err)
	}
	// The servers that were started must be gone: StartReal stops them,
	// process groups and all, before it returns.
	for _, name := range []string{"dovecot/dovecot.conf", "postfix/etc/main.cf"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if out, _ := exec.Command("pgrep", "-f", dir).Output(); len(out) > 0 {
		t.Errorf("processes still running for %s: %s", dir, out)
	}
}

// realGreeter listens on loopback and writes greeting to every connection.
func realGreeter(t *testing.T, greeting string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, greeting)
			c.Close()
		}
	}()
	return l.Addr().String()
}

// TestRealWaitReadyDeadline checks that a server which answers at once
// is still not ready when the deadline has passed before the probe.
func TestRealWaitReadyDeadline(t *testing.T) {
	t.Parallel()
	addr := realGreeter(t, "* OK Dovecot ready, "+realInstanceTag("abc")+".\r\n")
	proc := &realProc{done: make(chan struct{})}
	check := realExpectGreeting("* OK", "abc")
	err := realWaitReady(addr, proc, time.Now().Add(time.Nanosecond), check)
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("1ns deadline: %v, want a timeout", err)
	}
	if err := realWaitReady(addr, proc, time.Now().Add(time.Minute), check); err != nil {
		t.Errorf("ready server: %v", err)
	}
	close(proc.done)
	if err := realWaitReady(addr, proc, time.Now().Add(time.Minute), check); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("exited server: %v", err)
	}
}

// TestRealWaitReadyOwnServer checks that a probe does not take another
// instance's server on the port for its own.
func TestRealWaitReadyOwnServer(t *testing.T) {
	t.Parallel()
	proc := &realProc{done: make(chan struct{})}
	for _, tc := range []struct{ name, greeting string }{
		{"other instance", "* OK Dovecot ready, " + realInstanceTag("other") + ".\r\n"},
		{"unmarked", "* OK Dovecot ready.\r\n"},
		{"other protocol", "220 mail.example.test ESMTP " + realInstanceTag("mine") + "\r\n"},
	} {
		addr := realGreeter(t, tc.greeting)
		err := realWaitReady(addr, proc, time.Now().Add(200*time.Millisecond), realExpectGreeting("* OK", "mine"))
		if err == nil {
			t.Errorf("%s: %q taken for instance mine", tc.name, tc.greeting)
		}
	}

	// The auth protocol has no greeting to mark: the auth process must be
	// in the master's process group.
	auth := realGreeter(t, fmt.Sprintf("VERSION\t1\t2\nMECH\tPLAIN\nSPID\t%d\nCUID\t1\nDONE\n", os.Getpid()))
	if err := realWaitReady(auth, proc, time.Now().Add(time.Minute), realExpectAuth(syscall.Getpgrp())); err != nil {
		t.Errorf("own auth server: %v", err)
	}
	if err := realWaitReady(auth, proc, time.Now().Add(200*time.Millisecond), realExpectAuth(syscall.Getpgrp()+1)); err == nil {
		t.Error("another master's auth server taken for ours")
	}
}

// TestRealClashWithoutALog is the port clash Postfix does not log: its
// master exits at once with status 1 when another process holds its port.
// A dead server whose port is held by someone else counts as a clash (and
// StartReal tries again with other ports); a dead server whose port is free
// does not.
func TestRealClashWithoutALog(t *testing.T) {
	r := &Real{Dir: t.TempDir()}
	proc, err := realStartProc("false", exec.Command("false"), filepath.Join(r.Dir, "false.log"))
	if err != nil {
		t.Fatal(err)
	}
	<-proc.done
	proc.stop(time.Second)
	held, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := held.Addr().String()
	if !r.clashed(proc, addr) {
		t.Errorf("a dead server whose port %s another process holds is not taken for a clash", addr)
	}
	held.Close()
	if r.clashed(proc, addr) {
		t.Errorf("a dead server whose port %s is free is taken for a clash", addr)
	}
}

// TestRealStopKillsAStubbornServer is a server that ignores SIGTERM, as a
// Dovecot master on a loaded machine can seem to: stop kills it and its
// children after the grace period, says so for the log, and leaves nothing
// running.
func TestRealStopKillsAStubbornServer(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	proc, err := realStartProc("stubborn", exec.Command("/bin/sh", "-c", `trap "" TERM; : >"$1"; sleep 60 & wait; wait`, "stubborn", ready), filepath.Join(dir, "stubborn.log"))
	if err != nil {
		t.Fatal(err)
	}
	pid := proc.cmd.Process.Pid
	// SIGTERM is ignored only once the shell has set its trap.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the shell never set its trap")
		}
	}
	killed := proc.stop(100 * time.Millisecond)
	if !strings.Contains(killed, "did not stop") {
		t.Errorf("stop of a server ignoring SIGTERM reported %q", killed)
	}
	if realGroupAlive(pid) {
		t.Errorf("process group %d still has live processes after stop", pid)
	}
}

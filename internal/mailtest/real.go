package mailtest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// RealUser is a mailbox on a Real server. Name is the full address (and
// login name), e.g. "alice@example.test".
type RealUser struct {
	Name     string
	Password string
}

// RealDefaultUsers are used by StartReal when RealOptions.Users is empty.
var RealDefaultUsers = []RealUser{
	{Name: "alice@example.test", Password: "alice-secret"},
	{Name: "bob@example.test", Password: "bob-secret"},
}

// RealOptions configures StartReal. The zero value is usable.
type RealOptions struct {
	// Users to create. Empty means RealDefaultUsers. Every domain used
	// by a user is delivered locally (via LMTP into Dovecot); mail to
	// any other domain is accepted and silently discarded.
	Users []RealUser
	// Dir holds configuration, logs, queues and mail. Empty means a fresh
	// temporary directory that Close removes. A caller-supplied Dir is
	// left in place by Close. Every ancestor of Dir must be
	// world-searchable (the servers drop privileges).
	Dir string
	// Logf, if set, receives progress messages.
	Logf func(format string, args ...any)
	// StartTimeout bounds how long StartReal waits for the servers to
	// accept connections. Zero means 20 seconds.
	StartTimeout time.Duration
	// KeepDir makes Close leave Dir in place (for debugging). Setting
	// the environment variable TERN_MAILTEST_KEEP=1 has the same effect.
	KeepDir bool
	// Courier configures Dovecot like Courier-IMAP and the many hosting
	// servers like it: every folder under the personal namespace prefix
	// "INBOX." with "." as separator (INBOX.Sent, INBOX.Drafts,
	// INBOX.Trash, INBOX.Archive), no SPECIAL-USE attributes, and neither
	// CONDSTORE, QRESYNC, MOVE, SPECIAL-USE, LIST-STATUS nor LIST-EXTENDED
	// advertised.
	Courier bool
	// OAuth, if set, makes Dovecot (and Postfix, through Dovecot's SASL)
	// accept SASL XOAUTH2 and OAUTHBEARER with access tokens of this
	// authorization server, checked by token introspection. Password
	// logins keep working.
	OAuth *OAuthServer
}

// Real is a running Dovecot (IMAP, LMTP) + Postfix (submission) pair,
// listening on 127.0.0.1 only.
type Real struct {
	Dir            string
	IMAPAddr       string // IMAP; STARTTLS offered, plaintext LOGIN also allowed (loopback)
	IMAPSAddr      string // IMAP over implicit TLS
	SubmissionAddr string // Postfix submission: STARTTLS, then AUTH PLAIN/LOGIN, and XOAUTH2/OAUTHBEARER with RealOptions.OAuth (Dovecot SASL)
	LMTPAddr       string // Dovecot LMTP, for direct delivery
	AuthAddr       string // Dovecot SASL auth (used by Postfix)
	CertPEM        []byte // self-signed server certificate (DNS:localhost, IP:127.0.0.1)
	CertSHA256     string // "SHA256:" + uppercase hex of sha256(leaf DER)
	Domain         string // domain of the first user
	Users          []RealUser

	opts     RealOptions
	ownDir   bool
	sockBase string // Dir, or a short temp dir if Dir is too long for unix socket paths
	ownSock  bool   // sockBase is a separate temp dir
	runDir   string // Dovecot base_dir (sockets)
	queueDir string // Postfix queue_directory (sockets in public/, private/)
	// instance is a random token of the current start attempt, put in the
	// servers' greetings so that a readiness probe knows its own servers
	// from another test's on a port that was free a moment before.
	instance string

	dovecot *realProc
	postfix *realProc

	closeOnce sync.Once
	closeErr  error
}

const realDefaultDomain = "example.test"

// RealAvailable reports whether a real Dovecot and Postfix can be started
// on this machine: nil if so, otherwise an error naming what is missing
// (e.g. the Debian package to install).
func RealAvailable() error {
	var missing []string
	if _, err := realDovecotBin(); err != nil {
		missing = append(missing, "dovecot-imapd dovecot-lmtpd")
	} else if _, err := os.Stat("/usr/lib/dovecot/lmtp"); err != nil {
		missing = append(missing, "dovecot-lmtpd")
	} else if _, err := os.Stat("/usr/lib/dovecot/imap"); err != nil {
		missing = append(missing, "dovecot-imapd")
	}
	if _, err := realPostfixMaster(); err != nil {
		missing = append(missing, "postfix")
	}
	if len(missing) > 0 {
		return fmt.Errorf("mailtest: real mail servers unavailable: install Debian package(s) %s (apt-get install -y %s)",
			strings.Join(missing, " "), strings.Join(missing, " "))
	}
	if os.Geteuid() != 0 {
		return errors.New("mailtest: real mail servers need root (Postfix and Dovecot switch users)")
	}
	for _, name := range []string{"dovecot", "dovenull", "postfix", "mail"} {
		if _, _, err := realLookupIDs(name); err != nil {
			return fmt.Errorf("mailtest: real mail servers unavailable: system user %q missing (reinstall dovecot-core/postfix): %v", name, err)
		}
	}
	if _, err := realLookupGroup("postdrop"); err != nil {
		return fmt.Errorf("mailtest: real mail servers unavailable: group postdrop missing (reinstall postfix): %v", err)
	}
	return nil
}

// RealForTest starts a Real server for a test (RealDefaultUsers if users is
// empty), stops it in t.Cleanup, and fails the test if that is impossible.
func RealForTest(t testing.TB, users ...RealUser) *Real {
	t.Helper()
	return RealForTestWith(t, RealOptions{Users: users})
}

// RealForTestWith is RealForTest with options (opts.Logf defaults to
// t.Logf).
func RealForTestWith(t testing.TB, opts RealOptions) *Real {
	t.Helper()
	if err := RealAvailable(); err != nil {
		t.Fatal(err)
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	r, err := StartReal(&opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("mailtest: closing real servers: %v", err)
		}
	})
	return r
}

// StartReal generates configuration in a (temporary) directory, starts
// Dovecot and Postfix, and waits until all their ports accept connections.
func StartReal(opts *RealOptions) (*Real, error) {
	if opts == nil {
		opts = &RealOptions{}
	}
	if err := RealAvailable(); err != nil {
		return nil, err
	}
	start := time.Now()
	r := &Real{opts: *opts}
	if os.Getenv("TERN_MAILTEST_KEEP") != "" {
		r.opts.KeepDir = true
	}
	r.Users = append([]RealUser(nil), opts.Users...)
	if len(r.Users) == 0 {
		r.Users = append(r.Users, RealDefaultUsers...)
	}
	for _, u := range r.Users {
		if err := realCheckUser(u); err != nil {
			return nil, err
		}
	}
	r.Domain = realDomainOf(r.Users[0].Name)

	var err error
	if opts.Dir == "" {
		r.Dir, err = os.MkdirTemp("", "tern-real-")
		if err != nil {
			return nil, err
		}
		r.ownDir = true
	} else {
		r.Dir, err = filepath.Abs(opts.Dir)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(r.Dir, 0o755); err != nil {
			return nil, err
		}
	}
	ok := false
	defer func() {
		if !ok {
			r.Close()
		}
	}()
	if err := realCheckSearchable(r.Dir); err != nil {
		return nil, err
	}
	if err := os.Chmod(r.Dir, 0o755); err != nil {
		return nil, err
	}
	// Unix socket paths are limited to 108 bytes: Dovecot's longest socket
	// name below base_dir is about 30 bytes, Postfix's maillog socket is
	// queue_directory + "/public/postlog" (and Postfix dies silently if
	// that is too long). Keep both below a short base directory.
	r.sockBase = r.Dir
	if len(r.Dir) > 50 {
		if r.sockBase, err = os.MkdirTemp("/tmp", "trs-"); err != nil {
			return nil, err
		}
		r.ownSock = true
		if err := os.Chmod(r.sockBase, 0o755); err != nil {
			return nil, err
		}
	}
	r.runDir = filepath.Join(r.sockBase, "dovecot", "run")
	r.queueDir = filepath.Join(r.sockBase, "postfix", "queue")

	r.CertPEM, _, r.CertSHA256, err = r.writeCert()
	if err != nil {
		return nil, err
	}

	const attempts = 4
	for attempt := 1; ; attempt++ {
		err = r.startOnce()
		if err == nil {
			break
		}
		r.stopServers()
		if attempt == attempts || !errors.Is(err, errRealPortInUse) {
			return nil, err
		}
		r.logf("mailtest: port clash, retrying with new ports: %v", err)
	}
	ok = true
	r.logf("mailtest: real servers up in %v: IMAP %s, IMAPS %s, submission %s, LMTP %s (dir %s)",
		time.Since(start).Round(time.Millisecond), r.IMAPAddr, r.IMAPSAddr, r.SubmissionAddr, r.LMTPAddr, r.Dir)
	return r, nil
}

var errRealPortInUse = errors.New("address already in use")

func (r *Real) startOnce() error {
	ports, err := realFreePorts(5)
	if err != nil {
		return err
	}
	var tok [8]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return err
	}
	r.instance = hex.EncodeToString(tok[:])
	for _, f := range r.logFiles() { // fresh logs for each attempt
		os.Remove(f)
	}
	addr := func(p int) string { return fmt.Sprintf("127.0.0.1:%d", p) }
	r.IMAPAddr, r.IMAPSAddr, r.LMTPAddr, r.AuthAddr, r.SubmissionAddr =
		addr(ports[0]), addr(ports[1]), addr(ports[2]), addr(ports[3]), addr(ports[4])

	if err := r.setupDovecot(ports[0], ports[1], ports[2], ports[3]); err != nil {
		return err
	}
	if err := r.setupPostfix(ports[4], ports[2], ports[3]); err != nil {
		return err
	}
	if r.dovecot, err = r.startDovecot(); err != nil {
		return err
	}
	if r.postfix, err = r.startPostfix(); err != nil {
		return err
	}

	timeout := r.opts.StartTimeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	deadline := time.Now().Add(timeout)
	checks := []struct {
		name string
		addr string
		proc *realProc
		fn   func(net.Conn) error
	}{
		{"Dovecot IMAP", r.IMAPAddr, r.dovecot, realExpectGreeting("* OK", r.instance)},
		{"Dovecot IMAPS", r.IMAPSAddr, r.dovecot, r.expectTLSGreeting("* OK", r.instance)},
		{"Dovecot LMTP", r.LMTPAddr, r.dovecot, realExpectGreeting("220 ", r.instance)},
		{"Dovecot auth", r.AuthAddr, r.dovecot, realExpectAuth(r.dovecot.cmd.Process.Pid)},
		{"Postfix submission", r.SubmissionAddr, r.postfix, realExpectGreeting("220 ", r.instance)},
	}
	for _, c := range checks {
		err := realWaitReady(c.addr, c.proc, deadline, c.fn)
		if err != nil {
			e := fmt.Errorf("mailtest: %s on %s not ready: %w\n%s", c.name, c.addr, err, r.LogTail(40))
			if r.clashed(c.proc, c.addr) {
				return fmt.Errorf("%w: %w", errRealPortInUse, e)
			}
			return e
		}
	}
	return nil
}

// portClash reports whether a server's logs show a failed bind.
// clashed reports whether a start that failed waiting for proc on addr
// failed because another process took one of the ports between
// realFreePorts and the servers' bind: Dovecot logs that; Postfix's master
// exits with status 1 and logs nothing (its log daemon is not up yet), so
// a dead server whose port someone else now holds is a clash too.
func (r *Real) clashed(proc *realProc, addr string) bool {
	return r.portClash() || (proc.exited() && realAddrInUse(addr))
}

// realAddrInUse reports whether another process listens on addr: binding
// it fails with EADDRINUSE.
func realAddrInUse(addr string) bool {
	l, err := net.Listen("tcp4", addr)
	if err == nil {
		l.Close()
		return false
	}
	return errors.Is(err, syscall.EADDRINUSE)
}

func (r *Real) portClash() bool {
	for _, f := range r.logFiles() {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte("Address already in use")) {
			return true
		}
	}
	return false
}

func (r *Real) logFiles() []string {
	return []string{
		filepath.Join(r.Dir, "dovecot.stderr"),
		filepath.Join(r.Dir, "dovecot.log"),
		filepath.Join(r.Dir, "postfix.stderr"),
		filepath.Join(r.Dir, "postfix.log"),
	}
}

// LogTail returns up to n last lines of each server log, for diagnostics.
func (r *Real) LogTail(n int) string {
	var b strings.Builder
	for _, f := range r.logFiles() {
		data, err := os.ReadFile(f)
		if err != nil || len(bytes.TrimSpace(data)) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		fmt.Fprintf(&b, "--- %s (last %d lines) ---\n%s\n", f, len(lines), strings.Join(lines, "\n"))
	}
	return b.String()
}

// Close stops both servers and removes the temporary directory (unless it
// was supplied by the caller or KeepDir is set). It is safe to call more
// than once.
func (r *Real) Close() error {
	r.closeOnce.Do(func() {
		r.stopServers()
		if r.ownSock && r.sockBase != "" {
			os.RemoveAll(r.sockBase)
		}
		if r.ownDir && !r.opts.KeepDir && r.Dir != "" {
			if err := os.RemoveAll(r.Dir); err != nil && r.closeErr == nil {
				r.closeErr = err
			}
		}
	})
	return r.closeErr
}

// stopServers stops Postfix, then Dovecot (Postfix talks to Dovecot). A
// server killed after its grace period is logged, not returned: it is
// stopped all the same.
func (r *Real) stopServers() {
	for _, p := range []**realProc{&r.postfix, &r.dovecot} {
		if *p == nil {
			continue
		}
		if killed := (*p).stop(5 * time.Second); killed != "" {
			r.logf("%s\n%s", killed, r.LogTail(30))
		}
		*p = nil
	}
}

// MaildirPath returns the Maildir of user (a full address).
func (r *Real) MaildirPath(user string) string {
	return filepath.Join(r.mailHome(user), "Maildir")
}

func (r *Real) mailHome(user string) string {
	return filepath.Join(r.Dir, "mail", strings.ToLower(user))
}

// User returns the configured user with the given address.
func (r *Real) User(name string) (RealUser, bool) {
	for _, u := range r.Users {
		if strings.EqualFold(u.Name, name) {
			return u, true
		}
	}
	return RealUser{}, false
}

// Deliver delivers one raw message (CRLF or LF line endings) to rcpt's
// INBOX directly over LMTP. The envelope sender is the null sender.
func (r *Real) Deliver(rcpt string, raw []byte) error {
	conn, err := net.DialTimeout("tcp", r.LMTPAddr, 5*time.Second)
	if err != nil {
		return err
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return fmt.Errorf("mailtest: LMTP LHLO: %w", err)
	}
	if err := c.SendMail("", []string{rcpt}, bytes.NewReader(raw)); err != nil {
		return fmt.Errorf("mailtest: LMTP delivery to %s: %w", rcpt, err)
	}
	return c.Quit()
}

// Submit sends a message through Postfix submission as user: STARTTLS
// (trusting only CertPEM), AUTH PLAIN, MAIL FROM from, RCPT TO to. The
// message is queued on return; delivery to local users follows within
// milliseconds, but poll the recipient's mailbox rather than assume it.
func (r *Real) Submit(user RealUser, from string, to []string, raw []byte) error {
	c, err := r.DialSubmission()
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", user.Name, user.Password)); err != nil {
		return fmt.Errorf("mailtest: submission AUTH as %s: %w", user.Name, err)
	}
	if err := c.SendMail(from, to, bytes.NewReader(raw)); err != nil {
		return fmt.Errorf("mailtest: submission: %w", err)
	}
	return c.Quit()
}

// DialSubmission connects to the submission port and completes STARTTLS
// (trusting only CertPEM); the caller authenticates.
func (r *Real) DialSubmission() (*smtp.Client, error) {
	c, err := smtp.DialStartTLS(r.SubmissionAddr, r.TLSConfig())
	if err != nil {
		return nil, fmt.Errorf("mailtest: submission STARTTLS: %w", err)
	}
	return c, nil
}

func (r *Real) logf(format string, args ...any) {
	if r.opts.Logf != nil {
		r.opts.Logf(format, args...)
	}
}

func realCheckUser(u RealUser) error {
	at := strings.LastIndexByte(u.Name, '@')
	if at <= 0 || at == len(u.Name)-1 {
		return fmt.Errorf("mailtest: user name %q must be a full address like alice@example.test", u.Name)
	}
	if strings.ContainsAny(u.Name, ":/\\ \t\r\n\"<>%") || strings.Contains(u.Name, "..") {
		return fmt.Errorf("mailtest: user name %q contains unsupported characters", u.Name)
	}
	if u.Password == "" {
		return fmt.Errorf("mailtest: user %q has an empty password", u.Name)
	}
	return nil
}

func realDomainOf(addr string) string {
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		return strings.ToLower(addr[at+1:])
	}
	return realDefaultDomain
}

func (r *Real) domains() []string {
	seen := map[string]bool{}
	var out []string
	for _, u := range r.Users {
		d := realDomainOf(u.Name)
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// realCheckSearchable verifies that unprivileged server processes can
// reach dir.
func realCheckSearchable(dir string) error {
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("mailtest: %s is not world-searchable (mode %v); the mail servers' unprivileged processes could not reach %s; use a different RealOptions.Dir", d, fi.Mode().Perm(), dir)
		}
		if d == "/" || d == "." {
			return nil
		}
	}
}

// realFreePorts returns n distinct currently free TCP ports on 127.0.0.1.
func realFreePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for len(ports) < n {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// realWaitReady dials addr until check succeeds on a fresh connection, the
// deadline passes, or proc exits. Only a probe that is over by the
// deadline counts: each one's dial and I/O are cut off there, so a server
// that answers after the deadline (even at once, on the first probe) has
// not become ready in time.
func realWaitReady(addr string, proc *realProc, deadline time.Time, check func(net.Conn) error) error {
	err := errors.New("no probe before the deadline")
	for {
		if proc.exited() {
			return fmt.Errorf("server process exited: %v", proc.exitErr())
		}
		probeEnd := time.Now().Add(3 * time.Second)
		if probeEnd.After(deadline) {
			probeEnd = deadline
		}
		if time.Until(probeEnd) <= 0 {
			return fmt.Errorf("timed out; last error: %v", err)
		}
		var conn net.Conn
		conn, err = net.DialTimeout("tcp", addr, time.Until(probeEnd))
		if err == nil {
			conn.SetDeadline(probeEnd)
			err = check(conn)
			conn.Close()
			if err == nil && !time.Now().After(deadline) {
				return nil
			}
			if err == nil {
				err = errors.New("the server answered after the deadline")
			}
		}
		if !time.Now().Add(25 * time.Millisecond).Before(deadline) {
			return fmt.Errorf("timed out; last error: %v", err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// realExpectGreeting checks that a server's first line starts with prefix
// and carries this start attempt's instance token, so that a probe that
// reaches another test's server on a reused port does not take it for
// ours.
func realExpectGreeting(prefix, instance string) func(net.Conn) error {
	return func(c net.Conn) error {
		line, err := bufio.NewReader(io.LimitReader(c, 4096)).ReadString('\n')
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, prefix) {
			return fmt.Errorf("unexpected greeting %q", strings.TrimSpace(line))
		}
		if !strings.Contains(line, realInstanceTag(instance)) {
			return fmt.Errorf("greeting of another server %q", strings.TrimSpace(line))
		}
		return nil
	}
}

// realInstanceTag is how an instance token appears in the greetings.
func realInstanceTag(instance string) string { return "mailtest-" + instance }

func (r *Real) expectTLSGreeting(prefix, instance string) func(net.Conn) error {
	return func(c net.Conn) error {
		tc := tls.Client(c, r.TLSConfig())
		if err := tc.Handshake(); err != nil {
			return err
		}
		return realExpectGreeting(prefix, instance)(tc)
	}
}

// realExpectAuth checks that a Dovecot auth server answers and is a child
// of the Dovecot master process master: its handshake names the auth
// process ("SPID\tpid"), which must be in master's process group. (The
// auth protocol has no greeting that the configuration could mark.)
func realExpectAuth(master int) func(net.Conn) error {
	return func(c net.Conn) error {
		br := bufio.NewReader(io.LimitReader(c, 64<<10))
		line, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, "VERSION\t") {
			return fmt.Errorf("unexpected greeting %q", strings.TrimSpace(line))
		}
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return err
			}
			f := strings.Split(strings.TrimRight(line, "\r\n"), "\t")
			switch f[0] {
			case "SPID":
				if len(f) < 2 {
					return fmt.Errorf("bad SPID line %q", strings.TrimSpace(line))
				}
				pgrp, err := realProcessGroup(f[1])
				if err != nil {
					return fmt.Errorf("auth server pid %s: %w", f[1], err)
				}
				if pgrp != master {
					return fmt.Errorf("auth server pid %s belongs to another server (process group %d, not %d)", f[1], pgrp, master)
				}
				return nil
			case "DONE":
				return errors.New("auth handshake without SPID")
			}
		}
	}
}

func (r *Real) writeCert() (certPEM, keyPEM []byte, fp string, err error) {
	certPEM, keyPEM, fp, err = realCert("mail." + r.Domain)
	if err != nil {
		return nil, nil, "", err
	}
	dir := filepath.Join(r.Dir, "tls")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o644); err != nil {
		return nil, nil, "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600); err != nil {
		return nil, nil, "", err
	}
	return certPEM, keyPEM, fp, nil
}

func realWriteFile(path, content string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		return err
	}
	if err := os.Chmod(path, mode); err != nil {
		return err
	}
	// Postfix re-reads (sleeping 300ms each time) a table or main.cf
	// whose mtime is not older than the read; backdate it.
	old := time.Now().Add(-time.Minute)
	return os.Chtimes(path, old, old)
}

func realFirstExisting(paths ...string) (string, error) {
	for _, p := range paths {
		if p == "" {
			continue
		}
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", os.ErrNotExist
}

func realLookPath(name string, fallbacks ...string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return realFirstExisting(fallbacks...)
}

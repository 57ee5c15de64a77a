package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
)

// cli runs tern's command line in-process the way a user's shell would.
type cli struct {
	t          *testing.T
	home       string
	secrets    accounts.Secrets
	autoconfig *discoveryOptions // discovery's fake network; nil: none used
	env        map[string]string // the environment tern sees (getenv)
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, home: t.TempDir(), secrets: accounts.NewMemorySecrets()}
}

func (c *cli) run(stdin string, args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(k string) string { return c.env[k] },
		secrets: c.secrets, autoconfig: c.autoconfig}
	code = run(append([]string{"--home", c.home}, args...), e)
	return code, out.String(), errb.String()
}

// runWith is run with the browser opener open.
func (c *cli) runWith(open func(string) error, stdin string, args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(k string) string { return c.env[k] },
		secrets: c.secrets, autoconfig: c.autoconfig, open: open}
	code = run(append([]string{"--home", c.home}, args...), e)
	return code, out.String(), errb.String()
}

func (c *cli) ok(stdin string, args ...string) string {
	c.t.Helper()
	code, out, errs := c.run(stdin, args...)
	if code != 0 {
		c.t.Fatalf("tern %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

func (c *cli) fails(stdin string, args ...string) string {
	c.t.Helper()
	code, _, errs := c.run(stdin, args...)
	if code == 0 {
		c.t.Fatalf("tern %s succeeded, want failure", strings.Join(args, " "))
	}
	if strings.Count(strings.TrimRight(errs, "\n"), "\n") != 0 || !strings.HasPrefix(errs, "tern: ") {
		c.t.Fatalf("error is not one line: %q", errs)
	}
	return errs
}

func addDemoAccount(t *testing.T, c *cli, srv *mailtest.Server) {
	t.Helper()
	c.ok(srv.Password+"\n", "account", "add", "--email", srv.Username, "--name", "Demo",
		"--imap", srv.IMAPAddr+":tls", "--smtp", srv.SMTPAddr+":tls", "--accept-cert", srv.CertSHA256, "--password-stdin")
}

func TestCLIVersionAndUsage(t *testing.T) {
	c := newCLI(t)
	var v map[string]string
	if err := json.Unmarshal([]byte(c.ok("", "version", "--json")), &v); err != nil || v["version"] == "" {
		t.Fatalf("version --json: %v %v", v, err)
	}
	if code, _, errs := c.run("", "--help"); code != 2 || !strings.Contains(errs, "tern account add") {
		t.Fatalf("--help: %d %q", code, errs)
	}
	if errs := c.fails("", "frobnicate"); !strings.Contains(errs, "unknown command") {
		t.Fatalf("unknown verb: %q", errs)
	}
	if errs := c.fails("", "list", "INBOX", "--limit"); !strings.Contains(errs, "needs a value") {
		t.Fatalf("missing flag value: %q", errs)
	}
	if errs := c.fails("", "folders"); !strings.Contains(errs, "no account") {
		t.Fatalf("folders without account: %q", errs)
	}
}

// TestCLISyncSeveralAccounts syncs two accounts, one of whose servers has
// gone away: the other is still synced and reported, and the one-line error
// names the account that failed.
func TestCLISyncSeveralAccounts(t *testing.T) {
	c := newCLI(t)
	var srvs []*mailtest.Server
	for _, user := range []string{"ann@example.test", "bob@example.test"} {
		srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{Username: user, TLS: true})
		srvs = append(srvs, srv)
		addDemoAccount(t, c, srv)
	}
	var list []accountJSON
	if err := json.Unmarshal([]byte(c.ok("", "account", "list", "--json")), &list); err != nil || len(list) != 2 {
		t.Fatalf("account list: %+v %v", list, err)
	}
	ids := map[string]string{}
	for _, a := range list {
		ids[a.Email] = a.ID
	}
	var rep struct {
		Accounts []struct {
			Account string `json:"account"`
		} `json:"accounts"`
	}
	out := c.ok("", "sync", "--json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Accounts) != 2 ||
		rep.Accounts[0].Account != list[0].ID || rep.Accounts[1].Account != list[1].ID {
		t.Fatalf("sync of two accounts, want both in account order: %s (%v)", out, err)
	}

	srvs[1].Close()
	code, out, errs := c.run("", "sync", "--json")
	if code == 0 {
		t.Fatalf("sync with a dead server succeeded: %s", out)
	}
	bob := ids["bob@example.test"]
	if !strings.HasPrefix(errs, "tern: "+bob+": ") || strings.Count(strings.TrimRight(errs, "\n"), "\n") != 0 {
		t.Fatalf("error should be one line naming %s: %q", bob, errs)
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Accounts) != 1 || rep.Accounts[0].Account != ids["ann@example.test"] {
		t.Fatalf("the live account should still be synced and reported: %s (%v)", out, err)
	}
}

func TestCLIAddSyncListShow(t *testing.T) {
	srv := mailtest.DemoForTest(t)
	c := newCLI(t)
	addDemoAccount(t, c, srv)

	var list []accountJSON
	if err := json.Unmarshal([]byte(c.ok("", "account", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Email != srv.Username || list[0].IMAP.Security != "tls" {
		t.Fatalf("account list: %+v", list)
	}
	id := list[0].ID

	out := c.ok("", "sync", "--json")
	if strings.Contains(out, srv.Password) {
		t.Fatal("sync output contains the password")
	}
	var rep struct {
		Accounts []struct {
			Account string `json:"account"`
			Folders []struct {
				Name   string `json:"name"`
				Server int    `json:"server_total"`
				Stored int    `json:"stored"`
			} `json:"folders"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	seeded := map[string]int{}
	for _, m := range mailtest.DemoSeed(time.Now()) {
		seeded[m.Mailbox]++
	}
	if len(rep.Accounts) != 1 {
		t.Fatalf("sync report: %s", out)
	}
	for _, f := range rep.Accounts[0].Folders {
		if f.Stored != seeded[f.Name] || f.Server != seeded[f.Name] {
			t.Errorf("%s: stored %d server %d, seeded %d", f.Name, f.Stored, f.Server, seeded[f.Name])
		}
	}

	var msgs []messageJSON
	if err := json.Unmarshal([]byte(c.ok("", "list", "INBOX", "--limit", "3", "--json")), &msgs); err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 3 || msgs[0].Subject == "" {
		t.Fatalf("list: %+v", msgs)
	}
	var shown struct {
		Subject string `json:"subject"`
		Text    string `json:"text"`
	}
	showOut := c.ok("", "show", "INBOX", strconv.Itoa(int(msgs[0].UID)), "--json")
	if err := json.Unmarshal([]byte(showOut), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.Subject != msgs[0].Subject || strings.TrimSpace(shown.Text) == "" {
		t.Fatalf("show: %+v", shown)
	}
	// Plain-text output works too.
	if out := c.ok("", "folders"); !strings.Contains(out, "INBOX") || !strings.Contains(out, "Projects/Tern") {
		t.Fatalf("folders: %s", out)
	}
	if errs := c.fails("", "show", "INBOX", "999999"); !strings.Contains(errs, "no message") {
		t.Fatalf("show missing uid: %q", errs)
	}
	// Nothing secret on disk.
	cfg, _ := os.ReadFile(filepath.Join(c.home, "accounts.toml"))
	db, _ := os.ReadFile(filepath.Join(c.home, "tern.db"))
	if len(cfg) == 0 || bytes.Contains(cfg, []byte(srv.Password)) || bytes.Contains(db, []byte(srv.Password)) {
		t.Fatal("password found in accounts.toml or the store (or no config written)")
	}
	c.ok("", "account", "remove", id)
	if out := c.ok("", "account", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("after remove: %s", out)
	}
}

func TestCLIBadInputIsOneLine(t *testing.T) {
	srv := mailtest.DemoForTest(t)
	c := newCLI(t)
	base := []string{"account", "add", "--email", srv.Username, "--imap", srv.IMAPAddr + ":tls", "--smtp", srv.SMTPAddr + ":tls", "--password-stdin"}

	// Wrong password: refused, nothing stored.
	errs := c.fails("wrong-password\n", append(base, "--accept-cert", srv.CertSHA256)...)
	if !strings.Contains(errs, "refused the user name or password") || strings.Contains(errs, "wrong-password") {
		t.Fatalf("wrong password: %q", errs)
	}
	if out := c.ok("", "account", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("account stored after a failed login: %s", out)
	}
	// A certificate that does not verify: says so, with the fingerprint to accept.
	errs = c.fails(srv.Password+"\n", base...)
	if !strings.Contains(errs, srv.CertSHA256) || !strings.Contains(errs, "--accept-cert") {
		t.Fatalf("untrusted certificate: %q", errs)
	}
	// A closed port: quick and clear.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := l.Addr().String()
	l.Close()
	start := time.Now()
	errs = c.fails("pw\n", "account", "add", "--email", "a@example.test", "--imap", closed+":tls", "--smtp", closed+":tls", "--password-stdin")
	if !strings.Contains(errs, "connection refused") || time.Since(start) > 30*time.Second {
		t.Fatalf("closed port: %q after %v", errs, time.Since(start))
	}
	// Malformed server settings.
	if errs := c.fails("pw\n", "account", "add", "--email", "a@example.test", "--imap", "host:99999:tls", "--smtp", "h:587:starttls", "--password-stdin"); !strings.Contains(errs, "99999") {
		t.Fatalf("bad port: %q", errs)
	}
}

func TestCLINoKeychain(t *testing.T) {
	srv := mailtest.DemoForTest(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/tern-test-bus")
	c := newCLI(t)
	c.secrets = nil // the real OS keychain, which is not there
	start := time.Now()
	errs := c.fails(srv.Password+"\n", "account", "add", "--email", srv.Username,
		"--imap", srv.IMAPAddr+":tls", "--smtp", srv.SMTPAddr+":tls", "--accept-cert", srv.CertSHA256, "--password-stdin")
	if !strings.Contains(strings.ToLower(errs), "keychain") || strings.Contains(errs, srv.Password) {
		t.Fatalf("no keychain: %q", errs)
	}
	if time.Since(start) > 60*time.Second {
		t.Fatalf("no keychain took %v", time.Since(start))
	}
	if out := c.ok("", "account", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("account stored without a keychain: %s", out)
	}
}

func TestCLISyncRealDovecot(t *testing.T) {
	user := mailtest.RealUser{Name: "carol@example.test", Password: "carol-pw-7"}
	real := mailtest.RealForTest(t, user)
	seed := mailtest.DemoSeed(time.Now())
	inbox := 0
	for _, m := range seed {
		if m.Mailbox == "INBOX" {
			if err := real.Deliver(user.Name, m.Raw); err != nil {
				t.Fatal(err)
			}
			inbox++
			if inbox == 60 {
				break
			}
		}
	}
	c := newCLI(t)
	c.ok(user.Password+"\n", "account", "add", "--email", user.Name, "--imap", real.IMAPAddr+":starttls",
		"--smtp", real.SubmissionAddr+":starttls", "--accept-cert", real.CertSHA256, "--password-stdin")
	var rep struct {
		Accounts []struct {
			Folders []struct {
				Name   string `json:"name"`
				Server int    `json:"server_total"`
				Stored int    `json:"stored"`
				Unread int    `json:"unread"`
			} `json:"folders"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(c.ok("", "sync", "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range rep.Accounts[0].Folders {
		if f.Name == "INBOX" {
			found = true
			if f.Server != inbox || f.Stored != inbox || f.Unread != inbox {
				t.Fatalf("INBOX: %+v, delivered %d", f, inbox)
			}
		} else if f.Stored != f.Server {
			t.Errorf("%s: %+v", f.Name, f)
		}
	}
	if !found {
		t.Fatal("no INBOX in the sync report")
	}
}

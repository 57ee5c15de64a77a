package imapsync

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
)

// profile is a server that the engine's tests run their bodies against:
// real Dovecot, Dovecot configured like Courier-IMAP, or mailtest's
// in-process go-imap server. A test body written against a fixture runs
// unchanged on each (forEachProfile).
type profile struct {
	name string
	// inproc is mailtest's in-process go-imap server instead of Dovecot:
	// LIST-STATUS, MOVE and SPECIAL-USE but no CONDSTORE, and no \Recent.
	// Only it can drop capabilities (newInprocFixture) or report what it
	// was sent (IDLE and bare EXPUNGE counts).
	inproc bool
	// courier configures Dovecot like Courier-IMAP (mailtest's
	// RealOptions.Courier): every folder under the personal namespace
	// prefix "INBOX." with "." between levels, no SPECIAL-USE attributes,
	// and neither CONDSTORE, QRESYNC, MOVE, SPECIAL-USE, LIST-STATUS nor
	// LIST-EXTENDED advertised.
	courier bool
}

var (
	// profileDovecot is Dovecot as Tern is developed with: no namespace
	// prefix, "/" between levels, SPECIAL-USE, CONDSTORE, LIST-STATUS, MOVE.
	profileDovecot = profile{name: "dovecot"}
	// profileCourier is Dovecot configured like Courier-IMAP.
	profileCourier = profile{name: "courier", courier: true}
	// profileInproc is mailtest's in-process server.
	profileInproc = profile{name: "inproc", inproc: true}
)

// condstore reports whether the profile's server has CONDSTORE (and
// LIST-STATUS): then a folder's HIGHESTMODSEQ tells whether anything in it
// changed, and a pass skips an unchanged folder without selecting it.
func (p profile) condstore() bool { return !p.courier && !p.inproc }

// box returns the server's name of the folder a test calls name ("Archive",
// "Projects/Tern"): the same name on Dovecot and the in-process server;
// under the namespace prefix with "." between levels on Courier
// ("INBOX.Archive", "INBOX.Projects.Tern"). INBOX is INBOX everywhere.
func (p profile) box(name string) string {
	if !p.courier || strings.EqualFold(name, "INBOX") {
		return name
	}
	return "INBOX." + strings.ReplaceAll(name, "/", ".")
}

// forEachProfile runs body as a subtest on every profile: Dovecot,
// Courier and the in-process server. Each subtest starts its own server,
// so they run in parallel.
func forEachProfile(t *testing.T, body func(t *testing.T, p profile)) {
	t.Helper()
	forProfiles(t, body, profileDovecot, profileCourier, profileInproc)
}

// forEachDovecot is forEachProfile without the in-process server, for
// bodies that need what only a real server does (see each caller).
func forEachDovecot(t *testing.T, body func(t *testing.T, p profile)) {
	t.Helper()
	forProfiles(t, body, profileDovecot, profileCourier)
}

func forProfiles(t *testing.T, body func(t *testing.T, p profile), profiles ...profile) {
	t.Helper()
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			body(t, p)
		})
	}
}

// fixture is a server of one profile with a seeded mailbox, a second
// client on it ("another device"), a Tern store, and engine options that
// record every Change. The engine's goroutines append to changes under
// mu; everything else belongs to the test goroutine.
type fixture struct {
	p      profile
	real   *mailtest.Real   // nil on the in-process profile
	srv    *mailtest.Server // nil on the Dovecot profiles
	user   mailtest.RealUser
	other  *imapclient.Client
	st     *store.DB
	acct   accounts.Account
	opts   *Options
	seeded map[string]int // seeded messages by the server's folder name

	mu      sync.Mutex
	changes []Change
}

// newFixture starts the server of profile p and stores seed in it, each
// message in the folder p.box(m.Mailbox).
func newFixture(t *testing.T, p profile, seed []mailtest.SeedMessage) *fixture {
	t.Helper()
	if p.inproc {
		return newInprocFixture(t, &mailtest.ServerOptions{TLS: true, Seed: seed, Mailboxes: mailtest.DemoMailboxes})
	}
	user := mailtest.RealUser{Name: "alice@example.test", Password: "alice-pw-1"}
	real := mailtest.RealForTestWith(t, mailtest.RealOptions{Users: []mailtest.RealUser{user}, Courier: p.courier})
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(real.CertPEM)
	other, err := imapclient.DialStartTLS(real.IMAPAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	if err := other.Login(user.Name, user.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	f := &fixture{p: p, real: real, user: user, other: other, seeded: map[string]int{}}
	existing := map[string]bool{}
	list, err := other.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range list {
		existing[l.Mailbox] = true
	}
	for _, m := range seed {
		name := p.box(m.Mailbox)
		if !existing[name] {
			if err := other.Create(name, nil).Wait(); err != nil {
				t.Fatalf("create %q: %v", name, err)
			}
			existing[name] = true
		}
	}
	// The APPENDs are pipelined, then waited for: one round trip each
	// made seeding the demo mailbox most of a test's time. The server
	// runs them in order, so UIDs follow the seed's order.
	appends := make([]*imapclient.AppendCommand, len(seed))
	for i, m := range seed {
		var flags []imap.Flag
		for _, fl := range m.Flags {
			flags = append(flags, imap.Flag(fl))
		}
		appends[i] = other.Append(p.box(m.Mailbox), int64(len(m.Raw)), &imap.AppendOptions{Flags: flags, Time: m.Date})
		appends[i].Write(m.Raw)
		appends[i].Close()
	}
	for i, cmd := range appends {
		name := p.box(seed[i].Mailbox)
		if _, err := cmd.Wait(); err != nil {
			t.Fatalf("append to %q: %v", name, err)
		}
		f.seeded[name]++
	}
	f.st = openStore(t)
	host, portStr, _ := net.SplitHostPort(real.IMAPAddr)
	port, _ := strconv.Atoi(portStr)
	f.acct = accounts.Account{ID: "alice", Name: "Alice", Email: user.Name,
		IMAP: accounts.Endpoint{Host: host, Port: port, Security: accounts.SecuritySTARTTLS, Username: user.Name},
		SMTP: accounts.Endpoint{Host: host, Port: 587, Security: accounts.SecuritySTARTTLS}}
	f.opts = f.newOptions(t, user.Password)
	f.opts.Roots = roots
	return f
}

// newInprocFixture is newFixture on an in-process server started with
// sopts, seeded at its start: for the tests that need what only that
// server can do (drop capabilities, count what it was sent, end IDLE on
// purpose).
func newInprocFixture(t *testing.T, sopts *mailtest.ServerOptions) *fixture {
	t.Helper()
	srv := mailtest.ServerForTest(t, sopts)
	f := &fixture{p: profileInproc, srv: srv, seeded: seedCounts(sopts.Seed),
		user:  mailtest.RealUser{Name: srv.Username, Password: srv.Password},
		other: srv.DialIMAP(t, nil),
		acct:  mailtest.DemoAccount(srv),
		st:    openStore(t)}
	f.opts = f.newOptions(t, srv.Password)
	return f
}

// newOptions returns the engine options of the fixture: password, a
// command timeout that only a hang reaches, OnChange recording into
// f.changes, and the test's log.
func (f *fixture) newOptions(t *testing.T, password string) *Options {
	return &Options{
		Password:       func(context.Context) (string, error) { return password, nil },
		CommandTimeout: 20 * time.Second,
		PollInterval:   time.Minute,
		OnChange: func(c Change) {
			f.mu.Lock()
			f.changes = append(f.changes, c)
			f.mu.Unlock()
		},
		Logf: t.Logf,
	}
}

func openStore(t *testing.T) *store.DB {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "tern.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// inboxSeed is the demo seed's first n messages in INBOX, for the tests
// that need a few messages rather than the whole demo mailbox: seeding
// Dovecot costs a few milliseconds a message, and the demo has hundreds.
func inboxSeed(n int) []mailtest.SeedMessage {
	var out []mailtest.SeedMessage
	for _, m := range mailtest.DemoSeed(time.Now()) {
		if m.Mailbox == "INBOX" && len(out) < n {
			out = append(out, m)
		}
	}
	return out
}

func seedCounts(seed []mailtest.SeedMessage) map[string]int {
	n := map[string]int{}
	for _, m := range seed {
		n[m.Mailbox]++
	}
	return n
}

// changesOf returns the changes of kind reported so far.
func (f *fixture) changesOf(kind ChangeKind) []Change {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Change
	for _, c := range f.changes {
		if c.Kind == kind {
			out = append(out, c)
		}
	}
	return out
}

// changeCount counts the changes of kind reported so far.
func (f *fixture) changeCount(kind ChangeKind) int { return len(f.changesOf(kind)) }

// deliver puts raw into INBOX as new mail: over LMTP into Dovecot, straight
// into the in-process server's INBOX.
func (f *fixture) deliver(raw []byte) error {
	if f.srv != nil {
		_, err := f.srv.Append("INBOX", raw, nil, time.Now())
		return err
	}
	return f.real.Deliver(f.user.Name, raw)
}

// box is f.p.box: the server's name of the folder a test calls name.
func (f *fixture) box(name string) string { return f.p.box(name) }

// certPEM and certSHA256 are the server's certificate and its fingerprint.
func (f *fixture) certPEM() []byte {
	if f.srv != nil {
		return f.srv.CertPEM
	}
	return f.real.CertPEM
}

func (f *fixture) certSHA256() string {
	if f.srv != nil {
		return f.srv.CertSHA256
	}
	return f.real.CertSHA256
}

// serverState is what the server holds for one mailbox: its UIDVALIDITY,
// and UID → sorted flags. It leaves the other client with mailbox selected.
func (f *fixture) serverState(t *testing.T, mailbox string) (uint32, map[uint32]string) {
	t.Helper()
	sel, err := f.other.Select(mailbox, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint32]string{}
	if sel.NumMessages == 0 {
		return sel.UIDValidity, out
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	bufs, err := f.other.Fetch(all, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bufs {
		out[uint32(b.UID)] = flagKey(flagStrings(b.Flags))
	}
	return sel.UIDValidity, out
}

func flagKey(flags []string) string {
	var keep []string
	for _, f := range flags {
		if f != `\Recent` {
			keep = append(keep, strings.ToLower(f))
		}
	}
	sort.Strings(keep)
	return strings.Join(keep, " ")
}

// assertMatches checks the store holds exactly what the server holds for
// mailbox, message by message.
func (f *fixture) assertMatches(t *testing.T, mailbox string) {
	t.Helper()
	ctx := context.Background()
	uv, want := f.serverState(t, mailbox)
	mb, err := f.st.MailboxByName(ctx, f.acct.ID, mailbox)
	if err != nil {
		t.Fatalf("%s: %v", mailbox, err)
	}
	if mb.UIDValidity != uv {
		t.Fatalf("%s: UIDVALIDITY %d, server %d", mailbox, mb.UIDValidity, uv)
	}
	msgs, err := f.st.Messages(ctx, mb.ID, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	got := map[uint32]string{}
	for _, m := range msgs {
		got[m.UID] = flagKey(m.Flags)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: store has %d messages, server %d", mailbox, len(got), len(want))
	}
	for uid, fl := range want {
		g, ok := got[uid]
		if !ok {
			t.Fatalf("%s: UID %d missing from the store", mailbox, uid)
		}
		if g != fl {
			t.Fatalf("%s: UID %d flags %q, server %q", mailbox, uid, g, fl)
		}
	}
}

// serverView returns a fresh store that has synced the fixture's server
// (headers only): what the server holds, independent of f.st.
func (f *fixture) serverView(t *testing.T) *store.DB {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "server-view.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := New(st, f.acct, &Options{Password: f.opts.Password, Roots: f.opts.Roots, BodiesPerPass: -1}).SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

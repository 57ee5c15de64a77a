package imapsync

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/message"
	"github.com/ternmail/tern/store"
)

// The hostile-server tests run the engine against internal/mailtest's
// scripted IMAP server, whose every reply a test writes byte for byte.

// hostileMessage is the one message of every scripted mailbox (UID 1).
const hostileMessage = "Subject: hello\r\nFrom: a@example.com\r\nMessage-ID: <1@example.com>\r\n\r\nbody text\r\n"

// headerSection is the section the engine's header FETCH asks for, as a
// server names it in its answer.
var headerSection = "BODY[HEADER.FIELDS (" + strings.Join(message.ListHeaderFields(), " ") + ")]"

const plainStructure = `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 11 1 NIL NIL NIL NIL)`

func literal(s string) string { return "{" + strconv.Itoa(len(s)) + "}\r\n" + s }

// headerFetch is a server's answer to the header FETCH of UID 1 with the
// given body structure, and the given extra untagged responses first.
func headerFetch(extra, structure string) string {
	hdr := hostileMessage[:strings.Index(hostileMessage, "\r\n\r\n")+4]
	return extra + `* 1 FETCH (UID 1 FLAGS (\Seen) INTERNALDATE "01-Jan-2024 10:00:00 +0000" RFC822.SIZE ` +
		strconv.Itoa(len(hostileMessage)) + " BODYSTRUCTURE " + structure + " " + headerSection + " " + literal(hdr) + ")\r\n{tag} OK FETCH done\r\n"
}

// syncScript is what a server with the given mailboxes (one message each)
// answers to a full sync pass with bodies; steps come first and win.
func syncScript(boxes []string, steps ...mailtest.ScriptStep) []mailtest.ScriptStep {
	var list strings.Builder
	for _, b := range boxes {
		fmt.Fprintf(&list, "* LIST () \"/\" %s\r\n", quoteName(b))
	}
	list.WriteString("{tag} OK LIST done\r\n")
	return append(steps,
		mailtest.ScriptStep{Expect: `^LOGIN `, Reply: "{tag} OK LOGIN done\r\n"},
		mailtest.ScriptStep{Expect: `^CAPABILITY`, Reply: "* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n"},
		mailtest.ScriptStep{Expect: `^LIST \(SUBSCRIBED\)`, Reply: "{tag} BAD no LIST extensions\r\n"},
		mailtest.ScriptStep{Expect: `^LIST `, Reply: list.String()},
		mailtest.ScriptStep{Expect: `^STATUS ("(.*)"|(\S+)) \(UNSEEN\)`, Reply: "{tag} NO no status here\r\n"},
		mailtest.ScriptStep{Expect: `^(SELECT|EXAMINE) `, Reply: "* 1 EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen)\r\n* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT 2] n\r\n{tag} OK [READ-WRITE] SELECT done\r\n"},
		mailtest.ScriptStep{Expect: `^UID SEARCH`, Reply: "* SEARCH 1\r\n{tag} OK SEARCH done\r\n"},
		mailtest.ScriptStep{Expect: `^UID FETCH .*BODYSTRUCTURE`, Reply: headerFetch("", plainStructure)},
		mailtest.ScriptStep{Expect: `^UID FETCH .*BODY\.PEEK\[\]`, Reply: "* 1 FETCH (UID 1 BODY[] " + literal(hostileMessage) + ")\r\n{tag} OK FETCH done\r\n"},
		mailtest.ScriptStep{Expect: `^UID FETCH .*FLAGS`, Reply: "* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n{tag} OK FETCH done\r\n"},
		mailtest.ScriptStep{Expect: `^NOOP`, Reply: "{tag} OK NOOP done\r\n"},
		mailtest.ScriptStep{Expect: `^LOGOUT`, Reply: "* BYE bye\r\n{tag} OK LOGOUT done\r\n", Close: true},
	)
}

func quoteName(n string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(n) + `"`
}

// hostileFixture is an engine over a store in a fresh home, for an account
// on a scripted server.
type hostileFixture struct {
	srv  *mailtest.ScriptedIMAP
	st   *store.DB
	home string
	eng  *Engine
	logs *logLines
}

type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logf(t *testing.T) func(string, ...any) {
	return func(format string, args ...any) {
		l.mu.Lock()
		l.lines = append(l.lines, fmt.Sprintf(format, args...))
		l.mu.Unlock()
		t.Logf(format, args...)
	}
}

func (l *logLines) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

func newHostileFixture(t *testing.T, sopts mailtest.ScriptedIMAPOptions, sec accounts.Security) *hostileFixture {
	t.Helper()
	return newHostileFixtureRoots(t, sopts, sec, nil)
}

// newHostileFixtureRoots is newHostileFixture with the engine verifying
// certificates against roots.
func newHostileFixtureRoots(t *testing.T, sopts mailtest.ScriptedIMAPOptions, sec accounts.Security, roots *x509.CertPool) *hostileFixture {
	t.Helper()
	srv := mailtest.ScriptedIMAPForTest(t, sopts)
	home := filepath.Join(t.TempDir(), "home")
	st, err := store.Open(filepath.Join(home, "tern.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	acct := accounts.Account{
		ID: "hostile", Name: "Hostile", Email: "user@example.com",
		IMAP: accounts.Endpoint{Host: "127.0.0.1", Port: srv.Port(), Security: sec, Username: "user"},
	}
	f := &hostileFixture{srv: srv, st: st, home: home, logs: &logLines{}}
	f.eng = New(st, acct, &Options{
		Password:       func(context.Context) (string, error) { return "secret-password", nil },
		CommandTimeout: 20 * time.Second,
		Roots:          roots,
		Logf:           f.logs.logf(t),
	})
	return f
}

// storedSubjects returns the subjects stored in mailbox name.
func (f *hostileFixture) storedSubjects(t *testing.T, name string) []string {
	t.Helper()
	mb, err := f.st.MailboxByName(context.Background(), "hostile", name)
	if err != nil {
		t.Fatalf("mailbox %q: %v", name, err)
	}
	msgs, err := f.st.Messages(context.Background(), mb.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		out = append(out, m.Subject)
	}
	return out
}

// heapWatch samples the heap while a case runs and reports its peak. Past
// limit it calls over once (which ends the case, so that a client without
// bounds fails the test instead of exhausting the machine).
type heapWatch struct {
	peak atomic.Uint64
	stop chan struct{}
	done chan struct{}
}

func watchHeap(limit uint64, over func()) *heapWatch {
	runtime.GC()
	w := &heapWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		fired := false
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > w.peak.Load() {
				w.peak.Store(ms.HeapInuse)
			}
			if ms.HeapInuse > limit && !fired {
				fired = true
				over()
			}
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// end stops sampling and returns the peak heap in use, in bytes.
func (w *heapWatch) end() uint64 {
	close(w.stop)
	<-w.done
	return w.peak.Load()
}

const heapLimit = 200 << 20

// zeros writes n bytes of 'x' to w from a small buffer, so that the
// server costs no memory for what it announces.
func zeros(n int64) func(io.Writer, string) error {
	return func(w io.Writer, _ string) error {
		buf := []byte(strings.Repeat("x", 64<<10))
		for n > 0 {
			k, err := w.Write(buf[:min(int64(len(buf)), n)])
			if err != nil {
				return err
			}
			n -= int64(k)
		}
		return nil
	}
}

// runBounded runs a sync pass under a heap watch and returns its error and
// the peak heap.
func runBounded(t *testing.T, f *hostileFixture) (error, uint64) {
	t.Helper()
	w := watchHeap(heapLimit, f.srv.DropConns)
	_, err := f.eng.SyncOnce(context.Background())
	peak := w.end()
	t.Logf("peak heap in use: %.1f MB", float64(peak)/(1<<20))
	if peak > heapLimit {
		t.Errorf("peak heap %d MB, want under %d MB", peak>>20, heapLimit>>20)
	}
	return err, peak
}

// wantProtocolError checks that err says the server sent something Tern
// refuses, in words containing want, and not that it could not be reached.
func wantProtocolError(t *testing.T, err error, want string) {
	t.Helper()
	var pe *accounts.ProtocolError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T), want an accounts.ProtocolError", err, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if strings.Contains(err.Error(), "cannot reach") {
		t.Errorf("error %q says the server could not be reached", err)
	}
}

func TestHostileUnknownResponsesIgnored(t *testing.T) {
	// Unknown untagged responses everywhere: with the greeting, before a
	// tagged OK, between FETCH responses, numbered, with a literal, and a
	// LSUB go-imap's client does not read either; over plaintext, TLS and
	// STARTTLS (where the guard must sit above TLS).
	unknown := "* XFOO bar\r\n* 3 XNUM (a b)\r\n* XLIT {5}\r\nab\r\nc\r\n* LSUB () \"/\" INBOX\r\n"
	for _, sec := range []accounts.Security{accounts.SecurityNone, accounts.SecurityTLS, accounts.SecuritySTARTTLS} {
		t.Run(string(sec), func(t *testing.T) {
			cfg, roots, err := mailtest.ScriptedCert(mailtest.ScriptedCertOptions{})
			if err != nil {
				t.Fatal(err)
			}
			f := newHostileFixtureRoots(t, mailtest.ScriptedIMAPOptions{
				Greeting:  "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n* XFOO greeting\r\n",
				TLSConfig: cfg, ImplicitTLS: sec == accounts.SecurityTLS,
				Any: syncScript([]string{"INBOX"},
					mailtest.ScriptStep{Expect: `^STARTTLS`, Reply: "{tag} OK begin\r\n", StartTLS: true},
					mailtest.ScriptStep{Expect: `^CAPABILITY`, Reply: unknown + "* CAPABILITY IMAP4rev1\r\n* XFOO\r\n{tag} OK done\r\n"},
					mailtest.ScriptStep{Expect: `^LOGIN `, Reply: unknown + "{tag} OK LOGIN done\r\n"},
					mailtest.ScriptStep{Expect: `^UID FETCH .*BODYSTRUCTURE`, Reply: headerFetch(unknown, plainStructure)},
				),
			}, sec, roots)
			rep, err := f.eng.SyncOnce(context.Background())
			if err != nil {
				t.Fatalf("SyncOnce: %v", err)
			}
			if got := f.storedSubjects(t, "INBOX"); len(got) != 1 || got[0] != "hello" {
				t.Errorf("stored subjects %q, want [hello]", got)
			}
			if rep.Bodies != 1 {
				t.Errorf("bodies fetched %d, want 1", rep.Bodies)
			}
		})
	}
}

func TestHostileUnknownResponseFlood(t *testing.T) {
	// A million unknown responses (about 16 MB), one in a thousand with a
	// literal, before the answer to the header FETCH.
	const n = 1_000_000
	flood := func(w io.Writer, tag string) error {
		chunk := strings.Repeat("* XFOO bar baz\r\n", 999) + "* XLIT {3}\r\nabc\r\n"
		for i := 0; i < n/1000; i++ {
			if _, err := io.WriteString(w, chunk); err != nil {
				return err
			}
		}
		_, err := io.WriteString(w, strings.ReplaceAll(headerFetch("", plainStructure), "{tag}", tag))
		return err
	}
	f := newHostileFixture(t, mailtest.ScriptedIMAPOptions{
		Any: syncScript([]string{"INBOX"},
			mailtest.ScriptStep{Expect: `^UID FETCH .*BODYSTRUCTURE`, Stream: flood},
		),
	}, accounts.SecurityNone)
	err, _ := runBounded(t, f)
	if err != nil {
		t.Fatalf("SyncOnce: %v", err)
	}
	if got := f.storedSubjects(t, "INBOX"); len(got) != 1 || got[0] != "hello" {
		t.Errorf("stored subjects %q, want [hello]", got)
	}
}

func TestHostileMalformedResponseIsNotCannotReach(t *testing.T) {
	// A FLAGS response go-imap cannot read: the connection ends, and the
	// error says the server sent something wrong, not that it was not
	// reached.
	f := newHostileFixture(t, mailtest.ScriptedIMAPOptions{
		Any: syncScript([]string{"INBOX"},
			mailtest.ScriptStep{Expect: `^(SELECT|EXAMINE) `, Reply: "* FLAGS \"not a list\r\n{tag} OK done\r\n"},
		),
	}, accounts.SecurityNone)
	_, err := f.eng.SyncOnce(context.Background())
	wantProtocolError(t, err, "sent what Tern cannot accept")
}

func TestHostileHugeHeaderLiteral(t *testing.T) {
	// The answer to the header FETCH announces 4,000,000,000 bytes for the
	// header fields, and sends them.
	const size = 4_000_000_000
	f := newHostileFixture(t, mailtest.ScriptedIMAPOptions{
		Any: syncScript([]string{"INBOX"},
			mailtest.ScriptStep{Expect: `^UID FETCH .*BODYSTRUCTURE`,
				Reply:  `* 1 FETCH (UID 1 RFC822.SIZE 60 BODYSTRUCTURE ` + plainStructure + " " + headerSection + " {" + strconv.Itoa(size) + "}\r\n",
				Stream: zeros(size)},
		),
	}, accounts.SecurityNone)
	err, _ := runBounded(t, f)
	wantProtocolError(t, err, "a literal of 4000000000 bytes")
}

func TestHostileHugeBodyLiteral(t *testing.T) {
	// The message's RFC822.SIZE is 80 bytes; its body arrives announced as
	// 4,000,000,000. The headers are stored, the body is refused.
	const size = 4_000_000_000
	f := newHostileFixture(t, mailtest.ScriptedIMAPOptions{
		Any: syncScript([]string{"INBOX"},
			mailtest.ScriptStep{Expect: `^UID FETCH .*BODY\.PEEK\[\]`,
				Reply: "* 1 FETCH (UID 1 BODY[] {" + strconv.Itoa(size) + "}\r\n", Stream: zeros(size)},
		),
	}, accounts.SecurityNone)
	err, _ := runBounded(t, f)
	wantProtocolError(t, err, "a literal of 4000000000 bytes")
	if got := f.storedSubjects(t, "INBOX"); len(got) != 1 {
		t.Errorf("stored subjects %q, want the one message's", got)
	}
}

func TestHostileDeepBodyStructure(t *testing.T) {
	// A body structure nested 20,000 multiparts deep.
	const depth = 20_000
	structure := strings.Repeat("(", depth) + `"text" "plain" NIL NIL NIL "7bit" 1 1` + strings.Repeat(`) "mixed"`, depth-1) + ")"
	f := newHostileFixture(t, mailtest.ScriptedIMAPOptions{
		Any: syncScript([]string{"INBOX"},
			mailtest.ScriptStep{Expect: `^UID FETCH .*BODYSTRUCTURE`, Reply: headerFetch("", structure)},
		),
	}, accounts.SecurityNone)
	err, _ := runBounded(t, f)
	wantProtocolError(t, err, "nested more than")
}

func TestHostileLongLine(t *testing.T) {
	// 200 MiB of a response line without CRLF, in answer to SELECT.
	const size = 200 << 20
	f := newHostileFixture(t, mailtest.ScriptedIMAPOptions{
		Any: syncScript([]string{"INBOX"},
			mailtest.ScriptStep{Expect: `^(SELECT|EXAMINE) `, Reply: "* OK ", Stream: zeros(size)},
		),
	}, accounts.SecurityNone)
	err, _ := runBounded(t, f)
	wantProtocolError(t, err, "a line of more than")
}

func TestHasAttachmentsDeepIsLinear(t *testing.T) {
	// hasAttachments over a structure 5,000 levels deep allocates next to
	// nothing (go-imap's Walk copied the path at every level: 100 MB).
	const depth = 5000
	var bs imap.BodyStructure = &imap.BodyStructureSinglePart{Type: "text", Subtype: "plain"}
	for i := 0; i < depth; i++ {
		bs = &imap.BodyStructureMultiPart{Children: []imap.BodyStructure{bs}, Subtype: "mixed"}
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	hasAttachments(bs)
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("hasAttachments at depth %d allocated %d bytes, want under 1 MB", depth, alloc)
	}
}

func TestHostileUndecodableMailboxNameSkipped(t *testing.T) {
	// Two names that do not decode as modified UTF-7: one that encodes a
	// NUL, one whose base64 never ends. The account syncs without them.
	bad := []string{"&AAA-", "bad&Jjo"}
	f := newHostileFixture(t, mailtest.ScriptedIMAPOptions{
		Any: syncScript(append([]string{"INBOX", "Good"}, bad...)),
	}, accounts.SecurityNone)
	rep, err := f.eng.SyncOnce(context.Background())
	if err != nil {
		t.Fatalf("SyncOnce: %v", err)
	}
	boxes, err := f.st.Mailboxes(context.Background(), "hostile")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range boxes {
		names = append(names, b.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"Good", "INBOX"}) {
		t.Errorf("stored folders %q, want [Good INBOX]", names)
	}
	if got := f.eng.Stats().SkippedFolders; !slices.Equal(got, bad) {
		t.Errorf("Stats().SkippedFolders = %q, want %q", got, bad)
	}
	if !f.logs.contains(`folder "&AAA-" skipped`) {
		t.Errorf("no log line says the folder was skipped")
	}
	if rep.Bodies != 2 {
		t.Errorf("bodies fetched %d, want 2 (INBOX and Good)", rep.Bodies)
	}
}

func TestHostileMailboxNamesAreNotPaths(t *testing.T) {
	// Folder names that would climb out of a directory if used as paths
	// are stored as names; nothing is written outside the home, and no
	// path under it takes its name from a folder.
	names := []string{"INBOX", "../../etc", "..", "/tmp/tern-abs", `..\..\win`, "a/../../b"}
	f := newHostileFixture(t, mailtest.ScriptedIMAPOptions{Any: syncScript(names)}, accounts.SecurityNone)
	root := filepath.Dir(f.home)
	rep, err := f.eng.SyncOnce(context.Background())
	if err != nil {
		t.Fatalf("SyncOnce: %v", err)
	}
	if rep.Bodies != len(names) {
		t.Errorf("bodies fetched %d, want %d", rep.Bodies, len(names))
	}
	for _, n := range names {
		if got := f.storedSubjects(t, n); len(got) != 1 || got[0] != "hello" {
			t.Errorf("folder %q: stored subjects %q, want [hello]", n, got)
		}
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if rel != "." && rel != "home" && !strings.HasPrefix(rel, "home"+string(filepath.Separator)) {
			t.Errorf("%s written outside the home", rel)
		}
		for _, part := range strings.Split(rel, string(filepath.Separator)) {
			if part == "etc" || part == "b" || part == "win" || strings.Contains(part, "tern-abs") {
				t.Errorf("path %s is named after a folder", rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/tmp/tern-abs"); err == nil {
		t.Errorf("/tmp/tern-abs exists")
	}
}

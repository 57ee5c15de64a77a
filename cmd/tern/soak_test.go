package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"
	_ "modernc.org/sqlite"

	"github.com/ternmail/tern/internal/mailtest"
)

// The crash loop: a tern binary is killed with SIGKILL at random points
// while it syncs for the first time, syncs again after changes on the
// server, sends queued actions (tern mark, move, delete, archive) and
// sends mail, against real Dovecot and Postfix. After every kill the store
// must open and pass SQLite's integrity check; at the end, after a clean
// sync, it must equal the server message by message, flags included, with
// every action that reached the store applied on the server and every
// outgoing message delivered once (or reported uncertain, which is
// counted). It runs only with TERN_SOAK=1 (make soak); TERN_SOAK_SEED
// replays a run's choices, TERN_SOAK_ITERATIONS changes its length
// (default 50) and TERN_SOAK_INITIAL how many of them are first syncs
// (default a sixth).

const (
	soakMessages    = 2000 // in alice's INBOX before the first sync
	soakNewPerSync  = 6    // delivered before each resync
	soakFolderLimit = "1000000"
)

// soakFolders are the folders actions move messages between.
var soakFolders = []string{"INBOX", "Archive", "Junk", "Trash"}

// modelMsg is where a message the actions own should be, and its flags.
type modelMsg struct {
	folder  string
	seen    bool
	flagged bool
	gone    bool // deleted for good
}

type soak struct {
	t     *testing.T
	rng   *rand.Rand
	bin   string
	home  string
	real  *mailtest.Real
	alice mailtest.RealUser
	bob   mailtest.RealUser
	// model holds the messages only actions change (by Message-ID); the
	// others are changed on the server only.
	model map[string]*modelMsg
	// serverOwned are the Message-IDs of messages changed on the server
	// only.
	serverOwned map[string]bool
	nextNew     int

	stats map[string]int // per phase: "<phase> killed" / "<phase> finished"
	// took is how long a run of each phase that was not killed took
	// lately: kills fall at a random point within it.
	took map[string]time.Duration
}

func TestSoakCrashLoop(t *testing.T) {
	if os.Getenv("TERN_SOAK") == "" {
		t.Skip("the crash loop runs with TERN_SOAK=1 (make soak)")
	}
	seed := time.Now().UnixNano()
	if v := os.Getenv("TERN_SOAK_SEED"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("TERN_SOAK_SEED=%q: %v", v, err)
		}
		seed = n
	}
	iterations := 50
	if v := os.Getenv("TERN_SOAK_ITERATIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("TERN_SOAK_ITERATIONS=%q: want a whole number above 0", v)
		}
		iterations = n
	}
	t.Logf("crash loop: seed %d (replay with TERN_SOAK_SEED=%d), %d iterations", seed, seed, iterations)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("crash loop failed; replay with TERN_SOAK_SEED=%d TERN_SOAK_ITERATIONS=%d make soak", seed, iterations)
		}
	})
	start := time.Now()

	s := &soak{t: t, rng: rand.New(rand.NewSource(seed)), model: map[string]*modelMsg{}, serverOwned: map[string]bool{}, stats: map[string]int{},
		took: map[string]time.Duration{"initial sync": 3 * time.Second, "resync": time.Second, "action": time.Second, "send": time.Second}}
	s.alice = mailtest.RealUser{Name: "alice@example.test", Password: "alice-soak-pw"}
	s.bob = mailtest.RealUser{Name: "bob@example.test", Password: "bob-soak-pw"}
	s.real = mailtest.RealForTest(t, s.alice, s.bob)
	s.bin = buildTern(t)
	s.seed()
	s.newHome()
	t.Logf("set up in %v", time.Since(start).Round(time.Millisecond))

	initial := max(iterations/6, 1)
	if v := os.Getenv("TERN_SOAK_INITIAL"); v != "" {
		initial, _ = strconv.Atoi(v)
	}
	attachments := t.TempDir()
	synced, homes := false, 1
	for i := 0; i < iterations; i++ {
		phase := "initial sync"
		if i >= initial {
			switch r := s.rng.Intn(5); {
			case r == 0:
				phase = "resync"
			case r <= 2:
				phase = "action"
			default:
				phase = "send"
			}
		}
		switch phase {
		case "initial sync":
			if synced {
				// The first sync is complete: kill the next one in a
				// new home, from nothing again.
				s.newHome()
				homes++
			}
			synced, _, _ = s.killed(phase, "", "sync")
			synced = !synced
		case "resync":
			s.changeServer()
			s.killed(phase, "", "sync")
		case "action":
			s.action(i)
		case "send":
			// An attachment of up to 3 MB makes DATA (and the APPEND
			// to Sent) long enough for kills to land in it.
			att := filepath.Join(attachments, fmt.Sprintf("attachment-%d.bin", i))
			data := make([]byte, s.rng.Intn(3<<20))
			s.rng.Read(data)
			if err := os.WriteFile(att, data, 0o600); err != nil {
				t.Fatal(err)
			}
			subject := fmt.Sprintf("soak send %d", i)
			if k, _, _ := s.killed(phase, fmt.Sprintf("Soak message %d.\n", i), "send", "--to", s.bob.Name, "--subject", subject, "--attach", att); k {
				// Where the kill fell: before the message was queued,
				// while it waited, while it was being sent, after.
				state := "not queued"
				for _, it := range s.outbox() {
					if it.Subject == subject {
						state = it.State
					}
				}
				s.stats["send killed: "+state]++
			}
		}
		s.checkOpens(i, phase)
	}
	loop := time.Since(start)

	uncertain, uncertainDelivered := s.flushOutbox()
	s.mustRun("", "sync")
	s.mustRun("", "sync") // what the first pass filed (copies in Sent) comes back into the store
	s.checkNothingPending()
	copies := s.checkSentCopies()
	s.compareStoreAndServer()
	s.checkModel()
	var phases []string
	for k, v := range s.stats {
		phases = append(phases, fmt.Sprintf("%s: %d", k, v))
	}
	sort.Strings(phases)
	t.Logf("crash loop: %d iterations in %v (%v with the final checks), seed %d; %s; initial syncs in %d homes; %d copies in Sent; uncertain outgoing messages: %d (%d of them delivered)",
		iterations, loop.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), seed, strings.Join(phases, ", "), homes, copies, uncertain, uncertainDelivered)
}

// buildTern builds the tern binary into a temporary directory.
func buildTern(t *testing.T) string {
	t.Helper()
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goCmd); err != nil {
		goCmd = "go"
	}
	bin := filepath.Join(t.TempDir(), "tern")
	cmd := exec.Command(goCmd, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// newHome makes a new, empty home with alice's account in it.
func (s *soak) newHome() {
	s.t.Helper()
	s.home = s.t.TempDir()
	s.mustRun(s.alice.Password+"\n", "account", "add", "--email", s.alice.Name, "--imap", s.real.IMAPAddr+":starttls",
		"--smtp", s.real.SubmissionAddr+":starttls", "--accept-cert", s.real.CertSHA256, "--password-stdin")
}

// seed delivers soakMessages messages to alice's INBOX over one LMTP
// connection; one in four is changed on the server only, the others by
// actions only.
func (s *soak) seed() {
	conn, err := net.Dial("tcp", s.real.LMTPAddr)
	if err != nil {
		s.t.Fatal(err)
	}
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		s.t.Fatal(err)
	}
	for i := 0; i < soakMessages; i++ {
		id := fmt.Sprintf("soak-%d@example.test", i)
		if i%4 == 0 {
			s.serverOwned[id] = true
		} else {
			s.model[id] = &modelMsg{folder: "INBOX"}
		}
		if err := c.SendMail("", []string{s.alice.Name}, bytes.NewReader(s.message(id, fmt.Sprintf("soak %d", i)))); err != nil {
			s.t.Fatalf("LMTP delivery %d: %v", i, err)
		}
	}
	if err := c.Quit(); err != nil {
		s.t.Fatal(err)
	}
}

// message returns a message with a body of random size (up to 16 KiB).
func (s *soak) message(id, subject string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Carol <carol@example.test>\r\nTo: alice@example.test\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: %s\r\n\r\n",
		subject, id, time.Now().Format(time.RFC1123Z))
	line := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 2) + "\r\n"
	for n := s.rng.Intn(16 << 10); n > 0; n -= len(line) {
		b.WriteString(line)
	}
	return b.Bytes()
}

func (s *soak) command(stdin string, args ...string) *exec.Cmd {
	cmd := exec.Command(s.bin, append([]string{"--home", s.home}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	return cmd
}

// run runs tern to the end and returns its exit code and output.
func (s *soak) run(stdin string, args ...string) (int, string, string) {
	cmd := s.command(stdin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		s.t.Fatalf("tern %s: %v", strings.Join(args, " "), err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

func (s *soak) mustRun(stdin string, args ...string) string {
	s.t.Helper()
	code, out, errs := s.run(stdin, args...)
	if code != 0 {
		s.t.Fatalf("tern %s: exit %d: %s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// killed starts tern and kills it with SIGKILL at a random point within
// the time a run of phase takes, unless it ends before. It returns whether
// the kill cut it off, and its exit code and output if it was not.
func (s *soak) killed(phase string, stdin string, args ...string) (bool, int, string) {
	s.t.Helper()
	d := time.Duration(s.rng.Int63n(int64(s.took[phase])))
	cmd := s.command(stdin, args...)
	start := time.Now()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-done:
		s.t.Logf("%s: tern %s finished in %v", phase, strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
		s.stats[phase+" finished"]++
		s.took[phase] = max((s.took[phase]+time.Since(start))/2, 50*time.Millisecond)
		code := cmd.ProcessState.ExitCode()
		if code != 0 && phase != "send" {
			s.t.Fatalf("%s: tern %s: exit %d: %s%s", phase, strings.Join(args, " "), code, out.String(), errb.String())
		}
		return false, code, out.String() + errb.String()
	case <-timer.C:
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		s.t.Fatal(err)
	}
	<-done
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		s.t.Logf("%s: tern %s killed after %v", phase, strings.Join(args, " "), d.Round(time.Millisecond))
		s.stats[phase+" killed"]++
		return true, -1, ""
	}
	s.stats[phase+" finished"]++
	return false, cmd.ProcessState.ExitCode(), out.String() + errb.String()
}

// checkOpens checks that the store passes SQLite's integrity check and
// that tern opens it.
func (s *soak) checkOpens(i int, phase string) {
	s.t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.home, "tern.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		s.t.Fatal(err)
	}
	var res string
	err = db.QueryRow(`PRAGMA integrity_check`).Scan(&res)
	db.Close()
	if err != nil || res != "ok" {
		s.t.Fatalf("iteration %d (%s): integrity_check: %q, %v", i, phase, res, err)
	}
	if code, out, errs := s.run("", "folders", "--json"); code != 0 {
		s.t.Fatalf("iteration %d (%s): tern folders after the kill: exit %d: %s%s", i, phase, code, out, errs)
	}
}

// list returns what the store shows of folder.
func (s *soak) list(folder string) []messageJSON {
	s.t.Helper()
	var list []messageJSON
	if err := json.Unmarshal([]byte(s.mustRun("", "list", folder, "--limit", soakFolderLimit, "--json")), &list); err != nil {
		s.t.Fatal(err)
	}
	return list
}

// action runs a random tern mark, move, archive or delete on one to three
// messages the actions own, kills it at a random point, and records in the
// model what reached the store (an action is in the store, and so must
// reach the server, once the command's local change is made).
func (s *soak) action(i int) {
	s.t.Helper()
	// The last initial sync may have been killed before it listed the
	// folders: act only between folders the store holds.
	var folders []folderJSON
	if err := json.Unmarshal([]byte(s.mustRun("", "folders", "--json")), &folders); err != nil {
		s.t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, f := range folders {
		stored[f.Name] = true
	}
	var choice []string
	for _, f := range soakFolders {
		if stored[f] {
			choice = append(choice, f)
		}
	}
	if !stored["INBOX"] || len(choice) < 2 {
		s.killed("resync", "", "sync")
		return
	}
	src := choice[s.rng.Intn(len(choice))]
	var mine []messageJSON
	for _, m := range s.list(src) {
		if mm := s.model[m.MessageID]; mm != nil && mm.folder == src && !mm.gone {
			mine = append(mine, m)
		}
	}
	if len(mine) == 0 {
		src = "INBOX"
		for _, m := range s.list(src) {
			if mm := s.model[m.MessageID]; mm != nil && mm.folder == src && !mm.gone {
				mine = append(mine, m)
			}
		}
	}
	if len(mine) == 0 {
		// The first sync was killed before it stored INBOX's messages.
		s.killed("resync", "", "sync")
		return
	}
	s.rng.Shuffle(len(mine), func(a, b int) { mine[a], mine[b] = mine[b], mine[a] })
	picked := mine[:min(len(mine), 1+s.rng.Intn(3))]
	args := []string{"", src}
	for _, m := range picked {
		args = append(args, strconv.FormatUint(uint64(m.UID), 10))
	}
	verb, flag, target := "", "", ""
	switch r := s.rng.Intn(6); {
	case r <= 2:
		verb = "mark"
		flag = []string{"read", "unread", "star", "unstar"}[s.rng.Intn(4)]
		args = append(args, "--"+flag)
	case r == 3:
		verb = "move"
		for target == "" || target == src {
			target = choice[s.rng.Intn(len(choice))]
		}
		args = append(args, "--to", target)
	case r == 4 && src != "Archive" && stored["Archive"]:
		verb, target = "archive", "Archive"
	case stored["Trash"]:
		verb, target = "delete", "Trash"
	default:
		verb, flag = "mark", "read"
		args = append(args, "--read")
	}
	args[0] = verb
	wasKilled, code, out := s.killed("action", "", args...)
	if !wasKilled && code != 0 {
		s.t.Fatalf("iteration %d: tern %s: exit %d: %s", i, strings.Join(args, " "), code, out)
	}
	// What the store holds now says which of the picked messages the
	// command changed before it was killed.
	now := map[string]messageJSON{}
	if wasKilled {
		for _, m := range s.list(src) {
			now[m.MessageID] = m
		}
	}
	for _, m := range picked {
		mm := s.model[m.MessageID]
		cur, still := now[m.MessageID]
		switch verb {
		case "mark":
			on := flag == "read" || flag == "star"
			name := `\Seen`
			if flag == "star" || flag == "unstar" {
				name = `\Flagged`
			}
			applied := !wasKilled || (still && hasFlag(cur.Flags, name) == on)
			if wasKilled && !still {
				s.t.Fatalf("iteration %d: UID %d left %s while being marked", i, m.UID, src)
			}
			if applied && name == `\Seen` {
				mm.seen = on
			} else if applied {
				mm.flagged = on
			}
		default:
			if wasKilled && still {
				continue // the kill came first
			}
			if verb == "delete" && src == "Trash" {
				mm.gone = true
			} else {
				mm.folder = target
			}
		}
	}
}

// imap logs in to the server as user.
func (s *soak) imap(user mailtest.RealUser) *imapclient.Client {
	s.t.Helper()
	c, err := imapclient.DialStartTLS(s.real.IMAPAddr, &imapclient.Options{TLSConfig: s.real.TLSConfig()})
	if err != nil {
		s.t.Fatal(err)
	}
	if err := c.Login(user.Name, user.Password).Wait(); err != nil {
		c.Close()
		s.t.Fatal(err)
	}
	return c
}

// changeServer changes what the server holds, as another client would:
// flags of a few messages changed on the server only, one of them
// sometimes expunged, and new mail.
func (s *soak) changeServer() {
	s.t.Helper()
	c := s.imap(s.alice)
	defer c.Close()
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		s.t.Fatal(err)
	}
	var all imap.UIDSet
	all.AddRange(1, 0)
	bufs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Envelope: true}).Collect()
	if err != nil {
		s.t.Fatal(err)
	}
	var theirs []imap.UID
	for _, b := range bufs {
		if b.Envelope != nil && s.serverOwned[b.Envelope.MessageID] {
			theirs = append(theirs, b.UID)
		}
	}
	for n := 0; n < 4 && len(theirs) > 0; n++ {
		uid := theirs[s.rng.Intn(len(theirs))]
		op := imap.StoreFlagsAdd
		if s.rng.Intn(2) == 0 {
			op = imap.StoreFlagsDel
		}
		flag := []imap.Flag{imap.FlagSeen, imap.FlagFlagged, imap.FlagAnswered}[s.rng.Intn(3)]
		if err := c.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: op, Flags: []imap.Flag{flag}, Silent: true}, nil).Close(); err != nil {
			s.t.Fatal(err)
		}
	}
	if len(theirs) > 0 && s.rng.Intn(3) == 0 {
		uid := theirs[s.rng.Intn(len(theirs))]
		if err := c.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}, nil).Close(); err != nil {
			s.t.Fatal(err)
		}
		if err := c.UIDExpunge(imap.UIDSetNum(uid)).Close(); err != nil {
			s.t.Fatal(err)
		}
	}
	for n := 0; n < soakNewPerSync; n++ {
		id := fmt.Sprintf("soak-new-%d@example.test", s.nextNew)
		s.nextNew++
		s.serverOwned[id] = true
		if err := s.real.Deliver(s.alice.Name, s.message(id, "soak new "+id)); err != nil {
			s.t.Fatal(err)
		}
	}
}

// flushOutbox sends what the kills left queued (tern outbox retry) and
// checks every outgoing message: sent ones delivered to bob exactly once,
// uncertain ones at most once, nothing delivered that the outbox does not
// know. It returns how many are uncertain and how many of those were
// delivered.
func (s *soak) flushOutbox() (uncertain, delivered int) {
	s.t.Helper()
	// A message a kill left "sending" stays so until an outbox worker
	// starts again (it is then marked uncertain): the next tern send
	// starts one, and sends what is due.
	items := s.outbox()
	for _, it := range items {
		if it.State == "sending" || it.State == "queued" {
			s.mustRun("Last soak message.\n", "send", "--to", s.bob.Name, "--subject", "soak send last")
			items = s.outbox()
			break
		}
	}
	// Each tern outbox retry sends every message due, not only its own:
	// look again after each.
	for tries := len(items); tries > 0; tries-- {
		queued := int64(0)
		for _, it := range items {
			if it.State == "queued" {
				queued = it.ID
			}
		}
		if queued == 0 {
			break
		}
		if code, out, errs := s.run("", "outbox", "retry", strconv.FormatInt(queued, 10)); code != 0 && !strings.Contains(errs, "already sent") {
			s.t.Errorf("tern outbox retry %d: exit %d: %s%s", queued, code, out, errs)
		}
		items = s.outbox()
	}
	want := map[string]bool{}
	for _, it := range items {
		switch it.State {
		case "sent":
			want[it.MessageID] = true
		case "uncertain":
			uncertain++
		default:
			s.t.Errorf("outbox message %d (%s) is %s at the end: %s", it.ID, it.Subject, it.State, it.LastError)
		}
	}
	// Postfix delivers to bob in the background: wait until every message
	// sent has arrived (or a minute has passed).
	var got map[string]int
	deadline := time.Now().Add(time.Minute)
	for {
		got = s.delivered()
		missing := 0
		for id := range want {
			if got[id] == 0 {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	known := map[string]string{}
	for _, it := range items {
		known[it.MessageID] = it.State
		n := got[it.MessageID]
		switch {
		case it.State == "sent" && n != 1:
			s.t.Errorf("outbox message %d (%s) was sent and delivered %d times", it.ID, it.Subject, n)
		case it.State == "uncertain" && n > 1:
			s.t.Errorf("outbox message %d (%s) is uncertain and was delivered %d times", it.ID, it.Subject, n)
		case it.State == "uncertain" && n == 1:
			delivered++
		}
	}
	for id, n := range got {
		if _, ok := known[id]; !ok {
			s.t.Errorf("bob got %d message(s) with Message-ID %s that the outbox does not hold", n, id)
		}
	}
	return uncertain, delivered
}

func (s *soak) outbox() []outboxJSON {
	s.t.Helper()
	var items []outboxJSON
	if err := json.Unmarshal([]byte(s.mustRun("", "outbox", "--json")), &items); err != nil {
		s.t.Fatal(err)
	}
	return items
}

// delivered counts the messages in bob's INBOX by Message-ID.
func (s *soak) delivered() map[string]int {
	c := s.imap(s.bob)
	defer c.Close()
	box, err := fetchByID(c, "INBOX")
	if err != nil {
		s.t.Fatal(err)
	}
	got := map[string]int{}
	for id, msgs := range box {
		got[id] = len(msgs)
	}
	return got
}

// fetchByID returns folder's messages by Message-ID (read-only).
func fetchByID(c *imapclient.Client, folder string) (map[string][]serverMsg, error) {
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, err
	}
	out := map[string][]serverMsg{}
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
		id := ""
		if b.Envelope != nil {
			m.Subject, id = b.Envelope.Subject, b.Envelope.MessageID
		}
		out[id] = append(out[id], m)
	}
	return out, nil
}

// checkSentCopies checks that every message sent has one copy in
// alice's Sent and none has two, and returns how many copies there are.
func (s *soak) checkSentCopies() int {
	s.t.Helper()
	c := s.imap(s.alice)
	defer c.Close()
	sent, err := fetchByID(c, "Sent")
	if err != nil {
		s.t.Fatal(err)
	}
	n := 0
	for id, msgs := range sent {
		n += len(msgs)
		if len(msgs) > 1 {
			s.t.Errorf("Sent holds %d copies of %s", len(msgs), id)
		}
	}
	for _, it := range s.outbox() {
		if it.State == "sent" && len(sent[it.MessageID]) == 0 {
			s.t.Errorf("outbox message %d (%s) was sent and has no copy in Sent", it.ID, it.Subject)
		}
	}
	return n
}

// checkNothingPending checks that no action waits for the server.
func (s *soak) checkNothingPending() {
	s.t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.home, "tern.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		s.t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM pending_actions`).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	if n != 0 {
		s.t.Errorf("%d actions still pending after a clean sync", n)
	}
}

// compareStoreAndServer checks that the store holds every folder the
// server has, message by message: the same UIDs with the same flags.
func (s *soak) compareStoreAndServer() {
	s.t.Helper()
	c := s.imap(s.alice)
	defer c.Close()
	boxes, err := c.List("", "*", nil).Collect()
	if err != nil {
		s.t.Fatal(err)
	}
	var folders []folderJSON
	if err := json.Unmarshal([]byte(s.mustRun("", "folders", "--json")), &folders); err != nil {
		s.t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, f := range folders {
		stored[f.Name] = true
	}
	total := 0
	for _, b := range boxes {
		if !stored[b.Mailbox] {
			s.t.Errorf("folder %s is on the server, not in the store", b.Mailbox)
			continue
		}
		delete(stored, b.Mailbox)
		server, err := fetchFolder(c, b.Mailbox)
		if err != nil {
			s.t.Fatal(err)
		}
		local := map[uint32][]string{}
		for _, m := range s.list(b.Mailbox) {
			local[m.UID] = cleanFlags(m.Flags)
		}
		for uid, m := range server {
			fl, ok := local[uid]
			if !ok {
				s.t.Errorf("%s: UID %d (%s) is on the server, not in the store", b.Mailbox, uid, m.Subject)
			} else if strings.Join(fl, " ") != strings.Join(m.Flags, " ") {
				s.t.Errorf("%s: UID %d (%s) has flags %v on the server, %v in the store", b.Mailbox, uid, m.Subject, m.Flags, fl)
			}
			delete(local, uid)
		}
		for uid := range local {
			s.t.Errorf("%s: UID %d is in the store, not on the server", b.Mailbox, uid)
		}
		total += len(server)
	}
	for name := range stored {
		s.t.Errorf("folder %s is in the store, not on the server", name)
	}
	s.t.Logf("store equals server: %d folders, %d messages", len(boxes), total)
}

// checkModel checks that every action that reached the store reached the
// server: each message the actions own is in its folder, once, with its
// flags; one deleted for good is nowhere.
func (s *soak) checkModel() {
	s.t.Helper()
	c := s.imap(s.alice)
	defer c.Close()
	where := map[string][]string{}
	flags := map[string][]string{}
	for _, f := range soakFolders {
		box, err := fetchByID(c, f)
		if err != nil {
			s.t.Fatal(err)
		}
		for id, msgs := range box {
			for _, m := range msgs {
				where[id] = append(where[id], f)
				flags[id] = m.Flags
			}
		}
	}
	for id, mm := range s.model {
		if mm.gone {
			if len(where[id]) != 0 {
				s.t.Errorf("%s was deleted for good, and is in %v on the server", id, where[id])
			}
			continue
		}
		if len(where[id]) != 1 || where[id][0] != mm.folder {
			s.t.Errorf("%s is in %v on the server, want %s alone", id, where[id], mm.folder)
			continue
		}
		if hasFlag(flags[id], `\Seen`) != mm.seen || hasFlag(flags[id], `\Flagged`) != mm.flagged {
			s.t.Errorf("%s has flags %v on the server, want seen %v, flagged %v", id, flags[id], mm.seen, mm.flagged)
		}
	}
}

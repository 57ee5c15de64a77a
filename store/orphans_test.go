package store

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// orphanChildEnv names the store a child process of TestOrphansOfKilledProcess
// writes into.
const orphanChildEnv = "TERN_STORE_ORPHAN_CHILD"

// orphanChild is the child's part: it opens the store, writes the pack of
// a batch of bodies as the sync engine does ahead of the commit, prints the
// pack's name and waits to be killed before committing.
func orphanChild(path string) {
	db, err := Open(path)
	if err != nil {
		os.Stderr.WriteString(err.Error())
		os.Exit(1)
	}
	ctx := context.Background()
	box, err := db.MailboxByName(ctx, "acct", "INBOX")
	if err != nil {
		os.Exit(1)
	}
	m, err := db.MessageByUID(ctx, box.ID, box.UIDValidity, 2)
	if err != nil {
		os.Exit(1)
	}
	b := []Body{{MessageID: m.ID, Raw: []byte("Subject: b\r\n\r\nbeing written\r\n")}}
	if err := db.WriteBodyFiles(b); err != nil {
		os.Exit(1)
	}
	os.Stdout.WriteString(b[0].file + "\n")
	bufio.NewReader(os.Stdin).ReadString('\n') // never comes: the parent kills us
	os.Exit(1)
}

// TestOrphansOfKilledProcess runs a second process that writes a pack and
// is killed before committing it, as a crash mid-sync leaves it. While the
// writer lives, opening the store elsewhere must keep its pack (it is about
// to be committed); once it is dead, the next open removes the orphan at
// once, however young, and keeps every pack a row names.
func TestOrphansOfKilledProcess(t *testing.T) {
	if p := os.Getenv(orphanChildEnv); p != "" {
		orphanChild(p)
		return
	}
	path := filepath.Join(t.TempDir(), "tern.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	box := seedMailbox(t, db, 3)
	live := putBatch(t, db, box, 100, 1)
	liveFile := bodyFileOf(t, db, live[1].MessageID)
	db.Close()

	child := exec.Command(os.Args[0], "-test.run=^TestOrphansOfKilledProcess$", "-test.count=1")
	child.Env = append(os.Environ(), orphanChildEnv+"="+path)
	child.Stderr = os.Stderr
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("the child wrote no pack: %v", err)
	}
	inFlight := strings.TrimSpace(line)

	// The writer lives: its pack stays, and so does every other.
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	<-db.files.ready
	if got := bodyFileNames(t, db); !slices.Contains(got, inFlight) || !slices.Contains(got, liveFile) {
		t.Errorf("with the writer alive, files %v; want %s (in flight) and %s (live) kept", got, inFlight, liveFile)
	}
	more := putBatch(t, db, box, 100, 3)
	moreFile := bodyFileOf(t, db, more[3].MessageID)
	db.Close()

	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()

	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	<-db.files.ready
	got := bodyFileNames(t, db)
	want := []string{liveFile, moreFile}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("after the writer died, files %v; want only the live %v (the orphan %s gone)", got, want, inFlight)
	}
	checkBodies(t, db, live)
	checkBodies(t, db, more)
}

// BenchmarkOpenSweep measures the sweep at open of a store of 20,000
// messages each with a pack of its own (bodies fetched one at a time, the
// most files a store can have for its messages): from Open until packs may
// be written.
func BenchmarkOpenSweep(b *testing.B) {
	const n = 20000
	path := filepath.Join(b.TempDir(), "tern.db")
	db, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	boxes, err := db.SetMailboxes(ctx, "acct", []Mailbox{{Name: "INBOX", Role: RoleInbox, Selectable: true}})
	if err != nil {
		b.Fatal(err)
	}
	box := boxes[0]
	if err := db.SetSyncState(ctx, box.ID, SyncState{UIDValidity: 7, UIDNext: n + 1}); err != nil {
		b.Fatal(err)
	}
	msgs := make([]Message, n)
	for i := range msgs {
		msgs[i] = Message{UIDValidity: 7, UID: uint32(i + 1), Subject: "s"}
	}
	if err := db.PutMessages(ctx, "acct", box.ID, msgs); err != nil {
		b.Fatal(err)
	}
	stored, err := db.Messages(ctx, box.ID, 0, n)
	if err != nil {
		b.Fatal(err)
	}
	bodies := make([]Body, len(stored))
	for i, m := range stored {
		bodies[i] = Body{MessageID: m.ID, Raw: []byte("Subject: s\r\n\r\nbody\r\n")}
		if err := db.WriteBodyFiles(bodies[i : i+1]); err != nil {
			b.Fatal(err)
		}
	}
	if k, err := db.PutBodies(ctx, bodies); err != nil || k != n {
		b.Fatalf("PutBodies = %d, %v", k, err)
	}
	db.Close()
	b.ResetTimer()
	for range b.N {
		db, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		<-db.files.ready
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
}

package imapsync

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
)

// TestBodiesReadBackFromPacks syncs bodies in several batches, and so into
// several packs (one of them holding a body over a megabyte), and checks
// every stored body byte for byte against what the server holds. What is
// tested is the store's packs, not the server, which only serves the
// bodies: the in-process one keeps the 8 MB of seed quick.
func TestBodiesReadBackFromPacks(t *testing.T) {
	var seed []mailtest.SeedMessage
	want := map[string][]byte{}
	for i := 0; i < 70; i++ {
		size := 50_000 + i*1500
		if i == 33 {
			size = 1_500_000
		}
		var sb bytes.Buffer
		fmt.Fprintf(&sb, "From: a@example.test\r\nSubject: body %d\r\nMessage-ID: <b%d@example.test>\r\n\r\n", i, i)
		for line := 0; sb.Len() < size; line++ {
			fmt.Fprintf(&sb, "message %d line %d %x\r\n", i, line, line*i)
		}
		want[fmt.Sprintf("body %d", i)] = sb.Bytes()
		seed = append(seed, mailtest.SeedMessage{Mailbox: "INBOX", Date: time.Unix(1_700_000_000+int64(i)*60, 0), Raw: sb.Bytes()})
	}
	f := newInprocFixture(t, &mailtest.ServerOptions{TLS: true, Seed: seed})
	ctx := context.Background()
	rep, err := New(f.st, f.acct, f.opts).SyncOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Bodies != len(seed) {
		t.Fatalf("stored %d bodies, want %d", rep.Bodies, len(seed))
	}
	inbox, _ := f.st.MailboxByRole(ctx, f.acct.ID, store.RoleInbox)
	msgs, _ := f.st.Messages(ctx, inbox.ID, 0, 1000)
	if len(msgs) != len(seed) {
		t.Fatalf("%d messages, want %d", len(msgs), len(seed))
	}
	for _, m := range msgs {
		raw, err := f.st.Body(ctx, m.ID)
		if err != nil || !bytes.Equal(raw, want[m.Subject]) {
			t.Fatalf("%q: stored body of %d bytes (%v) differs from the %d sent", m.Subject, len(raw), err, len(want[m.Subject]))
		}
	}
}

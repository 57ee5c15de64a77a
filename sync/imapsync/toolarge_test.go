package imapsync

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
)

// TestBodyTooLargeSkipped has a server send a body far bigger than its
// RFC822.SIZE allows: the pass that meets it fails (the guard ends the
// connection), marks the message, and every later pass skips it and
// succeeds; opening it says it is too large without asking the server.
func TestBodyTooLargeSkipped(t *testing.T) {
	const size = 4_000_000_000
	f := newHostileFixture(t, mailtest.ScriptedIMAPOptions{
		Any: syncScript([]string{"INBOX"},
			mailtest.ScriptStep{Expect: `^UID FETCH .*BODY\.PEEK\[\]`,
				Reply: "* 1 FETCH (UID 1 BODY[] {" + strconv.Itoa(size) + "}\r\n", Stream: zeros(size)},
		),
	}, accounts.SecurityNone)
	ctx := context.Background()
	_, err := f.eng.SyncOnce(ctx)
	wantProtocolError(t, err, "a literal of 4000000000 bytes")
	fetches := func() (n int) {
		for _, c := range f.srv.Commands() {
			if strings.Contains(c.Line, "BODY.PEEK[]") {
				n++
			}
		}
		return n
	}
	before := fetches()
	for pass := 2; pass <= 3; pass++ {
		if _, err := f.eng.SyncOnce(ctx); err != nil {
			t.Fatalf("pass %d: %v", pass, err)
		}
	}
	if n := fetches(); n != before {
		t.Errorf("%d body FETCHes after the first pass, want none", n-before)
	}
	inbox, err := f.st.MailboxByName(ctx, "hostile", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := f.st.Messages(ctx, inbox.ID, 0, 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("stored %d messages (%v), want the one", len(msgs), err)
	}
	_, err = f.eng.FetchBody(ctx, msgs[0].ID)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Size != size {
		t.Fatalf("opening it: %v, want a TooLargeError of %d bytes", err, size)
	}
	if want := "This message is larger than Tern downloads (3814 MB)."; err.Error() != want {
		t.Errorf("opening it says %q, want %q", err, want)
	}
	if n := fetches(); n != before {
		t.Errorf("opening it asked the server for the body")
	}
}

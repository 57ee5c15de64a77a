package demomail

import (
	"bufio"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// TestServerWithoutCaps checks that a server started without MOVE, UIDPLUS
// and LIST-STATUS neither advertises nor performs them, and counts bare
// EXPUNGEs.
func TestServerWithoutCaps(t *testing.T) {
	s := serverForTest(t, &ServerOptions{Seed: testSeed(), Without: []imap.Cap{imap.CapMove, imap.CapUIDPlus, imap.CapListStatus}})
	c := dialIMAP(t, s, nil)
	for _, cp := range []imap.Cap{imap.CapMove, imap.CapUIDPlus, imap.CapListStatus} {
		if c.Caps().Has(cp) {
			t.Errorf("%s advertised", cp)
		}
	}
	if !c.Caps().Has(imap.CapIdle) || !c.Caps().Has(imap.CapSpecialUse) {
		t.Errorf("other capabilities lost: %v", c.Caps())
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	// MOVE itself, sent raw (go-imap's client falls back without the
	// capability), is refused.
	raw, err := net.Dial("tcp", s.IMAPAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	r := bufio.NewReader(raw)
	fmt.Fprintf(raw, "a LOGIN %s %s\r\nb SELECT INBOX\r\nc UID MOVE 1 Archive\r\n", s.Username, s.Password)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("raw MOVE: %v", err)
		}
		if strings.HasPrefix(line, "c ") {
			if !strings.HasPrefix(line, "c BAD") && !strings.HasPrefix(line, "c NO") {
				t.Fatalf("raw MOVE answered %q", line)
			}
			break
		}
	}
	// The client's own fallback for Move is COPY + STORE + bare EXPUNGE.
	if _, err := c.Move(imap.UIDSetNum(1), "Archive").Wait(); err != nil {
		t.Fatalf("client fallback move: %v", err)
	}
	if s.BareExpunges() != 1 {
		t.Errorf("bare EXPUNGEs counted %d, want 1", s.BareExpunges())
	}
	if err := c.UIDExpunge(imap.UIDSetNum(2)).Close(); err == nil {
		t.Error("UID EXPUNGE accepted without UIDPLUS")
	}
	list := listNames(t, c, &imap.ListOptions{ReturnStatus: &imap.StatusOptions{NumMessages: true}})
	if list["INBOX"] == nil || list["INBOX"].Status != nil {
		t.Errorf("LIST-STATUS answered although disabled: %+v", list["INBOX"])
	}

	// A server with every capability performs MOVE and UID EXPUNGE.
	full := serverForTest(t, &ServerOptions{Seed: testSeed()})
	fc := dialIMAP(t, full, nil)
	if _, err := fc.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := fc.Move(imap.UIDSetNum(1), "Archive").Wait(); err != nil || full.BareExpunges() != 0 {
		t.Fatalf("MOVE: %v, bare expunges %d", err, full.BareExpunges())
	}
}

// TestServerSetFlags checks that SetFlags changes what another client sees.
func TestServerSetFlags(t *testing.T) {
	s := serverForTest(t, &ServerOptions{Seed: testSeed()})
	if err := s.SetFlags("INBOX", 2, []string{`\Flagged`, `\Seen`}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFlags("Nowhere", 1, nil); err == nil {
		t.Error("SetFlags on a missing mailbox succeeded")
	}
	c := dialIMAP(t, s, nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.UIDSetNum(2), &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("fetch: %v %d", err, len(msgs))
	}
	if !slices.Contains(msgs[0].Flags, imap.FlagFlagged) || !slices.Contains(msgs[0].Flags, imap.FlagSeen) {
		t.Fatalf("flags %v", msgs[0].Flags)
	}
}

package imapsync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
	"github.com/ternmail/tern/store/query"
)

// searchPeople are the correspondents of searchSeed.
var searchPeople = []struct{ name, email string }{
	{"Alice Archer", "alice@example.test"},
	{"Bob Baker", "bob@example.test"},
	{"Carol Clark", "carol@example.org"},
}

// searchSeed returns 24 messages for INBOX that tell the search operators
// apart: three correspondents in turn as From, To and (every other
// message) Cc, five subjects, four bodies, a mix of \Seen and \Flagged,
// and dates four days apart from 2026-01-01, at noon UTC so that no
// server's time zone moves one to another day. Its words are whole words
// wherever they occur, so that the store's word search and IMAP's
// substring search agree; "pineapple" is only in bodies. Then one message
// in Archive.
func searchSeed() []mailtest.SeedMessage {
	subjects := []string{"Invoice March", "Weekly report", "Coffee weekend plans", "Budget review", "Lunch tomorrow"}
	bodies := []string{
		"Please find the numbers below. Pineapple juice for the team.",
		"Shall we have coffee on the weekend? Or tea.",
		"Let us plan the coffee weekend in the mountains.",
		"Nothing to add. Regards.",
	}
	var seed []mailtest.SeedMessage
	for i := range 24 {
		from, to, cc := searchPeople[i%3], searchPeople[(i+1)%3], searchPeople[(i+2)%3]
		date := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, 4*i)
		var sb strings.Builder
		fmt.Fprintf(&sb, "From: %s <%s>\r\nTo: %s <%s>\r\n", from.name, from.email, to.name, to.email)
		if i%2 == 0 {
			fmt.Fprintf(&sb, "Cc: %s <%s>\r\n", cc.name, cc.email)
		}
		fmt.Fprintf(&sb, "Subject: %s\r\nDate: %s\r\nMessage-ID: <search-%d@example.test>\r\nMIME-Version: 1.0\r\n"+
			"Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", subjects[i%5], date.Format(time.RFC1123Z), i, bodies[i%4])
		var flags []string
		if i%3 != 0 {
			flags = append(flags, `\Seen`)
		}
		if i%5 == 0 {
			flags = append(flags, `\Flagged`)
		}
		seed = append(seed, mailtest.SeedMessage{Mailbox: "INBOX", Flags: flags, Date: date, Raw: []byte(sb.String())})
	}
	seed = append(seed, mailtest.SeedMessage{Mailbox: "Archive", Date: time.Date(2025, 12, 1, 12, 0, 0, 0, time.UTC),
		Raw: []byte("From: Bob Baker <bob@example.test>\r\nTo: alice@example.test\r\nSubject: Old\r\n" +
			"Message-ID: <search-old@example.test>\r\n\r\nAn old letter.\r\n")})
	return seed
}

// searchCases are queries in Tern's language with the IMAP SEARCH that
// asks Dovecot the same, written out by hand.
var searchCases = []struct {
	q    string
	imap imap.SearchCriteria
}{
	{"from:alice", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "alice"}}}},
	{"from:carol@example.org", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "carol@example.org"}}}},
	{"to:bob", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "To", Value: "bob"}}}},
	{"cc:carol", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Cc", Value: "carol"}}}},
	{"subject:invoice", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "invoice"}}}},
	{`subject:"weekly report"`, imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "weekly report"}}}},
	{"pineapple", imap.SearchCriteria{Text: []string{"pineapple"}}},
	{`"coffee weekend"`, imap.SearchCriteria{Text: []string{"coffee weekend"}}},
	{"coffee weekend", imap.SearchCriteria{Text: []string{"coffee", "weekend"}}},
	{"-pineapple", imap.SearchCriteria{Not: []imap.SearchCriteria{{Text: []string{"pineapple"}}}}},
	{"is:unread", imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}},
	{"is:read", imap.SearchCriteria{Flag: []imap.Flag{imap.FlagSeen}}},
	{"is:starred", imap.SearchCriteria{Flag: []imap.Flag{imap.FlagFlagged}}},
	{"is:read -is:starred", imap.SearchCriteria{Flag: []imap.Flag{imap.FlagSeen}, NotFlag: []imap.Flag{imap.FlagFlagged}}},
	{"before:2026-02-01", imap.SearchCriteria{Before: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}},
	{"after:2026-02-14", imap.SearchCriteria{Since: time.Date(2026, 2, 15, 0, 0, 0, 0, time.UTC)}},
	{"-after:2026-02-14", imap.SearchCriteria{Before: time.Date(2026, 2, 15, 0, 0, 0, 0, time.UTC)}},
	{"from:alice -subject:invoice is:unread", imap.SearchCriteria{
		Header:  []imap.SearchCriteriaHeaderField{{Key: "From", Value: "alice"}},
		NotFlag: []imap.Flag{imap.FlagSeen},
		Not:     []imap.SearchCriteria{{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "invoice"}}}}}},
	{"from:bob after:2026-01-20 before:2026-03-01 coffee", imap.SearchCriteria{
		Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "bob"}},
		Since:  time.Date(2026, 1, 21, 0, 0, 0, 0, time.UTC), Before: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		Text: []string{"coffee"}}},
	{"-from:alice -to:alice", imap.SearchCriteria{Not: []imap.SearchCriteria{
		{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "alice"}}},
		{Header: []imap.SearchCriteriaHeaderField{{Key: "To", Value: "alice"}}}}}},
}

// TestSearchAgreesWithDovecot syncs a varied mailbox from real Dovecot and
// runs each of searchCases three ways: the store's search (what tern search
// and the window show), Dovecot's own UID SEARCH with criteria written by
// hand, and the engine's server search (the query translated by Criteria).
// All three must find the same messages. The store matches words (a word
// is also a prefix: "cof" finds "coffee"), IMAP matches substrings ("off"
// finds "coffee" there, not here); the seed's words are whole words
// wherever they occur, where both agree.
//
// The same fixture then checks the server merge: with bodies not
// downloaded, the server finds what the store cannot, and a message that
// arrived since the sync is fetched into the store, without waking the
// running engine.
func TestSearchAgreesWithDovecot(t *testing.T) {
	f := newFixture(t, profileDovecot, searchSeed())
	ctx := context.Background()

	// The merge first, while the store holds headers only.
	f.opts.BodiesPerPass = -1
	f.opts.PollInterval = time.Hour
	e := New(f.st, f.acct, f.opts)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { e.Run(rctx); close(done) }()
	var inbox, archive store.Mailbox
	waitFor(t, "the first sync", func() bool {
		var err1, err2 error
		inbox, err1 = f.st.MailboxByName(ctx, f.acct.ID, "INBOX")
		archive, err2 = f.st.MailboxByName(ctx, f.acct.ID, "Archive")
		return err1 == nil && err2 == nil && inbox.Total == 24 && archive.Total == 1
	})
	waitSettled(t, e)
	pineapple, _ := query.Parse("pineapple")
	if page, err := f.st.Find(ctx, pineapple, nil); err != nil || len(page.Messages) != 0 {
		t.Fatalf("the store found %d pineapples without bodies (%v)", len(page.Messages), err)
	}
	// A message arrives in Archive, where the engine does not idle.
	if _, err := f.other.Select("Archive", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	raw := "From: Carol Clark <carol@example.org>\r\nSubject: Fruit\r\nMessage-ID: <search-new@example.test>\r\n\r\nPineapple again.\r\n"
	app := f.other.Append("Archive", int64(len(raw)), &imap.AppendOptions{Time: time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)})
	app.Write([]byte(raw))
	app.Close()
	appended, err := app.Wait()
	if err != nil {
		t.Fatal(err)
	}
	wakes, passes := e.meter.wakes.Load(), e.Stats().Passes
	ids, err := e.Search(ctx, pineapple, []store.Mailbox{inbox, archive}, &SearchOptions{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	var uids []string
	for _, id := range ids {
		m, err := f.st.Message(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		box := "INBOX"
		if m.MailboxID == archive.ID {
			box = "Archive"
		}
		uids = append(uids, fmt.Sprintf("%s/%d", box, m.UID))
	}
	want := []string{"INBOX/1", "INBOX/5", "INBOX/9", "INBOX/13", "INBOX/17", "INBOX/21", fmt.Sprintf("Archive/%d", appended.UID)}
	if !slices.Equal(uids, want) {
		t.Errorf("the server search found %v, want %v", uids, want)
	}
	if _, err := f.st.MessageByUID(ctx, archive.ID, archive.UIDValidity, uint32(appended.UID)); err != nil {
		t.Errorf("the new message's headers are not in the store: %v", err)
	}
	if !e.settled() || e.meter.wakes.Load() != wakes || e.Stats().Passes != passes {
		t.Errorf("the search woke the engine: settled %v, wakes %d→%d, passes %d→%d",
			e.settled(), wakes, e.meter.wakes.Load(), passes, e.Stats().Passes)
	}
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	if _, err := e.Search(cctx, pineapple, []store.Mailbox{inbox}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled search returned %v", err)
	}
	cancel()
	<-done

	// Now with every body stored: the store, Dovecot and the engine's
	// translation must agree on every query.
	full := *f.opts
	full.BodiesPerPass = 0
	e = New(f.st, f.acct, &full)
	if _, err := e.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.other.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	for _, c := range searchCases {
		q, err := query.Parse(c.q)
		if err != nil {
			t.Fatal(err)
		}
		page, err := f.st.Find(ctx, q, &store.SearchOptions{MailboxID: inbox.ID, Location: time.UTC, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var local []uint32
		for _, m := range page.Messages {
			local = append(local, m.UID)
		}
		data, err := f.other.UIDSearch(&c.imap, nil).Wait()
		if err != nil {
			t.Fatalf("%s: Dovecot: %v", c.q, err)
		}
		var dovecot []uint32
		for _, u := range data.AllUIDs() {
			dovecot = append(dovecot, uint32(u))
		}
		ids, err := e.Search(ctx, q, []store.Mailbox{inbox}, &SearchOptions{Location: time.UTC})
		if err != nil {
			t.Fatal(err)
		}
		var server []uint32
		for _, id := range ids {
			m, _ := f.st.Message(ctx, id)
			server = append(server, m.UID)
		}
		slices.Sort(local)
		slices.Sort(dovecot)
		slices.Sort(server)
		if len(dovecot) == 0 || len(dovecot) == 24 {
			t.Errorf("%s: Dovecot finds %d of 24: the case tells nothing", c.q, len(dovecot))
		}
		if !slices.Equal(local, dovecot) {
			t.Errorf("%s: the store finds %v, Dovecot %v", c.q, local, dovecot)
		}
		if !slices.Equal(server, dovecot) {
			t.Errorf("%s: the engine's server search finds %v, Dovecot %v", c.q, server, dovecot)
		}
	}
}

func TestCriteria(t *testing.T) {
	q, err := query.Parse(`coffee -"tea time" from:al subject:x -is:read is:starred has:attachment in:Archive account:w before:2026-03-01 after:2026-01-31`)
	if err != nil {
		t.Fatal(err)
	}
	got := Criteria(q, time.UTC)
	want := &imap.SearchCriteria{
		Text:    []string{"coffee"},
		Header:  []imap.SearchCriteriaHeaderField{{Key: "From", Value: "al"}, {Key: "Subject", Value: "x"}},
		Flag:    []imap.Flag{imap.FlagFlagged},
		Before:  time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		Since:   time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
		Not:     []imap.SearchCriteria{{Text: []string{"tea time"}}, {Flag: []imap.Flag{imap.FlagSeen}}},
		NotFlag: nil,
	}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("Criteria =\n %+v\nwant\n %+v", got, want)
	}
}

package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
	"github.com/ternmail/tern/sync/imapsync"
)

func searchSeedMessage(mailbox, subject, body string, date time.Time, attach bool) mailtest.SeedMessage {
	raw := "From: Alice <alice@example.test>\r\nTo: me@example.test\r\nSubject: " + subject + "\r\nMIME-Version: 1.0\r\n"
	if attach {
		raw += "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n" + body +
			"\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\n%PDF\r\n--b--\r\n"
	} else {
		raw += "Content-Type: text/plain\r\n\r\n" + body + "\r\n"
	}
	return mailtest.SeedMessage{Mailbox: mailbox, Date: date, Raw: []byte(raw)}
}

func subjects(msgs []store.Message) string {
	var s []string
	for _, m := range msgs {
		s = append(s, m.Subject)
	}
	return strings.Join(s, ", ")
}

// TestSearchMergesServer syncs headers only (no bodies) from an in-process
// server and searches: the store finds the word in a subject, the server
// finds it in bodies and in a message that arrived since, and Core.Search
// returns both, labelled and counted, the server's share filtered by the
// terms IMAP cannot express (has:attachment) and by scope.
func TestSearchMergesServer(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 3, d, 12, 0, 0, 0, time.UTC) }
	seed := []mailtest.SeedMessage{
		searchSeedMessage("INBOX", "Quarterly numbers", "A kiwi smoothie for everyone.", day(1), false),
		searchSeedMessage("INBOX", "Lunch", "Nothing to see.", day(2), false),
		searchSeedMessage("INBOX", "Kiwi report", "The report.", day(3), false),
		searchSeedMessage("Archive", "Old invoice", "Paid with kiwi coins.", day(4), true),
	}
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true, Seed: seed, Mailboxes: mailtest.DemoMailboxes})
	c, err := New(Options{Home: t.TempDir(), Secrets: accounts.NewMemorySecrets(), Sync: &imapsync.Options{BodiesPerPass: -1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	acct, err := c.AddAccount(context.Background(), mailtest.DemoAccount(srv), srv.Password, &AddOptions{SkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.SyncOnce(ctx, acct.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Append("INBOX", searchSeedMessage("", "Fresh", "Kiwi news.", day(5), false).Raw, nil, day(5)); err != nil {
		t.Fatal(err)
	}

	res, err := c.Search(ctx, SearchOptions{Query: "kiwi"})
	if err != nil {
		t.Fatal(err)
	}
	if subjects(res.Messages) != "Kiwi report" || res.Here != 1 || res.Server != nil || res.Summary() != "1 here" {
		t.Errorf("store only: %q, %q", subjects(res.Messages), res.Summary())
	}
	res, err = c.Search(ctx, SearchOptions{Query: "kiwi", Server: true})
	if err != nil || res.ServerErr != nil {
		t.Fatal(err, res.ServerErr)
	}
	if subjects(res.Messages) != "Kiwi report" || subjects(res.Server) != "Fresh, Old invoice, Quarterly numbers" ||
		res.Summary() != "1 here, 3 more on the server" {
		t.Errorf("with the server: here %q, server %q, %q", subjects(res.Messages), subjects(res.Server), res.Summary())
	}
	// The new message's headers are in the store now: the window can show it.
	if _, err := c.store.Message(ctx, res.Server[0].ID); err != nil {
		t.Errorf("the server's find is not in the store: %v", err)
	}
	for _, tc := range []struct {
		opts       SearchOptions
		here, serv string
	}{
		{SearchOptions{Query: "kiwi has:attachment", Server: true}, "", "Old invoice"},
		{SearchOptions{Query: "kiwi -has:attachment", Server: true}, "Kiwi report", "Fresh, Quarterly numbers"},
		{SearchOptions{Query: "kiwi in:inbox", Server: true}, "Kiwi report", "Fresh, Quarterly numbers"},
		{SearchOptions{Query: "kiwi -kiwi", Server: true}, "", ""},
		{SearchOptions{Query: "kiwi", Server: true, Account: "nobody"}, "", ""},
		{SearchOptions{Query: "kiwi", Server: true, Limit: 1}, "Kiwi report", "Fresh"},
	} {
		res, err := c.Search(ctx, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if subjects(res.Messages) != tc.here || subjects(res.Server) != tc.serv {
			t.Errorf("%+v: here %q, server %q; want %q, %q", tc.opts, subjects(res.Messages), subjects(res.Server), tc.here, tc.serv)
		}
	}
	// The current folder's scope.
	archive, err := c.FindMailbox(ctx, acct.ID, "Archive")
	if err != nil {
		t.Fatal(err)
	}
	res, err = c.Search(ctx, SearchOptions{Query: "kiwi", Folder: archive.ID, Server: true})
	if err != nil || subjects(res.Messages) != "" || subjects(res.Server) != "Old invoice" || res.Summary() != "0 here, 1 more on the server" {
		t.Errorf("in Archive: here %q, server %q, %q, %v", subjects(res.Messages), subjects(res.Server), res.Summary(), err)
	}
}

func TestSearchQueryErrorsAndPages(t *testing.T) {
	c, _, acct := newISOCore(t, nil)
	ctx := context.Background()
	if _, err := c.SyncOnce(ctx, acct.ID); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]string{
		"form:alice":           `unknown operator "form:" — did you mean from:? (at character 1)`,
		"x before:31-12-2026":  "before: needs a date like 2026-12-31 (at character 3)",
		"invoice in:Nowhere":   `no folder "Nowhere" (at character 9)`,
		`subject:"x" is:green`: "is: takes unread, read or starred (at character 13)",
	} {
		_, err := c.Search(ctx, SearchOptions{Query: q})
		var qe *QueryError
		if !errors.As(err, &qe) || err.Error() != want {
			t.Errorf("Search(%q) = %v, want %q", q, err, want)
		}
	}
	if err := ParseQuery("form:x"); err == nil {
		t.Error("ParseQuery(form:x) = nil")
	}
	// Pages follow on from each other, newest first, without overlap.
	all, err := c.Search(ctx, SearchOptions{Count: true, Limit: 1000})
	if err != nil || all.Here < 10 || all.Here != len(all.Messages) {
		t.Fatalf("everything: %d of %d, %v", len(all.Messages), all.Here, err)
	}
	var paged []store.Message
	opts := SearchOptions{Limit: 7}
	for {
		res, err := c.Search(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, res.Messages...)
		if !res.More {
			break
		}
		opts.Below = store.CursorOf(res.Messages[len(res.Messages)-1])
	}
	if len(paged) != len(all.Messages) {
		t.Fatalf("pages hold %d messages, one search %d", len(paged), len(all.Messages))
	}
	for i := range paged {
		if paged[i].ID != all.Messages[i].ID {
			t.Fatalf("page order differs at %d", i)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Search(cctx, SearchOptions{Query: "the"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled search: %v", err)
	}
}

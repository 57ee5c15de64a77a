package outbox

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/message"
	"github.com/ternmail/tern/store"
)

// TestBccKeptForSentOnly sends messages with Bcc recipients (built by the
// composer, and an .eml file with a folded Bcc field) and checks that the
// server gets no Bcc field while the Bcc recipients are in the envelope,
// and that the stored copy, which the engine files in Sent, keeps it.
func TestBccKeptForSentOnly(t *testing.T) {
	f := startFake(t, &fakeServer{})
	db := openStore(t, "")
	w := New(db, testOptions(testAccount(f.addr, accounts.SecurityNone)))
	ctx := context.Background()

	d := &message.Draft{From: message.Address{Email: "me@example.com"}, To: []message.Address{{Email: "bob@example.com"}},
		Bcc: []message.Address{{Name: "Carol", Email: "carol@hidden.example"}}, Subject: "composed", Text: "Hi.\n"}
	built, err := message.Build(d, time.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	eml, err := message.Prepare([]byte("From: me@example.com\nTo: bob@example.com\nBCC: Dave <dave@hidden.example>,\n  erin@hidden.example\nSubject: from a file\n\nBcc: body text stays\n"), time.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	msgs := []struct {
		m    *Message
		bcc  []string
		body string
	}{
		{&Message{Account: "acct", From: "me@example.com", Rcpts: d.Recipients(), Raw: built, Subject: d.Subject, NoUndo: true},
			[]string{"carol@hidden.example"}, "Hi.\r\n"},
		{&Message{Account: "acct", From: eml.From, Rcpts: eml.Rcpts, Raw: eml.Raw, Subject: eml.Subject, NoUndo: true},
			[]string{"dave@hidden.example", "erin@hidden.example"}, "Bcc: body text stays\r\n"},
	}
	var ids []int64
	for _, m := range msgs {
		ids = append(ids, queue(t, w, m.m).ID)
	}
	runWorker(t, w)
	for _, id := range ids {
		if it := wait(t, w, id); it.State != store.OutboxSent {
			t.Fatalf("message %d: %+v", id, it)
		}
	}
	got := f.got()
	if len(got) != len(ids) {
		t.Fatalf("%d messages received, want %d", len(got), len(ids))
	}
	for i, id := range ids {
		var env envelope
		for _, e := range got {
			if bytes.Contains(e.data, []byte("\r\nSubject: "+msgs[i].m.Subject+"\r\n")) {
				env = e
			}
		}
		header, body, _ := bytes.Cut(env.data, []byte("\r\n\r\n"))
		if bytes.Contains(bytes.ToLower(header), []byte("bcc")) || bytes.Contains(header, []byte("hidden.example")) {
			t.Errorf("message %d: Bcc sent to the recipients:\n%s", i, env.data)
		}
		if string(body) != msgs[i].body {
			t.Errorf("message %d: body %q, want %q", i, body, msgs[i].body)
		}
		for _, b := range msgs[i].bcc {
			if !slices.Contains(env.to, b) {
				t.Errorf("message %d: Bcc recipient %s not in the envelope %q", i, b, env.to)
			}
		}
		// The copy for Sent: what the engine APPENDs.
		raw, err := db.OutboxRaw(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		copyHeader, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
		for _, b := range msgs[i].bcc {
			if !bytes.Contains(copyHeader, []byte(b)) {
				t.Errorf("message %d: the Sent copy lacks Bcc %s:\n%s", i, b, copyHeader)
			}
		}
		if !bytes.Equal(message.StripBcc(raw), env.data) {
			t.Errorf("message %d: sent\n%q\nwant the stored copy without Bcc\n%q", i, env.data, message.StripBcc(raw))
		}
	}
	if a := appends(t, db); len(a) != len(ids) {
		t.Errorf("%d pending appends", len(a))
	}
}

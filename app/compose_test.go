package app

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ternmail/tern/message"
	"github.com/ternmail/tern/store"
)

const composeOrig = "From: Alice <alice@example.com>\r\n" +
	"To: Sam <%s>, Bob <bob@example.com>\r\n" +
	"Cc: carol@example.com\r\n" +
	"Subject: Re: Plans\r\n" +
	"Date: Mon, 2 Mar 2026 10:00:00 +0000\r\n" +
	"Message-ID: <m2@example.com>\r\n" +
	"References: <m1@example.com>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=b\r\n" +
	"\r\n" +
	"--b\r\nContent-Type: text/plain\r\n\r\nSee you then.\r\nAlice\r\n" +
	"--b\r\nContent-Type: text/plain; name=notes.txt\r\nContent-Disposition: attachment; filename=notes.txt\r\n\r\nnotes\r\n" +
	"--b--\r\n"

func TestComposeReplyForward(t *testing.T) {
	c, srv, acct := newSendCore(t)
	ctx := context.Background()
	raw := []byte(strings.Replace(composeOrig, "%s", srv.Username, 1))
	if _, err := srv.Append("INBOX", raw, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SyncOnce(ctx, acct.ID); err != nil {
		t.Fatal(err)
	}
	box, err := c.FindMailbox(ctx, acct.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Messages(ctx, box.ID, 0, 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages: %v %v", msgs, err)
	}
	id := msgs[0].ID

	r, err := c.ComposeReply(ctx, id, false)
	if err != nil {
		t.Fatal(err)
	}
	d := r.Draft
	if d.Subject != "Re: Plans" || d.InReplyTo != "m2@example.com" || strings.Join(d.References, " ") != "m1@example.com m2@example.com" ||
		len(d.To) != 1 || d.To[0].Email != "alice@example.com" || len(d.Cc) != 0 || d.From.Email != srv.Username || r.SourceID != id {
		t.Fatalf("reply = %+v", d)
	}
	if !strings.Contains(d.Text, "On Mon, 2 Mar 2026 at 10:00, Alice <alice@example.com> wrote:\n> See you then.\n> Alice\n") {
		t.Fatalf("reply text = %q", d.Text)
	}
	ra, err := c.ComposeReply(ctx, id, true)
	if err != nil {
		t.Fatal(err)
	}
	var cc []string
	for _, a := range ra.Draft.Cc {
		cc = append(cc, a.Email)
	}
	if strings.Join(cc, ",") != "bob@example.com,carol@example.com" {
		t.Fatalf("reply all cc = %v (own address must be left out)", cc)
	}

	f, err := c.ComposeForward(ctx, id, false)
	if err != nil {
		t.Fatal(err)
	}
	if f.Draft.Subject != "Fwd: Re: Plans" || !strings.Contains(f.Draft.Text, "From: Alice <alice@example.com>") ||
		len(f.Draft.Attachments) != 1 || f.Draft.Attachments[0].Filename != "notes.txt" || string(f.Draft.Attachments[0].Data) != "notes" {
		t.Fatalf("forward = %+v", f.Draft)
	}
	fa, err := c.ComposeForward(ctx, id, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(fa.Draft.Attachments) != 1 || fa.Draft.Attachments[0].ContentType != "message/rfc822" ||
		!bytes.Contains(fa.Draft.Attachments[0].Data, []byte("Message-ID: <m2@example.com>")) {
		t.Fatalf("forward as attachment = %+v", fa.Draft.Attachments)
	}

	// A composed message survives the outbox and back.
	fa.Draft.To = []message.Address{{Email: "dave@example.com"}}
	it, err := c.Send(ctx, acct.ID, &fa.Draft, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, back, err := c.CancelSend(ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.ComposeFromRaw(acct.ID, back)
	if err != nil {
		t.Fatal(err)
	}
	if again.Draft.Subject != "Fwd: Re: Plans" || len(again.Draft.To) != 1 || len(again.Draft.Attachments) != 1 {
		t.Fatalf("from raw = %+v", again.Draft)
	}
}

func TestFromChoicesAndDrafts(t *testing.T) {
	c, srv, acct := newSendCore(t)
	ctx := context.Background()
	fc := c.FromChoices(acct.ID)
	if len(fc) != 1 || fc[0].Address.Email != srv.Username {
		t.Fatalf("from choices = %+v", fc)
	}
	if own := c.OwnAddresses(acct.ID); len(own) == 0 || own[0] != srv.Username {
		t.Fatalf("own = %v", own)
	}
	if c.SizeLimit(acct.ID) != 0 {
		t.Fatal("size limit should be unknown")
	}
	if _, err := c.SaveDraft(ctx, &store.Draft{}, false); err == nil {
		t.Fatal("a draft without an account saved")
	}
	id, err := c.SaveDraft(ctx, &store.Draft{Account: acct.ID, To: "x@example.com", Body: "b"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := c.Draft(ctx, id); err != nil || d.To != "x@example.com" {
		t.Fatalf("draft = %+v %v", d, err)
	}
	if list, err := c.Drafts(ctx, acct.ID); err != nil || len(list) != 1 {
		t.Fatalf("drafts = %v %v", list, err)
	}
	if err := c.DeleteDraft(ctx, id); err != nil {
		t.Fatal(err)
	}
}

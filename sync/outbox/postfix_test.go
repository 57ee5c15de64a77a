package outbox

import (
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	gomessage "github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/message"
	"github.com/ternmail/tern/store"
)

// realAccount is alice's account on r: submission with STARTTLS and
// AUTH, trusting r's self-signed certificate by its pinned fingerprint.
func realAccount(r *mailtest.Real) accounts.Account {
	host, port, _ := net.SplitHostPort(r.SubmissionAddr)
	p, _ := strconv.Atoi(port)
	a := accounts.Account{ID: "acct", Email: "alice@example.test",
		SMTP: accounts.Endpoint{Host: host, Port: p, Security: accounts.SecuritySTARTTLS, Username: "alice@example.test"}}
	if err := a.TrustCert(host, p, r.CertSHA256); err != nil {
		panic(err)
	}
	return a
}

func realOptions(r *mailtest.Real) *Options {
	acct := realAccount(r)
	o := testOptions(acct)
	o.Password = func(context.Context, string) (string, error) { return "alice-secret", nil }
	o.CommandTimeout = 30 * time.Second
	o.DataTimeout = time.Minute
	return o
}

type fetched struct {
	header gomail.Header
	parts  []readPart
}

type readPart struct {
	body     []byte
	filename string
}

func decode(t *testing.T, raw []byte) fetched {
	t.Helper()
	e, err := gomessage.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	f := fetched{header: gomail.Header{Header: e.Header}}
	if mr := e.MultipartReader(); mr != nil {
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(p.Body)
			if err != nil {
				t.Fatal(err)
			}
			_, params, _ := p.Header.ContentDisposition()
			f.parts = append(f.parts, readPart{b, params["filename"]})
		}
		return f
	}
	b, err := io.ReadAll(e.Body)
	if err != nil {
		t.Fatal(err)
	}
	f.parts = append(f.parts, readPart{body: b})
	return f
}

// fetchInbox waits until user's INBOX holds n messages and returns them.
func fetchInbox(t *testing.T, r *mailtest.Real, user, password string, n int) [][]byte {
	t.Helper()
	c, err := imapclient.DialStartTLS(r.IMAPAddr, &imapclient.Options{TLSConfig: r.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			t.Fatal(err)
		}
		if int(*st.NumMessages) >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages arrived; postfix log:\n%s", *st.NumMessages, n, r.LogTail(30))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	// One message per FETCH keeps each response small enough to follow.
	section := &imap.FetchItemBodySection{Peek: true}
	var out [][]byte
	for i := 1; i <= n; i++ {
		msgs, err := c.Fetch(imap.SeqSetNum(uint32(i)), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			t.Fatalf("fetch %d: %v\n%s", i, err, r.LogTail(20))
		}
		for _, m := range msgs {
			out = append(out, m.FindBodySection(section))
		}
	}
	return out
}

// TestPostfix sends through a real Postfix (submission, STARTTLS, AUTH)
// into Dovecot and reads the messages back over IMAP.
func TestPostfix(t *testing.T) {
	r := mailtest.RealForTest(t)
	big := make([]byte, 10<<20)
	for i := range big {
		big[i] = byte(i*31 + i>>13)
	}
	pdf := []byte("%PDF-1.4\n\x00\x01\x02 binary résumé\r\n")
	alice := message.Address{Name: "Ålice Ünïcode 愛麗絲", Email: "alice@example.test"}
	bob := []message.Address{{Name: "Боб Строитель, Jr.", Email: "bob@example.test"}}
	drafts := []*message.Draft{
		{From: alice, To: bob, Subject: "Grüße — Привет — こんにちは — مرحبا — שלום — 👋",
			Text: "Scripts: Ελληνικά, 中文, हिन्दी.\n"},
		{From: alice, To: bob, Subject: "dots and From",
			Text: ".\n..\n.hidden\nFrom the start of a line\nFrom: not a header\n. \nend\n"},
		{From: alice, To: bob, Subject: "long lines and bare CR LF",
			Text: strings.Repeat("0123456789", 300) + "\nshort\rbare CR\n\rmixed\r\n" + strings.Repeat("é", 1500) + "\n"},
		{From: alice, To: bob, Subject: "attachments",
			Text: "Two files.\n",
			Attachments: []message.DraftAttachment{
				{Filename: "big.bin", Data: big},
				{Filename: "résumé 履歴書 – 2025.pdf", Data: pdf},
			}},
	}
	db := openStore(t, "")
	w := New(db, realOptions(r))
	runWorker(t, w)
	var ids []int64
	for _, d := range drafts {
		raw, err := message.Build(d, time.Now(), "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, queue(t, w, &Message{Account: "acct", From: d.From.Email, Rcpts: d.Recipients(), Raw: raw, Subject: d.Subject, NoUndo: true}).ID)
	}
	for _, id := range ids {
		if it := wait(t, w, id); it.State != store.OutboxSent {
			t.Fatalf("message %d: %s: %s", id, it.State, it.LastError)
		}
	}
	if a := appends(t, db); len(a) != len(drafts) {
		t.Fatalf("%d pending appends", len(a))
	}

	got := map[string]fetched{}
	for _, raw := range fetchInbox(t, r, "bob@example.test", "bob-secret", len(drafts)) {
		f := decode(t, raw)
		s, _ := f.header.Subject()
		got[s] = f
	}
	for _, d := range drafts {
		f, ok := got[d.Subject]
		if !ok {
			t.Fatalf("no message with subject %q (got %d)", d.Subject, len(got))
		}
		from, _ := f.header.AddressList("From")
		to, _ := f.header.AddressList("To")
		if len(from) != 1 || from[0].Name != alice.Name || len(to) != 1 || to[0].Name != bob[0].Name {
			t.Errorf("%q: names %v %v", d.Subject, from, to)
		}
		want := strings.NewReplacer("\r\n", "\r\n", "\r", "\r\n", "\n", "\r\n").Replace(d.Text)
		if string(f.parts[0].body) != want {
			t.Errorf("%q: text differs:\n%q\nwant\n%q", d.Subject, f.parts[0].body, want)
		}
		if len(f.parts) != 1+len(d.Attachments) {
			t.Fatalf("%q: %d parts", d.Subject, len(f.parts))
		}
		for i, a := range d.Attachments {
			p := f.parts[i+1]
			if p.filename != a.Filename || !bytes.Equal(p.body, a.Data) {
				t.Errorf("attachment %q (%d bytes) arrived as %q (%d bytes)", a.Filename, len(a.Data), p.filename, len(p.body))
			}
		}
	}
}

// BenchmarkSendPostfix queues and sends 100 messages through Postfix per
// iteration (one connection, STARTTLS, AUTH).
func BenchmarkSendPostfix(b *testing.B) {
	r := mailtest.RealForTest(b)
	db := openStore(b, "")
	w := New(db, realOptions(r))
	runWorker(b, w)
	d := &message.Draft{From: message.Address{Name: "Alice", Email: "alice@example.test"},
		To: []message.Address{{Email: "bob@example.test"}}, Subject: "bench", Text: strings.Repeat("Some text of a typical mail.\n", 40)}
	n := 0
	start := time.Now()
	for b.Loop() {
		var ids []int64
		for range 100 {
			raw, err := message.Build(d, time.Now(), "")
			if err != nil {
				b.Fatal(err)
			}
			ids = append(ids, queue(b, w, &Message{Account: "acct", From: d.From.Email, Rcpts: d.Recipients(), Raw: raw, NoUndo: true}).ID)
		}
		for _, id := range ids {
			if it := wait(b, w, id); it.State != store.OutboxSent {
				b.Fatalf("%s: %s", it.State, it.LastError)
			}
		}
		n += 100
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "msgs/s")
}

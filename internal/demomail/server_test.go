package demomail

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func testSeed() []SeedMessage {
	mk := func(from, subject, body string) []byte {
		return []byte("From: " + from + "\r\nTo: demo@tern.example\r\nSubject: " + subject +
			"\r\nDate: Mon, 02 Jun 2025 10:00:00 +0200\r\nMessage-ID: <" + fmt.Sprint(len(subject)) + "@x.example>\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
	}
	d := time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)
	return []SeedMessage{
		{Mailbox: "INBOX", Flags: []string{`\Seen`}, Date: d, Raw: mk("=?utf-8?q?Jos=C3=A9_M=C3=BCller?= <jose@x.example>", "=?utf-8?q?Gr=C3=BC=C3=9Fe_=F0=9F=8E=89?=", "Hallo")},
		{Mailbox: "INBOX", Date: d.Add(time.Hour), Raw: mk("Ben <ben@x.example>", "Lunch?", "Hungry")},
		{Mailbox: "INBOX", Date: d.Add(2 * time.Hour), Raw: mk("=?utf-8?b?5p2O5bCP6b6N?= <li@x.example>", "Hi", "你好")},
		{Mailbox: "Projects/Tern", Date: d, Raw: mk("Priya <p@x.example>", "Release", "Soon")},
	}
}

func listNames(t *testing.T, c *imapclient.Client, opts *imap.ListOptions) map[string]*imap.ListData {
	t.Helper()
	l, err := c.List("", "*", opts).Collect()
	if err != nil {
		t.Fatalf("LIST: %v", err)
	}
	m := map[string]*imap.ListData{}
	for _, d := range l {
		m[d.Mailbox] = d
	}
	return m
}

func TestServerPlainAndTLS(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", useTLS), func(t *testing.T) {
			s := serverForTest(t, &ServerOptions{TLS: useTLS, Seed: testSeed(), Mailboxes: []string{"Travel/Zürich"}})
			if s.Username != DefaultUsername || len(s.Password) < 16 {
				t.Fatalf("credentials: %q / %q", s.Username, s.Password)
			}
			if useTLS != (s.CertSHA256 != "") || useTLS != (len(s.CertPEM) > 0) {
				t.Fatalf("cert fields: %q, %d bytes", s.CertSHA256, len(s.CertPEM))
			}
			c := dialIMAP(t, s, nil)
			caps := c.Caps()
			for _, want := range []imap.Cap{imap.CapIMAP4rev1, imap.CapIdle, imap.CapMove, imap.CapUIDPlus, imap.CapSpecialUse, imap.CapChildren} {
				if !caps.Has(want) {
					t.Errorf("missing capability %s in %v", want, caps)
				}
			}

			boxes := listNames(t, c, nil)
			for _, want := range []string{"INBOX", "Sent", "Drafts", "Archive", "Trash", "Junk", "Projects", "Projects/Tern", "Travel", "Travel/Zürich"} {
				if boxes[want] == nil {
					t.Errorf("LIST lacks %q (got %v)", want, slices.Sorted(func(yield func(string) bool) {
						for k := range boxes {
							if !yield(k) {
								return
							}
						}
					}))
				}
			}
			if d := boxes["Sent"]; d == nil || !slices.Contains(d.Attrs, imap.MailboxAttrSent) {
				t.Errorf("Sent lacks \\Sent: %+v", d)
			}
			if d := boxes["Projects"]; d == nil || !slices.Contains(d.Attrs, imap.MailboxAttrHasChildren) || d.Delim != '/' {
				t.Errorf("Projects: %+v", d)
			}
			special := listNames(t, c, &imap.ListOptions{SelectSpecialUse: true})
			if len(special) != 5 || special["Trash"] == nil || special["INBOX"] != nil {
				t.Errorf("LIST (SPECIAL-USE): %v", special)
			}

			sel, err := c.Select("INBOX", nil).Wait()
			if err != nil {
				t.Fatal(err)
			}
			if sel.NumMessages != 3 {
				t.Fatalf("INBOX has %d messages, want 3", sel.NumMessages)
			}
			msgs, err := c.Fetch(imap.SeqSetNum(1, 3), &imap.FetchOptions{Envelope: true, Flags: true}).Collect()
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != 2 {
				t.Fatalf("fetched %d messages", len(msgs))
			}
			env := msgs[0].Envelope
			if env.From[0].Name != "José Müller" || env.Subject != "Grüße 🎉" || !slices.Contains(msgs[0].Flags, imap.FlagSeen) {
				t.Errorf("envelope 1: %+v %v", env.From, env.Subject)
			}
			if got := msgs[1].Envelope.From[0].Name; got != "李小龍" {
				t.Errorf("envelope 3 From name = %q", got)
			}
		})
	}
}

func TestServerFingerprint(t *testing.T) {
	s := serverForTest(t, &ServerOptions{TLS: true})
	dialIMAP(t, s, nil) // IMAP over TLS works with TLSConfig
	cfg := s.TLSConfig()
	conn, err := smtp.DialTLS(s.SMTPAddr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	state, ok := conn.TLSConnectionState()
	if !ok || len(state.PeerCertificates) == 0 {
		t.Fatal("no TLS state")
	}
	sum := sha256.Sum256(state.PeerCertificates[0].Raw)
	if want := "SHA256:" + strings.ToUpper(hex.EncodeToString(sum[:])); s.CertSHA256 != want {
		t.Fatalf("CertSHA256 = %s, want %s", s.CertSHA256, want)
	}
	leaf := state.PeerCertificates[0]
	if err := leaf.VerifyHostname("localhost"); err != nil {
		t.Error(err)
	}
	if err := leaf.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
}

func TestServerWrongPassword(t *testing.T) {
	s := serverForTest(t, &ServerOptions{Password: "correct horse"})
	c, err := imapclient.DialInsecure(s.IMAPAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(s.Username, "battery staple").Wait(); err == nil {
		t.Fatal("IMAP login with a wrong password succeeded")
	}
	if err := c.Login("someone@else.example", "correct horse").Wait(); err == nil {
		t.Fatal("IMAP login with a wrong user succeeded")
	}
	if err := c.Login(s.Username, "correct horse").Wait(); err != nil {
		t.Fatalf("IMAP login after failures: %v", err)
	}

	sc, err := smtp.Dial(s.SMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if err := sc.Auth(sasl.NewPlainClient("", s.Username, "nope")); err == nil {
		t.Fatal("SMTP AUTH with a wrong password succeeded")
	}
	if err := sc.Mail(s.Username, nil); err == nil {
		t.Fatal("SMTP MAIL without AUTH accepted")
	}
}

// dialIdler connects a client to s with INBOX selected, and returns it with
// the channel its EXISTS counts arrive on.
func dialIdler(t *testing.T, s *Server) (*imapclient.Client, <-chan uint32) {
	t.Helper()
	updates := make(chan uint32, 16)
	idler := dialIMAP(t, s, &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					updates <- *d.NumMessages
				}
			},
		},
	})
	if _, err := idler.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	return idler, updates
}

func TestServerIdleAppend(t *testing.T) {
	s := serverForTest(t, &ServerOptions{Seed: testSeed()})
	idler, updates := dialIdler(t, s)
	idle, err := idler.Idle()
	if err != nil {
		t.Fatal(err)
	}
	// Wait until the session idles and has polled once, so that this test
	// exercises an update that comes during IDLE (TestServerIdleAfterAppend
	// covers one that comes just before).
	select {
	case <-s.nextIdlePoll():
	case <-time.After(5 * time.Second):
		t.Fatal("the session did not poll in IDLE")
	}

	raw := []byte("From: a@x.example\r\nTo: demo@tern.example\r\nSubject: new\r\nDate: Mon, 02 Jun 2025 10:00:00 +0000\r\nMessage-ID: <new@x.example>\r\n\r\nhi\r\n")
	uid, err := s.Append("INBOX", raw, []string{`\Flagged`}, time.Time{})
	if err != nil || uid != 4 {
		t.Fatalf("Append = %d, %v; want UID 4", uid, err)
	}
	select {
	case n := <-updates:
		if n != 4 {
			t.Fatalf("EXISTS %d, want 4", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no EXISTS update while idling")
	}
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := idler.Fetch(imap.UIDSetNum(imap.UID(uid)), &imap.FetchOptions{Flags: true, Envelope: true}).Collect()
	if err != nil || len(msgs) != 1 || msgs[0].Envelope.Subject != "new" || !slices.Contains(msgs[0].Flags, imap.FlagFlagged) {
		t.Fatalf("fetch appended: %v %+v", err, msgs)
	}
}

// TestServerIdleAfterAppend appends a message between a client's last
// command and its IDLE, and checks that the IDLE reports it (go-imap's own
// tracker held it back until the next update).
func TestServerIdleAfterAppend(t *testing.T) {
	s := serverForTest(t, &ServerOptions{Seed: testSeed()})
	idler, updates := dialIdler(t, s)
	if err := idler.Noop().Wait(); err != nil {
		t.Fatal(err)
	}
	raw := []byte("From: a@x.example\r\nSubject: between\r\n\r\nhi\r\n")
	if _, err := s.Append("INBOX", raw, nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	idle, err := idler.Idle()
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	select {
	case n := <-updates:
		if n != 4 {
			t.Fatalf("EXISTS %d, want 4", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("IDLE did not report the message appended just before it")
	}
}

func TestServerSMTPSelfDelivery(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", useTLS), func(t *testing.T) {
			s := serverForTest(t, &ServerOptions{TLS: useTLS, Seed: testSeed()})
			var sc *smtp.Client
			var err error
			var auth sasl.Client
			if useTLS {
				sc, err = smtp.DialTLS(s.SMTPAddr, s.TLSConfig())
				auth = sasl.NewLoginClient(s.Username, s.Password)
			} else {
				sc, err = smtp.Dial(s.SMTPAddr)
				auth = sasl.NewPlainClient("", s.Username, s.Password)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			if err := sc.Auth(auth); err != nil {
				t.Fatalf("AUTH: %v", err)
			}
			msg := "From: Sam <demo@tern.example>\r\nTo: demo@tern.example, bob@x.example\r\nSubject: Note to self\r\n" +
				"Date: Mon, 02 Jun 2025 10:00:00 +0000\r\nMessage-ID: <self@tern.example>\r\n\r\nRemember the milk.\r\n.leading dot\r\n"
			if err := sc.SendMail(s.Username, []string{s.Username, "bob@x.example"}, strings.NewReader(msg)); err != nil {
				t.Fatalf("SendMail: %v", err)
			}
			if err := sc.SendMail(s.Username, []string{"carol@x.example"}, strings.NewReader(strings.Replace(msg, "self@", "other@", 1))); err != nil {
				t.Fatalf("SendMail: %v", err)
			}
			sc.Quit()

			rec := s.Received()
			if len(rec) != 2 || rec[0].From != s.Username || !slices.Equal(rec[0].To, []string{s.Username, "bob@x.example"}) || string(rec[0].Data) != msg {
				t.Fatalf("Received = %+v", rec)
			}
			c := dialIMAP(t, s, nil)
			st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true, NumUnseen: true}).Wait()
			if err != nil {
				t.Fatal(err)
			}
			if *st.NumMessages != 4 || *st.NumUnseen != 3 {
				t.Fatalf("INBOX after self-send: %d messages, %d unseen; want 4, 3", *st.NumMessages, *st.NumUnseen)
			}
			if _, err := c.Select("INBOX", nil).Wait(); err != nil {
				t.Fatal(err)
			}
			msgs, err := c.Fetch(imap.SeqSetNum(4), &imap.FetchOptions{Envelope: true}).Collect()
			if err != nil || len(msgs) != 1 || msgs[0].Envelope.MessageID != "self@tern.example" {
				t.Fatalf("delivered message: %v %+v", err, msgs)
			}
		})
	}
}

func TestServerMailboxOps(t *testing.T) {
	s := serverForTest(t, nil)
	c := dialIMAP(t, s, nil)
	if err := c.Create("Work/2025/Q3", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("Work/2025/Q3", nil).Wait(); err == nil {
		t.Fatal("CREATE of an existing mailbox succeeded")
	}
	if err := c.Create("Later", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.MailboxAttrFlagged}}).Wait(); err != nil {
		t.Fatal(err)
	}
	boxes := listNames(t, c, nil)
	if boxes["Work"] == nil || boxes["Work/2025"] == nil || !slices.Contains(boxes["Work/2025"].Attrs, imap.MailboxAttrHasChildren) {
		t.Fatalf("parents not created: %v", boxes)
	}
	if !slices.Contains(boxes["Later"].Attrs, imap.MailboxAttrFlagged) {
		t.Errorf("CREATE-SPECIAL-USE ignored: %+v", boxes["Later"])
	}
	if err := c.Delete("Work").Wait(); err == nil {
		t.Fatal("DELETE of a mailbox with children succeeded")
	}
	if err := c.Rename("Work", "Job", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	boxes = listNames(t, c, nil)
	if boxes["Work"] != nil || boxes["Work/2025/Q3"] != nil || boxes["Job/2025/Q3"] == nil {
		t.Fatalf("after RENAME: %v", boxes)
	}
	if _, err := s.Append("Job/2025/Q3", []byte("Subject: x\r\n\r\ny\r\n"), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status("Job/2025/Q3", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil || *st.NumMessages != 1 {
		t.Fatalf("STATUS renamed: %v", err)
	}
	if err := c.Delete("Job/2025/Q3").Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("INBOX").Wait(); err == nil {
		t.Fatal("DELETE INBOX succeeded")
	}
	// LSUB / LIST (SUBSCRIBED): seeded mailboxes are subscribed.
	subs := listNames(t, c, &imap.ListOptions{SelectSubscribed: true})
	if subs["INBOX"] == nil || subs["Sent"] == nil || subs["Job"] != nil {
		t.Errorf("subscribed: %v", subs)
	}
	// LIST-STATUS.
	l, err := c.List("", "INBOX", &imap.ListOptions{ReturnStatus: &imap.StatusOptions{NumMessages: true}}).Collect()
	if err != nil || len(l) != 1 || l[0].Status == nil || *l[0].Status.NumMessages != 0 {
		t.Fatalf("LIST-STATUS: %v %+v", err, l)
	}
	if got := s.Mailboxes(); !slices.Contains(got, "Job/2025") || slices.Contains(got, "Job/2025/Q3") {
		t.Errorf("Mailboxes() = %v", got)
	}
}

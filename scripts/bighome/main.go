// Command bighome makes a Tern home whose one account has N messages in
// its INBOX (100,000 unless told), written straight into the store, to
// measure the window with a big mailbox (scripts/measure-window.sh):
//
//	go run ./scripts/bighome -home DIR [-n 100000]
//
// The account's servers are 127.0.0.1:1, where nothing listens: the window
// opens it offline, from the store alone, as after a first sync with the
// network gone. The newest 500 messages have their bodies stored. Its
// password goes to the OS keychain, so that the window does not ask for
// it: run this and the window in one keychain session (measure-window.sh
// does, under scripts/with-keyring.sh).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/store"
)

func main() {
	home := flag.String("home", "", "the home to make (must not hold an account)")
	n := flag.Int("n", 100_000, "messages in INBOX")
	flag.Parse()
	if *home == "" {
		fmt.Fprintln(os.Stderr, "usage: bighome -home DIR [-n N]")
		os.Exit(2)
	}
	if err := run(*home, *n); err != nil {
		fmt.Fprintf(os.Stderr, "bighome: %v\n", err)
		os.Exit(1)
	}
}

func run(home string, n int) error {
	ctx := context.Background()
	c, err := app.New(app.Options{Home: home})
	if err != nil {
		return err
	}
	nowhere := accounts.Endpoint{Host: "127.0.0.1", Port: 1, Security: accounts.SecurityTLS}
	acct, err := c.AddAccount(ctx, accounts.Account{Name: "Big Mailbox", Email: "big@example.test", IMAP: nowhere, SMTP: nowhere},
		"unused", &app.AddOptions{SkipVerify: true})
	c.Shutdown()
	if err != nil {
		return err
	}
	db, err := store.Open(filepath.Join(home, "tern.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	boxes, err := db.SetMailboxes(ctx, acct.ID, []store.Mailbox{
		{Name: "INBOX", Role: store.RoleInbox, Selectable: true, Subscribed: true},
		{Name: "Archive", Role: store.RoleArchive, Selectable: true, Subscribed: true},
		{Name: "Sent", Role: store.RoleSent, Selectable: true, Subscribed: true},
		{Name: "Trash", Role: store.RoleTrash, Selectable: true, Subscribed: true},
	})
	if err != nil {
		return err
	}
	inbox := boxes[0].ID
	for _, b := range boxes {
		if b.Role == store.RoleInbox {
			inbox = b.ID
		}
	}
	start := time.Now()
	newest := time.Now().Add(-time.Hour)
	const batch = 1000
	for off := 0; off < n; off += batch {
		msgs := make([]store.Message, 0, batch)
		for i := off; i < min(off+batch, n); i++ {
			msgs = append(msgs, header(i, n, newest))
		}
		if err := db.PutMessages(ctx, acct.ID, inbox, msgs); err != nil {
			return err
		}
	}
	stored := time.Since(start)
	recent, err := db.Messages(ctx, inbox, 0, 500)
	if err != nil {
		return err
	}
	var bodies []store.Body
	for _, m := range recent {
		text := fmt.Sprintf("Hello,\r\n\r\nthis is message %d of the big mailbox, about %s.\r\n\r\nRegards,\r\n%s\r\n", m.UID, m.Subject, m.From[0].Name)
		raw := fmt.Sprintf("From: %s <%s>\r\nTo: Big Mailbox <big@example.test>\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s",
			m.From[0].Name, m.From[0].Email, m.Subject, m.Date.Format(time.RFC1123Z), m.MessageID, text)
		bodies = append(bodies, store.Body{MessageID: m.ID, Raw: []byte(raw), Info: store.BodyInfo{Text: text, Preview: text[8:80]}})
	}
	if _, err := db.PutBodies(ctx, bodies); err != nil {
		return err
	}
	fmt.Printf("%s: account %s, %d messages in INBOX (headers stored in %v), %d bodies\n", home, acct.ID, n, stored.Round(time.Millisecond), len(bodies))
	return nil
}

var (
	people   = []string{"Ana Lima", "Ben Carter", "Chen Wei", "Dana Scott", "Emma Johansson", "Farid Haddad", "Grace Obi", "Hugo Martin", "Ines Costa", "Jonas Berg"}
	subjects = []string{"Quarterly report", "Lunch on Friday?", "Invoice %d", "Re: build failures", "Trip to Lisbon", "Meeting notes", "Your order %d has shipped", "Photos from the weekend", "Re: Re: budget", "Weekly newsletter #%d"}
)

// header returns message i of n, the newest at i = n-1, one a minute.
func header(i, n int, newest time.Time) store.Message {
	p := people[i%len(people)]
	subj := subjects[(i/7)%len(subjects)]
	if len(subj) > 2 && subj[len(subj)-2:] == "%d" {
		subj = fmt.Sprintf(subj, i)
	}
	date := newest.Add(-time.Duration(n-1-i) * time.Minute)
	m := store.Message{UIDValidity: 1, UID: uint32(i + 1), Size: 2000 + int64(i%5000),
		MessageID: fmt.Sprintf("big-%d@example.test", i), Subject: subj, Date: date, InternalDate: date,
		From: []store.Address{{Name: p, Email: fmt.Sprintf("p%d@example.test", i%len(people))}},
		To:   []store.Address{{Name: "Big Mailbox", Email: "big@example.test"}}}
	if i < n-200 || i%3 == 0 {
		m.Flags = []string{store.FlagSeen}
	}
	return m
}

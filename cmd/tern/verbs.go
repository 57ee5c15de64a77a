package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/goroutine"
	"github.com/ternmail/tern/message"
)

// pickAccount returns --account, or the only account.
func pickAccount(core *app.Core, a *args) (accounts.Account, error) {
	all := core.Accounts()
	if id := a.str("account"); id != "" {
		if acct, ok := core.Account(id); ok {
			return acct, nil
		}
		return accounts.Account{}, fmt.Errorf("no account %q (see tern account list)", id)
	}
	switch len(all) {
	case 0:
		return accounts.Account{}, fmt.Errorf("no account yet: add one with tern account add, or open the window")
	case 1:
		return all[0], nil
	}
	var ids []string
	for _, acct := range all {
		ids = append(ids, acct.ID)
	}
	return accounts.Account{}, fmt.Errorf("several accounts (%s): choose one with --account ID", strings.Join(ids, ", "))
}

type endpointJSON struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security"`
	Username string `json:"username"`
}

type accountJSON struct {
	ID    string       `json:"id"`
	Name  string       `json:"name"`
	Email string       `json:"email"`
	IMAP  endpointJSON `json:"imap"`
	SMTP  endpointJSON `json:"smtp"`
}

func endpointOut(ep accounts.Endpoint) endpointJSON {
	return endpointJSON{Host: ep.Host, Port: ep.Port, Security: string(ep.Security), Username: ep.Username}
}

func accountOut(acct accounts.Account) accountJSON {
	return accountJSON{ID: acct.ID, Name: acct.Name, Email: acct.Email, IMAP: endpointOut(acct.IMAP), SMTP: endpointOut(acct.SMTP)}
}

func cmdAccount(ctx context.Context, core *app.Core, a *args, pos []string, e *env) error {
	if len(pos) == 0 {
		return errUsage
	}
	switch pos[0] {
	case "list":
		var list []accountJSON
		for _, acct := range core.Accounts() {
			list = append(list, accountOut(acct))
		}
		if list == nil {
			list = []accountJSON{}
		}
		return out(e, a, list, func(w io.Writer) {
			if len(list) == 0 {
				fmt.Fprintln(w, "No accounts. Add one with: tern account add --email you@example.com --password-stdin --imap HOST:993:tls --smtp HOST:587:starttls")
				return
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tEMAIL\tIMAP\tSMTP")
			for _, acct := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s:%d (%s)\t%s:%d (%s)\n", acct.ID, acct.Email,
					acct.IMAP.Host, acct.IMAP.Port, acct.IMAP.Security, acct.SMTP.Host, acct.SMTP.Port, acct.SMTP.Security)
			}
			tw.Flush()
		})
	case "remove":
		if len(pos) != 2 {
			return fmt.Errorf("usage: tern account remove ID")
		}
		if _, ok := core.Account(pos[1]); !ok {
			return fmt.Errorf("no account %q (see tern account list)", pos[1])
		}
		if err := core.RemoveAccount(ctx, pos[1]); err != nil {
			return err
		}
		return out(e, a, map[string]string{"removed": pos[1]}, func(w io.Writer) { fmt.Fprintf(w, "Removed account %s and its local mail.\n", pos[1]) })
	case "add":
		return cmdAccountAdd(ctx, core, a, e)
	case "reauth", "signin":
		if len(pos) != 2 {
			return fmt.Errorf("usage: tern account reauth ID")
		}
		return cmdAccountReauth(ctx, core, a, e, pos[1])
	}
	return fmt.Errorf("unknown account command %q (add, list, remove, reauth)", pos[0])
}

// cmdAccountAdd adds an account: servers not given with --imap/--smtp are
// discovered, both servers are logged in to, then it is stored (see
// addAccount in autoconfig.go).
func cmdAccountAdd(ctx context.Context, core *app.Core, a *args, e *env) error {
	return addAccount(ctx, core, a, e)
}

func cmdSync(ctx context.Context, core *app.Core, a *args, e *env) error {
	var list []accounts.Account
	if a.str("account") != "" {
		acct, err := pickAccount(core, a)
		if err != nil {
			return err
		}
		list = []accounts.Account{acct}
	} else {
		list = core.Accounts()
	}
	if len(list) == 0 {
		return fmt.Errorf("no account yet: add one with tern account add")
	}
	// Accounts sync at once, each on its own connections, so that a slow or
	// dead server delays only its own account; results print in account
	// order.
	results := make([]*app.SyncReport, len(list))
	errs := make([]error, len(list))
	var wg sync.WaitGroup
	for i, acct := range list {
		wg.Add(1)
		goroutine.GoErr("sync "+acct.ID, nil, func() error {
			var err error
			results[i], err = core.SyncOnce(ctx, acct.ID)
			return err
		}, func(err error) {
			errs[i] = err
			wg.Done()
		})
	}
	wg.Wait()
	reports := []*app.SyncReport{}
	var failed []string
	for i, acct := range list {
		if errs[i] != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", acct.ID, errs[i]))
			continue
		}
		reports = append(reports, results[i])
	}
	var firstErr error
	if len(failed) > 0 {
		firstErr = errors.New(strings.Join(failed, "; "))
	}
	if err := out(e, a, map[string]any{"accounts": reports}, func(w io.Writer) {
		for _, rep := range reports {
			fmt.Fprintf(w, "%s: %d folders, %d bodies, %d actions replayed in %v\n", rep.Account, len(rep.Folders), rep.Bodies, rep.Actions, rep.Duration.Round(time.Millisecond))
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "  FOLDER\tSERVER\tSTORED\tUNREAD\tNEW\tFLAGS\tREMOVED\tTIME")
			for _, f := range rep.Folders {
				fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\t%d\t%dms\n", f.Name, f.ServerTotal, f.Stored, f.Unread, f.New, f.FlagUpdates, f.Removed, f.Millis)
			}
			tw.Flush()
		}
	}); err != nil {
		return err
	}
	return firstErr
}

type folderJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"` // the server's name
	// Path is the name people see: no namespace prefix, "/" between levels.
	Path   string   `json:"path"`
	Role   app.Role `json:"role,omitempty"`
	Total  int      `json:"total"`
	Unread int      `json:"unread"`
}

func cmdFolders(ctx context.Context, core *app.Core, a *args, e *env) error {
	acct, err := pickAccount(core, a)
	if err != nil {
		return err
	}
	boxes, err := core.Mailboxes(ctx, acct.ID)
	if err != nil {
		return err
	}
	list := []folderJSON{}
	for _, b := range boxes {
		list = append(list, folderJSON{ID: b.ID, Name: b.Name, Path: b.Path(), Role: b.Role, Total: b.Total, Unread: b.Unread})
	}
	return out(e, a, list, func(w io.Writer) {
		if len(list) == 0 {
			fmt.Fprintln(w, "No folders stored yet: run tern sync.")
			return
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FOLDER\tROLE\tTOTAL\tUNREAD")
		for _, f := range list {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", message.Printable(f.Path), f.Role, f.Total, f.Unread)
		}
		tw.Flush()
	})
}

type messageJSON struct {
	ID             int64    `json:"id"`
	UID            uint32   `json:"uid"`
	Date           string   `json:"date"`
	From           []string `json:"from"`
	To             []string `json:"to,omitempty"`
	Cc             []string `json:"cc,omitempty"`
	Subject        string   `json:"subject"`
	Flags          []string `json:"flags"`
	Size           int64    `json:"size"`
	HasAttachments bool     `json:"has_attachments"`
	Preview        string   `json:"preview,omitempty"`
	MessageID      string   `json:"message_id,omitempty"`
}

func addrStrings(list []app.Address) []string {
	out := []string{}
	for _, a := range list {
		out = append(out, a.String())
	}
	return out
}

func messageOut(m app.Message) messageJSON {
	flags := m.Flags
	if flags == nil {
		flags = []string{}
	}
	return messageJSON{ID: m.ID, UID: m.UID, Date: m.Date.Format(time.RFC3339), From: addrStrings(m.From), To: addrStrings(m.To), Cc: addrStrings(m.Cc),
		Subject: m.Subject, Flags: flags, Size: m.Size, HasAttachments: m.HasAttachments, Preview: m.Preview, MessageID: m.MessageID}
}

// printMessages prints a list of messages: --json with the decoded
// values, text with control and bidi characters escaped (a sender's name
// or a subject must not drive the terminal or reverse what follows).
func printMessages(e *env, a *args, msgs []app.Message) error {
	list := []messageJSON{}
	for _, m := range msgs {
		list = append(list, messageOut(m))
	}
	return out(e, a, list, func(w io.Writer) {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "UID\tDATE\tFROM\tSUBJECT\tFLAGS")
		for _, m := range msgs {
			from := ""
			if len(m.From) > 0 {
				from = m.From[0].Display()
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", m.UID, m.Date.Local().Format("2006-01-02 15:04"), message.Printable(clip(from, 28)),
				message.Printable(clip(m.Subject, 60)), message.Printable(strings.Join(m.Flags, " ")))
		}
		tw.Flush()
	})
}

func clip(s string, n int) string {
	s = oneLine(s)
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func cmdList(ctx context.Context, core *app.Core, a *args, pos []string, e *env) error {
	if len(pos) != 1 {
		return fmt.Errorf("usage: tern list FOLDER [--limit N]")
	}
	acct, err := pickAccount(core, a)
	if err != nil {
		return err
	}
	limit, err := a.int("limit", 50)
	if err != nil {
		return err
	}
	mb, err := core.FindMailbox(ctx, acct.ID, pos[0])
	if err != nil {
		return err
	}
	msgs, err := core.Messages(ctx, mb.ID, 0, limit)
	if err != nil {
		return err
	}
	return printMessages(e, a, msgs)
}

// cmdShow prints one message. Text output escapes control and bidi
// characters in every header and file name, and control characters in the
// body, and prints the reader's sender warnings above the headers; --json
// keeps the decoded values and adds the same warnings as sender_warnings.
func cmdShow(ctx context.Context, core *app.Core, a *args, pos []string, e *env) error {
	if len(pos) != 2 {
		return fmt.Errorf("usage: tern show FOLDER UID")
	}
	uid, err := strconv.ParseUint(pos[1], 10, 32)
	if err != nil {
		return fmt.Errorf("UID must be a number, not %q", pos[1])
	}
	acct, err := pickAccount(core, a)
	if err != nil {
		return err
	}
	mb, err := core.FindMailbox(ctx, acct.ID, pos[0])
	if err != nil {
		return err
	}
	m, err := core.MessageByUID(ctx, mb, uint32(uid))
	if err != nil {
		return fmt.Errorf("no message with UID %d in %s", uid, mb.Name)
	}
	view, err := core.OpenForReading(ctx, m.ID)
	if err != nil {
		return err
	}
	body := view.Message
	type attachmentJSON struct {
		Filename    string `json:"filename"`
		ContentType string `json:"content_type"`
		Size        int64  `json:"size"`
	}
	v := struct {
		messageJSON
		Text        string           `json:"text"`
		Attachments []attachmentJSON `json:"attachments"`
		Warnings    []string         `json:"warnings,omitempty"`
		// SenderWarnings are the reader's warnings about a forged-looking
		// sender, one sentence each; empty when the sender looks honest.
		SenderWarnings []string `json:"sender_warnings"`
	}{messageJSON: messageOut(m), Text: body.Text, Attachments: []attachmentJSON{}, Warnings: body.Warnings,
		SenderWarnings: message.SenderWarnings(view.Senders)}
	if v.SenderWarnings == nil {
		v.SenderWarnings = []string{}
	}
	for _, att := range body.Attachments {
		v.Attachments = append(v.Attachments, attachmentJSON{att.Filename, att.ContentType, att.Size})
	}
	return out(e, a, v, func(w io.Writer) {
		for _, warning := range v.SenderWarnings {
			fmt.Fprintf(w, "WARNING: %s\n", message.Printable(warning))
		}
		fmt.Fprintf(w, "From:    %s\n", message.Printable(strings.Join(v.From, ", ")))
		fmt.Fprintf(w, "To:      %s\n", message.Printable(strings.Join(v.To, ", ")))
		if len(v.Cc) > 0 {
			fmt.Fprintf(w, "Cc:      %s\n", message.Printable(strings.Join(v.Cc, ", ")))
		}
		fmt.Fprintf(w, "Date:    %s\n", m.Date.Local().Format(time.RFC1123Z))
		fmt.Fprintf(w, "Subject: %s\n", message.Printable(m.Subject))
		for _, att := range v.Attachments {
			fmt.Fprintf(w, "Attachment: %s (%s, %d bytes)\n", message.Printable(att.Filename), message.Printable(att.ContentType), att.Size)
		}
		fmt.Fprintf(w, "\n%s\n", message.PrintableText(strings.TrimRight(v.Text, "\n")))
	})
}

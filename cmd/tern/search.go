package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/message"
)

const searchUsage = "usage: tern search QUERY [--folder F] [--server] [--limit N] [--account ID]"

// searchJSON is tern search --json's output.
type searchJSON struct {
	Here        int               `json:"here"`
	More        bool              `json:"more"`
	Messages    []searchedMessage `json:"messages"`
	ServerCount int               `json:"server_count"`
	Server      []searchedMessage `json:"server"`
	ServerError string            `json:"server_error,omitempty"`
}

// searchedMessage is a message of a search result: where it is, and what
// list prints of it.
type searchedMessage struct {
	Account string `json:"account"`
	Folder  string `json:"folder"`
	messageJSON
}

// cmdSearch runs a query of Tern's search language (the window's) over all
// mail, or one folder with --folder; --server asks the servers too where
// bodies are not all downloaded. A query that does not parse is an error
// naming the problem.
func cmdSearch(ctx context.Context, core *app.Core, a *args, pos []string, e *env) error {
	if len(pos) == 0 {
		return fmt.Errorf(searchUsage)
	}
	limit, err := a.int("limit", 50)
	if err != nil {
		return err
	}
	opts := app.SearchOptions{Query: strings.Join(pos, " "), Account: a.str("account"), Limit: limit, Count: true, Server: a.has("server")}
	if err := app.ParseQuery(opts.Query); err != nil {
		return fmt.Errorf("bad search: %w", err)
	}
	if f := a.str("folder"); f != "" {
		acct, err := pickAccount(core, a)
		if err != nil {
			return err
		}
		mb, err := core.FindMailbox(ctx, acct.ID, f)
		if err != nil {
			return err
		}
		opts.Folder = mb.ID
	}
	res, err := core.Search(ctx, opts)
	if err != nil {
		return fmt.Errorf("bad search: %w", err)
	}
	folders := map[int64]string{}
	folder := func(id int64) string {
		if name, ok := folders[id]; ok {
			return name
		}
		name := "?"
		if mb, err := core.Mailbox(ctx, id); err == nil {
			name = mb.Path()
		}
		folders[id] = name
		return name
	}
	list := func(msgs []app.Message) []searchedMessage {
		out := []searchedMessage{}
		for _, m := range msgs {
			out = append(out, searchedMessage{Account: m.Account, Folder: folder(m.MailboxID), messageJSON: messageOut(m)})
		}
		return out
	}
	js := searchJSON{Here: res.Here, More: res.More, Messages: list(res.Messages), ServerCount: res.ServerCount, Server: list(res.Server)}
	if res.ServerErr != nil {
		js.ServerError = res.ServerErr.Error()
	}
	return out(e, a, js, func(w io.Writer) {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FOLDER\tUID\tDATE\tFROM\tSUBJECT\tFLAGS")
		row := func(m app.Message, mark string) {
			from := ""
			if len(m.From) > 0 {
				from = m.From[0].Display()
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", message.Printable(clip(folder(m.MailboxID), 24)), m.UID,
				m.Date.Local().Format("2006-01-02 15:04"), message.Printable(clip(from, 28)), message.Printable(clip(m.Subject, 60)),
				mark+message.Printable(strings.Join(m.Flags, " ")))
		}
		for _, m := range res.Messages {
			row(m, "")
		}
		for _, m := range res.Server {
			row(m, "[on the server] ")
		}
		tw.Flush()
		summary := res.Summary()
		if res.More {
			summary += fmt.Sprintf(" (the first %d shown; --limit for more)", len(res.Messages))
		}
		fmt.Fprintln(w, summary)
		if res.ServerErr != nil {
			fmt.Fprintf(w, "the server could not be asked: %s\n", oneLine(res.ServerErr.Error()))
		}
	})
}

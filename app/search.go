package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ternmail/tern/store"
	"github.com/ternmail/tern/store/query"
	"github.com/ternmail/tern/sync/imapsync"
)

// QueryError is a search query that does not parse, or names a folder that
// does not exist: its Error says what is wrong in words and where
// ("unknown operator "form:" — did you mean from:? (at character 1)"), and
// Pos is the byte offset of the offending term, for a search field to mark.
type QueryError = query.Error

// Cursor is a place in the order of search results; see CursorOf.
type Cursor = store.Cursor

// CursorOf returns the cursor just past m, a search result, for
// SearchOptions.Below: the next page after m.
func CursorOf(m Message) Cursor { return store.CursorOf(m) }

// SearchOptions says what Core.Search looks for and where.
type SearchOptions struct {
	// Query is the search in Tern's query language: words, "phrases",
	// from: to: cc: subject: has:attachment is:unread|read|starred
	// before: after: in: account:, and - before any term to negate it.
	// An empty query matches every message in scope.
	Query string
	// Account keeps only this account's messages; "" means all accounts.
	Account string
	// Folder keeps only this mailbox's messages (the "current folder"
	// scope); 0 means all mail.
	Folder int64
	// Limit is the page size; 0 means 50.
	Limit int
	// Below continues a search after the last message of the previous
	// page (CursorOf); the zero Cursor asks for the first page.
	Below Cursor
	// Count counts every match in the store (SearchResult.Here) rather
	// than the page only. A search that asks the server always counts.
	Count bool
	// Server also asks the servers, for the first page, in the folders
	// whose bodies the store does not hold in full (or the one Folder),
	// and returns what only they found in SearchResult.Server. It waits on
	// the network: a window shows the store's page first and asks again
	// with Server once the user pauses typing.
	Server bool
}

// SearchResult is a page of search results.
type SearchResult struct {
	// Messages is the page of matches in the store, newest first.
	Messages []store.Message
	// More reports whether the store holds more matches after this page.
	More bool
	// Here is how many messages match in the store: counted in full
	// when SearchOptions.Count or Server is set, else len(Messages).
	Here int
	// Server holds the messages (headers now in the store) that only
	// the servers found, newest first, at most Limit of them: matches in
	// bodies not downloaded yet, or in mail newer than the last sync.
	Server []store.Message
	// ServerCount is how many messages only the servers found.
	ServerCount int
	// ServerErr is why a server could not be asked (the store's results
	// are complete regardless); nil when every server answered or none
	// was asked.
	ServerErr error
}

// Summary returns the counts in words: "12 here", "12 here, 3 more on the
// server", "nothing found".
func (r SearchResult) Summary() string {
	here := fmt.Sprintf("%d here", r.Here)
	if r.Here == 0 && r.ServerCount == 0 {
		return "nothing found"
	}
	if r.ServerCount == 0 {
		return here
	}
	return fmt.Sprintf("%s, %d more on the server", here, r.ServerCount)
}

// ParseQuery parses a query in the search language without running it;
// its error is a *QueryError.
func ParseQuery(text string) error {
	_, err := query.Parse(text)
	return err
}

// Search runs a search (see SearchOptions). A query that cannot be parsed,
// or names a folder that does not exist, returns a *QueryError. The store's
// first page comes back in milliseconds even over 100,000 messages, and
// Search returns as soon as ctx ends, so a window may run one search per
// keystroke, cancelling the one before. Search is safe to call from any
// goroutine, but never from the UI goroutine: it reads the store, and with
// Server the network.
func (c *Core) Search(ctx context.Context, opts SearchOptions) (SearchResult, error) {
	var res SearchResult
	q, err := query.Parse(opts.Query)
	if err != nil {
		return res, err
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = store.DefaultSearchLimit
	}
	sopts := &store.SearchOptions{Account: opts.Account, MailboxID: opts.Folder, Limit: limit, Below: opts.Below}
	page, err := c.store.Find(ctx, q, sopts)
	if err != nil {
		return res, err
	}
	res.Messages, res.More, res.Here = page.Messages, page.More, len(page.Messages)
	if opts.Count || opts.Server {
		if res.Here, err = c.store.FindCount(ctx, q, sopts); err != nil {
			return res, err
		}
	}
	if opts.Server && opts.Below.ID == 0 {
		res.Server, res.ServerCount, res.ServerErr = c.searchServers(ctx, q, opts, limit)
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
	}
	return res, nil
}

// searchServers asks the servers of the accounts in scope and returns the
// messages that match q and that the store's own search did not find.
func (c *Core) searchServers(ctx context.Context, q query.Query, opts SearchOptions, limit int) ([]store.Message, int, error) {
	var found []int64
	var errs []error
	for _, a := range c.Accounts() {
		if opts.Account != "" && a.ID != opts.Account {
			continue
		}
		var boxes []store.Mailbox
		if opts.Folder != 0 {
			mb, err := c.store.Mailbox(ctx, opts.Folder)
			if err != nil || mb.Account != a.ID {
				continue
			}
			boxes = []store.Mailbox{mb}
		} else {
			var err error
			if boxes, err = c.store.MailboxesMissingBodies(ctx, a.ID); err != nil {
				return nil, 0, err
			}
		}
		if len(boxes) == 0 {
			continue
		}
		e, err := c.engine(a.ID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids, err := e.Search(ctx, q, boxes, &imapsync.SearchOptions{Location: time.Local})
		if err != nil {
			if ctx.Err() != nil {
				return nil, 0, ctx.Err()
			}
			errs = append(errs, fmt.Errorf("%s: %w", a.ID, err))
			continue
		}
		found = append(found, ids...)
	}
	if len(found) == 0 {
		return nil, 0, errors.Join(errs...)
	}
	// What the server found must also hold the terms it could not check
	// (has:attachment, in:, account:, the scope); of that, what the store's
	// own search finds too is not news.
	base := store.SearchOptions{Account: opts.Account, MailboxID: opts.Folder, IDs: found}
	all := base
	all.SkipText, all.Limit = true, len(found)
	cand, err := c.store.Find(ctx, q, &all)
	if err != nil {
		return nil, 0, err
	}
	local := base
	local.Limit = len(found)
	here, err := c.store.Find(ctx, q, &local)
	if err != nil {
		return nil, 0, err
	}
	seen := make(map[int64]bool, len(here.Messages))
	for _, m := range here.Messages {
		seen[m.ID] = true
	}
	var only []store.Message
	for _, m := range cand.Messages {
		if !seen[m.ID] {
			only = append(only, m)
		}
	}
	n := len(only)
	if len(only) > limit {
		only = only[:limit]
	}
	return only, n, errors.Join(errs...)
}
